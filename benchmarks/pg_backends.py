"""The two ways to reach PostgreSQL, timed on the store's hot statements.

    .venv/bin/pip install 'psycopg[binary]==3.3.9'   # only for this comparison
    .venv/bin/python benchmarks/pg_backends.py [--repeat 200]

Starts a throwaway PostgreSQL (``tests/pg_server.py``), creates the demonstration territory in
a schema through the observatory (DuckDB with PostgreSQL attached, the back end chosen), then
times, in milliseconds per call (median): a session's opening, a point ``SELECT`` of a place,
a one-row ``UPDATE`` in its own transaction, and the current places (``store.places.current``
through the attach; its PostgreSQL rewrite with ``DISTINCT ON`` through psycopg).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CURRENT_PG = """
SELECT p.*, e.commons, e.evaluated_on FROM places p
LEFT JOIN (SELECT DISTINCT ON (place_id) * FROM evaluations
           ORDER BY place_id, evaluated_on DESC, id DESC) e ON e.place_id = p.id
WHERE NOT p.archived ORDER BY p.name, p.id
"""


def timed(action, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    from observatory import bootstrap, dburl
    from observatory.store import db, places
    from observatory.territory.config import load_territory_config
    from tests import pg_server

    server = pg_server.start()
    try:
        url = dburl.with_schema(server.url, "banc")
        bootstrap.init_database(url, load_territory_config(
            ROOT / "data" / "territory" / "territory.toml"), with_demo=True)
        rows = {}
        with db.session(url) as con:
            rows["DuckDB attach (chosen)"] = {
                "session": timed(lambda: db.session(url).__enter__().close(), 20),
                "select": timed(lambda: con.execute("SELECT name FROM places WHERE id = ?",
                                                    [1]).fetchall(), args.repeat),
                "update": timed(lambda: _duck_update(con, db), args.repeat // 4),
                "current": timed(lambda: places.current(con), 20),
            }
        try:
            import psycopg
        except ImportError:
            print("psycopg is not installed: pip install 'psycopg[binary]==3.3.9' to compare")
        else:
            with psycopg.connect(server.url) as pg:
                pg.execute("SET search_path TO banc")
                rows["psycopg 3"] = {
                    "session": timed(lambda: psycopg.connect(server.url).close(), 20),
                    "select": timed(lambda: pg.execute("SELECT name FROM places WHERE id = %s",
                                                       [1]).fetchall(), args.repeat),
                    "update": timed(lambda: _pg_update(pg), args.repeat // 4),
                    "current": timed(lambda: pg.execute(CURRENT_PG).fetchall(), 20),
                }
        print("| back end | open a session | point select | one-row update + commit | "
              "current places |")
        print("|---|---|---|---|---|")
        for name, r in rows.items():
            print(f"| {name} | {r['session']:.2f} ms | {r['select']:.2f} ms | "
                  f"{r['update']:.2f} ms | {r['current']:.2f} ms |")
    finally:
        db.release()
        server.stop()
    return 0


def _duck_update(con, db) -> None:
    with db.transaction(con):
        con.execute("UPDATE places SET version = version + 1 WHERE id = ?", [1])


def _pg_update(pg) -> None:
    with pg.transaction():
        pg.execute("UPDATE places SET version = version + 1 WHERE id = %s", [1])


if __name__ == "__main__":
    sys.exit(main())
