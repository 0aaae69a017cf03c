"""Snapshots as bytes: freeze a Bundle into Parquet tables plus JSON metadata, and back."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import geopandas as gpd
import pandas as pd

from observatory.bundle import Bundle
from observatory.errors import ObservatoryError
from observatory.maturity import MaturityRule

GEOMETRY_TABLE = "_communes_geometry"


class SnapshotError(ObservatoryError, RuntimeError):
    """A snapshot that cannot be read or written; the message is in French."""


def _to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def freeze(bundle: Bundle) -> tuple[dict[str, object], dict[str, bytes]]:
    """(metadata, {table name: Parquet bytes}) of a bundle."""
    blobs = {name: _to_parquet(frame) for name, frame in bundle.tables.items()}
    geo = io.BytesIO()
    bundle.communes_geometry.to_parquet(geo, index=False)
    blobs[GEOMETRY_TABLE] = geo.getvalue()
    meta = {
        "label": bundle.label,
        "created_at": bundle.created_at.isoformat(),
        "created_by": bundle.created_by,
        "territory_name": bundle.territory_name,
        "schema_version": bundle.schema_version,
        "rule": bundle.rule.as_dict(),
        "indicators": bundle.indicators,
        "territory": bundle.meta,
        "counts": {name: int(len(frame)) for name, frame in bundle.tables.items()},
        "mature": int(bundle.places["mature"].sum()) if len(bundle.places) else 0,
    }
    return meta, blobs


def checksum(meta: dict[str, object], blobs: dict[str, bytes]) -> str:
    """sha256 over the metadata and every table, in a fixed order."""
    digest = hashlib.sha256(json.dumps(meta, sort_keys=True, ensure_ascii=False,
                                       default=str).encode())
    for name in sorted(blobs):
        digest.update(name.encode() + b"\0" + hashlib.sha256(blobs[name]).digest())
    return digest.hexdigest()


def thaw(meta: dict[str, object], blobs: dict[str, bytes], expected_checksum: str) -> Bundle:
    """The bundle back from its stored form; refuses content that does not match its checksum."""
    if checksum(meta, blobs) != expected_checksum:
        raise SnapshotError(f"L'instantané « {meta.get('label')} » est altéré : "
                            "son contenu ne correspond plus à son empreinte.")
    tables = {name: pd.read_parquet(io.BytesIO(blob)) for name, blob in blobs.items()
              if name != GEOMETRY_TABLE}
    for frame in tables.values():  # Parquet gives numpy arrays for list columns
        for column in frame.columns:
            if not len(frame) or frame[column].dtype != object:
                continue
            if frame[column].map(lambda v: hasattr(v, "tolist") and not isinstance(v, str)).any():
                frame[column] = frame[column].map(lambda v: list(v.tolist())
                                                  if hasattr(v, "tolist") else v)
    geometry = gpd.read_parquet(io.BytesIO(blobs[GEOMETRY_TABLE]))
    return Bundle(
        label=str(meta["label"]), created_at=dt.datetime.fromisoformat(str(meta["created_at"])),
        created_by=str(meta["created_by"]), territory_name=str(meta["territory_name"]),
        schema_version=int(meta["schema_version"]), rule=MaturityRule(**meta["rule"]),
        tables=tables, communes_geometry=geometry, indicators=dict(meta.get("indicators", {})),
        meta=dict(meta.get("territory", {})))
