"""The pages as a user sees them, driven through streamlit.testing (AppTest).

The list of pages is ``observatory.ui.pages.PAGES`` (app.py's navigation is built from it);
the first tests check that it matches the ``pages/`` folder and that every page runs.

Each test gets its own copy of the demonstration database (42 places, 12 mature under the
default rule) through the ``app_db`` fixture, and a factory ``make_app`` (tests/app/conftest.py).
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from observatory import catalogue, formatting
from observatory.store import db, evaluations, places, rules
from observatory.ui.pages import PAGES, PATHS, by_title

ROOT = Path(__file__).resolve().parents[2]

CARTE, LIEUX, TABLEAU, MATURITE = ("pages/carte.py", "pages/lieux.py",
                                   "pages/tableau_de_bord.py", "pages/maturite.py")
TITLES = {
    CARTE: "Carte des lieux de lien social",
    LIEUX: "Lieux",
    TABLEAU: "Tableau de bord",
    MATURITE: "Critères et maturité",
}
DEMO_PLACES = 42
DEMO_MATURE = 12
FOIX_VARILHES = "240900464"  # Communauté d'agglomération L'agglo Foix-Varilhes
MAP_COMPONENT = "streamlit_folium.st_folium"
XSS_NAME = "<img src=x onerror=alert(1)>"


# --- helpers ------------------------------------------------------------------------------

def assert_ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"pas de métrique « {label} » : {[m.label for m in at.metric]}"
    return found[0]


def map_args(at: AppTest) -> dict:
    """The arguments st_folium sent to its component (script, links, height...)."""
    for element in at.get("component_instance"):
        if getattr(element.proto, "component_name", "") == MAP_COMPONENT:
            return json.loads(element.proto.json_args)
    raise AssertionError("la carte (st_folium) n'est pas affichée")


def map_script(at: AppTest) -> str:
    r"""The map's Leaflet script with its JavaScript \uXXXX escapes decoded.

    folium's tojson writes <, > and & as \u003c, \u003e, \u0026: decoding them shows the
    text as the browser will receive it, so an unescaped name would appear here as raw HTML.
    """
    script = map_args(at)["script"]
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), script)


PLACE_IDS = re.compile(r'"place_id":\[([0-9,]*)\]')  # maps.PlacesLayer's column of ids


def place_markers(at: AppTest) -> int:
    found = PLACE_IDS.findall(map_script(at))
    assert len(found) <= 1, "one places layer per map"
    return len(found[0].split(",")) if found and found[0] else 0


def places_table(at: AppTest) -> pd.DataFrame:
    """The table of places of the Lieux page."""
    for frame in at.dataframe:
        value = frame.value
        if {"Nom", "Commune", "Typologie", "Mature"} <= set(value.columns):
            return value
    raise AssertionError("pas de tableau des lieux")


def dataframe_with(at: AppTest, column: str) -> pd.DataFrame:
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"pas de tableau avec la colonne « {column} »")


def markdown_texts(at: AppTest) -> list[str]:
    """The markdown elements as read on screen (backslash escapes of user text removed)."""
    return [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown]


def has_demo_banner(at: AppTest) -> bool:
    return any("Données de démonstration" in info.value for info in at.info)


def folded(text: str) -> str:
    """Lower case, accents removed (written here independently of observatory.filters)."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text)
                   if unicodedata.category(ch) != "Mn").lower()


def read_places(path: Path) -> pd.DataFrame:
    """The places of a database file, with maturity, read before the app opens the file."""
    con = db.connect(path, read_only=True)
    try:
        return catalogue.annotate(places.current(con), rules.current(con))
    finally:
        con.close()


def toggle(at: AppTest, label: str):
    found = [t for t in at.toggle if t.label == label]
    assert found, f"pas d'interrupteur « {label} »"
    return found[0]


# --- the page list ------------------------------------------------------------------------

def test_the_page_list_and_the_pages_folder_agree():
    on_disk = {f"pages/{path.name}" for path in (ROOT / "pages").glob("*.py")}
    assert set(PATHS) == on_disk, ("listed, no file:", set(PATHS) - on_disk,
                                   "file, not listed:", on_disk - set(PATHS))
    assert len(PATHS) == len(set(PATHS)), "a page is listed twice"
    assert len({page.title for page in PAGES}) == len(PAGES), "two pages share a title"
    assert [page.path for page in PAGES if page.default] == [CARTE]
    for page in PAGES:
        assert page.icon.startswith(":material/") and page.icon.endswith(":"), page


