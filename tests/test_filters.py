"""The shared filters: applied to the places, mirrored in the URL, URL values distrusted."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from observatory.filters import PlaceFilters, apply, describe, fold, from_query, to_query
from observatory.model import CRITERIA, CRITERIA_KEYS

OLMES = "240900464"
MIREPOIX = "200044469"
FOIX = "200067791"
KNOWN_EPCI = (OLMES, MIREPOIX, FOIX)
KNOWN_TYPOLOGIES = ("Fablab", "Coworking", "Ressourcerie", "Café/bar associatif")


def place(id_, name, typology, epci, mature, *values):
    return {"id": id_, "name": name, "typology": typology, "epci_siren": epci,
            "mature": mature, **dict(zip(CRITERIA_KEYS, values, strict=True))}


@pytest.fixture
def places() -> pd.DataFrame:
    return pd.DataFrame([
        place(1, "L'Écluse", "Fablab", OLMES, True, 3.5, 3.0, 3.5, 3.0, 3.0),
        place(2, "Le Bocal à Idées", "Coworking", MIREPOIX, False, 2.0, 2.5, 3.0, 2.0, 1.5),
        place(3, "La Recyclerie du Val", "Ressourcerie", FOIX, False, 1.0, None, 2.0, 2.5, 2.0),
        place(4, "ÉCLUSE numérique", "Coworking", OLMES, True, 4.0, 3.5, 3.0, 3.0, 3.0),
        place(5, "Café de la Source", "Café/bar associatif", MIREPOIX, False,
              2.5, 2.5, 2.5, 2.5, 2.5),
    ])


def ids(frame: pd.DataFrame) -> list[int]:
    return sorted(frame["id"].tolist())


def as_url(params: dict[str, str | list[str]]) -> dict[str, list[str]]:
    """What a browser gives back: every key mapped to its list of values."""
    return {k: v if isinstance(v, list) else [v] for k, v in params.items()}


# --- apply -----------------------------------------------------------------------------

def test_empty_filters_keep_every_place(places):
    assert PlaceFilters().is_empty()
    assert ids(apply(places, PlaceFilters())) == [1, 2, 3, 4, 5]


def test_minimum_score_keeps_places_at_or_above_it(places):
    kept = apply(places, PlaceFilters(min_scores={"commons": 2.5}))
    assert ids(kept) == [1, 4, 5]


def test_place_without_the_score_fails_a_minimum_on_it(places):
    kept = apply(places, PlaceFilters(min_scores={"innovative_response": 0.5}))
    assert 3 not in ids(kept)
    assert ids(kept) == [1, 2, 4, 5]


def test_minimum_of_zero_is_no_filter_even_for_unscored_places(places):
    kept = apply(places, PlaceFilters(min_scores={"innovative_response": 0.0}))
    assert ids(kept) == [1, 2, 3, 4, 5]


def test_several_minimum_scores_must_all_hold(places):
    kept = apply(places, PlaceFilters(min_scores={"commons": 2.5, "shared_governance": 3.0}))
    assert ids(kept) == [1, 4]


def test_typology_filter_keeps_the_listed_typologies(places):
    assert ids(apply(places, PlaceFilters(typologies=("Coworking",)))) == [2, 4]
    assert ids(apply(places, PlaceFilters(typologies=("Coworking", "Fablab")))) == [1, 2, 4]


def test_epci_filter_keeps_places_of_the_listed_epci(places):
    assert ids(apply(places, PlaceFilters(epci=(OLMES,)))) == [1, 4]
    assert ids(apply(places, PlaceFilters(epci=(OLMES, FOIX)))) == [1, 3, 4]


def test_mature_only_keeps_mature_places(places):
    assert ids(apply(places, PlaceFilters(mature_only=True))) == [1, 4]


def test_search_ignores_accents_and_case(places):
    assert ids(apply(places, PlaceFilters(search="ecluse"))) == [1, 4]
    assert ids(apply(places, PlaceFilters(search="ÉCLUSE"))) == [1, 4]
    assert ids(apply(places, PlaceFilters(search="idees"))) == [2]
    assert ids(apply(places, PlaceFilters(search="bocal a"))) == [2]


def test_search_matches_a_part_of_the_name(places):
    assert ids(apply(places, PlaceFilters(search="cycler"))) == [3]


def test_search_of_blanks_is_no_filter(places):
    assert ids(apply(places, PlaceFilters(search="   "))) == [1, 2, 3, 4, 5]


def test_search_trims_surrounding_blanks(places):
    assert ids(apply(places, PlaceFilters(search="  source "))) == [5]


def test_search_with_regex_characters_is_literal(places):
    assert apply(places, PlaceFilters(search=".*")).empty
    assert apply(places, PlaceFilters(search="(")).empty


def test_filters_combine_with_and(places):
    filters = PlaceFilters(typologies=("Coworking",), epci=(OLMES,), search="ecluse",
                           mature_only=True, min_scores={"commons": 3.5})
    assert ids(apply(places, filters)) == [4]


def test_filters_that_match_nothing_give_an_empty_frame_with_the_same_columns(places):
    kept = apply(places, PlaceFilters(epci=("000000000",)))
    assert kept.empty
    assert list(kept.columns) == list(places.columns)


def test_apply_on_no_places_gives_no_places():
    empty = pd.DataFrame(columns=["id", "name", "typology", "epci_siren", "mature",
                                  *CRITERIA_KEYS])
    assert apply(empty, PlaceFilters(search="x", mature_only=True,
                                     min_scores={"commons": 2.0})).empty


def test_apply_does_not_modify_the_places(places):
    before = places.copy()
    apply(places, PlaceFilters(search="ecluse", min_scores={"commons": 3.0}))
    pd.testing.assert_frame_equal(places, before)


def test_fold_removes_accents_and_case():
    assert fold("Écluse") == "ecluse"
    assert fold("Ariège") == "ariege"
    assert fold("") == ""
    assert fold(None) == ""  # type: ignore[arg-type]


# --- the URL ---------------------------------------------------------------------------

def test_default_filters_give_an_empty_query():
    assert to_query(PlaceFilters()) == {}


def test_to_query_writes_only_non_default_filters():
    params = to_query(PlaceFilters(min_scores={"commons": 2.5, "shared_governance": 0.0},
                                   mature_only=True))
    assert params == {"min_commons": "2.5", "matures": "1"}


def test_query_round_trip_gives_back_the_same_filters():
    filters = PlaceFilters(
        min_scores={"commons": 2.5, "collective_dynamic": 3.0, "shared_governance": 4.0},
        typologies=("Coworking", "Café/bar associatif"),
        epci=(OLMES, MIREPOIX),
        mature_only=True,
        search="L'Écluse",
    )
    back = from_query(as_url(to_query(filters)), KNOWN_TYPOLOGIES, KNOWN_EPCI)
    assert back == filters


def test_query_round_trip_of_default_filters():
    assert from_query(as_url(to_query(PlaceFilters()))) == PlaceFilters()


def test_french_decimal_comma_is_read():
    assert from_query({"min_commons": ["2,5"]}).min_scores == {"commons": 2.5}


def test_scores_are_snapped_to_half_points():
    assert from_query({"min_commons": ["2.4"]}).min_scores == {"commons": 2.5}
    assert from_query({"min_commons": ["3.9"]}).min_scores == {"commons": 4.0}


@pytest.mark.parametrize("raw", ["abc", "", "2.5.1", "deux", "0x10", "nan", "NaN", "inf",
                                 "-inf", "1e400", "-1", "0", "4.5", "5", "1e3"])
def test_malformed_or_out_of_range_scores_are_dropped(raw):
    filters = from_query({"min_commons": [raw]})
    assert "commons" not in filters.min_scores


def test_scores_kept_from_the_url_are_numbers_on_the_scale():
    params = {f"min_{k}": [v]
              for k, v in zip(CRITERIA_KEYS, ["1", "nan", "4", "9", "2,5"], strict=True)}
    scores = from_query(params).min_scores
    assert scores == {"commons": 1.0, "collective_dynamic": 4.0, "shared_governance": 2.5}
    assert all(not math.isnan(v) and 0 < v <= 4 for v in scores.values())


def test_unknown_score_parameter_is_ignored():
    assert from_query({"min_bogus": ["3"], "min_": ["3"]}).min_scores == {}


def test_unknown_epci_and_typology_are_dropped():
    filters = from_query(
        {"epci": [OLMES, "999999999", "'; DROP TABLE places; --"],
         "typologie": ["Fablab", "Casino", "<script>alert(1)</script>"]},
        KNOWN_TYPOLOGIES, KNOWN_EPCI,
    )
    assert filters.epci == (OLMES,)
    assert filters.typologies == ("Fablab",)


def test_very_long_search_is_capped():
    filters = from_query({"q": ["é" * 100_000]})
    assert filters.search == "é" * 100


def test_only_the_first_value_of_a_single_valued_parameter_is_used():
    filters = from_query({"q": ["first", "second"], "min_commons": ["2", "4"]})
    assert filters.search == "first"
    assert filters.min_scores == {"commons": 2.0}


@pytest.mark.parametrize("raw, expected", [("1", True), ("true", True), ("oui", True),
                                           ("0", False), ("non", False), ("", False),
                                           ("yes please", False)])
def test_matures_flag_from_the_url(raw, expected):
    assert from_query({"matures": [raw]}).mature_only is expected


def test_missing_parameters_give_default_filters():
    assert from_query({}) == PlaceFilters()
    assert from_query({"q": [], "epci": []}) == PlaceFilters()


# --- describe: the filters in force, in French (the cover and headers of a filtered PDF) ---

def test_no_filter_is_described_as_nothing():
    assert describe(PlaceFilters(), {OLMES: "CC du Pays d'Olmes"}) == []


def test_every_filter_is_named_in_french_in_a_fixed_order():
    chosen = PlaceFilters(min_scores={CRITERIA_KEYS[1]: 2.5, CRITERIA_KEYS[0]: 3.0},
                          typologies=("Fablab", "Ressourcerie"), epci=(OLMES, MIREPOIX),
                          mature_only=True, search="  atelier ")
    names = {OLMES: "CC du Pays d'Olmes", MIREPOIX: "CC du Pays de Mirepoix"}
    assert describe(chosen, names) == [
        "EPCI CC du Pays d'Olmes, CC du Pays de Mirepoix",
        "typologies Fablab, Ressourcerie",
        "lieux matures seulement",
        f"{CRITERIA[0].label} ≥ 3",
        f"{CRITERIA[1].label} ≥ 2,5",
        "recherche « atelier »",
    ]


def test_the_example_of_the_issue_reads_as_written():
    chosen = PlaceFilters(epci=(OLMES,), mature_only=True, search="atelier")
    assert " ; ".join(describe(chosen, {OLMES: "CC du Pays d'Olmes"})) == (
        "EPCI CC du Pays d'Olmes ; lieux matures seulement ; recherche « atelier »")


def test_an_unknown_epci_code_is_printed_as_is_and_one_typology_is_singular():
    assert describe(PlaceFilters(epci=("123456789",), typologies=("Fablab",))) == [
        "EPCI 123456789", "typologie Fablab"]


def test_a_minimum_at_the_scale_floor_and_a_blank_search_filter_nothing():
    assert describe(PlaceFilters(min_scores={CRITERIA_KEYS[0]: 0.0}, search="   ")) == []
