"""The measure's three indicators: consortia formed, mutualised and itinerant equipment.

Each indicator has the same shape: a total, a breakdown per call year and per EPCI.
"""

from __future__ import annotations

import pandas as pd

from observatory import formatting
from observatory.consortia import FORMED_STATUSES
from observatory.distances import DistanceProvider

NO_CALL = "hors appel"  # bought without the measure's funding
INDICATORS = {
    "consortia_formed": "Consortiums constitués",
    "mutualised_equipment": "Équipements mutualisés",
    "itinerant_equipment": "Équipements itinérants",
}


def _breakdown(frame: pd.DataFrame, year_col: str, epci_col: str) -> dict:
    if frame.empty:
        return {"total": 0, "by_call_year": {}, "by_epci": {}}
    years = frame[year_col].map(lambda y: NO_CALL if formatting.is_missing(y) else str(int(y)))
    years = years.value_counts().sort_index()
    epci = frame[epci_col].astype(object).fillna("inconnu").value_counts().sort_index()
    return {"total": int(len(frame)),
            "by_call_year": {str(k): int(v) for k, v in years.items()},
            "by_epci": {str(k): int(v) for k, v in epci.items()}}


def place_epci(places: pd.DataFrame) -> dict[int, str]:
    return (dict(zip(places["id"].astype(int), places["epci_siren"], strict=True))
            if len(places) else {})


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


def involvement(consortia: pd.DataFrame, places: pd.DataFrame) -> dict[str, float]:
    """Share of places (and of mature places) in at least one consortium."""
    members = {int(m) for ids in consortia.get("member_ids", pd.Series(dtype=object))
               for m in (ids if ids is not None else [])}
    involved = places["id"].isin(members) if len(places) else pd.Series(dtype=bool)
    mature = places["mature"].astype(bool) if len(places) else pd.Series(dtype=bool)
    return {
        "places_involved": int(involved.sum()),
        "places_share_pct": round(100 * float(involved.mean()), 1) if len(places) else 0.0,
        "mature_involved": int((involved & mature).sum()),
        "mature_share_pct": round(100 * float(involved[mature].mean()), 1) if mature.any() else 0.0,
    }


def amounts(equipment: pd.DataFrame, applications: pd.DataFrame) -> dict[str, float]:
    """Euros funded behind each indicator."""
    def funded(flag: str) -> float:
        if equipment.empty or flag not in equipment:
            return 0.0
        chosen = equipment[equipment[flag].fillna(False).astype(bool)]
        return float(chosen["amount_funded"].fillna(0).sum())

    granted = float(applications["amount_granted"].fillna(0).sum()) if len(applications) else 0.0
    return {"consortia_granted_eur": granted, "mutualised_funded_eur": funded("mutualised"),
            "itinerant_funded_eur": funded("itinerant")}


def over_time(indicators_by_year: dict[str, dict]) -> pd.DataFrame:
    """Long frame (indicator label, call year, count) for a chart per call year."""
    rows = [{"indicateur": INDICATORS[key], "appel": year, "nombre": count}
            for key, value in indicators_by_year.items()
            for year, count in value["by_call_year"].items()]
    return pd.DataFrame(rows, columns=["indicateur", "appel", "nombre"])


def itinerant_reach(items: pd.DataFrame, stays: pd.DataFrame, places: pd.DataFrame,
                    communes: pd.DataFrame, minutes: float, *,
                    provider: DistanceProvider) -> pd.DataFrame:
    """Per itinerant item: the places of its tour and the communes and inhabitants
    within ``minutes`` of one of them, measured by ``provider`` (the settings' one)."""
    from observatory.itinerance import reach_of_tour

    rows = []
    inside = communes[communes["in_perimeter"]] if "in_perimeter" in communes else communes
    frame = pd.DataFrame(inside.drop(columns="geometry", errors="ignore"))
    for item in items[items["itinerant"]].itertuples() if len(items) else []:
        visited = (set(stays.loc[stays["equipment_id"] == item.id, "place_id"])
                   if len(stays) else set())
        visited.add(int(item.owner_place_id))
        stops = places[places["id"].isin(visited)]
        reach = reach_of_tour(stops, frame, provider=provider, minutes=minutes)
        rows.append({"equipment_id": int(item.id), "name": item.name, "stops": len(stops),
                     "communes": len(reach.communes), "population": reach.population})
    return pd.DataFrame(rows, columns=["equipment_id", "name", "stops", "communes", "population"])
