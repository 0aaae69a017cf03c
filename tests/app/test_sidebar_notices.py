"""What every page's frame says: the EPCI filter's names, the demonstration-mode notice (once),
and the vintage of the populations the figures are computed on."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from observatory.territory import source
from observatory.ui.pages import by_title
from tests.app.test_french_everywhere import proto_strings, walk

OLMES = "240900464"


def shown(at: AppTest) -> list[str]:
    """Every text the browser is told to write (labels, help, alerts, captions, options…)."""
    return [text for node in walk(at._tree) if getattr(node, "proto", None) is not None
            for _, text in proto_strings(node.proto)]


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_epci_filter_lists_short_names_with_the_official_ones_in_its_help(make_app, app_db):
    at = run(make_app(app_db))
    picker = at.multiselect(key="f_epci")
    assert "CC du Pays d'Olmes" in picker.options
    assert "CA L'agglo Foix-Varilhes" in picker.options
    assert not [o for o in picker.options if o.startswith("Communauté")], picker.options
    assert "Communauté de communes du Pays d'Olmes" in picker.help
    assert "Communauté d'agglomération L'agglo Foix" in picker.help

    picker.select(OLMES)
    run(at)
    assert at.multiselect(key="f_epci").value == [OLMES]
    assert at.query_params["epci"] in (OLMES, [OLMES])  # the shared URL still has the SIREN


def test_demonstration_mode_is_announced_once_apart_from_the_fictional_data_banner(
        make_app, app_db):
    at = run(make_app(app_db))
    texts = shown(at)
    notices = [t for t in texts if "Mode démonstration" in t]
    assert len(notices) == 1, notices
    assert "chaque visiteur est analyste" in notices[0] and "OBSERVATORY_USERS" in notices[0]
    banners = [t for t in texts if "Données de démonstration" in t]
    assert len(banners) == 1, banners
    assert "Mode démonstration" not in banners[0]
    assert "les lieux affichés sont fictifs" in banners[0]
    assert source.POPULATION_VINTAGE in banners[0]


def test_the_pages_state_the_population_vintage_from_the_referential_source(make_app, app_db,
                                                                           monkeypatch):
    real = run(make_app(app_db, page=by_title("Tableau de bord").path))
    assert source.POPULATION_NOTE in [c.value for c in real.caption]
    assert "populations légales" in source.POPULATION_NOTE

    note = "Millésime lu dans observatory.territory.source"
    monkeypatch.setattr(source, "POPULATION_NOTE", note)
    at = run(make_app(app_db, page=by_title("Tableau de bord").path))
    assert note in [c.value for c in at.caption]
    at = run(make_app(app_db, page=by_title("Couverture").path))
    assert any(c.value.endswith(note) for c in at.caption), [c.value for c in at.caption]
    at = run(make_app(app_db, page=by_title("Carte").path))
    assert at.toggle(key="map_density").help == note


def test_the_dashboard_names_the_epci_as_the_filter_does(make_app, app_db):
    at = run(make_app(app_db, page=by_title("Tableau de bord").path))
    table = next(f.value for f in at.dataframe if "EPCI" in f.value.columns)
    assert "CC du Pays d'Olmes" in table["EPCI"].tolist()
    assert not [n for n in table["EPCI"] if n.startswith("Communauté")], table["EPCI"].tolist()
