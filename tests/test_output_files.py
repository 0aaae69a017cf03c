"""Files written where the user says: never clobbered without --force, never through a link,
private (0600) like the accounts file; the database, its WAL, backups and safety copies too."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from observatory import cli, cli_reports, files
from observatory.store import db


@pytest.fixture(autouse=True)
def no_env_database(monkeypatch):
    monkeypatch.delenv("OBSERVATORY_DB", raising=False)
    monkeypatch.delenv("OBSERVATORY_TERRITORY", raising=False)


@pytest.fixture(autouse=True)
def usual_umask():
    """Run every test under the common 022 umask, whatever the runner's."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def database(tmp_path, demo_db) -> Path:
    path = tmp_path / "base" / "observatory.duckdb"
    path.parent.mkdir()
    shutil.copyfile(demo_db, path)
    os.chmod(path, 0o644)  # as an older version left it
    return path


def export(capsys, database, out: Path, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "export", "--current", "--format", "geojson", "--out", str(out),
               "--db", str(database), *extra)


# --- export ---------------------------------------------------------------------------------

def test_an_export_is_private_and_leaves_no_temporary_file(capsys, database, tmp_path):
    out = tmp_path / "exports" / "lieux.geojson"
    code, printed, err = export(capsys, database, out)
    assert code == 0, err
    assert mode(out) == 0o600
    assert b'"FeatureCollection"' in out.read_bytes()
    assert [p.name for p in out.parent.iterdir()] == ["lieux.geojson"]


def test_an_export_refuses_an_existing_file_without_force(capsys, database, tmp_path):
    out = tmp_path / "rapport.geojson"
    out.write_bytes(b"le rapport de l'an dernier")
    code, printed, err = export(capsys, database, out)
    assert code == 1 and printed == ""
    assert f"Erreur : {out} existe déjà (ajoutez --force pour le remplacer)." in err
    assert out.read_bytes() == b"le rapport de l'an dernier"

    code, _, err = export(capsys, database, out, "--force")
    assert code == 0, err
    assert b'"FeatureCollection"' in out.read_bytes() and mode(out) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name != "base"] == ["rapport.geojson"]


def test_an_export_never_writes_through_a_symbolic_link(capsys, database, tmp_path):
    victim = tmp_path / "precieux.txt"
    victim.write_text("à ne pas écraser")
    link = tmp_path / "lien.geojson"
    link.symlink_to(victim)
    dangling = tmp_path / "pendant.geojson"
    dangling.symlink_to(tmp_path / "nulle-part.geojson")
    for target in (link, dangling):
        for extra in ((), ("--force",)):
            code, printed, err = export(capsys, database, target, *extra)
            assert code == 1 and printed == "", err
            assert "est un lien symbolique" in err and "Traceback" not in err
            assert target.is_symlink()
    assert victim.read_text() == "à ne pas écraser"
    assert not (tmp_path / "nulle-part.geojson").exists()


def test_an_export_refuses_what_is_not_a_plain_file_even_with_force(capsys, database, tmp_path):
    fifo = tmp_path / "tube"
    os.mkfifo(fifo)
    code, _, err = export(capsys, database, fifo, "--force")
    assert code == 1 and "n'est pas un fichier ordinaire" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    code, _, err = export(capsys, database, tmp_path, "--force")
    assert code == 1 and "est un dossier" in err


def test_a_file_appearing_meanwhile_is_not_replaced_without_force(tmp_path):
    target = tmp_path / "export.csv"
    with pytest.raises(files.OutputFileError, match="existe déjà"):
        with files.staged(target) as temporary:
            temporary.write_bytes(b"notre export")
            target.write_bytes(b"le fichier de quelqu'un d'autre")  # between check and rename
    assert target.read_bytes() == b"le fichier de quelqu'un d'autre"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]


# --- database, backups, restore -------------------------------------------------------------

def test_a_new_database_is_private(capsys, tmp_path):
    path = tmp_path / "nouvelle" / "observatoire.duckdb"
    code, _, err = run(capsys, "init", "--db", str(path))
    assert code == 0, err
    assert mode(path) == 0o600
    direct = tmp_path / "direct.duckdb"
    db.connect(direct).close()  # the store itself, without the command line's umask
    assert mode(direct) == 0o600


def test_an_existing_database_keeps_the_mode_its_owner_chose(tmp_path):
    path = tmp_path / "partagee.duckdb"
    db.connect(path).close()
    os.chmod(path, 0o640)
    db.connect(path).close()
    assert mode(path) == 0o640


def test_the_wal_written_by_a_command_is_private(capsys, monkeypatch, database):
    seen = {}

    def write_something(args):
        with db.session(database) as con:
            con.execute("CREATE TABLE scratch (i INTEGER)")
            con.execute("INSERT INTO scratch VALUES (1)")
            wal = database.with_name(database.name + ".wal")
            seen["wal"] = mode(wal) if wal.exists() else None
        return 0

    monkeypatch.setattr(cli_reports, "cmd_list", write_something)
    code, _, err = run(capsys, "snapshot", "list", "--db", str(database))
    assert code == 0, err
    assert seen["wal"] == 0o600
    probe = os.umask(0o022)
    assert probe == 0o022  # the command restored the caller's umask


def test_the_app_started_by_serve_creates_private_files(monkeypatch, database):
    umasks = []

    def fake_call(command, **kwargs):
        umasks.append(os.umask(0o022))
        os.umask(umasks[-1])
        return 0

    monkeypatch.setattr(cli.subprocess, "call", fake_call)
    assert cli.main(["serve", "--db", str(database)]) == 0
    assert umasks == [0o077]


def test_a_backup_is_private_and_refuses_a_symbolic_link(capsys, database, tmp_path):
    backup = tmp_path / "sauvegardes" / "copie.duckdb"
    code, out, err = run(capsys, "backup", str(backup), "--db", str(database))
    assert code == 0, err
    assert mode(backup) == 0o600

    victim = tmp_path / "autre.duckdb"
    victim.write_bytes(b"autre chose")
    link = tmp_path / "lien.duckdb"
    link.symlink_to(victim)
    code, out, err = run(capsys, "backup", str(link), "--force", "--db", str(database))
    assert code == 1 and out == "" and "est un lien symbolique" in err
    assert victim.read_bytes() == b"autre chose" and link.is_symlink()


def test_a_restore_keeps_private_copies(capsys, database, tmp_path):
    backup = tmp_path / "copie.duckdb"
    assert cli.main(["backup", str(backup), "--db", str(database)]) == 0
    os.chmod(backup, 0o644)  # a backup copied around with a loose mode
    code, out, err = run(capsys, "restore", str(backup), "--db", str(database), "--yes")
    assert code == 0, err
    (kept,) = database.parent.glob("observatory.avant-restauration-*.duckdb")
    assert mode(kept) == 0o600
    assert mode(database) == 0o600
    assert sorted(p.name for p in database.parent.iterdir()) == sorted(
        [database.name, kept.name])
