"""The pages with OBSERVATORY_DISTANCE=osm: network, extract date and ODbL attribution beside
every road time, trips that fell back to the estimate marked and counted, and the calibration
view on « Critères et maturité » (and its empty state without a road graph).

The road graph is built from a small OpenStreetMap file (``tests/road_fixtures.py``): a road
through four neighbouring demonstration places; every other place is more than 2 km from it,
so its trips fall back to the estimate.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.road_fixtures import LABEL, road_database


@pytest.fixture(scope="module")
def road_db(tmp_path_factory, demo_db):
    return road_database(demo_db, tmp_path_factory.mktemp("osm"))


@pytest.fixture
def osm_app(road_db, make_app, monkeypatch, tmp_path):
    path, on_network = road_db
    copy = tmp_path / "road.duckdb"
    shutil.copy(path, copy)
    monkeypatch.setenv("OBSERVATORY_DISTANCE", "osm")

    def make(page: str):
        return make_app(copy, page=page)
    return make, on_network


def _texts(at) -> str:
    parts = [c.value for c in at.caption] + [m.value for m in at.markdown]
    parts += [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def _cells(frame) -> list[str]:
    return [str(v) for v in frame.to_numpy().ravel()]


def test_partners_name_the_network_its_date_and_attribution_and_mark_estimates(osm_app):
    make, on_network = osm_app
    at = make("pages/partenaires.py").run()
    assert not at.exception
    at.selectbox(key="partner_place").set_value(on_network[0]).run()
    assert not at.exception
    text = _texts(at)
    assert f"Distances : {LABEL}." in text
    assert "trajets estimés faute de route à moins de 2 km" in text
    table = at.dataframe[0].value
    minutes = table[[c for c in table.columns if c.startswith("Trajet")][0]].tolist()
    # Partners on the road: plain minutes; the others: their estimate, marked.
    assert any("(estimation)" in str(v) for v in minutes)
    assert any("(estimation)" not in str(v) for v in minutes)
    assert not any("est." in c for c in table.columns)  # not every figure is an estimate


def test_coverage_names_the_network_and_counts_estimated_communes(osm_app):
    make, _ = osm_app
    at = make("pages/couverture.py").run()
    assert not at.exception
    text = _texts(at)
    assert LABEL in text
    assert "communes au trajet estimé faute de route à moins de 2 km" in text
    # A commune off the network: its tooltip marks the estimate; the legend is not « estimé ».
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    assert "min (estimation)" in script.replace("\\u00a0", " ")
    assert "Trajet vers" in script and "Trajet estim" not in script


def test_calibration_compares_estimate_and_road_pair_by_pair(osm_app):
    make, _ = osm_app
    at = make("pages/maturite.py").run()
    assert not at.exception
    assert any(m.label == "Ratio médian route / estimation" for m in at.metric)
    table = next(f.value for f in at.dataframe if "Lieux" in f.value.columns)
    assert list(table.columns) == ["Lieux", "Estimation", "Réseau routier", "Écart", "Ratio"]
    by_commune = at.dataframe[-1].value  # commune → nearest place, estimate and road
    assert "Lieu le plus proche (route)" in by_commune.columns and 1 <= len(by_commune) <= 20
    assert 1 <= len(table) <= 20
    assert "médiane" in _texts(at) and LABEL in _texts(at)
    script = json.loads(at.get("component_instance")[-1].proto.json_args)["script"]
    # The layer of the worst pairs, each line's tooltip with both times and the ratio.
    assert '"Estimation et r\\u00e9seau routier" : geo_json_div' in script
    assert "(ratio " in script and "olls-link" in script


def test_without_a_road_graph_the_calibration_says_how_to_build_one(app_db, make_app):
    at = make_app(app_db, page="pages/maturite.py").run()
    assert not at.exception
    info = " ".join(i.value for i in at.info)
    assert "observatory routing build --osm FICHIER" in info and "docs/routing.md" in info
    assert not any(m.label == "Ratio médian route / estimation" for m in at.metric)


def test_a_tour_names_the_network_and_marks_its_estimated_legs(osm_app):
    from tests.app.test_equipment_pages import EQUIPEMENTS, run, texts, tour_of_first_consortium

    make, _ = osm_app
    at = tour_of_first_consortium(run(make(EQUIPEMENTS)), os.environ["OBSERVATORY_DB"])
    assert not at.exception
    shown = texts(at)
    assert f"Distances : {LABEL}." in shown
    legs = next(f.value for f in at.dataframe if "De" in f.value.columns)
    assert "Trajet (min)" in legs.columns  # not every leg is an estimate
    marked = [v for v in legs["Trajet (min)"] if "(estimation)" in str(v)]
    assert marked and "faute de route à moins de 2 km" in shown


@pytest.mark.parametrize("page", ["pages/partenaires.py", "pages/couverture.py",
                                  "pages/maturite.py"])
def test_the_road_network_pages_read_french(osm_app, page):
    from tests.app.test_french_everywhere import findings

    make, _ = osm_app
    at = make(page).run()
    assert not at.exception
    assert findings(at) == []
