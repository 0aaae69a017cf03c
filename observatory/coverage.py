"""Territorial coverage: who is far from a place, and where a new one would reach the most people.

Pure functions on DataFrames (no Streamlit, no SQL), built to scale to France: 35,000 communes
and 10,000 places never make a dense matrix.

- ``nearest``: for each commune (its inner point), the nearest place and the nearest mature
  place. A KD-tree on unit-sphere vectors finds the straight (great-circle) nearest in
  O((n + m) log m); the distance provider then measures travel on those pairs only
  (``pairwise``). For ``EstimatedRoad`` travel is straight distance × a constant, so the straight
  nearest *is* the travel nearest (k = 1). For any other provider (a routing matrix) we take
  the ``k`` straight-nearest places (k = 8 by default) and keep the best travel among them: a
  place outside those k that would be faster by road is missed, which requires a road more
  than k places "deep" to beat all of them; an accepted approximation, and ``k`` is a parameter.
  A provider with ``nearest_destination`` (the OpenStreetMap ``RoadNetwork``) answers exactly
  instead, in one multi-source Dijkstra over the road graph; the communes it could not place on
  the network get the estimate, flagged in ``travel_estimated`` (and
  ``mature_travel_estimated``).
- ``covered``: population within a travel time (or a crow-fly distance) of the nearest place,
  overall and per EPCI, and the zones blanches (the uncovered communes, farthest first).
- ``where_next``: the maximal covering location problem (Church & ReVelle 1974): choose k sites
  covering the most still-uncovered inhabitants. It is NP-hard, but coverage is a monotone
  submodular function, so the greedy choice (each time, the site adding the most population)
  reaches at least (1 − 1/e) ≈ 63 % of the optimum (Nemhauser, Wolsey & Fisher 1978).
  Candidate-demand pairs come from a KD-tree within the provider's ``straight_radius_km``,
  then are filtered by travel, into a sparse matrix: the build is O(pairs) and each greedy
  step costs one argmax plus the columns it newly covers. ``exact_cover`` brute-forces small
  instances (tests use it to check the guarantee).
- ``with_service_points``: the access where other service points (the France services) count
  as places: each commune keeps the nearer of its nearest place and its nearest point.
- ``report``: the JSON-ready dict behind ``observatory coverage --json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from observatory import formatting
from observatory.distances import DistanceProvider, EstimatedRoad, chord_for_km, unit_vectors
from observatory.errors import UserInputError
from observatory.formatting import is_missing

DEFAULT_MINUTES = 20.0
DEFAULT_K = 8  # straight-nearest places examined per commune when travel is not monotonic
MAX_EXACT_COMBINATIONS = 50_000
COMMUNE_KEYS = ["insee", "name", "population", "lon", "lat", "epci_siren", "epci_name",
                "in_perimeter"]
TRAVEL_KEYS = ["place_id", "distance_km", "road_km", "minutes"]


# --- Nearest place -------------------------------------------------------------------------

def nearest(communes: pd.DataFrame, places: pd.DataFrame, *, provider: DistanceProvider,
            k: int = DEFAULT_K) -> pd.DataFrame:
    """One row per commune: its nearest place and, if ``places`` has ``mature``, nearest mature one.

    Columns: the commune's (``insee``, ``name``, ``population``, ``lon``, ``lat``, and
    ``epci_siren``/``epci_name``/``in_perimeter`` when given), then ``nearest_place_id``,
    ``nearest_place_name``, ``distance_km`` (great circle), ``road_km``, ``minutes`` and
    ``nearest_mature_id``, ``mature_distance_km``, ``mature_road_km``, ``mature_minutes``.
    NaN (and <NA> ids) where there is no place. No geometry: join on ``insee`` to map it.
    ``provider`` is the settings' distance provider (required: figures and label agree).
    """
    keys = [c for c in COMMUNE_KEYS if c in communes.columns]
    out = pd.DataFrame(communes[keys]).reset_index(drop=True)
    found = _nearest_travel(out, places, provider, k)
    out["nearest_place_id"] = found["place_id"]
    if "name" in places.columns:
        names = places.drop_duplicates("id").set_index("id")["name"]
        out["nearest_place_name"] = found["place_id"].map(names).astype(object)
    out[["distance_km", "road_km", "minutes"]] = found[["distance_km", "road_km", "minutes"]]
    if "estimated" in found.columns:
        out["travel_estimated"] = found["estimated"].astype(bool)
    if "mature" in places.columns:
        mature = places[places["mature"].fillna(False).astype(bool)]
        found = _nearest_travel(out, mature, provider, k)
        out["nearest_mature_id"] = found["place_id"]
        for key in ("distance_km", "road_km", "minutes"):
            out[f"mature_{key}"] = found[key]
        if "estimated" in found.columns:
            out["mature_travel_estimated"] = found["estimated"].astype(bool)
    return out


def _monotonic(provider: DistanceProvider) -> bool:
    """Travel grows with straight distance, so the straight nearest is the travel nearest."""
    return isinstance(provider, EstimatedRoad)


def _points(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The ``id``/``lon``/``lat`` frame a provider expects (a commune's id is its INSEE code)."""
    key = "id" if "id" in frame.columns else "insee"
    return pd.DataFrame({"id": frame[key].to_numpy()[positions],
                         "lon": frame["lon"].to_numpy(dtype=float)[positions],
                         "lat": frame["lat"].to_numpy(dtype=float)[positions]})


