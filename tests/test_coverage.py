"""Coverage: nearest place, covered population, zones blanches and where a new place would help."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from observatory import catalogue, coverage
from observatory.coverage import (
    coverage_matrix,
    covered,
    exact_cover,
    greedy_cover,
    nearest,
    report,
    where_next,
)
from observatory.distances import EstimatedRoad, MatrixFile, haversine_km
from observatory.store import db, rules, territory
from observatory.store import places as store_places

GUARANTEE = 1 - 1 / math.e
ROAD = EstimatedRoad()


def random_communes(n: int, seed: int, box=(1.0, 2.2, 42.6, 43.4)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "insee": [f"{90000 + i:05d}" for i in range(n)],
        "name": [f"Commune {i}" for i in range(n)],
        "population": rng.integers(20, 5000, n),
        "lon": rng.uniform(box[0], box[1], n), "lat": rng.uniform(box[2], box[3], n),
        "epci_siren": rng.choice(["200000001", "200000002", "200000003"], n),
    }).assign(epci_name=lambda d: "CC " + d["epci_siren"].str[-1])


def random_places(n: int, seed: int, box=(1.0, 2.2, 42.6, 43.4)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(1, n + 1), "name": [f"Lieu {i}" for i in range(1, n + 1)],
                         "lon": rng.uniform(box[0], box[1], n),
                         "lat": rng.uniform(box[2], box[3], n),
                         "mature": rng.random(n) < 0.3})


def brute_force(communes: pd.DataFrame, places: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    d = haversine_km(communes["lon"].to_numpy()[:, None], communes["lat"].to_numpy()[:, None],
                     places["lon"].to_numpy()[None, :], places["lat"].to_numpy()[None, :])
    return places["id"].to_numpy()[d.argmin(axis=1)], d.min(axis=1)


def hand_fixture() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four communes on the meridian 1.6°E, two places; 0.1° of latitude ≈ 11.1 km.

    With 1.3 × crow-fly at 55 km/h, 20 minutes of travel are about 14.1 km crow-fly.
    """
    communes = pd.DataFrame({
        "insee": ["09001", "09002", "09003", "09004"],
        "name": ["Aval", "Bourg", "Col", "Dessus"],
        "population": [1000, 500, 300, 200],
        "lon": [1.6, 1.6, 1.6, 1.6],
        "lat": [43.0, 43.1, 43.26, 43.5],  # 0, 11.1, 26.7, 0 km of the nearest place
        "epci_siren": ["200000001", "200000001", "200000002", "200000002"],
        "epci_name": ["CC Plaine", "CC Plaine", "CC Montagne", "CC Montagne"],
        "in_perimeter": [True, True, True, True],
    })
    places = pd.DataFrame({"id": [1, 2], "name": ["Fablab d'en bas", "Café d'en haut"],
                           "lon": [1.6, 1.6], "lat": [43.0, 43.5], "mature": [False, True]})
    return communes, places


