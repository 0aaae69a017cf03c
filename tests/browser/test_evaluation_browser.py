"""Issue 12 in a real browser: a new evaluation demoting a mature place is shown, then confirmed.

The form starts from the place's latest scores; lowering one under the floor shows the change
(old → new, the mean) and a warning that the place will no longer be mature; « Enregistrer »
writes nothing until « Je confirme » is ticked, and then writes the evaluation.
"""

from __future__ import annotations

import time

import pytest

from observatory import bootstrap, config
from observatory.maturity import mature_flags
from observatory.model import CRITERIA, CRITERIA_KEYS
from observatory.store import db, evaluations, places
from observatory.territory.config import load_territory_config
from tests.browser.conftest import ARTIFACTS, start_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evaluation")
    path = tmp / "demo.duckdb"
    bootstrap.init_database(path, load_territory_config(config.territory_path()), with_demo=True)
    process, url = start_app(path, tmp)
    yield url, path
    process.terminate()
    process.wait(timeout=20)


def mature_place(path) -> tuple[int, dict]:
    with db.session(path, read_only=True) as con:
        frame = places.current(con).dropna(subset=list(CRITERIA_KEYS)).set_index("id")
    row = frame[mature_flags(frame)].iloc[0]
    return int(row.name), {k: float(row[k]) for k in CRITERIA_KEYS}


def evaluation_count(path, place_id: int) -> int:
    with db.session(path, read_only=True) as con:
        return len(evaluations.history(con, place_id))


def test_demoting_a_mature_place_is_warned_and_written_once_confirmed(browser, app):
    url, path = app
    pid, before = mature_place(path)
    count = evaluation_count(path, pid)
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.goto(f"{url}/lieux?lieu={pid}")
    page.get_by_text("Enregistrer une nouvelle évaluation").click(timeout=60_000)
    form = page.get_by_test_id("stExpander").filter(has_text="Enregistrer une nouvelle")
    form.get_by_text("Par rapport à la dernière évaluation").wait_for(timeout=30_000)

    first = CRITERIA[0]
    box = form.get_by_role("combobox", name=first.short, exact=True)
    assert box.input_value() == f"{before[first.key]:g}".replace(".", ",")  # not « 2 »
    box.click()
    page.get_by_role("option", name="1", exact=True).click()
    form.get_by_label("Évaluateur ou évaluatrice").fill("Karim")
    form.get_by_label("Évaluateur ou évaluatrice").press("Tab")
    form.get_by_text("ne sera plus mature selon la règle en vigueur").wait_for(timeout=30_000)

    form.get_by_role("button", name="Enregistrer l'évaluation").click()
    form.get_by_text("rien n'a été enregistré").wait_for(timeout=30_000)
    assert evaluation_count(path, pid) == count
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "evaluation-maturity-warning.png"), full_page=True)

    form.get_by_text("Je confirme : ce lieu ne sera plus mature.", exact=True).click()
    # Ticking reruns the form's fragment: click « Enregistrer » only once that rerun is over
    # (a click during it can be lost), then read the database, not the toast (which fades).
    form.get_by_role("checkbox", name="Je confirme : ce lieu ne sera plus mature.").wait_for(
        state="attached", timeout=30_000)
    page.wait_for_function("document.querySelector('[data-testid=\"stStatusWidget\"]') === null",
                           timeout=30_000)
    page.wait_for_timeout(1_000)
    form.get_by_role("button", name="Enregistrer l'évaluation").click()
    deadline = time.monotonic() + 30
    while evaluation_count(path, pid) == count and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    page.screenshot(path=str(ARTIFACTS / "evaluation-confirmed.png"), full_page=True)
    page.close()
    assert evaluation_count(path, pid) == count + 1
    with db.session(path, read_only=True) as con:
        after = places.current(con).set_index("id").loc[pid]
    assert after[first.key] == 1.0
    assert [after[k] for k in CRITERIA_KEYS[1:]] == [before[k] for k in CRITERIA_KEYS[1:]]
