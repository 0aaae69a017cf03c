"""What the browser really shows of the texts Streamlit writes itself: French, not English."""

from __future__ import annotations

import pytest

from observatory.ui import widget_french
from tests.browser.conftest import ARTIFACTS, serve_demo


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    yield from serve_demo(tmp_path_factory, "widget-french")


def shown(page, selector: str) -> str:
    """The text a person sees in ``selector``: its own text if it has a size, else ::after."""
    return page.eval_on_selector(selector, """e => {
        const own = parseFloat(getComputedStyle(e).fontSize) > 0 ? e.innerText : "";
        const after = getComputedStyle(e, "::after").content;
        return own + (after && after !== "none" ? JSON.parse(after) : "");
    }""")


def test_the_file_uploader_reads_french_in_the_browser(browser, app):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(app + "/importer")
    zone = "[data-testid='stFileUploaderDropzone']"
    page.locator(zone).wait_for(timeout=60_000)
    button = shown(page, f"{zone} [data-testid^='stBaseButton'] "
                         "[data-testid='stMarkdownContainer'] p")
    limit = shown(page, f"{zone} [data-testid='stFileUploaderDropzoneInstructions'] span")
    assert button == widget_french.UPLOAD_BUTTON
    assert limit == widget_french.UPLOAD_LIMIT
    assert "Upload" not in button and "per file" not in limit
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("[data-testid='stFileUploader']").screenshot(
        path=str(ARTIFACTS / "importer-uploader-french.png"))
    # The widget still works: a file chosen through it reaches the app.
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "vide.csv", "mimeType": "text/csv", "buffer": b"Nom du lieu;Commune\n"}])
    page.get_by_text("vide.csv").first.wait_for(timeout=60_000)
    page.close()


def test_the_page_menu_lists_every_page_with_no_english_view_more(browser, app):
    from observatory.ui import pages

    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(app)
    links = page.locator("[data-testid='stSidebarNavLink']")
    # Until app.py has run, Streamlit lists the files of pages/ (« app », « appels »…).
    page.wait_for_function("""() => {
        const link = document.querySelector("[data-testid='stSidebarNavLink']");
        return link && link.innerText.trim().split(/\\s*\\n\\s*/).pop() === "Carte"; }""",
                           timeout=60_000)
    page.wait_for_timeout(500)
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert "View" not in sidebar and "more" not in sidebar  # « View 3 more » with 13 pages
    titles = [t.strip().split("\n")[-1] for t in links.all_inner_texts()]  # after the icon
    assert titles == [p.title for p in pages.PAGES]
    page.close()
