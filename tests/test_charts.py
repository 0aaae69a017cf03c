"""The app's Plotly figures speak French: separators, month names, whole years, the calendar.

Tested on the figure objects ``observatory.ui.charts`` builds (what Streamlit hands Plotly),
on small hand-built frames.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from observatory import formatting, itinerance
from observatory.model import CRITERIA, CRITERIA_KEYS
from observatory.ui import charts

ENGLISH_MONTHS = ("Jan", "Feb", "Mar ", "Apr", "May", "Jun ", "Jul ", "Aug", "Sep", "Oct",
                  "Nov", "Dec")

PLACES = pd.DataFrame({
    "id": [1, 2, 3], "name": ["Le Fab", "La Ruche", "L'Atelier"],
    "typology": ["Fablab", "Fablab", "Ressourcerie"], "mature": [True, False, False],
    **{k: [3.0, 2.5, 1.5] for k in CRITERIA_KEYS}})
PER_EPCI = pd.DataFrame({"epci_name": ["CC A", "CC B"], "places": [3, 2], "mature": [1, 0],
                         "places_per_10k": [2.25, 0.4]})
YEARS = pd.DataFrame({"call_year": [2025, 2026], "consortia": [1, 2],
                      "status_label": ["Financé", "Idée"]})
GRANTED = pd.DataFrame({"call_year": [2025], "epci_name": ["CC A"], "granted": [31800.0]})
INDICATORS = pd.DataFrame({"indicateur": ["Consortiums", "Équipements"], "appel": [2025, 2025],
                           "nombre": [1, 4]})
EVALUATIONS = pd.DataFrame({"evaluated_on": pd.to_datetime(["2024-01-21", "2026-12-01"]),
                            **{k: [2.0, 3.5] for k in CRITERIA_KEYS}})
SNAPSHOTS = pd.DataFrame({"created_at": pd.to_datetime(["2026-12-01 10:02:38",
                                                        "2026-12-02 01:02:38"]),
                          "mature": [9, 10], "label": ["Bilan 1", "Bilan 2"]})
MEANS = pd.DataFrame({"critère": [c.short for c in CRITERIA] * 2,
                      "état": ["Avant"] * len(CRITERIA) + ["Après"] * len(CRITERIA),
                      "moyenne": [2.5] * (2 * len(CRITERIA))})

# Two items, four places; one stay booked next year (2027), one place visited twice.
ITEMS = pd.DataFrame({"id": [1, 2], "name": ["Fablab mobile", "Repair café"]})
STAY_PLACES = pd.DataFrame({"id": [10, 11, 12, 13],
                            "name": ["Le Fab", "La Ruche", "L'Atelier", "Le Quai"]})
STAYS = pd.DataFrame({"equipment_id": [1, 1, 2, 2, 2], "place_id": [10, 11, 12, 13, 10],
                      "start_date": ["2026-03-05", "2026-11-02", "2026-04-01", "2026-06-01",
                                     "2027-02-01"],
                      "end_date": ["2026-03-20", "2026-11-20", "2026-04-30", "2026-06-15",
                                   "2027-02-20"]})


def timeline() -> pd.DataFrame:
    return itinerance.timeline_frame(STAYS, ITEMS, STAY_PLACES)


def every_figure() -> dict[str, go.Figure]:
    return {
        "radar": charts.radar(PLACES.iloc[0], PLACES[list(CRITERIA_KEYS)].median(), "Le Fab"),
        "history": charts.history(EVALUATIONS),
        "criteria_distribution": charts.criteria_distribution(PLACES),
        "typologies": charts.typologies(PLACES),
        "maturity_by_epci": charts.maturity_by_epci(PER_EPCI),
        "density_by_epci": charts.density_by_epci(PER_EPCI),
        "density_by_commune_type": charts.density_by_commune_type(pd.DataFrame({
            "label": ["Petites villes", "Zone de montagne"], "places_per_10k": [4.3, 3.2],
            "reading": ["Densité", "Montagne"]})),
        "consortia_by_year": charts.consortia_by_year(YEARS),
        "indicators_by_year": charts.indicators_by_year(INDICATORS),
        "granted_by_epci": charts.granted_by_epci(GRANTED),
        "stays_timeline": charts.stays_timeline(timeline()),
        "criteria_means": charts.criteria_means(MEANS),
        "mature_over_snapshots": charts.mature_over_snapshots(SNAPSHOTS),
    }


def test_every_builder_of_the_module_is_checked_here():
    builders = {name for name, value in vars(charts).items()
                if callable(value) and getattr(value, "__module__", "") == charts.__name__
                and value.__annotations__.get("return") in (go.Figure, "go.Figure")
                and name not in ("french", "year_axis", "date_axis", "date_hovers", "whole_counts",
                                 "whole_axis")}
    assert builders == set(every_figure())


@pytest.mark.parametrize("name", sorted(every_figure()))
def test_every_figure_writes_numbers_the_french_way(name):
    fig = every_figure()[name]
    assert fig.layout.separators == "," + formatting.THOUSANDS


def test_the_streamlit_config_hands_plotly_the_french_locale():
    assert charts.CONFIG["locale"] == "fr"
    locale = charts.CONFIG["locales"]["fr"]
    assert locale["format"]["months"][0] == "janvier"
    assert locale["format"]["decimal"] == ","
    assert locale["dictionary"]["Reset axes"] == "Réinitialiser les axes"


@pytest.mark.parametrize("name", ["consortia_by_year", "indicators_by_year", "granted_by_epci"])
def test_year_axes_tick_whole_years_only(name):
    axis = every_figure()[name].layout.xaxis
    assert axis.tickmode == "array"
    assert all(isinstance(v, int) for v in axis.tickvals)
    assert all(t.isdigit() and len(t) == 4 for t in axis.ticktext)  # « 2025 », never « 2 025,5 »


def test_a_single_year_is_one_tick():
    axis = charts.granted_by_epci(GRANTED).layout.xaxis
    assert list(axis.tickvals) == [2025] and list(axis.ticktext) == ["2025"]


def test_years_mixed_with_words_make_an_ordered_category_axis():
    mixed = pd.DataFrame({"indicateur": ["Consortiums"] * 3, "appel": [2026, "hors appel", 2025],
                          "nombre": [1, 2, 3]})
    axis = charts.indicators_by_year(mixed).layout.xaxis
    assert axis.type == "category" and list(axis.categoryarray) == [2025, 2026, "hors appel"]


def test_amounts_are_grouped_not_abbreviated():
    axis = charts.granted_by_epci(GRANTED).layout.yaxis
    assert axis.separatethousands and axis.exponentformat == "none"  # « 30 000 », not « 30k »


def test_months_are_named_in_french_with_the_year_on_the_first_and_on_january():
    ticks, labels = charts.date_ticks("2026-10-15", "2027-02-10")
    assert labels == ["novembre 2026", "décembre", "janvier 2027", "février"]
    assert ticks[0] == pd.Timestamp("2026-11-01")


def test_a_few_days_are_ticked_by_day_and_many_years_by_year():
    assert charts.date_ticks("2026-12-01", "2026-12-02")[1] == ["1er décembre 2026",
                                                                "2 décembre 2026"]
    assert charts.date_ticks("2026-12-02", "2026-12-02")[1] == ["2 décembre 2026"]
    assert charts.date_ticks("2019-03-01", "2026-05-01")[1] == [str(y) for y in range(2020, 2027)]
    many = charts.date_ticks("2026-01-01", "2027-12-31", max_ticks=8)[1]
    assert len(many) <= 8 and many[0] == "janvier 2026"


@pytest.mark.parametrize("name", ["history", "mature_over_snapshots"])
def test_date_axes_and_their_hovers_are_in_french(name):
    fig = every_figure()[name]
    labels = " ".join(fig.layout.xaxis.ticktext)
    assert not any(month in labels + " " for month in ENGLISH_MONTHS), labels
    assert any(month in labels for month in formatting.MONTHS)
    for trace in fig.data:
        assert "%{x}" not in trace.hovertemplate
        assert "décembre 2026" in " ".join(trace.customdata[:, 0])


def test_snapshots_on_two_days_are_ticked_with_their_days():
    labels = list(charts.mature_over_snapshots(SNAPSHOTS).layout.xaxis.ticktext)
    assert labels == ["1er décembre 2026", "2 décembre 2026"]


# --- The itinerance calendar -----------------------------------------------------------

def test_the_calendar_span_runs_from_the_first_stay_to_the_last_with_a_margin():
    start, end = charts.stays_span(timeline())
    assert start < pd.Timestamp("2026-03-05") <= start + pd.Timedelta(days=60)
    assert end > pd.Timestamp("2027-02-21")  # next year's stay is inside
    assert end - pd.Timestamp("2027-02-21") >= pd.Timedelta(days=7)


def test_the_calendar_span_of_one_short_stay_keeps_a_week_either_side():
    one = timeline().iloc[[0]]
    assert charts.stays_span(one) == (pd.Timestamp("2026-02-26"), pd.Timestamp("2026-03-28"))


def test_no_stay_no_span():
    assert charts.stays_span(timeline().iloc[0:0]) is None


def test_the_calendar_opens_on_every_stay_including_next_year():
    fig = charts.stays_timeline(timeline())
    start, end = (pd.Timestamp(v) for v in fig.layout.xaxis.range)
    assert (start, end) == charts.stays_span(timeline())
    assert start <= pd.Timestamp("2026-03-05") and end >= pd.Timestamp("2027-02-21")


def test_the_calendar_legend_lists_every_place_with_a_stay():
    fig = charts.stays_timeline(timeline())
    legend = {t.name for t in fig.data if t.showlegend is not False}
    assert legend == {"Le Fab", "La Ruche", "L'Atelier", "Le Quai"}
    assert fig.layout.height >= 24 * len(legend)  # tall enough: no entry cut off
    colours = [t.marker.color for t in fig.data]
    assert len(set(colours)) == len(colours)  # one colour per place


def test_the_calendar_names_months_in_french_and_hovers_say_du_au():
    fig = charts.stays_timeline(timeline())
    labels = list(fig.layout.xaxis.ticktext)
    assert "janvier 2027" in labels and "mars 2026" in labels
    assert not any(month in " ".join(labels) + " " for month in ENGLISH_MONTHS)
    hovers = {tuple(row) for trace in fig.data for row in trace.customdata}
    assert ("Le Fab", "1er février 2027", "20 février 2027") in hovers  # inclusive last day
    assert all("du %{customdata[1]} au %{customdata[2]}" in t.hovertemplate for t in fig.data)


def test_a_count_of_consortia_has_whole_ticks_only():
    """Two consortia at most a year: ticks 0, 1, 2 — never « 0,5 » or « 1,5 » consortium."""
    axis = charts.consortia_by_year(YEARS).layout.yaxis
    assert axis.dtick == 1 and axis.tickformat == "d"


def test_counts_of_places_have_whole_ticks_only():
    """Five places in the Lot: no « 0,5 lieu » on the typologies axis, no « 12,2 lieux
    matures » between two snapshots."""
    twelve_then_thirteen = SNAPSHOTS.assign(mature=[12, 13])
    for axis in (charts.typologies(PLACES).layout.xaxis,
                 charts.maturity_by_epci(PER_EPCI).layout.xaxis,
                 charts.mature_over_snapshots(SNAPSHOTS).layout.yaxis,
                 charts.mature_over_snapshots(twelve_then_thirteen).layout.yaxis):
        assert axis.dtick == 1 and axis.tickformat == "d", axis
    axis = charts.mature_over_snapshots(twelve_then_thirteen).layout.yaxis
    assert axis.range[0] < 12 and axis.range[1] > 13  # both points, and their names, inside


def test_epci_charts_name_the_epci_short():
    """« CC Causses et Vallée de la Dordogne », not « Communauté de communes Causses et… »:
    the full names squeezed the bars and were cut off at the chart's edge."""
    per_epci = PER_EPCI.assign(epci_name=["Communauté de communes Causses et Vallée de la "
                                          "Dordogne", "Communauté d'agglomération du Grand Cahors"])
    for fig in (charts.maturity_by_epci(per_epci), charts.density_by_epci(per_epci)):
        names = {str(y) for trace in fig.data for y in trace.y}
        assert names == {"CC Causses et Vallée de la Dordogne", "CA du Grand Cahors"}, names


def test_the_radar_leaves_room_for_the_criteria_names():
    margin = every_figure()["radar"].layout.margin
    assert margin.l >= 100 and margin.r >= 100  # « Dynamique collective » fits on the left
