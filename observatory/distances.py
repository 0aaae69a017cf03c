"""Distances between places: great-circle, estimated road travel, and the provider interface.

Everything is vectorised (numpy, a KD-tree): no Python loop over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km; arguments broadcast like numpy arrays."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float))
                              for v in (lon1, lat1, lon2, lat2))
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


# --- Travel estimates ------------------------------------------------------------------
# Straight lines underestimate travel in the Pyrenees. Until a routing engine is plugged in,
# travel is estimated as crow-fly distance × a circuity factor, at an average speed.
# Circuity of road networks is about 1.2–1.4 in Europe (Ballou, Rahardja & Sakai 2002,
# "Selected country circuity factors for road travel distance estimation", Transportation
# Research Part A 36(9)). We take 1.3 and 55 km/h, the mean speed of departmental roads
# mixing plain and valleys: Foix to Saint-Girons, 37.5 km crow-fly, comes out at 49 km and
# 53 min, against about 44 km and 50 min by the D117. Both are configurable.
DEFAULT_CIRCUITY = 1.3
DEFAULT_SPEED_KMH = 55.0


@dataclass(frozen=True)
class Travel:
    """Distances between origins (rows) and destinations (columns).

    ``estimated`` (same shape, boolean) says which values are the estimate (crow-fly ×
    circuity) rather than measured on roads: all of them for ``EstimatedRoad``, the pairs a
    matrix lacks or a road graph cannot reach for the others. None: the provider's
    ``is_estimate`` holds for every pair.
    """

    straight_km: np.ndarray
    road_km: np.ndarray
    minutes: np.ndarray
    estimated: np.ndarray | None = None


class DistanceProvider(Protocol):
    """What callers need from a distance source: a matrix between two sets of points.

    A routing engine (OSRM, Valhalla) or a precomputed matrix can implement it later
    without touching the callers.
    """

    label: str  # French, shown in the UI and the exports

    def matrix(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> Travel:
        """Both frames have ``id``, ``lon`` and ``lat`` columns (WGS84): every pair."""
        ...

    def pairwise(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> Travel:
        """Row i of ``origins`` to row i of ``destinations`` (same length): 1-D arrays."""
        ...

    def straight_radius_km(self, minutes: float) -> float:
        """A crow-fly radius beyond which travel surely takes longer than ``minutes``
        (used to prefilter pairs with a KD-tree)."""
        ...


@dataclass(frozen=True)
class EstimatedRoad:
    """Crow-fly distance × circuity at an average speed: an estimate, and said so."""

    circuity: float = DEFAULT_CIRCUITY
    speed_kmh: float = DEFAULT_SPEED_KMH
    is_estimate: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        if not 1.0 <= self.circuity <= 3.0:
            raise ValueError("Le facteur de détour doit être compris entre 1 et 3.")
        if not 5 <= self.speed_kmh <= 130:
            raise ValueError("La vitesse moyenne doit être comprise entre 5 et 130 km/h.")

    @property
    def label(self) -> str:
        return (f"Estimation : distance à vol d'oiseau × {self.circuity:g} (détour routier), "
                f"à {self.speed_kmh:g} km/h de moyenne").replace(".", ",")

    def from_straight(self, straight_km: np.ndarray) -> Travel:
        straight_km = np.asarray(straight_km, dtype=float)
        road = straight_km * self.circuity
        return Travel(straight_km, road, road / self.speed_kmh * 60.0,
                      estimated=np.ones(straight_km.shape, dtype=bool))

    def matrix(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> Travel:
        straight = haversine_km(
            origins["lon"].to_numpy()[:, None], origins["lat"].to_numpy()[:, None],
            destinations["lon"].to_numpy()[None, :], destinations["lat"].to_numpy()[None, :])
        return self.from_straight(straight)

    def pairwise(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> Travel:
        return self.from_straight(haversine_km(origins["lon"], origins["lat"],
                                               destinations["lon"], destinations["lat"]))

    def straight_radius_km(self, minutes: float) -> float:
        return minutes / 60.0 * self.speed_kmh / self.circuity


@dataclass(frozen=True)
class MatrixFile:
    """A precomputed matrix (e.g. exported from a routing engine), keyed by place ids.

    ``table`` has columns ``from_id``, ``to_id``, ``road_km``, ``minutes``; pairs it does not
    hold fall back to ``fallback``.
    """

    table: pd.DataFrame
    fallback: EstimatedRoad = EstimatedRoad()
    label: str = "Matrice de distances routières fournie"
    is_estimate: bool = False

    def _both_ways(self) -> pd.DataFrame:
        """The table read in both directions (a pair given once serves A→B and B→A)."""
        reverse = self.table.rename(columns={"from_id": "to_id", "to_id": "from_id"})
        return pd.concat([self.table, reverse]).drop_duplicates(["from_id", "to_id"])

    def matrix(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> Travel:
        travel = self.fallback.matrix(origins, destinations)
        road, minutes = travel.road_km.copy(), travel.minutes.copy()
        row = {pid: i for i, pid in enumerate(origins["id"])}
        col = {pid: j for j, pid in enumerate(destinations["id"])}
        table = self._both_ways()
        known = table[table["from_id"].isin(row) & table["to_id"].isin(col)]
        i = known["from_id"].map(row).to_numpy()
        j = known["to_id"].map(col).to_numpy()
        road[i, j] = known["road_km"].to_numpy()
        minutes[i, j] = known["minutes"].to_numpy()
        estimated = np.ones(road.shape, dtype=bool)
        estimated[i, j] = False
        return Travel(travel.straight_km, road, minutes, estimated=estimated)

    def pairwise(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> Travel:
        travel = self.fallback.pairwise(origins, destinations)
        keys = pd.MultiIndex.from_arrays([origins["id"].to_numpy(), destinations["id"].to_numpy()])
        table = self._both_ways().set_index(["from_id", "to_id"])
        found = table.reindex(keys)
        road = np.where(found["road_km"].notna(), found["road_km"], travel.road_km)
        minutes = np.where(found["minutes"].notna(), found["minutes"], travel.minutes)
        return Travel(travel.straight_km, road, minutes,
                      estimated=found["minutes"].isna().to_numpy())

    def straight_radius_km(self, minutes: float) -> float:
        # No road trip is faster than 90 km/h as the crow flies, nor than the fallback allows.
        return max(minutes / 60.0 * 90.0, self.fallback.straight_radius_km(minutes))


def unit_vectors(lon, lat) -> np.ndarray:
    """Points on the unit sphere: Euclidean (chord) neighbours there are great-circle ones."""
    lon, lat = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def chord_for_km(km: float) -> float:
    """Chord length on the unit sphere for a great-circle distance."""
    return 2 * np.sin(min(km / EARTH_RADIUS_KM, np.pi) / 2)


def pairs_within(places: pd.DataFrame, max_km: float) -> pd.DataFrame:
    """Every pair of places (i < j by position) within ``max_km`` great-circle, via a KD-tree.

    Returns positions ``i``, ``j`` and ``straight_km``: no Python loop over pairs, and only
    the pairs that matter, so it scales to a national network.
    """
    from scipy.spatial import cKDTree

    if len(places) < 2:
        return pd.DataFrame({"i": [], "j": [], "straight_km": []})
    xyz = unit_vectors(places["lon"], places["lat"])
    pairs = cKDTree(xyz).query_pairs(chord_for_km(max_km), output_type="ndarray")
    lon, lat = places["lon"].to_numpy(), places["lat"].to_numpy()
    km = haversine_km(lon[pairs[:, 0]], lat[pairs[:, 0]], lon[pairs[:, 1]], lat[pairs[:, 1]])
    return pd.DataFrame({"i": pairs[:, 0], "j": pairs[:, 1], "straight_km": km})
