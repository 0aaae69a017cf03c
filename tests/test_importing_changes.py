"""An update of a stored place shown field by field before anything is written (issue 12):
the name, the commune, and the coordinates as one change with the distance moved."""

from __future__ import annotations

import json
import shutil

import pytest

from observatory import importing
from observatory.importing import UPDATE
from observatory.importing.changes import coordinates_text, field_changes, moved_km
from observatory.store import db, places, territory
from tests.test_importing_integrity import as_row, check, run, stored
from tests.test_importing_integrity import places_csv as rows_csv


@pytest.fixture(scope="module")
def referential(demo_db):
    with db.session(demo_db, read_only=True) as con:
        return territory.communes(con), places.current(con)


@pytest.fixture
def cli_db(demo_db, tmp_path, monkeypatch):
    monkeypatch.delenv("OBSERVATORY_DB", raising=False)
    path = tmp_path / "observatory.duckdb"
    shutil.copy(demo_db, path)
    return path

NBSP = "\u00a0"


def plain(key, value):
    return "vide" if value is None else str(value)


def test_latitude_and_longitude_are_one_change_with_the_distance_moved():
    changes = {"name": ("Ancien", "Nouveau"), "lon": (1.85134, 1.86134),
               "lat": (43.076494, 43.086494), "typology": ("Fablab", "Coworking")}
    place = {"lat": 43.086494, "lon": 1.86134}
    assert field_changes(changes, place, str.upper, plain) == [
        ("NAME", "Ancien", "Nouveau"),
        ("Coordonnées", "43,076494 / 1,85134",
         f"43,086494 / 1,86134 (déplacé de 1,4{NBSP}km)"),
        ("TYPOLOGY", "Fablab", "Coworking")]


def test_one_coordinate_changed_takes_the_other_from_the_place():
    (change,) = field_changes({"lat": (43.1, 43.1009)}, {"lat": 43.1009, "lon": 1.5},
                              str.upper, plain)
    assert change == ("Coordonnées", "43,1 / 1,5", f"43,1009 / 1,5 (déplacé de 100{NBSP}m)")


def test_a_place_without_coordinates_before_says_so_without_a_distance():
    (change,) = field_changes({"lat": (None, 43.1), "lon": (None, 1.5)},
                              {"lat": 43.1, "lon": 1.5}, str.upper, plain)
    assert change == ("Coordonnées", "vide", "43,1 / 1,5")
    assert coordinates_text(None, 1.5) == "vide"
    assert moved_km((None, 1.5), (43.1, 1.5)) is None


def test_the_preview_lists_name_commune_and_coordinates_of_a_changed_place(referential):
    communes, _ = referential
    pamiers = communes[communes["insee"] == "09225"].iloc[0]
    place = stored(referential, 2)  # Le Bocal à Idées, Mirepoix
    row = as_row(place, name="Le Bocal de Pamiers", commune="Pamiers", insee="09225",
                 lat=f"{pamiers.lat:.6f}".replace(".", ","),
                 lon=f"{pamiers.lon:.6f}".replace(".", ","))
    report = check(referential, [row], confirmed_renames=frozenset({2}))
    assert report.ok, report.problem_table
    table = report.changes_table.set_index("champ")
    assert set(table["action"]) == {UPDATE}
    assert table.loc["Nom du lieu", ["avant", "après"]].tolist() == [
        "Le Bocal à Idées", "Le Bocal de Pamiers"]
    assert table.loc["Commune", ["avant", "après"]].tolist() == [
        "Mirepoix (09194)", "Pamiers (09225)"]
    before, after = table.loc["Coordonnées", ["avant", "après"]]
    assert before == "43,114201 / 1,875145"
    assert after.startswith(f"{pamiers.lat:.6f} / {pamiers.lon:.6f}".replace(".", ","))
    assert after.endswith(f"{NBSP}km)") and "(déplacé de " in after
    assert not {"Latitude", "Longitude"} & set(table.index)
    (text,) = report.preview["changements"]
    assert "Coordonnées : 43,114201 / 1,875145 → " in text
    assert "Commune : Mirepoix (09194) → Pamiers (09225)" in text


def test_the_cli_dry_run_prints_the_same_changes(capsys, cli_db, referential, tmp_path):
    place = stored(referential, 2)
    source = tmp_path / "lieux.csv"
    source.write_bytes(rows_csv([as_row(place, lat="43,124201")]))
    code, out, _ = run(capsys, "import", "places", str(source), "--db", str(cli_db),
                       "--dry-run")
    assert code == 0, out
    assert (f"ligne 2 | mise à jour | n° 2 « Le Bocal à Idées » | Coordonnées : 43,114201 / "
            f"1,875145 → 43,124201 / 1,875145 (déplacé de 1,1{NBSP}km)") in out
    assert "Essai à blanc : rien n'a été écrit." in out
    code, out, _ = run(capsys, "import", "places", str(source), "--db", str(cli_db),
                       "--dry-run", "--json")
    (change,) = json.loads(out)["changes"]
    assert change["champ"] == "Coordonnées" and "déplacé de 1,1" in change["après"]


def test_the_cli_says_what_replacing_the_demo_removes_before_and_after(capsys, cli_db,
                                                                        tmp_path):
    with db.session(cli_db, read_only=True) as con:
        demo = places.demo_counts(con)
    listed = importing.demo_removal_text(demo)
    assert demo["calls"] == 6 and "6 appels à projets de démonstration" in listed
    source = tmp_path / "lieux.csv"
    source.write_bytes(rows_csv([{"name": "Café des Possibles", "commune": "Mirepoix",
                                  "typology": "Café/bar associatif"}]))
    argv = ["import", "places", str(source), "--db", str(cli_db), "--replace-demo"]
    code, out, _ = run(capsys, *argv, "--dry-run")
    assert code == 0, out
    assert f"Données de démonstration à retirer dans la même transaction : {listed}." in out
    code, out, _ = run(capsys, *argv, "--dry-run", "--json")
    assert json.loads(out)["demo_removal"] == demo
    code, out, err = run(capsys, *argv, "--by", "test")
    assert code == 0, out + err
    assert (f"Écrit : 1 lieu ajouté, 0 lieu mis à jour et 0 évaluation enregistrée. "
            f"Données de démonstration retirées : {listed}.") in out
    with db.session(cli_db, read_only=True) as con:
        assert places.demo_counts(con) == dict.fromkeys(demo, 0)
