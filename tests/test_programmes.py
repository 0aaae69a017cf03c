"""The programme places as context: which travel, which lie within 15 minutes of a place, the
France services counted as service points of the coverage, the Fabriques as network heads,
their map layers (escaped), and their load with the territory."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from observatory import bootstrap, coverage, maps, partners, programmes
from observatory.distances import EstimatedRoad
from observatory.service import programmes as programme_cases
from observatory.service import proximity
from observatory.settings import Settings
from observatory.store import context_places, db
from observatory.territory.config import load_territory_config
from tests.conftest import TERRITORY_TOML

ROAD = EstimatedRoad(circuity=1.3, speed_kmh=60)  # 1 km as the crow flies: 1.3 min
KM_PER_DEG_LAT = 111.195


def programme_frame(rows) -> pd.DataFrame:
    """Programme places by hand: (id, programme, format, name, lon, lat)."""
    frame = pd.DataFrame(rows, columns=["id", "programme", "format", "name", "lon", "lat"])
    return frame.assign(commune="Foix", address="", vintage="2024-08-01", position="source")


def north_of(lat: float, km: float) -> float:
    return lat + km / KM_PER_DEG_LAT


# --- pure rules --------------------------------------------------------------------------

def test_a_bus_or_an_itinerant_france_services_travels_a_desk_does_not():
    assert programmes.is_itinerant("france_services", "bus")
    assert programmes.is_itinerant("france_services", "itinerante")
    assert not programmes.is_itinerant("france_services", "fixe")
    assert not programmes.is_itinerant("france_services", None)
    assert not programmes.is_itinerant("fabrique", "bus")
    assert programmes.kind_label("france_services", "bus") == "France services itinérante"
    assert programmes.kind_label("fabrique") == "Fabrique de territoire"


def test_within_fifteen_minutes_keeps_the_near_ones_nearest_first():
    origin = {"id": 1, "lon": 1.6, "lat": 43.0}
    frame = programme_frame([
        (1, "france_services", "fixe", "À 10 km", 1.6, north_of(43.0, 10)),    # 13 min
        (2, "fabrique", None, "À 5 km", 1.6, north_of(43.0, 5)),                 # 6.5 min
        (3, "manufacture", None, "À 12 km", 1.6, north_of(43.0, 12)),            # 15.6 min
        (4, "france_services", "bus", "À 30 km", 1.6, north_of(43.0, 30))])      # 39 min
    near = programmes.within(origin, frame, ROAD, 15)
    assert near["name"].tolist() == ["À 5 km", "À 10 km"]
    assert near["minutes"].round(1).tolist() == [6.5, 13.0]
    table = programmes.near_table(near)
    assert table["Programme"].tolist() == ["Fabrique de territoire", "France services"]
    assert table["Trajet"].tolist() == ["7\xa0min", "13\xa0min"]  # formatting.minutes


def test_within_hands_the_provider_negative_ids_never_a_place_id():
    seen = []

    class Spy(EstimatedRoad):
        def pairwise(self, origins, destinations):
            seen.extend(destinations["id"].tolist())
            return super().pairwise(origins, destinations)

    frame = programme_frame([(7, "fabrique", None, "F", 1.6, north_of(43.0, 2))])
    programmes.within({"id": 7, "lon": 1.6, "lat": 43.0}, frame, Spy(), 15)
    assert seen == [-7]


def test_a_place_without_coordinates_has_no_programme_place_near():
    frame = programme_frame([(1, "fabrique", None, "F", 1.6, 43.0)])
    assert programmes.within({"id": 1, "lon": None, "lat": None}, frame, ROAD).empty


# --- coverage ----------------------------------------------------------------------------

def coverage_fixture():
    """Three communes in a column; one place at the first; a France services at the third."""
    communes = pd.DataFrame({
        "insee": ["A", "B", "C"], "name": ["A", "B", "C"], "population": [100, 200, 400],
        "lon": [1.6, 1.6, 1.6], "lat": [43.0, north_of(43.0, 30), north_of(43.0, 60)],
        "epci_siren": ["e"] * 3, "epci_name": ["E"] * 3, "in_perimeter": [True] * 3})
    places = pd.DataFrame({"id": [1], "name": ["Lieu"], "lon": [1.6], "lat": [43.0],
                           "mature": [True]})
    france_services = pd.DataFrame({"id": [-5], "name": ["FS"], "lon": [1.6],
                                    "lat": [north_of(43.0, 60)]})
    return communes, places, france_services


def test_counting_france_services_covers_the_communes_near_them():
    communes, places, fs = coverage_fixture()
    access = coverage.nearest(communes, places, provider=ROAD)
    alone = coverage.covered(access, threshold_minutes=20)
    assert alone.population_covered == 100  # B is 39 min away, C 78 min
    both = coverage.with_service_points(access, coverage.nearest(communes, fs, provider=ROAD))
    summary = coverage.covered(both, threshold_minutes=20)
    assert summary.population_covered == 100 + 400  # C has its France services; B neither
    assert both["served_by"].tolist() == ["lieu", "lieu", "point"]
    assert both.loc[2, "nearest_place_id"] == -5
    assert summary.sentence.endswith("de trajet d'un lieu ou d'une France services.")
    assert coverage.headline(summary) == ("Population à moins de 20 min de trajet d'un lieu "
                                          "ou d'une France services")
    mature = coverage.covered(both, threshold_minutes=20, mature=True)
    assert mature.population_covered == 500
    assert "d'un lieu mature ou d'une France services" in mature.sentence


def test_a_france_services_farther_than_the_place_changes_nothing():
    communes, places, _ = coverage_fixture()
    far = pd.DataFrame({"id": [-9], "name": ["Loin"], "lon": [1.6], "lat": [42.0]})
    access = coverage.nearest(communes, places, provider=ROAD)
    both = coverage.with_service_points(access, coverage.nearest(communes, far, provider=ROAD))
    np.testing.assert_allclose(both["minutes"], access["minutes"])
    assert (both["served_by"] == "lieu").all()
    assert coverage.covered(both, threshold_minutes=20).population_covered == 100


def test_the_suggestions_skip_the_communes_a_france_services_covers():
    communes, places, fs = coverage_fixture()
    access = coverage.nearest(communes, places, provider=ROAD)
    both = coverage.with_service_points(access, coverage.nearest(communes, fs, provider=ROAD))
    picks = coverage.where_next(both, places, k=1, threshold=20, provider=ROAD)
    assert picks["population_added"].tolist() == [200]  # only B is left to cover


# --- Fabriques as network heads ------------------------------------------------------------

def network_fixture():
    """Two non-mature places near Foix, no mature place; one Fabrique beside them."""
    places = pd.DataFrame({"id": [1, 2], "name": ["Café", "Atelier"], "lon": [1.60, 1.61],
                           "lat": [42.96, 42.97], "mature": [False, False],
                           "commune": ["Foix", "Foix"]})
    fabriques = programme_frame([(16, "fabrique", None, "Écorce", 1.61, 42.965)])
    return places, fabriques


def test_without_the_option_no_fabrique_heads_a_consortium():
    places, _ = network_fixture()
    proposal = partners.propose_network(places, provider=ROAD)
    assert proposal.consortia == 0 and proposal.unassigned == [1, 2]


def test_a_fabrique_heads_the_places_around_it_when_asked():
    places, fabriques = network_fixture()
    both = partners.with_fabriques(places, fabriques)
    assert both.loc[both["is_fabrique"], "name"].tolist() == \
        ["Fabrique de territoire : Écorce"]
    assert both.loc[both["is_fabrique"], "id"].tolist() == [-16]
    proposal = partners.propose_network(both, provider=ROAD)
    assert proposal.links["head_id"].tolist() == [-16, -16]
    assert sorted(proposal.links["member_id"]) == [1, 2]


def test_the_network_use_case_labels_a_fabrique_head_as_such():
    places, fabriques = network_fixture()
    network = proximity.network_proposal(places, Settings(), fabriques=fabriques)
    (group,) = network.groups()
    assert (group["head_kind"], group["head"]) == ("fabrique",
                                                    "Fabrique de territoire : Écorce")
    assert network.table()["Tête de réseau"].tolist() == ["Fabrique de territoire : Écorce"] * 2


# --- map layers ----------------------------------------------------------------------------

HOSTILE = "<img src=x onerror=alert(1)>{{ 7*7 }}"


def test_the_layers_have_their_own_symbols_legend_and_escaped_tooltips(territory_config):
    from observatory.territory import load

    communes, _ = load.prepare(load.read_referential(territory_config), territory_config)
    frame = programme_frame([
        (1, "france_services", "fixe", HOSTILE, 1.6, 42.96),
        (2, "france_services", "bus", "Bus", 1.14, 42.98),
        (3, "fabrique", None, "Fab", 1.61, 42.965)])
    empty = pd.DataFrame(columns=["id", "name", "lon", "lat", "mature"])
    html = maps.build_map(communes, empty, programme_places=frame).get_root().render()
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)
    assert "<img src=x" not in text and "{{ 7*7 }}" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;&#123;&#123; 7*7 &#125;&#125;" in text
    for layer in ("france_services", "itinerant", "fabrique"):
        assert f"olls-programme-layer-{layer}" in text
    assert "olls-programme-layer-manufacture" not in text  # none given: no layer, no legend
    for line in ("France services", "France services itinérante", "Fabriques de territoire"):
        assert f"</span>{line}<br>" in text or f"</span>{line}\"" in text
    assert "Manufactures de proximité" not in text


def test_without_programme_places_the_map_has_no_programme_layer(territory_config):
    from observatory.territory import load

    communes, _ = load.prepare(load.read_referential(territory_config), territory_config)
    empty = pd.DataFrame(columns=["id", "name", "lon", "lat", "mature"])
    html = maps.build_map(communes, empty).get_root().render()
    assert "olls-programme" not in html and "Programmes nationaux" not in html


# --- store ---------------------------------------------------------------------------------

def test_init_loads_the_shipped_programme_places_apart_from_the_inventory(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        found = programme_cases.programme_places(con)
        inventory = con.execute("SELECT count(*) FROM places").fetchone()[0]
    finally:
        con.close()
    assert found["programme"].value_counts().to_dict() == {
        "france_services": 14, "fabrique": 2, "manufacture": 3}
    assert inventory == 42  # the demonstration places only: none of these joined them
    assert found.set_index("source_id").loc["manuprox-2-52", "commune"] == "Soula"
    # Saint-Girons (Couserans) is loaded as context, outside the perimeter.
    assert not found.set_index("source_id").loc["54", "in_perimeter"]


def test_a_territory_without_programmes_has_none_and_a_changed_file_reloads(tmp_path):
    folder = tmp_path / "territory"
    shutil.copytree(TERRITORY_TOML.parent, folder)
    toml = folder / "territory.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'programmes = "programme_places.csv"\n', ""), encoding="utf-8")
    path = tmp_path / "o.duckdb"
    bootstrap.init_database(path, load_territory_config(toml))
    con = db.connect(path)
    assert context_places.count(con) == 0
    con.close()
    toml.write_text(toml.read_text(encoding="utf-8") + "", encoding="utf-8")
    shipped = folder / "programme_places.csv"
    lines = shipped.read_text(encoding="utf-8").splitlines(keepends=True)
    shipped.write_text("".join(lines[:3]), encoding="utf-8")  # header + 2 places
    text = toml.read_text(encoding="utf-8").replace(
        'typologies = "typologies.csv"\n',
        'typologies = "typologies.csv"\nprogrammes = "programme_places.csv"\n')
    toml.write_text(text, encoding="utf-8")
    report = bootstrap.init_database(path, load_territory_config(toml))
    assert report.territory_loaded
    con = db.connect(path)
    try:
        assert context_places.all_places(con)["source_id"].tolist() == ["53", "54"]
    finally:
        con.close()


def test_a_named_programme_file_that_is_missing_stops_the_load_in_french(tmp_path):
    folder = tmp_path / "territory"
    shutil.copytree(TERRITORY_TOML.parent, folder)
    (folder / "programme_places.csv").unlink()
    with pytest.raises(Exception, match="lieux des programmes nationaux introuvable"):
        bootstrap.init_database(tmp_path / "o.duckdb",
                                load_territory_config(folder / "territory.toml"))


# --- the command line ----------------------------------------------------------------------

def run_cli(capsys, monkeypatch, *args: str) -> dict:
    from observatory import cli

    monkeypatch.delenv("OBSERVATORY_DB", raising=False)
    code = cli.main([*args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_coverage_france_services_counts_more_inhabitants(capsys, monkeypatch, demo_db):
    alone = run_cli(capsys, monkeypatch, "coverage", "--db", str(demo_db))
    both = run_cli(capsys, monkeypatch, "coverage", "--db", str(demo_db), "--france-services")
    assert both["population_covered"] > alone["population_covered"]
    assert both["summary"].endswith("d'un lieu ou d'une France services.")
    assert not alone["summary"].endswith("France services.")


def test_network_fabriques_names_them_as_heads_and_keeps_the_schema(capsys, monkeypatch,
                                                                    demo_db):
    import jsonschema

    plain = run_cli(capsys, monkeypatch, "network", "--db", str(demo_db))
    assert {g["head_kind"] for g in plain["consortia_proposed"]} == {"lieu"}
    asked = run_cli(capsys, monkeypatch, "network", "--db", str(demo_db), "--fabriques")
    fabriques = [g for g in asked["consortia_proposed"] if g["head_kind"] == "fabrique"]
    assert fabriques and all(g["head_id"] < 0 for g in fabriques)
    assert all(g["head"].startswith("Fabrique de territoire : ") for g in fabriques)
    schema = json.loads((TERRITORY_TOML.parents[2] / "docs" / "schemas" / "network.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(asked, schema)


# --- by the road network ---------------------------------------------------------------------

def test_behind_the_ridge_a_fabrique_is_not_within_15_minutes_by_road(tmp_path):
    """The estimate puts B 8 km from A (10 min) and C 12 km (16 min); by road B is 40 km round
    by the valley and C a straight primary road: the provider decides, both ways."""
    from observatory import osm
    from observatory.routing import RoadNetwork
    from tests.test_routing import VALLEY_NODES, VALLEY_WAYS, write_osm

    valley = RoadNetwork(osm.build_graph(write_osm(tmp_path / "v.osm", VALLEY_NODES,
                                                   VALLEY_WAYS)))
    (a_lon, a_lat), (b_lon, b_lat) = VALLEY_NODES[1], VALLEY_NODES[2]
    (c_lon, c_lat) = VALLEY_NODES[3]
    frame = programme_frame([(1, "fabrique", None, "Derrière la crête", b_lon, b_lat),
                             (2, "france_services", "fixe", "Sur la route", c_lon, c_lat)])
    origin = {"id": 1, "lon": a_lon, "lat": a_lat}
    assert programmes.within(origin, frame, ROAD)["name"].tolist() == ["Derrière la crête"]
    by_road = programmes.within(origin, frame, valley)
    assert by_road["name"].tolist() == ["Sur la route"]
    assert not by_road["estimated"].iloc[0]
