"""Validation of a places file: one small bad file per rule, and what the store receives."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pandas as pd
import pytest

from observatory.importing import (
    ADD,
    PLACE_COLUMNS,
    REJECTED,
    SKIPPED,
    UNCHANGED,
    UPDATE,
    validate_file,
)
from observatory.importing.mapping import fields
from observatory.store import db, evaluations, places, territory

TODAY = date(2026, 6, 1)
LABEL = {f.key: f.label for f in fields("places")}


@pytest.fixture(scope="module")
def referential(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        return territory.communes(con), places.current(con)
    finally:
        con.close()


def places_csv(rows: list[dict[str, str]]) -> bytes:
    """A ';' CSV with the template's French headers, from rows keyed by field."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([LABEL[k] for k in keys])
    for row in rows:
        writer.writerow([row.get(k, "") for k in keys])
    return buffer.getvalue().encode("utf-8")


def check(referential, rows, *, existing=None, **options):
    communes, stored = referential
    return validate_file(places_csv(rows), "lieux.csv", "places", communes=communes,
                         existing_places=stored if existing is None else existing,
                         today=TODAY, **options)


def place(**values) -> dict[str, str]:
    base = {"name": "La Forge des Coteaux", "commune": "Pamiers", "typology": "Fablab"}
    return base | values


def problems(report, column=None):
    table = report.problem_table
    return table if column is None else table[table["colonne"] == column]


CENTRED = "Pas de coordonnées : le lieu est placé au centre"


def warnings_of(report, centred=False):
    """Warnings, without "placed at the commune centre" unless asked (rows here often lack
    coordinates on purpose)."""
    table = report.warnings
    return table if centred else table[~table["problème"].str.startswith(CENTRED)]


def only_problem(report, severity="erreur"):
    table = report.problem_table
    table = table[table["gravité"] == severity]
    if severity == "avertissement":
        table = table[~table["problème"].str.startswith(CENTRED)]
    assert len(table) == 1, table.to_string()
    return table.iloc[0]


# --- a good row --------------------------------------------------------------------------

def test_a_complete_row_becomes_a_place_record_ready_for_the_store(referential):
    report = check(referential, [place(
        insee="09225", lat="43,12838", lon="1,62761", legal_status="Association",
        opening_year="2015", transition_oriented="oui", thematics="fabrication | réemploi",
        website="www.forge.exemple.org", contact="forge@exemple.org", commons="3,5",
        innovative_response="3", collective_dynamic="2", territorial_anchoring="4",
        shared_governance="3", evaluated_on="12/03/2025", evaluator="Équipe PETR")])
    assert report.ok, report.problem_table.to_string()
    (record,) = report.records
    assert record.action == ADD and record.row == 2
    assert tuple(record.place) == PLACE_COLUMNS == places.PLACE_FIELDS
    assert record.place == {
        "name": "La Forge des Coteaux", "insee": "09225", "lon": 1.62761, "lat": 43.12838,
        "location_approximate": False, "typology": "Fablab", "legal_status": "Association",
        "opening_year": 2015, "transition_oriented": True,
        "thematics": ["fabrication", "réemploi"], "website": "https://www.forge.exemple.org",
        "contact": "forge@exemple.org", "is_demo": False}
    assert set(record.evaluation) == set(evaluations.FIELDS) - {"place_id"}
    assert record.evaluation["commons"] == 3.5
    assert record.evaluation["evaluated_on"] == date(2025, 3, 12)
    assert report.to_write() == [record]


def test_report_tables_have_french_columns(referential):
    report = check(referential, [place(name=""), place(name="Sans coordonnées")])
    assert list(report.errors.columns) == ["ligne", "colonne", "valeur", "problème",
                                          "suggestion"]
    assert list(report.warnings.columns) == list(report.errors.columns)
    assert report.summary() == "1 ligne prête (1 ajout), 1 en erreur, 1 avertissement."
    assert report.to_dict()["problems"][0]["ligne"] == 2
    assert json.loads(json.dumps(report.to_dict()))["counts"] == {REJECTED: 1, ADD: 1}
    assert list(report.preview["action"]) == [REJECTED, ADD]


