"""Imports: validate a file against the store, then write it in one short transaction.

The flow, for the app and the CLI:

    with a short connection:  state = read_store(con, replace_demo)  # the file's yardstick
    without any connection:   report = validate(state, data, filename, kind, ...)
    with a short write transaction:  write(lambda: db.session(path), report, actor, replace_demo)

``preview(con, …)`` chains the first two; ``apply(con, …)`` is the write inside a transaction
the caller opened. The write re-checks the report inside its transaction: when the store
changed since ``read_store`` (another import, an edit), the file is validated again against
the store as it is now (``write`` does it outside the transaction, then retries), and the
import is refused if what it would write differs (a place to add now exists, a place to
update was changed…). It then writes every place, evaluation and audit entry in a handful of
bulk statements, whatever the number of rows.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from observatory import importing
from observatory.importing import ADD, UNCHANGED, UPDATE, ValidationReport
from observatory.origins import MANUAL
from observatory.store import evaluations, places, territory
from observatory.store import origins as store_origins
from observatory.store.db import StoreError, transaction

# Seconds to pause between the bulk statements of a write (and, in the CLI, between the
# validation and the write); only tests set it, to kill an import midway. Each pause is
# announced on stderr ("import: <step>") so a test knows where the import stands.
_DELAY_ENV = "OBSERVATORY_TEST_IMPORT_DELAY"

STALE = ("Les données ont changé depuis la vérification ({}) : vérifiez à nouveau le fichier ; "
         "rien n'a été écrit.")


class StaleImportError(StoreError):
    """The store changed since the file was checked, and the import would now differ."""


class _StoreChanged(Exception):
    """The store changed since the check: validate again outside the transaction, retry."""


@dataclass(frozen=True)
class StoreState:
    """What a file is validated against, read at one moment, with a fingerprint of it."""

    communes: Any  # GeoDataFrame of territory.communes
    places: pd.DataFrame  # places.current, without the demonstration set if it is replaced
    evaluations: pd.DataFrame  # evaluations.history
    fingerprint: str
    replace_demo: bool = False
    demo: dict = field(default_factory=dict)  # what replacing the demonstration would remove
    # Records of someone's that replacing the demonstration would leave pointing at nothing
    # (``store.places.demo_in_use``, French): the import is then refused.
    demo_in_use: tuple[str, ...] = ()
    sources: pd.DataFrame | None = None  # store.provenance.sources: records of each source
    provenance: pd.DataFrame | None = None  # store.provenance.field_sources


@dataclass(frozen=True)
class Source:
    """The file and the choices it was validated with: enough to validate it again."""

    data: bytes
    filename: str
    kind: str
    mapping: dict | None = None
    sheet: Any = None
    skip_outside: bool = False
    options: dict = field(default_factory=dict)


@dataclass
class CheckedImport(ValidationReport):
    """A validation report that remembers its file and the store it was checked against."""

    source: Source | None = None
    fingerprint: str | None = None
    replace_demo: bool = False
    # When the import replaces the demonstration data: what would be removed with it, as
    # counted at the check (``store.places.demo_counts``); the write reports what it removed.
    demo_removal: dict = field(default_factory=dict)
    # Records of someone's that refer to the demonstration places or consortia
    # (``store.places.demo_in_use``, French): removing the demonstration would leave them
    # pointing at nothing, so the import is refused (``ok`` is false) until they are changed.
    demo_in_use: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No error in the file, and the demonstration data it replaces can go."""
        return super().ok and not self.demo_in_use

    def demo_in_use_text(self) -> str:
        """Why this import cannot replace the demonstration data, in French; "" when it can."""
        return places.demo_in_use_message(self.demo_in_use) if self.demo_in_use else ""


def fingerprint(con: duckdb.DuckDBPyConnection, replace_demo: bool = False) -> str:
    """Changes whenever anything a validation reads changes (places, evaluations, territory)."""
    parts = con.execute(
        "SELECT (SELECT count(*) || ':' || coalesce(bit_xor(hash(t)), 0) FROM places t), "
        "(SELECT count(*) || ':' || coalesce(bit_xor(hash(t)), 0) FROM evaluations t), "
        "(SELECT count(*) || ':' || coalesce(bit_xor(hash(t)), 0) FROM communes t), "
        "(SELECT count(*) || ':' || coalesce(bit_xor(hash(t)), 0) FROM epci t), "
        "(SELECT count(*) || ':' || coalesce(bit_xor(hash(t)), 0) FROM place_sources t), "
        "(SELECT count(*) || ':' || coalesce(bit_xor(hash(t)), 0) FROM field_provenance t)"
    ).fetchone()
    return "|".join([*map(str, parts), f"demo={'replaced' if replace_demo else 'kept'}"])


def existing_places(con: duckdb.DuckDBPyConnection, replace_demo: bool):
    current = places.current(con)
    return current[~current["is_demo"]] if replace_demo else current


