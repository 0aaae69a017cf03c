"""Evaluations: one score per criterion, dated, with evaluator and evidence."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from observatory.model import CRITERIA, CRITERIA_KEYS
from observatory.store import audit

FIELDS = ("place_id", "evaluated_on", "evaluator", *CRITERIA_KEYS, "evidence")


def insert(con: duckdb.DuckDBPyConnection, evaluation: Mapping[str, object]) -> int:
    row = con.execute(
        f"INSERT INTO evaluations ({', '.join(FIELDS)}) "
        f"VALUES ({', '.join('?' for _ in FIELDS)}) RETURNING id",
        [evaluation.get(f) for f in FIELDS],
    ).fetchone()
    return int(row[0])


def history(con: duckdb.DuckDBPyConnection, place_id: int | None = None) -> pd.DataFrame:
    """Every evaluation, oldest first; of one place when ``place_id`` is given."""
    sql = f"SELECT id, {', '.join(FIELDS)} FROM evaluations"
    params: list[object] = []
    if place_id is not None:
        sql += " WHERE place_id = ?"
        params.append(int(place_id))
    return con.execute(sql + " ORDER BY place_id, evaluated_on, id", params).df()


def seed_criteria(con: duckdb.DuckDBPyConnection) -> None:
    """Write the five criteria (labels and descriptions) into their table."""
    con.execute("DELETE FROM criteria")
    con.executemany(
        "INSERT INTO criteria VALUES (?, ?, ?, ?)",
        [(c.key, i, c.label, c.description) for i, c in enumerate(CRITERIA, start=1)],
    )


def create(con: duckdb.DuckDBPyConnection, evaluation: Mapping[str, object], actor: str) -> int:
    """Record a new evaluation and its audit entry (call inside a transaction)."""
    new_id = insert(con, evaluation)
    audit.record(con, actor=actor, entity="evaluation", entity_id=new_id, action="create",
                 old=None, new={f: evaluation.get(f) for f in FIELDS})
    return new_id
