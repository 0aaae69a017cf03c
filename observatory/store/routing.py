"""The road graph in the store: replaced whole by a build, read back for the provider."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from observatory.routing import RoadGraph

META_COLUMNS = ["source_file", "extract_date", "extract_date_source", "built_at", "built_by",
                "profile", "raw_nodes", "ways", "nodes", "edges", "attribution"]


def replace(con: duckdb.DuckDBPyConnection, graph: RoadGraph, actor: str) -> None:
    """Replace the stored graph by ``graph`` (the caller holds the transaction)."""
    con.execute("DELETE FROM road_edges")
    con.execute("DELETE FROM road_nodes")
    con.execute("DELETE FROM road_graph")
    nodes = pa.table({"id": pa.array(np.arange(graph.node_count, dtype=np.int32)),
                      "lon": pa.array(np.asarray(graph.lon, dtype=float)),
                      "lat": pa.array(np.asarray(graph.lat, dtype=float))})
    edges = pa.table({"from_node": pa.array(np.asarray(graph.source, dtype=np.int32)),
                      "to_node": pa.array(np.asarray(graph.target, dtype=np.int32)),
                      "minutes": pa.array(np.asarray(graph.minutes, dtype=float)),
                      "km": pa.array(np.asarray(graph.km, dtype=float))})
    con.register("_road_nodes_in", nodes)
    try:
        con.execute("INSERT INTO road_nodes SELECT id, lon, lat FROM _road_nodes_in")
    finally:
        con.unregister("_road_nodes_in")
    con.register("_road_edges_in", edges)
    try:
        con.execute("INSERT INTO road_edges "
                    "SELECT from_node, to_node, minutes, km FROM _road_edges_in")
    finally:
        con.unregister("_road_edges_in")
    meta = {**graph.meta, "built_by": actor}
    con.execute(f"INSERT INTO road_graph (id, {', '.join(META_COLUMNS)}) "
                f"VALUES (1, {', '.join('?' for _ in META_COLUMNS)})",
                [meta.get(c) for c in META_COLUMNS])


def metadata(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The stored graph's metadata row, or None when no graph has been built (or the
    database predates the road graph tables)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables "
                         "WHERE table_name = 'road_graph' AND table_catalog = current_database() "
                         "AND table_schema = current_schema()").fetchone()[0]
    if not exists:
        return None
    row = con.execute(f"SELECT {', '.join(META_COLUMNS)} FROM road_graph WHERE id = 1").fetchone()
    return None if row is None else dict(zip(META_COLUMNS, row, strict=True))


def load(con: duckdb.DuckDBPyConnection) -> RoadGraph | None:
    """The stored graph, or None when no graph has been built."""
    meta = metadata(con)
    if meta is None:
        return None
    nodes = con.execute("SELECT lon, lat FROM road_nodes ORDER BY id").fetchnumpy()
    edges = con.execute("SELECT from_node, to_node, minutes, km FROM road_edges").fetchnumpy()
    return RoadGraph(lon=np.asarray(nodes["lon"], dtype=float),
                     lat=np.asarray(nodes["lat"], dtype=float),
                     source=np.asarray(edges["from_node"], dtype=np.int64),
                     target=np.asarray(edges["to_node"], dtype=np.int64),
                     minutes=np.asarray(edges["minutes"], dtype=float),
                     km=np.asarray(edges["km"], dtype=float), meta=meta)