def test_app_builds_its_navigation_from_the_page_list():
    """app.py names no page file itself: a page added to PAGES is in the navigation."""
    text = (ROOT / "app.py").read_text(encoding="utf-8")
    assert "pages.PAGES" in text
    assert '"pages/' not in text and "'pages/" not in text


def test_every_listed_page_runs_with_the_shared_sidebar(make_app, app_db):
    at = make_app(app_db)
    at.run()
    for page in PATHS:
        at.switch_page(page).run()
        assert_ok(at)
        assert at.title, page
        assert toggle(at, "Lieux matures seulement") is not None, page


def test_a_setting_that_cannot_be_read_is_explained_in_french(make_app, app_db, monkeypatch):
    make = make_app  # sets OBSERVATORY_TILES=off; the variable below replaces it
    monkeypatch.setenv("OBSERVATORY_CIRCUITY", "beaucoup")
    at = make(app_db)
    at.run()
    assert not at.exception, [e.value for e in at.exception]  # no traceback
    [error] = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]  # as read on screen
    assert error.startswith("L'application n'a pas pu démarrer.")
    assert "OBSERVATORY_CIRCUITY" in error and "beaucoup" in error
    assert not at.title  # no page drawn on settings it cannot trust


# --- every page ---------------------------------------------------------------------------

def test_every_page_runs_and_shows_its_french_title_and_the_demo_banner(make_app, app_db):
    at = make_app(app_db)
    at.run()
    for page in (CARTE, LIEUX, TABLEAU, MATURITE):
        at.switch_page(page).run()
        assert_ok(at)
        assert [t.value for t in at.title] == [TITLES[page]], page
        assert has_demo_banner(at), page
        # the shared sidebar is drawn on every page
        assert toggle(at, "Lieux matures seulement") is not None
        assert any(b.label == "Réinitialiser les filtres" for b in at.sidebar.button)


def test_a_link_to_a_page_opens_it_on_a_fresh_server(make_app, app_db):
    """A shared link to /lieux, the first request of a newly started server.

    Real Streamlit behaviour (no workaround): while ``pages/`` sits next to app.py, Streamlit
    runs the requested page file alone until app.py has called st.navigation once in the
    process, so the page dies on context.get() (KeyError '_page_context'). Seen in Chromium
    too: a new server, first visit to /lieux.
    """
    at = make_app(app_db, page=LIEUX, steady_navigation=False)
    at.run()
    assert_ok(at)
    assert [t.value for t in at.title] == [TITLES[LIEUX]]
    assert toggle(at, "Lieux matures seulement") is not None


# --- Carte --------------------------------------------------------------------------------

def test_carte_counts_and_maps_all_places_then_only_mature_ones(make_app, app_db):
    at = make_app(app_db)
    at.run()
    assert_ok(at)
    assert metric(at, "Lieux affichés") == f"{DEMO_PLACES} / {DEMO_PLACES}"
    assert metric(at, "dont matures") == str(DEMO_MATURE)
    assert place_markers(at) == DEMO_PLACES

    toggle(at, "Lieux matures seulement").set_value(True)
    at.run()
    assert_ok(at)
    assert metric(at, "Lieux affichés") == f"{DEMO_MATURE} / {DEMO_PLACES}"
    assert metric(at, "dont matures") == str(DEMO_MATURE)
    assert place_markers(at) == DEMO_MATURE


def test_carte_loads_leaflet_and_jquery_from_the_app_not_from_a_cdn(make_app, app_db):
    at = make_app(app_db)
    at.run()
    args = map_args(at)
    links = args["js_links"] + args["css_links"]
    assert any(link.endswith("leaflet.js") for link in args["js_links"])
    assert any(link.endswith("leaflet.css") for link in args["css_links"])
    for link in links:
        assert link.startswith("/app/static/"), link
    everything = " ".join(links) + args["header"] + args["script"]
    for cdn in ("cdn.jsdelivr", "code.jquery", "unpkg.com", "cdnjs", "http://", "https://"):
        assert cdn not in everything, cdn
    for path in links:  # the files are really shipped in static/
        assert (Path(__file__).resolve().parents[2] / path.removeprefix("/app/")).is_file(), path


