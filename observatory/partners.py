"""Partner suggestions for one place, and a proposal of consortia covering the network."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from observatory.distances import DistanceProvider, pairs_within
from observatory.errors import UserInputError
from observatory.formatting import integer, is_missing, number, percent_value, travel
from observatory.model import CRITERIA, CRITERIA_KEYS, CRITERIA_WORD

DEFAULT_MAX_MINUTES = 40.0
FULL_GAP = 2.0  # a mean gap of two points on the 0–4 scale counts as full complementarity
STRONG_GAP = 1.0  # a criterion one point (or more) apart is named in the explanation
TYPOLOGY_SHARE = 0.6  # of the diversity term: another typology; the rest: shared thematics


@dataclass(frozen=True)
class Weights:
    """Relative weights of the terms of the partner score (any non-negative numbers).

    The defaults sum to one without the equipment term (which only counts with an
    inventory): a mature partner close by is not buried behind weaker places a little
    nearer, because maturity weighs as much as complementarity and a weaker partner earns
    nothing on complementarity (what the place would bring it is said, not scored).
    """

    proximity: float = 0.40
    complementarity: float = 0.25
    diversity: float = 0.10
    maturity: float = 0.25
    equipment: float = 0.10

    def __post_init__(self) -> None:
        if any(getattr(self, f.name) < 0 for f in fields(self)):
            raise UserInputError("Les poids doivent être positifs ou nuls.")


TERM_LABELS = {
    "proximity": "Proximité",
    "complementarity": "Complémentarité des critères",
    "diversity": "Typologies et thématiques",
    "maturity": "Maturité",
    "equipment": "Équipements",
}


def _scores(frame: pd.DataFrame) -> np.ndarray:
    return frame[list(CRITERIA_KEYS)].astype(float).to_numpy()


def _complementarity(origin: np.ndarray,
                     others: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(term, what partners bring, what the place brings), per partner.

    The term is what the partner brings only: how much stronger than the place it is, on
    average over the criteria (``FULL_GAP`` points on average is full complementarity). What
    the place would bring a weaker partner is returned for the explanation, not scored, so
    that a weak place does not rank as a good partner for being weak. A criterion not scored
    on either side says nothing: its gap counts as zero.
    """
    gap = np.nan_to_num(others - origin, nan=0.0)
    brings = np.clip(gap, 0, None)
    receives = np.clip(-gap, 0, None)
    term = np.clip(brings.mean(axis=1) / FULL_GAP, 0, 1)
    return term, brings, receives


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _equipment_term(origin_id: int, candidates: pd.DataFrame,
                    equipment: pd.DataFrame | None) -> tuple[np.ndarray, list[list[str]]]:
    """Share of the candidate's shareable equipment categories the place does not have."""
    if equipment is None or equipment.empty:
        return np.zeros(len(candidates)), [[] for _ in range(len(candidates))]
    shareable = equipment[equipment["mutualised"] | equipment["itinerant"]]
    by_place = shareable.groupby("place_id")["category"].agg(lambda s: set(s))
    own = by_place.get(origin_id, set())
    terms, missing = [], []
    for pid in candidates["id"]:
        theirs = by_place.get(pid, set())
        new = sorted(theirs - own)
        terms.append(len(new) / len(theirs) if theirs else 0.0)
        missing.append(new)
    return np.asarray(terms), missing


