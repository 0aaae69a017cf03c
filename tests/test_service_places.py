"""The use cases of places, imports and backups, shared by the pages and the CLI.

Each write names its actor (a required argument, never a guessed « inconnu ») and leaves its
audit row; the CLI modules reach them through ``cli_common`` without importing the CLI itself.
"""

from __future__ import annotations

import argparse
import ast
import shutil
from pathlib import Path

import pytest

from observatory import bootstrap, cli_common, editing, settings
from observatory.errors import ObservatoryError
from observatory.maturity import MaturityRule
from observatory.service import backups, core
from observatory.service import imports as import_cases
from observatory.service import places as place_cases

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "import"


@pytest.fixture
def db_copy(demo_db, tmp_path) -> settings.Settings:
    """The settings of a private copy of the demonstration database (writable)."""
    path = tmp_path / "observatory.duckdb"
    shutil.copyfile(demo_db, path)
    return settings.Settings().with_db(path)


def audit_rows(config: settings.Settings, since: int = 0) -> list[tuple]:
    with core.session(config, read_only=True) as con:
        return con.execute("SELECT actor, entity, action FROM audit_log WHERE id > ? ORDER BY id",
                           [since]).fetchall()


def last_audit_id(config: settings.Settings) -> int:
    with core.session(config, read_only=True) as con:
        return int(con.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0])


def first_place(con) -> dict:
    place_id = int(place_cases.current_places(con)["id"].min())
    return place_cases.place_record(con, place_id)


# ---- every write names its actor and is audited ------------------------------------------------

def test_adopting_a_maturity_rule_is_audited_under_the_actor(db_copy):
    since = last_audit_id(db_copy)
    with core.session(db_copy) as con:
        place_cases.save_rule(con, MaturityRule(2.5, 1.5), actor="Claire Analyste")
        assert place_cases.current_rule(con) == MaturityRule(2.5, 1.5)
        assert place_cases.rule_history(con)["set_by"].iloc[-1] == "Claire Analyste"
    assert audit_rows(db_copy, since) == [("Claire Analyste", "rule", "update")]


@pytest.mark.parametrize("use_case, args", [
    (place_cases.save_rule, (MaturityRule(2.5, 1.5),)),
    (place_cases.archive_place, (1, 1)),
    (place_cases.restore_place, (1, 1)),
    (place_cases.save_place_form, ({}, None)),
    (place_cases.save_evaluation_form, ({},)),
    (place_cases.add_demo, ()),
])
def test_a_write_without_an_actor_is_refused_before_anything_is_written(db_copy, use_case, args):
    before = last_audit_id(db_copy)
    with core.session(db_copy) as con:
        with pytest.raises(TypeError, match="actor"):
            use_case(con, *args)  # no default author to fall back on
        with pytest.raises(ValueError, match="actor is required"):
            use_case(con, *args, actor="  ")
    assert last_audit_id(db_copy) == before


def test_archiving_and_restoring_a_place_are_audited_under_the_actor(db_copy):
    since = last_audit_id(db_copy)
    with core.session(db_copy) as con:
        place = first_place(con)
        version = place_cases.archive_place(con, place["id"], place["version"], actor="Bruno")
        assert place["id"] not in set(place_cases.current_places(con)["id"])
        entry = int(place_cases.place_audit(con, place["id"])["id"].iloc[0])
        place_cases.restore_place(con, entry, version, actor="Chloé")
        assert place["id"] in set(place_cases.current_places(con)["id"])
    assert audit_rows(db_copy, since) == [("Bruno", "place", "archive"),
                                          ("Chloé", "place", "unarchive")]


def test_a_place_form_is_checked_like_an_import_and_audited_under_the_actor(db_copy):
    since = last_audit_id(db_copy)
    with core.session(db_copy) as con:
        place = first_place(con)
        values = {k: place[k] for k in ("name", "insee", "lat", "lon", "typology",
                                        "legal_status", "opening_year", "transition_oriented",
                                        "website", "contact")}
        values.update(thematics="|".join(place["thematics"]), place_id=place["id"],
                      website="https://controle.example.org")
        report, written = place_cases.save_place_form(con, values, place["version"],
                                                      actor="Dana")
        assert report.ok and written == {"added": 0, "updated": 1, "evaluations": 0}
        assert place_cases.place_record(con, place["id"])["website"] == \
            "https://controle.example.org"
    assert audit_rows(db_copy, since) == [("Dana", "place", "import")]


def test_the_forms_accept_exactly_what_the_import_validation_accepts(db_copy):
    """NAME_MAX_CHARS is the validation's limit: one character more is refused by both."""
    with core.session(db_copy) as con:
        place = first_place(con)
        values = {"name": "x" * editing.NAME_MAX_CHARS, "insee": place["insee"],
                  "typology": place["typology"]}
        fits = editing.check_place(values, place_cases.communes(con),
                                   place_cases.current_places(con))
        too_long = editing.check_place(dict(values, name="x" * (editing.NAME_MAX_CHARS + 1)),
                                       place_cases.communes(con), place_cases.current_places(con))
    assert fits.ok
    assert not too_long.ok and "200" in " ".join(too_long.problem_table["problème"])
    assert editing.NOTES_MAX_CHARS == 5000
    assert editing.SCORE_OPTIONS[0] == 0 and editing.SCORE_OPTIONS[-1] == 4
    assert len(editing.SCORE_OPTIONS) == 9  # 0 to 4 by half points


def test_demo_data_is_loaded_only_with_an_actor(tmp_path, territory_config):
    path = tmp_path / "empty.duckdb"
    bootstrap.init_database(path, territory_config)
    config = settings.Settings().with_db(path)
    with core.session(config) as con:
        with pytest.raises(TypeError):
            bootstrap.add_demo(con)  # the actor has no default any more
        assert place_cases.add_demo(con, actor="Emma") == 42
    assert ("Emma", "demo", "import") in audit_rows(config)


