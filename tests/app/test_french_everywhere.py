"""Every page, as rendered on the demonstration database, reads French: no English widget text,
no raw value (None, NaN, True, False, an ISO timestamp, « 31800 », « 2.2 ») in what it shows.

The scan reads what Streamlit sends the browser for each element: text (markdown, captions,
alerts, metrics, labels, help, options), the cells of every table as they will be displayed,
and the widgets' placeholders (a multiselect without one shows Streamlit's « Choose
options »). It cannot see what the browser adds by itself and no parameter translates: the
date pickers' month names, the toolbars' tooltips; those are listed in the issue's closing
note. The file uploader's « Upload » / « 10MB per file » are replaced by French through a style
sheet (observatory/ui/widget_french.py), which tests/browser/test_widget_french_browser.py
reads back in a real browser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from observatory.ui.pages import PAGES

ENGLISH = ("Choose options", "Choose an option", "Select all", "No options to select", "Upload",
           "per file", "Drag and drop", "None", "NaN", "nan", "True", "False", "NaT", "<NA>")
WORD = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")
BRACKET_PLURAL = re.compile(r"\w\((?:s|x)\)")  # « lieu(x) affiché(s) »: count the words instead
ISO_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:")
SKIPPED_FIELDS = {"id", "form_id", "key", "type", "icon", "tag", "format", "component_name",
                  "json_args", "url", "src", "spec", "config", "theme", "data", "raw_value",
                  "raw_values", "default", "min", "max", "value", "query_param_key",
                  "selection_mode"}


def _children(node) -> list:
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        return list(children.values())
    return list(children or [])


def walk(node) -> Iterator:
    yield node
    for child in _children(node):
        yield from walk(child)


def proto_strings(message, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string field of an element's message (what the browser is told to write)."""
    for field, value in message.ListFields():
        if field.name in SKIPPED_FIELDS:
            continue
        values = value if field.is_repeated else [value]
        if field.type == field.TYPE_MESSAGE:
            for item in values:
                yield from proto_strings(item, f"{path}.{field.name}")
        elif field.type == field.TYPE_STRING:
            for item in values:
                yield f"{path}.{field.name}", item


def cell_problem(value: object) -> str | None:
    """Why a table cell would read as a raw value, or None if it reads French."""
    if isinstance(value, bool):
        return "booléen brut"
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return "valeur manquante brute"
    if isinstance(value, (pd.Timestamp,)) or hasattr(value, "isoformat"):
        return "date brute"
    if isinstance(value, float) and not value.is_integer():
        return "décimale à point"
    if isinstance(value, (int, float)) and abs(value) >= 10_000:
        return "nombre sans séparateur de milliers"
    return None


def findings(at: AppTest) -> list[str]:
    found = []
    for node in walk(at._tree):
        kind = type(node).__name__
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        for field, text in proto_strings(proto):
            for match in WORD.findall(text):
                found.append(f"{kind}{field} : « {match} » dans « {text[:80]} »")
            if ISO_TIMESTAMP.search(text):
                found.append(f"{kind}{field} : horodatage ISO dans « {text[:80]} »")
            if BRACKET_PLURAL.search(text):
                found.append(f"{kind}{field} : pluriel entre parenthèses dans « {text[:80]} »")
        if kind in ("Multiselect",) or (kind == "Selectbox" and not list(proto.options)):
            if not proto.placeholder:
                found.append(f"{kind} « {proto.label} » : sans placeholder (texte anglais)")
        if kind == "NumberInput" and proto.data_type == proto.FLOAT and (
                not proto.format or re.search(r"\.[1-9]", proto.format)):
            found.append(f"NumberInput « {proto.label} » : décimale à point (« 0.00 »)")
        if kind == "Multiselect" and proto.select_all != 0:
            found.append(f"Multiselect « {proto.label} » : « Select all » affiché")
        if kind == "Dataframe":
            frame = node.value
            index_names = [n for n in frame.index.names if n is not None]
            for name in index_names:  # a shown index's name heads its column (« id »)
                if WORD.search(str(name)) or re.fullmatch(r"[a-z_]+", str(name)):
                    found.append(f"en-tête d'index brut « {name} »")
            for column in frame.columns:
                if WORD.search(str(column)) or re.fullmatch(r"[a-z_]+", str(column)):
                    found.append(f"en-tête brut « {column} »")
                for value in frame[column].tolist():
                    problem = cell_problem(value)
                    text = str(value)
                    if problem is None and (WORD.search(text) or ISO_TIMESTAMP.search(text)):
                        problem = "texte anglais ou horodatage"
                    if problem:
                        found.append(f"tableau, colonne « {column} » : {problem} ({text[:40]})")
                        break
        if kind == "PlotlyChart" or (kind == "UnknownElement" and proto.DESCRIPTOR.name ==
                                     "PlotlyChart"):
            config = json.loads(proto.config or "{}")
            if config.get("locale") != "fr":
                found.append("graphique sans la configuration française")
    return found


# Pages being made French by other changes of issue 12 while this test was written: what the
# scan still found on them is in the reason. Remove a page from here once it passes (the mark
# is not strict, so a page that already passes is reported as XPASS).
PENDING: dict[str, str] = {}


