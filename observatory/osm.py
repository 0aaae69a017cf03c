"""Read an OpenStreetMap extract (``.osm`` XML or ``.osm.pbf``) into a compact drivable graph.

pyosmium (``osmium``, the Python bindings of libosmium) reads the file in C++; only the ways
tagged ``highway`` reach Python (a ``KeyFilter``), with their nodes' locations. The rules are
pure functions on tags (``way_speed``, ``way_direction``, ``is_drivable``), tested one by one.

**Speeds (car profile).** An average driving speed per road class (``SPEEDS_KMH``), lowered by
a tagged ``maxspeed`` when it is lower (a village crossing at 30 or 50 binds; a legal limit
above the class average says nothing about bends and traffic, so it does not raise it).
``maxspeed`` is read when numeric (« 50 », « 50 km/h », « 30 mph ») or a French zone
(``FR:urban`` 50, ``FR:rural`` 80, ``FR:zone30`` 30, ``FR:motorway`` 130, ``FR:walk`` 6).

**Direction.** ``oneway=yes|true|1`` one way along the way, ``oneway=-1|reverse`` against it;
``junction=roundabout|circular`` and ``highway=motorway`` are one way unless ``oneway=no``.

**Access.** A way is left out when its most specific car access tag (``motorcar``, then
``motor_vehicle``, ``vehicle``, ``access``) says ``no``, ``private``, ``agricultural`` or
``forestry``.

**Contraction.** Only the nodes where the graph branches are kept: the ends of each way and
the nodes used more than once (shared by several ways, or twice by one). Each stretch of a
way between two kept nodes becomes one edge with its length (sum of the great-circle lengths
of its segments) and travel time; of parallel edges between the same two nodes the fastest
is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from observatory.distances import haversine_km
from observatory.errors import UserInputError
from observatory.routing import ATTRIBUTION, RoadGraph

PROFILES = ("car",)

# Average driving speeds by highway class, km/h (car profile).
SPEEDS_KMH: dict[str, float] = {
    "motorway": 110, "motorway_link": 60,
    "trunk": 90, "trunk_link": 50,
    "primary": 80, "primary_link": 50,
    "secondary": 70, "secondary_link": 45,
    "tertiary": 60, "tertiary_link": 40,
    "unclassified": 50, "road": 40,
    "residential": 30, "living_street": 10,
    "service": 20, "track": 15,
}
ZONE_SPEEDS_KMH = {"fr:urban": 50, "fr:rural": 80, "fr:zone30": 30, "fr:motorway": 130,
                   "fr:walk": 6}
NO_ACCESS = {"no", "private", "agricultural", "forestry"}
ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph)?\s*$", re.IGNORECASE)


def maxspeed_kmh(value: str | None) -> float | None:
    """A ``maxspeed`` tag in km/h, or None when it is not a number nor a known French zone."""
    if not value:
        return None
    text = value.strip().lower()
    if text in ZONE_SPEEDS_KMH:
        return float(ZONE_SPEEDS_KMH[text])
    match = _NUMBER.match(text)
    if not match:
        return None
    speed = float(match.group(1).replace(",", "."))
    if (match.group(2) or "").lower() == "mph":
        speed *= 1.609344
    return speed if speed > 0 else None


def is_drivable(tags: dict[str, str]) -> bool:
    """A road a car may use: a class of ``SPEEDS_KMH``, not closed by its access tags."""
    if tags.get("highway") not in SPEEDS_KMH or tags.get("area") == "yes":
        return False
    for key in ACCESS_KEYS:
        if key in tags:
            return tags[key].strip().lower() not in NO_ACCESS
    return True


def way_speed(tags: dict[str, str]) -> float:
    """The speed of a drivable way: its class speed, lowered by a lower ``maxspeed``."""
    speed = float(SPEEDS_KMH[tags["highway"]])
    limit = maxspeed_kmh(tags.get("maxspeed"))
    return min(speed, limit) if limit is not None else speed


def way_direction(tags: dict[str, str]) -> int:
    """1 one way along the way, -1 one way against it, 0 both ways."""
    oneway = (tags.get("oneway") or "").strip().lower()
    if oneway in ("yes", "true", "1"):
        return 1
    if oneway in ("-1", "reverse"):
        return -1
    if oneway in ("no", "false", "0"):
        return 0
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") == "motorway":
        return 1
    return 0


@dataclass
class Ways:
    """The drivable ways read from a file, flat: node ``refs``/``lon``/``lat`` of every way
    one after the other, ``starts`` (offset of each way, plus the total at the end),
    ``speed`` and ``direction`` per way, and the newest timestamp seen."""

    refs: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    starts: np.ndarray
    speed: np.ndarray
    direction: np.ndarray
    newest: dt.datetime | None = None


def read_ways(path: str | Path) -> Ways:
    """The drivable ways of an ``.osm`` / ``.osm.pbf`` file (French error when unreadable)."""
    import osmium

    # Typed arrays (8 bytes an item) rather than lists: millions of nodes in a regional extract.
    refs, lons, lats = array("q"), array("d"), array("d")
    starts, speeds, directions = array("q", [0]), array("d"), array("b")
    newest = None
    try:
        processor = (osmium.FileProcessor(str(path)).with_locations()
                     .with_filter(osmium.filter.KeyFilter("highway")))
        for way in processor:
            if not way.is_way():  # nodes tagged highway (traffic signals…) pass the filter
                continue
            tags = {t.k: t.v for t in way.tags}
            if not is_drivable(tags):
                continue
            nodes = [(n.ref, n.lon, n.lat) for n in way.nodes if n.location.valid()]
            if len(nodes) < 2:
                continue
            for ref, lon, lat in nodes:
                refs.append(ref)
                lons.append(lon)
                lats.append(lat)
            starts.append(len(refs))
            speeds.append(way_speed(tags))
            directions.append(way_direction(tags))
            stamp = way.timestamp
            if stamp is not None and stamp.year > 1970 and (newest is None or stamp > newest):
                newest = stamp
    except RuntimeError as exc:  # libosmium's errors (XML, PBF) come as RuntimeError
        raise UserInputError(f"Le fichier OpenStreetMap {path} n'a pas pu être lu : {exc}") \
            from None
    return Ways(np.frombuffer(refs, dtype=np.int64).copy(),
                np.frombuffer(lons, dtype=float).copy(), np.frombuffer(lats, dtype=float).copy(),
                np.frombuffer(starts, dtype=np.int64).copy(),
                np.frombuffer(speeds, dtype=float).copy(),
                np.frombuffer(directions, dtype=np.int8).copy(), newest)


def header_timestamp(path: str | Path) -> dt.datetime | None:
    """The extract's replication timestamp from the file header (PBF extracts carry it)."""
    import osmium

    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            text = reader.header().get("osmosis_replication_timestamp")
        finally:
            reader.close()
    except RuntimeError:
        return None
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def contract(ways: Ways) -> RoadGraph:
    """The compact directed graph of ``ways`` (see the module docstring)."""
    refs = ways.refs
    count = refs.size
    way_of = np.repeat(np.arange(ways.speed.size), np.diff(ways.starts))
    # Kept nodes: way ends, and nodes used more than once.
    unique, inverse, uses = np.unique(refs, return_inverse=True, return_counts=True)
    kept = uses[inverse] > 1
    kept[ways.starts[:-1]] = True
    kept[ways.starts[1:] - 1] = True
    # Cumulative length along each way (segments crossing two ways count zero).
    segment = np.zeros(count)
    if count > 1:
        same = way_of[1:] == way_of[:-1]
        segment[1:] = np.where(same, haversine_km(ways.lon[:-1], ways.lat[:-1],
                                                  ways.lon[1:], ways.lat[1:]), 0.0)
    along = np.cumsum(segment)
    positions = np.flatnonzero(kept)
    tail, head = positions[:-1], positions[1:]
    same_way = way_of[tail] == way_of[head]
    tail, head = tail[same_way], head[same_way]
    km = along[head] - along[tail]
    speed = ways.speed[way_of[tail]]
    direction = ways.direction[way_of[tail]]
    # Compact node numbering over the kept nodes.
    kept_unique = np.unique(inverse[positions])
    number = np.full(unique.size, -1, dtype=np.int64)
    number[kept_unique] = np.arange(kept_unique.size)
    a, b = number[inverse[tail]], number[inverse[head]]
    minutes = km / speed * 60.0
    forward, backward = direction >= 0, direction <= 0
    source = np.concatenate([a[forward], b[backward]])
    target = np.concatenate([b[forward], a[backward]])
    minutes = np.concatenate([minutes[forward], minutes[backward]])
    km = np.concatenate([km[forward], km[backward]])
    loop = source == target
    source, target, minutes, km = source[~loop], target[~loop], minutes[~loop], km[~loop]
    # Parallel edges: keep the fastest.
    order = np.lexsort((minutes, target, source))
    source, target, minutes, km = source[order], target[order], minutes[order], km[order]
    first = np.ones(source.size, dtype=bool)
    first[1:] = (source[1:] != source[:-1]) | (target[1:] != target[:-1])
    # First position of each kept node in the flat arrays gives its location.
    first_pos = np.full(unique.size, -1, dtype=np.int64)
    first_pos[inverse[positions[::-1]]] = positions[::-1]
    where = first_pos[kept_unique]
    return RoadGraph(lon=ways.lon[where], lat=ways.lat[where], source=source[first],
                     target=target[first], minutes=minutes[first], km=km[first],
                     meta={"raw_nodes": int(unique.size), "ways": int(ways.speed.size)})


