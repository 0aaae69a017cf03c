"""The app notices writes made by another program (the CLI) without a restart."""

from __future__ import annotations

from observatory.store import db, places


def test_a_place_added_from_the_command_line_appears_at_the_next_rerun(make_app, app_db):
    at = make_app(app_db)
    at.run()
    assert any(m.label == "Lieux affichés" and m.value == "42 / 42" for m in at.metric)
    with db.session(app_db) as con, db.transaction(con):  # as `observatory import` would
        places.create(con, {"name": "Ajouté en ligne de commande", "insee": "09225",
                            "lon": 1.6083, "lat": 43.1167, "typology": "Fablab"}, "cli")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == "Lieux affichés" and m.value == "43 / 43" for m in at.metric)
