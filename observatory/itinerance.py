"""Itinerance: the schedule of stays of an itinerant item, tour planning, and reach of a tour.

Pure functions on DataFrames and small records: no Streamlit, no SQL. Distances always come
from a ``DistanceProvider`` (``observatory.distances``); nothing here measures on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Mapping, NamedTuple

import numpy as np
import pandas as pd

from observatory.distances import DistanceProvider
from observatory.errors import UserInputError
from observatory.formatting import is_missing, number, short_date

# --- CO2 -----------------------------------------------------------------------------------
# ADEME, Base Empreinte (Base Carbone, transport routier, "Routier2"), as published by ADEME's
# Impact CO2 (incubateur-ademe/impactco2, deplacement.json, "Voiture – moteur thermique"):
# 0.192 kg CO2e/km for use (combustion + fuel upstream) + 0.0256 kg CO2e/km for building the
# vehicle = 0.2176, rounded to 0.218 kg CO2e per vehicle.km. An approximation: an average
# petrol/diesel car, neither a loaded utility van (which emits more) nor the actual vehicle.
# It is the default of the setting OBSERVATORY_CO2_KG_PER_KM (``settings.co2_kg_per_km``),
# which every caller passes to plan_tour as ``emission_factor``: set it for a better-known
# vehicle.
CO2_KG_PER_KM = 0.218
CO2_SOURCE = ("ADEME, Base Empreinte (via Impact CO2) : voiture thermique moyenne, "
              "0,218 kg CO2e par km (usage 0,192 + construction 0,0256) ; approximation.")


def co2_source(factor: float) -> str:
    """Where the emission factor of a tour comes from, in French (ADEME's for the default)."""
    if factor == CO2_KG_PER_KM:
        return CO2_SOURCE
    return (f"Facteur d'émission réglé pour cette installation (OBSERVATORY_CO2_KG_PER_KM) : "
            f"{number(factor, 4)} kg CO2e par km ; la valeur par défaut est celle de l'ADEME "
            f"({number(CO2_KG_PER_KM, 4)}, voiture thermique moyenne).")

# Held–Karp keeps 2^m × m costs (m = places to order, the start excluded) and does 2^m × m²
# work: 10 places take ~1 ms, 16 up to 0.2 s and 70 MB (benchmarks/tours.py); each place
# more doubles the memory and more than doubles the time, hence the cap.
DEFAULT_EXACT_LIMIT = 12
MAX_EXACT_LIMIT = 16
EXACT_LABEL = "exact (programmation dynamique de Held–Karp)"
HEURISTIC_LABEL = "heuristique (plus proche voisin, puis améliorations 2-opt et Or-opt)"

# The reach of a stop of an itinerant item: communes within this many minutes of travel.
DEFAULT_REACH_MINUTES = 20


class TourError(UserInputError):
    """A tour that cannot be planned (no place, a place twice, no coordinates…), in French."""


# --- Schedules -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Stay:
    """A stay of an itinerant item at a place, both dates included."""

    place_id: Any
    start: Any
    end: Any
    id: Any = None


# The store names the columns after the equipment table: accept both vocabularies.
_ALIASES = {"equipment_id": "item_id", "start_date": "start", "end_date": "end",
            "owner_place_id": "home_place_id"}


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    renames = {a: b for a, b in _ALIASES.items() if a in frame and b not in frame}
    return frame.rename(columns=renames)


def _day(value) -> pd.Timestamp | None:
    if is_missing(value) or value == "":
        return None
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        raise UserInputError(f"Date illisible : « {value} ».") from None


def _place_name(row: Mapping, names: Mapping | None) -> str:
    if isinstance(row.get("place_name"), str):
        return row["place_name"]
    return str((names or {}).get(row["place_id"], f"lieu n° {row['place_id']}"))


def check_new_stay(existing: pd.DataFrame, new: Stay | Mapping,
                   place_names: Mapping | None = None) -> list[str]:
    """French reasons refusing ``new`` (empty list: the stay can be booked).

    ``existing`` holds the item's stays (``id``, ``place_id``, ``start``, ``end``, optionally
    ``place_name``); when ``new`` has an ``id``, that stay is being edited and is skipped.
    """
    new = new if isinstance(new, Mapping) else new.__dict__
    try:
        start, end = _day(new.get("start")), _day(new.get("end"))
    except ValueError as error:
        return [str(error)]
    reasons = []
    if is_missing(new.get("place_id")):
        reasons.append("Choisissez le lieu du séjour.")
    if start is None or end is None:
        return reasons + ["Indiquez une date de début et une date de fin."]
    if end < start:
        return reasons + [f"La date de fin ({short_date(end)}) précède la date de début "
                          f"({short_date(start)})."]
    existing = _canonical(existing)
    if new.get("id") is not None and "id" in existing:  # editing: not against itself
        existing = existing[existing["id"] != new["id"]]
    for row in existing.to_dict("records"):
        other_start, other_end = _day(row["start"]), _day(row["end"])
        if start <= other_end and other_start <= end:  # both ends included
            name = _place_name(row, place_names)
            reasons.append(f"Ce séjour (du {short_date(start)} au {short_date(end)}) chevauche "
                           f"celui prévu à « {name} » du {short_date(other_start)} au "
                           f"{short_date(other_end)}.")
    return reasons


# The units of a stop's duration when a planned tour is booked as stays: days in one unit.
STAY_UNITS = {"days": 1, "weeks": 7}
STAY_UNIT_LABELS = {"days": "jours", "weeks": "semaines"}


def tour_schedule(order: Sequence, start, duration: int, unit: str = "days") -> list[Stay]:
    """The consecutive stays of a tour: one per place of ``order`` (its visiting order), the
    first from ``start``, each lasting ``duration`` days or weeks (``unit``: ``days`` or
    ``weeks``), both ends included, the next one starting the day after.

    A tour that comes back to its start books no stay there again: the item goes home.
    """
    order = list(order)
    if not order:
        raise TourError("Choisissez au moins un lieu pour réserver la tournée.")
    if len(set(order)) != len(order):
        raise TourError("Un même lieu figure plusieurs fois dans la tournée.")
    if unit not in STAY_UNITS:
        raise TourError(f"Unité de durée inconnue : {unit}.")
    first = _day(start)
    if first is None:
        raise TourError("Indiquez la date de début de la tournée.")
    if (isinstance(duration, bool) or not isinstance(duration, int | float | np.integer)
            or not float(duration).is_integer() or duration < 1):
        raise TourError("La durée d'une étape est un nombre entier de "
                        f"{STAY_UNIT_LABELS[unit]}, au moins 1.")
    days = int(duration) * STAY_UNITS[unit]
    first = first.date()
    return [Stay(place_id=place, start=first + dt.timedelta(days=k * days),
                 end=first + dt.timedelta(days=(k + 1) * days - 1))
            for k, place in enumerate(order)]


def location_on(stays: pd.DataFrame, day, home_place_id):
    """Where the item is on ``day``: the place of the stay covering it, else its home place."""
    day, stays = _day(day), _canonical(stays)
    if len(stays):
        starts, ends = pd.to_datetime(stays["start"]), pd.to_datetime(stays["end"])
        stays = stays[(starts <= day) & (ends >= day)]
    return stays.sort_values("start")["place_id"].iloc[-1] if len(stays) else home_place_id


def _names(frame: pd.DataFrame | None, unique: bool = False) -> dict:
    if frame is None:
        return {}
    names = frame["name"].astype(str)
    if unique:  # two items with the same name must not share a row of the timeline
        twins = names.duplicated(keep=False)
        names = names.where(~twins, names + " (n° " + frame["id"].astype(str) + ")")
    return dict(zip(frame["id"], names, strict=True))


MONTHLY_COLUMNS = ["item_id", "item", "place_id", "place", "month", "days", "at_home"]


def monthly_presence(stays: pd.DataFrame, items: pd.DataFrame, start_month, months: int,
                     places: pd.DataFrame | None = None) -> pd.DataFrame:
    """Days each item spends at each place, month by month, for a calendar.

    ``stays`` has ``item_id``, ``place_id``, ``start``, ``end``; ``items`` has ``id``, ``name``
    and optionally ``home_place_id`` (days outside any stay count there, ``at_home``).
    Returns ``item_id``, ``item``, ``place_id``, ``place``, ``month`` (first day), ``days``,
    ``at_home``.
    """
    stays, items = _canonical(stays), _canonical(items)
    first = _day(start_month).replace(day=1)
    days = pd.date_range(first, first + pd.DateOffset(months=months), inclusive="left")
    place_names, item_names, parts = _names(places), _names(items, unique=True), []
    for item in items.to_dict("records"):
        home = item.get("home_place_id")
        where = pd.Series([home] * len(days), index=days, dtype=object)
        at_home = np.ones(len(days), dtype=bool)
        for stay in stays[stays["item_id"] == item["id"]].sort_values("start").to_dict("records"):
            mask = (days >= _day(stay["start"])) & (days <= _day(stay["end"]))
            where[mask], at_home[mask] = stay["place_id"], False
        frame = pd.DataFrame({"place_id": where.to_numpy(), "at_home": at_home,
                              "month": days.to_period("M").to_timestamp()})
        frame = frame[frame["place_id"].notna()]
        counts = frame.groupby(["month", "place_id", "at_home"]).size().reset_index(name="days")
        parts.append(counts.assign(item_id=item["id"], item=item_names[item["id"]]))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=MONTHLY_COLUMNS)
    out["place"] = out["place_id"].map(lambda p: place_names.get(p, f"lieu n° {p}"))
    return out[MONTHLY_COLUMNS]


