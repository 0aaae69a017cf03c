"""The pages' maps (issue 12): a place without coordinates reads « position approximative » in
the Lieux table and is drawn apart on the Carte; the Carte's consortium layer; a tour's numbered
stops on the Équipements page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from observatory import maps
from observatory.service import imports, proximity
from observatory.store import db
from tests.app.test_equipment_pages import EQUIPEMENTS, sql, tour_of_first_consortium
from tests.app.test_hostile_text import check_page
from tests.app.test_pages import (
    CARTE,
    LIEUX,
    assert_ok,
    map_args,
    map_script,
    places_table,
    read_places,
    toggle,
)
from tests.test_template_injection import hostile_db, in_script, tagged

NO_COORDINATES = "L'Atelier sans adresse"
LEGEND_LINE = "Position approximative (centre de la commune)"
CONSORTIA_TOGGLE = "Afficher les consortiums"


def run(at):
    at.run()
    assert_ok(at)
    return at


PAYLOAD = re.compile(r'\}\)\((\{"place_id":.*?\})\);')  # maps.PlacesLayer's data


def place_features(script: str) -> dict[str, dict]:
    """The places layer's places by escaped name: the style the browser draws each with and
    the tooltip it writes (as PlacesLayer's script composes them from its payload)."""
    (payload,) = [json.loads(m) for m in PAYLOAD.findall(script)]
    found = {}
    for i, name in enumerate(payload["name"]):
        found[name] = {
            "style": payload["styles"][payload["style"][i]],
            "tooltip": name + (" ★" if payload["mature"][i] else "")
            + ("<br><i>position approximative</i>" if payload["approximate"][i] else ""),
        }
    return found


def legend_text(script: str) -> str:
    (legend,) = re.findall(r"div\.innerHTML = (\".*?\");", script)
    return json.loads(legend)


@pytest.fixture
def approximate_db(app_db: Path) -> Path:
    """The demonstration places and one imported without coordinates (at Mirepoix's centre)."""
    raw = f"Nom du lieu;Code INSEE;Typologie\n{NO_COORDINATES};09194;Café associatif\n"
    outcome = imports.import_places(imports.import_sessions(app_db), raw.encode(), "lieux.csv",
                                    "places", dry_run=False, actor="Claire")
    assert outcome.ok and outcome.written["added"] == 1
    return app_db


# --- Approximate positions -----------------------------------------------------------------

def test_a_place_imported_without_coordinates_reads_approximate_in_the_lieux_table(
        make_app, approximate_db):
    table = places_table(run(make_app(approximate_db, page=LIEUX)))
    position = dict(zip(table["Nom"], table["Position"], strict=True))
    assert position.pop(NO_COORDINATES) == "approximative"
    assert set(position.values()) == {"précise"}  # the 42 demonstration places have theirs


def test_a_place_imported_without_coordinates_is_drawn_apart_on_the_carte(make_app,
                                                                           approximate_db):
    script = map_script(run(make_app(approximate_db, page=CARTE)))
    features = place_features(script)
    approximate = features.pop(maps.esc(NO_COORDINATES))
    assert "olls-approximate" in approximate["style"]["className"]
    assert approximate["style"]["dashArray"]
    assert approximate["tooltip"].endswith("<i>position approximative</i>")
    assert "(d.approximate[i] ? '<br><i>position approximative</i>' : '')" in script
    assert len(features) == 42
    assert not any("olls-approximate" in f["style"]["className"] for f in features.values())
    assert LEGEND_LINE in legend_text(script)


def test_the_carte_legend_says_nothing_of_approximate_positions_when_none_is_shown(make_app,
                                                                                   app_db):
    script = map_script(run(make_app(app_db, page=CARTE)))
    assert len(place_features(script)) == 42
    assert LEGEND_LINE not in legend_text(script)


# --- The consortium layer ------------------------------------------------------------------

def test_the_consortium_layer_of_the_carte_draws_the_saved_consortia_when_asked(make_app,
                                                                                app_db):
    con = db.connect(app_db)
    try:
        proximity.archive_consortium(con, 5, actor="Claire")  # archived: not drawn
        saved = proximity.saved_consortia(con)
    finally:
        con.close()
    at = run(make_app(app_db, page=CARTE))
    assert not toggle(at, CONSORTIA_TOGGLE).value  # off by default
    script = map_script(at)
    assert '"LineString"' not in script and "Consortiums enregistrés" not in script

    toggle(at, CONSORTIA_TOGGLE).set_value(True)
    script = map_script(run(at))
    lines = sum(len(members) - 1 for members in saved["member_ids"])
    assert len(saved) == 5 and lines >= 5  # five consortia left, each with members
    assert script.count('"type": "LineString"') == lines
    legend = legend_text(script)
    assert "<b>Consortiums enregistrés</b>" in legend and "chef de file → membre" in legend
    for name in saved["name"]:
        assert maps.esc(name) in legend
    archived = sql(app_db, "SELECT name FROM consortia WHERE id = 5")[0][0]
    assert maps.esc(archived) not in script

    toggle(at, CONSORTIA_TOGGLE).set_value(False)
    assert '"LineString"' not in map_script(run(at))


def test_the_consortium_layer_draws_only_links_between_places_the_filters_show(make_app,
                                                                               app_db):
    places = read_places(app_db)
    con = db.connect(app_db)
    try:
        saved = proximity.saved_consortia(con)
    finally:
        con.close()
    total = sum(len(members) - 1 for members in saved["member_ids"])

    def links_within(epci: str) -> tuple[set, list]:
        inside = set(places.loc[places["epci_siren"] == epci, "id"])
        return inside, [(lead, m) for lead, members in zip(
            saved["lead_place_id"], saved["member_ids"], strict=True)
            for m in members if m != lead and {lead, m} <= inside]

    # An intercommunality holding some of the links but not all (the demo has several).
    epci = next(e for e in sorted(places["epci_siren"].unique())
                if 0 < len(links_within(e)[1]) < total)
    inside, within = links_within(epci)
    at = run(make_app(app_db, page=CARTE, query={"epci": epci}))
    toggle(at, CONSORTIA_TOGGLE).set_value(True)
    script = map_script(run(at))
    collections = [json.loads(m.group(1)) for m in re.finditer(
        r'"features": (\[.*?\]), "type": "FeatureCollection"', script)]
    (payload,) = [json.loads(m) for m in PAYLOAD.findall(script)]
    points = set(zip(payload["lon"], payload["lat"], strict=True))
    assert len(points) == len(inside)
    ends = [f["geometry"]["coordinates"] for features in collections for f in features
            if f["geometry"]["type"] == "LineString"]
    assert len(ends) == len(within)
    assert all(any(abs(end[0] - lon) < 1e-6 and abs(end[1] - lat) < 1e-6 for lon, lat in points)
               for line in ends for end in line)  # every line joins two places shown
    assert any("masqués par les filtres" in c.value for c in at.caption)


def test_the_consortium_layer_shows_a_hostile_consortium_name_inert(make_app, demo_db,
                                                                    tmp_path):
    path = tmp_path / "hostile.duckdb"
    hostile_db(demo_db, path)
    at = run(make_app(path, page=CARTE))
    toggle(at, CONSORTIA_TOGGLE).set_value(True)
    run(at)
    check_page(at, CARTE)  # nothing evaluated, no markup in the page's texts
    assert in_script(tagged("Consortium")) in map_args(at)["script"]  # link tooltip, legend


# --- The tour ------------------------------------------------------------------------------

def test_the_tour_map_numbers_its_stops_in_visiting_order(make_app, app_db):
    at = tour_of_first_consortium(run(make_app(app_db, page=EQUIPEMENTS)), app_db)
    script = map_script(at)
    legs = next(f.value for f in at.dataframe if "De" in f.value.columns)
    badges = re.findall(r"L\.marker\(\s*\[([\d.]+), ([\d.]+)\],.*?\"html\": "
                        r"\"<span class='olls-stop-number'[^>]*>(\d+)<", script, flags=re.S)
    places = read_places(app_db)
    where = dict(zip(places["name"] + " — " + places["commune"],
                     places[["lat", "lon"]].itertuples(index=False), strict=True))
    # stop k is where leg k starts (the table lists the legs in visiting order)
    assert [int(n) for _, _, n in badges] == list(range(1, len(legs) + 1))
    assert [(float(lat), float(lon)) for lat, lon, _ in badges] == [
        pytest.approx(tuple(where[start]), abs=1e-5) for start in legs["De"]]
    assert maps.TOUR_COLOUR in script and "#d95f02" not in script
    assert "Ordre de passage de la tournée" in legend_text(script)
