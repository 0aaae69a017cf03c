"""Consortia: validation, the store (round trip, versions, history, archive), the indicators."""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest

from observatory.consortia import (
    FORMED_STATUSES,
    ConflictError,
    Consortium,
    ConsortiumError,
    counts_by_year_and_status,
    formed_count,
    from_row,
)
from observatory.eligibility import CALL_YEARS
from observatory.model import CONSORTIUM_STATUSES
from observatory.store import consortia as store
from observatory.store import db


def valid(**overrides) -> Consortium:
    values = dict(name="Outils partagés du Plantaurel", member_ids=[3, 7, 12], lead_place_id=3,
                  location_place_id=7, call_year=2026, status="idea",
                  description="Mutualiser une découpeuse laser et un camion.")
    values.update(overrides)
    return Consortium(**values)


def problems_of(consortium: Consortium) -> str:
    with pytest.raises(ConsortiumError) as info:
        consortium.validate()
    return str(info.value)


# --- validation ----------------------------------------------------------------------------

def test_a_valid_consortium_validates():
    valid().validate()
    valid(location_place_id=None).validate()


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_consortium_needs_a_name(name):
    assert "Donnez un nom au consortium." in problems_of(valid(name=name))


def test_a_name_longer_than_200_characters_is_refused():
    assert "200 caractères" in problems_of(valid(name="x" * 201))
    valid(name="x" * 200).validate()


@pytest.mark.parametrize("members", [[], [3], [3, 3]])
def test_a_consortium_needs_at_least_two_distinct_places(members):
    assert "au moins deux lieux" in problems_of(valid(member_ids=members, location_place_id=None))


def test_the_lead_must_be_a_member():
    assert "chef de file doit faire partie" in problems_of(valid(lead_place_id=99))


def test_the_location_must_be_a_member():
    assert "lieu du projet doit être l'un des lieux" in problems_of(valid(location_place_id=99))


@pytest.mark.parametrize("year", [2022, 2029, 2030, 0])
def test_the_call_year_must_be_within_2023_2028(year):
    message = problems_of(valid(call_year=year))
    assert "L'année d'appel doit être comprise entre 2023 et 2028." in message


@pytest.mark.parametrize("year", CALL_YEARS)
def test_every_call_year_is_accepted(year):
    valid(call_year=year).validate()


@pytest.mark.parametrize("status", ["draft", "Financé", "", "FUNDED"])
def test_an_unknown_status_is_refused(status):
    assert f"Statut inconnu : {status}." in problems_of(valid(status=status))


@pytest.mark.parametrize("status", list(CONSORTIUM_STATUSES))
def test_every_known_status_is_accepted(status):
    valid(status=status).validate()


def test_a_description_longer_than_5000_characters_is_refused():
    # one thousands separator everywhere (observatory.formatting): a narrow no-break space
    assert "5\u202f000 caractères" in problems_of(valid(description="x" * 5001))


def test_every_problem_is_reported_at_once():
    message = problems_of(Consortium(name="", member_ids=[1], lead_place_id=2,
                                     location_place_id=5, call_year=2030, status="?"))
    for part in ("Donnez un nom", "au moins deux lieux", "chef de file", "lieu du projet",
                 "2023 et 2028", "Statut inconnu"):
        assert part in message


def test_a_conflict_is_a_consortium_error():
    assert issubclass(ConflictError, ConsortiumError)
    assert issubclass(ConsortiumError, ValueError)


# --- store ---------------------------------------------------------------------------------

@pytest.fixture
def writable_db(demo_db, tmp_path):
    path = tmp_path / "observatory.duckdb"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture
def con(writable_db):
    connection = db.connect(writable_db)
    yield connection
    connection.close()


@pytest.fixture
def place_ids(con) -> list[int]:
    return [r[0] for r in con.execute("SELECT id FROM places ORDER BY id").fetchall()]


def create(con, consortium: Consortium, who: str = "analyste") -> int:
    with db.transaction(con):
        return store.create(con, consortium, who)


def one(con, consortium_id: int) -> dict:
    rows = store.current(con)
    found = rows[rows["id"] == consortium_id]
    assert len(found) == 1
    return found.iloc[0].to_dict()