def _located(frame: pd.DataFrame) -> np.ndarray:
    """Positions of the rows with usable coordinates."""
    lon, lat = frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)
    return np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))


def _xyz(frame: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
    return unit_vectors(frame["lon"].to_numpy(dtype=float)[positions],
                        frame["lat"].to_numpy(dtype=float)[positions])


def _nearest_travel(origins: pd.DataFrame, places: pd.DataFrame, provider: DistanceProvider,
                    k: int) -> pd.DataFrame:
    """For each origin row, the place with the shortest travel (see the module docstring)."""
    n = len(origins)
    result = pd.DataFrame({"place_id": pd.array([pd.NA] * n, dtype="Int64"),
                           "distance_km": np.nan, "road_km": np.nan, "minutes": np.nan})
    rows, dest = _located(origins), _located(places)
    if rows.size == 0 or dest.size == 0:
        return result
    if hasattr(provider, "nearest_destination"):  # a road graph: one multi-source pass
        pick, travel = provider.nearest_destination(_points(origins, rows), _points(places, dest))
        result.loc[rows, "place_id"] = places["id"].to_numpy()[dest[pick]]
        result.loc[rows, "distance_km"] = np.asarray(travel.straight_km, dtype=float)
        result.loc[rows, "road_km"] = np.asarray(travel.road_km, dtype=float)
        result.loc[rows, "minutes"] = np.asarray(travel.minutes, dtype=float)
        result["estimated"] = True
        result.loc[rows, "estimated"] = np.asarray(travel.estimated, dtype=bool)
        return result
    k = 1 if _monotonic(provider) else max(1, min(k, dest.size))
    _, idx = cKDTree(_xyz(places, dest)).query(_xyz(origins, rows), k=k)
    idx = dest[np.asarray(idx).reshape(rows.size, k)]
    travel = provider.pairwise(_points(origins, np.repeat(rows, k)), _points(places, idx.ravel()))
    minutes = np.asarray(travel.minutes, dtype=float).reshape(rows.size, k)
    # argmin keeps the first of equal travels, i.e. the straight-nearest (KD-tree order).
    pick = np.arange(rows.size) * k + np.argmin(np.nan_to_num(minutes, nan=np.inf), axis=1)
    result.loc[rows, "place_id"] = places["id"].to_numpy()[idx.ravel()[pick]]
    result.loc[rows, "distance_km"] = np.asarray(travel.straight_km, dtype=float)[pick]
    result.loc[rows, "road_km"] = np.asarray(travel.road_km, dtype=float)[pick]
    result.loc[rows, "minutes"] = minutes.ravel()[pick]
    return result


# --- Covered population --------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    """Who lives within the threshold of a place (or of a mature place)."""

    threshold_minutes: float | None
    threshold_km: float | None
    mature: bool
    population_total: int
    population_covered: int
    communes: pd.DataFrame  # the access rows considered, with a boolean ``covered``
    by_epci: pd.DataFrame  # epci_siren, epci_name, communes, population, population_covered, share
    zones_blanches: pd.DataFrame  # uncovered communes, farthest first (no place at all on top)
    also: str = ""  # other service points counted as places (« d'une France services »)

    @property
    def target(self) -> str:
        """What the inhabitants are near (« d'un lieu mature ou d'une France services »)."""
        target = "d'un lieu mature" if self.mature else "d'un lieu"
        return f"{target} ou {self.also}" if self.also else target

    @property
    def share(self) -> float:
        return self.population_covered / self.population_total if self.population_total else 0.0

    @property
    def sentence(self) -> str:
        """The key figure in one French sentence, for the page, the CLI and the reports."""
        target = self.target
        return (f"{formatting.integer(self.population_covered)} habitants sur "
                f"{formatting.integer(self.population_total)} "
                f"({formatting.percent(self.population_covered, self.population_total, 1)}) "
                f"vivent au plus à "
                f"{threshold_label(self.threshold_minutes, self.threshold_km)} {target}.")


def threshold_label(minutes: float | None, km: float | None) -> str:
    """'20 min de trajet' or '15 km à vol d'oiseau' (French, for labels)."""
    if km is not None:
        return f"{formatting.number(km)} km à vol d'oiseau"
    return f"{formatting.number(minutes)} min de trajet"


def _thresholds(minutes: float | None, km: float | None) -> tuple[float | None, float | None]:
    if minutes is not None and km is not None:
        raise UserInputError("Choisissez un seuil en minutes ou en kilomètres, pas les deux.")
    if minutes is None and km is None:
        minutes = DEFAULT_MINUTES
    value = minutes if km is None else km
    if not np.isfinite(value) or value < 0:
        raise UserInputError("Le seuil doit être un nombre positif.")
    return minutes, km


def _measure(access: pd.DataFrame, km: float | None, mature: bool) -> str:
    """The column compared to the threshold: travel minutes, or crow-fly km with ``--km``."""
    column = ("mature_" if mature else "") + ("distance_km" if km is not None else "minutes")
    if column not in access.columns:
        if mature:
            raise UserInputError("La maturité des lieux n'est pas connue : impossible de "
                                 "calculer la couverture par les lieux matures.")
        raise ValueError(f"Colonne « {column} » absente : calculez d'abord l'accès (nearest).")
    return column


def _perimeter(access: pd.DataFrame, perimeter_only: bool) -> pd.DataFrame:
    if perimeter_only and "in_perimeter" in access.columns:
        return access[access["in_perimeter"].fillna(False).astype(bool)].copy()
    return access.copy()


def covered(access: pd.DataFrame, threshold_minutes: float | None = None,
            threshold_km: float | None = None, mature: bool = False,
            perimeter_only: bool = True) -> Summary:
    """Population within ``threshold_minutes`` of travel (default 20) or ``threshold_km``
    crow-fly of its nearest place (or nearest mature place). Communes outside the perimeter
    (context such as a neighbouring EPCI) are left out when ``in_perimeter`` is given."""
    minutes, km = _thresholds(threshold_minutes, threshold_km)
    column = _measure(access, km, mature)
    rows = _perimeter(access, perimeter_only)
    rows["population"] = rows["population"].fillna(0).astype(np.int64)
    limit = km if km is not None else minutes
    rows["covered"] = (rows[column] <= limit).fillna(False).astype(bool)
    blank = rows[~rows["covered"]].sort_values([column, "population"], ascending=[False, False],
                                                na_position="first")
    also = ""
    if ALSO_COLUMN in rows.columns and len(rows):
        also = str(rows[ALSO_COLUMN].iloc[0])
    return Summary(minutes, km, mature, int(rows["population"].sum()),
                   int(rows.loc[rows["covered"], "population"].sum()),
                   rows.reset_index(drop=True), _by_epci(rows), blank.reset_index(drop=True),
                   also)


def headline(summary: Summary) -> str:
    """« Population à moins de 20 min de trajet d'un lieu ou d'une France services »."""
    return (f"Population à moins de "
            f"{threshold_label(summary.threshold_minutes, summary.threshold_km)} "
            f"{summary.target}")


# --- Other service points counted as places --------------------------------------------------

ALSO_COLUMN = "also_target"
FRANCE_SERVICES_TARGET = "d'une France services"
_TRAVEL = ("distance_km", "road_km", "minutes")


def with_service_points(access: pd.DataFrame, points_access: pd.DataFrame,
                        target: str = FRANCE_SERVICES_TARGET) -> pd.DataFrame:
    """``access`` (``nearest`` against the places) where the service points of
    ``points_access`` (``nearest`` of the same communes against those points, same provider)
    count as places: each commune keeps the nearer of the two, for the nearest place and for
    the nearest mature place alike. ``served_by`` says which won (``lieu`` or ``point``);
    ``nearest_place_id`` and ``nearest_place_name`` name the point when it won (its id as
    ``points_access`` gives it); ``target`` (« d'une France services ») goes into the
    summary's sentences. Without points, the access is unchanged but for those columns."""
    out = access.copy()
    other = points_access.set_index("insee").reindex(out["insee"])
    mine = out["minutes"].to_numpy(dtype=float)
    theirs = other["minutes"].to_numpy(dtype=float)
    wins = np.nan_to_num(theirs, nan=np.inf) < np.nan_to_num(mine, nan=np.inf)
    for key in _TRAVEL:
        out[key] = np.where(wins, other[key].to_numpy(dtype=float),
                            out[key].to_numpy(dtype=float))
    if "nearest_place_name" in out.columns and "nearest_place_name" in other.columns:
        out["nearest_place_name"] = np.where(wins, other["nearest_place_name"].to_numpy(),
                                             out["nearest_place_name"].to_numpy())
    out["nearest_place_id"] = pd.array(np.where(
        wins, other["nearest_place_id"].to_numpy(dtype=object),
        out["nearest_place_id"].to_numpy(dtype=object)), dtype="Int64")
    if "travel_estimated" in out.columns and "travel_estimated" in other.columns:
        out["travel_estimated"] = np.where(wins, other["travel_estimated"].fillna(False),
                                           out["travel_estimated"]).astype(bool)
    out["served_by"] = np.where(wins, "point", "lieu")
    if "mature_minutes" in out.columns:
        mature = out["mature_minutes"].to_numpy(dtype=float)
        better = np.nan_to_num(theirs, nan=np.inf) < np.nan_to_num(mature, nan=np.inf)
        for key in _TRAVEL:
            out[f"mature_{key}"] = np.where(better, other[key].to_numpy(dtype=float),
                                            out[f"mature_{key}"].to_numpy(dtype=float))
        if "mature_travel_estimated" in out.columns and "travel_estimated" in other.columns:
            out["mature_travel_estimated"] = np.where(
                better, other["travel_estimated"].fillna(False),
                out["mature_travel_estimated"]).astype(bool)
    out[ALSO_COLUMN] = target
    return out


def _by_epci(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.assign(epci_siren=rows.get("epci_siren", "—"), epci_name=rows.get("epci_name", "—"),
                       population_covered=rows["population"].where(rows["covered"], 0))
    table = (rows.groupby(["epci_siren", "epci_name"], dropna=False, as_index=False)
             .agg(communes=("population", "size"), population=("population", "sum"),
                  population_covered=("population_covered", "sum")))
    total = table["population"].replace(0, np.nan)
    table["share"] = (table["population_covered"] / total).fillna(0.0)
    return table.sort_values("epci_name").reset_index(drop=True)


# --- Where next: maximal covering ----------------------------------------------------------

def coverage_matrix(sites: pd.DataFrame, demand: pd.DataFrame, threshold: float, *,
                    provider: DistanceProvider, unit: str = "minutes") -> sparse.csr_matrix:
    """Sparse boolean-like (int64) matrix: site i covers demand commune j within ``threshold``.

    Only pairs within the provider's straight radius are measured (KD-tree), then filtered by
    travel from the commune to the site (or by crow-fly km when ``unit == "km"``).
    """
    shape = (len(sites), len(demand))
    si, dj = _located(sites), _located(demand)
    if si.size == 0 or dj.size == 0:
        return sparse.csr_matrix(shape, dtype=np.int64)
    if unit == "minutes" and hasattr(provider, "pairs_within"):  # a road graph: limited runs
        j, i, _ = provider.pairs_within(_points(demand, dj), _points(sites, si), threshold)
        return sparse.csr_matrix((np.ones(i.size, dtype=np.int64), (si[i], dj[j])), shape=shape)
    radius = threshold if unit == "km" else provider.straight_radius_km(threshold)
    pairs = cKDTree(_xyz(sites, si)).sparse_distance_matrix(
        cKDTree(_xyz(demand, dj)), chord_for_km(radius) * (1 + 1e-9), output_type="ndarray")
    i, j = si[pairs["i"]], dj[pairs["j"]]
    if i.size:
        travel = provider.pairwise(_points(demand, j), _points(sites, i))
        value = travel.straight_km if unit == "km" else travel.minutes
        keep = np.asarray(value, dtype=float) <= threshold
        i, j = i[keep], j[keep]
    return sparse.csr_matrix((np.ones(i.size, dtype=np.int64), (i, j)), shape=shape)


def greedy_cover(matrix: sparse.csr_matrix, weights, k: int) -> list[int]:
    """Greedy maximal covering: at most k row indices, best marginal gain first.

    Guarantee: total ≥ (1 − 1/e) × optimum (submodular coverage). Stops early when no site
    adds anyone. Gains are updated in place (only the newly covered columns are touched),
    which does the job of a lazy greedy without a heap. Ties go to the lowest index.
    """
    rows, cols = sparse.csr_matrix(matrix), sparse.csc_matrix(matrix)
    left = np.asarray(weights, dtype=np.int64).copy()
    gains = rows @ left
    picks: list[int] = []
    for _ in range(min(k, rows.shape[0])):
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        reached = rows.indices[rows.indptr[best]:rows.indptr[best + 1]]
        reached = reached[left[reached] > 0]
        gains -= cols[:, reached] @ left[reached]
        left[reached] = 0
        picks.append(best)
    return picks


def exact_cover(matrix: sparse.csr_matrix, weights, k: int) -> tuple[list[int], int]:
    """The optimal k sites by brute force over combinations (small instances only)."""
    n = matrix.shape[0]
    k = min(k, n)
    if comb(n, k) > MAX_EXACT_COMBINATIONS:
        raise UserInputError(f"Trop de combinaisons ({formatting.integer(comb(n, k))}) pour une "
                             "résolution exacte : utilisez la méthode gloutonne.")
    reach, w = matrix.toarray().astype(bool), np.asarray(weights, dtype=np.int64)
    best, best_total = [], 0
    for combo in combinations(range(n), k):
        total = int(w[reach[list(combo)].any(axis=0)].sum())
        if total > best_total:
            best, best_total = list(combo), total
    return best, best_total


def where_next(access_or_communes: pd.DataFrame, places: pd.DataFrame, k: int = 3,
               threshold: float = DEFAULT_MINUTES, *, provider: DistanceProvider,
               candidates: pd.DataFrame | None = None, unit: str = "minutes",
               mature: bool = False, perimeter_only: bool = True,
               method: str = "greedy") -> pd.DataFrame:
    """Up to k sites that would cover the most still-uncovered inhabitants within ``threshold``.

    ``access_or_communes`` is the output of ``nearest`` (computed with the same provider) or
    plain communes (then ``nearest`` is run against ``places``). Candidate sites are the
    communes' inner points by default, or ``candidates`` (``lon``, ``lat`` and ``insee`` or
    ``id``). One row per pick, in order: ``rank``, the site's ``insee``/``id``/``name``,
    ``lon``, ``lat``, ``population_added``, ``communes_added``, ``population_cumulative``.
    ``method="exact"`` brute-forces small instances.
    """
    if unit not in ("minutes", "km"):
        raise UserInputError("L'unité du seuil doit être « minutes » ou « km ».")
    if method not in ("greedy", "exact"):
        raise UserInputError("La méthode doit être « greedy » (gloutonne) ou « exact » "
                             "(exacte).")
    access = access_or_communes
    if "minutes" not in access.columns:
        access = nearest(access, places, provider=provider)
    minutes, km = (None, threshold) if unit == "km" else (threshold, None)
    summary = covered(access, minutes, km, mature, perimeter_only)
    demand = summary.communes[~summary.communes["covered"]].reset_index(drop=True)
    sites = (summary.communes if candidates is None else candidates).reset_index(drop=True)
    matrix = coverage_matrix(sites, demand, threshold, provider=provider, unit=unit)
    weights = demand["population"].to_numpy(dtype=np.int64)
    picks = (exact_cover(matrix, weights, k)[0] if method == "exact"
             else greedy_cover(matrix, weights, k))
    return _suggestions(sites, matrix, weights, picks)


def _suggestions(sites: pd.DataFrame, matrix: sparse.csr_matrix, weights: np.ndarray,
                 picks: list[int]) -> pd.DataFrame:
    """The picks in order with the population and communes each one adds."""
    left = weights.copy()
    added, count = [], []
    for pick in picks:
        reached = matrix.indices[matrix.indptr[pick]:matrix.indptr[pick + 1]]
        reached = reached[left[reached] > 0]
        added.append(int(left[reached].sum()))
        count.append(int(reached.size))
        left[reached] = 0
    keys = [c for c in ("insee", "id", "name", "lon", "lat") if c in sites.columns]
    out = pd.DataFrame(sites.iloc[picks][keys]).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(picks) + 1))
    out["population_added"] = np.asarray(added, dtype=np.int64)
    out["communes_added"] = np.asarray(count, dtype=np.int64)
    out["population_cumulative"] = out["population_added"].cumsum()
    return out


