"""Static images for the PDF report (matplotlib, no browser): the map and the criteria charts.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot global state), so
building a report is safe in a Streamlit thread. matplotlib reads the text between two ``$``
as mathematics: user text (EPCI names, the excluded zone's label) is drawn with
``parse_math=False``, so it prints as typed.
"""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from observatory import maps
from observatory.bundle import Bundle
from observatory.exports import common
from observatory.formatting import decimal
from observatory.model import CRITERIA, SCORE_MAX

LAMBERT93 = "EPSG:2154"
MATURE = {"color": maps.MATURE_STYLE["fillColor"], "edge": maps.MATURE_STYLE["color"]}
OTHER = {"color": maps.PLACE_STYLE["fillColor"], "edge": maps.PLACE_STYLE["color"]}
FONT = {"family": "DejaVu Sans", "size": 8}
PANELS_PER_ROW = 3  # the score distributions: one panel per criterion and the mean score
DPI = 200
APPROXIMATE_FILL = 0.2  # opacity of the fill of a place at its commune's centre (hollow)


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, bbox_inches="tight")
    return out.getvalue()


def _kind(communes: gpd.GeoDataFrame) -> pd.Series:
    return pd.Series(np.where(~communes["in_perimeter"], "context",
                              np.where(communes["in_excluded_zone"], "excluded", "perimeter")),
                     index=communes.index)


def places_map(bundle: Bundle, width_in: float = 7.0, height_in: float = 7.6) -> bytes:
    """Communes (perimeter, excluded zone, neighbouring context), EPCI outlines, the places;
    mature places drawn larger, gold with a dark red ring, on top. Lambert-93."""
    communes = bundle.communes().to_crs(LAMBERT93)
    kinds = _kind(communes)
    figure = Figure(figsize=(width_in, height_in))
    ax = figure.add_axes((0, 0, 1, 1))
    for kind, style in (("context", maps.CONTEXT_STYLE), ("perimeter", maps.PERIMETER_STYLE),
                        ("excluded", maps.EXCLUDED_STYLE)):
        part = communes[kinds == kind]
        if len(part):
            part.plot(ax=ax, facecolor=style["fillColor"], edgecolor=style["color"],
                      linewidth=0.3)
    outlines = communes.dissolve(by="epci_siren", aggfunc={"in_excluded_zone": "any"})
    outlines.boundary.plot(ax=ax, color=maps.EPCI_STYLE["color"], linewidth=0.9)
    excluded = outlines[outlines["in_excluded_zone"]]
    if len(excluded):
        excluded.boundary.plot(ax=ax, color=maps.EXCLUDED_OUTLINE["color"], linewidth=1.6,
                               linestyle=(0, (4, 2)))
    _draw_places(ax, bundle.places)
    inside = communes[communes["in_perimeter"]] if communes["in_perimeter"].any() else communes
    minx, miny, maxx, maxy = inside.total_bounds
    pad = 0.04 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    _scale_bar(ax, minx, miny)
    _label_epci(ax, outlines, communes)
    legend = ax.legend(handles=_legend(common.excluded_label(bundle),
                                       maps.has_approximate(bundle.places)), loc="upper center",
                       bbox_to_anchor=(0.5, 0.0), ncol=3, prop=FONT, frameon=False)
    for label in legend.get_texts():
        label.set_parse_math(False)
    return _png(figure)


def _draw_places(ax, places: pd.DataFrame) -> None:
    """Mature places larger, on top; places at their commune's centre (approximate position)
    hollow with a dashed ring, as on the app's maps."""
    if places.empty:
        return
    points = gpd.GeoSeries(gpd.points_from_xy(places["lon"], places["lat"]),
                           crs="EPSG:4326").to_crs(LAMBERT93)
    mature = places["mature"].fillna(False).astype(bool).to_numpy()
    approximate = np.array([maps.is_approximate(p) for p in
                            places.reindex(columns=["location_approximate"]).to_dict("records")],
                           dtype=bool)
    small = 14 if len(places) < 500 else 4
    for is_mature, style, size, width, z in ((False, OTHER, small, 0.5, 3),
                                             (True, MATURE, small * 3.5, 1.2, 4)):
        for approx in (False, True):
            keep = (mature == is_mature) & (approximate == approx)
            if keep.any():
                ax.scatter(points.x[keep], points.y[keep], s=size,
                           c=[to_rgba(style["color"], APPROXIMATE_FILL if approx else 1.0)],
                           edgecolors=style["edge"], linewidths=max(width, 0.9) if approx
                           else width, linestyles="--" if approx else "solid", marker="o",
                           zorder=z, gid="olls-approximate" if approx else None)