def build_graph(path: str | Path, profile: str = "car",
                built_at: dt.datetime | None = None) -> RoadGraph:
    """Read and contract an extract; ``meta`` says from what, when, and under which licence.

    The extract's date is the header's ``osmosis_replication_timestamp`` when there is one,
    else the newest timestamp of the road ways read."""
    path = Path(path)
    if profile not in PROFILES:
        raise UserInputError(f"Profil « {profile} » inconnu : profils possibles : "
                             + ", ".join(f"« {p} »" for p in PROFILES) + ".")
    if not path.is_file():
        raise UserInputError(f"Fichier OpenStreetMap introuvable : {path}.")
    ways = read_ways(path)
    if ways.speed.size == 0:
        raise UserInputError(f"Le fichier {path.name} ne contient aucune route carrossable : "
                             "est-ce bien un extrait OpenStreetMap ?")
    graph = contract(ways)
    stamp = header_timestamp(path)
    date_source = "header" if stamp is not None else "newest_way"
    stamp = stamp or ways.newest
    graph.meta.update({
        "source_file": path.name, "extract_date": _naive_utc(stamp),
        "extract_date_source": date_source,
        "built_at": _naive_utc(built_at or dt.datetime.now(dt.UTC)), "profile": profile,
        "nodes": graph.node_count, "edges": graph.edge_count, "attribution": ATTRIBUTION})
    return graph


def _naive_utc(stamp: dt.datetime | None) -> dt.datetime | None:
    if stamp is None:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return stamp
