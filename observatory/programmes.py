"""The places of national programmes as context: their names in French, which ones travel,
and which lie within a travel time of a place. Pure functions on DataFrames.

The programme places (France services, Fabriques de territoire, Manufactures de proximité)
are not lieux de lien social: never scored, never counted in the inventory. When they meet
the places in a distance computation they carry **negative ids** (``travel_points``), so a
distance matrix keyed by place ids can never mistake one for a place.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from observatory import formatting
from observatory.distances import DistanceProvider, haversine_km
from observatory.formatting import is_missing

FRANCE_SERVICES, FABRIQUE, MANUFACTURE = "france_services", "fabrique", "manufacture"
PROGRAMMES = (FRANCE_SERVICES, FABRIQUE, MANUFACTURE)
#: The layers' names, as the map and its checkboxes say them.
LAYER_LABELS = {FRANCE_SERVICES: "France services", FABRIQUE: "Fabriques de territoire",
                MANUFACTURE: "Manufactures de proximité"}
#: One place of each programme, as a table or a tooltip says it.
KIND_LABELS = {FRANCE_SERVICES: "France services", FABRIQUE: "Fabrique de territoire",
               MANUFACTURE: "Manufacture de proximité"}
ITINERANT_LABEL = "France services itinérante"
FORMAT_LABELS = {"fixe": "fixe", "bus": "bus", "itinerante": "itinérante",
                 "multisites": "multisites", "antenne": "avec antenne(s)"}
ITINERANT_FORMATS = frozenset({"bus", "itinerante"})
NEAR_MINUTES = 15.0


def is_itinerant(programme: object, fmt: object) -> bool:
    """A France services that travels (a bus, an itinerant service) rather than a desk."""
    return programme == FRANCE_SERVICES and not is_missing(fmt) and str(fmt) in ITINERANT_FORMATS


def kind_label(programme: object, fmt: object = None) -> str:
    """A place's kind in French (« France services itinérante », « Fabrique de territoire »)."""
    if is_itinerant(programme, fmt):
        return ITINERANT_LABEL
    return KIND_LABELS.get(str(programme), str(programme))


def format_label(fmt: object) -> str:
    """The France services format in French (« bus », « itinérante »), "" when none."""
    return "" if is_missing(fmt) or not str(fmt) else FORMAT_LABELS.get(str(fmt), str(fmt))


def of_programmes(frame: pd.DataFrame, chosen) -> pd.DataFrame:
    """The places of the ``chosen`` programmes (keys of ``PROGRAMMES``)."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=[] if frame is None else frame.columns)
    return frame[frame["programme"].isin(list(chosen))]


def travel_points(frame: pd.DataFrame) -> pd.DataFrame:
    """The places as a distance provider's points: ``id`` negated, ``lon``, ``lat``, ``name``."""
    return pd.DataFrame({"id": -frame["id"].astype(int).to_numpy(),
                         "lon": frame["lon"].to_numpy(dtype=float),
                         "lat": frame["lat"].to_numpy(dtype=float),
                         "name": frame["name"].to_numpy()})


def within(origin: Mapping, frame: pd.DataFrame, provider: DistanceProvider,
           max_minutes: float = NEAR_MINUTES) -> pd.DataFrame:
    """The programme places at most ``max_minutes`` of travel from ``origin`` (a place:
    ``id``, ``lon``, ``lat``) by ``provider``, nearest first: ``frame``'s columns plus
    ``straight_km``, ``road_km``, ``minutes`` and ``estimated`` (this trip is the estimate)."""
    columns = [*frame.columns, "straight_km", "road_km", "minutes", "estimated"]
    lon, lat = origin.get("lon"), origin.get("lat")
    if frame.empty or is_missing(lon) or is_missing(lat):
        return pd.DataFrame(columns=columns)
    straight = haversine_km(float(lon), float(lat), frame["lon"].to_numpy(dtype=float),
                            frame["lat"].to_numpy(dtype=float))
    near = frame[np.nan_to_num(straight, nan=np.inf)
                 <= provider.straight_radius_km(max_minutes)].reset_index(drop=True)
    if near.empty:
        return pd.DataFrame(columns=columns)
    origins = pd.DataFrame({"id": [int(origin.get("id", 0))] * len(near),
                            "lon": [float(lon)] * len(near), "lat": [float(lat)] * len(near)})
    travel = provider.pairwise(origins, travel_points(near))
    out = near.assign(straight_km=np.asarray(travel.straight_km, dtype=float),
                      road_km=np.asarray(travel.road_km, dtype=float),
                      minutes=np.asarray(travel.minutes, dtype=float),
                      estimated=(np.full(len(near), bool(provider.is_estimate))
                                 if travel.estimated is None
                                 else np.asarray(travel.estimated, dtype=bool)))
    out = out[out["minutes"] <= max_minutes]
    return out.sort_values(["minutes", "name"]).reset_index(drop=True)[columns]


def near_table(near: pd.DataFrame) -> pd.DataFrame:
    """``within``'s answer as a user reads it: kind, name, commune, travel in French."""
    return pd.DataFrame({
        "Programme": [kind_label(p, f) for p, f in zip(near["programme"], near["format"],
                                                        strict=True)],
        "Nom": [formatting.MISSING if is_missing(v) else str(v) for v in near["name"]],
        "Commune": [formatting.MISSING if is_missing(v) else str(v)
                    for v in near.get("commune", pd.Series([None] * len(near)))],
        "Trajet": [formatting.minutes(v) for v in near["minutes"]],
    }, dtype=object)


def empty_sentence(max_minutes: float = NEAR_MINUTES) -> str:
    return (f"Aucun lieu des programmes nationaux (France services, Fabrique de territoire, "
            f"Manufacture de proximité) à moins de {formatting.minutes(max_minutes)}.")
