"""Plotly figures of the pages, in French. Every Plotly figure of the app is built here.

French once for all: every builder ends with ``french`` (decimal comma, thousands grouped by
a narrow space, in ticks, hovers and text labels), date axes carry their own French ticks
(``date_axis``: Plotly's month names are English unless its ``fr`` locale is registered,
which Streamlit's bundle does not do), year axes print whole years (``year_axis``: no
« 2 025,5 »), and ``show`` draws a figure with ``CONFIG``, which hands Plotly the French
locale itself (month names in its own hovers, the toolbar's tooltips).

Plotly renders a subset of HTML in every text it draws (legends, tick labels, hover boxes,
text labels): ``<a href>`` makes a link, ``<span style>`` restyles. User text therefore goes
through ``inert`` first: ``&``, ``<`` and ``>`` become entities, which Plotly shows as typed.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from observatory import formatting
from observatory.model import CRITERIA, CRITERIA_KEYS, SCORE_LEVELS, SCORE_MAX

MATURE_COLOURS = {"Mature": "#c0392b", "Non mature": "#4f8fd6"}
LABELS = [c.short for c in CRITERIA]
SEPARATORS = "," + formatting.THOUSANDS  # Plotly: decimal mark, then thousands separator

# Plotly's own words (toolbar tooltips, notices), keyed by its English text, and its date
# format. Handed to Plotly with every chart (``CONFIG["locales"]``): no bundle to load.
FR_LOCALE = {
    "dictionary": {
        "Autoscale": "Échelle automatique",
        "Box Select": "Sélection rectangulaire",
        "Lasso Select": "Sélection au lasso",
        "Compare data on hover": "Comparer les données au survol",
        "Show closest data on hover": "Données les plus proches au survol",
        "Toggle show closest data on hover": "Données les plus proches au survol",
        "Toggle Spike Lines": "Lignes de repère",
        "Download plot": "Télécharger le graphique",
        "Download plot as a PNG": "Télécharger le graphique (PNG)",
        "Download plot as JSON": "Télécharger le graphique (JSON)",
        "Preparing image - this may take a few seconds":
            "Préparation de l'image : quelques secondes…",
        "Image download succeeded": "Image téléchargée",
        "JSON download succeeded": "JSON téléchargé",
        "Sorry, there was a problem downloading your image!":
            "Le téléchargement de l'image a échoué.",
        "Sorry, there was a problem downloading your JSON file!":
            "Le téléchargement du fichier JSON a échoué.",
        "Pan": "Déplacer",
        "Zoom": "Zoomer",
        "Zoom in": "Zoom avant",
        "Zoom out": "Zoom arrière",
        "Reset": "Réinitialiser",
        "Reset axes": "Réinitialiser les axes",
        "Reset view": "Réinitialiser la vue",
        "Reset views": "Réinitialiser les vues",
        "Double-click to zoom back out": "Double-cliquez pour revenir à la vue entière",
        "Double-click on legend to isolate one trace":
            "Double-cliquez sur la légende pour n'afficher qu'une série",
    },
    "format": {
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": list(formatting.MONTHS),
        "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
                        "sept.", "oct.", "nov.", "déc."],
        "date": "%d/%m/%Y",
        "decimal": ",",
        "thousands": formatting.THOUSANDS,
    },
}
CONFIG = {"locale": "fr", "locales": {"fr": FR_LOCALE}, "displaylogo": False}


def show(fig: go.Figure, where=None, **options) -> None:
    """Draw ``fig`` in Streamlit (or in the container ``where``) with the French config."""
    (where or st).plotly_chart(fig, width="stretch", config=CONFIG, **options)


def french(fig: go.Figure) -> go.Figure:
    """French separators for every number Plotly writes (ticks, hovers, text labels)."""
    return fig.update_layout(separators=SEPARATORS)


def _is_year(value: object) -> bool:
    return formatting.is_finite(value) and float(value).is_integer()


def year_axis(fig: go.Figure, years: Iterable, axis: str = "x") -> go.Figure:
    """Ticks on the whole years present only, written « 2026 » (never « 2 025,5 »).

    A column mixing years and words (« hors appel ») becomes a category axis: the years in
    order, then the words as they come."""
    values = [y for y in years if not formatting.is_missing(y)]
    shown = sorted({int(y) for y in values if _is_year(y)})
    words = list(dict.fromkeys(y for y in values if not _is_year(y)))
    if words:
        return fig.update(layout={f"{axis}axis": {
            "type": "category", "categoryorder": "array", "categoryarray": [*shown, *words]}})
    return fig.update(layout={f"{axis}axis": {
        "tickmode": "array", "tickvals": shown, "ticktext": [str(y) for y in shown],
        "hoverformat": "d"}})


def _month_label(month: pd.Timestamp, first: bool) -> str:
    name = formatting.MONTHS[month.month - 1]
    return f"{name} {month.year}" if first or month.month == 1 else name


def date_ticks(start, end, max_ticks: int = 8) -> tuple[list[pd.Timestamp], list[str]]:
    """French ticks between two dates: days, else months (every 1, 2, 3 or 6), else years.

    Days read « 2 décembre 2026 »; months « janvier 2026 », « février »… (the year on the
    first tick and on each January); years « 2026 ». At most ``max_ticks`` (days and
    months), the coarsest needed.
    """
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if start > end:
        start, end = end, start
    if (end - start).days < max_ticks:
        days = list(pd.date_range(start, end, freq="D"))
        return days, [formatting.long_date(d) for d in days]
    first_month = pd.offsets.MonthBegin().rollforward(start)
    for step in (1, 2, 3, 6):
        months = list(pd.date_range(first_month, end, freq=f"{step}MS"))
        if len(months) <= max_ticks:
            return months, [_month_label(m, k == 0) for k, m in enumerate(months)]
    first_year, last_year = (start.year if start == pd.Timestamp(start.year, 1, 1)
                             else start.year + 1), end.year
    step = max(1, -(-(last_year - first_year + 1) // max_ticks))
    years = [pd.Timestamp(y, 1, 1) for y in range(first_year, last_year + 1, step)]
    return years, [str(y.year) for y in years]


def date_axis(fig: go.Figure, dates: Iterable, axis: str = "x", max_ticks: int = 8,
              span: tuple | None = None) -> go.Figure:
    """French tick labels on a date axis, over ``span`` or the dates' own range."""
    known = pd.to_datetime(pd.Series(list(dates)), errors="coerce").dropna()
    if span is None and known.empty:
        return fig
    start, end = span if span is not None else (known.min(), known.max())
    ticks, labels = date_ticks(start, end, max_ticks)
    return fig.update(layout={f"{axis}axis": {
        "tickmode": "array", "tickvals": ticks, "ticktext": labels}})


