"""Folium map builders, Streamlit-free: the app's pages and the HTML and PDF exports share
them. The only code that writes popup/tooltip HTML: it escapes every value.

Template injection: branca (folium 0.20) compiles each element's rendered script *again* as
a Jinja template (``MacroElement.render`` -> ``Element(script(...))``), and ``html.escape``
leaves ``{``, ``}`` and ``%`` alone. So every text that may hold user data goes through
``esc`` (HTML *and* template syntax made entities), every data dict handed to folium goes
through ``inert`` (in ``_geojson`` and ``Legend``; layer names through ``esc``), and every builder
ends with ``assert_inert``, which refuses to return a map holding ``{{``, ``{%`` or ``{#`` anywhere.

Offline first: the commune polygons are the base layer and OpenStreetMap tiles are added
only when reachable. Where Leaflet and jQuery come from is the caller's choice (the app's
``static/`` folder: ``observatory.ui.maps.use_local_assets``; inlined in the HTML export).
"""

from __future__ import annotations

import html
import json
import re
import socket
from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from jinja2 import Template
from jinja2.utils import htmlsafe_json_dumps

from observatory import formatting
from observatory import programmes as programme_rules
from observatory.formatting import is_missing
from observatory.model import CRITERIA

# Colours: mature places stand out (large, dark red ring, gold fill); others are small, blue.
MATURE_STYLE = {"radius": 9, "fill": True, "color": "#7a0019", "weight": 3, "fillColor": "#ffb000",
                "fillOpacity": 0.95, "className": "olls-place olls-mature"}
PLACE_STYLE = {"radius": 6, "fill": True, "color": "#1f3b73", "weight": 1.5, "fillColor": "#4f8fd6",
               "fillOpacity": 0.9, "className": "olls-place"}
# A place without coordinates of its own sits at its commune's centre: the same colours,
# hollow and dashed, so nobody reads the centre of the commune as the place's address.
MATURE_APPROXIMATE_STYLE = {**MATURE_STYLE, "weight": 2.5, "dashArray": "4 3", "fillOpacity": 0.2,
                            "className": "olls-place olls-mature olls-approximate"}
PLACE_APPROXIMATE_STYLE = {**PLACE_STYLE, "weight": 2, "dashArray": "3 2", "fillOpacity": 0.15,
                           "className": "olls-place olls-approximate"}
APPROXIMATE_LABEL = "Position approximative (centre de la commune)"
SELECTED_RING = {"radius": 14, "color": "#e4002b", "weight": 3, "fill": False,
                 "className": "olls-selected"}
PERIMETER_STYLE = {"color": "#8a8a8a", "weight": 0.6, "fillColor": "#f4f1ea", "fillOpacity": 0.9}
EXCLUDED_STYLE = {"color": "#b85c00", "weight": 0.8, "fillColor": "#f6cf9f", "fillOpacity": 0.9,
                  "dashArray": "4 3"}
CONTEXT_STYLE = {"color": "#b8b8b8", "weight": 0.5, "fillColor": "#d9d9d9", "fillOpacity": 0.75}
EPCI_STYLE = {"color": "#3d3d3d", "weight": 2.2, "fill": False}
EXCLUDED_OUTLINE = {"color": "#b85c00", "weight": 3, "fill": False, "dashArray": "8 5"}
COORD_DECIMALS = 5  # about 1 m: enough for the map, keeps the HTML small
METROPOLITAN_FRANCE = (-5.2, 41.3, 9.6, 51.1)
COMMUNE_DETAIL_LIMIT = 3000  # more communes than this: EPCI outlines only
CANVAS_LIMIT = 2000  # more places than this: canvas markers (SVG slows down the browser)


def tiles_reachable(host: str = "tile.openstreetmap.org", timeout_s: float = 1.0) -> bool:
    """Whether the tile server answers (checked from the server, as a proxy for the browser)."""
    try:
        with socket.create_connection((host, 443), timeout=timeout_s):
            return True
    except OSError:
        return False


# Characters that would let a value form Jinja syntax once branca compiles the script.
_TEMPLATE_ENTITIES = {ord("{"): "&#123;", ord("}"): "&#125;", ord("%"): "&#37;"}
_BRACE_ENTITIES = {ord("{"): "&#123;", ord("}"): "&#125;"}
TEMPLATE_SYNTAX = re.compile(r"\{[{%#]")


def esc(value: object) -> str:
    """Text of any value made inert as HTML *and* as a Jinja template; empty for None/NaN.

    Every string the maps display is HTML (innerHTML of tooltips, popups, legend, layer
    control), so the entities read back as the text typed: ``{{ 7*7 }}`` stays ``{{ 7*7 }}``.
    """
    if is_missing(value):
        return ""
    return html.escape(str(value), quote=True).translate(_TEMPLATE_ENTITIES)


