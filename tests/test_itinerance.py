"""Itinerance: stays of an itinerant item, tour planning (checked by brute force), reach."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest

from observatory.distances import EstimatedRoad, Travel
from observatory.errors import UserInputError
from observatory.itinerance import (
    CO2_KG_PER_KM,
    Stay,
    check_new_stay,
    location_on,
    monthly_presence,
    plan_tour,
    reach_of_tour,
    timeline_frame,
)

PROVIDER = EstimatedRoad()
TOOLS = {"provider": PROVIDER, "emission_factor": CO2_KG_PER_KM}  # what the settings give
ARIEGE = {"lon": (0.8, 2.2), "lat": (42.55, 43.3)}


def stays(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "place_id", "start", "end", "place_name"])


BOOKED = stays((1, 10, "2026-03-05", "2026-03-20", "Le Fab'Ariège"),
               (2, 11, "2026-04-01", "2026-04-10", "La Ressourcerie du Plantaurel"))


# --- Stays ----------------------------------------------------------------------------------

def test_overlapping_stay_is_refused_with_the_place_and_dates_of_the_other():
    reasons = check_new_stay(BOOKED, Stay(place_id=12, start="2026-03-03", end="2026-03-10"))
    assert reasons == ["Ce séjour (du 03/03/2026 au 10/03/2026) chevauche celui prévu à "
                       "« Le Fab'Ariège » du 05/03/2026 au 20/03/2026."]


def test_stay_overlapping_two_stays_names_both():
    reasons = check_new_stay(BOOKED, {"place_id": 12, "start": dt.date(2026, 3, 15),
                                      "end": dt.date(2026, 4, 2)})
    assert len(reasons) == 2
    assert "Le Fab'Ariège" in reasons[0] and "Ressourcerie du Plantaurel" in reasons[1]


def test_touching_stays_are_accepted():
    assert check_new_stay(BOOKED, Stay(12, "2026-03-21", "2026-03-31")) == []
    assert check_new_stay(BOOKED, Stay(12, "2026-02-25", "2026-03-04")) == []


def test_stay_starting_on_the_last_day_of_another_is_refused():
    reasons = check_new_stay(BOOKED, Stay(12, "2026-03-20", "2026-03-25"))
    assert len(reasons) == 1 and "du 05/03/2026 au 20/03/2026" in reasons[0]


def test_one_day_stay_inside_another_is_refused():
    assert len(check_new_stay(BOOKED, Stay(12, "2026-04-10", "2026-04-10"))) == 1


def test_end_before_start_is_refused():
    assert check_new_stay(BOOKED, Stay(12, "2026-06-10", "2026-06-01")) == [
        "La date de fin (01/06/2026) précède la date de début (10/06/2026)."]


def test_missing_dates_and_place_are_refused():
    reasons = check_new_stay(BOOKED, {"place_id": None, "start": None, "end": "2026-06-01"})
    assert reasons == ["Choisissez le lieu du séjour.",
                       "Indiquez une date de début et une date de fin."]


def test_unreadable_date_is_refused_in_french():
    assert check_new_stay(BOOKED, Stay(12, "bientôt", "2026-06-01")) == [
        "Date illisible : « bientôt »."]


def test_editing_a_stay_does_not_collide_with_itself():
    assert check_new_stay(BOOKED, Stay(10, "2026-03-06", "2026-03-25", id=1)) == []
    assert len(check_new_stay(BOOKED, Stay(10, "2026-03-06", "2026-04-02", id=1))) == 1


def test_place_names_come_from_a_mapping_when_the_frame_has_none():
    frame = BOOKED.drop(columns="place_name")
    reasons = check_new_stay(frame, Stay(12, "2026-03-01", "2026-03-05"), {10: "Atelier"})
    assert "« Atelier »" in reasons[0]
    assert "« lieu n° 10 »" in check_new_stay(frame, Stay(12, "2026-03-01", "2026-03-05"))[0]


def test_first_stay_on_an_empty_schedule_is_accepted():
    assert check_new_stay(BOOKED.iloc[0:0], Stay(12, "2026-03-01", "2026-03-05")) == []


@pytest.mark.parametrize("day, expected", [
    ("2026-03-04", 99),   # before the first stay: at home
    ("2026-03-05", 10),   # first day of a stay
    ("2026-03-12", 10),   # during
    ("2026-03-20", 10),   # last day included
    ("2026-03-25", 99),   # between stays: back home
    ("2026-04-10", 11),
    ("2026-05-01", 99),   # after the last stay
])
def test_current_location_follows_the_schedule(day, expected):
    assert location_on(BOOKED, day, home_place_id=99) == expected


def test_location_without_any_stay_is_the_home_place():
    assert location_on(BOOKED.iloc[0:0], dt.date(2026, 1, 1), 99) == 99


# --- Calendar ----------------------------------------------------------------------------

ITEMS = pd.DataFrame({"id": [1, 2], "name": ["Fablab mobile", "Repair café"],
                      "home_place_id": [99, 98]})
PLACES = pd.DataFrame({"id": [10, 11, 98, 99], "name": ["A", "B", "Maison 2", "Maison 1"]})
SCHEDULE = pd.DataFrame({"item_id": [1, 1, 2], "place_id": [10, 11, 10],
                         "start": ["2026-03-05", "2026-03-25", "2026-04-01"],
                         "end": ["2026-03-20", "2026-04-10", "2026-04-30"]})


def test_monthly_presence_counts_days_at_each_place_and_at_home():
    frame = monthly_presence(SCHEDULE, ITEMS, "2026-03-15", 2, places=PLACES)
    fablab = frame[frame["item_id"] == 1].set_index(["month", "place"])["days"]
    march, april = pd.Timestamp("2026-03-01"), pd.Timestamp("2026-04-01")
    assert fablab[(march, "A")] == 16 and fablab[(march, "B")] == 7
    assert fablab[(march, "Maison 1")] == 31 - 16 - 7
    assert fablab[(april, "B")] == 10 and fablab[(april, "Maison 1")] == 20
    repair = frame[frame["item_id"] == 2]
    assert repair.groupby("month")["days"].sum().tolist() == [31, 30]
    assert repair.loc[repair["place"] == "A", "days"].tolist() == [30]
    assert set(frame.loc[frame["at_home"], "place"]) == {"Maison 1", "Maison 2"}


def test_schedule_functions_accept_the_store_column_names():
    store = SCHEDULE.rename(columns={"item_id": "equipment_id", "start": "start_date",
                                     "end": "end_date"})
    items = ITEMS.rename(columns={"home_place_id": "owner_place_id"})
    assert timeline_frame(store, items, PLACES).equals(timeline_frame(SCHEDULE, ITEMS, PLACES))
    assert monthly_presence(store, items, "2026-03-01", 2, PLACES).equals(
        monthly_presence(SCHEDULE, ITEMS, "2026-03-01", 2, PLACES))
    own = store[store["equipment_id"] == 1].assign(id=[1, 2])
    assert location_on(own, "2026-03-26", 99) == 11
    assert len(check_new_stay(own, Stay(12, "2026-03-01", "2026-03-06"))) == 1


def test_items_with_the_same_name_keep_their_own_row_in_the_timeline():
    twins = ITEMS.assign(name="Vélo cargo")
    assert set(timeline_frame(SCHEDULE, twins, PLACES)["item"]) == {"Vélo cargo (n° 1)",
                                                                   "Vélo cargo (n° 2)"}
    assert monthly_presence(SCHEDULE, twins, "2026-03-01", 1)["item"].nunique() == 2


def test_timeline_frame_has_what_px_timeline_needs_with_an_exclusive_end():
    frame = timeline_frame(SCHEDULE, ITEMS, PLACES)
    assert {"item", "place", "start", "end"} <= set(frame.columns)
    first = frame.iloc[0]
    assert (first["item"], first["place"]) == ("Fablab mobile", "A")
    assert first["end"] == pd.Timestamp("2026-03-21")
    assert first["last_day"] == pd.Timestamp("2026-03-20")


# --- Tours: against brute force --------------------------------------------------------------

def random_places(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(100, 100 + n), "name": [f"Lieu {k}" for k in range(n)],
                         "lon": rng.uniform(*ARIEGE["lon"], n),
                         "lat": rng.uniform(*ARIEGE["lat"], n)})


def road_matrix(places: pd.DataFrame) -> tuple[list, np.ndarray]:
    return places["id"].tolist(), PROVIDER.matrix(places, places).road_km


def brute_force_km(places: pd.DataFrame, start_id, closed: bool) -> float:
    ids, road = road_matrix(places)
    index = {pid: k for k, pid in enumerate(ids)}
    if start_id is None and closed:
        start_id = ids[0]
    best = np.inf
    heads = [index[start_id]] if start_id is not None else list(range(len(ids)))
    for head in heads:
        for rest in itertools.permutations([k for k in range(len(ids)) if k != head]):
            path = (head, *rest, head) if closed else (head, *rest)
            best = min(best, sum(road[a, b] for a, b in itertools.pairwise(path)))
    return best


def tour_km(tour, places) -> float:
    ids, road = road_matrix(places)
    index = {pid: k for k, pid in enumerate(ids)}
    return sum(road[index[a], index[b]] for a, b in itertools.pairwise(tour.stops))


CASES = [(n, seed) for n in range(3, 9) for seed in (1, 2, 3)]


@pytest.mark.parametrize("n, seed", CASES)
@pytest.mark.parametrize("closed", [True, False])
def test_exact_tour_is_as_short_as_brute_force(n, seed, closed):
    places = random_places(n, seed)
    tour = plan_tour(places, return_to_start=closed, **TOOLS)
    assert tour.method == "exact" and tour.closed is closed and tour.open is not closed
    assert sorted(tour.order) == sorted(places["id"])
    assert tour.total_km == pytest.approx(brute_force_km(places, None, closed))
    assert tour.total_km == pytest.approx(tour_km(tour, places))


@pytest.mark.parametrize("n, seed", CASES[::2])
@pytest.mark.parametrize("closed", [True, False])
def test_exact_tour_from_a_chosen_start_is_as_short_as_brute_force(n, seed, closed):
    places = random_places(n, seed)
    start = int(places["id"].iloc[n // 2])
    tour = plan_tour(places, start_id=start, return_to_start=closed, **TOOLS)
    assert tour.order[0] == start
    assert tour.total_km == pytest.approx(brute_force_km(places, start, closed))


def test_closed_tour_without_a_start_begins_at_the_first_place():
    places = random_places(6, 4)
    assert plan_tour(places, **TOOLS).order[0] == places["id"].iloc[0]


def exact_and_heuristic(n, seed, closed, start):
    places = random_places(n, seed)
    start_id = int(places["id"].iloc[0]) if start else None
    asked = {"start_id": start_id, "return_to_start": closed, **TOOLS}
    exact = plan_tour(places, exact_limit=n, **asked)
    heuristic = plan_tour(places, exact_limit=0, **asked)
    return exact, heuristic


@pytest.mark.parametrize("n", [9, 10])
def test_heuristic_gap_to_the_optimum_is_at_most_ten_percent(n):
    gaps = []
    for seed, closed, start in itertools.product(range(1, 6), [True, False], [True, False]):
        exact, heuristic = exact_and_heuristic(n, seed, closed, start)
        assert heuristic.method == "heuristique" and exact.method == "exact"
        assert sorted(heuristic.order) == sorted(exact.order)
        gaps.append(heuristic.total_km / exact.total_km - 1)
    print(f"\nn={n}: heuristic gap over {len(gaps)} instances: mean {np.mean(gaps):.2%}, "
          f"max {max(gaps):.2%}, optimal in {sum(g < 1e-9 for g in gaps)}")
    assert min(gaps) > -1e-9  # never better than the optimum
    assert max(gaps) <= 0.10


def test_heuristic_visits_every_place_once_on_a_large_set():
    places = random_places(60, 9)
    tour = plan_tour(places, start_id=int(places["id"].iloc[5]), return_to_start=False, **TOOLS)
    assert tour.method == "heuristique" and tour.order[0] == places["id"].iloc[5]
    assert sorted(tour.order) == sorted(places["id"]) and len(tour.legs) == 59


# --- Tours: small cases, records and CO2 ------------------------------------------------------

def test_tour_of_one_place_has_no_leg():
    places = random_places(1, 1)
    for closed in (True, False):
        tour = plan_tour(places, return_to_start=closed, **TOOLS)
        assert tour.order == [100] and tour.legs == () and tour.total_km == 0 == tour.co2_kg


def test_closed_tour_of_two_places_goes_and_comes_back():
    places = random_places(2, 1)
    tour = plan_tour(places, start_id=101, **TOOLS)
    assert tour.order == [101, 100] and tour.stops == [101, 100, 101]
    assert [(leg.from_id, leg.to_id) for leg in tour.legs] == [(101, 100), (100, 101)]
    assert tour.total_km == pytest.approx(2 * tour.legs[0].road_km)


def test_open_tour_of_two_places_is_one_leg():
    tour = plan_tour(random_places(2, 1), return_to_start=False, **TOOLS)
    assert len(tour.legs) == 1 and tour.total_km == tour.legs[0].road_km


def test_totals_are_the_sum_of_the_legs_and_co2_is_km_times_the_factor():
    tour = plan_tour(random_places(7, 5), **TOOLS)
    assert tour.total_minutes == pytest.approx(sum(leg.minutes for leg in tour.legs))
    assert tour.total_minutes == pytest.approx(tour.total_km / PROVIDER.speed_kmh * 60)
    assert tour.co2_kg == pytest.approx(tour.total_km * CO2_KG_PER_KM)
    assert tour.emission_factor_kg_per_km == CO2_KG_PER_KM
    assert 0.2 <= CO2_KG_PER_KM <= 0.25


def test_emission_factor_is_a_parameter():
    tour = plan_tour(random_places(5, 5), provider=PROVIDER, emission_factor=0.3)
    assert tour.co2_kg == pytest.approx(tour.total_km * 0.3)


def test_legs_frame_follows_the_order():
    tour = plan_tour(random_places(4, 2), **TOOLS)
    assert tour.legs_frame()["from_id"].tolist() == tour.order
    assert pd.DataFrame(tour.legs)["to_id"].tolist() == tour.stops[1:]


class AsymmetricProvider:
    """A one-way street: 1 → 2 is short, 2 → 1 long; the tour must take it the right way."""

    label = "test"

    def matrix(self, origins, destinations):
        road = np.array([[0, 1, 10], [10, 0, 1], [1, 10, 0]], dtype=float)
        return Travel(road, road, road)


def test_tours_respect_asymmetric_costs_in_both_methods():
    places = pd.DataFrame({"id": [1, 2, 3], "name": list("abc"), "lon": [1.0] * 3,
                           "lat": [43.0] * 3})
    for limit in (10, 0):
        tour = plan_tour(places.iloc[[0, 2, 1]], provider=AsymmetricProvider(),
                         emission_factor=CO2_KG_PER_KM, exact_limit=limit)
        assert tour.total_km == 3  # 1 → 2 → 3 → 1, not the way round (30)


@pytest.mark.parametrize("kwargs, message", [
    ({"places": random_places(0, 1)}, "au moins un lieu"),
    ({"places": pd.concat([random_places(2, 1)] * 2)}, "plusieurs fois"),
    ({"places": random_places(3, 1), "start_id": 7}, "départ"),
    ({"places": random_places(3, 1), "exact_limit": 40}, "limite"),
])
def test_bad_requests_are_refused_in_french(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plan_tour(**kwargs, **TOOLS)


def test_bad_requests_are_user_errors_shown_without_a_traceback():
    with pytest.raises(UserInputError):
        plan_tour(random_places(0, 1), **TOOLS)


@pytest.mark.parametrize("missing", ["provider", "emission_factor"])
def test_a_tour_needs_the_provider_and_the_factor_of_the_settings(missing):
    """No silent fallback on the estimate or the default car: the caller passes both."""
    given = {k: v for k, v in TOOLS.items() if k != missing}
    with pytest.raises(TypeError, match=missing):
        plan_tour(random_places(3, 1), **given)


def test_a_reach_needs_the_provider_of_the_settings():
    with pytest.raises(TypeError):
        reach_of_tour(STOPS, COMMUNES, minutes=20)
    with pytest.raises(TypeError):
        reach_of_tour(STOPS, COMMUNES, provider=None, minutes=20)


def test_places_without_coordinates_are_named():
    places = random_places(3, 1)
    places.loc[1, "lat"] = np.nan
    with pytest.raises(ValueError, match="Lieu 1"):
        plan_tour(places, **TOOLS)


# --- Reach ----------------------------------------------------------------------------------

class TableProvider:
    """Minutes from stops (rows) to communes (columns) written by hand."""

    label = "test"

    def __init__(self, minutes):
        self.minutes = np.asarray(minutes, dtype=float)

    def matrix(self, origins, destinations):
        return Travel(self.minutes, self.minutes, self.minutes)


COMMUNES = pd.DataFrame({"insee": ["09001", "09002", "09003", "09004"],
                         "name": ["Amont", "Bas", "Col", "Dolmen"],
                         "population": [1000, 250, 40, 5000],
                         "lon": [1.0] * 4, "lat": [43.0] * 4})
STOPS = pd.DataFrame({"id": [1, 2], "name": ["Fablab", "Café"], "lon": [1.0] * 2,
                      "lat": [43.0] * 2})


def test_reach_counts_communes_and_population_within_the_time_of_any_stop():
    provider = TableProvider([[5, 25, 40, 31], [30, 12, 20, 45]])
    reach = reach_of_tour(STOPS, COMMUNES, provider=provider, minutes=20)
    assert reach.communes["name"].tolist() == ["Amont", "Bas", "Col"]
    assert reach.communes["nearest_stop_id"].tolist() == [1, 2, 2]
    assert reach.population == 1290
    communes, population = reach  # also a plain pair
    assert population == 1290 and len(communes) == 3


def test_reach_with_the_estimated_road_provider():
    communes = pd.DataFrame({"insee": ["09122", "09225"], "name": ["Foix", "Pamiers"],
                             "population": [9500, 15700], "lon": [1.6053, 1.6108],
                             "lat": [42.9653, 43.1163]})
    stops = pd.DataFrame({"id": [1], "name": ["Lieu à Foix"], "lon": [1.61], "lat": [42.97]})
    reach = reach_of_tour(stops, communes, provider=EstimatedRoad(), minutes=15)
    assert reach.communes["name"].tolist() == ["Foix"] and reach.population == 9500


def test_reach_of_an_empty_tour_is_nothing():
    reach = reach_of_tour(STOPS.iloc[0:0], COMMUNES, provider=PROVIDER, minutes=20)
    assert reach.communes.empty and reach.population == 0


def test_the_co2_source_names_ademe_for_the_default_and_the_setting_otherwise():
    from observatory.itinerance import CO2_SOURCE, co2_source

    assert co2_source(CO2_KG_PER_KM) == CO2_SOURCE and "ADEME" in CO2_SOURCE
    other = co2_source(0.3)
    assert "OBSERVATORY_CO2_KG_PER_KM" in other and "0,3 kg CO2e par km" in other


# --- A planned tour booked as consecutive stays -------------------------------------------

def test_a_tour_schedule_books_consecutive_stays_in_the_visiting_order():
    from observatory.itinerance import tour_schedule

    stays = tour_schedule([7, 3, 5], dt.date(2026, 3, 2), 10)
    assert [(s.place_id, s.start, s.end) for s in stays] == [
        (7, dt.date(2026, 3, 2), dt.date(2026, 3, 11)),
        (3, dt.date(2026, 3, 12), dt.date(2026, 3, 21)),
        (5, dt.date(2026, 3, 22), dt.date(2026, 3, 31))]
    for before, after in itertools.pairwise(stays):  # touching, never overlapping
        assert after.start == before.end + dt.timedelta(days=1)
        assert check_new_stay(pd.DataFrame([before.__dict__]), after) == []


def test_a_tour_schedule_counts_weeks_as_seven_days_across_a_month_end():
    from observatory.itinerance import tour_schedule

    stays = tour_schedule([1, 2], "2026-01-26", 2, "weeks")
    assert [(s.start, s.end) for s in stays] == [
        (dt.date(2026, 1, 26), dt.date(2026, 2, 8)), (dt.date(2026, 2, 9), dt.date(2026, 2, 22))]


@pytest.mark.parametrize("order, start, duration, unit, message", [
    ([], dt.date(2026, 3, 2), 1, "days", "au moins un lieu"),
    ([1, 1], dt.date(2026, 3, 2), 1, "days", "plusieurs fois"),
    ([1, 2], None, 1, "days", "date de début"),
    ([1, 2], dt.date(2026, 3, 2), 0, "days", "nombre entier de jours, au moins 1"),
    ([1, 2], dt.date(2026, 3, 2), 1.5, "weeks", "nombre entier de semaines"),
    ([1, 2], dt.date(2026, 3, 2), 1, "months", "Unité de durée inconnue"),
])
def test_a_tour_schedule_refuses_what_cannot_be_booked_in_french(order, start, duration, unit,
                                                                 message):
    from observatory.itinerance import TourError, tour_schedule

    with pytest.raises(TourError, match=message):
        tour_schedule(order, start, duration, unit)
