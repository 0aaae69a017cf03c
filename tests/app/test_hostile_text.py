"""Every page with hostile text in every free-text field: no error, nothing evaluated, the
text shown as typed (markdown escaped, tables verbatim, maps escaped), no link built from it.

The database comes from ``tests.test_template_injection.hostile_db`` (payloads written
straight into the store). Before the fix the Carte page showed ``TemplateSyntaxError`` to
every visitor and « Préparer le fichier » of the HTML map evaluated the payloads.
"""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from observatory.ui.pages import PATHS
from tests.test_template_injection import EVALUATED, PAYLOAD, hostile_db, in_script, tagged

PAGES = PATHS  # every page of the navigation (observatory.ui.pages)
MARKDOWN_KINDS = ("markdown", "caption", "info", "warning", "error", "success", "title",
                  "subheader", "header", "toast")
MAP_COMPONENT = "streamlit_folium.st_folium"
UNESCAPED_MARKUP = re.compile(r"(?<!\\)[<\[{]")  # user text in markdown has these escaped


@pytest.fixture
def hostile_app_db(demo_db, tmp_path):
    path = tmp_path / "hostile.duckdb"
    return path, hostile_db(demo_db, path)


def decoded(script: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), script)


def map_scripts(at: AppTest) -> list[str]:
    return [json.loads(e.proto.json_args)["script"] for e in at.get("component_instance")
            if getattr(e.proto, "component_name", "") == MAP_COMPONENT]


def shown_texts(at: AppTest) -> list[str]:
    """Everything the page shows as text: markdown family, metrics, tables, widgets' options."""
    texts = [str(e.value) for kind in MARKDOWN_KINDS for e in at.get(kind)]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    texts += [frame.value.to_csv() for frame in at.dataframe]
    texts += [" ".join(map(str, s.options)) for s in at.selectbox]
    texts += [" ".join(map(str, s.options)) for s in at.multiselect]
    return texts + map_scripts(at)