def inert(value: object) -> object:
    """A copy of a data structure (GeoJSON, legend text, layer name) whose strings can no
    longer form template syntax: ``{`` and ``}`` become HTML entities (``{{``, ``{%`` and
    ``{#`` all need a brace). Idempotent, so already escaped text is left as it is; numbers,
    booleans and None pass through. The guard every value takes on its way into folium."""
    if isinstance(value, str):
        return value.translate(_BRACE_ENTITIES)
    if isinstance(value, Mapping):  # GeoJSON coordinates are numbers: not walked (speed)
        return {inert(k): v if k == "coordinates" else inert(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [inert(v) for v in value]
    return value


def _texts(element: Element, seen: set[int]):
    """The values of an element and of its descendants, each as one JSON text (fast to scan:
    JSON itself never writes ``{{``, ``{%`` or ``{#``, so a match is in a value)."""
    seen.add(id(element))
    for key, attribute in vars(element).items():
        if key in ("_parent", "_template", "_id", "_name") or callable(attribute):
            continue
        if key in ("_template_str", "_template_name") and type(element) is not Element:
            continue  # folium's and branca's own templates (plain Elements are ours)
        if key == "_children":
            attribute = list(attribute.values())
        nested = attribute if isinstance(attribute, list) else [attribute]
        for item in nested:
            if isinstance(item, Element):
                if id(item) not in seen:
                    yield from _texts(item, seen)
            else:
                yield json.dumps(item, default=str, ensure_ascii=False)


def assert_inert(m: Element) -> Element:
    """Refuse a map (before it renders) that holds template syntax in any value of any
    element: data, layer names, legend, tooltips, the header/html/script of its page."""
    for text in _texts(m.get_root(), set()):
        found = TEMPLATE_SYNTAX.search(text)
        if found:
            raise ValueError("Texte refusé dans la carte : il contient une syntaxe de modèle "
                             f"({text[max(0, found.start() - 20):found.end() + 20]!r}).")
    return m


def _geojson(data: dict, name: str, **options) -> folium.GeoJson:
    """Every GeoJSON layer of every map: its data passes through ``inert``; its name, shown
    as HTML by the layer control, through ``esc``."""
    return folium.GeoJson(inert(data), name=esc(name), **options)


def place_popup_html(place: Mapping[str, object]) -> str:
    """Popup of a place: name, commune, typology, opening year and its five scores."""
    rows = "".join(
        f"<tr><td>{esc(c.label)}</td><td style='text-align:right'><b>"
        f"{esc(formatting.threshold(place.get(c.key)))}</b></td></tr>"
        for c in CRITERIA
    )
    badge = ("<div style='color:#7a0019;font-weight:bold'>★ Lieu mature</div>"
             if place.get("mature") else "")
    approx = " <i>(position approximative)</i>" if is_approximate(place) else ""
    year = place.get("opening_year")
    return (
        f"<div class='olls-popup' style='min-width:220px'>"
        f"<div style='font-size:1.1em;font-weight:bold'>{esc(place.get('name'))}</div>{badge}"
        f"<div>{esc(place.get('commune'))}{approx}</div>"
        f"<div>{esc(place.get('typology'))}"
        f"{' · ouvert en ' + esc(int(year)) if not is_missing(year) else ''}</div>"
        f"<table style='margin-top:4px'>{rows}</table></div>"
    )


def place_style(mature: bool, approximate: bool) -> dict:
    """A place's marker: mature places stand out; approximate positions are hollow, dashed."""
    if approximate:
        return MATURE_APPROXIMATE_STYLE if mature else PLACE_APPROXIMATE_STYLE
    return MATURE_STYLE if mature else PLACE_STYLE


def is_approximate(place: Mapping[str, object]) -> bool:
    """Whether a place sits at its commune's centre (a missing flag reads as « no »)."""
    value = place.get("location_approximate")
    return not is_missing(value) and bool(value)


def position_label(location_approximate: object) -> str:
    """A place's position as a table says it: « approximative » (its commune's centre) or
    « précise »."""
    return ("approximative" if is_approximate({"location_approximate": location_approximate})
            else "précise")


def has_approximate(places: pd.DataFrame | None) -> bool:
    """Whether any of these places sits at its commune's centre (no coordinates of its own)."""
    if places is None or "location_approximate" not in places or places.empty:
        return False
    return bool(places["location_approximate"].fillna(False).astype(bool).any())


def approximate_legend_line() -> str:
    """The legend's line for places drawn at their commune's centre."""
    style = PLACE_APPROXIMATE_STYLE
    size = 2 * int(style["radius"])
    return (f"<span style='display:inline-block;width:{size}px;height:{size}px;"
            f"border-radius:50%;background:transparent;border:2px dashed {style['color']};"
            f"vertical-align:middle;margin-right:5px'></span>{esc(APPROXIMATE_LABEL)}")


def places_geojson(places: pd.DataFrame, selected_id: int | None = None) -> dict:
    """One FeatureCollection for all places; every text property is already escaped.

    Beyond ``CANVAS_LIMIT`` places the popups are left out (they would weigh megabytes):
    the tooltip names the place and a click selects it for the card under the map.
    """
    with_popup = len(places) <= CANVAS_LIMIT
    features = []
    for place in places.to_dict(orient="records"):
        approximate = is_approximate(place)
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point",
                         "coordinates": [round(float(place["lon"]), COORD_DECIMALS),
                                         round(float(place["lat"]), COORD_DECIMALS)]},
            "properties": {
                "place_id": int(place["id"]),
                "tooltip": esc(place["name"]) + (" ★" if place.get("mature") else "")
                + ("<br><i>position approximative</i>" if approximate else ""),
                "popup": place_popup_html(place) if with_popup else "",
                "style": place_style(bool(place.get("mature")), approximate),
                "approximate": approximate,
                "selected": place["id"] == selected_id,
            },
        })
    return {"type": "FeatureCollection", "features": features}


# --- The places layer (issue 12: speed) -----------------------------------------------------
# One folium.GeoJson feature per place cost, at 3,500 places, a Python dict and a popup HTML
# string each (1.2 MB of JSON), ``inert`` walking all of it, json.dumps twice (once per render)
# and branca compiling the whole rendered script again as a Jinja template. PlacesLayer sends
# the same information as columns (one list per field, repeated texts listed once), builds the
# markers, tooltips and popups in the browser, and adds its script to the page without that
# second compilation. The escaping is unchanged: every text is ``esc``-aped in Python, the
# payload passes through ``inert`` and is JSON-encoded HTML-safe (``</script>`` cannot end
# the script), and ``assert_inert`` still checks the map.