def _label_epci(ax, outlines: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> None:
    """Short EPCI names at a point inside each EPCI of the perimeter, with a white halo."""
    inside = set(communes.loc[communes["in_perimeter"], "epci_siren"])
    names = communes.groupby("epci_siren")["epci_name"].first()
    for siren, geometry in outlines.geometry.items():
        if siren in inside:
            point = geometry.representative_point()
            ax.text(point.x, point.y, common.short_epci(names[siren]), ha="center", va="center",
                    fontsize=6.5, color="#333333", zorder=6, parse_math=False,
                    path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")])


def _scale_bar(ax, x: float, y: float, km: int = 10) -> None:
    ax.plot([x, x + km * 1000], [y, y], color="#333333", linewidth=2.5, zorder=5)
    ax.text(x + km * 500, y + 1200, f"{km} km", ha="center", fontdict=FONT, zorder=5)


def _legend(excluded_label: str, approximate: bool = False) -> list:
    """The map's legend; ``approximate``: some place is drawn at its commune's centre."""
    dot = dict(marker="o", linestyle="none")
    handles = [
        Line2D([], [], markerfacecolor=MATURE["color"], markeredgecolor=MATURE["edge"],
               markersize=8, markeredgewidth=1.2, label="Lieu mature", **dot),
        Line2D([], [], markerfacecolor=OTHER["color"], markeredgecolor=OTHER["edge"],
               markersize=5, label="Autre lieu", **dot),
        Line2D([], [], color=maps.EPCI_STYLE["color"], linewidth=0.9,
               label="Limite d'intercommunalité"),
        Patch(facecolor=maps.CONTEXT_STYLE["fillColor"], edgecolor=maps.CONTEXT_STYLE["color"],
              label="Hors périmètre"),
    ]
    if excluded_label:
        handles.insert(2, Patch(facecolor=maps.EXCLUDED_STYLE["fillColor"],
                                edgecolor=maps.EXCLUDED_OUTLINE["color"], linestyle="--",
                                label=f"{excluded_label} (hors zone de projet)"))
    if approximate:
        handles.insert(2, Line2D([], [], markerfacecolor="none", markeredgecolor=OTHER["edge"],
                                 markersize=6, markeredgewidth=1.0,
                                 label=maps.APPROXIMATE_LABEL, **dot))
    return handles


def criteria_means(places: pd.DataFrame, width_in: float = 7.0) -> bytes:
    """Mean score per criterion: all places and mature places, on the 0–4 scale."""
    figure = Figure(figsize=(width_in, max(2.6, 0.52 * len(CRITERIA))))
    ax = figure.add_subplot()
    labels = [c.label for c in CRITERIA][::-1]
    keys = [c.key for c in CRITERIA][::-1]
    mature = places[places["mature"].fillna(False).astype(bool)]
    y = np.arange(len(keys))
    for offset, frame, style, name in ((0.2, places, OTHER, "Tous les lieux"),
                                       (-0.2, mature, MATURE, "Lieux matures")):
        means = [frame[k].mean() if len(frame) else 0 for k in keys]
        bars = ax.barh(y + offset, np.nan_to_num(means), height=0.38, color=style["color"],
                       edgecolor=style["edge"], linewidth=0.6, label=name)
        ax.bar_label(bars, labels=[decimal(m) for m in means], padding=2,
                     fontsize=7)
    ax.set_yticks(y, labels, fontdict=FONT)
    ax.set_xlim(0, SCORE_MAX + 0.4)
    ax.set_xticks(range(5))
    ax.set_xlabel("Note moyenne (0 à 4)", fontdict=FONT)
    ax.tick_params(labelsize=7)
    ax.legend(prop=FONT, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return _png(figure)


def criteria_distribution(places: pd.DataFrame, width_in: float = 7.0) -> bytes:
    """One panel per criterion (and the mean score): number of places at each score,
    mature places stacked on the others (``distribution_figure`` as a PNG)."""
    return _png(distribution_figure(places, width_in))


def distribution_figure(places: pd.DataFrame, width_in: float = 7.0) -> Figure:
    """The figure of ``criteria_distribution``. The grid is sized from ``CRITERIA``: rows of
    ``PANELS_PER_ROW`` panels, as many rows as the criteria and the mean score need."""
    panels = [(c.label, c.key) for c in CRITERIA] + [("Score moyen", "mean_score")]
    rows = -(-len(panels) // PANELS_PER_ROW)
    figure = Figure(figsize=(width_in, 2.2 * rows))
    grid = figure.subplots(rows, PANELS_PER_ROW, sharey=True, squeeze=False)
    axes = grid.ravel()
    for spare in axes[len(panels):]:
        spare.set_visible(False)
    mature = places["mature"].fillna(False).astype(bool)
    bins = np.arange(0, SCORE_MAX + 0.5, 0.5)
    for ax, (title, key) in zip(axes[:len(panels)], panels, strict=True):
        values = places[key].astype(float)
        # Scores are on half points; the mean score is rounded down to its half point.
        rounded = np.floor(values * 2) / 2
        others = [int(((rounded == b) & ~mature).sum()) for b in bins]
        matures = [int(((rounded == b) & mature).sum()) for b in bins]
        ax.bar(bins, others, width=0.42, color=OTHER["color"], edgecolor=OTHER["edge"],
               linewidth=0.4, label="Autres lieux")
        ax.bar(bins, matures, width=0.42, bottom=others, color=MATURE["color"],
               edgecolor=MATURE["edge"], linewidth=0.4, label="Lieux matures")
        ax.set_title(title, fontdict={**FONT, "weight": "bold"})
        ax.set_xticks(range(5))
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    for first in grid[:, 0]:
        first.set_ylabel("Nombre de lieux", fontdict=FONT)
    axes[0].legend(prop={**FONT, "size": 7}, loc="upper left")
    figure.tight_layout()
    return figure
