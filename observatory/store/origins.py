"""Where places come from: their records in each source (``place_sources``) and which
source gave each field (``field_provenance``), migration 012."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import pandas as pd
import pyarrow as pa

from observatory.origins import MANUAL, fields_of, provenance_text, sources_text

_SOURCE_COLUMNS = ("place_id", "source", "record_id", "file_name", "publisher", "vintage")


def sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every record of every source: place_id, source, record_id, file_name, publisher,
    vintage, imported_at."""
    return con.execute(
        "SELECT place_id, source, record_id, file_name, publisher, vintage, imported_at "
        "FROM place_sources ORDER BY place_id, source, record_id").df()


def field_sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Which source gave each field: place_id, field, source, record_id, updated_at."""
    return con.execute(
        "SELECT place_id, field, source, record_id, updated_at FROM field_provenance "
        "ORDER BY place_id, field").df()


def of_place(con: duckdb.DuckDBPyConnection, place_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(its source records, its field provenance) for one place."""
    recs = con.execute("SELECT source, record_id, file_name, publisher, vintage, imported_at "
                       "FROM place_sources WHERE place_id = ? ORDER BY imported_at",
                       [int(place_id)]).df()
    fields = con.execute("SELECT field, source, record_id, updated_at FROM field_provenance "
                         "WHERE place_id = ? ORDER BY field", [int(place_id)]).df()
    return recs, fields


def record_sources(con: duckdb.DuckDBPyConnection,
                   rows: Sequence[tuple[int, object]]) -> None:
    """(place id, ``importing.Origin``) pairs into ``place_sources``; a record already
    known (same source and id) now points at this place with the new file and vintage."""
    if not rows:
        return
    table = pa.table({
        "place_id": pa.array([int(pid) for pid, _ in rows], pa.int32()),
        "source": pa.array([o.source for _, o in rows], pa.string()),
        "record_id": pa.array([o.record_id for _, o in rows], pa.string()),
        "file_name": pa.array([o.file_name for _, o in rows], pa.string()),
        "publisher": pa.array([o.publisher for _, o in rows], pa.string()),
        "vintage": pa.array([o.vintage for _, o in rows], pa.string()),
    })
    con.register("_bulk_place_sources", table)
    try:
        # Delete then insert, every column given: the PostgreSQL extension has no upsert
        # and applies no column default.
        con.execute(
            "DELETE FROM place_sources WHERE (source, record_id) IN "
            "(SELECT source, record_id FROM _bulk_place_sources)")
        con.execute(
            "INSERT INTO place_sources (place_id, source, record_id, file_name, publisher, "
            "vintage, imported_at) SELECT DISTINCT ON (source, record_id) place_id, source, "
            "record_id, file_name, publisher, vintage, now()::TIMESTAMP "
            "FROM _bulk_place_sources")
    finally:
        con.unregister("_bulk_place_sources")


def record_fields(con: duckdb.DuckDBPyConnection,
                  rows: Iterable[tuple[int, str, str, str]]) -> None:
    """(place id, provenance field, source, record id) into ``field_provenance``: the
    latest source of each field wins."""
    rows = list({(int(p), f): (int(p), f, s, r) for p, f, s, r in rows}.values())
    if not rows:
        return
    table = pa.table({
        "place_id": pa.array([r[0] for r in rows], pa.int32()),
        "field": pa.array([r[1] for r in rows], pa.string()),
        "source": pa.array([r[2] for r in rows], pa.string()),
        "record_id": pa.array([r[3] for r in rows], pa.string()),
    })
    con.register("_bulk_field_provenance", table)
    try:
        con.execute(
            "DELETE FROM field_provenance WHERE (place_id, field) IN "
            "(SELECT place_id, field FROM _bulk_field_provenance)")
        con.execute(
            "INSERT INTO field_provenance (place_id, field, source, record_id, updated_at) "
            "SELECT place_id, field, source, record_id, now()::TIMESTAMP "
            "FROM _bulk_field_provenance")
    finally:
        con.unregister("_bulk_field_provenance")


def record_manual(con: duckdb.DuckDBPyConnection, place_id: int,
                  columns: Iterable[str]) -> None:
    """Fields typed in the application: provenance "manual" (an import keeps them)."""
    record_fields(con, [(int(place_id), f, MANUAL, str(int(place_id)))
                        for f in fields_of(columns)])


def summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """place_id, sources (text), provenance (text): the export's columns, in French."""
    recs = sources(con)
    fields = field_sources(con)
    ids = sorted(set(recs["place_id"]) | set(fields["place_id"]))
    by_place_recs = {pid: g.to_dict(orient="records") for pid, g in recs.groupby("place_id")}
    by_place_fields = {pid: g.to_dict(orient="records") for pid, g in fields.groupby("place_id")}
    return pd.DataFrame({
        "place_id": pd.Series(ids, dtype="int64"),
        "sources": [sources_text(by_place_recs.get(pid, [])) for pid in ids],
        "provenance": [provenance_text(by_place_fields.get(pid, [])) for pid in ids],
    })
