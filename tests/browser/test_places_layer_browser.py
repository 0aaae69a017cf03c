"""The places layer's popups and tooltips, built by the browser from columns, read exactly as
``maps.place_popup_html`` and the escaped name (what folium's GeoJSON layer showed before)."""

from __future__ import annotations

from observatory import exports, maps
from tests.test_exports import HOSTILE, hostile, load_bundle, with_places

FIND_LAYER = """() => Object.values(window).find(v => v instanceof L.FeatureGroup
    && v.getLayers().some(l => l.ollsIndex !== undefined))"""

READ_BACK = """(expected) => {
    var group = (%s)(), seen = {};
    function parsed(html) { var d = document.createElement('div'); d.innerHTML = html;
                            return d.innerHTML; }
    group.eachLayer(function (layer) {
        var id = layer.feature.properties.place_id;
        seen[id] = [parsed(group.getPopup()._content(layer)),
                    group.getTooltip()._content(layer)];
    });
    var want = {};
    for (var id in expected) { want[id] = [parsed(expected[id][0]), expected[id][1]]; }
    return {seen: seen, want: want};
}""" % FIND_LAYER


def test_popups_and_tooltips_read_as_place_popup_html(browser, demo_db, tmp_path):
    bundle = hostile(load_bundle(demo_db))
    places = bundle.places.copy()
    places.loc[places.index[-1], ["opening_year", "location_approximate"]] = [None, True]
    bundle = with_places(bundle, places)
    path = tmp_path / "carte.html"
    path.write_bytes(exports.build(bundle, "html"))
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_function(f"document.querySelectorAll('path.olls-place').length == {len(places)}",
                           timeout=30_000)
    expected = {str(int(p["id"])): [maps.place_popup_html(p),
                                    maps.esc(p["name"]) + (" ★" if p["mature"] else "")
                                    + ("<br><i>position approximative</i>"
                                       if maps.is_approximate(p) else "")]
                for p in places.to_dict(orient="records")}
    result = page.evaluate(READ_BACK, expected)
    assert result["seen"] == result["want"]
    assert len(result["seen"]) == len(places)
    # A hostile name opens as text in a real popup (a click on its marker), and runs nothing.
    target = int(places.loc[places["name"] == HOSTILE[1], "id"].iloc[0])
    page.evaluate("""(id) => { (%s)().eachLayer(function (layer) {
        if (layer.feature.properties.place_id === id) {
            layer.fire('click', {latlng: layer.getLatLng()}, true); } }); }""" % FIND_LAYER, target)
    page.locator(".leaflet-popup-content").wait_for(timeout=10_000)
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert HOSTILE[1] in page.locator(".leaflet-popup-content").inner_text()
    assert dialogs == []
    page.close()
