"""What the maps draw beyond the places themselves (issue 12): approximate positions drawn
apart, the saved consortia as lines, a tour's route and its numbered stops."""

from __future__ import annotations

import colorsys
import json
import re

import pandas as pd

from observatory import maps
from tests.test_legend_placement import hand_communes, legend_of

BOUNDS = (1.0, 42.5, 1.9, 43.4)


def hand_places(approximate=(False, False, False, False)) -> pd.DataFrame:
    return pd.DataFrame({
        "id": [1, 2, 3, 4], "name": ["Café A", "Fablab B", "Tiers-lieu C", "Garage D"],
        "lon": [1.10, 1.20, 1.45, 1.15], "lat": [42.60, 42.95, 42.95, 43.25],
        "mature": [True, False, True, False], "typology": "Café", "commune": "C00",
        "location_approximate": list(approximate)})


def features_by_id(places: pd.DataFrame) -> dict[int, dict]:
    return {f["properties"]["place_id"]: f["properties"]
            for f in maps.places_geojson(places)["features"]}


def page_script(m) -> str:
    r"""The rendered map with folium's \uXXXX escapes decoded (as the browser reads it)."""
    page = m.get_root().render()
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), page)


# --- Approximate positions -----------------------------------------------------------------

def test_a_place_at_its_communes_centre_is_drawn_hollow_and_dashed_in_its_colours():
    props = features_by_id(hand_places(approximate=(True, True, False, False)))
    for place_id, precise_id in ((1, 3), (2, 4)):  # a mature pair, an other pair
        approximate, precise = props[place_id]["style"], props[precise_id]["style"]
        assert approximate["color"] == precise["color"]
        assert approximate["fillColor"] == precise["fillColor"]
        assert approximate["radius"] == precise["radius"]
        assert approximate.get("dashArray") and not precise.get("dashArray")
        assert approximate["fillOpacity"] < precise["fillOpacity"] / 2  # hollow
        assert "olls-approximate" in approximate["className"]
        assert "olls-approximate" not in precise["className"]
        assert props[place_id]["approximate"] and not props[precise_id]["approximate"]
    assert props[1]["tooltip"] == "Café A ★<br><i>position approximative</i>"
    assert props[2]["tooltip"] == "Fablab B<br><i>position approximative</i>"
    assert props[3]["tooltip"] == "Tiers-lieu C ★"
    assert "position approximative" in props[1]["popup"]
    assert "approximative" not in props[3]["popup"]


def test_a_missing_flag_reads_as_a_precise_position():
    places = hand_places()
    places["location_approximate"] = [None, float("nan"), pd.NA, False]
    assert not any(p["approximate"] for p in features_by_id(places).values())
    assert not maps.has_approximate(places)
    assert not maps.has_approximate(places.drop(columns="location_approximate"))
    assert [maps.position_label(v) for v in (True, False, None, float("nan"))] == [
        "approximative", "précise", "précise", "précise"]


def test_the_legend_names_approximate_positions_only_when_one_is_shown():
    communes = hand_communes()
    line = maps.APPROXIMATE_LABEL
    assert line == "Position approximative (centre de la commune)"
    precise = maps.build_map(communes, hand_places(), bounds=BOUNDS)
    assert line not in legend_of(precise).html
    one = maps.build_map(communes, hand_places((False, True, False, False)), bounds=BOUNDS)
    legend = legend_of(one).html
    assert line in legend
    assert "dashed" in legend.split(line)[0].rsplit("<br>", 1)[-1]  # its swatch is dashed
    access = pd.DataFrame({"insee": communes["insee"], "minutes": 12.0})
    for approximate, expected in (((False,) * 4, False), ((True,) + (False,) * 3, True)):
        m = maps.build_access_map(communes, access, hand_places(approximate),
                                  minutes_column="minutes", target="le lieu le plus proche")
        assert (line in legend_of(m).html) is expected


# --- Consortia -----------------------------------------------------------------------------

def saved_consortia() -> pd.DataFrame:
    return pd.DataFrame({"id": [7, 9], "name": ["Réseau Nord", "Réseau Sud"],
                         "lead_place_id": [1, 3], "member_ids": [[1, 2, 4], [3, 2]]})


def test_consortium_links_join_each_lead_to_its_other_members_in_the_consortiums_colour():
    links = maps.consortium_links(saved_consortia())
    assert links.to_dict(orient="records") == [
        {"head_id": 1, "member_id": 2, "group": "Réseau Nord", "colour": maps.colour_for(0)},
        {"head_id": 1, "member_id": 4, "group": "Réseau Nord", "colour": maps.colour_for(0)},
        {"head_id": 3, "member_id": 2, "group": "Réseau Sud", "colour": maps.colour_for(1)}]
    assert maps.consortium_links(saved_consortia().iloc[:0]).empty
    shown = hand_places().query("id != 4")
    assert maps.links_between(links, shown)[["head_id", "member_id"]].values.tolist() == [
        [1, 2], [3, 2]]


def test_the_territory_map_draws_consortium_lines_and_explains_them():
    links = maps.consortium_links(saved_consortia())
    m = maps.build_map(hand_communes(), hand_places(), bounds=BOUNDS, links=links,
                       links_name="Consortiums enregistrés")
    script = page_script(m)
    assert script.count('"type": "LineString"') == 3
    assert "olls-link" in script and "Réseau Nord" in script
    legend = legend_of(m).html
    assert "<b>Consortiums enregistrés</b>" in legend and "chef de file → membre" in legend
    assert "Réseau Sud" in legend
    plain = maps.build_map(hand_communes(), hand_places(), bounds=BOUNDS)
    assert "LineString" not in page_script(plain) and "Consortiums" not in legend_of(plain).html