def _table_codes(values, text, table: dict[str, int]) -> list[int]:
    """``values`` as indices into ``table`` (text → index; new texts appended): each
    distinct value is formatted by ``text`` once, not once per place."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    index = [table.setdefault(text(u), len(table)) for u in uniques]
    missing = table.setdefault(text(None), len(table))
    return [index[c] if c >= 0 else missing for c in codes.tolist()]


def _year_text(year) -> str:
    return "" if is_missing(year) else " · ouvert en " + esc(int(year))


def _contact_text(contact) -> str:
    """A place's contact as its popup's last line (escaped); "" when there is none."""
    text = "" if is_missing(contact) else str(contact).strip()
    return f"<div class='olls-contact'>Contact : {esc(text)}</div>" if text else ""


def places_payload(places: pd.DataFrame, popups: bool = True,
                   contacts: pd.Series | None = None) -> dict:
    """The places as columns for ``PlacesLayer``: ids, rounded coordinates, mature flags,
    escaped names and, with ``popups``, what ``place_popup_html`` shows, each field as
    indices into one list of escaped texts (``text``)."""
    def column(key, default=None):
        return places[key] if key in places.columns else pd.Series(default, index=places.index)

    mature = column("mature", False).fillna(False).astype(bool)
    approx = column("location_approximate", False).fillna(False).astype(bool)
    payload = {
        "place_id": places["id"].astype(int).tolist(),
        # Rounded as the links' ends are (Python's round, not pandas'): a line meets its marker.
        "lon": [round(float(v), COORD_DECIMALS) for v in places["lon"]],
        "lat": [round(float(v), COORD_DECIMALS) for v in places["lat"]],
        "mature": mature.astype(int).tolist(),
        "approximate": approx.astype(int).tolist(),
        # Index into ``styles``: maturity, then hollow and dashed at a commune's centre.
        "style": (mature.astype(int) + 2 * approx.astype(int)).tolist(),
        "name": [esc(v) for v in places["name"]],
        "styles": [PLACE_STYLE, MATURE_STYLE, PLACE_APPROXIMATE_STYLE, MATURE_APPROXIMATE_STYLE],
    }
    if popups:
        table: dict[str, int] = {}
        payload["popup"] = {
            "commune": _table_codes(column("commune"), esc, table),
            "approx": _table_codes(approx, lambda a: " <i>(position approximative)</i>"
                                   if a else "", table),
            "typology": _table_codes(column("typology"), esc, table),
            "year": _table_codes(column("opening_year"), _year_text, table),
            "scores": [_table_codes(column(c.key), lambda v: esc(formatting.threshold(v)),
                                    table) for c in CRITERIA],
        }
        if contacts is not None:  # only when an export explicitly includes them
            payload["popup"]["contact"] = _table_codes(contacts.reindex(places.index),
                                                       _contact_text, table)
        payload["labels"] = [esc(c.label) for c in CRITERIA]
        payload["text"] = list(table)
    return payload


class _RenderedScript(Element):
    """Script text already rendered by its layer's macro, added to the page as it is
    (branca's ``Element`` would compile it once more as a Jinja template)."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class PlacesLayer(folium.map.Layer):
    """The places as one Leaflet feature group of circle markers (canvas when the map prefers
    it), with the same styles, tooltip (name, ★ when mature) and popup (``place_popup_html``)
    as before, built by the browser from ``places_payload``. Each marker carries
    ``feature.properties.place_id``: st_folium returns it when a place is clicked."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (d) {
            var group = L.featureGroup(), t = d.text, p = d.popup;
            for (var i = 0; i < d.place_id.length; i++) {
                var marker = L.circleMarker([d.lat[i], d.lon[i]], d.styles[d.style[i]]);
                marker.feature = {type: 'Feature', properties: {place_id: d.place_id[i]}};
                marker.ollsIndex = i;
                group.addLayer(marker);
            }
            group.bindTooltip(function (layer) {
                var i = layer.ollsIndex;
                return i === undefined ? '' : d.name[i] + (d.mature[i] ? ' ★' : '')
                    + (d.approximate[i] ? '<br><i>position approximative</i>' : '');
            }, {sticky: true});
            if (p) {
                group.bindPopup(function (layer) {
                    var i = layer.ollsIndex, rows = '';
                    for (var k = 0; k < d.labels.length; k++) {
                        rows += "<tr><td>" + d.labels[k] + "</td><td style='text-align:right'>"
                            + "<b>" + t[p.scores[k][i]] + "</b></td></tr>";
                    }
                    return "<div class='olls-popup' style='min-width:220px'>"
                        + "<div style='font-size:1.1em;font-weight:bold'>" + d.name[i] + "</div>"
                        + (d.mature[i] ? "<div style='color:#7a0019;font-weight:bold'>"
                                         + "★ Lieu mature</div>" : "")
                        + "<div>" + t[p.commune[i]] + t[p.approx[i]] + "</div>"
                        + "<div>" + t[p.typology[i]] + t[p.year[i]] + "</div>"
                        + "<table style='margin-top:4px'>" + rows + "</table>"
                        + (p.contact ? t[p.contact[i]] : '') + "</div>";
                }, {maxWidth: 320});
            }
            return group;
        })({{ this.payload }});
        {% endmacro %}
    """)

    def __init__(self, places: pd.DataFrame, name: str, popups: bool = True):
        super().__init__(name=esc(name), overlay=True, control=True, show=True)
        self._name = "PlacesLayer"
        # Raw texts stay out of the element's attributes (assert_inert scans them): only the
        # inert JSON below is ever rendered; the closure rebuilds it when contacts are added.
        self._payload_with = lambda contacts: places_payload(places, popups, contacts)
        # One JSON text, made once: both renders (the page, st_folium's script) reuse it.
        self.payload = htmlsafe_json_dumps(inert(places_payload(places, popups)),
                                           separators=(",", ":"))

    def add_contacts(self, contacts: pd.Series) -> None:
        """Each popup ends with the place's contact (``contacts`` indexed like the places):
        for an export whose author asked for contacts, never for the app's map."""
        self.payload = htmlsafe_json_dumps(inert(self._payload_with(contacts)),
                                           separators=(",", ":"))

    def render(self, **kwargs):
        """``Layer.render`` without the second Jinja compilation of the rendered script."""
        if self.show:
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        self.get_root().script.add_child(
            _RenderedScript(self._template.module.script(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


def selected_geojson(places: pd.DataFrame, selected_id: int | None) -> dict:
    """The selected place (if shown) as a one-point FeatureCollection, for its ring."""
    chosen = places[places["id"] == selected_id] if selected_id is not None else places.iloc[:0]
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"place_id": int(r.id)},
        "geometry": {"type": "Point", "coordinates": [round(float(r.lon), COORD_DECIMALS),
                                                      round(float(r.lat), COORD_DECIMALS)]}}
        for r in chosen.itertuples()]}


def communes_geojson(communes: gpd.GeoDataFrame, excluded_label: str) -> dict:
    """Commune polygons with an escaped tooltip and their style class."""
    frame = communes[["insee", "name", "epci_name", "population", "in_perimeter",
                      "in_excluded_zone", "geometry"]].copy()
    status = frame.apply(
        lambda r: ("hors périmètre" if not r.in_perimeter
                   else esc(excluded_label) if r.in_excluded_zone else ""), axis=1)
    frame["tooltip"] = [
        f"<b>{esc(r.name)}</b><br>{esc(r.epci_name)}<br>{formatting.integer(r.population)} hab."
        + (f"<br><i>{s}</i>" if s else "")
        for r, s in zip(frame.itertuples(), status, strict=True)
    ]
    frame["kind"] = [
        "context" if not p else "excluded" if x else "perimeter"
        for p, x in zip(frame["in_perimeter"], frame["in_excluded_zone"], strict=True)
    ]
    frame = frame.drop(columns=["name", "epci_name"])
    frame["geometry"] = round_coordinates(frame.geometry.values)
    return json.loads(frame.to_json(drop_id=True))


def round_coordinates(geometries):
    """Coordinates to about 1 m: the browser gets a third less text, the eye sees no change."""
    return shapely.transform(geometries, lambda xy: np.round(xy, COORD_DECIMALS))


class Legend(MacroElement):
    """A static legend drawn as a Leaflet control (works in the app and in HTML exports),
    placed where it covers no data; it also fits the map to ``bounds``.

    ``plan`` is ``legend_plan``'s answer, [(map width in px, corner), …] by increasing width:
    in the browser the legend takes the corner of the widest entry not wider than the map;
    on a narrower map, or when that corner is ``OUTSIDE``, it sits at the top right and the
    map is fitted with a band as wide as the legend kept free on the right, beside the data.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var plan = {{ this.plan | tojson }}, bounds = {{ this.bounds | tojson }};
            var legend = L.control({position: 'topright'}), position = null;
            var fitting = false, moved = false;
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'olls-legend olls-legend-' + position);
                div.style.cssText = 'background:rgba(255,255,255,.92);padding:6px 9px;'
                    + 'border-radius:4px;font:12px/1.5 sans-serif;width:max-content;'
                    + 'box-shadow:0 1px 4px rgba(0,0,0,.3)';
                div.innerHTML = {{ this.html | tojson }};
                return div;
            };
            function place() {
                var width = map.getSize().x, chosen = 'outside';
                for (var i = 0; i < plan.length; i++) {
                    if (width >= plan[i][0]) { chosen = plan[i][1]; }
                }
                if (chosen !== position) {
                    position = chosen;
                    legend.remove();
                    legend.setPosition(chosen === 'outside' ? 'topright' : chosen);
                    legend.addTo(map);
                }
                var options = {animate: false};
                if (chosen === 'outside') {
                    var band = Math.min(legend.getContainer().offsetWidth + 24, width / 2);
                    options.paddingBottomRight = [band, 0];
                }
                fitting = true;
                map.fitBounds(bounds, options);
                fitting = false;
            }
            // Until someone moves the map, a new size (the page laying the map out) places
            // the legend again for that width and fits the data again.
            map.on('dragstart zoomstart', function () { if (!fitting) { moved = true; } });
            map.on('resize', function () { if (!moved) { place(); } });
            place();
        })();
        {% endmacro %}
    """)

    def __init__(self, html_text: str, bounds: tuple[float, float, float, float],
                 plan: list[tuple[int, str]] | None = None):
        super().__init__()
        self._name = "Legend"
        self.html = inert(html_text)
        for _, corner in plan or []:
            if corner not in (*CORNERS, OUTSIDE):
                raise ValueError(f"unknown legend position: {corner!r}")
        self.plan = [[int(width), corner] for width, corner in (plan or [(0, OUTSIDE)])]
        minx, miny, maxx, maxy = (float(v) for v in bounds)
        self.bounds = [[miny, minx], [maxy, maxx]]