def test_carte_escapes_a_place_name_written_as_html(make_app, app_db):
    con = db.connect(app_db)
    try:
        with db.transaction(con):
            place_id = places.insert(con, {
                "name": XSS_NAME, "insee": "09122", "lon": 1.6053, "lat": 42.9653,
                "typology": "Fablab"})
            evaluations.insert(con, {
                "place_id": place_id, "evaluated_on": datetime.date(2025, 3, 1),
                "evaluator": "test", "commons": 2, "innovative_response": 2,
                "collective_dynamic": 2, "territorial_anchoring": 2, "shared_governance": 2,
                "evidence": XSS_NAME})
    finally:
        con.close()

    at = make_app(app_db)
    at.run()
    assert_ok(at)
    assert metric(at, "Lieux affichés") == f"{DEMO_PLACES + 1} / {DEMO_PLACES + 1}"
    script = map_script(at)
    assert "&lt;img src=x onerror=alert(1)&gt;" in script
    assert XSS_NAME not in script
    assert "onerror=alert(1)>" not in script


def test_carte_density_toggle_colours_the_epci(make_app, app_db):
    at = make_app(app_db)
    at.run()
    assert "Lieux pour 10 000 habitants (EPCI)" not in map_script(at)
    toggle(at, "Colorer les intercommunalités par nombre de lieux pour 10 000 habitants") \
        .set_value(True)
    at.run()
    assert_ok(at)
    assert "Lieux pour 10 000 habitants (EPCI)" in map_script(at)
    assert place_markers(at) == DEMO_PLACES


def test_carte_shows_the_place_selected_in_the_link(make_app, app_db):
    first = read_places(app_db).iloc[0]
    at = make_app(app_db, query={"lieu": str(int(first["id"]))})
    at.run()
    assert_ok(at)
    assert any(f"Lieu sélectionné : {first['name']}" in text for text in markdown_texts(at))
    assert "olls-selected" in map_script(at)


# --- filters and the URL ------------------------------------------------------------------

def test_filters_are_read_from_a_shared_link(make_app, app_db):
    demo = read_places(app_db)
    in_epci = demo[demo["epci_siren"] == FOIX_VARILHES]
    assert 0 < len(in_epci) < DEMO_PLACES

    at = make_app(app_db, query={"matures": "1"})
    at.run()
    assert_ok(at)
    assert metric(at, "Lieux affichés") == f"{DEMO_MATURE} / {DEMO_PLACES}"
    assert toggle(at, "Lieux matures seulement").value is True
    assert place_markers(at) == DEMO_MATURE

    at = make_app(app_db, query={"epci": FOIX_VARILHES, "matures": "1"})
    at.run()
    assert_ok(at)
    expected = int(in_epci["mature"].sum())
    assert metric(at, "Lieux affichés") == f"{expected} / {DEMO_PLACES}"
    assert at.sidebar.multiselect(key="f_epci").value == [FOIX_VARILHES]


def test_a_malformed_link_is_ignored_not_fatal(make_app, app_db):
    at = make_app(app_db, query={"min_commons": "abc", "epci": "999999999", "lieu": "zz",
                                 "typologie": "<script>", "matures": "peut-être"})
    at.run()
    assert_ok(at)
    assert metric(at, "Lieux affichés") == f"{DEMO_PLACES} / {DEMO_PLACES}"


def test_sidebar_filters_are_written_into_the_url(make_app, app_db):
    at = make_app(app_db)
    at.run()
    assert "matures" not in at.query_params

    toggle(at, "Lieux matures seulement").set_value(True)
    at.run()
    assert at.query_params.get("matures") == "1"

    at.sidebar.text_input(key="f_search").input("fabrique")
    at.run()
    assert at.query_params.get("q") == "fabrique"
    assert at.query_params.get("matures") == "1"

    toggle(at, "Lieux matures seulement").set_value(False)
    at.run()
    assert "matures" not in at.query_params


def test_reset_button_clears_the_filters(make_app, app_db):
    at = make_app(app_db, query={"matures": "1"})
    at.run()
    assert metric(at, "Lieux affichés") == f"{DEMO_MATURE} / {DEMO_PLACES}"
    [button] = [b for b in at.sidebar.button if b.label == "Réinitialiser les filtres"]
    button.click()
    at.run()
    assert_ok(at)
    assert metric(at, "Lieux affichés") == f"{DEMO_PLACES} / {DEMO_PLACES}"
    assert "matures" not in at.query_params


