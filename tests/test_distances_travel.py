"""Travel estimates, the provider interface, the precomputed matrix and the KD-tree prefilter."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from observatory.distances import (
    EARTH_RADIUS_KM,
    EstimatedRoad,
    MatrixFile,
    haversine_km,
    pairs_within,
    unit_vectors,
)

FOIX = (1.6053, 42.9653)
SAINT_GIRONS = (1.1456, 42.9868)


def points(lonlat: list[tuple[float, float]], first_id: int = 1) -> pd.DataFrame:
    return pd.DataFrame({"id": range(first_id, first_id + len(lonlat)),
                         "lon": [p[0] for p in lonlat], "lat": [p[1] for p in lonlat]})


def occitanie(n: int, seed: int) -> pd.DataFrame:
    """Random points in Occitanie's bounding box (about 0°W–4.9°E, 42.3–45.0°N)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(1, n + 1),
                         "lon": rng.uniform(-0.35, 4.85, n), "lat": rng.uniform(42.3, 45.05, n)})


def brute_force_pairs(frame: pd.DataFrame, max_km: float) -> set[tuple[int, int]]:
    lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
    d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    i, j = np.nonzero(np.triu(d <= max_km, k=1))
    return set(zip(i.tolist(), j.tolist(), strict=True))


# --- Great circle -------------------------------------------------------------------------

def test_foix_to_saint_girons_great_circle_is_about_37_5_km():
    d = float(haversine_km(*FOIX, *SAINT_GIRONS))
    assert d == pytest.approx(37.5, abs=0.3)


def test_great_circle_agrees_with_the_wgs84_geodesic_within_half_a_percent():
    _, _, metres = Geod(ellps="WGS84").inv(FOIX[0], FOIX[1], SAINT_GIRONS[0], SAINT_GIRONS[1])
    reference_km = metres / 1000
    assert float(haversine_km(*FOIX, *SAINT_GIRONS)) == pytest.approx(reference_km, rel=0.005)


def test_great_circle_agrees_with_the_geodesic_on_random_pairs_in_occitanie():
    a, b = occitanie(200, seed=1), occitanie(200, seed=2)
    _, _, metres = Geod(ellps="WGS84").inv(a["lon"].to_numpy(), a["lat"].to_numpy(),
                                           b["lon"].to_numpy(), b["lat"].to_numpy())
    ours = haversine_km(a["lon"], a["lat"], b["lon"], b["lat"])
    np.testing.assert_allclose(ours, metres / 1000, rtol=0.005)


def test_unit_vectors_lie_on_the_unit_sphere_and_chords_match_great_circles():
    frame = occitanie(50, seed=3)
    xyz = unit_vectors(frame["lon"], frame["lat"])
    np.testing.assert_allclose(np.linalg.norm(xyz, axis=1), 1.0, atol=1e-12)
    chord = np.linalg.norm(xyz[0] - xyz[1])
    km = 2 * np.arcsin(chord / 2) * EARTH_RADIUS_KM
    assert km == pytest.approx(float(haversine_km(frame["lon"][0], frame["lat"][0],
                                                  frame["lon"][1], frame["lat"][1])), rel=1e-9)


# --- Estimated road -------------------------------------------------------------------------

def test_estimated_road_is_straight_times_circuity_at_the_average_speed():
    straight = float(haversine_km(*FOIX, *SAINT_GIRONS))
    travel = EstimatedRoad(circuity=1.3, speed_kmh=55).pairwise(points([FOIX]),
                                                                points([SAINT_GIRONS], 2))
    assert travel.straight_km[0] == pytest.approx(straight)
    assert travel.road_km[0] == pytest.approx(straight * 1.3)
    assert travel.minutes[0] == pytest.approx(straight * 1.3 / 55 * 60)
    # The documented figures: about 49 km and 53 min.
    assert travel.road_km[0] == pytest.approx(49, abs=1)
    assert travel.minutes[0] == pytest.approx(53, abs=1)


def test_defaults_are_a_circuity_of_1_3_at_55_km_h():
    assert EstimatedRoad() == EstimatedRoad(circuity=1.3, speed_kmh=55)