def timeline_frame(stays: pd.DataFrame, items: pd.DataFrame,
                   places: pd.DataFrame | None = None) -> pd.DataFrame:
    """The stays in the shape ``px.timeline(x_start="start", x_end="end", y="item",
    color="place")`` needs. ``end`` is the day *after* the last day, so that a bar covers
    its last day; ``last_day`` keeps the inclusive date for hovers."""
    item_names, place_names = _names(items, unique=True), _names(places)
    stays = _canonical(stays)
    frame = pd.DataFrame({
        "item_id": stays["item_id"], "place_id": stays["place_id"],
        "item": stays["item_id"].map(lambda i: item_names.get(i, f"équipement n° {i}")),
        "place": stays["place_id"].map(lambda p: place_names.get(p, f"lieu n° {p}")),
        "start": pd.to_datetime(stays["start"]).dt.normalize(),
        "last_day": pd.to_datetime(stays["end"]).dt.normalize(),
    })
    frame["end"] = frame["last_day"] + pd.Timedelta(days=1)
    frame = frame[["item", "place", "start", "end", "last_day", "item_id", "place_id"]]
    return frame.sort_values(["item", "start"]).reset_index(drop=True)


# --- Tours ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Leg:
    """One leg of a tour: from a place to the next, its road distance and driving time."""

    from_id: Any
    to_id: Any
    road_km: float
    minutes: float
    estimated: bool = False  # a road network could not answer this leg: the estimate