class Scale(MacroElement):
    """The scale bar, in metres and kilometres only (Leaflet's default adds miles)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false, maxWidth: 150})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "Scale"


# --- Where the legend goes -----------------------------------------------------------------
# Leaflet's corners, in order of preference; the others' controls stack in the same corner
# (zoom buttons top left, layer switch top right, scale bar bottom left, attribution bottom
# right), so each corner starts that far (px) from the map's edge.
CORNERS = ("bottomleft", "topleft", "bottomright", "topright")
OUTSIDE = "outside"
CORNER_OFFSET_PX = {"topleft": (10, 88), "topright": (10, 66), "bottomleft": (10, 36),
                    "bottomright": (10, 30)}
# The map's width is the browser's (the app stretches it to its column): the corner is chosen
# for each of these widths, and the browser takes the one for its own (narrower: beside).
MAP_WIDTHS_PX = (480, 560, 640, 720, 800, 880, 960, 1040, 1120, 1280, 1440, 1680, 1920, 2560)
EXPORT_HEIGHTS_PX = (600, 800, 1000)  # the HTML export fills the window: heights it may have
ZOOM_SNAP = 0.25
LEGEND_CHAR_PX, LEGEND_LINE_PX, LEGEND_PAD_PX = 5.8, 19, 44


def legend_size_px(html_text: str) -> tuple[int, int]:
    """A generous estimate of a legend's size in pixels (12 px sans-serif, one line per
    ``<br>``): the longest line's characters and the number of lines."""
    lines = [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in html_text.split("<br>")]
    longest = max((len(line) for line in lines), default=0)
    return (round(LEGEND_CHAR_PX * longest + LEGEND_PAD_PX),
            LEGEND_LINE_PX * len(lines) + 14)


def _mercator(lon, lat):
    """Longitude/latitude to Leaflet's world coordinates in [0, 1] (y grows southwards)."""
    lat = np.clip(np.asarray(lat, dtype=float), -85.0511, 85.0511)
    x = (np.asarray(lon, dtype=float) + 180.0) / 360.0
    y = (1 - np.log(np.tan(np.radians(lat)) + 1 / np.cos(np.radians(lat))) / np.pi) / 2
    return x, y


def _lonlat(x, y):
    lon = np.asarray(x, dtype=float) * 360.0 - 180.0
    lat = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * np.asarray(y, dtype=float)))))
    return lon, lat


def corner_box(view: tuple[float, float, float, float], corner: str,
               legend_px: tuple[float, float], map_px: tuple[float, float],
               zoom_snap: float = ZOOM_SNAP) -> tuple[float, float, float, float]:
    """The ground (min lon, min lat, max lon, max lat) a legend of ``legend_px`` covers in
    ``corner`` once Leaflet has fitted ``view`` into a ``map_px`` map (``fitBounds``: the
    largest zoom, snapped down to ``zoom_snap``, at which the view fits; same centre)."""
    width, height = map_px
    (x0, x1), (y1, y0) = _mercator([view[0], view[2]], [view[1], view[3]])
    span_x, span_y = max(x1 - x0, 1e-12), max(y1 - y0, 1e-12)
    zoom = np.log2(min(width / (256 * span_x), height / (256 * span_y)))
    if zoom_snap:
        zoom = np.floor(zoom / zoom_snap + 1e-9) * zoom_snap
    scale = 256 * 2.0 ** zoom  # pixels per world unit
    dx, dy = CORNER_OFFSET_PX[corner]
    w, h = legend_px
    left = dx if corner.endswith("left") else width - dx - w
    top = dy if corner.startswith("top") else height - dy - h
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    xs = cx + (np.array([left, left + w]) - width / 2) / scale
    ys = cy + (np.array([top, top + h]) - height / 2) / scale
    lons, lats = _lonlat(xs, ys)
    return float(lons.min()), float(lats.min()), float(lons.max()), float(lats.max())


def legend_corner(features, view: tuple[float, float, float, float],
                  legend_px: tuple[float, float], map_px: tuple[float, float],
                  corners: tuple[str, ...] = CORNERS) -> str:
    """The first corner (``CORNERS`` order) where a legend of ``legend_px`` covers none of
    ``features`` (shapely geometries: the perimeter's communes, the places…) once ``view``
    is fitted into a map of ``map_px`` (width, height); ``OUTSIDE`` when every corner would
    cover some. ``features`` may also be an ``STRtree`` of them (built once per map);
    ``corners`` narrows the choice (in that order of preference)."""
    tree = features if isinstance(features, shapely.STRtree) else _tree(features)
    if tree is None:
        return corners[0]
    for corner in corners:
        box = shapely.box(*corner_box(view, corner, legend_px, map_px))
        if tree.query(box, predicate="intersects").size == 0:
            return corner
    return OUTSIDE


def _tree(features) -> shapely.STRtree | None:
    geometries = np.asarray([g for g in np.asarray(features, dtype=object).ravel()
                             if g is not None and not shapely.is_empty(g)], dtype=object)
    return shapely.STRtree(geometries) if geometries.size else None


def legend_plan(features, view: tuple[float, float, float, float],
                legend_px: tuple[float, float], map_heights_px=(600,),
                map_widths_px=MAP_WIDTHS_PX,
                corners: tuple[str, ...] = CORNERS) -> list[tuple[int, str]]:
    """``legend_corner`` at each map width (a corner must be free at every height given):
    [(width, corner), …] by increasing width, for the legend's script to pick from."""
    tree = _tree(features)
    plan = []
    for width in sorted(map_widths_px):
        chosen = {legend_corner(tree, view, legend_px, (width, height), corners)
                  for height in map_heights_px}
        # the same corner at every height, else the legend goes beside the data
        plan.append((int(width), chosen.pop() if len(chosen) == 1 else OUTSIDE))
    return plan


def place_legend(m: folium.Map, html_text: str, features, view: tuple[float, ...],
                 height: int | str, corners: tuple[str, ...] = CORNERS) -> Legend:
    """Add the legend where it covers none of ``features`` (a free corner, or beside the
    data) and fit the map to ``view`` (every map of the app goes through here)."""
    heights = (height,) if isinstance(height, (int, float)) else EXPORT_HEIGHTS_PX
    plan = legend_plan(features, view, legend_size_px(html_text), heights, corners=corners)
    legend = Legend(html_text, view, plan)
    legend.add_to(m)
    return legend


def _data_features(communes: gpd.GeoDataFrame, *points: pd.DataFrame | None):
    """What a legend must not cover: the perimeter's communes and the given points."""
    inside = communes.geometry[communes["in_perimeter"].fillna(False).astype(bool)].to_numpy()
    located = []
    for frame in points:
        if frame is None or not len(frame):
            continue
        lon, lat = frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)
        keep = np.isfinite(lon) & np.isfinite(lat)
        located.append(shapely.points(lon[keep], lat[keep]))
    return np.concatenate([np.asarray(inside, dtype=object), *located]) if located else inside


