"""Calibration: the estimate (crow-fly × circuity at an average speed) against the road network.

Pure (numpy, pandas): ``compare`` takes the places, the road network and the estimate the
settings define, and measures every pair of places less than ``MAX_STRAIGHT_KM`` apart as the
crow flies (a KD-tree finds them: no quadratic loop on a national network) both ways. What an
analyst reads: the median ratio road / estimate, and the pairs where the estimate is most
wrong, by the absolute gap in minutes (a few minutes on a short trip matter less than twenty
on a ridge). Pairs the network could not answer (a place more than 2 km from any road, no
connection) are left out and counted: comparing the estimate with itself says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from observatory import formatting
from observatory.distances import pairs_within

MAX_STRAIGHT_KM = 60.0  # pairs farther apart are not compared (an hour and more by any road)
WORST = 20
# Colours of a pair's line on the map, by ratio road / estimate (upper bounds).
RATIO_BINS: tuple[tuple[float, str, str], ...] = (
    (0.8, "#2c7bb6", "route plus rapide que l'estimation (ratio < 0,8)"),
    (1.25, "#7f7f7f", "estimation juste (0,8 à 1,25)"),
    (1.6, "#fdae61", "route 1,25 à 1,6 fois plus longue"),
    (2.0, "#f46d43", "route 1,6 à 2 fois plus longue"),
    (float("inf"), "#a50026", "route plus de 2 fois plus longue"),
)


def ratio_colour(ratio: float) -> str:
    """The colour of a pair's line: blue where the road is faster than estimated, grey where
    the estimate holds, orange to dark red the more the road is longer."""
    return next(colour for limit, colour, _ in RATIO_BINS if ratio < limit)


@dataclass(frozen=True)
class Calibration:
    """The pairs compared (``pairs``, most wrong first: ``from_id``, ``to_id``, ``from_name``,
    ``to_name``, ``straight_km``, ``estimate_minutes``, ``road_minutes``, ``gap_minutes``
    (road − estimate), ``ratio`` (road / estimate)) and how many pairs the network could not
    answer (``fallback_pairs``, left out)."""

    pairs: pd.DataFrame
    fallback_pairs: int
    max_km: float
    circuity: float  # the estimate compared (the settings')
    speed_kmh: float

    @property
    def median_ratio(self) -> float | None:
        return float(self.pairs["ratio"].median()) if len(self.pairs) else None

    def worst(self, n: int = WORST) -> pd.DataFrame:
        return self.pairs.head(n)

    def sentence(self) -> str:
        """The headline in French: how many pairs, the median ratio, what was left out."""
        within = formatting.integer(self.max_km) + formatting.UNIT_SPACE + "km"
        if not len(self.pairs):
            text = (f"Aucune paire de lieux à moins de {within} à vol d'oiseau n'a pu être "
                    "mesurée sur le réseau routier.")
        else:
            text = (f"Sur {formatting.count(len(self.pairs), 'paire', 'paires')} de lieux à moins "
                    f"de {within} à vol d'oiseau, le trajet par la route prend"
                    f" en médiane {formatting.decimal(self.median_ratio, 2)} fois le temps "
                    "estimé.")
        if self.fallback_pairs:
            text += (f" {formatting.count(self.fallback_pairs, 'paire laissée', 'paires laissées')}"
                     " de côté faute de route à moins de 2 km ou de liaison routière.")
        return text


def compare(places: pd.DataFrame, network, estimate, *,
            max_km: float = MAX_STRAIGHT_KM) -> Calibration:
    """Estimate and road time for every pair of located ``places`` (``id``, ``name``, ``lon``,
    ``lat``) within ``max_km`` as the crow flies, in both directions; ``network`` is a
    ``RoadNetwork``, ``estimate`` the ``EstimatedRoad`` of the settings."""
    located = places[np.isfinite(places["lon"].astype(float))
                     & np.isfinite(places["lat"].astype(float))].reset_index(drop=True)
    found = pairs_within(located, max_km)
    i = np.asarray(found["i"], dtype=np.int64)
    j = np.asarray(found["j"], dtype=np.int64)
    i, j = np.concatenate([i, j]), np.concatenate([j, i])  # both directions (one-way streets)
    origins, destinations = located.iloc[i], located.iloc[j]
    road = network.pairwise(origins, destinations)
    guess = estimate.pairwise(origins, destinations)
    flagged = (np.zeros(i.size, dtype=bool) if road.estimated is None
               else np.asarray(road.estimated, dtype=bool))
    pairs = pd.DataFrame({
        "from_id": origins["id"].to_numpy(), "to_id": destinations["id"].to_numpy(),
        "from_name": origins["name"].to_numpy(), "to_name": destinations["name"].to_numpy(),
        "from_lon": origins["lon"].to_numpy(float), "from_lat": origins["lat"].to_numpy(float),
        "to_lon": destinations["lon"].to_numpy(float),
        "to_lat": destinations["lat"].to_numpy(float),
        "straight_km": np.asarray(guess.straight_km, dtype=float),
        "estimate_minutes": np.asarray(guess.minutes, dtype=float),
        "road_minutes": np.asarray(road.minutes, dtype=float),
    })[~flagged]
    pairs = pairs[pairs["estimate_minutes"] > 0].copy()
    pairs["gap_minutes"] = pairs["road_minutes"] - pairs["estimate_minutes"]
    pairs["ratio"] = pairs["road_minutes"] / pairs["estimate_minutes"]
    pairs["colour"] = [ratio_colour(r) for r in pairs["ratio"]]
    pairs = pairs.assign(_wrong=pairs["gap_minutes"].abs()).sort_values(
        ["_wrong", "from_id", "to_id"], ascending=[False, True, True]).drop(columns="_wrong")
    return Calibration(pairs.reset_index(drop=True), int(flagged.sum()), float(max_km),
                       float(estimate.circuity), float(estimate.speed_kmh))


def worst_table(calibration: Calibration, n: int = WORST) -> pd.DataFrame:
    """The ``n`` pairs where the estimate is most wrong, as a French table."""
    worst = calibration.worst(n)
    return pd.DataFrame({
        "Lieux": [f"{a} → {b}" for a, b in zip(worst["from_name"], worst["to_name"],
                                                strict=True)],
        "Estimation": [formatting.plain_minutes(v) for v in worst["estimate_minutes"]],
        "Réseau routier": [formatting.plain_minutes(v) for v in worst["road_minutes"]],
        "Écart": [("+" if round(v) > 0 else "") + formatting.integer(v)
                  + formatting.UNIT_SPACE + "min" for v in worst["gap_minutes"]],
        "Ratio": [formatting.decimal(v, 2) for v in worst["ratio"]],
    }, dtype=object)


def map_links(calibration: Calibration, n: int = WORST) -> pd.DataFrame:
    """The ``n`` worst pairs as lines for ``maps.build_map`` (``links``): coloured by ratio,
    the colour's meaning as the group (the legend), both times in the tooltip."""
    worst = calibration.worst(n)
    meaning = {colour: text for _, colour, text in RATIO_BINS}
    return pd.DataFrame({
        "head_id": worst["from_id"].to_numpy(), "member_id": worst["to_id"].to_numpy(),
        "group": [meaning[c] for c in worst["colour"]], "colour": worst["colour"].to_numpy(),
        "minutes": worst["road_minutes"].to_numpy(), "estimated": False,
        "detail": [f"estimation {formatting.plain_minutes(e)}, réseau routier "
                   f"{formatting.plain_minutes(r)} (ratio {formatting.decimal(q, 2)})"
                   for e, r, q in zip(worst["estimate_minutes"], worst["road_minutes"],
                                      worst["ratio"], strict=True)],
    })


