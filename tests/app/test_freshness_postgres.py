"""On PostgreSQL, each app process sees every write of the others at its next rerun."""

from __future__ import annotations

import subprocess
import sys

import pytest

from observatory import dburl

ANOTHER_PROCESS = """
import sys
from observatory.store import db, places
with db.session(sys.argv[1]) as con, db.transaction(con):
    places.create(con, {"name": "Ajouté par l'autre serveur", "insee": "09225", "lon": 1.6083,
                        "lat": 43.1167, "typology": "Fablab"}, "autre")
"""


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_place_added_by_another_process_appears_at_the_next_rerun(make_app, demo_copy,
                                                                   backend):
    at = make_app(demo_copy)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == "Lieux affichés" and m.value == "42 / 42" for m in at.metric)
    at.run()  # nothing changed: the cached places are still right
    assert any(m.label == "Lieux affichés" and m.value == "42 / 42" for m in at.metric)
    done = subprocess.run([sys.executable, "-c", ANOTHER_PROCESS, demo_copy],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, dburl.mask(done.stderr)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == "Lieux affichés" and m.value == "43 / 43" for m in at.metric)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_refused_password_is_explained_without_showing_it(make_app, postgres, backend):
    wrong = postgres.url.replace(postgres.password, "Mauvais-Mot-De-Passe-99")
    at = make_app(dburl.with_schema(wrong, "territoire_x"))
    at.run()
    shown = " ".join(str(e.value) for e in [*at.error, *at.exception])
    shown += " ".join(str(m.value) for m in at.markdown)
    assert "PostgreSQL" in shown
    assert "Mauvais-Mot-De-Passe-99" not in shown
