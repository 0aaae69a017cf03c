"""Connection, numbered migrations and transactions: a DuckDB file, or PostgreSQL.

PostgreSQL is reached from DuckDB itself (its ``postgres_scanner`` extension, loaded from the
``duckdb-extension-postgres-scanner`` wheel, offline): the connection handed to the store is a
DuckDB connection whose default schema is the territory's schema in PostgreSQL, so the store's
SQL is the same on both back ends. Only what PostgreSQL must do itself lives here: the
migrations (``migrations_pg/``, numbered like ``migrations/``) under an advisory lock, the
sequences, and the data version every write bumps (see ``data_version``).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

from observatory import dburl, errors, files
from observatory.errors import StoreError, StoreLockedError

PG = "observatoire_pg"  # the name PostgreSQL is attached under in each DuckDB connection

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


class ConcurrentWrite(StoreError, errors.ConflictError):
    """PostgreSQL refused a write that raced another process's write to the same rows
    (caught by the pages like any other edit conflict)."""


class DatabaseUnreachable(StoreError):
    """The PostgreSQL server cannot be reached or refuses the account."""


_PG_CONFLICT = re.compile(r"could not serialize access|deadlock detected")
_PG_UNREACHABLE = re.compile(r"Unable to connect to Postgres|connection to server .* failed"
                             r"|password authentication failed|server closed the connection")

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
    text = dburl.mask(str(exc))
    if path is not None:
        path = dburl.shown(path)
    name = f"La base {path}" if path else "La base"
    if _PG_CONFLICT.search(text):
        return ConcurrentWrite(
            "Un autre utilisateur a enregistré une modification au même moment : rien n'a été "
            "enregistré. Rechargez la page puis refaites votre modification.")
    if _PG_UNREACHABLE.search(text):
        return DatabaseUnreachable(
            f"Impossible de joindre le serveur PostgreSQL{f' ({path})' if path else ''} : "
            f"vérifiez qu'il tourne, l'adresse, l'utilisateur et le mot de passe. "
            f"Détail : {text}")
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


def is_postgres(con_or_target) -> bool:
    """Whether a target (path or URL) or an open connection is PostgreSQL."""
    if isinstance(con_or_target, duckdb.DuckDBPyConnection):
        return con_or_target.execute("SELECT current_database()").fetchone()[0] == PG
    return dburl.is_postgres(con_or_target)


def _extension() -> str:
    import duckdb_extension_postgres_scanner as package

    folder = Path(package.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    return str(folder / "postgres_scanner.duckdb_extension")


# One DuckDB instance per PostgreSQL URL and mode in this process, PostgreSQL attached once
# (loading the extension and attaching take about half a second); each session is a cursor
# of it: its own DuckDB connection, with its own transaction and PostgreSQL connection.
_instances: dict[tuple[str, bool], duckdb.DuckDBPyConnection] = {}
_instances_lock = threading.Lock()


def _instance(base: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A new cursor (DuckDB connection) of this process's instance for the URL and mode."""
    key = (base, read_only)
    with _instances_lock:
        root = _instances.get(key)
        if root is None:
            root = duckdb.connect(config={"python_enable_replacements": False,
                                          "autoinstall_known_extensions": False,
                                          "autoload_known_extensions": False})
            try:
                root.execute("LOAD '" + _extension().replace("'", "''") + "'")
                # ATTACH takes no bound parameter: the URL (from the settings, not from a
                # user) is written as a quoted SQL literal.
                literal = "'" + base.replace("'", "''") + "'"
                options = "TYPE postgres, READ_ONLY" if read_only else "TYPE postgres"
                root.execute(f"ATTACH {literal} AS {PG} ({options})")
            except BaseException:
                root.close()
                raise
            _instances[key] = root
        # The root connection is used here only, under the lock: a DuckDB connection is not
        # thread-safe; each session works on its own cursor.
        return root.cursor()


