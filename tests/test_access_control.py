"""Roles are checked where the action runs: every writer of ``observatory.ui.data`` and the
export with contacts refuse a reader even when called directly, without a page or a button.

The functions are called in Streamlit's bare mode (no script run), in protected mode (an
accounts file in $OBSERVATORY_USERS): ``current_user()`` is the real one, a reader until
``st.session_state`` holds an analyst's name, exactly as after the sidebar login.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest
import streamlit as st

from observatory import auth, bootstrap
from observatory.auth import PermissionDenied
from observatory.consortia import Consortium
from observatory.equipment import Equipment
from observatory.errors import ObservatoryError
from observatory.maturity import MaturityRule
from observatory.store import db, live
from observatory.store import snapshots as store_snapshots
from observatory.ui import auth as ui_auth
from observatory.ui import data

FIXTURES = Path(__file__).parent / "fixtures" / "import"
ANALYST = "alice"


@pytest.fixture
def protected(tmp_path, monkeypatch, demo_db):
    """Protected mode on this test's copy of the demonstration database, with one snapshot."""
    monkeypatch.setattr(auth, "ROUNDS", 4)
    users = tmp_path / "users.toml"
    auth.save_user(users, ANALYST, auth.ANALYST, "Une-phrase-de-passe-solide-42")
    monkeypatch.setenv(auth.USERS_ENV, str(users))
    path = tmp_path / "observatory.duckdb"
    shutil.copy(demo_db, path)
    with db.session(path) as con, db.transaction(con):
        store_snapshots.create(con, live.bundle(con, label="Bilan de test", created_by="test"))
    monkeypatch.setenv("OBSERVATORY_DB", str(path))
    _reset()
    yield path
    _reset()


def _reset() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    st.session_state.pop(ui_auth.SESSION_KEY, None)


def log_in() -> None:
    st.session_state[ui_auth.SESSION_KEY] = ANALYST