# --- Lieux --------------------------------------------------------------------------------

def test_lieux_table_lists_the_filtered_places_and_search_narrows_it(make_app, app_db):
    demo = read_places(app_db)
    at = make_app(app_db, page=LIEUX)
    at.run()
    assert_ok(at)
    assert len(places_table(at)) == DEMO_PLACES

    toggle(at, "Lieux matures seulement").set_value(True)
    at.run()
    table = places_table(at)
    assert len(table) == DEMO_MATURE
    assert table["Mature"].all()
    toggle(at, "Lieux matures seulement").set_value(False)

    for typed in ("fabrique", "IDÉES", "etabli", "PARTAG"):
        expected = sorted(n for n in demo["name"] if folded(typed) in folded(n))
        assert expected, f"la démonstration n'a plus de lieu « {typed} »"
        at.sidebar.text_input(key="f_search").input(typed)
        at.run()
        assert_ok(at)
        assert sorted(places_table(at)["Nom"]) == expected, typed
        assert len(expected) < DEMO_PLACES

    at.sidebar.text_input(key="f_search").input("aucun lieu ne porte ce nom")
    at.run()
    assert_ok(at)
    assert not [f for f in at.dataframe if "Nom" in f.value.columns]
    assert any("Aucun lieu à afficher" in info.value for info in at.info)


def test_lieux_search_field_is_labelled_in_french(make_app, app_db):
    at = make_app(app_db, page=LIEUX)
    at.run()
    assert [t.label for t in at.sidebar.text_input] == ["Rechercher un lieu"]


def test_lieux_profile_shows_a_radar_of_the_chosen_place(make_app, app_db):
    demo = read_places(app_db)
    at = make_app(app_db, page=LIEUX)
    at.run()
    assert_ok(at)
    [chosen] = [s for s in at.selectbox if s.label == "Lieu"]
    other = int(demo.iloc[-1]["id"])
    chosen.set_value(other)
    at.run()
    assert_ok(at)
    name = demo.set_index("id").loc[other, "name"]
    assert f"### {name}" in markdown_texts(at)
    charts = at.get("plotly_chart")
    assert charts, "pas de graphique plotly sur la fiche"
    radar = json.loads(charts[0].proto.spec)
    assert [trace["type"] for trace in radar["data"]] == ["scatterpolar", "scatterpolar"]
    assert radar["data"][1]["name"] == name


# --- Tableau de bord ----------------------------------------------------------------------

def test_tableau_de_bord_counts_all_places_then_one_epci(make_app, app_db):
    demo = read_places(app_db)
    in_epci = demo[demo["epci_siren"] == FOIX_VARILHES]

    at = make_app(app_db, page=TABLEAU)
    at.run()
    assert_ok(at)
    assert metric(at, "Lieux") == str(DEMO_PLACES)
    assert metric(at, "Lieux matures") == str(DEMO_MATURE)

    at.sidebar.multiselect(key="f_epci").set_value([FOIX_VARILHES])
    at.run()
    assert_ok(at)
    assert metric(at, "Lieux") == str(len(in_epci))
    assert metric(at, "Lieux matures") == str(int(in_epci["mature"].sum()))
    assert at.query_params.get("epci") == FOIX_VARILHES
    per_epci = dataframe_with(at, "EPCI")
    assert per_epci["Lieux"].astype(int).sum() == len(in_epci)  # French text: « 7 »


# --- Critères et maturité -----------------------------------------------------------------

