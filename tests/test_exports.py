"""Exports read back by independent readers: pyogrio/geopandas, openpyxl, frictionless / csv.

The PDF and the HTML map have their own files (test_exports_pdf.py, test_exports_html.py);
the fixtures below are shared with them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import replace

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest

from observatory import exports
from observatory.bundle import Bundle
from observatory.exports import common, datapackage, excel, geo
from observatory.model import CRITERIA_KEYS
from observatory.store import db, live
from observatory.territory import source

FORMULA_NAME = '=HYPERLINK("http://x","y")'
HTML_NAME = "<img src=x onerror=alert(1)>"
SQL_NAME = "'); DROP TABLE places; --"
LONG_NAME = "Lieu au nom interminable " + "et encore plus long " * 20
HOSTILE = (FORMULA_NAME, HTML_NAME, SQL_NAME, LONG_NAME)
CONTACT_MARK = "joignable-"  # every test contact looks like joignable-<id>@exemple.test


def with_places(bundle: Bundle, places: pd.DataFrame, **changes) -> Bundle:
    return replace(bundle, tables=dict(bundle.tables, places=places), **changes)


def load_bundle(demo_db) -> Bundle:
    """The 42 demonstration places (read-only), with recognisable contacts to track
    personal data. Shared by test_exports_pdf.py and test_exports_html.py."""
    con = db.connect(demo_db, read_only=True)
    try:
        bundle = live.bundle(con, label="Bilan 2026", created_by="Équipe PETR")
    finally:
        con.close()
    places = bundle.places.copy()
    places["contact"] = [f"{CONTACT_MARK}{i}@exemple.test" for i in places["id"]]
    return with_places(bundle, places)


def hostile(bundle: Bundle) -> Bundle:
    """Four places renamed with hostile names; the first two are mature ones."""
    places = bundle.places.sort_values("mature", ascending=False).reset_index(drop=True)
    places.loc[: len(HOSTILE) - 1, "name"] = HOSTILE
    return with_places(bundle, places)


@pytest.fixture(scope="module")
def bundle(demo_db) -> Bundle:
    return load_bundle(demo_db)


@pytest.fixture(scope="module")
def hostile_bundle(bundle) -> Bundle:
    return hostile(bundle)


def _layer_names(path) -> set[str]:
    return {name for name, _ in pyogrio.list_layers(path)}


# Registry --------------------------------------------------------------------------------

def test_registry_offers_the_six_formats_with_extension_mime_and_french_label():
    assert set(exports.FORMATS) == {"pdf", "xlsx", "gpkg", "geojson", "csv", "html"}
    for fmt in exports.FORMATS.values():
        assert fmt.extension.startswith(".") and "/" in fmt.mime and fmt.label


def test_unknown_format_is_refused_with_a_french_message(bundle):
    with pytest.raises(exports.ExportError, match="Format inconnu"):
        exports.build(bundle, "docx")


def test_download_name_is_ascii_and_carries_the_extension(bundle):
    assert exports.filename(replace(bundle, label="Bilan 2026 (élus)"), "xlsx") == \
        "observatoire-bilan-2026-elus.xlsx"


# GeoPackage and GeoJSON ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def gpkg_path(bundle, tmp_path_factory):
    path = tmp_path_factory.mktemp("gpkg") / "observatoire.gpkg"
    path.write_bytes(exports.build(bundle, "gpkg"))
    return path


def test_geopackage_has_places_communes_and_epci_layers_in_lambert93(gpkg_path):
    assert _layer_names(gpkg_path) == {"lieux", "communes", "epci"}
    counts = {"lieux": 42, "communes": 325, "epci": 8}
    for layer, count in counts.items():
        info = pyogrio.read_info(gpkg_path, layer=layer)
        assert info["crs"] == "EPSG:2154"
        assert info["features"] == count
    assert pyogrio.read_info(gpkg_path, layer="lieux")["geometry_type"] == "Point"
    assert pyogrio.read_info(gpkg_path, layer="epci")["geometry_type"] == "MultiPolygon"


def test_geopackage_places_carry_scores_and_maturity_but_no_contact(gpkg_path):
    places = gpd.read_file(gpkg_path, layer="lieux")
    criteria = {geo.gis_name("places", key) for key in CRITERIA_KEYS}
    assert {"nom", "commune", "score_moyen", "mature", *criteria} <= set(places.columns)
    assert "contact" not in places.columns
    assert int(places["mature"].sum()) == 12
    assert places["thematiques"].str.contains("|", regex=False).all()  # lists joined with |


def test_geopackage_attributes_read_french_in_a_gis(gpkg_path):
    """The GIS colleague opens the layers in QGIS: French attribute names, no snake_case
    English (« mean_score », « in_perimeter », « innovative_response »)."""
    places = gpd.read_file(gpkg_path, layer="lieux")
    assert {"nom", "code_insee", "typologie", "statut_juridique", "annee_d_ouverture",
            "creation_de_communs", "reponse_innovante_aux_besoins", "dans_le_perimetre",
            "position_approximative"} <= set(places.columns)
    communes = gpd.read_file(gpkg_path, layer="communes")
    assert {"code_insee", "nom", "superficie_km2", "lieux", "lieux_matures"} <= set(
        communes.columns)
    english = {"name", "mean_score", "in_perimeter", "typology", "places", "area_km2",
               "is_demo", *CRITERIA_KEYS}
    for layer in ("lieux", "communes", "epci"):
        columns = set(gpd.read_file(gpkg_path, layer=layer).columns)
        assert not columns & english, (layer, columns & english)
        assert all(re.fullmatch(r"[a-z0-9_]+", c) for c in columns), columns


def test_geopackage_communes_and_epci_count_places_and_mature_places(gpkg_path):
    communes = gpd.read_file(gpkg_path, layer="communes")
    epci = gpd.read_file(gpkg_path, layer="epci")
    assert communes["lieux"].sum() == 42 and communes["lieux_matures"].sum() == 12
    assert epci["lieux"].sum() == 42 and epci["lieux_matures"].sum() == 12
    couserans = epci.set_index("siren").loc["200067940"]
    assert not couserans["dans_le_perimetre"] and couserans["lieux"] == 0


def test_geojson_places_are_wgs84_points_at_the_places_coordinates(bundle):
    read = gpd.read_file(io.BytesIO(exports.build(bundle, "geojson")))
    assert read.crs.to_epsg() == 4326
    assert len(read) == 42 and set(read.geom_type) == {"Point"}
    assert "contact" not in read.columns
    merged = read.merge(bundle.places[["id", "lon", "lat"]], on="id", suffixes=("", "_db"))
    assert (merged.geometry.x - merged["lon_db"]).abs().max() < 1e-9
    assert (merged.geometry.y - merged["lat_db"]).abs().max() < 1e-9


@pytest.mark.parametrize(("layer", "count"), [("communes", 325), ("epci", 8)])
def test_geojson_polygon_layers_count_the_places(bundle, layer, count):
    read = gpd.read_file(io.BytesIO(geo.build_geojson(bundle, layer)))
    assert read.crs.to_epsg() == 4326 and len(read) == count
    assert read["places"].sum() == 42 and read["mature_places"].sum() == 12


def test_geojson_unknown_layer_is_refused(bundle):
    with pytest.raises(ValueError, match="Couche inconnue"):
        geo.build_geojson(bundle, "routes")


# Excel -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workbook(hostile_bundle):
    return openpyxl.load_workbook(io.BytesIO(exports.build(hostile_bundle, "xlsx")))


def test_workbook_has_a_readme_then_one_sheet_per_table(workbook):
    assert workbook.sheetnames == [
        "Lisez-moi", "Lieux", "Évaluations", "Critères", "Règles de maturité", "EPCI",
        "Communes", "Consortiums", "Membres des consortiums", "Équipements",
        "Appels à projets", "Candidatures", "Indicateurs"]


def test_workbook_carries_the_calls_and_the_amounts_of_each_application(workbook,
                                                                        hostile_bundle):
    """The finance officer's sheets: each call's budget, each application's amounts, named."""
    calls = _rows(workbook["Appels à projets"])
    assert [c["Année"] for c in calls] == list(range(2023, 2029))
    assert all(isinstance(c["Budget (€)"], (int, float)) for c in calls)
    applications = _rows(workbook["Candidatures"])
    assert applications and all(a["Consortium"] for a in applications)
    assert {"Montant demandé (€)", "Montant accordé (€)", "Statut"} <= set(applications[0])
    granted = sum(a["Montant accordé (€)"] or 0 for a in applications)
    expected = hostile_bundle.tables["applications"]["amount_granted"].fillna(0).sum()
    assert granted == expected > 0
    sheet = workbook["Candidatures"]
    column = {c.value: c.column for c in sheet[1]}
    assert sheet.cell(row=2, column=column["Montant accordé (€)"]).number_format.endswith('€"')


