"""Probable duplicates in the store: finding them over the inventory and in an import's
preview, « pas un doublon » remembered, a merge that moves everything in one audited
transaction, its undo, and a stale merge that writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from observatory.errors import ConflictError
from observatory.model import CRITERIA_KEYS
from observatory.service import duplicates as service
from observatory.service import places as place_cases
from observatory.store import db, duplicates, places
from observatory.store import imports as store_imports

VERNIOLLE, FOIX = "09332", "09122"
TABLES = {  # table -> ORDER BY, for exact comparisons before / after
    "evaluations": "id", "consortia": "id", "consortium_members": "consortium_id, place_id",
    "equipment": "id", "equipment_stays": "id", "place_sources": "source, record_id",
    "field_provenance": "place_id, field", "applications": "id",
}


@pytest.fixture
def con(initialised_db):
    """A connection to a database with the territory, on each back end (DuckDB, PostgreSQL)."""
    with db.session(initialised_db()) as connection:
        yield connection


def place(con, name, insee, lon, lat, **extra) -> int:
    values = {"name": name, "insee": insee, "lon": lon, "lat": lat, "typology": "Coworking",
              "legal_status": "Association", "opening_year": 2015, "thematics": ["numérique"],
              **extra}
    return places.insert(con, values)


def evaluation(con, place_id: int, day: int) -> None:
    con.execute("INSERT INTO evaluations (place_id, evaluated_on, evaluator, "
                + ", ".join(CRITERIA_KEYS) + ") VALUES (?, ?, 'Test', 3, 3, 3, 3, 3)",
                [place_id, dt.date(2025, 1, day)])


@pytest.fixture
def capwork(con):
    """CapWork (kept) and Cap Work (removed) at Verniolle, each with things pointing to it,
    and a third place, a consortium member with both."""
    kept = place(con, "CapWork", VERNIOLLE, 1.64812, 43.08170, website="https://capwork.fr")
    removed = place(con, "Cap Work", VERNIOLLE, 1.64830, 43.08200, opening_year=2012,
                    contact="Claire, 05 61 02 03 04")
    other = place(con, "Fablab de Foix", FOIX, 1.6053, 42.9653, typology="Fablab")
    evaluation(con, kept, 1)
    evaluation(con, removed, 2)
    evaluation(con, removed, 3)
    con.execute("INSERT INTO consortia (id, name, lead_place_id, location_place_id, call_year, "
                "status) VALUES (1, 'Ensemble', ?, ?, 2026, 'idea'), "
                "(2, 'Vallée', ?, ?, 2026, 'idea'), (3, 'Verniolle', ?, ?, 2026, 'idea')",
                [removed, removed, other, other, kept, kept])
    con.execute("INSERT INTO consortium_members VALUES (1, ?), (1, ?), (2, ?), (2, ?), (2, ?), "
                "(3, ?), (3, ?)", [removed, other, kept, removed, other, kept, removed])
    con.execute("INSERT INTO equipment (id, name, category, owner_place_id) VALUES "
                "(1, 'Découpeuse', 'machines', ?)", [removed])
    con.execute("INSERT INTO equipment_stays (equipment_id, place_id, start_date, end_date) "
                "VALUES (1, ?, DATE '2026-03-01', DATE '2026-03-31')", [removed])
    con.execute("INSERT INTO applications (call_year, consortium_id, status) "
                "VALUES (2026, 1, 'draft')")
    con.execute("INSERT INTO place_sources (place_id, source, record_id, file_name) VALUES "
                "(?, 'cget_2019', '1401', 'cget.csv'), (?, 'cget_2019', '1402', 'cget.csv'), "
                "(?, 'regional_list', 'capwork-verniolle', 'reseau.xlsx')",
                [kept, removed, removed])
    con.execute("INSERT INTO field_provenance (place_id, field, source, record_id) VALUES "
                "(?, 'name', 'cget_2019', '1401'), (?, 'coordinates', 'cget_2019', '1401'), "
                "(?, 'name', 'cget_2019', '1402'), "
                "(?, 'coordinates', 'regional_list', 'capwork-verniolle'), "
                "(?, 'address', 'regional_list', 'capwork-verniolle')",
                [kept, kept, removed, removed, removed])
    return kept, removed, other


def dump(con) -> dict:
    found = {table: con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
             for table, order in TABLES.items()}
    found["places"] = con.execute(
        "SELECT * EXCLUDE (version, updated_at) FROM places ORDER BY id").fetchall()
    return found


def audit_count(con) -> int:
    return con.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def versions(con, *ids) -> dict[int, int]:
    return {i: places.get(con, i)["version"] for i in ids}


def test_every_column_holding_a_place_id_is_moved_by_a_merge(con):
    """A new table pointing to places must be taught to the merge (and to its undo)."""
    columns = {(t, c) for t, c in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE column_name LIKE '%place_id%' OR column_name IN ('place_a', 'place_b')").fetchall()}
    handled = {(t, c) for t, c, _ in duplicates.PLACE_REFERENCES} | set(
        duplicates.HANDLED_ELSEWHERE)
    assert columns == handled


def test_the_inventory_pairs_name_the_duplicate_and_spare_the_neighbour(con, capwork):
    kept, removed, other = capwork
    pairs = service.inventory_pairs(con)
    assert [(p.a.key, p.b.key) for p in pairs] == [(kept, removed)]
    assert pairs[0].reason.startswith("noms identiques une fois normalisés (capwork), "
                                      "même commune (Verniolle)")
    assert service.pair_rows(pairs)[0]["a"] == {"key": kept, "name": "CapWork",
                                                "insee": VERNIOLLE, "commune": "Verniolle",
                                                "incoming": False}


def test_not_a_duplicate_is_remembered_and_audited(con, capwork):
    kept, removed, _ = capwork
    service.dismiss_pair(con, removed, kept, actor="Claire")
    assert service.inventory_pairs(con) == []
    assert duplicates.dismissed(con) == [(kept, removed)]
    service.dismiss_pair(con, kept, removed, actor="Claire")  # twice: still one decision
    assert duplicates.dismissed(con) == [(kept, removed)]
    actions = con.execute("SELECT action, actor FROM audit_log WHERE entity = 'duplicate'"
                          ).fetchall()
    assert actions == [("not_duplicate", "Claire")] * 2


def test_a_merge_moves_everything_to_the_kept_place_and_writes_one_audit_row(con, capwork):
    kept, removed, other = capwork
    before_audit = audit_count(con)
    done = service.merge_places(con, kept, removed, ["coordinates", "opening_year", "contact"],
                                versions(con, kept, removed), actor="Claire")
    assert places.get(con, removed) is None
    merged = places.get(con, kept)
    assert (merged["name"], merged["lon"], merged["lat"], merged["opening_year"],
            merged["website"], merged["contact"]) == (
        "CapWork", 1.64830, 43.08200, 2012, "https://capwork.fr", "Claire, 05 61 02 03 04")
    assert merged["version"] == done["version"] == 2
    assert con.execute("SELECT count(*) FROM evaluations WHERE place_id = ?",
                       [kept]).fetchone()[0] == 3
    assert con.execute("SELECT lead_place_id, location_place_id FROM consortia WHERE id = 1"
                       ).fetchone() == (kept, kept)
    members = con.execute("SELECT consortium_id, place_id FROM consortium_members "
                          "ORDER BY ALL").fetchall()
    assert members == sorted([(1, kept), (1, other), (2, kept), (2, other), (3, kept)])
    assert done["thin_consortia"] == ["Verniolle"]  # CapWork and Cap Work: now one place
    assert con.execute("SELECT owner_place_id FROM equipment").fetchone()[0] == kept
    assert con.execute("SELECT place_id FROM equipment_stays").fetchone()[0] == kept
    assert con.execute("SELECT place_id, source, record_id FROM place_sources ORDER BY ALL"
                       ).fetchall() == [(kept, "cget_2019", "1401"), (kept, "cget_2019", "1402"),
                                        (kept, "regional_list", "capwork-verniolle")]
    # The name stayed the kept one's (its provenance too); the coordinates came from the
    # regional list with the removed place; its address provenance had no rival.
    assert con.execute("SELECT field, source, record_id FROM field_provenance "
                       "WHERE place_id = ? ORDER BY field", [kept]).fetchall() == [
        ("address", "regional_list", "capwork-verniolle"),
        ("coordinates", "regional_list", "capwork-verniolle"), ("name", "cget_2019", "1401")]
    assert con.execute("SELECT count(*) FROM field_provenance WHERE place_id = ?",
                       [removed]).fetchone()[0] == 0
    assert audit_count(con) == before_audit + 1
    entry = con.execute("SELECT entity, entity_id, action FROM audit_log ORDER BY id DESC "
                        "LIMIT 1").fetchone()
    assert entry == ("place", kept, "merge")
    history = place_cases.place_audit(con, kept)
    old, new = history.iloc[0]["old_values"], history.iloc[0]["new_values"]
    assert old["removed_place"]["name"] == "Cap Work"
    assert old["removed_place"]["contact"] == "Claire, 05 61 02 03 04"
    assert new["moved"]["evaluations"] and new["moved"]["equipment_stays"]
    assert new["moved"]["consortium_members"] == [1]
    assert new["moved"]["consortium_members_dropped"] == [2, 3]


def test_undoing_a_merge_restores_exactly_what_was_there(con, capwork):
    kept, removed, _ = capwork
    before = dump(con)
    service.merge_places(con, kept, removed, ["name", "coordinates", "website"],
                         versions(con, kept, removed), actor="Claire")
    merge_id = con.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    assert dump(con) != before
    version = place_cases.restore_place(con, merge_id, places.get(con, kept)["version"],
                                        actor="Claire")
    assert dump(con) == before
    assert places.get(con, removed)["name"] == "Cap Work"
    assert version == places.get(con, kept)["version"] == 3
    # Twice: refused, nothing written.
    with pytest.raises(ConflictError, match="déjà été annulée"):
        place_cases.restore_place(con, merge_id, version, actor="Claire")
    assert dump(con) == before
    # The place form's plain undo refuses a merge row: it would not bring the place back.
    with pytest.raises(ConflictError, match="fusion"):
        places.restore(con, merge_id, version, "Claire")


def test_a_stale_merge_writes_nothing(con, capwork):
    kept, removed, _ = capwork
    seen = versions(con, kept, removed)
    places.update(con, removed, {"website": "https://cap-work.fr"}, seen[removed], "Karim")
    before, before_audit = dump(con), audit_count(con)
    with pytest.raises(ConflictError, match="modifié par quelqu'un d'autre"):
        service.merge_places(con, kept, removed, ["website"], seen, actor="Claire")
    assert dump(con) == before and audit_count(con) == before_audit
    assert con.execute("SELECT count(*) FROM places").fetchone()[0] == 3


def test_a_merge_of_a_place_already_merged_away_is_refused(con, capwork):
    kept, removed, _ = capwork
    seen = versions(con, kept, removed)
    service.merge_places(con, kept, removed, [], seen, actor="Claire")
    with pytest.raises(ConflictError, match="n'existe plus"):
        service.merge_places(con, kept, removed, [], {kept: 2, removed: seen[removed]},
                             actor="Claire")


CSV = ("Nom du lieu;Commune;Code INSEE;Latitude;Longitude;Typologie\n"
       "Cap Work;Verniolle;09332;43,08200;1,64830;Coworking\n"
       "La Brouette;Verniolle;09332;43,08300;1,64900;Café/bar associatif\n"
       "Tiers-lieu La Fabrique de Foix;Foix;09122;42,96530;1,60750;Fablab\n"
       "La Fabrique;Foix;09122;;;Fablab\n")


def test_the_import_preview_lists_the_rows_that_are_probably_a_stored_place_or_each_other(con):
    kept = place(con, "CapWork", VERNIOLLE, 1.64812, 43.08170)
    report = store_imports.preview(con, CSV.encode(), "liste.csv", "places")
    assert report.ok  # a warning, not a block
    pairs = service.import_pairs(con, report)
    found = {(str(p.a.key), str(p.b.key)) for p in pairs}
    assert found == {(str(kept), "ligne 2"), ("ligne 4", "ligne 5")}
    table = service.import_table(pairs)
    row = table[table["ligne"] == 2].iloc[0]
    assert row["probablement le même que"] == f"CapWork (n° {kept})"
    assert row["raison"].startswith("noms identiques une fois normalisés (capwork)")
    assert "La Brouette" not in set(table["lieu importé"])


def test_a_stale_undo_writes_nothing(con, capwork):
    kept, removed, _ = capwork
    service.merge_places(con, kept, removed, ["coordinates"], versions(con, kept, removed),
                         actor="Claire")
    merge_id = con.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    loaded = places.get(con, kept)["version"]
    places.update(con, kept, {"website": "https://capwork.org"}, loaded, "Karim")
    before, before_audit = dump(con), audit_count(con)
    with pytest.raises(ConflictError, match="modifié par quelqu'un d'autre"):
        place_cases.restore_place(con, merge_id, loaded, actor="Claire")
    assert dump(con) == before and audit_count(con) == before_audit


def test_the_right_to_erasure_reaches_the_decisions_and_the_merged_record(con, capwork):
    from observatory.store import erasure

    kept, removed, other = capwork
    service.dismiss_pair(con, kept, other, actor="Claire Dupont")
    service.merge_places(con, kept, removed, [], versions(con, kept, removed), actor="Karim")
    report = erasure.erase_person(con, "Claire", actor="dpo", dry_run=False)
    assert report.changed["duplicate_decisions.decided_by"] == 1
    assert con.execute("SELECT decided_by FROM duplicate_decisions").fetchone()[0] != (
        "Claire Dupont")
    merge_row = con.execute("SELECT old_values FROM audit_log WHERE action = 'merge'"
                            ).fetchone()[0]
    assert "Claire" not in merge_row  # the removed place's contact, inside the record


def test_a_demonstration_place_is_never_merged_with_a_real_one(con, capwork):
    kept, removed, _ = capwork
    con.execute("UPDATE places SET is_demo = true WHERE id = ?", [kept])
    assert service.inventory_pairs(con) == []  # not proposed
    before = dump(con)
    with pytest.raises(ConflictError, match="démonstration"):
        service.merge_places(con, kept, removed, [], versions(con, kept, removed),
                             actor="Claire")
    assert dump(con) == before