def _ensure_schema(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    exists = con.execute("SELECT count(*) FROM duckdb_schemas() WHERE database_name = ? "
                         "AND schema_name = ?", [PG, schema]).fetchone()[0]
    if not exists:
        pg_execute(con, "CREATE SCHEMA IF NOT EXISTS " + schema)
        con.execute("CALL pg_clear_cache()")


def release(target: str | None = None) -> None:
    """Close the cached PostgreSQL instances (of one URL, or all): their server connections
    end (before a restore, or when a test copies a database used as a template)."""
    base = dburl.split(target)[0] if target else None
    with _instances_lock:
        for key in [k for k in _instances if base is None or k[0] == base]:
            _instances.pop(key).close()


def connect_postgres(url: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the PostgreSQL database attached, on the territory's schema."""
    base, schema = dburl.split(url)
    schema = schema or "public"
    try:
        con = _instance(base, read_only)
        if not read_only:
            _ensure_schema(con, schema)
        try:
            con.execute(f"USE {PG}.{schema}")
        except duckdb.CatalogException:  # created since this process read the catalog
            con.execute("CALL pg_clear_cache()")
            con.execute(f"USE {PG}.{schema}")
    except duckdb.Error as exc:
        explained = explain(exc, url)
        raise (explained or StoreError(
            f"La base {dburl.shown(url)} n'a pas pu être ouverte. "
            f"Détail : {dburl.mask(str(exc))}")) from None
    return con


def pg_execute(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run SQL in PostgreSQL itself (DDL, locks, sequences); inside a DuckDB transaction it
    runs in that transaction."""
    con.execute(f"CALL postgres_execute('{PG}', ?)", [sql])


def pg_query(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    """Rows of a query PostgreSQL runs itself (sequences' values)."""
    return con.execute(f"SELECT * FROM postgres_query('{PG}', ?)", [sql]).fetchall()


def current_schema(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT current_schema()").fetchone()[0]


def next_ids(con: duckdb.DuckDBPyConnection, sequence: str, count: int = 1) -> list[int]:
    """``count`` new values of a sequence, in order (the ids of rows about to be inserted)."""
    if not re.fullmatch(r"[a-z_]+", sequence):
        raise ValueError(sequence)
    if count <= 0:
        return []
    if is_postgres(con):
        sql = (f"SELECT nextval('{current_schema(con)}.{sequence}') AS id "
               f"FROM generate_series(1, {int(count)}) ORDER BY id")
        return [int(r[0]) for r in pg_query(con, sql)]
    rows = con.execute(f"SELECT nextval('{sequence}') AS id FROM range(?) ORDER BY id",
                       [int(count)]).fetchall()
    return [int(r[0]) for r in rows]


def insert_returning_id(con: duckdb.DuckDBPyConnection, table: str,
                        values: dict[str, object]) -> int:
    """Insert one row with a fresh id from ``<table>_id_seq``; returns the id (the
    PostgreSQL extension has no ``INSERT … RETURNING``, so the id is taken first)."""
    if not re.fullmatch(r"[a-z_]+", table) or not all(re.fullmatch(r"[a-z_]+", c)
                                                        for c in values):
        raise ValueError(table)
    new_id = next_ids(con, f"{table}_id_seq")[0]
    columns = ", ".join(["id", *values])
    con.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * (len(values) + 1))})",
                [new_id, *values.values()])
    return new_id


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that grows after every committed write (PostgreSQL: read once per rerun by
    each app process to know whether its caches are stale); 0 for a DuckDB file."""
    if not is_postgres(con):
        return 0
    rows = pg_query(con, f"SELECT last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) "
                         f"FROM {current_schema(con)}.data_version")
    return int(rows[0][0])


def exists(target: str | Path) -> bool:
    """Whether the database was created: the file exists, or the territory's schema holds
    the schema_version table (``observatory init`` creates both)."""
    if not dburl.is_postgres(target):
        return Path(target).exists()
    _, schema = dburl.split(str(target))
    con = connect_postgres(str(target), read_only=True)
    sql = ("SELECT count(*) FROM information_schema.tables WHERE table_catalog = ? "
           "AND table_schema = ? AND table_name = 'schema_version'")
    try:
        if con.execute(sql, [PG, schema or "public"]).fetchone()[0]:
            return True
        # Maybe created by another process since this one read PostgreSQL's catalog.
        con.execute("CALL pg_clear_cache()")
        return bool(con.execute(sql, [PG, schema or "public"]).fetchone()[0])
    finally:
        con.close()


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (or create) the DuckDB file, or attach PostgreSQL when ``path`` is a
    ``postgresql://`` URL; a French StoreError subclass when it cannot be."""
    if dburl.is_postgres(path):
        return connect_postgres(str(path), read_only=read_only)
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


def migrations(dialect: str = "duckdb") -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped with the package, in order
    (``dialect="postgresql"``: their PostgreSQL twins, numbered alike)."""
    folder = resources.files("observatory.store") / (
        "migrations_pg" if dialect == "postgresql" else "migrations")
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Highest migration applied; 0 for an empty file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version' "
        "AND table_catalog = current_database() AND table_schema = current_schema()"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection, target: int | None = None) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; idempotent.

    ``target`` stops at a given version (used by tests to build an older file).
    Returns the names of the migrations applied.
    """
    if is_postgres(con):
        return _migrate_postgres(con, target)
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


def _migrate_postgres(con: duckdb.DuckDBPyConnection, target: int | None) -> list[str]:
    """The PostgreSQL twins, each in one PostgreSQL transaction under a lock on
    schema_version: two processes running `init` at once apply each migration once (the
    second waits, then sees it recorded).

    The extension runs every statement in a REPEATABLE READ transaction, whose snapshot is
    taken by its first query: an advisory lock (``SELECT pg_advisory_xact_lock``) would be
    that query, so the check after it would not see what the other process committed while
    this one waited. ``LOCK TABLE`` takes no snapshot; the check inside the PL/pgSQL block
    then reads after the lock is held."""
    schema = current_schema(con)
    pg_execute(con, f"CREATE TABLE IF NOT EXISTS {schema}.schema_version ("
                    " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                    " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp);"
                    f"CREATE SEQUENCE IF NOT EXISTS {schema}.data_version")
    con.execute("CALL pg_clear_cache()")
    applied = []
    before = schema_version(con)  # a hint; the block below checks again under the lock
    for version, name, sql in migrations("postgresql"):
        if target is not None and version > target:
            continue
        if "$observatoire$" in sql or "$migration$" in sql:
            raise ValueError(name)
        if version <= before:
            continue
        pg_execute(con, f"LOCK TABLE {schema}.schema_version IN EXCLUSIVE MODE; "
                        "DO $observatoire$ BEGIN "
                        f"PERFORM set_config('search_path', '{schema}', true); "
                        f"IF NOT EXISTS (SELECT 1 FROM schema_version WHERE version = {version}) "
                        f"THEN EXECUTE $migration$ {sql} $migration$; "
                        f"INSERT INTO schema_version (version, name) VALUES ({version}, '{name}'); "
                        "END IF; END $observatoire$")
        applied.append(name)
    con.execute("CALL pg_clear_cache()")
    return applied


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write DuckDB's WAL into the file (nothing to do on PostgreSQL)."""
    if not is_postgres(con):
        con.execute("CHECKPOINT")