@dataclass(frozen=True)
class Tour:
    """A visiting order and what it costs. ``closed``: the tour comes back to its start."""

    order: list
    legs: tuple[Leg, ...]
    total_km: float
    total_minutes: float
    co2_kg: float
    method: str  # "exact" or "heuristique"
    closed: bool
    method_label: str
    emission_factor_kg_per_km: float
    provider_label: str

    @property
    def open(self) -> bool:
        return not self.closed

    @property
    def stops(self) -> list:
        """The ids along the route, the start repeated at the end of a closed tour (for a map)."""
        return self.order + self.order[:1] if self.closed and len(self.order) > 1 else self.order

    def legs_frame(self) -> pd.DataFrame:
        return pd.DataFrame([leg.__dict__ for leg in self.legs],
                            columns=["from_id", "to_id", "road_km", "minutes", "estimated"])


def _validate_places(places: pd.DataFrame, start_id) -> None:
    if places.empty:
        raise TourError("Choisissez au moins un lieu pour préparer la tournée.")
    if places["id"].duplicated().any():
        raise TourError("Un même lieu figure plusieurs fois dans la tournée.")
    missing = places[places["lon"].isna() | places["lat"].isna()]
    if not missing.empty:
        names = ", ".join(str(n) for n in missing.get("name", missing["id"]))
        raise TourError(f"Coordonnées manquantes pour : {names}.")
    if start_id is not None and start_id not in set(places["id"]):
        raise TourError("Le lieu de départ ne fait pas partie des lieux de la tournée.")


def _endpoints(road: np.ndarray, start: int | None, closed: bool):
    """Reduce every kind of tour to a path between two fixed nodes of a cost matrix.

    Closed: start → … → start. Open: a dummy node D, free to reach (cost 0), ends the path;
    without a start, D also begins it (cost 0 to leave), so the first place is free too.
    """
    n = len(road)
    if closed:
        first = 0 if start is None else start
        return road, first, first, [k for k in range(n) if k != first]
    cost = np.zeros((n + 1, n + 1))
    cost[:n, :n] = road
    first = n if start is None else start
    return cost, first, n, [k for k in range(n) if k != first]