# --- required fields ---------------------------------------------------------------------

def test_missing_name_and_typology_are_errors_with_the_row_the_user_sees(referential):
    report = check(referential, [place(), place(name="", typology="")])
    assert not report.ok
    errors = report.errors
    assert errors[["ligne", "colonne"]].values.tolist() == [[3, "Nom du lieu"],
                                                           [3, "Typologie"]]
    assert "Fablab, Coworking" in errors.iloc[1]["suggestion"]


def test_a_file_without_a_name_column_is_one_error_not_one_per_row(referential):
    communes, stored = referential
    data = b"Commune;Typologie\nPamiers;Fablab\nFoix;Fablab\n"
    report = validate_file(data, "f.csv", "places", communes=communes, existing_places=stored)
    problem = only_problem(report)
    assert problem["ligne"] == 1 and "Nom du lieu" in problem["problème"]


def test_no_commune_and_no_coordinates_is_an_error(referential):
    problem = only_problem(check(referential, [place(), place(name="Sans lieu", commune="")]))
    assert problem["problème"].startswith("Commune manquante")


# --- communes ----------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["Saint-Jean-du-Falga", "St Jean du Falga",
                                     "SAINT JEAN DU FALGA", "st-jean-du-falga (09)"])
def test_a_commune_name_alone_resolves_to_its_insee_code(referential, written):
    report = check(referential, [place(commune=written, lat="43,08667", lon="1,62897")])
    assert report.ok, report.problem_table.to_string()
    assert report.records[0].place["insee"] == "09265"


def test_commune_written_with_its_article_finds_the_referential_name(referential):
    report = check(referential, [place(commune="Le Mas-d'Azil")])
    assert report.records[0].place["insee"] == "09181"


def test_unknown_commune_suggests_the_closest_names(referential):
    problem = only_problem(check(referential, [place(commune="Sant-Jean-du-Falga")]))
    assert problem["colonne"] == "Commune"
    assert problem["problème"] == "Commune inconnue : « Sant-Jean-du-Falga »."
    assert "Saint-Jean-du-Falga (09265)" in problem["suggestion"]


def test_unknown_insee_code_suggests_the_code_of_the_named_commune(referential):
    problem = only_problem(check(referential, [place(insee="09999")]))
    assert "Code INSEE 09999 absent du référentiel" in problem["problème"]
    assert problem["suggestion"] == "D'après la commune, le code est 09225."


def test_malformed_insee_code(referential):
    problem = only_problem(check(referential, [place(insee="Pamiers")]))
    assert "n'est pas un code INSEE" in problem["problème"]


def test_insee_code_and_commune_name_that_disagree_are_an_error_naming_both(referential):
    report = check(referential, [place(insee="09122", commune="Pamiers")])
    assert not report.ok and report.records == []
    problem = only_problem(report)
    assert problem["colonne"] == "Code INSEE"
    assert problem["problème"] == ("Le code INSEE 09122 désigne Foix (09122), mais la "
                                   "commune indiquée est Pamiers (09225).")
    assert problem["suggestion"] == ("Corrigez le code INSEE (celui de Pamiers est 09225) "
                                     "ou la commune.")


def test_a_misspelt_commune_name_of_the_code_is_read_as_that_commune(referential):
    report = check(referential, [place(insee="09225", commune="Pamier")])
    assert report.ok
    assert report.records[0].place["insee"] == "09225"
    assert only_problem(report, "avertissement")["problème"] == (
        "Commune « Pamier » lue comme Pamiers (09225), la commune du code INSEE.")