def read_store(con: duckdb.DuckDBPyConnection, replace_demo: bool = False) -> StoreState:
    """Read what a file is validated against, consistently (one read transaction when the
    connection is not already in one). Quick: hold the connection only for this."""
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:  # already in one (the write transaction): read there
        return _read_store(con, replace_demo)
    try:
        return _read_store(con, replace_demo)
    finally:
        con.execute("COMMIT")


def _read_store(con, replace_demo: bool) -> StoreState:
    return StoreState(territory.communes(con), existing_places(con, replace_demo),
                      evaluations.history(con), fingerprint(con, replace_demo), replace_demo,
                      places.demo_counts(con) if replace_demo else {},
                      tuple(places.demo_in_use(con)) if replace_demo else (),
                      store_origins.sources(con), store_origins.field_sources(con))


def validate(state: StoreState, data: bytes, filename: str, kind: str, *,
             mapping: dict | None = None, sheet=None, skip_outside: bool = False,
             **options) -> CheckedImport:
    """Read, map and validate a file against ``state``; needs no connection, writes nothing.

    ``options`` go to ``importing.validate_file`` as they are.
    """
    source = Source(data, filename, kind, mapping, sheet, skip_outside, dict(options))
    return _checked(_validate(state, source), source, state)


def preview(con: duckdb.DuckDBPyConnection, data: bytes, filename: str, kind: str, *,
            mapping: dict | None = None, replace_demo: bool = False, sheet=None,
            skip_outside: bool = False, **options) -> CheckedImport:
    """Read, map and validate a file against the store; writes nothing."""
    return validate(read_store(con, replace_demo), data, filename, kind, mapping=mapping,
                    sheet=sheet, skip_outside=skip_outside, **options)


def _validate(state: StoreState, source: Source) -> ValidationReport:
    return importing.validate_file(
        source.data, source.filename, source.kind, communes=state.communes,
        existing_places=state.places, existing_evaluations=state.evaluations,
        mapping=source.mapping, sheet=source.sheet, skip_outside=source.skip_outside,
        **_provenance_options(state, source), **source.options)


def _provenance_options(state: StoreState, source: Source) -> dict:
    """A places import finds a source's records again and keeps the fields typed by hand."""
    if source.kind != "places":
        return {}
    return {"existing_sources": state.sources, "existing_provenance": state.provenance}


def _checked(report: ValidationReport, source: Source, state: StoreState) -> CheckedImport:
    values = {f.name: getattr(report, f.name) for f in dataclasses.fields(ValidationReport)}
    return CheckedImport(**values, source=source, fingerprint=state.fingerprint,
                         replace_demo=state.replace_demo, demo_removal=dict(state.demo),
                         demo_in_use=list(state.demo_in_use))


def write(session: Callable[[], ContextManager[duckdb.DuckDBPyConnection]],
          report: ValidationReport, actor: str, replace_demo: bool = False, *,
          attempts: int = 3) -> dict[str, int]:
    """``apply`` in one short transaction on a fresh ``session()`` (``lambda: db.session(path)``).

    When the store changed since the check, the transaction is given up before writing
    anything, the file is validated again without holding the file, and the write retried
    if it plans exactly the same writes (``StaleImportError`` otherwise). The last attempt
    re-validates inside the transaction, so a busy store cannot starve the import.
    """
    checked = report
    for attempt in range(1, attempts + 1):
        try:
            with session() as con, transaction(con):
                return apply(con, report, actor, replace_demo,
                             revalidate_here=attempt == attempts)
        except _StoreChanged:
            with session() as con:
                state = read_store(con, replace_demo)
            fresh = _checked(_validate(state, report.source), report.source, state)
            _refuse_if_different(checked, fresh)
            report = fresh
    raise AssertionError("unreachable: the last attempt re-validates in the transaction")


def apply(con: duckdb.DuckDBPyConnection, report: ValidationReport, actor: str,
          replace_demo: bool = False, *, revalidate_here: bool = True) -> dict[str, int]:
    """Write a validated report (call inside a transaction: all of it or nothing).

    Returns the counts written ("added", "updated", "evaluations") and, with
    ``replace_demo``, those of the demonstration data removed ("demo_places",
    "demo_evaluations", "demo_consortia"…, keys of ``store.places.demo_counts``).

    A report from ``validate``/``preview`` is first re-checked against the store as it is
    now (``StaleImportError`` when the import would differ); any report's updates still
    check each place's version (``ConflictError``). ``revalidate_here=False`` (``write``):
    raise ``_StoreChanged`` instead of validating again inside the transaction.
    """
    if isinstance(report, CheckedImport) and report.demo_in_use:
        raise places.DemoInUseError(report.demo_in_use_text() + " Rien n'a été écrit.")
    if not report.ok:
        raise ValueError("L'import contient des erreurs : rien n'a été écrit.")
    if isinstance(report, CheckedImport) and report.source is not None:
        report = _recheck(con, report, replace_demo, revalidate_here)
    _pause("re-checked")
    removed = places.delete_demo(con) if replace_demo else {}
    records = report.to_write()
    adds = [r for r in records if isinstance(r, importing.PlaceRecord) and r.action == ADD]
    updates = [r for r in records if isinstance(r, importing.PlaceRecord) and r.action == UPDATE]
    new_ids = places.create_many(con, [r.place for r in adds], actor)
    _pause("places added")
    places.update_many(con, [(r.place_id, {k: new for k, (_, new) in r.changes.items()},
                              r.version) for r in updates], actor, action="import")
    _pause("places updated")
    _write_provenance(con, report, adds, new_ids, updates)
    scores = [r.evaluation for r in records if isinstance(r, importing.EvaluationRecord)]
    scores += [dict(r.evaluation, place_id=place_id)
               for r, place_id in zip(adds, new_ids, strict=True) if r.evaluation]
    scores += [dict(r.evaluation, place_id=int(r.place_id)) for r in updates if r.evaluation]
    evaluations.create_many(con, scores, actor)
    _pause("evaluations added")
    return {"added": len(adds), "updated": len(updates), "evaluations": len(scores),
            **{f"demo_{key}": n for key, n in removed.items()}}


