"""Journey 2 in miniature: Claire loads the real inventory from the PETR's Excel file.

French headers that need mapping, commune names without INSEE codes, two places without
coordinates, one duplicated row, scores typed "3,5": a preview with rows ready and two
errors explained; she fixes them and re-imports; nothing was written in between.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from observatory.importing import (
    ADD,
    REJECTED,
    SKIPPED,
    apply_mapping,
    read_table,
    suggest_mapping,
    template,
    unused_headers,
    validate_places,
)
from observatory.store import db, places, territory

TODAY = date(2026, 6, 1)
HEADERS = ["Nom", "Ville", "INSEE", "Lat", "Long", "Type", "Forme juridique", "Création",
           "Transition", "Communs", "Réponse innovante", "Dynamique collective", "Ancrage",
           "Gouvernance", "Date éval", "Évalué par"]
EVALUATED = datetime(2026, 3, 12)


def inventory(fixed: bool = False) -> list[list[object]]:
    """The shared-drive file, with the Excel types an analyst's sheet really has."""
    commune = "Lavelanet" if fixed else "Lavlanet"
    score = "4" if fixed else "quatre"
    return [
        HEADERS,
        ["Café de l'Écluse", "Saint-Jean-du-Falga", 9265, 43.08667, 1.62897,
         "Café associatif", "Association", 2011, "oui", "3,5", 3, 4, "3,5", 3, EVALUATED,
         "Claire"],
        ["Garage Solidaire de l'Hers", "Mirepoix", None, 43.11555, 1.87678,
         "Garage solidaire", "SCIC", 2016, "oui", 2.5, 3, 3, 4, "2,5", EVALUATED, "Claire"],
        ["Ressourcerie Tarasconnaise", "Tarascon-sur-Ariège", None, None, None,
         "Ressourcerie", "Association", 2009, "non", 3, 3, "2,5", 3, 3, EVALUATED, "Claire"],
        ["Fablab des Cimes", "Ax-les-Thermes", "09032", 42.68636, 1.80753, "Fablab",
         "Association", 2014, "oui", 4, "3,5", 3, 3, "3,5", EVALUATED, "Claire"],
        ["Coworking de la Lèze", "St Quirc", None, None, None, "Espace de coworking",
         "SCOP", 2019, "oui", 2, 2, "1,5", 3, 2, EVALUATED, "Claire"],
        ["Garage Solidaire de l'Hers", "Mirepoix", None, 43.11555, 1.87678,
         "Garage solidaire", "SCIC", 2016, "oui", 2.5, 3, 3, 4, "2,5", EVALUATED, "Claire"],
        ["Atelier Vélo du Touyre", commune, None, 42.93561, 1.85467, "Atelier partagé",
         "Association", 2012, "oui", 3, 3, 3, 3, 3, EVALUATED, "Claire"],
        ["Tiers-lieu des Coteaux", "Pamiers", "09225", 43.12838, 1.62761,
         "Tiers-lieu multi-activités", "Collectivité", 2018, "oui", score, 3, 3, 3, 3,
         EVALUATED, "Claire"],
    ]


def workbook_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Inventaire PETR"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def petr(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        communes, stored = territory.communes(con), places.current(con)
        return communes, stored[~stored["is_demo"]], places.count(con), demo_db
    finally:
        con.close()


def preview(data: bytes, communes, existing):
    """What the app does: read, suggest a mapping, let Claire fix it, validate."""
    table = read_table(data, "inventaire_petr.xlsx")
    mapping = suggest_mapping(table.columns, "places")
    assert mapping["evaluated_on"] is None  # "Date éval" is too far from any alias…
    assert unused_headers(table.columns, mapping) == ["Date éval"]
    mapping["evaluated_on"] = "Date éval"  # …so Claire maps it by hand
    return validate_places(apply_mapping(table, mapping, "places"), communes, existing,
                           today=TODAY)


def test_claire_sees_rows_ready_and_two_errors_explained(petr):
    communes, existing, _, _ = petr
    report = preview(workbook_bytes(inventory()), communes, existing)
    assert not report.ok
    assert report.summary() == ("5 lignes prêtes (5 ajouts), 2 en erreur, 1 ignorée, "
                                "3 avertissements.")
    assert report.preview["action"].tolist() == [ADD] * 5 + [SKIPPED, REJECTED, REJECTED]
    errors = report.errors.to_dict(orient="records")
    assert errors == [
        {"ligne": 8, "colonne": "Commune", "valeur": "Lavlanet",
         "problème": "Commune inconnue : « Lavlanet ».",
         "suggestion": "Voulez-vous dire Lavelanet (09160) ?"},
        {"ligne": 9, "colonne": "Création de communs", "valeur": "quatre",
         "problème": "« quatre » n'est pas une note chiffrée.", "suggestion": "Écrivez 4."}]


def test_after_fixing_the_file_everything_is_ready_and_approximate_places_are_marked(petr):
    communes, existing, count_before, demo_db = petr
    first = preview(workbook_bytes(inventory()), communes, existing)
    assert not first.ok  # the app writes nothing when the report has errors
    report = preview(workbook_bytes(inventory(fixed=True)), communes, existing)
    assert report.ok, report.errors.to_string()
    assert report.summary() == "7 lignes prêtes (7 ajouts), 1 ignorée, 3 avertissements."
    by_name = {r.place["name"]: r for r in report.to_write()}
    assert len(by_name) == 7
    centres = communes.set_index("insee")
    for name, insee in [("Ressourcerie Tarasconnaise", "09306"),
                        ("Coworking de la Lèze", "09275")]:
        record = by_name[name].place
        assert record["insee"] == insee
        assert record["location_approximate"] is True
        assert (record["lon"], record["lat"]) == tuple(centres.loc[insee, ["lon", "lat"]])
    ecluse = by_name["Café de l'Écluse"]
    assert ecluse.place["insee"] == "09265"  # 9265: Excel ate the leading zero
    assert ecluse.evaluation["commons"] == 3.5  # typed "3,5"
    assert ecluse.evaluation["evaluated_on"] == date(2026, 3, 12)
    assert by_name["Garage Solidaire de l'Hers"].place["insee"] == "09194"
    con = db.connect(demo_db, read_only=True)
    try:
        assert places.count(con) == count_before  # validation never writes
    finally:
        con.close()


def test_the_downloaded_template_filled_in_excel_imports_directly(petr):
    communes, existing, _, _ = petr
    table = read_table(template("places", "xlsx"), "modele.xlsx")
    mapping = suggest_mapping(table.columns, "places")
    report = validate_places(apply_mapping(table, mapping, "places"), communes, existing,
                             today=TODAY)
    assert report.ok
    assert report.records[0].place["insee"] == "09324"
    assert "ligne d'exemple du modèle" in report.warnings.iloc[0]["problème"]