def bump_data_version(con: duckdb.DuckDBPyConnection) -> None:
    """Tell every app process that data changed (after a commit, so that a reader who sees the
    new number also sees the new rows; a sequence, so that two writers never conflict)."""
    if is_postgres(con):
        pg_query(con, f"SELECT nextval('{current_schema(con)}.data_version')")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection,
                exclusive: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: commit on success, roll back on any exception.

    ``exclusive`` names a table other processes may not write until this transaction ends
    (PostgreSQL: taken before the transaction's first read, so what the block reads is what
    the previous holder committed; DuckDB: its file lock already keeps writers out).

    A failed COMMIT (full disk, read-only folder for the WAL) has already been rolled back
    by DuckDB; it is raised as the French StoreError when we understand it.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        if exclusive is not None and is_postgres(con):
            if not re.fullmatch(r"[a-z_]+", exclusive):
                raise ValueError(exclusive)
            pg_execute(con, f"LOCK TABLE {current_schema(con)}.{exclusive} IN EXCLUSIVE MODE")
        yield con
    except BaseException as exc:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # the transaction is already gone: keep the original exception
        explained = explain(exc) if isinstance(exc, duckdb.Error) else None
        if isinstance(explained, ConcurrentWrite):
            raise explained from None
        raise
    try:
        con.execute("COMMIT")
    except duckdb.Error as exc:
        explained = explain(exc)
        if explained is None:
            raise
        raise explained from exc
    bump_data_version(con)


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
        if isinstance(exc, duckdb.CatalogException) and dburl.is_postgres(path):
            # Another process may have migrated the schema: read PostgreSQL's catalog afresh
            # next time (DuckDB caches it per process).
            con.execute("CALL pg_clear_cache()")
        explained = explain(exc, path, read_only=read_only)
        if explained is None:
            raise
        raise explained from exc
    finally:
        con.close()