def fingerprint(path: Path) -> dict[str, str]:
    """A digest of every table's content: equal before and after means nothing was written."""
    with db.session(path, read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY table_name").fetchall()]
        return {t: hashlib.sha256(con.execute(f'SELECT * FROM "{t}"').df()
                                  .to_csv(index=False).encode()).hexdigest() for t in tables}


def rows(path: Path, sql: str, params=()) -> list[tuple]:
    with db.session(path, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def one(path: Path, sql: str, params=()):
    return rows(path, sql, params)[0]


def first_place(path: Path) -> tuple[int, int]:
    return one(path, "SELECT id, version FROM places WHERE NOT archived ORDER BY id LIMIT 1")


def place_values(path: Path, **changes) -> dict:
    place_id, _ = first_place(path)
    row = data.place_record(place_id)
    values = {k: row[k] for k in ("name", "insee", "lat", "lon", "typology", "legal_status",
                                  "opening_year", "transition_oriented", "website", "contact")}
    values["thematics"] = "|".join(row["thematics"])
    return {**values, "place_id": place_id, **changes}


def consortium(path: Path) -> Consortium:
    ids = [r[0] for r in rows(path, "SELECT id FROM places ORDER BY id LIMIT 2")]
    return Consortium(name="Consortium de contrôle", member_ids=ids, lead_place_id=ids[0],
                      call_year=2026, status="idea")


def equipment_item(path: Path) -> Equipment:
    place_id, _ = first_place(path)
    return Equipment(name="Perceuse de contrôle", category="tools", owner_place_id=place_id)


# Each writer, called the way a page calls it, with what it needs from the database.
def _save_rule(path):
    data.save_rule(MaturityRule(2.5, 1.5), "tapé dans la page")


def _add_consortium(path):
    data.save_consortium(consortium(path), "tapé dans la page")


def _archive_consortium(path):
    data.archive_consortium(int(one(path, "SELECT min(id) FROM consortia WHERE NOT archived")[0]),
                            "tapé dans la page")


def _create_snapshot(path):
    data.create_snapshot("Bilan du lecteur", "tapé dans la page")


def _delete_snapshot(path):
    data.delete_snapshot(int(one(path, "SELECT min(id) FROM snapshots")[0]))


def _add_equipment(path):
    data.save_equipment(equipment_item(path))


def _edit_equipment(path):
    row = one(path, "SELECT id, version FROM equipment WHERE NOT archived ORDER BY id LIMIT 1")
    item = equipment_item(path)
    item.id, item.version = int(row[0]), int(row[1])
    data.save_equipment(item)


def _archive_equipment(path):
    data.archive_equipment(int(one(path, "SELECT min(id) FROM equipment WHERE NOT archived")[0]))


def _add_stay(path):
    item = int(one(path, "SELECT min(id) FROM equipment WHERE NOT archived")[0])
    data.add_stay(item, first_place(path)[0], dt.date(2031, 1, 1), dt.date(2031, 1, 9), "contrôle")


def _delete_stay(path):
    data.delete_stay(int(one(path, "SELECT min(id) FROM equipment_stays")[0]))


def _book_tour(path):
    item = int(one(path, "SELECT min(id) FROM equipment WHERE NOT archived")[0])
    data.book_tour(item, [{"place_id": first_place(path)[0], "start": dt.date(2031, 5, 1),
                           "end": dt.date(2031, 5, 7)}], "tapé dans la page")


def _save_call(path):
    data.save_call(2031, 10000.0, dt.date(2031, 2, 1), dt.date(2031, 4, 30), "contrôle")


def _save_application(path):
    data.save_application({"call_year": 2026, "status": "draft", "amount_requested": 1000.0,
                           "consortium_id": int(one(path, "SELECT min(id) FROM consortia")[0])})


def _import(path):
    raw = (FIXTURES / "inventaire_excel_fr.csv").read_bytes()
    report = data.import_preview(raw, "inventaire_excel_fr.csv", "places", None, False)
    assert report.ok and report.to_write(), report.problem_table
    data.import_apply(report, "tapé dans la page", False)


def _edit_place(path):
    data.save_place_form(place_values(path, website="https://controle.example.org"),
                         first_place(path)[1], "tapé dans la page")


def _add_evaluation(path):
    scores = dict.fromkeys(("commons", "innovative_response", "collective_dynamic",
                            "territorial_anchoring", "shared_governance"), 3.0)
    data.save_evaluation_form({"place_id": first_place(path)[0], "evaluated_on": dt.date.today(),
                               "evaluator": "Camille Contrôle", **scores, "evidence": "visite"},
                              "tapé dans la page")


def _archive_place(path):
    place_id, version = first_place(path)
    data.archive_place(place_id, version, "tapé dans la page")


WRITERS = {
    "save_rule": _save_rule, "save_consortium": _add_consortium,
    "archive_consortium": _archive_consortium, "create_snapshot": _create_snapshot,
    "delete_snapshot": _delete_snapshot, "save_equipment (ajout)": _add_equipment,
    "save_equipment (modification)": _edit_equipment, "archive_equipment": _archive_equipment,
    "add_stay": _add_stay, "delete_stay": _delete_stay, "book_tour": _book_tour,
    "save_call": _save_call,
    "save_application": _save_application, "import_apply": _import,
    "save_place_form": _edit_place, "save_evaluation_form": _add_evaluation,
    "archive_place": _archive_place,
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_reader_calling_a_writer_directly_is_refused_and_nothing_is_written(protected, writer):
    before = fingerprint(protected)
    with pytest.raises(PermissionDenied) as refused:
        WRITERS[writer](protected)
    assert "réservée aux analystes" in str(refused.value)
    assert "rien n'a été modifié" in str(refused.value)
    assert isinstance(refused.value, ObservatoryError)
    assert fingerprint(protected) == before


@pytest.mark.parametrize("writer", list(WRITERS))
def test_an_analyst_may_write_and_the_audit_names_the_account(protected, writer):
    log_in()
    before = fingerprint(protected)
    last_audit = one(protected, "SELECT coalesce(max(id), 0) FROM audit_log")[0]
    WRITERS[writer](protected)
    assert fingerprint(protected) != before
    actors = {r[0] for r in rows(protected, "SELECT actor FROM audit_log WHERE id > ?",
                                 [last_audit])}
    if writer not in ("create_snapshot", "delete_snapshot"):  # no audit row there
        assert actors == {ANALYST}, actors


def test_the_rule_and_the_snapshot_are_signed_by_the_account_not_the_typed_name(protected):
    log_in()
    _save_rule(protected)
    _create_snapshot(protected)
    last_rule = one(protected, "SELECT set_by FROM maturity_rules ORDER BY id DESC LIMIT 1")
    assert last_rule[0] == ANALYST
    assert one(protected, "SELECT created_by FROM snapshots ORDER BY id DESC LIMIT 1")[0] == ANALYST


def test_restoring_an_old_version_needs_the_restore_permission(protected):
    log_in()
    _edit_place(protected)
    audit_id = int(one(protected, "SELECT max(id) FROM audit_log WHERE entity = 'place'")[0])
    place_id, version = first_place(protected)
    st.session_state.pop(ui_auth.SESSION_KEY)  # logged out
    before = fingerprint(protected)
    with pytest.raises(PermissionDenied):
        data.restore_place(audit_id, version)
    assert fingerprint(protected) == before
    log_in()
    data.restore_place(audit_id, version)
    assert one(protected, "SELECT website FROM places WHERE id = ?", [place_id])[0] != \
        "https://controle.example.org"


def test_loading_the_demonstration_data_is_an_import(tmp_path, monkeypatch, protected,
                                                     territory_config):
    empty = tmp_path / "empty.duckdb"
    bootstrap.init_database(empty, territory_config, with_demo=False)
    monkeypatch.setenv("OBSERVATORY_DB", str(empty))
    with pytest.raises(PermissionDenied, match="importer des données"):
        data.add_demo()
    assert one(empty, "SELECT count(*) FROM places")[0] == 0
    log_in()
    assert data.add_demo() == 42


def _bundle():
    return data.live_bundle(data.db_path())


def test_a_reader_may_not_export_contacts_even_by_calling_the_export(protected):
    with pytest.raises(PermissionDenied, match="exporter les contacts"):
        data.export_file(_bundle(), "xlsx", include_contacts=True)
    with pytest.raises(PermissionDenied):
        _bundle().for_export(auth.ANONYMOUS, include_contacts=True)


def test_an_export_without_contacts_leaves_personal_data_out_for_everyone(protected):
    bundle = _bundle()
    contact = next(c for c in bundle.places["contact"] if isinstance(c, str) and c)
    public = data.export_file(bundle, "geojson")
    assert contact.encode() not in public
    log_in()
    assert contact.encode() not in data.export_file(bundle, "geojson")
    assert contact.encode() in data.export_file(bundle, "geojson", include_contacts=True)


def test_the_pdf_comparison_is_stripped_too(protected):
    log_in()
    _create_snapshot(protected)
    bundle = _bundle()
    first_id = int(one(protected, "SELECT min(id) FROM snapshots")[0])
    previous = data.snapshot(data.db_path(), first_id)
    st.session_state.pop(ui_auth.SESSION_KEY)
    stripped = bundle.for_export(auth.ANONYMOUS)
    assert "contact" not in stripped.places and "evaluator" not in stripped.tables["evaluations"]
    assert data.export_file(bundle, "pdf", previous=previous)[:4] == b"%PDF"


def test_every_action_has_a_french_label_for_its_refusal():
    assert set(auth.ACTION_LABELS) == set(auth.PERMISSIONS)


def test_a_public_export_does_not_name_who_adopted_the_maturity_rule(protected):
    bundle = _bundle()
    rules_table = bundle.tables["maturity_rules"].copy()
    rules_table["set_by"] = "Claire Dupont-Analyste"
    bundle.tables["maturity_rules"] = rules_table
    for kind in ("xlsx", "csv"):
        assert "Claire Dupont-Analyste" not in _text_of(data.export_file(bundle, kind))


def _text_of(payload: bytes) -> str:
    """The text inside an export: the members of a zip (xlsx, CSV package) or the bytes."""
    import io
    import zipfile

    if payload[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return payload.decode("utf-8", "replace")