def test_changing_the_circuity_changes_road_km_and_minutes_not_the_straight_line():
    a, b = points([FOIX]), points([SAINT_GIRONS], 2)
    low = EstimatedRoad(circuity=1.1, speed_kmh=55).pairwise(a, b)
    high = EstimatedRoad(circuity=1.8, speed_kmh=55).pairwise(a, b)
    assert low.straight_km[0] == pytest.approx(high.straight_km[0])
    assert high.road_km[0] / low.road_km[0] == pytest.approx(1.8 / 1.1)
    assert high.minutes[0] / low.minutes[0] == pytest.approx(1.8 / 1.1)


def test_changing_the_speed_changes_minutes_only():
    a, b = points([FOIX]), points([SAINT_GIRONS], 2)
    slow = EstimatedRoad(circuity=1.3, speed_kmh=40).pairwise(a, b)
    fast = EstimatedRoad(circuity=1.3, speed_kmh=80).pairwise(a, b)
    assert slow.road_km[0] == pytest.approx(fast.road_km[0])
    assert slow.minutes[0] == pytest.approx(2 * fast.minutes[0])
    assert fast.minutes[0] == pytest.approx(fast.road_km[0] / 80 * 60)


@pytest.mark.parametrize("kwargs", [
    {"circuity": 0.5}, {"circuity": 0.99}, {"circuity": 3.5}, {"circuity": float("nan")},
    {"speed_kmh": 0}, {"speed_kmh": 4}, {"speed_kmh": 200}, {"speed_kmh": -55},
    {"speed_kmh": float("nan")},
])
def test_invalid_parameters_raise_value_error_in_french(kwargs):
    with pytest.raises(ValueError, match="doit être comprise?"):
        EstimatedRoad(**kwargs)


@pytest.mark.parametrize("kwargs", [{"circuity": 1.0}, {"circuity": 3.0},
                                    {"speed_kmh": 5}, {"speed_kmh": 130}])
def test_bounds_of_the_parameters_are_accepted(kwargs):
    EstimatedRoad(**kwargs)


def test_label_says_it_is_an_estimate_with_french_decimals():
    label = EstimatedRoad(circuity=1.35, speed_kmh=52.5).label
    assert label.startswith("Estimation")
    assert "1,35" in label and "52,5" in label
    assert "." not in label


def test_matrix_has_origins_as_rows_and_destinations_as_columns():
    origins, destinations = occitanie(4, seed=4), occitanie(7, seed=5)
    travel = EstimatedRoad().matrix(origins, destinations)
    for array in (travel.straight_km, travel.road_km, travel.minutes):
        assert array.shape == (4, 7)
    assert travel.straight_km[2, 5] == pytest.approx(float(haversine_km(
        origins["lon"][2], origins["lat"][2], destinations["lon"][5], destinations["lat"][5])))


def test_matrix_of_a_set_with_itself_is_symmetric_with_a_zero_diagonal():
    frame = occitanie(30, seed=6)
    travel = EstimatedRoad().matrix(frame, frame)
    for array in (travel.straight_km, travel.road_km, travel.minutes):
        np.testing.assert_allclose(array, array.T, atol=1e-9)
        np.testing.assert_allclose(np.diag(array), 0, atol=1e-9)
    assert (travel.minutes[~np.eye(30, dtype=bool)] > 0).all()


def test_pairwise_equals_the_diagonal_of_the_matrix():
    origins, destinations = occitanie(25, seed=7), occitanie(25, seed=8)
    provider = EstimatedRoad(circuity=1.4, speed_kmh=60)
    full = provider.matrix(origins, destinations)
    pair = provider.pairwise(origins, destinations)
    for name in ("straight_km", "road_km", "minutes"):
        assert getattr(pair, name).shape == (25,)
        np.testing.assert_allclose(getattr(pair, name), np.diag(getattr(full, name)))


# --- KD-tree prefilter -------------------------------------------------------------------------

@pytest.mark.parametrize("max_km", [5.0, 20.0, 37.5, 80.0])
def test_pairs_within_finds_exactly_the_brute_force_pairs(max_km):
    frame = occitanie(300, seed=42)
    found = pairs_within(frame, max_km)
    got = set(zip(found["i"].astype(int).tolist(), found["j"].astype(int).tolist(), strict=True))
    assert got == brute_force_pairs(frame, max_km)
    assert (found["i"] < found["j"]).all()
    assert len(got) == len(found)  # no duplicate pair
    lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
    i, j = found["i"].astype(int).to_numpy(), found["j"].astype(int).to_numpy()
    np.testing.assert_allclose(found["straight_km"], haversine_km(lon[i], lat[i], lon[j], lat[j]))
    assert (found["straight_km"] <= max_km + 1e-9).all()


