"""Tables as a French reader reads them: every cell a string written by ``observatory.formatting``.

``french_frame`` turns a frame about to be shown (``st.dataframe``) into text: amounts and
counts grouped (« 31 800 »), decimals with a comma (« 2,2 »), dates in words (« 21 janvier
2025 »), « oui » / « non » for booleans and « – » for anything missing, so that no table
ever shows ``None``, ``NaN``, ``True``, ``2025-01-21 00:00:00`` or « 31800 ». Columns not
named in any argument are written by ``cell``, which never prints a raw value either.

The price: a column of text sorts as text when its header is clicked. Exports (Excel) keep
their numbers: they take the frame before this step.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from observatory import formatting

YES, NO = "oui", "non"


def boolean(value: object) -> str:
    """True -> « oui », False -> « non », missing -> « – »."""
    if formatting.is_missing(value):
        return formatting.MISSING
    return YES if bool(value) else NO


def year(value: object) -> str:
    """2026 (or 2026.0) -> « 2026 »: a year is never grouped like an amount."""
    if formatting.is_missing(value):
        return formatting.MISSING
    return str(int(round(float(value))))


def cell(value: object) -> str:
    """Any value as French text: the default for columns ``french_frame`` was not told about.

    Missing -> « – », booleans -> « oui » / « non », integers grouped (« 31 800 »), other
    numbers as short as they are (« 2,2 », « 43,127469 »), dates and timestamps in words
    (« 2 décembre 2026 »), lists joined with commas, text unchanged.
    """
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(cell(v) for v in value)
    if formatting.is_missing(value):
        return formatting.MISSING
    if isinstance(value, (bool, np.bool_)):
        return boolean(value)
    if isinstance(value, numbers.Integral):
        return formatting.integer(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return formatting.integer(number) if number.is_integer() else formatting.number(number)
    if isinstance(value, (dt.date, pd.Timestamp)):
        return formatting.long_date(value)
    return str(value)


def french_frame(frame: pd.DataFrame, *, money: Iterable[str] = (),
                 integers: Iterable[str] = (), decimals: Mapping[str, int] | None = None,
                 years: Iterable[str] = (), dates: Iterable[str] = (),
                 short_dates: Iterable[str] = (), booleans: Iterable[str] = (),
                 keep: Iterable[str] = (),
                 headers: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with every cell as French text, then ``headers`` renamed.

    Columns are named as they are in ``frame`` (before renaming): ``money`` and ``integers``
    are rounded and grouped (« 31 800 »; the « € » belongs in the header), ``decimals`` maps a
    column to its number of decimals (« 2,2 »), ``years`` are printed as they are (« 2026 »),
    ``dates`` in words (« 21 janvier 2025 »), ``short_dates`` as « 21/01/2025 »,
    ``booleans`` as « oui » / « non ». ``keep`` columns stay as they are (small whole
    numbers such as row numbers, which then sort as numbers). Every other column goes
    through ``cell``. A column named but absent is ignored (an empty table may lack it).
    """
    writers: dict[str, object] = {}
    for names, writer in ((money, formatting.integer), (integers, formatting.integer),
                          (years, year), (dates, formatting.long_date),
                          (short_dates, formatting.short_date), (booleans, boolean)):
        writers.update(dict.fromkeys(names, writer))
    for name, digits in (decimals or {}).items():
        writers[name] = lambda v, d=digits: formatting.decimal(v, d)
    kept = set(keep)
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        if column in kept:
            out[column] = frame[column]
            continue
        write = writers.get(column, cell)
        out[column] = [write(v) for v in frame[column].tolist()]
    return out.rename(columns=dict(headers or {}))


# --- Évolutions ----------------------------------------------------------------------------

EVOLUTION_HEADERS = {
    "id": "N°", "name": "Nom", "commune": "Commune", "typology": "Typologie",
    "mature": "Mature", "mean_score": "Moyenne", "critère": "Critère", "avant": "Avant",
    "après": "Après", "écart": "Écart", "indicateur": "Indicateur", "call_year": "Appel",
    "status": "Statut", "category": "Catégorie", "owner_place_id": "Lieu propriétaire",
}


def evolution_tables(tables: Mapping[str, pd.DataFrame],
                     place_names: Mapping[int, str]) -> dict[str, pd.DataFrame]:
    """The comparison's tables (``Evolution.tables()``) with French headers and French words
    for coded values (statuses, categories, the owner's name), numbers left as numbers: what
    the Excel export writes, and what ``evolution_display`` turns into text for the page."""
    from observatory.model import CONSORTIUM_STATUSES, EQUIPMENT_CATEGORIES

    words = {"status": CONSORTIUM_STATUSES, "category": EQUIPMENT_CATEGORIES,
             "owner_place_id": dict(place_names)}
    out = {}
    for title, frame in tables.items():
        frame = frame.copy()
        for column, labels in words.items():
            if column in frame:
                frame[column] = frame[column].map(lambda v, m=labels: m.get(v, v))
        out[title] = frame.rename(columns=EVOLUTION_HEADERS)
    return out


def evolution_display(frame: pd.DataFrame) -> pd.DataFrame:
    """One of ``evolution_tables`` as the page shows it (scores to one decimal, years plain)."""
    return french_frame(frame, years=["Appel"], integers=["N°"], decimals={"Moyenne": 1})
