"""Hostile text in a real browser: the map tooltip and popup, the Lieux page and the offline
HTML export show it as typed, and nothing runs (no dialog, no console error, no link).

One server for the module, on the database of ``tests.test_template_injection.hostile_db``.
"""

from __future__ import annotations

import pytest

from observatory import bootstrap, config, exports
from observatory.store import db, live
from observatory.territory.config import load_territory_config
from tests.browser.conftest import start_app
from tests.test_template_injection import hostile_db, tagged

MARKER = "globals"  # in the hostile place's name only: ?q= keeps that one place on the map


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-browser")
    demo = tmp / "demo.duckdb"
    bootstrap.init_database(demo, load_territory_config(config.territory_path()), with_demo=True)
    path = tmp / "hostile.duckdb"
    written = hostile_db(demo, path)
    process, url = start_app(path, tmp)
    yield url, path, written, tmp
    process.terminate()
    process.wait(timeout=20)


def watched_page(browser):
    """A page that records dialogs (dismissed), console errors and uncaught exceptions."""
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    events = {"dialogs": [], "errors": []}
    page.on("dialog", lambda d: (events["dialogs"].append(d.message), d.dismiss()))
    page.on("console", lambda m: events["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: events["errors"].append(str(e)))
    return page, events


def assert_nothing_ran(page, events, frame=None) -> None:
    page.wait_for_timeout(500)
    assert events["dialogs"] == []
    assert events["errors"] == []
    for scope in (page, frame) if frame is not None else (page,):
        assert scope.locator('a[href^="javascript"], img[src="x"]').count() == 0


def test_map_tooltip_and_popup_show_the_hostile_text_as_typed(browser, hostile_site):
    url, _, _, _ = hostile_site
    page, events = watched_page(browser)
    page.goto(f"{url}/?q={MARKER}")
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    marker = frame.locator("path.olls-place")
    marker.first.wait_for(timeout=30_000)
    assert marker.count() == 1
    marker.first.hover()
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for(timeout=10_000)
    assert tagged("Lieu") in tooltip.inner_text()
    marker.first.click()
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    shown = popup.inner_text()
    for field in ("Lieu", "Commune", "Typologie"):
        assert tagged(field) in shown, field
    legend = frame.locator(".olls-legend").inner_text()
    assert "Lieu mature" in legend
    assert_nothing_ran(page, events, frame)
    page.close()


def test_lieux_page_shows_the_hostile_text_as_typed_and_no_link(browser, hostile_site):
    url, _, written, _ = hostile_site
    page, events = watched_page(browser)
    # From the root, as a visitor would: a deep link makes Streamlit probe
    # /lieux/_stcore/health first (a 404 in the console that has nothing to do with the text).
    page.goto(f"{url}/?lieu={written['place_id']}")
    # The first run (which reads ?lieu=) is over once the map is drawn.
    page.frame_locator('iframe[title="streamlit_folium.st_folium"]').locator(
        ".leaflet-container").wait_for(timeout=60_000)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Lieux").first.click()
    heading = page.locator("h3", has_text="Lieu:")
    heading.wait_for(timeout=60_000)
    assert heading.first.inner_text().strip() == tagged("Lieu")
    for field in ("Commune", "EPCI", "Typologie", "Thématique"):  # substring of a line
        page.get_by_text(tagged(field)).first.wait_for(timeout=10_000)
    assert_nothing_ran(page, events)
    page.close()


def test_offline_html_export_shows_the_hostile_text_as_typed(browser, hostile_site):
    _, path, written, tmp = hostile_site
    con = db.connect(path, read_only=True)
    try:
        bundle = live.bundle(con, label=tagged("Instantané"), created_by="test",
                             place_ids=[written["place_id"]])
    finally:
        con.close()
    target = tmp / "carte.html"
    target.write_bytes(exports.build(bundle, "html"))
    page, events = watched_page(browser)
    page.goto(target.as_uri())
    page.locator(".leaflet-container").wait_for(timeout=30_000)
    assert tagged("Instantané") in page.locator(".olls-title").inner_text()
    marker = page.locator("path.olls-place")
    marker.first.hover()
    page.locator(".leaflet-tooltip").wait_for(timeout=10_000)
    assert tagged("Lieu") in page.locator(".leaflet-tooltip").inner_text()
    marker.first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert tagged("Commune") in popup.inner_text()
    assert page.title().startswith("Observatoire des lieux de lien social")
    assert tagged("Instantané") in page.title()
    assert_nothing_ran(page, events)
    page.close()