def held_karp(cost: np.ndarray, first: int, last: int, inner: list[int]) -> list[int]:
    """Cheapest path first → (every node of ``inner``, once) → last: exact, 2^m·m² time."""
    m = len(inner)
    if m == 0:
        return [first, last]
    inner_arr = np.asarray(inner)
    between, leave = cost[np.ix_(inner_arr, inner_arr)], cost[first, inner_arr]
    masks = np.arange(1 << m)
    bits = (masks[:, None] >> np.arange(m)) & 1
    size = bits.sum(axis=1)
    best = np.full((1 << m, m), np.inf)
    parent = np.full((1 << m, m), -1, dtype=np.int16)
    best[1 << np.arange(m), np.arange(m)] = leave
    for k in range(2, m + 1):  # all (subset of size k, last node j in it) pairs at once
        of_size = masks[size == k]
        row, j = np.nonzero(bits[of_size])
        subsets = of_size[row]
        candidates = best[subsets ^ (1 << j)] + between[:, j].T
        choice = candidates.argmin(axis=1)
        best[subsets, j] = candidates[np.arange(len(j)), choice]
        parent[subsets, j] = choice
    mask, j = (1 << m) - 1, int(np.argmin(best[-1] + cost[inner_arr, last]))
    path = []
    while j >= 0:
        path.append(inner[j])
        mask, j = mask ^ (1 << j), int(parent[mask, j])
    return [first, *reversed(path), last]


def _nearest_neighbour(cost: np.ndarray, first: int, last: int, inner: list[int]) -> np.ndarray:
    route, left = [first], list(inner)
    while left:
        k = int(np.argmin(cost[route[-1], left]))
        route.append(left.pop(k))
    return np.asarray(route + [last])


def _two_opt_pass(cost: np.ndarray, route: np.ndarray) -> bool:
    """Reverse the best segment after each position; exact for asymmetric costs too."""
    improved, size = False, len(route)
    for i in range(size - 3):
        fwd = np.concatenate([[0.0], np.cumsum(cost[route[:-1], route[1:]])])
        bwd = np.concatenate([[0.0], np.cumsum(cost[route[1:], route[:-1]])])
        j = np.arange(i + 2, size - 1)
        a, b, c, d = route[i], route[i + 1], route[j], route[j + 1]
        delta = (cost[a, c] + cost[b, d] + bwd[j] - bwd[i + 1]
                 - cost[a, b] - cost[c, d] - fwd[j] + fwd[i + 1])
        k = int(np.argmin(delta))
        if delta[k] < -1e-9:
            route[i + 1:j[k] + 1] = route[i + 1:j[k] + 1][::-1].copy()
            improved = True
    return improved


def _or_opt_move(cost: np.ndarray, route: np.ndarray, a: int, s: int) -> np.ndarray | None:
    """Move route[a:a+s] (maybe reversed) to its cheapest other place, if that saves."""
    seg = route[a:a + s]
    head, tail, before, after = seg[0], seg[-1], route[a - 1], route[a + s]
    saved = cost[before, head] + cost[tail, after] - cost[before, after]
    flip = (cost[seg[1:], seg[:-1]].sum() - cost[seg[:-1], seg[1:]].sum()) if s > 1 else 0.0
    rest = np.concatenate([route[:a], route[a + s:]])
    x, y = rest[:-1], rest[1:]
    gap = cost[x, y]
    forward = cost[x, head] + cost[tail, y] - gap
    backward = cost[x, tail] + cost[head, y] - gap + flip
    forward[a - 1] = backward[a - 1] = np.inf  # where it already is
    k_f, k_b = int(np.argmin(forward)), int(np.argmin(backward))
    reverse = backward[k_b] < forward[k_f]
    k, added = (k_b, backward[k_b]) if reverse else (k_f, forward[k_f])
    if added - saved >= -1e-9:
        return None
    return np.concatenate([rest[:k + 1], seg[::-1] if reverse else seg, rest[k + 1:]])


def _or_opt_pass(cost: np.ndarray, route: np.ndarray) -> tuple[np.ndarray, bool]:
    improved = False
    for s in (1, 2, 3):
        a = 1
        while a + s <= len(route) - 1 and len(route) - s >= 3:
            moved = _or_opt_move(cost, route, a, s)
            if moved is not None:
                route, improved = moved, True
            a += 1
    return route, improved


def local_search(cost: np.ndarray, first: int, last: int, inner: list[int],
                 max_rounds: int = 200) -> list[int]:
    """Nearest neighbour from ``first``, then 2-opt and Or-opt until neither improves."""
    route = _nearest_neighbour(cost, first, last, inner)
    for _ in range(max_rounds):
        improved = _two_opt_pass(cost, route)
        route, moved = _or_opt_pass(cost, route)
        if not (improved or moved):
            break
    return route.tolist()


