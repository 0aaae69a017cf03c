"""GeoPackage and GeoJSON: places as points, communes and EPCI as polygons with their counts.

CRS: GeoJSON is WGS84 longitude/latitude (RFC 7946, EPSG:4326); the GeoPackage is in
**Lambert-93 (EPSG:2154)**, the French reference for measuring in a GIS (the places keep
their WGS84 longitude/latitude as attributes). Layers: ``lieux``, ``communes``, ``epci``.
Lists (thematics) are ``|``-joined strings; dates are ``YYYY-MM-DD`` strings.

The GeoPackage is opened by people (QGIS): its attributes carry French names derived from the
columns' French titles (``nom``, ``code_insee``, ``creation_de_communs``, ``score_moyen``,
``dans_le_perimetre``…: lower case, no accent nor space, so that QGIS expressions need no
quoting). The GeoJSON, read by scripts, keeps the technical keys of ``places --json``.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import pandas as pd

from observatory.bundle import Bundle
from observatory.exports import common

GPKG_CRS = "EPSG:2154"
LAYERS = {"places": "lieux", "communes": "communes", "epci": "epci"}


def _dates_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if column in common.DATE_COLUMNS:
            out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
    return out


def places_layer(bundle: Bundle) -> gpd.GeoDataFrame:
    """One point per place (WGS84) with every attribute of the places table."""
    frame = _dates_as_text(common.flatten(bundle.places))
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                            crs="EPSG:4326")


def communes_layer(bundle: Bundle) -> gpd.GeoDataFrame:
    """Every commune loaded (perimeter and neighbouring context) with places / mature places."""
    counted = common.export_tables(bundle)["communes"]
    merged = counted.merge(bundle.communes_geometry, on="insee", how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")


def epci_layer(bundle: Bundle) -> gpd.GeoDataFrame:
    """EPCI outlines (union of their communes) with their counts and population."""
    communes = bundle.communes()[["epci_siren", "geometry"]]
    outlines = communes.dissolve(by="epci_siren").reset_index()
    counted = common.export_tables(bundle)["epci"]
    merged = counted.merge(outlines, left_on="siren", right_on="epci_siren", how="left")
    return gpd.GeoDataFrame(merged.drop(columns="epci_siren"), geometry="geometry",
                            crs="EPSG:4326")


BUILDERS = {"places": places_layer, "communes": communes_layer, "epci": epci_layer}


def gis_name(table: str, column: str) -> str:
    """The French attribute name of a column in the GeoPackage: its French title, plain
    (« Création de communs » -> ``creation_de_communs``, « Superficie (km²) » ->
    ``superficie_km2``)."""
    title = common.field_doc(table, column)[0].replace("²", "2")
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_") or column


def gis_names(table: str, columns) -> dict[str, str]:
    """Technical column -> French attribute name, one name per column (a clash keeps the
    technical name of the later column)."""
    names: dict[str, str] = {}
    for column in columns:
        if column == "geometry":
            continue
        name = gis_name(table, column)
        names[column] = column if name in names.values() or name == "geometry" else name
    return names


def build_geojson(bundle: Bundle, layer: str = "places", include_contacts: bool = False) -> bytes:
    """One layer as GeoJSON (RFC 7946, WGS84), UTF-8 bytes."""
    if layer not in BUILDERS:
        raise ValueError(f"Couche inconnue : {layer!r} (attendu : {', '.join(BUILDERS)}).")
    frame = BUILDERS[layer](common.prepare(bundle, include_contacts))
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    collection = json.loads(frame.to_json(drop_id=True, na="null"))
    collection["name"] = LAYERS[layer]
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")


def build_geopackage(bundle: Bundle, path: str | os.PathLike,
                     include_contacts: bool = False) -> Path:
    """Write the three layers (Lambert-93) to ``path``, replacing any existing file."""
    path = Path(path)
    path.unlink(missing_ok=True)
    bundle = common.prepare(bundle, include_contacts)
    for key, name in LAYERS.items():
        # Declared types, also for an empty layer: points; polygons all as MultiPolygon.
        kind = {"geometry_type": "Point"} if key == "places" else {"promote_to_multi": True}
        layer = BUILDERS[key](bundle)
        layer = layer.rename(columns=gis_names(key, layer.columns))
        layer.to_crs(GPKG_CRS).to_file(path, layer=name, driver="GPKG", engine="pyogrio", **kind)
    return path
