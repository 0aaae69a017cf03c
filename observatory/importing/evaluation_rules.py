"""Scores and evaluations: the cells of one evaluation, and the evaluations import."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from observatory.formatting import number, short_date
from observatory.importing.checks import (
    ExistingPlaces,
    check_texts,
    name_key,
    same,
    structural_problems,
    text_rows,
)
from observatory.importing.communes import commune_key
from observatory.importing.mapping import SCORE_KEYS, labels
from observatory.importing.parsing import parse_date, parse_insee, parse_score
from observatory.importing.report import (
    ADD,
    REJECTED,
    SKIPPED,
    UNCHANGED,
    EvaluationRecord,
    RowChecker,
    ValidationReport,
    problems_by_row,
)
from observatory.model import CRITERIA, CRITERION_BY_KEY


def parse_evaluation(cells: Mapping[str, str], checker: RowChecker, today: date, *,
                     standalone: bool) -> dict[str, Any] | None:
    """The evaluation a row carries (keys of ``store.evaluations.FIELDS`` but place_id).

    In a places file the scores are optional (None when no score is given) and a missing
    date is left None for the caller to fill; in an evaluations file the date and at least
    one score are required. A missing score is a warning: that criterion is not scored.
    """
    given = [k for k in SCORE_KEYS if cells.get(k)]
    if not given and not standalone:
        if cells.get("evaluated_on"):
            checker.warn("evaluated_on", cells["evaluated_on"], "Date d'évaluation sans "
                         "aucune note : elle est ignorée.", "Ajoutez les notes ou videz la date.")
        return None
    scores = {key: _score(cells.get(key, ""), key, checker) for key in SCORE_KEYS}
    if not given:
        checker.error(SCORE_KEYS[0], "", "Aucune note sur cette ligne.",
                      "Notez au moins un critère, de 0 à 4.")
    for key in SCORE_KEYS:
        if given and not cells.get(key):
            checker.warn(key, "", f"Critère « {CRITERION_BY_KEY[key].label} » non noté : "
                         "il restera sans note.", "Ajoutez une note de 0 à 4.")
    text = cells.get("evaluated_on", "")
    evaluated_on = checker.parse("evaluated_on", text, parse_date, today) if text else None
    if standalone and not text:
        checker.error("evaluated_on", "", "Date d'évaluation manquante.",
                      "Indiquez la date (JJ/MM/AAAA).")
    return {"evaluated_on": evaluated_on, "evaluator": cells.get("evaluator") or None,
            **scores, "evidence": cells.get("evidence") or None}


def _score(text: str, key: str, checker: RowChecker) -> float | None:
    if not text:
        return None
    parsed = checker.parse(key, text, parse_score)
    if parsed is None:
        return None
    value, original = parsed
    if original is not None:
        checker.warn(key, text, f"Note {number(original)} arrondie au demi-point le plus "
                     f"proche : {number(value)}.", "Notez par demi-points (ex. 3,5).")
    return value


def same_scores(evaluation: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    return all(same(evaluation.get(k), other.get(k)) for k in SCORE_KEYS)


# --- the evaluations import -------------------------------------------------------------

def validate_evaluations(df: pd.DataFrame, existing_places: pd.DataFrame | None,
                         existing_evaluations: pd.DataFrame | None = None, *,
                         today: date | None = None) -> ValidationReport:
    """Check an evaluations file (columns = field keys, from ``apply_mapping``).

    Places are found by identifier, or by name (+ commune or INSEE code when several
    places share a name). An evaluation identical to a stored one (same place, date and
    scores, from ``store.evaluations.history``) is "inchangé"; the rest are "ajout".
    """
    today = today or date.today()
    problems = structural_problems(df, "evaluations")
    if problems:
        return ValidationReport("evaluations", [], problems, pd.DataFrame())
    places = ExistingPlaces(existing_places)
    stored = _stored_evaluations(existing_evaluations)
    names = labels("evaluations")
    records, preview, seen = [], [], {}
    for row, cells in text_rows(df):
        checker = RowChecker(int(row), names)
        check_texts(cells, checker)
        pid = find_place(cells, checker, places)
        evaluation = parse_evaluation(cells, checker, today, standalone=True)
        action = REJECTED if checker.failed else ADD
        if pid is not None and evaluation and evaluation["evaluated_on"]:
            key = (pid, evaluation["evaluated_on"])
            action = _repeat(key, cells, seen, checker, action, row)
            if action == ADD:
                action = _against_store(key, evaluation, stored, checker)
        problems += checker.problems
        if pid is not None and evaluation:
            evaluation = {"place_id": pid, **evaluation}
            if not checker.failed and action in (ADD, UNCHANGED):
                records.append(EvaluationRecord(int(row), action, evaluation,
                                                places.by_id[pid]["name"]))
        preview.append(_preview_row(int(row), action, cells, pid, evaluation))
    frame = pd.DataFrame(preview)
    if not frame.empty:
        frame["problèmes"] = frame["ligne"].map(problems_by_row(problems))
    return ValidationReport("evaluations", records, problems, frame)


def find_place(cells: Mapping[str, str], checker: RowChecker,
               places: ExistingPlaces) -> int | None:
    """The stored place a row evaluates, by identifier or by name (and commune)."""
    text, name = cells.get("place_id", ""), cells.get("name", "")
    if text:
        try:
            pid = int(float(text.replace(",", ".")))
        except ValueError:
            checker.error("place_id", text, f"« {text} » n'est pas un identifiant.")
            return None
        if pid not in places.by_id:
            checker.error("place_id", text, f"Aucun lieu n° {pid} dans l'observatoire.",
                          "Vérifiez l'identifiant ou laissez-le vide et donnez le nom.")
            return None
        if name and name_key(name) != name_key(places.by_id[pid]["name"]):
            checker.error("name", name, f"L'identifiant {pid} désigne "
                          f"{places.describe(pid)}, pas « {name} ».",
                          "Corrigez l'identifiant ou le nom.")
            return None
        return pid
    if not name:
        checker.error("name", "", "Lieu non identifié : ni identifiant, ni nom.",
                      "Indiquez l'identifiant du lieu ou son nom et sa commune.")
        return None
    ids = _filter_by_commune(places.by_name.get(name_key(name), []), cells, places)
    if len(ids) == 1:
        return ids[0]
    if ids:
        listed = " ; ".join(places.describe(i) for i in ids)
        checker.error("name", name, f"Plusieurs lieux portent ce nom : {listed}.",
                      "Précisez la commune ou l'identifiant.")
        return None
    close = places.closest_names(name)
    checker.error("name", name, f"Lieu introuvable dans l'observatoire : « {name} »"
                  + (" dans cette commune." if cells.get("commune") or cells.get("insee")
                     else "."),
                  f"Voulez-vous dire {' ou '.join(f'« {c} »' for c in close)} ?" if close
                  else "Importez d'abord le lieu (import des lieux).")
    return None


def _filter_by_commune(ids: list[int], cells: Mapping[str, str],
                       places: ExistingPlaces) -> list[int]:
    commune, insee_text = cells.get("commune", ""), cells.get("insee", "")
    try:
        insee = parse_insee(insee_text) if insee_text else None
    except ValueError:
        insee = None
    if insee:
        return [i for i in ids if str(places.by_id[i].get("insee")) == insee]
    if commune:
        key = commune_key(commune)
        return [i for i in ids if commune_key(str(places.by_id[i].get("commune", ""))) == key]
    return ids


def _repeat(key, cells, seen, checker, action, row) -> str:
    """The same place and date twice in the file: a repeat is skipped, a variant an error."""
    if key not in seen:
        seen[key] = (int(row), tuple(cells.values()))
        return action
    first, raw = seen[key]
    if raw == tuple(cells.values()):
        checker.warn("evaluated_on", cells.get("evaluated_on"),
                     f"Ligne identique à la ligne {first} : elle est ignorée.")
        return SKIPPED
    checker.error("evaluated_on", cells.get("evaluated_on"), f"Le même lieu est évalué à "
                  f"la même date ligne {first}, avec d'autres valeurs.",
                  "Gardez une seule évaluation par lieu et par date.")
    return REJECTED


def _stored_evaluations(history: pd.DataFrame | None) -> dict[tuple[int, date], list[dict]]:
    stored: dict[tuple[int, date], list[dict]] = {}
    if history is None or history.empty:
        return stored
    for row in history.to_dict(orient="records"):
        day = pd.Timestamp(row["evaluated_on"]).date()
        stored.setdefault((int(row["place_id"]), day), []).append(row)
    return stored


def _against_store(key, evaluation, stored, checker) -> str:
    existing = stored.get(key, [])
    if any(same_scores(evaluation, e) for e in existing):
        return UNCHANGED
    if existing:
        checker.warn("evaluated_on", short_date(key[1]), "Une évaluation de ce lieu à "
                     "cette date existe déjà avec d'autres notes : celle-ci s'y ajoutera.",
                     "Vérifiez qu'il ne s'agit pas d'un doublon.")
    return ADD


def _preview_row(row, action, cells, pid, evaluation) -> dict[str, Any]:
    out = {"ligne": row, "action": action, "lieu": cells.get("name", ""),
           "identifiant": pid,
           "date": evaluation["evaluated_on"] if evaluation else None,
           "évaluateur": cells.get("evaluator", "")}
    for criterion in CRITERIA:
        out[criterion.short] = evaluation.get(criterion.key) if evaluation else None
    return out

