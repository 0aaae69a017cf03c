"""The Carte map against a naive folium map at 3,500 places, side by side (run by hand).

    .venv/bin/python benchmarks/carte_vs_naive.py [--places 3500] [--runs 3] [--draws 3]
                                                  [--out /tmp/carte_vs_naive] [--no-browser]

Data: the shipped territory (PETR de l'Ariège, 231 communes) in a fresh database, and N
synthetic places drawn from the 42 demonstration places (annotated as the app does:
maturity, scores), jittered by about 2 km, each with a new id and name.

Two maps with the same base layers (commune polygons with their tooltips and EPCI outlines,
``maps.base_geojson``, computed once as the app caches them), no tiles:

- *app*: ``maps.build_map`` as the Carte page calls it;
- *naive*: a ``folium.Map`` with the same two base layers and one ``folium.Marker`` with a
  ``folium.Popup`` (the same popup HTML, ``maps.place_popup_html``) per place.

Build + render: the map built, then what ``st_folium(..., render=False)`` does with it
(``Map.render`` then the html, header and script it sends to the browser, taken with
streamlit-folium's own functions); median of ``--runs``. Draw: each map's html, header and
script assembled in one page as the st_folium component does (Leaflet and jQuery from the
app's ``static/`` folder), served by a local HTTP server and opened in headless Chromium
(Debian's, through Playwright); the time from navigation start until the script has run
and two animation frames have passed (the markers are in the DOM, the canvas painted),
after checking that all N places are on the map; median of ``--draws`` fresh pages.

Targets (issue 12): the app's map ≥ 15× faster to build + render, ≥ 5× faster to draw.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import folium  # noqa: E402
import streamlit_folium  # noqa: E402

from observatory import bootstrap, catalogue, maps  # noqa: E402
from observatory.store import db, rules, territory  # noqa: E402
from observatory.store import places as store_places  # noqa: E402
from observatory.territory.config import load_territory_config  # noqa: E402
from observatory.ui.maps import use_local_assets  # noqa: E402

TERRITORY_TOML = ROOT / "data" / "territory" / "territory.toml"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]
JITTER_DEG = 0.02
HEIGHT_PX = 620
TARGET_BUILD = 15.0
TARGET_DRAW = 5.0


def data(out: Path, n: int, seed: int):
    """(communes, territory meta, N synthetic places annotated as the app does)."""
    path = out / "bench.duckdb"
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    bootstrap.init_database(path, load_territory_config(TERRITORY_TOML), with_demo=True)
    with db.session(path) as con:
        communes = territory.communes(con)
        meta = territory.meta(con)
        demo = catalogue.annotate(store_places.current(con), rules.current(con))
    rng = np.random.default_rng(seed)
    places = demo.iloc[rng.integers(0, len(demo), n)].reset_index(drop=True)
    places["id"] = np.arange(1, n + 1)
    places["name"] = [f"{name} n° {k}" for k, name in enumerate(places["name"], start=1)]
    places["lon"] = places["lon"] + rng.normal(0, JITTER_DEG, n)
    places["lat"] = places["lat"] + rng.normal(0, JITTER_DEG, n)
    return communes, meta, places


def app_map(communes, meta, places, base) -> folium.Map:
    return maps.build_map(communes, places, territory_name=meta.get("name", ""),
                          excluded_label=meta.get("excluded_zone_label", ""),
                          base_layers=base)


def naive_map(communes, meta, places, base) -> folium.Map:
    """What one would write first: the same base layers, then a Marker and a Popup per place."""
    m = folium.Map(tiles=None, control_scale=False, height=HEIGHT_PX)
    m.options["max_zoom"] = 18
    commune_layer, outlines = base
    maps._geojson(
        commune_layer, name="Communes",
        style_function=lambda f: {"perimeter": maps.PERIMETER_STYLE,
                                  "excluded": maps.EXCLUDED_STYLE,
                                  "context": maps.CONTEXT_STYLE}[f["properties"]["kind"]],
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False)).add_to(m)
    maps._geojson(outlines, name="Intercommunalités", interactive=False,
                  style_function=lambda f: maps.EPCI_STYLE).add_to(m)
    for place in places.to_dict(orient="records"):
        folium.Marker(
            [float(place["lat"]), float(place["lon"])],
            tooltip=maps.esc(place["name"]),
            popup=folium.Popup(maps.place_popup_html(place), max_width=320),
        ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    minx, miny, maxx, maxy = communes[communes["in_perimeter"]].total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def st_folium_parts(m: folium.Map) -> dict:
    """What ``st_folium(m, render=False)`` computes and sends (streamlit-folium's functions)."""
    m.render()
    html = streamlit_folium._get_html(m)
    header = streamlit_folium._get_header(m)
    script = streamlit_folium._get_map_string(m)
    css, js = [], []
    for element in _walk(m):
        css.extend(href for _, href in getattr(element, "default_css", []))
        js.extend(src for _, src in getattr(element, "default_js", []))
    return {"html": html, "header": header, "script": script,
            "css": list(dict.fromkeys(css)), "js": list(dict.fromkeys(js))}


def _walk(element):
    if isinstance(element, folium.elements.JSCSSMixin):
        yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def build_and_render(make, *args) -> tuple[float, dict]:
    start = time.perf_counter()
    parts = st_folium_parts(make(*args))
    return time.perf_counter() - start, parts


DRAWN = """
<script>
window.map = map_div;
requestAnimationFrame(function () { requestAnimationFrame(function () {
    window.__drawn = performance.now();
}); });
</script>"""


def page(parts: dict) -> str:
    """The component's page: assets, header, html, the map's div and its script."""
    links = "".join(f'<link rel="stylesheet" href="{href}"/>' for href in parts["css"])
    scripts = "".join(f'<script src="{src}"></script>' for src in parts["js"])
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>" + links + scripts
            + parts["header"] + "</head><body style='margin:0'>" + parts["html"]
            + f"<div id='map_div' style='width:100%;height:{HEIGHT_PX}px'></div>"
            + "<script>" + parts["script"] + "</script>" + DRAWN + "</body></html>")


