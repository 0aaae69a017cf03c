"""The snapshot catalogue and its frozen tables (Parquet bytes in the DuckDB file)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from observatory import snapshots
from observatory.bundle import Bundle
from observatory.snapshots import SnapshotError
from observatory.store import db


def create(con: duckdb.DuckDBPyConnection, bundle: Bundle) -> int:
    """Store a bundle as a new snapshot (call inside a transaction); returns its id."""
    meta, blobs = snapshots.freeze(bundle)
    digest = snapshots.checksum(meta, blobs)
    new_id = db.insert_returning_id(con, "snapshots", {
        "label": bundle.label, "created_at": bundle.created_at, "created_by": bundle.created_by,
        "schema_version": bundle.schema_version, "checksum": digest,
        "meta": json.dumps(meta, ensure_ascii=False, default=str)})
    con.executemany("INSERT INTO snapshot_tables VALUES (?, ?, ?)",
                    [(new_id, name, blob) for name, blob in blobs.items()])
    return int(new_id)


def catalogue(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every snapshot, newest first, with its counts (no table content)."""
    df = con.execute("SELECT id, label, created_at, created_by, schema_version, checksum, meta "
                     "FROM snapshots ORDER BY created_at DESC, id DESC").df()
    metas = df.pop("meta").map(json.loads)
    df["places"] = metas.map(lambda m: m["counts"].get("places", 0))
    df["mature"] = metas.map(lambda m: m.get("mature", None))
    return df


def read(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> Bundle:
    row = con.execute("SELECT meta, checksum FROM snapshots WHERE id = ?",
                      [snapshot_id]).fetchone()
    if row is None:
        raise SnapshotError(f"Instantané {snapshot_id} introuvable.")
    blobs = dict(con.execute("SELECT name, parquet FROM snapshot_tables WHERE snapshot_id = ?",
                             [snapshot_id]).fetchall())
    return snapshots.thaw(json.loads(row[0]), {k: bytes(v) for k, v in blobs.items()}, row[1])


def delete(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> None:
    """Explicit deletion, the only change a snapshot allows (call inside a transaction)."""
    con.execute("DELETE FROM snapshot_tables WHERE snapshot_id = ?", [snapshot_id])
    deleted = con.execute("DELETE FROM snapshots WHERE id = ?", [snapshot_id]).fetchone()[0]
    if not deleted:
        raise SnapshotError(f"Instantané {snapshot_id} introuvable.")
