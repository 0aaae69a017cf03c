"""What the pages show (issue 16): valid but sparse data, personal data hidden from readers,
the audit actor taken from the account, contacts that can be erased."""

from __future__ import annotations

import pytest

from observatory.store import db, places

LIEUX = "pages/lieux.py"


def assert_ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def first_place(path) -> int:
    con = db.connect(path, read_only=True)
    try:
        return int(places.current(con).sort_values("id")["id"].iloc[0])
    finally:
        con.close()


def sql(path, query: str, params=()) -> list[tuple]:
    con = db.connect(path)
    try:
        return con.execute(query, list(params)).fetchall()
    finally:
        con.close()


def log_in(at, name="alice", password="Une-phrase-de-passe-solide-42"):
    [user] = [t for t in at.sidebar.text_input if "utilisateur" in t.label.lower()]
    [secret] = [t for t in at.sidebar.text_input if "passe" in t.label.lower()]
    user.input(name)
    secret.input(password)
    next(b for b in at.sidebar.get("form_submit_button") if "connecter" in b.label.lower()).click()
    at.run()
    assert_ok(at)
    return at


# --- valid but sparse data ----------------------------------------------------------------

def test_lieux_shows_a_place_without_opening_year_nor_transition_flag(make_app, app_db):
    pid = first_place(app_db)
    sql(app_db, "UPDATE places SET opening_year = NULL, transition_oriented = NULL WHERE id = ?",
        [pid])
    at = make_app(app_db, query={"lieu": str(pid)}, page=LIEUX)
    at.run()
    assert_ok(at)
    assert any("ouvert en ?" in m.value for m in at.markdown), [m.value for m in at.markdown]
    assert "Modifier ce lieu" in [e.label for e in at.expander]  # the edit form drew too


# --- the grids' own CSV download ------------------------------------------------------------

def test_the_grids_builtin_csv_download_is_disabled(make_app, app_db):
    """st.dataframe's « Download as CSV » writes cells as typed (=SUM(…) runs in a spreadsheet)
    and copies what the app's exports leave out: the app's own exports replace it."""
    import tomllib
    from pathlib import Path

    from streamlit import config

    project = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml")
                            .read_text(encoding="utf-8"))
    assert project["client"]["disableDataExport"] is True
    config.set_option("client.disableDataExport", False)  # as when started from another folder
    at = make_app(app_db, page=LIEUX)
    at.run()
    assert_ok(at)
    assert config.get_option("client.disableDataExport") is True


# --- the audit actor is the account ---------------------------------------------------------

def name_inputs(at) -> list[str]:
    return [t.label for t in at.text_input if "votre nom" in t.label.lower()]


def test_in_protected_mode_no_page_asks_for_a_name_the_account_is_recorded(make_app, app_db,
                                                                          protected):
    pid = first_place(app_db)
    at = make_app(app_db, query={"lieu": str(pid)}, page=LIEUX)
    at.run()
    log_in(at)
    assert name_inputs(at) == [], name_inputs(at)
    assert any("Enregistré au nom de **alice**" in c.value for c in at.caption), \
        [c.value for c in at.caption]
    form = f"edit_place_{pid}_"
    [name] = [t for t in at.text_input if t.label == "Nom du lieu" and
              str(t.form_id).startswith(form)]
    name.input("Atelier renommé par alice")
    next(b for b in at.button if b.label == "Enregistrer" and str(b.form_id).startswith(form)
         ).click()
    at.run()
    assert_ok(at)
    [(actor, new)] = sql(app_db, "SELECT actor, new_values FROM audit_log WHERE "
                                 "entity = 'place' AND entity_id = ?", [pid])
    assert "Atelier renommé par alice" in new
    assert actor == "alice"
    for page in ("pages/consortiums.py", "pages/maturite.py", "pages/importer.py",
                 "pages/donnees.py"):
        at.switch_page(page).run()
        assert_ok(at)
        assert name_inputs(at) == [], (page, name_inputs(at))


def test_in_demo_mode_the_place_form_still_asks_for_a_name(make_app, app_db):
    at = make_app(app_db, query={"lieu": str(first_place(app_db))}, page=LIEUX)
    at.run()
    assert_ok(at)
    assert "Votre nom (historique)" in name_inputs(at)


# --- a cleared field is erased ----------------------------------------------------------------

def test_clearing_the_contact_and_website_in_the_form_erases_them_and_is_audited(make_app,
                                                                                app_db):
    pid = first_place(app_db)
    sql(app_db, "UPDATE places SET contact = 'jeanne@exemple.test', website = "
                "'https://exemple.test', opening_year = 2019 WHERE id = ?", [pid])
    at = make_app(app_db, query={"lieu": str(pid)}, page=LIEUX)
    at.run()
    assert_ok(at)
    form = f"edit_place_{pid}_"
    fields = {t.label: t for t in at.text_input if str(t.form_id).startswith(form)}
    assert fields["Contact (donnée personnelle)"].value == "jeanne@exemple.test"
    fields["Contact (donnée personnelle)"].input("")
    fields["Site web"].input("")
    fields["Année d'ouverture"].input("")
    fields["Votre nom (historique)"].input("Camille")
    next(b for b in at.button if b.label == "Enregistrer" and str(b.form_id).startswith(form)
         ).click()
    at.run()
    assert_ok(at)
    assert [(None, None, None)] == sql(
        app_db, "SELECT contact, website, opening_year FROM places WHERE id = ?", [pid])
    [(actor, old, new)] = sql(app_db, "SELECT actor, old_values, new_values FROM audit_log "
                                      "WHERE entity = 'place' AND entity_id = ?", [pid])
    assert actor == "Camille" and "jeanne@exemple.test" in old and "contact" in new


def test_check_place_turns_a_cleared_field_into_an_erasure(app_db):
    from observatory import editing, importing
    from observatory.store import territory

    pid = first_place(app_db)
    sql(app_db, "UPDATE places SET contact = 'jeanne@exemple.test' WHERE id = ?", [pid])
    con = db.connect(app_db, read_only=True)
    try:
        stored, communes, existing = places.get(con, pid), territory.communes(con), \
            places.current(con)
    finally:
        con.close()
    values = {k: stored[k] for k in ("name", "insee", "typology", "legal_status",
                                     "opening_year", "transition_oriented", "thematics",
                                     "website")}
    values.update(place_id=pid, contact="", lat="", lon="")
    report = editing.check_place(values, communes, existing, stored["version"])
    [record] = report.records
    assert record.action == importing.UPDATE
    assert record.changes["contact"] == ("jeanne@exemple.test", None)
    assert set(record.changes) == {"contact"}


@pytest.mark.parametrize("website", ["javascript:alert(1)", "ftp://exemple.test",
                                     "data:text/html,<b>x</b>"])
def test_the_place_form_refuses_a_website_that_is_not_http(app_db, website):
    """The form is validated as an imported row: the importer's http(s) check applies."""
    from observatory import editing
    from observatory.store import territory

    pid = first_place(app_db)
    con = db.connect(app_db, read_only=True)
    try:
        stored, communes, existing = places.get(con, pid), territory.communes(con), \
            places.current(con)
    finally:
        con.close()
    values = {k: stored[k] for k in ("name", "insee", "typology", "legal_status",
                                     "opening_year", "transition_oriented", "thematics")}
    values.update(place_id=pid, website=website, contact="", lat="", lon="")
    report = editing.check_place(values, communes, existing, stored["version"])
    assert not report.ok and not report.to_write()
    assert "https://" in report.problem_table.to_csv()
