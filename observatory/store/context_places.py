"""The places of national programmes on the territory (context, never in the inventory)."""

from __future__ import annotations

import duckdb
import pandas as pd

COLUMNS = ["id", "programme", "source_id", "name", "insee", "lon", "lat", "format", "address",
           "postcode", "position", "vintage"]


def replace(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame | None) -> int:
    """Replace every programme place by ``frame`` (``observatory.territory.programmes``'
    columns; None or empty: none). Ids are 1, 2, 3… in the frame's order. Call inside a
    transaction; returns how many were written."""
    con.execute("DELETE FROM context_places")
    if frame is None or frame.empty:
        return 0
    rows = frame.reset_index(drop=True).reindex(columns=COLUMNS[1:]).copy()
    rows.insert(0, "id", range(1, len(rows) + 1))
    for column in ("format", "address", "postcode", "vintage"):
        rows[column] = rows[column].where(rows[column].fillna("").astype(str) != "", None)
    con.executemany(
        f"INSERT INTO context_places ({', '.join(COLUMNS)}) VALUES "
        f"({', '.join('?' * len(COLUMNS))})",
        [[None if pd.isna(v) else v for v in row] for row in rows.itertuples(index=False)])
    return len(rows)


def all_places(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every programme place with its commune's name and whether it is in the perimeter,
    by id (programme, then source id)."""
    return con.execute(
        "SELECT p.*, c.name AS commune, coalesce(c.in_perimeter, false) AS in_perimeter"
        " FROM context_places p LEFT JOIN communes c ON c.insee = p.insee"
        " ORDER BY p.id").df()


def count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM context_places").fetchone()[0]