def test_consortia_already_in_the_database_are_valid_records(demo_db):
    """Whatever the demo seeds, every stored consortium reads back as a valid record."""
    con = db.connect(demo_db, read_only=True)
    try:
        for row in store.current(con).to_dict(orient="records"):
            from_row(row).validate()
    finally:
        con.close()


def test_a_saved_consortium_survives_a_reopen(writable_db):
    con = db.connect(writable_db)
    place_ids = [r[0] for r in con.execute("SELECT id FROM places ORDER BY id").fetchall()]
    consortium = valid(member_ids=[place_ids[4], place_ids[0], place_ids[9]],
                       lead_place_id=place_ids[0], location_place_id=place_ids[9],
                       call_year=2027, status="submitted")
    new_id = create(con, consortium)
    con.close()

    reopened = db.connect(writable_db, read_only=True)
    try:
        row = one(reopened, new_id)
    finally:
        reopened.close()
    assert row["name"] == consortium.name
    assert row["member_ids"] == sorted([place_ids[4], place_ids[0], place_ids[9]])
    assert row["lead_place_id"] == place_ids[0]
    assert row["location_place_id"] == place_ids[9]
    assert row["call_year"] == 2027
    assert row["status"] == "submitted"
    assert row["description"] == consortium.description
    assert row["version"] == 1
    back = from_row(row)
    assert (back.id, back.name, sorted(back.member_ids), back.lead_place_id,
            back.location_place_id, back.call_year, back.status, back.version) == (
        new_id, consortium.name, sorted(consortium.member_ids), consortium.lead_place_id,
        consortium.location_place_id, 2027, "submitted", 1)
    back.validate()


def test_create_refuses_an_invalid_consortium_and_writes_nothing(con):
    before = (len(store.current(con)), len(store.history(con)))
    with pytest.raises(ConsortiumError):
        create(con, valid(member_ids=[1]))
    assert (len(store.current(con)), len(store.history(con))) == before


def test_create_records_the_creation_in_the_history(con, place_ids):
    new_id = create(con, valid(member_ids=place_ids[:2], lead_place_id=place_ids[0],
                               location_place_id=None), who="Camille")
    history = store.history(con, new_id)
    assert history["action"].tolist() == ["created"]
    assert history["changed_by"].tolist() == ["Camille"]
    state = json.loads(history["state"].iloc[0])
    assert state["member_ids"] == sorted(place_ids[:2])
    assert state["version"] == 1 and state["archived"] is False
    assert state["location_place_id"] is None


def test_duplicate_member_ids_are_stored_once(con, place_ids):
    a, b = place_ids[:2]
    new_id = create(con, valid(member_ids=[a, b, b, a], lead_place_id=a, location_place_id=b))
    assert one(con, new_id)["member_ids"] == sorted([a, b])


def test_update_bumps_the_version_and_records_history(con, place_ids):
    a, b, c = place_ids[:3]
    new_id = create(con, valid(member_ids=[a, b], lead_place_id=a, location_place_id=b))
    record = from_row(one(con, new_id))
    assert record.version == 1
    record.member_ids = [a, b, c]
    record.status = "submitted"
    with db.transaction(con):
        version = store.update(con, record, "Dominique")
    assert version == 2
    row = one(con, new_id)
    assert row["version"] == 2
    assert row["member_ids"] == sorted([a, b, c])
    assert row["status"] == "submitted"
    history = store.history(con, new_id)
    assert history["action"].tolist() == ["created", "updated"]
    assert history["changed_by"].tolist()[-1] == "Dominique"
    state = json.loads(history["state"].iloc[-1])
    assert state["version"] == 2 and state["status"] == "submitted"
    assert state["member_ids"] == sorted([a, b, c])
    first = json.loads(history["state"].iloc[0])
    assert first["version"] == 1 and first["member_ids"] == sorted([a, b])