COUNT_PLACES = """() => {
    var n = 0;
    map_div.eachLayer(function (layer) {
        if (layer instanceof L.Marker) { n += 1; }
        else if (layer instanceof L.CircleMarker && layer.feature
                 && layer.feature.properties.place_id !== undefined) { n += 1; }
    });
    return n;
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def draw_times(pages: dict[str, str], n: int, draws: int, out: Path) -> dict[str, list[float]]:
    """Seconds from navigation start to drawn, for each page, ``draws`` fresh pages each
    (interleaved, so both maps see the same load)."""
    from playwright.sync_api import sync_playwright

    site = out / "site"
    shutil.rmtree(site, ignore_errors=True)
    (site / "app").mkdir(parents=True)
    os.symlink(ROOT / "static", site / "app" / "static")  # the app's /app/static/ URLs
    for name, text in pages.items():
        (site / f"{name}.html").write_text(text, encoding="utf-8")
    server, base = serve(site)
    times: dict[str, list[float]] = {name: [] for name in pages}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                for _ in range(draws + 1):  # the first round warms the browser up
                    for name in pages:
                        tab = browser.new_page(viewport={"width": 1280, "height": 800})
                        tab.goto(f"{base}/{name}.html", timeout=300_000)
                        tab.wait_for_function("window.__drawn !== undefined", timeout=300_000)
                        drawn = tab.evaluate("window.__drawn") / 1000
                        shown = tab.evaluate(COUNT_PLACES)
                        if shown != n:
                            raise RuntimeError(f"{name}: {shown} places on the map, not {n}")
                        times[name].append(drawn)
                        tab.close()
                for name in pages:
                    times[name] = times[name][1:]
            finally:
                browser.close()
    finally:
        server.shutdown()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=3500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=Path("/tmp/carte_vs_naive"))
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    use_local_assets()

    communes, meta, places = data(args.out, args.places, args.seed)
    base = maps.base_geojson(communes, meta.get("excluded_zone_label", ""))
    load = Path("/proc/loadavg").read_text().split()[:3]
    builds: dict[str, list[float]] = {"app": [], "naive": []}
    parts = {}
    for _ in range(args.runs):  # interleaved: both see the same load
        for name, make in (("app", app_map), ("naive", naive_map)):
            seconds, parts[name] = build_and_render(make, communes, meta, places, base)
            builds[name].append(seconds)
    sizes = {name: sum(len(parts[name][k]) for k in ("html", "header", "script"))
             for name in parts}
    build = {name: statistics.median(values) for name, values in builds.items()}
    print(f"{args.places:,} places, {len(communes)} communes; load average {' '.join(load)}")
    for name in ("app", "naive"):
        print(f"  {name:5} build + render: " + ", ".join(f"{s:.2f}" for s in builds[name])
              + f" s (median {build[name]:.2f} s); sent {sizes[name] / 1e6:.2f} MB")
    build_ratio = build["naive"] / build["app"]
    rows = [("Build + render, st_folium (s)", build["app"], build["naive"], build_ratio,
             TARGET_BUILD)]
    if not args.no_browser:
        draws = draw_times({name: page(parts[name]) for name in ("app", "naive")},
                           args.places, args.draws, args.out)
        draw = {name: statistics.median(values) for name, values in draws.items()}
        for name in ("app", "naive"):
            print(f"  {name:5} draw in Chromium: " + ", ".join(f"{s:.2f}" for s in draws[name])
                  + f" s (median {draw[name]:.2f} s)")
        rows.append(("Draw in headless Chromium (s)", draw["app"], draw["naive"],
                     draw["naive"] / draw["app"], TARGET_DRAW))
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\nLoad average before: {' '.join(load)}; after: {' '.join(load_after)} "
          f"({os.cpu_count()} CPUs)\n")
    print("| | App (Carte) | Naive (Marker + Popup) | Ratio | Target |")
    print("|---|---:|---:|---:|---:|")
    for label, app, naive, ratio, target in rows:
        print(f"| {label} | {app:.2f} | {naive:.2f} | {ratio:.1f}× "
              f"{'✓' if ratio >= target else '✗'} | ≥ {target:g}× |")
    print(f"| Sent to the browser (MB) | {sizes['app'] / 1e6:.2f} | {sizes['naive'] / 1e6:.2f} "
          "| | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
