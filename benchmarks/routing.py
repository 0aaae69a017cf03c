"""Benchmark of the OpenStreetMap road network on a synthetic region (run by hand, not a test).

    .venv/bin/python benchmarks/routing.py [--grid 450] [--shape 3] [--out /tmp/routing]

Writes a synthetic ``.osm.pbf`` the size of a regional extract's drivable part with
osmium's SimpleWriter (cached in ``--out``): a ``grid`` × ``grid`` lattice of junctions over
a 210 km × 210 km square (about Midi-Pyrénées' area) starting at lon 0.0, lat 42.5, each link
drawn with ``shape`` intermediate nodes (removed by contraction), 8 % of links missing, ways
running over 10 links, random classes from motorway to track, 5 % one way. The default
makes about 1.4 million raw nodes contracting to about 200,000.

Then times each step of the real code: reading + contraction (``osm.build_graph``), storing
(``service.routing.store`` into a fresh database), loading the provider back
(``Settings(distance="osm").provider()``), a 231 × 42 matrix (communes × places), a 42 × 42
matrix, the covering matrix of where_next (231 candidate sites × 231 communes within 20 min,
``pairs_within``: Dijkstra limited to the threshold), and the nearest of 10,000 places for
35,000 points (``nearest_destination``, one multi-source Dijkstra). Points are uniform
(seeded) in the whole square, and for the matrices also in a 57 km square at its centre:
the PETR (3,270 km²) inside its region's extract.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory import bootstrap, coverage, osm  # noqa: E402
from observatory.routing import RoadNetwork  # noqa: E402
from observatory.service import routing  # noqa: E402
from observatory.settings import DEFAULT_TERRITORY, Settings  # noqa: E402
from observatory.territory.config import load_territory_config  # noqa: E402

ORIGIN = (0.0, 42.5)
SIDE_KM = 210.0
KM_PER_DEG_LAT = 111.2
PETR_SIDE_KM = 57.0  # a square of the PETR's area (about 3,270 km²) inside the region
KM_PER_DEG_LON = 111.2 * np.cos(np.radians(43.5))
CLASSES = ["motorway", "trunk", "primary", "secondary", "tertiary", "unclassified",
           "residential", "service", "track"]
WEIGHTS = [0.01, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30, 0.12, 0.05]


def write_region(path: Path, grid: int, shape: int, seed: int = 1) -> int:
    """The synthetic extract; returns its number of nodes."""
    import datetime as dt

    import osmium

    rng = np.random.default_rng(seed)
    step_lon = SIDE_KM / (grid - 1) / KM_PER_DEG_LON
    step_lat = SIDE_KM / (grid - 1) / KM_PER_DEG_LAT
    stamp = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    next_id = grid * grid + 1
    nodes, ways = 0, 0
    writer = osmium.SimpleWriter(str(path))
    try:
        jitter = rng.uniform(-0.2, 0.2, (grid, grid, 2))
        lon = ORIGIN[0] + (np.arange(grid)[None, :] + jitter[..., 0]) * step_lon
        lat = ORIGIN[1] + (np.arange(grid)[:, None] + jitter[..., 1]) * step_lat
        for r in range(grid):
            for c in range(grid):
                writer.add_node(osmium.osm.mutable.Node(
                    id=r * grid + c + 1, location=(float(lon[r, c]), float(lat[r, c])),
                    version=1, timestamp=stamp))
                nodes += 1
        way_nodes = []  # node lists of the ways, written after every node
        for horizontal in (True, False):
            for line in range(grid):
                for start in range(0, grid - 1, 10):
                    refs = []
                    for k in range(start, min(start + 10, grid - 1)):
                        a = (line, k) if horizontal else (k, line)
                        b = (line, k + 1) if horizontal else (k + 1, line)
                        if rng.random() < 0.08:  # a missing link ends the way
                            if len(refs) > 1:
                                way_nodes.append(refs)
                            refs = []
                            continue
                        if not refs:
                            refs = [a[0] * grid + a[1] + 1]
                        for s in range(1, shape + 1):
                            t = s / (shape + 1)
                            x = lon[a] + (lon[b] - lon[a]) * t + rng.normal(0, step_lon * 0.05)
                            y = lat[a] + (lat[b] - lat[a]) * t + rng.normal(0, step_lat * 0.05)
                            writer.add_node(osmium.osm.mutable.Node(
                                id=next_id, location=(float(x), float(y)), version=1,
                                timestamp=stamp))
                            refs.append(next_id)
                            next_id += 1
                            nodes += 1
                        refs.append(b[0] * grid + b[1] + 1)
                    if len(refs) > 1:
                        way_nodes.append(refs)
        classes = rng.choice(CLASSES, size=len(way_nodes), p=WEIGHTS)
        oneway = rng.random(len(way_nodes)) < 0.05
        for k, refs in enumerate(way_nodes):
            tags = {"highway": str(classes[k])}
            if oneway[k]:
                tags["oneway"] = "yes"
            writer.add_way(osmium.osm.mutable.Way(id=k + 1, nodes=refs, tags=tags, version=1,
                                                  timestamp=stamp))
            ways += 1
    finally:
        writer.close()
    return nodes


def points(n: int, seed: int, side_km: float = SIDE_KM) -> pd.DataFrame:
    """Points (``n``) uniform in a square of ``side_km`` centred in the region."""
    rng = np.random.default_rng(seed)
    low = (SIDE_KM - side_km) / 2
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "lon": ORIGIN[0] + rng.uniform(low, low + side_km, n) / KM_PER_DEG_LON,
        "lat": ORIGIN[1] + rng.uniform(low, low + side_km, n) / KM_PER_DEG_LAT})


def timed(label: str, func, results: list):
    started = time.perf_counter()
    value = func()
    seconds = time.perf_counter() - started
    results.append((label, seconds))
    print(f"{label}: {seconds:.2f} s", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=450)
    parser.add_argument("--shape", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/routing-bench"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    extract = args.out / f"region-{args.grid}-{args.shape}.osm.pbf"
    results: list[tuple[str, float]] = []
    if not extract.exists():
        count = timed("write synthetic PBF (setup)",
                      lambda: write_region(extract, args.grid, args.shape), results)
        print(f"  {count:,} nodes, {extract.stat().st_size / 1e6:.1f} MB")
    graph = timed("read + contract (osm.build_graph)", lambda: osm.build_graph(extract), results)
    print(f"  raw nodes {graph.meta['raw_nodes']:,}, ways {graph.meta['ways']:,} → "
          f"nodes {graph.node_count:,}, edges {graph.edge_count:,}")
    database = args.out / "bench.duckdb"
    for leftover in (database, database.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    bootstrap.init_database(database, load_territory_config(DEFAULT_TERRITORY), with_demo=False)
    settings = Settings(db=database, distance="osm")
    timed("store (service.routing.store)",
          lambda: routing.store(settings, graph, actor="benchmark"), results)
    network: RoadNetwork = timed("load provider (Settings.provider)", settings.provider, results)
    for where, side in (("whole region", SIDE_KM), ("PETR-sized square", PETR_SIDE_KM)):
        communes, places = points(231, 1, side), points(42, 2, side)
        travel = timed(f"matrix 231 communes × 42 places, {where}",
                       lambda c=communes, p=places: network.matrix(c, p), results)
        print(f"  estimated pairs {int(travel.estimated.sum())} of {travel.estimated.size}")
        timed(f"matrix 42 × 42 places, {where}",
              lambda p=places: network.matrix(p, p), results)
    communes = points(231, 1, PETR_SIDE_KM).rename(columns={"id": "insee"})
    cover = timed("covering matrix 231 sites × 231 communes within 20 min, PETR-sized square",
                  lambda: coverage.coverage_matrix(communes, communes, 20.0,
                                                   provider=network), results)
    print(f"  {cover.nnz:,} pairs within 20 min")
    many, sites = points(35_000, 3), points(10_000, 4)
    pick, near = timed("nearest of 10,000 places for 35,000 points",
                       lambda: network.nearest_destination(many, sites), results)
    print(f"  estimated {int(near.estimated.sum())} of {len(many)}; median "
          f"{np.median(near.minutes):.1f} min")
    print("\n| step | seconds |\n|---|---:|")
    for label, seconds in results:
        print(f"| {label} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
