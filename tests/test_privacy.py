"""``privacy.for_viewer``: the one gate between a table and a page."""

from __future__ import annotations

import pandas as pd

from observatory import privacy
from observatory.auth import ANONYMOUS, DEMO_USER, User


def frame() -> pd.DataFrame:
    return pd.DataFrame({"name": ["Atelier"], "contact": ["a@b.fr"], "evaluator": ["Jeanne"],
                         "last_evaluator": ["Jeanne"], "created_by": ["Paul"], "set_by": ["Paul"],
                         "changed_by": ["Paul"], "actor": ["Paul"], "mean_score": [2.5]})


def test_a_reader_gets_no_personal_column():
    shown = privacy.for_viewer(frame(), ANONYMOUS)
    assert list(shown.columns) == ["name", "mean_score"]
    assert privacy.shown_columns(shown, ["name", "evaluator", "mean_score"]) == ["name",
                                                                               "mean_score"]


def test_an_analyst_gets_the_frame_unchanged():
    for user in (DEMO_USER, User("alice", "analyst")):
        assert privacy.for_viewer(frame(), user).equals(frame())


def test_an_unknown_role_is_treated_as_a_reader():
    assert "contact" not in privacy.for_viewer(frame(), User("bob", "")).columns