def test_a_name_shared_by_two_communes_asks_for_the_insee_code(referential):
    communes, stored = referential
    twins = communes.copy()
    twins.loc[twins["insee"] == "09160", "name"] = "Pamiers"  # pretend Lavelanet is too
    report = validate_file(places_csv([place()]), "f.csv", "places", communes=twins,
                           existing_places=stored, today=TODAY)
    problem = only_problem(report)
    assert "Plusieurs communes s'appellent « Pamiers »" in problem["problème"]
    assert problem["suggestion"] == "Indiquez le code INSEE."


def test_commune_outside_the_perimeter_names_its_intercommunality(referential):
    problem = only_problem(check(referential, [place(commune="Saint-Girons")]))
    assert problem["problème"] == ("Saint-Girons (09261) est hors du périmètre "
                                   "(Communauté de communes Couserans-Pyrénées).")


def test_outside_the_perimeter_is_accepted_when_the_whole_referential_is(referential):
    report = check(referential, [place(commune="Saint-Girons")], perimeter_only=False)
    assert report.ok
    assert report.records[0].place["insee"] == "09261"


# --- coordinates -------------------------------------------------------------------------

def test_no_coordinates_places_the_point_at_the_commune_centre_marked_approximate(
        referential):
    communes, _ = referential
    report = check(referential, [place(commune="Mirepoix", address="Place du marché")])
    assert report.ok
    record = report.records[0].place
    centre = communes.set_index("insee").loc["09194", ["lon", "lat"]].tolist()
    assert [record["lon"], record["lat"]] == centre
    assert record["location_approximate"] is True
    (warning,) = warnings_of(report, centred=True).itertuples(index=False)
    warning = dict(zip(report.warnings.columns, warning, strict=True))
    assert warning["colonne"] == "Latitude / Longitude"
    assert "centre de sa commune" in warning["problème"]
    assert "pas géocodée hors ligne" in warning["problème"]


def test_coordinates_outside_say_how_far_and_the_nearest_commune(referential):
    problem = only_problem(check(referential, [place(commune="", lat="43,6045",
                                                     lon="1,4440")]))
    assert problem["colonne"] == "Latitude / Longitude"
    assert problem["valeur"] == "43,6045 ; 1,4440"
    assert problem["problème"].startswith("Coordonnées hors du périmètre : à ")
    km = float(problem["problème"].split("à ")[1].split(" km")[0].replace(",", "."))
    assert 25 < km < 45  # Toulouse lies about 35 km north-west of the PETR
    assert "commune la plus proche : " in problem["problème"]


def test_coordinates_in_couserans_say_which_commune_they_fall_in(referential):
    problem = only_problem(check(referential, [place(commune="", lat="42,9679",
                                                     lon="1,14187")]))
    assert "(dans Saint-Girons (09261))" in problem["problème"]


def test_swapped_latitude_and_longitude_are_detected_and_the_swap_suggested(referential):
    problem = only_problem(check(referential, [place(lat="1,62761", lon="43,12838")]))
    assert "semblent inversées" in problem["problème"] and "Pamiers" in problem["problème"]
    assert problem["suggestion"] == "Latitude = 43,12838 ; longitude = 1,62761."


def test_coordinates_in_another_commune_than_the_one_given_are_a_warning(referential):
    report = check(referential, [place(commune="Foix", lat="43,12838", lon="1,62761")])
    assert report.ok
    warning = only_problem(report, "avertissement")
    assert warning["problème"] == ("Les coordonnées tombent dans la commune Pamiers (09225), "
                                   "pas dans Foix (09122).")
    assert report.records[0].place["insee"] == "09122"  # the analyst's commune is kept


def test_coordinates_alone_give_the_commune(referential):
    report = check(referential, [place(commune="", lat="42,97068", lon="1,60409")])
    assert report.ok
    assert report.records[0].place["insee"] == "09122"


@pytest.mark.parametrize("lat, lon, message", [
    ("quarante-trois", "1,6", "n'est pas un nombre"),
    ("43,1", "", "La longitude manque"),
    ("430", "1,6", "hors des bornes")])
