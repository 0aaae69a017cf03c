"""Where places and their fields come from: the names shared by imports, edits and exports.

``field_provenance`` (migration 012) stores one row per place and field: the source that
last gave it (a family key of ``importing.families``, "spreadsheet", or ``MANUAL`` for an
edit in the application). Fields are grouped as an analyst reads them: latitude,
longitude and the approximate flag are one "coordinates".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from observatory import formatting

MANUAL = "manual"  # a field typed in the application (saisie)

# Column of ``places`` -> provenance field.
FIELD_OF: dict[str, str] = {
    "name": "name", "insee": "commune", "lon": "coordinates", "lat": "coordinates",
    "location_approximate": "coordinates", "typology": "typology",
    "legal_status": "legal_status", "opening_year": "opening_year",
    "transition_oriented": "transition_oriented", "thematics": "thematics",
    "website": "website", "contact": "contact",
}
# Provenance field -> French, in the order they are listed.
FIELD_LABELS: dict[str, str] = {
    "name": "nom", "commune": "commune", "coordinates": "coordonnées",
    "typology": "typologie", "legal_status": "statut juridique",
    "opening_year": "année d'ouverture", "transition_oriented": "orientation transitions",
    "thematics": "thématiques", "website": "site web", "contact": "contact",
}
SOURCE_LABELS: dict[str, str] = {
    "france_services": "France services (ANCT)",
    "cget_2019": "CGET 2019",
    "mediation_numerique": "médiation numérique",
    "regional_list": "liste régionale",
    "spreadsheet": "tableur",
    MANUAL: "saisie",
}


def fields_of(columns: Iterable[str]) -> tuple[str, ...]:
    """The provenance fields that place columns belong to, in label order."""
    found = {FIELD_OF[c] for c in columns if c in FIELD_OF}
    return tuple(f for f in FIELD_LABELS if f in found)


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source)


def sources_text(rows: Iterable[Mapping]) -> str:
    """« France services (ANCT) n° 2952 (2024-08-01, liste-fs-20240801.csv) ; … »."""
    parts = []
    for r in rows:
        details = ", ".join(str(v) for v in (r.get("vintage"), r.get("file_name")) if v)
        parts.append(f"{source_label(str(r['source']))} n° {r['record_id']}"
                     + (f" ({details})" if details else ""))
    return " ; ".join(parts)


def provenance_text(rows: Iterable[Mapping]) -> str:
    """« nom : France services (ANCT) ; coordonnées : saisie ; … » in field order."""
    by_field = {str(r["field"]): str(r["source"]) for r in rows}
    return " ; ".join(f"{label} : {source_label(by_field[f])}"
                      for f, label in FIELD_LABELS.items() if f in by_field)


def profile_tables(records, fields) -> tuple[list[dict], list[dict]]:
    """A place's source records and field provenance as French rows for its profile:
    « Source », « Identifiant dans la source », « Millésime », « Fichier » /
    « Champ », « Donné par »."""
    recs = source_rows(records)
    by_field = {str(r["field"]): str(r["source"]) for r in fields}
    rows = [{"Champ": label, "Donné par": source_label(by_field[f])}
            for f, label in FIELD_LABELS.items() if f in by_field]
    return recs, rows


def source_rows(records) -> list[dict]:
    """Source records as French rows (« N° » first when they name their place): the place
    profile and the side-by-side view of « Doublons probables » show the same table."""
    return [{**({"N°": int(r["place_id"])} if "place_id" in r else {}),
             "Source": source_label(str(r["source"])),
             "Identifiant dans la source": str(r["record_id"]),
             "Millésime": _text(r.get("vintage")),
             "Fichier": _text(r.get("file_name")),
             "Éditeur": _text(r.get("publisher"))} for r in records]


def _text(value: object) -> str:
    """A cell of those rows: the project's dash when the source said nothing (never « nan »)."""
    return formatting.MISSING if formatting.is_blank(value) else str(value)
