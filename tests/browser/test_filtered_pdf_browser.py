"""The PDF of a filtered view, downloaded from the Données page in a real browser: the
sidebar's filters (from a shared link) are named on the cover and in a page header, the
ratios are said to be computed on the filtered EPCI, and the author line is filled."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, serve_demo
from tests.test_exports import pdf_text

OLMES = "240900464"  # Communauté de communes du Pays d'Olmes
FILTERS = "Vue filtrée : EPCI CC du Pays d'Olmes ; lieux matures seulement"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from serve_demo(tmp_path_factory, "filtered_pdf")


def test_the_pdf_of_a_filtered_view_names_its_filters_perimeter_and_author(browser, app_url,
                                                                           tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    page.goto(f"{app_url}/donnees?epci={OLMES}&matures=1")
    page.get_by_text("Préparer le fichier").wait_for(timeout=60_000)
    # The page says the view is filtered before the file is made.
    page.get_by_text("le rapport le dira sur sa couverture").wait_for(timeout=30_000)
    page.get_by_role("button", name="Préparer le fichier").click()
    button = page.get_by_role("button", name="Télécharger")
    button.wait_for(timeout=90_000)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "filtered-pdf-donnees.png"), full_page=True)
    page.close()

    pages = pdf_text(target.read_bytes()).split("\f")
    cover = re.sub(r"\s+", " ", pages[0])
    assert FILTERS in cover
    assert "Établi en mode démonstration le " in cover and "Établi par le" not in cover
    assert "intercommunalités retenues par le filtre : CC du Pays d'Olmes" in cover
    assert "Total du périmètre filtré" in cover
    header = pages[1].lstrip().splitlines()[:3]
    assert FILTERS in header, header
    _render_cover(target)


def _render_cover(pdf_path) -> None:
    """The cover as an image in test-artifacts/, for a human look."""
    import shutil
    import subprocess

    tool = shutil.which("pdftoppm")
    if tool:
        subprocess.run([tool, "-r", "70", "-png", "-f", "1", "-l", "2", str(pdf_path),
                        str(ARTIFACTS / "filtered-pdf-page")], check=True)
