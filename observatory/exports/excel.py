"""Excel workbook: a "Lisez-moi" sheet describing every column, then one sheet per table.

Texts are always stored as text cells (never formulas): a place named ``=HYPERLINK(…)`` is
shown as typed and cannot run. Booleans read "Oui"/"Non", dates are real dates.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from observatory.bundle import Bundle
from observatory.exports import common
from observatory.formatting import is_missing, long_date
from observatory.model import CRITERIA_KEYS

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3B73")
TITLE_FONT = Font(bold=True, size=14)
WARNING_FONT = Font(bold=True, color="9C0006")
MAX_WIDTH = 60
WIDTH_SAMPLE = 300  # rows looked at to size a column: enough, and fast on 3,500 places
NUMBER_FORMATS = {
    **{key: "0.0" for key in CRITERIA_KEYS},
    "mean_score": "0.00", "min_mean": "0.0", "min_each": "0.0",
    "lon": "0.00000", "lat": "0.00000", "area_km2": "#,##0.0", "population": "#,##0",
    "amount_funded": '#,##0" €"', "purchase_value": '#,##0" €"', "budget": '#,##0" €"',
    "amount_requested": '#,##0" €"', "amount_granted": '#,##0" €"',
}
# Tables whose ``key`` column is an English identifier for programs (the data package keeps
# it): the workbook shows their French label only.
TECHNICAL_KEYS = ("criteria", "indicators")
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


def build_workbook(bundle: Bundle, include_contacts: bool = False) -> bytes:
    """The whole bundle as an .xlsx file (bytes)."""
    bundle = common.prepare(bundle, include_contacts)
    tables = common.with_names(common.export_tables(bundle))
    for key in TECHNICAL_KEYS:  # « consortia_formed » means nothing to the finance officer
        if key in tables:
            tables[key] = tables[key].drop(columns="key", errors="ignore")
    workbook = Workbook()
    described = common.tables_of(bundle)
    _readme(workbook.active, bundle, tables, described)
    for table in described:
        _sheet(workbook.create_sheet(table.title), table, tables[table.key])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def cell_value(value: object, column: str, table: str = "") -> object:
    """A pandas value as a cell value: None for missing, Oui/Non, lists joined, plain numbers,
    French labels for coded values."""
    value = common.join_list(value)
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "Oui" if value else "Non"
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
        return value.date() if column in common.DATE_COLUMNS else value
    if isinstance(value, np.generic):
        return value.item()
    return common.value_label(table, column, value)


def write_row(sheet: Worksheet, row: int, values: list[object]) -> None:
    """Write values; every string becomes a text cell (formula injection neutralised)."""
    for col, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=col)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl would store "=…" as a formula
            if value.startswith(common.FORMULA_START):
                cell.quotePrefix = True  # and Excel keeps it text when the cell is edited


def _header(sheet: Worksheet, titles: list[str]) -> None:
    write_row(sheet, 1, titles)
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"


def _sheet(sheet: Worksheet, table: common.Table, frame: pd.DataFrame) -> None:
    if frame.columns.empty:
        write_row(sheet, 1, [f"Aucune donnée : {table.description}"])
        sheet.column_dimensions["A"].width = MAX_WIDTH
        return
    columns = list(frame.columns)
    _header(sheet, [common.field_doc(table.key, c)[0] for c in columns])
    records = frame.to_dict(orient="list")
    for index in range(len(frame)):
        write_row(sheet, index + 2, [cell_value(records[c][index], c, table.key) for c in columns])
    for col, column in enumerate(columns, start=1):
        _format_column(sheet, col, column, frame[column], len(frame))
    if len(frame):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(frame) + 1}"


def _format_column(sheet: Worksheet, col: int, column: str, series: pd.Series, rows: int) -> None:
    letter = get_column_letter(col)
    number_format = NUMBER_FORMATS.get(column)
    if column in common.DATE_COLUMNS:
        number_format = DATE_FORMAT
    elif pd.api.types.is_datetime64_any_dtype(series):
        number_format = DATETIME_FORMAT
    if number_format:
        for (cell,) in sheet.iter_rows(min_row=2, max_row=rows + 1, min_col=col, max_col=col):
            cell.number_format = number_format
    sample = [sheet.cell(row=1, column=col).value] + [
        sheet.cell(row=r, column=col).value for r in range(2, min(rows, WIDTH_SAMPLE) + 2)]
    widest = max(len(str(v)) if v is not None else 0 for v in sample)
    if number_format in (DATE_FORMAT, DATETIME_FORMAT):
        widest = len(number_format)
    sheet.column_dimensions[letter].width = min(MAX_WIDTH, max(8, widest + 2))


def _readme(sheet: Worksheet, bundle: Bundle, tables: dict[str, pd.DataFrame],
            described: tuple[common.Table, ...]) -> None:
    sheet.title = "Lisez-moi"
    lines = [
        ("Observatoire des lieux de lien social", TITLE_FONT),
        (f"Territoire : {bundle.territory_name}", None),
        (f"Export : {bundle.label}", None),
        (f"Date : {long_date(bundle.created_at)}, établi par {bundle.created_by}", None),
        (f"Règle de maturité : {common.plain_rule(bundle)}", None),
        ("Critères notés de 0 (Absent) à 4 (Exemplaire), demi-points possibles.", None),
        *((f"Source : {what} — {source} ({licence})", None)
          for what, source, licence in common.SOURCES),
        (common.demo_note(bundle), WARNING_FONT),
        ("Chaque feuille suivante contient une table ; ci-dessous, la description de "
         "chaque colonne.", None),
    ]
    row = 1
    for text, font in lines:
        if text:
            write_row(sheet, row, [common.clean_text(text)])
            sheet.cell(row=row, column=1).font = font or Font()
            row += 1
    row += 1
    write_row(sheet, row, ["Feuille", "Colonne (nom technique)", "Intitulé", "Description"])
    for cell in sheet[row]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for table in described:
        for column in tables[table.key].columns:
            title, description = common.field_doc(table.key, column)
            row += 1
            write_row(sheet, row, [table.title, column, title, description])
    for letter, width in zip("ABCD", (24, 24, 30, 90), strict=True):
        sheet.column_dimensions[letter].width = width


def frames_workbook(frames: dict[str, pd.DataFrame]) -> bytes:
    """Plain tables (title → frame) as a workbook, one sheet each, formulas neutralised."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, frame in frames.items():
        sheet = workbook.create_sheet(title[:31])
        write_row(sheet, 1, [str(c) for c in frame.columns])
        for row, values in enumerate(frame.itertuples(index=False), start=2):
            write_row(sheet, row, [cell_value(v, str(c))
                                   for v, c in zip(values, frame.columns, strict=True)])
        sheet.freeze_panes = "A2"
    if not workbook.sheetnames:
        workbook.create_sheet("Vide")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
