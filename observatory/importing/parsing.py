"""Cell parsers: one typed value from one text cell, or an ``Invalid`` with a French reason."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta

from observatory.formatting import integer, is_missing, number, short_date
from observatory.model import SCORE_MAX, SCORE_MIN, SCORE_STEP


class Invalid(ValueError):
    """A cell that cannot become a value: French reason and, when we can, a fix."""

    def __init__(self, message: str, suggestion: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion


# Longest text accepted per field (characters). Longer cells are errors, not truncated:
# a 10,000-character "name" is a paste accident the analyst should see.
MAX_LENGTH: dict[str, int] = {
    "name": 200, "commune": 100, "typology": 100, "legal_status": 100, "thematics": 1000,
    "website": 500, "contact": 500, "address": 500, "postal_code": 20, "itinerance": 50,
    "source_updated_on": 50, "evaluator": 200, "evidence": 5000,
}
DEFAULT_MAX_LENGTH = 200

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HTML = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|javascript:|on[a-z]+\s*=", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_FRENCH_NUMBERS = {"zero": 0, "zéro": 0, "un": 1, "une": 1, "deux": 2, "trois": 3,
                   "quatre": 4}


def clean(value: object) -> str:
    """Cell text without control characters or surrounding blanks (no-break spaces too)."""
    if isinstance(value, str):
        text = value
    elif is_missing(value):
        return ""
    else:
        text = str(value)
    if text.isprintable():  # no control, format or no-break space character: the fast path
        return text.strip()
    return _CONTROL.sub("", text).replace("\u00a0", " ").strip()


def shorten(text: str, limit: int = 80) -> str:
    """Value as shown in the problem table: long cells are cut, with their length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({integer(len(text))} caractères)"


def looks_like_formula(text: str) -> bool:
    """A cell a spreadsheet would run as a formula (=, +, -, @), numbers aside."""
    if not text or not text.startswith(_FORMULA_START):
        return False
    return not _NUMBER.match(text.replace(" ", ""))


def contains_html(text: str) -> bool:
    return bool(_HTML.search(text))


def parse_decimal(text: str) -> float:
    """'3,5', '3.5', ' 43,12 ', '1 234,5' -> float; anything else is ``Invalid``."""
    compact = text.replace(" ", "").replace("\u202f", "")
    if not _NUMBER.match(compact):
        raise Invalid(f"« {shorten(text, 40)} » n'est pas un nombre.")
    value = float(compact.replace(",", "."))
    if not math.isfinite(value):
        raise Invalid(f"« {shorten(text, 40)} » n'est pas un nombre.")
    return value


def parse_score(text: str) -> tuple[float, float | None]:
    """A score on the 0–4 scale by half points: (score, original value if it was rounded).

    '3,5' and '3.5' are 3.5; '3,5/4' too. A value off the half-point grid (3.3) is rounded
    to the nearest half point (halves up) and the caller warns; outside 0–4 is invalid.
    """
    raw = re.sub(r"\s*/\s*4$", "", text.strip())
    if raw.casefold() in _FRENCH_NUMBERS:
        n = _FRENCH_NUMBERS[raw.casefold()]
        raise Invalid(f"« {text} » n'est pas une note chiffrée.", f"Écrivez {n}.")
    try:
        value = parse_decimal(raw)
    except Invalid:
        raise Invalid(f"« {shorten(text, 40)} » n'est pas une note : un nombre de 0 à 4 "
                      "est attendu.",
                      "Écrivez une note de 0 à 4, par demi-points (ex. 3,5).") from None
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise Invalid(f"La note {number(value)} est hors de l'échelle de 0 à 4.",
                      "Ramenez la note entre 0 et 4.")
    rounded = math.floor(value / SCORE_STEP + 0.5) * SCORE_STEP
    if abs(rounded - value) < 1e-6:  # spreadsheet float noise (3.4999999) is not a rounding
        return rounded, None
    return rounded, value