def unescaped(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def check_page(at: AppTest, page: str) -> str:
    assert not at.exception, (page, [e.value for e in at.exception])
    texts = shown_texts(at)
    joined = "\n".join(texts)
    for evaluated in EVALUATED:
        assert evaluated not in joined, (page, evaluated)
    for kind in MARKDOWN_KINDS:
        for element in at.get(kind):
            raw = str(element.value)
            if "onerror" in raw or "javascript" in raw:
                assert not UNESCAPED_MARKUP.search(raw.replace("**", "")), (page, kind, raw)
                assert "](" not in raw, (page, raw)
    assert not at.get("link_button"), page
    return joined


def test_every_page_shows_the_hostile_text_inert(make_app, hostile_app_db):
    path, written = hostile_app_db
    at = make_app(path, query={"lieu": str(written["place_id"])})
    at.run()
    seen = {}
    for page in PAGES:
        at.switch_page(page).run()
        seen[page] = check_page(at, page)

    carte = seen["pages/carte.py"]
    for field in ("Lieu", "Commune", "EPCI", "Typologie"):  # tooltip and popup, escaped once
        assert in_script(tagged(field)) in carte, field
    lieux = unescaped(seen["pages/lieux.py"])
    for field in ("Lieu", "Commune", "EPCI", "Typologie", "Thématique", "Preuve"):
        assert tagged(field) in lieux, field
    assert tagged("Consortium") in seen["pages/consortiums.py"]
    assert in_script(tagged("Consortium")) in seen["pages/consortiums.py"]  # link tooltip
    assert tagged("Équipement") in seen["pages/equipements.py"]
    assert tagged("Instantané") in seen["pages/donnees.py"]
    assert tagged("Instantané") in seen["pages/evolutions.py"]
    assert tagged("Appel") in seen["pages/appels.py"]


def test_html_map_export_from_the_donnees_page_keeps_the_payloads_as_text(make_app,
                                                                          hostile_app_db):
    path, written = hostile_app_db
    at = make_app(path, page="pages/donnees.py")
    at.run()
    at.selectbox(key="export_format").set_value("html").run()
    at.button(key="export_build").click().run()
    check_page(at, "pages/donnees.py")
    buttons = at.get("download_button")
    assert buttons, "pas de bouton de téléchargement"
    ready = at.session_state["export_ready"]
    page = ready[0].decode("utf-8")
    assert in_script(tagged("Lieu")) in page
    assert ": 49 " not in page and "__builtins__" not in page


def test_the_website_field_never_becomes_a_link(make_app, hostile_app_db):
    path, written = hostile_app_db
    at = make_app(path, query={"lieu": str(written["place_id"])}, page="pages/lieux.py")
    at.run()
    check_page(at, "pages/lieux.py")
    for kind in MARKDOWN_KINDS:
        for element in at.get(kind):
            assert "javascript:" not in unescaped(str(element.value)).replace(PAYLOAD, ""), \
                element.value


def test_a_reader_sees_no_evaluator_nor_author_name_on_any_page(make_app, hostile_app_db,
                                                                  protected):
    """Evaluator names and audit actors are personal data: not in any table, text or option a
    reader is shown (tables included: their built-in CSV download would carry them)."""
    path, written = hostile_app_db
    at = make_app(path, query={"lieu": str(written["place_id"])})
    at.run()
    for page in PAGES:
        at.switch_page(page).run()
        joined = check_page(at, page)
        assert "Évaluateur:" not in unescaped(joined), page
        headers = " ".join(str(c) for frame in at.dataframe for c in frame.value.columns)
        assert "Évaluateur" not in headers and "Par" not in headers.split(), (page, headers)


def test_an_analyst_sees_the_evaluator_in_the_evaluation_history(make_app, hostile_app_db):
    path, written = hostile_app_db
    at = make_app(path, query={"lieu": str(written["place_id"])}, page="pages/lieux.py")
    at.run()
    joined = check_page(at, "pages/lieux.py")
    assert tagged("Évaluateur") in unescaped(joined)


RENDERED_MARKUP = ("<img", "<a ", "<span", "<script", "</script")


def plotly_strings(at: AppTest) -> list[str]:
    """Every string of every Plotly figure on the page (traces, hover texts, layout)."""
    found = []

    def walk(node):
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for chart in at.get("plotly_chart"):
        walk(json.loads(chart.proto.spec))
    return found


def test_plotly_figures_show_user_text_escaped_never_as_html(make_app, hostile_app_db):
    """Plotly draws <a href>, <span style>… in legends, ticks and hover boxes: every user
    string reaches it escaped (it shows &lt; as <), on every page with a figure."""
    path, written = hostile_app_db
    at = make_app(path, query={"lieu": str(written["place_id"])})
    at.run()
    seen = {}
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        strings = plotly_strings(at)
        for value in strings:
            for markup in RENDERED_MARKUP:
                assert markup not in value, (page, value)
        seen[page] = "\n".join(strings)
    escaped_name = tagged("Lieu").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped_name in seen["pages/lieux.py"]  # the radar's legend
    assert "&lt;a href=" in seen["pages/tableau_de_bord.py"]  # EPCI ticks, typologies, hover
    assert "&lt;span style=" in seen["pages/evolutions.py"]  # snapshot labels


def test_the_importer_shows_hostile_column_headers_as_typed(make_app, app_db):
    """Headers of an uploaded file reach the page's captions and warnings escaped."""
    header = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) **gras**"
    body = f"Nom du lieu;Code INSEE;Typologie;{header};{header}\nAtelier;09122;Fablab;a;b\n"
    at = make_app(app_db, page="pages/importer.py")
    at.run()
    at.file_uploader(key="imp_file_places").set_value(("lieux.csv", body.encode(), "text/csv"))
    at.run()
    joined = check_page(at, "pages/importer.py")
    assert "onerror" in joined  # the header is shown (ignored column, twin columns)
    for kind in MARKDOWN_KINDS:
        for element in at.get(kind):
            raw = str(element.value)
            if "onerror" in raw:
                assert "**gras**" not in raw and not UNESCAPED_MARKUP.search(raw), raw


def test_the_partners_network_view_shows_hostile_names_inert(make_app, hostile_app_db):
    path, written = hostile_app_db
    at = make_app(path, page="pages/partenaires.py")
    at.run()
    at.radio(key="partner_view").set_value("Consortiums pour tout le réseau")
    at.session_state["network_max_minutes"] = 5  # few heads in reach: many unassigned places
    at.run()
    joined = check_page(at, "pages/partenaires.py")
    assert "onerror" in joined  # the hostile place is shown (a table, the caption or the map)