def test_pairs_within_uses_positions_not_ids():
    frame = occitanie(60, seed=9)
    frame["id"] = frame["id"] * 1000 + 7
    frame.index = frame.index + 500
    found = pairs_within(frame, 40)
    got = set(zip(found["i"].astype(int).tolist(), found["j"].astype(int).tolist(), strict=True))
    assert got == brute_force_pairs(frame, 40)
    assert max(max(p) for p in got) < 60


def test_pairs_within_with_fewer_than_two_places_is_empty():
    assert len(pairs_within(occitanie(1, seed=1), 100)) == 0
    assert len(pairs_within(occitanie(0, seed=1), 100)) == 0


def test_pairs_within_zero_radius_only_joins_identical_points():
    frame = points([FOIX, FOIX, SAINT_GIRONS])
    found = pairs_within(frame, 0.0)
    assert list(zip(found["i"], found["j"], strict=True)) == [(0, 1)]


@pytest.mark.parametrize("provider", [EstimatedRoad(), EstimatedRoad(1.0, 130),
                                      EstimatedRoad(3.0, 5), EstimatedRoad(1.2, 90)])
@pytest.mark.parametrize("minutes", [10.0, 40.0, 90.0])
def test_straight_radius_is_a_true_bound_for_the_estimate(provider, minutes):
    frame = occitanie(300, seed=11)
    travel = provider.matrix(frame, frame)
    radius = provider.straight_radius_km(minutes)
    beyond = travel.straight_km > radius + 1e-9
    assert not (travel.minutes[beyond] < minutes).any()
    # and it is tight: every pair under the radius is within the minutes
    assert (travel.minutes[travel.straight_km <= radius - 1e-9] <= minutes).all()


def test_prefilter_then_exact_minutes_finds_every_pair_under_the_minutes():
    frame = occitanie(300, seed=12)
    provider = EstimatedRoad(circuity=1.25, speed_kmh=70)
    pairs = pairs_within(frame, provider.straight_radius_km(30))
    travel = provider.pairwise(frame.iloc[pairs["i"].astype(int)],
                               frame.iloc[pairs["j"].astype(int)])
    kept = {(i, j) for i, j, m in zip(pairs["i"], pairs["j"], travel.minutes, strict=True)
            if m <= 30}
    full = provider.matrix(frame, frame).minutes
    i, j = np.nonzero(np.triu(full <= 30, k=1))
    assert kept == set(zip(i.tolist(), j.tolist(), strict=True))


# --- Precomputed matrix -------------------------------------------------------------------------

@pytest.fixture
def three_by_three():
    origins = points([FOIX, (1.6083, 43.1167), (1.8681, 42.9564)], first_id=1)
    destinations = points([SAINT_GIRONS, (1.4297, 42.8075), (1.6081, 43.2703)], first_id=11)
    table = pd.DataFrame({"from_id": [1, 3, 99, 1], "to_id": [11, 13, 11, 13],
                          "road_km": [44.0, 51.5, 1.0, 60.0], "minutes": [50.0, 47.0, 1.0, 70.0]})
    return origins, destinations, table


def test_matrix_file_overrides_the_pairs_it_knows_and_falls_back_elsewhere(three_by_three):
    origins, destinations, table = three_by_three
    fallback = EstimatedRoad(circuity=1.4, speed_kmh=50)
    provider = MatrixFile(table, fallback=fallback)
    got = provider.matrix(origins, destinations)
    estimate = fallback.matrix(origins, destinations)
    assert got.road_km[0, 0] == 44.0 and got.minutes[0, 0] == 50.0
    assert got.road_km[2, 2] == 51.5 and got.minutes[2, 2] == 47.0
    assert got.road_km[0, 2] == 60.0 and got.minutes[0, 2] == 70.0  # origin 1 → destination 13
    known = np.zeros((3, 3), dtype=bool)
    known[0, 0] = known[2, 2] = known[0, 2] = True
    np.testing.assert_allclose(got.road_km[~known], estimate.road_km[~known])
    np.testing.assert_allclose(got.minutes[~known], estimate.minutes[~known])
    np.testing.assert_allclose(got.straight_km, estimate.straight_km)


