"""The funding measure's rules (fiche mesure 7.1): each rule rejects what it must, in French."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory.eligibility import (
    CALL_YEARS,
    MeasureRules,
    check_consortium,
    location_of,
    member_problems,
)

CALL = 2026
ELSEWHERE = {"commune": "Lavelanet", "insee": "09160", "in_perimeter": True,
             "in_excluded_zone": False}
IN_AGGLO = {"commune": "Foix", "insee": "09122", "in_perimeter": True, "in_excluded_zone": True}
OUTSIDE = {"commune": "Saint-Girons", "insee": "09261", "in_perimeter": False,
           "in_excluded_zone": False}


def member(name: str, **overrides) -> dict:
    base = {"id": abs(hash(name)) % 10_000, "name": name, "commune": "Lavelanet",
            "lon": 1.85, "lat": 42.93, "typology": "Fablab", "thematics": ["numérique"],
            "mature": True, "opening_year": 2015, "transition_oriented": True,
            "legal_status": "Association", "in_perimeter": True, "in_excluded_zone": False,
            "commons": 3.0, "innovative_response": 3.0, "collective_dynamic": 3.0,
            "territorial_anchoring": 3.0, "shared_governance": 3.0}
    base.update(overrides)
    return base


def frame(*members: dict) -> pd.DataFrame:
    return pd.DataFrame(list(members))


def valid_pair(**second) -> pd.DataFrame:
    return frame(member("La Fabrique"), member("Le Bocal", **second))


def failing(result, key: str):
    checks = {c.key: c for c in result.checks}
    assert key in checks, f"no check {key!r}"
    return checks[key]


def test_a_fully_valid_consortium_is_eligible_with_no_reasons():
    result = check_consortium(valid_pair(), CALL, ELSEWHERE)
    assert result.eligible
    assert result.reasons == []
    assert all(c.ok for c in result.checks)
    assert {c.key for c in result.checks} == {"members", "seniority", "transitions",
                                              "legal_forms", "location"}


def test_every_check_has_a_french_label():
    result = check_consortium(valid_pair(), CALL, ELSEWHERE)
    labels = " ".join(c.label for c in result.checks)
    assert "au moins 2 acteurs" in labels and "3 ans" in labels and "transitions" in labels
    assert "hors la zone exclue" in labels


def test_one_member_only_is_rejected():
    result = check_consortium(frame(member("La Fabrique")), CALL, ELSEWHERE)
    assert not result.eligible
    check = failing(result, "members")
    assert not check.ok
    assert len(check.reasons) == 1
    assert check.reasons[0] == "Le consortium compte 1 acteur : il en faut au moins 2."


def test_no_member_at_all_is_rejected():
    result = check_consortium(frame(member("x")).iloc[0:0], CALL, ELSEWHERE)
    assert not result.eligible
    assert failing(result, "members").reasons[0] == (
        "Le consortium ne compte encore aucun acteur : il en faut au moins 2.")  # no « (s) »


def test_the_minimum_number_of_members_is_a_parameter():
    result = check_consortium(valid_pair(), CALL, ELSEWHERE, MeasureRules(min_members=3))
    assert not result.eligible
    assert "au moins 3" in failing(result, "members").reasons[0]


def test_a_place_opened_in_2024_is_too_young_for_the_2026_call():
    result = check_consortium(valid_pair(opening_year=2024), CALL, ELSEWHERE)
    assert not result.eligible
    check = failing(result, "seniority")
    assert not check.ok
    assert len(check.reasons) == 1
    reason = check.reasons[0]
    assert "Le Bocal" in reason
    assert "2 ans" in reason
    assert "2024" in reason and "2026" in reason
    assert "au moins 3" in reason
    assert "La Fabrique" not in reason


def test_a_place_opened_in_2023_has_exactly_three_years_at_the_2026_call():
    result = check_consortium(valid_pair(opening_year=2023), CALL, ELSEWHERE)
    assert failing(result, "seniority").ok
    assert result.eligible


def test_a_place_opening_after_the_call_counts_zero_years_not_negative():
    reason = failing(check_consortium(valid_pair(opening_year=2027), CALL, ELSEWHERE),
                     "seniority").reasons[0]
    assert "0 an " in reason and "-1" not in reason


@pytest.mark.parametrize("unknown", [None, float("nan"), np.nan])
def test_an_unknown_opening_year_fails(unknown):
    result = check_consortium(valid_pair(opening_year=unknown), CALL, ELSEWHERE)
    assert not result.eligible
    reason = failing(result, "seniority").reasons[0]
    assert "Le Bocal" in reason and "inconnue" in reason


def test_an_unknown_opening_year_as_pandas_nullable_integer_fails():
    members = valid_pair(opening_year=None).astype({"opening_year": "Int64"})
    result = check_consortium(members, CALL, ELSEWHERE)
    assert not result.eligible
    assert "inconnue" in failing(result, "seniority").reasons[0]


@pytest.mark.parametrize("value", [False, None, float("nan")])
def test_a_place_not_transition_oriented_fails(value):
    result = check_consortium(valid_pair(transition_oriented=value), CALL, ELSEWHERE)
    assert not result.eligible
    check = failing(result, "transitions")
    assert len(check.reasons) == 1
    assert "Le Bocal" in check.reasons[0] and "transitions" in check.reasons[0]


def test_transition_flag_read_from_a_numpy_bool_column_passes():
    members = valid_pair()
    members["transition_oriented"] = np.array([True, True])
    assert failing(check_consortium(members, CALL, ELSEWHERE), "transitions").ok


def test_legal_form_entreprise_fails():
    result = check_consortium(valid_pair(legal_status="Entreprise"), CALL, ELSEWHERE)
    assert not result.eligible
    reason = failing(result, "legal_forms").reasons[0]
    assert "Le Bocal" in reason and "« Entreprise »" in reason and "n'est pas admise" in reason
    assert "Association" in reason and "SCIC" in reason


@pytest.mark.parametrize("missing", [None, "", float("nan")])
def test_missing_legal_form_fails(missing):
    result = check_consortium(valid_pair(legal_status=missing), CALL, ELSEWHERE)
    assert not result.eligible
    reason = failing(result, "legal_forms").reasons[0]
    assert "Le Bocal" in reason and "non renseignée" in reason


@pytest.mark.parametrize("form", ["Association", "SCIC", "SCOP", "Collectivité", "SCI"])
def test_admitted_legal_forms_pass(form):
    result = check_consortium(valid_pair(legal_status=form), CALL, ELSEWHERE)
    assert failing(result, "legal_forms").ok
    assert result.eligible


def test_a_location_in_the_excluded_zone_fails_naming_the_zone():
    result = check_consortium(valid_pair(), CALL, IN_AGGLO)
    assert not result.eligible
    check = failing(result, "location")
    assert len(check.reasons) == 1
    assert "la zone exclue" in check.reasons[0]
    assert "Foix" in check.reasons[0]
    assert "hors de cette zone" in check.reasons[0]


def test_the_zone_label_comes_from_the_rules():
    rules = MeasureRules(excluded_zone_label="Métropole de Toulouse")
    reason = failing(check_consortium(valid_pair(), CALL, IN_AGGLO, rules), "location").reasons[0]
    assert "Métropole de Toulouse" in reason and "Agglomération" not in reason


def test_a_member_seated_in_the_zone_can_join_a_project_located_elsewhere():
    members = valid_pair(commune="Foix", in_excluded_zone=True)
    result = check_consortium(members, CALL, location_of(members.iloc[0].to_dict()))
    assert result.eligible, result.reasons
    located_in_zone = check_consortium(members, CALL, location_of(members.iloc[1].to_dict()))
    assert not located_in_zone.eligible
    assert "la zone exclue" in located_in_zone.reasons[0]


def test_a_location_outside_the_perimeter_fails():
    result = check_consortium(valid_pair(), CALL, OUTSIDE)
    assert not result.eligible
    reason = failing(result, "location").reasons[0]
    assert "Saint-Girons" in reason and "hors du territoire" in reason


@pytest.mark.parametrize("location", [None, {}])
def test_no_location_fails(location):
    result = check_consortium(valid_pair(), CALL, location)
    assert not result.eligible
    assert "n'est pas choisi" in failing(result, "location").reasons[0]


def test_the_location_falls_back_on_the_insee_code_when_the_commune_is_unknown():
    where = {"commune": None, "insee": "09999", "in_perimeter": False, "in_excluded_zone": False}
    reason = failing(check_consortium(valid_pair(), CALL, where), "location").reasons[0]
    assert "09999" in reason


@pytest.mark.parametrize("year", [2022, 2029, 2030])
def test_a_call_year_outside_the_measure_fails(year):
    members = frame(member("La Fabrique", opening_year=2000), member("Le Bocal", opening_year=2000))
    result = check_consortium(members, year, ELSEWHERE)
    assert not result.eligible
    reason = failing(result, "call_year").reasons[0]
    assert str(year) in reason and "2023–2028" in reason


@pytest.mark.parametrize("year", CALL_YEARS)
def test_every_call_year_of_the_measure_is_accepted(year):
    members = frame(member("La Fabrique", opening_year=2000), member("Le Bocal", opening_year=2000))
    result = check_consortium(members, year, ELSEWHERE)
    assert result.eligible
    assert "call_year" not in {c.key for c in result.checks}


def test_call_years_are_2023_to_2028():
    assert CALL_YEARS == (2023, 2024, 2025, 2026, 2027, 2028)


def test_reasons_accumulate_over_every_failing_rule():
    members = frame(member("La Fabrique", legal_status="Entreprise"),
                    member("Le Bocal", opening_year=2025, transition_oriented=False))
    result = check_consortium(members, CALL, IN_AGGLO)
    failed = {c.key for c in result.checks if not c.ok}
    assert failed == {"seniority", "transitions", "legal_forms", "location"}
    assert len(result.reasons) == 4


def test_member_problems_returns_one_list_per_member_in_order():
    members = frame(member("A", legal_status="Entreprise"),
                    member("B"),
                    member("C", opening_year=2025, transition_oriented=False),
                    member("D", opening_year=None))
    problems = member_problems(members, CALL)
    assert len(problems) == 4
    assert len(problems[0]) == 1 and "« A »" in problems[0][0] and "Entreprise" in problems[0][0]
    assert problems[1] == []
    assert len(problems[2]) == 2 and all("« C »" in p for p in problems[2])
    assert any("1 an " in p for p in problems[2])
    assert any("transitions" in p for p in problems[2])
    assert len(problems[3]) == 1 and "inconnue" in problems[3][0]


def test_member_problems_ignores_the_location_and_the_size():
    one = frame(member("Seul", in_excluded_zone=True))
    assert member_problems(one, CALL) == [[]]
    assert member_problems(one.iloc[0:0], CALL) == []


def test_member_problems_works_on_a_frame_with_a_non_default_index():
    members = frame(member("A"), member("B", legal_status="SARL"))
    members.index = [17, 4]
    problems = member_problems(members, CALL)
    assert problems[0] == [] and "SARL" in problems[1][0]


def test_location_of_reads_a_place_row():
    place = member("La Fabrique", commune="Foix", insee="09122", in_excluded_zone=True)
    assert location_of(place) == {"commune": "Foix", "insee": "09122", "in_perimeter": True,
                                  "in_excluded_zone": True}
    assert location_of(None) is None


def test_location_of_turns_numpy_flags_into_booleans():
    row = pd.DataFrame([member("X", commune="Foix", insee="09122")]).astype(
        {"in_perimeter": bool, "in_excluded_zone": bool}).iloc[0].to_dict()
    loc = location_of(row)
    assert loc["in_perimeter"] is True and loc["in_excluded_zone"] is False


def test_the_excluded_zone_is_named_as_the_territory_configures_it():
    rules = MeasureRules(excluded_zone_label="Agglomération de Foix")
    result = check_consortium(valid_pair(), CALL, {"commune": "Foix", "in_perimeter": True,
                                                   "in_excluded_zone": True}, rules)
    assert "hors Agglomération de Foix" in " ".join(c.label for c in result.checks)
    assert "dans Agglomération de Foix" in " ".join(result.reasons)


def test_member_problems_says_what_the_consortium_checks_say_of_each_member_alone():
    members = frame(member("A", legal_status="Entreprise", transition_oriented=None),
                    member("B"), member("C", opening_year=2025, legal_status=""),
                    member("D", opening_year=None, transition_oriented=False))
    alone = []
    for k in range(len(members)):
        result = check_consortium(members.iloc[[k]], CALL, ELSEWHERE)
        alone.append([reason for check in result.checks
                      if check.key in ("seniority", "transitions", "legal_forms")
                      for reason in check.reasons])
    assert member_problems(members, CALL) == alone
