"""Erase a person's name or email from every place the store can hold it, snapshots included.

One transaction: the live tables, the audit trail (old and new values as JSON), the consortia
history, and the Parquet tables of every snapshot (whose checksum is then recomputed: a
frozen copy may not keep data the person asked to erase). What to replace where is decided by
the pure rules of ``observatory.erasure``; this module only reads and writes.
"""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from observatory import erasure, snapshots
from observatory.erasure import REDACTED
from observatory.store import audit, db

# Live columns that can hold a person's name or email: contacts, evaluators, who did what,
# and free text where anyone may write a name. JSON columns are redacted value by value.
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "places": ("contact", "website"),
    "evaluations": ("evaluator", "evidence"),
    "audit_log": ("actor",),
    "consortia": ("description",),
    "consortium_history": ("changed_by",),
    "maturity_rules": ("set_by",),
    "snapshots": ("created_by", "label"),
    "equipment": ("notes",),
    "equipment_stays": ("note",),
    "calls": ("notes",),
    "applications": ("equipment_planned",),
    "login_attempts": ("name",),  # a name typed at the login box, account or not
    "road_graph": ("built_by",),  # who built the road network
    "duplicate_decisions": ("decided_by",),  # who marked a pair « pas un doublon »
}
JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "audit_log": ("old_values", "new_values"),
    "consortium_history": ("state",),
}
# The same columns inside a snapshot's frozen tables (a bundle's table names).
SNAPSHOT_COLUMNS: dict[str, tuple[str, ...]] = {
    "places": ("contact", "website", "last_evaluator"),
    "evaluations": ("evaluator", "evidence"),
    "maturity_rules": ("set_by",),
    "consortia": ("description",),
    "equipment": ("notes",),
}


@dataclass
class ErasureReport:
    """What an erasure changed (or would change, in a dry run) and what it left alone."""

    needle: str
    changed: dict[str, int] = field(default_factory=dict)    # "table.column" → occurrences
    elsewhere: dict[str, int] = field(default_factory=dict)  # found, deliberately not changed
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.changed.values())

    def add(self, where: str, count: int) -> None:
        if count:
            self.changed[where] = self.changed.get(where, 0) + count


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    # The connection's own schema: 'main' in a DuckDB file, the territory's on PostgreSQL.
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_catalog = current_database() "
                                      "AND table_schema = current_schema()").fetchall()}


