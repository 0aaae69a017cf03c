"""The Lieux page's evaluation form never changes a place's scores silently (issue 12).

It used to start every criterion at 2: one click on « Enregistrer » demoted a place from 2,9
to 2,0. It now starts from the place's latest scores (empty and required for a first
evaluation), shows the change against the latest evaluation, and writes nothing when the
place would start or stop being mature until the analyst confirms. The page's evaluation
history shows French dates, and an empty inventory is told apart from filters excluding all.
"""

from __future__ import annotations

import re

import pandas as pd
from streamlit.testing.v1 import AppTest

from observatory.model import CRITERIA, CRITERIA_KEYS
from observatory.service import places as place_cases
from observatory.store import db, evaluations, places

LIEUX = "pages/lieux.py"
EVALUATOR = "Évaluateur ou évaluatrice"
SAVE = "Enregistrer l'évaluation"


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def current(path) -> pd.DataFrame:
    with db.session(path, read_only=True) as con:
        return places.current(con).set_index("id")


def history(path, place_id: int) -> pd.DataFrame:
    with db.session(path, read_only=True) as con:
        return evaluations.history(con, place_id)


def place_where(path, mature: bool) -> int:
    """A place, mature or not under the default rule, with every criterion scored."""
    from observatory.maturity import mature_flags

    frame = current(path).dropna(subset=list(CRITERIA_KEYS))
    flags = mature_flags(frame)
    return int(frame[flags == mature].index[0])


def score_box(at: AppTest, criterion):
    found = [w for w in at.main.selectbox if w.label == criterion.short]
    assert len(found) == 1, [w.label for w in at.main.selectbox]
    return found[0]


def button(at: AppTest, label: str):
    found = [b for b in at.main.button if b.label == label]
    assert len(found) == 1, [b.label for b in at.main.button]
    return found[0]


def text_of(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("markdown", "caption", "info", "warning", "error",
                                       "success") for e in getattr(at.main, kind)]
    for frame in at.main.dataframe:
        parts.append(frame.value.to_string())
    for table in at.main.table:
        parts.append(table.value.to_string())
    return "\n".join(parts)


def evaluator(at: AppTest, name: str = "Karim") -> None:
    [box] = [t for t in at.main.text_input if t.label == EVALUATOR]
    box.set_value(name)


def test_the_form_starts_from_the_latest_scores_and_saving_them_changes_nothing(make_app,
                                                                                app_db):
    pid = place_where(app_db, mature=True)
    before = current(app_db).loc[pid]
    count = len(history(app_db, pid))
    at = run(make_app(app_db, query={"lieu": str(pid)}, page=LIEUX))
    for criterion in CRITERIA:
        assert score_box(at, criterion).value == before[criterion.key], criterion.key
    assert "Moyenne" in text_of(at)  # the comparison table is there before any click
    evaluator(at)
    run(at)
    button(at, SAVE).click()
    run(at)
    after = current(app_db).loc[pid]
    assert len(history(app_db, pid)) == count + 1
    assert [after[k] for k in CRITERIA_KEYS] == [before[k] for k in CRITERIA_KEYS]


def test_demoting_a_mature_place_is_shown_and_written_only_once_confirmed(make_app, app_db):
    pid = place_where(app_db, mature=True)
    before = current(app_db).loc[pid]
    count = len(history(app_db, pid))
    at = run(make_app(app_db, query={"lieu": str(pid)}, page=LIEUX))
    first = CRITERIA[0]
    score_box(at, first).set_value(1.0)  # under the floor of 2
    evaluator(at)
    run(at)
    shown = text_of(at)
    assert "ne sera plus mature" in shown
    old = f"{before[first.key]:.1f}".replace(".", ",")
    assert re.search(rf"{re.escape(first.label)}\s+{old}\s+1,0", shown), shown
    [confirm] = [c for c in at.main.checkbox if c.label.startswith("Je confirme")]
    assert confirm.label == "Je confirme : ce lieu ne sera plus mature."
    assert not confirm.value

    button(at, SAVE).click()  # not confirmed: nothing is written
    run(at)
    assert len(history(app_db, pid)) == count
    assert any("confirm" in e.value.lower() for e in at.main.error), \
        [e.value for e in at.main.error]

    [confirm] = [c for c in at.main.checkbox if c.label.startswith("Je confirme")]
    confirm.check()
    run(at)
    button(at, SAVE).click()
    run(at)
    assert len(history(app_db, pid)) == count + 1
    assert current(app_db).loc[pid, first.key] == 1.0


