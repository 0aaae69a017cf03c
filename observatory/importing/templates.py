"""Downloadable templates: French headers and one example row, as CSV or Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

import pandas as pd

from observatory import formatting
from observatory.importing.mapping import KIND_LABELS, Field, fields
from observatory.model import LEGAL_STATUSES, TYPOLOGIES

FORMATS = ("csv", "xlsx")
_VOCABULARIES = {"typology": TYPOLOGIES, "legal_status": LEGAL_STATUSES,
                 "transition_oriented": ("oui", "non")}


def template_fields(kind: str) -> list[Field]:
    """The columns of a template: every stored field, the identifier last (for updates)."""
    chosen = [f for f in fields(kind) if f.stored]
    return [f for f in chosen if f.key != "place_id"] + [f for f in chosen
                                                          if f.key == "place_id"]


def template(kind: str, fmt: str = "csv", example: Mapping[str, str] | None = None) -> bytes:
    """A template to fill: CSV as French Excel writes it (UTF-8 with BOM, ";", decimal
    commas), or an .xlsx with a help sheet and drop-down lists for closed vocabularies.
    ``example`` replaces values of the example row by field key (``territory_example``: a
    commune of the user's own territory rather than Varilhes, Ariège)."""
    if fmt == "csv":
        return _csv(kind, example or {})
    if fmt == "xlsx":
        return _xlsx(kind, example or {})
    raise ValueError(f"Format de modèle inconnu : {fmt!r} (attendu : csv ou xlsx).")


def territory_example(communes: pd.DataFrame) -> dict[str, str]:
    """The example row's commune: the most populated commune of the territory's perimeter
    (its name, code INSEE and centre), so that a template downloaded in the Lot shows a
    commune of the Lot. Empty when the referential has none."""
    inside = communes[communes["in_perimeter"]] if "in_perimeter" in communes else communes
    if inside.empty:
        inside = communes
    if inside.empty:
        return {}
    row = inside.sort_values(["population", "insee"], ascending=[False, True]).iloc[0]
    return {"commune": str(row["name"]), "insee": str(row["insee"]),
            "lat": formatting.decimal(float(row["lat"]), 4),
            "lon": formatting.decimal(float(row["lon"]), 4)}


def _example_row(columns: list[Field], example: Mapping[str, str]) -> list[str]:
    return [example.get(f.key, f.example) for f in columns]


def filename(kind: str, fmt: str) -> str:
    """« modele_import_lieux.csv », « modele_import_evaluations.xlsx »."""
    return f"modele_import_{KIND_LABELS[kind].replace('é', 'e')}.{fmt}"


template_filename = filename


def _csv(kind: str, example: Mapping[str, str]) -> bytes:
    columns = template_fields(kind)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([f.label for f in columns])
    writer.writerow(_example_row(columns, example))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(kind: str, example: Mapping[str, str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = template_fields(kind)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = KIND_LABELS[kind].capitalize()
    sheet.append([f.label for f in columns])
    sheet.append(_example_row(columns, example))
    lists = workbook.create_sheet("Listes")
    for position, field in enumerate(columns, start=1):
        letter = get_column_letter(position)
        header = sheet.cell(row=1, column=position)
        header.font = Font(bold=True, color="FFFFFF")
        header.fill = PatternFill("solid", fgColor="1F4E79" if field.required else "5B7FA6")
        sheet.column_dimensions[letter].width = max(14, min(40, len(field.label) + 4))
        if field.key in ("insee", "postal_code"):
            for row in range(2, 1001):  # text, so Excel keeps the leading zero of 09225
                sheet.cell(row=row, column=position).number_format = "@"
        if field.key in _VOCABULARIES:
            _dropdown(sheet, lists, letter, field, _VOCABULARIES[field.key], DataValidation)
    lists.sheet_state = "hidden"
    sheet.freeze_panes = "A2"
    _help_sheet(workbook.create_sheet("Aide"), columns, Font)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _dropdown(sheet, lists, letter: str, field: Field, values, DataValidation) -> None:
    column = list(_VOCABULARIES).index(field.key) + 1  # one column per list in "Listes"
    for row, value in enumerate(values, start=1):
        lists.cell(row=row, column=column, value=value)
    source = lists.cell(row=1, column=column).column_letter
    rule = DataValidation(type="list", formula1=f"=Listes!${source}$1:${source}${len(values)}",
                          allow_blank=True, showErrorMessage=False)
    rule.prompt, rule.promptTitle = f"Choisissez une valeur ({field.label}).", field.label
    sheet.add_data_validation(rule)
    rule.add(f"{letter}2:{letter}1000")


def _help_sheet(sheet, columns: list[Field], Font) -> None:
    sheet.append(["Colonne", "Obligatoire", "Description", "Exemple"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for field in columns:
        help_text = field.help
        if field.key in _VOCABULARIES:
            help_text = (help_text + " " if help_text else "") + "Valeurs : " + ", ".join(
                _VOCABULARIES[field.key]) + "."
        sheet.append([field.label, "oui" if field.required else "", help_text, field.example])
    for letter, width in zip("ABCD", (28, 12, 90, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([])
    advice = ("Une ligne par lieu (ou par évaluation). La première ligne (en-têtes) ne doit "
              "pas être modifiée ; supprimez la ligne d'exemple avant l'import.")
    sheet.append([advice])
