"""Use cases of the places, their evaluations, the maturity rule and the territory.

Streamlit-free: the pages reach them through ``observatory.ui.data`` (which adds the caches
and the role checks), the CLI through ``observatory.cli_*``. Each takes a connection from
``observatory.service.core.session``. Every write takes ``actor`` (who the audit trail names)
as a required keyword, runs in one transaction of its own (all or nothing) and writes its
audit row; none of them guesses an author.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from observatory import bootstrap, editing, erasure
from observatory.importing import ValidationReport
from observatory.maturity import MaturityRule
from observatory.service import core
from observatory.settings import Settings
from observatory.store import audit, db, evaluations, origins, places, rules, territory
from observatory.store import duplicates as store_duplicates
from observatory.store import erasure as store_erasure
from observatory.store import imports as store_imports
from observatory.territory import load
from observatory.territory.config import load_territory_config


def prepare_database(settings: Settings) -> Path | str:
    """The database the app serves: created with the demonstration data (on the settings'
    territory) when the file is missing, upgraded to the code's schema when it is older."""
    path = settings.db if settings.is_postgres else Path(settings.db)
    if not db.exists(path):
        bootstrap.init_database(path, load_territory_config(settings.territory), with_demo=True)
    with db.session(path) as con:
        db.migrate(con)
    return path


# Reads: what the pages and the CLI show.
current_places = core.current_places
current_rule = core.current_rule
data_version = core.data_version


def place_record(con, place_id: int) -> dict | None:
    """One place's stored fields (archived ones too), with ``id``, ``version``, ``archived``."""
    return places.get(con, place_id)


def evaluation_history(con, place_id: int | None = None) -> pd.DataFrame:
    """Every evaluation (of one place when ``place_id`` is given), oldest first."""
    return evaluations.history(con, place_id)


def place_origins(con, place_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where a place comes from: (its records in each source, which source gave each field)."""
    return origins.of_place(con, place_id)


def place_audit(con, place_id: int) -> pd.DataFrame:
    """Who changed this place, what and when, newest first (old and new values decoded)."""
    return audit.history(con, "place", place_id)


def rule_history(con) -> pd.DataFrame:
    """Every maturity rule adopted, oldest first, with who adopted it."""
    return rules.history(con)


def communes(con):
    """The territory's communes (GeoDataFrame)."""
    return territory.communes(con)


def epci(con) -> pd.DataFrame:
    return territory.epci(con)


def territory_meta(con) -> dict[str, str]:
    return territory.meta(con)


def territory_summary(con) -> dict:
    """The territory in figures, as ``observatory territory --json`` prints it."""
    return load.summary(territory.communes(con), territory.epci(con), territory.meta(con))


# Writes: each one transaction, each audited under the ``actor`` given.
def _required(actor: str) -> str:
    name = str(actor or "").strip()
    if not name:
        raise ValueError("actor is required: the audit trail names who made the change")
    return name


def _save_checked(con, report: ValidationReport,
                  actor: str) -> tuple[ValidationReport, dict | None]:
    """Write a form's report, when valid and not empty, as a one-row import."""
    if not report.ok or not report.to_write():
        return report, None
    with core.transaction(con):
        return report, store_imports.apply(con, report, actor)


def save_place_form(con, values: dict, loaded_version: int | None, *,
                    actor: str) -> tuple[ValidationReport, dict | None]:
    """Validate a place form exactly like an imported row; write it when valid.

    Returns (report, what was written or None). An edit (``place_id`` in ``values``) is
    checked against ``loaded_version``: a concurrent save is refused (``ConflictError``).
    """
    actor = _required(actor)
    report = editing.check_place(values, territory.communes(con), places.current(con),
                                 loaded_version)
    return _save_checked(con, report, actor)


def save_evaluation_form(con, values: dict, *, actor: str) -> tuple[ValidationReport, dict | None]:
    """Validate an evaluation form like an imported row; write it when valid."""
    actor = _required(actor)
    report = editing.check_evaluation(values, places.current(con), evaluations.history(con))
    return _save_checked(con, report, actor)


def archive_place(con, place_id: int, loaded_version: int, *, actor: str) -> int:
    """Hide a place from the maps and figures (audited); returns its new version."""
    actor = _required(actor)
    with core.transaction(con):
        return places.set_archived(con, place_id, True, loaded_version, actor)


def restore_place(con, audit_id: int, loaded_version: int, *, actor: str) -> int:
    """Undo one recorded change of a place (a new, audited change); returns its new version.
    A merge is undone whole: the removed place comes back with all that moved."""
    actor = _required(actor)
    with core.transaction(con):
        if store_duplicates.merge_entry(con, audit_id) is not None:
            return store_duplicates.undo_merge(con, audit_id, loaded_version, actor)
        return places.restore(con, audit_id, loaded_version, actor)


def save_rule(con, rule: MaturityRule, *, actor: str) -> None:
    """Adopt a maturity rule: its history row and an audit row, both naming ``actor``."""
    actor = _required(actor)
    with core.transaction(con):
        before = rules.current(con)
        rules.save(con, rule, actor)
        audit.record(con, actor=actor, entity="rule", entity_id=0, action="update",
                     old={"min_mean": before.min_mean, "min_each": before.min_each},
                     new={"min_mean": rule.min_mean, "min_each": rule.min_each})


def add_demo(con, *, actor: str) -> int:
    """Load the demonstration data into an empty observatory (one transaction, audited);
    ``bootstrap.NotEmpty`` when it holds data of its own. Returns the places added."""
    return bootstrap.add_demo(con, _required(actor))


ERASURE_WAIT_S = 30  # the app holds the file for a few milliseconds per request: wait for it


@dataclass(frozen=True)
class Erasure:
    """What ``erase_person`` did (or would do, in a dry run) and what it cannot reach."""

    report: store_erasure.ErasureReport
    database: Path
    backups: list[Path]


def erase_person(settings: Settings, person: str, *, actor: str, dry_run: bool) -> Erasure:
    """The right to erasure: blank a name or email everywhere, snapshots included.

    One transaction on the database the settings name; after a real erasure the file is
    rewritten (else the old values linger in its free blocks). The backups next to it are
    listed: the erasure cannot reach them.
    """
    actor = _required(actor)
    path = core.existing_db(settings)
    with db.session(path, wait_s=ERASURE_WAIT_S) as con, core.transaction(con):
        report = store_erasure.erase_person(con, person, actor=actor, dry_run=dry_run)
    if settings.is_postgres:
        # No file to rewrite: PostgreSQL's autovacuum reclaims the old row versions (a DBA can
        # force it with VACUUM FULL); pg_dump backups live wherever the operator keeps them.
        return Erasure(report, path, [])
    if not dry_run and report.total:
        store_erasure.rewrite_file(path)
    return Erasure(report, path, erasure.backup_candidates(path))
