"""Load test: two app processes on one PostgreSQL, analysts editing at once.

    .venv/bin/python benchmarks/load_postgres.py [--minutes 5] [--analysts 20] [--url URL]

Without ``--url`` it starts a throwaway PostgreSQL (Debian's packages, ``tests/pg_server.py``)
and stops it at the end. It creates the demonstration territory in a fresh schema, then
starts two worker processes (the two app servers behind the proxy), each running half of the
analysts as threads. Each analyst loops for ``--minutes``:

* a *page rerun*, as ``observatory/ui/data.py`` does it: read the data version (one query),
  and when it moved since this process last read it, reload the places and the consortia
  (the process's cache, shared by its analysts);
* a *save*, chosen at random: a place (its website, checked against the version the analyst
  loaded at their previous rerun), an evaluation of a place, or a consortium (its
  description, with its version). The places and consortia edited are a small « hot » set,
  so that saves collide often.

It checks and reports:

* **no lost update**: every save either committed, with the next version of the record, or
  was refused with the French conflict message (``ConflictError``, as the pages show it);
  afterwards, each record's version equals its initial version plus its committed saves, its
  audit trail has exactly one entry per committed save, and it holds the last committed
  value;
* **every write visible from the other process at its next rerun**: before each rerun the
  analyst notes the highest version committed so far for a hot place (by either process,
  from a table shared between the processes); the rerun's view must show at least that;
* the **p95** (and median) of a save and of a page rerun, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOT_PLACES = 6
HOT_CONSORTIA = 3


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def worker(index: int, url: str, analysts: int, seconds: float, hot: dict, committed,
           lock, results) -> None:
    """One app process: its cache keyed by the data version, ``analysts`` threads."""
    from observatory.consortia import Consortium
    from observatory.errors import ConflictError
    from observatory.formatting import is_missing
    from observatory.service import core, proximity
    from observatory.store import consortia, db, evaluations, places

    cache = {"version": None, "places": None, "consortia": None}
    cache_lock = threading.Lock()
    out = {"save_ms": [], "rerun_ms": [], "saved": [], "conflicts": 0, "conflict_messages": [],
           "stale_views": 0, "reruns": 0, "other_errors": []}
    out_lock = threading.Lock()

    def rerun() -> tuple[dict, dict]:
        """The versions of the hot records as this process's page would show them."""
        with db.session(url, read_only=True) as con:
            version = db.data_version(con)
            with cache_lock:
                if cache["version"] != version:
                    current = places.current(con)
                    cache["places"] = dict(zip(current["id"], current["version"], strict=True))
                    saved = consortia.current(con)
                    cache["consortia"] = {int(r["id"]): r for r in saved.to_dict("records")}
                    cache["version"] = version
                return cache["places"], cache["consortia"]

    def analyst(number: int) -> None:
        rng = random.Random(index * 1000 + number)
        name = f"analyste-{index}-{number}"
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            pid = rng.choice(hot["places"])
            with lock:
                expected = committed.get(("place", pid), 0)
            started = time.perf_counter()
            seen_places, seen_consortia = rerun()
            elapsed = (time.perf_counter() - started) * 1000
            with out_lock:
                out["rerun_ms"].append(elapsed)
                out["reruns"] += 1
                if int(seen_places[pid]) < expected:
                    out["stale_views"] += 1
            time.sleep(rng.uniform(0.05, 0.3))  # the analyst types
            kind = rng.choice(["place", "evaluation", "consortium"])
            n += 1
            token = f"{name}-{n}"
            started = time.perf_counter()
            try:
                with db.session(url) as con:
                    if kind == "place":
                        version = int(seen_places[pid])
                        with core.transaction(con):
                            new = places.update(con, pid, {"website": f"https://{token}.fr"},
                                                version, name)
                        record = ("place", pid, new, token)
                    elif kind == "evaluation":
                        with core.transaction(con):
                            evaluations.insert(con, {
                                "place_id": pid, "evaluated_on": "2026-01-01",
                                "evaluator": name, "commons": 2.0, "innovative_response": 2.0,
                                "collective_dynamic": 2.0, "territorial_anchoring": 2.0,
                                "shared_governance": 2.0, "evidence": token})
                        record = ("evaluation", pid, 0, token)
                    else:
                        cid = rng.choice(hot["consortia"])
                        row = seen_consortia[cid]
                        consortium = Consortium(
                            name=row["name"], lead_place_id=int(row["lead_place_id"]),
                            member_ids=[int(m) for m in row["member_ids"]],
                            call_year=int(row["call_year"]), status=row["status"],
                            description=token, id=cid, version=int(row["version"]),
                            location_place_id=(None if is_missing(row["location_place_id"])
                                               else int(row["location_place_id"])))
                        proximity.save_consortium(con, consortium, actor=name)
                        record = ("consortium", cid, int(row["version"]) + 1, token)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if record[0] != "evaluation":
                        key = (record[0], record[1])
                        committed[key] = max(committed.get(key, 0), record[2])
                with out_lock:
                    out["save_ms"].append(elapsed)
                    out["saved"].append(record)
            except ConflictError as exc:
                elapsed = (time.perf_counter() - started) * 1000
                with out_lock:
                    out["save_ms"].append(elapsed)
                    out["conflicts"] += 1
                    if len(out["conflict_messages"]) < 50:
                        out["conflict_messages"].append(str(exc))
            except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
                with out_lock:
                    out["other_errors"].append(f"{kind}: {type(exc).__name__}: {exc}"[:300])

    threads = [threading.Thread(target=analyst, args=(k,)) for k in range(analysts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results[index] = out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--analysts", type=int, default=20)
    parser.add_argument("--url", help="a PostgreSQL URL (default: a throwaway server)")
    args = parser.parse_args()

    from observatory import bootstrap, dburl
    from observatory.store import audit, consortia, db, places
    from observatory.territory.config import load_territory_config
    from tests import pg_server

    server = None if args.url else pg_server.start()
    try:
        url = dburl.with_schema(args.url or server.url, f"charge_{int(time.time())}")
        bootstrap.init_database(url, load_territory_config(
            ROOT / "data" / "territory" / "territory.toml"), with_demo=True)
        with db.session(url) as con:
            hot = {"places": [int(i) for i in places.current(con)["id"][:HOT_PLACES]],
                   "consortia": [int(i) for i in consortia.current(con)["id"][:HOT_CONSORTIA]]}
            initial = {("place", p): int(places.get(con, p)["version"]) for p in hot["places"]}
            for row in consortia.current(con).to_dict("records"):
                if int(row["id"]) in hot["consortia"]:
                    initial[("consortium", int(row["id"]))] = int(row["version"])
        db.release()
        manager = mp.Manager()
        committed, lock, results = manager.dict(initial), manager.Lock(), manager.dict()
        per = [args.analysts // 2 + (1 if k < args.analysts % 2 else 0) for k in range(2)]
        started = time.monotonic()
        processes = [mp.Process(target=worker, args=(k, url, per[k], args.minutes * 60, hot,
                                                     committed, lock, results))
                     for k in range(2)]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
        wall = time.monotonic() - started
        outs = [results[k] for k in range(2)]
        saves = [ms for o in outs for ms in o["save_ms"]]
        reruns = [ms for o in outs for ms in o["rerun_ms"]]
        saved = [r for o in outs for r in o["saved"]]
        conflicts = sum(o["conflicts"] for o in outs)
        messages = [m for o in outs for m in o["conflict_messages"]]
        french = all("modifi" in m and "d'autre" in m or "Un autre utilisateur" in m
                     for m in messages)
        lost = []
        with db.session(url, read_only=True) as con:
            for (kind, rid), start in initial.items():
                mine = sorted((r for r in saved if r[0] == kind and r[1] == rid),
                              key=lambda r: r[2])
                versions = [r[2] for r in mine]
                if versions != list(range(start + 1, start + 1 + len(mine))):
                    lost.append(f"{kind} {rid}: committed versions {versions} after {start}")
                if kind == "place":
                    row = places.get(con, rid)
                    trail = audit.history(con, "place", rid)
                    trail = trail[trail["actor"].str.startswith("analyste-")]
                    if int(row["version"]) != start + len(mine) or len(trail) != len(mine):
                        lost.append(f"place {rid}: version {row['version']}, {len(mine)} saves"
                                    f", {len(trail)} audit entries")
                    if mine and row["website"] != f"https://{mine[-1][3]}.fr":
                        lost.append(f"place {rid}: holds {row['website']}, last {mine[-1][3]}")
                else:
                    current = consortia.current(con)
                    row = current[current["id"] == rid].iloc[0]
                    if int(row["version"]) != start + len(mine):
                        lost.append(f"consortium {rid}: version {row['version']}, "
                                    f"{len(mine)} saves")
                    if mine and row["description"] != mine[-1][3]:
                        lost.append(f"consortium {rid}: holds {row['description']}")
        summary = {
            "analysts": args.analysts, "app_processes": 2, "seconds": round(wall, 1),
            "saves_committed": len(saved), "saves_refused_conflict": conflicts,
            "conflict_messages_french": french,
            "conflict_messages": sorted({m.split(" (version")[0][:120] for m in messages}),
            "lost_updates": lost, "other_errors": [e for o in outs for e in o["other_errors"]],
            "reruns": len(reruns), "stale_views_after_a_commit": sum(o["stale_views"]
                                                                     for o in outs),
            "save_ms_median": round(statistics.median(saves), 1) if saves else None,
            "save_ms_p95": round(percentile(saves, 95), 1),
            "rerun_ms_median": round(statistics.median(reruns), 1) if reruns else None,
            "rerun_ms_p95": round(percentile(reruns, 95), 1),
        }
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        ok = not lost and not summary["other_errors"] and french \
            and summary["stale_views_after_a_commit"] == 0
        return 0 if ok else 1
    finally:
        db.release()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
