"""Merging two places that are one: the choices of the analyst, the changes they make to the
kept place, and the French texts of the side-by-side view and of the place's history.

Pure rules (no Streamlit, no database); the store applies them (``store.duplicates.merge``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from observatory import formatting

# The choices of a merge: one per field, the coordinates as one (lon, lat, approximate).
MERGE_FIELDS = ("name", "insee", "coordinates", "typology", "legal_status", "opening_year",
                "transition_oriented", "thematics", "website", "contact")
COORDINATES = ("lon", "lat", "location_approximate")
MERGE_LABELS = {"name": "Nom", "insee": "Commune", "coordinates": "Position",
                "typology": "Typologie", "legal_status": "Statut juridique",
                "opening_year": "Année d'ouverture", "transition_oriented": "Transitions",
                "thematics": "Thématiques", "website": "Site web", "contact": "Contact"}
PRIVATE = frozenset({"contact"})


def merge_value(place: Mapping[str, object], choice: str) -> object:
    """The value a merge choice stands for (the coordinates as a (lon, lat, approx) tuple)."""
    if choice == "coordinates":
        return tuple(place.get(f) for f in COORDINATES)
    value = place.get(choice)
    return list(value or []) if choice == "thematics" else value


def differing_fields(kept: Mapping[str, object], removed: Mapping[str, object]) -> list[str]:
    """The merge choices on which the two places differ (the analyst picks those)."""
    return [f for f in MERGE_FIELDS if _norm(merge_value(kept, f)) != _norm(merge_value(removed,
                                                                                        f))]


def prefers_removed(kept: Mapping[str, object], removed: Mapping[str, object],
                    choice: str) -> bool:
    """The proposed value of a differing field: the removed place's when the kept place has
    none (a merge should not drop the website or the opening year only one record had)."""
    return _empty(merge_value(kept, choice)) and not _empty(merge_value(removed, choice))


def _empty(value: object) -> bool:
    if isinstance(value, tuple):
        return all(_empty(v) for v in value)
    if isinstance(value, list):
        return not value
    return _norm(value) is None


def _norm(value: object) -> object:
    if isinstance(value, tuple):
        return tuple(_norm(v) for v in value)
    if isinstance(value, float):
        return round(value, 7)
    return None if formatting.is_blank(value) else value


def merged_changes(kept: Mapping[str, object], removed: Mapping[str, object],
                   take_from_removed: Iterable[str]) -> dict[str, object]:
    """The place fields of ``kept`` to change: those whose choice is the removed place's value
    (a choice on which both agree changes nothing)."""
    changes: dict[str, object] = {}
    for choice in take_from_removed:
        if choice not in MERGE_FIELDS:
            raise ValueError(f"unknown merge field {choice!r}")
        if _norm(merge_value(kept, choice)) == _norm(merge_value(removed, choice)):
            continue
        fields = COORDINATES if choice == "coordinates" else (choice,)
        changes.update({f: removed.get(f) for f in fields})
    return changes


MOVED_LABELS = {"consortium_members_dropped": ("appartenance en double retirée",
                                              "appartenances en double retirées"),
                "evaluations": ("évaluation", "évaluations"),
                "consortium_members": ("appartenance à un consortium",
                                       "appartenances à des consortiums"),
                "consortia_lead": ("consortium porté", "consortiums portés"),
                "consortia_location": ("consortium localisé", "consortiums localisés"),
                "equipment": ("équipement détenu", "équipements détenus"),
                "equipment_stays": ("séjour d'équipement", "séjours d'équipement"),
                "place_sources": ("identifiant de source", "identifiants de source")}


def moved_text(moved: Mapping[str, Sequence]) -> str:
    """« 3 évaluations, 1 séjour d'équipement » (what a merge moved); « aucun élément »."""
    parts = [formatting.count(len(v), *MOVED_LABELS.get(k, (k, k)))
             for k, v in moved.items() if len(v)]
    return ", ".join(parts) or "aucun élément"


def merge_summary(old_values: Mapping[str, object] | None,
                  new_values: Mapping[str, object] | None) -> str:
    """A merge's audit row in French, for the place's history."""
    old, new = dict(old_values or {}), dict(new_values or {})
    removed = old.get("removed_place") or {}
    choices = dict.fromkeys("coordinates" if f in COORDINATES else f
                            for f in new.get("fields") or {} if f not in PRIVATE)
    text = (f"fusion avec « {removed.get('name', '?')} » (n° {removed.get('id', '?')}, "
            f"supprimé) ; déplacés : {moved_text(new.get('moved') or {})}")
    if choices:
        text += " ; valeurs reprises : " + ", ".join(MERGE_LABELS.get(c, c) for c in choices)
    return text


def value_text(place: Mapping[str, object], choice: str,
               commune_names: Mapping[str, str] | None = None) -> str:
    """A merge choice's value as the analyst reads it, in French (« – » when missing)."""
    value = merge_value(place, choice)
    if choice == "coordinates":
        lon, lat, approximate = value
        if not (formatting.is_finite(lon) and formatting.is_finite(lat)):
            return formatting.MISSING
        text = f"{formatting.number(lat, 5)} ; {formatting.number(lon, 5)}"
        return text + (" (centre de la commune)" if approximate else "")
    if choice == "insee" and value:
        name = (commune_names or {}).get(str(value))
        return f"{name} ({value})" if name else str(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or formatting.MISSING
    if formatting.is_blank(value):
        return formatting.MISSING
    if choice == "opening_year":
        return str(int(value))
    return str(value)


def comparison(first: Mapping[str, object], second: Mapping[str, object],
               commune_names: Mapping[str, str] | None = None, *,
               show_contact: bool = False) -> list[dict[str, str]]:
    """The two places field by field (« Champ », the two values, « Diffère » oui / –), for
    the side-by-side view; the contact only for those who may see it."""
    differing = set(differing_fields(first, second))
    rows = []
    for choice in MERGE_FIELDS:
        if choice in PRIVATE and not show_contact:
            continue
        rows.append({"Champ": MERGE_LABELS[choice],
                     "first": value_text(first, choice, commune_names),
                     "second": value_text(second, choice, commune_names),
                     "Diffère": "oui" if choice in differing else formatting.MISSING})
    return rows


def mixed_location(kept: Mapping[str, object], removed: Mapping[str, object],
                   take_from_removed: Iterable[str]) -> str:
    """A French warning when the commune and the position would come from different places
    (the point may then lie outside its commune); "" otherwise."""
    differing = set(differing_fields(kept, removed))
    if not {"insee", "coordinates"} <= differing:
        return ""
    taken = set(take_from_removed)
    if ("insee" in taken) == ("coordinates" in taken):
        return ""
    return ("La commune et la position viendraient de deux lieux différents : le point risque "
            "d'être hors de sa commune. Prenez-les du même lieu, ou corrigez la position "
            "ensuite dans la fiche du lieu.")
