"""The places layer of the territory map (``maps.PlacesLayer``): compact, complete, inert.

The browser builds the markers, tooltips and popups from columns (issue 12: 3,500 places
built and rendered about 30 times faster than one folium Marker and Popup per place, see
benchmarks/carte_vs_naive.py); ``tests/browser/test_places_layer_browser.py`` checks that
what it builds reads exactly as ``place_popup_html``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from observatory import maps
from tests.test_exports import load_bundle


@pytest.fixture(scope="module")
def bundle(demo_db):
    return load_bundle(demo_db)


def many(places, n: int):
    """``n`` places drawn from the demonstration ones, each with its own id and name."""
    rng = np.random.default_rng(7)
    out = places.iloc[rng.integers(0, len(places), n)].reset_index(drop=True)
    out["id"] = np.arange(1, n + 1)
    out["name"] = [f"{name} n° {k}" for k, name in enumerate(out["name"], start=1)]
    return out


def layer_of(m) -> maps.PlacesLayer:
    found = [c for c in m._children.values() if isinstance(c, maps.PlacesLayer)]
    assert len(found) == 1
    return found[0]


def test_popups_are_sent_beyond_the_canvas_limit(bundle):
    # Before: beyond CANVAS_LIMIT places the popups were left out (megabytes of HTML).
    places = many(bundle.places, maps.CANVAS_LIMIT + 100)
    payload = json.loads(layer_of(maps.build_map(bundle.communes(), places)).payload)
    assert len(payload["place_id"]) == len(places)
    assert len(payload["popup"]["commune"]) == len(places)
    assert [len(s) for s in payload["popup"]["scores"]] == [len(places)] * len(maps.CRITERIA)


def test_each_distinct_text_is_sent_once(bundle):
    places = many(bundle.places, 500)
    payload = maps.places_payload(places)
    assert len(payload["text"]) == len(set(payload["text"]))
    communes = {payload["text"][k] for k in payload["popup"]["commune"]}
    assert communes == {maps.esc(c) for c in places["commune"]}
    assert len(payload["text"]) < 150  # communes, typologies, years, scores: not 500 × 9


def test_payload_fields_read_back_as_the_popup_shows_them(bundle):
    places = bundle.places.copy()
    places.loc[places.index[0], ["opening_year", "location_approximate"]] = [None, True]
    payload = maps.places_payload(places)
    text, popup = payload["text"], payload["popup"]
    first = places.iloc[0]
    assert text[popup["year"][0]] == ""
    assert text[popup["approx"][0]] == " <i>(position approximative)</i>"
    assert text[popup["typology"][0]] == maps.esc(first["typology"])
    assert [text[s[0]] for s in popup["scores"]] == [
        maps.esc(maps.formatting.threshold(first[c.key])) for c in maps.CRITERIA]
    second = places.iloc[1]
    assert text[popup["year"][1]] == f" · ouvert en {int(second['opening_year'])}"
    assert payload["mature"] == places["mature"].astype(int).tolist()


def test_the_rendered_places_script_is_not_compiled_again_as_a_template(bundle):
    # branca wraps each rendered script in Element(...), which compiles it as Jinja: the
    # slow part at thousands of places. The layer adds its script as rendered.
    m = maps.build_map(bundle.communes(), bundle.places)
    page = m.get_root().render()
    layer = layer_of(m)
    added = m.get_root().script._children[layer.get_name()]
    assert isinstance(added, maps._RenderedScript)
    assert layer.payload in page


def test_the_places_layer_is_listed_in_the_layer_control(bundle):
    m = maps.build_map(bundle.communes(), bundle.places)
    page = m.get_root().render()
    assert f'"Lieux de lien social" : {layer_of(m).get_name()}' in page