def _line_swatch(colour: str, dashed: bool = False) -> str:
    return (f"<span style='display:inline-block;width:18px;border-top:3px "
            f"{'dashed' if dashed else 'solid'} {esc(colour)};vertical-align:middle;"
            "margin-right:5px'></span>")


# What a line means, by the name of the links layer (``build_map``'s ``links_name``).
LINK_NOTES = {
    "Estimation et réseau routier": "trait : une paire de lieux, coloré selon le ratio "
                                    "route / estimation",
    "Consortiums proposés": "trait : tête de réseau → lieu rattaché",
    "Tournée": "trait : une étape → la suivante",
}
DEFAULT_LINK_NOTE = "trait : chef de file → membre"
LINK_ENTRIES_SHOWN = 8


def links_legend(links: pd.DataFrame | None, name: str, note: str | None = None) -> list[str]:
    """Legend lines for consortium (or tour) lines: what a line means, then one line per
    colour with the groups drawn in it (at most ``LINK_ENTRIES_SHOWN``, then how many more)."""
    if links is None or not len(links):
        return []
    note = note or LINK_NOTES.get(name, DEFAULT_LINK_NOTE)
    colours = (links["colour"] if "colour" in links.columns
               else pd.Series(PALETTE[0], index=links.index)).fillna(PALETTE[0])
    groups = (links["group"] if "group" in links.columns
              else pd.Series(name, index=links.index)).fillna(name)
    by_colour: dict[str, list[str]] = {}
    for colour, group in zip(colours, groups, strict=True):
        named = by_colour.setdefault(str(colour), [])
        if str(group) not in named:
            named.append(str(group))
    lines = [f"<b>{esc(name)}</b>", f"<i>{esc(note)}</i>"]
    entries = list(by_colour.items())
    for colour, named in entries[:LINK_ENTRIES_SHOWN]:
        label = name if len(by_colour) == 1 and len(named) > 3 else ", ".join(named)
        lines.append(_line_swatch(colour) + esc(label))
    if len(entries) > LINK_ENTRIES_SHOWN:
        lines.append(f"… et {formatting.integer(len(entries) - LINK_ENTRIES_SHOWN)} autres")
    return lines


def legend_html(territory_name: str, excluded_label: str, links: pd.DataFrame | None = None,
                links_name: str = "Consortiums", links_note: str | None = None, *,
                approximate: bool = False, numbered: bool = False,
                programme_lines: Sequence[str] = ()) -> str:
    """The territory map's legend; ``approximate``: some place shown sits at its commune's
    centre; ``numbered``: the stops carry their visiting order (a tour);
    ``programme_lines``: the programme layers drawn (``add_programme_layers``)."""
    def swatch(style: Mapping[str, object], shape: str = "circle") -> str:
        radius = "50%" if shape == "circle" else "2px"
        size = 2 * int(style.get("radius", 6)) if shape == "circle" else 14
        border = "dashed" if style.get("dashArray") else "solid"
        return (f"<span style='display:inline-block;width:{size}px;height:{size}px;"
                f"border-radius:{radius};background:{style.get('fillColor', 'none')};"
                f"border:2px {border} {style['color']};vertical-align:middle;"
                "margin-right:5px'></span>")

    lines = [
        f"<b>{esc(territory_name)}</b>" if territory_name else "",
        swatch(MATURE_STYLE) + "Lieu mature",
        swatch(PLACE_STYLE) + "Autre lieu",
        approximate_legend_line() if approximate else "",
        swatch(EXCLUDED_STYLE, "box") + esc(excluded_label) + " (hors zone de projet)"
        if excluded_label else "",
        swatch(CONTEXT_STYLE, "box") + "Hors périmètre",
        "<span style='display:inline-block;width:14px;border-top:3px solid #3d3d3d;"
        "vertical-align:middle;margin-right:5px'></span>Limite d'intercommunalité",
        *links_legend(links, links_name, links_note),
        stop_number_html(1) + "Ordre de passage de la tournée" if numbered else "",
        *programme_lines,
    ]
    return "<br>".join(line for line in lines if line)


def build_map(
    communes: gpd.GeoDataFrame,
    places: pd.DataFrame,
    *,
    territory_name: str = "",
    excluded_label: str = "",
    selected_id: int | None = None,
    online_tiles: bool = False,
    epci_density: pd.DataFrame | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    height: int | str = 620,
    links: pd.DataFrame | None = None,
    links_name: str = "Consortiums",
    link_places: pd.DataFrame | None = None,
    base_layers: tuple[dict | None, dict] | None = None,
    links_note: str | None = None,
    legend_corners: tuple[str, ...] | None = None,
    stop_order: Sequence[int] | None = None,
    programme_places: pd.DataFrame | None = None,
) -> folium.Map:
    """The territory map: communes as the base, EPCI outlines, the places as one layer.

    ``base_layers`` = (communes GeoJSON or None, EPCI outlines GeoJSON), precomputed by
    ``base_geojson`` and cached by the app. Beyond ``COMMUNE_DETAIL_LIMIT`` communes (a region,
    France) the commune polygons are left out and only EPCI outlines are drawn; the places are
    one ``PlacesLayer`` (popups built by the browser), drawn on a canvas instead of SVG beyond
    ``CANVAS_LIMIT`` places. The legend
    explains the ``links`` when there are some (``links_note``: what a line means) and sits
    where it covers neither the perimeter nor a place (``place_legend``), in one of
    ``legend_corners`` (all by default; the HTML export keeps its title's corner).
    Places at their commune's centre are drawn hollow and dashed (and the legend says so);
    ``stop_order`` (place ids, a tour's visiting order) numbers those places 1, 2, 3…
    ``programme_places`` (France services, Fabriques, Manufactures) are drawn as context
    layers with their own symbols and legend lines (``add_programme_layers``).
    """
    m = folium.Map(tiles=None, control_scale=False, height=height, zoom_snap=ZOOM_SNAP,
                   prefer_canvas=len(places) > CANVAS_LIMIT)
    Scale().add_to(m)
    m.options["max_zoom"] = 18
    if online_tiles:
        folium.TileLayer("OpenStreetMap", name="Fond OpenStreetMap (en ligne)", show=False,
                         attr="© les contributeurs d'OpenStreetMap").add_to(m)

    commune_layer, outlines = base_layers or base_geojson(communes, excluded_label)
    if commune_layer is not None:
        _geojson(
            commune_layer,
            name="Communes",
            style_function=lambda f: {"perimeter": PERIMETER_STYLE, "excluded": EXCLUDED_STYLE,
                                      "context": CONTEXT_STYLE}[f["properties"]["kind"]],
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        ).add_to(m)
    if epci_density is not None:
        outlines = _epci_outlines(communes, epci_density)
        _geojson(
            outlines, name="Lieux pour 10 000 habitants (EPCI)",
            style_function=lambda f: {"color": "#3d3d3d", "weight": 1, "fillOpacity": 0.55,
                                      "fillColor": f["properties"]["fill"]},
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        ).add_to(m)
    _geojson(outlines, name="Intercommunalités", interactive=False,
                   style_function=lambda f: EXCLUDED_OUTLINE if f["properties"]["in_excluded_zone"]
                   else EPCI_STYLE).add_to(m)

    if links is not None and len(links):
        add_links(m, links, places if link_places is None else link_places, links_name)

    selected = selected_geojson(places, selected_id)
    if selected["features"]:
        _geojson(selected, name="Lieu sélectionné",
                       marker=folium.CircleMarker(), interactive=False,
                       style_function=lambda f: SELECTED_RING).add_to(m)
    if len(places):
        PlacesLayer(places, name="Lieux de lien social").add_to(m)
    numbered = stop_order is not None and add_stop_numbers(m, stop_order, places)
    programme_lines = add_programme_layers(m, programme_places)

    folium.LayerControl(collapsed=True).add_to(m)
    drawn = links if links is not None and len(links) else None
    place_legend(m, legend_html(territory_name, excluded_label, drawn, links_name, links_note,
                                approximate=has_approximate(places), numbered=numbered,
                                programme_lines=programme_lines),
                 _data_features(communes, places, link_places, programme_places),
                 bounds or view_bounds(communes, places), height, legend_corners or CORNERS)
    return assert_inert(m)