def test_a_stale_update_raises_a_french_conflict_and_writes_nothing(con, place_ids):
    a, b, c, d = place_ids[:4]
    new_id = create(con, valid(member_ids=[a, b], lead_place_id=a, location_place_id=b))
    alice = from_row(one(con, new_id))
    bob = from_row(one(con, new_id))
    alice.member_ids = [a, b, c]
    with db.transaction(con):
        store.update(con, alice, "Alice")

    bob.member_ids = [a, b, d]
    bob.name = "Nom écrasé"
    with pytest.raises(ConflictError) as info:
        with db.transaction(con):
            store.update(con, bob, "Bob")
    message = str(info.value)
    assert "modifié par quelqu'un d'autre" in message
    assert "Rechargez" in message
    assert "version 2 contre 1" in message
    row = one(con, new_id)
    assert row["member_ids"] == sorted([a, b, c])
    assert row["name"] == alice.name
    assert row["version"] == 2
    assert store.history(con, new_id)["changed_by"].tolist() == ["analyste", "Alice"]


def test_a_stale_update_is_refused_even_without_a_transaction(con, place_ids):
    a, b, c = place_ids[:3]
    new_id = create(con, valid(member_ids=[a, b], lead_place_id=a, location_place_id=b))
    stale = from_row(one(con, new_id))
    fresh = from_row(one(con, new_id))
    store.update(con, fresh, "Alice")
    stale.member_ids = [a, c]
    stale.lead_place_id, stale.location_place_id = a, c
    with pytest.raises(ConflictError):
        store.update(con, stale, "Bob")
    assert one(con, new_id)["member_ids"] == sorted([a, b])


def test_update_of_an_unknown_consortium_is_refused(con, place_ids):
    ghost = valid(member_ids=place_ids[:2], lead_place_id=place_ids[0], location_place_id=None)
    ghost.id, ghost.version = 12345, 1
    with pytest.raises(ConsortiumError, match="introuvable"):
        store.update(con, ghost, "analyste")


def test_update_refuses_an_invalid_change(con, place_ids):
    a, b = place_ids[:2]
    new_id = create(con, valid(member_ids=[a, b], lead_place_id=a, location_place_id=b))
    record = from_row(one(con, new_id))
    record.call_year = 2031
    with pytest.raises(ConsortiumError, match="2023 et 2028"):
        store.update(con, record, "analyste")
    assert one(con, new_id)["version"] == 1


def test_archive_hides_from_current_but_keeps_history(con, place_ids):
    a, b = place_ids[:2]
    kept = create(con, valid(name="Reste", member_ids=[a, b], lead_place_id=a,
                             location_place_id=None))
    gone = create(con, valid(name="Archivé", member_ids=[a, b], lead_place_id=a,
                             location_place_id=None))
    with db.transaction(con):
        store.archive(con, gone, "analyste")
    ids = set(store.current(con)["id"])
    assert kept in ids and gone not in ids
    history = store.history(con, gone)
    assert history["action"].tolist() == ["created", "archived"]
    assert json.loads(history["state"].iloc[-1])["archived"] is True
    assert {kept, gone} <= set(store.history(con)["consortium_id"])


def test_an_archived_consortium_can_no_longer_be_updated(con, place_ids):
    a, b = place_ids[:2]
    new_id = create(con, valid(member_ids=[a, b], lead_place_id=a, location_place_id=None))
    record = from_row(one(con, new_id))
    store.archive(con, new_id, "analyste")
    with pytest.raises(ConsortiumError):
        store.update(con, record, "analyste")


@pytest.mark.parametrize("name", ["'); DROP TABLE places; --",
                                  "<script>alert('x')</script>",
                                  "Robert'); DELETE FROM consortia; -- « L'Atelier » & co"])
def test_names_with_sql_or_html_are_stored_verbatim(writable_db, name):
    con = db.connect(writable_db)
    ids = [r[0] for r in con.execute("SELECT id FROM places ORDER BY id LIMIT 2").fetchall()]
    new_id = create(con, valid(name=name, description=name, member_ids=ids, lead_place_id=ids[0],
                               location_place_id=None), who=name)
    con.close()
    reopened = db.connect(writable_db, read_only=True)
    try:
        row = one(reopened, new_id)
        assert row["name"] == name and row["description"] == name
        assert reopened.execute("SELECT count(*) FROM places").fetchone()[0] == 42
        history = store.history(reopened, new_id)
        assert history["changed_by"].tolist() == [name]
        assert json.loads(history["state"].iloc[0])["name"] == name
    finally:
        reopened.close()


