"""Distances between places: great-circle, vectorised (no loop over pairs)."""

from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km; arguments broadcast like numpy arrays."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def neighbours(places: pd.DataFrame, place_id: int, radius_km: float) -> pd.DataFrame:
    """Other places within ``radius_km`` of one place, nearest first, with ``distance_km``."""
    origin = places.loc[places["id"] == place_id]
    if origin.empty:
        return places.iloc[0:0].assign(distance_km=pd.Series(dtype=float))
    lon, lat = float(origin["lon"].iloc[0]), float(origin["lat"].iloc[0])
    distance = haversine_km(lon, lat, places["lon"], places["lat"])
    out = places.assign(distance_km=distance)
    out = out[(out["id"] != place_id) & (out["distance_km"] <= radius_km)]
    return out.sort_values("distance_km")
