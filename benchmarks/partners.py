"""Benchmark of the partner engine on synthetic networks (run by hand, not a test).

    .venv/bin/python benchmarks/partners.py [--budget SECONDS] [--sizes 42,3500,35000]

Places are drawn uniformly in the box lon -1.5..7.5, lat 43..50: roughly metropolitan France,
but a plain bounding box, so a few points fall in the sea (Channel, Gulf of Lion) or over the
borders (Switzerland, Italy, Germany); nobody routes on these roads, so it does not matter for
timing. 30 % of the places are mature; scores (0–4, half points), typologies and thematics
are random; everything is seeded.

Targets (issue): one place's suggestions < 50 ms at 3,500 places; network proposal < 5 s at
3,500 places. The network proposal runs in a child process with a time budget (default 60 s):
beyond it, the child is stopped and the row says so instead of hanging.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory.distances import EstimatedRoad  # noqa: E402
from observatory.model import CRITERIA_KEYS, TYPOLOGIES  # noqa: E402
from observatory.partners import propose_network, suggest  # noqa: E402

ROAD = EstimatedRoad()  # the default provider (crow-fly × 1.3 at 55 km/h)

THEMATICS = ("numérique", "alimentation", "réemploi", "mobilité", "culture", "énergie",
             "formation", "santé", "agriculture", "artisanat")
BOX = {"lon": (-1.5, 7.5), "lat": (43.0, 50.0)}
# 42 places spread over all of France have no partner within 40 min: an extra row puts them
# in a box around the PETR de l'Ariège (about 70 × 65 km), as in the real inventory.
ARIEGE_BOX = {"lon": (1.3, 2.2), "lat": (42.75, 43.33)}
MAX_MINUTES = 40.0
MAX_SIZE = 5
SUGGEST_RUNS = 20


def synthetic_network(n: int, seed: int = 2026, box: dict = BOX) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "id": np.arange(1, n + 1),
        "name": [f"Lieu {k}" for k in range(1, n + 1)],
        "commune": "synthétique",
        "lon": rng.uniform(*box["lon"], n),
        "lat": rng.uniform(*box["lat"], n),
        "typology": rng.choice(TYPOLOGIES, n),
        "thematics": [list(rng.choice(THEMATICS, size=rng.integers(0, 4), replace=False))
                      for _ in range(n)],
        "mature": rng.random(n) < 0.30,
        "opening_year": rng.integers(2005, 2025, n),
        "transition_oriented": rng.random(n) < 0.8,
        "legal_status": rng.choice(
            ["Association", "SCIC", "SCOP", "Collectivité", "Entreprise"], n),
        "in_perimeter": True,
        "in_excluded_zone": False,
    })
    for key in CRITERIA_KEYS:
        frame[key] = rng.integers(0, 9, n) / 2.0
    return frame


def time_suggest(frame: pd.DataFrame, seed: int = 7) -> tuple[float, int]:
    """Median ms of SUGGEST_RUNS calls for one place (after one warm-up), and its partners."""
    rng = np.random.default_rng(seed)
    place_id = int(rng.choice(frame["id"]))
    found = len(suggest(frame, place_id, max_minutes=MAX_MINUTES, provider=ROAD))  # warm-up
    runs = []
    for _ in range(SUGGEST_RUNS):
        start = time.perf_counter()
        suggest(frame, place_id, max_minutes=MAX_MINUTES, provider=ROAD)
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), found


def _network_child(n: int, box: dict, queue) -> None:
    frame = synthetic_network(n, box=box)
    start = time.perf_counter()
    proposal = propose_network(frame, max_minutes=MAX_MINUTES, max_size=MAX_SIZE, provider=ROAD)
    seconds = time.perf_counter() - start
    queue.put({"seconds": seconds, **proposal.summary(),
               "non_mature": int((~frame["mature"]).sum())})


def time_network(n: int, budget: float, box: dict = BOX) -> dict | str:
    """Network proposal in a child process; a message instead of a result past the budget."""
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    queue = ctx.Queue()
    child = ctx.Process(target=_network_child, args=(n, box, queue), daemon=True)
    child.start()
    try:
        result = queue.get(timeout=budget)
    except Exception:  # queue.Empty: the budget is spent
        result = (f"skipped: stopped after {budget:g} s (time budget spent; raise it with "
                  f"--budget to wait longer)")
    child.join(timeout=5)
    if child.is_alive():
        child.kill()
        child.join()
    elif isinstance(result, str) and child.exitcode not in (0, None):
        result = f"failed: the child process exited with code {child.exitcode}"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="42,3500,35000")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds allowed for one network proposal")
    args = parser.parse_args(argv)
    # Import the lazily loaded scipy modules once, so the timings exclude import time.
    import scipy.sparse.csgraph  # noqa: F401
    import scipy.spatial  # noqa: F401
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"Synthetic networks: uniform in lon {BOX['lon']}, lat {BOX['lat']} (bounding box of "
          f"metropolitan France, sea and borders included), 30 % mature, seeded.")
    print(f"suggest: median of {SUGGEST_RUNS} runs for one place; propose_network: "
          f"max_minutes {MAX_MINUTES:g}, max_size {MAX_SIZE}, budget {args.budget:g} s.\n")
    header = (f"{'n':>7} | {'suggest ms':>10} | {'partners':>8} | {'network s':>9} | "
              f"{'consortia':>9} | {'placed':>13} | {'total min':>11} | {'worst min':>9}")
    print(header)
    print("-" * len(header))
    rows = [(str(n), n, BOX) for n in sizes] + [("42 (09)", 42, ARIEGE_BOX)]
    for label, n, box in rows:
        frame = synthetic_network(n, box=box)
        ms, found = time_suggest(frame)
        network = time_network(n, args.budget, box)
        if isinstance(network, str):
            print(f"{label:>7} | {ms:>10.1f} | {found:>8} | {'—':>9} | {network}")
            continue
        placed = f"{network['members']}/{network['non_mature']}"
        print(f"{label:>7} | {ms:>10.1f} | {found:>8} | {network['seconds']:>9.2f} | "
              f"{network['consortia']:>9} | {placed:>13} | {network['total_minutes']:>11.1f} | "
              f"{network['worst_minutes']:>9.1f}")
    print(f"\n42 (09): 42 places in the box lon {ARIEGE_BOX['lon']}, lat {ARIEGE_BOX['lat']} "
          f"around the PETR de l'Ariège. 'partners' = partners of the timed place within "
          f"{MAX_MINUTES:g} min; 'placed' = members placed / non-mature places.")
    print("Targets: suggest < 50 ms at 3,500 places; propose_network < 5 s at 3,500 places.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
