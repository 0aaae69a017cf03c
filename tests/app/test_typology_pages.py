"""The communes' typologies (density class, mountain zone) on the Tableau de bord and the
Couverture page, driven through AppTest on copies of the demonstration database."""

from __future__ import annotations

import json

import pandas as pd

from observatory import commune_types
from observatory.store import db, territory
from observatory.ui.pages import by_title
from tests.app.test_page_content import number, run, table_with, texts, widget

TABLEAU = by_title("Tableau de bord").path
COUVERTURE = by_title("Couverture").path


def _communes(path):
    con = db.connect(path, read_only=True)
    try:
        return territory.communes(con)
    finally:
        con.close()


def test_the_dashboard_shows_places_and_inhabitants_per_density_class_and_mountain_zone(
        make_app, app_db):
    at = run(make_app(app_db, page=TABLEAU))
    assert "Par type de commune" in [s.value for s in at.subheader]
    table = table_with(at, "Communes selon", "Lieux", "Habitants").set_index("Communes selon")
    communes = _communes(app_db)
    inside = communes[communes["in_perimeter"]]
    mountain = inside[inside["mountain"]]
    assert number(table.loc["Zone de montagne", "Communes"]) == len(mountain) == 153
    assert number(table.loc["Zone de montagne", "Habitants"]) == mountain["population"].sum()
    density = table.drop(index=[commune_types.MOUNTAIN, commune_types.NOT_MOUNTAIN])
    assert density["Lieux"].map(number).sum() == 42  # every demonstration place, once
    assert "Rural à habitat très dispersé" in density.index
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (chart,) = [s for s in specs if s["layout"]["xaxis"]["title"]["text"] ==
                "Lieux pour 10 000 habitants" and any(
                    commune_types.MOUNTAIN in t["y"] for t in s["data"])]
    assert sorted(y for t in chart["data"] for y in t["y"]) == sorted(table.index)
    shown = texts(at)
    assert "247 des 325 communes de l'Ariège sont en zone de montagne" in shown
    assert "153 des 231 communes du périmètre (PETR de l'Ariège)" in shown


def test_the_dashboard_table_follows_the_sidebar_filter(make_app, app_db):
    at = run(make_app(app_db, page=TABLEAU, query={"matures": "1"}))
    table = table_with(at, "Communes selon", "Lieux").set_index("Communes selon")
    assert table.loc[[commune_types.MOUNTAIN, commune_types.NOT_MOUNTAIN], "Lieux"].map(
        number).sum() == 12  # the mature places only


def test_the_coverage_page_shows_the_population_within_reach_per_class(make_app, app_db):
    at = run(make_app(app_db, page=COUVERTURE))

    def within() -> pd.Series:
        table = table_with(at, "Communes selon", "À portée").set_index("Communes selon")
        return table["À portée"].map(number)

    assert "Habitants à portée selon le type de commune (20 min de trajet)" in texts(at)
    default = within()
    reached = number(next(m.value for m in at.metric if m.label == "Habitants à portée"))
    assert default[[commune_types.MOUNTAIN, commune_types.NOT_MOUNTAIN]].sum() == reached
    widget(at, "slider", "Seuil", prefix=True).set_value(60)
    run(at)
    longer = within()
    assert longer[commune_types.MOUNTAIN] > default[commune_types.MOUNTAIN]
    assert (longer >= default).all()
    assert "(60 min de trajet)" in texts(at)
