"""The places of national programmes in the pages (issue 14, section 1): optional layers on the
Carte and the Couverture, the France services counted as service points, the programme places
within 15 minutes in a place's profile, the Fabriques as candidate network heads."""

from __future__ import annotations

import pytest

from observatory import formatting
from observatory.store import db
from tests.app.test_map_layers_pages import legend_text, run
from tests.app.test_page_content import COUVERTURE, PARTENAIRES
from tests.app.test_pages import CARTE, LIEUX, map_script, metric, read_places, toggle

LAYERS = ("France services", "Fabriques de territoire", "Manufactures de proximité")
COUNT_FS = "Compter les France services comme points de service"
FABRIQUE_HEADS = "Proposer les Fabriques de territoire comme têtes de réseau"


def checkbox(at, label: str):
    found = [c for c in at.checkbox if c.label == label]
    assert found, f"pas de case « {label} » : {[c.label for c in at.checkbox]}"
    return found[0]


def test_the_carte_draws_the_france_services_with_their_legend_only_when_ticked(make_app,
                                                                               app_db):
    at = run(make_app(app_db, page=CARTE))
    for label in LAYERS:
        assert checkbox(at, label).value is False  # every layer off by default
    script = map_script(at)
    assert "olls-programme" not in script and "Programmes nationaux" not in script

    checkbox(at, "France services").check()
    script = map_script(run(at))
    assert "olls-programme-layer-france_services" in script
    assert "olls-programme-layer-itinerant" in script  # Saint-Girons: a bus, an itinerant
    assert "olls-programme-layer-fabrique" not in script
    legend = legend_text(script)
    assert "Programmes nationaux (hors inventaire)" in legend
    assert "</span>France services<br>" in legend
    assert "</span>France services itinérante" in legend
    assert "France services de Foix" in script  # a tooltip
    assert "Fabriques de territoire" not in legend

    checkbox(at, "Fabriques de territoire").check()
    checkbox(at, "Manufactures de proximité").check()
    legend = legend_text(map_script(run(at)))
    assert "Fabriques de territoire" in legend and "Manufactures de proximité" in legend


def test_the_couverture_counts_the_france_services_when_asked(make_app, app_db):
    at = run(make_app(app_db, page=COUVERTURE))
    assert toggle(at, COUNT_FS).value is False
    headlines = [m.value for m in at.markdown if m.value.startswith("**Population à moins")]
    assert headlines == ["**Population à moins de 20 min de trajet d'un lieu**"]
    before = int(metric(at, "Habitants à portée").replace("\u202f", "").replace(" ", ""))

    toggle(at, COUNT_FS).set_value(True)
    run(at)
    headlines = [m.value for m in at.markdown if m.value.startswith("**Population à moins")]
    assert headlines == ["**Population à moins de 20 min de trajet d'un lieu ou d'une France "
                         "services**"]
    after = int(metric(at, "Habitants à portée").replace("\u202f", "").replace(" ", ""))
    assert after > before  # the demonstration places leave some communes a France services reaches
    assert any("d'un lieu ou d'une France services." in c.value for c in at.caption)
    script = map_script(at)  # counted, the France services are drawn (box ticked, locked)
    (box,) = [c for c in at.checkbox if c.label == "France services"]
    assert box.value is True and box.disabled
    assert "olls-programme-layer-france_services" in script
    assert "France services" in legend_text(script)


def test_the_couverture_map_draws_the_programme_layers_when_ticked(make_app, app_db):
    at = run(make_app(app_db, page=COUVERTURE))
    assert "olls-programme" not in map_script(at)
    checkbox(at, "Manufactures de proximité").check()
    script = map_script(run(at))
    assert "olls-programme-layer-manufacture" in script
    assert "Manufactures de proximité" in legend_text(script)


def place_in(app_db, insee: str) -> int:
    places = read_places(app_db)
    return int(places.loc[places["insee"] == insee, "id"].iloc[0])


def profile(make_app, app_db, place_id: int):
    at = make_app(app_db, page=LIEUX)
    at.session_state["selected_place"] = place_id  # the sidebar's selection
    return run(at)


def programme_table(at):
    found = [f.value for f in at.dataframe if "Programme" in f.value.columns]
    return found[0] if found else None


def test_a_profile_in_foix_lists_the_programme_places_within_15_minutes(make_app, app_db):
    at = profile(make_app, app_db, place_in(app_db, "09122"))
    assert any(m.value.startswith("**Lieux des programmes à moins de 15\xa0min**")
               for m in at.markdown)
    table = programme_table(at)
    assert table is not None
    assert "France services de Foix" in set(table["Nom"])
    assert {"France services", "Fabrique de territoire", "Manufacture de proximité"} <= \
        set(table["Programme"])
    assert all(t.endswith("min") for t in table["Trajet"])
    minutes = [float(t.split("\xa0")[-2].replace(",", ".")) for t in table["Trajet"]]
    assert minutes == sorted(minutes) and max(minutes) <= 15


def test_a_profile_far_from_every_programme_place_says_so(make_app, app_db):
    place_id = place_in(app_db, "09122")
    con = db.connect(app_db)
    try:  # move a place to the top of the Haute-Ariège, far from every programme place
        con.execute("UPDATE places SET lon = 1.95, lat = 42.56 WHERE id = ?", [place_id])
    finally:
        con.close()
    at = profile(make_app, app_db, place_id)
    assert programme_table(at) is None
    assert any(c.value == "Aucun lieu des programmes nationaux (France services, Fabrique de "
               f"territoire, Manufacture de proximité) à moins de {formatting.minutes(15)}."
               for c in at.caption)


@pytest.mark.parametrize("ticked", [False, True])
def test_the_network_proposal_takes_the_fabriques_as_heads_only_when_asked(make_app, app_db,
                                                                           ticked):
    at = make_app(app_db, page=PARTENAIRES)
    run(at)
    at.radio(key="partner_view").set_value("Consortiums pour tout le réseau")
    run(at)
    assert checkbox(at, FABRIQUE_HEADS).value is False
    if ticked:
        checkbox(at, FABRIQUE_HEADS).check()
        run(at)
    (table,) = [f.value for f in at.dataframe if "Tête de réseau" in f.value.columns]
    heads = set(table["Tête de réseau"])
    fabriques = {h for h in heads if h.startswith("Fabrique de territoire : ")}
    assert bool(fabriques) is ticked
    if ticked:
        assert "olls-programme-layer-fabrique" in map_script(at)


HOSTILE = "<img src=x onerror=alert(1)>{{ 7*7 }}"


def test_a_programme_name_written_as_html_is_shown_as_text_on_the_carte(make_app, app_db):
    con = db.connect(app_db)
    try:
        con.execute("UPDATE context_places SET name = ? WHERE source_id = '2952'", [HOSTILE])
    finally:
        con.close()
    at = run(make_app(app_db, page=CARTE))
    checkbox(at, "France services").check()
    script = map_script(run(at))
    assert "<img src=x" not in script and "{{ 7*7 }}" not in script
    assert "&lt;img src=x onerror=alert(1)&gt;&#123;&#123; 7*7 &#125;&#125;" in script
