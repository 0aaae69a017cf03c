"""The page « Doublons probables », the Importer's warning and the undo of a merge from the
place's history, driven through AppTest on a copy of the demonstration database."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from observatory.store import db, places
from observatory.ui.pages import by_title

DOUBLONS = by_title("Doublons probables").path
VERNIOLLE = "09332"


def ok(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def add_capwork(path) -> tuple[int, int]:
    """CapWork and Cap Work at Verniolle (the CGET 2019 list has both), the second with an
    evaluation."""
    con = db.connect(path)
    try:
        kept = places.insert(con, {"name": "CapWork", "insee": VERNIOLLE, "lon": 1.64812,
                                   "lat": 43.08170, "typology": "Coworking",
                                   "website": "https://capwork.fr"})
        removed = places.insert(con, {"name": "Cap Work", "insee": VERNIOLLE, "lon": 1.64830,
                                      "lat": 43.08200, "typology": "Coworking",
                                      "opening_year": 2012})
        con.execute("INSERT INTO evaluations (place_id, evaluated_on, commons, "
                    "innovative_response, collective_dynamic, territorial_anchoring, "
                    "shared_governance) VALUES (?, DATE '2025-01-01', 3, 3, 3, 3, 3)", [removed])
    finally:
        con.close()
    return kept, removed


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


@pytest.fixture
def with_pair(app_db):
    return app_db, *add_capwork(app_db)


def test_the_demonstration_has_no_duplicate_and_the_page_says_what_to_do(make_app, app_db):
    at = ok(make_app(app_db, page=DOUBLONS))
    assert at.title[0].value == "Doublons probables"
    [info] = [i.value for i in at.info if "Aucun doublon probable" in i.value]
    assert "42 lieux" in info and "revenez sur cette page" in info
    assert "Abaissez le score minimal" in info


def test_a_pair_is_listed_with_its_score_and_reason_side_by_side(make_app, with_pair):
    path, kept, removed = with_pair
    at = ok(make_app(path, page=DOUBLONS))
    listing = at.dataframe[0].value
    assert len(listing) == 1
    row = listing.iloc[0]
    assert row["Premier lieu"] == f"CapWork — Verniolle (n° {kept})"
    assert row["Second lieu"] == f"Cap Work — Verniolle (n° {removed})"
    assert row["Raison"].startswith("noms identiques une fois normalisés (capwork), "
                                    "même commune (Verniolle)")
    side = at.dataframe[1].value.set_index("Champ")
    assert side.loc["Nom", [f"N° {kept}", f"N° {removed}", "Diffère"]].tolist() == [
        "CapWork", "Cap Work", "oui"]
    assert side.loc["Typologie", "Diffère"] == "–"
    labels = [r.label for r in at.radio]
    assert labels[1:] == ["Nom", "Position", "Année d'ouverture", "Site web"]


def test_a_merge_keeps_the_chosen_values_and_moves_the_evaluation(make_app, with_pair):
    path, kept, removed = with_pair
    con = db.connect(path)
    try:  # a consortium of the two records: one place once merged
        con.execute("INSERT INTO consortia (name, lead_place_id, call_year, status) "
                    "VALUES ('Coworkings de Verniolle', ?, 2026, 'idea')", [kept])
        con.execute("INSERT INTO consortium_members SELECT max(id), ? FROM consortia "
                    "UNION ALL SELECT max(id), ? FROM consortia", [kept, removed])
    finally:
        con.close()
    at = ok(make_app(path, page=DOUBLONS))
    next(r for r in at.radio if r.label == "Année d'ouverture").set_value(removed)
    at.text_input(key="dup_author").input("Claire")
    ok(at)
    button(at, "Fusionner ces deux lieux").click()
    ok(at)
    assert at.success[0].value.startswith(
        f"Fusion enregistrée : n° {removed} « Cap Work » a rejoint n° {kept} « CapWork » "
        "(rattachés au lieu conservé : 1 évaluation, 1 appartenance en double retirée).")
    assert at.success[0].value.endswith("Le consortium « Coworkings de Verniolle » ne compte "
                                        "plus qu'un lieu : complétez-le ou archivez-le (page "
                                        "« Consortiums »).")
    assert any("Aucun doublon probable" in i.value for i in at.info)
    con = db.connect(path, read_only=True)
    try:
        assert places.get(con, removed) is None
        merged = places.get(con, kept)
        assert (merged["name"], merged["opening_year"], merged["website"]) == (
            "CapWork", 2012, "https://capwork.fr")
        assert con.execute("SELECT count(*) FROM evaluations WHERE place_id = ?",
                           [kept]).fetchone()[0] == 1
        assert con.execute("SELECT actor, action FROM audit_log ORDER BY id DESC LIMIT 1"
                           ).fetchone() == ("Claire", "merge")
    finally:
        con.close()


def test_not_a_duplicate_is_remembered(make_app, with_pair):
    path, kept, removed = with_pair
    at = ok(make_app(path, page=DOUBLONS))
    at.text_input(key="dup_author").input("Claire")
    ok(at)
    button(at, "Pas un doublon").click()
    ok(at)
    assert "ne sont plus proposés comme doublons" in at.success[0].value
    assert any("Aucun doublon probable" in i.value for i in at.info)
    again = ok(make_app(path, page=DOUBLONS))  # a new session: still dismissed
    assert any("Aucun doublon probable" in i.value for i in again.info)


def test_the_buttons_wait_for_a_name(make_app, with_pair):
    path, _, _ = with_pair
    at = ok(make_app(path, page=DOUBLONS))
    assert button(at, "Fusionner ces deux lieux").disabled
    assert button(at, "Pas un doublon").disabled


def test_a_merge_is_undone_from_the_kept_places_history(make_app, with_pair):
    path, kept, removed = with_pair
    at = ok(make_app(path, page=DOUBLONS))
    at.text_input(key="dup_author").input("Claire")
    ok(at)
    button(at, "Fusionner ces deux lieux").click()
    ok(at)
    at.switch_page("pages/lieux.py")
    ok(at)
    next(s for s in at.selectbox if s.label == "Lieu").set_value(kept)
    ok(at)
    history = next(df.value for df in at.dataframe if "Changements" in df.value.columns)
    merge_row = history[history["Action"] == "fusion"].iloc[0]
    assert merge_row["Changements"].startswith(
        f"fusion avec « Cap Work » (n° {removed}, supprimé) ; déplacés : 1 évaluation")
    at.selectbox(key=f"undo_{kept}").set_value(int(merge_row["N°"]))
    at.text_input(key=f"undo_author_{kept}").input("Claire")
    ok(at)
    at.button(key=f"undo_btn_{kept}").click()
    ok(at)
    con = db.connect(path, read_only=True)
    try:
        assert places.get(con, removed)["name"] == "Cap Work"
        assert con.execute("SELECT count(*) FROM evaluations WHERE place_id = ?",
                           [removed]).fetchone()[0] == 1
    finally:
        con.close()


def test_the_importer_warns_of_rows_that_are_probably_a_stored_place(make_app, app_db):
    con = db.connect(app_db)
    try:
        kept = places.insert(con, {"name": "CapWork", "insee": VERNIOLLE, "lon": 1.64812,
                                   "lat": 43.08170, "typology": "Coworking"})
    finally:
        con.close()
    csv = ("Nom du lieu;Code INSEE;Latitude;Longitude;Typologie\n"
           "Cap Work;09332;43,08200;1,64830;Coworking\n"
           "Café La Brouette;09332;43,08300;1,64900;Café/bar associatif\n").encode()
    at = ok(make_app(app_db, page="pages/importer.py"))
    at.file_uploader(key="imp_file_places").set_value(("cget.csv", csv, "text/csv"))
    ok(at)
    at.checkbox(key="imp_replace_demo").uncheck()
    ok(at)
    [warning] = [w.value for w in at.warning if "Doublons probables" in w.value]
    assert "1 ligne à ajouter ressemble à un lieu déjà enregistré" in warning
    table = next(df.value for df in at.dataframe
                 if "probablement le même que" in df.value.columns)
    assert table["ligne"].tolist() == [2]
    assert table["probablement le même que"].tolist() == [f"CapWork (n° {kept})"]
    assert button(at, "Importer")  # a warning, not a block


def test_a_reader_sees_the_pairs_but_neither_contacts_nor_buttons(make_app, app_db, protected):
    kept, removed = add_capwork(app_db)
    con = db.connect(app_db)
    try:
        con.execute("UPDATE places SET contact = 'Claire, 05 61 02 03 04' WHERE id = ?",
                    [removed])
    finally:
        con.close()
    at = ok(make_app(app_db, page=DOUBLONS))
    assert len(at.dataframe[0].value) == 1
    side = at.dataframe[1].value
    assert "Contact" not in set(side["Champ"])
    assert not [b for b in at.button if b.label in ("Fusionner ces deux lieux",
                                                     "Pas un doublon")]
    assert any("Seul un compte d'analyste" in c.value for c in at.caption)


def test_a_merge_after_someone_else_changed_a_place_is_refused(make_app, with_pair):
    path, kept, removed = with_pair
    at = ok(make_app(path, page=DOUBLONS))
    at.text_input(key="dup_author").input("Claire")
    ok(at)
    con = db.connect(path)
    try:  # Karim edits « Cap Work » while Claire compares the pair
        places.update(con, removed, {"website": "https://cap-work.fr"}, 1, "Karim")
    finally:
        con.close()
    button(at, "Fusionner ces deux lieux").click()
    ok(at)
    assert any("modifié par quelqu'un d'autre" in e.value for e in at.error)
    con = db.connect(path, read_only=True)
    try:
        assert places.get(con, removed)["website"] == "https://cap-work.fr"  # nothing merged
    finally:
        con.close()


def test_names_written_as_markdown_or_html_are_shown_as_typed(make_app, app_db):
    con = db.connect(app_db)
    try:
        for name, lon in (("**Cap** [Work](javascript:alert(1)) <b>x</b>", 1.64812),
                          ("**Cap**[Work](javascript:alert(1))<b>x</b>", 1.64830)):
            places.insert(con, {"name": name, "insee": VERNIOLLE, "lon": lon, "lat": 43.0817,
                                "typology": "Coworking"})
    finally:
        con.close()
    at = ok(make_app(app_db, page=DOUBLONS))
    score_line = next(m.value for m in at.markdown if m.value.startswith("**Score"))
    assert "javascript" in score_line and "](" not in score_line.replace("\\](", "")
    assert "<b>" not in score_line
    kept = at.radio[0]
    assert all("\\*\\*Cap\\*\\*" in str(o) for o in kept.options)


def test_a_value_only_the_other_record_has_is_proposed_and_sources_are_named_in_french(
        make_app, with_pair):
    path, kept, removed = with_pair
    con = db.connect(path)
    try:
        con.execute("INSERT INTO place_sources (place_id, source, record_id, file_name) "
                    "VALUES (?, 'cget_2019', '1001', 'tiers-lieux.csv'), "
                    "(?, 'cget_2019', '1002', 'tiers-lieux.csv')", [kept, removed])
    finally:
        con.close()
    at = ok(make_app(path, page=DOUBLONS))
    year = next(r for r in at.radio if r.label == "Année d'ouverture")
    assert year.value == removed  # CapWork has none, Cap Work says 2012: kept by default
    site = next(r for r in at.radio if r.label == "Site web")
    assert site.value == kept  # only CapWork has one
    sources = next(d.value for d in at.dataframe if "Source" in d.value.columns)
    assert set(sources["Source"]) == {"CGET 2019"}  # never the key « cget_2019 »
