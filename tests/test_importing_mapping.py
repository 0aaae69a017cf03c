"""Column mapping, closed vocabularies, cell parsers and templates of the import."""

from __future__ import annotations

from datetime import date

import pytest

from observatory.importing import (
    ImportFileError,
    apply_mapping,
    fields,
    mapping_warnings,
    missing_required,
    read_table,
    suggest_mapping,
    template,
    unused_headers,
)
from observatory.importing.communes import commune_key
from observatory.importing.parsing import (
    Invalid,
    looks_like_formula,
    parse_date,
    parse_insee,
    parse_score,
    parse_year,
)
from observatory.importing.vocabulary import match_legal_status, match_typology
from observatory.model import LEGAL_STATUSES, TYPOLOGIES

TODAY = date(2026, 6, 1)


# --- mapping -----------------------------------------------------------------------------

def test_french_headers_as_analysts_write_them_are_matched():
    headers = ["Nom du lieu", "COMMUNE", "Code Insee", "Lat.", "Longitude", "Type de lieu",
               "Statut", "Année de création", "Orienté transitions ?", "Communs",
               "Réponse innovante", "Dynamique collective", "Ancrage", "Gouvernance",
               "Date d'évaluation"]
    mapping = suggest_mapping(headers, "places")
    assert mapping["name"] == "Nom du lieu"
    assert mapping["commune"] == "COMMUNE"
    assert mapping["insee"] == "Code Insee"
    assert mapping["lat"] == "Lat."
    assert mapping["typology"] == "Type de lieu"
    assert mapping["legal_status"] == "Statut"
    assert mapping["opening_year"] == "Année de création"
    assert mapping["transition_oriented"] == "Orienté transitions ?"
    assert mapping["commons"] == "Communs"
    assert mapping["territorial_anchoring"] == "Ancrage"
    assert mapping["evaluated_on"] == "Date d'évaluation"
    assert unused_headers(headers, mapping) == []


def test_typos_and_longer_headers_are_matched_fuzzily():
    mapping = suggest_mapping(["Nom du leiu", "Code INSEE de la commune", "Lattitude",
                               "Typologie (voir liste)"], "places")
    assert mapping["name"] == "Nom du leiu"
    assert mapping["insee"] == "Code INSEE de la commune"
    assert mapping["lat"] == "Lattitude"
    assert mapping["typology"] == "Typologie (voir liste)"
    assert mapping["commune"] is None  # one header serves one field


def test_mediation_numerique_schema_columns_are_recognised_but_not_its_id():
    headers = ["id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse",
               "latitude", "longitude", "typologie", "services", "itinerance", "date_maj"]
    mapping = suggest_mapping(headers, "places")
    assert {k: v for k, v in mapping.items() if v} == {
        "name": "nom", "commune": "commune", "postal_code": "code_postal",
        "insee": "code_insee", "address": "adresse", "lat": "latitude", "lon": "longitude",
        "typology": "typologie", "thematics": "services", "itinerance": "itinerance",
        "source_updated_on": "date_maj"}


def test_cget_2019_columns_prefer_the_cleaned_commune_name():
    headers = ["ID", "NOM_TL", "ADRESSE", "CP", "COMINIT", "INSEECOM", "NOMCOM", "WEB",
               "TYPO", "LAT", "LONG", "INSEEDEP", "INSEE_ZE", "NOM_ZE", "CONTACT", "MAIL"]
    mapping = suggest_mapping(headers, "places")
    assert mapping["name"] == "NOM_TL"
    assert mapping["commune"] == "NOMCOM"
    assert mapping["insee"] == "INSEECOM"
    assert (mapping["lat"], mapping["lon"]) == ("LAT", "LONG")
    assert mapping["typology"] == "TYPO"
    assert mapping["website"] == "WEB"
    assert mapping["place_id"] is None  # the source's ID is not ours


def test_evaluation_headers_are_matched_by_criterion_label():
    headers = ["Lieu", "Commune", "Date", "Évalué par"] + [
        "Création de communs", "Réponse innovante aux besoins", "Dynamique collective",
        "Ancrage territorial", "Gouvernance et leadership partagé", "Preuves"]
    mapping = suggest_mapping(headers, "evaluations")
    assert mapping["name"] == "Lieu"
    assert mapping["evaluated_on"] == "Date"
    assert mapping["evaluator"] == "Évalué par"
    assert mapping["shared_governance"] == "Gouvernance et leadership partagé"
    assert mapping["evidence"] == "Preuves"


def test_apply_mapping_keeps_row_numbers_and_fills_unmapped_fields():
    table = read_table(b"Lieu;Ville\nLa Forge;Pamiers\n", "f.csv")
    mapped = apply_mapping(table, {"name": "Lieu", "commune": "Ville"}, "places")
    assert list(mapped.index) == [2]
    assert mapped.loc[2, "name"] == "La Forge"
    assert mapped.loc[2, "typology"] == ""
    with pytest.raises(ImportFileError, match="absente"):
        apply_mapping(table, {"name": "Nom"}, "places")


