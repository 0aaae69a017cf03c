"""Importing places or evaluations from a file: the one flow of the Importer page and the CLI.

    sessions = import_sessions(path)                         # short connections on the file
    report = check_import(sessions, data, filename, kind, …)  # reads the store, writes nothing
    written = write_import(sessions, report, actor=…, …)      # one short transaction, re-checked

``import_places`` chains both (``observatory import``); the Importer page calls them apart,
since it shows the report (cached) before the analyst clicks « Importer ». The rules are in
``observatory.importing``, the re-check and the bulk writes in ``observatory.store.imports``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from observatory.service import core
from observatory.settings import Settings
from observatory.store import db
from observatory.store import imports as store_imports

CheckedImport = store_imports.CheckedImport
StaleImportError = store_imports.StaleImportError

Sessions = Callable[[], AbstractContextManager]


def import_sessions(path: str | Path) -> Sessions:
    """Short connections on the database file, one per step (``lambda: db.session(path)``)."""
    return lambda: db.session(path)


def upgrade(settings: Settings) -> Path:
    """Bring the existing database the settings name up to the code's schema; its path."""
    path = core.existing_db(settings)
    with db.session(path) as con:
        db.migrate(con)
    return path


def check_import(sessions: Sessions, data: bytes, filename: str, kind: str, *,
                 mapping: dict | None = None, replace_demo: bool = False, sheet=None,
                 skip_outside: bool = False, **options) -> CheckedImport:
    """Read, map and validate a file against the store; writes nothing.

    The store is read on one short connection; the file is then checked without holding
    the database, so the app keeps working meanwhile. ``options`` go to
    ``importing.validate_file`` (``confirmed_renames`` for a places file).
    ``importing.ImportFileError`` when the file cannot be read at all.
    """
    with sessions() as con:
        state = store_imports.read_store(con, replace_demo)
    return store_imports.validate(state, data, filename, kind, mapping=mapping, sheet=sheet,
                                  skip_outside=skip_outside, **options)


def write_import(sessions: Sessions, report: CheckedImport, *, actor: str,
                 replace_demo: bool) -> dict[str, int]:
    """Write a valid report in one short transaction (all or nothing), each place and
    evaluation audited under ``actor``; re-checked against the store as it is now
    (``StaleImportError`` when it changed the import). Returns the counts written."""
    name = str(actor or "").strip()
    if not name:
        raise ValueError("actor is required: the audit trail names who imported")
    return store_imports.write(sessions, report, name, replace_demo)


@dataclass(frozen=True)
class ImportOutcome:
    """A checked file and, unless it was a dry run or refused, what was written."""

    report: CheckedImport
    written: dict[str, int] | None

    @property
    def ok(self) -> bool:
        return self.report.ok


def import_places(sessions: Sessions, data: bytes, filename: str, kind: str, *, dry_run: bool,
                  actor: str, mapping: dict | None = None, replace_demo: bool = False,
                  sheet=None, skip_outside: bool = False, **options) -> ImportOutcome:
    """Check a file of places or evaluations (``kind``) and, when it is valid and this is not
    a dry run, write it (``check_import`` then ``write_import``)."""
    report = check_import(sessions, data, filename, kind, mapping=mapping,
                          replace_demo=replace_demo, sheet=sheet, skip_outside=skip_outside,
                          **options)
    written = None
    if report.ok and not dry_run:
        store_imports.pause_before_writing()  # tests only: a window between check and write
        written = write_import(sessions, report, actor=actor, replace_demo=replace_demo)
    return ImportOutcome(report, written)
