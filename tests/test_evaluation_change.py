"""What a new evaluation changes for a place, shown before it is saved (issue 12).

A new evaluation used to default every score to 2: one click demoted a place from 2,9 to 2,0
without a word. ``editing.evaluation_change`` compares the previous scores with the new ones
under the rule in force; the form shows it and asks for confirmation when maturity changes.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from observatory import editing
from observatory.maturity import DEFAULT_RULE, MaturityRule
from observatory.model import CRITERIA, CRITERIA_KEYS


def scores(*values: float | None) -> dict[str, float | None]:
    """Scores in the order of the criteria."""
    return dict(zip(CRITERIA_KEYS, values, strict=True))


MATURE = scores(3.5, 3.0, 3.0, 3.0, 3.0)  # mean 3,1
ALMOST = scores(3.0, 3.0, 3.0, 3.0, 2.5)  # mean 2,9, not mature
ALL_TWO = scores(*[2.0] * len(CRITERIA))  # what the old form saved by default


def test_each_criterion_says_old_new_and_delta():
    change = editing.evaluation_change(ALMOST, ALL_TWO, DEFAULT_RULE)
    assert [c.key for c in change.criteria] == list(CRITERIA_KEYS)
    assert [c.label for c in change.criteria] == [c.label for c in CRITERIA]
    first = change.criteria[0]
    assert (first.old, first.new, first.delta) == (3.0, 2.0, -1.0)
    assert change.criteria[-1].delta == -0.5
    assert change.old_mean == pytest.approx(2.9)
    assert change.new_mean == pytest.approx(2.0)
    assert change.changed


def test_an_unchanged_evaluation_has_zero_deltas_and_no_maturity_change():
    change = editing.evaluation_change(MATURE, dict(MATURE), DEFAULT_RULE)
    assert all(c.delta == 0 for c in change.criteria)
    assert not change.changed
    assert change.old_mature and change.new_mature
    assert not change.maturity_changed
    assert change.maturity_warning("Le Café") is None


def test_a_mature_place_demoted_is_a_maturity_change_that_says_why():
    change = editing.evaluation_change(MATURE, ALMOST, DEFAULT_RULE)
    assert change.old_mature and not change.new_mature
    assert change.maturity_changed and change.stops_being_mature
    assert not change.becomes_mature
    warning = change.maturity_warning("Le Café")
    assert "Le Café ne sera plus mature" in warning
    assert "2,9" in warning and "3" in warning  # the mean and the threshold, in French
    assert "n'est plus mature" not in change.confirmation_label()
    assert change.confirmation_label() == "Je confirme : ce lieu ne sera plus mature."


def test_a_place_becoming_mature_is_a_maturity_change_too():
    change = editing.evaluation_change(ALMOST, MATURE, DEFAULT_RULE)
    assert change.becomes_mature and change.maturity_changed
    assert "Le Café deviendra mature" in change.maturity_warning("Le Café")
    assert change.confirmation_label() == "Je confirme : ce lieu deviendra mature."


def test_the_rule_in_force_decides_not_the_default_one():
    lenient = MaturityRule(min_mean=2.5, min_each=2.0)
    change = editing.evaluation_change(MATURE, ALMOST, lenient)
    assert change.old_mature and change.new_mature
    assert not change.maturity_changed


def test_a_floor_under_the_rule_makes_a_high_mean_not_mature():
    low_floor = scores(4.0, 4.0, 4.0, 4.0, 1.5)  # mean 3,5 but one criterion under 2
    change = editing.evaluation_change(MATURE, low_floor, DEFAULT_RULE)
    assert change.stops_being_mature
    assert "sous le plancher" in change.maturity_warning("X")


def test_a_first_evaluation_has_no_previous_scores():
    change = editing.evaluation_change(None, MATURE, DEFAULT_RULE)
    assert change.first
    assert all(c.old is None and c.delta is None for c in change.criteria)
    assert change.old_mean is None
    assert change.old_mature is False  # a place never evaluated is not mature
    assert change.becomes_mature  # a first evaluation making it mature is asked too


def test_an_incomplete_new_evaluation_lists_the_criteria_left_unscored():
    new = scores(3.0, None, 3.0, None, 3.0)
    change = editing.evaluation_change(None, new, DEFAULT_RULE)
    assert not change.complete
    assert change.unscored == (CRITERIA[1].label, CRITERIA[3].label)
    assert change.new_mean == pytest.approx(3.0)  # the mean of what is scored
    assert not change.new_mature
    assert not change.maturity_changed  # nothing to confirm until every criterion is scored
    empty = editing.evaluation_change(None, dict.fromkeys(CRITERIA_KEYS), DEFAULT_RULE)
    assert empty.new_mean is None and len(empty.unscored) == len(CRITERIA)


def test_missing_previous_scores_read_as_missing_whatever_their_kind():
    previous = scores(3.0, float("nan"), pd.NA, None, 3.0)
    change = editing.evaluation_change(previous, MATURE, DEFAULT_RULE)
    assert [c.old for c in change.criteria] == [3.0, None, None, None, 3.0]
    assert change.old_mean == pytest.approx(3.0)
    assert not change.first


def test_rows_are_french_text_with_a_mean_row():
    rows = editing.evaluation_change(ALMOST, ALL_TWO, DEFAULT_RULE).rows()
    assert len(rows) == len(CRITERIA) + 1
    assert rows[0] == {"Critère": CRITERIA[0].label, "Dernière évaluation": "3,0",
                       "Nouvelle évaluation": "2,0", "Écart": "-1,0"}
    assert rows[-1] == {"Critère": "Moyenne", "Dernière évaluation": "2,9",
                        "Nouvelle évaluation": "2,0", "Écart": "-0,9"}
    up = editing.evaluation_change(ALL_TWO, ALMOST, DEFAULT_RULE).rows()
    assert up[0]["Écart"] == "+1,0"
    same = editing.evaluation_change(MATURE, MATURE, DEFAULT_RULE).rows()
    assert {r["Écart"] for r in same} == {"="}
    first = editing.evaluation_change(None, scores(3.0, None, 3, 3, 3), DEFAULT_RULE).rows()
    assert first[0]["Dernière évaluation"] == "–" and first[0]["Écart"] == "–"
    assert first[1]["Nouvelle évaluation"] == "–"


def test_a_mean_near_the_threshold_is_never_rounded_onto_it():
    # With a sixth criterion a mean can be 2,96: « 3,0 » would read as mature.
    assert editing.mean_text(2.9583) == "2,96"
    assert editing.mean_text(2.9) == "2,9"
    assert editing.mean_text(3.0) == "3,0"
    assert editing.mean_text(None) == "–"


def test_latest_scores_reads_the_last_evaluation_of_a_history():
    history = pd.DataFrame([
        {"id": 1, "evaluated_on": pd.Timestamp("2021-07-26"), **MATURE},
        {"id": 2, "evaluated_on": pd.Timestamp("2024-03-01"), **ALMOST},
    ])
    latest = editing.latest_evaluation(history)
    assert latest.scores == ALMOST
    assert latest.evaluated_on == dt.date(2024, 3, 1)
    assert editing.latest_evaluation(history.iloc[0:0]) is None


def test_an_evaluation_dated_before_the_latest_does_not_replace_it():
    history = pd.DataFrame([{"id": 1, "evaluated_on": pd.Timestamp("2024-03-01"), **MATURE}])
    latest = editing.latest_evaluation(history)
    assert latest.replaced_by(dt.date(2024, 3, 1))  # same day: the new one comes last
    assert latest.replaced_by(dt.date(2025, 1, 1))
    assert not latest.replaced_by(dt.date(2023, 12, 31))


# --- the audit trail of a place, as the Lieux page lists it (issue 12: no raw values) ---------

def test_an_audit_change_reads_french_labels_and_values():
    text = editing.audit_change({"archived": False}, {"archived": True})
    assert text == "Archivé : « non » → « oui »"
    text = editing.audit_change({"name": "Le Café", "opening_year": None, "lat": 42.96531},
                                {"name": "Le Café des Possibles", "opening_year": 2012,
                                 "lat": 42.9653})
    assert "Nom du lieu : « Le Café » → « Le Café des Possibles »" in text
    assert "Année d'ouverture : « – » → « 2012 »" in text  # a year, not « 2 012 »
    assert "Latitude : « 42,96531 » → « 42,9653 »" in text
    assert "None" not in text and "False" not in text


def test_an_audit_change_hides_the_contact_unless_asked_and_lists_thematics():
    old = {"contact": "marie@example.org", "thematics": ["réemploi", "textile"]}
    new = {"contact": "", "thematics": []}
    hidden = editing.audit_change(old, new)
    assert "marie" not in hidden and "Contact" not in hidden
    assert "Thématiques : « réemploi, textile » → « – »" in hidden
    shown = editing.audit_change(old, new, show_contact=True)
    assert "Contact : « marie@example.org » → « – »" in shown


def test_an_audit_date_reads_french():
    assert editing.audit_date(pd.Timestamp("2025-01-21 14:05:09")) == "21 janvier 2025 à 14 h 05"
    assert editing.audit_date(None) == "–"
