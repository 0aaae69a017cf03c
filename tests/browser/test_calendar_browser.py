"""The itinerance calendar in chromium: it opens on every booked stay (next year's included),
its legend lists every place with a stay, months are named in French and Plotly's own
toolbar speaks French (the locale handed with the chart's config)."""

from __future__ import annotations

import pytest

from observatory import bootstrap, config
from observatory.store import db
from observatory.territory.config import load_territory_config
from tests.browser.conftest import ARTIFACTS, start_app

NEXT_YEAR_STAY = ("2027-02-01", "2027-02-20")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("calendar_browser")
    path = tmp / "demo.duckdb"
    bootstrap.init_database(path, load_territory_config(config.territory_path()), with_demo=True)
    con = db.connect(path)
    try:  # a stay booked next year, at a place the demonstration's tours never visit
        item, place = con.execute(
            "SELECT e.id, p.id FROM equipment e, places p WHERE e.itinerant AND NOT e.archived "
            "AND p.id NOT IN (SELECT place_id FROM equipment_stays) ORDER BY e.id, p.id "
            "LIMIT 1").fetchone()
        name = con.execute("SELECT name FROM places WHERE id = ?", [place]).fetchone()[0]
        con.execute("INSERT INTO equipment_stays (id, equipment_id, place_id, start_date, "
                    "end_date, note) SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ?, 'test' "
                    "FROM equipment_stays", [item, place, *NEXT_YEAR_STAY])
        places = {r[0] for r in con.execute(
            "SELECT DISTINCT p.name FROM equipment_stays s JOIN places p ON p.id = s.place_id "
            "JOIN equipment e ON e.id = s.equipment_id WHERE e.itinerant AND NOT e.archived"
        ).fetchall()}
    finally:
        con.close()
    process, url = start_app(path, tmp)
    yield url, name, places
    process.terminate()
    process.wait(timeout=20)


def test_the_calendar_shows_next_years_stay_every_place_and_french_months(browser, app):
    url, next_year_place, places = app
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(url + "/equipements")
    page.get_by_text("Itinérance et calendrier").click()
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    chart.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    chart.screenshot(path=str(ARTIFACTS / "calendrier_itinerance.png"))

    texts = "els => els.map(e => e.textContent)"  # SVG text has no innerText
    ticks = chart.locator(".xtick text").evaluate_all(texts)
    assert ticks[0] == "janvier 2026" and "janvier 2027" in ticks, ticks  # next year shown
    assert not any(m in " ".join(ticks) for m in ("Jan", "Feb", "Mar", "Apr", "May")), ticks
    legend = set(chart.locator(".legend .traces .legendtext").evaluate_all(texts))
    assert legend == places and next_year_place in legend
    chart.hover()
    titles = set(chart.locator(".modebar-btn").evaluate_all(
        "buttons => buttons.map(b => b.getAttribute('data-title'))"))
    assert "Réinitialiser les axes" in titles or "Échelle automatique" in titles, titles
    page.close()