def view_bounds(communes: gpd.GeoDataFrame, places: pd.DataFrame) -> tuple[float, ...]:
    """The perimeter; for a territory spanning oceans (France with its overseas
    départements), metropolitan France or the places' extent instead of the globe."""
    minx, miny, maxx, maxy = communes[communes["in_perimeter"]].total_bounds
    if maxx - minx <= 20:
        return minx, miny, maxx, maxy
    return METROPOLITAN_FRANCE if places.empty else padded_bounds(places)


def base_geojson(communes: gpd.GeoDataFrame, excluded_label: str) -> tuple[dict | None, dict]:
    """(commune polygons or None when there are too many, EPCI outlines): the slow part of
    a map, worth caching."""
    detail = len(communes) <= COMMUNE_DETAIL_LIMIT
    return (communes_geojson(communes, excluded_label) if detail else None,
            _epci_outlines(communes, None))


def _epci_outlines(communes: gpd.GeoDataFrame, density: pd.DataFrame | None) -> dict:
    # Communes tile the ground without overlaps: a coverage union is ten times faster.
    dissolved = communes.dissolve(by="epci_siren", method="coverage", aggfunc={
        "epci_name": "first", "in_perimeter": "any", "in_excluded_zone": "any"}).reset_index()
    if len(communes) > COMMUNE_DETAIL_LIMIT:  # a region or France: outlines seen from afar
        dissolved["geometry"] = shapely.coverage_simplify(dissolved.geometry.values, 0.01)
    if density is not None:
        dissolved = dissolved.merge(density[["epci_siren", "places_per_10k", "places"]],
                                    on="epci_siren", how="left")
        top = max(float(dissolved["places_per_10k"].max() or 0), 1e-9)
        dissolved["fill"] = dissolved["places_per_10k"].map(
            lambda v: _blend(0 if is_missing(v) else v / top))
        dissolved["tooltip"] = [
            f"<b>{esc(r.epci_name)}</b><br>"
            + (f"{formatting.threshold(round(r.places_per_10k, 1))} lieux pour 10 000 hab. "
               f"({formatting.integer(r.places)} lieux)"
               if not is_missing(r.places_per_10k) else "hors périmètre")
            for r in dissolved.itertuples()
        ]
        dissolved = dissolved.drop(columns=["places_per_10k", "places"])
    dissolved["geometry"] = round_coordinates(dissolved.geometry.values)
    return json.loads(dissolved.to_json(drop_id=True))


