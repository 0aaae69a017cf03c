"""Travel on the road network: a compact road graph and the ``RoadNetwork`` distance provider.

Pure (numpy, SciPy): the graph is read from an OpenStreetMap extract by ``observatory.osm``
and stored by ``observatory.store.routing``; this module only computes on it.

- **Snapping.** Each origin and destination goes to the nearest node of the graph, found with
  a KD-tree on unit-sphere vectors (chord distance = great-circle order). The crow-fly leg
  between the point and its node is added at the estimate's circuity and speed. A point more
  than ``SNAP_KM`` (2 km) from any node is not on the network: its pairs get the estimate.
- **Shortest paths.** ``scipy.sparse.csgraph.dijkstra`` on the travel-time graph, from the
  distinct snapped nodes of the smaller side (from the destinations on the reversed graph when
  they are fewer), each run over the whole graph (no ``limit``: see ``_from_roots``). Road
  km are those *of the fastest path*, not the shortest distance: the predecessors Dijkstra
  returns are walked back from every destination at once (one numpy step per edge of the
  longest path), adding each edge's km.
- **Fallback, flagged.** A pair whose points are not on the network, or whose destination
  cannot be reached from the origin (another component, a one-way dead end), gets the
  ``EstimatedRoad`` value and ``Travel.estimated`` is True for it: never an infinity or a zero.
- **Nearest place of many points** (coverage of 35,000 communes): one multi-source Dijkstra on
  the reversed graph from every place (``min_only=True``) gives each node its nearest place by
  road, in one pass (``nearest_destination``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from observatory import formatting
from observatory.distances import (
    EstimatedRoad,
    Travel,
    chord_for_km,
    haversine_km,
    unit_vectors,
)
from observatory.formatting import long_date

SNAP_KM = 2.0  # a point farther than this from every node of the graph is not on the network
ATTRIBUTION = "© les contributeurs d'OpenStreetMap (ODbL)"
MIN_MINUTES = 1e-6
# Dijkstra sources per call: each holds a distance and a predecessor per node (12 bytes), so
# 32 sources on a 200,000-node graph hold about 77 MB at once.
ROOTS_PER_RUN = 32  # SciPy's graphs drop explicit zeros: an edge always costs a little


@dataclass(frozen=True)
class RoadGraph:
    """The drivable graph: nodes (``lon``, ``lat``, positions 0..n-1) and directed edges
    (``source`` → ``target``, ``minutes``, ``km``), plus what was built from what (``meta``:
    ``source_file``, ``extract_date``, ``built_at``, ``profile``, counts, ``attribution``)."""

    lon: np.ndarray
    lat: np.ndarray
    source: np.ndarray
    target: np.ndarray
    minutes: np.ndarray
    km: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        return int(self.lon.size)

    @property
    def edge_count(self) -> int:
        return int(self.source.size)


def extract_label(meta: dict) -> str:
    """« Réseau routier OSM (extrait du 1er mai 2024), © les contributeurs d'OpenStreetMap
    (ODbL) »: the network, the extract's date and the attribution the ODbL asks for beside
    every figure computed from it (the label is printed wherever a road time is)."""
    date = meta.get("extract_date")
    when = f" (extrait du {long_date(date)})" if date is not None and not pd.isna(date) else ""
    return f"Réseau routier OSM{when}, {meta.get('attribution') or ATTRIBUTION}"


def fallback_note(count: int, singular: str = "trajet estimé",
                  plural: str = "trajets estimés") -> str:
    """« 3 trajets estimés faute de route à moins de 2 km ou de liaison routière. », or ""
    when none fell back to the estimate."""
    if not count:
        return ""
    return (f"{formatting.count(int(count), singular, plural)} faute de route à moins de "
            f"{formatting.number(SNAP_KM)} km ou de liaison routière.")


def flag(text: str, estimated: bool) -> str:
    """A figure of a road network, marked « (estimation) » where it fell back to it."""
    return f"{text} (estimation)" if estimated else text


class RoadNetwork:
    """A ``DistanceProvider`` on a road graph, the estimate filling (and flagging) what the
    graph cannot answer."""

    is_estimate = False

    def __init__(self, graph: RoadGraph, fallback: EstimatedRoad | None = None,
                 snap_km: float = SNAP_KM) -> None:
        self.graph = graph
        self.fallback = fallback = fallback or EstimatedRoad()
        self.snap_km = float(snap_km)
        n = graph.node_count
        minutes = np.maximum(np.asarray(graph.minutes, dtype=float), MIN_MINUTES)
        src = np.asarray(graph.source, dtype=np.int64)
        dst = np.asarray(graph.target, dtype=np.int64)
        self._forward = sparse.csr_matrix((minutes, (src, dst)), shape=(n, n))
        self._backward = sparse.csr_matrix((minutes, (dst, src)), shape=(n, n))
        # The km of each edge, found by its key source * n + target (edges are unique).
        keys = src * max(n, 1) + dst
        order = np.argsort(keys, kind="stable")
        self._keys, self._km = keys[order], np.asarray(graph.km, dtype=float)[order]
        self._tree = cKDTree(unit_vectors(graph.lon, graph.lat)) if n else None
        top = (graph.km / np.maximum(graph.minutes, MIN_MINUTES) * 60.0) if graph.edge_count else []
        self.max_speed_kmh = float(np.max(top)) if len(top) else fallback.speed_kmh

    # --- what the pages print -----------------------------------------------------------------
    @property
    def label(self) -> str:
        return extract_label(self.graph.meta)

    @property
    def attribution(self) -> str:
        return str(self.graph.meta.get("attribution") or ATTRIBUTION)

    # --- snapping -----------------------------------------------------------------------------
    def snap(self, lon, lat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(node position, crow-fly km to it, whether on the network) for each point."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        count = lon.size
        if self._tree is None or count == 0:
            return (np.zeros(count, dtype=np.int64), np.full(count, np.inf),
                    np.zeros(count, dtype=bool))
        ok = np.isfinite(lon) & np.isfinite(lat)
        node = np.zeros(count, dtype=np.int64)
        km = np.full(count, np.inf)
        if ok.any():
            _, found = self._tree.query(unit_vectors(lon[ok], lat[ok]))
            node[ok] = found
            km[ok] = haversine_km(lon[ok], lat[ok], self.graph.lon[found], self.graph.lat[found])
        return node, km, ok & (km <= self.snap_km)

    def _edge_km(self, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
        keys = tail * max(self.graph.node_count, 1) + head
        return self._km[np.searchsorted(self._keys, keys)]

    def _path_km(self, predecessors: np.ndarray, roots: np.ndarray, ends: np.ndarray,
                 reversed_graph: bool) -> np.ndarray:
        """Km along the tree paths from ``roots[r]`` to ``ends[r, c]`` (NaN where unreached).

        ``predecessors[r]`` is Dijkstra's tree from ``roots[r]``; on the reversed graph the
        tree edges point the other way, so each edge's km is read as (node → predecessor).
        """
        rows = np.repeat(np.arange(len(roots)), ends.shape[1])
        current = ends.ravel().astype(np.int64).copy()
        total = np.zeros(current.size)
        reached = (current == roots[rows]) | (predecessors[rows, current] >= 0)
        total[~reached] = np.nan
        active = np.flatnonzero(reached & (current != roots[rows]))
        while active.size:
            previous = predecessors[rows[active], current[active]].astype(np.int64)
            if reversed_graph:
                total[active] += self._edge_km(current[active], previous)
            else:
                total[active] += self._edge_km(previous, current[active])
            current[active] = previous
            active = active[current[active] != roots[rows[active]]]
        return total.reshape(ends.shape)

    def _network(self, origin_nodes: np.ndarray, dest_nodes: np.ndarray):
        """Minutes and km on the graph between the distinct nodes (rows: origins)."""
        origins, o_inv = np.unique(origin_nodes, return_inverse=True)
        dests, d_inv = np.unique(dest_nodes, return_inverse=True)
        if origins.size <= dests.size:
            minutes, km = self._from_roots(self._forward, origins, dests, False)
        else:  # fewer destinations: Dijkstra from them on the reversed graph
            minutes, km = self._from_roots(self._backward, dests, origins, True)
            minutes, km = minutes.T, km.T
        return minutes, km, o_inv, d_inv

    def _from_roots(self, graph, roots: np.ndarray, ends: np.ndarray,
                    reversed_graph: bool) -> tuple[np.ndarray, np.ndarray]:
        # No ``limit``: a trip may take far longer by road than its estimate (the ridge), and
        # a limit of twice the longest estimate gained nothing measurable (benchmarks/).
        minutes, km = [], []
        for part in np.array_split(roots, -(-roots.size // ROOTS_PER_RUN)):
            dist, pred = dijkstra(graph, indices=part, return_predecessors=True)
            minutes.append(dist[:, ends])
            km.append(self._path_km(pred, part, np.broadcast_to(ends, (part.size, ends.size)),
                                    reversed_graph=reversed_graph))
        return np.vstack(minutes), np.vstack(km)

    def _combine(self, estimate: Travel, on_net: np.ndarray, minutes: np.ndarray,
                 km: np.ndarray, access_km: np.ndarray) -> Travel:
        """Network values (plus the access legs) where usable, the estimate elsewhere."""
        access = self.fallback.from_straight(access_km)
        usable = on_net & np.isfinite(minutes) & np.isfinite(km)
        road = np.where(usable, km + access.road_km, estimate.road_km)
        time = np.where(usable, minutes + access.minutes, estimate.minutes)
        return Travel(estimate.straight_km, road, time, estimated=~usable)

    # --- the DistanceProvider protocol --------------------------------------------------------
    def matrix(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> Travel:
        estimate = self.fallback.matrix(origins, destinations)
        shape = estimate.straight_km.shape
        o_node, o_km, o_ok = self.snap(origins["lon"], origins["lat"])
        d_node, d_km, d_ok = self.snap(destinations["lon"], destinations["lat"])
        minutes, km = np.full(shape, np.inf), np.full(shape, np.inf)
        oi, di = np.flatnonzero(o_ok), np.flatnonzero(d_ok)
        if oi.size and di.size:
            m, k, o_inv, d_inv = self._network(o_node[oi], d_node[di])
            minutes[np.ix_(oi, di)] = m[o_inv][:, d_inv]
            km[np.ix_(oi, di)] = k[o_inv][:, d_inv]
        on_net = o_ok[:, None] & d_ok[None, :]
        access_km = np.where(on_net, o_km[:, None] + d_km[None, :], 0.0)
        return self._combine(estimate, on_net, minutes, km, access_km)

    def pairwise(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> Travel:
        estimate = self.fallback.pairwise(origins, destinations)
        count = len(estimate.straight_km)
        o_node, o_km, o_ok = self.snap(origins["lon"], origins["lat"])
        d_node, d_km, d_ok = self.snap(destinations["lon"], destinations["lat"])
        on_net = o_ok & d_ok
        minutes, km = np.full(count, np.inf), np.full(count, np.inf)
        rows = np.flatnonzero(on_net)
        if rows.size:
            m, k, o_inv, d_inv = self._network(o_node[rows], d_node[rows])
            minutes[rows], km[rows] = m[o_inv, d_inv], k[o_inv, d_inv]
        access_km = np.where(on_net, o_km + d_km, 0.0)
        return self._combine(estimate, on_net, minutes, km, access_km)

    def straight_radius_km(self, minutes: float) -> float:
        # No trip is faster as the crow flies than the fastest road of the graph.
        return max(minutes / 60.0 * self.max_speed_kmh, self.fallback.straight_radius_km(minutes))

    # --- nearest destination of many origins (coverage) ---------------------------------------
    def nearest_destination(self, origins: pd.DataFrame,
                            destinations: pd.DataFrame) -> tuple[np.ndarray, Travel]:
        """For each origin, the position (in ``destinations``) of its nearest destination by
        road and the travel to it, in one multi-source Dijkstra (reversed graph, every
        destination a source, ``min_only=True``). An origin off the network, or that reaches
        no destination, gets its straight-nearest destination with the estimate, flagged.
        Positions are -1 when ``destinations`` has no usable point."""
        count = len(origins)
        pick = np.full(count, -1, dtype=np.int64)
        lon_d = destinations["lon"].to_numpy(dtype=float)
        lat_d = destinations["lat"].to_numpy(dtype=float)
        located = np.flatnonzero(np.isfinite(lon_d) & np.isfinite(lat_d))
        nan = np.full(count, np.nan)
        if located.size == 0 or count == 0:
            return pick, Travel(nan, nan.copy(), nan.copy(), estimated=np.ones(count, bool))
        lon_o = origins["lon"].to_numpy(dtype=float)
        lat_o = origins["lat"].to_numpy(dtype=float)
        # The estimate's answer for everyone (the straight nearest), kept where needed.
        _, straight_idx = cKDTree(unit_vectors(lon_d[located], lat_d[located])).query(
            unit_vectors(np.nan_to_num(lon_o), np.nan_to_num(lat_o)))
        pick[:] = located[straight_idx]
        estimated = np.ones(count, dtype=bool)
        minutes, road = np.full(count, np.inf), np.full(count, np.inf)
        access_km = np.zeros(count)
        d_node, d_km, d_ok = self.snap(lon_d, lat_d)
        o_node, o_km, o_ok = self.snap(lon_o, lat_o)
        sources = np.flatnonzero(d_ok)
        if sources.size and o_ok.any():
            # Several destinations on one node: the first one (by position) stands for it.
            nodes, first = np.unique(d_node[sources], return_index=True)
            owner = np.full(self.graph.node_count, -1, dtype=np.int64)
            owner[nodes] = sources[first]
            # The access leg of a destination counts: add it after, per chosen destination.
            dist, pred, src = dijkstra(self._backward, indices=nodes, min_only=True,
                                       return_predecessors=True)
            rows = np.flatnonzero(o_ok)
            reached = rows[np.isfinite(dist[o_node[rows]])]
            if reached.size:
                start = o_node[reached]
                root = src[start]
                km = self._walk(pred, start, root)
                chosen = owner[root]
                pick[reached] = chosen
                minutes[reached] = dist[start]
                road[reached] = km
                access_km[reached] = o_km[reached] + d_km[chosen]
                estimated[reached] = False
        straight = np.where(np.isfinite(lon_o) & np.isfinite(lat_o),
                            haversine_km(lon_o, lat_o, lon_d[pick], lat_d[pick]), np.nan)
        estimate = self.fallback.from_straight(straight)
        access = self.fallback.from_straight(access_km)
        travel = Travel(straight,
                        np.where(estimated, estimate.road_km, road + access.road_km),
                        np.where(estimated, estimate.minutes, minutes + access.minutes),
                        estimated=estimated)
        return pick, travel

    def pairs_within(self, origins: pd.DataFrame, destinations: pd.DataFrame,
                     minutes: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (origin position, destination position) whose travel takes at most
        ``minutes``, and whether that pair's travel is the estimate (where_next's covering
        matrix). One Dijkstra limited to ``minutes`` from each distinct destination node on
        the reversed graph; pairs with a point off the network use the estimate (flagged)."""
        lon_o, lat_o = origins["lon"].to_numpy(float), origins["lat"].to_numpy(float)
        lon_d, lat_d = destinations["lon"].to_numpy(float), destinations["lat"].to_numpy(float)
        o_node, o_km, o_ok = self.snap(lon_o, lat_o)
        d_node, d_km, d_ok = self.snap(lon_d, lat_d)
        found_i, found_j, flagged = [], [], []
        oi, di = np.flatnonzero(o_ok), np.flatnonzero(d_ok)
        if oi.size and di.size:
            for part in np.array_split(di, -(-di.size // ROOTS_PER_RUN)):
                roots, inverse = np.unique(d_node[part], return_inverse=True)
                dist = dijkstra(self._backward, indices=roots, limit=float(minutes))
                times = dist[inverse][:, o_node[oi]]  # destinations × origins
                access = self.fallback.from_straight(d_km[part][:, None] + o_km[oi][None, :])
                jj, ii = np.nonzero(times + access.minutes <= minutes)
                found_i.append(oi[ii])
                found_j.append(part[jj])
                flagged.append(np.zeros(ii.size, dtype=bool))
        # Pairs with a point off the network: the estimate, within its own radius.
        off_o, off_d = np.flatnonzero(~o_ok), np.flatnonzero(~d_ok)
        radius = chord_for_km(self.fallback.straight_radius_km(minutes)) * (1 + 1e-9)
        for rows, cols in ((off_o, np.arange(len(destinations))), (o_ok.nonzero()[0], off_d)):
            rows = rows[np.isfinite(lon_o[rows]) & np.isfinite(lat_o[rows])]
            cols = cols[np.isfinite(lon_d[cols]) & np.isfinite(lat_d[cols])]
            if not rows.size or not cols.size:
                continue
            near = cKDTree(unit_vectors(lon_o[rows], lat_o[rows])).sparse_distance_matrix(
                cKDTree(unit_vectors(lon_d[cols], lat_d[cols])), radius, output_type="ndarray")
            i, j = rows[near["i"]], cols[near["j"]]
            straight = haversine_km(lon_o[i], lat_o[i], lon_d[j], lat_d[j])
            keep = self.fallback.from_straight(straight).minutes <= minutes
            found_i.append(i[keep])
            found_j.append(j[keep])
            flagged.append(np.ones(int(keep.sum()), dtype=bool))
        if not found_i:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty.copy(), np.zeros(0, dtype=bool)
        return (np.concatenate(found_i).astype(np.int64), np.concatenate(found_j).astype(np.int64),
                np.concatenate(flagged))

    def _walk(self, predecessors: np.ndarray, start: np.ndarray, roots: np.ndarray) -> np.ndarray:
        """Km from each start node back to its root along a min_only tree of the reversed
        graph (edges read node → predecessor, the driving direction)."""
        current = start.astype(np.int64).copy()
        total = np.zeros(current.size)
        active = np.flatnonzero(current != roots)
        while active.size:
            previous = predecessors[current[active]].astype(np.int64)
            total[active] += self._edge_km(current[active], previous)
            current[active] = previous
            active = active[current[active] != roots[active]]
        return total