def test_matrix_file_pairwise_overrides_and_falls_back(three_by_three):
    origins, destinations, table = three_by_three
    provider = MatrixFile(table)
    got = provider.pairwise(origins, destinations)
    estimate = EstimatedRoad().pairwise(origins, destinations)
    assert got.minutes.tolist()[0] == 50.0 and got.road_km.tolist()[0] == 44.0
    assert got.minutes[1] == pytest.approx(estimate.minutes[1])
    assert got.road_km[1] == pytest.approx(estimate.road_km[1])
    assert got.minutes[2] == 47.0 and got.road_km[2] == 51.5
    np.testing.assert_allclose(got.straight_km, estimate.straight_km)


def test_matrix_file_pairwise_equals_the_diagonal_of_its_matrix(three_by_three):
    origins, destinations, table = three_by_three
    provider = MatrixFile(table)
    full, pair = provider.matrix(origins, destinations), provider.pairwise(origins, destinations)
    np.testing.assert_allclose(pair.minutes, np.diag(full.minutes))
    np.testing.assert_allclose(pair.road_km, np.diag(full.road_km))


def test_matrix_file_reads_a_pair_given_once_in_both_directions(three_by_three):
    origins, destinations, table = three_by_three
    provider = MatrixFile(table)
    forward = provider.matrix(origins, destinations)
    back = provider.matrix(destinations, origins)
    np.testing.assert_allclose(back.minutes, forward.minutes.T)  # roads run both ways


def test_matrix_file_keeps_each_direction_when_both_are_given(three_by_three):
    origins, destinations, table = three_by_three
    first = table.iloc[[0]]
    reverse = first.rename(columns={"from_id": "to_id", "to_id": "from_id"}).assign(
        minutes=first["minutes"] + 7)
    provider = MatrixFile(pd.concat([table, reverse]))
    pid, did = int(first["from_id"].iloc[0]), int(first["to_id"].iloc[0])
    one = lambda frame, i: frame[frame["id"] == i]  # noqa: E731
    there = provider.pairwise(one(origins, pid), one(destinations, did)).minutes[0]
    back = provider.pairwise(one(destinations, did), one(origins, pid)).minutes[0]
    assert back == there + 7


def test_matrix_file_with_int32_ids_as_from_the_database(three_by_three):
    origins, destinations, table = three_by_three
    origins = origins.astype({"id": "int32"})
    destinations = destinations.astype({"id": "int32"})
    provider = MatrixFile(table)
    assert provider.matrix(origins, destinations).minutes[0, 0] == 50.0
    assert provider.pairwise(origins, destinations).minutes[0] == 50.0


def test_matrix_file_label_is_french_and_not_an_estimate():
    assert "Matrice" in MatrixFile(pd.DataFrame(columns=["from_id", "to_id", "road_km",
                                                         "minutes"])).label


def test_matrix_file_radius_bounds_a_default_fallback():
    frame = occitanie(300, seed=13)
    provider = MatrixFile(pd.DataFrame({"from_id": [], "to_id": [], "road_km": [], "minutes": []}))
    travel = provider.matrix(frame, frame)
    radius = provider.straight_radius_km(40)
    assert not (travel.minutes[travel.straight_km > radius + 1e-9] < 40).any()


def test_matrix_file_radius_bounds_a_fast_fallback():
    frame = occitanie(300, seed=14)
    provider = MatrixFile(pd.DataFrame({"from_id": [], "to_id": [], "road_km": [], "minutes": []}),
                          fallback=EstimatedRoad(circuity=1.0, speed_kmh=130))
    travel = provider.matrix(frame, frame)
    radius = provider.straight_radius_km(40)
    assert not (travel.minutes[travel.straight_km > radius + 1e-9] < 40).any()


def test_every_pair_of_the_matrix_is_symmetric_for_the_estimate():
    frame = occitanie(12, seed=15)
    provider = EstimatedRoad()
    for a, b in itertools.combinations(range(12), 2):
        ab = provider.pairwise(frame.iloc[[a]], frame.iloc[[b]]).minutes[0]
        ba = provider.pairwise(frame.iloc[[b]], frame.iloc[[a]]).minutes[0]
        assert ab == pytest.approx(ba)
