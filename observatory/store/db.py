"""Connection, numbered migrations and transactions for the DuckDB file."""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

from observatory import errors, files
from observatory.errors import StoreError, StoreLockedError

MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

RESTORE_HINT = "restaurez une sauvegarde (« observatory restore SAUVEGARDE --yes »)"


class DatabaseLocked(StoreLockedError):
    """Another process holds the file: waiting a little may help (the only retried case)."""


class DatabaseDamaged(StoreError):
    """The file is not a readable DuckDB database (corrupt, truncated, another format)."""


class DatabaseReadOnly(StoreError):
    """The file, or its folder, cannot be written (read-only mount, permissions)."""


class DiskFull(StoreError):
    """A write failed for lack of space; DuckDB rolled the transaction back."""


# DuckDB raises one exception type (IOException) for all of these and has no structured
# field (no errno, no code) to tell them apart, so each is recognised by DuckDB's own fixed
# wording, anchored on whole phrases: a bare "lock" also matched "in block at location" of
# a checksum failure. File-system failures carry the C library's strerror text, matched
# exactly through os.strerror (see errors.errno_in_text).
_LOCKED = re.compile(r"\bCould not set lock on file\b|\bConflicting lock is held\b")
_DAMAGED = re.compile(r"\bCorrupt (database|WAL) file\b|\bnot a valid DuckDB database file\b"
                      r"|\bCould not read enough bytes from file\b"
                      r"|\bFailure while replaying WAL file\b")


def explain(exc: BaseException, path: str | Path | None = None,
            read_only: bool = False) -> StoreError | None:
    """The French StoreError for a DuckDB failure we understand, else None (a bug: re-raise).

    ``read_only`` says the failure happened while only reading, so a permission problem
    means « not readable » rather than « not writable ».
    """
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc)
    name = f"La base {path}" if path else "La base"
    if isinstance(exc, duckdb.IOException) and _LOCKED.search(text):
        return DatabaseLocked(
            f"Impossible d'ouvrir la base{f' {path}' if path else ''} : elle est ouverte par un "
            f"autre processus (l'application ?). Fermez-le puis réessayez. Détail : {text}")
    if _DAMAGED.search(text):
        return DatabaseDamaged(f"{name} est un fichier endommagé ou n'est pas une base DuckDB : "
                               f"{RESTORE_HINT}. Détail : {text}")
    code = errors.errno_in_text(text)
    if code in errors.FULL:
        return DiskFull(f"Écriture impossible : {errors.os_reason(code)}. Rien n'a été "
                        f"enregistré ; libérez de la place puis réessayez. Détail : {text}")
    if code in errors.NOT_WRITABLE and read_only:
        return StoreError(f"{name} n'est pas lisible : droits insuffisants. Détail : {text}")
    if code in errors.NOT_WRITABLE:
        return DatabaseReadOnly(
            f"{name} n'est pas accessible en écriture ({errors.os_reason(code)}) : elle peut "
            "être consultée mais pas modifiée. Corrigez les droits du fichier et de son "
            f"dossier, ou copiez-la ailleurs. Rien n'a été enregistré. Détail : {text}")
    return None


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (or create) the DuckDB file; a French StoreError subclass when it cannot be."""
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(f"Base introuvable : {path}. Lancez « observatory init --demo ».")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        cls = DatabaseReadOnly if exc.errno in errors.NOT_WRITABLE else StoreError
        raise cls(f"Impossible de créer le dossier de la base {path} : "
                  f"{errors.describe_os_error(exc)}") from exc
    created = not read_only and not path.exists()
    try:
        # No replacement scans: a table name must never resolve to a Python variable.
        con = duckdb.connect(str(path), read_only=read_only,
                             config={"python_enable_replacements": False})
    except duckdb.ConnectionException as exc:
        raise StoreError(
            f"La base {path} est déjà ouverte dans ce programme dans un autre mode "
            f"(lecture seule / écriture). Détail : {exc}"
        ) from exc
    except duckdb.Error as exc:
        explained = explain(exc, path, read_only=read_only)
        if explained is not None:
            raise explained from exc
        # Not a wording we know: still a file DuckDB cannot open, which restore must replace.
        raise DatabaseDamaged(
            f"Le fichier {path} n'est pas une base DuckDB lisible. Détail : {exc}") from exc
    if created:  # personal data: private like the accounts file (an owner's later chmod stays)
        try:
            os.chmod(path, files.FILE_MODE)
        except OSError:
            con.close()
            raise
    return con


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped with the package, in order."""
    folder = resources.files("observatory.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Highest migration applied; 0 for an empty file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection, target: int | None = None) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; idempotent.

    ``target`` stops at a given version (used by tests to build an older file).
    Returns the names of the migrations applied.
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    current = schema_version(con)
    applied = []
    for version, name, sql in migrations():
        if version <= current or (target is not None and version > target):
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name])
        applied.append(name)
    return applied


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: commit on success, roll back on any exception.

    A failed COMMIT (full disk, read-only folder for the WAL) has already been rolled back
    by DuckDB; it is raised as the French StoreError when we understand it.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # the transaction is already gone: keep the original exception
        raise
    try:
        con.execute("COMMIT")
    except duckdb.Error as exc:
        explained = explain(exc)
        if explained is None:
            raise
        raise explained from exc


@contextmanager
def session(path: str | Path, read_only: bool = False,
            wait_s: float = 10.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection, closed on exit; waits while another process holds the file.

    Only a lock held elsewhere is worth waiting for; a damaged or read-only file fails at
    once. DuckDB failures inside the block that we understand (a block that turns out to
    be corrupt, a full disk) come out as the French StoreError subclass.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            con = connect(path, read_only=read_only)
            break
        except DatabaseLocked:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1 + random.random() * 0.2)  # jitter: waiting processes do not collide
    try:
        yield con
    except duckdb.Error as exc:
        explained = explain(exc, path, read_only=read_only)
        if explained is None:
            raise
        raise explained from exc
    finally:
        con.close()