def test_malformed_coordinates(referential, lat, lon, message):
    assert message in only_problem(check(referential, [place(lat=lat, lon=lon)]))["problème"]


def test_lambert_93_coordinates_get_their_wgs84_translation(referential):
    problem = only_problem(check(referential, [place(lat="6224000", lon="590000")]))
    assert "Lambert-93" in problem["suggestion"]
    assert "latitude = 43," in problem["suggestion"]


# --- values ------------------------------------------------------------------------------

@pytest.mark.parametrize("year, message", [("2027", "dans le futur"),
                                           ("1850", "antérieure à 1900"),
                                           ("vers 2010", "n'est pas une année")])
def test_opening_year_out_of_range(referential, year, message):
    problem = only_problem(check(referential, [place(opening_year=year)]))
    assert problem["colonne"] == "Année d'ouverture" and message in problem["problème"]


def test_unknown_typology_and_legal_form_suggest_the_closest(referential):
    report = check(referential, [place(typology="Fabalb", legal_status="Asociation")])
    errors = report.errors.set_index("colonne")
    assert errors.loc["Typologie", "problème"] == "Typologie inconnue : « Fabalb »."
    assert errors.loc["Typologie", "suggestion"] == "Voulez-vous dire « Fablab » ?"
    assert errors.loc["Statut juridique", "suggestion"] == "Voulez-vous dire « Association » ?"


def test_source_typologies_are_translated(referential):
    report = check(referential, [place(typology="Espace de coworking"),
                                 place(name="Autre", typology="TIERS_LIEUX")])
    assert [r.place["typology"] for r in report.records] == ["Coworking",
                                                             "Tiers-lieu multi-activités"]


def test_scores_outside_the_scale_or_not_numbers_are_errors(referential):
    report = check(referential, [place(commons="5", innovative_response="trois",
                                       collective_dynamic="3,5", territorial_anchoring="3,3",
                                       shared_governance="-1")])
    errors = report.errors.set_index("colonne")
    assert errors.loc["Création de communs", "problème"] == ("La note 5 est hors de "
                                                             "l'échelle de 0 à 4.")
    assert errors.loc["Réponse innovante aux besoins", "suggestion"] == "Écrivez 3."
    assert "Gouvernance et leadership partagé" in errors.index
    warning = only_problem(report, "avertissement")
    assert warning["problème"] == "Note 3,3 arrondie au demi-point le plus proche : 3,5."


def test_bad_website_and_yes_no_answers(referential):
    report = check(referential, [place(website="javascript:alert(1)",
                                       transition_oriented="peut-être")])
    assert set(report.errors["colonne"]) == {"Site web", "Orienté transitions"}


# --- hostile text ------------------------------------------------------------------------

def test_html_and_script_in_names_are_kept_as_text_with_a_warning(referential):
    name = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    report = check(referential, [place(name=name)])
    assert report.ok
    assert report.records[0].place["name"] == name  # escaped where displayed, not here
    assert "code HTML" in only_problem(report, "avertissement")["problème"]


def test_spreadsheet_formulas_are_flagged_but_kept(referential):
    formula = '=HYPERLINK("http://malveillant.exemple","clic")'
    report = check(referential, [place(name=formula, contact="@SUM(1+1)")])
    assert report.ok
    assert report.records[0].place["name"] == formula
    warnings = warnings_of(report)
    assert set(warnings["colonne"]) == {"Nom du lieu", "Contact"}
    assert warnings.iloc[0]["problème"].startswith("Commence par « = » : une formule")


def test_sql_fragments_are_plain_text(referential):
    name = "Robert'); DROP TABLE places;--"
    report = check(referential, [place(name=name, contact="' OR 1=1 --")])
    assert report.ok and warnings_of(report).empty
    assert report.records[0].place["name"] == name