def test_missing_required_columns_are_said_in_french():
    gaps = missing_required({"name": "Nom"}, "places")
    assert any("Typologie" in g for g in gaps)
    assert any("Code INSEE" in g for g in gaps)
    assert missing_required({"name": "n", "typology": "t", "lat": "a", "lon": "b"},
                            "places") == []


# --- vocabularies ------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("TIERS_LIEUX", "Tiers-lieu multi-activités"), ("Coworking", "Coworking"),
    ("Espace de coworking", "Coworking"), ("Fablab", "Fablab"), ("FAB LAB", "Fablab"),
    ("Tiers lieux à dominante fablab", "Fablab"), ("RFS", "France services"),
    ("café associatif", "Café/bar associatif"), ("Recyclerie", "Ressourcerie"),
    ("Ateliers partagés", "Atelier partagé"), ("micro-folie", "Micro-folie")])
def test_source_typologies_map_to_the_observatory_list(text, expected):
    assert match_typology(text)[0] == expected
    assert expected in TYPOLOGIES


def test_several_typologies_keep_the_first_recognised():
    assert match_typology("BIB|TIERS_LIEUX|CS") == ("Tiers-lieu multi-activités",
                                                     ["Espace de vie sociale"])


@pytest.mark.parametrize("text, expected", [
    ("association loi 1901", "Association"), ("SCIC SAS", "SCIC"), ("mairie", "Collectivité"),
    ("SARL", "Entreprise"), ("scop", "SCOP")])
def test_legal_forms_map_to_the_observatory_list(text, expected):
    assert match_legal_status(text) == expected
    assert expected in LEGAL_STATUSES


def test_commune_names_normalise_saints_articles_and_case():
    assert commune_key("St Jean du Falga") == commune_key("SAINT-JEAN-DU-FALGA")
    assert commune_key("Le Mas-d'Azil") == commune_key("Mas-d'Azil (Le)") == "mas d azil"
    assert commune_key("Foix (09)") == "foix"


# --- parsers -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("3,5", (3.5, None)), ("3.5", (3.5, None)), ("4", (4.0, None)), ("0", (0.0, None)),
    ("3,5/4", (3.5, None)), ("3.4999999999", (3.5, None)), ("3,3", (3.5, 3.3)),
    ("2,2", (2.0, 2.2)), ("3,75", (4.0, 3.75))])
def test_scores_accept_decimal_commas_and_round_other_decimals_to_half_points(text, expected):
    assert parse_score(text) == expected


@pytest.mark.parametrize("text, message", [
    ("trois", "pas une note chiffrée"), ("5", "hors de l'échelle"), ("-1", "hors de l'échelle"),
    ("3,5,1", "pas une note"), ("nan", "pas une note"), ("inf", "pas une note")])
def test_scores_reject_words_and_values_off_the_scale(text, message):
    with pytest.raises(Invalid, match=message):
        parse_score(text)


def test_score_in_words_suggests_the_digit():
    with pytest.raises(Invalid) as caught:
        parse_score("trois")
    assert caught.value.suggestion == "Écrivez 3."


@pytest.mark.parametrize("text, expected", [
    ("2025-03-12", date(2025, 3, 12)), ("12/03/2025", date(2025, 3, 12)),
    ("12-03-2025", date(2025, 3, 12)), ("12.03.25", date(2025, 3, 12)),
    ("45728", date(2025, 3, 12)), ("2025-03-12 00:00:00", date(2025, 3, 12))])
