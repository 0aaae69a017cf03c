"""The maturity rule's parameters and their history."""

from __future__ import annotations

import duckdb
import pandas as pd

from observatory.maturity import MaturityRule


def current(con: duckdb.DuckDBPyConnection) -> MaturityRule:
    row = con.execute(
        "SELECT min_mean, min_each FROM maturity_rules ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return MaturityRule(*row) if row else MaturityRule()


def save(con: duckdb.DuckDBPyConnection, rule: MaturityRule, set_by: str) -> None:
    con.execute(
        "INSERT INTO maturity_rules (min_mean, min_each, set_by) VALUES (?, ?, ?)",
        [rule.min_mean, rule.min_each, set_by],
    )


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT id, min_mean, min_each, set_at, set_by FROM maturity_rules ORDER BY id"
    ).df()
