"""Maturity: a pure, explicit, configurable rule over a place's five scores."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import pandas as pd

from observatory.formatting import is_missing, threshold
from observatory.model import (
    CRITERIA_KEYS,
    CRITERIA_WORD,
    CRITERION_BY_KEY,
    SCORE_MAX,
    SCORE_MIN,
)


@dataclass(frozen=True)
class MaturityRule:
    """A place is mature when its mean score reaches ``min_mean`` and no criterion
    falls below ``min_each`` (scores on the 0–4 scale).

    The floor keeps a place strong on four criteria but absent on one (say, closed
    governance) from carrying projects: the measure asks for places that are
    rounded, not just high on average.
    """

    min_mean: float = 3.0
    min_each: float = 2.0

    def __post_init__(self) -> None:
        for name, value in (("min_mean", self.min_mean), ("min_each", self.min_each)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or is_missing(value):
                raise ValueError(f"Le seuil « {name} » doit être un nombre.")
            if not SCORE_MIN <= value <= SCORE_MAX:
                raise ValueError(
                    f"Le seuil « {name} » doit être compris entre {SCORE_MIN:g} et {SCORE_MAX:g}."
                )

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def describe(self) -> str:
        """The rule in plain French, for the UI and the reports."""
        return (
            f"Un lieu est **mature** lorsque la moyenne de ses {CRITERIA_WORD} critères atteint "
            f"au moins {threshold(self.min_mean)} sur {threshold(SCORE_MAX)} "
            f"et qu'aucun critère n'est noté en dessous de {threshold(self.min_each)}."
        )


DEFAULT_RULE = MaturityRule()

def _complete(scores: Mapping[str, float | None]) -> dict[str, float] | None:
    if any(is_missing(scores.get(key)) for key in CRITERIA_KEYS):
        return None
    return {key: float(scores[key]) for key in CRITERIA_KEYS}


def is_mature(scores: Mapping[str, float | None], rule: MaturityRule = DEFAULT_RULE) -> bool:
    """True when all five scores are known and satisfy the rule."""
    return not explain(scores, rule)


def explain(scores: Mapping[str, float | None], rule: MaturityRule = DEFAULT_RULE) -> list[str]:
    """Reasons, in French, why a place is not mature; empty when it is."""
    values = _complete(scores)
    if values is None:
        missing = [CRITERION_BY_KEY[k].label for k in CRITERIA_KEYS if is_missing(scores.get(k))]
        return ["Évaluation incomplète : " + ", ".join(missing) + " non noté(s)."]
    reasons = []
    mean = sum(values.values()) / len(values)
    # A tolerance keeps 2.9999999 (float sums) from failing a 3.0 threshold.
    if mean + 1e-9 < rule.min_mean:
        reasons.append(
            f"Moyenne {threshold(round(mean, 2))} inférieure au seuil de "
            f"{threshold(rule.min_mean)}."
        )
    for key, value in values.items():
        if value + 1e-9 < rule.min_each:
            reasons.append(
                f"{CRITERION_BY_KEY[key].label} noté {threshold(value)}, "
                f"sous le plancher de {threshold(rule.min_each)}."
            )
    return reasons


def mature_flags(scores: pd.DataFrame, rule: MaturityRule = DEFAULT_RULE) -> pd.Series:
    """Vectorised ``is_mature`` over a frame with one column per criterion key."""
    values = scores[list(CRITERIA_KEYS)].astype(float)
    complete = values.notna().all(axis=1)
    mean_ok = values.mean(axis=1) + 1e-9 >= rule.min_mean
    floor_ok = (values + 1e-9 >= rule.min_each).all(axis=1)
    return (complete & mean_ok & floor_ok).rename("mature")


def compare_rules(
    scores: pd.DataFrame, current: MaturityRule, proposed: MaturityRule
) -> pd.DataFrame:
    """Places whose maturity changes from ``current`` to ``proposed``.

    Returns the rows of ``scores`` that change, with a ``change`` column:
    'devient mature' or 'n'est plus mature'.
    """
    before = mature_flags(scores, current)
    after = mature_flags(scores, proposed)
    changed = scores.loc[before != after].copy()
    changed["change"] = after[before != after].map(
        {True: "devient mature", False: "n'est plus mature"}
    )
    return changed
