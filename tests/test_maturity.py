"""The maturity rule: mean threshold, per-criterion floor, reasons in French."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from observatory.formatting import threshold
from observatory.maturity import (
    DEFAULT_RULE,
    MaturityRule,
    compare_rules,
    explain,
    is_mature,
    mature_flags,
)
from observatory.model import CRITERIA_KEYS, CRITERION_BY_KEY


def scores(*values: float | None) -> dict[str, float | None]:
    """Scores in the order of the five criteria."""
    assert len(values) == len(CRITERIA_KEYS)
    return dict(zip(CRITERIA_KEYS, values, strict=True))


# --- the default rule ------------------------------------------------------------------

def test_default_rule_is_mean_three_and_floor_two():
    assert DEFAULT_RULE == MaturityRule(min_mean=3.0, min_each=2.0)


def test_place_exactly_at_both_thresholds_is_mature():
    # mean 3.0, lowest score exactly 2.0
    place = scores(2.0, 3.5, 3.5, 3.0, 3.0)
    assert is_mature(place)
    assert explain(place) == []


def test_place_with_mean_just_under_the_threshold_is_not_mature():
    place = scores(3.0, 3.0, 3.0, 3.0, 2.5)  # mean 2.9
    assert not is_mature(place)
    reasons = explain(place)
    assert len(reasons) == 1
    assert "Moyenne 2,9" in reasons[0]
    assert "seuil de 3" in reasons[0]


def test_place_with_one_criterion_under_the_floor_is_not_mature():
    place = scores(4.0, 4.0, 4.0, 4.0, 1.5)  # mean 3.5, governance under 2
    assert not is_mature(place)
    reasons = explain(place)
    assert reasons == [
        "Gouvernance et leadership partagé noté 1,5, sous le plancher de 2."
    ]


def test_each_failing_criterion_and_the_mean_give_their_own_reason():
    place = scores(1.0, 1.5, 3.0, 3.0, 3.0)  # mean 2.3, two criteria under the floor
    reasons = explain(place)
    assert len(reasons) == 3
    assert reasons[0].startswith("Moyenne 2,3")
    assert any(CRITERION_BY_KEY["commons"].label in r for r in reasons)
    assert any(CRITERION_BY_KEY["innovative_response"].label in r for r in reasons)


def test_float_sums_at_the_threshold_are_mature():
    # 3.1 + 2.9 + ... is not exactly 15.0 in binary floating point for every order
    assert is_mature(scores(3.1, 2.9, 3.0, 3.0, 3.0))
    assert is_mature(scores(2.9, 3.1, 3.0, 3.0, 3.0))
    assert is_mature(scores(2.2, 3.4, 3.1, 3.3, 3.0))  # sum 15.000000000000002 or so
    frame = pd.DataFrame([scores(3.1, 2.9, 3.0, 3.0, 3.0), scores(2.2, 3.4, 3.1, 3.3, 3.0)])
    assert mature_flags(frame).tolist() == [True, True]


def test_a_score_a_hair_under_the_floor_still_counts_as_the_floor():
    # 1.9999999999 comes from float arithmetic, not from an analyst
    assert is_mature(scores(1.9999999999, 3.5, 3.5, 3.0, 3.0000000001))


def test_real_shortfall_is_not_absorbed_by_the_tolerance():
    assert not is_mature(scores(1.99, 3.5, 3.5, 3.0, 3.01))


# --- missing scores --------------------------------------------------------------------

def test_missing_score_is_not_mature_and_says_evaluation_incomplete():
    place = scores(4.0, 4.0, None, 4.0, 4.0)
    assert not is_mature(place)
    reasons = explain(place)
    assert len(reasons) == 1
    assert reasons[0].startswith("Évaluation incomplète")
    assert CRITERION_BY_KEY["collective_dynamic"].label in reasons[0]


def test_absent_key_counts_as_missing_score():
    place = {k: 4.0 for k in CRITERIA_KEYS if k != "shared_governance"}
    assert not is_mature(place)
    assert "Gouvernance et leadership partagé" in explain(place)[0]


def test_nan_score_is_not_mature():
    place = scores(4.0, float("nan"), 4.0, 4.0, 4.0)
    assert not is_mature(place)
    assert explain(place)[0].startswith("Évaluation incomplète")
    assert CRITERION_BY_KEY["innovative_response"].label in explain(place)[0]


def test_numpy_nan_score_is_not_mature():
    place = scores(4.0, 4.0, 4.0, np.float64("nan"), 4.0)
    assert not is_mature(place)


def test_every_missing_criterion_is_named():
    reasons = explain(scores(None, None, 3.0, float("nan"), 3.0))
    for key in ("commons", "innovative_response", "territorial_anchoring"):
        assert CRITERION_BY_KEY[key].label in reasons[0]
    assert CRITERION_BY_KEY["collective_dynamic"].label not in reasons[0]


def test_scores_from_a_pandas_row_with_nan_are_not_mature():
    frame = pd.DataFrame([scores(4.0, 4.0, 4.0, 4.0, None)])
    row = frame.iloc[0]
    assert not is_mature(row)
    assert not mature_flags(frame).iloc[0]


def test_float32_nan_score_is_not_mature():
    place = scores(4.0, 4.0, 4.0, 4.0, np.float32("nan"))
    assert not is_mature(place)


def test_pandas_na_score_is_not_mature():
    frame = pd.DataFrame([scores(4.0, 4.0, 4.0, 4.0, 4.0)]).astype("Float64")
    frame.loc[0, "shared_governance"] = pd.NA
    assert not mature_flags(frame).iloc[0]
    assert not is_mature(frame.iloc[0])


# --- the rule's parameters -------------------------------------------------------------

@pytest.mark.parametrize("min_mean, min_each", [
    (-0.5, 2.0), (4.5, 2.0), (3.0, -0.1), (3.0, 4.01), (float("nan"), 2.0),
    (3.0, float("nan")), (float("inf"), 2.0),
])
def test_thresholds_outside_the_scale_are_rejected(min_mean, min_each):
    with pytest.raises(ValueError):
        MaturityRule(min_mean=min_mean, min_each=min_each)


def test_threshold_that_is_not_a_number_is_rejected_in_french():
    with pytest.raises(ValueError, match="doit être un nombre"):
        MaturityRule(min_mean="3", min_each=2.0)  # type: ignore[arg-type]


def test_out_of_range_message_is_french():
    with pytest.raises(ValueError, match="compris entre 0 et 4"):
        MaturityRule(min_mean=5.0)


@pytest.mark.parametrize("min_mean, min_each", [(0.0, 0.0), (4.0, 4.0), (0, 4), (2.5, 1.5)])
def test_thresholds_on_the_scale_bounds_are_accepted(min_mean, min_each):
    rule = MaturityRule(min_mean=min_mean, min_each=min_each)
    assert rule.as_dict() == {"min_mean": min_mean, "min_each": min_each}


def test_rule_at_zero_makes_every_complete_evaluation_mature():
    rule = MaturityRule(0.0, 0.0)
    assert is_mature(scores(0.0, 0.0, 0.0, 0.0, 0.0), rule)
    assert not is_mature(scores(0.0, 0.0, 0.0, 0.0, None), rule)


def test_rule_at_four_needs_perfect_scores():
    rule = MaturityRule(4.0, 4.0)
    assert is_mature(scores(4.0, 4.0, 4.0, 4.0, 4.0), rule)
    assert not is_mature(scores(4.0, 4.0, 4.0, 4.0, 3.5), rule)


def test_rule_is_immutable_and_comparable():
    rule = MaturityRule(2.5, 1.5)
    assert rule == MaturityRule(2.5, 1.5)
    with pytest.raises(AttributeError):
        rule.min_mean = 3.0  # type: ignore[misc]


# --- describe / French formatting ------------------------------------------------------

def test_describe_gives_the_thresholds_with_a_french_decimal_comma():
    text = MaturityRule(min_mean=2.5, min_each=1.5).describe()
    assert "au moins 2,5 sur 4" in text
    assert "en dessous de 1,5" in text
    assert "2.5" not in text and "1.5" not in text


def test_describe_of_the_default_rule_gives_whole_numbers_without_decimals():
    text = DEFAULT_RULE.describe()
    assert "au moins 3 sur 4" in text
    assert "en dessous de 2" in text
    assert "3,0" not in text


@pytest.mark.parametrize("value, expected", [(3.5, "3,5"), (3.0, "3"), (0.0, "0"),
                                             (2.25, "2,25")])
def test_thresholds_use_the_french_decimal_comma(value, expected):
    assert threshold(value) == expected  # the rule's sentences (formerly maturity.fmt_score)


# --- vectorised flags ------------------------------------------------------------------

def test_mature_flags_keep_the_index_and_ignore_other_columns():
    frame = pd.DataFrame(
        [
            {"name": "A", **scores(3.0, 3.0, 3.0, 3.0, 3.0)},
            {"name": "B", **scores(4.0, 4.0, 4.0, 4.0, 1.5)},
            {"name": "C", **scores(4.0, 4.0, None, 4.0, 4.0)},
        ],
        index=[10, 20, 30],
    )
    flags = mature_flags(frame)
    assert flags.name == "mature"
    assert flags.to_dict() == {10: True, 20: False, 30: False}


def test_mature_flags_need_every_criterion_column():
    frame = pd.DataFrame([scores(3.0, 3.0, 3.0, 3.0, 3.0)]).drop(columns="commons")
    with pytest.raises(KeyError):
        mature_flags(frame)


@pytest.mark.parametrize("rule", [
    DEFAULT_RULE, MaturityRule(2.5, 1.5), MaturityRule(3.5, 3.0), MaturityRule(0.0, 0.0),
    MaturityRule(4.0, 4.0), MaturityRule(2.0, 3.0),
])
def test_vectorised_flags_agree_with_is_mature_on_random_tables(rule):
    rng = np.random.default_rng(7)
    grid = rng.integers(0, 9, size=(500, 5)) / 2  # half points 0..4
    grid[rng.random((500, 5)) < 0.03] = np.nan  # a few missing scores
    frame = pd.DataFrame(grid, columns=list(CRITERIA_KEYS))
    flags = mature_flags(frame, rule)
    expected = [is_mature(row, rule) for row in frame.to_dict(orient="records")]
    assert flags.tolist() == expected
    # the table is not degenerate: both outcomes happen for the usual rules
    if rule in (DEFAULT_RULE, MaturityRule(2.5, 1.5)):
        assert 0 < flags.sum() < len(frame)


def test_vectorised_flags_agree_with_is_mature_on_continuous_scores():
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(rng.uniform(1.5, 4.0, size=(500, 5)), columns=list(CRITERIA_KEYS))
    flags = mature_flags(frame)
    assert flags.tolist() == [is_mature(r) for r in frame.to_dict(orient="records")]


# --- comparing two rules ---------------------------------------------------------------

@pytest.fixture
def four_places() -> pd.DataFrame:
    return pd.DataFrame([
        {"id": 1, "name": "Toujours mature", **scores(3.5, 3.5, 3.5, 3.5, 3.5)},
        {"id": 2, "name": "Moyenne 2,6", **scores(2.5, 2.5, 2.5, 3.0, 2.5)},
        {"id": 3, "name": "Un critère à 2", **scores(2.0, 4.0, 3.5, 3.5, 3.5)},
        {"id": 4, "name": "Jamais mature", **scores(1.0, 1.0, 1.0, 1.0, 1.0)},
    ])


def test_compare_rules_lists_who_becomes_and_who_stops_being_mature(four_places):
    proposed = MaturityRule(min_mean=2.5, min_each=2.5)
    changed = compare_rules(four_places, DEFAULT_RULE, proposed)
    assert dict(zip(changed["name"], changed["change"], strict=True)) == {
        "Moyenne 2,6": "devient mature",
        "Un critère à 2": "n'est plus mature",
    }
    # the original columns come back untouched
    assert set(four_places.columns) <= set(changed.columns)
    assert changed.loc[changed["id"] == 2, "commons"].item() == 2.5


def test_compare_rules_with_the_same_rule_changes_nobody(four_places):
    assert compare_rules(four_places, DEFAULT_RULE, MaturityRule(3.0, 2.0)).empty


def test_compare_rules_does_not_modify_its_input(four_places):
    before = four_places.copy()
    compare_rules(four_places, DEFAULT_RULE, MaturityRule(0.0, 0.0))
    pd.testing.assert_frame_equal(four_places, before)


def test_compare_rules_lowering_everything_only_adds_places(four_places):
    changed = compare_rules(four_places, DEFAULT_RULE, MaturityRule(0.0, 0.0))
    assert set(changed["change"]) == {"devient mature"}
    assert sorted(changed["id"]) == [2, 4]


def test_nan_mean_is_never_mature_even_with_zero_thresholds():
    frame = pd.DataFrame([scores(4.0, 4.0, 4.0, 4.0, math.nan)])
    assert not mature_flags(frame, MaturityRule(0.0, 0.0)).iloc[0]
