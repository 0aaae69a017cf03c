"""What every export shares: the tables to write, French titles and descriptions, safe text."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from observatory import catalogue, indicators
from observatory.bundle import Bundle

# Re-exported: the builders read the table and column descriptions through ``common``.
from observatory.exports.fields import (  # noqa: F401
    ALWAYS,
    DATE_COLUMNS,
    FIELDS,
    TABLES,
    VALUE_LABELS,
    Table,
)
from observatory.formatting import (  # noqa: F401  (short_epci: re-exported for the builders)
    MISSING,
    UNIT_SPACE,
    integer,
    is_missing,
    short_epci,
)
from observatory.territory import source, typologies

# A spreadsheet evaluates a cell starting with one of these as a formula (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "|"
ETALAB = "Licence Ouverte / Etalab 2.0"
ETALAB_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
DEMO_WARNING = ("Données de démonstration : les noms des lieux, leurs scores et leurs contacts "
                "sont fictifs (les communes et leurs coordonnées sont réelles). Ce document ne "
                "décrit pas l'inventaire réel du territoire.")
SOURCES = (
    ("Communes, populations, intercommunalités",
     source.CITATION, ETALAB),
    ("Typologies des communes (densité, zone de montagne)", typologies.SOURCE,
     typologies.LICENCE),
    ("Lieux, évaluations, consortiums, équipements",
     "Inventaire et évaluations tenus par l'équipe du territoire dans l'observatoire", ETALAB),
)

# The measure's three indicators, with the app's French labels.
INDICATORS = tuple(indicators.INDICATORS.items())


def prepare(bundle: Bundle, include_contacts: bool) -> Bundle:
    """The bundle an export may show: personal columns dropped unless explicitly included."""
    return bundle if include_contacts else bundle.without_personal_data()


def field_doc(table: str, column: str) -> tuple[str, str]:
    """(French title, French description) of a column; a readable default when unknown."""
    return FIELDS.get(table, {}).get(column, (column, f"Colonne « {column} »."))


def indicator(bundle: Bundle, key: str) -> dict:
    """One indicator as ``{"total": int, "by_call_year": {...}, ...}``: from
    ``bundle.indicators`` (a dict, an object with ``.total`` or a number), else computed from
    the tables by ``observatory.indicators``."""
    value = bundle.indicators.get(key) if bundle.indicators else None
    if value is None:
        value = indicators.compute(bundle.tables)[key]
    if isinstance(value, dict):
        return value
    if hasattr(value, "total"):
        return {"total": value.total, "by_call_year": getattr(value, "by_call_year", {})}
    return {"total": value}


def indicator_total(bundle: Bundle, key: str) -> int:
    return int(indicator(bundle, key).get("total") or 0)


def indicators_table(bundle: Bundle) -> pd.DataFrame:
    return pd.DataFrame([{"key": k, "label": label, "total": indicator_total(bundle, k)}
                         for k, label in INDICATORS])


def _with_counts(frame: pd.DataFrame, places: pd.DataFrame, key: str, on: str) -> pd.DataFrame:
    counts = places.groupby(on).agg(places=("id", "count"), mature_places=("mature", "sum"))
    out = frame.merge(counts, left_on=key, right_index=True, how="left")
    out[["places", "mature_places"]] = out[["places", "mature_places"]].fillna(0).astype(int)
    return out


def export_tables(bundle: Bundle) -> dict[str, pd.DataFrame]:
    """Every table an export writes, in the order of ``TABLES``; EPCI and communes gain the
    counts of places and mature places, and the indicators become a small table."""
    places = bundle.places
    tables = dict(bundle.tables)
    tables["epci"] = _with_counts(tables["epci"], places, "siren", "epci_siren")
    tables["communes"] = _with_counts(tables["communes"], places, "insee", "insee")
    tables["indicators"] = indicators_table(bundle)
    return {t.key: tables.get(t.key, pd.DataFrame()) for t in tables_of(bundle)}


# Where a table refers to another by identifier, the workbook adds the name beside it:
# (table, id column) -> (name column, the table named, its name column).
NAMED_REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("evaluations", "place_id"): ("place_name", "places"),
    ("consortia", "lead_place_id"): ("lead_place_name", "places"),
    ("consortia", "location_place_id"): ("location_place_name", "places"),
    ("consortia", "member_ids"): ("member_names", "places"),
    ("consortium_members", "consortium_id"): ("consortium_name", "consortia"),
    ("consortium_members", "place_id"): ("place_name", "places"),
    ("equipment", "owner_place_id"): ("owner_place_name", "places"),
    ("equipment", "consortium_id"): ("consortium_name", "consortia"),
    ("equipment_stays", "equipment_id"): ("equipment_name", "equipment"),
    ("equipment_stays", "place_id"): ("place_name", "places"),
    ("applications", "consortium_id"): ("consortium_name", "consortia"),
}


def with_names(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables with, right after each identifier that points at a place, a consortium or
    an equipment item, that row's name (« 26 » is nothing to the finance officer; « Le
    Moulin Solidaire » is). A list of identifiers (``member_ids``) gets the list of names."""
    names = {key: dict(zip(frame["id"], frame["name"], strict=True))
             for key, frame in tables.items()
             if {"id", "name"} <= set(frame.columns)}
    out = dict(tables)
    for (table, column), (name_column, target) in NAMED_REFERENCES.items():
        frame = out.get(table)
        if frame is None or column not in frame.columns or name_column in frame.columns:
            continue
        lookup = names.get(target, {})

        def name_of(value, lookup=lookup):
            value = join_list(value)
            if is_missing(value):
                return None
            parts = [p for p in str(value).split(LIST_SEPARATOR) if p.strip()]
            found = [lookup.get(int(float(p)), p) for p in parts]
            return LIST_SEPARATOR.join(str(n) for n in found)

        frame = frame.copy()
        frame.insert(frame.columns.get_loc(column) + 1, name_column, frame[column].map(name_of))
        out[table] = frame
    return out


