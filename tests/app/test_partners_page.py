"""Partenaires (issue 12): the table a user reads is in French (numbers, « oui »/« non »), each
listed partner's full explanation is shown below it (no cut-off « Pourquoi » cell), the
explanation states both directions, and the page says how the ranking is computed."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from observatory import catalogue, partners, settings
from observatory.formatting import UNIT_SPACE
from observatory.service import proximity
from observatory.store import db, places, rules
from observatory.ui.pages import by_title

PARTENAIRES = by_title("Partenaires").path


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def unescape(text: object) -> str:
    return re.sub(r"\\(.)", r"\1", str(text))


def ranked_table(at: AppTest):
    for frame in at.dataframe:
        if {"Rang", "Lieu", "En bref"} <= set(frame.value.columns):
            return frame.value
    raise AssertionError([list(f.value.columns) for f in at.dataframe])


def expander(at: AppTest, label: str):
    found = [e for e in at.expander if unescape(e.label) == label]
    assert len(found) == 1, (label, [unescape(e.label) for e in at.expander])
    return found[0]


def slider(at: AppTest, prefix: str):
    found = [s for s in at.slider if s.label.startswith(prefix)]
    assert len(found) == 1, (prefix, [s.label for s in at.slider])
    return found[0]


def expected(path: Path, place_id: int, **options) -> proximity.Partners:
    con = db.connect(path, read_only=True)
    try:
        current = catalogue.annotate(places.current(con), rules.current(con))
    finally:
        con.close()
    return proximity.rank_partners(current, settings.current(), place_id, **options)


def test_the_table_is_in_french_and_each_partner_is_explained_in_full_below(make_app, app_db):
    at = run(make_app(app_db, page=PARTENAIRES))
    place_id = at.selectbox(key="partner_place").value
    found = expected(app_db, place_id)
    table = ranked_table(at)
    year = found.call_year
    minutes_column, road_column = found.columns()
    assert list(table.columns) == ["Rang", "Lieu", "Score", minutes_column, road_column,
                                   "Mature", f"Peut porter en {year}", "En bref", "Commune",
                                   "Typologie"]
    assert "Pourquoi" not in table.columns  # the long text is no longer a cut-off cell
    assert list(table["Lieu"]) == list(found.ranked["name"])
    assert set(table["Mature"]) <= {"oui", "non"}
    assert set(table[f"Peut porter en {year}"]) <= {"oui", "non"}
    for column in ("Score", minutes_column, road_column):
        assert all(re.fullmatch(r"\d+|<\u00a01", str(v)) for v in table[column]), column
    assert list(table["Score"]) == [str(round(s)) for s in found.ranked["score"]]

    # one expander per listed partner, titled by rank, name and score, with every clause
    details = found.details()
    assert len(details) == len(found.ranked)
    for k, detail in enumerate(details):
        box = expander(at, detail["title"])
        assert detail["title"].startswith(f"{k + 1}. {found.ranked['name'].iloc[k]} — score ")
        shown = unescape("\n".join(m.value for m in box.markdown))
        for part in detail["parts"]:
            assert f"- {part}" in shown
        assert f"porter un projet en {year}" in shown
        # both directions, stated (or said to be empty), never the old backwards wording
        assert "lui apporte" not in shown
        if "pas encore évalué" not in shown:
            assert ("est fort là où vous l'êtes moins" in shown
                    or "ne vous dépasse sur aucun critère" in shown)
            assert "vous apportez à" in shown or "vous ne dépassez" in shown
            assert "n'est plus fort" not in shown and "n'êtes plus fort" not in shown
    page = unescape("\n".join(str(c.value) for c in at.caption))
    assert "« vous » désigne" in page


def test_the_page_says_how_the_ranking_is_computed(make_app, app_db):
    at = run(make_app(app_db, page=PARTENAIRES))
    box = expander(at, "Comment le classement est calculé")
    text = unescape("\n".join(m.value for m in box.markdown)).replace(UNIT_SPACE, " ")
    for line in partners.ranking_explanation():
        assert line.replace(UNIT_SPACE, " ") in text
    assert "**Proximité** (40 %)" in text and "**Maturité** (25 %)" in text
    assert "ne compte pas dans le score" in text
    # the weights are points out of 100, not « 0.35 »; no slider for the unused equipment term
    labels = [s.label for s in at.slider]
    assert not any(label.startswith("Équipements") for label in labels)
    assert slider(at, "Proximité").value == 40

    # a changed weight changes both the shares explained and the ranking
    slider(at, "Maturité").set_value(0)
    slider(at, "Complémentarité").set_value(0)
    slider(at, "Typologies").set_value(0)
    run(at)
    text = unescape("\n".join(
        m.value for m in expander(at, "Comment le classement est calculé").markdown))
    assert f"**Proximité** (100{UNIT_SPACE}%)" in text
    place_id = at.selectbox(key="partner_place").value
    minutes = expected(app_db, place_id).ranked.set_index("name")["minutes"]
    names = list(ranked_table(at)["Lieu"])
    assert [minutes[n] for n in names] == sorted(minutes[n] for n in names)  # nearest first


def test_the_network_table_is_in_french(make_app, app_db):
    at = run(make_app(app_db, page=PARTENAIRES))
    at.radio(key="partner_view").set_value("Consortiums pour tout le réseau")
    run(at)
    frames = [f.value for f in at.dataframe if "Tête de réseau" in f.value.columns]
    assert len(frames) == 1
    table = frames[0]
    minute_columns = [c for c in table.columns if c.startswith(("Trajet", "Route"))]
    assert len(minute_columns) == 2
    for column in minute_columns:
        assert all(re.fullmatch(r"\d+|<\u00a01", str(v)) for v in table[column]), column