def test_dates_in_iso_french_or_excel_serial_form(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize("text, message", [
    ("31/02/2025", "pas une date"), ("mars 2025", "pas une date"),
    ("01/01/2030", "dans le futur")])
def test_bad_dates_are_explained(text, message):
    with pytest.raises(Invalid, match=message):
        parse_date(text, TODAY)


def test_opening_years():
    assert parse_year("2012", TODAY) == 2012
    assert parse_year("2012.0", TODAY) == 2012
    assert parse_year("01/09/2012", TODAY) == 2012
    with pytest.raises(Invalid, match="dans le futur"):
        parse_year("2027", TODAY)
    with pytest.raises(Invalid, match="antérieure à 1900"):
        parse_year("1850", TODAY)
    with pytest.raises(Invalid, match="pas une année"):
        parse_year("douze", TODAY)


@pytest.mark.parametrize("text, expected", [
    ("09225", "09225"), ("9225", "09225"), ("9225.0", "09225"), ('="09225"', "09225"),
    ("0", None), ("", None), ("2a004", "2A004")])
def test_insee_codes_repaired_after_excel(text, expected):
    assert parse_insee(text) == expected


def test_formula_detection_spares_negative_numbers():
    assert looks_like_formula('=HYPERLINK("http://x")')
    assert looks_like_formula("@SUM(A1)")
    assert looks_like_formula("+cmd|' /C calc'!A0")
    assert not looks_like_formula("-1,5")
    assert not looks_like_formula("+33 5 61 00 00 00")  # a phone number, not a formula
    assert not looks_like_formula("Café")


# --- templates ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["places", "evaluations"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_templates_have_french_headers_that_map_onto_themselves(kind, fmt):
    data = template(kind, fmt)
    table = read_table(data, f"modele.{fmt}")
    assert list(table.index) == [2]  # one example row
    mapping = suggest_mapping(table.columns, kind)
    stored = {f.key: f.label for f in fields(kind) if f.stored}
    assert {k: v for k, v in mapping.items() if v} == stored


def test_csv_template_is_what_french_excel_opens():
    data = template("places", "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: accents survive Excel
    first_line = data.decode("utf-8-sig").splitlines()[0]
    assert first_line.startswith("Nom du lieu;Commune;Code INSEE;Latitude;Longitude")


def test_xlsx_template_keeps_insee_as_text_and_offers_typology_list():
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(template("places", "xlsx")))
    assert workbook.sheetnames == ["Lieux", "Listes", "Aide"]
    sheet = workbook["Lieux"]
    assert sheet["C2"].value == "09324" and sheet["C2"].number_format == "@"
    assert any("Listes" in str(dv.formula1) for dv in sheet.data_validations.dataValidation)
    help_rows = [row[0] for row in workbook["Aide"].iter_rows(values_only=True)]
    assert "Typologie" in help_rows


def test_unknown_template_format_or_kind():
    with pytest.raises(ValueError, match="Format de modèle inconnu"):
        template("places", "ods")
    with pytest.raises(ValueError, match="Type d'import inconnu"):
        template("consortia", "csv")


def test_duplicated_headers_are_not_mapped_to_a_score_and_the_importer_is_told():
    table = read_table("Nom du lieu;Communs;Communs;Commune\nLa Forge;3;1;Foix\n".encode(),
                       "notes.csv")
    assert list(table.columns) == ["Nom du lieu", "Communs", "Communs (2)", "Commune"]
    mapping = suggest_mapping(table.columns, "places")
    assert mapping["commons"] is None
    assert mapping["commune"] == "Commune"  # « Communs (2) » is not taken for it either
    [warning] = mapping_warnings(table.columns, "places")
    assert warning.startswith("Les colonnes « Communs » et « Communs (2) » portent le même "
                              "nom : aucune n'est associée au champ « Création de communs »")


def test_a_sixth_criterion_gets_its_import_column(monkeypatch):
    """The score fields are built from ``CRITERIA``: a sixth criterion is not silently
    dropped by a zip with the five example scores."""
    from observatory.importing import mapping
    from observatory.model import CRITERIA, Criterion

    sixth = Criterion("care", "Attention aux personnes", "Attention", "Prend soin de chacun.")
    monkeypatch.setattr(mapping, "CRITERIA", (*CRITERIA, sixth))
    score_fields = mapping._criterion_fields()
    assert [f.key for f in score_fields] == [c.key for c in (*CRITERIA, sixth)]
    assert score_fields[-1].label == "Attention aux personnes" and score_fields[-1].example


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_template_downloaded_elsewhere_shows_a_commune_of_that_territory(fmt, tmp_path):
    """The Lot's analyst downloads the template: its example row is in the Lot (the most
    populated commune of the perimeter), not in Varilhes, Ariège; it reads back as a valid
    row of that territory, pointed out as the example to delete."""
    from pathlib import Path

    from observatory import bootstrap
    from observatory.importing import template_filename, territory_example, validate_file
    from observatory.store import db
    from observatory.store import territory as store_territory
    from observatory.territory.config import load_territory_config

    lot = Path(__file__).resolve().parent / "fixtures" / "territory" / "lot.toml"
    path = tmp_path / "lot.duckdb"
    bootstrap.init_database(path, load_territory_config(lot), with_demo=False)
    with db.session(path, read_only=True) as con:
        communes = store_territory.communes(con)
    example = territory_example(communes)
    assert example["commune"] == "Cahors" and example["insee"] == "46042"
    data = template("places", fmt, example)
    table = read_table(data, f"modele.{fmt}")
    row = table.iloc[0].to_dict()
    assert row["Commune"] == "Cahors" and row["Code INSEE"] == "46042"
    assert "Varilhes" not in row.values()
    report = validate_file(data, f"modele.{fmt}", "places", communes=communes)
    assert report.ok, report.problem_table
    assert report.records[0].place["insee"] == "46042"
    assert template_filename("places", fmt) == f"modele_import_lieux.{fmt}"
