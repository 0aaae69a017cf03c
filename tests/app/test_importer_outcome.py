"""The Importer page after « Importer »: the sidebar, the banner and the page show the
imported data in the same interaction, and replacing the demonstration data says what went
with it (issue 12)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from observatory import importing
from observatory.consortia import Consortium
from observatory.store import consortia, db, places

HEADER = ("Nom du lieu;Commune;Latitude;Longitude;Typologie;Statut juridique;"
          "Année d'ouverture;Communs")
FILE = "\n".join([
    HEADER,
    "Café des Possibles;Mirepoix;;;Café/bar associatif;Association;2010;3,5",
    "Atelier Bien Noté;Lavelanet;;;Atelier partagé;SCIC;2012;3",
]).encode("utf-8")


def errors(at: AppTest) -> list:
    return [e.value for e in at.exception]


def upload(at: AppTest, payload: bytes = FILE) -> None:
    key = next(u.key for u in at.get("file_uploader") if str(u.key).startswith("imp_file_places"))
    at.file_uploader(key=key).set_value(("lieux.csv", payload, "text/csv"))
    at.run()
    assert not at.exception, errors(at)


def click_import(at: AppTest, author: str = "Claire") -> None:
    at.text_input(key="imp_author").input(author)
    at.run()
    next(b for b in at.button if b.label == "Importer").click()
    at.run()
    assert not at.exception, errors(at)


def sidebar_count(at: AppTest) -> str:
    return next(c.value for c in at.sidebar.caption if " sur " in c.value and "affiché" in c.value)


def demo_banner(at: AppTest) -> list[str]:
    return [i.value for i in at.info if "Données de démonstration" in i.value]


def test_after_replacing_the_demo_the_sidebar_and_banner_show_the_import_at_once(
        make_app, app_db):
    at = make_app(app_db, page="pages/importer.py")
    at.run()
    assert "sur 42" in sidebar_count(at) and demo_banner(at)
    upload(at)
    assert at.checkbox(key="imp_replace_demo").value
    click_import(at)
    assert sidebar_count(at).endswith("2 lieux affichés sur 2"), sidebar_count(at)
    assert not demo_banner(at)
    done = [s.value for s in at.success if s.value.startswith("Import terminé")]
    assert done and "2 lieux ajoutés" in done[0], [s.value for s in at.success]
    # The drop zone is empty again: the page does not check the imported file a second time.
    assert not [s for s in at.success if "lignes prêtes" in s.value]


def test_the_success_message_survives_the_rerun_only_once(make_app, app_db):
    at = make_app(app_db, page="pages/importer.py")
    at.run()
    upload(at)
    click_import(at)
    assert [s for s in at.success if s.value.startswith("Import terminé")]
    at.run()  # any later interaction: the message has been read
    assert not [s for s in at.success if s.value.startswith("Import terminé")]


def test_replacing_the_demo_says_beforehand_and_afterwards_all_that_goes_with_it(
        make_app, app_db):
    with db.session(app_db, read_only=True) as con:
        demo = places.demo_counts(con)
    listed = importing.demo_removal_text(demo)
    assert "consortiums" in listed and "séjours d'équipement" in listed
    assert listed.endswith(" et 6 appels à projets de démonstration"), listed
    at = make_app(app_db, page="pages/importer.py")
    at.run()
    upload(at)
    (before,) = [w.value for w in at.warning if "seront retirées" in w.value]
    assert listed in before and "42 lieux" in before
    at.checkbox(key="imp_replace_demo").uncheck()  # keeping the demo: nothing announced
    at.run()
    assert not [w for w in at.warning if "seront retirées" in w.value]
    at.checkbox(key="imp_replace_demo").check()
    at.run()
    click_import(at)
    (done,) = [s.value for s in at.success if s.value.startswith("Import terminé")]
    assert done == ("Import terminé : 2 lieux ajoutés, 0 lieu mis à jour et 2 évaluations "
                    f"enregistrées. Données de démonstration retirées : {listed}.")
    with db.session(app_db, read_only=True) as con:
        assert places.demo_counts(con) == dict.fromkeys(demo, 0)
        # the fictional budgets went too: the Appels à projets page shows no call
        assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == 0


def test_replacing_the_demo_is_refused_while_a_consortium_someone_formed_uses_its_places(
        make_app, app_db):
    with db.session(app_db) as con, db.transaction(con):
        (d1, d2) = [r[0] for r in con.execute(
            "SELECT id FROM places WHERE is_demo ORDER BY id LIMIT 2").fetchall()]
        consortia.create(con, Consortium(name="Réseau de Claire", member_ids=[d1, d2],
                                         lead_place_id=d1, call_year=2026), "Claire")
    at = make_app(app_db, page="pages/importer.py")
    at.run()
    upload(at)
    (refused,) = [e.value for e in at.error if "ne peuvent pas être retirées" in e.value]
    assert "« Réseau de Claire »" in refused and "décochez" in refused
    assert not [w for w in at.warning if "seront retirées" in w.value]
    assert not [b for b in at.button if b.label == "Importer"]  # nothing can be written
    assert [i for i in at.info if "ne peuvent pas encore être retirées" in i.value]
    at.checkbox(key="imp_replace_demo").uncheck()  # keeping the demonstration: allowed
    at.run()
    assert not [e for e in at.error if "ne peuvent pas être retirées" in e.value]
    assert [b for b in at.button if b.label == "Importer"]
