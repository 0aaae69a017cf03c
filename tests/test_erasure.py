"""Right to erasure: « observatory erase-person » blanks a person everywhere, snapshots included."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from observatory import cli, erasure, exports
from observatory.consortia import Consortium
from observatory.equipment import Equipment
from observatory.maturity import MaturityRule
from observatory.store import consortia, db, equipment, evaluations, live, logins, places, rules
from observatory.store import erasure as store_erasure
from observatory.store import snapshots as store_snapshots

PERSON = "Élodie Zyxwarçon"
EMAIL = "elodie.zyxwarcon@exemple.org"
TYPED = "ELODIE zyxwarcon"  # how the analyst types the request: other case, no accents


# ---- the rules -------------------------------------------------------------------------------

def test_matching_ignores_case_and_accents_and_keeps_the_rest_of_the_text():
    assert erasure.redact(f"Contact : {PERSON} (mairie)", TYPED) == (
        "Contact : [effacé] (mairie)", 1)
    assert erasure.redact("élodie, Elodie, ÉLODIE", "elodie") == ("[effacé], [effacé], [effacé]", 3)
    assert erasure.redact("rien à voir", "elodie") == ("rien à voir", 0)
    assert erasure.redact(None, "elodie") == (None, 0)


def test_json_values_are_redacted_and_stay_valid_json():
    text = json.dumps({"contact": PERSON, "nested": [f"vu par {PERSON}"], "n": 3},
                      ensure_ascii=False)
    redacted, count = erasure.redact_json(text, TYPED)
    assert count == 2
    assert json.loads(redacted) == {"contact": "[effacé]", "nested": ["vu par [effacé]"], "n": 3}


@pytest.mark.parametrize("needle", ["", "  ", "Li", "effacé"])
def test_a_needle_that_would_erase_too_much_is_refused_in_french(needle):
    with pytest.raises(ValueError, match="Indiquez au moins|marque d'effacement"):
        erasure.check_needle(needle)


def test_backups_next_to_the_database_are_listed(tmp_path):
    (tmp_path / "observatory.duckdb").write_bytes(b"")
    (tmp_path / "observatory.duckdb.wal").write_bytes(b"")
    (tmp_path / "observatory.avant-restauration.duckdb").write_bytes(b"")
    (tmp_path / "sauvegarde-2025.duckdb").write_bytes(b"")
    (tmp_path / "notes.txt").write_bytes(b"")
    assert [p.name for p in erasure.backup_candidates(tmp_path / "observatory.duckdb")] == [
        "observatory.avant-restauration.duckdb", "sauvegarde-2025.duckdb"]


# ---- the store -------------------------------------------------------------------------------

@pytest.fixture
def person_db(demo_copy) -> Path:
    """A demonstration database where the person appears in every kind of personal field (on
    each back end)."""
    path = demo_copy
    with db.session(path) as con, db.transaction(con):
        place = places.get(con, 1)
        places.update(con, 1, {"contact": f"{PERSON} <{EMAIL}>"}, place["version"], PERSON)
        place = places.get(con, 1)
        places.update(con, 1, {"contact": "accueil@lieu.exemple.org"}, place["version"], "alice")
        places.update(con, 2, {"contact": EMAIL}, places.get(con, 2)["version"], "alice")
        places.update(con, 3, {"contact": f"Mme {PERSON.upper()}"}, places.get(con, 3)["version"],
                      "alice")
        evaluations.create(con, {"place_id": 1, "evaluated_on": dt.date(2025, 5, 1),
                                 "evaluator": PERSON, "commons": 3, "innovative_response": 3,
                                 "collective_dynamic": 3, "territorial_anchoring": 3,
                                 "shared_governance": 3, "evidence": f"entretien avec {PERSON}"},
                           "alice")
        consortia.create(con, Consortium(name="Consortium Z", member_ids=[1, 2], lead_place_id=1,
                                         call_year=2026, status="idea",
                                         description=f"porté par {PERSON}"), PERSON)
        equipment.create(con, Equipment(name="Four", category="tools", owner_place_id=1,
                                        notes=f"clé chez {PERSON}"), actor=PERSON)
        rules.save(con, MaturityRule(2.5, 1.5), PERSON)
        store_snapshots.create(con, live.bundle(con, label="Bilan 2025", created_by=PERSON))
        logins.record(con, PERSON, "203.0.113.7", "failed",  # a login name typed at the box
                      dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    return path


def occurrences(path: Path, needle: str) -> list[str]:
    """Every VARCHAR column of every table holding ``needle`` (case and accents ignored)."""
    target = erasure.fold(needle)
    found = []
    with db.session(path, read_only=True) as con:
        columns = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                              "WHERE table_catalog = current_database() AND table_schema = "
                              "current_schema() AND data_type = 'VARCHAR'").fetchall()
        for table, column in columns:
            for (value,) in con.execute(f'SELECT "{column}" FROM "{table}" '
                                        f'WHERE "{column}" IS NOT NULL').fetchall():
                if target in erasure.fold(value):
                    found.append(f"{table}.{column}")
    return found


def snapshot_export(path: Path) -> bytes:
    with db.session(path, read_only=True) as con:
        snapshot_id = con.execute("SELECT max(id) FROM snapshots").fetchone()[0]
        bundle = store_snapshots.read(con, snapshot_id)  # the checksum must still hold
    return exports.build(bundle, "geojson", include_contacts=True) + json.dumps(
        bundle.tables["evaluations"].astype(str).to_dict("records"),
        ensure_ascii=False).encode() + bundle.created_by.encode()


def test_the_fixture_really_spreads_the_person_everywhere(person_db):
    where = set(occurrences(person_db, TYPED))
    assert {"places.contact", "evaluations.evaluator", "evaluations.evidence", "audit_log.actor",
            "audit_log.old_values", "audit_log.new_values", "consortia.description",
            "consortium_history.changed_by", "consortium_history.state", "maturity_rules.set_by",
            "snapshots.created_by", "snapshots.meta", "equipment.notes",
            "login_attempts.name"} <= where
    assert PERSON.encode() in snapshot_export(person_db)


def test_after_erasure_the_person_appears_nowhere_not_even_in_a_snapshot(person_db):
    with db.session(person_db) as con, db.transaction(con):
        report = store_erasure.erase_person(con, TYPED, actor="alice")
        store_erasure.erase_person(con, EMAIL, actor="alice")
    assert report.changed["places.contact"] == 1
    assert report.changed["instantanés.places"] >= 1
    assert occurrences(person_db, TYPED) == []
    assert occurrences(person_db, EMAIL) == []
    exported = snapshot_export(person_db).decode()
    assert erasure.fold(TYPED) not in erasure.fold(exported)
    assert erasure.fold(EMAIL) not in erasure.fold(exported)
    assert "[effacé]" in exported
    with db.session(person_db, read_only=True) as con:  # the rest is untouched
        assert con.execute("SELECT count(*) FROM places").fetchone()[0] == 42
        assert con.execute("SELECT contact FROM places WHERE id = 1").fetchone()[0] == \
            "accueil@lieu.exemple.org"
        entry = con.execute("SELECT actor, new_values FROM audit_log WHERE entity = 'person' "
                            "ORDER BY id LIMIT 1").fetchone()
    assert entry[0] == "alice" and "places.contact" in json.loads(entry[1])["occurrences"]


def test_a_dry_run_counts_and_changes_nothing(person_db):
    before = occurrences(person_db, TYPED)
    with db.session(person_db) as con, db.transaction(con):
        report = store_erasure.erase_person(con, TYPED, actor="alice", dry_run=True)
    assert report.total >= len(before)
    assert occurrences(person_db, TYPED) == before


def test_the_command_erases_prints_counts_and_names_the_backups(person_db, capsys, backend):
    if backend == "postgresql":
        pytest.skip("a DuckDB file: its backups beside it, its bytes on disk")
    shutil.copy(person_db, person_db.with_name("sauvegarde.duckdb"))
    assert cli.main(["erase-person", TYPED, "--dry-run", "--db", str(person_db)]) == 0
    dry = capsys.readouterr().out
    assert "seraient remplacées" in dry and "places.contact : 1" in dry and "Essai à blanc" in dry
    assert occurrences(person_db, TYPED)

    assert cli.main(["erase-person", TYPED, "--db", str(person_db), "--by", "alice"]) == 0
    out = capsys.readouterr().out
    assert "remplacées par « [effacé] »" in out and "evaluations.evaluator : 1" in out
    assert "sauvegardes et les exports déjà envoyés" in out
    assert "sauvegarde.duckdb" in out
    assert occurrences(person_db, TYPED) == []


def test_the_command_refuses_a_too_short_name(person_db, capsys):
    assert cli.main(["erase-person", "é", "--db", str(person_db)]) == 1
    assert "au moins 3 caractères" in capsys.readouterr().err


def test_the_command_leaves_no_trace_in_the_file_and_a_working_database(person_db, capsys, backend):
    if backend == "postgresql":
        pytest.skip("a DuckDB file: its backups beside it, its bytes on disk")
    with db.session(person_db) as con:  # the sequences run ahead of the ids: they must survive
        con.execute("DELETE FROM places WHERE id = 42")
        con.execute("CHECKPOINT")
    assert "Zyxwar".encode() in person_db.read_bytes()
    assert cli.main(["erase-person", TYPED, "--db", str(person_db), "--by", "alice"]) == 0
    assert cli.main(["erase-person", EMAIL, "--db", str(person_db), "--by", "alice"]) == 0
    capsys.readouterr()
    raw = person_db.read_bytes()
    assert b"Zyxwar" not in raw and b"zyxwar" not in raw and "Zyxwarçon".encode() not in raw
    with db.session(person_db) as con, db.transaction(con):
        assert db.schema_version(con) == db.migrations()[-1][0]
        new_id = places.create(con, {"name": "Nouveau lieu", "insee": "09122", "lon": 1.6,
                                     "lat": 42.96, "typology": "Tiers-lieu"}, "alice")
        assert new_id == 43
        assert store_snapshots.read(con, 1).label == "Bilan 2025"
