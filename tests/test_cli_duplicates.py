"""`observatory duplicates`: the probable duplicates of the inventory, in French or JSON."""

from __future__ import annotations

import json
import shutil

import pytest

from observatory import cli, errors
from observatory.store import db, places


@pytest.fixture
def with_duplicate(demo_db, tmp_path):
    """The demonstration database with CapWork and Cap Work at Verniolle."""
    path = tmp_path / "dup.duckdb"
    shutil.copyfile(demo_db, path)
    con = db.connect(path)
    try:
        for name, lon, lat in (("CapWork", 1.64812, 43.08170), ("Cap Work", 1.64830, 43.08200)):
            places.insert(con, {"name": name, "insee": "09332", "lon": lon, "lat": lat,
                                "typology": "Coworking"})
    finally:
        con.close()
    return path


def test_the_demonstration_has_no_probable_duplicate(demo_db, capsys):
    assert cli.main(["duplicates", "--db", str(demo_db)]) == errors.EXIT_OK
    assert capsys.readouterr().out.strip() == (
        "Aucun doublon probable (score d'au moins 60 sur 100).")


def test_a_duplicate_is_printed_with_its_score_and_reason(with_duplicate, capsys):
    assert cli.main(["duplicates", "--db", str(with_duplicate)]) == errors.EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert "« CapWork » (Verniolle)" in out[0] and "« Cap Work » (Verniolle)" in out[0]
    assert "noms identiques une fois normalisés (capwork), même commune (Verniolle)" in out[0]
    assert out[1].startswith("1 paire probable.")


def test_the_json_lists_the_pair_and_the_threshold(with_duplicate, capsys):
    assert cli.main(["duplicates", "--json", "--db", str(with_duplicate)]) == errors.EXIT_OK
    result = json.loads(capsys.readouterr().out)
    assert result["min_score"] == 60
    [pair] = result["pairs"]
    assert {pair["a"]["name"], pair["b"]["name"]} == {"CapWork", "Cap Work"}
    assert pair["score"] >= 85


def test_a_score_outside_0_to_100_is_refused_in_french(demo_db, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["duplicates", "--min-score", "120", "--db", str(demo_db)])
    assert stop.value.code == errors.EXIT_INVALID
    assert "le score va de 0 à 100" in capsys.readouterr().err


def test_a_dry_run_import_warns_of_probable_duplicates_before_writing(with_duplicate, tmp_path,
                                                                      capsys):
    source = tmp_path / "cget.csv"
    source.write_text("Nom du lieu;Code INSEE;Latitude;Longitude;Typologie\n"
                      "Tiers-lieu CapWork;09332;43,08190;1,64820;Coworking\n"
                      "Café La Brouette;09332;43,08300;1,64900;Café/bar associatif\n",
                      encoding="utf-8")
    code = cli.main(["import", "places", str(source), "--dry-run", "--db", str(with_duplicate)])
    out = capsys.readouterr().out
    assert code == errors.EXIT_OK
    assert "Doublons probables (avertissement : l'import n'est pas bloqué" in out
    lines = [line for line in out.splitlines()
             if line.startswith("ligne 2 « Tiers-lieu CapWork »")]
    assert len(lines) == 2, out  # CapWork and Cap Work, both stored
    for line in lines:
        assert "score" in line and "noms identiques une fois normalisés (capwork)" in line, line
    assert "Brouette" not in out.split("Doublons probables")[1]


def test_an_import_that_writes_says_how_many_probable_duplicates_to_check(demo_db, tmp_path,
                                                                          capsys):
    path = tmp_path / "import.duckdb"
    shutil.copyfile(demo_db, path)
    source = tmp_path / "cget.csv"
    source.write_text("Nom du lieu;Code INSEE;Latitude;Longitude;Typologie\n"
                      "CapWork;09332;43,08170;1,64812;Coworking\n"
                      "Cap Work;09332;43,08200;1,64830;Coworking\n",
                      encoding="utf-8")
    code = cli.main(["import", "places", str(source), "--db", str(path), "--by", "Claire"])
    out = capsys.readouterr().out
    assert code == errors.EXIT_OK, out
    assert "2 lieux ajoutés" in out
    assert ("À vérifier : 1 paire probable de doublons dans l'inventaire (« observatory "
            "duplicates » ou la page « Doublons probables »).") in out
