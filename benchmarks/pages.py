"""Page benchmark: every page of the app on the demonstration data (run by hand).

    .venv/bin/python benchmarks/pages.py [--runs 5] [--out /tmp/pages] [--only Lieux …]
                                         [--profile] [--browser]

Builds the 42-place demonstration database of the shipped territory (PETR de l'Ariège,
``bootstrap.init_database(..., with_demo=True)``, as ``tests/app/conftest.py`` does), then,
for each of the twelve pages of ``observatory/ui/pages.py``, drives the real ``app.py``
through Streamlit's AppTest with ``OBSERVATORY_TILES=off``:

- *first run*: a fresh AppTest opened on that page with empty Streamlit caches (data and
  resources); the Python libraries are imported beforehand, and one warm-up run of the whole
  app has imported the page modules, so this measures the app's own work, not ``import``;
- *rerun*: the same AppTest after toggling the sidebar filter « Lieux matures seulement »
  (``f_mature``), alternately on and off.

Each figure is the median of ``--runs`` runs (a fresh database copy per first run). The
script prints a Markdown table; targets on an idle 2-core machine: first run < 2 s, rerun
< 0.5 s. ``--profile`` writes cProfile statistics (cumulative and own time) of one first
run and one rerun of each measured page to ``--out``.

``--browser`` also opens each page in headless Chromium (Debian's, through Playwright) on a
real ``streamlit run app.py`` of a fresh copy of the database: the first open right after
the server started (its first session: Python imports included), then ``--runs`` fresh tabs;
each time from navigation start until the script has finished (no running indicator), every
Plotly chart is drawn and every st_folium map has drawn its Leaflet container. This is what
a person waits for; the AppTest figures are the Python part of it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from observatory import bootstrap  # noqa: E402
from observatory.territory.config import load_territory_config  # noqa: E402
from observatory.ui.pages import PAGES  # noqa: E402

APP_FILE = ROOT / "app.py"
TERRITORY_TOML = ROOT / "data" / "territory" / "territory.toml"
TARGET_FIRST_S = 2.0
TARGET_RERUN_S = 0.5

_PROFILER: dict[str, cProfile.Profile | None] = {"current": None}


def _prepare_apptest() -> None:
    """AppTest as a running server behaves once app.py has called st.navigation (see
    tests/app/conftest.py), plus a hook so cProfile sees the script thread."""
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit import logger
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    logger.set_log_level("error")

    class _NavigationPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    app_test_module.PagesManager = _NavigationPagesManager
    original = LocalScriptRunner._run_script_thread

    def _run_script_thread(self):
        profiler = _PROFILER.get("current")
        if profiler is None:
            return original(self)
        profiler.enable()
        try:
            return original(self)
        finally:
            profiler.disable()

    LocalScriptRunner._run_script_thread = _run_script_thread


def _clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def _new_app(db_path: Path, page: str):
    from streamlit.testing.v1 import AppTest

    os.environ["OBSERVATORY_DB"] = str(db_path)
    os.environ["OBSERVATORY_TILES"] = "off"
    _clear_caches()
    at = AppTest.from_file(str(APP_FILE), default_timeout=300)
    at.switch_page(page)
    return at


def _timed_run(at, profiler: cProfile.Profile | None = None) -> float:
    _PROFILER["current"] = profiler
    try:
        start = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - start
    finally:
        _PROFILER["current"] = None
    if at.exception:
        raise RuntimeError(f"the page failed: {[e.value for e in at.exception]}")
    return seconds


def _fresh_copy(source: Path, work: Path, k: int) -> Path:
    target = work / f"run-{k}.duckdb"
    for stale in (target, target.with_name(target.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.copy(source, target)
    return target


def measure(page, source: Path, work: Path, runs: int) -> dict:
    """First runs (fresh app, fresh copy, empty caches) and filter reruns of one page."""
    firsts, reruns = [], []
    for k in range(runs):
        at = _new_app(_fresh_copy(source, work, k), page.path)
        firsts.append(_timed_run(at))
        drawn = drawn_elements(at)
        for value in (True, False):
            at.toggle(key="f_mature").set_value(value)
            reruns.append(_timed_run(at))
        del at
    return {"first": firsts, "rerun": reruns, "drawn": drawn}


def profile(page, source: Path, work: Path, out: Path) -> Path:
    at = _new_app(_fresh_copy(source, work, 99), page.path)
    buffer = io.StringIO()
    for label in ("first run", "rerun"):
        if label == "rerun":
            at.toggle(key="f_mature").set_value(True)
        profiler = cProfile.Profile()
        seconds = _timed_run(at, profiler)
        buffer.write(f"==== {page.title}: {label} ({seconds:.2f} s, under the profiler)\n")
        stats = pstats.Stats(profiler, stream=buffer)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(20)
    name = Path(page.path).stem
    target = out / f"profile-{name}.txt"
    target.write_text(buffer.getvalue(), encoding="utf-8")
    return target


BROWSER_DONE = """(expected) => {
    if (document.querySelector('[data-testid="stStatusWidget"]')) { return false; }
    if (!document.querySelector('[data-testid="stMain"] h1')) { return false; }
    var charts = document.querySelectorAll('.js-plotly-plot .main-svg').length;
    if (charts < expected.charts) { return false; }
    var drawn = 0, maps = document.querySelectorAll('iframe[title="streamlit_folium.st_folium"]');
    for (var i = 0; i < maps.length; i++) {
        var doc = maps[i].contentDocument;
        if (doc && doc.querySelector('.leaflet-container')) { drawn += 1; }
    }
    return drawn >= expected.maps;
}"""


def drawn_elements(at) -> dict[str, int]:
    """What the browser must have drawn for this page: its Plotly charts (each draws its
    ``main-svg`` layers) and its st_folium maps, as AppTest saw them."""
    maps = [e for e in at.get("component_instance")
            if "st_folium" in getattr(e.proto, "component_name", "")]
    return {"charts": len(at.get("plotly_chart")), "maps": len(maps)}


def page_url(page) -> str:
    """The URL path Streamlit gives a page: its file name, ``/`` for the default one."""
    return "/" if page.default else "/" + Path(page.path).stem


def browser_times(pages, drawn: dict[str, dict], source: Path, work: Path,
                  runs: int) -> dict[str, list[float]]:
    """Seconds until each page is drawn in Chromium: [first open on a fresh server, …]."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path, start_app

    times: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            for page in pages:
                folder = work / f"server-{Path(page.path).stem}"
                folder.mkdir(exist_ok=True)
                process, url = start_app(_fresh_copy(source, folder, 0), folder)
                try:
                    times[page.title] = []
                    for _ in range(runs + 1):
                        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
                        start = time.perf_counter()
                        tab.goto(url + page_url(page))
                        tab.wait_for_function(BROWSER_DONE, arg=drawn[page.title], timeout=300_000,
                                             polling=50)
                        times[page.title].append(time.perf_counter() - start)
                        tab.close()
                finally:
                    process.terminate()
                    process.wait(timeout=30)
                print(f"{page.title}: in Chromium " + ", ".join(
                    f"{s:.1f}" for s in times[page.title]) + " s (first: fresh server)",
                    flush=True)
        finally:
            browser.close()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("/tmp/pages"))
    parser.add_argument("--only", nargs="+", metavar="TITLE",
                        help="page titles to measure (all twelve by default)")
    parser.add_argument("--profile", action="store_true",
                        help="also write cProfile statistics of each measured page")
    parser.add_argument("--browser", action="store_true",
                        help="also time each page in headless Chromium on a real server")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    # Import the heavy libraries now: a first run measures the app, not Python's imports.
    import folium  # noqa: F401
    import geopandas  # noqa: F401
    import plotly.express  # noqa: F401
    import streamlit_folium  # noqa: F401
    from streamlit.testing.v1 import AppTest  # noqa: F401
    _prepare_apptest()

    source = args.out / "demo.duckdb"
    for stale in (source, source.with_name(source.name + ".wal")):
        stale.unlink(missing_ok=True)
    bootstrap.init_database(source, load_territory_config(TERRITORY_TOML), with_demo=True)
    pages = [p for p in PAGES if not args.only or p.title in args.only]

    # Warm-up: every page once, so the modules the pages import are imported.
    for page in pages:
        _timed_run(_new_app(_fresh_copy(source, args.out, 0), page.path))

    load = Path("/proc/loadavg").read_text().split()[:3]
    rows, drawn = [], {}
    for page in pages:
        result = measure(page, source, args.out, args.runs)
        first, rerun = statistics.median(result["first"]), statistics.median(result["rerun"])
        rows.append((page.title, first, rerun))
        drawn[page.title] = result["drawn"]
        print(f"{page.title}: first runs " + ", ".join(f"{s:.2f}" for s in result["first"])
              + " s; reruns " + ", ".join(f"{s:.2f}" for s in result["rerun"]) + " s",
              flush=True)
        if args.profile:
            print(f"  profile: {profile(page, source, args.out, args.out)}", flush=True)
    browser = browser_times(pages, drawn, source, args.out, args.runs) if args.browser else {}
    load_after = Path("/proc/loadavg").read_text().split()[:3]

    print(f"\nLoad average before: {' '.join(load)}; after: {' '.join(load_after)} "
          f"({os.cpu_count()} CPUs); medians of {args.runs} first runs and "
          f"{2 * args.runs} reruns.\n")
    extra = (" Chromium, fresh server (s) | Chromium, median (s) |" if browser else "")
    print("| Page | First run (s) | Rerun after a filter change (s) |" + extra)
    print("|---|---:|---:|" + ("---:|---:|" if browser else ""))
    for title, first, rerun in rows:
        flag_first = "" if first < TARGET_FIRST_S else " ✗"
        flag_rerun = "" if rerun < TARGET_RERUN_S else " ✗"
        cells = (f" {browser[title][0]:.1f} | {statistics.median(browser[title][1:]):.1f} |"
                 if browser else "")
        print(f"| {title} | {first:.2f}{flag_first} | {rerun:.2f}{flag_rerun} |" + cells)
    print(f"\nTargets: first run < {TARGET_FIRST_S:g} s, rerun < {TARGET_RERUN_S:g} s "
          "(✗: missed).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
