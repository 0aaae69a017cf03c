"""Postcodes name communes in an import, with the row's name or coordinates to decide.

In Ariège 09000 serves 23 communes (Foix, Soula…); 09300 serves 22 (Lavelanet…) and is also
Soula's INSEE code. The referential keeps each commune's postcodes, so all this is offline.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from observatory.importing import REJECTED, validate_file
from observatory.importing.communes import CommuneIndex, commune_key
from observatory.importing.mapping import fields
from observatory.importing.parsing import Invalid, parse_postcode
from observatory.store import db, places, territory

TODAY = date(2026, 6, 1)
LABEL = {f.key: f.label for f in fields("places")}
FOIX, SOULA, LAVELANET, PAMIERS = "09122", "09300", "09160", "09225"


@pytest.fixture(scope="module")
def referential(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        return territory.communes(con), places.current(con)
    finally:
        con.close()


def check(referential, rows):
    communes, stored = referential
    keys = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([LABEL[k] for k in keys])
    for row in rows:
        writer.writerow([row.get(k, "") for k in keys])
    return validate_file(buffer.getvalue().encode("utf-8"), "lieux.csv", "places",
                         communes=communes, existing_places=stored, today=TODAY)


def row(**values) -> dict[str, str]:
    return {"name": "Le Lieu", "typology": "Fablab"} | values


def centre(referential, insee: str) -> dict[str, str]:
    """The commune's inner point, as a file writes it (decimal commas)."""
    communes, _ = referential
    commune = communes.set_index("insee").loc[insee]
    return {"lat": str(commune["lat"]).replace(".", ","),
            "lon": str(commune["lon"]).replace(".", ",")}


def only_error(report) -> dict:
    (error,) = report.errors.to_dict(orient="records")
    return error


def commune_warnings(report, column="Code INSEE") -> list[str]:
    return report.warnings.loc[report.warnings["colonne"] == column, "problème"].tolist()


# --- the index -------------------------------------------------------------------------

def test_the_index_knows_each_communes_postcodes(referential):
    index = CommuneIndex(referential[0])
    assert index.postcodes(FOIX) == ("09000",)
    assert FOIX in index.by_postcode("09000") and SOULA in index.by_postcode("09000")
    assert len(index.by_postcode("09000")) == 23
    assert LAVELANET in index.by_postcode("09300") and SOULA not in index.by_postcode("09300")
    assert index.by_postcode("09122") == []  # Foix's INSEE code is nobody's postcode
    assert index.names(index.by_postcode("09300")).startswith("Lavelanet (09160), ")


def test_a_postcode_cell_survives_excel():
    assert parse_postcode("9000") == parse_postcode("9000.0") == parse_postcode("09000")
    assert parse_postcode(' ="09300" ') == "09300" and parse_postcode("") is None
    with pytest.raises(Invalid, match="code postal"):
        parse_postcode("Foix")


# --- 09300: Soula's INSEE code and Lavelanet's postcode ---------------------------------

def test_09300_with_the_name_soula_is_soula(referential):
    report = check(referential, [row(insee="09300", commune="Soula")])
    assert report.ok and report.records[0].place["insee"] == SOULA
    assert commune_warnings(report) == []  # the name confirms the INSEE reading


def test_09300_with_the_name_lavelanet_is_lavelanet(referential):
    report = check(referential, [row(insee="09300", commune="Lavelanet")])
    assert report.ok, report.problem_table.to_string()
    assert report.records[0].place["insee"] == LAVELANET
    (warning,) = commune_warnings(report)
    assert warning.startswith("09300 est le code INSEE de Soula (09300) et le code postal de "
                              "Lavelanet (09160)")
    assert warning.endswith("lu comme Lavelanet (09160), la commune indiquée.")


def test_09300_with_another_name_is_refused_naming_both_readings(referential):
    report = check(referential, [row(insee="09300", commune="Foix")])
    assert not report.ok and report.preview["action"].tolist() == [REJECTED]
    error = only_error(report)
    assert error["colonne"] == "Code INSEE" and error["valeur"] == "09300"
    assert "Soula (09300)" in error["problème"] and "Lavelanet (09160)" in error["problème"]
    assert "Foix (09122)" in error["problème"] and "ni l'un ni l'autre" in error["problème"]
    assert "09122" in error["suggestion"]


@pytest.mark.parametrize("insee, expected", [(LAVELANET, LAVELANET), (SOULA, SOULA)])
def test_09300_with_coordinates_is_the_commune_they_fall_in(referential, insee, expected):
    report = check(referential, [row(insee="09300", **centre(referential, insee))])
    assert report.ok, report.problem_table.to_string()
    assert report.records[0].place["insee"] == expected
    assert report.records[0].place["location_approximate"] is False


