"""The France services layer of the Carte in chromium: off by default, then drawn with its own
symbols (desks and the Saint-Girons bus / itinerant service apart) and its legend lines when
ticked. Screenshot: test-artifacts/carte-france-services.png."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, serve_demo
from tests.browser.test_map_layers_browser import MAP, one_map


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from serve_demo(tmp_path_factory, "programme_layers_browser")


def test_the_carte_shows_the_france_services_layer_and_its_legend_when_ticked(browser,
                                                                              app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(app_url)
    frame = page.frame_locator(MAP)
    frame.locator("path.olls-place").first.wait_for(timeout=60_000)
    assert frame.locator(".olls-programme").count() == 0
    assert "France services" not in frame.locator(".olls-legend").inner_text()

    page.get_by_text("France services", exact=True).click()
    one_map(page, ".olls-programme-layer-france_services")
    page.wait_for_timeout(1500)  # the new map lays itself out and places its legend
    desks = frame.locator(".olls-programme-layer-france_services")
    travelling = frame.locator(".olls-programme-layer-itinerant")
    # 14 France services in Ariège: 12 desks, a bus and an itinerant service (Saint-Girons).
    assert (desks.count(), travelling.count()) == (12, 2)
    assert frame.locator(".olls-programme-layer-fabrique").count() == 0
    legend = frame.locator(".olls-legend").inner_text()
    assert "Programmes nationaux (hors inventaire)" in legend
    assert "France services itinérante" in legend
    symbols = frame.locator(".olls-legend .olls-programme-symbol")
    assert symbols.count() == 2 and symbols.first.is_visible()
    desks.first.hover()
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.first.wait_for(timeout=10_000)
    assert "Programme national, hors inventaire" in tooltip.first.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(MAP).screenshot(path=str(ARTIFACTS / "carte-france-services.png"))
    page.close()