# --- What the page and the CLI print ------------------------------------------------------

METHOD_PLAIN = ("Chaque suggestion est la commune où un nouveau lieu toucherait le plus "
                "d'habitants encore trop loin, en tenant compte des suggestions précédentes.")
METHOD_DETAIL = ("Choisir les meilleurs sites ensemble est un problème de « couverture "
                 "maximale » (Church et ReVelle, 1974) trop long à résoudre exactement sur un "
                 "territoire entier. Les sites sont donc choisis un par un, chaque fois celui qui "
                 "ajoute le plus d'habitants (méthode dite gloutonne) : le total obtenu est "
                 "garanti au moins égal à 63 % (1 − 1/e) du meilleur total possible avec le même "
                 "nombre de sites (Nemhauser, Wolsey et Fisher, 1978), et en pratique il en est "
                 "le plus souvent très proche.")


def _reach(summary: Summary) -> str:
    return (f"au plus à {threshold_label(summary.threshold_minutes, summary.threshold_km)} "
            f"{summary.target}")


def key_figures(summary: Summary) -> list[tuple[str, str]]:
    """The page's three key figures (label, French value); the share never contradicts the
    counts (« > 99,5 % » next to « 493 » habitants beyond the threshold)."""
    beyond = summary.population_total - summary.population_covered
    return [("Habitants à portée", formatting.integer(summary.population_covered)),
            ("Part de la population",
             formatting.percent(summary.population_covered, summary.population_total)),
            ("Habitants au-delà du seuil", formatting.integer(beyond))]


