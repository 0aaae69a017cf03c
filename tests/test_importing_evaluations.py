"""Validation of an evaluations file: finding the place, dates, scores, duplicates."""

from __future__ import annotations

import csv
import io
from datetime import date

import pandas as pd
import pytest

from observatory.importing import ADD, REJECTED, SKIPPED, UNCHANGED, validate_file
from observatory.importing.mapping import fields
from observatory.store import db, evaluations, places

TODAY = date(2026, 6, 1)
LABEL = {f.key: f.label for f in fields("evaluations")}
SCORES = {"commons": "3", "innovative_response": "3,5", "collective_dynamic": "2",
          "territorial_anchoring": "4", "shared_governance": "2,5"}


@pytest.fixture(scope="module")
def store(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        return places.current(con), evaluations.history(con)
    finally:
        con.close()


def evaluations_csv(rows: list[dict[str, str]]) -> bytes:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([LABEL[k] for k in keys])
    for row in rows:
        writer.writerow([row.get(k, "") for k in keys])
    return buffer.getvalue().encode("utf-8")


def check(store, rows, existing=None):
    stored_places, history = store
    return validate_file(evaluations_csv(rows), "notes.csv", "evaluations",
                         existing_places=stored_places if existing is None else existing,
                         existing_evaluations=history, today=TODAY)


def evaluation(**values) -> dict[str, str]:
    return {"name": "Café de la Source", "evaluated_on": "12/03/2026", **SCORES} | values


def only_error(report):
    assert len(report.errors) == 1, report.problem_table.to_string()
    return report.errors.iloc[0]


def place_id(store, name):
    stored_places, _ = store
    return int(stored_places.loc[stored_places["name"] == name, "id"].iloc[0])


def test_an_evaluation_found_by_name_is_ready_for_the_store(store):
    report = check(store, [evaluation(evaluator="Équipe PETR", evidence="Visite")])
    assert report.ok, report.problem_table.to_string()
    (record,) = report.records
    assert record.action == ADD and record.place_name == "Café de la Source"
    assert tuple(record.evaluation) == evaluations.FIELDS
    assert record.evaluation == {
        "place_id": place_id(store, "Café de la Source"), "evaluated_on": date(2026, 3, 12),
        "evaluator": "Équipe PETR", "commons": 3.0, "innovative_response": 3.5,
        "collective_dynamic": 2.0, "territorial_anchoring": 4.0, "shared_governance": 2.5,
        "evidence": "Visite"}
    assert report.preview.loc[0, "Communs"] == 3.0


def test_places_are_found_by_identifier_or_by_name_and_commune(store):
    pid = place_id(store, "Café de la Source")
    report = check(store, [evaluation(name="", place_id=str(pid)),
                           evaluation(name="CAFE DE LA SOURCE", commune="Durfort",
                                      evaluated_on="13/03/2026")])
    assert report.ok
    assert {r.evaluation["place_id"] for r in report.records} == {pid}


def test_unknown_place_suggests_the_closest_names(store):
    problem = only_error(check(store, [evaluation(name="Café de la Sourse")]))
    assert problem["problème"] == ("Lieu introuvable dans l'observatoire : "
                                   "« Café de la Sourse ».")
    assert "« Café de la Source »" in problem["suggestion"]


def test_wrong_commune_for_a_known_name(store):
    problem = only_error(check(store, [evaluation(commune="Foix")]))
    assert problem["problème"].endswith("dans cette commune.")


def test_identifier_and_name_that_disagree_are_an_error(store):
    pid = place_id(store, "Café de la Source")
    problem = only_error(check(store, [evaluation(name="L'Atelier du Castor",
                                                  place_id=str(pid))]))
    assert f"L'identifiant {pid} désigne « Café de la Source »" in problem["problème"]


def test_unknown_identifier(store):
    problem = only_error(check(store, [evaluation(name="", place_id="99999")]))
    assert problem["problème"] == "Aucun lieu n° 99999 dans l'observatoire."


def test_a_name_shared_by_two_places_asks_for_the_commune(store):
    stored_places, _ = store
    twin = stored_places[stored_places["name"] == "Café de la Source"].assign(
        id=9999, insee="09122", commune="Foix")
    report = check(store, [evaluation()], existing=pd.concat([stored_places, twin]))
    problem = only_error(report)
    assert problem["problème"].startswith("Plusieurs lieux portent ce nom")
    assert problem["suggestion"] == "Précisez la commune ou l'identifiant."


@pytest.mark.parametrize("written, expected", [
    ("2026-03-12", date(2026, 3, 12)), ("12/03/2026", date(2026, 3, 12)),
    ("46093", date(2026, 3, 12))])
def test_dates_in_iso_french_or_excel_serial_form(store, written, expected):
    report = check(store, [evaluation(evaluated_on=written)])
    assert report.records[0].evaluation["evaluated_on"] == expected


@pytest.mark.parametrize("written, message", [
    ("", "Date d'évaluation manquante."), ("32/13/2026", "n'est pas une date reconnue"),
    ("01/01/2027", "dans le futur")])
def test_missing_or_bad_dates_are_errors(store, written, message):
    report = check(store, [evaluation(), evaluation(evaluated_on=written, commons="1")])
    assert message in only_error(report)["problème"]


def test_scores_typed_as_text_or_outside_the_scale(store):
    report = check(store, [evaluation(commons="trois", shared_governance="4,5")])
    errors = report.errors.set_index("colonne")
    assert errors.loc["Création de communs", "suggestion"] == "Écrivez 3."
    assert "hors de l'échelle" in errors.loc["Gouvernance et leadership partagé", "problème"]


def test_a_row_without_any_score_is_an_error_and_a_missing_score_a_warning(store):
    empty = {k: "" for k in SCORES}
    report = check(store, [evaluation(**empty), evaluation(evaluated_on="13/03/2026",
                                                           commons="")])
    assert only_error(report)["problème"] == "Aucune note sur cette ligne."
    warnings = report.warnings
    assert warnings.iloc[0]["problème"] == ("Critère « Création de communs » non noté : il "
                                            "restera sans note.")
    assert report.records[0].evaluation["commons"] is None


def test_the_same_evaluation_twice_is_skipped_and_a_variant_rejected(store):
    report = check(store, [evaluation(), evaluation(), evaluation(commons="1")])
    assert report.preview["action"].tolist() == [ADD, SKIPPED, REJECTED]
    assert only_error(report)["problème"].startswith("Le même lieu est évalué à la même date")


def test_an_evaluation_already_stored_is_unchanged(store):
    _, history = store
    pid = place_id(store, "Café de la Source")
    last = history[history["place_id"] == pid].iloc[-1]
    scores = {k: str(last[k]).replace(".", ",") for k in SCORES}
    report = check(store, [evaluation(evaluated_on=f"{pd.Timestamp(last['evaluated_on']):%d/%m/%Y}",
                                      **scores)])
    assert [r.action for r in report.records] == [UNCHANGED]
    assert report.to_write() == []


def test_a_file_without_a_score_column_is_one_error(store):
    stored_places, _ = store
    report = validate_file(b"Nom du lieu;Date\nCafe de la Source;12/03/2026\n", "n.csv",
                           "evaluations", existing_places=stored_places, today=TODAY)
    assert report.errors["ligne"].tolist() == [1]
    assert "au moins une colonne de note" in report.errors.iloc[0]["problème"]


def test_hostile_text_in_evidence(store):
    report = check(store, [evaluation(evidence="=HYPERLINK(\"http://x\")",
                                      evaluator="<b>moi</b>"),
                           evaluation(evaluated_on="13/03/2026", evidence="x" * 10_000)])
    assert set(report.warnings["colonne"]) == {"Éléments de preuve", "Évaluateur"}
    error = only_error(report)
    assert error["ligne"] == 3 and error["problème"].startswith("Texte trop long")
