"""The app reports a database it cannot use in French, without a traceback: at start-up
(a damaged file: restore a backup, at once) and inside a page (a full disk, a lock)."""

from __future__ import annotations

import time

from observatory.store import db

TABLEAU = "pages/tableau_de_bord.py"


def test_a_damaged_database_says_restore_a_backup_at_once(make_app, app_db):
    with open(app_db, "r+b") as f:  # both database headers overwritten
        f.seek(4096)
        f.write(b"\xa5" * 8192)
    at = make_app(app_db)
    started = time.monotonic()
    at.run()
    assert time.monotonic() - started < 8  # no 10-second wait for a lock that is not there
    assert not at.exception, [e.value for e in at.exception]
    (error,) = at.error
    assert "endommagé" in error.value and "restaurez une sauvegarde" in error.value
    assert "autre processus" not in error.value


def test_a_database_failure_inside_a_page_is_a_french_error(make_app, app_db, monkeypatch):
    at = make_app(app_db)
    at.run()
    from observatory.ui import data

    def full(path):
        raise db.DiskFull("Écriture impossible : le disque est plein. Rien n'a été enregistré.")

    monkeypatch.setattr(data, "consortia", full)
    at.switch_page(TABLEAU).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("le disque est plein" in e.value for e in at.error)
