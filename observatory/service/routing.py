"""Road graph use cases: build it from an OpenStreetMap extract, say what is stored.

``observatory routing build`` calls ``build``; the provider itself is built by
``Settings.provider()`` when ``OBSERVATORY_DISTANCE=osm``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from observatory import calibration as calibration_rules
from observatory import coverage, formatting, osm
from observatory.distances import EstimatedRoad
from observatory.routing import RoadGraph, RoadNetwork
from observatory.service import core
from observatory.settings import Settings
from observatory.store import audit
from observatory.store import routing as store_routing
from observatory.store import territory as store_territory


@dataclass(frozen=True)
class BuildReport:
    """What a build stored: the graph's metadata (counts, dates, file, attribution)."""

    meta: dict

    def lines(self) -> list[str]:
        """French lines for the CLI."""
        m = self.meta
        date = formatting.long_date(m.get("extract_date"))
        where = ("date de réplication de l'en-tête" if m.get("extract_date_source") == "header"
                 else "dernière modification des routes lues")
        return [
            f"Réseau routier construit depuis {m['source_file']} (profil {m['profile']}).",
            f"Extrait du {date} ({where}).",
            f"{formatting.count(int(m['ways']), 'voie carrossable', 'voies carrossables')} "
            f"lue{'s' if int(m['ways']) > 1 else ''}, "
            f"{formatting.count(int(m['raw_nodes']), 'nœud')} d'origine.",
            f"Graphe enregistré : {formatting.count(int(m['nodes']), 'nœud')}, "
            f"{formatting.count(int(m['edges']), 'arc')}.",
            str(m["attribution"]),
        ]


def build(settings: Settings, osm_file: str | Path, *, actor: str,
          profile: str = "car") -> BuildReport:
    """Read and contract the extract, then replace the stored graph in one transaction."""
    graph = osm.build_graph(osm_file, profile=profile)
    return BuildReport(store(settings, graph, actor=actor))


def store(settings: Settings, graph: RoadGraph, *, actor: str) -> dict:
    """Replace the stored graph by ``graph`` (one transaction, audited); its metadata."""
    with core.session(settings) as con, core.transaction(con):
        before = store_routing.metadata(con)
        store_routing.replace(con, graph, actor)
        after = store_routing.metadata(con)
        audit.record(con, actor=actor, entity="road_graph", entity_id=1,
                     action="create" if before is None else "update",
                     old=_summary(before), new=_summary(after))
    return after


def _summary(meta: dict | None) -> dict | None:
    keys = ("source_file", "extract_date", "profile", "nodes", "edges")
    return None if meta is None else {k: meta.get(k) for k in keys}


def metadata(con) -> dict | None:
    """The stored graph's metadata, or None when none has been built."""
    return store_routing.metadata(con)


def road_network(con, settings: Settings) -> RoadNetwork | None:
    """The stored road network, the settings' estimate filling its gaps; None when no graph
    has been built. The settings' own provider (cached) when they choose it."""
    if store_routing.metadata(con) is None:
        return None
    if settings.distance == "osm":
        return settings.provider()
    return RoadNetwork(store_routing.load(con),
                       fallback=EstimatedRoad(circuity=settings.circuity,
                                              speed_kmh=settings.speed_kmh))


def calibration(con, settings: Settings, places) -> calibration_rules.Calibration | None:
    """The settings' estimate against the stored road network for every pair of ``places``
    (``calibration.compare``); None when no road graph has been built."""
    network = road_network(con, settings)
    if network is None:
        return None
    return calibration_rules.compare(places, network, network.fallback)


def commune_calibration(con, settings: Settings, places):
    """Each commune's nearest place by the settings' estimate and by the stored road network
    (``calibration.compare_communes``); None when no road graph has been built."""
    network = road_network(con, settings)
    if network is None:
        return None
    communes = pd.DataFrame(store_territory.communes(con).drop(columns="geometry"))
    return calibration_rules.compare_communes(
        coverage.nearest(communes, places, provider=network.fallback),
        coverage.nearest(communes, places, provider=network))
