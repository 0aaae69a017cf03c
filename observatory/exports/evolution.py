"""The evolution section's input: the comparison of ``observatory.evolution`` as a plain dict.

``build_report(..., diff=...)`` accepts either an ``observatory.evolution.Evolution`` (what
``observatory.evolution.compare`` returns; the CLI and the app pass it) or a dict of this
shape, every key optional (a caller with its own comparison may build it by hand):

- ``previous_label`` (str), ``previous_date`` (date, datetime or str)
- ``counts``: ``{"places": (before, after), "mature": (before, after)}``
- ``places_added``, ``places_removed``, ``became_mature``, ``no_longer_mature``,
  ``consortia_added``: lists of names
- ``criteria``: ``{criterion_key: {"mean_before", "mean_after", "up", "down"}}``, where
  ``up``/``down`` count the places present in both whose score rose / fell
- ``indicators``: ``{indicator_key: (before, after)}``
- ``equipment_added`` (int)
"""

from __future__ import annotations

import pandas as pd

from observatory import evolution
from observatory.bundle import Bundle
from observatory.exports import common
from observatory.model import CRITERIA

# Rows of ``Evolution.figures`` (column "indicateur") read into ``counts``.
COUNT_ROWS = {"places": "Lieux", "mature": "Lieux matures"}


def _names(frame: pd.DataFrame) -> list[str]:
    if frame is None or frame.empty or "name" not in frame:
        return []
    return sorted((common.clean_text(n) for n in frame["name"]), key=common.sort_key)


def _figures(figures: pd.DataFrame) -> dict[str, tuple[float, float]]:
    if figures is None or figures.empty or "indicateur" not in figures:
        return {}
    return {row["indicateur"]: (row["avant"], row["après"]) for _, row in figures.iterrows()}


def _criteria(e, figures: dict) -> dict[str, dict[str, float]]:
    changes = e.score_changes
    out = {}
    for c in CRITERIA:
        means = figures.get(f"Moyenne « {c.short} »")
        moved = (changes[changes["critère"] == c.label]["écart"].astype(float)
                 if len(changes) else pd.Series(dtype=float))
        if means is None and moved.empty:
            continue
        out[c.key] = {"mean_before": means[0] if means else float("nan"),
                      "mean_after": means[1] if means else float("nan"),
                      "up": int((moved > 0).sum()), "down": int((moved < 0).sum())}
    return out


def from_evolution(e, previous: Bundle | None = None) -> dict:
    """An ``observatory.evolution.Evolution`` as the documented dict."""
    figures = _figures(e.figures)
    out = {
        "previous_label": e.before_label,
        "counts": {key: figures[row] for key, row in COUNT_ROWS.items() if row in figures},
        "indicators": {key: figures[label] for key, label in common.INDICATORS
                       if label in figures},
        "places_added": _names(e.places_added),
        "places_removed": _names(e.places_removed),
        "became_mature": _names(e.became_mature),
        "no_longer_mature": _names(e.stopped_mature),
        "consortia_added": _names(e.consortia_added),
        "criteria": _criteria(e, figures),
        "equipment_added": len(e.equipment_added),
    }
    if previous is not None:
        out["previous_date"] = previous.created_at
    return out


def as_dict(diff, previous: Bundle | None, current: Bundle) -> dict | None:
    """The evolution to print: ``diff`` as given (dict or Evolution), else computed from
    ``previous`` by ``observatory.evolution``; None when there is nothing to compare."""
    if isinstance(diff, dict):
        return diff
    if diff is None and previous is not None:
        diff = evolution.compare(previous, current)
    return from_evolution(diff, previous) if diff is not None else None
