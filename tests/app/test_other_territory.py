"""Another territory (the Lot, another département) builds and opens in the app."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from observatory import bootstrap
from observatory.store import db, imports
from observatory.territory.config import load_territory_config
from observatory.ui.pages import PATHS

ROOT = Path(__file__).resolve().parents[2]
LOT = ROOT / "tests" / "fixtures" / "territory" / "lot.toml"
PAGES = PATHS  # every page of the navigation (observatory.ui.pages)


def test_the_lot_builds_opens_empty_then_shows_imported_places(tmp_path, monkeypatch):
    path = tmp_path / "lot.duckdb"
    bootstrap.init_database(path, load_territory_config(LOT), with_demo=False)
    csv = ("Nom du lieu;Commune;Typologie;Statut juridique;Année d'ouverture\n"
           "La Grange de Figeac;Figeac;Tiers-lieu multi-activités;Association;2012\n"
           "Cahors Lab;Cahors;Fablab;SCIC;2016\n").encode()
    with db.session(path) as con:
        report = imports.preview(con, csv, "lieux.csv", "places")
        assert report.ok, report.problem_table
        with db.transaction(con):
            imports.apply(con, report, "test")

    monkeypatch.setenv("OBSERVATORY_DB", str(path))
    monkeypatch.setenv("OBSERVATORY_TILES", "off")
    import streamlit as st
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == "Lieux affichés" and m.value == "2 / 2" for m in at.metric)
    assert "Département du Lot" in at.sidebar.caption[0].value
    captions = " ".join(c.value for c in at.main.caption)
    assert "contours des communes" in captions  # the map's caption is there…
    assert "zone exclue" not in captions and "orange" not in captions  # …with no zone of Ariège
    # The Lot has no programme places: the Carte says so, no box to tick.
    assert "Aucun lieu des programmes nationaux" in captions
    assert not [c for c in at.checkbox if c.label == "France services"]
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        if page.endswith("lieux.py"):  # nor a section « à moins de 15 min » in a profile
            assert not any("Lieux des programmes" in m.value for m in at.markdown)
    st.cache_data.clear()
    st.cache_resource.clear()
