"""What the eight cooperation pages show, and that it changes when the user changes an input.

Partenaires, Consortiums, Équipements, Appels à projets, Couverture, Évolutions, Données and
Importer were only smoke-tested (they ran without an exception). Each test here drives one of
them through AppTest on its own copy of the demonstration database (42 places, consortia,
equipment, stays and calls), changes one input the way a user would, and checks that what is
shown follows. Widgets are found by their French label, not by their key, so that a refactor
of the page keeps the test meaningful.

States the pages need (snapshots, a place added between two of them) are built beforehand
through the ``observatory`` CLI, as an analyst would.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from observatory import cli, exports
from observatory.store import consortia, db, equipment, places, snapshots
from observatory.ui.pages import by_title

PARTENAIRES = by_title("Partenaires").path
CONSORTIUMS = by_title("Consortiums").path
EQUIPEMENTS = by_title("Équipements").path
APPELS = by_title("Appels à projets").path
COUVERTURE = by_title("Couverture").path
EVOLUTIONS = by_title("Évolutions").path
DONNEES = by_title("Données").path
IMPORTER = by_title("Importer").path
DEMO_PLACES = 42


# --- helpers ------------------------------------------------------------------------------

def assert_ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def run(at: AppTest) -> AppTest:
    at.run()
    assert_ok(at)
    return at


def widget(at: AppTest, kind: str, label: str, *, prefix: bool = False):
    """The one main-area widget of ``kind`` (``"selectbox"``, ``"slider"``…) with this label."""
    found = [w for w in getattr(at, kind)
             if (w.label.startswith(label) if prefix else w.label == label)]
    labels = [w.label for w in getattr(at, kind)]
    assert len(found) == 1, f"{kind} « {label} » : {len(found)} trouvé(s) parmi {labels}"
    return found[0]


def choose(box, text: str, values) -> None:
    """Select the value among ``values`` whose displayed text (the page's format) has ``text``.

    (AppTest's ``select_index`` would send the displayed text as the value, which a
    selectbox with a ``format_func`` over ids cannot read back.)
    """
    shown = {value: str(box.format_func(value)) for value in values}
    matches = [value for value, label in shown.items() if text in label and label in box.options]
    assert len(matches) == 1, f"« {text} » : {matches} parmi {box.options}"
    box.set_value(matches[0])


def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, f"pas de métrique « {label} » : {[m.label for m in at.metric]}"
    return found[0]


def number(text: str) -> float:
    """A French figure as shown (« 152 340 », « 12,5 kg », « 60 000 € ») as a number."""
    cleaned = re.sub(r"[^\d,.-]", "", str(text)).replace(",", ".")
    assert cleaned, f"pas de nombre dans « {text} »"
    return float(cleaned)


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    for frame in at.dataframe:
        if set(columns) <= set(frame.value.columns):
            return frame.value
    raise AssertionError(f"pas de tableau avec {columns} : "
                         f"{[list(f.value.columns) for f in at.dataframe]}")


def has_table_with(at: AppTest, *columns: str) -> bool:
    return any(set(columns) <= set(frame.value.columns) for frame in at.dataframe)


def texts(at: AppTest) -> str:
    """The page's markdown-family text, backslash escapes removed."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "subheader")
    return "\n".join(re.sub(r"\\(.)", r"\1", str(e.value)) for k in kinds for e in at.get(k))


def observatory(*argv: str) -> str:
    """Run one ``observatory`` command in this process; its exit code must be 0."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(list(argv))
    assert code == 0, (argv, out.getvalue())
    return out.getvalue()


def read(path: Path, reader):
    con = db.connect(path, read_only=True)
    try:
        return reader(con)
    finally:
        con.close()


def snapshot_ids(path: Path) -> list[int]:
    return [int(i) for i in read(path, snapshots.catalogue)["id"]]


def place_names(path: Path) -> dict[int, str]:
    frame = read(path, places.current)
    return dict(zip(frame["id"].astype(int), frame["name"], strict=True))


# --- Partenaires --------------------------------------------------------------------------

def ranked_names(at: AppTest) -> list[str]:
    return list(table_with(at, "Rang", "Lieu")["Lieu"])


def test_partenaires_ranks_other_names_when_another_place_is_chosen(make_app, app_db):
    names = place_names(app_db)
    at = run(make_app(app_db, page=PARTENAIRES))
    box = widget(at, "selectbox", "Lieu")
    first = box.value
    before = ranked_names(at)
    assert before and names[first] not in before  # a place is not its own partner
    assert set(before) <= set(names.values())

    other = next(i for i in names if i != first and names[i] in before)
    box.set_value(other)
    run(at)
    after = ranked_names(at)
    assert after and names[other] not in after
    assert names[first] in after  # within reach one way, within reach the other way
    assert after != before

    # a shorter journey keeps fewer (or no) partners
    widget(at, "slider", "Temps de trajet maximal", prefix=True).set_value(5)
    run(at)
    shorter = ranked_names(at) if has_table_with(at, "Rang", "Lieu") else []
    assert len(shorter) < len(after)
    if not shorter:
        assert "Aucun lieu à moins de 5 minutes" in texts(at)


# --- Consortiums --------------------------------------------------------------------------

def test_consortiums_shows_the_members_of_the_selected_consortium(make_app, app_db):
    saved = read(app_db, consortia.current).sort_values("id")
    assert len(saved) >= 2, "la démonstration n'a plus deux consortiums"
    first, second = saved.iloc[0], saved.iloc[1]
    assert sorted(first["member_ids"]) != sorted(second["member_ids"])

    at = run(make_app(app_db, page=CONSORTIUMS))
    assert f"Consortiums enregistrés ({len(saved)})" in texts(at)
    assert widget(at, "multiselect", "Lieux membres (au moins deux)").value == []  # a new one
    # An empty new consortium: its unmet conditions counted in words, never « condition(s) ».
    unmet = [e.value for e in at.error if "Éligibilité" in e.value]
    assert unmet and "(s)" not in unmet[0] and "conditions ne sont pas remplies" in unmet[0]

    for row in (first, second):
        widget(at, "selectbox", "Consortium").set_value(int(row["id"]))
        run(at)
        assert widget(at, "text_input", "Nom du consortium").value == row["name"]
        members = widget(at, "multiselect", "Lieux membres (au moins deux)").value
        assert sorted(members) == sorted(int(i) for i in row["member_ids"]), row["name"]
        assert widget(at, "selectbox", "Chef de file").value == int(row["lead_place_id"])

    overview = table_with(at, "Nom", "Membres")
    names = place_names(app_db)
    shown = overview.set_index("Nom").loc[second["name"], "Membres"]
    for member in second["member_ids"]:
        assert names[int(member)] in shown


# --- Équipements --------------------------------------------------------------------------

def test_equipements_switching_view_shows_the_itinerant_reach_then_a_tour(make_app, app_db):
    items = read(app_db, equipment.current)
    itinerant = set(items.loc[items["itinerant"].astype(bool), "name"])
    assert itinerant and len(itinerant) < len(items)

    at = run(make_app(app_db, page=EQUIPEMENTS))
    assert number(metric(at, "Équipements").value) == len(items)
    assert set(table_with(at, "Équipement", "Catégorie")["Équipement"]) == set(items["name"])
    assert "Portée des tournées" not in texts(at)

    widget(at, "radio", "Vue").set_value("Itinérance et calendrier")
    run(at)
    assert "Portée des tournées" in texts(at)
    reach = table_with(at, "Équipement", "Étapes")
    assert set(reach["Équipement"]) == itinerant
    assert not has_table_with(at, "Équipement", "Catégorie")  # the inventory is gone

    widget(at, "radio", "Vue").set_value("Planifier une tournée")
    run(at)
    assert not [m for m in at.metric if m.label == "Distance totale (est.)"]
    saved = read(app_db, consortia.current).sort_values("id")
    preset = widget(at, "selectbox", "Partir des membres d'un consortium")
    distances = []
    for row in saved.head(2).itertuples():
        preset.set_value(int(row.id))
        run(at)
        legs = table_with(at, "De", "Vers")
        names = place_names(app_db)
        assert set(legs["De"].str.split(" — ").str[0]) == {names[int(i)] for i in row.member_ids}
        distances.append(number(metric(at, "Distance totale (est.)").value))
        preset = widget(at, "selectbox", "Partir des membres d'un consortium")
    assert all(d > 0 for d in distances)
    assert distances[0] != distances[1]


# --- Appels à projets ---------------------------------------------------------------------

def budgets(at: AppTest) -> pd.Series:
    """Each call year's budget as the table shows it (« 60 000 », « – » for none)."""
    table = table_with(at, "Appel", "Budget (€)")
    return pd.Series([number(b) if b != "–" else float("nan") for b in table["Budget (€)"]],
                     index=[int(y) for y in table["Appel"]])


def test_appels_a_call_year_shows_its_budget_and_a_new_budget_is_listed(make_app, app_db):
    at = run(make_app(app_db, page=APPELS))
    per_call = budgets(at)
    first, changed = per_call.index[0], per_call.index[-1]
    budget = per_call[first]
    assert budget > 0 and per_call[changed] != 12_345.0

    widget(at, "selectbox", "Année").set_value(first)
    run(at)
    assert widget(at, "number_input", "Budget (€)").value == budget

    widget(at, "selectbox", "Année").set_value(changed)
    run(at)
    widget(at, "number_input", "Budget (€)").set_value(12_345.0)
    next(b for b in at.button if b.label == "Enregistrer l'appel").click()
    run(at)
    per_call = budgets(at)
    assert per_call[changed] == 12_345.0
    assert per_call[first] == budget
    with db.session(app_db, read_only=True) as con:  # a demonstration call, now a real one
        assert con.execute("SELECT is_demo, notes FROM calls WHERE year = ?", [int(changed)]
                           ).fetchone() == (False, "")
        assert con.execute("SELECT is_demo FROM calls WHERE year = ?", [int(first)]
                           ).fetchone() == (True,)

    widget(at, "selectbox", "Année").set_value(first)  # each year shows its own budget
    run(at)
    assert widget(at, "number_input", "Budget (€)").value == budget
    widget(at, "selectbox", "Année").set_value(changed)
    run(at)
    assert widget(at, "number_input", "Budget (€)").value == 12_345.0


# --- Couverture ---------------------------------------------------------------------------

def test_couverture_a_longer_threshold_reaches_more_inhabitants(make_app, app_db):
    at = run(make_app(app_db, page=COUVERTURE))

    def figures() -> tuple[float, float]:
        return (number(metric(at, "Habitants à portée").value),
                number(metric(at, "Habitants au-delà du seuil").value))

    default = figures()
    widget(at, "toggle", "Vers un lieu mature seulement").set_value(True)
    run(at)
    mature = figures()
    assert mature[0] < default[0]  # fewer mature places: fewer inhabitants within reach
    assert sum(mature) == sum(default)
    widget(at, "toggle", "Vers un lieu mature seulement").set_value(False)
    run(at)
    assert figures() == default

    threshold = widget(at, "slider", "Seuil", prefix=True)
    threshold.set_value(5)
    run(at)
    short = figures()
    widget(at, "slider", "Seuil", prefix=True).set_value(60)
    run(at)
    long = figures()
    assert short[0] < default[0] < long[0]
    assert sum(short) == sum(default) == sum(long)  # the same population, split otherwise
    assert "60 minutes" in texts(at) or "60 min" in texts(at)


# --- Évolutions ---------------------------------------------------------------------------

NEW_PLACE = "La Cabane Témoin"


def test_evolutions_shows_the_place_added_between_two_snapshots(make_app, app_db, tmp_path):
    observatory("snapshot", "create", "--db", str(app_db), "--label", "Bilan avant",
                "--by", "test")
    added = tmp_path / "ajout.csv"
    added.write_text("Nom du lieu;Code INSEE;Typologie\n"
                     f"{NEW_PLACE};09122;Fablab\n", encoding="utf-8")
    observatory("import", "places", "--db", str(app_db), "--by", "test", str(added))
    observatory("snapshot", "create", "--db", str(app_db), "--label", "Bilan après",
                "--by", "test")

    ids = snapshot_ids(app_db)
    at = run(make_app(app_db, page=EVOLUTIONS))
    # default: the newest snapshot against today, nothing changed since
    assert "Aucun changement" in texts(at)
    assert number(metric(at, "Lieux").value) == DEMO_PLACES + 1

    choose(widget(at, "selectbox", "Avant"), "Bilan avant", ids)
    choose(widget(at, "selectbox", "Après"), "Bilan après", ids)
    run(at)
    assert "Aucun changement" not in texts(at)
    lieux = metric(at, "Lieux")
    assert number(lieux.value) == DEMO_PLACES + 1
    assert number(lieux.delta) == 1
    assert "Lieux ajoutés (1)" in [e.label for e in at.expander]
    assert any(NEW_PLACE in frame.value.to_csv() for frame in at.dataframe)

    choose(widget(at, "selectbox", "Après"), "Bilan avant", ids)
    run(at)
    assert "Choisissez deux états différents" in texts(at)


# --- Données ------------------------------------------------------------------------------

def snapshot_labels(at: AppTest) -> list[str]:
    if not has_table_with(at, "Intitulé", "Lieux"):
        return []
    return list(table_with(at, "Intitulé", "Lieux")["Intitulé"])


def test_donnees_a_frozen_snapshot_joins_the_list_and_the_export_sources(make_app, app_db):
    at = run(make_app(app_db, page=DONNEES))
    assert snapshot_labels(at) == []
    assert "Aucun instantané pour l'instant." in texts(at)
    assert widget(at, "selectbox", "Données").options == [  # the current view only
        f"Vue actuelle ({DEMO_PLACES} lieux selon les filtres)"]

    for label in ("Bilan de printemps", "Bilan d'automne"):
        widget(at, "text_input", "Intitulé").input(label)
        widget(at, "text_input", "Votre nom").input("Camille")
        run(at)
        next(b for b in at.button if b.label == "Figer").click()
        run(at)
    listed = table_with(at, "Intitulé", "Lieux")
    assert sorted(listed["Intitulé"]) == ["Bilan d'automne", "Bilan de printemps"]
    # A third « Bilan de printemps » could not be told from the first: said, and not frozen.
    widget(at, "text_input", "Intitulé").input("Bilan de printemps")
    run(at)
    assert any("Un instantané s'appelle déjà « Bilan de printemps »" in w.value
               for w in at.warning)
    assert next(b for b in at.button if b.label == "Figer").disabled
    assert set(listed["Lieux"].astype(int)) == {DEMO_PLACES}
    sources = widget(at, "selectbox", "Données").options
    assert len(sources) == 3
    assert any("Bilan de printemps" in s for s in sources)

    # Its export is named after it: Claire finds « Bilan de printemps » in her downloads.
    choose(widget(at, "selectbox", "Données"), "Bilan de printemps", range(1, 10))
    choose(widget(at, "selectbox", "Format"), "GeoJSON", exports.FORMATS)
    run(at)
    next(b for b in at.button if b.label == "Préparer le fichier").click()
    run(at)
    [download] = [b.proto.label for b in at.get("download_button")
                  if b.proto.label.startswith("Télécharger observatoire_")]
    assert download.startswith("Télécharger observatoire_bilan-de-printemps_"), download


def test_donnees_the_chosen_format_names_the_prepared_file(make_app, app_db):
    at = run(make_app(app_db, page=DONNEES))
    extensions = []
    for label in ("GeoJSON", "CSV"):
        choose(widget(at, "selectbox", "Format"), label, exports.FORMATS)
        run(at)
        next(b for b in at.button if b.label == "Préparer le fichier").click()
        run(at)
        [download] = [b for b in at.get("download_button")
                      if b.proto.label.startswith("Télécharger observatoire_")]
        extensions.append(Path(download.proto.label).suffix)
        [ready] = [s.proto.label for s in at.status if s.proto.label.startswith("Prêt")]
        assert re.fullmatch(r"Prêt : \d+ ko", ready), ready  # not « 550 001 octets »
    assert extensions == [".geojson", ".zip"]


# --- Importer -----------------------------------------------------------------------------

def uploader(at: AppTest):
    return widget(at, "file_uploader", "Fichier à importer")


def test_importer_shows_the_validation_of_the_uploaded_file(make_app, app_db):
    at = run(make_app(app_db, page=IMPORTER))
    assert not has_table_with(at, "ligne")
    two = ("Nom du lieu;Code INSEE;Typologie\n"
           "Le Jardin Partagé de Test;09122;Fablab\n"
           "La Ressourcerie de Test;09225;Coworking\n").encode("utf-8")
    uploader(at).set_value(("lieux.csv", two, "text/csv"))
    run(at)
    assert at.success and at.success[0].value.startswith("2 lignes prêtes (2 ajouts)")
    preview = [f.value for f in at.dataframe if f.value.to_csv().count("de Test") == 2]
    assert preview and len(preview[0]) == 2

    three = two + "Le Lieu Hors Carte;99999;Fablab\n".encode("utf-8")
    uploader(at).set_value(("lieux.csv", three, "text/csv"))
    run(at)
    assert at.error and "1 en erreur" in at.error[0].value
    assert at.error[0].value.startswith("2 lignes prêtes")
    problems = [f.value for f in at.dataframe if "99999" in f.value.to_csv()]
    assert problems, "la ligne refusée n'est pas dans le tableau des problèmes"
    assert not [b for b in at.button if b.label == "Importer"]  # nothing written


# --- the distance settings reach the pages ------------------------------------------------

def test_the_pages_compute_and_name_the_distance_provider_of_the_settings(make_app, app_db,
                                                                          monkeypatch):
    """OBSERVATORY_CIRCUITY / _SPEED_KMH change the figures and the label the pages print."""
    import streamlit as st

    from observatory.distances import EstimatedRoad

    default = run(make_app(app_db, page=COUVERTURE))
    reached = number(metric(default, "Habitants à portée").value)
    assert EstimatedRoad().label in texts(default)

    monkeypatch.setenv("OBSERVATORY_CIRCUITY", "1.6")
    monkeypatch.setenv("OBSERVATORY_SPEED_KMH", "35")
    slow = EstimatedRoad(circuity=1.6, speed_kmh=35)
    st.cache_data.clear()  # a new server process: the settings are read at start
    st.cache_resource.clear()
    at = run(make_app(app_db, page=COUVERTURE))
    assert slow.label in texts(at)
    assert number(metric(at, "Habitants à portée").value) < reached  # slower roads reach fewer

    at.switch_page(PARTENAIRES)
    run(at)
    assert slow.label in texts(at)
