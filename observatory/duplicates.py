"""Probable duplicates: records that describe the same place, with a score and a French reason.

Pure rules (no Streamlit, no database). A record is a place of the inventory or an incoming
row of an import; two records are compared only when they share a commune, sit in
neighbouring communes, lie within ``NEAR_KM`` of each other, or share a SIRET, a phone or a
website (blocking: 3,500 places compare in well under a second, never all pairs).

The score (0–100) adds three kinds of evidence:

- the names, once normalised (``name_tokens``: accents, case, punctuation and spaces aside,
  articles and prefixes such as « Tiers-lieu », « Espace », « Association » dropped, and the
  name of the place's own commune when both are in the same one): up to ``NAME_POINTS``;
  a similarity under ``NAME_FLOOR`` gives nothing;
- the place: the distance between two precise points, else the same or a neighbouring commune;
- identifiers: the same SIRET, phone or website (two different SIRET count against); one
  that more than ``SHARED_BY`` records give (a network's national site) counts for nothing.

A pair is proposed from ``THRESHOLD``; the analyst decides (merge, or « pas un doublon »).
String similarity is rapidfuzz's (``fuzz.ratio`` on the names without spaces, so « Cap Work »
= « CapWork », and ``fuzz.token_set_ratio`` so that « La Fabrique » is close to « La Fabrique
des Coteaux »).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from observatory import formatting
from observatory.distances import EARTH_RADIUS_KM
from observatory.filters import fold

THRESHOLD = 60  # a pair scoring at least this is proposed
NAME_POINTS = 60  # identical names, once normalised
NAME_FLOOR = 40  # a name similarity at or under this gives no point
NEAR_KM = 3.0  # two precise points this close are compared whatever their communes
NEIGHBOUR_CENTRE_KM = 6.0  # communes whose centres are this close count as neighbours
SIRET_POINTS, PHONE_POINTS, WEBSITE_POINTS = 40, 20, 15
SHARED_BY = 5  # an identifier more records have is a network's, not a place's
OTHER_SIRET_POINTS = -30  # two different SIRET: two different structures
SAME_COMMUNE_POINTS, NEIGHBOUR_POINTS = 15, 8
# (max metres, points) for two precise points, the first that fits.
DISTANCE_POINTS = ((50, 30), (200, 25), (1000, 18), (3000, 10))
# Names whose own words (those not shared) are less similar than this are capped: generic
# common words (« France services », « Coworking ») do not make two places one.
DISTINCT_WORDS, DISTINCT_CAP = 50, 60
# Name similarity under which a pair without shared identifier is not scored: without an
# identifier, a pair needs 30 points from its names (sim 70) to reach the threshold.
_PREFILTER = 65

ARTICLES = frozenset({"le", "la", "les", "l", "du", "de", "des", "d", "au", "aux", "et", "a",
                      "en", "un", "une"})
# Words that open many names without telling places apart (compared without accents).
PREFIXES = (("tiers", "lieux"), ("tiers", "lieu"), ("tierslieux",), ("tierslieu",),
            ("espace",), ("association",), ("asso",), ("assoc",), ("collectif",),
            ("scic",), ("scop",), ("sas",), ("sarl",))


@dataclass(frozen=True)
class Record:
    """One place to compare: stored (``key`` = its id) or incoming (``key`` = « ligne N »)."""

    key: object
    name: str
    insee: str
    commune: str = ""
    lon: float | None = None
    lat: float | None = None
    approximate: bool = True  # a point at the commune's centre says nothing of the place
    website: str = ""
    phone: str = ""
    siret: str = ""
    incoming: bool = False


@dataclass(frozen=True)
class Pair:
    """Two records that are probably the same place."""

    a: Record
    b: Record
    score: int
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def reason(self) -> str:
        """« noms identiques une fois normalisés (capwork), même commune (Verniolle), 40 m »."""
        return ", ".join(self.reasons)


# --- normalisation ------------------------------------------------------------------------

def tokens(text: object) -> list[str]:
    """Lower case, no accents, punctuation as spaces: « L'Atelier-Café ! » -> l atelier cafe."""
    folded = fold(_text(text)).replace("&", " et ").replace("œ", "oe")
    return re.findall(r"[a-z0-9]+", folded)


