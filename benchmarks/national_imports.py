"""Time to read, validate and match each national list against a 3,500-place inventory
(issue 14; run by hand, not a test).

    .venv/bin/python benchmarks/national_imports.py [--places 3500] [--repeat 3]

Builds a database of the shipped territory with ``--places`` synthetic places spread over
Ariège's communes (``tests/national_fixtures.inventory``), each already linked to a record
of a fictitious source (so that the (source, record id) index is as large as the
inventory), then for each national file:
- the real France services list ``../shared/data/public/liste-fs-20240801.csv`` (2,845
  rows; skipped when ../shared is absent, the committed 18-row extract is timed instead),
- the synthetic CGET 2019 list (1,512 rows, ``tests/national_fixtures.cget_2019``),
- the ANCT overlay of France services (Ariège extract),
- an older JSON export of « lieux de médiation numérique »,
prints the median of ``--repeat`` runs of: *read* (``read_table``), *store* (reading the
inventory, its source records and field provenance: ``store.imports.read_store``),
*validate + match* (``validate_file`` with ``--skip-outside``: family recognition, repairs,
commune and point checks, matching by source id, then name and commune, then 50 m
neighbours). Target: under 10 s in all for the France services list on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from observatory import bootstrap, importing  # noqa: E402
from observatory.importing.families import Origin  # noqa: E402
from observatory.store import db, imports, places  # noqa: E402
from observatory.store import origins as store_origins  # noqa: E402
from observatory.territory.config import load_territory_config  # noqa: E402
from tests import national_fixtures as nf  # noqa: E402

PUBLIC = ROOT.parent / "shared" / "data" / "public"
FIXTURES = ROOT / "tests" / "fixtures" / "import"


def files() -> list[tuple[str, str, bytes]]:
    """(label, file name, bytes) of each national file."""
    fs = PUBLIC / "liste-fs-20240801.csv"
    out = []
    if fs.is_file():
        out.append(("France services (liste réelle)", fs.name, fs.read_bytes()))
    else:
        out.append(("France services (extrait)", "liste-fs-20240801.csv",
                    (FIXTURES / "france_services_extrait.csv").read_bytes()))
    out.append(("CGET 2019 (synthétique)", "cget-2019.csv", nf.cget_2019()))
    out.append(("Superposeur France services (extrait)", "superposeur_fs.geojson",
                (FIXTURES / "superposeur_fs_extrait.geojson").read_bytes()))
    out.append(("Médiation numérique (JSON ancien)", "mednum.json", nf.mediation_json()))
    return out


def build(path: Path, n: int) -> None:
    config = load_territory_config(ROOT / "data" / "territory" / "territory.toml")
    bootstrap.init_database(path, config, with_demo=False)
    with db.session(path) as con, db.transaction(con):
        ids = places.create_many(con, nf.inventory(n), "benchmark")
        store_origins.record_sources(con, [
            (pid, Origin("cget_2019", f"bench-{pid}", "bench.csv", None, "2019"))
            for pid in ids])


def median_s(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=3500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="olls-national-") as folder:
        path = Path(folder) / "bench.duckdb"
        start = time.perf_counter()
        build(path, args.places)
        print(f"Inventaire de {args.places} lieux créé en {time.perf_counter() - start:.1f} s")
        store_s, state = median_s(lambda: _state(path), args.repeat)
        print(f"{'fichier':40} {'lignes':>7} {'lecture':>8} {'base':>6} {'valid.+corresp.':>16}"
              f" {'total':>7}  résultat")
        for label, name, data in files():
            read_s, table = median_s(lambda d=data, n=name: importing.read_table(d, n),
                                     args.repeat)
            check_s, report = median_s(
                lambda d=data, n=name: imports.validate(state, d, n, "places",
                                                        skip_outside=True), args.repeat)
            total = read_s + store_s + check_s
            print(f"{label:40} {len(table):>7} {read_s:>7.2f}s {store_s:>5.2f}s "
                  f"{check_s:>15.2f}s {total:>6.2f}s  {report.summary()} "
                  f"{report.outside_text()}")


def _state(path: Path):
    with db.session(path, read_only=True) as con:
        return imports.read_store(con)


if __name__ == "__main__":
    main()
