"""The demonstration set: 42 fictional places at real coordinates, 12 of them mature."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pandas as pd
import pytest
import shapely

from observatory import bootstrap, catalogue, demo, demo_cooperation
from observatory.maturity import DEFAULT_RULE, MaturityRule, is_mature
from observatory.model import CRITERIA_KEYS, LEGAL_STATUSES, TYPOLOGIES
from observatory.store import db, equipment, evaluations, places, rules, territory

COUSERANS = "200067940"


@pytest.fixture(scope="module")
def loaded(demo_db):
    """(current places with maturity, communes, evaluation history, rule in force)."""
    con = db.connect(demo_db, read_only=True)
    try:
        rule = rules.current(con)
        current = catalogue.annotate(places.current(con), rule)
        communes = territory.communes(con)
        history = evaluations.history(con)
    finally:
        con.close()
    return current, communes, history, rule


@pytest.fixture(scope="module")
def current(loaded) -> pd.DataFrame:
    return loaded[0]


@pytest.fixture(scope="module")
def communes(loaded):
    return loaded[1]


@pytest.fixture(scope="module")
def history(loaded) -> pd.DataFrame:
    return loaded[2]


def test_demo_has_42_places(current):
    assert len(current) == demo.PLACE_COUNT == 42
    assert current["name"].is_unique


def test_twelve_places_are_mature_under_the_default_rule(loaded):
    current, _, _, rule = loaded
    assert rule == DEFAULT_RULE
    assert int(current["mature"].sum()) == demo.MATURE_COUNT == 12


def test_lowering_the_mean_threshold_makes_more_places_mature(current):
    lower = catalogue.annotate(current, MaturityRule(min_mean=2.5, min_each=2.0))
    assert lower["mature"].sum() > current["mature"].sum()
    # and nobody mature under the default rule stops being mature
    assert (lower["mature"] | ~current["mature"]).all()


def test_raising_the_floor_makes_fewer_places_mature(current):
    stricter = catalogue.annotate(current, MaturityRule(min_mean=3.0, min_each=3.0))
    assert stricter["mature"].sum() < current["mature"].sum()


def test_some_places_miss_maturity_by_one_weak_criterion(current):
    # the generator plants near misses so that changing the rule shows something
    near = current[(~current["mature"]) & (current["mean_score"] >= 3.0)]
    assert len(near) >= 1


def test_every_place_lies_inside_its_commune(current, communes):
    geometry = dict(zip(communes["insee"], communes.geometry, strict=True))
    outside = [
        (row.name, row.insee) for row in current.itertuples()
        if not geometry[row.insee].covers(shapely.Point(row.lon, row.lat))
    ]
    assert outside == []


def test_every_place_is_in_the_perimeter_not_in_couserans(current, communes):
    assert current["in_perimeter"].all()
    assert not (current["epci_siren"] == COUSERANS).any()
    perimeter_insee = set(communes.loc[communes["in_perimeter"], "insee"])
    assert set(current["insee"]) <= perimeter_insee


def test_every_epci_of_the_perimeter_hosts_places(current, communes):
    perimeter_epci = set(communes.loc[communes["in_perimeter"], "epci_siren"])
    assert len(perimeter_epci) == 7
    per_epci = current.groupby("epci_siren").size()
    assert set(per_epci.index) == perimeter_epci
    assert (per_epci >= 1).all()
    assert (per_epci >= demo.MIN_PER_EPCI).all()


def test_every_place_has_at_least_two_evaluations(current, history):
    assert (current["evaluation_count"] >= 2).all()
    assert history.groupby("place_id").size().min() >= 2
    assert set(history["place_id"]) == set(current["id"])


def test_evaluations_of_a_place_have_distinct_increasing_dates(history):
    for _, group in history.groupby("place_id"):
        dates = group["evaluated_on"]
        assert dates.is_monotonic_increasing and dates.is_unique


def test_evaluations_do_not_predate_the_opening(current, history):
    opened = dict(zip(current["id"], current["opening_year"], strict=True))
    years = pd.to_datetime(history["evaluated_on"]).dt.year
    assert (years >= history["place_id"].map(opened)).all()


def test_current_scores_are_those_of_the_latest_evaluation(current, history):
    latest = history.sort_values(["place_id", "evaluated_on"]).groupby("place_id").tail(1)
    latest = latest.set_index("place_id")[list(CRITERIA_KEYS)]
    mine = current.set_index("id")[list(CRITERIA_KEYS)]
    pd.testing.assert_frame_equal(mine.sort_index(), latest.sort_index(), check_names=False,
                                  check_index_type=False)


def test_scores_are_half_points_on_the_scale(history):
    values = history[list(CRITERIA_KEYS)].to_numpy()
    assert ((values >= 0) & (values <= 4)).all()
    assert ((values * 2) % 1 == 0).all()


def test_opening_years_are_between_1995_and_2025(current):
    assert current["opening_year"].between(1995, 2025).all()


def test_places_use_the_closed_vocabularies(current):
    assert set(current["typology"]) <= set(TYPOLOGIES)
    assert set(current["legal_status"]) <= set(LEGAL_STATUSES)


def test_every_place_is_flagged_as_demonstration(current):
    assert current["is_demo"].all()
    records = catalogue.to_records(current)
    assert all(r["is_demo"] for r in records)


def test_demonstration_contacts_use_a_reserved_looking_domain(current):
    assert current["website"].str.endswith(".exemple.org").all()
    assert current["contact"].str.endswith(".exemple.org").all()


def test_generation_is_deterministic(communes):
    first = demo.generate(communes)
    second = demo.generate(communes)
    assert first == second


def test_another_seed_gives_another_set(communes):
    default_places, _ = demo.generate(communes)
    other_places, _ = demo.generate(communes, seed=demo.SEED + 1)
    assert [p["insee"] for p in default_places] != [p["insee"] for p in other_places]


def test_generated_latest_scores_honour_the_requested_rule(communes):
    rule = MaturityRule(min_mean=3.5, min_each=2.5)
    generated, evals = demo.generate(communes, rule=rule)
    latest: dict[int, dict] = {}
    for e in evals:  # evaluations come oldest first for each place
        latest[e["place_index"]] = e
    mature = sum(is_mature(e, rule) for e in latest.values())
    assert len(generated) == 42
    assert mature == demo.MATURE_COUNT


# --- loading the demonstration set into a database that is not empty --------------------------

@pytest.fixture(scope="module")
def territory_only(tmp_path_factory, territory_config):
    path = tmp_path_factory.mktemp("territory_only") / "observatory.duckdb"
    bootstrap.init_database(path, territory_config, with_demo=False)
    return path


@pytest.fixture
def with_real_call(territory_only, tmp_path):
    """The territory and one real call (2026, 123 456 €), nothing else."""
    path = tmp_path / "observatory.duckdb"
    shutil.copy(territory_only, path)
    with db.session(path) as con, db.transaction(con):
        equipment.save_call(con, 2026, 123456.0, dt.date(2026, 3, 1), dt.date(2026, 5, 31),
                            "Appel réel du PETR", actor="claire")
    return path


def call_2026(con) -> tuple:
    return con.execute("SELECT budget, opens_on, closes_on, notes FROM calls WHERE year = 2026"
                       ).fetchone()


def test_demo_data_is_refused_in_a_database_holding_data_of_its_own(with_real_call):
    with db.session(with_real_call) as con:
        with pytest.raises(bootstrap.NotEmpty,
                           match=r"\(1 appel à projets\).*Rien n'a été modifié"):
            bootstrap.add_demo(con, "claire")
        assert call_2026(con) == (123456.0, dt.date(2026, 3, 1), dt.date(2026, 5, 31),
                                  "Appel réel du PETR")
        assert con.execute("SELECT count(*) FROM places").fetchone()[0] == 0


def test_demo_data_added_on_purpose_never_touches_an_existing_call(with_real_call):
    with db.session(with_real_call) as con:
        assert bootstrap.add_demo(con, "claire", into_existing=True) == 42
        assert call_2026(con) == (123456.0, dt.date(2026, 3, 1), dt.date(2026, 5, 31),
                                  "Appel réel du PETR")
        years = [r[0] for r in con.execute("SELECT year FROM calls ORDER BY year").fetchall()]
        assert years == list(range(2023, 2029))  # the missing years only were added
        assert con.execute("SELECT count(*) FROM applications WHERE call_year = 2026"
                           ).fetchone()[0] == 0  # no demonstration application on a real call
        assert con.execute("SELECT count(*) FROM audit_log WHERE entity = 'call' AND "
                           "entity_id = 2026 AND action = 'update'").fetchone()[0] == 0


def test_loading_the_demo_is_audited_with_the_name_of_who_asked(territory_only, tmp_path):
    path = tmp_path / "observatory.duckdb"
    shutil.copy(territory_only, path)
    with db.session(path) as con:
        assert bootstrap.add_demo(con, "claire") == 42
        assert bootstrap.add_demo(con, "claire") == 0  # already there: nothing, no new entry
        rows = con.execute("SELECT actor, action, new_values FROM audit_log "
                           "WHERE entity = 'demo'").fetchall()
    assert len(rows) == 1
    actor, action, new = rows[0]
    assert (actor, action) == ("claire", "import")
    assert json.loads(new)["places"] == 42 and json.loads(new)["calls_kept"] == []


def test_demo_cooperation_leaves_out_kept_calls_and_their_applications(loaded):
    current, *_ = loaded
    plan = demo_cooperation.generate(current, keep_calls=[2024, 2026])
    assert [c["year"] for c in plan.calls] == [2023, 2025, 2027, 2028]
    assert {record["call_year"] for _, record in plan.applications} <= {2023, 2025}
    assert demo_cooperation.generate(current).calls[3]["year"] == 2026  # unchanged by default


def test_every_demo_consortium_is_located_outside_the_excluded_zone(loaded):
    """The measure funds projects outside the Foix agglomeration: so must the demonstration.

    Before: « Réseau « Le Fil d'Ariane Lab » », funded in 2023, had all its members (so its
    project) in the agglomeration, and the Appels page charted its grant there.
    """
    current, *_ = loaded
    plan = demo_cooperation.generate(current)
    zone = dict(zip(current["id"], current["in_excluded_zone"], strict=True))
    assert len(plan.consortia) == len(demo_cooperation.PLAN)
    for consortium in plan.consortia:
        assert consortium.location_place_id in consortium.member_ids
        assert not zone[consortium.location_place_id], consortium.name


def test_data_already_held_is_counted_in_written_out_french():
    assert bootstrap.existing_data_text({"places": 3, "consortia": 1}) == "3 lieux, 1 consortium"
    assert bootstrap.existing_data_text({"calls": 2}) == "2 appels à projets"
