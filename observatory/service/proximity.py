"""Proximity use cases: partners of a place, a network proposal, the saved consortia,
territorial coverage and the measure's indicators.

Streamlit-free. The distance provider is the settings' one (``Settings.provider()``), never a
default: each result carries the provider's ``label`` (and whether it is an estimate), so a
page or a command prints the label of the provider that computed its figures. The
``observatory`` CLI and the pages Partenaires, Couverture and Consortiums call these.

Two levels: functions taking a connection (``partners_for``, ``network``, ``coverage_report``,
``consortia``, ``indicators``) read what they need from the store; the frame-level ones
(``rank_partners``, ``network_proposal``, ``access``, ``where_next``) work on places the caller
already holds (the pages keep them in a Streamlit cache).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from observatory import consortia as consortia_rules
from observatory import coverage as coverage_rules
from observatory import eligibility, formatting, partners, routing
from observatory import indicators as indicator_rules
from observatory.consortia import Consortium
from observatory.distances import DistanceProvider, EstimatedRoad
from observatory.errors import UserInputError
from observatory.formatting import is_missing
from observatory.model import CONSORTIUM_STATUSES
from observatory.service import core
from observatory.service import equipment as equipment_cases
from observatory.service import programmes as programme_cases
from observatory.settings import Settings
from observatory.store import consortia as store_consortia
from observatory.store import live, territory

DEFAULT_TOP = 20  # partners listed by `observatory partners` unless --top says otherwise
DEFAULT_MAX_SIZE = 5  # places in a proposed consortium, its head included


# --- The distance provider -------------------------------------------------------------------

def with_distance(settings: Settings, *, circuity: float | None = None,
                  speed_kmh: float | None = None) -> Settings:
    """The settings with the estimate's circuity and speed overridden (``--circuity``,
    ``--speed``); a value the estimate refuses is a French ``UserInputError``."""
    changed = replace(settings,
                      circuity=settings.circuity if circuity is None else float(circuity),
                      speed_kmh=settings.speed_kmh if speed_kmh is None else float(speed_kmh))
    try:
        EstimatedRoad(circuity=changed.circuity, speed_kmh=changed.speed_kmh)
    except ValueError as exc:  # the estimate's own French refusal (range of each parameter)
        raise UserInputError(str(exc)) from None
    return changed


def provider(settings: Settings) -> DistanceProvider:
    """The provider every figure of these use cases is computed with."""
    return core.provider(settings)


def _text(value) -> str:
    """A table cell: the value, or « – » when missing."""
    return formatting.MISSING if is_missing(value) else str(value)


def _travel_columns(is_estimate: bool) -> tuple[str, str]:
    """The headers of a travel time and a road distance (« est. » beside an estimate only)."""
    est = ", est." if is_estimate else ""
    return f"Trajet (min{est})", f"Route (km{est})"


_YES_NO = {True: "oui", False: "non"}


def _flags(frame: pd.DataFrame, column: str, is_estimate: bool) -> list[bool]:
    """Which rows to mark « (estimation) »: none when every figure is an estimate (the
    headers say so), the rows flagged in ``column`` otherwise."""
    if is_estimate or column not in frame:
        return [False] * len(frame)
    return [bool(v) for v in frame[column]]


def _rounded(value, digits: int) -> float | None:
    return None if is_missing(value) else round(float(value), digits)


# --- Partners of one place -------------------------------------------------------------------

@dataclass(frozen=True)
class Partners:
    """The partners of one place within reach, best first, with what would keep each one
    from carrying a project of the call year on its own account."""

    place_id: int
    call_year: int
    max_minutes: float
    max_km: float | None
    distance_method: str  # the provider's label
    is_estimate: bool
    ranked: pd.DataFrame  # partners.suggest's columns, plus ``problems`` and ``eligible``

    def records(self, top: int | None = None) -> list[dict]:
        """JSON-ready partners (``observatory partners --json``), the first ``top`` of them.

        ``place_id``, ``distance_km`` (great circle), ``eligible`` and ``reasons`` are the
        published names; ``id``, ``straight_km``, ``can_carry`` and ``problems`` are the
        same values under their earlier names, kept for the scripts that read them.
        """
        rows = self.ranked if top is None else self.ranked.head(top)
        out = []
        for r in rows.to_dict(orient="records"):
            reasons = list(r["problems"])
            out.append({
                "place_id": int(r["id"]), "id": int(r["id"]), "name": r["name"],
                "commune": None if is_missing(r.get("commune")) else r.get("commune"),
                "distance_km": _rounded(r["straight_km"], 2),
                "straight_km": _rounded(r["straight_km"], 2),
                "road_km": _rounded(r["road_km"], 1), "minutes": _rounded(r["minutes"], 1),
                "score": _rounded(r["score"], 1),
                "terms": {n: _rounded(r[f"t_{n}"], 3) for n in partners.TERM_LABELS},
                "mature": bool(r["mature"]), "eligible": not reasons, "can_carry": not reasons,
                "reasons": reasons, "problems": reasons, "why": r["why"]})
        return out

    def columns(self) -> tuple[str, str]:
        """The headers of the travel time and road distance (« est. » for an estimate)."""
        return _travel_columns(self.is_estimate)

    def fallback_note(self) -> str:
        """How many of these trips a road network could not answer (their estimate is
        shown, marked), in French; "" when none or when every figure is an estimate."""
        if self.is_estimate or "travel_estimated" not in self.ranked:
            return ""
        return routing.fallback_note(int(self.ranked["travel_estimated"].sum()))

    def table(self) -> pd.DataFrame:
        """The partners as a user reads them: rank, name, score, travel, whether mature and
        whether it can carry a project of the call year, a short reason, commune, typology;
        French numbers, « oui »/« non », « – » for what is missing. With a road network, a
        trip that fell back to the estimate says « (estimation) » beside its minutes."""
        minutes_column, road_column = self.columns()
        r = self.ranked
        flags = _flags(r, "travel_estimated", self.is_estimate)
        communes = r["commune"] if "commune" in r else [None] * len(r)
        return pd.DataFrame({
            "Rang": list(range(1, len(r) + 1)),
            "Lieu": [_text(v) for v in r["name"]],
            "Score": [formatting.integer(v) for v in r["score"]],
            minutes_column: [routing.flag(formatting.travel(v), f)
                             for v, f in zip(r["minutes"], flags, strict=True)],
            road_column: [formatting.travel(v) for v in r["road_km"]],
            "Mature": [_YES_NO[bool(v)] for v in r["mature"]],
            f"Peut porter en {self.call_year}": [_YES_NO[bool(v)] for v in r["eligible"]],
            "En bref": [_text(v) for v in r["short_why"]],
            "Commune": [_text(v) for v in communes],
            "Typologie": [_text(v) for v in r["typology"]],
        }, dtype=object).astype({"Rang": int})

    def details(self) -> list[dict]:
        """Each partner's full explanation, best first: ``title`` (« 1. name — score 72 »),
        ``parts`` (its clauses, « vous » being the selected place) and ``carry`` (whether it
        can carry a project of the call year, and if not why, in French)."""
        out = []
        for k, r in enumerate(self.ranked.to_dict(orient="records"), start=1):
            problems = list(r["problems"])
            carry = (f"peut porter un projet en {self.call_year}" if not problems else
                     f"ne peut pas porter un projet en {self.call_year} : "
                     + " ; ".join(problems))
            out.append({"id": int(r["id"]),
                        "title": f"{k}. {r['name']} — score {formatting.integer(r['score'])}",
                        "parts": list(r["why_parts"]), "carry": carry})
        return out


# The default weights and rules of rank_partners (frozen dataclasses, so safe to share).
DEFAULT_WEIGHTS = partners.Weights()
DEFAULT_RULES = eligibility.MeasureRules()


def rank_partners(places: pd.DataFrame, settings: Settings, place_id: int, *,
                  max_minutes: float = partners.DEFAULT_MAX_MINUTES, max_km: float | None = None,
                  call_year: int | None = None,
                  weights: partners.Weights = DEFAULT_WEIGHTS,
                  rules: eligibility.MeasureRules = DEFAULT_RULES) -> Partners:
    """Partners of ``place_id`` among ``places`` (the current places, annotated), within
    ``max_minutes`` of travel and, when given, ``max_km`` as the crow flies."""
    if place_id not in set(places["id"].astype(int)):
        raise UserInputError(f"Lieu {place_id} introuvable (voir « observatory places »).")
    if max_km is not None and not max_km >= 0:
        raise UserInputError("La distance maximale doit être un nombre positif de kilomètres.")
    if not max_minutes >= 0:
        raise UserInputError("Le temps de trajet maximal doit être un nombre positif de minutes.")
    year = settings.call_year if call_year is None else int(call_year)
    distances = provider(settings)
    ranked = partners.suggest(places, place_id, provider=distances, weights=weights,
                              max_minutes=max_minutes)
    if max_km is not None:
        ranked = ranked[ranked["straight_km"] <= max_km].reset_index(drop=True)
    ranked = ranked.copy()
    ranked["problems"] = eligibility.member_problems(ranked, year, rules) if len(ranked) else []
    ranked["eligible"] = [not p for p in ranked["problems"]]
    return Partners(int(place_id), year, float(max_minutes), max_km, distances.label,
                    bool(distances.is_estimate), ranked)


def partners_for(con, settings: Settings, place_id: int, **options) -> Partners:
    """``rank_partners`` among the current places of the store (``options`` are its own)."""
    return rank_partners(core.current_places(con), settings, place_id, **options)


# --- A network of consortia ------------------------------------------------------------------

@dataclass(frozen=True)
class Network:
    """Consortia proposed around the mature places (têtes de réseau)."""

    proposal: partners.NetworkProposal
    names: Mapping[int, str]
    distance_method: str
    is_estimate: bool

    def groups(self) -> list[dict]:
        """The proposed consortia, JSON-ready; ``head_kind`` is ``fabrique`` for a Fabrique
        de territoire heading one (its ``head_id`` is then its programme id negated)."""
        links = self.proposal.links
        return [{"head_id": int(h), "head": self.names[h],
                 "head_kind": "fabrique" if int(h) < 0 else "lieu",
                 "members": [{"id": int(m.member_id), "name": self.names[m.member_id],
                              "minutes": round(float(m.minutes), 1),
                              "road_km": round(float(m.road_km), 1)} for m in g.itertuples()]}
                for h, g in links.groupby("head_id")]

    def table(self, labels: Mapping[int, str] | None = None) -> pd.DataFrame:
        """The proposed links as a user reads them (head, member, travel in French numbers);
        ``labels``: how to name a place (its name by default)."""
        labels = self.names if labels is None else labels
        links = self.proposal.links
        minutes_column, road_column = _travel_columns(self.is_estimate)
        flags = _flags(links, "estimated", self.is_estimate)
        return pd.DataFrame({
            "Tête de réseau": [_text(labels[h]) for h in links["head_id"]],
            "Lieu rattaché": [_text(labels[m]) for m in links["member_id"]],
            minutes_column: [routing.flag(formatting.travel(v), f)
                             for v, f in zip(links["minutes"], flags, strict=True)],
            road_column: [formatting.travel(v) for v in links["road_km"]],
        }, dtype=object)

    def estimated_links(self) -> set[tuple[int, int]]:
        """(head id, member id) of the links that fell back to the estimate (road network
        only: empty when every figure is the estimate)."""
        links = self.proposal.links
        if self.is_estimate or "estimated" not in links:
            return set()
        flagged = links[links["estimated"].astype(bool)]
        return {(int(h), int(m)) for h, m in zip(flagged["head_id"], flagged["member_id"],
                                                  strict=True)}

    def fallback_note(self) -> str:
        """How many proposed links fell back to the estimate (road network only), French."""
        if self.is_estimate or "estimated" not in self.proposal.links:
            return ""
        return routing.fallback_note(int(self.proposal.links["estimated"].sum()))

    def to_dict(self) -> dict:
        """JSON-ready (``observatory network --json``)."""
        return {**self.proposal.summary(), "distance_method": self.distance_method,
                "distance_is_estimate": self.is_estimate, "consortia_proposed": self.groups(),
                "unassigned_ids": [int(i) for i in self.proposal.unassigned],
                "heads_alone_ids": [int(i) for i in self.proposal.heads_alone]}


def network_proposal(places: pd.DataFrame, settings: Settings, *,
                     max_minutes: float = partners.DEFAULT_MAX_MINUTES,
                     max_size: int = DEFAULT_MAX_SIZE,
                     fabriques: pd.DataFrame | None = None) -> Network:
    """Mature places head consortia of non-mature places within ``max_minutes``; with
    ``fabriques`` (the territory's Fabriques de territoire, as programme places) they are
    candidate heads too (``partners.with_fabriques``: negative ids, names saying
    « Fabrique de territoire »)."""
    distances = provider(settings)
    if fabriques is not None and len(fabriques):
        places = partners.with_fabriques(places, fabriques)
    proposal = partners.propose_network(places, provider=distances, max_minutes=max_minutes,
                                        max_size=max_size)
    names = dict(zip(places["id"].astype(int), places["name"], strict=True))
    return Network(proposal, names, distances.label, bool(distances.is_estimate))


def network(con, settings: Settings, *, with_fabriques: bool = False, **options) -> Network:
    """``network_proposal`` over the current places of the store (and, ``with_fabriques``,
    the territory's Fabriques de territoire as candidate heads)."""
    heads = None
    if with_fabriques:
        heads = programme_cases.fabriques(programme_cases.programme_places(con))
    return network_proposal(core.current_places(con), settings, fabriques=heads, **options)


# --- Saved consortia -------------------------------------------------------------------------

def consortium_record(row: Mapping) -> dict:
    """One saved consortium, JSON-ready: ``id``, ``name``, ``members`` (place ids), ``lead``
    (place id), ``call_year``, ``status`` are the published names; ``member_ids`` and
    ``lead_place_id`` repeat them under their earlier names."""
    location = row.get("location_place_id")
    members = [int(m) for m in row["member_ids"]]
    return {"id": int(row["id"]), "name": row["name"], "members": members,
            "lead": int(row["lead_place_id"]), "call_year": int(row["call_year"]),
            "status": row["status"], "status_label": CONSORTIUM_STATUSES[row["status"]],
            "location": None if is_missing(location) else int(location),
            "formed": row["status"] in consortia_rules.FORMED_STATUSES,
            "member_ids": members, "lead_place_id": int(row["lead_place_id"]),
            "version": int(row["version"])}


def saved_consortia(con) -> pd.DataFrame:
    """The consortia not archived, newest call first, with their member ids as a list."""
    return store_consortia.current(con)


def consortium_history(con, consortium_id: int) -> pd.DataFrame:
    """Every saved state of one consortium, newest first (who changed it, when, how)."""
    return store_consortia.history(con, consortium_id)


def _actor(actor: str) -> str:
    name = str(actor or "").strip()
    if not name:  # a bug in the caller: every door knows who acts
        raise ValueError("actor is required: the audit trail names who made the change")
    return name


def save_consortium(con, consortium: Consortium, *, actor: str) -> int:
    """Create (no id) or update (with the version check: ``ConflictError`` when someone else
    saved it since it was read) in one transaction, audited; returns the consortium's id.

    In the same transaction its application to its call year follows
    (``equipment.link_application``): a consortium set to « Déposé » appears among the
    applications of the Appels à projets page, linked to the one entered there if any.
    """
    actor = _actor(actor)
    with core.transaction(con):
        if consortium.id is None:
            before, saved_id = None, store_consortia.create(con, consortium, actor)
        else:
            before = store_consortia.status_of(con, consortium.id)
            store_consortia.update(con, consortium, actor)
            saved_id = consortium.id
        equipment_cases.link_application(
            con, saved_id, consortium.call_year, consortium.status,
            changed=before != (consortium.status, consortium.call_year), actor=actor)
    return saved_id


def archive_consortium(con, consortium_id: int, *, actor: str) -> None:
    """Archive a consortium (kept with its history), audited."""
    actor = _actor(actor)
    with core.transaction(con):
        store_consortia.archive(con, consortium_id, actor)


def consortia(con) -> dict:
    """The saved consortia and their counts (``observatory consortia --json``)."""
    saved = saved_consortia(con)
    return consortia_listing(saved)


def consortia_listing(saved: pd.DataFrame) -> dict:
    counts = consortia_rules.counts_by_year_and_status(saved)
    return {"consortia": [consortium_record(r) for r in saved.to_dict(orient="records")],
            "formed": consortia_rules.formed_count(saved),
            "by_call_year_and_status": {
                str(y): dict(zip(g["status"], g["consortia"].astype(int).tolist(), strict=True))
                for y, g in counts.groupby("call_year")}}


# --- Coverage --------------------------------------------------------------------------------

def access(communes: pd.DataFrame, places: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Nearest place and nearest mature place of every commune, by the settings' provider."""
    return coverage_rules.nearest(communes, places, provider=provider(settings))


def where_next(access_rows: pd.DataFrame, places: pd.DataFrame, settings: Settings, *,
               k: int, threshold: float, unit: str = "minutes",
               mature: bool = False) -> pd.DataFrame:
    """Up to ``k`` communes where a new place would cover the most inhabitants beyond the
    threshold (``access_rows`` must come from ``access`` with the same settings)."""
    return coverage_rules.where_next(access_rows, places, k=k, threshold=threshold,
                                     provider=provider(settings), unit=unit, mature=mature)


def coverage_report(con, settings: Settings, *, minutes: float | None = None,
                    km: float | None = None, mature: bool = False, suggest: int = 0,
                    france_services: bool = False) -> dict:
    """The coverage report of ``observatory coverage --json``: within ``minutes`` of travel
    (default 20) or ``km`` as the crow flies of a place (or a mature place), and ``suggest``
    sites where a new place would reach the most inhabitants still beyond it;
    ``france_services``: the territory's France services count as places."""
    if minutes is not None and km is not None:
        raise UserInputError("Choisissez un seuil en minutes ou en kilomètres, pas les deux.")
    if suggest < 0:
        raise UserInputError("Le nombre de suggestions doit être positif ou nul.")
    communes, current = territory.communes(con), core.current_places(con)
    distances = provider(settings)
    rows = coverage_rules.nearest(communes, current, provider=distances)
    if france_services:
        rows = programme_cases.access_with_france_services(
            rows, communes, programme_cases.programme_places(con), settings)
    unit = "km" if km is not None else "minutes"
    threshold = km if km is not None else (coverage_rules.DEFAULT_MINUTES if minutes is None
                                           else minutes)
    picks = None
    if suggest:
        picks = coverage_rules.where_next(rows, current, k=suggest, threshold=threshold,
                                          provider=distances, unit=unit, mature=mature)
    return coverage_rules.report(rows, threshold_minutes=None if km is not None else threshold,
                                 threshold_km=km, mature=mature, suggestions=picks,
                                 provider=distances, requested=suggest)


# --- Indicators ------------------------------------------------------------------------------

def indicators(con) -> dict[str, dict]:
    """The measure's three indicators, each a total and its breakdowns per call year and
    per EPCI (``observatory indicators --json``)."""
    return live.bundle(con, label="", created_by="").indicators


INDICATOR_LABELS = indicator_rules.INDICATORS
