"""French number formatting for the interface."""

from __future__ import annotations


def integer(value: float | int) -> str:
    """12345 -> '12 345' (narrow no-break space, as in French typography)."""
    return f"{int(round(value)):,}".replace(",", "\u202f")


def decimal(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def percent(part: float, whole: float) -> str:
    return "–" if not whole else decimal(100 * part / whole, 0) + "\u202f%"


# Backslash-escaped (CommonMark shows an escaped ASCII punctuation mark as typed): emphasis,
# code, links and images ([]()), HTML (<>), headings (# and a line of = or -), lists, tables,
# LaTeX ($), Streamlit's :colour[...] and :shortcodes:, and & (entities such as &amp;).
_MD_SPECIAL = set("\\`*_{}[]()<>#+-.!|~$:&=")


def md(text: object) -> str:
    """User text made inert in Streamlit markdown (no emphasis, links, HTML, entities or
    LaTeX): it reads back as typed."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))
