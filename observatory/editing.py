"""Forms as one-row imports: the same validation (and French messages) as a file import."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from observatory import importing


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
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
    if loaded_version is not None:
        report.records = [replace(r, version=loaded_version) if r.action == importing.UPDATE
                          else r for r in report.records]
    return report


def check_evaluation(values: Mapping[str, object], existing_places: pd.DataFrame,
                     existing_evaluations: pd.DataFrame) -> importing.ValidationReport:
    return importing.validate_evaluations(one_row(values), existing_places, existing_evaluations)
