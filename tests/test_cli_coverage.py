"""`observatory coverage`: who lives far from a place, as JSON for scripts."""

from __future__ import annotations

import json

import pytest

from observatory import cli
from observatory.store import db, places, territory

COMMUNE_KEYS = {"insee", "name", "population", "nearest_place_id", "distance_km"}


@pytest.fixture(autouse=True)
def no_env_database(monkeypatch):
    monkeypatch.delenv("OBSERVATORY_DB", raising=False)
    monkeypatch.delenv("OBSERVATORY_TERRITORY", raising=False)


def coverage(capsys, demo_db, *extra: str) -> dict:
    code = cli.main(["coverage", "--json", "--db", str(demo_db), *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def demo_facts(demo_db):
    """The perimeter's communes and the current place ids, read straight from the store."""
    con = db.connect(demo_db, read_only=True)
    try:
        communes = territory.communes(con)
        place_ids = set(places.current(con)["id"].astype(int))
    finally:
        con.close()
    inside = communes[communes["in_perimeter"].astype(bool)]
    return {"insee": set(inside["insee"]), "population": int(inside["population"].sum()),
            "place_ids": place_ids}


def covered_population(result: dict) -> int:
    return sum(c["population"] for c in result["communes"] if c["covered"])


def test_coverage_json_has_population_totals_and_one_record_per_commune(capsys, demo_db,
                                                                         demo_facts):
    result = coverage(capsys, demo_db)
    assert {"population_total", "population_covered", "communes"} <= set(result)
    assert result["population_total"] == demo_facts["population"]
    assert 0 < result["population_covered"] <= result["population_total"]
    assert {c["insee"] for c in result["communes"]} == demo_facts["insee"]
    assert len(result["communes"]) == len(demo_facts["insee"])
    for commune in result["communes"]:
        assert COMMUNE_KEYS <= set(commune)
        assert isinstance(commune["insee"], str) and isinstance(commune["name"], str)
        assert isinstance(commune["population"], int) and commune["population"] >= 0
        assert commune["nearest_place_id"] in demo_facts["place_ids"]
        assert isinstance(commune["distance_km"], (int, float)) and commune["distance_km"] >= 0


def test_default_threshold_is_20_minutes_and_covered_means_within_it(capsys, demo_db):
    result = coverage(capsys, demo_db)
    assert result["threshold"] == {"minutes": 20.0, "km": None}
    for commune in result["communes"]:
        assert commune["covered"] == (commune["minutes"] <= 20.0)
    assert result["population_covered"] == covered_population(result)
    assert set(result["zones_blanches"]) == {c["insee"] for c in result["communes"]
                                             if not c["covered"]}


def test_ten_minutes_covers_no_more_than_the_default_twenty(capsys, demo_db):
    default = coverage(capsys, demo_db)
    ten = coverage(capsys, demo_db, "--minutes", "10")
    assert ten["threshold"]["minutes"] == 10.0
    assert ten["population_covered"] <= default["population_covered"]
    assert ten["population_covered"] < default["population_covered"]   # the demo does differ
    within_ten = {c["insee"] for c in ten["communes"] if c["covered"]}
    within_twenty = {c["insee"] for c in default["communes"] if c["covered"]}
    assert within_ten <= within_twenty
    assert ten["population_total"] == default["population_total"]


def test_km_threshold_measures_crow_fly_distance(capsys, demo_db):
    result = coverage(capsys, demo_db, "--km", "5")
    assert result["threshold"] == {"minutes": None, "km": 5.0}
    assert "5 km" in result["summary"]
    for commune in result["communes"]:
        assert commune["covered"] == (commune["distance_km"] <= 5.0)
    assert result["population_covered"] == covered_population(result)
    assert result["population_covered"] < result["population_total"]


def test_mature_covers_no_more_than_all_places(capsys, demo_db):
    every = coverage(capsys, demo_db)
    mature = coverage(capsys, demo_db, "--mature")
    assert mature["mature"] is True and every["mature"] is False
    assert mature["population_covered"] <= every["population_covered"]
    for commune in mature["communes"]:
        assert commune["covered"] == (commune["mature_minutes"] <= 20.0)
        assert commune["mature_distance_km"] >= commune["distance_km"]
    assert "lieu mature" in mature["summary"]


def test_suggest_lists_sites_adding_population(capsys, demo_db):
    plain = coverage(capsys, demo_db)
    result = coverage(capsys, demo_db, "--suggest", "3")
    assert plain["suggestions"] == []
    suggestions = result["suggestions"]
    assert 1 <= len(suggestions) <= 3
    assert [s["rank"] for s in suggestions] == list(range(1, len(suggestions) + 1))
    for s in suggestions:
        assert s["population_added"] > 0
        assert s["insee"] in {c["insee"] for c in result["communes"]}
    added = [s["population_added"] for s in suggestions]
    assert added == sorted(added, reverse=True)                  # greedy: best first
    uncovered = result["population_total"] - result["population_covered"]
    assert sum(added) <= uncovered
    assert suggestions[-1]["population_cumulative"] == sum(added)


def test_suggest_text_output_names_the_suggestions(capsys, demo_db):
    assert cli.main(["coverage", "--suggest", "2", "--db", str(demo_db)]) == 0
    out = capsys.readouterr().out
    assert "habitants" in out and "suggestion 1 :" in out


def test_minutes_and_km_together_are_refused_by_argparse(capsys, demo_db):
    with pytest.raises(SystemExit) as info:
        cli.main(["coverage", "--json", "--minutes", "10", "--km", "5", "--db", str(demo_db)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--km" in err and "--minutes" in err


def test_coverage_of_a_missing_database_exits_1_in_french(capsys, tmp_path):
    code = cli.main(["coverage", "--json", "--db", str(tmp_path / "absente.duckdb")])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "Base introuvable" in err


def test_fewer_suggestions_than_asked_say_why_in_text_and_json(capsys, demo_db):
    result = coverage(capsys, demo_db, "--suggest", "10")
    found = len(result["suggestions"])
    assert found < 10  # the demo's few uncovered communes need fewer sites
    note = result["suggestions_note"]
    assert note == (f"{found} sites suffisent : toute la population du périmètre vivrait "
                    "alors au plus à 20 min de trajet d'un lieu.")
    assert cli.main(["coverage", "--suggest", "10", "--db", str(demo_db)]) == 0
    out = capsys.readouterr().out
    assert note in out
    assert coverage(capsys, demo_db, "--suggest", "1")["suggestions_note"] is None


def test_text_output_shares_never_contradict_the_counts(capsys, demo_db):
    for minutes in ("10", "20", "30", "45"):
        result = coverage(capsys, demo_db, "--minutes", minutes)
        beyond = result["population_total"] - result["population_covered"]
        assert cli.main(["coverage", "--minutes", minutes, "--db", str(demo_db)]) == 0
        out = capsys.readouterr().out
        if beyond:
            assert "(100,0\u00a0%)" not in out
