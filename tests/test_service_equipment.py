"""Equipment use cases: each write is audited under the actor given, tours use the settings.

``observatory.service.equipment`` is what the Équipements and Appels pages call (through
``observatory.ui.data``). Every write path takes the actor as a required argument and
writes one audit row naming them: an analyst's addition is never « données de
démonstration », an edit never « inconnu »; stays, calls and applications are audited.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from observatory import bootstrap
from observatory.calls import CallError
from observatory.equipment import Equipment, EquipmentError
from observatory.itinerance import CO2_KG_PER_KM
from observatory.service import core
from observatory.service import equipment as service
from observatory.settings import Settings
from observatory.store import territory

ANALYST = "Inès Analyste"


@pytest.fixture
def settings(demo_db, tmp_path) -> Settings:
    path = tmp_path / "observatory.duckdb"
    shutil.copy(demo_db, path)
    return Settings(db=Path(path), call_year=2026)


@pytest.fixture
def con(settings):
    with core.session(settings) as connection:
        yield connection


def last_audit(con) -> dict:
    row = con.execute("SELECT actor, entity, entity_id, action, old_values, new_values "
                      "FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return dict(zip(("actor", "entity", "entity_id", "action", "old", "new"), row, strict=True))


def audit_count(con) -> int:
    return con.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def first_place(con) -> int:
    return int(con.execute("SELECT min(id) FROM places WHERE NOT archived").fetchone()[0])


def new_item(con, **changes) -> Equipment:
    values = {"name": "Scie à onglet", "category": "tools", "owner_place_id": first_place(con)}
    return Equipment(**(values | changes))


def stored(con, item_id: int) -> Equipment:
    from observatory.equipment import from_row

    row = service.inventory(con).set_index("id").loc[item_id].to_dict()
    return from_row(row | {"id": item_id})


# --- Every write path names its actor -----------------------------------------------------

def test_an_analysts_addition_is_audited_under_their_name_not_the_demo_loader(con):
    item_id = service.save_equipment(con, new_item(con), actor=ANALYST)
    entry = last_audit(con)
    assert (entry["actor"], entry["entity"], entry["entity_id"], entry["action"]) == \
        (ANALYST, "equipment", item_id, "create")
    assert entry["actor"] != bootstrap.DEMO_AUTHOR
    assert not con.execute("SELECT is_demo FROM equipment WHERE id = ?", [item_id]).fetchone()[0]


def test_an_edit_is_audited_under_the_editor_with_what_changed(con):
    item_id = service.save_equipment(con, new_item(con), actor="Bao")
    item = stored(con, item_id)
    item.name = "Scie à onglet radiale"
    assert service.save_equipment(con, item, actor=ANALYST) == item_id
    entry = last_audit(con)
    assert (entry["actor"], entry["action"]) == (ANALYST, "update")
    assert entry["actor"] != "inconnu"
    assert '"name": "Scie à onglet radiale"' in entry["new"]


def test_archiving_an_item_is_audited(con):
    item_id = service.save_equipment(con, new_item(con), actor=ANALYST)
    service.archive_equipment(con, item_id, actor="Bao")
    entry = last_audit(con)
    assert (entry["actor"], entry["entity_id"], entry["action"]) == ("Bao", item_id, "archive")
    assert item_id not in set(service.inventory(con)["id"])


def test_a_stay_booked_and_cancelled_is_audited_both_times(con):
    item_id = service.save_equipment(con, new_item(con, itinerant=True), actor=ANALYST)
    place = first_place(con)
    stay_id = service.add_stay(con, item_id, place, dt.date(2031, 3, 1), dt.date(2031, 3, 9),
                               "salon", actor=ANALYST)
    entry = last_audit(con)
    assert (entry["actor"], entry["entity"], entry["entity_id"], entry["action"]) == \
        (ANALYST, "stay", stay_id, "create")
    service.delete_stay(con, stay_id, actor="Bao")
    entry = last_audit(con)
    assert (entry["actor"], entry["entity"], entry["action"]) == ("Bao", "stay", "delete")
    assert "2031-03-01" in entry["old"]


def test_an_overlapping_stay_is_refused_with_its_reason_and_nothing_is_written(con):
    item_id = service.save_equipment(con, new_item(con, itinerant=True), actor=ANALYST)
    place = first_place(con)
    service.add_stay(con, item_id, place, dt.date(2031, 3, 1), dt.date(2031, 3, 9),
                     actor=ANALYST, place_names={place: "Le Fab'Ariège"})
    before = (audit_count(con), len(service.stays(con, item_id)))
    with pytest.raises(service.StayRefused) as refused:
        service.add_stay(con, item_id, place, dt.date(2031, 3, 5), dt.date(2031, 3, 12),
                         actor=ANALYST, place_names={place: "Le Fab'Ariège"})
    assert refused.value.reasons == [
        "Ce séjour (du 05/03/2031 au 12/03/2031) chevauche celui prévu à « Le Fab'Ariège » "
        "du 01/03/2031 au 09/03/2031."]
    assert (audit_count(con), len(service.stays(con, item_id))) == before


def three_places(con) -> list[int]:
    return [int(r[0]) for r in con.execute(
        "SELECT id FROM places WHERE NOT archived ORDER BY id LIMIT 3").fetchall()]


def test_a_planned_tour_is_booked_as_consecutive_stays_each_audited(con):
    from observatory.itinerance import tour_schedule

    item_id = service.save_equipment(con, new_item(con, itinerant=True), actor=ANALYST)
    stops = three_places(con)
    before = audit_count(con)
    ids = service.book_tour(con, item_id, tour_schedule(stops, dt.date(2031, 3, 2), 1, "weeks"),
                            actor="Karim")
    booked = service.stays(con, item_id)
    assert booked["id"].tolist() == ids and booked["place_id"].tolist() == stops
    assert [d.date() for d in booked["start_date"]] == [
        dt.date(2031, 3, 2), dt.date(2031, 3, 9), dt.date(2031, 3, 16)]
    assert set(booked["note"]) == {service.TOUR_NOTE}
    assert audit_count(con) == before + 3
    assert con.execute("SELECT DISTINCT actor, entity, action FROM audit_log WHERE id > ?",
                       [before]).fetchall() == [("Karim", "stay", "create")]


def test_a_tour_with_one_overlapping_stay_is_refused_whole_naming_the_stay(con):
    from observatory.itinerance import tour_schedule

    item_id = service.save_equipment(con, new_item(con, itinerant=True), actor=ANALYST)
    stops = three_places(con)
    names = dict(zip(stops, ["Le Fab'Ariège", "Café des Ondes", "La Ressourcerie"],
                     strict=True))
    service.add_stay(con, item_id, stops[0], dt.date(2031, 3, 10), dt.date(2031, 3, 12),
                     actor=ANALYST, place_names=names)
    before = (audit_count(con), len(service.stays(con, item_id)))
    with pytest.raises(service.StayRefused) as refused:
        service.book_tour(con, item_id, tour_schedule(stops, dt.date(2031, 3, 2), 1, "weeks"),
                          actor="Karim", place_names=names)
    assert refused.value.reasons == [
        "Étape 2 (« Café des Ondes ») : ce séjour (du 09/03/2031 au 15/03/2031) chevauche "
        "celui prévu à « Le Fab'Ariège » du 10/03/2031 au 12/03/2031.",
        "Aucun séjour de la tournée n'a été réservé."]
    assert (audit_count(con), len(service.stays(con, item_id))) == before  # stop 1 undone


def test_an_empty_tour_or_an_unknown_item_books_nothing(con):
    with pytest.raises(EquipmentError, match="aucun séjour"):
        service.book_tour(con, int(service.inventory(con)["id"].min()), [], actor=ANALYST)
    with pytest.raises(EquipmentError, match="introuvable"):
        service.book_tour(con, 99_999, [{"place_id": first_place(con),
                                         "start": dt.date(2031, 1, 1),
                                         "end": dt.date(2031, 1, 2)}], actor=ANALYST)


def test_a_stay_of_an_unknown_item_is_refused(con):
    with pytest.raises(EquipmentError, match="introuvable"):
        service.add_stay(con, 99_999, first_place(con), dt.date(2031, 1, 1),
                         dt.date(2031, 1, 2), actor=ANALYST)


def test_a_call_is_audited_when_created_then_when_changed(con):
    service.save_call(con, 2031, 50_000.0, dt.date(2031, 2, 1), dt.date(2031, 4, 30),
                      actor=ANALYST)
    entry = last_audit(con)
    assert (entry["actor"], entry["entity"], entry["entity_id"], entry["action"]) == \
        (ANALYST, "call", 2031, "create")
    service.save_call(con, 2031, 60_000.0, dt.date(2031, 2, 1), dt.date(2031, 4, 30),
                      actor="Bao")
    entry = last_audit(con)
    assert (entry["actor"], entry["action"]) == ("Bao", "update")
    assert '"budget": 50000.0' in entry["old"]


def test_a_call_closing_before_it_opens_is_refused(con):
    before = audit_count(con)
    with pytest.raises(CallError, match="La clôture doit suivre l'ouverture"):
        service.save_call(con, 2031, 1.0, dt.date(2031, 4, 30), dt.date(2031, 2, 1),
                          actor=ANALYST)
    assert audit_count(con) == before


def test_an_application_is_audited_when_created_then_when_changed(con):
    consortium = int(con.execute("SELECT min(id) FROM consortia").fetchone()[0])
    record = {"call_year": 2026, "consortium_id": consortium, "amount_requested": 8000.0,
              "status": "draft"}
    app_id = service.save_application(con, record, actor=ANALYST)
    entry = last_audit(con)
    assert (entry["actor"], entry["entity"], entry["entity_id"], entry["action"]) == \
        (ANALYST, "application", app_id, "create")
    service.save_application(con, record | {"id": app_id, "status": "submitted"}, actor="Bao")
    entry = last_audit(con)
    assert (entry["actor"], entry["action"]) == ("Bao", "update")
    assert entry["new"] == '{"status": "submitted"}'


def test_an_application_with_an_unknown_status_or_a_negative_amount_is_refused(con):
    consortium = int(con.execute("SELECT min(id) FROM consortia").fetchone()[0])
    before = audit_count(con)
    with pytest.raises(CallError) as refused:
        service.save_application(con, {"call_year": 2026, "consortium_id": consortium,
                                        "amount_requested": -1.0, "status": "won"},
                                 actor=ANALYST)
    assert "Statut inconnu" in str(refused.value) and "montant demandé" in str(refused.value)
    assert audit_count(con) == before


WRITES = {
    "save_equipment": lambda con, **kw: service.save_equipment(con, new_item(con), **kw),
    "archive_equipment": lambda con, **kw: service.archive_equipment(
        con, int(service.inventory(con)["id"].min()), **kw),
    "add_stay": lambda con, **kw: service.add_stay(
        con, int(service.inventory(con)["id"].min()), first_place(con), dt.date(2031, 1, 1),
        dt.date(2031, 1, 2), **kw),
    "delete_stay": lambda con, **kw: service.delete_stay(
        con, int(service.stays(con)["id"].min()), **kw),
    "book_tour": lambda con, **kw: service.book_tour(
        con, int(service.inventory(con)["id"].min()),
        [{"place_id": first_place(con), "start": dt.date(2031, 1, 1),
          "end": dt.date(2031, 1, 2)}], **kw),
    "save_call": lambda con, **kw: service.save_call(con, 2031, 1.0, None, None, **kw),
    "save_application": lambda con, **kw: service.save_application(
        con, {"call_year": 2026, "consortium_id": 1, "status": "draft"}, **kw),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_needs_an_actor_and_writes_nothing_without_one(con, write):
    before = audit_count(con)
    with pytest.raises(TypeError):
        WRITES[write](con)  # no actor at all
    with pytest.raises(ValueError, match="actor"):
        WRITES[write](con, actor="  ")
    assert audit_count(con) == before


# --- Tours and reach from the settings ----------------------------------------------------

def places_frame(con) -> pd.DataFrame:
    return core.current_places(con)


def test_a_tour_is_priced_with_the_co2_factor_of_the_settings(con, settings):
    places = places_frame(con)
    stops = places["id"].head(4).tolist()
    default = service.tour(places, stops, settings=settings)
    assert default.emission_factor_kg_per_km == CO2_KG_PER_KM
    heavier = Settings(db=settings.db, co2_kg_per_km=0.5)
    tour = service.tour(places, stops, settings=heavier)
    assert tour.order[0] == stops[0] and sorted(tour.order) == sorted(stops)
    assert tour.emission_factor_kg_per_km == 0.5
    assert tour.co2_kg == pytest.approx(tour.total_km * 0.5)
    assert tour.total_km == pytest.approx(default.total_km)


def test_a_tour_is_measured_by_the_provider_of_the_settings(con, settings):
    places = places_frame(con)
    stops = places["id"].head(4).tolist()
    straight = service.tour(places, stops, settings=Settings(db=settings.db, circuity=1.0))
    winding = service.tour(places, stops, settings=Settings(db=settings.db, circuity=2.0))
    assert winding.total_km == pytest.approx(2 * straight.total_km)
    assert straight.provider_label == Settings(circuity=1.0).provider().label


def test_a_tour_read_from_a_road_matrix_is_not_an_estimate(con, settings, tmp_path):
    places = places_frame(con)
    a, b = places["id"].head(2).tolist()
    matrix = tmp_path / "matrice.csv"
    matrix.write_text(f"from_id,to_id,road_km,minutes\n{a},{b},10,12\n{b},{a},10,12\n")
    measured = Settings(db=settings.db, distance="matrice", distance_matrix=matrix)
    tour = service.tour(places, [a, b], settings=measured)
    assert tour.total_km == pytest.approx(20) and tour.total_minutes == pytest.approx(24)
    assert not measured.provider().is_estimate
    assert tour.provider_label == measured.provider().label


def test_the_reach_of_itinerant_items_uses_the_settings(con, settings):
    items, stays = service.inventory(con), service.stays(con)
    frame = territory.communes(con)
    places = places_frame(con)
    near = service.itinerant_reach(items, stays, places, frame, settings=settings, minutes=20)
    slow = service.itinerant_reach(items, stays, places, frame, minutes=20,
                                   settings=Settings(db=settings.db, speed_kmh=20))
    assert set(near["name"]) == set(items.loc[items["itinerant"].astype(bool), "name"])
    assert (slow["population"] <= near["population"]).all()
    assert slow["population"].sum() < near["population"].sum()


def test_twin_items_get_distinct_labels_in_the_pickers():
    from observatory.equipment import item_labels

    items = pd.DataFrame({"id": [4, 8, 3], "name": ["Vélo cargo", "Vélo cargo", "Sono"]})
    assert item_labels(items) == {4: "Vélo cargo (n° 4)", 8: "Vélo cargo (n° 8)", 3: "Sono"}
