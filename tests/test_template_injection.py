"""Hostile text in every free-text field comes out verbatim and inert: maps and every export.

folium/branca compile each rendered map script again as a Jinja template, so a value holding
``{{ 7*7 }}`` came out as ``49``, ``{{ cycler.__init__.__globals__... }}`` ran Python on the
server and ``{% raw %}`` raised ``TemplateSyntaxError``. The payloads go straight into the
store (as an older file, the CLI or a direct write could hold them: the importer refuses
HTML, the store does not). ``hostile_db`` is shared with the AppTest and browser tests.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from jinja2.utils import htmlsafe_json_dumps

from observatory import exports, maps
from observatory.consortia import Consortium
from observatory.equipment import Equipment
from observatory.exports import html_map
from observatory.model import CRITERIA_KEYS
from observatory.store import consortia as store_consortia
from observatory.store import db, evaluations, live, places
from observatory.store import equipment as store_equipment
from observatory.store import snapshots as store_snapshots
from observatory.ui import fmt

PAYLOADS = (
    "{{7*7}}",
    "{% raw %}",
    "{{ cycler.__init__.__globals__ }}",
    "${7*7}",
    "<%= 7*7 %>",
    "</script><script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "{nb}",  # fpdf2's alias for the page count
    "&amp;",  # markdown and HTML decode entities: must show as typed
    "<a href=//evil.example>a</a>",  # Plotly renders links and styles...
    "<span style=color:red>b</span>",
    "$x^2$",  # ...and matplotlib (PDF charts) renders $…$ as mathematics
)
PAYLOAD = " ".join(PAYLOADS)
WEBSITE = "javascript:alert(document.domain)//{{7*7}}"
# What a template engine would have made of the payloads (``{{7*7}}`` follows each field
# tag, the globals' repr lists ``__builtins__``): never in any output.
EVALUATED = (": 49 ", "__builtins__", "TemplateSyntaxError")


# Fields the store caps in length: their payload is cut (the cut one is what is written).
LIMITED = {"Consortium": 200, "Équipement": 200}


def tagged(field: str) -> str:
    """The payload behind a field tag, so each field can be told apart in the outputs."""
    return f"{field}: {PAYLOAD}"[:LIMITED.get(field)]


FIELDS = ("Lieu", "Commune", "EPCI", "Typologie", "Thématique", "Preuve", "Évaluateur",
          "Consortium", "Description", "Équipement", "Notes équipement", "Instantané",
          "Appel")  # "Appel": the call's notes and an application's planned equipment


def hostile_db(source: Path, target: Path) -> dict[str, object]:
    """A copy of the demo database with the payload in every free-text field.

    Returns what was written: ``place_id`` (the renamed place, also the consortium lead),
    ``member_id``, ``insee``, ``snapshot_id`` and every tagged value by field.
    """
    shutil.copy(source, target)
    con = db.connect(target)
    try:
        current = places.current(con).sort_values("id")
        first, second = (int(i) for i in current["id"].iloc[:2])
        stored = places.get(con, first)
        with db.transaction(con):
            places.update(con, first, {"name": tagged("Lieu"), "typology": tagged("Typologie"),
                                       "thematics": [tagged("Thématique")], "website": WEBSITE},
                          stored["version"], actor=tagged("Évaluateur"))
            insee = stored["insee"]
            con.execute("UPDATE communes SET name = ? WHERE insee = ?", [tagged("Commune"), insee])
            con.execute("UPDATE epci SET name = ? WHERE siren = (SELECT epci_siren FROM communes "
                        "WHERE insee = ?)", [tagged("EPCI"), insee])
            evaluations.create(con, {"place_id": first, "evaluated_on": dt.date(2026, 3, 1),
                                     "evaluator": tagged("Évaluateur"),
                                     "evidence": tagged("Preuve"),
                                     **dict.fromkeys(CRITERIA_KEYS, 3)}, tagged("Évaluateur"))
            consortium_id = store_consortia.create(con, Consortium(
                name=tagged("Consortium"), member_ids=[first, second], lead_place_id=first,
                call_year=2026, status="submitted", description=tagged("Description")),
                tagged("Évaluateur"))
            store_equipment.create(con, Equipment(
                name=tagged("Équipement"), category="tools", owner_place_id=first,
                consortium_id=consortium_id, call_year=2026, notes=tagged("Notes équipement")),
                actor=tagged("Évaluateur"))
            store_equipment.save_call(con, 2026, 50000.0, dt.date(2026, 1, 15),
                                      dt.date(2026, 4, 30), notes=tagged("Appel"),
                                      actor=tagged("Évaluateur"))
            store_equipment.save_application(con, {
                "call_year": 2026, "consortium_id": consortium_id, "amount_requested": 20000.0,
                "amount_granted": 15000.0, "equipment_planned": tagged("Appel"),
                "status": "funded"}, actor=tagged("Évaluateur"))
            snapshot_id = store_snapshots.create(con, live.bundle(
                con, label=tagged("Instantané"), created_by=tagged("Évaluateur")))
    finally:
        con.close()
    return {"place_id": first, "member_id": second, "insee": insee, "snapshot_id": snapshot_id,
            **{field: tagged(field) for field in FIELDS}}


def assert_not_evaluated(text: str) -> None:
    for evaluated in EVALUATED:
        assert evaluated not in text, evaluated


@pytest.fixture(scope="module")
def hostile_path(demo_db, tmp_path_factory) -> tuple[Path, dict[str, object]]:
    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    return path, hostile_db(demo_db, path)


@pytest.fixture(scope="module")
def live_bundle(hostile_path):
    path, _ = hostile_path
    con = db.connect(path, read_only=True)
    try:
        return live.bundle(con, label=tagged("Instantané"), created_by=tagged("Évaluateur"))
    finally:
        con.close()


def in_script(text: str) -> str:
    """How a displayed string reaches the map script: escaped once, then JSON-encoded by
    folium's ``tojson`` (without the quotes)."""
    return str(htmlsafe_json_dumps(maps.esc(text)))[1:-1]


