"""Communes, EPCI and the territory's metadata."""

from __future__ import annotations

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

#: The communes' typologies (migration 011); NULL when the territory has none.
TYPOLOGY_COLUMNS = ["mountain", "massif", "density", "rurality", "centrality"]
COMMUNE_COLUMNS = [
    "insee", "name", "population", "epci_siren", "departement",
    "in_perimeter", "in_excluded_zone", "lon", "lat", "area_km2", "postcodes",
    *TYPOLOGY_COLUMNS,
]


def replace(con: duckdb.DuckDBPyConnection, communes: gpd.GeoDataFrame, epci: pd.DataFrame,
            meta: dict[str, str]) -> None:
    """Replace the whole referential (call inside a transaction)."""
    rows = communes.reindex(columns=COMMUNE_COLUMNS).copy()  # typologies may be absent
    rows["mountain"] = rows["mountain"].astype("boolean")
    rows["geometry_wkb"] = shapely.to_wkb(communes.geometry.values)
    con.execute("DELETE FROM communes")
    con.execute("DELETE FROM epci")
    con.execute("DELETE FROM territory_meta")
    con.register("_communes_in", rows)
    con.execute(f"INSERT INTO communes ({', '.join(rows.columns)}) SELECT * FROM _communes_in")
    con.unregister("_communes_in")
    epci_rows = epci[["siren", "name", "in_perimeter", "in_excluded_zone"]]
    con.register("_epci_in", epci_rows)
    con.execute("INSERT INTO epci SELECT * FROM _epci_in")
    con.unregister("_epci_in")
    con.executemany("INSERT INTO territory_meta VALUES (?, ?)", list(meta.items()))


def communes(con: duckdb.DuckDBPyConnection) -> gpd.GeoDataFrame:
    """Every commune loaded (perimeter and context), with its EPCI's name, WGS84."""
    df = con.execute(
        "SELECT c.*, e.name AS epci_name FROM communes c JOIN epci e ON e.siren = c.epci_siren "
        "ORDER BY c.insee"
    ).df()
    geometry = shapely.from_wkb(df.pop("geometry_wkb").map(bytes).to_numpy())
    return gpd.GeoDataFrame(df, geometry=geometry, crs="EPSG:4326")


def epci(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """EPCI with their commune count and population."""
    return con.execute(
        "SELECT e.siren, e.name, e.in_perimeter, e.in_excluded_zone,"
        " count(c.insee) AS communes, coalesce(sum(c.population), 0)::BIGINT AS population"
        " FROM epci e LEFT JOIN communes c ON c.epci_siren = e.siren"
        " GROUP BY ALL ORDER BY e.in_perimeter DESC, e.name"
    ).df()


def meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM territory_meta").fetchall())


def commune_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM communes").fetchone()[0]
