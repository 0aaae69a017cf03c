"""Connection, numbered migrations and transactions for the DuckDB file."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class StoreError(RuntimeError):
    """A database problem explained in French for the UI and the CLI."""


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (or create) the DuckDB file; French message when another process holds it."""
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(f"Base introuvable : {path}. Lancez « observatory init --demo ».")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # No replacement scans: a table name must never resolve to a Python variable.
        return duckdb.connect(str(path), read_only=read_only,
                              config={"python_enable_replacements": False})
    except duckdb.ConnectionException as exc:
        raise StoreError(
            f"La base {path} est déjà ouverte dans ce programme dans un autre mode "
            f"(lecture seule / écriture). Détail : {exc}"
        ) from exc
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreError(
                f"Impossible d'ouvrir la base {path} : elle est ouverte par un autre processus "
                f"(l'application ?). Fermez-le puis réessayez. Détail : {exc}"
            ) from exc
        raise StoreError(
            f"Le fichier {path} n'est pas une base DuckDB lisible. Détail : {exc}") from exc


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
    """All or nothing: commit on success, roll back on any exception."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def session(path: str | Path, read_only: bool = False,
            wait_s: float = 10.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection, closed on exit; waits while another process holds the file."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            con = connect(path, read_only=read_only)
            break
        except StoreError as exc:
            if "autre processus" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.1 + random.random() * 0.2)  # jitter: waiting processes do not collide
    try:
        yield con
    finally:
        con.close()
