"""The map as one self-contained HTML file that opens from ``file://`` with no network.

The map is the app's (``observatory.maps.build_map``: escaping lives there, HTML and
template syntax both, since branca compiles the rendered script as Jinja); Leaflet and
jQuery come from the project's ``static/vendor`` folder and are inlined (``<script>`` and
``<style>`` blocks, the CSS images as ``data:`` URIs), so no CDN address remains.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import folium

from observatory import maps
from observatory.bundle import Bundle
from observatory.exports import common
from observatory.formatting import integer, long_date

VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor"
ASSET = "olls-asset:"  # placeholder scheme, replaced by the file's content
JS = [("leaflet", ASSET + "leaflet/leaflet.js"), ("jquery", ASSET + "jquery/jquery.min.js")]
CSS = [("leaflet_css", ASSET + "leaflet/leaflet.css")]
SCRIPT_TAG = re.compile(r'<script src="([^"]*)"></script>')
LINK_TAG = re.compile(r'<link rel="stylesheet" href="([^"]*)"\s*/?>')
REMOTE = re.compile(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["\']?(?:https?:)?//',
                    re.IGNORECASE)
# The title box sits at the top left: the legend takes another corner (or goes beside the data).
LEGEND_CORNERS = tuple(c for c in maps.CORNERS if c != "topleft")


def build_html(bundle: Bundle, include_contacts: bool = False) -> bytes:
    """The territory map with every place of the bundle, as UTF-8 HTML bytes."""
    bundle = common.prepare(bundle, include_contacts)
    m = maps.build_map(bundle.communes(), bundle.places, territory_name=bundle.territory_name,
                       excluded_label=common.excluded_label(bundle), height="100%",
                       legend_corners=LEGEND_CORNERS)
    if include_contacts and "contact" in bundle.places:
        _add_contacts(m, bundle)
    _add_title(m, bundle)
    m.default_js, m.default_css = JS, CSS  # instance attributes: the class stays untouched
    maps.assert_inert(m)  # branca compiles what it renders as Jinja: nothing may hold {{ or {%
    return inline_assets(m.get_root().render()).encode("utf-8")


def _add_contacts(m: folium.Map, bundle: Bundle) -> None:
    """Append each place's contact, escaped, to its popup (only when explicitly included)."""
    contacts = bundle.places["contact"].map(common.clean_text)
    for child in m._children.values():
        if isinstance(child, maps.PlacesLayer):
            child.add_contacts(contacts)


def _add_title(m: folium.Map, bundle: Bundle) -> None:
    title = f"Observatoire des lieux de lien social — {bundle.territory_name} — {bundle.label}"
    subtitle = f"{long_date(bundle.created_at)} · {integer(len(bundle.places))} lieux"
    warning = common.demo_note(bundle)
    root = m.get_root()
    root.header.add_child(folium.Element(f"<title>{maps.esc(title)}</title>"))
    root.html.add_child(folium.Element(
        "<div class='olls-title' style='position:absolute;top:8px;left:50px;z-index:1000;"
        "background:rgba(255,255,255,.92);padding:6px 10px;border-radius:4px;max-width:60%;"
        "font:13px/1.4 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)'>"
        f"<b>{maps.esc(title)}</b><br>{maps.esc(subtitle)}"
        + (f"<br><span style='color:#9c0006'>{maps.esc(warning)}</span>" if warning else "")
        + "</div>"))


def _asset(url: str) -> str:
    path = VENDOR / url.removeprefix(ASSET)
    if not url.startswith(ASSET) or not path.is_file():
        raise FileNotFoundError(
            f"Ressource cartographique introuvable pour l'export HTML : {url} "
            f"(attendu dans {VENDOR}).")
    return path.read_text(encoding="utf-8")


def _inline_script(match: re.Match) -> str:
    code = _asset(match.group(1))
    if "</script" in code.lower():  # would close the block early: fall back to a data: URI
        encoded = base64.b64encode(code.encode("utf-8")).decode("ascii")
        return f'<script src="data:text/javascript;base64,{encoded}"></script>'
    return f"<script>{code}</script>"


def _inline_css(match: re.Match) -> str:
    css = _asset(match.group(1))
    folder = (VENDOR / match.group(1).removeprefix(ASSET)).parent

    def image(found: re.Match) -> str:
        path = folder / found.group(1)
        if not path.is_file():
            return found.group(0)
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return "<style>" + re.sub(r"url\((images/[\w.-]+\.png)\)", image, css) + "</style>"


def inline_assets(page: str) -> str:
    """Replace the placeholder asset tags by their content; refuse any remaining remote one."""
    page = SCRIPT_TAG.sub(_inline_script, page)
    page = LINK_TAG.sub(_inline_css, page)
    remote = REMOTE.search(page)
    if remote:
        raise ValueError(f"L'export HTML chargerait une ressource distante : {remote.group(0)}")
    return page
