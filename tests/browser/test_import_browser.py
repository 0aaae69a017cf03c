"""Journey 2 in a real browser: a messy file is refused with reasons, the fixed one imports
(replacing the demonstration data: the sidebar and the banner follow at once), then a
messier one moves a stored place, shown field by field before it is written."""

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
# The café gets its exact position (it sat at Mirepoix's centre); a row pasted twice; a new
# place without coordinates.
MOVED = "\n".join([HEADER,
                   "Café des Possibles;Mirepoix;43,114201;1,875145;Café/bar associatif;"
                   "Association;2010;3,5",
                   "Fablab du Plantaurel;Varilhes;;;Fablab;Association;2019;2,5",
                   "Fablab du Plantaurel;Varilhes;;;Fablab;Association;2019;2,5"])
SIDEBAR = '[data-testid="stSidebar"]'
BANNER = "les lieux affichés sont fictifs"


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
    page.locator(SIDEBAR).get_by_text("sur 42").wait_for(timeout=30_000)
    assert page.get_by_text(BANNER).count() == 1
    upload(page, bad)
    page.get_by_text("1 en erreur").first.wait_for(timeout=60_000)  # the score 9
    page.get_by_text("rien n'a été écrit").first.wait_for(timeout=10_000)
    assert page.get_by_role("button", name="Importer", exact=True).count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-errors.png"), full_page=True)

    upload(page, good)
    page.get_by_text("2 lignes prêtes").first.wait_for(timeout=60_000)
    page.get_by_text("Les données de démonstration seront retirées").wait_for(timeout=10_000)
    assert page.get_by_text("42 lieux, ").count() == 1
    page.get_by_label("Votre nom (pour l'historique)").fill("Claire")
    page.get_by_label("Votre nom (pour l'historique)").press("Enter")
    button = page.get_by_role("button", name="Importer", exact=True)
    button.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    button.click()
    page.get_by_text("Import terminé").wait_for(timeout=60_000)
    # Same interaction: the sidebar counts the imported places, the banner is gone.
    page.locator(SIDEBAR).get_by_text("2 lieux affichés sur 2").wait_for(timeout=10_000)
    assert page.get_by_text(BANNER).count() == 0
    assert page.get_by_text("Données de démonstration retirées : 42 lieux").count() == 1
    page.screenshot(path=str(ARTIFACTS / "import-done.png"), full_page=True)
    with db.session(db_path, read_only=True) as con:
        names = set(places.current(con)["name"])
    assert {"Café des Possibles", "Atelier Bien Noté"} <= names
    assert "Atelier Trop Noté" not in names

    moved = tmp / "inventaire-positions.csv"
    moved.write_bytes(MOVED.encode("cp1252"))
    upload(page, moved)
    page.get_by_text("2 lignes prêtes (1 ajout, 1 mise à jour), 1 ignorée").first.wait_for(
        timeout=60_000)
    page.get_by_text("Changements champ par champ").wait_for(timeout=10_000)
    grid = page.locator('[data-testid="stDataFrame"]').filter(has_text="déplacé de")
    grid.wait_for(timeout=10_000)  # the changes table: one « Coordonnées » row, how far
    page.screenshot(path=str(ARTIFACTS / "import-changes.png"), full_page=True)
    with db.session(db_path, read_only=True) as con:  # the preview wrote nothing
        cafe = places.current(con).set_index("name").loc["Café des Possibles"]
    assert cafe["location_approximate"] and round(cafe["lat"], 6) != 43.114201
    page.get_by_label("Votre nom (pour l'historique)").fill("Claire")
    page.get_by_label("Votre nom (pour l'historique)").press("Enter")
    button = page.get_by_role("button", name="Importer", exact=True)
    button.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    button.click()
    page.get_by_text("Import terminé : 1 lieu ajouté, 1 lieu mis à jour").wait_for(
        timeout=60_000)
    page.locator(SIDEBAR).get_by_text("3 lieux affichés sur 3").wait_for(timeout=10_000)
    page.close()
    with db.session(db_path, read_only=True) as con:
        cafe = places.current(con).set_index("name").loc["Café des Possibles"]
    assert not cafe["location_approximate"] and round(cafe["lat"], 6) == 43.114201
