"""Downloads from a real browser: the PDF report and the Excel workbook of the current view."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.browser.conftest import ARTIFACTS, serve_demo


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from serve_demo(tmp_path_factory, "downloads")


def download(browser, url: str, fmt_label: str | None, tmp_path) -> bytes:
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    page.goto(url + "/donnees")
    page.get_by_text("Préparer le fichier").wait_for(timeout=60_000)
    if fmt_label:
        page.get_by_role("combobox", name="Format").click()
        page.get_by_role("option", name=fmt_label).click()
    page.get_by_role("button", name="Préparer le fichier").click()
    button = page.get_by_role("button", name="Télécharger")
    button.wait_for(timeout=90_000)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"download-{target.suffix.strip('.')}.png"))
    page.close()
    return target.read_bytes()


def test_the_pdf_report_downloads_from_the_data_page(browser, app_url, tmp_path):
    payload = download(browser, app_url, None, tmp_path)
    assert payload.startswith(b"%PDF")
    assert len(payload) > 50_000


def test_the_excel_workbook_downloads_and_opens(browser, app_url, tmp_path):
    payload = download(browser, app_url, "Classeur Excel", tmp_path)
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:  # an xlsx is a zip of XML parts
        assert "xl/workbook.xml" in archive.namelist()
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(payload), read_only=True)
    assert len(workbook.sheetnames) >= 3
