"""The common filters of the app: a plain record, applied to the places, mirrored in the URL."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from observatory.formatting import number
from observatory.model import CRITERIA, CRITERIA_KEYS, SCORE_MAX, SCORE_MIN, SCORE_STEP

SCORE_PARAM = "min_"  # min_commons=2.5


@dataclass(frozen=True)
class PlaceFilters:
    """The filters applied to the places (empty: every place is shown)."""

    min_scores: Mapping[str, float] = field(default_factory=dict)
    typologies: tuple[str, ...] = ()
    epci: tuple[str, ...] = ()  # SIREN codes
    mature_only: bool = False
    search: str = ""

    def is_empty(self) -> bool:
        return self == PlaceFilters()


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "’": "'", "‘": "'",
                            "ʼ": "'", "`": "'"})


def fold(text: str) -> str:
    """Lower case without accents or ligatures: 'Écluse' matches 'ecluse', 'Cœur' 'coeur'."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def apply(places: pd.DataFrame, filters: PlaceFilters) -> pd.DataFrame:
    """Rows of ``places`` (with a boolean ``mature`` column) that pass every filter."""
    keep = pd.Series(True, index=places.index)
    for key, minimum in filters.min_scores.items():
        if minimum > SCORE_MIN:
            keep &= places[key].fillna(-1) >= minimum
    if filters.typologies:
        keep &= places["typology"].isin(filters.typologies)
    if filters.epci:
        keep &= places["epci_siren"].isin(filters.epci)
    if filters.mature_only:
        keep &= places["mature"].astype(bool)
    if filters.search.strip():
        needle = fold(filters.search.strip())
        keep &= places["name"].map(lambda n: needle in fold(str(n)))
    return places.loc[keep]


def describe(filters: PlaceFilters, epci_names: Mapping[str, str] | None = None) -> list[str]:
    """The filters in force, in French, one item per filter (empty: nothing is filtered).

    ``epci_names`` maps SIREN codes to the names to print (the short ones, « CC du Pays
    d'Olmes »); an unknown code is printed as is. Order: EPCI, typology, maturity, minimum
    scores (in the order of ``CRITERIA``), search — e.g. ``["EPCI CC du Pays d'Olmes",
    "lieux matures seulement", "recherche « atelier »"]``.
    """
    names = epci_names or {}
    items: list[str] = []
    if filters.epci:
        items.append("EPCI " + ", ".join(str(names.get(code, code)) for code in filters.epci))
    if filters.typologies:
        word = "typologie" if len(filters.typologies) == 1 else "typologies"
        items.append(f"{word} " + ", ".join(filters.typologies))
    if filters.mature_only:
        items.append("lieux matures seulement")
    for criterion in CRITERIA:
        minimum = filters.min_scores.get(criterion.key, SCORE_MIN)
        if minimum > SCORE_MIN:
            items.append(f"{criterion.label} ≥ {number(minimum)}")
    if filters.search.strip():
        items.append(f"recherche « {filters.search.strip()} »")
    return items


def to_query(filters: PlaceFilters) -> dict[str, str | list[str]]:
    """URL parameters for the non-default filters (lists become repeated keys)."""
    params: dict[str, str | list[str]] = {}
    for key in CRITERIA_KEYS:
        value = filters.min_scores.get(key, SCORE_MIN)
        if value > SCORE_MIN:
            params[SCORE_PARAM + key] = f"{value:g}"
    if filters.typologies:
        params["typologie"] = list(filters.typologies)
    if filters.epci:
        params["epci"] = list(filters.epci)
    if filters.mature_only:
        params["matures"] = "1"
    if filters.search.strip():
        params["q"] = filters.search.strip()
    return params


def from_query(params: Mapping[str, Sequence[str]], known_typologies: Sequence[str] = (),
               known_epci: Sequence[str] = ()) -> PlaceFilters:
    """Filters from URL parameters (each key mapped to its list of values).

    The URL is user input: unknown values and malformed numbers are dropped, not trusted.
    """
    def first(key: str) -> str:
        values = params.get(key) or []
        return str(values[0]) if values else ""

    scores: dict[str, float] = {}
    for key in CRITERIA_KEYS:
        raw = first(SCORE_PARAM + key).replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            continue
        if not math.isfinite(value):
            continue
        value = math.floor(value / SCORE_STEP + 0.5) * SCORE_STEP  # nearest step, halves up
        if SCORE_MIN < value <= SCORE_MAX:
            scores[key] = value
    typologies = tuple(t for t in params.get("typologie", []) if not known_typologies
                       or t in known_typologies)
    epci = tuple(e for e in params.get("epci", []) if not known_epci or e in known_epci)
    return PlaceFilters(
        min_scores=scores,
        typologies=typologies,
        epci=epci,
        mature_only=first("matures").strip().lower() in {"1", "true", "oui"},
        search=first("q")[:100],
    )
