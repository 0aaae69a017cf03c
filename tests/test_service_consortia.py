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