def test_overlong_fields_are_errors_and_shown_shortened(referential):
    report = check(referential, [place(name="A" * 201), place(name="B", contact="x" * 10_000)])
    errors = report.errors
    assert errors["problème"].tolist() == [
        "Texte trop long : 201 caractères pour 200 au plus.",
        "Texte trop long : 10\u202f000 caractères pour 500 au plus."]
    assert errors.iloc[1]["valeur"].endswith("(10\u202f000 caractères)")
    assert len(errors.iloc[1]["valeur"]) < 120


def test_the_template_example_row_is_pointed_out(referential):
    report = check(referential, [place(name="Atelier partagé du Plantaurel")])
    assert "ligne d'exemple du modèle" in only_problem(report, "avertissement")["problème"]


# --- duplicates in the file --------------------------------------------------------------

def test_an_identical_row_is_skipped_with_a_warning(referential):
    report = check(referential, [place(), place(name="Le Tiers"), place()])
    assert report.ok
    assert report.preview["action"].tolist() == [ADD, ADD, SKIPPED]
    assert only_problem(report, "avertissement")["problème"] == (
        "Ligne identique à la ligne 2 : elle est ignorée.")
    assert len(report.records) == 2


def test_the_same_place_twice_with_other_values_is_an_error(referential):
    report = check(referential, [place(), place(name="LA FORGE DES COTEAUX",
                                                opening_year="2015")])
    problem = only_problem(report)
    assert problem["ligne"] == 3
    assert problem["problème"] == ("Même lieu (nom et commune) que la ligne 2, avec "
                                   "d'autres valeurs.")


def test_two_rows_within_50_metres_are_a_possible_duplicate(referential):
    report = check(referential, [place(lat="43,12838", lon="1,62761"),
                                 place(name="Le Voisin", lat="43,12848", lon="1,62771")])
    assert report.ok
    warning = only_problem(report, "avertissement")
    assert warning["ligne"] == 3 and "du lieu de la ligne 2" in warning["problème"]


# --- against the store -------------------------------------------------------------------

def stored_place(referential, name="Atelier Couture & Réemploi"):
    _, stored = referential
    return stored[stored["name"] == name].iloc[0]


def test_a_stored_place_with_the_same_name_and_commune_is_updated(referential):
    stored = stored_place(referential)
    report = check(referential, [{"name": "atelier couture & reemploi", "commune": "Pamiers",
                                  "typology": "Atelier partagé", "opening_year": "2001"}])
    assert report.ok
    (record,) = report.records
    assert (record.action, record.place_id, record.version) == (UPDATE, stored["id"], 1)
    assert record.changes == {"typology": ("Ressourcerie", "Atelier partagé"),
                              "opening_year": (1999, 2001)}
    assert record.place["name"] == "Atelier Couture & Réemploi"  # the better spelling
    assert record.place["contact"] == stored["contact"]  # empty cells keep stored values
    assert record.place["lon"] == stored["lon"]  # no coordinates: the place does not move
    assert "le nom enregistré est gardé" in only_problem(report, "avertissement")["problème"]
    assert "Typologie : Ressourcerie → Atelier partagé" in report.preview.loc[0, "changements"]


def test_a_stored_place_given_as_it_is_is_unchanged(referential):
    stored = stored_place(referential)
    scores = {k: str(stored[k]).replace(".", ",") for k in
              ("commons", "innovative_response", "collective_dynamic",
               "territorial_anchoring", "shared_governance")}
    report = check(referential, [{"name": stored["name"], "insee": stored["insee"],
                                  "typology": stored["typology"], **scores}])
    assert [r.action for r in report.records] == [UNCHANGED]
    assert report.records[0].evaluation is None
    assert report.to_write() == []


def test_new_scores_for_a_stored_place_add_an_evaluation(referential):
    stored = stored_place(referential)
    report = check(referential, [{"name": stored["name"], "insee": stored["insee"],
                                  "typology": stored["typology"], "commons": "1",
                                  "evaluated_on": "01/05/2026"}])
    (record,) = report.records
    assert record.action == UPDATE and record.changes == {}
    assert record.evaluation["commons"] == 1.0
    assert record.evaluation["innovative_response"] is None
    assert "nouvelle évaluation du 01/05/2026" in report.preview.loc[0, "changements"]