def test_maturite_lower_threshold_previews_then_saves_the_new_rule(make_app, app_db):
    at = make_app(app_db, page=MATURITE)
    at.run()
    assert_ok(at)
    assert any(f"**{DEMO_MATURE} lieux** sur {DEMO_PLACES} sont matures" in m.value
               for m in at.markdown)

    at.select_slider(key="rule_min_mean").set_value(2.5)  # a select slider: « 2,5 »
    at.run()
    assert_ok(at)
    [slider] = [s for s in at.select_slider
                if s.label == "Moyenne minimale des cinq critères"]
    assert slider.value == 2.5
    after = int(metric(at, "Lieux matures avec ces seuils"))
    assert after > DEMO_MATURE
    changes = dataframe_with(at, "Changement")
    assert (changes["Changement"] == "devient mature").sum() == after - DEMO_MATURE
    assert set(changes["Changement"]) == {"devient mature"}

    apply = [b for b in at.button if b.label == "Appliquer cette règle"][0]
    assert apply.disabled  # no author yet
    at.text_input(key="rule_author").input("Camille")
    at.run()
    [b for b in at.button if b.label == "Appliquer cette règle"][0].click()
    at.run()
    assert_ok(at)
    assert any(f"**{formatting.count(after, 'lieu', 'lieux')}** sur {DEMO_PLACES}" in m.value
               for m in at.markdown)
    history = dataframe_with(at, "Moyenne minimale")
    assert len(history) == 2
    assert list(history["Par"])[-1] == "Camille"
    assert list(history["Moyenne minimale"])[-1] == "2,5"
    # the rule in force is the new one: nothing left to apply
    assert not [b for b in at.button if b.label == "Appliquer cette règle"]

    # another user's session sees the new rule everywhere
    at2 = make_app(app_db)  # caches kept: same connection, as on a server
    at2.run()
    assert_ok(at2)
    assert metric(at2, "dont matures") == str(after)


# --- empty inventory ----------------------------------------------------------------------

def test_empty_inventory_offers_to_load_the_demo(make_app, empty_app_db):
    at = make_app(empty_app_db)
    at.run()
    assert any("Aucun lieu" in info.value for info in at.info)
    assert not has_demo_banner(at)
    assert metric(at, "Lieux affichés") == "0 / 0"
    [load] = [b for b in at.button if b.label == "Charger les 42 lieux de démonstration"]
    load.click()
    at.run()
    assert_ok(at)
    assert metric(at, "Lieux affichés") == f"{DEMO_PLACES} / {DEMO_PLACES}"
    assert metric(at, "dont matures") == str(DEMO_MATURE)
    assert place_markers(at) == DEMO_PLACES
    assert has_demo_banner(at)
    assert not [b for b in at.button if b.label.startswith("Charger")]


def test_other_pages_explain_an_empty_inventory(make_app, empty_app_db):
    """A newcomer on an empty inventory (another territory, first start): each page that needs
    places says so and says what to do: import them (the Importer page)."""
    at = make_app(empty_app_db, page=LIEUX)
    at.run()
    for page, text in ((LIEUX, "Aucun lieu à afficher"), (TABLEAU, "Aucun lieu dans"),
                       (by_title("Couverture").path, "Aucun lieu dans"),
                       (by_title("Partenaires").path, "au moins deux lieux"),
                       (by_title("Consortiums").path, "au moins deux lieux")):
        at.switch_page(page).run()
        assert_ok(at)
        [info] = [i.value for i in at.info if text in i.value]
        assert "Importer" in info, (page, info)
    at.switch_page(MATURITE).run()
    assert_ok(at)
    assert any("L'inventaire est vide" in m.value for m in at.markdown)
    assert not any("lieu(x)" in m.value for m in at.markdown)


def test_the_rule_counts_mature_places_in_plain_french(make_app, app_db):
    at = make_app(app_db, page=MATURITE)
    at.run()
    assert_ok(at)
    assert any(f"**{DEMO_MATURE} lieux** sur {DEMO_PLACES} sont matures" in m.value
               for m in at.markdown)


def test_a_dashboard_whose_filters_exclude_everything_says_to_widen_them(make_app, app_db):
    at = make_app(app_db, page=TABLEAU, query={"q": "aucun lieu ne porte ce nom"})
    at.run()
    assert_ok(at)
    assert any("les filtres excluent les 42 lieux" in i.value for i in at.info)


@pytest.mark.parametrize("case", ["inventaire vide", "filtre sans résultat"])
def test_carte_with_no_place_to_show_still_draws_the_territory(make_app, app_db, empty_app_db,
                                                                case):
    if case == "inventaire vide":
        at = make_app(empty_app_db)
    else:
        at = make_app(app_db, query={"q": "aucun lieu ne porte ce nom"})
    at.run()
    assert_ok(at)
    assert place_markers(at) == 0
    assert "Communes" in map_script(at)
