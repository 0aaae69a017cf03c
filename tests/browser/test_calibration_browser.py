"""The calibration map in chromium: on « Critères et maturité », with a road graph stored, the
pairs where the estimate is most wrong are drawn as lines coloured by ratio, and the legend
says what a line and its colour mean. Screenshot: test-artifacts/calibration.png."""

from __future__ import annotations

import pytest

from observatory import calibration
from tests.browser.conftest import ARTIFACTS, start_app
from tests.road_fixtures import road_database

MAP = 'iframe[title="streamlit_folium.st_folium"]'


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, demo_db):
    tmp = tmp_path_factory.mktemp("calibration_browser")
    path, _ = road_database(demo_db, tmp)
    process, url = start_app(path, tmp)
    yield url
    process.terminate()
    process.wait(timeout=20)


def test_the_most_wrong_pairs_are_lines_coloured_by_ratio(browser, app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 2600})
    page.goto(app_url + "/maturite")
    page.get_by_text("Ratio médian route / estimation").wait_for(timeout=60_000)
    page.locator(MAP).scroll_into_view_if_needed(timeout=60_000)
    frame = page.frame_locator(MAP)
    frame.locator("path.olls-link").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # the map lays itself out and places its legend
    lines = frame.locator("path.olls-link")
    assert 1 <= lines.count() <= calibration.WORST
    strokes = {lines.nth(k).get_attribute("stroke") for k in range(lines.count())}
    assert strokes <= {colour for _, colour, _ in calibration.RATIO_BINS}
    legend = frame.locator(".olls-legend").inner_text()
    assert "Estimation et réseau routier" in legend and "ratio route / estimation" in legend
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(MAP).screenshot(path=str(ARTIFACTS / "calibration.png"))
    page.close()
