"""The `observatory` command: JSON for scripts, French errors, non-zero exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from observatory import cli
from observatory.model import CRITERIA_KEYS
from observatory.store import db

OLMES = "240900464"
RECORD_KEYS = {"id", "name", "insee", "lon", "lat", "typology", "opening_year", "scores",
               "mature"}


@pytest.fixture(autouse=True)
def no_env_database(monkeypatch):
    """The tests name their database; a developer's $OBSERVATORY_DB must not leak in."""
    monkeypatch.delenv("OBSERVATORY_DB", raising=False)
    monkeypatch.delenv("OBSERVATORY_TERRITORY", raising=False)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def places_json(capsys, demo_db, *extra: str) -> list[dict]:
    code, out, err = run(capsys, "places", "--json", "--db", str(demo_db), *extra)
    assert code == 0, err
    return json.loads(out)


# --- places ----------------------------------------------------------------------------

def test_places_json_lists_the_42_places_with_their_stable_keys(capsys, demo_db):
    records = places_json(capsys, demo_db)
    assert len(records) == 42
    for r in records:
        assert RECORD_KEYS <= set(r)
        assert set(r["scores"]) == set(CRITERIA_KEYS)
        assert all(isinstance(v, (int, float)) and 0 <= v <= 4 for v in r["scores"].values())
        assert isinstance(r["id"], int) and isinstance(r["mature"], bool)
        assert isinstance(r["lon"], float) and isinstance(r["lat"], float)
        assert isinstance(r["opening_year"], int)
        assert r["insee"].startswith("09") and len(r["insee"]) == 5
    assert len({r["id"] for r in records}) == 42


def test_places_json_does_not_expose_contacts(capsys, demo_db):
    records = places_json(capsys, demo_db)
    assert all("contact" not in r for r in records)


def test_places_json_keeps_accents_readable(capsys, demo_db):
    code, out, _ = run(capsys, "places", "--json", "--db", str(demo_db))
    assert code == 0
    assert "\\u00" not in out
    assert "Établi" in out


def test_places_mature_lists_the_12_mature_places(capsys, demo_db):
    records = places_json(capsys, demo_db, "--mature")
    assert len(records) == 12
    assert all(r["mature"] for r in records)


def test_places_epci_lists_only_that_epci(capsys, demo_db):
    records = places_json(capsys, demo_db, "--epci", OLMES)
    assert records
    assert {r["epci_siren"] for r in records} == {OLMES}
    everything = places_json(capsys, demo_db)
    assert len(records) == sum(r["epci_siren"] == OLMES for r in everything)


def test_places_epci_and_mature_combine(capsys, demo_db):
    records = places_json(capsys, demo_db, "--epci", OLMES, "--mature")
    everything = places_json(capsys, demo_db)
    expected = [r["id"] for r in everything if r["epci_siren"] == OLMES and r["mature"]]
    assert [r["id"] for r in records] == expected


def test_places_of_an_unknown_epci_is_an_empty_list(capsys, demo_db):
    assert places_json(capsys, demo_db, "--epci", "000000000") == []


def test_places_text_output_ends_with_the_count(capsys, demo_db):
    code, out, _ = run(capsys, "places", "--db", str(demo_db))
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 43
    assert lines[-1] == "42 lieux, dont 12 matures."
    assert sum("★" in line for line in lines[:-1]) == 12
    assert all(re.search(r" moyenne \d,\d$", line) for line in lines[:-1]), lines[:3]


def test_places_text_output_of_a_place_never_evaluated_reads_french(capsys, tmp_path):
    """A place imported without scores nor opening year: no « moyenne nan », no « None »."""
    empty_db_copy = tmp_path / "vide.duckdb"
    assert run(capsys, "init", "--db", str(empty_db_copy))[0] == 0
    csv = tmp_path / "lieux.csv"
    csv.write_text("Nom du lieu;Commune;Typologie;Statut juridique\n"
                   "Le Fournil;Pamiers;Fablab;Association\n", encoding="utf-8")
    code, _, err = run(capsys, "import", "places", str(csv), "--db", str(empty_db_copy))
    assert code == 0, err
    code, out, _ = run(capsys, "places", "--db", str(empty_db_copy))
    assert code == 0
    first, last = out.strip().splitlines()
    assert first.endswith("Le Fournil — Pamiers (Fablab) pas encore évalué"), first
    assert last == "1 lieu, dont 0 mature."


# --- territory -------------------------------------------------------------------------

def test_territory_json_counts_perimeter_and_excluded_zone(capsys, demo_db):
    code, out, err = run(capsys, "territory", "--json", "--db", str(demo_db))
    assert code == 0, err
    summary = json.loads(out)
    assert summary["perimeter"]["communes"] == 231
    assert summary["excluded_zone"]["communes"] == 42
    assert summary["communes_total"] == 325
    assert len(summary["epci"]) == 8
    assert sum(e["in_perimeter"] for e in summary["epci"]) == 7