def shortfall_note(summary: Summary, suggestions: pd.DataFrame | None,
                   requested: int) -> str | None:
    """Why fewer sites than ``requested`` are suggested (None when there is nothing to say).

    ``summary`` is the coverage the suggestions were computed from (same threshold, same
    maturity) and ``suggestions`` the output of ``where_next``.
    """
    found = 0 if suggestions is None else len(suggestions)
    if requested <= 0 or found >= requested:
        return None
    beyond = summary.population_total - summary.population_covered
    reach = _reach(summary)
    if beyond <= 0:
        return ("Aucune implantation à suggérer : toute la population du périmètre vit déjà "
                f"{reach}.")
    added = 0 if not found else int(suggestions["population_added"].sum())
    left = beyond - added
    if left <= 0:
        verb = "suffit" if found == 1 else "suffisent"
        return (f"{formatting.count(found, 'site')} {verb} : toute la population du périmètre "
                f"vivrait alors {reach}.")
    people = formatting.count(left, "habitant")
    if not found:
        return (f"Aucune implantation à suggérer : aucun site candidat n'ajouterait d'habitants "
                f"({people} au-delà du seuil, à portée d'aucun candidat).")
    only = "Seul" if found == 1 else "Seuls"
    return (f"{only} {formatting.count(found, 'site')} : les autres candidats n'ajouteraient "
            f"personne ({people} encore au-delà du seuil, à portée d'aucun candidat).")