def _blend(share: float) -> str:
    """White to deep teal: a sequential scale for the choropleth."""
    low, high = (247, 252, 240), (8, 104, 172)
    rgb = [round(a + (b - a) * max(0.0, min(1.0, share))) for a, b in zip(low, high, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def links_geojson(links: pd.DataFrame, places: pd.DataFrame,
                  group_label: str = "Consortium") -> dict:
    """Lines from each head (``head_id``) to its members (``member_id``), tooltips escaped.

    ``links`` may carry ``group`` (a name shown in the tooltip), ``minutes``,
    ``estimated`` (True when the minutes come from an estimate, said so in the tooltip) and
    ``detail`` (one more line of text).
    """
    where = places.set_index("id")[["lon", "lat", "name"]]
    features = []
    for link in links.to_dict(orient="records"):
        if link["head_id"] not in where.index or link["member_id"] not in where.index:
            continue
        head, member = where.loc[link["head_id"]], where.loc[link["member_id"]]
        label = esc(link.get("group") or f"{group_label} de {head['name']}")
        minutes = link.get("minutes")
        estimate = " (estimation)" if link.get("estimated") is True else ""
        tip = (f"<b>{label}</b><br>{esc(head['name'])} → {esc(member['name'])}"
               + (f"<br>≈ {formatting.minutes(minutes)}{estimate}"
                  if not is_missing(minutes) else "")
               + (f"<br>{esc(link['detail'])}" if not is_missing(link.get("detail")) else ""))
        features.append({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [
                [round(float(head["lon"]), COORD_DECIMALS),
                 round(float(head["lat"]), COORD_DECIMALS)],
                [round(float(member["lon"]), COORD_DECIMALS),
                 round(float(member["lat"]), COORD_DECIMALS)]]},
            "properties": {"tooltip": tip, "colour": link.get("colour", "#6a3d9a")},
        })
    return {"type": "FeatureCollection", "features": features}


def add_links(m: folium.Map, links: pd.DataFrame, places: pd.DataFrame, name: str) -> None:
    """Draw consortium lines (build_map adds them before the places, which stay clickable)."""
    data = links_geojson(links, places)
    if not data["features"]:
        return
    _geojson(
        data, name=name,
        style_function=lambda f: {"color": f["properties"]["colour"], "weight": 3,
                                  "opacity": 0.75, "className": "olls-link"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
    ).add_to(m)


def consortium_links(saved: pd.DataFrame) -> pd.DataFrame:
    """The lines of saved consortia (``proximity.saved_consortia``): one from each lead
    (``head_id``) to each other member (``member_id``), named after the consortium (``group``)
    and coloured by its rank in ``saved`` (``colour_for``), as ``build_map``'s ``links``."""
    rows = [{"head_id": int(row.lead_place_id), "member_id": int(member), "group": row.name,
             "colour": colour_for(rank)}
            for rank, row in enumerate(saved.itertuples())
            for member in row.member_ids if member != row.lead_place_id]
    return pd.DataFrame(rows, columns=["head_id", "member_id", "group", "colour"])


def links_between(links: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """The links whose both ends are among ``places`` (the others would end in nothing)."""
    shown = set(places["id"])
    return links[links["head_id"].isin(shown) & links["member_id"].isin(shown)]


# --- Tours -----------------------------------------------------------------------------------
# The route is violet: the excluded zone (EXCLUDED_STYLE, EXCLUDED_OUTLINE) is orange, and an
# orange route over it could not be told apart from the zone's dashed outline.
TOUR_COLOUR = "#4b1d8f"
STOP_NUMBER_STYLE = ("display:inline-block;min-width:18px;height:18px;padding:0 3px;"
                     "box-sizing:border-box;border-radius:9px;background:" + TOUR_COLOUR + ";"
                     "color:#fff;border:1.5px solid #fff;font:bold 11px/15px sans-serif;"
                     "text-align:center;box-shadow:0 1px 3px rgba(0,0,0,.45)")


def stop_number_html(number: int) -> str:
    """A stop's order number as a small round badge (the number is ours, an integer)."""
    return (f"<span class='olls-stop-number' style='{STOP_NUMBER_STYLE}'>{int(number)}</span>"
            "&nbsp;")


STOP_NEAR_SHARE = 0.04  # stops closer than this share of the tour's extent: badges side by side
STOP_BADGE_STEP_PX = 20


def stop_numbers(order: Sequence[int], places: pd.DataFrame) -> list[dict]:
    """Where each stop's number goes, in visiting order: [{number, place_id, lon, lat, shift},
    …] numbered from 1; a place met again (a closed tour's return to its start) keeps its
    first number; a place unknown to ``places`` or without coordinates is skipped, the others
    keep their rank. ``shift``: the first free step to the right among the earlier stops lying
    so close (``STOP_NEAR_SHARE`` of the tour's extent, which the map is fitted to) that
    their badges would cover this one; 0 for a stop standing alone."""
    where = places.drop_duplicates("id").set_index("id")[["lon", "lat"]]
    numbered = []
    for number, place_id in enumerate(dict.fromkeys(order), start=1):
        if place_id not in where.index:
            continue
        lon, lat = where.loc[place_id]
        if is_missing(lon) or is_missing(lat):
            continue
        numbered.append({"number": number, "place_id": int(place_id),
                         "lon": round(float(lon), COORD_DECIMALS),
                         "lat": round(float(lat), COORD_DECIMALS), "shift": 0})
    if len(numbered) < 2:
        return numbered
    lons, lats = (np.array([s[k] for s in numbered]) for k in ("lon", "lat"))
    x = lons * np.cos(np.radians(lats.mean()))  # degrees of longitude are shorter
    near = STOP_NEAR_SHARE * max(np.ptp(x), np.ptp(lats), 0.01)
    for k, stop in enumerate(numbered):
        close = np.flatnonzero(np.hypot(x[:k] - x[k], lats[:k] - lats[k]) < near)
        taken = {numbered[j]["shift"] for j in close}
        stop["shift"] = next(n for n in range(len(numbered)) if n not in taken)
    return numbered


def add_stop_numbers(m: folium.Map, order: Sequence[int], places: pd.DataFrame) -> bool:
    """Number the stops on the map (a badge above right of each place, not clickable: the
    place's own marker keeps its tooltip and popup). Whether any number was drawn."""
    numbers = stop_numbers(order, places)
    if not numbers:
        return False
    layer = folium.FeatureGroup(name=esc("Ordre de passage"))
    for stop in numbers:
        folium.Marker(
            [stop["lat"], stop["lon"]], interactive=False, keyboard=False,
            icon=folium.DivIcon(html=stop_number_html(stop["number"]).removesuffix("&nbsp;"),
                                icon_size=(18, 18),
                                icon_anchor=(-6 - STOP_BADGE_STEP_PX * stop["shift"], 24),
                                class_name="olls-stop"),
        ).add_to(layer)
    layer.add_to(m)
    return True


PALETTE = ("#6a3d9a", "#1b9e77", "#d95f02", "#e7298a", "#66a61e", "#a6761d", "#1f78b4",
           "#b15928", "#7570b3", "#e6ab02")


def colour_for(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def padded_bounds(places: pd.DataFrame,
                  margin_deg: float = 0.03) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of some places, with a margin."""
    return (float(places["lon"].min()) - margin_deg, float(places["lat"].min()) - margin_deg,
            float(places["lon"].max()) + margin_deg, float(places["lat"].max()) + margin_deg)


ACCESS_BINS = ((10, "#1a9850"), (20, "#91cf60"), (30, "#fee08b"), (45, "#fc8d59"),
               (float("inf"), "#d73027"))
NO_PLACE_COLOUR = "#7f7f7f"


def access_colour(minutes: float | None) -> str:
    if is_missing(minutes):
        return NO_PLACE_COLOUR
    return next(colour for limit, colour in ACCESS_BINS if minutes <= limit)


def access_legend(target: str, estimated: bool = True, approximate: bool = False) -> str:
    rows, low = [], 0
    for limit, colour in ACCESS_BINS:
        text = f"{low}–{limit:g} min" if limit != float("inf") else f"plus de {low} min"
        rows.append(f"<span style='display:inline-block;width:14px;height:14px;background:{colour};"
                    f"vertical-align:middle;margin-right:5px'></span>{text}")
        low = limit
    title = "Trajet estimé vers" if estimated else "Trajet vers"
    if approximate:  # some place shown sits at its commune's centre
        rows.append(approximate_legend_line())
    return f"<b>{title} {esc(target)}</b><br>" + "<br>".join(rows)


def build_access_map(communes: gpd.GeoDataFrame, access: pd.DataFrame, places: pd.DataFrame,
                     *, minutes_column: str, target: str, suggestions: pd.DataFrame | None = None,
                     online_tiles: bool = False, height: int = 600,
                     estimated: bool = True,
                     programme_places: pd.DataFrame | None = None) -> folium.Map:
    """Choropleth of the travel time from each commune to the nearest place (``estimated``:
    the provider's times are an estimate, and the legend says so); ``programme_places`` as
    context layers (``add_programme_layers``)."""
    m = folium.Map(tiles=None, control_scale=False, height=height, zoom_snap=ZOOM_SNAP,
                   prefer_canvas=len(communes) > COMMUNE_DETAIL_LIMIT)
    Scale().add_to(m)
    m.options["max_zoom"] = 18
    if online_tiles:
        folium.TileLayer("OpenStreetMap", name="Fond OpenStreetMap (en ligne)", show=False,
                         attr="© les contributeurs d'OpenStreetMap").add_to(m)
    # A commune whose travel a road network could not answer: « (estimation) » beside it.
    flags = minutes_column.replace("minutes", "travel_estimated")
    flagged = not estimated and flags in access.columns
    frame = communes[["insee", "name", "population", "in_perimeter", "geometry"]].merge(
        access[["insee", minutes_column, *([flags] if flagged else [])]], on="insee", how="left")
    marks = (frame[flags].fillna(False).astype(bool) if flagged
             else pd.Series(False, index=frame.index))
    frame["fill"] = [access_colour(v) if inside else "#d9d9d9"
                     for v, inside in zip(frame[minutes_column], frame["in_perimeter"],
                                          strict=True)]
    frame["tooltip"] = [
        f"<b>{esc(r.name)}</b><br>{formatting.integer(r.population)} hab.<br>"
        + (f"≈ {formatting.plain_minutes(getattr(r, minutes_column))}"
           + (" (estimation)" if mark else "")
           if not is_missing(getattr(r, minutes_column)) else "aucun lieu")
        for r, mark in zip(frame.itertuples(), marks, strict=True)]
    if len(frame) > COMMUNE_DETAIL_LIMIT:  # a region or France: one dot per commune, on canvas
        frame = frame[frame["in_perimeter"]]
        points = [{"type": "Feature", "properties": {"fill": fill},
                   "geometry": {"type": "Point", "coordinates": [round(x, 4), round(y, 4)]}}
                  for fill, x, y in zip(frame["fill"], frame.geometry.representative_point().x,
                                        frame.geometry.representative_point().y, strict=True)]
        _geojson({"type": "FeatureCollection", "features": points}, name="Accès",
                       marker=folium.CircleMarker(), interactive=False,
                       style_function=lambda f: {"radius": 2, "stroke": False, "fill": True,
                                                 "fillOpacity": 0.9,
                                                 "fillColor": f["properties"]["fill"]}).add_to(m)
    else:
        frame["geometry"] = round_coordinates(frame.geometry.values)
        _geojson(
            json.loads(frame.drop(columns=["name"]).to_json(drop_id=True)), name="Accès",
            style_function=lambda f: {"color": "#777", "weight": 0.5, "fillOpacity": 0.8,
                                      "fillColor": f["properties"]["fill"]},
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False)).add_to(m)
    data = places_geojson(places)
    if data["features"]:
        _geojson(data, name="Lieux", marker=folium.CircleMarker(),
                       style_function=lambda f: f["properties"]["style"],
                       tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False)).add_to(m)
    if suggestions is not None and len(suggestions):
        picks = {"type": "FeatureCollection", "features": [{
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(float(r.lon), COORD_DECIMALS),
                                                          round(float(r.lat), COORD_DECIMALS)]},
            "properties": {"tooltip": f"<b>Suggestion {int(r.rank)} : {esc(r.name)}</b><br>"
                                      f"+{formatting.integer(r.population_added)} habitants "
                                      "couverts"}} for r in suggestions.itertuples()]}
        _geojson(picks, name="Où implanter", marker=folium.CircleMarker(),
                       style_function=lambda f: {"radius": 11, "color": "#000", "weight": 3,
                                                 "fill": True, "fillColor": "#ffffff",
                                                 "fillOpacity": 1, "className": "olls-suggestion"},
                       tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False)).add_to(m)
    programme_lines = add_programme_layers(m, programme_places)
    folium.LayerControl(collapsed=True).add_to(m)
    legend = access_legend(target, estimated, has_approximate(places))
    place_legend(m, "<br>".join([legend, *programme_lines]),
                 _data_features(communes, places, suggestions, programme_places),
                 view_bounds(communes, places), height)
    return assert_inert(m)


# --- Places of national programmes (context layers) ------------------------------------------
# Not lieux de lien social: squares, triangles and diamonds, never the places' circles.
PROGRAMME_COLOURS = {"france_services": "#00796b", "itinerant": "#00796b", "fabrique": "#6a1b9a",
                     "manufacture": "#8d4b00"}
_SYMBOL_BASE = "display:inline-block;vertical-align:middle;box-sizing:border-box;"
PROGRAMME_SYMBOLS = {
    "france_services": (f"{_SYMBOL_BASE}width:13px;height:13px;background:#00796b;"
                        "border:1.5px solid #fff;box-shadow:0 0 0 1px #00796b"),
    "itinerant": (f"{_SYMBOL_BASE}width:13px;height:13px;background:#fff;"
                  "border:2.5px dashed #00796b;border-radius:4px"),
    "fabrique": (f"{_SYMBOL_BASE}width:0;height:0;border-left:8px solid transparent;"
                 "border-right:8px solid transparent;border-bottom:14px solid #6a1b9a"),
    "manufacture": (f"{_SYMBOL_BASE}width:11px;height:11px;background:#8d4b00;"
                    "border:1.5px solid #fff;transform:rotate(45deg);"
                    "box-shadow:0 0 0 1px #8d4b00"),
}
#: Layer order and names: the France services that travel get a layer (and a symbol) of
#: their own.
PROGRAMME_LAYERS = (
    ("france_services", programme_rules.LAYER_LABELS["france_services"]),
    ("itinerant", programme_rules.ITINERANT_LABEL),
    ("fabrique", programme_rules.LAYER_LABELS["fabrique"]),
    ("manufacture", programme_rules.LAYER_LABELS["manufacture"]),
)


def programme_symbol_html(key: str, margin: bool = True) -> str:
    """A programme's symbol (our constant CSS, no data): with a right margin before its
    legend label, without on the map."""
    spacing = ";margin-right:5px" if margin else ""
    return (f"<span class='olls-programme-symbol olls-programme-{key}' "
            f"style='{PROGRAMME_SYMBOLS[key]}{spacing}'></span>")


def programme_layer_key(programme: object, fmt: object) -> str:
    """Which layer a programme place goes to: ``itinerant`` for a France services bus or
    itinerant service, its programme otherwise."""
    return "itinerant" if programme_rules.is_itinerant(programme, fmt) else str(programme)


def programme_tooltip(place: Mapping[str, object]) -> str:
    """A programme place's tooltip: name, kind and format, commune, address, source; every
    value escaped."""
    kind = programme_rules.kind_label(place.get("programme"), place.get("format"))
    fmt = programme_rules.format_label(place.get("format"))
    where = ", ".join(esc(v) for v in (place.get("address"), place.get("commune"))
                      if not formatting.is_blank(v))
    vintage = place.get("vintage")
    return (f"<b>{esc(place.get('name'))}</b><br>{esc(kind)}"
            + (f" ({esc(fmt)})" if fmt and kind != programme_rules.ITINERANT_LABEL else "")
            + (f"<br>{where}" if where else "")
            + (" <i>(centre de la commune)</i>" if place.get("position") == "commune" else "")
            + "<br><i>Programme national, hors inventaire"
            + (f" · ANCT, {esc(vintage)}" if not formatting.is_blank(vintage) else "")
            + "</i>")


def programme_geojson(frame: pd.DataFrame) -> dict:
    """The programme places as points with their (escaped) tooltip."""
    features = []
    for place in frame.to_dict(orient="records"):
        if is_missing(place.get("lon")) or is_missing(place.get("lat")):
            continue
        features.append({"type": "Feature", "properties": {"tooltip": programme_tooltip(place)},
                         "geometry": {"type": "Point", "coordinates": [
                             round(float(place["lon"]), COORD_DECIMALS),
                             round(float(place["lat"]), COORD_DECIMALS)]}})
    return {"type": "FeatureCollection", "features": features}


def add_programme_layers(m: folium.Map, frame: pd.DataFrame | None) -> list[str]:
    """Draw the programme places (one layer per symbol, ``PROGRAMME_LAYERS``), not
    clickable as places; the legend lines of the layers drawn."""
    if frame is None or frame.empty:
        return []
    keys = [programme_layer_key(p, f) for p, f in zip(frame["programme"],
                                                      frame.get("format", [None] * len(frame)),
                                                      strict=True)]
    lines = []
    for key, label in PROGRAMME_LAYERS:
        data = programme_geojson(frame[[k == key for k in keys]])
        if not data["features"]:
            continue
        icon = folium.DivIcon(html=programme_symbol_html(key, margin=False),
                              icon_size=(16, 16), icon_anchor=(8, 8),
                              class_name=f"olls-programme olls-programme-layer-{key}")
        _geojson(data, name=label, marker=folium.Marker(icon=icon),
                 tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False)).add_to(m)
        lines.append(programme_symbol_html(key) + esc(label))
    if lines:
        lines.insert(0, "<b>Programmes nationaux (hors inventaire)</b>")
    return lines
