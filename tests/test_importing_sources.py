"""Real-world sources and hostile files, end to end: bytes in, report out."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from observatory.importing import (
    ADD,
    REJECTED,
    SKIPPED,
    ImportFileError,
    family_mapping,
    read_table,
    recognise,
    suggest_mapping,
    validate_file,
)
from observatory.store import db, places, territory

FIXTURES = Path(__file__).parent / "fixtures" / "import"
TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def communes(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        return territory.communes(con)
    finally:
        con.close()


def run(communes, name, data=None, **options):
    data = (FIXTURES / name).read_bytes() if data is None else data
    return validate_file(data, name, "places", communes=communes, existing_places=None,
                         today=TODAY, **options)


def row_problems(report, row):
    table = report.problem_table
    return table[table["ligne"] == row]


# --- lieux de médiation numérique ----------------------------------------------------------

def test_mediation_numerique_file_imports_with_clear_messages(communes):
    report = run(communes, "mediation_numerique_extrait.csv")
    assert report.family == "Lieux de médiation numérique (schéma ANCT / La MedNum)"
    assert report.preview["action"].tolist() == [ADD, ADD, ADD, ADD]
    olmes, bus, library, gare = report.records
    assert olmes.place["typology"] == "Tiers-lieu multi-activités"  # TIERS_LIEUX
    assert olmes.place["thematics"] == ["Aide aux démarches administratives",
                                        "Accès internet et matériel informatique"]
    # The schema's e-mail and phone both go to the contact field (personal data).
    assert olmes.place["contact"] == "contact@olmes-numerique.exemple.org ; +33500000000"
    assert bus.place["typology"] == "France services"  # RFS
    assert bus.place["insee"] == "09185" and bus.place["location_approximate"]
    assert gare.place["website"] == "https://www.tiers-lieu-gare.exemple.org"
    # BIB has no certain counterpart: the default typology, with the reason in the repairs.
    assert library.place["typology"] == "Tiers-lieu multi-activités"
    repair = report.repair_table.set_index("ligne").loc[4]
    assert (repair["colonne"], repair["avant"], repair["après"]) == (
        "Typologie", "BIB", "Tiers-lieu multi-activités")
    assert "pas d'équivalent certain" in repair["raison"]
    several = row_problems(report, 5).iloc[0]
    assert several["problème"].startswith("Plusieurs typologies : « Tiers-lieu "
                                          "multi-activités » est retenue")


# --- CGET 2019 -----------------------------------------------------------------------------

def test_cget_list_reports_duplicates_missing_insee_codes_and_places_outside(communes):
    report = run(communes, "cget_2019_extrait.csv")
    assert report.preview["action"].tolist() == [ADD, ADD, SKIPPED, REJECTED, REJECTED]
    coteaux, plantaurel = report.records
    assert coteaux.place["typology"] == "Fablab"  # "Tiers lieux à dominante fablab"
    assert plantaurel.place["insee"] == "09324"  # INSEECOM "0": found from NOMCOM
    assert plantaurel.place["typology"] == "Coworking"
    assert row_problems(report, 4).iloc[0]["problème"] == (
        "Ligne identique à la ligne 3 : elle est ignorée.")  # same place, another ID
    toulouse = row_problems(report, 5).iloc[0]
    assert toulouse["problème"] == ("Code INSEE 31555 absent du référentiel des communes "
                                    "(départements chargés : 09).")
    assert row_problems(report, 6).iloc[0]["problème"] == (
        "Saint-Girons (09261) est hors du périmètre "
        "(Communauté de communes Couserans-Pyrénées).")


def test_cget_list_filtered_to_the_perimeter_when_outside_rows_are_skipped(communes):
    report = run(communes, "cget_2019_extrait.csv", skip_outside=True)
    assert report.ok
    assert report.counts() == {ADD: 2, SKIPPED: 3}
    assert report.summary().startswith("2 lignes prêtes (2 ajouts), 1 ignorée, 2 hors territoire")


# --- Excel's French CSV and GeoJSON ------------------------------------------------------

def test_windows_1252_semicolon_file_with_decimal_commas_imports(communes):
    report = run(communes, "inventaire_excel_fr.csv")
    assert report.ok, report.problem_table.to_string()
    ecluse, hers, tarascon = report.records
    assert (ecluse.place["lat"], ecluse.place["lon"]) == (43.08667, 1.62897)
    assert ecluse.evaluation["commons"] == 3.5 and ecluse.evaluation["evaluator"] == (
        "Équipe PETR")
    assert hers.place["insee"] == "09194"  # commune name without INSEE code
    assert tarascon.place["location_approximate"]
    assert tarascon.place["transition_oriented"] is False


def test_geojson_points_import_and_a_feature_without_geometry_is_approximate(communes):
    report = run(communes, "lieux_points.geojson")
    assert report.ok, report.problem_table.to_string()
    fablab, cafe, atelier = report.records
    assert fablab.row == 1 and fablab.place["insee"] == "09122"
    assert fablab.place["thematics"] == ["fabrication", "numérique"]
    assert cafe.place["typology"] == "Café/bar associatif"
    assert atelier.place["insee"] == "09306" and atelier.place["location_approximate"]


def test_geojson_polygon_instead_of_a_point_is_an_error_for_its_feature(communes):
    report = run(communes, "lieux_polygone.geojson")
    assert report.preview["action"].tolist() == [ADD, REJECTED]
    error = report.errors.iloc[0]
    assert (error["ligne"], error["colonne"]) == (2, "Lecture du fichier")
    assert error["problème"] == "Géométrie de type Polygon : un point est attendu."


# --- hostile files -----------------------------------------------------------------------

def test_hostile_cells_are_kept_as_text_flagged_or_refused(communes):
    rows = [["Nom du lieu", "Commune", "Typologie", "Contact"],
            ["<script>alert(document.cookie)</script>", "Pamiers", "Fablab", ""],
            ['=HYPERLINK("http://malveillant.exemple";"clic")', "Foix", "Fablab", ""],
            ["Robert'); DROP TABLE places;--", "Mirepoix", "Fablab", "' OR '1'='1"],
            ["Long", "Lavelanet", "Fablab", "x" * 10_000]]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)  # quoted as Excel quotes them
    data = buffer.getvalue().encode("utf-8")
    report = run(communes, "hostile.csv", data)
    assert [r.place["name"] for r in report.records] == [
        "<script>alert(document.cookie)</script>",
        '=HYPERLINK("http://malveillant.exemple";"clic")',
        "Robert'); DROP TABLE places;--"]
    assert report.records[2].place["contact"] == "' OR '1'='1"
    assert not report.ok
    assert row_problems(report, 5).iloc[0]["problème"].startswith("Texte trop long : "
                                                                  "10\u202f000 caractères")
    assert "code HTML" in " ".join(row_problems(report, 2)["problème"])
    assert "formule de tableur" in " ".join(row_problems(report, 3)["problème"])


@pytest.mark.parametrize("data, name, message", [
    (b"", "lieux.csv", "Le fichier est vide."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "lieux.csv", "image PNG"),
    (b"Nom;Commune\nCaf\x8f;Foix\n", "lieux.csv", "octets illisibles"),
    (b"Nom;Commune\nLa Forge;Foix\n", "lieux.xlsx", "n'est pas un classeur Excel")])
def test_unreadable_files_raise_a_french_error_before_any_validation(communes, data, name,
                                                                     message):
    with pytest.raises(ImportFileError, match=message):
        run(communes, name, data)


def test_every_fixture_is_read_and_mapped_without_help(communes):
    for path in FIXTURES.iterdir():
        if path.suffix in {".csv", ".geojson"}:
            columns = read_table(path.read_bytes(), path.name).columns
            family = recognise(columns)
            if family is None:
                mapping = suggest_mapping(columns)
                assert mapping["name"] and mapping["typology"], path.name
            else:  # a known source: its own mapping, a typology given or defaulted
                mapping = family_mapping(family, columns)
                assert mapping["name"] and (mapping["typology"] or family.typology), path.name


def test_places_store_fields_and_import_records_agree():
    from observatory.importing import PLACE_COLUMNS

    assert PLACE_COLUMNS == places.PLACE_FIELDS


def test_the_importing_package_is_pure():
    """No Streamlit, no DuckDB, no store: the UI and the CLI call it, the store writes."""
    import ast

    package = Path(__file__).resolve().parents[1] / "observatory" / "importing"
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                   for alias in node.names}
        modules |= {node.module for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module}
        assert not {m.split(".")[0] for m in modules} & {"streamlit", "duckdb"}, path.name
        assert not any(m.startswith("observatory.store") for m in modules), path.name