def epci_table(summary: Summary) -> pd.DataFrame:
    """Coverage per EPCI as a French table (« CC du Pays d'Olmes », « 1 206 », « > 99,5 % »)."""
    table = summary.by_epci
    return pd.DataFrame({
        "EPCI": [formatting.short_epci(name) for name in table["epci_name"]],
        "Communes": [formatting.integer(v) for v in table["communes"]],
        "Habitants": [formatting.integer(v) for v in table["population"]],
        "À portée": [formatting.integer(v) for v in table["population_covered"]],
        "Part": [formatting.percent(c, p) for c, p in
                 zip(table["population_covered"], table["population"], strict=True)],
    })


def flag_column(mature: bool) -> str:
    """The column saying a commune's travel fell back to the estimate (road network)."""
    return "mature_travel_estimated" if mature else "travel_estimated"


def estimated_communes(summary: Summary) -> int:
    """How many communes of the perimeter (with a place to reach) have a travel time that a
    road network could not answer, hence the estimate (0 without a road network)."""
    communes, column = summary.communes, flag_column(summary.mature)
    if column not in communes.columns or summary.threshold_km is not None:
        return 0
    reached = communes[_measure(communes, None, summary.mature)].notna()
    return int((communes[column].fillna(False).astype(bool) & reached).sum())


