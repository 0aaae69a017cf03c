"""Exports of a Bundle (the live view or a snapshot): one ``build`` for the app and the CLI.

    from observatory import exports
    data = exports.build(bundle, "pdf")                  # bytes
    exports.FORMATS["pdf"].extension, .mime, .label      # for a download button / --out

Every export leaves the contacts (personal data) out unless ``include_contacts=True``.
Builders are imported on first use: the app starts without loading matplotlib or fpdf2.
"""

from __future__ import annotations

import importlib
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from observatory.bundle import Bundle
from observatory.errors import UserInputError


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its key, file extension, MIME type and French label."""

    key: str
    extension: str  # with the dot
    mime: str
    label: str      # French, for buttons and help texts


FORMATS: dict[str, ExportFormat] = {f.key: f for f in (
    ExportFormat("pdf", ".pdf", "application/pdf", "Rapport PDF"),
    ExportFormat("xlsx", ".xlsx",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "Classeur Excel"),
    ExportFormat("gpkg", ".gpkg", "application/geopackage+sqlite3",
                 "GeoPackage (lieux, communes, EPCI ; Lambert-93)"),
    ExportFormat("geojson", ".geojson", "application/geo+json", "GeoJSON des lieux (WGS84)"),
    ExportFormat("csv", ".zip", "application/zip",
                 "CSV et paquet de données (datapackage.json), zippés"),
    ExportFormat("html", ".html", "text/html", "Carte HTML autonome (hors ligne)"),
)}


class ExportError(UserInputError):
    """An export that cannot be made, explained in French."""


def _module(name: str):
    return importlib.import_module(f"observatory.exports.{name}")


def _gpkg(bundle: Bundle, include_contacts: bool) -> bytes:
    with tempfile.TemporaryDirectory(prefix="olls-gpkg-") as folder:
        path = Path(folder) / "export.gpkg"
        _module("geo").build_geopackage(bundle, path, include_contacts=include_contacts)
        return path.read_bytes()


def build(bundle: Bundle, fmt: str, include_contacts: bool = False,
          previous: Bundle | None = None, diff: object = None) -> bytes:
    """The export of ``bundle`` in format ``fmt`` (a key of ``FORMATS``), as bytes.

    ``previous`` / ``diff`` only matter for the PDF (its evolution section: ``diff`` is an
    ``observatory.evolution.Evolution`` or a dict, see ``exports.evolution``); the GeoJSON
    holds the places layer (``geo.build_geojson`` gives the communes and EPCI layers).
    """
    if fmt not in FORMATS:
        raise ExportError(f"Format inconnu : {fmt!r}. Formats possibles : {', '.join(FORMATS)}.")
    if fmt == "pdf":
        return _module("pdf").build_report(bundle, previous=previous, diff=diff,
                                           include_contacts=include_contacts)
    if fmt == "xlsx":
        return _module("excel").build_workbook(bundle, include_contacts=include_contacts)
    if fmt == "gpkg":
        return _gpkg(bundle, include_contacts)
    if fmt == "geojson":
        return _module("geo").build_geojson(bundle, "places", include_contacts=include_contacts)
    if fmt == "csv":
        return _module("datapackage").build_zip(bundle, include_contacts=include_contacts)
    return _module("html_map").build_html(bundle, include_contacts=include_contacts)


def slug(text: str) -> str:
    """« Bilan 2026 (définitif) » -> ``bilan-2026-definitif`` (ASCII, no spaces); "" if
    nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


def filename(bundle: Bundle, fmt: str) -> str:
    """A download name such as ``observatoire-bilan-2026.pdf`` (ASCII, no spaces)."""
    return f"observatoire-{slug(bundle.label) or 'export'}{FORMATS[fmt].extension}"
