"""Import places and evaluations from analysts' files: read, map columns, validate.

Pure functions (no Streamlit, no SQL, no writes). The flow, for the UI and the CLI:

    table = read_table(data, filename)                     # strings, index = row number
    mapping = suggest_mapping(table.columns, "places")     # the user may correct it
    report = validate_places(apply_mapping(table, mapping, "places"),
                             communes, existing_places)    # records + problems + preview
    if report.ok: write report.to_write() in one transaction (store)

``validate_file`` chains the three steps for the CLI.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from observatory.importing.families import (
    FAMILIES,
    NATIONAL,
    OWN,
    REGIONAL,
    Family,
    Origin,
    family_labels,
    family_mapping,
    mapping_gaps,
    prepare,
    recognise,
    territory_count_text,
)
from observatory.importing.mapping import (
    FIELDS,
    KINDS,
    Field,
    apply_mapping,
    fields,
    mapping_warnings,
    missing_required,
    suggest_mapping,
    unused_headers,
)
from observatory.importing.readers import (
    DEFAULT_MAX_BYTES,
    SIZE_LIMIT_TEXT,
    ImportFileError,
    read_table,
    read_warnings,
    sheet_names,
)
from observatory.importing.report import (
    ADD,
    DROPPED,
    ERROR,
    LEFT_OUT,
    REJECTED,
    RENAME_PENDING,
    SKIPPED,
    UNCHANGED,
    UPDATE,
    WARNING,
    Change,
    EvaluationRecord,
    PlaceRecord,
    Problem,
    Rename,
    ValidationReport,
    demo_removal_text,
    demo_removed,
    written_text,
)
from observatory.importing.templates import template, template_filename, territory_example
from observatory.importing.validation import PLACE_COLUMNS, validate_evaluations, validate_places


def validate_file(data: bytes, filename: str, kind: str, *, communes=None,
                  existing_places: pd.DataFrame | None = None,
                  existing_evaluations: pd.DataFrame | None = None,
                  mapping: dict[str, str | None] | None = None, sheet: str | int | None = None,
                  today: date | None = None, perimeter_only: bool = True,
                  skip_outside: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
                  confirmed_renames: frozenset[int] = frozenset(),
                  valid_rows_only: bool = False, publisher: str | None = None,
                  existing_sources: pd.DataFrame | None = None,
                  existing_provenance: pd.DataFrame | None = None,
                  ) -> ValidationReport:
    """Read, map (the suggested mapping unless one is given) and validate a file.

    ``confirmed_renames``: rows of a places file whose identifier may rename the place it
    designates (see ``validate_places``); an evaluations file has no renames.

    A places file whose headers a known family carries (``families.recognise``) is read
    with that family's mapping unless ``mapping`` is given; every places file is then
    prepared (``families.prepare``: certain repairs, each row's origin). ``publisher``
    names the publisher of a regional list (the family knows the national ones).

    Raises ``ImportFileError`` when the file cannot be read at all.
    """
    table = read_table(data, filename, sheet=sheet, max_bytes=max_bytes)
    family = recognise(table.columns) if kind == "places" else None
    if mapping is None and family is not None:
        mapping = family_mapping(family, table.columns, kind)
    elif mapping is not None and family is not None and not _same_mapping(
            mapping, family_mapping(family, table.columns, kind)):
        family = None  # the analyst chose other columns: read as their own spreadsheet
    mapping = mapping or suggest_mapping(table.columns, kind)
    mapped = apply_mapping(table, mapping, kind)
    if kind == "places":
        if communes is None:
            raise ValueError("communes is required to validate places")
        prepared = prepare(table, mapped, family, filename, publisher)
        report = validate_places(prepared.table, communes, existing_places, today=today,
                                 perimeter_only=perimeter_only, skip_outside=skip_outside,
                                 confirmed_renames=confirmed_renames, prepared=prepared,
                                 valid_rows_only=valid_rows_only,
                                 existing_sources=existing_sources,
                                 existing_provenance=existing_provenance)
        report.family = family.label if family else ""
    else:
        report = validate_evaluations(mapped, existing_places, existing_evaluations, today=today)
    report.notes = [*read_warnings(table), *mapping_warnings(table.columns, kind)]
    if kind == "places" and family is not None:
        report.notes.insert(0, f"Source reconnue : {family.label} (colonnes associées "
                               "automatiquement).")
    return report


def _same_mapping(given: dict, family: dict) -> bool:
    return all(given.get(k) == v for k, v in family.items() if k != "contact")


__all__ = [
    "ADD", "DEFAULT_MAX_BYTES", "DROPPED", "ERROR", "FAMILIES", "Family", "LEFT_OUT",
    "NATIONAL", "OWN", "Origin", "REGIONAL", "family_labels", "family_mapping", "mapping_gaps",
    "prepare",
    "recognise", "territory_count_text", "FIELDS", "KINDS", "PLACE_COLUMNS", "REJECTED",
    "SIZE_LIMIT_TEXT", "mapping_warnings", "read_warnings",
    "RENAME_PENDING", "SKIPPED", "UNCHANGED", "UPDATE", "WARNING", "Change",
    "EvaluationRecord", "Field", "ImportFileError", "PlaceRecord", "Problem", "Rename",
    "ValidationReport", "apply_mapping", "demo_removal_text", "demo_removed",
    "written_text",
    "fields", "missing_required", "read_table", "sheet_names", "suggest_mapping", "template",
    "template_filename", "territory_example",
    "unused_headers", "validate_evaluations", "validate_file", "validate_places",
]