def _redact_column(con, table: str, column: str, needle: str, redact, report: ErasureReport,
                   write: bool) -> None:
    rows = con.execute(
        f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()
    updates = {}
    for (value,) in rows:
        new, count = redact(value, needle)
        if count:
            report.add(f"{table}.{column}", count)
            updates[value] = new
    # Keyed by the old value (the redaction depends on it alone): DuckDB's rowid does not
    # reach PostgreSQL's rows through the extension.
    if write and updates:
        con.executemany(f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" = ?',
                        [(new, old) for old, new in updates.items()])


def _redact_frame(frame: pd.DataFrame, columns, needle: str) -> tuple[pd.DataFrame, int]:
    total = 0
    for column in columns:
        if column not in frame:
            continue
        pairs = frame[column].map(lambda v: erasure.redact(v, needle) if isinstance(v, str)
                                  else (v, 0))
        count = int(pairs.map(lambda p: p[1]).sum())
        if count:
            frame[column] = pairs.map(lambda p: p[0])
            total += count
    return frame, total


def _redact_snapshots(con, needle: str, report: ErasureReport, write: bool) -> None:
    stored = con.execute("SELECT id, meta FROM snapshots ORDER BY id").fetchall()
    for snapshot_id, meta_text in stored:
        meta, meta_count = erasure.redact_value(json.loads(meta_text), needle)
        report.add("snapshots.meta", meta_count)
        blobs = {name: bytes(blob) for name, blob in con.execute(
            "SELECT name, parquet FROM snapshot_tables WHERE snapshot_id = ?",
            [snapshot_id]).fetchall()}
        changed = {}
        for name, columns in SNAPSHOT_COLUMNS.items():
            if name not in blobs:
                continue
            frame, count = _redact_frame(pd.read_parquet(io.BytesIO(blobs[name])), columns, needle)
            if count:
                report.add(f"instantanés.{name}", count)
                buffer = io.BytesIO()
                frame.to_parquet(buffer, index=False)
                changed[name] = blobs[name] = buffer.getvalue()
        if write and (changed or meta_count):
            for name, blob in changed.items():
                con.execute("UPDATE snapshot_tables SET parquet = ? "
                            "WHERE snapshot_id = ? AND name = ?", [blob, snapshot_id, name])
            con.execute("UPDATE snapshots SET meta = ?, checksum = ? WHERE id = ?",
                        [json.dumps(meta, ensure_ascii=False, default=str),
                         snapshots.checksum(meta, blobs), snapshot_id])


def _elsewhere(con, needle: str, report: ErasureReport) -> None:
    """Occurrences in text columns the erasure leaves alone (place names, communes…)."""
    handled = {(t, c) for t, cols in {**TEXT_COLUMNS}.items() for c in cols}
    handled |= {(t, c) for t, cols in JSON_COLUMNS.items() for c in cols}
    handled.add(("snapshots", "meta"))
    target = erasure.fold(needle)
    for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = current_schema() "
            "AND data_type = 'VARCHAR'").fetchall():
        if (table, column) in handled:
            continue
        values = con.execute(f'SELECT DISTINCT "{column}" FROM "{table}" '
                             f'WHERE "{column}" IS NOT NULL').fetchall()
        count = sum(target in erasure.fold(v) for (v,) in values)
        if count:
            report.elsewhere[f"{table}.{column}"] = count


def erase_person(con: duckdb.DuckDBPyConnection, needle: str, *, actor: str,
                 dry_run: bool = False) -> ErasureReport:
    """Replace ``needle`` by « [effacé] » everywhere personal data is kept (call inside a
    transaction); ``dry_run`` only counts. Records the erasure (counts only) in the audit trail."""
    needle = erasure.check_needle(needle)
    report = ErasureReport(needle, dry_run=dry_run)
    present = _tables(con)
    for table, columns in TEXT_COLUMNS.items():
        for column in columns if table in present else ():
            _redact_column(con, table, column, needle, erasure.redact, report, not dry_run)
    for table, columns in JSON_COLUMNS.items():
        for column in columns if table in present else ():
            _redact_column(con, table, column, needle, erasure.redact_json, report, not dry_run)
    if "snapshots" in present:
        _redact_snapshots(con, needle, report, not dry_run)
    _elsewhere(con, needle, report)
    if not dry_run and report.total:
        signed = REDACTED if erasure.fold(needle) in erasure.fold(actor) else actor
        audit.record(con, actor=signed, entity="person", entity_id=0, action="erase",
                     old=None, new={"occurrences": report.changed})
    return report


def rewrite_file(path: str | Path) -> None:
    """Copy the database into a fresh file and put it in place of the old one.

    An UPDATE leaves the old values in the file's freed blocks until DuckDB reuses them: a
    copy holds only what the tables hold now. Sequences, indexes and constraints come along
    (``COPY FROM DATABASE``). The file is taken (the app waits) for the copy and the swap.
    """
    path = Path(path)
    fresh = path.with_name(path.name + ".effacement.tmp")
    fresh.unlink(missing_ok=True)
    with db.session(path, wait_s=30) as con:
        con.execute("CHECKPOINT")  # nothing left in the write-ahead log of the old file
        name = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f"ATTACH '{str(fresh).replace(chr(39), chr(39) * 2)}' AS erasure_copy")
        try:
            con.execute(f'COPY FROM DATABASE "{name}" TO erasure_copy')
        finally:
            con.execute("DETACH erasure_copy")
        shutil.copymode(path, fresh)
        fresh.replace(path)  # atomic on one file system, while we still hold the old file
        Path(str(path) + ".wal").unlink(missing_ok=True)