def name_tokens(name: object, commune: object = "") -> list[str]:
    """The words that tell a place's name apart: articles and prefixes dropped, and the name
    of ``commune`` when given (« Tiers-lieu La Fabrique de Foix », Foix -> ["fabrique"]).
    Never empty when the name has a word: a name made only of such words keeps them."""
    return list(_name_tokens(_text(name), _text(commune)))


@lru_cache(maxsize=65536)
def _name_tokens(name: str, commune: str) -> tuple[str, ...]:
    words = tokens(name)
    if not words:
        return ()
    kept = list(words)
    changed = True
    while changed and kept:
        changed = False
        for prefix in PREFIXES:
            if tuple(kept[:len(prefix)]) == prefix and len(kept) > len(prefix):
                kept = kept[len(prefix):]
                changed = True
        if kept and kept[0] in ARTICLES and len(kept) > 1:
            kept = kept[1:]
            changed = True
    town = [w for w in tokens(commune) if w not in ARTICLES]
    if town:
        kept = _without(kept, town) or kept
    meaningful = [w for w in kept if w not in ARTICLES]
    return tuple(meaningful or kept or words)


def _without(words: list[str], sequence: list[str]) -> list[str]:
    """``words`` without the first run equal to ``sequence`` (articles inside it skipped)."""
    plain = [(i, w) for i, w in enumerate(words) if w not in ARTICLES]
    for start in range(len(plain) - len(sequence) + 1):
        if [w for _, w in plain[start:start + len(sequence)]] == sequence:
            drop = {i for i, _ in plain[start:start + len(sequence)]}
            return [w for i, w in enumerate(words) if i not in drop]
    return words


def _text(value: object) -> str:
    """A cell as text; "" when missing (None, NaN from a DataFrame, blank)."""
    return "" if formatting.is_blank(value) else str(value)


def digits(text: object) -> str:
    return re.sub(r"\D", "", _text(text))


def phone_key(text: object) -> str:
    """A French phone number's last nine digits (« 05 61 00 00 00 », « +33 5 61… » alike)."""
    found = re.search(r"(?:\+33|0033|0)\s*[1-9](?:[\s.-]*\d{2}){4}", _text(text))
    return digits(found.group(0))[-9:] if found else ""


def siret_key(text: object) -> str:
    """Fourteen digits, or nothing."""
    value = digits(text)
    return value if len(value) == 14 else ""


def website_key(text: object) -> str:
    """« https://www.CapWork.fr/ » -> capwork.fr (scheme, www, trailing slash aside)."""
    value = _text(text).strip().lower()
    value = re.sub(r"^[a-z]+://", "", value)
    value = re.sub(r"^www\d?\.", "", value)
    return value.split("?")[0].split("#")[0].rstrip("/")


def record(key: object, values: Mapping[str, object], commune: str = "", *,
           incoming: bool = False) -> Record:
    """A ``Record`` from a place's fields (``store.places`` keys; ``phone`` and ``siret`` when
    the source has them; a phone number in ``contact`` counts)."""
    lon, lat = values.get("lon"), values.get("lat")
    approximate = values.get("location_approximate")
    precise = (formatting.is_finite(lon) and formatting.is_finite(lat)
               and not (False if formatting.is_missing(approximate) else bool(approximate)))
    phone = phone_key(values.get("phone")) or phone_key(values.get("contact"))
    return Record(key=key, name=_text(values.get("name")),
                  insee=_text(values.get("insee")), commune=_text(commune),
                  lon=float(lon) if precise else None, lat=float(lat) if precise else None,
                  approximate=not precise, website=website_key(values.get("website")),
                  phone=phone, siret=siret_key(values.get("siret")), incoming=incoming)