def far_table(summary: Summary, rows: int = 15, estimated: bool = True) -> pd.DataFrame:
    """The farthest communes (zones blanches) as a French table: travel in minutes
    (« 44 min ») or crow-fly kilometres, « aucun lieu » where there is none. ``estimated``:
    every time is the estimate (said in the header); otherwise (a road network) a commune
    whose travel fell back to the estimate says « (estimation) » beside its minutes."""
    far = summary.zones_blanches.head(rows)
    column = _measure(far, summary.threshold_km, summary.mature)
    est = " (estimation)" if estimated and summary.threshold_km is None else ""
    if summary.threshold_km is not None:
        header, values = "Distance à vol d'oiseau", [formatting.km(v) for v in far[column]]
    else:
        flags = (far[flag_column(summary.mature)].fillna(False).astype(bool).tolist()
                 if not estimated and flag_column(summary.mature) in far.columns
                 else [False] * len(far))
        header, values = f"Trajet{est}", [
            formatting.plain_minutes(v) + (" (estimation)" if f else "")
            for v, f in zip(far[column], flags, strict=True)]
    return pd.DataFrame({
        "Commune": far["name"].astype(object),
        "Habitants": [formatting.integer(v) for v in far["population"]],
        header: ["aucun lieu" if is_missing(v) else text
                 for v, text in zip(far[column], values, strict=True)],
    })


