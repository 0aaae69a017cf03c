"""The import write path: re-checked at write time, written in bulk, audited place by place."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from observatory import cli
from observatory.consortia import ConflictError
from observatory.importing import ADD, UPDATE, ValidationReport
from observatory.store import StoreError, audit, db, evaluations, imports, places, territory

STALE = "Les données ont changé depuis la vérification"


@pytest.fixture
def db_copy(demo_db, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(demo_db, path)
    with db.session(path) as con:
        db.migrate(con)
    return path


def places_csv(db_path, rows: int, *, start: int = 0, scores: bool = True) -> bytes:
    """``rows`` new places at the inner point of perimeter communes, with scores."""
    with db.session(db_path, read_only=True) as con:
        communes = territory.communes(con)
    inside = communes[communes["in_perimeter"]].reset_index(drop=True)
    header = "Nom du lieu;Code INSEE;Latitude;Longitude;Typologie;Statut juridique;Thématiques"
    if scores:
        header += (";Création de communs;Réponse innovante aux besoins;Dynamique collective;"
                   "Ancrage territorial;Gouvernance et leadership partagé;Date d'évaluation")
    lines = [header]
    for k in range(start, start + rows):
        commune = inside.iloc[k % len(inside)]
        line = (f"Lieu importé {k};{commune.insee};{commune.lat:.6f};{commune.lon:.6f};"
                f"Fablab;Association;numérique|réemploi")
        if scores:
            line += f";{k % 5};3;2,5;4;1;15/03/2025"
        lines.append(line)
    return "\n".join(lines).encode("utf-8")


def table_counts(path) -> dict[str, int]:
    with db.session(path, read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("places", "evaluations", "audit_log")}


def preview(path, data: bytes, **options):
    with db.session(path) as con:
        return imports.preview(con, data, "lieux.csv", "places", **options)


def apply(path, report, **options):
    with db.session(path) as con, db.transaction(con):
        return imports.apply(con, report, "Claire", **options)


# --- re-checked at write time --------------------------------------------------------------

def test_a_file_imported_elsewhere_since_the_check_is_refused_not_duplicated(db_copy, tmp_path):
    data = places_csv(db_copy, 8)
    report = preview(db_copy, data)  # the Importer page checks the file…
    assert report.ok and report.counts() == {ADD: 8}
    source = tmp_path / "lieux.csv"
    source.write_bytes(data)  # …meanwhile someone imports the same file with the CLI
    assert cli.main(["import", "places", str(source), "--db", str(db_copy), "--by", "Karim"]) == 0
    after_cli = table_counts(db_copy)
    with pytest.raises(StoreError, match=STALE) as refused:
        apply(db_copy, report)  # …then the page writes what it checked
    message = str(refused.value)
    assert "8 lieux à ajouter existent maintenant" in message
    assert "vérifiez à nouveau le fichier ; rien n'a été écrit" in message
    assert table_counts(db_copy) == after_cli
    with db.session(db_copy, read_only=True) as con:
        names = places.current(con)["name"]
    assert not names.duplicated().any()


def test_a_place_to_update_changed_since_the_check_is_refused(db_copy):
    with db.session(db_copy, read_only=True) as con:
        target = places.current(con).iloc[0]
    data = ("Nom du lieu;Code INSEE;Typologie;Site web\n"
            f"{target['name']};{target['insee']};{target['typology']};"
            "https://import.exemple.org").encode()
    report = preview(db_copy, data)
    assert report.counts() == {UPDATE: 1}
    with db.session(db_copy) as con, db.transaction(con):  # an analyst edits it meanwhile
        places.update(con, int(target["id"]), {"contact": "karim@exemple.org"},
                      int(target["version"]), "Karim")
    before = table_counts(db_copy)
    with pytest.raises(StoreError, match=STALE) as refused:
        apply(db_copy, report)
    assert "1 lieu à mettre à jour a été modifié" in str(refused.value)
    assert table_counts(db_copy) == before
    with db.session(db_copy, read_only=True) as con:
        assert places.get(con, int(target["id"]))["website"] != "https://import.exemple.org"


def test_an_evaluations_file_imported_twice_through_a_stale_check_is_refused(db_copy, tmp_path):
    with db.session(db_copy, read_only=True) as con:
        target = places.current(con).iloc[3]
    data = ("Identifiant observatoire;Création de communs;Réponse innovante aux besoins;"
            "Dynamique collective;Ancrage territorial;Gouvernance et leadership partagé;"
            f"Date d'évaluation\n{target['id']};1;1;1;1;1;02/01/2026").encode()
    with db.session(db_copy) as con:
        report = imports.preview(con, data, "notes.csv", "evaluations")
    assert report.ok and report.counts() == {ADD: 1}
    assert apply(db_copy, report) == {"added": 0, "updated": 0, "evaluations": 1}
    before = table_counts(db_copy)
    with pytest.raises(StoreError, match=STALE):
        apply(db_copy, report)
    assert table_counts(db_copy) == before


def test_an_unrelated_change_since_the_check_does_not_block_the_import(db_copy):
    report = preview(db_copy, places_csv(db_copy, 5))
    with db.session(db_copy) as con, db.transaction(con):  # another place is edited meanwhile
        other = places.get(con, 1)
        places.update(con, 1, {"website": "https://autre.exemple.org"}, other["version"], "Karim")
    before = table_counts(db_copy)
    assert apply(db_copy, report) == {"added": 5, "updated": 0, "evaluations": 5}
    assert table_counts(db_copy)["places"] == before["places"] + 5


class Sessions:
    """``lambda: db.session(path)`` that counts the sessions opened."""

    def __init__(self, path):
        self.path, self.opened = path, 0

    def __call__(self):
        self.opened += 1
        return db.session(self.path)


def test_write_validates_again_outside_the_transaction_when_the_store_changed(db_copy):
    report = preview(db_copy, places_csv(db_copy, 5))
    with db.session(db_copy) as con, db.transaction(con):  # another place is edited meanwhile
        other = places.get(con, 1)
        places.update(con, 1, {"website": "https://autre.exemple.org"}, other["version"], "Karim")
    sessions = Sessions(db_copy)
    assert imports.write(sessions, report, "Claire") == {"added": 5, "updated": 0,
                                                          "evaluations": 5}
    # given up before writing, read again (short), validated without a connection, written
    assert sessions.opened == 3
    assert imports.write(Sessions(db_copy), preview(db_copy, places_csv(db_copy, 2, start=50)),
                         "Claire")["added"] == 2  # unchanged store: one session


def test_write_refuses_what_another_import_already_wrote(db_copy):
    data = places_csv(db_copy, 6)
    report = preview(db_copy, data)
    assert imports.write(Sessions(db_copy), preview(db_copy, data), "Karim")["added"] == 6
    before = table_counts(db_copy)
    with pytest.raises(StoreError, match="6 lieux à ajouter existent maintenant"):
        imports.write(Sessions(db_copy), report, "Claire")
    assert table_counts(db_copy) == before


def test_preview_passes_extra_validation_options_through(db_copy):
    data = places_csv(db_copy, 1).replace(b";15/03/2025", b";")
    report = preview(db_copy, data, today=dt.date(2024, 2, 29))
    assert report.records[0].evaluation["evaluated_on"] == dt.date(2024, 2, 29)


def test_validation_needs_no_connection_once_the_store_is_read(db_copy):
    with db.session(db_copy, read_only=True) as con:
        state = imports.read_store(con)
    report = imports.validate(state, places_csv(db_copy, 3), "lieux.csv", "places")
    assert report.counts() == {ADD: 3}
    assert apply(db_copy, report)["added"] == 3


# --- written in bulk ---------------------------------------------------------------------

class CountingConnection:
    """Forwards to a DuckDB connection and counts the SQL statements sent."""

    def __init__(self, con):
        self.con, self.statements = con, 0

    def execute(self, *args, **kwargs):
        self.statements += 1
        return self.con.execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        self.statements += 1
        return self.con.executemany(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.con, name)


@pytest.mark.parametrize("kind", ["additions", "updates"])
def test_the_number_of_statements_does_not_grow_with_the_rows(db_copy, kind):
    def statements(rows: int, start: int) -> int:
        data = places_csv(db_copy, rows, start=start)
        if kind == "updates":
            apply(db_copy, preview(db_copy, data))
            data = data.replace(b"Association", b"SCIC").replace(b";3;2,5;", b";4;2,5;")
        report = preview(db_copy, data)
        with db.session(db_copy) as con, db.transaction(con):
            counting = CountingConnection(con)
            imports.apply(counting, report, "Claire")
        return counting.statements

    assert statements(40, start=0) == statements(4, start=100)


# --- audited place by place: history and undo keep working ------------------------------------

def test_each_imported_place_and_evaluation_has_its_audit_entry(db_copy):
    before = table_counts(db_copy)
    assert apply(db_copy, preview(db_copy, places_csv(db_copy, 3))) == {
        "added": 3, "updated": 0, "evaluations": 3}
    with db.session(db_copy, read_only=True) as con:
        current = places.current(con)
        added = current[current["name"].str.startswith("Lieu importé")]
        assert len(added) == 3
        for place_id in added["id"].astype(int):
            entries = audit.history(con, "place", place_id)
            assert entries["action"].tolist() == ["create"]
            assert entries["actor"].tolist() == ["Claire"]
            stored = places.get(con, place_id)
            del stored["version"]
            assert entries["new_values"].iloc[0] == stored  # what undo and history read
            assert stored["thematics"] == ["numérique", "réemploi"]
            stored = evaluations.history(con, place_id)
            assert len(stored) == 1
            logged = audit.history(con, "evaluation", int(stored["id"].iloc[0]))
            assert logged["new_values"].iloc[0]["place_id"] == place_id
            assert logged["new_values"].iloc[0]["evaluated_on"] == "2025-03-15"
    assert table_counts(db_copy)["audit_log"] == before["audit_log"] + 6


def test_an_imported_update_is_audited_and_can_be_undone(db_copy):
    with db.session(db_copy, read_only=True) as con:
        target = places.get(con, 5)
    data = ("Identifiant observatoire;Nom du lieu;Code INSEE;Typologie;Site web;"
            f"Statut juridique\n5;{target['name']};{target['insee']};{target['typology']};"
            "https://nouveau.exemple.org;SCIC").encode()
    report = preview(db_copy, data)
    assert apply(db_copy, report)["updated"] == 1
    with db.session(db_copy) as con:
        updated = places.get(con, 5)
        assert updated["website"] == "https://nouveau.exemple.org"
        assert updated["version"] == target["version"] + 1
        change = audit.history(con, "place", 5).iloc[0]
        assert change["action"] == "import" and change["actor"] == "Claire"
        assert change["old_values"] == {"legal_status": target["legal_status"],
                                        "website": target["website"]}
        assert change["new_values"] == {"legal_status": "SCIC",
                                        "website": "https://nouveau.exemple.org"}
        with db.transaction(con):
            places.restore(con, int(change["id"]), updated["version"], "Karim")
        restored = places.get(con, 5)
    assert restored["website"] == target["website"]
    assert restored["legal_status"] == target["legal_status"]


def test_a_stale_update_without_a_source_still_raises_a_conflict(db_copy):
    """Forms validate and write on one connection: the version check still guards them."""
    with db.session(db_copy) as con:
        target = places.get(con, 2)
        report = imports.preview(con, (
            "Identifiant observatoire;Nom du lieu;Code INSEE;Typologie;Site web\n"
            f"2;{target['name']};{target['insee']};{target['typology']};"
            "https://form.exemple.org").encode(), "f.csv", "places")
        assert report.counts() == {UPDATE: 1}
        plain = ValidationReport(report.kind, report.records,
                                                   report.problems, report.preview)
        with db.transaction(con):
            loaded = places.get(con, 2)
            places.update(con, 2, {"contact": "x@exemple.org"}, loaded["version"], "Karim")
        with pytest.raises(ConflictError, match="modifié par quelqu'un d'autre"):
            with db.transaction(con):
                imports.apply(con, plain, "Claire")
        assert places.get(con, 2)["website"] != "https://form.exemple.org"


def test_a_refused_score_rolls_back_the_whole_bulk_write(db_copy):
    report = preview(db_copy, places_csv(db_copy, 4))
    bad = report.records[2]
    bad.evaluation["commons"] = 9.0  # beyond what the schema accepts
    before = table_counts(db_copy)
    with pytest.raises(duckdb.ConstraintException, match="CHECK constraint failed"):
        apply(db_copy, report)
    assert table_counts(db_copy) == before


# --- replacing the demonstration data -------------------------------------------------------

DEMO_TABLES = {"places": "places WHERE is_demo", "consortia": "consortia WHERE is_demo",
               "equipment": "equipment WHERE is_demo", "calls": "calls WHERE is_demo"}


def test_replacing_the_demo_reports_beforehand_and_afterwards_what_it_removes(db_copy):
    with db.session(db_copy, read_only=True) as con:
        before = places.demo_counts(con)
    assert all(before[k] > 0 for k in ("places", "evaluations", "consortia", "applications",
                                       "equipment", "stays", "calls")), before
    assert before["calls_kept"] == 0
    report = preview(db_copy, places_csv(db_copy, 2), replace_demo=True)
    assert report.ok and report.demo_removal == before
    assert preview(db_copy, places_csv(db_copy, 2)).demo_removal == {}  # demo kept

    written = apply(db_copy, report, replace_demo=True)
    assert written == {"added": 2, "updated": 0, "evaluations": 2,
                       **{f"demo_{k}": n for k, n in before.items()}}
    with db.session(db_copy, read_only=True) as con:
        assert places.demo_counts(con) == dict.fromkeys(before, 0)
        left = {k: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for k, t in DEMO_TABLES.items()}
    assert left == dict.fromkeys(DEMO_TABLES, 0)


def test_delete_demo_counts_what_it_deleted_not_what_was_announced(db_copy):
    with db.session(db_copy) as con, db.transaction(con):  # one demo stay less since the check
        con.execute("DELETE FROM equipment_stays WHERE id = (SELECT min(id) FROM equipment_stays)")
        expected = places.demo_counts(con)
        assert places.delete_demo(con) == expected
