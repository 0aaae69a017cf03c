"""Imports: validate a file against the store, then write it in one transaction."""

from __future__ import annotations

import os
import time

import duckdb

from observatory import importing
from observatory.importing import ADD, UPDATE, ValidationReport
from observatory.store import evaluations, places, territory

# Seconds to wait between records while writing; only tests set it, to kill an import midway.
_DELAY_ENV = "OBSERVATORY_TEST_IMPORT_DELAY"


def existing_places(con: duckdb.DuckDBPyConnection, replace_demo: bool):
    current = places.current(con)
    return current[~current["is_demo"]] if replace_demo else current


def preview(con: duckdb.DuckDBPyConnection, data: bytes, filename: str, kind: str, *,
            mapping: dict | None = None, replace_demo: bool = False, sheet=None,
            skip_outside: bool = False) -> ValidationReport:
    """Read, map and validate a file against the store; writes nothing."""
    return importing.validate_file(
        data, filename, kind, communes=territory.communes(con),
        existing_places=existing_places(con, replace_demo),
        existing_evaluations=evaluations.history(con), mapping=mapping, sheet=sheet,
        skip_outside=skip_outside)


def apply(con: duckdb.DuckDBPyConnection, report: ValidationReport, actor: str,
          replace_demo: bool = False) -> dict[str, int]:
    """Write a validated report (call inside a transaction: all of it or nothing)."""
    if not report.ok:
        raise ValueError("L'import contient des erreurs : rien n'a été écrit.")
    if replace_demo:
        places.delete_demo(con)
    delay = float(os.environ.get(_DELAY_ENV, "0") or 0)
    counts = {"added": 0, "updated": 0, "evaluations": 0}
    for record in report.to_write():
        if isinstance(record, importing.EvaluationRecord):
            evaluations.create(con, record.evaluation, actor)
            counts["evaluations"] += 1
        else:
            place_id = _write_place(con, record, actor, counts)
            if record.evaluation:
                evaluations.create(con, dict(record.evaluation, place_id=place_id), actor)
                counts["evaluations"] += 1
        if delay:
            time.sleep(delay)
    return counts


def _write_place(con, record: importing.PlaceRecord, actor: str, counts: dict) -> int:
    if record.action == ADD:
        counts["added"] += 1
        return places.create(con, record.place, actor)
    if record.action == UPDATE:
        counts["updated"] += 1
        places.update(con, record.place_id, {k: new for k, (_, new) in record.changes.items()},
                      record.version, actor, action="import")
    return int(record.place_id)