def compare_communes(by_estimate: pd.DataFrame, by_road: pd.DataFrame) -> pd.DataFrame:
    """Each commune's travel to its nearest place by the estimate and by road, most wrong
    first (``coverage.nearest`` frames of the same communes, one per provider; communes of
    the perimeter only when ``in_perimeter`` is there). Communes whose road travel fell back
    to the estimate, or without any place, are left out. Columns: ``insee``, ``name``,
    ``population``, ``estimate_minutes``, ``road_minutes``, ``gap_minutes``, ``ratio``,
    ``estimate_place``, ``road_place`` (the nearest place's name by each)."""
    left = by_estimate
    if "in_perimeter" in left.columns:
        left = left[left["in_perimeter"].fillna(False).astype(bool)]
    road = by_road.set_index("insee")
    flagged = (road["travel_estimated"].fillna(True).astype(bool)
               if "travel_estimated" in road.columns else pd.Series(False, index=road.index))
    out = pd.DataFrame({
        "insee": left["insee"].to_numpy(), "name": left["name"].to_numpy(),
        "population": left["population"].to_numpy(),
        "estimate_minutes": left["minutes"].to_numpy(dtype=float),
        "road_minutes": road["minutes"].reindex(left["insee"]).to_numpy(dtype=float),
        "estimate_place": left.get("nearest_place_name", pd.Series(index=left.index)).to_numpy(),
        "road_place": road.get("nearest_place_name", pd.Series(index=road.index, dtype=object))
        .reindex(left["insee"]).to_numpy(),
        "flagged": flagged.reindex(left["insee"]).fillna(True).to_numpy(dtype=bool),
    })
    out = out[~out["flagged"] & np.isfinite(out["estimate_minutes"])
              & np.isfinite(out["road_minutes"]) & (out["estimate_minutes"] > 0)]
    out = out.drop(columns="flagged")
    out["gap_minutes"] = out["road_minutes"] - out["estimate_minutes"]
    out["ratio"] = out["road_minutes"] / out["estimate_minutes"]
    return (out.assign(_wrong=out["gap_minutes"].abs())
            .sort_values(["_wrong", "insee"], ascending=[False, True])
            .drop(columns="_wrong").reset_index(drop=True))


def communes_table(communes: pd.DataFrame, n: int = WORST) -> pd.DataFrame:
    """The ``n`` communes whose nearest place is most wrongly estimated, in French."""
    worst = communes.head(n)
    return pd.DataFrame({
        "Commune": worst["name"].astype(object).to_numpy(),
        "Habitants": [formatting.integer(v) for v in worst["population"]],
        "Lieu le plus proche (estimation)": worst["estimate_place"].astype(object).to_numpy(),
        "Estimation": [formatting.plain_minutes(v) for v in worst["estimate_minutes"]],
        "Lieu le plus proche (route)": worst["road_place"].astype(object).to_numpy(),
        "Réseau routier": [formatting.plain_minutes(v) for v in worst["road_minutes"]],
        "Écart": [("+" if round(v) > 0 else "") + formatting.integer(v)
                  + formatting.UNIT_SPACE + "min" for v in worst["gap_minutes"]],
        "Ratio": [formatting.decimal(v, 2) for v in worst["ratio"]],
    }, dtype=object)
