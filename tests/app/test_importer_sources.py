"""The Importer's first question and a national source's rows in the territory (issue 14)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests import national_fixtures as nf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
FS = (FIXTURES / "france_services_extrait.csv").read_bytes()


def open_importer(make_app, app_db) -> AppTest:
    at = make_app(app_db, page="pages/importer.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_importer_starts_by_asking_where_the_data_come_from(make_app, app_db):
    at = open_importer(make_app, app_db)
    question = at.radio(key="imp_origin")
    assert question.label == "D'où viennent vos données ?"
    assert question.options == ["une source nationale connue", "une liste régionale",
                                "votre propre tableur"]
    assert [r.key for r in at.radio] == ["imp_origin", "imp_kind"]  # asked before the kind


def test_a_national_source_says_first_how_many_rows_are_in_the_territory(make_app, app_db):
    at = open_importer(make_app, app_db)
    at.radio(key="imp_origin").set_value("national")
    at.run()
    assert not [r for r in at.radio if r.key == "imp_kind"]  # a national list: places
    at.file_uploader(key="imp_file_places").set_value(
        ("liste-fs-20240801.csv", FS, "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.checkbox(key="imp_skip_outside").value  # on by default for a national list
    (count,) = [i.value for i in at.info if "dans le territoire" in i.value]
    assert count.startswith("**11 lignes sur 18 sont dans le territoire**")
    assert "Liste nationale des France services (ANCT)" in count
    assert at.success[0].value.startswith("Source reconnue : Liste nationale des France")
    texts = [c.value for c in at.caption]
    assert any(t.startswith("7 lignes hors territoire (ignorées)") for t in texts)
    assert [b for b in at.get("download_button") if "hors territoire" in b.proto.label]
    at.text_input(key="imp_author").input("Claire")
    at.run()
    next(b for b in at.button if b.label == "Importer").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "11 lieux ajoutés" in at.success[0].value


def test_a_regional_list_can_import_its_valid_rows_only(make_app, app_db):
    at = open_importer(make_app, app_db)
    at.radio(key="imp_origin").set_value("regional")
    at.run()
    at.text_input(key="imp_publisher").input("Réseau des tiers-lieux d'Occitanie")
    at.file_uploader(key="imp_file_places").set_value(
        ("reseau-2017.xlsx", nf.regional_workbook(),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.checkbox(key="imp_skip_outside").uncheck()
    at.run()
    assert any("1 en erreur" in e.value for e in at.error)
    at.checkbox(key="imp_valid_only").check()
    at.run()
    assert any(w.value.startswith("1 ligne en erreur écartée") for w in at.warning)
    assert [b for b in at.button if b.label == "Importer"]


def test_an_imported_place_shows_its_source_record_and_field_provenance(make_app, app_db):
    import duckdb

    from observatory.ui import data, sidebar

    with duckdb.connect(str(app_db), read_only=True) as con:
        demo_id = con.execute("SELECT min(id) FROM places").fetchone()[0]
    at = make_app(app_db, page="pages/lieux.py")
    at.session_state[sidebar.SELECTED] = int(demo_id)
    at.run()  # a place typed in the application has no source record: no empty section
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox[0].value == demo_id or demo_id in [s.value for s in at.selectbox]
    assert not [e for e in at.expander if e.label.startswith("Sources de ce lieu")]

    at = open_importer(make_app, app_db)
    at.radio(key="imp_origin").set_value("national")
    at.run()
    at.file_uploader(key="imp_file_places").set_value(
        ("liste-fs-20240801.csv", FS, "text/csv"))
    at.run()
    at.text_input(key="imp_author").input("Claire")
    at.run()
    next(b for b in at.button if b.label == "Importer").click()
    at.run()
    assert "11 lieux ajoutés" in at.success[0].value
    with duckdb.connect(str(app_db), read_only=True) as con:
        place_id, record_id = con.execute(
            "SELECT place_id, record_id FROM place_sources ORDER BY place_id LIMIT 1").fetchone()
    data.place_origins.clear()

    at = make_app(app_db, page="pages/lieux.py")
    at.session_state[sidebar.SELECTED] = int(place_id)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (sources,) = [e for e in at.expander if e.label.startswith("Sources de ce lieu")]
    assert sources.label == "Sources de ce lieu (1 fiche)"
    records, fields = (t.value for t in sources.dataframe)
    assert records.iloc[0]["Source"] == "France services (ANCT)"
    assert records.iloc[0]["Identifiant dans la source"] == record_id
    assert records.iloc[0]["Fichier"] == "liste-fs-20240801.csv"
    given = dict(zip(fields["Champ"], fields["Donné par"], strict=True))
    assert given["nom"] == given["coordonnées"] == "France services (ANCT)"


def test_the_rows_to_write_come_first_in_the_preview_and_the_ignored_ones_after():
    import pandas as pd

    from observatory.importing.report import SKIPPED, skipped_last

    preview = pd.DataFrame({"ligne": [2, 3, 4, 5], "action": [SKIPPED, "ajout", SKIPPED,
                                                              "mise à jour"]})
    assert list(skipped_last(preview)["ligne"]) == [3, 5, 2, 4]
    assert skipped_last(preview.iloc[0:0]).empty