def plan_tour(places: pd.DataFrame, start_id=None, return_to_start: bool = True, *,
              provider: DistanceProvider, emission_factor: float,
              exact_limit: int = DEFAULT_EXACT_LIMIT) -> Tour:
    """The visiting order of ``places`` (``id``, ``name``, ``lon``, ``lat``) minimising road km.

    Exact (Held–Karp) up to ``exact_limit`` places, nearest neighbour + 2-opt + Or-opt beyond.
    ``return_to_start=False`` plans an open tour; without ``start_id`` it may begin anywhere
    (a closed tour then starts at the first row: every rotation costs the same).
    ``provider`` (the settings' distance provider) measures the legs and ``emission_factor``
    (kg CO2e per km, ``settings.co2_kg_per_km``) prices them: both are required, so that no
    caller silently falls back on the estimate or on the default car.
    """
    _validate_places(places, start_id)
    if not 0 <= exact_limit <= MAX_EXACT_LIMIT:
        raise TourError(f"La limite de la méthode exacte doit être comprise entre 0 et "
                         f"{MAX_EXACT_LIMIT} lieux (sa mémoire double à chaque lieu).")
    if provider is None:
        raise TypeError("plan_tour needs the distance provider of the settings")
    places = places.reset_index(drop=True)
    ids = places["id"].tolist()
    travel = provider.matrix(places, places)
    road, minutes = np.asarray(travel.road_km, float), np.asarray(travel.minutes, float)
    flagged = (np.full(road.shape, bool(getattr(provider, "is_estimate", True)))
               if travel.estimated is None else np.asarray(travel.estimated, dtype=bool))
    start = None if start_id is None else ids.index(start_id)
    cost, first, last, inner = _endpoints(road, start, return_to_start)
    exact = len(ids) <= exact_limit
    path = (held_karp if exact else local_search)(cost, first, last, inner)
    order = [k for k in path if k < len(ids)]
    if return_to_start:
        order = order[:-1]
    return _tour(ids, order, road, minutes, exact, return_to_start, emission_factor, provider,
                 flagged)


def _tour(ids, order, road, minutes, exact, closed, factor, provider, flagged=None) -> Tour:
    steps = list(pairwise(order))
    if closed and len(order) > 1:
        steps.append((order[-1], order[0]))
    legs = tuple(Leg(ids[i], ids[j], float(road[i, j]), float(minutes[i, j]),
                     bool(flagged[i, j]) if flagged is not None else False)
                 for i, j in steps)
    total_km = sum(leg.road_km for leg in legs)
    return Tour(order=[ids[k] for k in order], legs=legs, total_km=total_km,
                total_minutes=sum(leg.minutes for leg in legs), co2_kg=total_km * factor,
                method="exact" if exact else "heuristique", closed=closed,
                method_label=EXACT_LABEL if exact else HEURISTIC_LABEL,
                emission_factor_kg_per_km=factor,
                provider_label=getattr(provider, "label", ""))


# --- Reach ---------------------------------------------------------------------------------

class Reach(NamedTuple):
    """The communes an itinerant item reaches from its stops, and their inhabitants."""

    communes: pd.DataFrame  # the communes reached, with minutes and nearest_stop_id
    population: int


def reach_of_tour(stop_places: pd.DataFrame, communes: pd.DataFrame, *,
                  provider: DistanceProvider, minutes: float) -> Reach:
    """Communes (``insee``, ``name``, ``population``, ``lon``, ``lat``) within ``minutes`` of
    any stop of a tour, and their population: who the itinerant item can serve.
    ``provider`` is required (the settings' distance provider)."""
    if provider is None:
        raise TypeError("reach_of_tour needs the distance provider of the settings")
    columns = [*communes.columns, "minutes", "nearest_stop_id"]
    if stop_places.empty or communes.empty:
        return Reach(pd.DataFrame(columns=columns), 0)
    travel = provider.matrix(stop_places, communes.assign(id=communes["insee"]))
    times = np.asarray(travel.minutes, float)
    nearest = times.argmin(axis=0)
    best = times[nearest, np.arange(times.shape[1])]
    reached = communes.assign(minutes=best,
                              nearest_stop_id=stop_places["id"].to_numpy()[nearest])
    reached = reached[reached["minutes"] <= minutes].sort_values("minutes")
    return Reach(reached.reset_index(drop=True), int(reached["population"].fillna(0).sum()))