def test_place_identifier_targets_a_stored_place_and_an_unknown_one_is_an_error(referential):
    stored = stored_place(referential)
    report = check(referential, [place(place_id=str(stored["id"])),
                                 place(name="Autre", place_id="99999")],
                   confirmed_renames=frozenset({2}))  # another name: a confirmed rename
    assert report.records[0].place_id == stored["id"]
    assert report.records[0].changes["name"][1] == "La Forge des Coteaux"
    problem = only_problem(report)
    assert problem["ligne"] == 3 and problem["problème"] == ("Aucun lieu n° 99999 dans "
                                                             "l'observatoire.")


def test_a_new_place_within_50_metres_of_a_stored_one_is_added_with_a_warning(referential):
    stored = stored_place(referential)
    lat = str(stored["lat"] + 0.0002).replace(".", ",")
    report = check(referential, [place(name="Nouvel atelier", lat=lat,
                                       lon=str(stored["lon"]).replace(".", ","))])
    assert report.ok and report.records[0].action == ADD
    warning = only_problem(report, "avertissement")
    assert "du lieu existant « Atelier Couture & Réemploi »" in warning["problème"]
    assert "doublon possible" in warning["problème"]


def test_a_stored_name_in_another_commune_is_added_with_a_warning(referential):
    report = check(referential, [place(name="Atelier Couture & Réemploi", commune="Foix")])
    assert report.records[0].action == ADD
    assert "même nom existe dans une autre commune" in only_problem(
        report, "avertissement")["problème"]


def test_reimporting_the_same_file_changes_nothing(referential):
    communes, _ = referential
    rows = [place(commons="3,5", shared_governance="2", evaluated_on="12/03/2025"),
            place(name="Le Tiers", commune="Mirepoix", lat="43,11555", lon="1,87678")]
    first = check(referential, rows, existing=pd.DataFrame())
    assert [r.action for r in first.records] == [ADD, ADD]
    store = as_store(first.records, communes)
    second = check(referential, rows, existing=store)
    assert second.counts() == {UNCHANGED: 2}
    assert second.to_write() == []


def as_store(records, communes) -> pd.DataFrame:
    """What ``store.places.current`` would return after writing ``records``."""
    names = communes.set_index("insee")["name"]
    rows = []
    for pid, record in enumerate(records, start=1000):
        evaluation = record.evaluation or {}
        rows.append({"id": pid, **record.place, "commune": names[record.place["insee"]],
                     "version": 1, "last_evaluated_on": evaluation.get("evaluated_on"),
                     **{k: evaluation.get(k) for k in ("commons", "innovative_response",
                                                       "collective_dynamic",
                                                       "territorial_anchoring",
                                                       "shared_governance")}})
    return pd.DataFrame(rows)


# --- options -----------------------------------------------------------------------------

def test_skip_outside_turns_outside_rows_into_skipped_warnings(referential):
    rows = [place(), place(name="Couserans", commune="Saint-Girons"),
            place(name="Toulouse", commune="", lat="43,6045", lon="1,4440")]
    report = check(referential, rows, skip_outside=True)
    assert report.ok
    assert report.preview["action"].tolist() == [ADD, SKIPPED, SKIPPED]
    assert report.summary() == "1 ligne prête (1 ajout), 2 hors territoire, 1 avertissement."


def test_validation_does_not_modify_the_frames_it_reads(referential):
    communes, stored = referential
    before = (communes.copy(), stored.copy())
    check(referential, [place(), place(name="Atelier Couture & Réemploi")])
    pd.testing.assert_frame_equal(communes, before[0])
    pd.testing.assert_frame_equal(stored, before[1])
