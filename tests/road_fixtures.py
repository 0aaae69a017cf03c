"""A demonstration database with a road graph, for the tests of what pages, exports and
commands say with OBSERVATORY_DISTANCE=osm.

The graph is built (``observatory.service.routing.build``) from a small OpenStreetMap file
written here: a primary road through the first demonstration place and its three nearest
neighbours, with a detour 0.15° east between the first two (a ridge). Every other place is
more than 2 km from it, so its trips fall back to the estimate.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np

from observatory.distances import haversine_km
from observatory.service import routing as service_routing
from observatory.settings import Settings
from tests.test_routing import write_osm

# The label every road time is printed with, for this file's extract (1 May 2024).
LABEL = "Réseau routier OSM (extrait du 1er mai 2024), © les contributeurs d'OpenStreetMap (ODbL)"


def road_database(demo_db: Path, folder: Path) -> tuple[Path, list[int]]:
    """A copy of ``demo_db`` in ``folder`` with the road graph; (its path, the place ids
    on the network)."""
    path = folder / "road.duckdb"
    shutil.copy(demo_db, path)
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT id, lon, lat FROM places ORDER BY id").fetchall()
    ids = np.array([r[0] for r in rows])
    lon, lat = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    near = np.argsort(haversine_km(lon[0], lat[0], lon, lat))[:4]
    nodes = {k + 1: (float(lon[p]), float(lat[p])) for k, p in enumerate(near)}
    (lon1, lat1), (lon2, lat2) = nodes[1], nodes[2]
    nodes[10] = (lon1 + 0.15, lat1)
    nodes[11] = (lon2 + 0.15, lat2)
    ways = [([1, 10, 11, 2], {"highway": "primary"}), ([2, 3], {"highway": "secondary"}),
            ([3, 4], {"highway": "tertiary"})]
    osm_file = write_osm(folder / "extract.osm", nodes, ways)
    service_routing.build(Settings(db=path), osm_file, actor="test")
    return path, [int(ids[p]) for p in near]