def test_workbook_sheets_have_french_headers_frozen_and_every_row(workbook, bundle):
    places = workbook["Lieux"]
    headers = [c.value for c in places[1]]
    assert headers[:4] == ["Identifiant", "Nom", "Code INSEE", "Commune"]
    assert {"Ancrage territorial", "Gouvernance et leadership partagé", "Mature"} <= set(headers)
    assert places.max_row == 1 + 42
    assert workbook["Évaluations"].max_row == 1 + len(bundle.tables["evaluations"])
    assert workbook["Communes"].max_row == 1 + 325
    for name in workbook.sheetnames[1:]:
        sheet = workbook[name]
        if sheet.max_column > 1:
            assert sheet.freeze_panes == "A2", name
    assert places.column_dimensions["B"].width > 10


def test_workbook_readme_describes_every_column_of_every_sheet(workbook):
    readme = {(row[0], row[2]) for row in workbook["Lisez-moi"].iter_rows(values_only=True)}
    for name in workbook.sheetnames[1:]:
        sheet = workbook[name]
        if sheet.max_column > 1:
            for cell in sheet[1]:
                assert (name, cell.value) in readme, (name, cell.value)


def _rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_workbook_names_the_places_and_consortia_it_refers_to(workbook, hostile_bundle):
    """The finance officer reads « Le Moulin Solidaire », not « 26 »: every reference to a
    place, a consortium or an equipment item has its name beside it."""
    places = hostile_bundle.places
    names = dict(zip(places["id"], places["name"], strict=True))
    evaluation = _rows(workbook["Évaluations"])[0]
    assert evaluation["Nom du lieu"] == names[evaluation["N° du lieu"]]
    consortium = _rows(workbook["Consortiums"])[0]
    assert consortium["Lieu chef de file"] == names[consortium["N° du chef de file"]]
    assert consortium["Membres"].split("|") == [
        names[int(i)] for i in consortium["N° des membres"].split("|")]
    member = _rows(workbook["Membres des consortiums"])[0]
    assert member["Lieu"] == names[member["N° du lieu"]] and member["Consortium"].startswith(
        "Réseau")
    item = _rows(workbook["Équipements"])[0]
    assert item["Lieu propriétaire"] == names[item["N° du lieu propriétaire"]]


