"""Journey 2 in a real browser: a messy file is refused with reasons, the fixed one imports."""

from __future__ import annotations

import pytest

from observatory import bootstrap, config
from observatory.store import db, places
from observatory.territory.config import load_territory_config
from tests.browser.conftest import ARTIFACTS, start_app

HEADER = ("Nom du lieu;Commune;Latitude;Longitude;Typologie;Statut juridique;"
          "Année d'ouverture;Communs")
BAD = "\n".join([HEADER, "Café des Possibles;Mirepoix;;;Café/bar associatif;Association;2010;3,5",
                 "Atelier Trop Noté;Lavelanet;;;Atelier partagé;SCIC;2012;9"])
GOOD = "\n".join([HEADER, "Café des Possibles;Mirepoix;;;Café/bar associatif;Association;2010;3,5",
                  "Atelier Bien Noté;Lavelanet;;;Atelier partagé;SCIC;2012;3"])


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("import")
    path = tmp / "demo.duckdb"
    bootstrap.init_database(path, load_territory_config(config.territory_path()), with_demo=True)
    process, url = start_app(path, tmp)
    yield url, path, tmp
    process.terminate()
    process.wait(timeout=20)


def upload(page, path) -> None:
    page.locator("input[type=file]").set_input_files(str(path))


def test_a_bad_file_writes_nothing_and_the_fixed_one_imports(browser, app):
    url, db_path, tmp = app
    bad, good = tmp / "inventaire.csv", tmp / "inventaire-corrige.csv"
    bad.write_bytes(BAD.encode("cp1252"))  # as Excel writes it on Windows
    good.write_bytes(GOOD.encode("cp1252"))
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    page.goto(url + "/importer")
    page.get_by_text("Fichier à importer").wait_for(timeout=60_000)
    upload(page, bad)
    page.get_by_text("1 en erreur").first.wait_for(timeout=60_000)  # the score 9
    page.get_by_text("rien n'a été écrit").first.wait_for(timeout=10_000)
    assert page.get_by_role("button", name="Importer", exact=True).count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-errors.png"), full_page=True)

    upload(page, good)
    page.get_by_text("2 lignes prêtes").first.wait_for(timeout=60_000)
    page.get_by_label("Votre nom (pour l'historique)").fill("Claire")
    page.get_by_label("Votre nom (pour l'historique)").press("Enter")
    button = page.get_by_role("button", name="Importer", exact=True)
    button.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    button.click()
    page.get_by_text("Import terminé").wait_for(timeout=60_000)
    page.close()
    with db.session(db_path, read_only=True) as con:
        names = set(places.current(con)["name"])
    assert {"Café des Possibles", "Atelier Bien Noté"} <= names
    assert "Atelier Trop Noté" not in names
