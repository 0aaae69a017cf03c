"""CSV files and a Frictionless Data Package (``datapackage.json``), zipped.

Layout of the zip::

    datapackage.json      Data Package: one resource per CSV, each with its Table Schema
    LISEZMOI.txt          what the files are, in French
    lieux.csv …           UTF-8, ``,`` separator, ``.`` decimal point (open-data standard)
    excel/lieux.csv …     the same tables for a French Excel: ``;`` separator, UTF-8 with BOM,
                          ``,`` decimal comma (not resources of the package: a convenience copy)

Values: booleans ``true``/``false``, dates ``YYYY-MM-DD``, date-times ``YYYY-MM-DDTHH:MM:SS``,
lists joined with ``|``, empty cell for a missing value. A text starting with ``=``, ``+``,
``-``, ``@`` gets a leading apostrophe so no spreadsheet runs it as a formula. A table with no
column at all (equipment before any is recorded) is left out.
"""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd

from observatory.bundle import Bundle
from observatory.exports import common
from observatory.formatting import is_missing, long_date

PRIMARY_KEYS = {"places": "id", "evaluations": "id", "criteria": "key", "maturity_rules": "id",
                "epci": "siren", "communes": "insee", "consortia": "id", "indicators": "key"}


def field_type(series: pd.Series, column: str) -> str:
    """Table Schema type of a column."""
    if column in common.DATE_COLUMNS:
        return "date"
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    return "string"


def _column_text(series: pd.Series, kind: str, decimal: str) -> pd.Series:
    """A column as the texts written in the CSV (vectorised: 3,500 places stay fast)."""
    missing = series.isna() if kind != "string" else series.map(is_missing)
    if kind == "boolean":
        # A nullable boolean may hold NA (« Orienté transitions » not filled in): left empty.
        text = series.map(lambda v: "true" if v else "false", na_action="ignore")
    elif kind in ("date", "datetime"):
        pattern = "%Y-%m-%d" if kind == "date" else "%Y-%m-%dT%H:%M:%S"
        text = pd.to_datetime(series).dt.strftime(pattern)
    elif kind == "integer":
        text = series.astype("Int64").astype(str)
    elif kind == "number":
        text = series.astype(float).astype(str).str.replace(".", decimal, regex=False)
    else:
        text = series.map(lambda v: common.neutralise(common.clean_text(v)))
    return text.astype(object).where(~missing.to_numpy(), "")


def as_text(frame: pd.DataFrame, decimal: str = ".") -> pd.DataFrame:
    """Every cell as the text written in the CSV."""
    return pd.DataFrame({
        column: _column_text(frame[column], field_type(frame[column], column), decimal).to_numpy()
        for column in frame.columns}, columns=frame.columns, dtype=object)


def schema(table: common.Table, frame: pd.DataFrame) -> dict:
    fields = []
    for column in frame.columns:
        title, description = common.field_doc(table.key, column)
        kind = field_type(frame[column], column)
        field = {"name": column, "title": title, "description": description, "type": kind}
        if kind == "datetime":
            field["format"] = "%Y-%m-%dT%H:%M:%S"
        fields.append(field)
    out = {"fields": fields, "missingValues": [""]}
    if PRIMARY_KEYS.get(table.key) in frame.columns:
        out["primaryKey"] = [PRIMARY_KEYS[table.key]]
    return out


def descriptor(bundle: Bundle, tables: dict[str, pd.DataFrame]) -> dict:
    """The ``datapackage.json`` content."""
    description = (f"Observatoire des lieux de lien social — {bundle.territory_name} — "
                   f"{bundle.label} ({long_date(bundle.created_at)}). "
                   f"{common.plain_rule(bundle)}")
    if bundle.is_demo:
        description += " " + common.DEMO_WARNING
    return {
        "profile": "tabular-data-package",
        "name": "observatoire-lieux-lien-social",
        "title": f"Observatoire des lieux de lien social — {bundle.territory_name}",
        "description": description,
        "version": bundle.label,
        "created": bundle.created_at.isoformat(),
        "contributors": [{"title": bundle.created_by, "role": "author"}],
        "licenses": [{"name": "etalab-2.0", "title": common.ETALAB, "path": common.ETALAB_URL}],
        "sources": [{"title": f"{what} : {source}"} for what, source, _ in common.SOURCES],
        "keywords": ["tiers-lieux", "lieux de lien social", bundle.territory_name],
        "resources": [
            {"name": t.stem, "path": f"{t.stem}.csv", "title": t.title,
             "description": t.description, "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8", "schema": schema(t, tables[t.key])}
            for t in common.tables_of(bundle) if not tables[t.key].columns.empty],
    }


def _readme(bundle: Bundle) -> str:
    lines = [f"Observatoire des lieux de lien social — {bundle.territory_name}",
             f"{bundle.label}, {long_date(bundle.created_at)}", "",
             "datapackage.json : description des tables et de chaque colonne "
             "(Frictionless Data Package, Table Schema).",
             "*.csv : une table par fichier, UTF-8, séparateur virgule, point décimal.",
             "excel/*.csv : les mêmes tables pour Excel (séparateur point-virgule, UTF-8 avec "
             "BOM, virgule décimale).",
             "Listes (thématiques, membres) : valeurs séparées par « | ». Les textes commençant "
             "par =, +, - ou @ sont précédés d'une apostrophe (protection contre les formules).",
             f"Licence : {common.ETALAB} ({common.ETALAB_URL}).",
             *(f"Source — {what} : {source}." for what, source, _ in common.SOURCES)]
    if bundle.is_demo:
        lines += ["", common.DEMO_WARNING]
    return "\r\n".join(lines) + "\r\n"


def build_zip(bundle: Bundle, include_contacts: bool = False) -> bytes:
    """The zip described in the module docstring (bytes)."""
    bundle = common.prepare(bundle, include_contacts)
    tables = common.export_tables(bundle)
    package = descriptor(bundle, tables)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json", json.dumps(package, ensure_ascii=False, indent=2))
        archive.writestr("LISEZMOI.txt", _readme(bundle).encode("utf-8"))
        keys = {t.stem: t.key for t in common.tables_of(bundle)}
        for resource in package["resources"]:
            frame = tables[keys[resource["name"]]]
            plain = as_text(frame).to_csv(index=False, lineterminator="\r\n")
            archive.writestr(resource["path"], plain)
            excel = as_text(frame, decimal=",").to_csv(index=False, sep=";", lineterminator="\r\n")
            archive.writestr("excel/" + resource["path"], excel.encode("utf-8-sig"))
    return out.getvalue()
