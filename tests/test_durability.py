"""A killed import leaves the database as it was; two concurrent edits never lose one silently."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from observatory.consortia import ConflictError
from observatory.store import audit, db, places, territory


def snapshot_counts(path) -> dict[str, int]:
    with db.session(path, read_only=True) as con:
        return {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("places", "evaluations", "audit_log")}


@pytest.fixture
def db_copy(demo_copy):
    """A writable demonstration database on each back end."""
    with db.session(demo_copy) as con:
        db.migrate(con)
    return demo_copy


@pytest.fixture
def file_copy(demo_db, tmp_path):
    """A writable copy of the demonstration DuckDB file (file backups)."""
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(demo_db, path)
    with db.session(path) as con:
        db.migrate(con)
    return path


def valid_places_csv(path, db_path, rows: int) -> None:
    with db.session(db_path, read_only=True) as con:
        communes = territory.communes(con)
    inside = communes[communes["in_perimeter"] & ~communes["in_excluded_zone"]].head(rows)
    lines = ["Nom du lieu;Code INSEE;Latitude;Longitude;Typologie;Statut juridique;"
             "Année d'ouverture"]
    for k, commune in enumerate(inside.itertuples()):
        lines.append(f"Lieu importé {k};{commune.insee};{commune.lat:.6f};{commune.lon:.6f};"
                     "Fablab;Association;2005")
    path.write_text("\n".join(lines), encoding="utf-8")


def slow_import(source, db_path, delay: str) -> subprocess.Popen:
    """The CLI import, pausing ``delay`` seconds after each step and announcing it on stderr."""
    env = dict(os.environ, OBSERVATORY_TEST_IMPORT_DELAY=delay)
    return subprocess.Popen(
        [sys.executable, "-m", "observatory.cli", "import", "places", str(source), "--db",
         str(db_path), "--by", "test"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def wait_for_step(process: subprocess.Popen, step: str) -> None:
    for line in process.stderr:  # EOF when the process ends without reaching the step
        if line.strip() == f"import: {step}":
            return
    raise AssertionError(f"the import ended before « {step} »: {process.communicate()}")


def test_an_import_killed_midway_writes_nothing(db_copy, tmp_path):
    source = tmp_path / "lieux.csv"
    valid_places_csv(source, db_copy, rows=200)
    before = snapshot_counts(db_copy)
    process = slow_import(source, db_copy, delay="3")
    try:
        wait_for_step(process, "validated")
        wait_for_step(process, "re-checked")
        # Inside the write transaction, the 200 places just inserted, not yet committed.
        wait_for_step(process, "places added")
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert snapshot_counts(db_copy) == before


def test_the_cli_holds_no_connection_once_it_has_read_the_store(db_copy, tmp_path):
    source = tmp_path / "lieux.csv"
    valid_places_csv(source, db_copy, rows=20)
    before = snapshot_counts(db_copy)
    process = slow_import(source, db_copy, delay="1")
    wait_for_step(process, "validated")
    con = db.connect(db_copy)  # the app can open the file read-write meanwhile
    con.close()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert snapshot_counts(db_copy)["places"] == before["places"] + 20


def test_the_same_import_without_a_kill_writes_every_row(db_copy, tmp_path):
    source = tmp_path / "lieux.csv"
    valid_places_csv(source, db_copy, rows=20)
    before = snapshot_counts(db_copy)
    result = subprocess.run([sys.executable, "-m", "observatory.cli", "import", "places",
                             str(source), "--db", str(db_copy), "--by", "test"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert snapshot_counts(db_copy)["places"] == before["places"] + 20


def test_two_concurrent_edits_give_one_save_and_one_clear_conflict(db_copy):
    with db.session(db_copy) as con:
        loaded = places.get(con, 1)  # both analysts open the same place
        with db.transaction(con):
            places.update(con, 1, {"website": "https://claire.exemple.org"}, loaded["version"],
                          "Claire")
        with pytest.raises(ConflictError) as refused:
            with db.transaction(con):
                places.update(con, 1, {"website": "https://karim.exemple.org"},
                              loaded["version"], "Karim")
        assert "modifié par quelqu'un d'autre" in str(refused.value)
        assert "claire.exemple.org" in str(refused.value)  # says what changed meanwhile
        assert places.get(con, 1)["website"] == "https://claire.exemple.org"
        changes = audit.history(con, "place", 1)
        assert changes["actor"].tolist() == ["Claire"]


def test_undoing_a_change_restores_the_old_value_as_a_new_change(db_copy):
    with db.session(db_copy) as con:
        loaded = places.get(con, 2)
        with db.transaction(con):
            version = places.update(con, 2, {"name": "Nom modifié"}, loaded["version"], "Claire")
        change = audit.history(con, "place", 2)["id"].iloc[0]
        with db.transaction(con):
            places.restore(con, int(change), version, "Karim")
        assert places.get(con, 2)["name"] == loaded["name"]
        assert audit.history(con, "place", 2)["action"].tolist() == ["restore", "update"]


def test_backup_and_restore_round_trip(file_copy, tmp_path):
    db_copy = file_copy
    from observatory import cli

    backup = tmp_path / "sauvegarde.duckdb"
    assert cli.main(["backup", str(backup), "--db", str(db_copy)]) == 0
    with db.session(db_copy) as con, db.transaction(con):
        con.execute("DELETE FROM evaluations")
    assert cli.main(["restore", str(backup), "--db", str(db_copy)]) == 1  # asks to confirm
    assert cli.main(["restore", str(backup), "--db", str(db_copy), "--yes"]) == 0
    assert snapshot_counts(db_copy)["evaluations"] > 0


def test_restore_refuses_a_file_that_is_not_a_backup(file_copy, tmp_path, capsys):
    db_copy = file_copy
    from observatory import cli

    bogus = tmp_path / "faux.duckdb"
    bogus.write_bytes(b"ceci n'est pas une base")
    before = snapshot_counts(db_copy)
    assert cli.main(["restore", str(bogus), "--db", str(db_copy), "--yes"]) == 1
    assert "pas une sauvegarde valide" in capsys.readouterr().err
    assert snapshot_counts(db_copy) == before
