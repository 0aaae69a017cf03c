"""Write the PostgreSQL twin of a DuckDB migration: ``python -m observatory.store.port_migration``.

The migrations in ``migrations/`` (DuckDB) and ``migrations_pg/`` (PostgreSQL) are numbered
alike; ``tests/test_store_postgres.py`` fails when one has no twin. Most DuckDB DDL is already
PostgreSQL; the few types that differ are rewritten here, and the result is a file to read and
commit (check anything this did not know, e.g. DuckDB-only functions in an UPDATE).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FOLDER = Path(__file__).parent
# (DuckDB, PostgreSQL), whole words, in order.
REWRITES = (
    (re.compile(r"\bDOUBLE\b(?!\s+PRECISION)"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\bUBIGINT\b"), "NUMERIC(20)"),
    (re.compile(r"\bHUGEINT\b"), "NUMERIC(39)"),
    (re.compile(r"\bDEFAULT\s+\[\]"), "DEFAULT '{}'"),
    (re.compile(r"\bJSON\b"), "JSONB"),
)


def to_postgres(sql: str) -> str:
    """The DuckDB migration's text in PostgreSQL's dialect."""
    for pattern, replacement in REWRITES:
        sql = pattern.sub(replacement, sql)
    return sql


def port(name: str) -> Path:
    source = FOLDER / "migrations" / Path(name).name
    target = FOLDER / "migrations_pg" / source.name
    header = f"-- PostgreSQL twin of migrations/{source.name} (observatory.store.port_migration).\n"
    target.write_text(header + to_postgres(source.read_text(encoding="utf-8")), encoding="utf-8")
    return target


def missing() -> list[str]:
    """DuckDB migrations without a PostgreSQL twin."""
    twins = {p.name for p in (FOLDER / "migrations_pg").glob("*.sql")}
    return sorted(p.name for p in (FOLDER / "migrations").glob("*.sql") if p.name not in twins)


if __name__ == "__main__":
    names = sys.argv[1:] or missing()
    for migration in names:
        print(port(migration))
