"""Benchmark of the programme places (issue 14, section 1; run by hand, not a test).

    .venv/bin/python benchmarks/programmes.py [--public ../shared/data/public] [--places 3500]

Prints, each the median of a few runs on this machine:
- *derive*: reading the three national files (2,845 France services, 342 + 98 overlay
  features) and keeping Ariège's (``observatory.territory.programmes``); skipped when the
  national files are absent;
- *within 15 min*: one place's programme places (``programmes.within``), for the 19 of
  Ariège and for all the national France services placed in the territory's box;
- *France services access*: ``coverage.nearest`` of the 325 communes against the France
  services, then ``with_service_points``;
- *map*: ``maps.build_map`` with the programme layers (19 places; 2,845 places) rendered to
  HTML, and its size.
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

from observatory import coverage, maps, programmes  # noqa: E402
from observatory.distances import EstimatedRoad  # noqa: E402
from observatory.territory import load  # noqa: E402
from observatory.territory import programmes as derivation  # noqa: E402
from observatory.territory.config import load_territory_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ROAD = EstimatedRoad()


def timed(action, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public", type=Path, default=ROOT.parent / "shared" / "data" / "public")
    parser.add_argument("--places", type=int, default=3500)
    args = parser.parse_args()
    config = load_territory_config(ROOT / "data" / "territory" / "territory.toml")
    communes, _ = load.prepare(load.read_referential(config), config)
    shipped = derivation.read_csv(ROOT / "data" / "territory" / "programme_places.csv")
    shipped.insert(0, "id", range(1, len(shipped) + 1))

    national = None
    if (args.public / derivation.FILES["france_services"]).exists():
        seconds, found = timed(lambda: derivation.derive(derivation.read_public(args.public),
                                                         communes))
        print(f"derive (3 national files → Ariège): {seconds * 1000:.0f} ms, "
              f"{len(found.places)} places kept")
        national = pd.DataFrame(derivation.parse_france_services(
            (args.public / derivation.FILES["france_services"]).read_text(encoding="utf-8")))
    else:
        print("derive: skipped (national files absent)")

    rng = np.random.default_rng(1)
    minx, miny, maxx, maxy = communes.total_bounds
    origins = pd.DataFrame({"id": range(1, args.places + 1),
                            "lon": rng.uniform(minx, maxx, args.places),
                            "lat": rng.uniform(miny, maxy, args.places)})
    sample = origins.head(200).to_dict(orient="records")
    seconds, _ = timed(lambda: [programmes.within(o, shipped, ROAD) for o in sample])
    print(f"within 15 min, {len(shipped)} programme places: "
          f"{seconds / len(sample) * 1000:.2f} ms per place")
    if national is not None:
        box = national.assign(id=range(1, len(national) + 1),
                              lon=rng.uniform(minx, maxx, len(national)),
                              lat=rng.uniform(miny, maxy, len(national)))
        seconds, _ = timed(lambda: [programmes.within(o, box, ROAD) for o in sample])
        print(f"within 15 min, {len(box)} France services in the territory's box: "
              f"{seconds / len(sample) * 1000:.2f} ms per place")

    places = origins.assign(name="p", mature=rng.random(args.places) < 0.3)
    access = coverage.nearest(communes, places, provider=ROAD)
    points = programmes.travel_points(programmes.of_programmes(shipped, ["france_services"]))
    seconds, _ = timed(lambda: coverage.with_service_points(
        access, coverage.nearest(communes, points, provider=ROAD)))
    print(f"France services access ({len(communes)} communes, {len(points)} France services):"
          f" {seconds * 1000:.0f} ms")

    empty = pd.DataFrame(columns=["id", "name", "lon", "lat", "mature"])
    for label, frame in (("19 programme places", shipped),
                         (f"{0 if national is None else len(national)} France services",
                          None if national is None else national.assign(
                              id=range(1, len(national) + 1), commune="", position="source"))):
        if frame is None:
            continue
        seconds, html = timed(lambda f=frame: maps.build_map(
            communes, empty, programme_places=f).get_root().render(), repeat=1)
        print(f"map with {label}: {seconds:.2f} s, {len(html) / 1e6:.2f} MB of HTML")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
