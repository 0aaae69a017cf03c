"""App writes are serialised within one server process (sessions share DuckDB's database)."""

from __future__ import annotations

import threading
import time

from observatory.ui import data


def test_two_sessions_importing_at_once_write_one_after_the_other(monkeypatch, tmp_path):
    active, peak = [0], [0]
    guard = threading.Lock()

    def slow_write(sessions, report, *, actor, replace_demo):
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
    monkeypatch.setattr(data.import_cases, "write_import", slow_write)
    threads = [threading.Thread(target=data.import_apply, args=(None, "démo", False))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 1


def test_the_importer_checks_a_file_once_per_choice_not_at_every_rerun(monkeypatch, tmp_path):
    calls = []

    def counting_check(sessions, payload, filename, kind, **options):
        calls.append(options.get("confirmed_renames"))
        return ("report", len(calls))

    data.st.cache_data.clear()
    monkeypatch.setattr(data, "db_path", lambda: str(tmp_path / "x.duckdb"))
    monkeypatch.setattr(data.import_cases, "check_import", counting_check)
    first = data.import_preview(b"Nom\nA\n", "lieux.csv", "places", {"name": "Nom"}, False)
    again = data.import_preview(b"Nom\nA\n", "lieux.csv", "places", {"name": "Nom"}, False)
    confirmed = data.import_preview(b"Nom\nA\n", "lieux.csv", "places", {"name": "Nom"}, False,
                                    confirmed_renames=frozenset({2}))
    assert first == again == ("report", 1)
    assert confirmed == ("report", 2) and calls == [None, frozenset({2})]
    data.st.cache_data.clear()
