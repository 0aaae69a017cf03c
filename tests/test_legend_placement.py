"""Legends never cover the data: a corner free of features, else beside the data; km scale."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from observatory import maps
from observatory.maps import CORNERS, OUTSIDE, corner_box, legend_corner, legend_plan

VIEW = (0.0, 0.0, 1.0, 1.0)  # one degree square on the equator: square on the map too
LEGEND = (200, 120)
MAP = (600, 600)  # fitted tightly (up to the 0.25 zoom snap): the corners are the data's


def quadrant(corner: str) -> shapely.Polygon:
    """The quarter of VIEW in ``corner``."""
    minx, miny, maxx, maxy = VIEW
    midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
    x = (minx, midx) if corner.endswith("left") else (midx, maxx)
    y = (midy, maxy) if corner.startswith("top") else (miny, midy)
    return shapely.box(x[0], y[0], x[1], y[1])


def test_the_legend_box_lies_in_its_corner_of_the_fitted_view():
    box = corner_box(VIEW, "bottomleft", LEGEND, MAP)
    # zoom 9.5 (the 9.72 that fits, snapped down): 1° is 514.9 px, the view 1.165° wide,
    # 0.083° of margin each side; the legend 10 px from the left, 36 px from the bottom
    assert box == pytest.approx((-0.0826 + 10 / 514.9, -0.0826 + 36 / 514.9,
                                 -0.0826 + 210 / 514.9, -0.0826 + 156 / 514.9), abs=2e-3)
    top = corner_box(VIEW, "topright", LEGEND, MAP)
    assert top[0] > 0.5 and top[2] < VIEW[2] + 0.33 and top[3] < VIEW[3] + 0.15
    wide = corner_box(VIEW, "bottomleft", LEGEND, (1400, 600))
    assert wide[2] < VIEW[0]  # a wide map leaves room beside the data: nothing covered


def test_the_first_corner_without_features_is_chosen():
    everywhere_but = {c: [quadrant(o) for o in CORNERS if o != c] for c in CORNERS}
    for corner, features in everywhere_but.items():
        assert legend_corner(features, VIEW, LEGEND, MAP) == corner
    assert legend_corner([], VIEW, LEGEND, MAP) == CORNERS[0]


def test_a_point_in_the_preferred_corner_moves_the_legend_to_the_next():
    box = corner_box(VIEW, CORNERS[0], LEGEND, MAP)
    inside = shapely.Point((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    assert legend_corner([inside], VIEW, LEGEND, MAP) == CORNERS[1]


def test_no_free_corner_puts_the_legend_outside_the_data():
    assert legend_corner([shapely.box(*VIEW)], VIEW, LEGEND, MAP) == OUTSIDE


def test_the_plan_goes_outside_on_narrow_maps_and_to_a_corner_on_wide_ones():
    # Data in the left half only. 600 px high: zoom 9.5, 515 px a degree.
    features = [shapely.box(0.0, 0.0, 0.5, 1.0)]
    plan = dict(legend_plan(features, VIEW, LEGEND, (600,), (400, 900, 1400)))
    assert plan[1400] == "bottomleft"  # 0.86° of margin on each side: beside the data
    assert plan[900] == "bottomright"  # 0.37° only: the left corners touch the data
    assert plan[400] == OUTSIDE  # a legend half the map wide covers the data


def test_the_plan_keeps_to_the_corners_it_is_given():
    features = [quadrant("topright"), quadrant("bottomright"), quadrant("bottomleft")]
    assert legend_plan(features, VIEW, LEGEND, (600,), (600,),
                       corners=("bottomleft", "bottomright")) == [(600, OUTSIDE)]
    assert legend_plan(features, VIEW, LEGEND, (600,), (600,)) == [(600, "topleft")]


def test_the_legend_size_estimate_counts_lines_and_the_longest_one():
    width, height = maps.legend_size_px("<b>Titre</b><br>" + "x" * 40 + "<br>trois")
    assert height == 3 * maps.LEGEND_LINE_PX + 14
    assert width >= 40 * 5.5


def test_an_unknown_legend_position_is_refused():
    with pytest.raises(ValueError):
        maps.Legend("x", VIEW, [(0, "middle")])


def hand_communes() -> gpd.GeoDataFrame:
    """A 3 × 3 grid of communes; only the left column and the middle are in the perimeter."""
    cells = []
    for i in range(3):
        for j in range(3):
            cells.append({"insee": f"0900{3 * i + j}", "name": f"C{i}{j}", "epci_name": "CC",
                          "epci_siren": "200000001", "population": 100,
                          "in_perimeter": j == 0 or (i, j) == (1, 1), "in_excluded_zone": False,
                          "geometry": shapely.box(1 + 0.3 * j, 42.5 + 0.3 * i,
                                                  1.3 + 0.3 * j, 42.8 + 0.3 * i)})
    return gpd.GeoDataFrame(cells, crs="EPSG:4326")


def legend_of(m) -> maps.Legend:
    found = [c for c in m._children.values() if isinstance(c, maps.Legend)]
    assert len(found) == 1
    return found[0]


def test_every_map_places_its_legend_off_the_data_and_scales_in_km_only():
    communes = hand_communes()
    places = pd.DataFrame({"id": [1], "name": ["Lieu"], "lon": [1.15], "lat": [42.65],
                           "mature": [True], "typology": ["Café"], "commune": ["C00"]})
    access = pd.DataFrame({"insee": communes["insee"], "minutes": 12.0})
    built = [maps.build_map(communes, places, territory_name="Test",
                            bounds=(1.0, 42.5, 1.9, 43.4)),
             maps.build_access_map(communes, access, places, minutes_column="minutes",
                                   target="le lieu le plus proche")]
    data = list(communes.geometry[communes["in_perimeter"]])
    for m in built:
        legend = legend_of(m)
        (miny, minx), (maxy, maxx) = legend.bounds
        for width, corner in legend.plan:
            if corner != OUTSIDE:
                box = shapely.box(*corner_box((minx, miny, maxx, maxy), corner,
                                              maps.legend_size_px(legend.html),
                                              (width, m.height[0])))
                assert not any(box.intersects(g) for g in data), (width, corner)
        assert any(corner != OUTSIDE for _, corner in legend.plan)  # the right column is free
        page = m.get_root().render()
        assert "imperial: false" in page
        assert "L.control.scale()" not in page  # Leaflet's default adds miles


def test_the_consortium_legend_explains_the_lines():
    links = pd.DataFrame({"head_id": [1, 1, 3], "member_id": [2, 4, 5],
                          "group": ["Réseau A", "Réseau A", "Réseau B"],
                          "colour": ["#6a3d9a", "#6a3d9a", "#1b9e77"]})
    text = maps.legend_html("PETR", "", links, "Consortiums enregistrés")
    assert "<b>Consortiums enregistrés</b><br><i>trait : chef de file → membre</i>" in text
    assert text.count("border-top:3px solid #6a3d9a") == 1 and "Réseau A" in text
    assert "#1b9e77" in text and "Réseau B" in text
    proposed = maps.legend_html("PETR", "", links, "Consortiums proposés")
    assert "tête de réseau → lieu rattaché" in proposed
    assert "Consortium" not in maps.legend_html("PETR", "")


def test_a_long_list_of_consortia_is_cut_with_a_count():
    links = pd.DataFrame({"head_id": range(12), "member_id": range(100, 112),
                          "group": [f"R{k}" for k in range(12)],
                          "colour": [f"#0000{k:02d}" for k in range(12)]})
    lines = maps.links_legend(links, "Consortiums")
    assert len(lines) == 2 + maps.LINK_ENTRIES_SHOWN + 1
    assert lines[-1] == "… et 4 autres"
