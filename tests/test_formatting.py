"""The one French formatting module: every function pinned, and every caller on it."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from observatory import formatting as f

NNBSP = "\u202f"  # thousands
NBSP = "\u00a0"   # before a unit or « % »


# --- missing values --------------------------------------------------------------------

@pytest.mark.parametrize("value", [None, float("nan"), np.float32("nan"), np.float64("nan"),
                                   pd.NA, pd.NaT, np.datetime64("NaT")])
def test_is_missing_recognises_every_missing_scalar(value):
    assert f.is_missing(value)


@pytest.mark.parametrize("value", [0, 0.0, "", " ", "nan", False, [], [None], (),
                                   np.array([np.nan]), pd.Series([np.nan]), {}])
def test_is_missing_is_false_for_values_and_containers(value):
    assert not f.is_missing(value)


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, "", "  \t", [], (), {}, set(),
                                   np.array([])])
def test_is_blank_includes_empty_text_and_collections(value):
    assert f.is_blank(value)


@pytest.mark.parametrize("value", ["x", 0, [0], np.array([1]), False])
def test_is_blank_is_false_for_something(value):
    assert not f.is_blank(value)


@pytest.mark.parametrize("function", [f.integer, f.decimal, f.number, f.score, f.threshold,
                                      f.percent_value, f.km, f.minutes, f.plain_minutes,
                                      f.long_date, f.short_date, f.month_year])
@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, pd.NaT])
def test_missing_prints_as_a_dash_everywhere(function, value):
    assert function(value) == "–" == f.MISSING


# --- numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (0, "0"), (7, "7"), (999, "999"), (1000, f"1{NNBSP}000"), (12345, f"12{NNBSP}345"),
    (1234567, f"1{NNBSP}234{NNBSP}567"), (2.6, "3"), (2.4, "2"), (np.int64(4200), f"4{NNBSP}200"),
    (-1234, f"-1{NNBSP}234"), (-0.4, "0"), (-0.0, "0")])
def test_integer_groups_thousands_with_a_narrow_no_break_space(value, expected):
    assert f.integer(value) == expected


@pytest.mark.parametrize("value, digits, expected", [
    (3.456, 1, "3,5"), (3, 1, "3,0"), (1234.56, 1, f"1{NNBSP}234,6"), (2.5, 2, "2,50"),
    (0.04, 1, "0,0"), (-0.04, 1, "0,0"), (-0.0, 1, "0,0"), (-0.004, 2, "0,00"),
    (-1.26, 1, "-1,3"), (12.0, 0, "12")])
def test_decimal_always_shows_its_digits_and_never_prints_negative_zero(value, digits, expected):
    assert f.decimal(value, digits) == expected


@pytest.mark.parametrize("value, expected", [(3.5, "3,5"), (3.0, "3"), (0, "0"),
                                             (43.127469, "43,127469"), (1.23456789, "1,234568"),
                                             (-0.5, "-0,5")])
def test_number_is_the_shortest_writing(value, expected):
    assert f.number(value) == expected


@pytest.mark.parametrize("value, expected", [(2.94, "2,9"), (3, "3,0"), (4.0, "4,0"),
                                             (2.25, "2,2"), (0, "0,0")])
def test_score_has_one_decimal(value, expected):
    assert f.score(value) == expected


@pytest.mark.parametrize("value, expected", [(2.5, "2,5"), (3.0, "3"), (0.0, "0"),
                                             (2.25, "2,25"), (4, "4")])
def test_threshold_is_as_short_as_it_is(value, expected):
    assert f.threshold(value) == expected


# --- percentages -----------------------------------------------------------------------

@pytest.mark.parametrize("part, whole, expected", [
    (1, 4, f"25{NBSP}%"), (0, 5, f"0{NBSP}%"), (5, 5, f"100{NBSP}%"), (12, 42, f"29{NBSP}%"),
    (1233, 1234, f">{NBSP}99,5{NBSP}%"), (1, 10_000, f"<{NBSP}0,5{NBSP}%"),
    (1, 0, "–"), (None, 4, "–"), (3, None, "–")])
def test_percent_never_contradicts_the_counts(part, whole, expected):
    assert f.percent(part, whole) == expected


@pytest.mark.parametrize("whole", [3, 7, 99, 1234, 10_001, 123_457])
def test_percent_says_100_only_for_all_and_0_only_for_none(whole):
    for part in range(0, whole + 1, max(1, whole // 97)):
        text = f.percent(part, whole)
        assert (text == f"100{NBSP}%") == (part == whole), (part, whole, text)
        assert (text == f"0{NBSP}%") == (part == 0), (part, whole, text)
    assert f.percent(whole - 1, whole) != f"100{NBSP}%"
    assert f.percent(1, whole) != f"0{NBSP}%"


def test_percent_with_decimals_keeps_the_same_promise():
    assert f.percent(1, 3, digits=1) == f"33,3{NBSP}%"
    assert f.percent(99_999, 100_000, digits=1) == f">{NBSP}99,95{NBSP}%"
    assert f.percent(1, 100_000, digits=1) == f"<{NBSP}0,05{NBSP}%"


@pytest.mark.parametrize("share, expected", [(0.254, f"25{NBSP}%"), (1, f"100{NBSP}%"),
                                             (0, f"0{NBSP}%")])
def test_percent_value_of_a_share(share, expected):
    assert f.percent_value(share) == expected


# --- distances and durations -----------------------------------------------------------

@pytest.mark.parametrize("value, expected", [(12.34, f"12,3{NBSP}km"), (0, f"0,0{NBSP}km"),
                                             (1234.5, f"1{NNBSP}234,5{NBSP}km")])
def test_km(value, expected):
    assert f.km(value) == expected


@pytest.mark.parametrize("value, expected", [
    (0.32, f"320{NBSP}m"), (0.0034, f"3{NBSP}m"), (0, f"0{NBSP}m"), (0.9994, f"999{NBSP}m"),
    (0.9996, f"1,0{NBSP}km"), (1.234, f"1,2{NBSP}km"), (None, "–")])
def test_a_distance_under_a_kilometre_is_in_metres(value, expected):
    assert f.distance(value) == expected


@pytest.mark.parametrize("value, expected", [
    (53.4, f"53{NBSP}min"), (0, f"0{NBSP}min"), (59.6, f"1{NBSP}h"), (60, f"1{NBSP}h"),
    (65, f"1{NBSP}h{NBSP}05"), (75, f"1{NBSP}h{NBSP}15"), (120, f"2{NBSP}h")])
def test_minutes_become_hours_past_an_hour(value, expected):
    assert f.minutes(value) == expected


def test_plain_minutes_stay_minutes():
    assert f.plain_minutes(75) == f"75{NBSP}min"
    assert f.plain_minutes(4.6) == f"5{NBSP}min"


# --- dates -----------------------------------------------------------------------------

@pytest.mark.parametrize("value", [dt.date(2026, 12, 1), dt.datetime(2026, 12, 1, 23, 59),
                                   pd.Timestamp("2026-12-01 08:00"), "2026-12-01"])
def test_long_date_writes_the_first_of_the_month_1er(value):
    assert f.long_date(value) == "1er décembre 2026"


@pytest.mark.parametrize("day, expected", [(2, "2 février 2026"), (11, "11 février 2026"),
                                           (21, "21 février 2026")])
def test_long_date_other_days_are_plain_numbers(day, expected):
    assert f.long_date(dt.date(2026, 2, day)) == expected


@pytest.mark.parametrize("size, expected", [(1, "1 octet"), (820, "820 octets"),
                                            (65_666, "64 ko"), (550_001, "537 ko"),
                                            (1_258_291, "1,2 Mo")])
def test_file_size_reads_like_a_file_manager(size, expected):
    assert f.file_size(size) == expected


@pytest.mark.parametrize("name, expected", [
    ("Communauté de communes du Pays d'Olmes", "CC du Pays d'Olmes"),
    ("Communauté d'agglomération du Grand Cahors", "CA du Grand Cahors"),
    ("Communauté urbaine de Dunkerque", "CU de Dunkerque"),
    ("Métropole de Lyon", "Métropole de Lyon"), (None, "")])
def test_short_epci_abbreviates_the_kind_of_epci_only(name, expected):
    assert f.short_epci(name) == expected


def test_date_time_writes_the_day_in_words_and_the_time():
    assert f.date_time(dt.datetime(2026, 12, 5, 4, 48, 56)) == "5 décembre 2026 à 04:48"
    assert f.date_time(pd.Timestamp("2026-12-01 18:05")) == "1er décembre 2026 à 18:05"
    assert f.date_time(None) == f.MISSING


def test_every_month_is_named_in_french():
    assert [f.month_year(dt.date(2026, m, 15)) for m in range(1, 13)] == [
        f"{name} 2026" for name in ("janvier", "février", "mars", "avril", "mai", "juin",
                                    "juillet", "août", "septembre", "octobre", "novembre",
                                    "décembre")]
    assert len(f.MONTHS) == 12


def test_short_date():
    assert f.short_date(dt.date(2026, 12, 1)) == "01/12/2026"
    assert f.short_date(pd.Timestamp("2024-03-15 10:00")) == "15/03/2024"


# --- counts ----------------------------------------------------------------------------

@pytest.mark.parametrize("n, expected", [(0, "0 lieu"), (1, "1 lieu"), (2, "2 lieux"),
                                         (1234, f"1{NNBSP}234 lieux")])
def test_count_takes_the_french_singular_for_0_and_1(n, expected):
    assert f.count(n, "lieu", "lieux") == expected


def test_count_default_plural_adds_an_s():
    assert f.count(3, "consortium") == "3 consortiums"


@pytest.mark.parametrize("value, expected", [(1.5, True), (0, True), (float("inf"), False),
                                             (float("nan"), False), (None, False), ("3", False)])
def test_is_finite(value, expected):
    assert f.is_finite(value) is expected


# --- one module: the callers use it -----------------------------------------------------

def test_the_interface_re_exports_the_formatting_functions():
    from observatory.ui import fmt

    for name in ("integer", "decimal", "percent", "score", "threshold", "km", "minutes",
                 "long_date", "short_date", "month_year", "count", "is_missing"):
        assert getattr(fmt, name) is getattr(f, name)


def test_the_duplicate_implementations_are_gone():
    from observatory import maturity
    from observatory.exports import common
    from observatory.importing import parsing, readers

    for module, names in ((common, ("fmt_int", "fmt_decimal", "french_date", "MONTHS")),
                          (parsing, ("fr_number",)), (readers, ("_fr_int",)),
                          (maturity, ("_missing", "fmt_score"))):
        for name in names:
            assert not hasattr(module, name), f"{module.__name__}.{name}"


def test_the_rules_and_the_import_messages_print_through_formatting():
    from observatory.importing import parsing
    from observatory.maturity import MaturityRule, explain

    assert "au moins 2,5 sur 4" in MaturityRule(min_mean=2.5).describe()
    scores = dict.fromkeys(("a",), 1.0)
    assert explain(scores)[0].startswith("Évaluation incomplète")
    assert parsing.shorten("a,b" * 40, 10) == "a,ba,ba,ba… (120 caractères)"  # commas kept
    assert parsing.shorten("x" * 12_345, 5).endswith(f"(12{NNBSP}345 caractères)")
    with pytest.raises(parsing.Invalid, match="La note 4,5 est hors"):
        parsing.parse_score("4,5")
    assert math.isclose(parsing.parse_decimal(f"1{NNBSP}234,5"), 1234.5)


def test_small_counts_are_written_in_words_and_the_criteria_count_follows_the_list(monkeypatch):
    from observatory import maturity, model

    assert [f.cardinal(n) for n in (0, 1, 5, 6, 12)] == ["zéro", "un", "cinq", "six", "douze"]
    assert f.cardinal(13) == "13"
    assert model.CRITERIA_WORD == f.cardinal(len(model.CRITERIA)) == "cinq"
    monkeypatch.setattr(maturity, "CRITERIA_WORD", "six")
    assert "la moyenne de ses six critères" in maturity.MaturityRule().describe()


@pytest.mark.parametrize(("value", "expected"), [(0.3, f"<{NBSP}1"), (0.6, "1"), (0, "0"),
                                                 (12.4, "12"), (None, f.MISSING)])
def test_a_travel_under_half_a_unit_reads_less_than_one(value, expected):
    assert f.travel(value) == expected


def test_a_place_200_m_away_is_not_zero_minutes_away():
    assert f.minutes(0.24) == f"<{NBSP}1{NBSP}min"
    assert f.plain_minutes(0.24) == f"<{NBSP}1{NBSP}min"
    assert f.minutes(0) == f"0{NBSP}min"


def test_short_epci_abbreviates_the_kind_of_intercommunality_only():
    assert f.short_epci("Communauté de communes du Pays d'Olmes") == "CC du Pays d'Olmes"
    assert (f.short_epci("Communauté d'agglomération L'agglo Foix-Varilhes")
            == "CA L'agglo Foix-Varilhes")
    assert f.short_epci("Communauté urbaine de Dunkerque") == "CU de Dunkerque"
    assert f.short_epci("Métropole Toulouse Métropole") == "Métropole Toulouse Métropole"
    assert f.short_epci(None) == ""
    from observatory.exports import common
    assert common.short_epci is f.short_epci  # defined once, for pages and exports