def test_territory_text_names_the_petr(capsys, demo_db):
    code, out, _ = run(capsys, "territory", "--db", str(demo_db))
    assert code == 0
    assert out.startswith("PETR de l'Ariège : 231 communes")
    assert "hors périmètre" in out


# --- errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["places"], ["places", "--json"], ["territory", "--json"]])
def test_missing_database_exits_1_with_a_french_message(capsys, tmp_path, command):
    missing = tmp_path / "absent.duckdb"
    code, out, err = run(capsys, *command, "--db", str(missing))
    assert code == 1
    assert out == ""
    assert err.startswith("Erreur : Base introuvable")
    assert "observatory init" in err
    assert not missing.exists()


def test_database_of_an_older_schema_asks_for_init(capsys, tmp_path):
    path = tmp_path / "old.duckdb"
    con = db.connect(path)
    db.migrate(con, target=1)
    con.close()
    code, _, err = run(capsys, "places", "--db", str(path))
    assert code == 1
    assert "schéma ancien" in err and "observatory init" in err


def test_init_with_a_missing_territory_file_exits_1(capsys, tmp_path):
    code, _, err = run(capsys, "init", "--db", str(tmp_path / "x.duckdb"),
                       "--territory", str(tmp_path / "absent.toml"))
    assert code == 1
    assert "Fichier de territoire introuvable" in err


def test_unknown_command_is_refused_by_argparse(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["frobnicate"])
    assert info.value.code == 2


# --- init ------------------------------------------------------------------------------

def test_init_on_a_new_path_works_twice(capsys, tmp_path):
    path = tmp_path / "sub" / "new.duckdb"
    code, out, _ = run(capsys, "init", "--db", str(path))
    assert code == 0
    assert path.exists()
    assert f"Schéma à la version {db.migrations()[-1][0]}" in out
    assert "Territoire chargé." in out
    assert f"Base prête : {path}" in out

    code, out, _ = run(capsys, "init", "--db", str(path))
    assert code == 0
    assert "(à jour)" in out
    assert "Territoire déjà à jour." in out

    # no demo asked: the database is empty of places
    assert places_json(capsys, path) == []


def test_init_demo_adds_the_places_once(capsys, tmp_path):
    path = tmp_path / "demo.duckdb"
    code, out, _ = run(capsys, "init", "--demo", "--db", str(path))
    assert code == 0 and "42 lieux de démonstration ajoutés." in out
    code, out, _ = run(capsys, "init", "--demo", "--db", str(path))
    assert code == 0 and "lieux de démonstration" not in out
    assert len(places_json(capsys, path)) == 42


