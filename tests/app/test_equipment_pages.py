"""Équipements and Appels à projets through AppTest: empty states, who the audit names, and
tours computed with the settings' distance provider and CO2 factor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observatory.store import db
from observatory.ui.equipment_views import ITINERANCE, NO_ITINERANT, NO_PLACE, TOUR
from observatory.ui.pages import by_title

EQUIPEMENTS = by_title("Équipements").path
APPELS = by_title("Appels à projets").path


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "subheader", "toast")
    return "\n".join(re.sub(r"\\(.)", r"\1", str(e.value)) for k in kinds for e in at.get(k))


def view(at: AppTest, name: str) -> AppTest:
    at.radio(key="equipment_view").set_value(name)
    return run(at)


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"pas de métrique « {label} » : {[m.label for m in at.metric]}"
    return found[0]


def figure(text: str) -> float:
    return float(re.sub(r"[^\d,]", "", text).replace(",", "."))


def sql(path: Path, query: str, params=()) -> list[tuple]:
    con = db.connect(path)
    try:
        return con.execute(query, list(params)).fetchall()
    finally:
        con.close()


def log_in(at: AppTest) -> None:
    name = next(t for t in at.sidebar.text_input if "utilisateur" in t.label.lower()
                or "nom" in t.label.lower())
    password = next(t for t in at.sidebar.text_input if "passe" in t.label.lower())
    name.input("alice")
    password.input("Une-phrase-de-passe-solide-42")
    next(b for b in at.sidebar.get("form_submit_button") if "connecter" in b.label.lower()).click()
    run(at)


# --- Empty states -------------------------------------------------------------------------

def test_every_view_of_an_empty_database_says_what_to_do_instead_of_a_traceback(make_app,
                                                                              empty_app_db):
    at = run(make_app(empty_app_db, page=EQUIPEMENTS))
    assert metric(at, "Équipements") == "0"
    assert NO_PLACE in texts(at)
    for name in (ITINERANCE, TOUR):
        assert NO_PLACE in texts(view(at, name))
    at.switch_page(APPELS)
    run(at)
    assert "Aucune candidature enregistrée." in texts(at)
    assert "Formez d'abord un consortium" in texts(at)


def test_places_without_equipment_offer_the_form_and_explain_itinerance(make_app, app_db):
    sql(app_db, "UPDATE equipment SET archived = true")
    at = run(make_app(app_db, page=EQUIPEMENTS))
    assert "Aucun équipement enregistré." in texts(at)
    assert at.selectbox(key="eq_pick").options == ["+ Nouvel équipement"]
    for name in (ITINERANCE, TOUR):
        assert NO_ITINERANT in texts(view(at, name))


# --- Who the audit trail names ------------------------------------------------------------

def add_item(at: AppTest, name: str, author: str | None = None) -> AppTest:
    next(t for t in at.text_input if t.label == "Nom").input(name)
    if author is not None:
        next(t for t in at.text_input if t.label == "Votre nom (historique)").input(author)
    next(b for b in at.get("form_submit_button") if b.label == "Enregistrer").click()
    return run(at)


def created_by(path: Path, name: str) -> list[str]:
    return [r[0] for r in sql(path, "SELECT a.actor FROM audit_log a JOIN equipment e "
                                    "ON a.entity = 'equipment' AND a.entity_id = e.id "
                                    "AND a.action = 'create' WHERE e.name = ?", [name])]


def test_an_item_added_in_demonstration_mode_is_audited_under_the_typed_name(make_app, app_db):
    at = run(make_app(app_db, page=EQUIPEMENTS))
    add_item(at, "Presse à chaud", author="Camille")
    assert created_by(app_db, "Presse à chaud") == ["Camille"]
    assert "Presse à chaud" in set(at.dataframe[0].value["Équipement"])


def test_an_item_added_by_a_logged_in_analyst_is_audited_under_the_account(make_app, app_db,
                                                                         protected):
    at = run(make_app(app_db, page=EQUIPEMENTS))
    assert "Réservé aux analystes" in texts(at)
    log_in(at)
    assert "Enregistré au nom de alice" in texts(at).replace("*", "")
    add_item(at, "Brodeuse numérique")
    assert created_by(app_db, "Brodeuse numérique") == ["alice"]


def test_an_overlapping_stay_is_refused_with_its_reason(make_app, app_db):
    item, place, start, end = sql(app_db, "SELECT s.equipment_id, s.place_id, s.start_date, "
                                          "s.end_date FROM equipment_stays s JOIN equipment e "
                                          "ON e.id = s.equipment_id WHERE NOT e.archived "
                                          "ORDER BY s.id LIMIT 1")[0]
    before = sql(app_db, "SELECT count(*) FROM equipment_stays")[0][0]
    at = view(run(make_app(app_db, page=EQUIPEMENTS)), ITINERANCE)
    at.selectbox(key="it_item").set_value(int(item))
    at.date_input(key="it_from").set_value(start)
    at.date_input(key="it_to").set_value(end)
    next(b for b in at.button if b.label == "Ajouter le séjour").click()
    run(at)
    assert "chevauche celui prévu" in texts(at)
    assert sql(app_db, "SELECT count(*) FROM equipment_stays")[0][0] == before


# --- Tours from the settings --------------------------------------------------------------

def tour_of_first_consortium(at: AppTest, app_db: Path) -> AppTest:
    view(at, TOUR)
    first = sql(app_db, "SELECT min(id) FROM consortia WHERE NOT archived")[0][0]
    at.selectbox(key="tour_consortium").set_value(int(first))
    return run(at)


def test_a_tour_is_priced_with_the_co2_factor_of_the_settings(make_app, app_db, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_CO2_KG_PER_KM", "0.5")
    at = tour_of_first_consortium(run(make_app(app_db, page=EQUIPEMENTS)), app_db)
    legs = next(f.value for f in at.dataframe if "De" in f.value.columns)
    total_km = sum(figure(km) for km in legs["Route (km, est.)"])  # shown « 12,3 »
    assert figure(metric(at, "CO₂ estimé")) == pytest.approx(total_km * 0.5, abs=0.06)
    shown = texts(at)
    assert "OBSERVATORY_CO2_KG_PER_KM" in shown and "0,5 kg CO2e par km" in shown
    assert "vol d'oiseau" in shown  # the estimate's label, named as the provider used


def test_a_tour_from_a_road_matrix_is_not_called_an_estimate(make_app, app_db, monkeypatch,
                                                             tmp_path):
    first = sql(app_db, "SELECT min(id) FROM consortia WHERE NOT archived")[0][0]
    members = [r[0] for r in sql(app_db, "SELECT place_id FROM consortium_members "
                                         "WHERE consortium_id = ?", [first])]
    lines = ["from_id,to_id,road_km,minutes"] + [
        f"{a},{b},7,9" for a in members for b in members if a != b]
    matrix = tmp_path / "matrice.csv"
    matrix.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("OBSERVATORY_DISTANCE", "matrice")
    monkeypatch.setenv("OBSERVATORY_DISTANCE_MATRIX", str(matrix))
    at = tour_of_first_consortium(run(make_app(app_db, page=EQUIPEMENTS)), app_db)
    legs_count = len(members)  # a closed tour has as many legs as stops
    assert figure(metric(at, "Distance totale")) == 7 * legs_count
    assert not [m for m in at.metric if m.label == "Distance totale (est.)"]
    assert "Matrice de distances routières fournie" in texts(at)
    legs = next(f.value for f in at.dataframe if "De" in f.value.columns)
    assert "Route (km)" in legs.columns


# --- A submitted consortium is an application ------------------------------------------------

def applications_table(at: AppTest):
    return next(f.value for f in at.dataframe if "Lieux membres" in f.value.columns)


def test_a_consortium_set_to_submitted_shows_among_the_applications_with_its_members(
        make_app, app_db):
    consortium, name = sql(app_db, "SELECT id, name FROM consortia WHERE status = 'idea' "
                                   "AND NOT archived ORDER BY id LIMIT 1")[0]
    members = [r[0] for r in sql(app_db, "SELECT p.name FROM consortium_members m JOIN places p "
                                         "ON p.id = m.place_id WHERE m.consortium_id = ? "
                                         "ORDER BY p.id", [consortium])]
    at = run(make_app(app_db, page=by_title("Consortiums").path))
    at.selectbox(key="c_pick").set_value(int(consortium))
    run(at)
    at.selectbox(key="c_status").set_value("submitted")
    at.text_input(key="c_author").input("Karim")
    run(at)
    next(b for b in at.button if b.label == "Enregistrer").click()
    run(at)
    assert "figure dans la page Appels à projets" in texts(at)
    at.switch_page(APPELS)
    run(at)
    shown = applications_table(at)
    row = shown[shown["Consortium"] == name]
    assert len(row) == 1 and row["Statut"].iloc[0] == "Déposée"
    assert row["Lieux membres"].iloc[0] == ", ".join(members)
    # entering it again on this page updates the same application
    at.selectbox(key="app_consortium").set_value(int(consortium))
    run(at)
    assert "déjà une candidature à cet appel" in texts(at)
    next(n for n in at.number_input if n.label == "Montant demandé (€)").set_value(15000.0)
    next(t for t in at.text_input if t.key == "app_author").input("Claire")
    next(b for b in at.get("form_submit_button")
         if b.label == "Enregistrer la candidature").click()
    run(at)
    assert sql(app_db, "SELECT count(*), max(amount_requested), max(status) FROM applications "
                       "WHERE consortium_id = ?", [consortium]) == [(1, 15000.0, "submitted")]
    row = applications_table(at).query("Consortium == @name")
    assert len(row) == 1


# --- A planned tour booked as stays -----------------------------------------------------------

def booking_form(at: AppTest, item: int, start, duration: int, unit: str) -> AppTest:
    at.selectbox(key="tour_item").set_value(item)
    at.date_input(key="tour_from").set_value(start)
    at.number_input(key="tour_duration").set_value(duration)
    at.selectbox(key="tour_unit").set_value(unit)
    return run(at)


def first_itinerant(app_db: Path) -> int:
    return int(sql(app_db, "SELECT min(id) FROM equipment WHERE itinerant AND NOT archived")[0][0])


def stays_of(app_db: Path, item: int) -> list[tuple]:
    return sql(app_db, "SELECT place_id, start_date, end_date, note FROM equipment_stays "
                       "WHERE equipment_id = ? ORDER BY start_date", [item])


def test_a_planned_tour_is_previewed_then_booked_as_consecutive_stays(make_app, app_db):
    import datetime as dt

    item = first_itinerant(app_db)
    before = stays_of(app_db, item)
    at = tour_of_first_consortium(run(make_app(app_db, page=EQUIPEMENTS)), app_db)
    booking_form(at, item, dt.date(2031, 5, 5), 2, "weeks")
    preview = next(f.value for f in at.dataframe if "Étape" in f.value.columns)
    stops = len(preview)
    assert stops >= 2 and preview["Du"].iloc[0] == "5 mai 2031"
    assert preview["Au (inclus)"].iloc[0] == "18 mai 2031"
    assert preview["Du"].iloc[1] == "19 mai 2031"
    at.text_input(key="tour_author").input("Karim")
    run(at)
    next(b for b in at.button if b.label == "Réserver ces séjours").click()
    run(at)
    booked = [s for s in stays_of(app_db, item) if s not in before]
    assert len(booked) == stops and {s[3] for s in booked} == {"tournée"}
    assert booked[0][1] == dt.date(2031, 5, 5)
    assert booked[-1][2] == dt.date(2031, 5, 5) + dt.timedelta(days=14 * stops - 1)
    assert sql(app_db, "SELECT DISTINCT actor FROM audit_log WHERE entity = 'stay' "
                       "AND action = 'create' AND new_values LIKE '%tournée%'") == [("Karim",)]


def test_a_tour_overlapping_a_booked_stay_is_refused_whole_with_the_stay_named(make_app, app_db):
    item = first_itinerant(app_db)
    place, start = sql(app_db, "SELECT place_id, start_date FROM equipment_stays "
                               "WHERE equipment_id = ? ORDER BY start_date LIMIT 1", [item])[0]
    name = sql(app_db, "SELECT name FROM places WHERE id = ?", [place])[0][0]
    before = stays_of(app_db, item)
    at = tour_of_first_consortium(run(make_app(app_db, page=EQUIPEMENTS)), app_db)
    booking_form(at, item, start, 1, "days")
    at.text_input(key="tour_author").input("Karim")
    run(at)
    next(b for b in at.button if b.label == "Réserver ces séjours").click()
    run(at)
    errors = "\n".join(re.sub(r"\\(.)", r"\1", str(e.value)) for e in at.error)
    assert "Étape 1 (" in errors and "chevauche celui prévu à « " + name in errors
    assert "Aucun séjour de la tournée n'a été réservé." in errors
    assert stays_of(app_db, item) == before


def test_a_reader_sees_the_tour_but_cannot_book_it(make_app, app_db, protected):
    at = tour_of_first_consortium(run(make_app(app_db, page=EQUIPEMENTS)), app_db)
    assert any("De" in f.value.columns for f in at.dataframe)  # the tour itself is shown
    assert not [b for b in at.button if b.label == "Réserver ces séjours"]
    log_in(at)
    assert [b for b in at.button if b.label == "Réserver ces séjours"]
