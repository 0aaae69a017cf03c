"""Forms as one-row imports: the same validation (and French messages) as a file import."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from observatory import importing
from observatory.formatting import is_blank, is_missing
from observatory.importing.parsing import MAX_LENGTH
from observatory.model import SCORE_MAX, SCORE_MIN, SCORE_STEP

# Longest texts a form accepts: the import validation's limits, so that a form never lets
# through what the validation would refuse (nor refuses what it accepts). For the place form,
# the evaluation form and any form with a name and free notes (consortia, equipment).
NAME_MAX_CHARS = MAX_LENGTH["name"]  # 200
NOTES_MAX_CHARS = MAX_LENGTH["evidence"]  # 5,000
AUTHOR_MAX_CHARS = 120  # a name typed for the audit trail (demonstration mode)

# The scores a form or a filter offers: SCORE_MIN to SCORE_MAX by SCORE_STEP (0, 0.5 … 4).
SCORE_OPTIONS = tuple(SCORE_MIN + i * SCORE_STEP
                      for i in range(int((SCORE_MAX - SCORE_MIN) / SCORE_STEP) + 1))


def _text(value: object) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (list, tuple)):
        return "|".join(str(v) for v in value)
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value)


def one_row(values: Mapping[str, object]) -> pd.DataFrame:
    """A form's values as the string table the import validation reads (row 2, as in a file)."""
    return pd.DataFrame([{k: _text(v) for k, v in values.items()}], index=[2])


def check_place(values: Mapping[str, object], communes, existing_places: pd.DataFrame,
                loaded_version: int | None = None) -> importing.ValidationReport:
    """Validate a place form. For an edit (``place_id`` in ``values``), the update is checked
    against the version the form was loaded at, so a concurrent save is refused, not lost.
    The form edits that very place: its name is taken as typed (a rename, a respelling)."""
    report = importing.validate_places(one_row(values), communes, existing_places,
                                       confirmed_renames=frozenset({2}))
    if values.get("place_id") is not None:
        report.records = [_with_erasures(r, values, existing_places) for r in report.records]
    if loaded_version is not None:
        report.records = [replace(r, version=loaded_version) if r.action == importing.UPDATE
                          else r for r in report.records]
    return report


# Fields a form may empty. An import keeps the stored value behind an empty cell (the file
# may simply lack it); a form shows the stored value, so an empty field was cleared on purpose.
# (Empty coordinates mean « the commune's centre », handled by the validation.)
CLEARABLE = ("legal_status", "opening_year", "thematics", "website", "contact")


def _with_erasures(record, values: Mapping[str, object], existing_places: pd.DataFrame):
    """``record`` with the fields the form emptied set to empty (NULL), as audited changes."""
    if record.action not in (importing.UPDATE, importing.UNCHANGED) or record.place_id is None:
        return record
    stored = existing_places[existing_places["id"] == record.place_id]
    if stored.empty:
        return record
    old = stored.iloc[0]
    erased = {key: ([] if key == "thematics" else None) for key in CLEARABLE
              if key in values and is_blank(values[key]) and key in old and not is_blank(old[key])}
    if not erased:
        return record
    changes = dict(record.changes)
    for key, empty in erased.items():
        before = old[key]
        changes[key] = (list(before) if key == "thematics" else
                        before.item() if hasattr(before, "item") else before, empty)
    return replace(record, action=importing.UPDATE, changes=changes,
                   place={**record.place, **erased})


def check_evaluation(values: Mapping[str, object], existing_places: pd.DataFrame,
                     existing_evaluations: pd.DataFrame) -> importing.ValidationReport:
    return importing.validate_evaluations(one_row(values), existing_places, existing_evaluations)
