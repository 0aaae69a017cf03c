"""Evaluations: one score per criterion, dated, with evaluator and evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import duckdb
import pandas as pd
import pyarrow as pa

from observatory.model import CRITERIA, CRITERIA_KEYS
from observatory.store import audit, db

FIELDS = ("place_id", "evaluated_on", "evaluator", *CRITERIA_KEYS, "evidence")


def insert(con: duckdb.DuckDBPyConnection, evaluation: Mapping[str, object]) -> int:
    return db.insert_returning_id(con, "evaluations", {f: evaluation.get(f) for f in FIELDS})


def history(con: duckdb.DuckDBPyConnection, place_id: int | None = None) -> pd.DataFrame:
    """Every evaluation, oldest first; of one place when ``place_id`` is given."""
    sql = f"SELECT id, {', '.join(FIELDS)} FROM evaluations"
    params: list[object] = []
    if place_id is not None:
        sql += " WHERE place_id = ?"
        params.append(int(place_id))
    return con.execute(sql + " ORDER BY place_id, evaluated_on, id", params).df()


def count(con: duckdb.DuckDBPyConnection) -> int:
    """How many evaluations the store holds (every place, archived ones included)."""
    return int(con.execute("SELECT count(*) FROM evaluations").fetchone()[0])


def seed_criteria(con: duckdb.DuckDBPyConnection) -> None:
    """Write the five criteria (labels and descriptions) into their table."""
    con.execute("DELETE FROM criteria")
    con.executemany(
        "INSERT INTO criteria VALUES (?, ?, ?, ?)",
        [(c.key, i, c.label, c.description) for i, c in enumerate(CRITERIA, start=1)],
    )


def create(con: duckdb.DuckDBPyConnection, evaluation: Mapping[str, object], actor: str) -> int:
    """Record a new evaluation and its audit entry (call inside a transaction)."""
    return create_many(con, [evaluation], actor)[0]


def create_many(con: duckdb.DuckDBPyConnection, new: Sequence[Mapping[str, object]],
                actor: str) -> list[int]:
    """Record evaluations in one statement, each with its audit entry (inside a transaction).

    Returns their ids, in order. The schema's checks (scores 0 to 4) refuse the whole set.
    """
    if not new:
        return []
    ids = audit.new_ids(con, "evaluations_id_seq", len(new))
    columns = {"id": pa.array(ids, pa.int32())}
    for f in FIELDS:
        columns[f] = pa.array([_plain(e.get(f), f) for e in new], _TYPES[f])
    audit.insert_table(con, "evaluations", pa.table(columns))
    audit.record_many(con, [
        {"actor": actor, "entity": "evaluation", "entity_id": i, "action": "create",
         "old": None, "new": {f: e.get(f) for f in FIELDS}}
        for i, e in zip(ids, new, strict=True)])
    return ids


_TYPES = {"place_id": pa.int32(), "evaluated_on": pa.date32(), "evaluator": pa.string(),
          **dict.fromkeys(CRITERIA_KEYS, pa.float64()), "evidence": pa.string()}


def _plain(value: object, field: str) -> object:
    """A value as Arrow takes it for ``field``'s type (``audit.plain``; dates as dates,
    place ids as integers)."""
    value = audit.plain(value)
    if value is None:
        return None
    if field == "evaluated_on":
        if isinstance(value, dt.datetime):  # a pandas Timestamp too
            return value.date()
        if isinstance(value, str):
            return dt.date.fromisoformat(value)
        return value
    return int(value) if field == "place_id" else value