def test_workbook_shows_no_english_identifier(workbook):
    """« consortia_formed », « commons »: keys for programs, not for the finance officer."""
    for sheet in ("Critères", "Indicateurs"):
        rows = _rows(workbook[sheet])
        assert "Clé" not in rows[0], sheet
        assert not any(re.fullmatch(r"[a-z]+(_[a-z]+)+|commons", str(v))
                       for row in rows for v in row.values()), sheet
    assert [r["Indicateur"] for r in _rows(workbook["Indicateurs"])] == [
        "Consortiums constitués", "Équipements mutualisés", "Équipements itinérants"]


def test_workbook_keeps_hostile_names_as_text_never_as_formulas(workbook):
    sheet = workbook["Lieux"]
    names = {cell.value: cell for (cell,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2)}
    assert set(HOSTILE) <= set(names)
    assert names[FORMULA_NAME].data_type == "s"
    formulas = [c.coordinate for ws in workbook for row in ws.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []


def test_workbook_numbers_and_dates_are_typed(workbook):
    sheet = workbook["Lieux"]
    column = {c.value: c.column for c in sheet[1]}
    score = sheet.cell(row=2, column=column["Score moyen"])
    assert isinstance(score.value, float) and score.number_format == "0.00"
    assert sheet.cell(row=2, column=column["Mature"]).value in {"Oui", "Non"}
    assert sheet.cell(row=2, column=column["Dernière évaluation"]).is_date


def test_workbook_readme_carries_the_rule_and_the_demo_warning(workbook):
    text = " ".join(str(r[0]) for r in workbook["Lisez-moi"].iter_rows(values_only=True))
    assert "Règle de maturité : Un lieu est mature" in text and "**" not in text
    assert "Données de démonstration" in text


# CSV and data package ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def package_dir(hostile_bundle, tmp_path_factory):
    folder = tmp_path_factory.mktemp("datapackage")
    with zipfile.ZipFile(io.BytesIO(exports.build(hostile_bundle, "csv"))) as archive:
        archive.extractall(folder)
    return folder


def test_data_package_is_valid_for_frictionless(package_dir):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(package_dir / "datapackage.json"))
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "note"])[:10]


PARSERS = {"integer": int, "number": float, "string": str,
           "boolean": lambda v: {"true": True, "false": False}[v],
           "date": lambda v: pd.Timestamp(v).date(),
           "datetime": lambda v: pd.Timestamp(v)}


