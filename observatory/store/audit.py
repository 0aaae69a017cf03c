"""The audit trail: one row per change, with the old and new values as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping

import duckdb
import pandas as pd


def _json(values: Mapping[str, object] | None) -> str | None:
    return None if values is None else json.dumps(dict(values), ensure_ascii=False, default=str)


def record(con: duckdb.DuckDBPyConnection, *, actor: str, entity: str, entity_id: int,
           action: str, old: Mapping[str, object] | None, new: Mapping[str, object] | None) -> None:
    con.execute(
        "INSERT INTO audit_log (actor, entity, entity_id, action, old_values, new_values) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [actor, entity, int(entity_id), action, _json(old), _json(new)])


def history(con: duckdb.DuckDBPyConnection, entity: str | None = None,
            entity_id: int | None = None, limit: int = 1000) -> pd.DataFrame:
    """Changes, newest first, with the JSON values decoded."""
    sql = "SELECT id, changed_at, actor, entity, entity_id, action, old_values, new_values FROM audit_log"
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