def test_a_place_becoming_mature_asks_for_confirmation_too(make_app, app_db):
    pid = place_where(app_db, mature=False)
    count = len(history(app_db, pid))
    at = run(make_app(app_db, query={"lieu": str(pid)}, page=LIEUX))
    for criterion in CRITERIA:
        score_box(at, criterion).set_value(4.0)
    evaluator(at)
    run(at)
    assert "deviendra mature" in text_of(at)
    button(at, SAVE).click()
    run(at)
    assert len(history(app_db, pid)) == count


def test_a_first_evaluation_starts_empty_and_every_score_is_required(make_app, app_db):
    insee = current(app_db)["insee"].iloc[0]
    with db.session(app_db) as con:
        report, written = place_cases.save_place_form(
            con, {"name": "Atelier jamais évalué", "insee": insee,
                  "typology": "Atelier partagé"}, None, actor="test")
    assert written is not None, report.summary()
    pid = int(current(app_db).query("name == 'Atelier jamais évalué'").index[0])
    at = run(make_app(app_db, query={"lieu": str(pid)}, page=LIEUX))
    assert all(score_box(at, c).value is None for c in CRITERIA)
    assert "Première évaluation" in text_of(at)
    score_box(at, CRITERIA[0]).set_value(3.0)
    evaluator(at)
    run(at)
    button(at, SAVE).click()
    run(at)
    assert history(app_db, pid).empty
    [message] = [e.value for e in at.main.error]
    assert "Notez chaque critère" in message and CRITERIA[1].label in message


def test_the_evaluation_history_shows_french_dates(make_app, app_db):
    pid = place_where(app_db, mature=True)
    dates = history(app_db, pid)["evaluated_on"]
    at = run(make_app(app_db, query={"lieu": str(pid)}, page=LIEUX))
    shown = text_of(at)
    assert "00:00:00" not in shown
    months = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")
    last = dates.iloc[-1]
    day = "1er" if last.day == 1 else str(last.day)
    assert f"{day} {months[last.month - 1]} {last.year}" in shown


def empty_state(at: AppTest) -> str:
    [info] = [i.value for i in at.main.info if i.value.startswith("Aucun lieu")]
    return info


def test_an_empty_inventory_says_to_import_or_add_a_place(make_app, empty_app_db):
    at = run(make_app(empty_app_db, page=LIEUX))
    info = empty_state(at)
    assert "inventaire est vide" in info and "Importer" in info
    assert "filtres" not in info


def test_filters_excluding_every_place_say_to_change_the_filters(make_app, app_db):
    at = run(make_app(app_db, query={"q": "aucun lieu ne porte ce nom"}, page=LIEUX))
    info = empty_state(at)
    assert "filtres" in info and "vide" not in info


def test_the_places_and_neighbours_tables_read_in_french(make_app, app_db):
    pid = place_where(app_db, mature=True)
    at = run(make_app(app_db, query={"lieu": str(pid)}, page=LIEUX))
    [table] = [f.value for f in at.main.dataframe if "Intercommunalité" in f.value.columns]
    assert set(table["Mature"]) == {"oui", "non"}
    for column in ("Moyenne", *(c.short for c in CRITERIA)):
        assert all(re.fullmatch(r"\d,\d\d?|–", v) for v in table[column]), column
    mean = current(app_db).loc[pid, list(CRITERIA_KEYS)].mean()
    assert table.loc[pid, "Moyenne"] == f"{mean:.1f}".replace(".", ",")
    [near] = [f.value for f in at.main.dataframe if "Distance" in f.value.columns]
    assert set(near["Mature"]) <= {"oui", "non"}
    assert all(re.fullmatch(r"\d+,\d\u00a0km", d) for d in near["Distance"]), list(near["Distance"])


def test_the_audit_trail_reads_french_dates_labels_and_values(make_app, app_db):
    pid = place_where(app_db, mature=True)
    with db.session(app_db) as con:
        version = int(places.current(con).set_index("id").loc[pid, "version"])
        place_cases.archive_place(con, pid, version, actor="Claire")
        place_cases.restore_place(con, int(place_cases.place_audit(con, pid)["id"].max()),
                                  version + 1, actor="Claire")
    at = run(make_app(app_db, query={"lieu": str(pid)}, page=LIEUX))
    [trail] = [f.value for f in at.main.dataframe if "Changements" in f.value.columns]
    text = trail.to_string()
    assert "Archivé : « non » → « oui »" in text
    assert "False" not in text and "True" not in text and "archived" not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert re.search(r"\d{1,2}(er)? \w+ \d{4} à \d{1,2} h \d{2}", text)