def test_db_path_comes_from_the_environment_when_not_given(capsys, demo_db, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_DB", str(demo_db))
    code, out, _ = run(capsys, "places", "--json", "--mature")
    assert code == 0
    assert len(json.loads(out)) == 12


# --- the installed console script ------------------------------------------------------

def console_command() -> list[str]:
    script = Path(sys.executable).parent / "observatory"
    if script.exists():
        return [str(script)]
    found = shutil.which("observatory")
    return [found] if found else [sys.executable, "-m", "observatory.cli"]


def test_console_script_prints_the_places_as_json(tmp_path, demo_db):
    copy = tmp_path / "copy.duckdb"  # a private copy: no lock shared with other tests
    shutil.copyfile(demo_db, copy)
    result = subprocess.run([*console_command(), "places", "--json", "--mature", "--db",
                             str(copy)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 12


def test_console_script_exits_1_on_a_missing_database(tmp_path):
    result = subprocess.run([sys.executable, "-m", "observatory.cli", "places", "--db",
                             str(tmp_path / "absent.duckdb")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "observatory init" in result.stderr
    assert result.stdout == ""


# --- failures: French messages, no traceback; bugs keep theirs -------------------------

def test_output_cut_by_a_closed_pipe_exits_quietly(tmp_path, demo_db):
    """`observatory places | head -1`: the reader goes away; no traceback, SIGPIPE's code."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(demo_db, copy)
    for extra in ([], ["--json"]):
        process = subprocess.Popen([*console_command(), "places", *extra, "--db", str(copy)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.stdout.close()  # the reader is gone before the first line is written
        err = process.stderr.read().decode()
        assert process.wait(timeout=120) == 141, err
        assert err == ""


def test_a_closed_stdout_in_process_returns_141(monkeypatch, demo_db):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli.main(["places", "--db", str(demo_db)]) == 141


def test_a_bug_keeps_its_traceback_after_a_french_line(capsys, monkeypatch, demo_db):
    """A ValueError raised outside the domain checks is a bug, not « Erreur : … » exit 1."""
    def broken(frame):
        raise ValueError("invalid literal for int() with base 10: 'x'")

    monkeypatch.setattr(cli.catalogue, "to_records", broken)
    assert cli.main(["places", "--db", str(demo_db)]) == 70  # EX_SOFTWARE (issue 11)
    err = capsys.readouterr().err
    assert "Erreur inattendue (ValueError)" in err and "signaler" in err
    assert "Traceback" in err and "invalid literal" in err


def test_a_file_system_refusal_is_a_french_error(capsys, tmp_path, demo_db):
    blocker = tmp_path / "un-fichier"
    blocker.write_text("pas un dossier")
    code, out, err = run(capsys, "export", "--current", "--format", "csv", "--out",
                         str(blocker / "sous-dossier" / "lieux.csv"), "--db", str(demo_db))
    assert code == 1 and out == ""
    assert err.startswith("Erreur : Un élément du chemin n'est pas un dossier")
    assert str(blocker) in err and "Traceback" not in err


# --- backup and restore ----------------------------------------------------------------

@pytest.fixture
def database(tmp_path, demo_db) -> Path:
    path = tmp_path / "observatory.duckdb"
    shutil.copyfile(demo_db, path)
    return path


def evaluation_count(path: Path) -> int:
    with db.session(path, read_only=True) as con:
        return con.execute("SELECT count(*) FROM evaluations").fetchone()[0]


def test_a_backup_onto_the_database_itself_is_refused(capsys, database):
    before = database.read_bytes()
    for target in (database, database.parent / "." / database.name):
        code, _, err = run(capsys, "backup", str(target), "--force", "--db", str(database))
        assert code == 1 and "est la base elle-même" in err
    assert database.read_bytes() == before


def test_a_backup_into_a_missing_folder_creates_it(capsys, database, tmp_path):
    target = tmp_path / "sauvegardes" / "2026" / "copie.duckdb"
    code, out, _ = run(capsys, "backup", str(target), "--db", str(database))
    assert code == 0 and "Sauvegarde écrite" in out
    assert sorted(p.name for p in target.parent.iterdir()) == ["copie.duckdb"]  # no temp left


def test_a_backup_where_no_folder_can_be_made_is_a_french_error(capsys, database, tmp_path):
    blocker = tmp_path / "un-fichier"
    blocker.write_text("pas un dossier")
    code, out, err = run(capsys, "backup", str(blocker / "copie.duckdb"), "--db", str(database))
    assert code == 1 and out == "" and "Sauvegarde non écrite" in err
    code, _, err = run(capsys, "backup", str(tmp_path), "--db", str(database))
    assert code == 1 and "est un dossier" in err


def safety_copies(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.stem}.avant-restauration-*{path.suffix}"))


def test_each_restore_keeps_its_own_dated_safety_copy(capsys, database, tmp_path):
    backup = tmp_path / "sauvegarde.duckdb"
    assert cli.main(["backup", str(backup), "--db", str(database)]) == 0
    full = evaluation_count(database)
    with db.session(database) as con, db.transaction(con):
        con.execute("DELETE FROM evaluations WHERE id % 2 = 0")
    first = evaluation_count(database)
    assert cli.main(["restore", str(backup), "--db", str(database), "--yes"]) == 0
    with db.session(database) as con, db.transaction(con):
        con.execute("DELETE FROM evaluations")
    assert cli.main(["restore", str(backup), "--db", str(database), "--yes"]) == 0
    out = capsys.readouterr().out

    kept = safety_copies(database)
    assert len(kept) == 2  # the second restore did not overwrite the first one's copy
    assert sorted(evaluation_count(p) for p in kept) == [0, first]
    assert evaluation_count(database) == full
    assert kept[-1].name in out or kept[0].name in out


def test_a_damaged_database_can_be_restored_and_is_kept_aside(capsys, database, tmp_path):
    backup = tmp_path / "sauvegarde.duckdb"
    assert cli.main(["backup", str(backup), "--db", str(database)]) == 0
    with open(database, "r+b") as f:  # both database headers overwritten
        f.seek(4096)
        f.write(b"\xa5" * 8192)
    damaged = database.read_bytes()
    wal = database.with_name(database.name + ".wal")
    wal.write_bytes(b"an old WAL that must not be replayed onto the restored file")
    capsys.readouterr()

    code, out, err = run(capsys, "restore", str(backup), "--db", str(database), "--yes")
    assert code == 0, err
    assert "Base restaurée" in out
    (kept,) = safety_copies(database)
    assert kept.read_bytes() == damaged
    assert not wal.exists() and kept.with_name(kept.name + ".wal").exists()
    assert evaluation_count(database) > 0


def test_safety_copy_names_never_collide(tmp_path):
    from datetime import datetime

    from observatory.cli_data import safety_copy_name

    path, when = tmp_path / "observatory.duckdb", datetime(2026, 3, 1, 9, 30, 0)
    first = safety_copy_name(path, when)
    assert first.name == "observatory.avant-restauration-20260301-093000.duckdb"
    first.write_bytes(b"x")
    assert safety_copy_name(path, when).name == \
        "observatory.avant-restauration-20260301-093000-2.duckdb"