# ---- imports --------------------------------------------------------------------------------

def test_a_dry_run_import_checks_the_file_and_writes_nothing(db_copy):
    raw = (FIXTURES / "inventaire_excel_fr.csv").read_bytes()
    before = last_audit_id(db_copy)
    outcome = import_cases.import_places(
        import_cases.import_sessions(db_copy.db), raw, "inventaire_excel_fr.csv", "places",
        dry_run=True, actor="Farid")
    assert outcome.ok and outcome.report.to_write() and outcome.written is None
    assert last_audit_id(db_copy) == before


def test_an_import_is_written_once_and_audited_under_the_actor(db_copy):
    raw = (FIXTURES / "inventaire_excel_fr.csv").read_bytes()
    since = last_audit_id(db_copy)
    outcome = import_cases.import_places(
        import_cases.import_sessions(db_copy.db), raw, "inventaire_excel_fr.csv", "places",
        dry_run=False, actor="Farid")
    assert outcome.written and outcome.written["added"] > 0
    assert {actor for actor, _, _ in audit_rows(db_copy, since)} == {"Farid"}
    with pytest.raises(TypeError, match="actor"):
        import_cases.write_import(import_cases.import_sessions(db_copy.db), outcome.report,
                                  replace_demo=False)


# ---- the territory, the erasure, the backups ------------------------------------------------

def test_the_territory_summary_is_the_one_the_cli_prints(demo_db):
    with core.session(settings.Settings().with_db(demo_db), read_only=True) as con:
        summary = place_cases.territory_summary(con)
    assert summary["perimeter"]["communes"] == 231
    assert len(summary["epci"]) >= 7
    assert {"siren", "name", "in_perimeter"} <= set(summary["epci"][0])


def test_erasing_a_person_is_signed_and_lists_the_backups(db_copy):
    shutil.copyfile(db_copy.db, db_copy.db.with_name("sauvegarde.duckdb"))
    done = place_cases.erase_person(db_copy, "Personne Introuvable", actor="DPO", dry_run=True)
    assert done.report.total == 0 and done.database == db_copy.db
    assert [b.name for b in done.backups] == ["sauvegarde.duckdb"]
    with pytest.raises(TypeError, match="actor"):
        place_cases.erase_person(db_copy, "Personne Introuvable", dry_run=True)


def test_a_backup_is_checked_and_refuses_to_overwrite_without_force(db_copy, tmp_path):
    out = tmp_path / "copie.duckdb"
    assert backups.backup(db_copy, out, force=False).endswith("42 lieux")
    with pytest.raises(ObservatoryError):
        backups.backup(db_copy, out, force=False)
    with pytest.raises(backups.BackupError, match="Confirmez le remplacement"):
        backups.restore(db_copy, out, confirmed=False)


# ---- the CLI plumbing ---------------------------------------------------------------------------

def test_cli_common_reads_db_from_the_option_else_the_settings(tmp_path):
    args = argparse.Namespace(db=str(tmp_path / "autre.duckdb"), by=None)
    assert cli_common.settings_for(args).db == tmp_path / "autre.duckdb"
    assert cli_common.settings_for(argparse.Namespace(db=None)).db == settings.current().db
    with pytest.raises(ObservatoryError, match="Base introuvable"):
        cli_common.existing_db(args)
    assert issubclass(cli_common.CliError, ObservatoryError)
    assert cli_common.actor(argparse.Namespace(by="  Gaëlle ")) == "Gaëlle"
    assert cli_common.actor(args) not in ("", "inconnu")


def test_db_option_is_the_same_for_every_subcommand():
    parser = argparse.ArgumentParser()
    cli_common.db_option(parser)
    assert parser.parse_args(["--db", "x.duckdb"]).db == "x.duckdb"
    assert parser.parse_args([]).db is None


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("name", ["cli_common", "cli_data", "cli_privacy", "cli_territory"])
def test_cli_modules_import_neither_the_cli_nor_the_store(name):
    imported = _imported_modules(PROJECT / "observatory" / f"{name}.py")
    assert "observatory.cli" not in imported
    assert not any(m.startswith("observatory.store") for m in imported), imported


def test_the_login_box_does_not_import_the_data_layer_back():
    """ui.data asks ui.auth who is logged in; ui.auth opens the store without ui.data."""
    assert "observatory.ui.data" not in _imported_modules(PROJECT / "observatory/ui/auth.py")
    assert "observatory.ui.auth" in _imported_modules(PROJECT / "observatory/ui/data.py")


@pytest.mark.parametrize("page", ["importer", "lieux", "carte", "tableau_de_bord", "maturite"])
def test_these_pages_import_no_store_module(page):
    imported = _imported_modules(PROJECT / "pages" / f"{page}.py")
    assert not any(m.startswith("observatory.store") for m in imported), imported


def test_the_app_computes_access_times_with_the_settings_provider(db_copy, monkeypatch):
    """A slower average speed in the settings gives longer access times on the pages."""
    import streamlit as st

    from observatory.ui import data

    monkeypatch.setenv("OBSERVATORY_DB", str(db_copy.db))
    monkeypatch.delenv("OBSERVATORY_USERS", raising=False)
    st.cache_data.clear()
    usual = data.access(data.db_path())["minutes"].sum()
    monkeypatch.setenv("OBSERVATORY_SPEED_KMH", "20")
    st.cache_data.clear()
    slow = data.access(data.db_path())["minutes"].sum()
    st.cache_data.clear()
    assert slow == pytest.approx(usual * 55 / 20, rel=0.01)  # default speed 55 km/h, now 20
