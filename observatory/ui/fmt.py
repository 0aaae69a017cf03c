"""French number formatting for the interface."""

from __future__ import annotations


def integer(value: float | int) -> str:
    """12345 -> '12 345' (narrow no-break space, as in French typography)."""
    return f"{int(round(value)):,}".replace(",", "\u202f")


def decimal(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def percent(part: float, whole: float) -> str:
    return "–" if not whole else decimal(100 * part / whole, 0) + "\u202f%"


_MD_SPECIAL = set("\\`*_{}[]()<>#+-.!|~$:")


def md(text: object) -> str:
    """User text made inert in Streamlit markdown (no emphasis, links, HTML or LaTeX)."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))