@pytest.mark.parametrize("page", [
    pytest.param(p.path, marks=pytest.mark.xfail(reason=PENDING[p.path], strict=False))
    if p.path in PENDING else p.path for p in PAGES])
def test_every_page_reads_french_on_the_demo_data(make_app, app_db, page):
    at = make_app(app_db, page=page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert findings(at) == [], page


def test_the_scan_finds_what_it_is_meant_to_find(make_app, app_db):
    """The scan is not blind: a page with each fault, run through AppTest, is reported."""
    def faulty():
        import pandas as pd
        import streamlit as st

        st.multiselect("Sans placeholder", ["a", "b"])
        st.caption("Mis à jour le 2026-12-02 01:02:38")
        st.markdown("archivé : « False »")
        st.dataframe(pd.DataFrame({"mean_score": [2.2], "Montant": [31800],
                                   "Accordé": [None]}))
        st.dataframe(pd.DataFrame({"id": [1], "Nom": ["Le Fab"]}).set_index("id"))
        import plotly.graph_objects as go

        st.plotly_chart(go.Figure(go.Bar(x=[1], y=[1])))

    at = AppTest.from_function(faulty).run()
    found = "\n".join(findings(at))
    for expected in ("sans placeholder", "« Select all » affiché", "horodatage ISO",
                     "« False »", "en-tête brut « mean_score »", "décimale à point",
                     "en-tête d'index brut « id »",
                     "sans séparateur de milliers", "valeur manquante brute",
                     "graphique sans la configuration française"):
        assert expected in found, (expected, found)


def _scanned(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert findings(at) == [], "\n".join(findings(at))
    return at


def test_the_equipment_views_read_french(make_app, app_db):
    """The calendar, the reach, the stays and a tour: views behind the page's radio."""
    from observatory.ui.equipment_views import ITINERANCE, TOUR
    from observatory.ui.pages import by_title

    at = _scanned(make_app(app_db, page=by_title("Équipements").path))
    at.radio(key="equipment_view").set_value(ITINERANCE)
    _scanned(at)
    # the calendar's span, in words
    assert any(re.search(r"\d+ séjours?, du", c.value) for c in at.caption)
    at.radio(key="equipment_view").set_value(TOUR)
    _scanned(at)
    at.selectbox(key="tour_consortium").set_value(_first_consortium(app_db))
    _scanned(at)
    assert any("De" in f.value.columns for f in at.dataframe)  # the legs were scanned


def _first_consortium(path) -> int:
    from observatory.store import db

    con = db.connect(path, read_only=True)
    try:
        return int(con.execute("SELECT min(id) FROM consortia WHERE NOT archived").fetchone()[0])
    finally:
        con.close()


def test_the_evolutions_and_the_rule_preview_read_french(make_app, app_db):
    """Évolutions and Données with a snapshot (its tables, the chart of snapshots, the list of
    snapshots and their dates), and Critères et
    maturité with a threshold changed (the table of places that change)."""
    import contextlib
    import io

    from observatory import cli
    from observatory.ui.pages import by_title

    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["snapshot", "create", "--db", str(app_db), "--label", "Bilan",
                         "--by", "test"]) == 0
    at = _scanned(make_app(app_db, page=by_title("Évolutions").path))
    at = _scanned(make_app(app_db, page=by_title("Données").path))  # the list of snapshots
    assert any("Intitulé" in f.value.columns for f in at.dataframe)
    at = _scanned(make_app(app_db, page=by_title("Critères et maturité").path))
    at.select_slider(key="rule_min_mean").set_value(2.5)
    _scanned(at)
    assert any("Changement" in f.value.columns for f in at.dataframe)
    assert at.select_slider(key="rule_min_mean").format_func(2.5) == "2,5"


def test_the_duplicates_page_and_a_merge_in_the_history_read_french(make_app, app_db):
    """A pair side by side (with its sources), then the merge row of the kept place's history."""
    from observatory.store import db, places
    from observatory.ui.pages import by_title

    con = db.connect(app_db)
    try:
        kept, removed = (places.insert(con, {"name": name, "insee": "09332", "lon": lon,
                                             "lat": 43.0817, "typology": "Coworking",
                                             "opening_year": year})
                         for name, lon, year in (("CapWork", 1.6481, 2015),
                                                 ("Cap Work", 1.6483, None)))
        con.execute("INSERT INTO place_sources (place_id, source, record_id) VALUES "
                    "(?, 'cget_2019', '1402')", [removed])
    finally:
        con.close()
    at = _scanned(make_app(app_db, page=by_title("Doublons probables").path))
    assert any("Identifiant dans la source" in f.value.columns for f in at.dataframe)
    at.text_input(key="dup_author").input("Claire")
    _scanned(at)
    next(b for b in at.button if b.label == "Fusionner ces deux lieux").click()
    _scanned(at)
    at.switch_page(by_title("Lieux").path)
    _scanned(at)
    next(s for s in at.selectbox if s.label == "Lieu").set_value(kept)
    _scanned(at)
    assert any("fusion" in set(f.value.get("Action", [])) for f in at.dataframe)
