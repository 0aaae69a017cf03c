"""Imports that would have corrupted the store silently (issue 10): a shifted identifier
column, a postcode in the INSEE column, ignored rows that still block, and re-imports that
degrade the stored names. Validation level, then the CLI end to end."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date

import pytest

from observatory import cli
from observatory.importing import ADD, REJECTED, SKIPPED, UNCHANGED, UPDATE, validate_file
from observatory.importing.mapping import fields
from observatory.store import db, places, territory

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


def stored(referential, pid: int) -> dict:
    _, frame = referential
    return frame[frame["id"] == pid].iloc[0].to_dict()


def as_row(place: dict, **values) -> dict[str, str]:
    """A file row describing a stored place (as an export would)."""
    def fr(x):
        return str(x).replace(".", ",")
    return {"place_id": str(place["id"]), "name": place["name"], "commune": place["commune"],
            "insee": place["insee"], "lat": fr(place["lat"]), "lon": fr(place["lon"]),
            "typology": place["typology"]} | values


def errors_of(report, column=None):
    table = report.errors
    return table if column is None else table[table["colonne"] == column]


# --- 1. a shifted identifier column ------------------------------------------------------

def shifted(referential, ids=(1, 2, 3)) -> list[dict[str, str]]:
    """Rows of three places whose identifier column moved down by one after a sort."""
    rows = [as_row(stored(referential, pid)) for pid in ids]
    shifted_ids = [rows[-1]["place_id"]] + [r["place_id"] for r in rows[:-1]]
    return [r | {"place_id": pid} for r, pid in zip(rows, shifted_ids, strict=True)]


def test_a_shifted_identifier_column_is_refused_not_three_silent_renames(referential):
    report = check(referential, shifted(referential))
    assert not report.ok
    assert report.preview["action"].tolist() == [REJECTED] * 3
    assert report.to_write() == []
    first = errors_of(report, "Nom du lieu").iloc[0]
    assert first["ligne"] == 2
    assert first["problème"] == ("L'identifiant 3 désigne « L'Établi Partagé » (n° 3, "
                                 "Esclagne), pas « La Fabrique des Possibles » (Besset).")
    assert "renommage" in first["suggestion"]
    assert [(r.row, r.place_id, r.old_name, r.new_name) for r in report.renames] == [
        (2, 3, "L'Établi Partagé", "La Fabrique des Possibles"),
        (3, 1, "La Fabrique des Possibles", "Le Bocal à Idées"),
        (4, 2, "Le Bocal à Idées", "L'Établi Partagé")]
    assert not any(r.confirmed for r in report.renames)


def test_a_rename_confirmed_for_its_row_is_an_update(referential):
    place = stored(referential, 1)
    rows = [as_row(place, name="La Fabrique des Possibles et des Communs")]
    refused = check(referential, rows, confirmed_renames=frozenset({3}))  # another row
    assert not refused.ok
    report = check(referential, rows, confirmed_renames=frozenset({2}))
    assert report.ok, report.problem_table.to_string()
    (record,) = report.records
    assert (record.action, record.place_id) == (UPDATE, 1)
    assert record.changes == {"name": ("La Fabrique des Possibles",
                                       "La Fabrique des Possibles et des Communs")}
    assert [(r.row, r.confirmed) for r in report.renames] == [(2, True)]


def test_the_same_name_under_its_identifier_needs_no_confirmation(referential):
    place = stored(referential, 1)
    report = check(referential, [as_row(place, opening_year="2012")])
    assert report.ok and report.renames == []
    assert report.records[0].action == UPDATE


def test_changes_table_shows_each_update_field_by_field(referential):
    place = stored(referential, 1)
    report = check(referential, [as_row(place, typology="Fablab", opening_year="2012",
                                        thematics="réemploi | numérique")])
    table = report.changes_table
    assert list(table.columns) == ["ligne", "action", "identifiant", "lieu", "champ",
                                   "avant", "après"]
    rows = table.to_dict(orient="records")
    assert {"ligne": 2, "action": UPDATE, "identifiant": 1,
            "lieu": "La Fabrique des Possibles", "champ": "Typologie",
            "avant": "Tiers-lieu multi-activités", "après": "Fablab"} in rows
    by_field = {r["champ"]: (r["avant"], r["après"]) for r in rows}
    assert by_field["Année d'ouverture"][1] == "2012"
    assert by_field["Thématiques"][1] == "réemploi | numérique"


def test_changes_table_shows_what_a_refused_rename_would_change(referential):
    report = check(referential, shifted(referential))
    table = report.changes_table
    first = table[table["ligne"] == 2].set_index("champ")
    assert set(first["action"]) == {"renommage à confirmer"}
    assert first.loc["Nom du lieu", ["avant", "après"]].tolist() == [
        "L'Établi Partagé", "La Fabrique des Possibles"]
    assert first.loc["Commune", ["avant", "après"]].tolist() == [
        "Esclagne (09115)", "Besset (09052)"]
    # one change for the pair, saying how far the place would move: the giveaway of a shift
    assert "Latitude" not in first.index
    assert first.loc["Coordonnées", "après"].endswith("(déplacé de 10,7\u00a0km)")


def test_an_empty_changes_table_keeps_its_columns(referential):
    report = check(referential, [{"name": "Nouveau lieu", "commune": "Pamiers",
                                  "typology": "Fablab"}])
    assert report.changes_table.empty
    assert "champ" in report.changes_table.columns


# --- 2. a postcode in the INSEE column ---------------------------------------------------
# (the whole rule, with the hostile cases, in tests/test_importing_postcodes.py)

@pytest.mark.parametrize("commune, postcode, designated, named", [
    ("Lavelanet", "09300", "Soula (09300)", "Lavelanet (09160)"),
    ("Lézat-sur-Lèze", "09210", "Montoulieu (09210)", "Lézat-sur-Lèze (09167)"),
    ("Mazères", "09270", "Saint-Martin-d'Oydes (09270)", "Mazères (09185)")])
def test_a_code_that_is_also_the_named_communes_postcode_is_read_as_the_postcode(
        referential, commune, postcode, designated, named):
    """The name decides between the two readings, and says which one it took."""
    report = check(referential, [{"name": "Le Lieu", "commune": commune, "insee": postcode,
                                  "typology": "Fablab"}])
    assert report.ok, report.problem_table.to_string()
    assert report.records[0].place["insee"] == named.split("(")[1].rstrip(")")
    (warning,) = report.warnings[report.warnings["colonne"] == "Code INSEE"].to_dict(
        orient="records")
    assert designated in warning["problème"] and named in warning["problème"]
    assert "code postal" in warning["problème"]


@pytest.mark.parametrize("commune, postcode, designated", [
    ("Foix", "09300", "Soula (09300)"),
    ("Pamiers", "09210", "Montoulieu (09210)")])
def test_a_code_that_designates_neither_the_named_commune_nor_its_postcode_is_an_error(
        referential, commune, postcode, designated):
    report = check(referential, [{"name": "Le Lieu", "commune": commune, "insee": postcode,
                                  "typology": "Fablab"}])
    assert not report.ok
    assert report.preview["action"].tolist() == [REJECTED]
    (error,) = errors_of(report).to_dict(orient="records")
    assert designated in error["problème"] and commune in error["problème"]
    assert "code postal" in error["problème"]


def test_a_postcode_of_a_commune_outside_is_not_skipped_as_outside(referential):
    # 09100 is the postcode of Pamiers and the INSEE code of Couflens (Couserans): with the
    # name Foix it is neither, an error (not a row skipped as outside)
    report = check(referential, [{"name": "Le Lieu", "commune": "Foix", "insee": "09100",
                                  "typology": "Fablab"}], skip_outside=True)
    assert not report.ok
    assert report.preview["action"].tolist() == [REJECTED]
    (error,) = errors_of(report).to_dict(orient="records")
    assert "Couflens (09100)" in error["problème"] and "Pamiers (09225)" in error["problème"]
    assert "Foix (09122)" in error["problème"]
    # with Pamiers, the postcode reading holds: a place in the perimeter
    report = check(referential, [{"name": "Le Lieu", "commune": "Pamiers", "insee": "09100",
                                  "typology": "Fablab"}], skip_outside=True)
    assert report.ok and report.records[0].place["insee"] == "09225"


def test_a_code_whose_communes_do_not_contain_the_coordinates_is_an_error(referential):
    # 09300 is Soula's INSEE code and Lavelanet's postcode; the point is in Pamiers
    report = check(referential, [{"name": "Le Lieu", "insee": "09300", "lat": "43,1165",
                                  "lon": "1,6107", "typology": "Fablab"}])
    assert not report.ok
    (error,) = errors_of(report).to_dict(orient="records")
    assert "Soula (09300)" in error["problème"] and "Pamiers (09225)" in error["problème"]
    assert "Lavelanet (09160)" in error["problème"]  # the other reading is named too


def test_a_code_and_a_name_that_agree_are_accepted(referential):
    report = check(referential, [{"name": "Le Lieu", "commune": "Lavelanet",
                                  "insee": "09160", "typology": "Fablab"}])
    assert report.ok
    assert report.records[0].place["insee"] == "09160"


# --- 3. ignored rows are ignored ---------------------------------------------------------

def test_rows_skipped_as_outside_do_not_block_with_their_own_errors(referential):
    rows = [{"name": "Dedans", "commune": "Pamiers", "typology": "Fablab"},
            {"name": "Dehors", "commune": "Saint-Girons", "typology": "BIB",
             "commons": "neuf"},
            {"name": "Toulouse", "insee": "31555", "typology": "", "opening_year": "vers"},
            {"name": "Toulouse", "insee": "31555", "typology": "Fablab"}]
    report = check(referential, rows, skip_outside=True)
    assert report.ok, report.errors.to_string()
    assert report.preview["action"].tolist() == [ADD, SKIPPED, SKIPPED, SKIPPED]
    assert report.errors.empty
    skipped = report.warnings[report.warnings["ligne"] > 2]
    assert skipped["suggestion"].eq("Ligne ignorée.").all()
    assert len(skipped) == 3  # one reason per ignored row, nothing else


def test_the_summary_counts_errors(referential):
    report = check(referential, [{"name": "", "commune": "Pamiers", "typology": "BIB"},
                                 {"name": "Bon", "commune": "Pamiers", "typology": "Fablab"}])
    assert report.summary() == ("1 ligne prête (1 ajout), 1 en erreur (2 erreurs), "
                                "1 avertissement.")
    communes, existing = referential
    empty = validate_file(b"Commune;Typologie\nPamiers;Fablab\n", "f.csv", "places",
                          communes=communes, existing_places=existing)
    assert empty.summary() == "0 ligne prête, 1 erreur."


# --- 4. folded names never degrade a stored name ----------------------------------------

@pytest.mark.parametrize("written", ["Le Bocal a Idees", "LE BOCAL A IDEES",
                                     "le bocal à idées", "Le Bocal à Idees"])
def test_a_poorer_spelling_of_the_stored_name_does_not_overwrite_it(referential, written):
    place = stored(referential, 2)
    for row in ({"name": written, "commune": "Mirepoix", "typology": "Coworking"},
                as_row(place, name=written)):
        report = check(referential, [row])
        assert report.ok
        (record,) = report.records
        assert record.place["name"] == "Le Bocal à Idées"
        assert "name" not in record.changes
        warning = report.warnings[report.warnings["colonne"] == "Nom du lieu"].iloc[0]
        assert "« Le Bocal à Idées »" in warning["problème"]
        assert "gardé" in warning["problème"]


def test_a_better_spelling_of_the_stored_name_replaces_it(referential):
    communes, frame = referential
    poor = frame.copy()
    poor.loc[poor["id"] == 2, "name"] = "LE BOCAL A IDEES"
    report = check(referential, [{"name": "Le Bocal à Idées", "commune": "Mirepoix",
                                  "typology": "Coworking"}], existing=poor)
    (record,) = report.records
    assert record.action == UPDATE
    assert record.changes == {"name": ("LE BOCAL A IDEES", "Le Bocal à Idées")}
    assert report.changes_table["champ"].tolist() == ["Nom du lieu"]


def test_the_same_name_is_unchanged(referential):
    place = stored(referential, 2)
    report = check(referential, [as_row(place)])
    assert report.records[0].action == UNCHANGED and report.warnings.empty


# --- the CLI -----------------------------------------------------------------------------

def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_db(demo_db, tmp_path, monkeypatch):
    monkeypatch.delenv("OBSERVATORY_DB", raising=False)
    path = tmp_path / "observatory.duckdb"
    shutil.copy(demo_db, path)
    return path


def test_cli_refuses_a_shifted_identifier_column_and_writes_nothing(capsys, cli_db,
                                                                     referential, tmp_path):
    source = tmp_path / "lieux.csv"
    source.write_bytes(places_csv(shifted(referential)))
    code, out, err = run(capsys, "import", "places", str(source), "--db", str(cli_db))
    assert code == 2
    assert "3 en erreur" in out and "L'identifiant 3 désigne" in out
    assert "--confirm-rename 2" in out
    con = db.connect(cli_db, read_only=True)
    try:
        assert places.current(con).set_index("id").loc[3, "name"] == "L'Établi Partagé"
    finally:
        con.close()


def test_cli_dry_run_shows_updates_field_by_field(capsys, cli_db, referential, tmp_path):
    source = tmp_path / "lieux.csv"
    source.write_bytes(places_csv([as_row(stored(referential, 1), typology="Fablab")]))
    code, out, _ = run(capsys, "import", "places", str(source), "--db", str(cli_db),
                       "--dry-run")
    assert code == 0
    assert ("ligne 2 | mise à jour | n° 1 « La Fabrique des Possibles » | Typologie : "
            "Tiers-lieu multi-activités → Fablab") in out
    code, out, _ = run(capsys, "import", "places", str(source), "--db", str(cli_db),
                       "--dry-run", "--json")
    changes = json.loads(out)["changes"]
    assert changes == [{"ligne": 2, "action": UPDATE, "identifiant": 1,
                        "lieu": "La Fabrique des Possibles", "champ": "Typologie",
                        "avant": "Tiers-lieu multi-activités", "après": "Fablab"}]


def test_cli_confirm_rename_writes_the_confirmed_row(capsys, cli_db, referential, tmp_path):
    source = tmp_path / "lieux.csv"
    source.write_bytes(places_csv([as_row(stored(referential, 1), name="La Fabrique"),
                                   as_row(stored(referential, 2), name="Le Bocal")]))
    code, out, _ = run(capsys, "import", "places", str(source), "--db", str(cli_db),
                       "--confirm-rename", "2")
    assert code == 2 and "1 en erreur" in out  # row 3 still asks for confirmation
    code, out, err = run(capsys, "import", "places", str(source), "--db", str(cli_db),
                         "--confirm-rename", "2", "--confirm-rename", "3", "--by", "test")
    assert code == 0, out + err
    con = db.connect(cli_db, read_only=True)
    try:
        names = places.current(con).set_index("id")["name"]
        assert (names[1], names[2]) == ("La Fabrique", "Le Bocal")
    finally:
        con.close()


def test_cli_skip_outside_imports_a_national_list_with_broken_rows_outside(capsys, cli_db,
                                                                          tmp_path):
    source = tmp_path / "cget.csv"
    source.write_bytes(places_csv([
        {"name": "Dedans", "commune": "Pamiers", "typology": "Fablab"},
        {"name": "Dehors", "insee": "31555", "typology": "BIB"}]))
    code, out, err = run(capsys, "import", "places", str(source), "--db", str(cli_db),
                         "--skip-outside", "--by", "test")
    assert code == 0, out + err
    assert out.startswith("1 ligne prête (1 ajout), 1 hors territoire")


def test_coordinates_outside_for_a_commune_inside_are_an_error_not_a_skipped_row(referential):
    # Pamiers is in the perimeter; the point is in Toulouse
    for row in ({"name": "Le Lieu", "commune": "Pamiers", "lat": "43,6045", "lon": "1,4440",
                 "typology": "Fablab"},
                {"name": "Le Lieu", "insee": "09225", "lat": "43,6045", "lon": "1,4440",
                 "typology": "Fablab"}):
        report = check(referential, [row], skip_outside=True)
        assert report.preview["action"].tolist() == [REJECTED]
        (error,) = errors_of(report).to_dict(orient="records")
        assert error["problème"].startswith("Coordonnées hors du périmètre")
        assert error["problème"].endswith("Or la commune de la ligne, Pamiers (09225), est "
                                          "dans le périmètre.")


def test_an_unknown_code_with_a_commune_of_the_referential_is_not_skipped(referential):
    report = check(referential, [{"name": "Le Lieu", "commune": "Foix", "insee": "31555",
                                  "typology": "Fablab"}], skip_outside=True)
    assert report.preview["action"].tolist() == [REJECTED]
    assert errors_of(report).iloc[0]["suggestion"] == "D'après la commune, le code est 09122."


# --- the place form: an edit of that very place ------------------------------------------

@pytest.mark.parametrize("name", ["Le Grand Bocal", "Le bocal à idées"])
def test_the_place_form_renames_or_respells_the_place_it_edits(referential, name):
    from observatory import editing

    communes, frame = referential
    place = stored(referential, 2)
    values = {"place_id": 2, "name": name, "insee": place["insee"], "lat": place["lat"],
              "lon": place["lon"], "typology": place["typology"]}
    report = editing.check_place(values, communes, frame, int(place["version"]))
    assert report.ok, report.problem_table.to_string()
    (record,) = report.records
    assert record.action == UPDATE and record.changes == {"name": ("Le Bocal à Idées", name)}


def test_a_confirmed_row_takes_its_name_as_written(referential):
    report = check(referential, [as_row(stored(referential, 2), name="LE BOCAL A IDEES")],
                   confirmed_renames=frozenset({2}))
    assert report.records[0].changes == {"name": ("Le Bocal à Idées", "LE BOCAL A IDEES")}


def test_a_code_equal_to_the_postcode_with_nothing_to_confirm_it_is_pointed_out(referential):
    report = check(referential, [{"name": "Le Lieu", "insee": "09300",
                                  "postal_code": "09300", "typology": "Fablab"}])
    warning = report.warnings[report.warnings["colonne"] == "Code INSEE"].iloc[0]
    assert warning["problème"].startswith("09300 est le code INSEE de Soula (09300) et le code "
                                          "postal de Lavelanet (09160), ")
    assert warning["problème"].endswith(" : lu comme le code INSEE de Soula (09300), mais "
                                        "rien sur la ligne ne le confirme.")
    assert report.records[0].place["insee"] == "09300"


def test_cli_says_which_encoding_it_chose(capsys, cli_db, referential, tmp_path):
    source = tmp_path / "lieux.csv"
    row = as_row(stored(referential, 1), name="Cœur de la Fabrique")
    source.write_bytes(places_csv([row]).decode("utf-8").encode("iso-8859-15"))
    code, out, _ = run(capsys, "import", "places", str(source), "--db", str(cli_db),
                       "--dry-run", "--confirm-rename", "2")
    assert "Note : " in out and "ISO-8859-15" in out
    code, out, _ = run(capsys, "import", "places", str(source), "--db", str(cli_db),
                       "--dry-run", "--confirm-rename", "2", "--json")
    assert any("ISO-8859-15" in note for note in json.loads(out)["notes"])
