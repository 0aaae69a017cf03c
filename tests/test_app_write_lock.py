"""App writes are serialised within one server process (sessions share DuckDB's database)."""

from __future__ import annotations

import threading
import time

from observatory.ui import data


def test_two_sessions_importing_at_once_write_one_after_the_other(monkeypatch, tmp_path):
    active, peak = [0], [0]
    guard = threading.Lock()

    def slow_write(session, report, actor, replace_demo):
        with guard:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)  # long enough for the other thread to arrive meanwhile
        with guard:
            active[0] -= 1
        return {"added": 1, "updated": 0, "evaluations": 0}

    monkeypatch.delenv("OBSERVATORY_USERS", raising=False)  # demonstration mode: an analyst
    monkeypatch.setattr(data, "ensure_database", lambda path: str(tmp_path / "x.duckdb"))
    monkeypatch.setattr(data, "invalidate", lambda: None)
    monkeypatch.setattr(data.store_imports, "write", slow_write)
    threads = [threading.Thread(target=data.import_apply, args=(None, "démo", False))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 1
