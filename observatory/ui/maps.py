"""The Streamlit side of the maps: local Leaflet assets under the app's static folder and
the place a click selected (from ``st_folium``'s return value).

The builders live in ``observatory.maps`` (Streamlit-free, used by the exports too); pages
import them from there.
"""

from __future__ import annotations

from collections.abc import Mapping

import folium

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