def _write_provenance(con, report: ValidationReport, adds, new_ids, updates) -> None:
    """Each place's record in its source (added, updated or unchanged: the link is kept
    for the next vintage) and the fields the source gave."""
    linked = [(pid, r.origin) for r, pid in zip(adds, new_ids, strict=True) if r.origin]
    linked += [(int(r.place_id), r.origin) for r in report.records
               if isinstance(r, importing.PlaceRecord) and r.origin is not None
               and r.place_id is not None and r.action in (UPDATE, UNCHANGED)]
    store_origins.record_sources(con, linked)
    pairs = [*zip(adds, new_ids, strict=True), *((r, int(r.place_id)) for r in updates)]
    # A record without origin is the place form's (``editing.check_place``): typed by hand.
    given = [(pid, f, r.origin.source, r.origin.record_id) if r.origin
             else (pid, f, MANUAL, str(pid)) for r, pid in pairs for f in r.given]
    store_origins.record_fields(con, given)


def _recheck(con, report: CheckedImport, replace_demo: bool,
             revalidate_here: bool) -> ValidationReport:
    """The report to write: itself when the store is unchanged, else a fresh validation of
    the same file that must plan exactly the same writes."""
    if report.fingerprint == fingerprint(con, replace_demo):
        return report
    if not revalidate_here:
        raise _StoreChanged()
    fresh = _validate(_read_store(con, replace_demo), report.source)
    _refuse_if_different(report, fresh)
    return fresh


def _refuse_if_different(checked: ValidationReport, fresh: ValidationReport) -> None:
    if isinstance(fresh, CheckedImport) and fresh.demo_in_use:
        raise places.DemoInUseError(fresh.demo_in_use_text() + " Rien n'a été écrit.")
    if not fresh.ok:
        raise StaleImportError(STALE.format("le fichier contient maintenant des erreurs"))
    differences = _differences(checked, fresh)
    if differences:
        raise StaleImportError(STALE.format(differences))


def _plan(report: ValidationReport) -> dict[int, str]:
    """Row -> what it would write, comparable between two validations."""
    plan = {}
    for r in report.to_write():
        if isinstance(r, importing.EvaluationRecord):
            what = ("evaluation", r.action, r.evaluation)
        else:
            what = ("place", r.action, r.place_id, r.version, r.changes, r.evaluation,
                    r.place if r.action == ADD else None)
        plan[r.row] = json.dumps(what, sort_keys=True, default=str, ensure_ascii=False)
    return plan


def _differences(checked: ValidationReport, fresh: ValidationReport) -> str:
    """In French, what the fresh validation would write differently; "" when nothing."""
    before, now = _plan(checked), _plan(fresh)
    if before == now:
        return ""
    actions_now = {r.row: r.action for r in fresh.records}
    changed = Counter()
    for r in checked.to_write():
        if before[r.row] == now.get(r.row):
            continue
        if isinstance(r, importing.EvaluationRecord):
            changed["evaluation"] += 1
        elif r.action == ADD and actions_now.get(r.row) != ADD:
            changed["exists"] += 1
        elif r.action == UPDATE:
            changed["modified"] += 1
        else:
            changed["other"] += 1
    changed["other"] += sum(row not in before for row in now)
    words = {"exists": ("lieu à ajouter existe maintenant", "lieux à ajouter existent maintenant"),
             "modified": ("lieu à mettre à jour a été modifié",
                          "lieux à mettre à jour ont été modifiés"),
             "evaluation": ("évaluation a changé", "évaluations ont changé"),
             "other": ("autre ligne a changé", "autres lignes ont changé")}
    return ", ".join(f"{n} {words[key][n > 1]}" for key, n in changed.items() if n) or (
        "ce qui serait écrit n'est plus le même")


def _pause(step: str) -> None:
    """Tests only (``OBSERVATORY_TEST_IMPORT_DELAY``): announce the step, then wait."""
    delay = float(os.environ.get(_DELAY_ENV, "0") or 0)
    if delay:
        print(f"import: {step}", file=sys.stderr, flush=True)
        time.sleep(delay)


def pause_before_writing() -> None:
    """Called by the CLI between the validation and the write (tests only, see ``_pause``)."""
    _pause("validated")
