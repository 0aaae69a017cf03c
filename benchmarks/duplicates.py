"""Benchmark of the probable duplicates (run by hand, not a test).

    .venv/bin/python benchmarks/duplicates.py [--places 3500] [--incoming 1512] [--repeat 3]

Builds a database on the shipped territory (PETR de l'Ariège and Couserans: 325 real
communes), inserts N synthetic places (names drawn from typologies and local words, points
jittered around their commune's centre) of which 5 % are planted duplicates of another
(spaces removed, a « Tiers-lieu » prefix, accents lost, a point 30 m away), then times:

- ``neighbours``: the neighbouring communes (touching or centres within 6 km);
- ``inventory``: ``service.duplicates.inventory_pairs`` on the database (reads included);
- ``import``: an incoming list of M rows (a CGET-sized file, 10 % of them copies of stored
  places) matched against the N stored places (``find_pairs(only_incoming=True)``).

It prints the medians of ``--repeat`` runs, the pairs found and how many planted duplicates
were found (recall) and how many proposed pairs were not planted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory import bootstrap  # noqa: E402
from observatory import duplicates as rules  # noqa: E402
from observatory.service import duplicates as service  # noqa: E402
from observatory.store import db, places, territory  # noqa: E402
from observatory.territory.config import load_territory_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("Fablab", "Coworking", "Café associatif", "Atelier partagé", "Garage solidaire",
         "Ressourcerie", "Espace de vie sociale", "Micro-folie", "Repair café", "Tiers-lieu")
WORDS = ("Plantaurel", "Arize", "Lèze", "Hers", "Touyre", "Barguillère", "Castor", "Lavande",
         "Écluse", "Forge", "Rouages", "Brouette", "Bocal", "Idées", "Moulin", "Colline",
         "Source", "Ruche", "Passerelle", "Navette", "Grange", "Verger", "Sentier", "Oustal",
         "Païsan", "Cabane", "Étincelle", "Fil", "Chouette", "Cerise", "Tilleul", "Canopée")


def variant(name: str, rng: random.Random) -> str:
    """How the same place is written in another list."""
    choice = rng.randrange(4)
    if choice == 0:
        return name.replace(" ", "")
    if choice == 1:
        return "Tiers-lieu " + name
    if choice == 2:
        return name.upper().replace("É", "E").replace("È", "E").replace("Ï", "I")
    return name.replace("du ", "").replace("de la ", "")


def synthetic(communes, n: int, rng: random.Random) -> tuple[list[dict], set[frozenset]]:
    rows = communes[["insee", "lon", "lat"]].to_dict("records")
    made, planted = [], set()
    for i in range(n):
        if made and rng.random() < 0.05:
            source_index = rng.randrange(len(made))
            source = made[source_index]
            made.append(dict(source, name=variant(source["name"], rng),
                             lon=source["lon"] + 0.0003, lat=source["lat"] + 0.0001))
            planted.add(frozenset((source_index, i)))
            continue
        commune = rng.choice(rows)
        made.append({"name": f"{rng.choice(KINDS)} {rng.choice(('du', 'de la', 'des', ''))} "
                             f"{rng.choice(WORDS)} {rng.choice(WORDS)}".replace("  ", " "),
                     "insee": commune["insee"], "typology": "Coworking",
                     "lon": commune["lon"] + rng.uniform(-0.02, 0.02),
                     "lat": commune["lat"] + rng.uniform(-0.015, 0.015)})
    return made, planted


def timed(action, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=3500)
    parser.add_argument("--incoming", type=int, default=1512)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        bootstrap.init_database(path, load_territory_config(
            ROOT / "data" / "territory" / "territory.toml"))
        con = db.connect(path)
        try:
            communes = territory.communes(con)
            made, planted = synthetic(communes, args.places, rng)
            ids = places.create_many(con, made, "benchmark")  # bulk, audited
            seconds, found = timed(lambda: service.neighbours(communes), args.repeat)
            print(f"neighbours: {len(communes)} communes, "
                  f"{sum(map(len, found.values())) / max(1, len(found)):.1f} neighbours "
                  f"on average, {seconds * 1000:.0f} ms")
            seconds, pairs = timed(lambda: service.inventory_pairs(con), args.repeat)
            position = {pid: i for i, pid in enumerate(ids)}
            proposed = {frozenset((position[p.a.key], position[p.b.key])) for p in pairs}
            print(f"inventory: {args.places} places, {len(pairs)} pairs proposed in "
                  f"{seconds:.2f} s; planted {len(planted)}, found {len(planted & proposed)}"
                  f" ({100 * len(planted & proposed) / max(1, len(planted)):.0f} %), "
                  f"{len(proposed - planted)} proposed that were not planted")
            names = dict(zip(communes["insee"], communes["name"], strict=True))
            stored = [rules.record(pid, p, names.get(p["insee"], ""))
                      for pid, p in zip(ids, made, strict=True)]
            incoming = []
            for row in range(args.incoming):
                if rng.random() < 0.1:
                    copy = rng.choice(made)
                    values = dict(copy, name=variant(copy["name"], rng))
                else:
                    values = synthetic(communes, 1, rng)[0][0]
                incoming.append(rules.record(f"ligne {row + 2}", values,
                                             names.get(values["insee"], ""), incoming=True))
            neighbours = service.neighbours(communes)
            seconds, pairs = timed(lambda: rules.find_pairs([*stored, *incoming], neighbours,
                                                            only_incoming=True), args.repeat)
            rows = {p.b.key for p in pairs}
            print(f"import: {args.incoming} incoming rows against {args.places} places, "
                  f"{len(pairs)} pairs ({len(rows)} rows flagged) in {seconds:.2f} s")
        finally:
            con.close()


if __name__ == "__main__":
    main()
