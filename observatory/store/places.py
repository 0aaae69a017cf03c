"""Places and their current scores (those of the latest evaluation)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb
import pandas as pd

from observatory.model import CRITERIA_KEYS

PLACE_FIELDS = (
    "name", "insee", "lon", "lat", "location_approximate", "typology", "legal_status",
    "opening_year", "transition_oriented", "thematics", "website", "contact", "is_demo",
)

_SCORES = ", ".join(f"l.{k}" for k in CRITERIA_KEYS)
CURRENT_SQL = f"""
WITH latest AS (
    SELECT * FROM evaluations
    QUALIFY row_number() OVER (PARTITION BY place_id ORDER BY evaluated_on DESC, id DESC) = 1
), counted AS (
    SELECT place_id, count(*) AS evaluation_count FROM evaluations GROUP BY place_id
)
SELECT p.id, p.name, p.insee, c.name AS commune, c.epci_siren, e.name AS epci_name,
       c.in_perimeter, c.in_excluded_zone, p.lon, p.lat, p.location_approximate,
       p.typology, p.legal_status, p.opening_year, p.transition_oriented, p.thematics,
       p.website, p.contact, p.is_demo, p.version,
       l.evaluated_on AS last_evaluated_on, l.evaluator AS last_evaluator,
       coalesce(n.evaluation_count, 0) AS evaluation_count, {_SCORES}
FROM places p
LEFT JOIN communes c ON c.insee = p.insee
LEFT JOIN epci e ON e.siren = c.epci_siren
LEFT JOIN latest l ON l.place_id = p.id
LEFT JOIN counted n ON n.place_id = p.id
WHERE NOT p.archived
ORDER BY p.name, p.id
"""


def insert(con: duckdb.DuckDBPyConnection, place: Mapping[str, object]) -> int:
    """Insert one place; returns its id. Unknown keys are ignored, missing ones are NULL."""
    fields = [f for f in PLACE_FIELDS if f in place]
    placeholders = ", ".join("?" for _ in fields)
    row = con.execute(
        f"INSERT INTO places ({', '.join(fields)}) VALUES ({placeholders}) RETURNING id",
        [place[f] for f in fields],
    ).fetchone()
    return int(row[0])


def insert_many(con: duckdb.DuckDBPyConnection, places: Iterable[Mapping[str, object]]) -> list[int]:
    return [insert(con, p) for p in places]


def current(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per place not archived, with commune, EPCI and the latest scores."""
    df = con.execute(CURRENT_SQL).df()
    df["thematics"] = df["thematics"].map(lambda v: list(v) if v is not None else [])
    return df


def count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM places WHERE NOT archived").fetchone()[0]


def demo_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM places WHERE is_demo AND NOT archived").fetchone()[0]


def delete_demo(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the demonstration places and their evaluations (call inside a transaction)."""
    con.execute("DELETE FROM evaluations WHERE place_id IN (SELECT id FROM places WHERE is_demo)")
    con.execute("DELETE FROM places WHERE is_demo")
