"""The Importer page: updates shown field by field, renames confirmed row by row (issue 10)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from observatory.store import db, places

# Two demonstration places: n° 1 gets another typology (an update), n° 2 another name.
FILE = ("Identifiant observatoire;Nom du lieu;Code INSEE;Typologie\n"
        "1;La Fabrique des Possibles;09052;Fablab\n"
        "2;La Grande Forge;09194;Coworking\n").encode("utf-8")


def upload(make_app, app_db) -> AppTest:
    at = make_app(app_db, page="pages/importer.py")
    at.run()
    at.file_uploader(key="imp_file_places").set_value(("lieux.csv", FILE, "text/csv"))
    at.run()
    at.checkbox(key="imp_replace_demo").uncheck()  # update the stored places
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def changes(at: AppTest):
    frames = [df.value for df in at.dataframe if "champ" in df.value.columns]
    assert frames, "pas de tableau des changements champ par champ"
    return frames[0]


def rename_boxes(at: AppTest):
    return [c for c in at.checkbox if str(c.key).startswith("imp_rename_")]


def test_the_importer_refuses_a_rename_until_it_is_confirmed_then_imports(make_app, app_db):
    at = upload(make_app, app_db)
    assert "1 en erreur" in at.error[0].value
    table = changes(at)
    by_field = table.set_index(["ligne", "champ"])
    assert by_field.loc[(2, "Typologie"), ["action", "avant", "après"]].tolist() == [
        "mise à jour", "Tiers-lieu multi-activités", "Fablab"]
    assert by_field.loc[(3, "Nom du lieu"), ["action", "avant", "après"]].tolist() == [
        "renommage à confirmer", "Le Bocal à Idées", "La Grande Forge"]
    (box,) = rename_boxes(at)
    assert "renommer « Le Bocal à Idées »" in box.label and "La Grande Forge" in box.label
    assert not box.value
    assert not [b for b in at.button if b.label == "Importer"]

    box.check()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.startswith("2 lignes prêtes (2 mises à jour)")
    assert set(changes(at)["action"]) == {"mise à jour"}
    assert rename_boxes(at)[0].value  # stays confirmed
    at.text_input(key="imp_author").input("Claire")
    at.run()
    next(b for b in at.button if b.label == "Importer").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value.startswith("Import terminé") for s in at.success)
    con = db.connect(app_db, read_only=True)
    try:
        stored = places.current(con).set_index("id")
    finally:
        con.close()
    assert stored.loc[2, "name"] == "La Grande Forge"
    assert stored.loc[1, "typology"] == "Fablab"


MOVED = ("Identifiant observatoire;Nom du lieu;Code INSEE;Latitude;Longitude;Typologie\n"
         "2;Le Bocal à Idées;09194;43,124201;1,875145;Coworking\n").encode("utf-8")


def test_a_moved_place_shows_its_coordinates_change_with_the_distance_before_writing(
        make_app, app_db):
    at = make_app(app_db, page="pages/importer.py")
    at.run()
    at.file_uploader(key="imp_file_places").set_value(("lieux.csv", MOVED, "text/csv"))
    at.run()
    at.checkbox(key="imp_replace_demo").uncheck()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (row,) = changes(at).to_dict(orient="records")
    assert (row["champ"], row["avant"], row["après"]) == (
        "Coordonnées", "43,114201 / 1,875145", "43,124201 / 1,875145 (déplacé de 1,1\u00a0km)")
    con = db.connect(app_db, read_only=True)
    try:
        assert places.get(con, 2)["lat"] == 43.114201  # nothing written yet
    finally:
        con.close()
