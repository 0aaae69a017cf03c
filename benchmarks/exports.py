"""Time to build each export (run by hand, not a test).

    .venv/bin/python benchmarks/exports.py [--sizes 42,3500] [--repeat 1]

The 42-place row is the demonstration database; larger rows replicate its places (each copy
jittered by up to ±0.03° so it stays in the Ariège, renamed "<name> n", with copies of its
evaluations). Target (issue 4): the PDF report of the demonstration data in under 10 s on a
2-core machine. Each figure is the best of ``--repeat`` runs, in seconds; sizes in KiB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from observatory import bootstrap, exports  # noqa: E402
from observatory.bundle import Bundle  # noqa: E402
from observatory.store import db, live  # noqa: E402
from observatory.territory.config import load_territory_config  # noqa: E402

JITTER_DEG = 0.03


def demo_bundle(folder: Path) -> Bundle:
    path = folder / "demo.duckdb"
    config = load_territory_config(ROOT / "data" / "territory" / "territory.toml")
    bootstrap.init_database(path, config, with_demo=True)
    con = db.connect(path, read_only=True)
    try:
        return live.bundle(con, label="Bilan de démonstration", created_by="benchmark")
    finally:
        con.close()


def scaled(bundle: Bundle, size: int, seed: int = 7) -> Bundle:
    """A bundle of ``size`` places made of jittered copies of ``bundle``'s places."""
    rng = np.random.default_rng(seed)
    source = bundle.places
    picks = np.arange(size) % len(source)
    places = source.iloc[picks].reset_index(drop=True)
    places["source_id"] = places["id"]
    places["id"] = np.arange(1, size + 1, dtype="int32")
    places["name"] = [f"{name} {i}" for i, name in enumerate(places["name"], start=1)]
    places["lon"] = places["lon"] + rng.uniform(-JITTER_DEG, JITTER_DEG, size)
    places["lat"] = places["lat"] + rng.uniform(-JITTER_DEG, JITTER_DEG, size)
    history = bundle.tables["evaluations"]
    evaluations = places[["id", "source_id"]].merge(
        history, left_on="source_id", right_on="place_id", suffixes=("", "_eval"))
    evaluations = evaluations.drop(columns=["place_id", "source_id", "id_eval"]).rename(
        columns={"id": "place_id"})
    evaluations.insert(0, "id", np.arange(1, len(evaluations) + 1, dtype="int32"))
    tables = dict(bundle.tables, places=places.drop(columns="source_id"),
                  evaluations=evaluations[history.columns])
    return replace(bundle, tables=tables, label=f"Réseau synthétique de {size} lieux")


def timed(action, repeat: int) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(action())
        best = min(best, time.perf_counter() - start)
    return best, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="42,3500")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = demo_bundle(Path(folder))
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        bundle = base if size == len(base.places) else scaled(base, size)
        for fmt in exports.FORMATS:
            seconds, nbytes = timed(lambda b=bundle, f=fmt: exports.build(b, f), args.repeat)
            rows.append({"places": size, "format": fmt, "seconds": round(seconds, 2),
                         "KiB": round(nbytes / 1024)})
            print(f"{size:>6} places  {fmt:<8} {seconds:7.2f} s  {nbytes / 1024:9.0f} KiB",
                  flush=True)
        seconds, nbytes = timed(lambda b=bundle: exports.build(b, "pdf", previous=base),
                                args.repeat)
        rows.append({"places": size, "format": "pdf+évolution", "seconds": round(seconds, 2),
                     "KiB": round(nbytes / 1024)})
    print()
    print(pd.DataFrame(rows).pivot(index="format", columns="places",
                                   values=["seconds", "KiB"]).to_string())


if __name__ == "__main__":
    main()
