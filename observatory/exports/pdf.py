"""The French PDF report (A4), ready to attach to a deliberation. fpdf2 + matplotlib images.

The look (font, colours, ``Report`` and its building blocks) is in ``pdf_style``; the pages,
in order, in ``pdf_pages``; this module assembles them.
"""

from __future__ import annotations

from observatory.bundle import Bundle
from observatory.exports import common, evolution, pdf_pages
from observatory.exports.pdf_style import Report, ReportError  # noqa: F401  (re-exported)


def build_report(bundle: Bundle, previous: Bundle | None = None, diff: object = None,
                 include_contacts: bool = False) -> bytes:
    """The PDF report (bytes). ``diff`` (an ``observatory.evolution.Evolution`` or the dict
    described in ``observatory.exports.evolution``) adds the evolution section; given only
    ``previous``, it is computed from the two bundles."""
    shown = common.prepare(bundle, include_contacts)
    diff = evolution.as_dict(diff, previous, bundle)
    pdf = Report(shown)
    pdf_pages.cover(pdf, shown)
    pdf_pages.map_page(pdf, shown)
    pdf_pages.criteria_page(pdf, shown)
    pdf_pages.mature_page(pdf, shown)
    pdf_pages.measure_page(pdf, shown)
    if diff:
        pdf_pages.evolution_page(pdf, diff)
    pdf_pages.methods_page(pdf, shown, include_contacts)
    pdf_pages.annex_page(pdf, shown, include_contacts)
    return bytes(pdf.output())