# --- neighbouring communes ------------------------------------------------------------------

def neighbouring_communes(geometries: Mapping[str, object],
                          centres: Mapping[str, tuple[float, float]] | None = None,
                          centre_km: float = NEIGHBOUR_CENTRE_KM,
                          tolerance_deg: float = 0.002) -> dict[str, set[str]]:
    """INSEE -> the communes that touch it (shapely geometries in WGS84, simplified ones may
    leave slivers: ``tolerance_deg`` closes them) or whose centres (lon, lat) lie within
    ``centre_km``. Symmetric; a commune is not its own neighbour."""
    from shapely import STRtree

    codes = list(geometries)
    found: dict[str, set[str]] = defaultdict(set)
    geoms = [geometries[c] for c in codes]
    if geoms:
        tree = STRtree(geoms)
        left, right = tree.query([g.buffer(tolerance_deg) for g in geoms],
                                 predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i != j:
                found[codes[i]].add(codes[j])
                found[codes[j]].add(codes[i])
    if centres:
        from scipy.spatial import cKDTree

        keys = list(centres)
        lon = np.array([centres[k][0] for k in keys], dtype=float)
        lat = np.array([centres[k][1] for k in keys], dtype=float)
        scale = np.cos(np.radians(np.nanmean(lat))) if len(lat) else 1.0
        xy = np.column_stack([lon * scale, lat]) * 111.2  # km, good enough at this range
        for i, j in cKDTree(xy).query_pairs(centre_km):
            found[keys[i]].add(keys[j])
            found[keys[j]].add(keys[i])
    return dict(found)


# --- scoring ----------------------------------------------------------------------------------

def find_pairs(records: Sequence[Record], neighbours: Mapping[str, set[str]] | None = None, *,
               threshold: int = THRESHOLD,
               dismissed: Iterable[tuple[object, object]] = (),
               only_incoming: bool = False) -> list[Pair]:
    """The pairs of ``records`` scoring at least ``threshold``, best first.

    ``dismissed``: pairs of keys an analyst marked « pas un doublon » (never proposed again).
    ``only_incoming``: keep pairs with at least one incoming record (an import's preview).
    """
    neighbours = neighbours or {}
    dismissed_keys = {frozenset(p) for p in dismissed}
    records = _without_shared_identifiers(records)
    candidates = _candidates(records, neighbours, only_incoming)
    pairs = []
    for i, j in sorted(candidates):
        a, b = sorted((records[i], records[j]), key=_rank)
        if only_incoming and not (a.incoming or b.incoming):
            continue
        if frozenset((a.key, b.key)) in dismissed_keys or a.key == b.key:
            continue
        found = score_pair(a, b, neighbours)
        if found.score >= threshold:
            pairs.append(found)
    return sorted(pairs, key=lambda p: (-p.score, str(p.a.name), str(p.b.name)))


def _without_shared_identifiers(records: Sequence[Record]) -> list[Record]:
    """The records without the identifiers more than ``SHARED_BY`` of them have: the national
    site of the France services, a network's switchboard describe no one place (and would
    make every pair of them a candidate)."""
    records = list(records)
    for attribute in ("siret", "phone", "website"):
        counts = Counter(getattr(r, attribute) for r in records if getattr(r, attribute))
        generic = {value for value, n in counts.items() if n > SHARED_BY}
        if generic:
            records = [replace(r, **{attribute: ""}) if getattr(r, attribute) in generic else r
                       for r in records]
    return records


def _rank(r: Record) -> tuple:
    """Stored places first, by id; then incoming rows by their row number."""
    number = r.key if isinstance(r.key, int) else int(re.sub(r"\D", "", str(r.key)) or 0)
    return (r.incoming, number, str(r.key))


def _candidates(records: Sequence[Record], neighbours: Mapping[str, set[str]],
                only_incoming: bool = False) -> set[tuple[int, int]]:
    """Pairs (i < j) worth scoring: a block (same or neighbouring commune, or near points)
    whose names are close enough, plus every pair sharing an identifier; with
    ``only_incoming``, only pairs with an incoming record are looked for."""
    by_commune: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        by_commune[r.insee].append(i)
    compact = [_compact(r) for r in records]
    plain = [" ".join(name_tokens(r.name)) for r in records]
    blocks: set[tuple[int, int]] = set()
    for insee, members in by_commune.items():
        rows = [i for i in members if records[i].incoming] if only_incoming else members
        if not rows:
            continue
        others = sorted({i for n in neighbours.get(insee, ()) for i in by_commune.get(n, ())}
                        | set(members))
        blocks |= _close_names(rows, others, compact, plain)
    precise = [i for i, r in enumerate(records) if not r.approximate]
    if len(precise) > 1:
        from scipy.spatial import cKDTree

        lat = np.array([records[i].lat for i in precise])
        xy = np.column_stack([np.array([records[i].lon for i in precise])
                              * np.cos(np.radians(lat.mean())), lat]) * 111.2
        near = [(precise[i], precise[j]) for i, j in cKDTree(xy).query_pairs(NEAR_KM)
                if not only_incoming or records[precise[i]].incoming
                or records[precise[j]].incoming]
        if near:
            left, right = zip(*near, strict=True)
            sims = _similarity([compact[i] for i in left], [compact[j] for j in right],
                               [plain[i] for i in left], [plain[j] for j in right])
            blocks |= {(min(i, j), max(i, j)) for (i, j), s in zip(near, sims, strict=True)
                       if s >= _PREFILTER}
    for attribute in ("siret", "phone", "website"):
        shared: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(records):
            value = getattr(r, attribute)
            if value:
                shared[value].append(i)
        for members in shared.values():
            blocks |= {(a, b) for k, a in enumerate(members) for b in members[k + 1:]
                       if not only_incoming or records[a].incoming or records[b].incoming}
    return blocks


def _close_names(members: list[int], others: list[int], compact: list[str],
                 plain: list[str]) -> set[tuple[int, int]]:
    """Pairs (member, other) whose names pass the pre-filter, in two vectorised matrices."""
    ratio = process.cdist([compact[i] for i in members], [compact[j] for j in others],
                          scorer=fuzz.ratio, dtype=np.uint8)
    sets = process.cdist([plain[i] for i in members], [plain[j] for j in others],
                         scorer=fuzz.token_set_ratio, dtype=np.uint8)
    rows, cols = np.nonzero(np.maximum(ratio, sets * 0.9) >= _PREFILTER)
    found = set()
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        i, j = members[r], others[c]
        if i != j:
            found.add((min(i, j), max(i, j)))
    return found


def _compact(r: Record) -> str:
    return "".join(name_tokens(r.name))


def _similarity(compact_a, compact_b, plain_a, plain_b) -> list[float]:
    return [max(fuzz.ratio(ca, cb), 0.9 * fuzz.token_set_ratio(pa, pb))
            for ca, cb, pa, pb in zip(compact_a, compact_b, plain_a, plain_b, strict=True)]


def name_similarity(a: Record, b: Record) -> tuple[float, str, str]:
    """(0–100, a's normalised name, b's): the commune's own name left out when both are in
    the same commune (« La Fabrique » and « Tiers-lieu La Fabrique de Foix » in Foix)."""
    town = a.commune if a.insee and a.insee == b.insee else ""
    ta, tb = name_tokens(a.name, town), name_tokens(b.name, town)
    ca, cb = "".join(ta), "".join(tb)
    if ca and ca == cb:
        return 100.0, " ".join(ta), " ".join(tb)
    return float(_name_score(ta, tb, bool(town))), " ".join(ta), " ".join(tb)


def _name_score(ta: list[str], tb: list[str], same_commune: bool = True) -> float:
    """Similarity of two normalised names: without spaces (« cap work » = « capwork »), and,
    when one name's words are all in the other, nearly as close as identical (« fabrique »,
    « fabrique coteaux »); two names that each have words of their own (« france services
    lavelanet », « france services laroque olmes ») are compared word order aside only.
    One shared word is not enough across two communes (« moulin », « coworking du moulin »)."""
    ca, cb, pa, pb = "".join(ta), "".join(tb), " ".join(ta), " ".join(tb)
    subset = set(ta) <= set(tb) or set(tb) <= set(ta)
    if subset and (same_commune or min(len(set(ta)), len(set(tb))) > 1):
        return max(fuzz.ratio(ca, cb), 0.9 * fuzz.token_set_ratio(pa, pb))
    similar = max(fuzz.ratio(ca, cb), fuzz.token_sort_ratio(pa, pb))
    # The words each name has of its own are what tell them apart: « lavelanet » and
    # « laroque olmes » make two France services, however long their common part.
    own_a = " ".join(w for w in ta if w not in tb)
    own_b = " ".join(w for w in tb if w not in ta)
    if fuzz.ratio(own_a, own_b) < DISTINCT_WORDS:
        similar = min(similar, DISTINCT_CAP)
    return similar


def score_pair(a: Record, b: Record, neighbours: Mapping[str, set[str]] | None = None) -> Pair:
    """The score of one pair and its reasons, in French."""
    neighbours = neighbours or {}
    reasons: list[str] = []
    similar, na, nb = name_similarity(a, b)
    if similar >= 100:
        shown = na if na == nb else na.replace(" ", "")  # « cap work » = « capwork »
        reasons.append(f"noms identiques une fois normalisés ({shown})")
    elif similar > NAME_FLOOR:
        reasons.append(f"noms proches ({formatting.integer(round(similar))} %) : "
                       f"« {na} » et « {nb} »")
    else:
        reasons.append(f"noms différents ({formatting.integer(round(similar))} %)")
    points = NAME_POINTS * max(0.0, similar - NAME_FLOOR) / (100 - NAME_FLOOR)

    place_points, place_reasons = _place(a, b, neighbours)
    points += place_points
    reasons += place_reasons

    if a.siret and b.siret:
        same = a.siret == b.siret
        points += SIRET_POINTS if same else OTHER_SIRET_POINTS
        reasons.append(f"même SIRET ({a.siret})" if same else "SIRET différents")
    if a.phone and a.phone == b.phone:
        points += PHONE_POINTS
        reasons.append("même téléphone")
    if a.website and a.website == b.website:
        points += WEBSITE_POINTS
        reasons.append(f"même site web ({a.website})")
    return Pair(a, b, int(round(min(100.0, max(0.0, points)))), tuple(reasons))


def _place(a: Record, b: Record, neighbours: Mapping[str, set[str]]) -> tuple[float, list[str]]:
    """Points and reasons for where the two records are."""
    commune_points, reasons = 0.0, []
    if a.insee and a.insee == b.insee:
        commune_points = SAME_COMMUNE_POINTS
        reasons.append(f"même commune ({a.commune or a.insee})")
    elif b.insee in neighbours.get(a.insee, ()):
        commune_points = NEIGHBOUR_POINTS
        reasons.append(f"communes voisines ({a.commune or a.insee} et {b.commune or b.insee})")
    if a.approximate or b.approximate:
        return commune_points, reasons
    metres = _metres(a.lon, a.lat, b.lon, b.lat)
    distance_points = next((p for limit, p in DISTANCE_POINTS if metres <= limit), 0)
    reasons.append(formatting.distance(metres / 1000))
    return max(commune_points, distance_points), reasons


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (``distances.haversine_km`` for one pair, without numpy's
    overhead)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2000 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))
