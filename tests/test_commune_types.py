"""The network read through the communes' typologies (density class, mountain zone)."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory import commune_types, coverage
from observatory.distances import EstimatedRoad
from observatory.store import db, live

COMMUNES = pd.DataFrame({
    "insee": ["A", "B", "C", "D", "E"],
    "name": ["Ville", "Bourg", "Hameau", "Col", "Voisine"],
    "population": [10_000, 2_000, 300, 100, 5_000],
    "departement": ["09"] * 5,
    "in_perimeter": [True, True, True, True, False],
    "mountain": [False, True, True, True, True],
    "massif": ["", "Massif des Pyrénées", "Massif des Pyrénées", "Massif des Pyrénées",
               "Massif des Pyrénées"],
    "density": ["Petites villes", "Bourgs ruraux", "Rural à habitat très dispersé",
                "Rural à habitat très dispersé", "Petites villes"],
})
PLACES = pd.DataFrame({"id": [1, 2, 3, 4], "insee": ["A", "A", "C", "E"],
                       "mature": [True, False, True, True]})


def test_places_and_inhabitants_per_density_class_then_mountain_zone():
    table = commune_types.by_class(PLACES, COMMUNES).set_index("label")
    assert list(table.index) == ["Petites villes", "Bourgs ruraux",
                                 "Rural à habitat très dispersé", "Zone de montagne",
                                 "Hors zone de montagne"]  # densest first, present classes only
    assert table.loc["Petites villes"].to_dict() == {
        "reading": "Densité", "communes": 1, "population": 10_000, "places": 2, "mature": 1,
        "communes_with_place": 1, "population_with_place": 10_000,
        "places_per_10k": 2.0}  # E is outside the perimeter
    assert table.loc["Rural à habitat très dispersé", ["places", "communes_with_place",
                                                       "population_with_place"]].tolist() == [
        1, 1, 300]
    assert table.loc["Zone de montagne", ["communes", "population", "places", "mature"]
                     ].tolist() == [3, 2_400, 1, 1]
    assert table.loc["Rural à habitat très dispersé", "places_per_10k"] == 25.0  # 1 for 400


def test_the_chart_keeps_the_tables_order():
    from observatory.ui import charts

    table = commune_types.by_class(PLACES, COMMUNES)
    fig = charts.density_by_commune_type(table)
    assert list(fig.layout.yaxis.categoryarray)[::-1] == table["label"].tolist()
    assert sorted(v for trace in fig.data for v in trace.x) == sorted(table["places_per_10k"])


def test_each_reading_adds_up_to_the_perimeter():
    table = commune_types.by_class(PLACES, COMMUNES)
    for reading, rows in table.groupby("reading"):
        assert rows[["communes", "population", "places"]].sum().tolist() == [4, 12_400, 3], reading


def test_a_commune_without_a_density_class_is_shown_as_such():
    communes = COMMUNES.assign(density=["Petites villes", "", "", "", ""])
    labels = commune_types.by_class(PLACES, communes)["label"].tolist()
    assert labels[:2] == ["Petites villes", commune_types.NO_CLASS]


def test_without_typologies_there_is_no_table_and_no_sentence():
    bare = COMMUNES.assign(mountain=None, density=None, massif=None)
    assert commune_types.by_class(PLACES, bare).empty
    assert commune_types.coverage_by_class(
        pd.DataFrame({"insee": ["A"], "population": [1], "covered": [True]}), bare).empty
    assert commune_types.mountain_sentences(bare) == []
    assert commune_types.by_class(PLACES, COMMUNES.drop(columns=["mountain"])).empty


def test_the_mountain_sentences_are_computed():
    sentences = commune_types.mountain_sentences(COMMUNES, "PETR de test")
    assert sentences == [
        "4 des 5 communes du département 09 sont en zone de montagne (80\u00a0%).",
        "3 des 4 communes du périmètre (PETR de test) sont en zone de montagne (75\u00a0%)."]
    named = commune_types.mountain_sentences(COMMUNES, departement_names={"09": "de l'Ariège"})
    assert named[0].startswith("4 des 5 communes de l'Ariège sont en zone de montagne")
    one = COMMUNES.assign(mountain=[False, True, False, False, False])
    assert commune_types.mountain_sentences(one)[0].startswith("1 des 5 communes du "
                                                               "département 09 est en zone")
    assert commune_types.massifs(COMMUNES) == "Massif des Pyrénées"


def test_population_within_reach_per_class():
    rows = pd.DataFrame({"insee": ["A", "B", "C", "D"], "population": [10_000, 2_000, 300, 100],
                         "covered": [True, True, False, False]})
    table = commune_types.coverage_by_class(rows, COMMUNES).set_index("label")
    assert table.loc["Zone de montagne", ["communes", "population", "population_covered"]
                     ].tolist() == [3, 2_400, 2_000]
    assert table.loc["Hors zone de montagne", "share"] == 1.0
    assert table.loc["Rural à habitat très dispersé", "population_covered"] == 0
    french = commune_types.coverage_table(table.reset_index())
    assert french.set_index("Communes selon").loc["Zone de montagne"].tolist() == [
        "3", "2\u202f400", "2\u202f000", "83\u00a0%"]


# --- the shipped territory ------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        return live.bundle(con, label="t", created_by="test")
    finally:
        con.close()


def test_the_shipped_territory_read_by_class_matches_its_perimeter(demo):
    communes = demo.tables["communes"]
    inside = communes[communes["in_perimeter"]]
    table = commune_types.by_class(demo.places, communes)
    in_perimeter = demo.places["insee"].isin(inside["insee"])
    for _, rows in table.groupby("reading"):
        assert rows["communes"].sum() == len(inside) == 231
        assert rows["population"].sum() == inside["population"].sum()
        assert rows["places"].sum() == int(in_perimeter.sum())
    mountain = table.set_index("label").loc["Zone de montagne"]
    assert mountain["communes"] == int(inside["mountain"].sum()) == 153
    assert mountain["places"] == int(demo.places["insee"].isin(
        inside.loc[inside["mountain"], "insee"]).sum())


def test_the_shipped_territory_coverage_by_class_adds_up_to_the_summary(demo):
    communes = demo.tables["communes"]
    access = coverage.nearest(communes, demo.places, provider=EstimatedRoad())
    summary = coverage.covered(access, threshold_minutes=10)
    table = commune_types.coverage_by_class(summary.communes, communes)
    for _, rows in table.groupby("reading"):
        assert rows["population"].sum() == summary.population_total
        assert rows["population_covered"].sum() == summary.population_covered
