"""The measure 7.1 indicators, the calls' figures, equipment records and their store."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from observatory import calls, cli, indicators
from observatory.consortia import ConflictError
from observatory.eligibility import CALL_YEARS
from observatory.equipment import Equipment, EquipmentError, current_locations, from_row
from observatory.indicators import NO_CALL
from observatory.store import db, live
from observatory.store import equipment as store

E1, E2, E3 = "200000001", "200000002", "200000003"
INDICATOR_KEYS = ("consortia_formed", "mutualised_equipment", "itinerant_equipment")


@pytest.fixture(autouse=True)
def no_env_database(monkeypatch):
    monkeypatch.delenv("OBSERVATORY_DB", raising=False)
    monkeypatch.delenv("OBSERVATORY_TERRITORY", raising=False)


# --- hand-built fixtures -------------------------------------------------------------------

@pytest.fixture
def places() -> pd.DataFrame:
    """Six places in three EPCI; 1, 3, 5 and 6 are mature."""
    return pd.DataFrame({
        "id": [1, 2, 3, 4, 5, 6],
        "epci_siren": [E1, E1, E2, E3, E2, E3],
        "epci_name": ["CC Un", "CC Un", "CC Deux", "CC Trois", "CC Deux", "CC Trois"],
        "mature": [True, False, True, False, True, True],
    })


def consortia_frame(location_dtype: str = "Int32") -> pd.DataFrame:
    """c1 funded 2023 located at 3 (E2); c2 submitted 2024, no location, lead 2 (E1);
    c3 refused 2024 located at 4 (E3); c4 an idea (not formed); c5 funded 2024, no location,
    lead 3 (E2). Members: places 1–4 are in a consortium, 5 and 6 in none."""
    return pd.DataFrame({
        "id": [1, 2, 3, 4, 5],
        "name": ["c1", "c2", "c3", "c4", "c5"],
        "status": ["funded", "submitted", "refused", "idea", "funded"],
        "call_year": [2023, 2024, 2024, 2025, 2024],
        "lead_place_id": [1, 2, 4, 1, 3],
        "location_place_id": pd.array([3, None, 4, 1, None], dtype=location_dtype),
        "member_ids": [[1, 3], [2, 1], [4, 2], [1, 2], [3, 1]],
    })


@pytest.fixture
def consortia() -> pd.DataFrame:
    return consortia_frame()


@pytest.fixture
def equipment() -> pd.DataFrame:
    """e1 mutualised 2023 (owner 1, E1); e2 mutualised and itinerant 2024 (owner 3, E2);
    e3 itinerant, no call (owner 4, E3); e4 mutualised, no call (owner 5, E2);
    e5 neither (owner 2)."""
    return pd.DataFrame({
        "id": [1, 2, 3, 4, 5],
        "name": ["e1", "e2", "e3", "e4", "e5"],
        "owner_place_id": [1, 3, 4, 5, 2],
        "mutualised": [True, True, False, True, False],
        "itinerant": [False, True, True, False, False],
        "call_year": pd.array([2023, 2024, None, None, 2023], dtype="Int32"),
        "amount_funded": [1000.0, 2500.0, np.nan, np.nan, 500.0],
    })


@pytest.fixture
def applications() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [1, 2, 3, 4],
        "call_year": [2023, 2023, 2024, 2024],
        "consortium_id": [1, 2, 2, 5],
        "status": ["funded", "refused", "submitted", "funded"],
        "amount_requested": [20000.0, 10000.0, 5000.0, 12000.0],
        "amount_granted": [15000.0, np.nan, np.nan, 10000.0],
    })


# --- consortia formed ----------------------------------------------------------------------

@pytest.mark.parametrize("location_dtype", ["Int32", "float64", "object"])
def test_consortia_formed_count_submitted_funded_refused_but_not_ideas(places, location_dtype):
    result = indicators.consortia_formed(consortia_frame(location_dtype), places)
    assert result["total"] == 4
    assert result["by_call_year"] == {"2023": 1, "2024": 3}


def test_consortia_formed_are_counted_in_the_epci_of_the_project_location(places, consortia):
    # c1 is led from E1 but located in E2; c2 and c5 have no location: their lead's EPCI
    assert indicators.consortia_formed(consortia, places)["by_epci"] == {E1: 1, E2: 2, E3: 1}


def test_consortia_formed_of_nothing_is_zero(places):
    empty = consortia_frame().iloc[0:0]
    assert indicators.consortia_formed(empty, places) == {
        "total": 0, "by_call_year": {}, "by_epci": {}}
    only_ideas = consortia_frame().assign(status="idea")
    assert indicators.consortia_formed(only_ideas, places)["total"] == 0


# --- equipment -----------------------------------------------------------------------------

def test_mutualised_equipment_per_call_year_with_hors_appel_and_per_owner_epci(places, equipment):
    result = indicators.equipment_indicator(equipment, places, "mutualised")
    assert NO_CALL == "hors appel"
    assert result == {"total": 3,
                      "by_call_year": {"2023": 1, "2024": 1, NO_CALL: 1},
                      "by_epci": {E1: 1, E2: 2}}


def test_itinerant_equipment_per_call_year_with_hors_appel_and_per_owner_epci(places, equipment):
    result = indicators.equipment_indicator(equipment, places, "itinerant")
    assert result == {"total": 2,
                      "by_call_year": {"2024": 1, NO_CALL: 1},
                      "by_epci": {E2: 1, E3: 1}}


def test_equipment_indicator_without_equipment_is_zero(places):
    for frame in (pd.DataFrame(), pd.DataFrame({"id": [], "mutualised": []})):
        assert indicators.equipment_indicator(frame, places, "mutualised")["total"] == 0


def test_compute_gives_the_three_indicators_with_the_same_shape(places, consortia, equipment):
    result = indicators.compute({"places": places, "consortia": consortia,
                                 "equipment": equipment})
    assert tuple(result) == INDICATOR_KEYS == tuple(indicators.INDICATORS)
    assert [result[k]["total"] for k in INDICATOR_KEYS] == [4, 3, 2]
    for value in result.values():
        assert set(value) == {"total", "by_call_year", "by_epci"}
        assert sum(value["by_call_year"].values()) == value["total"]
        assert sum(value["by_epci"].values()) == value["total"]
    no_equipment = indicators.compute({"places": places, "consortia": consortia})
    assert no_equipment["mutualised_equipment"]["total"] == 0


def test_over_time_is_one_row_per_indicator_and_call_year(places, consortia, equipment):
    figures = indicators.compute({"places": places, "consortia": consortia,
                                  "equipment": equipment})
    frame = indicators.over_time(figures)
    assert list(frame.columns) == ["indicateur", "appel", "nombre"]
    rows = {(r.indicateur, r.appel): r.nombre for r in frame.itertuples()}
    assert rows == {
        ("Consortiums constitués", "2023"): 1, ("Consortiums constitués", "2024"): 3,
        ("Équipements mutualisés", "2023"): 1, ("Équipements mutualisés", "2024"): 1,
        ("Équipements mutualisés", NO_CALL): 1,
        ("Équipements itinérants", "2024"): 1, ("Équipements itinérants", NO_CALL): 1,
    }
    assert indicators.over_time({}).empty


# --- involvement and amounts ---------------------------------------------------------------

def test_involvement_shares_of_places_and_mature_places_in_a_consortium(places, consortia):
    # places 1–4 are members; mature places are 1, 3, 5, 6, of which 1 and 3 are members
    assert indicators.involvement(consortia, places) == {
        "places_involved": 4, "places_share_pct": 66.7,
        "mature_involved": 2, "mature_share_pct": 50.0}


def test_involvement_without_consortia_or_mature_places_is_zero(places, consortia):
    none = indicators.involvement(consortia.iloc[0:0], places)
    assert none["places_involved"] == 0 and none["places_share_pct"] == 0.0
    immature = places.assign(mature=False)
    assert indicators.involvement(consortia, immature)["mature_share_pct"] == 0.0
    assert indicators.involvement(consortia, places.iloc[0:0])["places_share_pct"] == 0.0


def test_amounts_sum_granted_and_funded_euros(equipment, applications):
    assert indicators.amounts(equipment, applications) == {
        "consortia_granted_eur": 25000.0,
        "mutualised_funded_eur": 3500.0,   # e1 + e2 (e4 has no amount)
        "itinerant_funded_eur": 2500.0,    # e2 (e3 has no amount)
    }
    assert indicators.amounts(pd.DataFrame(), pd.DataFrame()) == {
        "consortia_granted_eur": 0.0, "mutualised_funded_eur": 0.0,
        "itinerant_funded_eur": 0.0}


# --- calls ---------------------------------------------------------------------------------

@pytest.fixture
def call_budgets() -> pd.DataFrame:
    return pd.DataFrame({"year": [2023, 2024, 2026], "budget": [60000.0, 50000.0, 0.0]})


def test_per_call_covers_2023_to_2028_with_zeros(call_budgets, applications):
    table = calls.per_call(call_budgets, applications).set_index("call_year")
    assert list(table.index) == list(CALL_YEARS) == list(range(2023, 2029))
    assert table.loc[2023, ["applications", "funded"]].tolist() == [2, 1]
    assert table.loc[2023, ["requested", "granted"]].tolist() == [30000.0, 15000.0]
    assert table.loc[2024, ["applications", "funded"]].tolist() == [2, 1]
    assert table.loc[2024, ["requested", "granted"]].tolist() == [17000.0, 10000.0]
    for year in (2025, 2026, 2027, 2028):
        assert table.loc[year, ["applications", "funded"]].tolist() == [0, 0]
        assert table.loc[year, ["requested", "granted"]].tolist() == [0.0, 0.0]


def test_per_call_budget_share_is_granted_over_budget_and_blank_without_budget(
        call_budgets, applications):
    table = calls.per_call(call_budgets, applications).set_index("call_year")
    assert table.loc[2023, "budget_used_pct"] == 25.0
    assert table.loc[2024, "budget_used_pct"] == 20.0
    assert math.isnan(table.loc[2025, "budget_used_pct"])   # no call recorded
    assert math.isnan(table.loc[2026, "budget_used_pct"])   # a zero budget: no share
    assert table.loc[2023, "budget"] == 60000.0 and math.isnan(table.loc[2025, "budget"])


def test_per_call_without_anything_is_six_zero_rows():
    table = calls.per_call(pd.DataFrame(), pd.DataFrame())
    assert table["call_year"].tolist() == list(CALL_YEARS)
    assert (table["applications"] == 0).all() and (table["granted"] == 0).all()
    assert table["budget_used_pct"].isna().all()


def test_per_epci_counts_applications_in_the_epci_of_the_project_location(
        places, consortia, applications):
    table = calls.per_epci(applications, consortia, places)
    rows = {(r.call_year, r.epci_name): (r.applications, r.funded, r.granted)
            for r in table.itertuples()}
    # application 1 → c1 located at 3 (CC Deux); 2 and 3 → c2, lead 2 (CC Un);
    # 4 → c5, lead 3 (CC Deux)
    assert rows == {(2023, "CC Deux"): (1, 1, 15000.0), (2023, "CC Un"): (1, 0, 0.0),
                    (2024, "CC Un"): (1, 0, 0.0), (2024, "CC Deux"): (1, 1, 10000.0)}
    assert calls.per_epci(applications.iloc[0:0], consortia, places).empty


# --- Equipment records ---------------------------------------------------------------------

def item(**overrides) -> Equipment:
    values = {"name": "Découpeuse laser", "category": "tools", "owner_place_id": 3,
              "mutualised": True, "call_year": 2025, "amount_funded": 5600.0}
    values.update(overrides)
    return Equipment(**values)


def problems(equipment: Equipment) -> str:
    with pytest.raises(EquipmentError) as info:
        equipment.validate()
    return str(info.value)


def test_a_valid_item_validates():
    item().validate()
    item(call_year=None, amount_funded=None).validate()       # bought without the call
    item(call_year=None, amount_funded=0.0).validate()        # zero is not "funded"


@pytest.mark.parametrize("name", ["", "   "])
def test_an_item_needs_a_name(name):
    assert "Donnez un nom à l'équipement." in problems(item(name=name))


def test_an_unknown_category_is_refused_in_french():
    assert "Catégorie inconnue : spaceship." in problems(item(category="spaceship"))


@pytest.mark.parametrize("field,label", [("amount_funded", "montant financé"),
                                         ("purchase_value", "valeur d'achat")])
@pytest.mark.parametrize("amount", [-1.0, float("nan"), 10_000_001.0])
def test_a_negative_or_absurd_amount_is_refused(field, label, amount):
    message = problems(item(**{field: amount}))
    assert f"Le {label} doit être un montant positif (en euros)." in message


def test_a_funded_item_needs_its_call_year():
    assert ("Un équipement financé doit indiquer l'année de l'appel à projets."
            in problems(item(call_year=None, amount_funded=1200.0)))


@pytest.mark.parametrize("year", [2022, 2029])
def test_the_call_year_must_be_one_of_the_calls(year):
    message = problems(item(call_year=year))
    assert "L'année d'appel doit être comprise entre 2023 et 2028." in message


def test_every_problem_is_reported_at_once():
    message = problems(item(name="", category="x", call_year=None, amount_funded=-5.0))
    for part in ("Donnez un nom", "Catégorie inconnue", "montant positif",
                 "doit indiquer l'année"):
        assert part in message


# --- where items are -----------------------------------------------------------------------

@pytest.fixture
def stays_frame() -> pd.DataFrame:
    """Item 1 (owner 10) stays at 20 from 1 to 10 March 2025 and at 30 from 15 to 15 March."""
    return pd.DataFrame({
        "id": [1, 2], "equipment_id": [1, 1], "place_id": [20, 30],
        "start_date": [dt.date(2025, 3, 1), dt.date(2025, 3, 15)],
        "end_date": [dt.date(2025, 3, 10), dt.date(2025, 3, 15)],
    })


@pytest.fixture
def items_frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2], "owner_place_id": [10, 40]})


@pytest.mark.parametrize("day,where", [
    (dt.date(2025, 2, 28), 10),   # before: at its owner
    (dt.date(2025, 3, 1), 20),    # first day of the stay
    (dt.date(2025, 3, 10), 20),   # last day included
    (dt.date(2025, 3, 11), 10),   # back home between stays
    (dt.date(2025, 3, 15), 30),   # one-day stay
    (dt.date(2025, 3, 16), 10),   # after: at its owner
])
def test_current_locations_follow_the_stays(items_frame, stays_frame, day, where):
    located = current_locations(items_frame, stays_frame, day)
    assert located.to_dict() == {1: where, 2: 40}   # item 2 never travels
    assert located.name == "current_place_id"


def test_current_locations_without_stays_are_the_owners(items_frame):
    located = current_locations(items_frame, pd.DataFrame(), dt.date(2025, 3, 5))
    assert located.to_dict() == {1: 10, 2: 40}


# --- the store -----------------------------------------------------------------------------

@pytest.fixture
def con(tmp_path, demo_db):
    path = tmp_path / "observatory.duckdb"
    shutil.copyfile(demo_db, path)
    connection = db.connect(path)
    db.migrate(connection)
    yield connection
    connection.close()


def stored(con, item_id: int) -> Equipment:
    rows = store.current(con)
    return from_row(rows[rows["id"] == item_id].iloc[0].to_dict())


def test_a_created_item_is_listed_as_current_with_its_fields(con):
    before = len(store.current(con))
    with db.transaction(con):
        new_id = store.create(con, item(name="Scie à onglet", notes="prêtée"), actor="test")
    current = store.current(con)
    assert len(current) == before + 1
    back = stored(con, new_id)
    assert (back.name, back.category, back.owner_place_id, back.call_year,
            back.amount_funded, back.mutualised, back.itinerant, back.notes, back.version) == (
        "Scie à onglet", "tools", 3, 2025, 5600.0, True, False, "prêtée", 1)


def test_an_invalid_item_is_not_stored(con):
    before = len(store.current(con))
    with pytest.raises(EquipmentError), db.transaction(con):
        store.create(con, item(category="spaceship"), actor="test")
    assert len(store.current(con)) == before


def test_an_update_with_a_stale_version_raises_a_conflict(con):
    with db.transaction(con):
        new_id = store.create(con, item(), actor="test")
    mine, theirs = stored(con, new_id), stored(con, new_id)
    theirs.name = "Découpeuse laser 60 W"
    with db.transaction(con):
        assert store.update(con, theirs, actor="Bao") == 2
    mine.name = "Découpeuse laser (Alix)"
    stale = pytest.raises(ConflictError, match="modifié par quelqu'un d'autre")
    with stale, db.transaction(con):
        store.update(con, mine, actor="Alix")
    back = stored(con, new_id)
    assert back.name == "Découpeuse laser 60 W" and back.version == 2


def test_archive_hides_an_item_and_its_stays(con):
    with db.transaction(con):
        new_id = store.create(con, item(itinerant=True), actor="test")
        store.add_stay(con, new_id, 5, dt.date(2026, 5, 1), dt.date(2026, 5, 7), actor="test")
        store.archive(con, new_id, actor="test")
    assert new_id not in set(store.current(con)["id"])
    assert store.stays(con, new_id).empty
    with pytest.raises(EquipmentError, match="introuvable"):
        store.archive(con, new_id, actor="test")
    assert con.execute("SELECT archived FROM equipment WHERE id = ?",
                       [new_id]).fetchone() == (True,)   # kept, only hidden
    with pytest.raises(EquipmentError, match="introuvable"):
        store.update(con, item(id=new_id, version=2), actor="test")


def test_stays_are_added_listed_in_order_and_deleted(con):
    with db.transaction(con):
        new_id = store.create(con, item(itinerant=True), actor="test")
        late = store.add_stay(con, new_id, 7, dt.date(2026, 6, 1), dt.date(2026, 6, 3), "fête",
                              actor="test")
        early = store.add_stay(con, new_id, 5, dt.date(2026, 5, 1), dt.date(2026, 5, 7),
                               actor="test")
    listed = store.stays(con, new_id)
    assert listed["id"].tolist() == [early, late]
    assert listed["place_id"].tolist() == [5, 7]
    assert listed["note"].tolist() == ["", "fête"]
    located = current_locations(store.current(con).query("id == @new_id"), listed,
                                dt.date(2026, 6, 2))
    assert located.to_dict() == {new_id: 7}
    with db.transaction(con):
        store.delete_stay(con, early, actor="test")
    assert store.stays(con, new_id)["id"].tolist() == [late]
    assert early not in set(store.stays(con)["id"])


# --- the demonstration database through the CLI --------------------------------------------

def indicators_json(capsys, path) -> dict:
    code = cli.main(["indicators", "--json", "--db", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def sql_breakdown(con, where: str, table: str = "equipment") -> tuple[int, dict]:
    total = con.execute(
        f"SELECT count(*) FROM {table} WHERE NOT archived AND {where}").fetchone()[0]
    years = dict(con.execute(
        f"SELECT coalesce(CAST(call_year AS VARCHAR), '{NO_CALL}'), count(*) FROM {table} "
        f"WHERE NOT archived AND {where} GROUP BY ALL").fetchall())
    return total, years


def test_cli_indicators_json_has_the_three_indicators_with_their_breakdowns(capsys, demo_db):
    figures = indicators_json(capsys, demo_db)
    assert set(figures) >= set(INDICATOR_KEYS)
    for key in INDICATOR_KEYS:
        assert set(figures[key]) >= {"total", "by_call_year", "by_epci"}
        assert sum(figures[key]["by_call_year"].values()) == figures[key]["total"]
        assert sum(figures[key]["by_epci"].values()) == figures[key]["total"]
        assert figures[key]["total"] > 0


def test_cli_indicators_totals_equal_what_the_store_holds(capsys, demo_db):
    figures = indicators_json(capsys, demo_db)
    con = db.connect(demo_db, read_only=True)
    try:
        expected = {
            "consortia_formed": sql_breakdown(
                con, "status IN ('submitted', 'funded', 'refused')", "consortia"),
            "mutualised_equipment": sql_breakdown(con, "mutualised"),
            "itinerant_equipment": sql_breakdown(con, "itinerant"),
        }
        epci_of_owner = dict(con.execute(
            "SELECT c.epci_siren, count(*) FROM equipment q "
            "JOIN places p ON p.id = q.owner_place_id "
            "JOIN communes c ON c.insee = p.insee WHERE q.mutualised AND NOT q.archived "
            "GROUP BY ALL").fetchall())
    finally:
        con.close()
    for key, (total, years) in expected.items():
        assert figures[key]["total"] == total, key
        assert figures[key]["by_call_year"] == years, key
    assert figures["mutualised_equipment"]["by_epci"] == epci_of_owner


def test_cli_indicators_text_names_the_three_indicators(capsys, demo_db):
    assert cli.main(["indicators", "--db", str(demo_db)]) == 0
    out = capsys.readouterr().out
    for label in indicators.INDICATORS.values():
        assert f"{label} : " in out


def test_an_archived_item_no_longer_counts_in_the_indicators(capsys, con):
    path = con.execute("SELECT path FROM duckdb_databases() "
                       "WHERE database_name = current_database()").fetchone()[0]
    before = live.bundle(con, label="", created_by="").indicators
    mutualised_itinerant = int(store.current(con).query("mutualised and itinerant")["id"].iloc[0])
    with db.transaction(con):
        store.archive(con, mutualised_itinerant, actor="test")
    after = live.bundle(con, label="", created_by="").indicators
    con.close()
    for key in ("mutualised_equipment", "itinerant_equipment"):
        assert after[key]["total"] == before[key]["total"] - 1
    assert indicators_json(capsys, path)["mutualised_equipment"]["total"] == \
        before["mutualised_equipment"]["total"] - 1
