"""A database that cannot be used says why, in French, at once: locked by another process
(worth waiting for), damaged (restore a backup), read-only (not writable), full disk.

The damaged files are real DuckDB files with bytes overwritten, truncated, or random bytes;
the locked one is held by another process; the read-only and full cases use a small tmpfs
(mounted when the tests run as root, else skipped) or file permissions for a normal user.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from observatory import cli, errors
from observatory.store import db

HEADER_BYTES = 3 * 4096  # the file header and the two database headers come first


@pytest.fixture(autouse=True)
def no_env_database(monkeypatch):
    monkeypatch.delenv("OBSERVATORY_DB", raising=False)


@pytest.fixture
def good(demo_db, tmp_path) -> Path:
    path = tmp_path / "observatory.duckdb"
    shutil.copyfile(demo_db, path)
    return path


def block_location(path: Path, table: str) -> int:
    """Where in the file the first data block of ``table`` starts."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        block = con.execute(f"SELECT min(block_id) FROM pragma_storage_info('{table}') "
                            "WHERE block_id >= 0").fetchone()[0]
    finally:
        con.close()
    return HEADER_BYTES + block * size


def overwrite(path: Path, offset: int, length: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(b"\xa5" * length)


def damaged_headers(path: Path) -> Path:
    overwrite(path, 4096, 8192)  # both database headers: the checksum fails at opening
    return path


def damaged_places_block(path: Path) -> Path:
    """Opens fine; reading the places fails (a checksum error « in block at location »)."""
    overwrite(path, block_location(path, "places") + 1000, 512)
    return path


def truncated(path: Path) -> Path:
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)
    return path


def random_bytes(path: Path) -> Path:
    path.write_bytes(os.urandom(64 * 1024))
    return path


def damaged_wal(path: Path) -> Path:
    """A checkpoint-less write leaves a WAL; a byte overwritten in it breaks the replay."""
    con = duckdb.connect(str(path))
    con.execute("SET checkpoint_threshold = '1TB'")
    con.execute("CREATE TABLE extra AS SELECT range AS i FROM range(1000)")
    wal = path.with_name(path.name + ".wal")
    kept = wal.read_bytes()
    con.close()  # closing checkpoints and removes the WAL: put the copy back, damaged
    middle = len(kept) // 2
    wal.write_bytes(kept[:middle] + b"\xff" * 64 + kept[middle + 64:])
    return path


OPENING_FAILS = [damaged_headers, truncated, random_bytes, damaged_wal]


# --- damaged -----------------------------------------------------------------------------

@pytest.mark.parametrize("damage", OPENING_FAILS)
@pytest.mark.parametrize("read_only", [True, False])
def test_a_damaged_file_says_restore_a_backup_not_another_process(good, damage, read_only):
    damage(good)
    with pytest.raises(db.DatabaseDamaged) as info:
        db.connect(good, read_only=read_only)
    message = str(info.value)
    assert "endommagé" in message and "restaurez une sauvegarde" in message
    assert "autre processus" not in message


@pytest.mark.parametrize("damage", OPENING_FAILS)
def test_a_session_on_a_damaged_file_fails_at_once_instead_of_waiting(good, damage):
    damage(good)
    started = time.monotonic()
    with pytest.raises(db.DatabaseDamaged):
        with db.session(good, wait_s=10):
            pass
    assert time.monotonic() - started < 2


def test_a_damaged_block_met_while_reading_is_reported_as_damaged(good):
    damaged_places_block(good)
    with pytest.raises(db.DatabaseDamaged, match="restaurez une sauvegarde"):
        with db.session(good, read_only=True) as con:
            con.execute("SELECT * FROM places").fetchall()


@pytest.mark.parametrize("damage", [damaged_headers, damaged_places_block, truncated])
def test_the_cli_says_damaged_without_a_traceback(capsys, good, damage):
    damage(good)
    code = cli.main(["places", "--db", str(good)])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("Erreur : ") and "endommagé" in err and "Traceback" not in err
    assert "autre processus" not in err


def test_a_checksum_failure_in_a_block_is_not_mistaken_for_a_lock():
    """The old test looked for « lock » in the message, and found it in « block »."""
    exc = duckdb.IOException("IO Error: Corrupt database file: computed checksum 1 does not "
                             "match stored checksum 2 in block at location 4096")
    assert isinstance(db.explain(exc, "x.duckdb"), db.DatabaseDamaged)


# --- locked by another process -------------------------------------------------------

@contextlib.contextmanager
def held_by_another_process(path: Path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb; con = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield holder
    finally:
        if holder.stdin and not holder.stdin.closed:
            holder.stdin.close()  # the holder reads stdin to its end, then exits
        holder.wait(timeout=30)


@pytest.mark.parametrize("read_only", [True, False])
def test_a_file_held_by_another_process_is_reported_as_locked(good, read_only):
    with held_by_another_process(good):
        with pytest.raises(db.DatabaseLocked, match="ouverte par un autre processus"):
            db.connect(good, read_only=read_only)


def test_a_session_waits_for_a_lock_then_gives_up(good):
    with held_by_another_process(good):
        started = time.monotonic()
        with pytest.raises(db.DatabaseLocked):
            with db.session(good, wait_s=0.6):
                pass
        assert time.monotonic() - started >= 0.6


def test_a_session_gets_the_file_once_the_other_process_releases_it(good):
    with held_by_another_process(good) as holder:
        def release_soon():
            time.sleep(0.5)
            holder.stdin.close()
        import threading
        threading.Thread(target=release_soon).start()
        with db.session(good, wait_s=20) as con:
            assert con.execute("SELECT count(*) FROM places").fetchone()[0] == 42


# --- read-only and full: a real file system when we may mount one ----------------------

def _mount(folder: Path, options: str) -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path, good):
    """A 12 MB file system holding a copy of the demo database (9 MB): little room left."""
    folder = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    if not _mount(folder, "size=12m"):
        pytest.skip("no tmpfs here (needs root and mount): the full-disk cases are simulated "
                    "in the other tests")
    try:
        shutil.copyfile(good, folder / "observatory.duckdb")
        yield folder
    finally:
        _umount(folder)


