"""Imports from the national and regional lists (issue 14, section 2): known source families,
certain repairs, explanations, valid rows only, rows outside the territory, provenance."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from observatory import cli
from observatory.importing import (
    ADD,
    DROPPED,
    ERROR,
    LEFT_OUT,
    SKIPPED,
    UNCHANGED,
    UPDATE,
    read_table,
    recognise,
    territory_count_text,
    validate_file,
)
from observatory.importing.families import vintage_of_file
from observatory.store import db, imports, places, territory
from observatory.store import origins as store_origins
from tests import national_fixtures as nf

FIXTURES = Path(__file__).parent / "fixtures" / "import"
PUBLIC = Path(__file__).resolve().parents[2] / "shared" / "data" / "public"
FS_LIST = PUBLIC / "liste-fs-20240801.csv"
TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def communes(demo_db):
    with db.session(demo_db, read_only=True) as con:
        return territory.communes(con)


@pytest.fixture
def db_copy(demo_copy, monkeypatch):
    """The demonstration database on each back end (a DuckDB file, a PostgreSQL schema)."""
    monkeypatch.delenv("OBSERVATORY_DB", raising=False)
    return demo_copy


def check(communes, data: bytes, name: str, **options):
    return validate_file(data, name, "places", communes=communes, today=TODAY, **options)


def fs_extract() -> bytes:
    return (FIXTURES / "france_services_extrait.csv").read_bytes()


def problems_of(report, row: int):
    table = report.problem_table
    return table[table["ligne"] == row]


# --- families ------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "key"), [
    ("liste-fs-20240801.csv", fs_extract(), "france_services"),
    ("fs.geojson", (FIXTURES / "superposeur_fs_extrait.geojson").read_bytes(),
     "france_services"),
    ("cget.csv", nf.cget_2019(40), "cget_2019"),
    ("mednum.csv", (FIXTURES / "mediation_numerique_extrait.csv").read_bytes(),
     "mediation_numerique"),
    ("mednum-liste.json", nf.mediation_json(wrapped=False), "mediation_numerique"),
    ("mednum-data.json", nf.mediation_json(wrapped=True), "mediation_numerique"),
    ("reseau.xlsx", nf.regional_workbook(), "regional_list"),
])
def test_each_known_source_is_recognised_by_its_headers(name, data, key):
    family = recognise(read_table(data, name).columns)
    assert family is not None and family.key == key


def test_an_analysts_own_spreadsheet_is_no_known_source():
    data = "Nom du lieu;Commune;Typologie\nLe Bocal;Foix;Fablab\n".encode()
    assert recognise(read_table(data, "lieux.csv").columns) is None


def test_the_older_json_export_of_mediation_numerique_is_flattened_and_imported(communes):
    for wrapped in (False, True):
        report = check(communes, nf.mediation_json(wrapped), "lieux-mednum.json")
        assert report.ok, report.problem_table.to_string()
        pamiers, foix = report.records
        assert pamiers.place["insee"] == "09225"  # adresse.code_insee
        assert (pamiers.place["lat"], pamiers.place["lon"]) == (43.11642, 1.61062)
        assert pamiers.place["website"] == "https://numerique.pamiers.exemple.org"
        assert pamiers.place["contact"] == "numerique@pamiers.exemple.org ; +33561000000"
        assert pamiers.origin.record_id == "mednum-101"
        assert pamiers.origin.vintage == "2022-03-04"  # the record's date_maj
        assert foix.place["insee"] == "09122"  # code_insee 0, CP 9000, commune FOIX
        assert foix.place["typology"] == "France services"  # RFS


def test_a_france_services_row_keeps_its_id_publisher_and_the_lists_vintage(communes):
    report = check(communes, fs_extract(), "liste-fs-20240801.csv", skip_outside=True)
    foix = next(r for r in report.records if r.place["insee"] == "09122")
    assert foix.place["typology"] == "France services"
    assert foix.place["name"] == "France services de Foix"
    assert foix.origin.source == "france_services" and foix.origin.record_id == "2952"
    assert foix.origin.vintage == "2024-08-01"
    assert foix.origin.publisher.startswith("Agence nationale de la cohésion")
    assert set(foix.given) >= {"name", "commune", "coordinates", "typology", "contact"}
    # The e-mail and phone go to the contact field (personal data, exported with consent).
    assert "@" in foix.place["contact"] and ";" in foix.place["contact"]


def test_vintages_are_read_from_file_names():
    assert vintage_of_file("liste-fs-20240801.csv") == "2024-08-01"
    assert vintage_of_file("tiers-lieux-occitanie-2017.xlsx") == "2017"
    assert vintage_of_file("lieux.csv") is None


# --- repairs and explanations ---------------------------------------------------------------

def test_certain_repairs_are_listed_row_column_old_new_and_why(communes):
    report = check(communes, nf.cget_2019(40), "cget.csv", skip_outside=True)
    repairs = report.repair_table
    by = {(r.ligne, r.colonne): r for r in repairs.itertuples()}
    dep = by[(4, "INSEEDEP")]
    assert (dep.avant, dep.après) == ("9", "09")
    insee = by[(4, "Code INSEE")]
    assert (insee.avant, insee.après) == ("9225", "09225")
    assert "zéro initial perdu" in insee.raison and "département 09" in insee.raison
    assert (by[(4, "Code postal")].avant, by[(4, "Code postal")].après) == ("9100", "09100")
    assert (by[(6, "Code postal")].avant, by[(6, "Code postal")].après) == ("9500", "09500")
    zero = by[(5, "Code INSEE")]
    assert (zero.avant, zero.après) == ("0", "") and "absent" in zero.raison
    assert by[(6, "Typologie")].après == "Tiers-lieu multi-activités"
    assert "pas d'équivalent certain" in by[(6, "Typologie")].raison
    # Rows outside the territory are not repaired news: none of them is listed.
    assert repairs["ligne"].max() <= 11
    written = {r.row: r.place for r in report.records}
    assert written[4]["insee"] == "09225"
    assert written[5]["insee"] == "09324"  # INSEECOM and CP 0: the commune's name decides
    assert written[6]["insee"] == "09194"


def test_capitals_without_accents_and_an_address_on_two_lines_are_read(communes):
    report = check(communes, nf.cget_2019(40), "cget.csv", skip_outside=True)
    rows = {r.row: r.place for r in report.records}
    assert rows[7]["name"] == "Espace partagé de Foix"  # its ADRESSE spans two lines
    assert rows[7]["insee"] == "09122"  # NOMCOM « FOIX », INSEECOM 9122
    assert rows[9]["insee"] == "09282"  # « SAVERDUN »


def test_capwork_and_cap_work_at_verniolle_are_two_rows_of_the_cget_list(communes):
    report = check(communes, nf.cget_2019(40), "cget.csv", skip_outside=True)
    rows = {r.row: r for r in report.records}
    assert rows[2].place["name"] == "CapWork" and rows[3].place["name"] == "Cap Work"
    assert rows[2].place["insee"] == rows[3].place["insee"] == "09332"  # Verniolle
    assert rows[2].origin.record_id != rows[3].origin.record_id


def test_two_structures_in_one_name_are_said_not_split(communes):
    report = check(communes, nf.cget_2019(40), "cget.csv", skip_outside=True)
    (warning,) = [p for p in problems_of(report, 8).itertuples()
                  if "deux structures" in p.problème]
    assert "« Tiers-lieu de Lavelanet » et « Repair café d'Olmes »" in warning.problème
    assert "une ligne par lieu" in warning.suggestion
    assert sum(r.row == 8 for r in report.records) == 1


def test_an_overlay_feature_standing_for_two_france_services_is_refused_with_the_reason(
        communes):
    document = json.loads((FIXTURES / "superposeur_fs_extrait.geojson").read_bytes())
    girons = next(f for f in document["features"] if ";" in f["properties"]["id_territoire"])
    # The same feature, moved to Foix (inside the PETR) so that it is not skipped as outside.
    girons["properties"].update(id_geo="09122", lib_geo="Foix")
    girons["geometry"]["coordinates"] = [1.6069, 42.9653]
    document["features"] = [girons]
    report = check(communes, json.dumps(document).encode(), "superposeur.geojson")
    assert not report.ok and not report.records
    problem = report.errors.iloc[0]
    assert problem["ligne"] == 1 and problem["colonne"] == "Nom du lieu"
    assert "réunit 2 structures (fs-54, fs-2709" in problem["problème"]
    assert "liste nationale des France services" in problem["suggestion"]


def test_a_row_that_cannot_be_repaired_is_explained_with_row_column_value_reason_fix(
        communes):
    data = nf.regional_workbook()
    report = check(communes, data, "reseau.xlsx")
    toulouse = problems_of(report, 5).iloc[0]
    assert (toulouse["colonne"], toulouse["valeur"], toulouse["gravité"]) == (
        "Commune", "Toulouse", ERROR)
    assert "hors des départements chargés" in toulouse["problème"]
    assert toulouse["suggestion"]


# --- valid rows only ------------------------------------------------------------------------

def test_valid_rows_only_leaves_the_rows_in_error_out_and_keeps_the_others(communes):
    blocked = check(communes, nf.regional_workbook(), "reseau.xlsx")
    assert not blocked.ok and len(blocked.records) == 3
    report = check(communes, nf.regional_workbook(), "reseau.xlsx", valid_rows_only=True)
    assert report.ok
    assert report.preview["action"].tolist() == [ADD, ADD, ADD, LEFT_OUT]
    assert report.left_out == [5]
    assert set(problems_of(report, 5)["gravité"]) == {DROPPED}
    assert report.left_out_text() == ("1 ligne en erreur écartée : les lignes valides seront "
                                      "importées")
    assert "1 écartée" in report.summary()


def test_valid_rows_only_does_not_hide_a_file_level_error(communes):
    data = "Commune;Code INSEE\nFoix;09122\n".encode()
    report = check(communes, data, "lieux.csv", valid_rows_only=True)
    assert not report.ok  # no name column: the whole file, not a row


# --- outside the territory -----------------------------------------------------------------

def test_the_whole_cget_list_restricted_to_the_territory(communes):
    data = nf.cget_2019()
    assert len(read_table(data, "cget.csv")) == 1512
    report = check(communes, data, "cget.csv", skip_outside=True)
    assert report.ok
    assert report.counts() == {ADD: 9, SKIPPED: 1503}
    assert len(report.outside) == 1503 and len(report.outside_table) == 1503
    assert report.outside_text() == "1\u202f503 lignes hors territoire (ignorées)"
    girons = report.outside_table.set_index("ligne").loc[10]
    assert girons["nom"] == "Coworking du Couserans" and "hors du périmètre" in girons["raison"]
    assert not (report.problem_table["gravité"] == ERROR).any()


def test_france_services_extract_rows_in_the_territory(communes):
    report = check(communes, fs_extract(), "liste-fs-20240801.csv", skip_outside=True)
    assert report.ok
    total, outside = len(report.preview), len(report.outside)
    assert (total, outside) == (18, 7)  # 14 in Ariège, 3 of them in the Couserans
    assert territory_count_text(total - outside, total) == (
        "11 lignes sur 18 sont dans le territoire")


@pytest.mark.skipif(not FS_LIST.is_file(), reason="../shared/data/public absent (CI clone)")
def test_the_real_france_services_list_restricted_to_the_territory(communes):
    report = check(communes, FS_LIST.read_bytes(), FS_LIST.name, skip_outside=True)
    assert report.ok
    assert len(report.preview) == 2845
    assert len(report.records) == 11 and len(report.outside) == 2834
    assert territory_count_text(11, 2845) == "11 lignes sur 2\u202f845 sont dans le territoire"


def test_territory_count_sentences():
    assert territory_count_text(1, 20) == "1 ligne sur 20 est dans le territoire"
    assert territory_count_text(0, 2845) == "Aucune ligne sur 2\u202f845 n'est dans le territoire"


# --- the store: provenance, newer vintages, failures ----------------------------------------

def write(path, data: bytes, name: str, **options):
    with db.session(path) as con:
        report = imports.preview(con, data, name, "places", skip_outside=True, **options)
    assert report.ok, report.problem_table.to_string()
    written = imports.write(lambda: db.session(path), report, "Claire")
    return report, written


def counts(path) -> dict[str, int]:
    with db.session(path, read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("places", "place_sources", "field_provenance", "audit_log")}


def test_each_imported_place_keeps_its_source_record_and_field_provenance(db_copy):
    _, written = write(db_copy, fs_extract(), "liste-fs-20240801.csv")
    assert written["added"] == 11
    with db.session(db_copy, read_only=True) as con:
        recs = store_origins.sources(con)
        fields = store_origins.field_sources(con)
        foix = recs[recs["record_id"] == "2952"].iloc[0]
        place = places.get(con, int(foix["place_id"]))
    assert len(recs) == 11 and set(recs["source"]) == {"france_services"}
    assert (foix["file_name"], foix["vintage"]) == ("liste-fs-20240801.csv", "2024-08-01")
    assert place["name"] == "France services de Foix"
    mine = fields[fields["place_id"] == foix["place_id"]].set_index("field")
    assert {"name", "commune", "coordinates", "typology"} <= set(mine.index)
    assert set(mine["source"]) == {"france_services"} and set(mine["record_id"]) == {"2952"}


def test_a_newer_vintage_updates_the_same_places_never_duplicates_them(db_copy, tmp_path):
    write(db_copy, fs_extract(), "liste-fs-20240801.csv")
    before = counts(db_copy)
    newer = fs_extract().decode().replace('"France services de Foix"',
                                          '"France services du Pays de Foix"')
    newer = newer.replace('"France services de Varilhes"', '"FRANCE SERVICES DE VARILHES"')
    report, written = write(db_copy, newer.encode(), "liste-fs-20250301.csv")
    assert written == {"added": 0, "updated": 1, "evaluations": 0}
    rows = report.preview.set_index("nom")
    assert rows.loc["France services du Pays de Foix", "action"] == UPDATE
    assert rows.loc["France services du Pays de Foix", "correspondance"] == (
        "mis à jour : même identifiant dans la source")
    varilhes = report.preview[report.preview["source"].str.endswith("n° 2017")].iloc[0]
    assert varilhes["action"] == UNCHANGED  # in capitals: the stored spelling is kept
    assert varilhes["nom"] == "France services de Varilhes"
    after = counts(db_copy)
    assert after["places"] == before["places"] and after["place_sources"] == 11
    with db.session(db_copy, read_only=True) as con:
        recs = store_origins.sources(con).set_index("record_id")
        assert recs.loc["2952", "vintage"] == "2025-03-01"
        renamed = places.get(con, int(recs.loc["2952", "place_id"]))
    assert renamed["name"] == "France services du Pays de Foix"
    rename = problems_of(report, report.preview.set_index("nom").loc[
        "France services du Pays de Foix", "ligne"]).iloc[0]
    assert "Même identifiant de source" in rename["problème"]


def test_a_new_place_of_a_newer_vintage_is_new(db_copy):
    write(db_copy, fs_extract(), "liste-fs-20240801.csv")
    with db.session(db_copy) as con:
        report = imports.preview(con, fs_extract(), "liste-fs-20240901.csv", "places",
                                 skip_outside=True)
    assert set(report.preview.loc[report.preview["action"] != SKIPPED, "correspondance"]) == {
        "inchangé : même identifiant dans la source"}


def test_a_field_edited_in_the_application_is_kept_by_a_re_import(db_copy):
    write(db_copy, fs_extract(), "liste-fs-20240801.csv")
    with db.session(db_copy) as con:
        recs = store_origins.sources(con).set_index("record_id")
        pid = int(recs.loc["2952", "place_id"])
        place = places.get(con, pid)
        places.update(con, pid, {"name": "Maison France services de Foix"},
                      int(place["version"]), "Claire")
        _, fields = store_origins.of_place(con, pid)
    assert fields.set_index("field").loc["name", "source"] == "manual"
    newer = fs_extract().decode().replace('"France services de Foix"',
                                          '"France services du Pays de Foix"')
    report, written = write(db_copy, newer.encode(), "liste-fs-20250301.csv")
    assert written["updated"] == 0
    with db.session(db_copy, read_only=True) as con:
        assert places.get(con, pid)["name"] == "Maison France services de Foix"
    kept = report.warnings[report.warnings["problème"].str.startswith("Saisi dans")]
    assert "nom" in kept.iloc[0]["problème"]


def test_a_failed_import_writes_nothing_not_even_its_provenance(db_copy, monkeypatch):
    before = counts(db_copy)
    with db.session(db_copy) as con:
        report = imports.preview(con, fs_extract(), "liste-fs-20240801.csv", "places",
                                 skip_outside=True)

    def broken(*args, **kwargs):
        raise RuntimeError("disque plein")

    monkeypatch.setattr(store_origins, "record_fields", broken)
    with pytest.raises(RuntimeError):
        imports.write(lambda: db.session(db_copy), report, "Claire")
    assert counts(db_copy) == before


def test_a_file_with_errors_writes_nothing(db_copy):
    before = counts(db_copy)
    with db.session(db_copy) as con:
        report = imports.preview(con, nf.regional_workbook(), "reseau.xlsx", "places")
        assert not report.ok
        with pytest.raises(ValueError), db.transaction(con):
            imports.apply(con, report, "Claire")
    assert counts(db_copy) == before


def test_a_regional_list_records_its_publisher_and_built_ids(db_copy):
    _, written = write(db_copy, nf.regional_workbook(), "reseau-occitanie-2017.xlsx",
                       valid_rows_only=True, publisher="Réseau des tiers-lieux d'Occitanie")
    assert written["added"] == 3
    with db.session(db_copy, read_only=True) as con:
        recs = store_origins.sources(con)
    assert set(recs["source"]) == {"regional_list"}
    assert set(recs["publisher"]) == {"Réseau des tiers-lieux d'Occitanie"}
    assert set(recs["vintage"]) == {"2017"}
    assert "la maison du lien|mirepoix" in set(recs["record_id"])


# --- command line ---------------------------------------------------------------------------

def test_cli_imports_the_territorys_rows_and_lists_the_others(capsys, db_copy, tmp_path):
    source = tmp_path / "cget-2019.csv"
    source.write_bytes(nf.cget_2019())
    outside = tmp_path / "hors.csv"
    code = cli.main(["import", "places", str(source), "--db", str(db_copy), "--skip-outside",
                     "--valid-rows-only", "--outside-list", str(outside), "--by", "Claire"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Source reconnue : Liste nationale des tiers-lieux (CGET 2019" in out
    assert "1\u202f503 lignes hors territoire (ignorées)." in out
    assert "Réparé : ligne 4 | Code INSEE : « 9225 » → « 09225 »" in out
    assert "Écrit : 9 lieux ajoutés" in out
    assert len(outside.read_text(encoding="utf-8").splitlines()) == 1504
    assert counts(db_copy)["place_sources"] == 9


def test_cli_valid_rows_only_writes_the_valid_rows(capsys, db_copy, tmp_path):
    source = tmp_path / "reseau.xlsx"
    source.write_bytes(nf.regional_workbook())
    code = cli.main(["import", "places", str(source), "--db", str(db_copy), "--by", "Claire"])
    assert code == 2 and counts(db_copy)["place_sources"] == 0
    capsys.readouterr()
    code = cli.main(["import", "places", str(source), "--db", str(db_copy), "--by", "Claire",
                     "--valid-rows-only", "--publisher", "Réseau régional"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 ligne en erreur écartée" in out and "Écrit : 3 lieux ajoutés" in out


# --- exports --------------------------------------------------------------------------------

def test_exports_carry_the_sources_and_the_field_provenance(db_copy):
    import io
    import zipfile

    from openpyxl import load_workbook

    from observatory import exports
    from observatory.store import live

    write(db_copy, fs_extract(), "liste-fs-20240801.csv")
    with db.session(db_copy) as con:
        pid = int(store_origins.sources(con).set_index("record_id").loc["2952", "place_id"])
        place = places.get(con, pid)
        places.update(con, pid, {"website": "https://foix.exemple.org"},
                      int(place["version"]), "Claire")
        bundle = live.bundle(con, label="Vue actuelle", created_by="Claire")
    row = bundle.places.set_index("id").loc[pid]
    assert row["sources"] == ("France services (ANCT) n° 2952 (2024-08-01, "
                              "liste-fs-20240801.csv)")
    assert "nom : France services (ANCT)" in row["provenance"]
    assert "site web : saisie" in row["provenance"]

    archive = zipfile.ZipFile(io.BytesIO(exports.build(bundle, "csv")))
    package = json.loads(archive.read("datapackage.json"))
    fields = {f["name"]: f for r in package["resources"] if r["name"] == "lieux"
              for f in r["schema"]["fields"]}
    assert fields["sources"]["title"] == "Sources"
    assert fields["provenance"]["title"] == "Provenance des champs"
    assert "« saisie »" in fields["provenance"]["description"]
    csv_name = next(n for n in archive.namelist() if n.endswith("lieux.csv"))
    assert "France services (ANCT) n° 2952" in archive.read(csv_name).decode("utf-8")

    book = load_workbook(io.BytesIO(exports.build(bundle, "xlsx")), read_only=True)
    header = next(book["Lieux"].iter_rows(max_row=1, values_only=True))
    assert "Sources" in header and "Provenance des champs" in header

    geojson = json.loads(exports.build(bundle, "geojson"))
    properties = next(f["properties"] for f in geojson["features"]
                      if "2952" in str(f["properties"].get("sources", "")))
    assert "coordonnées : France services (ANCT)" in properties["provenance"]


def test_cli_json_report_of_a_national_list_follows_its_schema(capsys, db_copy, tmp_path):
    import jsonschema

    source = tmp_path / "cget-2019.csv"
    source.write_bytes(nf.cget_2019(60))
    code = cli.main(["import", "places", str(source), "--db", str(db_copy), "--skip-outside",
                     "--dry-run", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    schema = json.loads((Path(__file__).resolve().parents[1] / "docs" / "schemas"
                         / "import.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    assert document["family"].startswith("Liste nationale des tiers-lieux (CGET 2019")
    assert {"ligne": 4, "colonne": "Code INSEE", "avant": "9225", "après": "09225"}.items() \
        <= next(r for r in document["repairs"] if r["colonne"] == "Code INSEE").items()
    assert len(document["outside"]) == 51 and document["left_out"] == []


def test_the_place_form_records_what_it_changed_as_typed_by_hand(db_copy):
    from observatory.service import places as place_cases

    write(db_copy, fs_extract(), "liste-fs-20240801.csv")
    with db.session(db_copy) as con:
        pid = int(store_origins.sources(con).set_index("record_id").loc["2017", "place_id"])
        place = places.current(con).set_index("id").loc[pid]
        values = {k: place[k] for k in ("name", "insee", "lat", "lon", "typology",
                                        "legal_status", "opening_year", "transition_oriented",
                                        "website", "contact")}
        values.update(thematics="", place_id=pid, website="https://varilhes.exemple.org")
        report, written = place_cases.save_place_form(con, values, int(place["version"]),
                                                      actor="Dana")
        assert report.ok and written["updated"] == 1, report.problem_table.to_string()
        _, fields = store_origins.of_place(con, pid)
    by_field = fields.set_index("field")["source"]
    assert by_field["website"] == "manual"
    assert by_field["name"] == by_field["coordinates"] == "france_services"


def test_one_record_id_twice_in_a_file_is_said(communes):
    text = fs_extract().decode()
    lines = text.splitlines(keepends=True)
    foix = next(line for line in lines if line.startswith('"2952"'))
    foix = foix.replace("France services de Foix", "Antenne France services de Foix")
    report = check(communes, (text + foix).encode(), "liste-fs-20240801.csv", skip_outside=True)
    said = report.warnings[report.warnings["problème"].str.startswith("Même identifiant")]
    assert "(n° 2952)" in said.iloc[0]["problème"]


def test_quoted_fields_spanning_several_lines_stay_in_their_row():
    table = read_table(fs_extract(), "liste-fs-20240801.csv")
    assert len(table) == 18
    rows = table.set_index("id_fs")
    assert rows.loc["2632", "adresse"].startswith("27 Avenue Robert Schuman")
    assert rows.loc["426", "commentaire"].startswith("Sur rendez-vous les mardis")
    assert rows.loc["426", "format_fs"] and rows.loc["2632", "lib_com"]  # columns not shifted
