"""Validate a mapped file before anything is written: typed records, problems, a preview.

Decisions (documented for analysts in docs and for the store's transaction):
- Severity: an "erreur" blocks the whole import (all or nothing); an "avertissement" not.
- A row that matches a stored place (its identifier, or the same name and commune, accents
  and case aside) is an update of that place, not an error: "mise à jour" when something
  differs, "inchangé" otherwise. Empty cells never erase a stored value. Every update is
  listed field by field (``ValidationReport.changes_table``) before anything is written.
- An identifier that designates a stored place with another name is an error (a column
  shifted by a sort looks exactly like this), unless the analyst confirms that rename for
  that row (``confirmed_renames``, the rows as the user sees them).
- A name that differs from the stored one only by lost accents, case or punctuation
  ("Le Bocal a Idees" for "Le Bocal à Idées") never replaces it: the stored name is kept,
  with a warning. A better-written one (more accents, case or punctuation) replaces it.
- With ``skip_outside``, a row outside the zone is ignored: it keeps the warning saying so
  and nothing else (its own errors do not block the file).
- A row within 50 m of a stored place with another name, or named like a stored place of
  another commune, is added, with a warning: two places can share a building.
- In the file, a row identical to an earlier one is skipped with a warning (a copy-paste);
  the same place (name and commune) twice with different values is an error.
- No coordinates: the place sits at its commune's inner point, marked approximate (warning).
- Scores: 0 to 4 by half points; "3,5" is 3.5; other decimals are rounded to the nearest
  half point with a warning; text ("trois") and values outside 0–4 are errors.
- Re-importing the same file changes nothing: every row comes back "inchangé".
- A row from a known source (``families``) finds its place first by (source, record id),
  then by the rules above: a newer vintage updates the same places. The source may rename
  a place it identifies (a warning says so); a field the analyst typed in the application
  (provenance "manual") is never overwritten by an import (a warning lists them).
- With ``valid_rows_only``, a row in error is left out ("écartée", its errors kept as
  "ligne écartée") and the valid rows are written; errors about the whole file still block.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from observatory.distances import pairs_within
from observatory.filters import fold
from observatory.formatting import integer, number, short_date
from observatory.importing.changes import field_changes
from observatory.importing.checks import (
    ExistingPlaces,
    check_texts,
    is_null,
    name_key,
    same,
    structural_problems,
    text_rows,
)
from observatory.importing.communes import CommuneIndex
from observatory.importing.evaluation_rules import same_scores, validate_evaluations
from observatory.importing.mapping import PLACE_FIELDS, labels
from observatory.importing.place_rules import COORDINATES, Candidate, check_place_row, warn_centred
from observatory.importing.report import (
    ADD,
    DROPPED,
    ERROR,
    LEFT_OUT,
    REJECTED,
    RENAME_PENDING,
    SKIPPED,
    UNCHANGED,
    UPDATE,
    WARNING,
    Change,
    PlaceRecord,
    Rename,
    RowChecker,
    ValidationReport,
    problems_by_row,
)
from observatory.model import CRITERIA_KEYS
from observatory.origins import FIELD_LABELS as _PROVENANCE_LABELS
from observatory.origins import fields_of, source_label

# The columns of the places table an import writes (``store.places.PLACE_FIELDS``).
PLACE_COLUMNS = ("name", "insee", "lon", "lat", "location_approximate", "typology",
                 "legal_status", "opening_year", "transition_oriented", "thematics",
                 "website", "contact", "is_demo")
_LOCATION = ("lon", "lat", "location_approximate")
_EXAMPLE_NAME = name_key(next(f.example for f in PLACE_FIELDS if f.key == "name"))
LABELS = labels("places") | {COORDINATES: "Latitude / Longitude",
                             "location_approximate": "Localisation approximative"}

__all__ = ["PLACE_COLUMNS", "validate_evaluations", "validate_places"]


def validate_places(df: pd.DataFrame, communes, existing_places: pd.DataFrame | None = None,
                    *, today: date | None = None, perimeter_only: bool = True,
                    skip_outside: bool = False,
                    confirmed_renames: frozenset[int] = frozenset(), prepared=None,
                    valid_rows_only: bool = False, existing_sources: pd.DataFrame | None = None,
                    existing_provenance: pd.DataFrame | None = None) -> ValidationReport:
    """Check a places file (columns = field keys, from ``apply_mapping``).

    ``communes`` is ``store.territory.communes(con)``; ``existing_places`` is
    ``store.places.current(con)`` restricted to the places that will remain (leave the
    demonstration set out if the import replaces it). ``perimeter_only``: communes and
    points must lie in the perimeter, not only in the loaded referential. ``skip_outside``:
    rows outside are skipped with a warning instead of blocking (a national list), their
    other problems dropped. ``confirmed_renames``: file rows (as the user sees them) whose
    identifier may rename the stored place it designates, their name taken as written
    (the place form confirms its one row). ``prepared`` (``families.prepare``): each row's
    origin, the problems found while preparing and the repairs made. ``existing_sources``
    and ``existing_provenance``: ``store.provenance`` tables, to find a source's records
    again and to keep the fields typed in the application.
    """
    today = today or date.today()
    problems = structural_problems(df, "places")
    if problems:
        return ValidationReport("places", [], problems, pd.DataFrame())
    index = CommuneIndex(communes, perimeter_only)
    existing = ExistingPlaces(existing_places, existing_sources, existing_provenance)
    origins = prepared.origins if prepared is not None else {}
    early = prepared.problems if prepared is not None else {}
    rows = []
    for row, cells in text_rows(df):
        checker = RowChecker(int(row), LABELS)
        for key, value, message, suggestion, severity in early.get(int(row), ()):
            checker.add(key, value, message, suggestion, severity)
        check_texts(cells, checker)
        if name_key(cells.get("name", "")) == _EXAMPLE_NAME:
            checker.warn("name", cells["name"], "C'est la ligne d'exemple du modèle.",
                         "Supprimez-la avant l'import.")
        candidate = check_place_row(int(row), cells, checker, index, today, skip_outside)
        candidate.origin = origins.get(int(row))
        rows.append((cells, checker, candidate))
    _same_record_twice(rows)
    decided = _file_duplicates([(c, k) for _, k, c in rows
                                if not (skip_outside and c.outside)])
    confirmed = frozenset(int(r) for r in confirmed_renames)
    records, preview, changes, renames, outside, left_out = [], [], [], [], [], []
    for cells, checker, candidate in rows:
        action, record = _decide(candidate, checker, decided.get(candidate.row), existing,
                                 today, skip_outside, (index, confirmed, renames))
        if candidate.centred and action in (ADD, UPDATE) and _uses_centre(record):
            warn_centred(checker, cells.get("address", ""))
        if action == SKIPPED:
            checker.skip()
            if candidate.outside:
                outside.append(_outside_row(cells, candidate, checker))
        elif action != REJECTED:
            records.append(record)
        if record is not None and record.place_id is not None:
            pending = action == REJECTED and bool(renames) and renames[-1].row == record.row \
                and not renames[-1].confirmed
            if action == UPDATE or pending:
                changes += _changes(record, existing, index, RENAME_PENDING if pending
                                    else UPDATE)
        if action == REJECTED and valid_rows_only:
            action = LEFT_OUT
            left_out.append(candidate.row)
            checker.problems = [_dropped(p) for p in checker.problems]
        problems += checker.problems
        preview.append(_preview_row(cells, candidate, action, record, index))
    frame = pd.DataFrame(preview).astype({"identifiant": "Int64", "année d'ouverture": "Int64"})
    frame["problèmes"] = frame["ligne"].map(problems_by_row(problems))
    return ValidationReport("places", records, problems, frame, changes, renames,
                            repairs=_repairs(prepared, {o["ligne"] for o in outside}),
                            outside=outside, left_out=left_out)


def _same_record_twice(rows) -> None:
    """Two rows with one record id of a source: said (the later row's record will point
    at its own place, the source's id at the last one written)."""
    seen: dict[tuple[str, str], int] = {}
    for _, checker, candidate in rows:
        origin = candidate.origin
        if origin is None or "|" in origin.record_id:  # built keys: name and commune rules
            continue
        first = seen.setdefault((origin.source, origin.record_id), candidate.row)
        if first != candidate.row:
            checker.warn("name", candidate.values.get("name", ""),
                         f"Même identifiant dans la source (n° {origin.record_id}) que la "
                         f"ligne {first}.", "Vérifiez s'il s'agit de la même fiche publiée "
                         "deux fois.")


def _repairs(prepared, outside: set[int]) -> list:
    """The repairs of the rows written or refused (those of rows outside are not news)."""
    if prepared is None:
        return []
    return [r for r in prepared.repairs if r.row not in outside]


def _dropped(problem):
    """An error of a row left out on request: kept, but no longer blocking."""
    if problem.severity != ERROR:
        return problem
    return dataclasses.replace(problem, severity=DROPPED)


def _outside_row(cells: dict, candidate: Candidate, checker: RowChecker) -> dict:
    """One row of the « hors territoire » list."""
    return {"ligne": candidate.row, "nom": cells.get("name", ""),
            "commune": cells.get("commune", ""),
            "code INSEE": candidate.values.get("insee") or cells.get("insee", ""),
            "raison": " ".join(p.message for p in checker.reasons)}


def _decide(candidate: Candidate, checker: RowChecker, decided: str | None,
            existing: ExistingPlaces, today: date, skip_outside: bool, renaming
            ) -> tuple[str, PlaceRecord | None]:
    """The row's action, and its record when it reached the store comparison."""
    if candidate.outside and skip_outside:
        return SKIPPED, None
    if decided:
        return decided, None
    if checker.failed:
        return REJECTED, None
    record = _against_store(candidate, checker, existing, today, *renaming)
    return (REJECTED if checker.failed else record.action), record


def _uses_centre(record: PlaceRecord) -> bool:
    """A stored place keeps its location when the row gives none (same commune)."""
    return record.action == ADD or "lon" in record.changes


# --- duplicates in the file --------------------------------------------------------------

def _file_duplicates(rows: list[tuple[Candidate, RowChecker]]) -> dict[int, str]:
    """Rows decided by an earlier row: exact repeats skipped, variants rejected."""
    decided: dict[int, str] = {}
    seen: dict[tuple, Candidate] = {}
    for candidate, checker in rows:
        values = candidate.values
        if not values.get("name") or not values.get("insee"):
            continue
        key = (("id", values["place_id"]) if values.get("place_id") is not None
               else ("name", name_key(values["name"]), values["insee"]))
        first = seen.setdefault(key, candidate)
        if first is candidate:
            continue
        if first.raw == candidate.raw:
            checker.add("name", values["name"], f"Ligne identique à la ligne {first.row} : "
                        "elle est ignorée.", severity=WARNING, reason=True)
            decided[candidate.row] = SKIPPED
        else:
            checker.error("name", values["name"], f"Même lieu (nom et commune) que la ligne "
                          f"{first.row}, avec d'autres valeurs.",
                          "Gardez une ligne par lieu ; pour plusieurs évaluations d'un lieu, "
                          "utilisez l'import des évaluations.")
            decided[candidate.row] = REJECTED
    _near_in_file(rows, decided)
    return decided


def _near_in_file(rows, decided) -> None:
    located = [(c, k) for c, k in rows if c.row not in decided and c.values.get("lon")
               is not None and not c.values.get("location_approximate")]
    if len(located) < 2:
        return
    points = pd.DataFrame({"lon": [c.values["lon"] for c, _ in located],
                           "lat": [c.values["lat"] for c, _ in located]})
    for i, j, km in pairs_within(points, 0.05).itertuples(index=False):
        (first, _), (later, checker) = sorted((located[int(i)], located[int(j)]),
                                              key=lambda pair: pair[0].row)
        if name_key(first.values["name"]) != name_key(later.values["name"]):
            checker.warn(COORDINATES, "", f"À {integer(km * 1000)} m du lieu de la ligne "
                         f"{first.row} (« {first.values['name']} ») : doublon possible.",
                         "Vérifiez qu'il s'agit bien de deux lieux distincts.")


# --- against the store -------------------------------------------------------------------

def _against_store(candidate: Candidate, checker: RowChecker, existing: ExistingPlaces,
                   today: date, index: CommuneIndex, confirmed: frozenset[int],
                   renames: list[Rename]) -> PlaceRecord:
    values = candidate.values
    place = {k: values.get(k) for k in PLACE_COLUMNS}
    pid = values.get("place_id")
    origin = candidate.origin
    matched = "id" if pid is not None else ""
    if pid is not None and pid not in existing.by_id:
        checker.error("place_id", pid, f"Aucun lieu n° {pid} dans l'observatoire.",
                      "Laissez l'identifiant vide pour ajouter un nouveau lieu.")
        return PlaceRecord(candidate.row, REJECTED, place)
    if pid is None and origin is not None:
        pid = existing.by_source.get((origin.source, origin.record_id))
        matched = "source" if pid is not None else ""
    if pid is None:
        pid = existing.by_key.get((name_key(values["name"]), values["insee"]))
        matched = "name" if pid is not None else ""
    if pid is None:
        _lookalikes(candidate, checker, existing)
        evaluation = _dated(candidate.evaluation, checker, today)
        given = fields_of((candidate.provided & set(PLACE_COLUMNS)) | {"name", "insee",
                                                                        "lon", "typology"})
        return PlaceRecord(candidate.row, ADD, place, evaluation=evaluation, origin=origin,
                           given=given)
    old = existing.by_id[pid]
    provided = _keep_typed(candidate, checker, existing, pid)
    if "name" not in provided:
        place["name"] = old.get("name", "")
    elif matched == "source" and name_key(values["name"]) != name_key(old.get("name", "")):
        checker.warn("name", values["name"], f"Même identifiant de source que "
                     f"{existing.describe(pid)} : la source le nomme maintenant "
                     f"« {values['name']} », le lieu est renommé.",
                     "Si le nom enregistré était le bon, corrigez-le ensuite dans "
                     "l'application (il ne sera plus remplacé).")
    elif name_key(values["name"]) != name_key(old.get("name", "")):
        _rename(candidate, checker, existing, index, pid, confirmed, renames)
    elif candidate.row not in confirmed:  # a confirmed row's name is taken as written
        place["name"] = _best_written(values["name"], str(old.get("name", "")), checker)
    merged, changes = _merge(old, place, provided)
    evaluation = candidate.evaluation
    if evaluation and _already_stored(evaluation, old):
        evaluation = None
    evaluation = _dated(evaluation, checker, today)
    action = REJECTED if checker.failed else UPDATE if changes or evaluation else UNCHANGED
    version = None if is_null(old.get("version")) else int(old["version"])
    return PlaceRecord(candidate.row, action, merged, pid, version, changes, evaluation,
                       origin=origin, given=fields_of(changes), matched_by=matched)


def _keep_typed(candidate: Candidate, checker: RowChecker, existing: ExistingPlaces,
                pid: int) -> set[str]:
    """The row's fields less those the analyst typed in the application (provenance
    "manual"): an import from a source never overwrites them."""
    typed = existing.manual.get(pid, set())
    if not typed or candidate.origin is None:
        return candidate.provided
    kept = {c for c in candidate.provided if fields_of([c]) and fields_of([c])[0] in typed}
    differing = sorted(fields_of(c for c in kept
                                 if not same(candidate.values.get(c),
                                             existing.by_id[pid].get(c))))
    if differing:
        labels = ", ".join(_PROVENANCE_LABELS[f] for f in differing)
        checker.warn("name", candidate.values.get("name", ""), f"Saisi dans l'application, "
                     f"gardé tel quel : {labels} de {existing.describe(pid)}.",
                     "Pour reprendre la valeur de la source, modifiez le lieu dans "
                     "l'application.")
    return candidate.provided - kept


def _rename(candidate: Candidate, checker: RowChecker, existing: ExistingPlaces,
            index: CommuneIndex, pid: int, confirmed: frozenset[int],
            renames: list[Rename]) -> None:
    """An identifier with another name: refused unless confirmed for this row."""
    values, old = candidate.values, existing.by_id[pid]
    insee = values.get("insee")
    commune = index.name(insee) if insee and index.knows(insee) else ""
    rename = Rename(candidate.row, pid, str(old.get("name", "")), values["name"],
                    str(old.get("commune") or old.get("insee") or ""), commune,
                    candidate.row in confirmed)
    renames.append(rename)
    if rename.confirmed:
        return
    where = f" ({commune})" if commune else ""
    checker.error("name", values["name"], f"L'identifiant {pid} désigne "
                  f"{existing.describe(pid)}, pas « {values['name']} »{where}.",
                  "Si ce lieu a vraiment changé de nom, confirmez le renommage de la ligne "
                  f"{candidate.row} (case à cocher de l'Importer, ou --confirm-rename "
                  f"{candidate.row} en ligne de commande) ; sinon corrigez l'identifiant : "
                  "la colonne a-t-elle été décalée par un tri ?")


def _writing(name: str) -> tuple[int, int, int]:
    """What a spelling carries beyond its folded text: accented letters, capitals (in a
    mixed-case text: all capitals say nothing), punctuation."""
    accents = sum(ch.isalpha() and fold(ch) != ch.casefold() for ch in name)
    letters = [ch for ch in name if ch.isalpha()]
    mixed = any(ch.isupper() for ch in letters) and any(ch.islower() for ch in letters)
    capitals = sum(ch.isupper() for ch in letters) if mixed else 0
    marks = sum(not ch.isalnum() and not ch.isspace() for ch in name)
    return accents, capitals, marks


def _best_written(new: str, old: str, checker: RowChecker) -> str:
    """Same folded name: the file's spelling only when it carries more, never less."""
    if new == old:
        return old
    mine, theirs = _writing(new), _writing(old)
    if all(a >= b for a, b in zip(mine, theirs, strict=True)) and mine != theirs:
        return new
    checker.warn("name", new, f"« {new} » est le nom enregistré « {old} » écrit avec moins "
                 "d'accents, de majuscules ou de ponctuation : le nom enregistré est gardé.",
                 "Pour l'écrire ainsi malgré tout, modifiez le lieu dans l'application.")
    return old


def _lookalikes(candidate: Candidate, checker: RowChecker, existing: ExistingPlaces) -> None:
    values = candidate.values
    namesakes = existing.by_name.get(name_key(values["name"]), [])
    if namesakes:
        checker.warn("name", values["name"], "Un lieu du même nom existe dans une autre "
                     f"commune : {existing.describe(namesakes[0])}. Celui-ci sera ajouté.",
                     "Vérifiez la commune si c'est le même lieu.")
    if not values.get("location_approximate") and values.get("lon") is not None:
        for pid, metres in existing.near(values["lon"], values["lat"])[:1]:
            checker.warn(COORDINATES, "", f"À {integer(metres)} m du lieu existant "
                         f"{existing.describe(pid)} : doublon possible. Le lieu sera ajouté.",
                         "Pour mettre ce lieu à jour, reprenez son nom exact et sa commune, "
                         "ou son identifiant.")


def _merge(old: dict, place: dict, provided: set[str]) -> tuple[dict, dict]:
    """The stored place overlaid with what the row provides; empty cells keep old values."""
    merged: dict[str, Any] = {}
    for key in PLACE_COLUMNS:
        merged[key] = place[key] if key in provided else _plain(old.get(key))
    moved = "insee" in provided and place["insee"] != old.get("insee")
    if "lat" not in provided and not moved:
        merged.update({k: _plain(old.get(k)) for k in _LOCATION})
    elif "lat" not in provided:  # another commune, no coordinates: its centre, approximate
        merged.update({k: place[k] for k in _LOCATION})
    merged["is_demo"] = bool(_plain(old.get("is_demo")) or False)
    changes = {k: (_plain(old.get(k)), merged[k]) for k in PLACE_COLUMNS
               if k != "is_demo" and not same(old.get(k), merged[k])}
    return merged, changes


def _plain(value: object) -> object:
    """Stored values as plain Python (NaN -> None, numpy scalars and arrays -> Python)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    if is_null(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _already_stored(evaluation: dict, old: dict) -> bool:
    """The row's scores are the place's latest ones (and on the same day, if dated)."""
    if not same_scores(evaluation, old):
        return False
    day = evaluation.get("evaluated_on")
    last = old.get("last_evaluated_on")
    return day is None or (not is_null(last) and pd.Timestamp(last).date() == day)


def _dated(evaluation: dict | None, checker: RowChecker, today: date) -> dict | None:
    if evaluation and evaluation["evaluated_on"] is None:
        evaluation = {**evaluation, "evaluated_on": today}
        checker.warn("evaluated_on", "", "Date d'évaluation absente : la date du jour "
                     f"({short_date(today)}) est retenue.", "Indiquez la date de l'évaluation.")
    return evaluation


# --- preview -----------------------------------------------------------------------------

def _preview_row(cells: dict, candidate: Candidate, action: str,
                 record: PlaceRecord | None, index: CommuneIndex) -> dict[str, Any]:
    place = record.place if record and action != REJECTED else candidate.values
    insee = place.get("insee")
    commune = index.name(insee) if insee and index.knows(insee) else cells.get("commune", "")
    evaluation = record.evaluation if record else candidate.evaluation
    return {
        "ligne": candidate.row, "action": action,
        "identifiant": record.place_id if record else None,
        "nom": place.get("name") or cells.get("name", ""), "commune": commune,
        "code INSEE": insee or cells.get("insee", ""),
        "latitude": place.get("lat"), "longitude": place.get("lon"),
        "localisation approximative": bool(place.get("location_approximate")),
        "typologie": place.get("typology") or cells.get("typology", ""),
        "statut juridique": place.get("legal_status") or "",
        "année d'ouverture": place.get("opening_year"),
        "notes": _scores_text(evaluation),
        "changements": _changes_text(record, index) if record else "",
        "correspondance": _matched_text(action, record),
        "source": _origin_text(candidate.origin),
    }


_MATCHED = {"source": "mis à jour : même identifiant dans la source",
            "id": "mis à jour : identifiant observatoire",
            "name": "mis à jour : même nom et même commune"}


def _matched_text(action: str, record: PlaceRecord | None) -> str:
    """« nouveau », or how the stored place was found (« mis à jour : … »)."""
    if action == ADD:
        return "nouveau"
    if record is None or action not in (UPDATE, UNCHANGED):
        return ""
    text = _MATCHED.get(record.matched_by, "")
    return text.replace("mis à jour", "inchangé") if action == UNCHANGED else text


def _origin_text(origin) -> str:
    if origin is None:
        return ""
    return f"{source_label(origin.source)} n° {origin.record_id}"


def _scores_text(evaluation: dict | None) -> str:
    if not evaluation:
        return ""
    return " · ".join(number(evaluation.get(k)) for k in CRITERIA_KEYS)


def _show(value: object) -> str:
    """A stored or file value as the analyst reads it."""
    if isinstance(value, list):
        return " | ".join(map(str, value)) or "vide"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return number(value)
    return "vide" if value is None else str(value)


def _show_field(key: str, value: object, index: CommuneIndex) -> str:
    if key == "insee" and isinstance(value, str) and index.knows(value):
        return index.label(value)
    return _show(value)


def _label(key: str) -> str:
    """A field's French label in the field-by-field changes (the commune for its code)."""
    return "Commune" if key == "insee" else LABELS.get(key, key)


def _field_changes(record: PlaceRecord, index: CommuneIndex) -> list[tuple[str, str, str]]:
    return field_changes(record.changes, record.place, _label,
                         lambda key, value: _show_field(key, value, index))


def _changes(record: PlaceRecord, existing: ExistingPlaces, index: CommuneIndex,
             action: str) -> list[Change]:
    """The update of one stored place, field by field (``importing.changes``)."""
    old = existing.by_id[record.place_id]
    name = str(old.get("name", ""))
    out = [Change(record.row, action, int(record.place_id), name, label, before, after)
           for label, before, after in _field_changes(record, index)]
    if record.evaluation:
        last = old.get("last_evaluated_on")
        before = ("aucune" if is_null(last) else
                  f"{short_date(last)} : {_scores_text(old)}")
        out.append(Change(record.row, action, int(record.place_id), name,
                          f"Évaluation (notes des {len(CRITERIA_KEYS)} critères)", before,
                          f"{short_date(record.evaluation['evaluated_on'])} : "
                          f"{_scores_text(record.evaluation)}"))
    return out


def _changes_text(record: PlaceRecord, index: CommuneIndex) -> str:
    parts = [f"{label} : {before} → {after}"
             for label, before, after in _field_changes(record, index)]
    if record.evaluation and record.place_id is not None:
        parts.append(f"nouvelle évaluation du {short_date(record.evaluation['evaluated_on'])}")
    return " ; ".join(parts)
