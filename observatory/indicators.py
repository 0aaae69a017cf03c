"""The measure's three indicators: consortia formed, mutualised and itinerant equipment.

Each indicator has the same shape: a total, a breakdown per call year and per EPCI.
"""

from __future__ import annotations

import pandas as pd

from observatory.consortia import FORMED_STATUSES

INDICATORS = {
    "consortia_formed": "Consortiums constitués",
    "mutualised_equipment": "Équipements mutualisés",
    "itinerant_equipment": "Équipements itinérants",
}


def _breakdown(frame: pd.DataFrame, year_col: str, epci_col: str) -> dict:
    if frame.empty:
        return {"total": 0, "by_call_year": {}, "by_epci": {}}
    years = frame[year_col].dropna().astype(int).value_counts().sort_index()
    epci = frame[epci_col].fillna("inconnu").value_counts().sort_index()
    return {"total": int(len(frame)),
            "by_call_year": {str(k): int(v) for k, v in years.items()},
            "by_epci": {str(k): int(v) for k, v in epci.items()}}


def place_epci(places: pd.DataFrame) -> dict[int, str]:
    return dict(zip(places["id"].astype(int), places["epci_siren"])) if len(places) else {}


def consortia_formed(consortia: pd.DataFrame, places: pd.DataFrame) -> dict:
    """Consortia beyond the idea stage, counted in the EPCI where their project is located
    (the lead's place when no location is set)."""
    if consortia.empty:
        return _breakdown(consortia, "call_year", "epci")
    formed = consortia[consortia["status"].isin(FORMED_STATUSES)].copy()
    where = formed["location_place_id"].fillna(formed["lead_place_id"]).astype(int)
    formed["epci"] = where.map(place_epci(places))
    return _breakdown(formed, "call_year", "epci")


def equipment_indicator(equipment: pd.DataFrame, places: pd.DataFrame, flag: str) -> dict:
    """Equipment items with ``flag`` (``mutualised`` or ``itinerant``) set."""
    if equipment.empty or flag not in equipment:
        return {"total": 0, "by_call_year": {}, "by_epci": {}}
    chosen = equipment[equipment[flag].fillna(False).astype(bool)].copy()
    chosen["epci"] = chosen["owner_place_id"].map(place_epci(places))
    return _breakdown(chosen, "call_year", "epci")


def compute(tables: dict[str, pd.DataFrame]) -> dict[str, dict]:
    places = tables["places"]
    equipment = tables.get("equipment", pd.DataFrame())
    return {
        "consortia_formed": consortia_formed(tables["consortia"], places),
        "mutualised_equipment": equipment_indicator(equipment, places, "mutualised"),
        "itinerant_equipment": equipment_indicator(equipment, places, "itinerant"),
    }
