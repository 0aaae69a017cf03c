"""The DuckDB store: idempotent init, numbered migrations, transactions, current scores, rules."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import duckdb
import pytest

from observatory import bootstrap
from observatory.maturity import DEFAULT_RULE, MaturityRule
from observatory.model import CRITERIA_KEYS
from observatory.store import StoreError, db, evaluations, places, rules, territory

LATEST_VERSION = max(v for v, _, _ in db.migrations())


def table_names(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = "
        "current_database() AND table_schema = current_schema()").fetchall()}


def counts(con) -> dict[str, int]:
    return {
        table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("places", "evaluations", "communes", "epci", "criteria",
                      "maturity_rules", "schema_version")
    }


@pytest.fixture
def schema_db(initialised_db):
    """A database with the schema and the territory, no place; an open read-write connection
    (on each back end)."""
    path = initialised_db()
    con = db.connect(path)
    yield con
    con.close()


def a_place(**overrides) -> dict:
    place = {"name": "Le Lieu Test", "insee": "09122", "lon": 1.6053, "lat": 42.9653,
             "typology": "Fablab", "legal_status": "Association", "opening_year": 2015,
             "transition_oriented": True, "thematics": ["numérique"], "is_demo": False}
    place.update(overrides)
    return place


def an_evaluation(place_id: int, on: dt.date, value: float) -> dict:
    return {"place_id": place_id, "evaluated_on": on, "evaluator": "Test",
            **dict.fromkeys(CRITERIA_KEYS, value), "evidence": "test"}


# --- migrations and init ---------------------------------------------------------------

def test_migrations_are_numbered_in_order_from_one():
    versions = [v for v, _, _ in db.migrations()]
    # Unique and increasing from 001; a gap is allowed while two branches add migrations
    # side by side (one took the next number, the other the one after).
    assert versions[0] == 1 and versions == sorted(set(versions))
    assert LATEST_VERSION >= 2


def test_new_file_has_schema_version_zero(new_db):
    con = db.connect(new_db("empty"))
    try:
        assert db.schema_version(con) == 0
    finally:
        con.close()


def test_init_twice_is_harmless(new_db, territory_config):
    path = new_db("twice")
    first = bootstrap.init_database(path, territory_config, with_demo=True)
    con = db.connect(path, read_only=True)
    before = counts(con)
    con.close()

    second = bootstrap.init_database(path, territory_config, with_demo=True)
    con = db.connect(path, read_only=True)
    after = counts(con)
    con.close()

    assert first.migrations_applied == [name for _, name, _ in db.migrations()]
    assert first.territory_loaded and first.demo_places_added == 42
    assert second.migrations_applied == []
    assert second.territory_loaded is False
    assert second.demo_places_added == 0
    assert second.schema_version == first.schema_version == LATEST_VERSION
    assert before["places"] == 42
    assert before["evaluations"] >= 84
    assert after == before


def test_second_init_report_says_up_to_date(new_db, territory_config):
    path = new_db("report")
    bootstrap.init_database(path, territory_config)
    lines = bootstrap.init_database(path, territory_config).lines()
    assert "(à jour)" in lines[0]
    assert lines[1] == "Territoire déjà à jour."


def test_migrate_is_idempotent(new_db):
    con = db.connect(new_db("m"))
    try:
        # Numbers may leave a gap (a migration numbered ahead while another branch holds
        # the one before): count the files, compare versions with the highest number.
        assert len(db.migrate(con)) == len(db.migrations())
        assert db.migrate(con) == []
        assert db.schema_version(con) == LATEST_VERSION
        count = con.execute("SELECT count(*) FROM schema_version").fetchone()[0]
        assert count == len(db.migrations())
    finally:
        con.close()


def test_init_upgrades_a_file_created_by_an_earlier_migration(new_db, territory_config):
    path = new_db("old")
    con = db.connect(path)
    try:
        assert db.migrate(con, target=1) == ["001_territory_places_evaluations.sql"]
        assert db.schema_version(con) == 1
        assert "maturity_rules" not in table_names(con)
    finally:
        con.close()

    report = bootstrap.init_database(path, territory_config)
    later = [name for version, name, _ in db.migrations() if version > 1]
    assert report.migrations_applied == later
    assert report.schema_version == db.migrations()[-1][0]

    con = db.connect(path, read_only=True)
    try:
        assert db.schema_version(con) == db.migrations()[-1][0]
        history = rules.history(con)
        assert len(history) == 1
        assert (history["min_mean"].iloc[0], history["min_each"].iloc[0]) == (3.0, 2.0)
        assert rules.current(con) == MaturityRule(3.0, 2.0)
    finally:
        con.close()


def test_an_older_file_keeps_its_places_through_the_upgrade(new_db, territory_config):
    path = new_db("old_with_data")
    con = db.connect(path)
    db.migrate(con, target=1)
    place_id = places.insert(con, a_place())
    evaluations.insert(con, an_evaluation(place_id, dt.date(2024, 5, 1), 3.0))
    con.close()

    bootstrap.init_database(path, territory_config)
    con = db.connect(path, read_only=True)
    try:
        current = places.current(con)
        assert current["name"].tolist() == ["Le Lieu Test"]
        assert current["commons"].iloc[0] == 3.0
    finally:
        con.close()


def test_init_loads_the_five_criteria_in_order(schema_db):
    rows = schema_db.execute("SELECT key FROM criteria ORDER BY position").fetchall()
    assert tuple(r[0] for r in rows) == CRITERIA_KEYS


def test_scores_outside_the_scale_are_refused_by_the_schema(schema_db):
    place_id = places.insert(schema_db, a_place())
    with pytest.raises(duckdb.Error, match="(?i)check"):  # PostgreSQL's words come through
        evaluations.insert(schema_db, an_evaluation(place_id, dt.date(2024, 1, 1), 4.5))


# --- transactions ----------------------------------------------------------------------

def test_transaction_rolls_back_on_exception(schema_db):
    with pytest.raises(RuntimeError, match="boom"):
        with db.transaction(schema_db):
            place_id = places.insert(schema_db, a_place())
            evaluations.insert(schema_db, an_evaluation(place_id, dt.date(2024, 1, 1), 3.0))
            raise RuntimeError("boom")
    assert places.count(schema_db) == 0
    assert schema_db.execute("SELECT count(*) FROM evaluations").fetchone()[0] == 0


def test_transaction_rolls_back_when_the_database_refuses_a_row(schema_db):
    with pytest.raises(duckdb.Error):
        with db.transaction(schema_db):
            place_id = places.insert(schema_db, a_place())
            evaluations.insert(schema_db, an_evaluation(place_id, dt.date(2024, 1, 1), 9.0))
    assert places.count(schema_db) == 0


def test_transaction_commits_on_success(schema_db):
    with db.transaction(schema_db):
        places.insert(schema_db, a_place())
    assert places.count(schema_db) == 1
    # the connection is usable for the next transaction
    with db.transaction(schema_db):
        places.insert(schema_db, a_place(name="Deuxième"))
    assert places.count(schema_db) == 2


# --- places and their current scores ---------------------------------------------------

def test_current_scores_are_those_of_the_latest_evaluation(schema_db):
    place_id = places.insert(schema_db, a_place())
    # the latest evaluation is inserted first: order of insertion must not matter
    evaluations.insert(schema_db, an_evaluation(place_id, dt.date(2025, 3, 1), 3.5))
    evaluations.insert(schema_db, an_evaluation(place_id, dt.date(2023, 6, 1), 1.5))
    current = places.current(schema_db)
    assert len(current) == 1
    row = current.iloc[0]
    assert [row[k] for k in CRITERIA_KEYS] == [3.5] * 5
    assert row["last_evaluated_on"].date() == dt.date(2025, 3, 1)
    assert row["evaluation_count"] == 2


def test_place_without_evaluation_is_listed_without_scores(schema_db):
    places.insert(schema_db, a_place())
    row = places.current(schema_db).iloc[0]
    assert row["evaluation_count"] == 0
    assert all(row[k] != row[k] for k in CRITERIA_KEYS)  # NaN


def test_current_places_carry_commune_and_epci(schema_db):
    places.insert(schema_db, a_place(insee="09122"))  # Foix
    row = places.current(schema_db).iloc[0]
    assert row["commune"] == "Foix"
    assert row["epci_siren"] == "200067791"
    assert bool(row["in_perimeter"]) and bool(row["in_excluded_zone"])
    assert row["thematics"] == ["numérique"]


def test_archived_places_are_not_current(schema_db):
    kept = places.insert(schema_db, a_place(name="Gardé"))
    gone = places.insert(schema_db, a_place(name="Archivé"))
    schema_db.execute("UPDATE places SET archived = true WHERE id = ?", [gone])
    assert places.current(schema_db)["id"].tolist() == [kept]
    assert places.count(schema_db) == 1


def test_history_lists_evaluations_oldest_first(schema_db):
    place_id = places.insert(schema_db, a_place())
    other = places.insert(schema_db, a_place(name="Autre"))
    evaluations.insert(schema_db, an_evaluation(place_id, dt.date(2025, 1, 1), 3.0))
    evaluations.insert(schema_db, an_evaluation(place_id, dt.date(2022, 1, 1), 2.0))
    evaluations.insert(schema_db, an_evaluation(other, dt.date(2024, 1, 1), 1.0))
    history = evaluations.history(schema_db, place_id)
    assert history["commons"].tolist() == [2.0, 3.0]
    assert len(evaluations.history(schema_db)) == 3


def test_delete_demo_removes_only_demonstration_places(schema_db):
    real = places.insert(schema_db, a_place(name="Réel"))
    demo = places.insert(schema_db, a_place(name="Démo", is_demo=True))
    evaluations.insert(schema_db, an_evaluation(demo, dt.date(2024, 1, 1), 3.0))
    evaluations.insert(schema_db, an_evaluation(real, dt.date(2024, 1, 1), 3.0))
    assert places.demo_count(schema_db) == 1
    with db.transaction(schema_db):
        places.delete_demo(schema_db)
    assert places.current(schema_db)["id"].tolist() == [real]
    assert evaluations.history(schema_db)["place_id"].tolist() == [real]


# --- the maturity rule -----------------------------------------------------------------

def test_rules_save_and_current_round_trip(schema_db):
    assert rules.current(schema_db) == DEFAULT_RULE
    rules.save(schema_db, MaturityRule(2.5, 1.5), set_by="Analyste")
    assert rules.current(schema_db) == MaturityRule(2.5, 1.5)
    rules.save(schema_db, MaturityRule(3.5, 2.0), set_by="Analyste")
    assert rules.current(schema_db) == MaturityRule(3.5, 2.0)
    history = rules.history(schema_db)
    assert history["min_mean"].tolist() == [3.0, 2.5, 3.5]
    assert history["set_by"].tolist()[1:] == ["Analyste", "Analyste"]


def test_rule_in_force_defaults_when_the_table_is_empty(schema_db):
    schema_db.execute("DELETE FROM maturity_rules")
    assert rules.current(schema_db) == DEFAULT_RULE


# --- errors for people -----------------------------------------------------------------

def test_opening_a_missing_file_read_only_raises_a_french_store_error(tmp_path):
    missing = tmp_path / "absent.duckdb"
    with pytest.raises(StoreError, match="Base introuvable") as info:
        db.connect(missing, read_only=True)
    assert "observatory init" in str(info.value)
    assert not missing.exists()


def test_opening_a_file_locked_by_another_process_raises_a_french_store_error(tmp_path):
    path = tmp_path / "locked.duckdb"
    holder_code = (
        "import sys, duckdb; con = duckdb.connect(sys.argv[1]); "
        "con.execute('CREATE TABLE t (x INTEGER)'); print('ready', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen([sys.executable, "-c", holder_code, str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="ouverte par un autre processus"):
            db.connect(path)
    finally:
        holder.stdin.close()  # the holder reads stdin to its end, then exits
        holder.wait(timeout=30)


def test_opening_a_file_held_in_this_process_with_another_mode_raises_store_error(tmp_path):
    path = tmp_path / "held.duckdb"
    writer = db.connect(path)
    try:
        db.migrate(writer)
        with pytest.raises(StoreError):
            db.connect(path, read_only=True)
    finally:
        writer.close()


def test_territory_tables_after_init(schema_db):
    assert territory.commune_count(schema_db) == 325
    assert territory.meta(schema_db)["name"] == "PETR de l'Ariège"
