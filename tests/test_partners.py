"""Partner suggestions (ranked and explained) and the proposal of consortia over the network."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatory import catalogue, partners
from observatory.distances import EstimatedRoad, MatrixFile
from observatory.formatting import UNIT_SPACE, integer, number
from observatory.model import CRITERIA, CRITERIA_KEYS
from observatory.partners import NetworkProposal, Weights, propose_network, suggest
from observatory.store import db, places, rules

ROAD = EstimatedRoad()  # what the settings choose by default
ORIGIN = (1.85, 42.95)  # around Lavelanet
KM_PER_DEG_LON = 111.195 * np.cos(np.radians(ORIGIN[1]))


def east_of_origin(km: float) -> tuple[float, float]:
    return ORIGIN[0] + km / KM_PER_DEG_LON, ORIGIN[1]


def place(pid: int, name: str, km: float = 0.0, *, scores: float | dict = 2.0,
          typology: str = "Fablab", thematics=("numérique",), mature: bool = False,
          opening_year: int | None = 2015, **overrides) -> dict:
    lon, lat = east_of_origin(km)
    if not isinstance(scores, dict):
        scores = {k: scores for k in CRITERIA_KEYS}
    row = {"id": pid, "name": name, "commune": "Lavelanet", "lon": lon, "lat": lat,
           "typology": typology, "thematics": list(thematics), "mature": mature,
           "opening_year": opening_year, "transition_oriented": True,
           "legal_status": "Association", "in_perimeter": True, "in_excluded_zone": False,
           **{k: scores.get(k, 2.0) for k in CRITERIA_KEYS}}
    row.update(overrides)
    return row


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def first(ranked: pd.DataFrame) -> int:
    return int(ranked["id"].iloc[0])


NO_EQUIPMENT = pd.DataFrame({"place_id": pd.Series(dtype=int), "category": pd.Series(dtype=str),
                             "mutualised": pd.Series(dtype=bool),
                             "itinerant": pd.Series(dtype=bool)})


# --- suggest: filtering --------------------------------------------------------------------

def test_suggest_excludes_the_place_itself_and_places_beyond_max_minutes():
    provider = EstimatedRoad()
    places_ = frame(place(1, "Origine"), place(2, "Proche", 5), place(3, "Moyen", 20),
                    place(4, "Loin", 40), place(5, "Même endroit", 0))
    ranked = suggest(places_, 1, provider=provider, max_minutes=30)
    assert 1 not in set(ranked["id"])
    # 20 km × 1.3 at 55 km/h = 28.4 min; 40 km = 56.7 min
    assert set(ranked["id"]) == {2, 3, 5}
    assert (ranked["minutes"] <= 30).all()
    assert ranked.set_index("id").loc[3, "minutes"] == pytest.approx(20 * 1.3 / 55 * 60, rel=1e-3)
    wider = suggest(places_, 1, provider=provider, max_minutes=60)
    assert set(wider["id"]) == {2, 3, 4, 5}


def test_suggest_limit_follows_the_provider():
    places_ = frame(place(1, "Origine"), place(2, "A", 20))
    assert len(suggest(places_, 1, provider=EstimatedRoad(1.3, 55), max_minutes=30)) == 1
    assert len(suggest(places_, 1, provider=EstimatedRoad(2.0, 30), max_minutes=30)) == 0


def test_suggest_with_nobody_in_reach_returns_an_empty_frame_with_score_and_why():
    ranked = suggest(frame(place(1, "Origine"), place(2, "Loin", 200)), 1, provider=ROAD)
    assert ranked.empty
    assert {"score", "why", "minutes"} <= set(ranked.columns)


def test_suggest_unknown_place_raises_key_error():
    with pytest.raises(KeyError, match="introuvable"):
        suggest(frame(place(1, "Origine"), place(2, "A", 5)), 999, provider=ROAD)


def test_suggest_uses_a_matrix_file_when_given():
    places_ = frame(place(1, "Origine"), place(2, "A", 5), place(3, "B", 6))
    table = pd.DataFrame({"from_id": [1], "to_id": [2], "road_km": [70.0], "minutes": [90.0]})
    ranked = suggest(places_, 1, provider=MatrixFile(table), max_minutes=40)
    assert set(ranked["id"]) == {3}  # the routed 90 min pushes A out of reach


def test_suggest_returns_terms_in_unit_range_and_a_score_out_of_100_best_first():
    rng = np.random.default_rng(5)
    rows = [place(1, "Origine", scores=1.0)]
    for k in range(2, 40):
        rows.append(place(k, f"L{k}", float(rng.uniform(0, 25)),
                          scores={c: float(rng.choice(np.arange(0, 4.5, 0.5)))
                                  for c in CRITERIA_KEYS},
                          typology=str(rng.choice(["Fablab", "Coworking", "Ressourcerie"])),
                          thematics=list(rng.choice(["numérique", "alimentation", "réemploi"],
                                                    size=rng.integers(0, 3), replace=False)),
                          mature=bool(rng.random() < 0.3)))
    ranked = suggest(frame(*rows), 1, max_minutes=40, provider=ROAD)
    for name in partners.TERM_LABELS:
        assert ranked[f"t_{name}"].between(0, 1).all(), name
    assert ranked["score"].between(0, 100).all()
    assert ranked["score"].is_monotonic_decreasing
    # the score is the weighted mean of the active terms (equipment inactive without inventory)
    w = Weights()
    active = {n: getattr(w, n) for n in partners.TERM_LABELS if n != "equipment"}
    expected = 100 * sum(ranked[f"t_{n}"] * v for n, v in active.items()) / sum(active.values())
    np.testing.assert_allclose(ranked["score"], expected)


def test_negative_weights_are_refused_in_french():
    with pytest.raises(ValueError, match="positifs ou nuls"):
        Weights(proximity=-0.1)


# --- suggest: each weight changes the ranking -----------------------------------------------
# In each case, partner 2 is nearer (wins on proximity, the default's heaviest term) and
# partner 3 wins on the term under test only: raising that weight must put 3 first.

def test_raising_the_proximity_weight_puts_the_nearest_first():
    places_ = frame(place(1, "Origine"),
                    place(2, "Proche, semblable", 2),
                    place(3, "Loin, complémentaire", 20, scores=4.0))
    base = dict(proximity=0.0, complementarity=0.30, diversity=0.15, maturity=0.10)
    assert first(suggest(places_, 1, weights=Weights(**base), provider=ROAD)) == 3
    proximity = Weights(**{**base, "proximity": 5.0})
    assert first(suggest(places_, 1, weights=proximity, provider=ROAD)) == 2


def test_raising_the_complementarity_weight_puts_the_complementary_place_first():
    places_ = frame(place(1, "Origine"),
                    place(2, "Proche, semblable", 2),
                    place(3, "Plus loin, fort où l'origine est faible", 10, scores=4.0))
    assert first(suggest(places_, 1, weights=Weights(complementarity=0.0), provider=ROAD)) == 2
    assert first(suggest(places_, 1, weights=Weights(complementarity=5.0), provider=ROAD)) == 3


def test_complementarity_scores_what_the_partner_brings_not_what_it_receives():
    # Issue 12 on purpose: a weaker partner used to score as high as a stronger one (what
    # the place would bring it counted as complementarity); it is now said, not scored.
    places_ = frame(place(1, "Origine"), place(2, "Plus fort", 5, scores=4.0),
                    place(3, "Plus faible", 5, scores=0.0), place(4, "Pareil", 5),
                    place(5, "Un peu plus fort", 5, scores=3.0))
    terms = suggest(places_, 1, provider=ROAD).set_index("id")["t_complementarity"]
    assert terms[2] == pytest.approx(1.0)
    assert terms[5] == pytest.approx(0.5)  # one point above on average, out of FULL_GAP = 2
    assert terms[3] == 0.0 and terms[4] == 0.0


def test_raising_the_diversity_weight_puts_the_other_typology_with_shared_thematics_first():
    places_ = frame(place(1, "Origine", typology="Fablab", thematics=["numérique", "réemploi"]),
                    place(2, "Proche, même type, rien en commun", 2, typology="Fablab",
                          thematics=["alimentation"]),
                    place(3, "Plus loin, autre type, mêmes thématiques", 10,
                          typology="Ressourcerie", thematics=["numérique", "réemploi"]))
    ranked = suggest(places_, 1, provider=ROAD).set_index("id")
    assert ranked.loc[2, "t_diversity"] == 0.0
    assert ranked.loc[3, "t_diversity"] == pytest.approx(1.0)
    assert first(suggest(places_, 1, weights=Weights(diversity=0.0), provider=ROAD)) == 2
    assert first(suggest(places_, 1, weights=Weights(diversity=5.0), provider=ROAD)) == 3


def test_raising_the_maturity_weight_puts_the_mature_place_first():
    places_ = frame(place(1, "Origine"),
                    place(2, "Proche, non mature", 2),
                    place(3, "Plus loin, mature", 10, mature=True))
    assert first(suggest(places_, 1, weights=Weights(maturity=0.0), provider=ROAD)) == 2
    assert first(suggest(places_, 1, weights=Weights(maturity=5.0), provider=ROAD)) == 3


def test_raising_the_equipment_weight_puts_the_place_with_new_shareable_equipment_first():
    places_ = frame(place(1, "Origine"),
                    place(2, "Proche, rien à partager", 2),
                    place(3, "Plus loin, découpeuse laser itinérante", 10))
    equipment = pd.DataFrame({
        "place_id": [1, 2, 3, 3],
        "category": ["Imprimante 3D", "Imprimante 3D", "Découpeuse laser", "Imprimante 3D"],
        "mutualised": [True, True, False, True],
        "itinerant": [False, False, True, False]})
    ranked = suggest(places_, 1, equipment=equipment, provider=ROAD).set_index("id")
    assert ranked.loc[2, "t_equipment"] == 0.0
    assert ranked.loc[3, "t_equipment"] == pytest.approx(0.5)  # 1 new category out of 2
    assert first(suggest(places_, 1, equipment=equipment, weights=Weights(equipment=0.0),
                         provider=ROAD)) == 2
    assert first(suggest(places_, 1, equipment=equipment, weights=Weights(equipment=5.0),
                         provider=ROAD)) == 3


def test_equipment_neither_mutualised_nor_itinerant_does_not_count():
    places_ = frame(place(1, "Origine"), place(3, "Avec un outil privé", 10))
    equipment = pd.DataFrame({"place_id": [3], "category": ["Découpeuse laser"],
                              "mutualised": [False], "itinerant": [False]})
    assert suggest(places_, 1, equipment=equipment, provider=ROAD).loc[0, "t_equipment"] == 0.0


def test_equipment_weight_is_ignored_without_an_equipment_frame():
    places_ = frame(place(1, "Origine"), place(2, "Proche", 2), place(3, "Loin", 10))
    plain = suggest(places_, 1, weights=Weights(equipment=0.0), provider=ROAD)
    for weights in (Weights(equipment=100.0), Weights(equipment=0.1)):
        for equipment in (None, NO_EQUIPMENT):
            other = suggest(places_, 1, weights=weights, equipment=equipment, provider=ROAD)
            assert other["id"].tolist() == plain["id"].tolist()
            np.testing.assert_allclose(other["score"], plain["score"])
    assert first(plain) == 2


def test_all_weights_zero_does_not_divide_by_zero():
    ranked = suggest(frame(place(1, "O"), place(2, "A", 3), place(3, "B", 8)), 1,
                     weights=Weights(0, 0, 0, 0, 0), provider=ROAD)
    assert (ranked["score"] == 0).all()
    assert ranked["id"].tolist() == [2, 3]  # ties broken by travel time


# --- suggest: explanations ----------------------------------------------------------------

def test_why_is_french_with_minutes_estimate_strong_criterion_and_maturity():
    origin = place(1, "Origine", scores={"commons": 1.5, "shared_governance": 3.5},
                   typology="Coworking", thematics=["numérique", "mobilité"])
    partner = place(2, "La Forge", 12, scores={"commons": 3.5, "shared_governance": 1.0},
                    typology="Fablab", thematics=["numérique"], mature=True, opening_year=2012)
    ranked = suggest(frame(origin, partner), 1, provider=ROAD)
    why = ranked.loc[0, "why"]
    minutes = ranked.loc[0, "minutes"]
    assert f"à {minutes:.0f} min" in why
    assert f"≈ {ranked.loc[0, 'road_km']:.0f} km" in why
    assert "estimation" in why
    assert "La Forge est fort là où vous l'êtes moins : Communs (3,5 contre 1,5 chez vous)" in why
    assert "3.5" not in why
    assert "vous apportez à La Forge : Gouvernance (3,5 chez vous contre 1)" in why
    assert "lui apporte" not in why  # the old wording read backwards
    assert "Fablab qui complète un lieu de type Coworking" in why
    assert "thématiques communes : numérique" in why
    assert "mature" in why
    assert "ouvert en 2012" in why


def test_why_does_not_call_a_non_mature_place_mature():
    ranked = suggest(frame(place(1, "Origine"), place(2, "Petit lieu", 5)), 1, provider=ROAD)
    assert "mature" not in ranked.loc[0, "why"]
    assert "fort là où" not in ranked.loc[0, "why"]
    # nothing either way: said so, both ways
    assert "Petit lieu ne vous dépasse sur aucun critère" in ranked.loc[0, "why"]
    assert "vous ne dépassez Petit lieu sur aucun critère" in ranked.loc[0, "why"]


def test_an_unevaluated_place_claims_no_complementarity_and_shows_no_nan():
    origin = place(1, "Pas encore évalué", scores={k: float("nan") for k in CRITERIA_KEYS})
    ranked = suggest(frame(origin, place(2, "Évalué", 5, scores=3.0)), 1, provider=ROAD)
    why = ranked.loc[0, "why"]
    assert "contre nan" not in why and "(nan" not in why
    assert "fort là où" not in why
    assert "vous apportez" not in why and "aucun critère" not in why
    assert "votre lieu n'est pas encore évalué : pas de comparaison des critères" in why
    assert ranked.loc[0, "t_complementarity"] == 0


def test_an_unevaluated_partner_is_compared_on_nothing():
    partner = place(2, "Tout neuf", 5, scores={k: float("nan") for k in CRITERIA_KEYS})
    why = suggest(frame(place(1, "Origine", scores=3.0), partner), 1, provider=ROAD).loc[0, "why"]
    assert "Tout neuf n'est pas encore évalué : pas de comparaison des critères" in why
    assert "vous apportez" not in why and "aucun critère" not in why and "nan" not in why


# --- suggest: issue 12, the ranking and the wording on hand-built places --------------------

def km_for(minutes: float, provider=ROAD) -> float:
    """The distance east of the origin at which ``provider`` estimates ``minutes``."""
    return provider.straight_radius_km(minutes)


def test_km_for_gives_the_minutes_asked():
    ranked = suggest(frame(place(1, "O"), place(2, "A", km_for(20))), 1, provider=ROAD)
    assert ranked.loc[0, "minutes"] == pytest.approx(20, abs=0.01)


def test_a_mature_place_at_20_min_ranks_above_a_weak_place_at_10_min_of_the_same_typology():
    places_ = frame(place(1, "Origine", scores=2.0),
                    place(2, "Faible et proche", km_for(10), scores=0.5),
                    place(3, "Mature plus loin", km_for(20), scores=3.5, mature=True))
    assert suggest(places_, 1, provider=ROAD)["id"].tolist() == [3, 2]


def test_a_strong_origin_still_puts_a_mature_partner_close_by_first():
    # The reported case: a mature place 21 min away came 12th behind weaker, nearer places
    # (what the strong origin would bring them counted as complementarity).
    rows = [place(1, "Origine", scores=3.0, typology="Coworking"),
            place(2, "Mature à 21 min", km_for(21), scores=3.5, mature=True,
                  typology="Coworking")]
    rows += [place(10 + k, f"Faible {k}", km_for(8 + k), scores=0.5, typology="Coworking")
             for k in range(11)]  # eleven weak places between 8 and 18 minutes
    ranked = suggest(frame(*rows), 1, provider=ROAD)
    assert first(ranked) == 2
    terms = ranked.set_index("id")["t_complementarity"]
    assert terms[2] == pytest.approx(0.25)  # half a point stronger on each criterion
    assert (terms.drop(2) == 0).all()  # weaker everywhere: nothing to bring


def test_a_mature_partner_is_not_buried_behind_weaker_places_a_little_nearer():
    # Same typology, same thematics: the mature partner, up to 10 minutes farther than a
    # weaker non-mature place, ranks above it whatever the origin's level.
    for origin_score in (0.5, 1.5, 2.5, 3.5):
        for near in (2, 10, 20):
            places_ = frame(place(1, "Origine", scores=origin_score),
                            place(2, "Faible", km_for(near), scores=origin_score - 0.5),
                            place(3, "Mature", km_for(near + 10), scores=origin_score,
                                  mature=True))
            assert first(suggest(places_, 1, provider=ROAD)) == 3, (origin_score, near)


def test_a_stronger_partner_ranks_above_an_equally_near_weaker_one():
    places_ = frame(place(1, "Origine", scores=2.0),
                    place(2, "Plus faible", km_for(10), scores=0.5),
                    place(3, "Plus fort", km_for(10), scores=3.5))
    assert suggest(places_, 1, provider=ROAD)["id"].tolist() == [3, 2]


def test_the_explanation_of_a_weak_partner_does_not_claim_strengths_it_lacks():
    places_ = frame(place(1, "Origine", scores=3.0),
                    place(2, "Le Petit Atelier", 5,
                          scores={**{k: 0.5 for k in CRITERIA_KEYS}, "commons": 1.0,
                                  "innovative_response": 3.5}))
    row = suggest(places_, 1, provider=ROAD).iloc[0]
    why = row["why"]
    # it is stronger nowhere by a point: it says so, and what the place brings it
    assert "Le Petit Atelier ne vous dépasse sur aucun critère" in why
    assert "est fort là où" not in why
    brought = [c.short for c in CRITERIA if row[c.key] <= 2.0]
    assert "vous apportez à Le Petit Atelier : " + ", ".join(
        f"{c.short} (3 chez vous contre {number(row[c.key])})"
        for c in CRITERIA if row[c.key] <= 2.0) in why
    assert len(brought) == len(CRITERIA) - 1  # not innovative_response (3,5 against 3)
    assert "plus fort que vous" not in row["short_why"]
    assert row["t_complementarity"] == pytest.approx(0.5 / len(CRITERIA) / 2)


def test_the_explanation_of_a_strong_partner_names_what_it_brings_and_that_nothing_returns():
    places_ = frame(place(1, "Origine", scores=1.0),
                    place(2, "La Grange", 5, scores=3.5, mature=True, thematics=()))
    row = suggest(places_, 1, provider=ROAD).iloc[0]
    assert row["why"].startswith("à ")
    assert row["why_parts"][1] == "lieu mature, peut porter le consortium"
    assert row["why_parts"][2] == "La Grange est fort là où vous l'êtes moins : " + ", ".join(
        f"{c.short} (3,5 contre 1 chez vous)" for c in CRITERIA)
    assert row["why_parts"][3] == "vous ne dépassez La Grange sur aucun critère"
    assert row["why"] == " ; ".join(row["why_parts"])
    assert row["short_why"] == ("mature ; plus fort que vous en "
                                + ", ".join(c.short for c in CRITERIA))


def test_a_gap_under_one_point_is_not_named():
    places_ = frame(place(1, "Origine", scores=2.0), place(2, "Voisin", 5, scores=2.5))
    row = suggest(places_, 1, provider=ROAD).iloc[0]
    assert "Voisin ne vous dépasse sur aucun critère" in row["why"]
    assert row["short_why"] == "thématiques communes"
    assert row["t_complementarity"] == pytest.approx(0.25)  # scored, though not named


def test_the_short_reason_says_proche_when_nothing_else_applies():
    places_ = frame(place(1, "Origine", thematics=()), place(2, "Voisin", 5, thematics=()))
    assert suggest(places_, 1, provider=ROAD).loc[0, "short_why"] == "proche"


def test_the_default_weights_sum_to_one_without_equipment():
    w = Weights()
    assert sum(getattr(w, n) for n in partners.TERM_LABELS if n != "equipment") == (
        pytest.approx(1.0))
    assert w.maturity >= w.complementarity  # maturity is not the smallest term any more


def test_the_ranking_explanation_states_each_share_in_french():
    lines = partners.ranking_explanation()
    text = "\n".join(lines).replace(UNIT_SPACE, " ")
    assert len(lines) == len(partners.TERM_LABELS) + 1
    assert "**Proximité** (40 %) : 1 pour un lieu à la porte, 0 à la limite de 40 minutes" in text
    assert "**Complémentarité des critères** (25 %)" in text
    assert "**Maturité** (25 %)" in text
    assert "**Typologies et thématiques** (10 %) : 60 % de la note" in text
    assert "**Équipements** : pas pris en compte ici" in text
    assert "ne compte pas dans le score" in text  # what the place would bring a weaker one
    assert "à score égal, le plus proche passe devant" in text
    # the shares follow the weights and the limit, and sum to 100 % with equipment
    custom = "\n".join(partners.ranking_explanation(
        Weights(proximity=1, complementarity=1, diversity=1, maturity=1, equipment=0),
        max_minutes=25)).replace(UNIT_SPACE, " ")
    assert "(25 %)" in custom and "limite de 25 minutes" in custom
    with_equipment = "\n".join(partners.ranking_explanation(
        Weights(proximity=2, complementarity=1, diversity=0, maturity=1, equipment=1),
        with_equipment=True)).replace(UNIT_SPACE, " ")
    assert "**Proximité** (40 %)" in with_equipment
    assert "**Équipements** (20 %)" in with_equipment
    assert f"(0{UNIT_SPACE}%)" in "\n".join(partners.ranking_explanation(Weights(0, 0, 0, 0, 0)))


def test_the_partners_table_reads_in_french_and_the_details_are_complete():
    from observatory.service import proximity
    from observatory.settings import Settings

    places_ = frame(place(1, "Origine", scores=1.0),
                    place(2, "La Grange", km_for(21), scores=3.5, mature=True,
                          opening_year=2010),
                    place(3, "Jeune lieu", km_for(10), scores=0.5, opening_year=2025,
                          commune=None))
    found = proximity.rank_partners(places_, Settings(), 1, call_year=2026)
    table = found.table()
    minutes_column, road_column = found.columns()
    assert (minutes_column, road_column) == ("Trajet (min, est.)", "Route (km, est.)")
    assert table.to_dict(orient="records") == [
        {"Rang": 1, "Lieu": "La Grange", "Score": table["Score"][0],
         "En bref": "mature ; plus fort que vous en " + ", ".join(c.short for c in CRITERIA)
                    + " ; thématiques communes",
         "Commune": "Lavelanet", "Typologie": "Fablab", minutes_column: "21",
         road_column: integer(found.ranked["road_km"][0]), "Mature": "oui",
         "Peut porter en 2026": "oui"},
        {"Rang": 2, "Lieu": "Jeune lieu", "Score": table["Score"][1],
         "En bref": "thématiques communes", "Commune": "–", "Typologie": "Fablab",
         minutes_column: "10", road_column: integer(found.ranked["road_km"][1]),
         "Mature": "non", "Peut porter en 2026": "non"}]
    assert table["Score"].tolist() == [integer(v) for v in found.ranked["score"]]
    details = found.details()
    assert [d["title"] for d in details] == [
        f"1. La Grange — score {table['Score'][0]}", f"2. Jeune lieu — score {table['Score'][1]}"]
    assert details[0]["carry"] == "peut porter un projet en 2026"
    assert details[1]["carry"].startswith("ne peut pas porter un projet en 2026 : ")
    assert details[1]["parts"][1] == "Jeune lieu ne vous dépasse sur aucun critère"
    # half a point apart on each criterion: not named, either way
    assert details[1]["parts"][2] == "vous ne dépassez Jeune lieu sur aucun critère"
    assert " ; ".join(details[0]["parts"]) == found.ranked["why"][0]


# --- propose_network ------------------------------------------------------------------------

def random_network(seed: int, heads: int = 3, members: int = 7,
                   box_km: float = 45.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = heads + members
    lon0, lat0 = ORIGIN
    rows = []
    for k in range(n):
        rows.append(place(k + 1, f"P{k + 1}", mature=k < heads,
                          lon=lon0 + rng.uniform(0, box_km) / KM_PER_DEG_LON,
                          lat=lat0 + rng.uniform(0, box_km) / 111.195))
    out = frame(*rows)
    return out.sample(frac=1, random_state=seed).reset_index(drop=True)  # heads not first


def brute_force(network: pd.DataFrame, max_minutes: float, max_size: int,
                provider=ROAD) -> tuple[int, float]:
    """(most members placed, least total minutes among those): every assignment enumerated."""
    heads = network[network["mature"]]
    members = network[~network["mature"]]
    minutes = provider.matrix(members, heads).minutes  # members × heads
    seats = max_size - 1
    best = (0, 0.0)
    for choice in itertools.product(range(len(heads) + 1), repeat=len(members)):
        counts = np.bincount(choice, minlength=len(heads) + 1)
        if (counts[1:] > seats).any():
            continue
        total, ok = 0.0, True
        for m, h in enumerate(choice):
            if h:
                if minutes[m, h - 1] > max_minutes:
                    ok = False
                    break
                total += minutes[m, h - 1]
        if not ok:
            continue
        placed = len(members) - counts[0]
        if placed > best[0] or (placed == best[0] and total < best[1]):
            best = (placed, total)
    return best


def check_constraints(proposal: NetworkProposal, network: pd.DataFrame, max_minutes: float,
                      max_size: int, provider=ROAD) -> None:
    links = proposal.links
    mature = dict(zip(network["id"], network["mature"], strict=True))
    assert links["member_id"].is_unique
    assert not set(links["member_id"]) & set(links["head_id"])
    assert all(mature[h] for h in links["head_id"])
    assert not any(mature[m] for m in links["member_id"])
    assert (links.groupby("head_id").size() + 1 <= max_size).all()
    assert (links["minutes"] <= max_minutes + 1e-9).all()
    # link minutes are those of the provider, member → head
    by_id = network.set_index("id")
    travel = provider.pairwise(by_id.loc[links["member_id"]].reset_index(),
                               by_id.loc[links["head_id"]].reset_index())
    np.testing.assert_allclose(links["minutes"], travel.minutes)
    np.testing.assert_allclose(links["road_km"], travel.road_km)
    # every place is accounted for exactly once
    ids = set(network["id"])
    seen = list(links["member_id"]) + proposal.unassigned
    assert len(seen) == len(set(seen))
    assert set(seen) == {i for i in ids if not mature[i]}
    assert set(proposal.heads_alone) == {i for i in ids if mature[i]} - set(links["head_id"])
    assert proposal.total_minutes == pytest.approx(links["minutes"].sum())
    assert proposal.worst_minutes == pytest.approx(links["minutes"].max() if len(links) else 0)
    assert proposal.consortia == links["head_id"].nunique()


@pytest.mark.parametrize("seed", range(20))
def test_network_proposal_is_optimal_on_small_random_instances(seed):
    network = random_network(seed)
    proposal = propose_network(network, max_minutes=30, max_size=3, provider=ROAD)
    check_constraints(proposal, network, 30, 3)
    placed, total = brute_force(network, 30, 3)
    assert len(proposal.links) == placed
    assert proposal.total_minutes == pytest.approx(total, abs=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_network_proposal_maximises_members_before_minimising_minutes(seed):
    # Two heads with one seat each (max_size 2): tight capacity, so the cheapest greedy
    # choices would strand members that an optimal matching places.
    network = random_network(100 + seed, heads=2, members=5, box_km=30)
    proposal = propose_network(network, max_minutes=25, max_size=2, provider=ROAD)
    check_constraints(proposal, network, 25, 2)
    placed, total = brute_force(network, 25, 2)
    assert (len(proposal.links), proposal.total_minutes) == (placed, pytest.approx(total, abs=1e-6))


def test_a_chain_where_the_nearest_choice_is_not_the_best():
    # M1 is nearest to H1 but can also reach H2; M2 can only reach H1. One seat per head.
    network = frame(place(1, "H1", 0, mature=True), place(2, "H2", 30, mature=True),
                    place(3, "M1", 5), place(4, "M2", -15))
    proposal = propose_network(network, max_minutes=40, max_size=2, provider=ROAD)
    links = proposal.links
    assert dict(zip(links["member_id"], links["head_id"], strict=True)) == {3: 2, 4: 1}
    assert proposal.unassigned == []


def test_summary_matches_the_links():
    network = random_network(7, heads=3, members=10)
    proposal = propose_network(network, max_minutes=30, max_size=4, provider=ROAD)
    summary = proposal.summary()
    assert summary["members"] == len(proposal.links)
    assert summary["consortia"] == proposal.consortia
    assert summary["unassigned"] == len(proposal.unassigned)
    assert summary["total_minutes"] == round(proposal.links["minutes"].sum(), 1)
    assert summary["worst_minutes"] == round(proposal.links["minutes"].max(), 1)


def test_no_mature_place_leaves_everyone_unassigned():
    network = random_network(1, heads=0, members=6)
    proposal = propose_network(network, provider=ROAD)
    assert proposal.links.empty
    assert sorted(proposal.unassigned) == sorted(network["id"].tolist())
    assert proposal.consortia == 0 and proposal.total_minutes == 0 and proposal.worst_minutes == 0


def test_only_mature_places_leaves_every_head_alone():
    network = random_network(1, heads=4, members=0)
    proposal = propose_network(network, provider=ROAD)
    assert proposal.links.empty and proposal.unassigned == []
    assert sorted(proposal.heads_alone) == sorted(network["id"].tolist())


def test_members_out_of_reach_stay_unassigned():
    network = frame(place(1, "H", 0, mature=True), place(2, "Près", 5), place(3, "Loin", 80))
    proposal = propose_network(network, max_minutes=40, provider=ROAD)
    assert proposal.links["member_id"].tolist() == [2]
    assert proposal.unassigned == [3]


def test_max_size_below_two_is_refused():
    with pytest.raises(ValueError, match="au moins deux"):
        propose_network(random_network(1), max_size=1, provider=ROAD)


def test_network_proposal_honours_a_matrix_file():
    network = frame(place(1, "H", 0, mature=True), place(2, "M", 5))
    table = pd.DataFrame({"from_id": [2], "to_id": [1], "road_km": [80.0], "minutes": [95.0]})
    proposal = propose_network(network, provider=MatrixFile(table), max_minutes=40)
    assert proposal.links.empty and proposal.unassigned == [2]


def test_network_proposal_on_the_demo_database(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        current = catalogue.annotate(places.current(con), rules.current(con))
    finally:
        con.close()
    assert int(current["mature"].sum()) == 12
    proposal = propose_network(current, max_minutes=40, max_size=5, provider=ROAD)
    check_constraints(proposal, current, 40, 5)
    assert len(proposal.links) >= 25
    assert proposal.worst_minutes <= 40
    assert proposal.consortia <= 12


def test_scipy_is_a_declared_dependency():
    """pairs_within and propose_network import scipy: a fresh install must bring it."""
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml")
                              .read_text(encoding="utf-8"))
    names = [d.split(">")[0].split("=")[0].split("<")[0].strip().lower()
             for d in pyproject["project"]["dependencies"]]
    assert "scipy" in names


def test_network_proposal_with_a_fast_matrix_fallback_sees_every_pair_in_reach():
    network = frame(place(1, "H", 0, mature=True), place(2, "M", 70))
    empty = pd.DataFrame({"from_id": [], "to_id": [], "road_km": [], "minutes": []})
    provider = MatrixFile(empty, fallback=EstimatedRoad(circuity=1.0, speed_kmh=130))
    assert provider.pairwise(network.iloc[[1]], network.iloc[[0]]).minutes[0] < 40
    proposal = propose_network(network, provider=provider, max_minutes=40)
    assert proposal.links["member_id"].tolist() == [2]