def test_current_lists_by_call_year_descending_then_name(con, place_ids):
    a, b = place_ids[:2]
    for name, year in [("B", 2024), ("A", 2024), ("C", 2027)]:
        create(con, valid(name=name, call_year=year, member_ids=[a, b], lead_place_id=a,
                          location_place_id=None))
    rows = store.current(con)
    order = list(zip(rows["call_year"], rows["name"], strict=True))
    assert order == sorted(order, key=lambda yn: (-yn[0], yn[1]))
    ours = [yn for yn in order if yn[1] in {"A", "B", "C"}]
    assert ours == [(2027, "C"), (2024, "A"), (2024, "B")]


def test_the_database_refuses_an_unknown_status_even_past_validation(con):
    with pytest.raises(duckdb.ConstraintException, match="CHECK constraint failed"):
        con.execute("INSERT INTO consortia (name, lead_place_id, call_year, status) "
                    "VALUES ('x', 1, 2026, 'draft')")


# --- indicators ------------------------------------------------------------------------------

def saved(*pairs: tuple[int, str]) -> pd.DataFrame:
    return pd.DataFrame({"id": range(1, len(pairs) + 1), "call_year": [p[0] for p in pairs],
                         "status": [p[1] for p in pairs]})


def test_counts_cover_every_call_year_and_status_with_zeros():
    counts = counts_by_year_and_status(saved((2024, "idea"), (2024, "idea"), (2026, "funded")))
    assert len(counts) == len(CALL_YEARS) * len(CONSORTIUM_STATUSES)
    assert set(zip(counts["call_year"], counts["status"], strict=True)) == {
        (y, s) for y in CALL_YEARS for s in CONSORTIUM_STATUSES}
    table = counts.set_index(["call_year", "status"])["consortia"]
    assert table[(2024, "idea")] == 2
    assert table[(2026, "funded")] == 1
    assert table.sum() == 3
    assert table[(2023, "refused")] == 0
    labels = dict(zip(counts["status"], counts["status_label"], strict=True))
    assert labels == CONSORTIUM_STATUSES


def test_counts_of_no_consortium_are_all_zeros():
    for empty in (saved(), pd.DataFrame(columns=["id", "call_year", "status"])):
        counts = counts_by_year_and_status(empty)
        assert len(counts) == len(CALL_YEARS) * len(CONSORTIUM_STATUSES)
        assert (counts["consortia"] == 0).all()


def test_counts_from_the_store(con, place_ids):
    a, b = place_ids[:2]

    def table():
        return counts_by_year_and_status(store.current(con)).set_index(
            ["call_year", "status"])["consortia"]

    before = table()
    for year, status in [(2025, "submitted"), (2025, "submitted"), (2028, "refused")]:
        create(con, valid(call_year=year, status=status, member_ids=[a, b], lead_place_id=a,
                          location_place_id=None))
    added = table() - before
    assert added[(2025, "submitted")] == 2 and added[(2028, "refused")] == 1
    assert added.sum() == 3
    assert table().sum() == len(store.current(con))


def test_formed_counts_submitted_funded_and_refused_but_not_ideas():
    assert set(FORMED_STATUSES) == {"submitted", "funded", "refused"}
    frame = saved((2024, "idea"), (2024, "submitted"), (2025, "funded"), (2026, "refused"),
                  (2026, "idea"), (2027, "funded"))
    assert formed_count(frame) == 4
    assert formed_count(saved((2024, "idea"))) == 0
    assert formed_count(saved()) == 0


def test_from_row_handles_a_missing_location_and_description():
    row = {"id": 4, "name": "N", "member_ids": [1, 2], "lead_place_id": 1,
           "location_place_id": float("nan"), "call_year": 2025, "status": "idea",
           "description": None, "version": 3}
    record = from_row(row)
    assert record.location_place_id is None and record.description == ""
    assert record.version == 3 and record.id == 4


def test_archiving_an_unknown_consortium_is_refused_in_french(con):
    with pytest.raises(ConsortiumError, match="introuvable"):
        store.archive(con, 999, "analyste")
