"""The OpenStreetMap road network: reading, contraction, shortest paths and their uses.

Every OSM file is written by the test itself: a valley and a ridge near 43° N (crow-fly from
A to B 8 km, by road 40 km), one-way streets, an island, a speed limit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatory import coverage, itinerance, osm, partners
from observatory.distances import EstimatedRoad, haversine_km
from observatory.errors import UserInputError
from observatory.model import CRITERIA_KEYS
from observatory.routing import ATTRIBUTION, RoadGraph, RoadNetwork

STAMP = "2024-05-01T10:00:00Z"
# What every page, export and command prints beside a road time: network, date, attribution.
LABEL = "Réseau routier OSM (extrait du 1er mai 2024), © les contributeurs d'OpenStreetMap (ODbL)"

# Nodes (id: lon, lat). A and B on either side of a ridge, 8 km apart north-south; the only
# road between them goes round by the east valley (V1, V2), about 40 km. C is 12 km west of A
# on a direct road; D is 11 km north of B on a direct road.
VALLEY_NODES = {
    1: (1.00, 43.000),   # A
    2: (1.00, 43.072),   # B
    3: (0.85, 43.000),   # C
    4: (1.00, 43.172),   # D
    5: (1.20, 43.000),   # V1
    6: (1.20, 43.072),   # V2
    7: (1.10, 43.000),   # a shape point between A and V1 (removed by contraction)
}
VALLEY_WAYS = [
    ([1, 7, 5, 6, 2], {"highway": "primary"}),   # the valley road, A → V1 → V2 → B
    ([3, 1], {"highway": "primary"}),            # C – A
    ([2, 4], {"highway": "secondary"}),          # B – D
]


def osm_xml(nodes: dict[int, tuple[float, float]], ways: list[tuple[list[int], dict]],
            stamp: str = STAMP) -> str:
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f' <node id="{nid}" version="1" timestamp="{stamp}" '
                     f'lat="{lat}" lon="{lon}"/>')
    for k, (refs, tags) in enumerate(ways, start=100):
        lines.append(f' <way id="{k}" version="1" timestamp="{stamp}">')
        lines.extend(f'  <nd ref="{r}"/>' for r in refs)
        lines.extend(f'  <tag k="{key}" v="{value}"/>' for key, value in tags.items())
        lines.append(" </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def write_osm(path: Path, nodes, ways, stamp: str = STAMP) -> Path:
    path.write_text(osm_xml(nodes, ways, stamp), encoding="utf-8")
    return path


def km(a: int, b: int, nodes=VALLEY_NODES) -> float:
    (lon1, lat1), (lon2, lat2) = nodes[a], nodes[b]
    return float(haversine_km(lon1, lat1, lon2, lat2))


@pytest.fixture
def valley(tmp_path) -> RoadNetwork:
    graph = osm.build_graph(write_osm(tmp_path / "valley.osm", VALLEY_NODES, VALLEY_WAYS))
    return RoadNetwork(graph)


def point(pid, node, nodes=VALLEY_NODES, **extra) -> dict:
    lon, lat = nodes[node]
    return {"id": pid, "lon": lon, "lat": lat, **extra}


def frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def place_rows(*rows) -> pd.DataFrame:
    """Places alike in everything but where they are (so only travel ranks them)."""
    out = frame(*rows)
    out["name"] = [f"Lieu {i}" for i in out["id"]]
    out["typology"] = "fablab"
    out["thematics"] = [["numérique"] for _ in range(len(out))]
    out["mature"] = False
    for key in CRITERIA_KEYS:
        out[key] = 2.0
    return out


# --- reading and contraction ------------------------------------------------------------

def test_contraction_keeps_junctions_and_ends_and_drops_shape_points(valley):
    graph = valley.graph
    # V1, V2 and node 7 lie inside one way only: 1 → 7 → 5 → 6 → 2 is one edge each way.
    assert graph.node_count == 4
    assert graph.meta["raw_nodes"] == 7 and graph.meta["ways"] == 3
    assert graph.edge_count == 2 * 3
    assert graph.meta["attribution"] == ATTRIBUTION
    assert graph.meta["extract_date"] == dt.datetime(2024, 5, 1, 10, 0)
    assert graph.meta["extract_date_source"] == "newest_way"


def test_the_valley_road_is_forty_km_where_the_crow_flies_eight(valley):
    a, b = frame(point(1, 1)), frame(point(2, 2))
    travel = valley.matrix(a, b)
    assert travel.straight_km[0, 0] == pytest.approx(8.0, abs=0.1)
    road = km(1, 7) + km(7, 5) + km(5, 6) + km(6, 2)
    assert road == pytest.approx(40.6, abs=0.2)
    assert travel.road_km[0, 0] == pytest.approx(road, rel=1e-9)
    assert not travel.estimated[0, 0]


def test_matrix_equals_the_hand_computed_shortest_path(valley):
    # C → D: C–A (primary, 80) + valley A…B (primary, 80) + B–D (secondary, 70).
    c, d = frame(point(3, 3)), frame(point(4, 4))
    valley_km = km(1, 7) + km(7, 5) + km(5, 6) + km(6, 2)
    expected_km = km(3, 1) + valley_km + km(2, 4)
    expected_min = (km(3, 1) + valley_km) / 80 * 60 + km(2, 4) / 70 * 60
    travel = valley.matrix(c, d)
    assert travel.road_km[0, 0] == pytest.approx(expected_km, rel=1e-9)
    assert travel.minutes[0, 0] == pytest.approx(expected_min, rel=1e-9)
    back = valley.pairwise(d, c)
    assert back.minutes[0] == pytest.approx(expected_min, rel=1e-9)
    assert RoadNetwork(valley.graph).is_estimate is False


def test_fastest_path_km_are_those_of_the_fastest_not_the_shortest(tmp_path):
    # P → Q: a short track (15 km/h) or a longer primary road through R (80 km/h).
    nodes = {1: (1.0, 43.0), 2: (1.05, 43.0), 3: (1.025, 43.03)}
    ways = [([1, 2], {"highway": "track"}), ([1, 3, 2], {"highway": "primary"})]
    network = RoadNetwork(osm.build_graph(write_osm(tmp_path / "f.osm", nodes, ways)))
    travel = network.matrix(frame(point(1, 1, nodes)), frame(point(2, 2, nodes)))
    detour = km(1, 3, nodes) + km(3, 2, nodes)
    assert detour > km(1, 2, nodes)
    assert travel.road_km[0, 0] == pytest.approx(detour, rel=1e-9)
    assert travel.minutes[0, 0] == pytest.approx(detour / 80 * 60, rel=1e-9)


def test_one_way_streets_are_respected(tmp_path):
    # P → Q direct is one way; Q → P must go round by R (two ways).
    nodes = {1: (1.0, 43.0), 2: (1.02, 43.0), 3: (1.01, 43.02)}
    ways = [([1, 2], {"highway": "residential", "oneway": "yes"}),
            ([2, 3, 1], {"highway": "residential"})]
    network = RoadNetwork(osm.build_graph(write_osm(tmp_path / "o.osm", nodes, ways)))
    p, q = frame(point(1, 1, nodes)), frame(point(2, 2, nodes))
    there, back = network.matrix(p, q), network.matrix(q, p)
    assert there.road_km[0, 0] == pytest.approx(km(1, 2, nodes), rel=1e-9)
    assert back.road_km[0, 0] == pytest.approx(km(2, 3, nodes) + km(3, 1, nodes), rel=1e-9)
    assert back.minutes[0, 0] > there.minutes[0, 0]
    # oneway=-1 is one way against the drawing direction.
    reverse = [([2, 1], {"highway": "residential", "oneway": "-1"}),
               ([2, 3, 1], {"highway": "residential"})]
    network = RoadNetwork(osm.build_graph(write_osm(tmp_path / "r.osm", nodes, reverse)))
    assert network.matrix(p, q).road_km[0, 0] == pytest.approx(km(1, 2, nodes), rel=1e-9)
    assert network.matrix(q, p).road_km[0, 0] > km(1, 2, nodes) * 1.5


def test_a_roundabout_is_one_way():
    assert osm.way_direction({"highway": "primary", "junction": "roundabout"}) == 1
    assert osm.way_direction({"highway": "primary", "junction": "roundabout",
                              "oneway": "no"}) == 0
    assert osm.way_direction({"highway": "primary"}) == 0
    assert osm.way_direction({"highway": "primary", "oneway": "reverse"}) == -1


def test_maxspeed_lowers_the_class_speed(tmp_path):
    nodes = {1: (1.0, 43.0), 2: (1.1, 43.0)}
    limited = RoadNetwork(osm.build_graph(write_osm(
        tmp_path / "m.osm", nodes, [([1, 2], {"highway": "primary", "maxspeed": "30"})])))
    travel = limited.matrix(frame(point(1, 1, nodes)), frame(point(2, 2, nodes)))
    assert travel.minutes[0, 0] == pytest.approx(km(1, 2, nodes) / 30 * 60, rel=1e-9)
    assert osm.way_speed({"highway": "primary", "maxspeed": "FR:urban"}) == 50
    assert osm.way_speed({"highway": "secondary", "maxspeed": "FR:rural"}) == 70  # 80 > 70
    assert osm.way_speed({"highway": "primary", "maxspeed": "20 mph"}) == pytest.approx(32.19,
                                                                                      abs=0.01)
    assert osm.way_speed({"highway": "primary", "maxspeed": "signals"}) == 80
    assert osm.way_speed({"highway": "motorway_link"}) == 60


def test_private_and_closed_roads_are_left_out():
    assert not osm.is_drivable({"highway": "residential", "access": "private"})
    assert not osm.is_drivable({"highway": "service", "motor_vehicle": "no"})
    assert osm.is_drivable({"highway": "service", "access": "no", "motorcar": "yes"})
    assert not osm.is_drivable({"highway": "footway"})
    assert not osm.is_drivable({"highway": "cycleway"})
    assert osm.is_drivable({"highway": "track"})


# --- fallback, flagged -----------------------------------------------------------------------

def test_an_unreachable_place_gets_the_estimate_and_is_flagged(tmp_path, valley):
    # An island: a road of its own, not joined to the valley.
    nodes = {**VALLEY_NODES, 20: (1.5, 43.3), 21: (1.51, 43.3)}
    ways = [*VALLEY_WAYS, ([20, 21], {"highway": "tertiary"})]
    network = RoadNetwork(osm.build_graph(write_osm(tmp_path / "i.osm", nodes, ways)))
    places = frame(point(1, 1, nodes), point(20, 20, nodes), {"id": 99, "lon": 2.5, "lat": 44.0})
    travel = network.matrix(places, places)
    estimate = EstimatedRoad().matrix(places, places)
    flagged = travel.estimated
    assert flagged[0, 1] and flagged[1, 0]  # another component
    assert flagged[2].all() and flagged[:, 2].all()  # 100 km from any road
    assert not flagged[0, 0] and not flagged[1, 1]
    assert travel.minutes[0, 1] == pytest.approx(estimate.minutes[0, 1])
    assert travel.road_km[2, 0] == pytest.approx(estimate.road_km[2, 0])
    off_diagonal = flagged & ~np.eye(3, dtype=bool)
    assert np.isfinite(travel.minutes).all() and (travel.minutes[off_diagonal] > 0).all()
    pair = network.pairwise(places.iloc[[0, 2]], places.iloc[[1, 0]])
    assert pair.estimated.tolist() == [True, True]


def test_a_point_near_the_road_adds_its_access_leg(valley):
    near = frame({"id": 1, "lon": 1.00, "lat": 43.005})  # about 560 m north of A
    b = frame(point(2, 2))
    direct = valley.matrix(frame(point(1, 1)), b)
    travel = valley.matrix(near, b)
    leg = EstimatedRoad().from_straight(np.array([km(1, 1) + 0.556]))
    assert not travel.estimated[0, 0]
    assert travel.minutes[0, 0] == pytest.approx(direct.minutes[0, 0] + leg.minutes[0], abs=0.05)


# --- the ridge changes partners, coverage and tours ------------------------------------------

def test_the_ridge_changes_the_partner_ranking(valley):
    places = place_rows(point(1, 1), point(2, 2), point(3, 3))
    estimated = partners.suggest(places, 1, provider=EstimatedRoad(), max_minutes=60)
    by_road = partners.suggest(places, 1, provider=valley, max_minutes=60)
    assert estimated["id"].tolist() == [2, 3]  # B looks 8 km away
    assert by_road["id"].tolist() == [3, 2]  # but C is the nearer by road
    assert by_road.set_index("id").loc[2, "minutes"] > 25


def test_the_ridge_changes_the_nearest_place_of_a_commune(valley):
    lon, lat = VALLEY_NODES[2]
    communes = pd.DataFrame({"insee": ["09999"], "name": ["Derrière-la-crête"],
                             "population": [100], "lon": [lon], "lat": [lat + 0.002]})
    places = place_rows(point(1, 1), point(4, 4))
    estimated = coverage.nearest(communes, places, provider=EstimatedRoad())
    by_road = coverage.nearest(communes, places, provider=valley)
    assert estimated["nearest_place_id"].tolist() == [1]
    assert by_road["nearest_place_id"].tolist() == [4]
    assert by_road["minutes"].iloc[0] < 12 and not by_road["travel_estimated"].iloc[0]
    # The same answer as measuring every pair.
    matrix = valley.matrix(communes.assign(id=communes["insee"]), places)
    assert by_road["minutes"].iloc[0] == pytest.approx(matrix.minutes.min())
    assert by_road["road_km"].iloc[0] == pytest.approx(matrix.road_km[0, 1])


def test_a_commune_off_the_network_gets_the_estimated_nearest_flagged(valley):
    communes = pd.DataFrame({"insee": ["09998"], "name": ["Loin"], "population": [10],
                             "lon": [1.0], "lat": [43.6]})
    places = place_rows(point(1, 1), point(4, 4))
    found = coverage.nearest(communes, places, provider=valley)
    expected = coverage.nearest(communes, places, provider=EstimatedRoad())
    assert found["nearest_place_id"].tolist() == expected["nearest_place_id"].tolist()
    assert found["minutes"].iloc[0] == pytest.approx(expected["minutes"].iloc[0])
    assert found["travel_estimated"].iloc[0]


def test_the_ridge_changes_the_order_of_a_tour(valley):
    places = place_rows(point(1, 1), point(2, 2), point(3, 3))
    kwargs = {"start_id": 1, "return_to_start": False, "emission_factor": 0.2}
    estimated = itinerance.plan_tour(places, provider=EstimatedRoad(), **kwargs)
    by_road = itinerance.plan_tour(places, provider=valley, **kwargs)
    assert estimated.order == [1, 2, 3]
    assert by_road.order == [1, 3, 2]
    assert by_road.provider_label == LABEL


def test_label_names_the_extract_date(valley):
    assert valley.label == LABEL
    assert valley.straight_radius_km(60) >= 80


# --- PBF -------------------------------------------------------------------------------------

def test_a_pbf_written_by_osmium_reads_like_the_xml(tmp_path):
    import osmium

    xml = osm.build_graph(write_osm(tmp_path / "v.osm", VALLEY_NODES, VALLEY_WAYS))
    pbf = tmp_path / "v.osm.pbf"
    stamp = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
    header = osmium.io.Header()
    header.set("osmosis_replication_timestamp", "2024-06-03T20:21:02Z")  # as Geofabrik's
    writer = osmium.SimpleWriter(str(pbf), header=header)
    try:
        for nid, (lon, lat) in VALLEY_NODES.items():
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, lat), version=1,
                                                    timestamp=stamp))
        for k, (refs, tags) in enumerate(VALLEY_WAYS, start=100):
            writer.add_way(osmium.osm.mutable.Way(id=k, nodes=refs, tags=tags, version=1,
                                                  timestamp=stamp))
    finally:
        writer.close()
    graph = osm.build_graph(pbf)
    assert graph.node_count == xml.node_count and graph.edge_count == xml.edge_count
    np.testing.assert_allclose(graph.lon, xml.lon, atol=1e-7)
    np.testing.assert_allclose(graph.minutes, xml.minutes, rtol=1e-6)
    # The header's replication date wins over the objects' timestamps.
    assert graph.meta["extract_date"] == dt.datetime(2024, 6, 3, 20, 21, 2)
    assert graph.meta["extract_date_source"] == "header"
    assert RoadNetwork(graph).label.startswith("Réseau routier OSM (extrait du 3 juin 2024), ©")


def test_an_unreadable_or_roadless_file_is_refused_in_french(tmp_path):
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node", encoding="utf-8")
    with pytest.raises(UserInputError, match="n'a pas pu être lu"):
        osm.build_graph(bad)
    empty = write_osm(tmp_path / "empty.osm", {1: (1.0, 43.0), 2: (1.1, 43.0)},
                      [([1, 2], {"highway": "footway"})])
    with pytest.raises(UserInputError, match="aucune route carrossable"):
        osm.build_graph(empty)
    with pytest.raises(UserInputError, match="introuvable"):
        osm.build_graph(tmp_path / "absent.osm.pbf")
    with pytest.raises(UserInputError, match="Profil"):
        osm.build_graph(empty, profile="bike")


def test_an_empty_graph_answers_with_the_estimate_flagged():
    empty = RoadGraph(np.zeros(0), np.zeros(0), np.zeros(0, int), np.zeros(0, int),
                      np.zeros(0), np.zeros(0))
    network = RoadNetwork(empty)
    places = frame(point(1, 1), point(2, 2))
    travel = network.matrix(places, places)
    assert travel.estimated.all()
    np.testing.assert_allclose(travel.minutes, EstimatedRoad().matrix(places, places).minutes)


# --- stored, chosen in the settings, built by the CLI ----------------------------------------

@pytest.fixture
def empty_db(tmp_path, territory_config) -> Path:
    from observatory import bootstrap

    path = tmp_path / "observatory.duckdb"
    bootstrap.init_database(path, territory_config, with_demo=False)
    return path


def test_cli_routing_build_stores_the_graph_and_prints_french_counts(tmp_path, empty_db,
                                                                     capsys):
    from observatory import cli
    from observatory.settings import Settings

    extract = write_osm(tmp_path / "valley.osm", VALLEY_NODES, VALLEY_WAYS)
    code = cli.main(["routing", "build", "--osm", str(extract), "--db", str(empty_db),
                     "--by", "analyste"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3 voies carrossables lues, 7 nœuds d'origine." in out
    assert "Graphe enregistré : 4 nœuds, 6 arcs." in out
    assert "Extrait du 1er mai 2024" in out and ATTRIBUTION in out
    provider = Settings(db=empty_db, distance="osm").provider()
    assert isinstance(provider, RoadNetwork) and provider.is_estimate is False
    assert provider.label == LABEL
    travel = provider.matrix(frame(point(1, 1)), frame(point(2, 2)))
    assert travel.road_km[0, 0] == pytest.approx(40.6, abs=0.2)
    np.testing.assert_allclose(provider.graph.minutes, osm.build_graph(extract).minutes)


def test_a_new_build_replaces_the_graph_in_one_transaction(tmp_path, empty_db, capsys):
    from observatory import cli
    from observatory.service import core, routing
    from observatory.settings import Settings

    settings = Settings(db=empty_db, distance="osm")
    first = write_osm(tmp_path / "valley.osm", VALLEY_NODES, VALLEY_WAYS)
    assert cli.main(["routing", "build", "--osm", str(first), "--db", str(empty_db)]) == 0
    nodes = {1: (1.0, 43.0), 2: (1.1, 43.0)}
    second = write_osm(tmp_path / "small.osm", nodes, [([1, 2], {"highway": "primary"})],
                       stamp="2025-01-02T00:00:00Z")
    assert cli.main(["routing", "build", "--osm", str(second), "--db", str(empty_db)]) == 0
    provider = settings.provider()
    assert provider.graph.node_count == 2 and provider.graph.edge_count == 2
    assert provider.label.startswith("Réseau routier OSM (extrait du 2 janvier 2025), ©")
    # A build that fails midway leaves the previous graph whole.
    broken = osm.build_graph(first)
    broken = RoadGraph(broken.lon, broken.lat, broken.source, broken.target,
                       broken.minutes, -broken.km, broken.meta)  # refused by a CHECK
    with pytest.raises(Exception):  # noqa: B017 - DuckDB's constraint error, rolled back
        routing.store(settings, broken, actor="test")
    with core.session(settings, read_only=True) as con:
        assert routing.metadata(con)["source_file"] == "small.osm"
    assert Settings(db=empty_db, distance="osm").provider().graph.node_count == 2
    capsys.readouterr()


def test_osm_without_a_graph_says_how_to_build_it(empty_db, tmp_path):
    from observatory.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="observatory routing build --osm FICHIER"):
        Settings(db=empty_db, distance="osm").provider()
    with pytest.raises(SettingsError, match="observatory routing build --osm FICHIER"):
        Settings(db=tmp_path / "absent.duckdb", distance="osm").provider()
    assert Settings.from_env({"OBSERVATORY_DISTANCE": "osm"}).distance == "osm"
    assert Settings.from_env({}).provider() == EstimatedRoad()  # still the default


def test_the_provider_loads_inside_an_open_session_of_either_mode(tmp_path, empty_db):
    from observatory.service import core, routing
    from observatory.settings import Settings

    settings = Settings(db=empty_db, distance="osm")
    routing.store(settings, osm.build_graph(write_osm(tmp_path / "v.osm", VALLEY_NODES,
                                                      VALLEY_WAYS)), actor="test")
    for read_only in (False, True):
        with core.session(settings, read_only=read_only):
            from observatory import settings as settings_module
            settings_module._graph_stamp.cache_clear()
            settings_module._road_network.cache_clear()
            assert settings.provider().graph.node_count == 4


def test_the_cli_refuses_a_missing_extract_in_french(empty_db, tmp_path, capsys):
    from observatory import cli

    code = cli.main(["routing", "build", "--osm", str(tmp_path / "absent.osm.pbf"),
                     "--db", str(empty_db)])
    assert code == 1
    assert "introuvable" in capsys.readouterr().err


def test_who_built_the_graph_is_erased_with_the_person(tmp_path, empty_db):
    from observatory.erasure import REDACTED
    from observatory.service import core, places, routing
    from observatory.settings import Settings

    settings = Settings(db=empty_db)
    graph = osm.build_graph(write_osm(tmp_path / "v.osm", VALLEY_NODES, VALLEY_WAYS))
    routing.store(settings, graph, actor="Jeanne Cartographe")
    places.erase_person(settings, "Jeanne Cartographe", actor="dpo", dry_run=False)
    with core.session(settings, read_only=True) as con:
        assert routing.metadata(con)["built_by"] == REDACTED


def test_a_trip_far_longer_than_its_estimate_is_still_found_exactly(tmp_path):
    # P and Q 1.1 km apart; the only road is a track round by R (about 33 km at 15 km/h):
    # no bound derived from the estimate may cut the search short.
    nodes = {1: (1.0, 43.0), 2: (1.0, 43.01), 3: (1.2, 43.005)}
    ways = [([1, 3, 2], {"highway": "track"})]
    network = RoadNetwork(osm.build_graph(write_osm(tmp_path / "t.osm", nodes, ways)))
    p, q = frame(point(1, 1, nodes)), frame(point(2, 2, nodes))
    expected = (km(1, 3, nodes) + km(3, 2, nodes)) / 15 * 60
    assert expected > 2 * EstimatedRoad().matrix(p, q).minutes[0, 0] + 100
    for travel in (network.matrix(p, q), network.matrix(q, p)):
        assert travel.minutes[0, 0] == pytest.approx(expected, rel=1e-9)
        assert not travel.estimated[0, 0]
    assert network.pairwise(p, q).minutes[0] == pytest.approx(expected, rel=1e-9)


def test_a_partner_off_the_network_is_said_estimated_in_its_explanation(valley):
    places = place_rows(point(1, 1), point(3, 3), {"id": 9, "lon": 1.0, "lat": 42.93})
    ranked = partners.suggest(places, 1, provider=valley, max_minutes=60).set_index("id")
    assert not ranked.loc[3, "travel_estimated"] and "estimation" not in ranked.loc[3, "why"]
    assert ranked.loc[9, "travel_estimated"] and "estimation)" in ranked.loc[9, "why"]


def test_the_covering_matrix_on_roads_equals_every_pair_measured(tmp_path):
    # The valley, an island, and a point far from any road.
    nodes = {**VALLEY_NODES, 20: (1.5, 43.3), 21: (1.51, 43.3)}
    ways = [*VALLEY_WAYS, ([20, 21], {"highway": "tertiary"})]
    network = RoadNetwork(osm.build_graph(write_osm(tmp_path / "i.osm", nodes, ways)))
    sites = frame(point(1, 1, nodes), point(2, 2, nodes), point(3, 3, nodes),
                  point(20, 20, nodes), {"id": 99, "lon": 1.0, "lat": 42.93})
    demand = pd.DataFrame({"insee": ["a", "b", "c", "d", "e", "f"],
                           "lon": [1.0, 1.0, 0.86, 1.0, 1.505, 1.0],
                           "lat": [43.003, 43.07, 43.0, 43.17, 43.3, 42.94]})
    for threshold in (10.0, 20.0, 35.0):
        found = coverage.coverage_matrix(sites, demand, threshold, provider=network).toarray()
        travel = network.matrix(demand.assign(id=demand["insee"]), sites)
        assert (found.astype(bool) == (travel.minutes <= threshold).T).all(), threshold
    assert found.sum() > 0


# --- every provider says which pairs are estimates; the CLI follows the setting ---------------

def test_every_provider_flags_its_estimated_pairs():
    from observatory.distances import MatrixFile

    places = frame(point(1, 1), point(2, 2), point(3, 3))
    assert EstimatedRoad().matrix(places, places).estimated.all()
    table = pd.DataFrame({"from_id": [1], "to_id": [2], "road_km": [40.0], "minutes": [31.0]})
    flagged = MatrixFile(table).matrix(places, places).estimated
    assert not flagged[0, 1] and not flagged[1, 0] and flagged[0, 2] and flagged[2, 2]
    pair = MatrixFile(table).pairwise(places.iloc[[0, 0]], places.iloc[[1, 2]])
    assert pair.estimated.tolist() == [False, True]


def test_the_coverage_command_computes_on_the_road_network(tmp_path, demo_db, monkeypatch,
                                                           capsys):
    import json
    import shutil

    from observatory import cli

    database = tmp_path / "observatory.duckdb"
    shutil.copy(demo_db, database)
    extract = write_osm(tmp_path / "valley.osm", VALLEY_NODES, VALLEY_WAYS)
    assert cli.main(["routing", "build", "--osm", str(extract), "--db", str(database)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("OBSERVATORY_DISTANCE", "osm")
    assert cli.main(["coverage", "--json", "--db", str(database)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["distance_method"] == LABEL
    assert report["distance_is_estimate"] is False
    assert len(report["communes"]) == 231
