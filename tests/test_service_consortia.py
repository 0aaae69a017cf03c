"""Consortium use cases: one door for the Consortiums page and the CLI, audited by actor."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from observatory.consortia import ConflictError, Consortium
from observatory.service import core, proximity
from observatory.settings import Settings

ANALYST = "Inès Analyste"


@pytest.fixture
def con(demo_db, tmp_path):
    path = tmp_path / "observatory.duckdb"
    shutil.copy(demo_db, path)
    with core.session(Settings(db=Path(path))) as connection:
        yield connection


def _new(con) -> Consortium:
    ids = [int(i) for i in core.current_places(con)["id"].head(3)]
    return Consortium(name="Réseau des savoirs", member_ids=ids, lead_place_id=ids[0],
                      call_year=2026, status="idea")


def _last_audit(con) -> tuple:
    return con.execute("SELECT actor, entity, entity_id, action FROM audit_log "
                       "ORDER BY id DESC LIMIT 1").fetchone()


def test_creation_update_and_archive_are_audited_under_their_actor(con):
    new_id = proximity.save_consortium(con, _new(con), actor=ANALYST)
    assert _last_audit(con)[:2] == (ANALYST, "consortium") and _last_audit(con)[2] == new_id
    saved = proximity.saved_consortia(con).set_index("id").loc[new_id]
    changed = Consortium(name="Réseau des savoirs partagés", member_ids=list(saved["member_ids"]),
                         lead_place_id=int(saved["lead_place_id"]), call_year=2026,
                         status="idea", id=new_id, version=int(saved["version"]))
    proximity.save_consortium(con, changed, actor="Claire")
    assert _last_audit(con)[0] == "Claire"
    proximity.archive_consortium(con, new_id, actor="Paul")
    assert _last_audit(con)[0] == "Paul"
    assert new_id not in set(proximity.saved_consortia(con)["id"])
    actions = proximity.consortium_history(con, new_id)["action"].tolist()
    assert sorted(actions) == ["archived", "created", "updated"]


@pytest.mark.parametrize("actor", ["", "   ", None])
def test_a_write_without_actor_writes_nothing(con, actor):
    before = len(proximity.saved_consortia(con))
    with pytest.raises(ValueError, match="actor is required"):
        proximity.save_consortium(con, _new(con), actor=actor)
    assert len(proximity.saved_consortia(con)) == before


def test_a_stale_version_is_a_conflict_and_changes_nothing(con):
    new_id = proximity.save_consortium(con, _new(con), actor=ANALYST)
    saved = proximity.saved_consortia(con).set_index("id").loc[new_id]
    stale = Consortium(name="Ancien nom", member_ids=list(saved["member_ids"]),
                       lead_place_id=int(saved["lead_place_id"]), call_year=2026,
                       status="idea", id=new_id, version=int(saved["version"]) - 1)
    with pytest.raises(ConflictError):
        proximity.save_consortium(con, stale, actor=ANALYST)
    names = proximity.saved_consortia(con).set_index("id")["name"]
    assert names.loc[new_id] == "Réseau des savoirs"


# --- A submitted consortium is an application, entered once ------------------------------

def _applications(con, consortium_id: int) -> list[tuple]:
    return con.execute("SELECT id, call_year, status, amount_requested FROM applications "
                       "WHERE consortium_id = ? ORDER BY id", [consortium_id]).fetchall()


def _reload(con, consortium_id: int, **changes) -> Consortium:
    from observatory.consortia import from_row

    row = proximity.saved_consortia(con).set_index("id").loc[consortium_id].to_dict()
    record = from_row(row | {"id": consortium_id})
    for key, value in changes.items():
        setattr(record, key, value)
    return record


def test_an_idea_has_no_application_and_a_submitted_consortium_gets_one_audited(con):
    new_id = proximity.save_consortium(con, _new(con), actor=ANALYST)
    assert _applications(con, new_id) == []
    proximity.save_consortium(con, _reload(con, new_id, status="submitted"), actor="Karim")
    (app_id, year, status, requested), = _applications(con, new_id)
    assert (year, status, requested) == (2026, "submitted", None)
    entry = con.execute("SELECT actor, action FROM audit_log WHERE entity = 'application' "
                        "AND entity_id = ?", [app_id]).fetchall()
    assert entry == [("Karim", "create")]
    proximity.save_consortium(con, _reload(con, new_id, name="Autre nom"), actor="Karim")
    assert [a[0] for a in _applications(con, new_id)] == [app_id]  # saved again: no double


def test_an_application_entered_by_hand_is_linked_not_doubled(con):
    from observatory.service import equipment

    new_id = proximity.save_consortium(con, _new(con), actor=ANALYST)
    app_id = equipment.save_application(con, {"call_year": 2026, "consortium_id": new_id,
                                              "amount_requested": 9000.0, "status": "draft"},
                                        actor=ANALYST)
    proximity.save_consortium(con, _reload(con, new_id, status="submitted"), actor="Karim")
    assert _applications(con, new_id) == [(app_id, 2026, "submitted", 9000.0)]
    # entered again on the Appels page, without its id: the same application is updated
    again = equipment.save_application(con, {"call_year": 2026, "consortium_id": new_id,
                                             "amount_requested": 12000.0, "status": "submitted"},
                                       actor=ANALYST)
    assert again == app_id
    assert _applications(con, new_id) == [(app_id, 2026, "submitted", 12000.0)]


def test_funded_or_refused_stays_the_same_on_both_sides(con):
    from observatory.service import equipment

    new_id = proximity.save_consortium(con, _new(con), actor=ANALYST)
    proximity.save_consortium(con, _reload(con, new_id, status="submitted"), actor=ANALYST)
    app_id = _applications(con, new_id)[0][0]
    version = int(proximity.saved_consortia(con).set_index("id").loc[new_id, "version"])
    equipment.save_application(con, {"id": app_id, "call_year": 2026, "consortium_id": new_id,
                                     "amount_requested": 9000.0, "amount_granted": 7000.0,
                                     "status": "funded"}, actor="Claire")
    saved = proximity.saved_consortia(con).set_index("id").loc[new_id]
    assert saved["status"] == "funded" and int(saved["version"]) == version + 1
    assert proximity.consortium_history(con, new_id)["changed_by"].iloc[-1] == "Claire"
    proximity.save_consortium(con, _reload(con, new_id, status="refused"), actor=ANALYST)
    assert _applications(con, new_id) == [(app_id, 2026, "refused", 9000.0)]


def test_an_application_to_another_year_leaves_the_consortium_alone(con):
    from observatory.service import equipment

    new_id = proximity.save_consortium(con, _new(con), actor=ANALYST)
    equipment.save_application(con, {"call_year": 2027, "consortium_id": new_id,
                                      "status": "funded"}, actor=ANALYST)
    assert proximity.saved_consortia(con).set_index("id").loc[new_id, "status"] == "idea"


def test_a_refused_link_writes_neither_the_consortium_nor_its_application(con, monkeypatch):
    from observatory.service import equipment

    before = proximity.saved_consortia(con)

    def broken(*args, **kwargs):
        raise RuntimeError("disque plein")
    monkeypatch.setattr(equipment.store, "save_application", broken)
    with pytest.raises(RuntimeError):
        proximity.save_consortium(con, Consortium(
            name="Réseau déposé", member_ids=list(before["member_ids"].iloc[0]),
            lead_place_id=int(before["lead_place_id"].iloc[0]), call_year=2026,
            status="submitted"), actor=ANALYST)
    assert len(proximity.saved_consortia(con)) == len(before)


def test_a_submitted_consortium_set_back_to_an_idea_keeps_its_application_in_preparation(con):
    new_id = proximity.save_consortium(con, _new(con), actor=ANALYST)
    proximity.save_consortium(con, _reload(con, new_id, status="submitted"), actor=ANALYST)
    app_id = _applications(con, new_id)[0][0]
    proximity.save_consortium(con, _reload(con, new_id, status="idea"), actor=ANALYST)
    assert _applications(con, new_id) == [(app_id, 2026, "draft", None)]
