"""A reader (protected mode, not logged in) sees the map and figures, never contacts or edits."""

from __future__ import annotations


def texts(at) -> list[str]:
    return [w.label for w in [*at.text_input, *at.checkbox, *at.button, *at.text_area]]


def test_a_reader_never_sees_a_contact_field_nor_an_edit_form(make_app, app_db, protected):
    at = make_app(app_db)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for page in ("pages/lieux.py", "pages/donnees.py", "pages/consortiums.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        labels = " ".join(texts(at))
        assert "Contact" not in labels and "contacts" not in labels, page
        assert "Modifier ce lieu" not in [e.label for e in at.expander], page
    at.switch_page("pages/lieux.py").run()
    shown = " ".join(str(v) for df in at.dataframe for v in df.value.columns)
    assert "contact" not in shown.lower()
    at.switch_page("pages/importer.py").run()
    assert any("Réservé aux analystes" in w.value for w in at.warning)


def test_an_analyst_who_logs_in_gets_the_edit_forms_and_contacts(make_app, app_db, protected):
    at = make_app(app_db, page="pages/lieux.py")
    at.run()
    name = next(t for t in at.sidebar.text_input if "utilisateur" in t.label.lower()
                or "nom" in t.label.lower())
    password = next(t for t in at.sidebar.text_input if "passe" in t.label.lower())
    name.input("alice")
    password.input("Une-phrase-de-passe-solide-42")
    next(b for b in at.sidebar.get("form_submit_button") if "connecter" in b.label.lower()).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Modifier ce lieu" in [e.label for e in at.expander]
    assert any("Contact" in t.label for t in at.text_input)


def test_a_reader_is_not_offered_to_load_demo_data_on_the_empty_map(make_app, empty_app_db,
                                                                    protected):
    at = make_app(empty_app_db)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [b for b in at.button if b.label.startswith("Charger les 42 lieux")]
    assert any("Un analyste connecté peut importer" in i.value for i in at.info)


def test_a_reader_loading_demo_data_anyway_is_refused(make_app, empty_app_db, protected):
    """The button is hidden, but the use case itself refuses (as a forged click would meet)."""
    make_app(empty_app_db)  # the database, tiles off, empty caches
    def script():
        import streamlit as st

        from observatory.auth import PermissionDenied
        from observatory.ui import data

        try:
            data.add_demo()
        except PermissionDenied as exc:
            st.error(str(exc))

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(script, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("importer des données" in e.value and "réservée aux analystes" in e.value
               for e in at.error), [e.value for e in at.error]
    from observatory.store import db
    with db.session(empty_app_db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM places").fetchone()[0] == 0


def test_a_reader_exports_without_contacts_from_the_data_page(make_app, app_db, protected):
    at = make_app(app_db, page="pages/donnees.py")
    at.run()
    at.selectbox(key="export_format").set_value("geojson")
    next(b for b in at.button if b.label == "Préparer le fichier").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    payload, filename, _, owner = at.session_state["export_ready"]
    assert owner == "visiteur" and filename.endswith(".geojson")
    assert b"contact" not in payload and b"@" not in payload
