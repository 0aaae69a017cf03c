"""Benchmark of tour planning on random places in Ariège (run by hand, not a test).

    .venv/bin/python benchmarks/tours.py [--sizes 5,12,42,200] [--gaps 5,8,10,12] [--seeds 5]

Places are drawn uniformly in Ariège's bounding box (lon 0.8–2.2, lat 42.55–43.3), seeded;
distances come from the settings' provider (by default EstimatedRoad: crow-fly × 1.3 at
55 km/h) and CO2 from the settings' factor.
First table: planning time with the default method (exact up to the default limit of 10
places, heuristic beyond), median of several runs, each including the distance matrix.
Second table: the heuristic against the exact optimum (Held–Karp forced with
``exact_limit=n``) on several seeded instances of each size, closed tours.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory import settings  # noqa: E402
from observatory.itinerance import DEFAULT_EXACT_LIMIT, MAX_EXACT_LIMIT  # noqa: E402
from observatory.itinerance import plan_tour as _plan_tour  # noqa: E402

BOX = {"lon": (0.8, 2.2), "lat": (42.55, 43.3)}


def random_places(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(1, n + 1), "name": [f"Lieu {k}" for k in range(1, n + 1)],
                         "lon": rng.uniform(*BOX["lon"], n), "lat": rng.uniform(*BOX["lat"], n)})


def plan_tour(places: pd.DataFrame, **kwargs):
    """A tour with the settings' provider and emission factor, as the app plans it."""
    current = settings.current()
    return _plan_tour(places, provider=current.provider(),
                      emission_factor=current.co2_kg_per_km, **kwargs)


def timed(places: pd.DataFrame, runs: int, **kwargs):
    """Median milliseconds of ``runs`` calls (after one warm-up) and the last tour."""
    tour = plan_tour(places, **kwargs)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        tour = plan_tour(places, **kwargs)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), tour


def timing_table(sizes: list[int], runs: int) -> None:
    header = f"{'n':>5} | {'method':>11} | {'median ms':>10} | {'total km':>9} | {'minutes':>8}"
    print(header + "\n" + "-" * len(header))
    for n in sizes:
        ms, tour = timed(random_places(n, seed=2026), runs if n <= 42 else max(1, runs // 2))
        print(f"{n:>5} | {tour.method:>11} | {ms:>10.1f} | {tour.total_km:>9.1f} | "
              f"{tour.total_minutes:>8.0f}")


def gap_table(sizes: list[int], seeds: int) -> None:
    header = (f"{'n':>5} | {'instances':>9} | {'exact ms':>9} | {'heur. ms':>9} | "
              f"{'mean gap':>8} | {'max gap':>8} | {'optimal':>7}")
    print(header + "\n" + "-" * len(header))
    for n in sizes:
        if n > MAX_EXACT_LIMIT:
            print(f"{n:>5} | skipped: the exact method is capped at {MAX_EXACT_LIMIT} places")
            continue
        gaps, exact_ms, heuristic_ms = [], [], []
        for seed in range(1, seeds + 1):
            places = random_places(n, seed)
            ms_exact, exact = timed(places, 1, exact_limit=n)
            ms_heur, heuristic = timed(places, 3, exact_limit=0)
            exact_ms.append(ms_exact)
            heuristic_ms.append(ms_heur)
            gaps.append(heuristic.total_km / exact.total_km - 1)
        optimal = sum(g < 1e-9 for g in gaps)
        print(f"{n:>5} | {seeds:>9} | {statistics.median(exact_ms):>9.1f} | "
              f"{statistics.median(heuristic_ms):>9.1f} | {np.mean(gaps):>8.2%} | "
              f"{max(gaps):>8.2%} | {optimal:>3}/{seeds:<3}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,12,42,200")
    parser.add_argument("--gaps", default="5,8,10,12")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"Random places in lon {BOX['lon']}, lat {BOX['lat']} (Ariège), seeded; closed tours "
          f"from the first place; default exact limit {DEFAULT_EXACT_LIMIT} places.\n")
    print("Planning time (distance matrix included):")
    timing_table([int(s) for s in args.sizes.split(",")], args.runs)
    print("\nHeuristic (nearest neighbour + 2-opt + Or-opt) against the exact optimum:")
    gap_table([int(s) for s in args.gaps.split(",")], args.seeds)
    print("\ngap = heuristic km / optimal km − 1; 'optimal' = instances where the heuristic "
          "found the optimum.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