def test_every_resource_matches_its_schema(package_dir):
    """The check frictionless does, by hand: files, headers, types, licence."""
    package = json.loads((package_dir / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"][0]["title"] == "Licence Ouverte / Etalab 2.0"
    assert "démonstration" in package["description"]
    assert {r["name"] for r in package["resources"]} >= {"lieux", "evaluations", "communes",
                                                        "epci", "consortiums", "indicateurs"}
    for resource in package["resources"]:
        with open(package_dir / resource["path"], encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        fields = resource["schema"]["fields"]
        assert rows[0] == [f["name"] for f in fields], resource["name"]
        assert all(f["title"] and f["description"] for f in fields)
        for row in rows[1:]:
            for value, field in zip(row, fields, strict=True):
                if value:
                    PARSERS[field["type"]](value)
    with open(package_dir / "lieux.csv", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 42


def test_excel_variant_is_semicolon_separated_utf8_with_bom(package_dir):
    raw = (package_dir / "excel" / "lieux.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    with open(package_dir / "lieux.csv", encoding="utf-8", newline="") as handle:
        plain = list(csv.reader(handle))
    assert rows[0] == plain[0] and len(rows) == len(plain) == 43
    score = rows[0].index("mean_score")
    assert "," in rows[1][score] or rows[1][score].isdigit()  # French decimal comma


def test_csv_neutralises_formulas_and_keeps_other_hostile_names(package_dir):
    with open(package_dir / "lieux.csv", encoding="utf-8") as handle:
        names = {row["name"] for row in csv.DictReader(handle)}
    assert "'" + FORMULA_NAME in names and FORMULA_NAME not in names
    assert {HTML_NAME, LONG_NAME, SQL_NAME} <= names
    assert not any(re.match(r"^[=+\-@]", n) for n in names)


def test_tables_of_a_newer_bundle_are_exported_too(bundle, tmp_path):
    calls = pd.DataFrame({"year": [2026], "budget": [50_000.0],
                          "opens_on": [dt.date(2026, 1, 15)],
                          "closes_on": [pd.Timestamp("2026-03-31")], "notes": ["=1+1"]})
    newer = replace(bundle, tables=dict(bundle.tables, calls=calls,
                                        future_table=pd.DataFrame({"value": [1, 2]})))
    book = openpyxl.load_workbook(io.BytesIO(excel.build_workbook(newer)))
    assert {"Appels à projets", "future_table"} <= set(book.sheetnames)
    assert book["Appels à projets"]["C2"].is_date
    assert book["Appels à projets"]["E2"].value == "=1+1"
    assert book["Appels à projets"]["E2"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(datapackage.build_zip(newer))) as archive:
        archive.extractall(tmp_path)
        assert archive.read("appels.csv").decode().splitlines()[1] == \
            "2026,50000.0,2026-01-15,2026-03-31,'=1+1"
    frictionless = pytest.importorskip("frictionless")
    assert frictionless.validate(str(tmp_path / "datapackage.json")).valid


# Personal data, every format -----------------------------------------------------------------

def poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        message = f"{tool} absent : installez le paquet Debian poppler-utils"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (obligatoire en CI)")
        pytest.skip(message)
    return found


def pdf_text(data: bytes, layout: bool = False) -> str:
    """Text of every page (pages separated by form feeds), by pdftotext."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        args = [poppler("pdftotext"), *(["-layout"] if layout else []), handle.name, "-"]
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def readable_text(fmt: str, data: bytes, tmp_path) -> str:
    """All the text of an export, through an independent reader."""
    if fmt == "pdf":
        return pdf_text(data)
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True)
                        for v in row if v is not None)
    if fmt == "gpkg":
        path = tmp_path / "read.gpkg"
        path.write_bytes(data)
        return " ".join(gpd.read_file(path, layer=name).to_csv() for name in _layer_names(path))
    if fmt == "csv":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return " ".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
    return data.decode("utf-8")


@pytest.mark.parametrize("fmt", sorted(exports.FORMATS))
def test_contacts_are_left_out_unless_explicitly_included(bundle, fmt, tmp_path):
    assert CONTACT_MARK not in readable_text(fmt, exports.build(bundle, fmt), tmp_path)
    included = readable_text(fmt, exports.build(bundle, fmt, include_contacts=True), tmp_path)
    assert f"{CONTACT_MARK}{int(bundle.places['id'].iloc[0])}@exemple.test" in included


def test_data_package_and_workbook_state_the_population_vintage(bundle):
    """The population columns and the sources say which populations légales (one source)."""
    package = datapackage.descriptor(bundle, common.export_tables(bundle))
    described = [f["description"] for r in package["resources"] for f in r["schema"]["fields"]
                 if f["name"] == "population"]
    assert described and all(source.POPULATION_VINTAGE in d for d in described)
    assert any(source.POPULATION_VINTAGE in s["title"] for s in package["sources"])
    book = openpyxl.load_workbook(io.BytesIO(excel.build_workbook(bundle)))
    readme = " ".join(str(c) for row in book["Lisez-moi"].iter_rows(values_only=True)
                      for c in row if c)
    assert source.POPULATION_COLUMN in readme and source.CITATION in readme


def test_data_package_and_workbook_describe_the_contact_column_when_included(bundle):
    package = datapackage.descriptor(bundle, common.export_tables(bundle))
    fields = {f["name"]: f for r in package["resources"] if r["name"] == "lieux"
              for f in r["schema"]["fields"]}
    assert "personnelle" in fields["contact"]["description"]
    book = openpyxl.load_workbook(io.BytesIO(excel.build_workbook(bundle, include_contacts=True)))
    assert "Contact" in [c.value for c in book["Lieux"][1]]


@pytest.mark.parametrize("fmt", sorted(exports.FORMATS))
def test_an_empty_filtered_view_still_exports(demo_db, fmt, tmp_path):
    con = db.connect(demo_db, read_only=True)
    try:
        empty = live.bundle(con, label="Vue filtrée", created_by="test", place_ids=[])
    finally:
        con.close()
    text = readable_text(fmt, exports.build(empty, fmt), tmp_path)
    assert text  # readable by the independent reader
    if fmt == "gpkg":
        path = tmp_path / "empty.gpkg"
        path.write_bytes(exports.build(empty, fmt))
        assert pyogrio.read_info(path, layer="lieux")["features"] == 0


# Valid but sparse data ---------------------------------------------------------------------

@pytest.fixture
def sparse_db(demo_db, tmp_path):
    """The demo database with one place without opening year nor « Orienté transitions »."""
    path = tmp_path / "sparse.duckdb"
    shutil.copy(demo_db, path)
    con = db.connect(path)
    try:
        place_id = con.execute("SELECT min(id) FROM places").fetchone()[0]
        con.execute("UPDATE places SET opening_year = NULL, transition_oriented = NULL "
                    "WHERE id = ?", [place_id])
    finally:
        con.close()
    return path, place_id


@pytest.mark.parametrize("fmt", sorted(exports.FORMATS))
def test_a_place_without_opening_year_nor_transition_flag_exports_in_every_format(
        sparse_db, fmt, tmp_path):
    path, place_id = sparse_db
    con = db.connect(path, read_only=True)
    try:
        sparse = live.bundle(con, label="Bilan", created_by="test")
    finally:
        con.close()
    data = exports.build(sparse, fmt)
    assert readable_text(fmt, data, tmp_path)
    if fmt == "csv":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            rows = {int(r["id"]): r for r in csv.DictReader(
                io.StringIO(archive.read("lieux.csv").decode("utf-8")))}
        assert rows[place_id]["transition_oriented"] == ""  # missing, not « false »
        assert rows[place_id]["opening_year"] == ""


def test_cli_exports_the_data_package_of_a_place_without_transition_flag(sparse_db, tmp_path):
    from observatory import cli

    path, _ = sparse_db
    out = tmp_path / "paquet.zip"
    assert cli.main(["export", "--db", str(path), "--current", "--format", "csv",
                     "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        assert "lieux.csv" in archive.namelist()


def test_the_communes_table_carries_their_postcodes_with_their_source(bundle):
    package = datapackage.descriptor(bundle, common.export_tables(bundle))
    (communes,) = [r for r in package["resources"] if r["name"] == "communes"]
    fields = {f["name"]: f for f in communes["schema"]["fields"]}
    assert fields["postcodes"]["description"] == source.POSTCODES_COLUMN
    table = common.export_tables(bundle)["communes"].set_index("insee")
    assert table.loc["09122", "postcodes"] == "09000"  # Foix
    assert any(source.DECOUPAGE_PACKAGE in s["title"] for s in package["sources"])


def test_the_communes_table_carries_their_typologies_described_in_french(bundle):
    package = datapackage.descriptor(bundle, common.export_tables(bundle))
    (communes,) = [r for r in package["resources"] if r["name"] == "communes"]
    fields = {f["name"]: f for f in communes["schema"]["fields"]}
    for name in ("mountain", "massif", "density", "rurality", "centrality"):
        assert "Observatoire des territoires" in fields[name]["description"] or (
            "Insee" in fields[name]["description"]), name
    table = common.export_tables(bundle)["communes"].set_index("insee")
    assert table.loc["09122", "massif"] == "Massif des Pyrénées"  # Foix
    assert table.loc["09225", "density"] == "Centres urbains intermédiaires"  # Pamiers
    assert any("Observatoire des territoires" in s["title"] for s in package["sources"])
