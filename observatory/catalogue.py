"""The places as the app and the CLI see them: maturity applied, records, key figures."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from observatory.formatting import is_missing
from observatory.maturity import MaturityRule, mature_flags
from observatory.model import CRITERIA_KEYS


def annotate(places: pd.DataFrame, rule: MaturityRule) -> pd.DataFrame:
    """Add the ``mature`` flag and the ``mean_score`` to the current places."""
    out = places.copy()
    out["mean_score"] = out[list(CRITERIA_KEYS)].astype(float).mean(axis=1).round(2)
    out["mature"] = mature_flags(out, rule).to_numpy() if len(out) else pd.Series(dtype=bool)
    return out


def _clean(value):
    if is_missing(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def to_records(places: pd.DataFrame, include_contact: bool = False) -> list[dict]:
    """One JSON-ready object per place; the keys are a stable interface for scripts."""
    records = []
    for row in places.to_dict(orient="records"):
        record = {
            "id": int(row["id"]),
            "name": row["name"],
            "insee": row["insee"],
            "commune": _clean(row.get("commune")),
            "epci_siren": _clean(row.get("epci_siren")),
            "epci_name": _clean(row.get("epci_name")),
            "lon": float(row["lon"]),
            "lat": float(row["lat"]),
            "location_approximate": bool(row.get("location_approximate", False)),
            "typology": row["typology"],
            "legal_status": _clean(row.get("legal_status")),
            "opening_year": _clean(row.get("opening_year")),
            "transition_oriented": _clean(row.get("transition_oriented")),
            "thematics": list(row.get("thematics") or []),
            "website": _clean(row.get("website")),
            "scores": {k: _clean(row.get(k)) for k in CRITERIA_KEYS},
            "mean_score": _clean(row.get("mean_score")),
            "mature": bool(row.get("mature", False)),
            "last_evaluated_on": _clean(row.get("last_evaluated_on")),
            "is_demo": bool(row.get("is_demo", False)),
        }
        if include_contact:
            record["contact"] = _clean(row.get("contact"))
        records.append(record)
    return records


def key_figures(places: pd.DataFrame,
                communes: gpd.GeoDataFrame | pd.DataFrame) -> dict[str, float]:
    """Headline numbers for the perimeter."""
    inside = communes[communes["in_perimeter"]]
    hosting = inside[inside["insee"].isin(places["insee"])]
    population = int(inside["population"].sum())
    return {
        "places": int(len(places)),
        "mature": int(places["mature"].sum()) if len(places) else 0,
        "communes": int(len(inside)),
        "communes_with_place": int(len(hosting)),
        "population": population,
        "population_with_place": int(hosting["population"].sum()),
        "places_per_10k": round(len(places) / population * 10_000, 2) if population else 0.0,
    }


def by_epci(places: pd.DataFrame, communes: gpd.GeoDataFrame | pd.DataFrame) -> pd.DataFrame:
    """Per EPCI of the perimeter: places, mature places, population, places per 10,000."""
    inside = pd.DataFrame(communes[communes["in_perimeter"]].drop(columns="geometry",
                                                                 errors="ignore"))
    base = inside.groupby(["epci_siren", "epci_name"], as_index=False).agg(
        communes=("insee", "count"), population=("population", "sum"))
    hosting = inside[inside["insee"].isin(places["insee"])].groupby("epci_siren").agg(
        communes_with_place=("insee", "count"), population_with_place=("population", "sum"))
    counts = places.groupby("epci_siren").agg(places=("id", "count"), mature=("mature", "sum"))
    out = base.join(counts, on="epci_siren").join(hosting, on="epci_siren").fillna(0)
    for col in ("places", "mature", "communes_with_place", "population_with_place"):
        out[col] = out[col].astype(int)
    out["places_per_10k"] = (out["places"] / out["population"].where(out["population"] > 0)
                             * 10_000).round(2).fillna(0)
    return out.sort_values("epci_name").reset_index(drop=True)
