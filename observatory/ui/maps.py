"""The Streamlit side of the maps: local Leaflet assets under the app's static folder and
the place a click selected (from ``st_folium``'s return value).

The builders live in ``observatory.maps`` (Streamlit-free, used by the exports too); their
public names are re-exported here so that pages written against ``observatory.ui.maps``
keep working until they import ``observatory.maps`` directly.
"""

from __future__ import annotations

from collections.abc import Mapping

import folium

from observatory.maps import (  # noqa: F401  (re-exported for the pages)
    ACCESS_BINS,
    CANVAS_LIMIT,
    COMMUNE_DETAIL_LIMIT,
    CONTEXT_STYLE,
    COORD_DECIMALS,
    EPCI_STYLE,
    EXCLUDED_OUTLINE,
    EXCLUDED_STYLE,
    MATURE_STYLE,
    METROPOLITAN_FRANCE,
    NO_PLACE_COLOUR,
    PALETTE,
    PERIMETER_STYLE,
    PLACE_STYLE,
    SELECTED_RING,
    TEMPLATE_SYNTAX,
    Legend,
    access_colour,
    access_legend,
    add_links,
    assert_inert,
    base_geojson,
    build_access_map,
    build_map,
    colour_for,
    communes_geojson,
    esc,
    inert,
    legend_html,
    links_geojson,
    padded_bounds,
    place_popup_html,
    places_geojson,
    round_coordinates,
    tiles_reachable,
    view_bounds,
)

STATIC_URL = "/app/static/vendor"


def use_local_assets(base_url: str = STATIC_URL) -> None:
    """Point folium (and streamlit-folium, which reads the same lists) at the copies the app
    serves from its ``static/`` folder."""
    folium.Map.default_js = [
        ("leaflet", f"{base_url}/leaflet/leaflet.js"),
        ("jquery", f"{base_url}/jquery/jquery.min.js"),
    ]
    folium.Map.default_css = [("leaflet_css", f"{base_url}/leaflet/leaflet.css")]


def selected_place_id(map_state: Mapping[str, object] | None) -> int | None:
    """The place a click on the map selected (from st_folium's return value), if any."""
    if not map_state:
        return None
    drawing = map_state.get("last_active_drawing") or {}
    props = drawing.get("properties") if isinstance(drawing, Mapping) else None
    if isinstance(props, Mapping) and props.get("place_id") is not None:
        try:
            return int(props["place_id"])
        except (TypeError, ValueError):
            return None
    return None