# The escaping function -------------------------------------------------------------------

@pytest.mark.parametrize("payload", PAYLOADS)
def test_esc_leaves_no_template_or_html_syntax_and_reads_back_verbatim(payload):
    escaped = maps.esc(payload)
    assert not set("{}%<>") & set(escaped)
    assert html.unescape(escaped) == payload


def test_inert_neutralises_braces_in_every_string_of_a_data_structure():
    data = {"type": "FeatureCollection", "features": [
        {"properties": {"tooltip": "{{7*7}}", "n": 3, "nested": ["{% raw %}", {"k": "{#"}]}}]}
    out = maps.inert(data)
    props = out["features"][0]["properties"]
    assert [props["tooltip"], *props["nested"][:1], props["nested"][1]["k"]] == [
        "&#123;&#123;7*7&#125;&#125;", "&#123;% raw %&#125;", "&#123;#"]
    assert maps.inert(out) == out  # idempotent: escaped text is left as it is
    assert html.unescape(out["features"][0]["properties"]["nested"][0]) == "{% raw %}"
    assert out["features"][0]["properties"]["n"] == 3


# Every map builder -----------------------------------------------------------------------

def _one_place(bundle, name: str) -> pd.DataFrame:
    frame = bundle.places.copy()
    frame.loc[frame.index[0], "name"] = name
    return frame


@pytest.fixture(scope="module")
def clean_bundle(demo_db):
    from tests.test_exports import load_bundle

    return load_bundle(demo_db)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_territory_map_keeps_each_payload_as_text(clean_bundle, payload):
    name = f"Atelier {payload} du Plantaurel"
    m = maps.build_map(clean_bundle.communes(), _one_place(clean_bundle, name),
                       territory_name=payload, excluded_label=payload)
    page = m.get_root().render()
    assert in_script(name) in page  # the tooltip, as escaped text
    assert "Atelier 49 du Plantaurel" not in page


def test_every_map_builder_renders_hostile_communes_places_links_and_legends(live_bundle,
                                                                            hostile_path):
    _, written = hostile_path
    communes, shown = live_bundle.communes(), live_bundle.places
    links = pd.DataFrame([{"head_id": written["place_id"], "member_id": written["member_id"],
                           "group": tagged("Consortium"), "colour": "#6a3d9a"}])
    density = pd.DataFrame({"epci_siren": communes["epci_siren"].unique(),
                            "places_per_10k": 1.0, "places": 3})
    pages = {
        "territory": maps.build_map(communes, shown, territory_name=tagged("Territoire"),
                                    excluded_label=tagged("Zone"), links=links,
                                    links_name=tagged("Couche"), epci_density=density,
                                    selected_id=written["place_id"]),
        "access": maps.build_access_map(
            communes, pd.DataFrame({"insee": communes["insee"], "minutes": 12.0}), shown,
            minutes_column="minutes", target=tagged("Cible"),
            suggestions=pd.DataFrame([{"lon": 1.6, "lat": 42.96, "rank": 1,
                                       "name": tagged("Suggestion"), "population_added": 10}])),
    }
    for kind, m in pages.items():
        page = m.get_root().render()
        assert_not_evaluated(page)
        expected = (("Lieu", "Commune", "EPCI", "Territoire", "Zone", "Consortium", "Couche")
                    if kind == "territory" else ("Lieu", "Commune", "Cible", "Suggestion"))
        for field in expected:
            assert in_script(tagged(field)) in page, (kind, field)


def test_a_map_holding_raw_template_syntax_is_refused_before_rendering(live_bundle):
    m = maps.build_map(live_bundle.communes(), live_bundle.places)
    html_map_title = maps.folium.Element("<title>{{ 7*7 }}</title>")
    m.get_root().header.add_child(html_map_title)
    with pytest.raises(ValueError, match="modèle"):
        maps.assert_inert(m)


# Every export format ----------------------------------------------------------------------