def suggest(places: pd.DataFrame, place_id: int, *, provider: DistanceProvider,
            weights: Weights = Weights(), max_minutes: float = DEFAULT_MAX_MINUTES,
            equipment: pd.DataFrame | None = None) -> pd.DataFrame:
    """Partners of one place within ``max_minutes``, best first, each with its explanation.

    ``places`` needs ``id, name, lon, lat, typology, thematics, mature`` and the five scores.
    The returned frame adds ``minutes``, ``road_km``, ``straight_km``, ``travel_estimated``
    (the pair's travel is the estimate: always with ``EstimatedRoad``, where a road graph or a
    matrix could not answer otherwise), one column per term
    (``t_proximity``…, each in [0, 1]), ``score`` (0–100), ``why`` (French), its clauses
    ``why_parts`` and ``short_why`` (a few words for a table), see ``explain``.
    ``provider`` is the settings' distance provider (``Settings.provider()``): required, so
    that no figure is computed with another one than the label printed beside it.
    """
    origin = places.loc[places["id"] == place_id]
    if origin.empty:
        raise KeyError(f"Lieu {place_id} introuvable.")
    others = places.loc[places["id"] != place_id]
    travel = provider.matrix(origin, others)
    minutes = travel.minutes[0]
    within = minutes <= max_minutes
    cand = others.loc[within].copy()
    cand["minutes"] = minutes[within]
    cand["road_km"] = travel.road_km[0][within]
    cand["straight_km"] = travel.straight_km[0][within]
    flagged = (np.full(minutes.shape, bool(provider.is_estimate)) if travel.estimated is None
               else np.asarray(travel.estimated, dtype=bool)[0])
    cand["travel_estimated"] = flagged[within]  # this pair is the estimate (a road graph's gap)
    if cand.empty:
        return cand.assign(score=pd.Series(dtype=float), why=pd.Series(dtype=str),
                           why_parts=pd.Series(dtype=object), short_why=pd.Series(dtype=str))

    o = origin.iloc[0]
    comp, brings, receives = _complementarity(_scores(origin)[0], _scores(cand))
    own_themes = set(o["thematics"] or [])
    cand["t_proximity"] = 1 - cand["minutes"] / max_minutes if max_minutes > 0 else 1.0
    cand["t_complementarity"] = comp
    cand["t_diversity"] = [
        TYPOLOGY_SHARE * (typ != o["typology"])
        + (1 - TYPOLOGY_SHARE) * _jaccard(own_themes, set(th or []))
        for typ, th in zip(cand["typology"], cand["thematics"], strict=True)]
    cand["t_maturity"] = cand["mature"].astype(float)
    cand["t_equipment"], new_equipment = _equipment_term(int(place_id), cand, equipment)

    active = {name: getattr(weights, name) for name in TERM_LABELS}
    if equipment is None or equipment.empty:
        active["equipment"] = 0.0  # no inventory yet: the term cannot say anything
    total = sum(active.values()) or 1.0
    cand["score"] = 100 * sum(cand[f"t_{n}"] * w for n, w in active.items()) / total
    explained = [
        explain(o, row, brings[k], receives[k], new_equipment[k],
                bool(provider.is_estimate or row["travel_estimated"]))
        for k, row in enumerate(cand.to_dict(orient="records"))]
    cand["why_parts"] = [e.parts for e in explained]
    cand["why"] = [e.text for e in explained]
    cand["short_why"] = [e.short for e in explained]
    return cand.sort_values(["score", "minutes"], ascending=[False, True]).reset_index(drop=True)


def _score_text(value) -> str:
    return "non évalué" if is_missing(value) else number(value)


def _evaluated(row, keys=CRITERIA_KEYS) -> bool:
    return any(not is_missing(row[k]) for k in keys)


@dataclass(frozen=True)
class Explanation:
    """Why a partner is listed, in French: ``parts`` (one clause each), ``text`` (the
    clauses joined, the ``why`` of the JSON) and ``short`` (a few words for a table cell).

    « vous » is the selected place; the partner is named. Both directions are stated: what
    the partner is stronger in, and what the place would bring it; « none » is said too.
    """

    parts: tuple[str, ...]
    short: str

    @property
    def text(self) -> str:
        return " ; ".join(self.parts)