def test_09300_with_coordinates_elsewhere_is_refused(referential):
    report = check(referential, [row(insee="09300", **centre(referential, PAMIERS))])
    assert not report.ok
    error = only_error(report)
    assert "Soula (09300)" in error["problème"] and "Pamiers (09225)" in error["problème"]


def test_09300_alone_reads_the_insee_code_and_says_nothing_confirms_it(referential):
    report = check(referential, [row(insee="09300")])
    assert report.ok and report.records[0].place["insee"] == SOULA
    (warning,) = commune_warnings(report)
    assert "rien sur la ligne ne le confirme" in warning and "Lavelanet (09160)" in warning


# --- 09000: a postcode shared by 23 communes, nobody's INSEE code --------------------------

def test_09000_alone_needs_the_name_or_the_coordinates_and_says_so(referential):
    report = check(referential, [row(insee="09000")])
    assert not report.ok and report.preview["action"].tolist() == [REJECTED]
    error = only_error(report)
    assert error["problème"].startswith("Le code postal 09000 est commun à 23 communes (Foix "
                                        "(09122), ")
    assert "nom de la commune" in error["suggestion"] and "coordonnées" in error["suggestion"]
    assert "absent du référentiel" not in error["problème"]


def test_09000_with_foix_is_foix(referential):
    report = check(referential, [row(insee="09000", commune="Foix")])
    assert report.ok and report.records[0].place["insee"] == FOIX
    (warning,) = commune_warnings(report)
    assert warning == ("« 09000 » est un code postal, pas un code INSEE : lu comme Foix "
                       "(09122), la commune indiquée.")


def test_09000_with_a_commune_it_does_not_serve_is_refused(referential):
    report = check(referential, [row(insee="09000", commune="Pamiers")])
    assert not report.ok
    error = only_error(report)
    assert "09000 est le code postal de Foix (09122)" in error["problème"]
    assert "Pamiers (09225)" in error["problème"]


def test_09000_with_coordinates_is_the_commune_they_fall_in(referential):
    report = check(referential, [row(insee="09000", **centre(referential, SOULA))])
    assert report.ok and report.records[0].place["insee"] == SOULA
    report = check(referential, [row(insee="09000", **centre(referential, PAMIERS))])
    assert not report.ok
    assert "les coordonnées tombent dans Pamiers (09225)" in only_error(report)["problème"]


# --- the postcode column ----------------------------------------------------------------

def test_the_postcode_column_alone_names_a_commune_it_alone_serves(referential):
    communes, _ = referential
    report = check(referential, [row(postal_code="09000", commune="Foix")])
    assert report.ok and report.records[0].place["insee"] == FOIX
    report = check(referential, [row(postal_code="09000")])
    assert not report.ok
    assert only_error(report)["colonne"] == "Code postal"
    served = communes["postcodes"].str.split("|").explode().value_counts()
    unique = served[served == 1].index[0]
    insee = communes.loc[communes["postcodes"].str.contains(unique), "insee"].iloc[0]
    report = check(referential, [row(postal_code=unique)])
    assert report.ok and report.records[0].place["insee"] == insee


def test_a_postcode_column_that_disagrees_with_the_commune_is_pointed_out(referential):
    report = check(referential, [row(commune="Pamiers", postal_code="09000")])
    assert report.ok and report.records[0].place["insee"] == PAMIERS
    (warning,) = commune_warnings(report, "Code postal")
    assert warning == "Le code postal 09000 n'est pas celui de Pamiers (09225) (09100)."


def test_an_unknown_postcode_alone_is_an_error(referential):
    report = check(referential, [row(postal_code="09999")])
    assert not report.ok
    assert "Code postal 09999 absent du référentiel" in only_error(report)["problème"]


# --- official names, with or without their article ---------------------------------------

@pytest.mark.parametrize("official, typed", [
    ("Le Mas-d'Azil", "Mas-d'Azil"), ("Le Fossat", "Fossat"),
    ("La Tour-du-Crieu", "Tour-du-Crieu"), ("La Tour-du-Crieu", "TOUR DU CRIEU (LA)"),
    ("L'Aiguillon", "Aiguillon")])
def test_names_typed_without_their_article_resolve_to_the_official_name(referential, official,
                                                                       typed):
    communes, _ = referential
    assert official in set(communes["name"])
    report = check(referential, [row(commune=typed)])
    assert report.ok, report.problem_table.to_string()
    insee = report.records[0].place["insee"]
    assert communes.set_index("insee").loc[insee, "name"] == official
    assert commune_key(typed) == commune_key(official)
