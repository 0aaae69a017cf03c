"""Couverture in chromium: the legend covers no commune of the perimeter (the worst-served
ones included) nor any place, the scale is in kilometres, and fewer sites say why."""

from __future__ import annotations

import pytest

from observatory import maps
from tests.browser.conftest import ARTIFACTS, serve_demo

# The fill colours of communes with data (every travel class); context communes are grey.
DATA_FILLS = [colour for _, colour in maps.ACCESS_BINS] + [maps.NO_PLACE_COLOUR]

# With the legend hidden, what lies under each point of its box (every 4 px): a commune of a
# travel class or a place is data, and must not be there.
UNDER_THE_LEGEND = """([fills]) => {
    const legend = document.querySelector('.olls-legend');
    const box = legend.getBoundingClientRect();
    legend.style.visibility = 'hidden';
    const hits = [];
    for (let x = box.left + 1; x < box.right - 1; x += 4) {
        for (let y = box.top + 1; y < box.bottom - 1; y += 4) {
            const under = document.elementFromPoint(x, y);
            if (!under || under.tagName !== 'path') continue;
            const fill = (under.getAttribute('fill') || '').toLowerCase();
            const kind = under.getAttribute('class') || '';
            if (fills.includes(fill) || kind.includes('olls-place')
                || kind.includes('olls-suggestion')) {
                hits.push([Math.round(x), Math.round(y), fill, kind]);
            }
        }
    }
    legend.style.visibility = '';
    return {hits: hits, box: [box.left, box.top, box.width, box.height],
            position: legend.className, paths: document.querySelectorAll('path').length};
}"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from serve_demo(tmp_path_factory, "coverage_browser")


def open_coverage(browser, url, width):
    page = browser.new_page(viewport={"width": width, "height": 1800})
    page.goto(url + "/couverture")
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    frame.locator(".olls-legend").wait_for(timeout=60_000)
    frame.locator("path.olls-place").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # the page lays the map out: the legend is placed again
    return page, frame


@pytest.mark.parametrize("width", [1400, 1000])
def test_the_legend_covers_no_commune_with_data_and_no_place(browser, app_url, width):
    page, frame = open_coverage(browser, app_url, width)
    inner = next(f for f in page.frames if "st_folium" in f.url)
    found = inner.evaluate(UNDER_THE_LEGEND, [DATA_FILLS])
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator('iframe[title="streamlit_folium.st_folium"]').screenshot(
        path=str(ARTIFACTS / f"couverture-legende-{width}.png"))
    assert found["paths"] > 100  # the communes are drawn
    assert found["hits"] == [], found
    scale = frame.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(scale) == 1 and scale[0].endswith(("km", " m"))  # no miles
    page.close()


def test_fewer_sites_than_asked_say_why_and_the_figures_agree(browser, app_url):
    page, _ = open_coverage(browser, app_url, 1400)
    # Ask for ten sites (the slider's end): the demonstration needs fewer, whatever the figures.
    k = page.get_by_role("slider", name="Nombre d'implantations à suggérer")
    k.focus()
    k.press("End")
    page.get_by_text("10", exact=True).first.wait_for(timeout=30_000)
    main = page.locator("section.main, [data-testid='stMain']").first
    page.wait_for_function(
        "() => /suffisent|suffit/.test(document.querySelector(\"[data-testid='stMain']\")"
        ".innerText)", timeout=60_000)
    text = main.inner_text()
    page.screenshot(path=str(ARTIFACTS / "couverture.png"), full_page=True)
    assert "suffisent" in text or "suffit" in text  # fewer sites than the ten asked
    assert "gloutonne" not in text  # the precise statement is in the expander, closed
    assert "Comment ces suggestions sont calculées" in text
    assert "100\u00a0%" not in text.replace("\u202f", "")
    page.close()