def explain(origin, partner, brings: np.ndarray, receives: np.ndarray,
            new_equipment: list[str], estimated: bool = True) -> Explanation:
    """The explanation of one partner (``origin``/``partner``: rows with the place columns,
    ``minutes`` and ``road_km`` on the partner; ``brings``/``receives``: the per-criterion
    gaps of ``_complementarity``)."""
    name = str(partner["name"])
    parts = [f"à {travel(partner['minutes'])} min (≈ {travel(partner['road_km'])} km"
             + (", estimation)" if estimated else ")")]
    short = []
    if partner["mature"]:
        parts.append("lieu mature, peut porter le consortium")
        short.append("mature")
    if not _evaluated(origin):
        parts.append("votre lieu n'est pas encore évalué : pas de comparaison des critères")
    elif not _evaluated(partner):
        parts.append(f"{name} n'est pas encore évalué : pas de comparaison des critères")
    else:
        strong = [c for c, gap in zip(CRITERIA, brings, strict=True) if gap >= STRONG_GAP]
        given = [c for c, gap in zip(CRITERIA, receives, strict=True) if gap >= STRONG_GAP]
        if strong:
            parts.append(f"{name} est fort là où vous l'êtes moins : " + ", ".join(
                f"{c.short} ({_score_text(partner[c.key])} contre "
                f"{_score_text(origin[c.key])} chez vous)" for c in strong))
            short.append("plus fort que vous en " + ", ".join(c.short for c in strong))
        else:
            # not « n'est plus fort », which also reads « is no longer strong »
            parts.append(f"{name} ne vous dépasse sur aucun critère")
        if given:
            parts.append(f"vous apportez à {name} : " + ", ".join(
                f"{c.short} ({_score_text(origin[c.key])} chez vous contre "
                f"{_score_text(partner[c.key])})" for c in given))
        else:
            parts.append(f"vous ne dépassez {name} sur aucun critère")
    if partner["typology"] != origin["typology"]:
        parts.append(f"{partner['typology']} qui complète un lieu de type {origin['typology']}")
        short.append(f"autre typologie ({partner['typology']})")
    common = sorted(set(partner.get("thematics") or []) & set(origin["thematics"] or []))
    if common:
        parts.append("thématiques communes : " + ", ".join(common))
        short.append("thématiques communes")
    year = partner.get("opening_year")
    if not is_missing(year):
        parts.append(f"ouvert en {int(year)}")
    if new_equipment:
        parts.append("équipements partageables : " + ", ".join(new_equipment))
        short.append("équipements à partager")
    return Explanation(tuple(parts), " ; ".join(short) or "proche")


def ranking_explanation(weights: Weights = Weights(), *,
                        max_minutes: float = DEFAULT_MAX_MINUTES,
                        with_equipment: bool = False) -> list[str]:
    """How ``suggest`` ranks, in plain French, one sentence per term with its share of the
    score (the weights as they count: the equipment term only with an inventory)."""
    active = {name: getattr(weights, name) for name in TERM_LABELS}
    if not with_equipment:
        active["equipment"] = 0.0
    total = sum(active.values())

    def share(name: str) -> str:
        return percent_value(active[name] / total) if total else percent_value(0)

    limit = integer(max_minutes)
    lines = [
        f"**{TERM_LABELS['proximity']}** ({share('proximity')}) : 1 pour un lieu à la porte, "
        f"0 à la limite de {limit} minutes, en proportion entre les deux.",
        f"**{TERM_LABELS['complementarity']}** ({share('complementarity')}) : combien le "
        f"partenaire est plus fort que votre lieu, en moyenne sur les {CRITERIA_WORD} critères "
        f"(note maximale pour {integer(FULL_GAP)} points d'écart en moyenne). Ce que votre lieu "
        "apporterait à un partenaire plus faible est dit dans l'explication mais ne compte pas "
        "dans le score : un lieu faible n'est pas un meilleur partenaire parce qu'il est faible.",
        f"**{TERM_LABELS['maturity']}** ({share('maturity')}) : tout pour un lieu mature, qui "
        "peut porter le consortium, rien sinon.",
        f"**{TERM_LABELS['diversity']}** ({share('diversity')}) : "
        f"{percent_value(TYPOLOGY_SHARE)} de la note pour une autre typologie que la vôtre, "
        f"{percent_value(1 - TYPOLOGY_SHARE)} selon la part des thématiques en commun.",
    ]
    if with_equipment:
        lines.append(f"**{TERM_LABELS['equipment']}** ({share('equipment')}) : la part des "
                     "catégories d'équipements partageables du partenaire que vous n'avez pas.")
    else:
        lines.append(f"**{TERM_LABELS['equipment']}** : pas pris en compte ici (aucun "
                     "inventaire d'équipements relié au classement).")
    lines.append("Le score, sur 100, est la somme de ces notes pondérées ; à score égal, le "
                 "plus proche passe devant.")
    return lines