@pytest.fixture
def read_only_db(tmp_path, good):
    """A database that cannot be written: on a read-only mount (root), or mode 444 (others)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        folder = tmp_path / f"ro-{uuid.uuid4().hex[:6]}"
        if not _mount(folder, "size=20m"):
            pytest.skip("running as root without mount: permissions would not stop a write")
        try:
            shutil.copyfile(good, folder / "observatory.duckdb")
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
            yield folder / "observatory.duckdb"
        finally:
            _umount(folder)
    else:
        good.chmod(0o444)
        good.parent.chmod(0o555)
        try:
            yield good
        finally:
            good.parent.chmod(0o755)
            good.chmod(0o644)


def test_a_read_only_database_is_reported_as_not_writable(read_only_db):
    with pytest.raises(db.DatabaseReadOnly, match="n'est pas accessible en écriture") as info:
        db.connect(read_only_db)
    assert "lisible" not in str(info.value).split("Détail")[0]
    con = db.connect(read_only_db, read_only=True)  # reading still works
    assert con.execute("SELECT count(*) FROM places").fetchone()[0] == 42
    con.close()


def test_the_cli_reads_a_read_only_database_and_refuses_to_write_it(capsys, read_only_db):
    assert cli.main(["places", "--json", "--db", str(read_only_db)]) == 0
    capsys.readouterr()
    code = cli.main(["snapshot", "create", "--label", "x", "--db", str(read_only_db)])
    out, err = capsys.readouterr()
    assert code == 1 and "n'est pas accessible en écriture" in err and "Traceback" not in err


def test_a_commit_on_a_full_disk_is_a_french_error_and_writes_nothing(small_disk):
    path = small_disk / "observatory.duckdb"
    with db.session(path) as con:
        before = con.execute("SELECT count(*) FROM evaluations").fetchone()[0]
        with pytest.raises(db.DiskFull, match="le disque est plein") as info:
            with db.transaction(con):
                con.execute("DELETE FROM evaluations")
                con.execute("CREATE TABLE filler AS SELECT range AS i, repeat('x', 200) || "
                            "range::VARCHAR AS s FROM range(300000)")
        assert "Rien n'a été enregistré" in str(info.value)
    with db.session(path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM evaluations").fetchone()[0] == before


def test_a_backup_onto_a_full_disk_leaves_no_half_file(capsys, good, small_disk):
    target = small_disk / "sauvegarde.duckdb"
    code = cli.main(["backup", str(target), "--db", str(good)])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "disque est plein" in err and "Traceback" not in err
    assert os.listdir(small_disk) == ["observatory.duckdb"]


def test_a_commit_in_a_folder_that_cannot_take_new_files_says_not_writable(tmp_path, good):
    """The WAL cannot be created: an immutable folder (chattr +i) stops even root."""
    if not shutil.which("chattr") or subprocess.run(
            ["chattr", "+i", str(good.parent)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available on this file system")
    try:
        with db.session(good) as con:
            with pytest.raises(db.DatabaseReadOnly, match="n'est pas accessible en écriture"):
                with db.transaction(con):
                    con.execute("DELETE FROM evaluations")
    finally:
        subprocess.run(["chattr", "-i", str(good.parent)], check=True)


# --- the same failures, simulated: they run everywhere -----------------------------------

def duck_error(cls, code: int, where: str = "/srv/observatory.duckdb") -> duckdb.Error:
    return cls(f'IO Error: Could not write file "{where}": {os.strerror(code)}')


@pytest.mark.parametrize("code, expected", [
    (errno.ENOSPC, db.DiskFull), (errno.EROFS, db.DatabaseReadOnly),
    (errno.EACCES, db.DatabaseReadOnly), (errno.EPERM, db.DatabaseReadOnly)])
def test_duckdb_file_system_failures_get_their_french_class(code, expected):
    explained = db.explain(duck_error(duckdb.TransactionException, code))
    assert type(explained) is expected
    assert errors.os_reason(code) in str(explained)


def test_an_unknown_duckdb_error_is_left_alone_as_a_bug():
    assert db.explain(duckdb.CatalogException("Catalog Error: Table with name x does not exist"))\
        is None
    assert db.explain(ValueError("no")) is None


def test_a_backup_failing_for_lack_of_space_keeps_the_previous_backup(capsys, good, tmp_path,
                                                                       monkeypatch):
    target = tmp_path / "sauvegarde.duckdb"
    assert cli.main(["backup", str(target), "--db", str(good)]) == 0
    previous = target.read_bytes()

    def full(src, dst, *args, **kwargs):
        Path(dst).write_bytes(b"half")  # a partial file, as a real full disk leaves one
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    monkeypatch.setattr(shutil, "copyfile", full)
    capsys.readouterr()
    code = cli.main(["backup", str(target), "--force", "--db", str(good)])
    err = capsys.readouterr().err
    assert code == 1 and "disque est plein" in err
    assert target.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["observatory.duckdb",
                                                          "sauvegarde.duckdb"]
