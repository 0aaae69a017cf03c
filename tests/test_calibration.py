"""Calibration: the estimate against the road network, pair by pair (a ridge comes first)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory import calibration, osm
from observatory.distances import EstimatedRoad
from observatory.routing import RoadNetwork
from tests.test_routing import VALLEY_NODES, VALLEY_WAYS, write_osm

# A and C on the south side of the ridge, B and D on the north side (see tests/test_routing).
SOUTH, NORTH = {"A", "C"}, {"B", "D"}


def places(*named) -> pd.DataFrame:
    nodes = {"A": 1, "B": 2, "C": 3, "D": 4}
    return pd.DataFrame([{"id": k, "name": name, "lon": VALLEY_NODES[nodes[name]][0],
                          "lat": VALLEY_NODES[nodes[name]][1]}
                         for k, name in enumerate(named, start=1)])


@pytest.fixture
def valley(tmp_path) -> RoadNetwork:
    return RoadNetwork(osm.build_graph(write_osm(tmp_path / "v.osm", VALLEY_NODES, VALLEY_WAYS)))


def test_a_pair_across_the_ridge_comes_first(valley):
    found = calibration.compare(places("A", "B", "C", "D"), valley, EstimatedRoad())
    assert len(found.pairs) == 12  # 6 pairs, both ways
    first = found.pairs.iloc[0]
    assert {first["from_name"], first["to_name"]} in ({"A", "B"}, {"C", "B"}, {"A", "D"},
                                                      {"C", "D"})
    # Every pair across the ridge is more wrong than every pair on one side of it.
    across = found.pairs.apply(lambda r: ({r["from_name"], r["to_name"]} & SOUTH != set())
                               and ({r["from_name"], r["to_name"]} & NORTH != set()), axis=1)
    assert across.iloc[:8].all() and not across.iloc[8:].any()
    ab = found.pairs[(found.pairs["from_name"] == "A") & (found.pairs["to_name"] == "B")].iloc[0]
    # 8 km as the crow flies: 11 min estimated; 40.6 km of primary road at 80 km/h: 30 min.
    assert ab["estimate_minutes"] == pytest.approx(8.0 * 1.3 / 55 * 60, rel=0.02)
    assert ab["road_minutes"] == pytest.approx(40.6 / 80 * 60, rel=0.02)
    assert ab["ratio"] == pytest.approx(ab["road_minutes"] / ab["estimate_minutes"])
    assert ab["colour"] == calibration.ratio_colour(ab["ratio"]) == "#a50026"
    assert found.median_ratio == pytest.approx(float(np.median(found.pairs["ratio"])))
    assert found.median_ratio > 1


def test_the_worst_table_is_french_and_limited(valley):
    found = calibration.compare(places("A", "B", "C", "D"), valley, EstimatedRoad())
    table = calibration.worst_table(found, n=3)
    assert list(table.columns) == ["Lieux", "Estimation", "Réseau routier", "Écart", "Ratio"]
    assert len(table) == 3
    row = table.iloc[0]
    assert "→" in row["Lieux"] and row["Écart"].startswith("+")
    assert "," in row["Ratio"] and "." not in row["Ratio"]
    assert "médiane" in found.sentence() and "12 paires" in found.sentence()


def test_pairs_off_the_network_and_far_pairs_are_left_out_and_counted(valley):
    far_away = pd.DataFrame([{"id": 9, "name": "Île", "lon": 1.0, "lat": 42.95}])
    found = calibration.compare(pd.concat([places("A", "B"), far_away]), valley,
                                EstimatedRoad())
    assert set(found.pairs["from_name"]) == {"A", "B"}
    assert found.fallback_pairs == 4  # Île ↔ A, Île ↔ B, both ways
    assert "4 paires laissées de côté" in found.sentence()
    near_only = calibration.compare(places("A", "B", "C", "D"), valley, EstimatedRoad(),
                                    max_km=9)
    assert len(near_only.pairs) == 2  # A ↔ B only (C–A 12 km, B–D 11 km)


def test_no_pair_says_so(valley):
    found = calibration.compare(places("A"), valley, EstimatedRoad())
    assert found.pairs.empty and found.median_ratio is None
    assert found.sentence().startswith("Aucune paire")
    assert calibration.worst_table(found).empty


def test_the_map_lines_escape_place_names(valley):
    from observatory import maps

    named = places("A", "B")
    named.loc[0, "name"] = "<img src=x onerror=alert(1)>{{ 7*7 }}"
    found = calibration.compare(named, valley, EstimatedRoad())
    links = calibration.map_links(found)
    assert set(links["colour"]) == {"#a50026"}
    assert links["group"].iloc[0] == "route plus de 2 fois plus longue"
    data = maps.links_geojson(links, named)
    tips = " ".join(f["properties"]["tooltip"] for f in data["features"])
    assert "<img" not in tips and "&lt;img" in tips and "(ratio 2,68)" in tips
    assert "{{" not in str(maps.inert(data))  # template syntax neutralised too


def test_communes_behind_the_ridge_come_first(valley):
    from observatory import coverage

    communes = pd.DataFrame([
        {"insee": "09001", "name": "Bé", "population": 100, "lon": VALLEY_NODES[2][0],
         "lat": VALLEY_NODES[2][1], "in_perimeter": True},
        {"insee": "09002", "name": "Cé", "population": 200, "lon": VALLEY_NODES[3][0],
         "lat": VALLEY_NODES[3][1], "in_perimeter": True},
        {"insee": "09003", "name": "Île", "population": 50, "lon": 1.0, "lat": 42.95,
         "in_perimeter": True},
        {"insee": "31001", "name": "Dehors", "population": 9, "lon": VALLEY_NODES[4][0],
         "lat": VALLEY_NODES[4][1], "in_perimeter": False},
    ])
    only_a = places("A")
    found = calibration.compare_communes(
        coverage.nearest(communes, only_a, provider=valley.fallback),
        coverage.nearest(communes, only_a, provider=valley))
    # Bé is 8 km from A across the ridge (11 min estimated, 30 by road); Cé 12 km on a
    # straight road (17 min estimated, 9 by road); the island and the outside are left out.
    assert found["name"].tolist() == ["Bé", "Cé"]
    assert found["gap_minutes"].iloc[0] == pytest.approx(40.6 / 80 * 60 - 8 * 1.3 / 55 * 60,
                                                          abs=0.5)
    assert found["gap_minutes"].iloc[1] < 0
    table = calibration.communes_table(found)
    assert table["Commune"].tolist() == ["Bé", "Cé"] and table["Écart"].iloc[0].startswith("+")
    assert table["Lieu le plus proche (route)"].iloc[0] == "A"
