"""Time a large places import: validation, then the write and how long it holds the file.

    .venv/bin/python benchmarks/import_write.py [--rows 20000] [--updates 2000] [--out DIR]

Builds a fresh database of the shipped territory (no demonstration data), then writes a
realistic places CSV (Windows-1252-free UTF-8, ``;`` separator, French decimals): ``--rows``
places spread over the perimeter's real communes (INSEE codes of
``data/territory/communes.parquet``), each at a random point inside its commune, with a
typology, a status, an opening year and five scores by half points (one evaluation each).

Run 1 imports the file into the empty store (every row an addition with its evaluation).
Run 2 imports it again with ``--updates`` rows changed (website and scores): updates of
stored places with a new evaluation each, the other rows unchanged. Run 3 changes those rows
again, and an analyst saves another place between the validation and the write: the write
gives up its first transaction, validates the file again against the store as it is now
without holding it, and writes in a second transaction (the slow path).

For each run it prints, in seconds: *read store* (the snapshot the validation compares with,
on a short connection), *validate* (parse, map and check the file: no connection held),
*write* (``imports.write``: the transaction with its re-check, bulk inserts and updates, audit
trail; in run 3 also the validation again, outside the transaction, and the second
transaction) and *longest lock held* (from opening a read-write connection to closing it,
commit included: the longest time the app could not open the file). Target (issue 10):
20,000 rows written in under 10 s.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from observatory import bootstrap  # noqa: E402
from observatory.store import db, imports, places, territory  # noqa: E402
from observatory.territory.config import load_territory_config  # noqa: E402

TYPOLOGIES = ("Fablab", "Tiers-lieu", "Atelier partagé", "Espace de coworking",
              "Café associatif", "Ressourcerie")
STATUSES = ("Association", "SCIC", "Collectivité", "SCOP", "Entreprise")
HEADER = ["Nom du lieu", "Code INSEE", "Latitude", "Longitude", "Typologie",
          "Statut juridique", "Année d'ouverture", "Site web", "Création de communs",
          "Réponse innovante aux besoins", "Dynamique collective", "Ancrage territorial",
          "Gouvernance et leadership partagé", "Date d'évaluation", "Évaluateur"]


def random_point_in(geometry, rng) -> tuple[float, float]:
    minx, miny, maxx, maxy = geometry.bounds
    for _ in range(1000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if geometry.contains(shapely.Point(x, y)):
            return x, y
    point = geometry.representative_point()
    return point.x, point.y


def places_csv(communes, rows: int, seed: int = 11) -> list[list[str]]:
    """The rows of the file (header first), as the analysts' spreadsheets write them."""
    rng = np.random.default_rng(seed)
    inside = communes[communes["in_perimeter"]].reset_index(drop=True)
    weights = inside["population"].to_numpy(dtype=float) + 50
    picks = rng.choice(len(inside), size=rows, p=weights / weights.sum())
    lines = [HEADER]
    for k, pick in enumerate(picks, start=1):
        commune = inside.iloc[int(pick)]
        lon, lat = random_point_in(commune.geometry, rng)
        scores = rng.integers(0, 9, 5) / 2
        day = rng.integers(1, 29)
        lines.append([
            f"Lieu {k} de {commune['name']}", commune["insee"], f"{lat:.6f}".replace(".", ","),
            f"{lon:.6f}".replace(".", ","), TYPOLOGIES[k % len(TYPOLOGIES)],
            STATUSES[k % len(STATUSES)], str(1990 + k % 35), f"https://lieu-{k}.exemple.org",
            *(f"{s:g}".replace(".", ",") for s in scores), f"{day:02d}/03/2025",
            "Équipe PETR"])
    return lines


def encode(lines: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(lines)
    return out.getvalue().encode("utf-8")


def with_updates(lines: list[list[str]], count: int) -> list[list[str]]:
    """The same file with ``count`` rows changed: another website, other scores."""
    changed = [list(line) for line in lines]
    for line in changed[1:count + 1]:
        line[7] = line[7].replace("https://", "https://www.")
        line[8:13] = ["4" if s != "4" else "3" for s in line[8:13]]
        line[13] = "01/06/2025"
    return changed


def edit_one_place(path: Path) -> None:
    """An analyst saves a place the file does not touch (the store's fingerprint changes)."""
    with db.session(path) as con, db.transaction(con):
        last = con.execute("SELECT max(id) FROM places").fetchone()[0]  # the file's last row
        place = places.get(con, last)
        places.update(con, last, {"contact": "analyste@exemple.org"}, place["version"],
                      "benchmark")


def timed_import(path: Path, data: bytes, label: str, meanwhile=None) -> dict:
    """One import as the CLI runs it; the figures of one run. ``meanwhile(path)`` runs
    between the validation and the write."""
    start = time.perf_counter()
    with db.session(path, read_only=True) as con:
        state = imports.read_store(con)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    report = imports.validate(state, data, "lieux.csv", "places")
    validate_s = time.perf_counter() - start
    if not report.ok:
        raise SystemExit(f"{label}: the generated file does not validate:\n"
                         f"{report.problem_table.head(20)}")
    if meanwhile:
        meanwhile(path)
    holds: list[float] = []

    @contextmanager
    def session():  # a read-write connection, timed from opening to closing
        opened = time.perf_counter()
        try:
            with db.session(path) as con:
                yield con
        finally:
            holds.append(time.perf_counter() - opened)

    start = time.perf_counter()
    written = imports.write(session, report, "benchmarks/import_write.py")
    write_s = time.perf_counter() - start
    held_s = max(holds)
    return {"run": label, "rows": len(report.preview), "read_s": read_s,
            "validate_s": validate_s, "write_s": write_s, "held_s": held_s,
            "sessions": len(holds), **written}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the database and the CSV (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.out or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "import_write.duckdb"
        path.unlink(missing_ok=True)
        config = load_territory_config(ROOT / "data" / "territory" / "territory.toml")
        bootstrap.init_database(path, config, with_demo=False)
        with db.session(path, read_only=True) as con:
            communes = territory.communes(con)
        start = time.perf_counter()
        lines = places_csv(communes, args.rows)
        data = encode(lines)
        (folder / "lieux.csv").write_bytes(data)
        print(f"CSV: {args.rows} rows, {len(data) / 1e6:.1f} MB, generated in "
              f"{time.perf_counter() - start:.1f} s")
        figures = [timed_import(path, data, "additions")]
        if args.updates:
            figures.append(timed_import(path, encode(with_updates(lines, args.updates)),
                                        f"{args.updates} updates"))
            back = encode(with_updates(with_updates(lines, args.updates), args.updates))
            figures.append(timed_import(path, back, f"{args.updates} updates, store changed "
                                        "meanwhile (validated again, retried)",
                                        meanwhile=edit_one_place))
    print("| run | rows | read store (s) | validate (s) | write (s) | longest lock held (s) "
          "| connections | added | updated | evaluations |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in figures:
        print(f"| {f['run']} | {f['rows']} | {f['read_s']:.2f} | {f['validate_s']:.2f} "
              f"| {f['write_s']:.2f} | {f['held_s']:.2f} | {f['sessions']} | {f['added']} "
              f"| {f['updated']} | {f['evaluations']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
