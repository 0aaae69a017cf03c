"""Plotly figures of the pages, in French. Every Plotly figure of the app is built here.

Plotly renders a subset of HTML in every text it draws (legends, tick labels, hover boxes,
text labels): ``<a href>`` makes a link, ``<span style>`` restyles. User text therefore goes
through ``inert`` first: ``&``, ``<`` and ``>`` become entities, which Plotly shows as typed.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from observatory import formatting
from observatory.model import CRITERIA, CRITERIA_KEYS, SCORE_LEVELS, SCORE_MAX

MATURE_COLOURS = {"Mature": "#c0392b", "Non mature": "#4f8fd6"}
LABELS = [c.short for c in CRITERIA]


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
        legend={"orientation": "h", "y": -0.15}, margin={"t": 30, "b": 30, "l": 40, "r": 40},
        height=380)
    return fig


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
    return fig


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
    return fig


def typologies(places: pd.DataFrame) -> go.Figure:
    counts = (inert(places[["typology", "mature"]])
              .assign(maturite=places["mature"].map({True: "Mature", False: "Non mature"}))
              .groupby(["typology", "maturite"]).size().reset_index(name="lieux"))
    fig = px.bar(counts, y="typology", x="lieux", color="maturite", orientation="h",
                 color_discrete_map=MATURE_COLOURS,
                 labels={"typology": "", "lieux": "Nombre de lieux", "maturite": ""})
    fig.update_layout(height=max(300, 28 * counts["typology"].nunique()), barmode="stack",
                      yaxis={"categoryorder": "total ascending"}, margin={"t": 20, "b": 20})
    return fig


def maturity_by_epci(per_epci: pd.DataFrame) -> go.Figure:
    frame = inert(per_epci).assign(non_mature=per_epci["places"] - per_epci["mature"])
    long = frame.melt(id_vars=["epci_name"], value_vars=["mature", "non_mature"],
                      var_name="maturite", value_name="lieux")
    long["maturite"] = long["maturite"].map({"mature": "Mature", "non_mature": "Non mature"})
    fig = px.bar(long, y="epci_name", x="lieux", color="maturite", orientation="h",
                 color_discrete_map=MATURE_COLOURS,
                 labels={"epci_name": "", "lieux": "Nombre de lieux", "maturite": ""})
    fig.update_layout(height=360, barmode="stack", margin={"t": 20, "b": 20})
    return fig


def density_by_epci(per_epci: pd.DataFrame) -> go.Figure:
    fig = px.bar(inert(per_epci).sort_values("places_per_10k"), y="epci_name", x="places_per_10k",
                 orientation="h", text="places_per_10k",
                 labels={"epci_name": "", "places_per_10k": "Lieux pour 10 000 habitants"})
    fig.update_traces(texttemplate="%{text:.1f}", marker_color="#08689c")
    fig.update_layout(height=360, margin={"t": 20, "b": 20}, separators=", ")
    return fig


STATUS_COLOURS = {"Idée": "#bdbdbd", "Déposé": "#4f8fd6", "Financé": "#2e7d32", "Refusé": "#c0392b"}


def consortia_by_year(counts: pd.DataFrame) -> go.Figure:
    """Consortia per call year, stacked by status."""
    fig = px.bar(inert(counts), x="call_year", y="consortia", color="status_label",
                 color_discrete_map=STATUS_COLOURS,
                 labels={"call_year": "Appel à projets", "consortia": "Consortiums",
                         "status_label": "Statut"})
    fig.update_layout(height=320, barmode="stack", margin={"t": 20, "b": 20},
                      xaxis={"dtick": 1})
    return fig


def indicators_by_year(long: pd.DataFrame) -> go.Figure:
    fig = px.bar(inert(long), x="appel", y="nombre", color="indicateur", barmode="group",
                 labels={"appel": "Appel à projets", "nombre": "Nombre", "indicateur": ""})
    fig.update_layout(height=320, margin={"t": 20, "b": 20},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def granted_by_epci(by_epci: pd.DataFrame) -> go.Figure:
    """Amounts granted per call year, by EPCI of the project (Appels à projets)."""
    fig = px.bar(inert(by_epci), x="call_year", y="granted", color="epci_name",
                 labels={"call_year": "Appel", "granted": "Montant accordé (€)",
                         "epci_name": "EPCI du projet"})
    return fig.update_layout(height=340, xaxis={"dtick": 1})


def stays_timeline(timeline: pd.DataFrame, start, end) -> go.Figure:
    """The stays of the itinerant equipment, one row per item, coloured by place."""
    fig = px.timeline(inert(timeline), x_start="start", x_end="end", y="item", color="place",
                      labels={"item": "", "place": "Lieu"})
    months = pd.date_range(pd.Timestamp(start).to_period("M").to_timestamp(), end, freq="MS")
    fig.update_xaxes(range=[start, end], tickvals=list(months),  # French month names
                     ticktext=[formatting.month_year(m) for m in months])
    fig.update_layout(height=120 + 40 * timeline["item"].nunique(), margin={"t": 20})
    return fig


def criteria_means(means: pd.DataFrame) -> go.Figure:
    """Each criterion's mean in the two compared states (Évolutions)."""
    return px.bar(inert(means), x="critère", y="moyenne", color="état", barmode="group",
                  range_y=[0, 4], labels={"critère": "", "moyenne": "Moyenne (0–4)",
                                          "état": ""}).update_layout(height=340)


def mature_over_snapshots(history: pd.DataFrame) -> go.Figure:
    """Mature places at each snapshot, labelled with the snapshot's name (Évolutions)."""
    return (px.line(inert(history), x="created_at", y="mature", markers=True, text="label",
                    labels={"created_at": "", "mature": "Lieux matures"})
            .update_traces(textposition="top center").update_layout(height=340))
