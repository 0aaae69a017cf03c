"""The audit trail: one row per change, with the old and new values as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from observatory.formatting import is_missing
from observatory.store import db


def _json(values: Mapping[str, object] | None) -> str | None:
    return None if values is None else json.dumps(dict(values), ensure_ascii=False, default=str)


def record(con: duckdb.DuckDBPyConnection, *, actor: str, entity: str, entity_id: int,
           action: str, old: Mapping[str, object] | None, new: Mapping[str, object] | None) -> None:
    con.execute(
        "INSERT INTO audit_log (actor, entity, entity_id, action, old_values, new_values) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [actor, entity, int(entity_id), action, _json(old), _json(new)])


def record_many(con: duckdb.DuckDBPyConnection, entries: Sequence[Mapping[str, object]]) -> None:
    """Many changes in two statements (an import); each entry has the keys of ``record``.

    Entries get increasing ids in the order given, as if recorded one by one.
    """
    if not entries:
        return
    ids = new_ids(con, "audit_log_id_seq", len(entries))
    table = pa.table({
        "id": pa.array(ids, pa.int32()),
        "actor": pa.array([str(e["actor"]) for e in entries], pa.string()),
        "entity": pa.array([str(e["entity"]) for e in entries], pa.string()),
        "entity_id": pa.array([int(e["entity_id"]) for e in entries], pa.int32()),
        "action": pa.array([str(e["action"]) for e in entries], pa.string()),
        "old_values": pa.array([_json(e.get("old")) for e in entries], pa.string()),
        "new_values": pa.array([_json(e.get("new")) for e in entries], pa.string()),
    })
    insert_table(con, "audit_log", table)


def new_ids(con: duckdb.DuckDBPyConnection, sequence: str, n: int) -> list[int]:
    """``n`` fresh values of a sequence in one statement, increasing."""
    return db.next_ids(con, sequence, n)


def plain(value: object) -> object:
    """A value as Arrow (``insert_table``) takes it: None when missing (None, NaN, ``pd.NA``,
    ``NaT``), numpy scalars as Python ones, arrays and tuples as lists. The writers of places
    and evaluations then apply their fields' own conversions."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    if is_missing(value):
        return None
    return value.item() if hasattr(value, "item") else value


def insert_table(con: duckdb.DuckDBPyConnection, table_name: str, table: pa.Table) -> None:
    """``INSERT INTO table_name (columns) SELECT columns`` from an Arrow table, in one statement.

    The table is registered under a private name for the statement only (the connections
    refuse replacement scans, so a Python variable is never read by name).
    """
    view = f"_bulk_{table_name}"
    columns = ", ".join(table.column_names)
    con.register(view, table)
    try:
        con.execute(f"INSERT INTO {table_name} ({columns}) SELECT {columns} FROM {view}")
    finally:
        con.unregister(view)


def history(con: duckdb.DuckDBPyConnection, entity: str | None = None,
            entity_id: int | None = None, limit: int = 1000) -> pd.DataFrame:
    """Changes, newest first, with the JSON values decoded."""
    sql = ("SELECT id, changed_at, actor, entity, entity_id, action, old_values, new_values "
           "FROM audit_log")
    clauses, params = [], []
    if entity is not None:
        clauses.append("entity = ?")
        params.append(entity)
    if entity_id is not None:
        clauses.append("entity_id = ?")
        params.append(int(entity_id))
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    df = con.execute(sql + " ORDER BY id DESC LIMIT ?", [*params, int(limit)]).df()
    for column in ("old_values", "new_values"):
        df[column] = df[column].map(lambda v: json.loads(v) if isinstance(v, str) else None)
    return df


def entry(con: duckdb.DuckDBPyConnection, audit_id: int) -> dict | None:
    row = con.execute("SELECT entity, entity_id, action, old_values, new_values FROM audit_log "
                      "WHERE id = ?", [int(audit_id)]).fetchone()
    if row is None:
        return None
    entity, entity_id, action, old, new = row
    return {"entity": entity, "entity_id": entity_id, "action": action,
            "old_values": json.loads(old) if old else None,
            "new_values": json.loads(new) if new else None}
