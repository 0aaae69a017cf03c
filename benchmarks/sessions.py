"""What a persistent session costs per page run (issue 15), run by hand.

    .venv/bin/python benchmarks/sessions.py [--sessions 1000] [--runs 200]

A fresh demonstration database with N sessions already stored (many analysts, many
browsers). Timed, each ``--runs`` times, median and p95:

- *verify cookie*: ``sessions.unsign`` of a cookie (itsdangerous, no store);
- *check session*: ``service.sessions.resolve``, the one store read (and at most one write,
  the last activity, once a minute) every full run of a logged-in analyst's page costs;
- *open session*: ``service.sessions.open_session``, once per login;
- *exchange ticket*: what ``/session/ouvrir`` does before setting the cookie.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory import bootstrap, config, sessions
from observatory.service import sessions as cases
from observatory.settings import Settings
from observatory.territory.config import load_territory_config


def timed(function, runs: int) -> tuple[float, float]:
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        durations.append((time.perf_counter() - start) * 1000)
    durations.sort()
    return statistics.median(durations), durations[int(0.95 * (len(durations) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    secret = secrets.token_urlsafe(48)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "observatory.duckdb"
        bootstrap.init_database(path, load_territory_config(config.territory_path()),
                                with_demo=True)
        settings = Settings(db=path, secret=secret)
        fingerprint = sessions.fingerprint("analyst", "$2b$hash")
        ids = [cases.open_session(settings, secret, f"analyste{i % 50}", sessions.LOCAL,
                                  fingerprint)[0] for i in range(args.sessions)]
        cookie = sessions.sign(secret, ids[-1])

        def check():
            name, _ = cases.resolve(settings, ids[-1], lambda name, source: fingerprint)
            assert name

        def login():
            session_id, ticket = cases.open_session(settings, secret, "claire", sessions.LOCAL,
                                                    fingerprint)
            return ticket

        tickets = [login() for _ in range(args.runs)]
        figures = {
            "verify cookie": timed(lambda: sessions.unsign(secret, cookie, dt.timedelta(days=7)),
                                   args.runs),
            "check session": timed(check, args.runs),
            "open session": timed(login, args.runs),
            "exchange ticket": timed(lambda: cases.exchange_ticket(settings, secret,
                                                                   tickets.pop()), args.runs),
        }
    print(f"{args.sessions} sessions stored, {args.runs} runs each (ms):")
    for name, (median, p95) in figures.items():
        print(f"  {name:<16} median {median:7.2f}   p95 {p95:7.2f}")


if __name__ == "__main__":
    main()
