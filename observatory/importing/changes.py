"""An update of a stored place, field by field, as the analyst reads it before anything is
written: « Nom du lieu : Ancien → Nouveau », « Commune : Besset (09052) → Mirepoix (09194) »,
« Coordonnées : 43,076494 / 1,85134 → 43,086494 / 1,85134 (déplacé de 1,1 km) ».

Latitude and longitude are one field here: a place moves, its two numbers do not change
apart, and how far it moves is what tells a correction from a mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from observatory.distances import haversine_km
from observatory.formatting import distance, is_missing, number

COORDINATES_LABEL = "Coordonnées"
_PAIR = ("lat", "lon")


def coordinates_text(lat: Any, lon: Any) -> str:
    """« 43,076494 / 1,85134 » (latitude / longitude, as the importer's « Latitude /
    Longitude » column), « vide » when there are none."""
    if is_missing(lat) or is_missing(lon):
        return "vide"
    return f"{number(lat)} / {number(lon)}"


def moved_km(old: tuple[Any, Any], new: tuple[Any, Any]) -> float | None:
    """How far a place moves, in km (None when either end has no coordinates)."""
    if any(is_missing(v) for v in (*old, *new)):
        return None
    return float(haversine_km(old[1], old[0], new[1], new[0]))


def field_changes(changes: Mapping[str, tuple[Any, Any]], place: Mapping[str, Any],
                  label: Callable[[str], str], show: Callable[[str, Any], str]
                  ) -> list[tuple[str, str, str]]:
    """(French label, before, after) for each changed field of an update.

    ``changes`` is a ``PlaceRecord``'s (field -> (old, new)), ``place`` the place once
    updated (for the coordinate that did not change), ``label(field)`` the field's French
    label and ``show(field, value)`` a value as the analyst reads it. Latitude and longitude
    come out as one « Coordonnées » change, where the first of them was, with the distance
    moved.
    """
    out = []
    for key, (before, after) in changes.items():
        if key in _PAIR:
            if any(out_key == COORDINATES_LABEL for out_key, _, _ in out):
                continue
            old = tuple(changes[k][0] if k in changes else place.get(k) for k in _PAIR)
            new = tuple(changes[k][1] if k in changes else place.get(k) for k in _PAIR)
            moved = moved_km(old, new)
            shown = coordinates_text(*new)
            if moved is not None:
                shown += f" (déplacé de {distance(moved)})"
            out.append((COORDINATES_LABEL, coordinates_text(*old), shown))
        else:
            out.append((label(key), show(key, before), show(key, after)))
    return out