# --- Tours ---------------------------------------------------------------------------------

def hue_degrees(colour: str) -> float:
    r, g, b = (int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5))
    return colorsys.rgb_to_hsv(r, g, b)[0] * 360


def test_the_route_is_not_the_excluded_zones_orange():
    zone = {maps.EXCLUDED_STYLE["color"], maps.EXCLUDED_STYLE["fillColor"],
            maps.EXCLUDED_OUTLINE["color"]}
    for colour in zone:
        gap = abs(hue_degrees(maps.TOUR_COLOUR) - hue_degrees(colour)) % 360
        assert min(gap, 360 - gap) > 90, (maps.TOUR_COLOUR, colour)  # not a shade of orange


def test_stops_are_numbered_in_visiting_order_and_the_start_keeps_its_number():
    places = hand_places()
    numbers = maps.stop_numbers([3, 1, 4, 2, 3], places)  # a closed tour back to its start
    assert [(s["number"], s["place_id"]) for s in numbers] == [(1, 3), (2, 1), (3, 4), (4, 2)]
    assert (numbers[0]["lon"], numbers[0]["lat"]) == (1.45, 42.95)
    # a stop unknown to the frame is skipped; the others keep their rank
    assert [s["number"] for s in maps.stop_numbers([2, 99, 1], places)] == [1, 3]
    assert {s["shift"] for s in numbers} == {0}  # far apart: each badge by its place


def test_the_badges_of_stops_almost_at_the_same_place_stand_side_by_side():
    places = hand_places()
    near = places.iloc[0][["lon", "lat"]] + 0.002  # about 250 m from place 1
    places = pd.concat([places, pd.DataFrame([{"id": 5, "name": "Voisin", "lon": near["lon"],
                                              "lat": near["lat"], "mature": False}])])
    shifts = {s["place_id"]: s["shift"] for s in maps.stop_numbers([1, 3, 5, 2, 4], places)}
    assert shifts == {1: 0, 3: 0, 5: 1, 2: 0, 4: 0}
    m = maps.build_map(hand_communes(), places, bounds=BOUNDS, stop_order=[1, 3, 5, 2, 4])
    anchors = re.findall(r'"iconAnchor": \[(-?\d+), (-?\d+)\]', page_script(m))
    assert sorted(set(anchors)) == [("-26", "24"), ("-6", "24")]


def test_a_tour_map_carries_the_numbers_and_the_route_in_its_colour():
    places = hand_places()
    order = [4, 2, 1, 3]
    legs = pd.DataFrame({"head_id": order, "member_id": order[1:] + order[:1],
                         "group": [f"Étape {k}" for k in range(1, 5)],
                         "colour": maps.TOUR_COLOUR})
    m = maps.build_map(hand_communes(), places, bounds=BOUNDS, links=legs, links_name="Tournée",
                       stop_order=order)
    script = page_script(m)
    badges = re.findall(r"L\.marker\(\s*\[([\d.]+), ([\d.]+)\],\s*(\{[^}]*\})"
                        r".*?olls-stop-number[^>]*>(\d+)<", script, flags=re.S)
    where = places.set_index("id")
    expected = [(where.loc[i, "lat"], where.loc[i, "lon"], n) for n, i in enumerate(order, 1)]
    assert [(float(lat), float(lon), int(n)) for lat, lon, _, n in badges] == expected
    for _, _, options, _ in badges:  # the badges leave the clicks to the places
        assert '"interactive": false' in options
    lines = [json.loads(s) for s in re.findall(r'"colour": ("#[0-9a-f]{6}")', script)]
    assert lines and set(lines) == {maps.TOUR_COLOUR}
    legend = legend_of(m).html
    assert maps.TOUR_COLOUR in legend and "Ordre de passage" in legend
    assert "olls-stop-number" in legend
    assert "olls-stop-number" not in page_script(
        maps.build_map(hand_communes(), places, bounds=BOUNDS))


# --- The PDF report's static map -------------------------------------------------------------

def test_the_pdf_map_draws_approximate_places_hollow_and_dashed_and_says_so():
    from matplotlib.figure import Figure

    from observatory.exports import charts

    def drawn(places):
        ax = Figure().add_axes((0, 0, 1, 1))
        charts._draw_places(ax, places)
        return ax.collections

    collections = drawn(hand_places((True, True, False, False)))
    approximate = [c for c in collections if c.get_gid() == "olls-approximate"]
    precise = [c for c in collections if c.get_gid() != "olls-approximate"]
    assert sum(len(c.get_offsets()) for c in approximate) == 2
    assert sum(len(c.get_offsets()) for c in precise) == 2
    for c in approximate:
        assert c.get_facecolor()[0][3] < 0.5  # hollow
        assert c.get_linestyle()[0][1] is not None  # dashed ring
    for c in precise:
        assert c.get_facecolor()[0][3] == 1 and c.get_linestyle()[0][1] is None
    assert not any(c.get_gid() == "olls-approximate" for c in drawn(hand_places()))
    labels = [h.get_label() for h in charts._legend("Agglo", approximate=True)]
    assert labels.index(maps.APPROXIMATE_LABEL) == labels.index("Autre lieu") + 1
    assert maps.APPROXIMATE_LABEL not in [h.get_label() for h in charts._legend("Agglo")]
