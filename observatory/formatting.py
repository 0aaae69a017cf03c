"""French formatting, defined once: numbers, percentages, scores, distances, durations, dates.

Pure functions used by the interface, the CLI, the exports and the rules' French sentences.
A missing value (None, NaN, ``pd.NA``, ``NaT``) prints as « – » everywhere.

Typography: thousands are grouped with a narrow no-break space (U+202F, « 12 345 »), the
decimal mark is a comma, and a unit or « % » follows a no-break space (U+00A0) so that a line
never breaks between a figure and its unit.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers

import pandas as pd

THOUSANDS = "\u202f"  # espace fine insécable
UNIT_SPACE = "\u00a0"  # espace insécable
MISSING = "–"

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def is_missing(value: object) -> bool:
    """True for None, a float NaN (any width), ``pd.NA`` and ``NaT``; False for anything else.

    Array-likes and containers are never « missing » (ask ``is_blank`` for empty ones).
    """
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def is_blank(value: object) -> bool:
    """Missing, an empty or whitespace-only string, or an empty collection."""
    if is_missing(value):
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return not value
    size = getattr(value, "size", None)  # numpy arrays, Series
    return size == 0 if isinstance(size, int) else False


def _group(text: str) -> str:
    """'12,345.6' (Python's grouping) -> '12 345,6'."""
    return text.replace(",", THOUSANDS).replace(".", ",")


def integer(value: float | int | None) -> str:
    """12345 -> '12 345'; 2.6 -> '3'."""
    if is_missing(value):
        return MISSING
    return _group(f"{int(round(float(value))):,}")


def travel(value: float | None) -> str:
    """A travel time or road distance in whole units: 12.4 -> '12'; 0.3 -> '< 1' (a place
    200 m away is not « 0 min » away); 0 -> '0' (the same spot)."""
    if is_missing(value):
        return MISSING
    if 0 < float(value) < 0.5:
        return "<" + UNIT_SPACE + "1"
    return integer(value)


def decimal(value: float | None, digits: int = 1) -> str:
    """1234.56 -> '1 234,6' (``digits`` decimals, always shown)."""
    if is_missing(value):
        return MISSING
    rounded = round(float(value), digits)
    if rounded == 0:
        rounded = 0.0  # no « -0,0 »
    return _group(f"{rounded:,.{digits}f}")


def number(value: float | None, digits: int = 6) -> str:
    """The shortest French writing of a number: 3.5 -> '3,5', 3.0 -> '3',
    43.127469 -> '43,127469'."""
    if is_missing(value):
        return MISSING
    return f"{round(float(value), digits):.15g}".replace(".", ",")


def score(value: float | None) -> str:
    """A score or a mean of scores, to one decimal: 2.94 -> '2,9', 3 -> '3,0'."""
    return decimal(value, 1)


def threshold(value: float | None) -> str:
    """A rule's threshold, as short as it is: 2.5 -> '2,5', 3.0 -> '3'."""
    return number(value, 2)


def percent_value(share: float | None, digits: int = 0) -> str:
    """A share (0–1) as a percentage: 0.254 -> '25 %'. Prefer ``percent`` when counts exist."""
    if is_missing(share):
        return MISSING
    return decimal(100 * float(share), digits) + UNIT_SPACE + "%"


def percent(part: float | None, whole: float | None, digits: int = 0) -> str:
    """``part`` out of ``whole`` as a percentage that never contradicts the counts.

    Rounding alone would print « 100 % » for 1 233 out of 1 234, or « 0 % » for 1 out of
    10 000; those print « > 99,5 % » and « < 0,5 % » (with ``digits`` more decimals when
    asked). No whole: « – ».
    """
    if is_missing(part) or is_missing(whole) or not whole:
        return MISSING
    part, whole = float(part), float(whole)
    ratio = 100 * part / whole
    step = 10 ** -digits
    shown = round(ratio, digits)
    if part < whole and shown >= 100:
        return f">{UNIT_SPACE}{decimal(100 - step / 2, digits + 1)}{UNIT_SPACE}%"
    if part > 0 and shown <= 0:
        return f"<{UNIT_SPACE}{decimal(step / 2, digits + 1)}{UNIT_SPACE}%"
    return decimal(ratio, digits) + UNIT_SPACE + "%"


def km(value: float | None, digits: int = 1) -> str:
    """12.34 -> '12,3 km'."""
    if is_missing(value):
        return MISSING
    return decimal(value, digits) + UNIT_SPACE + "km"


def distance(value: float | None) -> str:
    """A distance given in km, in metres under 1 km: 0.32 -> '320 m', 1.234 -> '1,2 km'."""
    if is_missing(value):
        return MISSING
    if abs(float(value)) < 0.9995:
        return integer(1000 * float(value)) + UNIT_SPACE + "m"
    return km(value)


def minutes(value: float | None) -> str:
    """A travel time: 53.4 -> '53 min', 75 -> '1 h 15', 120 -> '2 h'. Under 1 h: minutes only."""
    if is_missing(value):
        return MISSING
    total = int(round(float(value)))
    if total < 60:
        return f"{travel(value)}{UNIT_SPACE}min"
    hours, rest = divmod(total, 60)
    return f"{hours}{UNIT_SPACE}h" + (f"{UNIT_SPACE}{rest:02d}" if rest else "")


def plain_minutes(value: float | None) -> str:
    """A travel time always in minutes: 75 -> '75 min' (tables sorted by time)."""
    if is_missing(value):
        return MISSING
    return f"{travel(value)}{UNIT_SPACE}min"


def _as_date(value: dt.date | dt.datetime | pd.Timestamp | str) -> dt.date:
    if isinstance(value, str):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def long_date(value: dt.date | dt.datetime | pd.Timestamp | str | None) -> str:
    """« 1er décembre 2026 », « 2 décembre 2026 »."""
    if is_missing(value):
        return MISSING
    day = _as_date(value)
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def file_size(n_bytes: int | None) -> str:
    """A file's size as a reader says it: « 820 octets », « 64 ko », « 1,2 Mo »."""
    if is_missing(n_bytes):
        return MISSING
    if n_bytes < 1024:
        return count(int(n_bytes), "octet")
    if n_bytes < 1024 * 1024:
        return f"{integer(round(n_bytes / 1024))} ko"
    return f"{decimal(n_bytes / 1024 / 1024, 1)} Mo"


def date_time(value: dt.datetime | pd.Timestamp | str | None) -> str:
    """« 5 décembre 2026 à 04:48 » (a moment: two snapshots of the same day stay apart)."""
    if is_missing(value):
        return MISSING
    moment = pd.Timestamp(value)
    return f"{long_date(moment)} à {moment:%H:%M}"


def short_date(value: dt.date | dt.datetime | pd.Timestamp | str | None) -> str:
    """« 01/12/2026 » (tables, where width matters)."""
    if is_missing(value):
        return MISSING
    return _as_date(value).strftime("%d/%m/%Y")


def month_year(value: dt.date | dt.datetime | pd.Timestamp | str | None) -> str:
    """« décembre 2026 »."""
    if is_missing(value):
        return MISSING
    day = _as_date(value)
    return f"{MONTHS[day.month - 1]} {day.year}"


_CARDINALS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
              "dix", "onze", "douze")


def cardinal(n: int) -> str:
    """A small count in words, as French prose writes it: 5 -> 'cinq'; 13 and more in figures."""
    return _CARDINALS[n] if 0 <= n < len(_CARDINALS) else integer(n)


def count(n: int, singular: str, plural: str | None = None) -> str:
    """« 1 lieu », « 12 lieux », « 0 lieu » (French: 0 and 1 take the singular)."""
    word = singular if abs(int(n)) < 2 else (plural or singular + "s")
    return f"{integer(n)} {word}"


def is_finite(value: object) -> bool:
    """A number that can be printed as a figure (not missing, not infinite)."""
    return (not is_missing(value) and isinstance(value, numbers.Real)
            and math.isfinite(float(value)))


_EPCI_KINDS = (("Communauté d'agglomération", "CA"), ("Communauté de communes", "CC"),
               ("Communauté urbaine", "CU"))


def short_epci(name: object) -> str:
    """'Communauté de communes du Pays d'Olmes' -> 'CC du Pays d'Olmes': the name tables,
    charts and the filters show (the full official name stays in the data); "" when missing."""
    text = "" if is_missing(name) else str(name).strip()
    for long, short in _EPCI_KINDS:
        if text.startswith(long):
            return short + text[len(long):]
    return text
