"""Great-circle distances and the neighbours of a place."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from observatory.distances import EARTH_RADIUS_KM, haversine_km, neighbours

FOIX = (1.6053, 42.9653)
PAMIERS = (1.6083, 43.1167)


def test_foix_to_pamiers_is_about_seventeen_kilometres():
    assert float(haversine_km(*FOIX, *PAMIERS)) == pytest.approx(16.8, abs=0.3)


def test_one_degree_of_longitude_at_43_north_is_about_81_km():
    d = float(haversine_km(1.0, 43.0, 2.0, 43.0))
    expected = math.radians(1) * EARTH_RADIUS_KM * math.cos(math.radians(43))  # ~81.3
    assert d == pytest.approx(expected, abs=0.05)
    assert d == pytest.approx(81.4, abs=0.3)


def test_one_degree_of_latitude_is_about_111_km():
    assert float(haversine_km(1.6, 42.0, 1.6, 43.0)) == pytest.approx(111.2, abs=0.1)


def test_distance_is_symmetric():
    assert float(haversine_km(*FOIX, *PAMIERS)) == pytest.approx(
        float(haversine_km(*PAMIERS, *FOIX)), abs=1e-12)


def test_distance_to_itself_is_zero():
    assert float(haversine_km(*FOIX, *FOIX)) == 0.0


def test_antipodes_are_half_the_circumference_apart():
    assert float(haversine_km(0, 0, 180, 0)) == pytest.approx(math.pi * EARTH_RADIUS_KM)


def test_haversine_broadcasts_one_origin_against_many_points():
    lons = np.array([FOIX[0], PAMIERS[0], FOIX[0]])
    lats = np.array([FOIX[1], PAMIERS[1], FOIX[1] + 1])
    d = haversine_km(*FOIX, lons, lats)
    assert d.shape == (3,)
    assert d[0] == 0.0
    assert d[1] == pytest.approx(16.8, abs=0.3)
    assert d[2] == pytest.approx(111.2, abs=0.1)


def test_haversine_accepts_pandas_series():
    frame = pd.DataFrame({"lon": [FOIX[0], PAMIERS[0]], "lat": [FOIX[1], PAMIERS[1]]})
    d = haversine_km(FOIX[0], FOIX[1], frame["lon"], frame["lat"])
    assert np.allclose(d, [0.0, float(haversine_km(*FOIX, *PAMIERS))])


# --- neighbours ------------------------------------------------------------------------

@pytest.fixture
def places() -> pd.DataFrame:
    """Five places due north of Foix, about 0, 5.6, 11.1, 16.7 and 55.6 km away."""
    lat0 = FOIX[1]
    return pd.DataFrame({
        "id": [10, 20, 30, 40, 50],
        "name": ["Origine", "Proche", "Moyen", "Loin", "Très loin"],
        "lon": [FOIX[0]] * 5,
        "lat": [lat0, lat0 + 0.05, lat0 + 0.10, lat0 + 0.15, lat0 + 0.50],
    }).sample(frac=1, random_state=3)  # rows in no particular order


def test_neighbours_exclude_the_place_itself(places):
    found = neighbours(places, 10, radius_km=1000)
    assert 10 not in found["id"].tolist()
    assert len(found) == 4


def test_neighbours_are_within_the_radius_nearest_first(places):
    found = neighbours(places, 10, radius_km=12)
    assert found["id"].tolist() == [20, 30]
    assert found["distance_km"].is_monotonic_increasing
    assert (found["distance_km"] <= 12).all()
    assert found["distance_km"].iloc[0] == pytest.approx(5.56, abs=0.05)


def test_neighbour_exactly_on_the_radius_is_included(places):
    edge = float(haversine_km(FOIX[0], FOIX[1], FOIX[0], FOIX[1] + 0.10))
    assert neighbours(places, 10, radius_km=edge)["id"].tolist() == [20, 30]


def test_neighbours_of_a_place_in_the_middle(places):
    found = neighbours(places, 30, radius_km=6)
    assert sorted(found["id"].tolist()) == [20, 40]


def test_no_neighbour_within_a_tiny_radius(places):
    found = neighbours(places, 50, radius_km=1)
    assert found.empty
    assert "distance_km" in found.columns


def test_unknown_place_has_no_neighbours(places):
    found = neighbours(places, 999, radius_km=1000)
    assert found.empty
    assert "distance_km" in found.columns


def test_neighbours_keep_the_other_columns_and_leave_the_input_alone(places):
    before = places.copy()
    found = neighbours(places, 10, radius_km=1000)
    assert {"id", "name", "lon", "lat", "distance_km"} <= set(found.columns)
    assert found["name"].tolist() == ["Proche", "Moyen", "Loin", "Très loin"]
    pd.testing.assert_frame_equal(places, before)


def test_place_at_the_same_spot_is_a_neighbour_at_zero_km(places):
    twin = pd.DataFrame({"id": [60], "name": ["Jumeau"], "lon": [FOIX[0]], "lat": [FOIX[1]]})
    found = neighbours(pd.concat([places, twin]), 10, radius_km=1)
    assert found["id"].tolist() == [60]
    assert found["distance_km"].iloc[0] == 0.0