def suggestions_table(suggestions: pd.DataFrame) -> pd.DataFrame:
    """The suggested sites as a French table."""
    return pd.DataFrame({
        "Rang": [formatting.integer(v) for v in suggestions["rank"]],
        "Commune": suggestions["name"].astype(object),
        "Habitants ajoutés": [formatting.integer(v) for v in suggestions["population_added"]],
        "Cumul": [formatting.integer(v) for v in suggestions["population_cumulative"]],
    })


# --- JSON for the CLI ----------------------------------------------------------------------

REPORT_COMMUNE_KEYS = ["insee", "name", "population", "epci_siren", "nearest_place_id",
                       "nearest_place_name", "distance_km", "road_km", "minutes",
                       "nearest_mature_id", "mature_distance_km", "mature_road_km",
                       "mature_minutes", "covered"]


def report(access: pd.DataFrame, threshold_minutes: float | None = None,
           threshold_km: float | None = None, mature: bool = False,
           suggestions: pd.DataFrame | None = None, *, provider: DistanceProvider,
           perimeter_only: bool = True, requested: int | None = None) -> dict:
    """The JSON-ready coverage report (``observatory coverage --json``); keys are a stable
    interface for scripts: ``population_total``, ``population_covered``, ``share``,
    ``by_epci``, ``communes``, ``zones_blanches`` (INSEE codes, farthest first), ``suggestions``
    and ``suggestions_note`` (why fewer than ``requested`` sites are suggested, or None);
    ``travel_estimated_communes``: communes whose travel a road network could not answer."""
    summary = covered(access, threshold_minutes, threshold_km, mature, perimeter_only)
    communes = summary.communes
    return {
        "threshold": {"minutes": summary.threshold_minutes, "km": summary.threshold_km},
        "mature": mature,
        "distance_method": provider.label,
        "distance_is_estimate": bool(provider.is_estimate),
        "travel_estimated_communes": estimated_communes(summary),
        "summary": summary.sentence,
        "population_total": summary.population_total,
        "population_covered": summary.population_covered,
        "share": round(summary.share, 4),
        "by_epci": _records(summary.by_epci),
        "communes": _records(communes[[c for c in REPORT_COMMUNE_KEYS if c in communes.columns]]),
        "zones_blanches": summary.zones_blanches["insee"].tolist(),
        "suggestions": [] if suggestions is None else _records(suggestions),
        "suggestions_note": shortfall_note(summary, suggestions, requested or 0),
    }


def _records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: floats rounded to 2 decimals, NaN/<NA> as None, Python scalars."""
    frame = frame.round(2).astype(object)
    return frame.where(frame.notna(), None).to_dict(orient="records")