def parse_year(text: str, today: date) -> int:
    """An opening year between 1900 and this year; '2012.0' (Excel) and '01/09/2012' too."""
    match = re.fullmatch(r"(\d{4})(\.0+)?", text) or re.fullmatch(
        r"\d{1,2}[/.-]\d{1,2}[/.-](\d{4})", text) or re.fullmatch(r"(\d{4})-\d{2}-\d{2}.*", text)
    if not match:
        raise Invalid(f"« {shorten(text, 40)} » n'est pas une année.",
                      "Écrivez l'année sur 4 chiffres (ex. 2012).")
    year = int(match.group(1))
    if year > today.year:
        raise Invalid(f"L'année {year} est dans le futur.", "Vérifiez l'année d'ouverture.")
    if year < 1900:
        raise Invalid(f"L'année {year} est antérieure à 1900.",
                      "Vérifiez l'année d'ouverture.")
    return year


EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (it counts a fictitious 29/02/1900)


def parse_date(text: str, today: date) -> date:
    """ISO (2024-03-15), French (15/03/2024, 15-03-2024, 15.03.2024) or an Excel serial."""
    value = _date_or_none(text.strip())
    if value is None:
        raise Invalid(f"« {shorten(text, 40)} » n'est pas une date reconnue.",
                      "Écrivez la date au format JJ/MM/AAAA (ex. 15/03/2024).")
    if value > today:
        raise Invalid(f"La date {short_date(value)} est dans le futur.", "Vérifiez la date.")
    if value.year < 1900:
        raise Invalid(f"La date {short_date(value)} est antérieure à 1900.", "Vérifiez la date.")
    return value


def _date_or_none(text: str) -> date | None:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T][\d:.]+)?", text):
        try:
            return datetime.fromisoformat(text.replace(" ", "T")).date()
        except ValueError:
            return None
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        year += 2000 if year < 100 else 0
        try:
            return date(year, month, day)
        except ValueError:
            return None
    if re.fullmatch(r"\d{1,6}(\.0+)?", text) and 0 < float(text) < 2958466:
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    return None


_TRUE = {"oui", "o", "vrai", "true", "yes", "y", "1", "x", "1.0"}
_FALSE = {"non", "n", "faux", "false", "no", "0", "0.0"}


def parse_bool(text: str) -> bool:
    key = text.strip().casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise Invalid(f"« {shorten(text, 40)} » n'est pas une réponse oui/non.",
                  "Écrivez « oui » ou « non ».")


_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def parse_insee(text: str) -> str | None:
    """An INSEE commune code, repaired when Excel ate it: '9225' and '9225.0' are 09225,
    '="09225"' is 09225; '0' and '' (missing codes in the CGET list) are None."""
    raw = text.strip().upper()
    raw = re.sub(r'^="?(.*?)"?$', r"\1", raw)
    raw = re.sub(r"\.0+$", "", raw)
    if raw in {"", "0", "00000"}:
        return None
    if re.fullmatch(r"\d{4}", raw):
        raw = "0" + raw
    if not _INSEE.match(raw):
        raise Invalid(f"« {shorten(text, 40)} » n'est pas un code INSEE (5 caractères, "
                      "ex. 09225).")
    return raw


def parse_postcode(text: str) -> str | None:
    """A French postcode, repaired when Excel ate its zero: '9000' and '9000.0' are 09000;
    '' is None."""
    raw = re.sub(r'^="?(.*?)"?$', r"\1", text.strip())
    raw = re.sub(r"\.0+$", "", raw).replace(" ", "")
    if not raw:
        return None
    if re.fullmatch(r"\d{4}", raw):
        raw = "0" + raw
    if not re.fullmatch(r"\d{5}", raw):
        raise Invalid(f"« {shorten(text, 40)} » n'est pas un code postal (5 chiffres, "
                      "ex. 09000).")
    return raw


def split_list(text: str) -> list[str]:
    """'numérique|réemploi', 'a ; b', 'a, b' -> a list without blanks or repeats."""
    parts = re.split(r"[|;,\n]", text)
    seen: dict[str, None] = {}
    for part in parts:
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


def normalise_website(text: str) -> str:
    """'www.x.fr' -> 'https://www.x.fr'; only http(s) addresses are accepted."""
    if re.match(r"^https?://\S+$", text, re.IGNORECASE):
        return text
    if re.match(r"^[\w.-]+\.[a-z]{2,}(/\S*)?$", text, re.IGNORECASE):
        return "https://" + text
    raise Invalid(f"« {shorten(text, 60)} » n'est pas une adresse web.",
                  "Écrivez une adresse commençant par https:// (ex. https://exemple.fr).")