def date_hovers(fig: go.Figure) -> go.Figure:
    """Each point's date in the hover written in French (« 2 décembre 2026 »), not « Dec 2,
    2026 »: the date goes in ``customdata`` and the template reads it instead of ``%{x}``."""
    for trace in fig.data:
        if trace.x is None or not trace.hovertemplate or "%{x}" not in trace.hovertemplate:
            continue
        words = [formatting.long_date(x) for x in pd.to_datetime(pd.Series(list(trace.x)))]
        trace.customdata = np.array(words, dtype=object).reshape(-1, 1)
        trace.hovertemplate = trace.hovertemplate.replace("%{x}", "%{customdata[0]}")
    return fig


def text(value: object) -> object:
    """A user string as Plotly shows it verbatim (no tag, no entity); other values unchanged.

    Quotes stay: outside a tag they are plain text, and Plotly would show ``&quot;`` as typed.
    """
    return html.escape(value, quote=False) if isinstance(value, str) else value


def inert(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every string cell passed through ``text`` (before plotting)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(text)
    return out


def radar(place: pd.Series, median: pd.Series, name: str) -> go.Figure:
    """A place's five scores against the territory's median."""
    fig = go.Figure()
    for values, label, colour, fill in (
        ([median[k] for k in CRITERIA_KEYS], "Médiane du territoire", "#8a8a8a", "none"),
        ([place[k] for k in CRITERIA_KEYS], text(name), "#c0392b", "toself"),
    ):
        fig.add_trace(go.Scatterpolar(r=values + values[:1], theta=LABELS + LABELS[:1],
                                      name=label, line_color=colour, fill=fill))
    fig.update_layout(
        polar={"radialaxis": {"range": [0, SCORE_MAX], "tickvals": list(SCORE_LEVELS)}},
        # Room on both sides for the criteria's names (« Dynamique collective » was cut off).
        legend={"orientation": "h", "y": -0.15}, margin={"t": 30, "b": 30, "l": 120, "r": 120},
        height=380)
    return french(fig)


def history(evaluations: pd.DataFrame) -> go.Figure:
    """Scores over the evaluations of one place."""
    long = evaluations.melt(id_vars=["evaluated_on"], value_vars=list(CRITERIA_KEYS),
                            var_name="critere", value_name="score")
    long["critere"] = long["critere"].map({c.key: c.short for c in CRITERIA})
    fig = px.line(long, x="evaluated_on", y="score", color="critere", markers=True,
                  labels={"evaluated_on": "Date d'évaluation", "score": "Score (0–4)",
                          "critere": "Critère"})
    fig.update_yaxes(range=[-0.2, SCORE_MAX + 0.2], dtick=1)
    fig.update_layout(height=340, margin={"t": 20, "b": 20})
    return date_hovers(date_axis(french(fig), evaluations["evaluated_on"]))


def criteria_distribution(places: pd.DataFrame) -> go.Figure:
    """How the places score on each criterion (box per criterion)."""
    long = inert(places[["name", *CRITERIA_KEYS]]).melt(
        id_vars=["name"], value_vars=list(CRITERIA_KEYS), var_name="critere",
                       value_name="score")
    long["critere"] = long["critere"].map({c.key: c.short for c in CRITERIA})
    fig = px.box(long, x="critere", y="score", points="all", hover_name="name",
                 labels={"critere": "Critère", "score": "Score (0–4)"})
    fig.update_yaxes(range=[-0.2, SCORE_MAX + 0.2], dtick=1)
    fig.update_layout(height=380, margin={"t": 20, "b": 20})
    return french(fig)


def typologies(places: pd.DataFrame) -> go.Figure:
    counts = (inert(places[["typology", "mature"]])
              .assign(maturite=places["mature"].map({True: "Mature", False: "Non mature"}))
              .groupby(["typology", "maturite"]).size().reset_index(name="lieux"))
    fig = px.bar(counts, y="typology", x="lieux", color="maturite", orientation="h",
                 color_discrete_map=MATURE_COLOURS,
                 labels={"typology": "", "lieux": "Nombre de lieux", "maturite": ""})
    fig.update_layout(height=max(300, 28 * counts["typology"].nunique()), barmode="stack",
                      yaxis={"categoryorder": "total ascending"}, margin={"t": 20, "b": 20})
    top = counts.groupby("typology")["lieux"].sum().max() if len(counts) else 0
    return whole_axis(french(fig), top, "x")


def _short_epci_names(per_epci: pd.DataFrame) -> pd.DataFrame:
    """« CC du Pays d'Olmes » for « Communauté de communes du Pays d'Olmes »: the long names
    squeezed the bars, and were cut off at the chart's edge."""
    return per_epci.assign(epci_name=per_epci["epci_name"].map(formatting.short_epci))


def maturity_by_epci(per_epci: pd.DataFrame) -> go.Figure:
    per_epci = _short_epci_names(per_epci)
    frame = inert(per_epci).assign(non_mature=per_epci["places"] - per_epci["mature"])
    long = frame.melt(id_vars=["epci_name"], value_vars=["mature", "non_mature"],
                      var_name="maturite", value_name="lieux")
    long["maturite"] = long["maturite"].map({"mature": "Mature", "non_mature": "Non mature"})
    fig = px.bar(long, y="epci_name", x="lieux", color="maturite", orientation="h",
                 color_discrete_map=MATURE_COLOURS,
                 labels={"epci_name": "", "lieux": "Nombre de lieux", "maturite": ""})
    fig.update_layout(height=360, barmode="stack", margin={"t": 20, "b": 20})
    return whole_axis(french(fig), per_epci["places"].max() if len(per_epci) else 0, "x")


def density_by_epci(per_epci: pd.DataFrame) -> go.Figure:
    per_epci = _short_epci_names(per_epci)
    fig = px.bar(inert(per_epci).sort_values("places_per_10k"), y="epci_name", x="places_per_10k",
                 orientation="h", text="places_per_10k",
                 labels={"epci_name": "", "places_per_10k": "Lieux pour 10 000 habitants"})
    fig.update_traces(texttemplate="%{text:.1f}", marker_color="#08689c")
    fig.update_layout(height=360, margin={"t": 20, "b": 20})
    return french(fig)


def density_by_commune_type(per_class: pd.DataFrame) -> go.Figure:
    """Places per 10,000 inhabitants per density class and mountain zone, in the table's order
    (``commune_types.by_class``)."""
    frame = inert(per_class)
    fig = px.bar(frame, y="label", x="places_per_10k", orientation="h", text="places_per_10k",
                 color="reading", color_discrete_map={"Densité": "#08689c",
                                                      "Montagne": "#6d8f3a"},
                 labels={"label": "", "places_per_10k": "Lieux pour 10 000 habitants",
                         "reading": ""})
    fig.update_traces(texttemplate="%{text:.1f}")
    fig.update_layout(height=max(300, 34 * len(frame)), margin={"t": 20, "b": 20},
                      yaxis={"categoryorder": "array", "categoryarray": list(frame["label"])[::-1]},
                      showlegend=False)
    return french(fig)


STATUS_COLOURS = {"Idée": "#bdbdbd", "Déposé": "#4f8fd6", "Financé": "#2e7d32", "Refusé": "#c0392b"}


def consortia_by_year(counts: pd.DataFrame) -> go.Figure:
    """Consortia per call year, stacked by status."""
    fig = px.bar(inert(counts), x="call_year", y="consortia", color="status_label",
                 color_discrete_map=STATUS_COLOURS,
                 labels={"call_year": "Appel à projets", "consortia": "Consortiums",
                         "status_label": "Statut"})
    fig.update_layout(height=320, barmode="stack", margin={"t": 20, "b": 20})
    return year_axis(whole_counts(french(fig), counts), counts["call_year"])


def whole_counts(fig: go.Figure, counts: pd.DataFrame) -> go.Figure:
    """A count axis with whole ticks only: no « 0,5 consortium » between 0 and 1."""
    top = counts.groupby("call_year")["consortia"].sum().max() if len(counts) else 0
    return whole_axis(fig, top, "y")


def whole_axis(fig: go.Figure, top: float, axis: str, *, from_zero: bool = True) -> go.Figure:
    """Whole ticks on a count axis (places, consortia): no « 0,5 lieu », no « 12,2 lieux
    matures »; one tick per unit when the axis spans 10 or less (``top``: its span)."""
    options = {"tickformat": "d", "dtick": 1 if top <= 10 else None}
    if from_zero:
        options["rangemode"] = "tozero"
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(**options)
    return fig


def indicators_by_year(long: pd.DataFrame) -> go.Figure:
    fig = px.bar(inert(long), x="appel", y="nombre", color="indicateur", barmode="group",
                 labels={"appel": "Appel à projets", "nombre": "Nombre", "indicateur": ""})
    fig.update_layout(height=320, margin={"t": 20, "b": 20},
                      legend={"orientation": "h", "y": -0.25})
    return year_axis(french(fig), long["appel"])


def granted_by_epci(by_epci: pd.DataFrame) -> go.Figure:
    """Amounts granted per call year, by EPCI of the project (Appels à projets)."""
    fig = px.bar(inert(by_epci), x="call_year", y="granted", color="epci_name",
                 labels={"call_year": "Appel", "granted": "Montant accordé (€)",
                         "epci_name": "EPCI du projet"})
    fig.update_layout(height=340)
    fig.update_yaxes(separatethousands=True, exponentformat="none")  # « 60 000 », not « 60k »
    return year_axis(french(fig), by_epci["call_year"])


def stays_span(timeline: pd.DataFrame, margin_days: int = 7) -> tuple[pd.Timestamp,
                                                                      pd.Timestamp] | None:
    """The dates the calendar opens on: the first stay's start to the last one's end, whatever
    the year, widened by a margin (``margin_days``, or a twentieth of the span if longer) so
    that no bar touches an edge. None without any stay."""
    if timeline.empty:
        return None
    first, last = pd.Timestamp(timeline["start"].min()), pd.Timestamp(timeline["end"].max())
    margin = max(pd.Timedelta(days=margin_days), (last - first) / 20)
    return (first - margin).normalize(), (last + margin).normalize()


# One colour per place up to 48 places (the default palette repeats after 10: two places
# would share a colour in the calendar and its legend).
PLACE_COLOURS = px.colors.qualitative.Dark24 + px.colors.qualitative.Light24


def stays_timeline(timeline: pd.DataFrame, span: tuple | None = None) -> go.Figure:
    """The stays of the itinerant equipment, one row per item, coloured by place.

    Opens on ``span`` (``stays_span`` by default: every booked stay, this year or the next),
    months named in French, one legend entry per place with a stay (the legend on the right,
    the figure tall enough for all of them), hovers « du 5 janvier 2026 au 13 janvier 2026 ».
    """
    span = span or stays_span(timeline)
    shown = inert(timeline).assign(
        du=timeline["start"].map(formatting.long_date),
        au=timeline["last_day"].map(formatting.long_date))
    fig = px.timeline(shown, x_start="start", x_end="end", y="item", color="place",
                      custom_data=["place", "du", "au"], labels={"item": "", "place": "Lieu"},
                      category_orders={"place": sorted(shown["place"].unique())},
                      color_discrete_sequence=PLACE_COLOURS)
    fig.update_traces(hovertemplate="<b>%{y}</b><br>%{customdata[0]}<br>"
                                    "du %{customdata[1]} au %{customdata[2]}<extra></extra>")
    places, items = timeline["place"].nunique(), timeline["item"].nunique()
    fig.update_xaxes(range=list(span) if span else None)
    fig.update_layout(height=max(120 + 40 * items, 60 + 24 * places), margin={"t": 20},
                      legend={"orientation": "v", "yanchor": "top", "y": 1,
                              "title": {"text": "Lieu"}})
    if span:
        date_axis(fig, [], span=span, max_ticks=13)
    return french(fig)


def criteria_means(means: pd.DataFrame) -> go.Figure:
    """Each criterion's mean in the two compared states (Évolutions)."""
    return french(px.bar(inert(means), x="critère", y="moyenne", color="état", barmode="group",
                         range_y=[0, SCORE_MAX], labels={"critère": "", "moyenne": "Moyenne (0–4)",
                                                         "état": ""}).update_layout(height=340))


def mature_over_snapshots(history: pd.DataFrame) -> go.Figure:
    """Mature places at each snapshot, labelled with the snapshot's name (Évolutions)."""
    fig = (px.line(inert(history), x="created_at", y="mature", markers=True, text="label",
                   labels={"created_at": "Date", "mature": "Lieux matures", "label": "Instantané"})
           .update_traces(textposition="top center").update_layout(height=340))
    fig.update_xaxes(title_text="")
    # The snapshots' names sit above their points: room for them, not clipped at the edges.
    fig.update_traces(cliponaxis=False)
    fig.update_layout(margin={"l": 60, "r": 60, "t": 40})
    low, high = (history["mature"].min(), history["mature"].max()) if len(history) else (0, 0)
    fig.update_yaxes(range=[low - 0.5, high + 0.8])
    return date_hovers(date_axis(whole_axis(french(fig), high - low, "y", from_zero=False),
                                 history["created_at"]))
