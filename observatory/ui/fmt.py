"""Text for the interface: the French formats (re-exported from ``observatory.formatting``,
where they are defined once) and ``md``, user text made inert in Streamlit markdown."""

from __future__ import annotations

from observatory.formatting import (  # noqa: F401  (re-exported for the pages)
    MISSING,
    count,
    decimal,
    integer,
    is_blank,
    is_missing,
    km,
    long_date,
    minutes,
    month_year,
    number,
    percent,
    percent_value,
    plain_minutes,
    score,
    short_date,
    threshold,
)

# Backslash-escaped (CommonMark shows an escaped ASCII punctuation mark as typed): emphasis,
# code, links and images ([]()), HTML (<>), headings (# and a line of = or -), lists, tables,
# LaTeX ($), Streamlit's :colour[...] and :shortcodes:, and & (entities such as &amp;).
_MD_SPECIAL = set("\\`*_{}[]()<>#+-.!|~$:&=")


def md(text: object) -> str:
    """User text made inert in Streamlit markdown (no emphasis, links, HTML, entities or
    LaTeX): it reads back as typed."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))

# A number_input prints its value with a printf format, whose decimal mark is always a point
# (« 0.00 »): amounts in euros are typed and shown whole (« 1500 »), with no mark to get wrong.
WHOLE_EUROS = "%.0f"
