"""The map layers of issue 12 in chromium: a place at its commune's centre drawn hollow and
dashed, the Carte's consortium layer, a tour's numbered stops. Screenshots go to
test-artifacts/ (carte-consortiums.png, tournee.png) to be looked at."""

from __future__ import annotations

import pytest

from observatory import bootstrap, config, maps
from observatory.service import imports, proximity
from observatory.store import db
from observatory.territory.config import load_territory_config
from tests.browser.conftest import ARTIFACTS, start_app

MAP = 'iframe[title="streamlit_folium.st_folium"]'
NO_COORDINATES = "Atelier sans adresse"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The demonstration places and one imported without coordinates (Mirepoix's centre)."""
    tmp = tmp_path_factory.mktemp("map_layers_browser")
    path = tmp / "demo.duckdb"
    bootstrap.init_database(path, load_territory_config(config.territory_path()), with_demo=True)
    raw = f"Nom du lieu;Code INSEE;Typologie\n{NO_COORDINATES};09194;Café associatif\n"
    outcome = imports.import_places(imports.import_sessions(path), raw.encode(), "lieux.csv",
                                    "places", dry_run=False, actor="Claire")
    assert outcome.ok
    with db.session(path, read_only=True) as con:
        saved = proximity.saved_consortia(con)
    links = sum(len(members) - 1 for members in saved["member_ids"])
    process, url = start_app(path, tmp)
    yield url, links
    process.terminate()
    process.wait(timeout=20)


def one_map(page, selector: str) -> None:
    """Wait until the rerun's map is the only one left (both exist for a moment, and the old
    one can stand alone before the new one is added) and shows ``selector``."""
    page.wait_for_function(
        """(selector) => {
            const maps = document.querySelectorAll('iframe[title="streamlit_folium.st_folium"]');
            if (maps.length !== 1) { return false; }
            const inside = maps[0].contentDocument;
            return !!inside && inside.querySelectorAll(selector).length > 0;
        }""", arg=selector, timeout=60_000)


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(url)
    frame = page.frame_locator(MAP)
    frame.locator("path.olls-place").first.wait_for(timeout=60_000)
    return page, frame


def test_the_carte_draws_the_consortia_on_demand_and_approximate_places_apart(browser,
                                                                              app_url):
    url, links = app_url
    page, frame = open_page(browser, url)
    assert frame.locator("path.olls-place").count() == 43
    hollow = frame.locator("path.olls-approximate")
    assert hollow.count() == 1
    assert hollow.first.get_attribute("stroke-dasharray")
    assert float(hollow.first.get_attribute("fill-opacity")) < 0.5
    assert maps.APPROXIMATE_LABEL in frame.locator(".olls-legend").inner_text()
    assert frame.locator("path.olls-link").count() == 0

    page.get_by_text("Afficher les consortiums", exact=True).click()
    one_map(page, "path.olls-link")
    frame.locator("path.olls-link").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # the new map lays itself out and places its legend
    assert frame.locator("path.olls-link").count() == links  # the demonstration consortia
    legend = frame.locator(".olls-legend").inner_text()
    assert "Consortiums enregistrés" in legend and "chef de file → membre" in legend
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(MAP).screenshot(path=str(ARTIFACTS / "carte-consortiums.png"))
    page.close()


def test_a_tour_numbers_its_stops_on_a_violet_route(browser, app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 2200})
    page.goto(app_url[0] + "/equipements")
    page.get_by_text("Planifier une tournée").click(timeout=60_000)
    page.get_by_role("combobox", name="Partir des membres d'un consortium").click(
        timeout=60_000)
    page.get_by_role("option").nth(1).click()  # the first consortium (0 is « — »)
    one_map(page, ".olls-stop-number")
    frame = page.frame_locator(MAP)
    frame.locator(".olls-stop-number").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    numbers = frame.locator(".leaflet-marker-pane .olls-stop-number").all_inner_texts()
    assert sorted(int(n) for n in numbers) == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 2
    strokes = {frame.locator("path.olls-link").nth(k).get_attribute("stroke")
               for k in range(frame.locator("path.olls-link").count())}
    assert strokes == {maps.TOUR_COLOUR}
    assert "Ordre de passage" in frame.locator(".olls-legend").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(MAP).screenshot(path=str(ARTIFACTS / "tournee.png"))
    page.close()