def test_html_export_of_the_cli_keeps_the_payloads_as_text(hostile_path, tmp_path):
    from observatory import cli

    path, _ = hostile_path
    out = tmp_path / "carte.html"
    assert cli.main(["export", "--db", str(path), "--current", "--format", "html",
                     "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert_not_evaluated(page)
    for field in ("Lieu", "Commune", "EPCI", "Typologie"):
        assert in_script(tagged(field)) in page, field


def test_html_export_of_the_snapshot_carries_its_hostile_label_as_text(hostile_path):
    path, written = hostile_path
    con = db.connect(path, read_only=True)
    try:
        bundle = store_snapshots.read(con, written["snapshot_id"])
    finally:
        con.close()
    page = html_map.build_html(bundle, include_contacts=True).decode("utf-8")
    assert maps.esc(tagged("Instantané")) in page  # <title> and the title box
    assert in_script(tagged("Lieu")) in page


def readable(fmt: str, data: bytes, tmp_path) -> str:
    from tests.test_exports import readable_text

    return readable_text(fmt, data, tmp_path)


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "geojson", "gpkg"])
def test_tabular_exports_keep_every_field_verbatim(live_bundle, fmt, tmp_path):
    text = readable(fmt, exports.build(live_bundle, fmt, include_contacts=True), tmp_path)
    if fmt in ("csv", "gpkg"):  # CSV quoting doubles quotes; the payload holds single quotes
        text = text.replace('""', '"')
    fields = {"xlsx": ("Lieu", "Commune", "EPCI", "Typologie", "Thématique", "Preuve",
                       "Consortium", "Description", "Équipement", "Notes équipement"),
              "csv": ("Lieu", "Commune", "EPCI", "Typologie", "Thématique", "Preuve",
                      "Consortium", "Description", "Équipement"),
              "geojson": ("Lieu", "Commune", "Typologie"),
              "gpkg": ("Lieu", "Commune", "EPCI", "Typologie")}[fmt]
    for field in fields:
        assert tagged(field) in text, (fmt, field)


def test_geojson_export_is_valid_json_with_the_name_as_a_plain_string(live_bundle, hostile_path):
    _, written = hostile_path
    data = json.loads(exports.build(live_bundle, "geojson"))
    names = {f["properties"]["name"] for f in data["features"]}
    assert tagged("Lieu") in names


def test_pdf_report_prints_the_payloads_as_typed(live_bundle):
    from tests.test_exports import pdf_text

    text = re.sub(r"\s+", " ", pdf_text(exports.build(live_bundle, "pdf")))
    assert_not_evaluated(text)
    for payload in ("{{7*7}}", "{% raw %}", "<img src=x onerror=alert(1)>",
                    "[x](javascript:alert(1))", "(javascript:alert(1)) {nb}"):
        assert payload in text, payload


def test_markdown_escaping_covers_links_html_and_templates():
    for payload in PAYLOADS:
        escaped = fmt.md(payload)
        assert "](" not in escaped and "<" not in escaped.replace("\\<", "")


@pytest.mark.parametrize("text", ["AT&amp;T", "&lt;b&gt;", "Titre\n===", "&#106;avascript"])
def test_markdown_escaping_keeps_entities_and_setext_headings_as_typed(text):
    """Markdown decodes ``&amp;`` (a name would lose it) and ``===`` under a line makes a
    heading: both characters are backslash-escaped, which markdown shows as typed."""
    escaped = fmt.md(text)
    assert all(escaped[i - 1] == "\\" for i, ch in enumerate(escaped) if ch in "&=")
    assert re.sub(r"\\(.)", r"\1", escaped) == text


def test_pdf_map_prints_dollar_signs_as_typed_not_as_mathematics(live_bundle, monkeypatch):
    """Matplotlib reads text between two $ as mathematics ($x^2$ became x²): the EPCI labels
    and the legend of the PDF map are drawn as plain text."""
    from matplotlib.text import Text

    from observatory.exports import charts

    figures = []
    monkeypatch.setattr(charts, "_png", lambda figure: figures.append(figure) or b"")
    bundle = replace(live_bundle, meta={**live_bundle.meta, "excluded_zone_label": "$y$ zone"})
    charts.places_map(bundle)
    [figure] = figures
    drawn = [t for t in figure.findobj(Text) if "$" in t.get_text()]
    assert any("$x^2$" in t.get_text() for t in drawn)  # the hostile EPCI's label
    assert any("$y$ zone" in t.get_text() for t in drawn)  # the legend
    for text in drawn:
        assert text._preprocess_math(text.get_text()) == (text.get_text(), False), text


def test_map_builders_live_outside_streamlit():
    """The builders (and their template-injection guard) load without Streamlit; the
    exports reach them through ``observatory.maps``, and so do the pages."""
    import subprocess
    import sys

    code = ("import sys, observatory.maps, observatory.exports.html_map, "
            "observatory.exports.charts; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit' "
            "or m.startswith('observatory.ui')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"
    from observatory.ui import maps as ui_maps

    assert callable(ui_maps.use_local_assets) and callable(ui_maps.selected_place_id)
    assert not hasattr(ui_maps, "build_map")  # one home for the builders: observatory.maps
