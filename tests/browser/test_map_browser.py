"""What only a browser shows: the Leaflet map drawn offline, its markers, escaping, a click."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from observatory import bootstrap, config
from observatory.store import db, places
from observatory.territory.config import load_territory_config
from tests.browser.conftest import ARTIFACTS, start_app

HOSTILE = "<img src=x onerror=alert(1)>"
LOCAL = ("http://127.0.0.1", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    path = tmp / "demo.duckdb"
    bootstrap.init_database(path, load_territory_config(config.territory_path()), with_demo=True)
    con = db.connect(path)
    with db.transaction(con):
        places.insert(con, {"name": HOSTILE, "insee": "09122", "lon": 1.6053, "lat": 42.9653,
                            "typology": "Fablab", "opening_year": 2020})
    con.close()
    process, url = start_app(path, tmp)
    yield url
    process.terminate()
    process.wait(timeout=20)


def open_map(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    outside, dialogs = [], []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(LOCAL) else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    frame.locator("path.olls-place").first.wait_for(timeout=30_000)
    return page, frame, outside, dialogs


def test_map_draws_every_place_offline_with_the_mature_ones_marked(browser, app_url):
    page, frame, outside, dialogs = open_map(browser, app_url)
    assert frame.locator("path.olls-place").count() == 43  # 42 demo places + the hostile one
    assert frame.locator("path.olls-mature").count() == 12
    assert frame.locator(".olls-legend").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map.png"), full_page=True)
    page.wait_for_timeout(1000)
    assert outside == [], f"requests left the machine: {outside}"
    assert dialogs == []
    page.close()


def test_filtered_url_draws_only_the_filtered_places(browser, app_url):
    page, frame, outside, _ = open_map(browser, app_url + "/?matures=1")
    page.wait_for_timeout(500)
    assert frame.locator("path.olls-place").count() == 12
    assert frame.locator("path.olls-mature").count() == 12
    assert outside == []
    page.close()


def test_hostile_place_name_shows_as_text_not_html(browser, app_url):
    page, frame, _, dialogs = open_map(browser, app_url + "/?q=onerror")
    marker = frame.locator("path.olls-place")
    assert marker.count() == 1
    marker.first.hover()
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for(timeout=10_000)
    assert HOSTILE in tooltip.inner_text()
    assert frame.locator(".leaflet-tooltip img").count() == 0
    marker.first.click()
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert HOSTILE in popup.inner_text()
    assert frame.locator(".leaflet-popup-content img").count() == 0
    assert dialogs == []
    page.close()


def test_clicking_a_place_selects_it_for_the_other_pages(browser, app_url):
    page, frame, _, _ = open_map(browser, app_url + "/?q=fabrique")
    marker = frame.locator("path.olls-mature, path.olls-place").first
    selected = page.get_by_text("Lieu sélectionné : La Fabrique des Possibles")
    # The component may still be wiring its events on a loaded machine: click again if needed.
    for _ in range(3):
        marker.click()
        try:
            selected.wait_for(timeout=15_000)
            break
        except PlaywrightTimeout:
            continue
    assert selected.is_visible()
    assert "lieu=" in page.url
    page.close()