# --- Nearest place -------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [1, 2, 3])
def test_nearest_place_matches_brute_force_over_all_pairs(seed):
    communes, places = random_communes(400, seed), random_places(250, seed + 100)
    access = nearest(communes, places, provider=ROAD)
    ids, km = brute_force(communes, places)
    assert access["nearest_place_id"].to_numpy(dtype=int).tolist() == ids.tolist()
    np.testing.assert_allclose(access["distance_km"], km, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(access["road_km"], km * ROAD.circuity)
    np.testing.assert_allclose(access["minutes"], km * ROAD.circuity / ROAD.speed_kmh * 60)


@pytest.mark.parametrize("seed", [4, 5])
def test_nearest_mature_place_matches_brute_force_over_the_mature_subset(seed):
    communes, places = random_communes(300, seed), random_places(200, seed + 100)
    access = nearest(communes, places, provider=ROAD)
    ids, km = brute_force(communes, places[places["mature"]])
    assert access["nearest_mature_id"].to_numpy(dtype=int).tolist() == ids.tolist()
    np.testing.assert_allclose(access["mature_distance_km"], km, rtol=1e-9, atol=1e-9)
    assert (access["mature_minutes"] >= access["minutes"] - 1e-9).all()


def test_a_general_provider_keeps_the_best_travel_among_the_k_straight_nearest():
    communes, _ = hand_fixture()
    communes = communes.iloc[[0]]
    places = pd.DataFrame({"id": [1, 2], "lon": [1.6, 1.6], "lat": [43.10, 43.15]})
    # A fast road reaches place 2 (16.7 km crow-fly) in 10 minutes, place 1 takes the estimate.
    provider = MatrixFile(pd.DataFrame({"from_id": ["09001"], "to_id": [2],
                                        "road_km": [18.0], "minutes": [10.0]}))
    best = nearest(communes, places, provider=provider)
    assert best["nearest_place_id"].iloc[0] == 2
    assert best["minutes"].iloc[0] == pytest.approx(10.0)
    assert best["distance_km"].iloc[0] == pytest.approx(16.68, abs=0.01)
    assert nearest(communes, places, provider=provider, k=1)["nearest_place_id"].iloc[0] == 1


def test_without_any_place_every_commune_is_uncovered():
    communes = random_communes(50, seed=7)
    access = nearest(communes, random_places(0, seed=7), provider=ROAD)
    assert access["nearest_place_id"].isna().all() and access["minutes"].isna().all()
    assert access["nearest_mature_id"].isna().all()
    summary = covered(access, threshold_minutes=30)
    assert summary.population_covered == 0
    assert summary.population_total == communes["population"].sum()
    assert len(summary.zones_blanches) == 50
    assert where_next(access, None, k=2, provider=ROAD)["population_added"].gt(0).all()


def test_communes_without_coordinates_get_no_place_instead_of_failing():
    communes, places = hand_fixture()
    communes.loc[1, ["lon", "lat"]] = np.nan
    access = nearest(communes, places, provider=ROAD)
    assert access["minutes"].isna().tolist() == [False, True, False, False]


# --- Covered population --------------------------------------------------------------------

def test_covered_population_equals_the_hand_computation():
    communes, places = hand_fixture()
    access = nearest(communes, places, provider=ROAD)
    assert access["nearest_place_id"].tolist() == [1, 1, 2, 2]
    summary = covered(access, threshold_minutes=20)
    assert (summary.population_total, summary.population_covered) == (2000, 1700)
    assert summary.share == pytest.approx(0.85)
    assert summary.zones_blanches["name"].tolist() == ["Col"]
    assert covered(access, threshold_km=30).population_covered == 2000
    assert covered(access, threshold_km=10).population_covered == 1200


def test_covered_by_mature_places_only_counts_the_mature_ones():
    communes, places = hand_fixture()
    summary = covered(nearest(communes, places, provider=ROAD), threshold_minutes=20, mature=True)
    assert summary.population_covered == 200
    # Farthest first: Aval (55.6 km), Bourg (44.5 km), Col (26.7 km).
    assert summary.zones_blanches["name"].tolist() == ["Aval", "Bourg", "Col"]


def test_per_epci_table_of_the_hand_fixture():
    communes, places = hand_fixture()
    access = nearest(communes, places, provider=ROAD)
    table = covered(access, threshold_minutes=20).by_epci.set_index("epci_name")
    assert table.loc["CC Plaine", ["population", "population_covered"]].tolist() == [1500, 1500]
    assert table.loc["CC Montagne", ["population", "population_covered"]].tolist() == [500, 200]
    assert table.loc["CC Montagne", "share"] == pytest.approx(0.4)


@pytest.mark.parametrize("seed", [8, 9])
def test_per_epci_sums_add_up_to_the_total(seed):
    access = nearest(random_communes(300, seed), random_places(40, seed), provider=ROAD)
    summary = covered(access, threshold_minutes=15)
    assert summary.by_epci["population"].sum() == summary.population_total
    assert summary.by_epci["population_covered"].sum() == summary.population_covered
    assert summary.by_epci["communes"].sum() == 300


def test_communes_outside_the_perimeter_are_left_out():
    communes, places = hand_fixture()
    communes.loc[3, "in_perimeter"] = False
    access = nearest(communes, places, provider=ROAD)
    assert covered(access).population_total == 1800
    assert covered(access, perimeter_only=False).population_total == 2000


def test_zones_blanches_put_communes_without_any_place_first():
    communes, places = hand_fixture()
    communes.loc[1, ["lon", "lat"]] = np.nan
    blank = covered(nearest(communes, places, provider=ROAD)).zones_blanches
    assert blank["name"].tolist() == ["Bourg", "Col"]


def test_a_threshold_in_minutes_and_in_km_at_once_is_refused_in_french():
    communes, places = hand_fixture()
    with pytest.raises(ValueError, match="pas les deux"):
        covered(nearest(communes, places, provider=ROAD), threshold_minutes=20, threshold_km=10)


def test_mature_coverage_needs_to_know_maturity():
    communes, places = hand_fixture()
    with pytest.raises(ValueError, match="maturité"):
        covered(nearest(communes, places.drop(columns="mature"), provider=ROAD), mature=True)


def test_summary_sentence_is_french():
    communes, places = hand_fixture()
    sentence = covered(nearest(communes, places, provider=ROAD), threshold_minutes=20).sentence
    assert sentence.startswith("1\u202f700 habitants sur 2\u202f000 (85,0\u00a0%)")
    assert "20 min" in sentence


# --- Where next ----------------------------------------------------------------------------

def test_where_next_picks_the_only_uncovered_commune_of_the_hand_fixture():
    communes, places = hand_fixture()
    picks = where_next(nearest(communes, places, provider=ROAD), places, k=3, threshold=20,
                       provider=ROAD)
    assert picks["name"].tolist() == ["Col"]  # nobody else is left to cover: stops early
    assert picks["population_added"].tolist() == [300]


def test_where_next_accepts_plain_communes_and_candidate_sites():
    communes, places = hand_fixture()
    stops = pd.DataFrame({"id": ["arrêt-1", "arrêt-2"], "name": ["Loin", "Près de Col"],
                          "lon": [3.0, 1.6], "lat": [45.0, 43.27]})
    picks = where_next(communes, places, k=1, threshold=20, candidates=stops, provider=ROAD)
    assert picks["id"].tolist() == ["arrêt-2"] and picks["population_added"].tolist() == [300]


def adversarial_instance() -> tuple[sparse.csr_matrix, np.ndarray]:
    """Greedy takes C (5) first then can only add 2; A + B cover 8."""
    weights = np.array([2, 2, 2, 2, 1])
    sets = {"A": [0, 1], "B": [2, 3], "C": [0, 2, 4]}
    rows = [np.isin(np.arange(5), members) for members in sets.values()]
    return sparse.csr_matrix(np.array(rows, dtype=np.int64)), weights


def test_greedy_can_miss_the_optimum_but_stays_within_its_guarantee():
    matrix, weights = adversarial_instance()
    picks = greedy_cover(matrix, weights, 2)
    greedy_total = weights[matrix[picks].toarray().any(axis=0)].sum()
    best, optimum = exact_cover(matrix, weights, 2)
    assert (greedy_total, optimum, sorted(best)) == (7, 8, [0, 1])
    assert greedy_total >= GUARANTEE * optimum


@pytest.mark.parametrize("seed", range(20))
def test_greedy_covering_is_within_one_minus_one_over_e_of_the_optimum(seed):
    rng = np.random.default_rng(seed)
    dense = rng.random((25, 60)) < rng.uniform(0.05, 0.25)
    weights = rng.integers(1, 1000, 60)
    matrix = sparse.csr_matrix(dense.astype(np.int64))
    picks = greedy_cover(matrix, weights, 3)
    greedy_total = weights[dense[picks].any(axis=0)].sum()
    _, optimum = exact_cover(matrix, weights, 3)
    assert optimum >= greedy_total >= GUARANTEE * optimum


@pytest.mark.parametrize("seed", range(20))
def test_geographic_greedy_suggestion_against_the_exact_optimum(seed):
    communes = random_communes(60, seed, box=(1.4, 1.9, 42.9, 43.2))
    places = random_places(3, seed)
    access = nearest(communes, places, provider=ROAD)
    candidates = communes.sample(25, random_state=seed)
    greedy = where_next(access, places, k=3, threshold=12, candidates=candidates, provider=ROAD)
    exact = where_next(access, places, k=3, threshold=12, candidates=candidates, method="exact",
                       provider=ROAD)
    added = greedy["population_added"].to_numpy()
    assert (np.diff(added) <= 0).all()  # decreasing marginal gains
    best = exact["population_added"].sum()
    assert best >= added.sum() >= GUARANTEE * best


def test_suggested_sites_really_cover_the_population_they_announce():
    communes, places = random_communes(300, seed=11), random_places(15, seed=11)
    before = covered(nearest(communes, places, provider=ROAD), threshold_minutes=15)
    picks = where_next(communes, places, k=4, threshold=15, provider=ROAD)
    sites = communes.set_index("insee").loc[picks["insee"], ["lon", "lat"]].reset_index()
    new = pd.DataFrame({"id": 1000 + np.arange(len(sites)),
                        "lon": sites["lon"], "lat": sites["lat"]})
    after = covered(nearest(communes, pd.concat([places, new]), provider=ROAD),
                    threshold_minutes=15)
    assert after.population_covered - before.population_covered == picks["population_added"].sum()
    assert picks["population_cumulative"].iloc[-1] == picks["population_added"].sum()


def test_coverage_matrix_matches_travel_times_by_brute_force():
    communes = random_communes(120, seed=12)
    sites = communes.iloc[:30]
    matrix = coverage_matrix(sites, communes, 18, provider=ROAD).toarray().astype(bool)
    km = haversine_km(communes["lon"].to_numpy()[None, :], communes["lat"].to_numpy()[None, :],
                      sites["lon"].to_numpy()[:, None], sites["lat"].to_numpy()[:, None])
    assert (matrix == (ROAD.from_straight(km).minutes <= 18)).all()


def test_exact_solver_refuses_big_instances():
    matrix = sparse.csr_matrix(np.ones((200, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="gloutonne"):
        exact_cover(matrix, np.ones(3), 5)


# --- JSON report ---------------------------------------------------------------------------

def test_report_has_the_keys_scripts_rely_on_and_is_valid_json():
    communes, places = hand_fixture()
    access = nearest(communes, places, provider=ROAD)
    data = json.loads(json.dumps(report(access, threshold_minutes=20,
                                        suggestions=where_next(access, places, k=1, provider=ROAD),
                                        provider=ROAD)))
    assert (data["population_total"], data["population_covered"]) == (2000, 1700)
    first = data["communes"][0]
    assert {"insee", "name", "population", "nearest_place_id", "distance_km",
            "minutes"} <= set(first)
    assert first["insee"] == "09001" and first["nearest_place_id"] == 1
    assert data["zones_blanches"] == ["09003"]
    assert data["suggestions"][0]["population_added"] == 300


def test_report_without_places_writes_nulls():
    communes, _ = hand_fixture()
    data = report(nearest(communes, random_places(0, seed=1), provider=ROAD), threshold_km=10,
                  provider=ROAD)
    assert data["population_covered"] == 0
    assert data["communes"][0]["nearest_place_id"] is None
    assert data["communes"][0]["distance_km"] is None
    json.dumps(data)


# --- Demonstration data --------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_access(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        communes = territory.communes(con)
        places = catalogue.annotate(store_places.current(con), rules.current(con))
    finally:
        con.close()
    return communes, places, nearest(communes, places, provider=ROAD)


def test_demo_population_within_20_minutes_is_part_of_the_perimeter(demo_access):
    communes, _, access = demo_access
    perimeter = int(communes.loc[communes["in_perimeter"], "population"].sum())
    summary = covered(access, threshold_minutes=20)
    assert summary.population_total == perimeter
    assert 0 < summary.population_covered < perimeter
    mature = covered(access, threshold_minutes=20, mature=True)
    assert mature.population_covered <= summary.population_covered


def test_demo_suggestions_add_inhabitants(demo_access):
    _, places, access = demo_access
    picks = where_next(access, places, k=3, threshold=20, provider=ROAD)
    assert 1 <= len(picks) <= 3
    assert (picks["population_added"] > 0).all()
    assert (np.diff(picks["population_added"]) <= 0).all()


# --- What the page and the CLI print ------------------------------------------------------

def beyond_493_of_123_000() -> pd.DataFrame:
    """An access table: 493 inhabitants beyond 20 minutes out of 122,993 (99,6 % within)."""
    return pd.DataFrame({
        "insee": ["09001", "09002", "09003"], "name": ["Ville", "Bourg", "Hameau"],
        "population": [100_000, 22_500, 493], "minutes": [3.0, 12.0, 44.4],
        "epci_siren": ["200000001", "200000001", "200000002"],
        "epci_name": ["CC Plaine", "CC Plaine", "CC Montagne"],
        "in_perimeter": [True, True, True]})


def test_the_share_never_reads_100_percent_next_to_493_inhabitants_beyond():
    summary = covered(beyond_493_of_123_000(), threshold_minutes=20)
    figures = dict(coverage.key_figures(summary))
    assert figures["Habitants au-delà du seuil"] == "493"
    assert figures["Part de la population"] == ">\u00a099,5\u00a0%"  # rounding would say 100 %
    assert figures["Habitants à portée"] == "122\u202f500"
    assert "(99,6\u00a0%)" in summary.sentence


def test_the_epci_table_is_french_and_its_shares_agree_with_its_counts():
    access = beyond_493_of_123_000().assign(epci_siren="200000001",
                                            epci_name="Communauté de communes Plaine")
    table = coverage.epci_table(covered(access, threshold_minutes=20))
    assert table.columns.tolist() == ["EPCI", "Communes", "Habitants", "À portée", "Part"]
    row = table.iloc[0].to_dict()
    assert row == {"EPCI": "CC Plaine", "Communes": "3", "Habitants": "122\u202f993",
                   "À portée": "122\u202f500", "Part": ">\u00a099,5\u00a0%"}


def test_the_epci_table_names_the_epci_short_so_its_figures_show():
    """Half the page wide, « Communauté de communes Causses et Vallée de la Dordogne » pushed
    « Habitants », « À portée » and « Part » out of sight."""
    access = beyond_493_of_123_000().assign(
        epci_siren="200066371", epci_name="Communauté de communes Causses et Vallée de la "
                                          "Dordogne")
    table = coverage.epci_table(covered(access, threshold_minutes=20))
    assert table["EPCI"].tolist() == ["CC Causses et Vallée de la Dordogne"]


def test_the_far_communes_and_the_suggestions_read_in_french():
    summary = covered(beyond_493_of_123_000(), threshold_minutes=20)
    far = coverage.far_table(summary)
    assert far.to_dict(orient="records") == [
        {"Commune": "Hameau", "Habitants": "493", "Trajet (estimation)": "44\u00a0min"}]
    picks = pd.DataFrame({"rank": [1, 2], "name": ["Artigues", "Ax"],
                          "population_added": [943, 263], "population_cumulative": [943, 1206]})
    table = coverage.suggestions_table(picks)
    assert table["Cumul"].tolist() == ["943", "1\u202f206"]
    assert table.columns.tolist() == ["Rang", "Commune", "Habitants ajoutés", "Cumul"]


def test_a_commune_without_any_place_reads_aucun_lieu():
    communes, _ = hand_fixture()
    access = nearest(communes, pd.DataFrame(columns=["id", "name", "lon", "lat"]), provider=ROAD)
    far = coverage.far_table(covered(access, threshold_minutes=20), estimated=False)
    assert set(far["Trajet"]) == {"aucun lieu"}


def test_fewer_suggestions_than_asked_say_that_they_suffice():
    communes, places = hand_fixture()
    access = nearest(communes, places, provider=ROAD)
    summary = covered(access, threshold_minutes=20)
    picks = where_next(access, places, k=3, threshold=20, provider=ROAD)
    assert len(picks) == 1
    assert coverage.shortfall_note(summary, picks, 3) == (
        "1 site suffit : toute la population du périmètre vivrait alors au plus à "
        "20 min de trajet d'un lieu.")
    assert coverage.shortfall_note(summary, picks, 1) is None  # as many as asked: nothing to say
    assert coverage.shortfall_note(summary, None, 0) is None


def test_no_suggestion_when_everyone_is_already_within_reach():
    communes, places = hand_fixture()
    access = nearest(communes, places, provider=ROAD)
    summary = covered(access, threshold_minutes=60)
    picks = where_next(access, places, k=3, threshold=60, provider=ROAD)
    assert picks.empty
    assert coverage.shortfall_note(summary, picks, 3) == (
        "Aucune implantation à suggérer : toute la population du périmètre vit déjà au plus à "
        "60 min de trajet d'un lieu.")


def test_candidates_that_add_nobody_are_named_as_the_reason():
    communes, places = hand_fixture()
    access = nearest(communes, places, provider=ROAD)
    summary = covered(access, threshold_minutes=20)
    far_away = pd.DataFrame({"id": [7, 8], "name": ["Col", "Loin"], "lon": [1.6, 3.0],
                             "lat": [43.26, 45.0]})
    picks = where_next(access, places, k=2, threshold=20, provider=ROAD, candidates=far_away)
    assert picks["name"].tolist() == ["Col"]
    assert coverage.shortfall_note(summary, picks, 2).startswith("1 site suffit")
    alone = where_next(access, places, k=2, threshold=20, provider=ROAD,
                       candidates=far_away.iloc[[1]])
    note = coverage.shortfall_note(summary, alone, 2)
    assert note == ("Aucune implantation à suggérer : aucun site candidat n'ajouterait "
                    "d'habitants (300 habitants au-delà du seuil, à portée d'aucun candidat).")


def test_report_says_why_fewer_suggestions_than_asked():
    communes, places = hand_fixture()
    access = nearest(communes, places, provider=ROAD)
    picks = where_next(access, places, k=3, threshold=20, provider=ROAD)
    result = report(access, 20, suggestions=picks, provider=ROAD, requested=3)
    assert result["suggestions_note"].startswith("1 site suffit")
    assert report(access, 20, provider=ROAD)["suggestions_note"] is None


def test_the_method_is_said_plainly_and_precisely_apart():
    assert "glouton" not in coverage.METHOD_PLAIN and "optimum" not in coverage.METHOD_PLAIN
    assert "63 %" in coverage.METHOD_DETAIL and "gloutonne" in coverage.METHOD_DETAIL
