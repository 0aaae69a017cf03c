"""The commune referential seen by an import: names, INSEE codes and postcodes to communes,
points to communes."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import geopandas as gpd
import shapely
from pyproj import Transformer

from observatory.filters import fold

LAMBERT_93 = "EPSG:2154"  # measure in metres over mainland France
BORDER_TOLERANCE_M = 200.0  # commune outlines are simplified: forgive points this close
_ARTICLE = re.compile(r"^(.*?)\s*\((?:l'?|le|la|les)\)$")
_ARTICLES = {"le", "la", "les", "l"}
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def commune_key(name: str) -> str:
    """One key for the ways a commune name is written: 'St Jean du Falga' and
    'SAINT-JEAN-DU-FALGA'; 'Le Mas-d'Azil', 'Mas-d'Azil (Le)' (old INSEE style) and
    'Mas-d'Azil' (typed without its article); 'Foix (09)'."""
    text = fold(str(name)).strip()
    text = re.sub(r"\(\s*\d{2,3}\s*\)$", "", text).strip()
    text = _ARTICLE.sub(r"\1", text).strip()
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


@dataclass(frozen=True)
class Located:
    """Where a point falls: its commune and whether the import accepts it."""

    insee: str | None  # commune containing the point (within the border tolerance)
    in_zone: bool  # inside the zone the import accepts (perimeter or whole referential)


class CommuneIndex:
    """Lookups over ``store.territory.communes(con)``: built once per validation."""

    def __init__(self, communes: gpd.GeoDataFrame, perimeter_only: bool = True) -> None:
        self.frame = communes.set_index("insee", drop=False)
        self.perimeter_only = perimeter_only
        self._departements = set(communes["insee"].str[:2])
        self.departements = ", ".join(sorted(self._departements))
        self._by_key: dict[str, list[str]] = {}
        for insee, name in zip(communes["insee"], communes["name"], strict=True):
            self._by_key.setdefault(commune_key(name), []).append(insee)
        # Postcodes ('|'-separated in the referential): one code may serve many communes
        # (09000: Foix, Soula…), and be another commune's INSEE code (09300: Soula).
        self._by_postcode: dict[str, list[str]] = {}
        self._postcodes: dict[str, tuple[str, ...]] = {}
        if "postcodes" in communes:
            for insee, codes in zip(communes["insee"], communes["postcodes"], strict=True):
                own = tuple(c for c in str(codes or "").split("|") if c)
                self._postcodes[insee] = own
                for code in own:
                    self._by_postcode.setdefault(code, []).append(insee)
        self._to_metric = Transformer.from_crs("EPSG:4326", LAMBERT_93, always_xy=True)
        metric = communes.to_crs(LAMBERT_93)
        self._metric = metric.set_index("insee", drop=False).geometry
        zone = metric[metric["in_perimeter"]] if perimeter_only else metric
        self._zone = zone.set_index("insee", drop=False).geometry
        self._zone_union = shapely.union_all(self._zone.to_numpy()) if len(zone) else None

    # --- names ---------------------------------------------------------------------------
    def name(self, insee: str) -> str:
        return str(self.frame.at[insee, "name"])

    def label(self, insee: str) -> str:
        return f"{self.name(insee)} ({insee})"

    def knows(self, insee: str) -> bool:
        return insee in self.frame.index

    def by_name(self, name: str) -> list[str]:
        """INSEE codes of the communes with this name (several across départements)."""
        return list(self._by_key.get(commune_key(name), []))

    def by_postcode(self, code: str) -> list[str]:
        """INSEE codes of the communes served by this postcode (none: not a postcode)."""
        return list(self._by_postcode.get(code, []))

    def postcodes(self, insee: str) -> tuple[str, ...]:
        return self._postcodes.get(insee, ())

    def names(self, codes: list[str], limit: int = 4) -> str:
        """« Foix (09122), Saint-Jean-de-Verges (09255)… et 19 autres » for messages: the
        most populated first (a postcode's main commune leads)."""
        if "population" in self.frame:
            codes = sorted(codes, key=lambda i: (-int(self.frame.at[i, "population"]), i))
        shown = ", ".join(self.label(i) for i in codes[:limit])
        rest = len(codes) - limit
        return shown + (f" et {rest} autre{'s' if rest > 1 else ''}" if rest > 0 else "")

    def closest_names(self, name: str, n: int = 3) -> list[str]:
        keys = difflib.get_close_matches(commune_key(name), list(self._by_key), n=n,
                                         cutoff=0.7)
        return [self.label(i) for k in keys for i in self._by_key[k]][:n]

    def loads_departement(self, insee: str) -> bool:
        """Whether the referential covers this code's département (else: a foreign code)."""
        return insee[:2] in self._departements

    def in_zone(self, insee: str) -> bool:
        return insee in self._zone.index

    def epci_name(self, insee: str) -> str:
        return str(self.frame.at[insee, "epci_name"]) if "epci_name" in self.frame else ""

    def centre(self, insee: str) -> tuple[float, float]:
        """The commune's inner point (lon, lat), always inside it."""
        row = self.frame.loc[insee]
        return float(row["lon"]), float(row["lat"])

    # --- points --------------------------------------------------------------------------
    def _point(self, lon: float, lat: float) -> shapely.Point:
        return shapely.Point(*self._to_metric.transform(lon, lat))

    def locate(self, lon: float, lat: float) -> Located:
        point = self._point(lon, lat)
        hits = self._metric.sindex.query(point, predicate="intersects")
        if len(hits):
            insee = self._metric.index[hits[0]]
        else:
            nearest = self._metric.sindex.nearest(point, max_distance=BORDER_TOLERANCE_M)
            insee = self._metric.index[nearest[1][0]] if nearest.size else None
        in_zone = insee is not None and self.in_zone(insee)
        return Located(insee, in_zone)

    def distance_to_commune_m(self, lon: float, lat: float, insee: str) -> float:
        return float(self._metric[insee].distance(self._point(lon, lat)))

    def outside(self, lon: float, lat: float) -> tuple[float, str]:
        """(km to the zone, nearest commune of the zone) for a point outside it."""
        point = self._point(lon, lat)
        if self._zone_union is None:
            return float("nan"), ""
        km = self._zone_union.distance(point) / 1000.0
        nearest = self._zone.sindex.nearest(point)
        return km, self.label(self._zone.index[nearest[1][0]])

    def zone_label(self) -> str:
        return "du périmètre" if self.perimeter_only else "du territoire chargé"
