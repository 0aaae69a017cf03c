"""The self-contained HTML map: nothing remote in the file, and it draws offline in chromium."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from observatory import exports
from observatory.bundle import Bundle
from observatory.exports import html_map
from tests.browser.conftest import ARTIFACTS, CHROMIUM_FLAGS, chromium_path
from tests.test_exports import HTML_NAME, hostile, load_bundle

REMOTE_ASSET = re.compile(
    r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def bundle(demo_db) -> Bundle:
    return load_bundle(demo_db)


@pytest.fixture(scope="module")
def hostile_bundle(bundle) -> Bundle:
    return hostile(bundle)


@pytest.fixture(scope="module")
def page_html(hostile_bundle) -> str:
    return exports.build(hostile_bundle, "html").decode("utf-8")


def test_no_script_or_stylesheet_is_fetched_from_a_server(page_html):
    assert REMOTE_ASSET.search(page_html) is None
    assert "cdn.jsdelivr.net" not in page_html and "code.jquery.com" not in page_html
    assert re.search(r"<link\b[^>]*stylesheet", page_html) is None


def test_leaflet_and_jquery_are_inlined(page_html):
    assert "Leaflet 1." in page_html or "leafletjs.com" in page_html
    assert "jQuery v3" in page_html
    assert "images/layers.png" not in page_html  # the CSS images are data: URIs


def test_hostile_names_are_escaped_in_the_page(page_html):
    assert HTML_NAME not in page_html
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page_html
    assert "DROP TABLE places" in page_html


def test_title_says_what_and_when(page_html):
    assert "<title>Observatoire des lieux de lien social — PETR de l&#x27;Ariège — Bilan 2026" \
        in page_html
    assert "Données de démonstration" in page_html


def test_the_scale_is_in_kilometres_and_the_legend_keeps_off_the_title(page_html):
    assert "imperial: false" in page_html and "L.control.scale()" not in page_html
    assert "topleft" not in html_map.LEGEND_CORNERS  # the title's corner


def test_a_remote_asset_is_refused_rather_than_shipped():
    with pytest.raises(ValueError, match="ressource distante"):
        html_map.inline_assets('<img src="https://tile.example.org/1.png">')
    with pytest.raises(FileNotFoundError, match="introuvable"):
        html_map.inline_assets('<script src="https://cdn.example.org/x.js"></script>')


def open_offline(path: Path) -> dict:
    """Open the file in headless chromium; what was drawn, requested, raised.

    Runs in its own thread: the browser tests' session-wide Playwright may already own this
    thread's event loop, and a second sync Playwright refuses to start inside it."""
    from playwright.sync_api import sync_playwright

    seen = {"outside": [], "dialogs": [], "errors": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda r: seen["outside"].append(r.url)
                if not r.url.startswith(("file:", "data:")) else None)
        page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))
        page.goto(path.as_uri())
        page.locator(".leaflet-container").wait_for(timeout=30_000)
        page.wait_for_function("document.querySelectorAll('path.olls-place').length >= 42",
                               timeout=30_000)
        seen["places"] = page.locator("path.olls-place").count()
        seen["mature"] = page.locator("path.olls-mature").count()
        seen["legend"] = page.locator(".olls-legend").count()
        seen["legend_box"] = page.locator(".olls-legend").bounding_box()
        seen["markers"] = [page.locator("path.olls-place").nth(i).bounding_box()
                           for i in range(seen["places"])]
        seen["scale"] = page.locator(".leaflet-control-scale-line").all_inner_texts()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "export-carte-html.png"))
        browser.close()
    return seen


@pytest.mark.browser
def test_map_opens_from_a_file_offline_with_every_place(hostile_bundle, tmp_path):
    pytest.importorskip("playwright.sync_api")
    if chromium_path() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium (paquet Debian) absent : obligatoire en CI")
        pytest.skip("chromium (paquet Debian) absent")
    path = tmp_path / "carte.html"
    path.write_bytes(exports.build(hostile_bundle, "html"))
    with ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(open_offline, path).result(timeout=120)
    assert seen["places"] == 42
    assert seen["mature"] == int(hostile_bundle.places["mature"].sum())
    assert seen["legend"] == 1
    assert seen["outside"] == [] and seen["dialogs"] == [] and seen["errors"] == []
    legend = seen["legend_box"]
    for marker in seen["markers"]:  # the legend covers no place
        x, y = marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2
        assert not (legend["x"] <= x <= legend["x"] + legend["width"]
                    and legend["y"] <= y <= legend["y"] + legend["height"]), marker
    assert len(seen["scale"]) == 1 and seen["scale"][0].endswith(("km", " m"))
