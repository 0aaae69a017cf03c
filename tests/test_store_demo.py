"""Removing the demonstration data: its calls for projects go with it (migration 008 flags
them), and records someone entered on top of it are never left pointing at nothing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from observatory import bootstrap, cli, importing
from observatory.consortia import Consortium
from observatory.equipment import Equipment
from observatory.store import audit, consortia, db, equipment, imports, places

from .test_import_write import places_csv

DEMO_NOTE = "Appel à projets de démonstration"
SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "docs" / "schemas" / "import.json"
                     ).read_text(encoding="utf-8"))


@pytest.fixture
def demo_copy(demo_copy):
    """The demonstration database on each back end (conftest), migrated to the code's schema."""
    with db.session(demo_copy) as con:
        db.migrate(con)
    return demo_copy


def call_flags(con) -> dict[int, bool]:
    return {int(y): bool(f) for y, f in con.execute("SELECT year, is_demo FROM calls").fetchall()}


def demo_places(con) -> list[tuple[int, str]]:
    return con.execute("SELECT id, name FROM places WHERE is_demo ORDER BY id").fetchall()


def real_place(con, like: int, name: str) -> int:
    """A place someone entered, in the commune of the demonstration place ``like``."""
    place = places.get(con, like)
    for key in ("id", "archived", "version"):
        place.pop(key)
    return places.create(con, dict(place, name=name, is_demo=False), "claire")


def table_counts(path) -> dict[str, int]:
    with db.session(path, read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("places", "evaluations", "consortia", "equipment", "equipment_stays",
                          "calls", "applications", "audit_log")}


# --- migration 008 ------------------------------------------------------------------------

def test_migration_008_flags_the_calls_the_demonstration_wrote_and_only_those(tmp_path):
    path = tmp_path / "v7.duckdb"
    with db.session(path) as con:
        assert db.migrate(con, target=7)[-1] == "007_login_attempts.sql"
        for year in range(2023, 2029):  # as the loader of schema 7 wrote them
            con.execute("INSERT INTO calls VALUES (?, 60000, ?, ?, ?)",
                        [year, dt.date(year, 2, 1), dt.date(year, 4, 30), DEMO_NOTE])
            audit.record(con, actor=bootstrap.DEMO_AUTHOR, entity="call", entity_id=year,
                         action="create", old=None, new={"year": year, "notes": DEMO_NOTE})
        con.execute("INSERT INTO calls VALUES (2030, 90000, NULL, NULL, 'Appel réel du PETR')")
        # 2024: someone set its real budget on the Appels page (which keeps the note)
        audit.record(con, actor="claire", entity="call", entity_id=2024, action="update",
                     old={"budget": 60000}, new={"budget": 85000})
        # 2025: a consortium someone formed applied to it
        (real,) = con.execute("INSERT INTO consortia (name, lead_place_id, call_year, status) "
                              "VALUES ('Réseau réel', 1, 2025, 'submitted') RETURNING id"
                              ).fetchone()
        con.execute("INSERT INTO applications (call_year, consortium_id, status) "
                    "VALUES (2025, ?, 'submitted')", [real])
        # 2026: only a demonstration consortium applied to it: still a demonstration call
        (demo,) = con.execute("INSERT INTO consortia (name, lead_place_id, call_year, status, "
                              "is_demo) VALUES ('Réseau démo', 2, 2026, 'submitted', true) "
                              "RETURNING id").fetchone()
        con.execute("INSERT INTO applications (call_year, consortium_id, status) "
                    "VALUES (2026, ?, 'submitted')", [demo])

        assert db.migrate(con)[0] == "008_demo_calls.sql"  # then the later ones
        assert call_flags(con) == {2023: True, 2024: False, 2025: False, 2026: True,
                                   2027: True, 2028: True, 2030: False}


def test_the_demonstration_writes_its_calls_flagged_and_saving_one_makes_it_real(demo_copy):
    with db.session(demo_copy) as con:
        assert call_flags(con) == dict.fromkeys(range(2023, 2029), True)
        assert places.demo_counts(con)["calls"] == 6
        with db.transaction(con):  # someone enters the real 2025 budget (the note is kept)
            equipment.save_call(con, 2025, 75000.0, dt.date(2025, 2, 1), dt.date(2025, 4, 30),
                                DEMO_NOTE, actor="claire")
        assert call_flags(con)[2025] is False
        assert places.demo_counts(con)["calls"] == 5
        # demonstration calls are not data of the database's own (init --demo is not refused)
        con.execute("DELETE FROM calls WHERE year = 2025")
        assert "calls" not in bootstrap.existing_data(con)


# --- delete_demo and its counts -----------------------------------------------------------

def test_delete_demo_removes_the_demo_calls_but_keeps_those_someones_records_use(demo_copy):
    with db.session(demo_copy) as con, db.transaction(con):
        (first, _), (second, _) = demo_places(con)[:2]
        a, b = real_place(con, first, "Tiers-lieu réel A"), real_place(con, second, "Réel B")
        real = consortia.create(con, Consortium(name="Réseau réel", member_ids=[a, b],
                                                lead_place_id=a, location_place_id=a,
                                                call_year=2025, status="submitted"), "claire")
        equipment.save_application(con, {"call_year": 2025, "consortium_id": real,
                                         "amount_requested": 12000.0, "status": "submitted"},
                                   actor="claire")
        equipment.create(con, Equipment(name="Broyeur à végétaux", category="tools",
                                        owner_place_id=b, call_year=2024, amount_funded=900.0,
                                        purchase_value=1200.0), actor="claire")
        counts = places.demo_counts(con)
        assert (counts["calls"], counts["calls_kept"]) == (4, 2)
        assert places.delete_demo(con) == counts
        assert call_flags(con) == {2024: True, 2025: True}  # kept, still what they are
        assert places.demo_counts(con)["calls"] == 0
    text = importing.demo_removal_text(counts)
    assert text.endswith(
        " et 4 appels à projets de démonstration (2 appels à projets de démonstration sont "
        "conservés, car des candidatures ou des équipements saisis s'y rattachent : vérifiez "
        "leurs budgets et leurs dates, page Appels à projets)"), text