@dataclass(frozen=True)
class NetworkProposal:
    """Consortia proposed around network heads (têtes de réseau)."""

    links: pd.DataFrame  # head_id, member_id, minutes, road_km
    unassigned: list[int]  # non-mature places with no head within reach or no room
    heads_alone: list[int]  # heads with no member

    @property
    def consortia(self) -> int:
        return int(self.links["head_id"].nunique()) if len(self.links) else 0

    @property
    def total_minutes(self) -> float:
        return float(self.links["minutes"].sum()) if len(self.links) else 0.0

    @property
    def worst_minutes(self) -> float:
        return float(self.links["minutes"].max()) if len(self.links) else 0.0

    def summary(self) -> dict[str, float]:
        return {
            "consortia": self.consortia,
            "members": int(len(self.links)),
            "unassigned": len(self.unassigned),
            "total_minutes": round(self.total_minutes, 1),
            "worst_minutes": round(self.worst_minutes, 1),
            "mean_minutes": (round(self.total_minutes / len(self.links), 1)
                             if len(self.links) else 0.0),
        }


def propose_network(places: pd.DataFrame, *, provider: DistanceProvider,
                    max_minutes: float = DEFAULT_MAX_MINUTES, max_size: int = 5) -> NetworkProposal:
    """Mature places head consortia of non-mature places nearby.

    Each place joins at most one consortium, each consortium has at most ``max_size``
    places (its head included), and, among the assignments that place the most members,
    the total travel time is minimal: an exact min-cost bipartite matching between the
    members and the heads' free seats (scipy's LAPJVsp on a sparse graph), where every
    member also has a private "stays alone" seat at a prohibitive cost.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    if max_size < 2:
        raise UserInputError("Un consortium compte au moins deux lieux.")
    frame = places.reset_index(drop=True)
    heads = np.flatnonzero(frame["mature"].to_numpy(dtype=bool))
    members = np.flatnonzero(~frame["mature"].to_numpy(dtype=bool))
    empty = pd.DataFrame({"head_id": [], "member_id": [], "minutes": [], "road_km": [],
                          "estimated": pd.Series(dtype=bool)})
    if len(heads) == 0 or len(members) == 0:
        return NetworkProposal(empty, frame.loc[members, "id"].astype(int).tolist(),
                               frame.loc[heads, "id"].astype(int).tolist())

    pairs = pairs_within(frame, provider.straight_radius_km(max_minutes))
    is_head = frame["mature"].to_numpy(dtype=bool)
    # Keep head–member pairs only, oriented (member, head).
    cross = pairs[is_head[pairs["i"]] != is_head[pairs["j"]]]
    member_pos = np.where(is_head[cross["i"]], cross["j"], cross["i"])
    head_pos = np.where(is_head[cross["i"]], cross["i"], cross["j"])
    travel = provider.pairwise(frame.iloc[member_pos], frame.iloc[head_pos])
    ok = travel.minutes <= max_minutes
    member_pos, head_pos = member_pos[ok], head_pos[ok]
    minutes, road_km = travel.minutes[ok], travel.road_km[ok]
    flagged = (np.full(ok.shape, bool(provider.is_estimate)) if travel.estimated is None
               else np.asarray(travel.estimated, dtype=bool))[ok]

    seats = max_size - 1
    row_of = {pos: r for r, pos in enumerate(members)}
    col_of_head = {pos: c for c, pos in enumerate(heads)}
    rows = np.array([row_of[p] for p in member_pos], dtype=int)
    head_cols = np.array([col_of_head[p] for p in head_pos], dtype=int)
    # Every seat of a head is a column; ties between seats are harmless.
    seat_rows = np.repeat(rows, seats)
    seat_cols = (head_cols[:, None] * seats + np.arange(seats)[None, :]).ravel()
    seat_cost = np.repeat(minutes, seats) + 1.0  # +1: zero would mean "no edge"
    n_members, n_seat_cols = len(members), len(heads) * seats
    alone_cost = 10.0 * max_minutes * max(n_members, 1) + 1.0
    all_rows = np.concatenate([seat_rows, np.arange(n_members)])
    all_cols = np.concatenate([seat_cols, n_seat_cols + np.arange(n_members)])
    all_cost = np.concatenate([seat_cost, np.full(n_members, alone_cost)])
    graph = csr_matrix((all_cost, (all_rows, all_cols)), shape=(n_members, n_seat_cols + n_members))
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    matched = np.empty(n_members, dtype=int)
    matched[row_ind] = col_ind

    assigned = matched < n_seat_cols
    lookup = pd.DataFrame({"row": rows, "head_col": head_cols, "minutes": minutes,
                           "road_km": road_km, "estimated": flagged}).drop_duplicates(
                               ["row", "head_col"])
    chosen = pd.DataFrame({"row": np.flatnonzero(assigned),
                           "head_col": matched[assigned] // seats})
    chosen = chosen.merge(lookup, on=["row", "head_col"], how="left")
    ids = frame["id"].astype(int).to_numpy()
    links = pd.DataFrame({
        "head_id": ids[heads[chosen["head_col"].to_numpy()]],
        "member_id": ids[members[chosen["row"].to_numpy()]],
        "minutes": chosen["minutes"].to_numpy(),
        "road_km": chosen["road_km"].to_numpy(),
        "estimated": chosen["estimated"].to_numpy(dtype=bool),  # this link is the estimate
    }).sort_values(["head_id", "minutes"]).reset_index(drop=True)
    unassigned = sorted(int(ids[members[r]]) for r in np.flatnonzero(~assigned))
    alone = sorted(set(ids[heads].tolist()) - set(links["head_id"].tolist()))
    return NetworkProposal(links, unassigned, alone)


# --- Fabriques de territoire as network heads ------------------------------------------------

FABRIQUE_LABEL = "Fabrique de territoire"


def fabrique_name(name: object) -> str:
    """How a Fabrique heading a proposed consortium is named: never mistaken for a place of
    the inventory (« Fabrique de territoire : Écorce »)."""
    return f"{FABRIQUE_LABEL} : {name}"


def with_fabriques(places: pd.DataFrame, fabriques: pd.DataFrame) -> pd.DataFrame:
    """The places plus the Fabriques de territoire as candidate heads of
    ``propose_network``: each Fabrique (``id``, ``name``, ``lon``, ``lat``, as the programme
    places) joins as a mature row with its id **negated** (no place id is negative, and a
    distance matrix keyed by place ids cannot mistake it) and its name prefixed
    (``fabrique_name``); ``is_fabrique`` tells them apart. Fabriques are heads only: never
    members, never scored."""
    out = places.copy()
    out["is_fabrique"] = False
    located = fabriques[fabriques["lon"].notna() & fabriques["lat"].notna()]
    if located.empty:
        return out
    heads = pd.DataFrame({"id": -located["id"].astype(int).to_numpy(),
                          "name": [fabrique_name(n) for n in located["name"]],
                          "lon": located["lon"].to_numpy(dtype=float),
                          "lat": located["lat"].to_numpy(dtype=float),
                          "mature": True, "is_fabrique": True})
    if "commune" in located.columns and "commune" in out.columns:
        heads["commune"] = located["commune"].to_numpy()
    return pd.concat([out, heads], ignore_index=True)