def tables_of(bundle: Bundle) -> tuple[Table, ...]:
    """The known tables, then any table a newer bundle carries that this module does not
    describe yet (exported as is, under its own name)."""
    known = {t.key for t in TABLES}
    present = tuple(t for t in TABLES if t.key in ALWAYS or t.key in bundle.tables)
    extra = tuple(Table(key, key[:31], key, f"Table « {key} ».") for key in bundle.tables
                  if key not in known)
    return present + extra


def value_label(table: str, column: str, value: object) -> object:
    """French label of a coded value (status, category, condition); other values unchanged."""
    labels = VALUE_LABELS.get((table, column))
    return labels.get(value, value) if labels and isinstance(value, str) else value


def join_list(value: object) -> object:
    """``["a", "b"]`` (or a numpy array, as read back from Parquet) -> ``"a|b"``."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return value


def flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """List-valued columns (thematics, member_ids) become ``|``-joined strings."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(join_list)
    return out


def neutralise(value: object) -> object:
    """A text a spreadsheet would run as a formula gets a leading apostrophe (OWASP advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: object) -> str:
    """Printable text of a value (control characters removed); empty for None/NaN."""
    value = join_list(value)
    if is_missing(value):
        return ""
    return _CONTROL.sub("", str(value))


def sort_key(text: object) -> str:
    """Alphabetical order as a French reader expects it: accents and case ignored."""
    decomposed = unicodedata.normalize("NFKD", clean_text(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def demo_note(bundle: Bundle) -> str:
    return DEMO_WARNING if bundle.is_demo else ""


def plain_rule(bundle: Bundle) -> str:
    """The maturity rule in French, without the markdown emphasis."""
    return bundle.rule.describe().replace("**", "")


def excluded_label(bundle: Bundle) -> str:
    return bundle.meta.get("excluded_zone_label", "")


def has_excluded_zone(bundle: Bundle) -> bool:
    """Whether the territory has a zone where funded projects may not lie (another territory
    may have none: its texts then say nothing of one)."""
    communes = bundle.tables["communes"]
    return "in_excluded_zone" in communes and bool(communes["in_excluded_zone"].any())


def money(value: object) -> str:
    """An amount in euros the French way: 1600 -> « 1 600 € », 0 -> « 0 € » (a no-break space
    before the sign); « – » when missing."""
    if is_missing(value):
        return MISSING
    return integer(value) + UNIT_SPACE + "€"


def perimeter_communes(bundle: Bundle) -> pd.DataFrame:
    """The communes the report's ratios are computed on: those of the EPCI an EPCI filter kept
    (``Bundle.view_epci``), else every commune (the perimeter is then the whole one)."""
    communes = bundle.tables["communes"]
    kept = bundle.view_epci
    return communes[communes["epci_siren"].isin(kept)] if kept else communes


def key_figures(bundle: Bundle) -> dict[str, float]:
    """Headline numbers, on the filtered perimeter (``perimeter_communes``)."""
    return catalogue.key_figures(bundle.places, perimeter_communes(bundle))


def by_epci(bundle: Bundle) -> pd.DataFrame:
    """Per EPCI of the filtered perimeter (``perimeter_communes``)."""
    return catalogue.by_epci(bundle.places, perimeter_communes(bundle))


def filters_line(bundle: Bundle) -> str:
    """« Vue filtrée : EPCI CC du Pays d'Olmes ; lieux matures seulement » ("" unfiltered)."""
    return "Vue filtrée : " + " ; ".join(bundle.filters) if bundle.is_filtered else ""


def ratio_basis(bundle: Bundle) -> str:
    """On which population the ratios of a filtered view are computed, in French ("" for the
    whole observatory). The EPCI filter narrows the population (the EPCI it keeps); the other
    filters narrow the places counted, never the population."""
    if not bundle.is_filtered:
        return ""
    figures = key_figures(bundle)
    people = f"{integer(figures['population'])} habitants, {integer(figures['communes'])} communes"
    if bundle.view_epci:
        epci = bundle.tables["epci"]
        names = dict(zip(epci["siren"], epci["name"], strict=True))
        kept = ", ".join(short_epci(names.get(code, code)) for code in bundle.view_epci)
        where = f"sur les intercommunalités retenues par le filtre : {kept} ({people})"
    else:
        where = f"sur tout le périmètre ({people})"
    return (f"Les lieux pour 10 000 habitants et les communes accueillant un lieu sont calculés "
            f"{where}. Les autres filtres restreignent les lieux comptés, pas la population.")