def test_a_real_call_next_to_the_demonstration_is_never_removed(demo_db, tmp_path):
    path = tmp_path / "mixed.duckdb"
    shutil.copyfile(demo_db, path)
    with db.session(path) as con, db.transaction(con):
        con.execute("DELETE FROM calls WHERE year = 2026")  # as if loaded next to a real call
        equipment.save_call(con, 2026, 123456.0, None, None, "Appel réel du PETR",
                            actor="claire")
        removed = places.delete_demo(con)
        assert (removed["calls"], removed["calls_kept"]) == (5, 0)
        assert con.execute("SELECT year, budget FROM calls").fetchall() == [(2026, 123456.0)]


# --- records someone entered on top of the demonstration ----------------------------------

def entangle(con) -> dict[str, str]:
    """Records of someone's referring to demonstration places or consortia; their names."""
    (d1, n1), (d2, n2) = demo_places(con)[:2]
    real = real_place(con, d1, "Tiers-lieu réel")
    consortia.create(con, Consortium(name="Réseau mixte", member_ids=[real, d1],
                                     lead_place_id=real, location_place_id=real,
                                     call_year=2026), "claire")
    equipment.create(con, Equipment(name="Broyeur partagé", category="tools",
                                    owner_place_id=d1), actor="claire")
    demo_consortium, demo_name = con.execute(
        "SELECT id, name FROM consortia WHERE is_demo ORDER BY id LIMIT 1").fetchone()
    item = equipment.create(con, Equipment(name="Remorque atelier", category="vehicle",
                                           owner_place_id=real, itinerant=True,
                                           consortium_id=demo_consortium), actor="claire")
    equipment.add_stay(con, item, d2, dt.date(2026, 6, 1), dt.date(2026, 6, 10), actor="claire")
    return {"d1": n1, "d2": n2, "consortium": demo_name}


def test_demo_in_use_lists_each_record_that_would_point_at_nothing(demo_copy):
    with db.session(demo_copy) as con:
        assert places.demo_in_use(con) == []  # the demonstration alone: nothing in the way
        with db.transaction(con):
            names = entangle(con)
        assert places.demo_in_use(con) == [
            f"le consortium « Réseau mixte » (lieux de démonstration : « {names['d1']} »)",
            f"l'équipement « Broyeur partagé » (détenu par le lieu de démonstration "
            f"« {names['d1']} »)",
            f"l'équipement « Remorque atelier » (financé par le consortium de démonstration "
            f"« {names['consortium']} »)",
            f"le séjour de l'équipement « Remorque atelier » au lieu de démonstration "
            f"« {names['d2']} » du 01/06/2026 au 10/06/2026"]


def test_replacing_the_demo_is_refused_cleanly_while_someones_records_refer_to_it(demo_copy):
    data = places_csv(demo_copy, 2)
    with db.session(demo_copy) as con:
        checked_before = imports.preview(con, data, "lieux.csv", "places", replace_demo=True)
        assert checked_before.ok
        with db.transaction(con):
            entangle(con)
        report = imports.preview(con, data, "lieux.csv", "places", replace_demo=True)
        assert imports.preview(con, data, "lieux.csv", "places").ok  # keeping the demo: fine
    assert not report.ok and report.errors.empty and len(report.demo_in_use) == 4
    text = report.demo_in_use_text()
    assert text.startswith("Les données de démonstration ne peuvent pas être retirées")
    assert "« Réseau mixte »" in text and "Rattachez-les à des lieux réels" in text

    before = table_counts(demo_copy)
    # refused whether the check saw them (the preview) or not (they came after it)
    for checked in (report, checked_before):
        with pytest.raises(places.DemoInUseError, match="Rien n'a été écrit"):
            imports.write(lambda: db.session(demo_copy), checked, "Karim", replace_demo=True)
    assert table_counts(demo_copy) == before

    with db.session(demo_copy) as con, db.transaction(con):
        with pytest.raises(places.DemoInUseError):
            places.delete_demo(con)
        # archived, they are out of the way: the demonstration can go
        for (cid,) in con.execute("SELECT id FROM consortia WHERE NOT is_demo").fetchall():
            consortia.archive(con, cid, "claire")
        for (item,) in con.execute("SELECT id FROM equipment WHERE NOT is_demo").fetchall():
            equipment.archive(con, item, actor="claire")
        assert places.demo_in_use(con) == []


def test_the_cli_says_why_replace_demo_is_refused(demo_copy, tmp_path, capsys):
    with db.session(demo_copy) as con, db.transaction(con):
        entangle(con)
    source = tmp_path / "lieux.csv"
    source.write_bytes(places_csv(demo_copy, 2))
    before = table_counts(demo_copy)
    args = ["import", "places", str(source), "--db", str(demo_copy), "--by", "Karim",
            "--replace-demo"]
    assert cli.main(args) == 2
    out = capsys.readouterr().out
    assert "ne peuvent pas être retirées" in out and "sans --replace-demo" in out
    assert cli.main([*args, "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["ok"] is False and report["written"] is False
    assert len(report["demo_in_use"]) == 4
    assert table_counts(demo_copy) == before
