"""Forms as one-row imports: the same validation (and French messages) as a file import."""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from observatory import formatting, importing
from observatory.formatting import is_blank, is_missing
from observatory.importing.mapping import labels
from observatory.importing.parsing import MAX_LENGTH
from observatory.maturity import MaturityRule, explain, is_mature
from observatory.model import CRITERIA, CRITERIA_KEYS, SCORE_MAX, SCORE_MIN, SCORE_STEP

# Longest texts a form accepts: the import validation's limits, so that a form never lets
# through what the validation would refuse (nor refuses what it accepts). For the place form,
# the evaluation form and any form with a name and free notes (consortia, equipment).
NAME_MAX_CHARS = MAX_LENGTH["name"]  # 200
NOTES_MAX_CHARS = MAX_LENGTH["evidence"]  # 5,000
AUTHOR_MAX_CHARS = 120  # a name typed for the audit trail (demonstration mode)

# The scores a form or a filter offers: SCORE_MIN to SCORE_MAX by SCORE_STEP (0, 0.5 … 4).
SCORE_OPTIONS = tuple(SCORE_MIN + i * SCORE_STEP
                      for i in range(int((SCORE_MAX - SCORE_MIN) / SCORE_STEP) + 1))


def _text(value: object) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (list, tuple)):
        return "|".join(str(v) for v in value)
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value)


def one_row(values: Mapping[str, object]) -> pd.DataFrame:
    """A form's values as the string table the import validation reads (row 2, as in a file)."""
    return pd.DataFrame([{k: _text(v) for k, v in values.items()}], index=[2])


def check_place(values: Mapping[str, object], communes, existing_places: pd.DataFrame,
                loaded_version: int | None = None) -> importing.ValidationReport:
    """Validate a place form. For an edit (``place_id`` in ``values``), the update is checked
    against the version the form was loaded at, so a concurrent save is refused, not lost.
    The form edits that very place: its name is taken as typed (a rename, a respelling)."""
    report = importing.validate_places(one_row(values), communes, existing_places,
                                       confirmed_renames=frozenset({2}))
    if values.get("place_id") is not None:
        report.records = [_with_erasures(r, values, existing_places) for r in report.records]
    if loaded_version is not None:
        report.records = [replace(r, version=loaded_version) if r.action == importing.UPDATE
                          else r for r in report.records]
    return report


# Fields a form may empty. An import keeps the stored value behind an empty cell (the file
# may simply lack it); a form shows the stored value, so an empty field was cleared on purpose.
# (Empty coordinates mean « the commune's centre », handled by the validation.)
CLEARABLE = ("legal_status", "opening_year", "thematics", "website", "contact")


def _with_erasures(record, values: Mapping[str, object], existing_places: pd.DataFrame):
    """``record`` with the fields the form emptied set to empty (NULL), as audited changes."""
    if record.action not in (importing.UPDATE, importing.UNCHANGED) or record.place_id is None:
        return record
    stored = existing_places[existing_places["id"] == record.place_id]
    if stored.empty:
        return record
    old = stored.iloc[0]
    erased = {key: ([] if key == "thematics" else None) for key in CLEARABLE
              if key in values and is_blank(values[key]) and key in old and not is_blank(old[key])}
    if not erased:
        return record
    changes = dict(record.changes)
    for key, empty in erased.items():
        before = old[key]
        changes[key] = (list(before) if key == "thematics" else
                        before.item() if hasattr(before, "item") else before, empty)
    return replace(record, action=importing.UPDATE, changes=changes,
                   place={**record.place, **erased})


def check_evaluation(values: Mapping[str, object], existing_places: pd.DataFrame,
                     existing_evaluations: pd.DataFrame) -> importing.ValidationReport:
    return importing.validate_evaluations(one_row(values), existing_places, existing_evaluations)


# --- what a new evaluation changes (shown before it is saved) ----------------------------

@dataclass(frozen=True)
class ScoreChange:
    """One criterion's score before and after a new evaluation (None: not scored)."""

    key: str
    label: str
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old


def _score_or_none(value: object) -> float | None:
    return None if is_missing(value) else float(value)


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def mean_text(mean: float | None) -> str:
    """A mean of scores in French, to one decimal unless that would round it onto another
    value (2.9583 is « 2,96 », not « 3,0 », which would read as reaching a threshold of 3)."""
    if is_missing(mean):
        return formatting.MISSING
    return formatting.score(mean) if round(mean, 1) == round(mean, 2) else \
        formatting.decimal(mean, 2)


def _delta_text(old: float | None, new: float | None, text=formatting.score) -> str:
    if old is None or new is None:
        return formatting.MISSING
    delta = round(new - old, 2)
    if delta == 0:
        return "="
    return ("+" if delta > 0 else "") + text(delta)


@dataclass(frozen=True)
class EvaluationChange:
    """What a new evaluation changes: per criterion, the mean and maturity under ``rule``."""

    criteria: tuple[ScoreChange, ...]
    old_mean: float | None
    new_mean: float | None
    old_mature: bool
    new_mature: bool
    first: bool  # no previous evaluation
    rule: MaturityRule

    @property
    def unscored(self) -> tuple[str, ...]:
        """Labels of the criteria the new evaluation leaves without a score."""
        return tuple(c.label for c in self.criteria if c.new is None)

    @property
    def complete(self) -> bool:
        return not self.unscored

    @property
    def changed(self) -> bool:
        return any(c.old != c.new for c in self.criteria)

    @property
    def maturity_changed(self) -> bool:
        """The place starts or stops being mature (asked only once every criterion is scored)."""
        return self.complete and self.old_mature != self.new_mature

    @property
    def becomes_mature(self) -> bool:
        return self.maturity_changed and self.new_mature

    @property
    def stops_being_mature(self) -> bool:
        return self.maturity_changed and not self.new_mature

    def rows(self) -> list[dict[str, str]]:
        """The comparison as a French table: one row per criterion, then the mean."""
        rows = [{"Critère": c.label, "Dernière évaluation": formatting.score(c.old),
                 "Nouvelle évaluation": formatting.score(c.new),
                 "Écart": _delta_text(c.old, c.new)} for c in self.criteria]
        rows.append({"Critère": "Moyenne", "Dernière évaluation": mean_text(self.old_mean),
                     "Nouvelle évaluation": mean_text(self.new_mean),
                     "Écart": _delta_text(self.old_mean, self.new_mean, mean_text)})
        return rows

    def maturity_warning(self, name: str) -> str | None:
        """Why the place starts or stops being mature, in French; None when it does not."""
        if not self.maturity_changed:
            return None
        if self.stops_being_mature:
            reasons = explain(self.new_scores(), self.rule)
            return (f"Avec ces notes, {name} ne sera plus mature selon la règle en vigueur : "
                    + " ".join(reasons))
        return (f"Avec ces notes, {name} deviendra mature selon la règle en vigueur "
                f"(moyenne {mean_text(self.new_mean)}, aucun critère sous "
                f"{formatting.threshold(self.rule.min_each)}).")

    def confirmation_label(self) -> str:
        return ("Je confirme : ce lieu ne sera plus mature." if self.stops_being_mature
                else "Je confirme : ce lieu deviendra mature.")

    def new_scores(self) -> dict[str, float | None]:
        return {c.key: c.new for c in self.criteria}


def evaluation_change(previous_scores: Mapping[str, object] | None,
                      new_scores: Mapping[str, object],
                      rule: MaturityRule) -> EvaluationChange:
    """Compare a place's previous scores (None: never evaluated) with a new evaluation's.

    Scores are read for every criterion of ``CRITERIA``; a missing one (None, NaN, pd.NA) is
    « not scored ». The means are those of the criteria scored (as ``mean_score``); maturity
    is the rule in force's (a place never evaluated is not mature).
    """
    previous = previous_scores or {}
    criteria = tuple(ScoreChange(c.key, c.label, _score_or_none(previous.get(c.key)),
                                 _score_or_none(new_scores.get(c.key))) for c in CRITERIA)
    old = {c.key: c.old for c in criteria}
    new = {c.key: c.new for c in criteria}
    return EvaluationChange(
        criteria=criteria,
        old_mean=_mean(list(old.values())), new_mean=_mean(list(new.values())),
        old_mature=is_mature(old, rule), new_mature=is_mature(new, rule),
        first=previous_scores is None, rule=rule)


@dataclass(frozen=True)
class LatestEvaluation:
    """A place's latest evaluation: its date and scores (the place's current scores)."""

    evaluated_on: dt.date
    scores: dict[str, float | None]

    def replaced_by(self, evaluated_on: dt.date) -> bool:
        """Whether an evaluation of that date becomes the latest (same day: it comes last)."""
        return evaluated_on >= self.evaluated_on


def latest_evaluation(history: pd.DataFrame) -> LatestEvaluation | None:
    """The last evaluation of a place's history (oldest first, as ``evaluation_history``)."""
    if history.empty:
        return None
    last = history.sort_values(["evaluated_on", "id"]).iloc[-1]
    return LatestEvaluation(pd.Timestamp(last["evaluated_on"]).date(),
                            {k: _score_or_none(last.get(k)) for k in CRITERIA_KEYS})


# --- a place's audit trail, as the Lieux page lists it ------------------------------------

AUDIT_LABELS = {**labels("places"), "archived": "Archivé",
                "location_approximate": "Position approximative",
                "is_demo": "Donnée de démonstration",
                "restored_place_id": "Lieu rétabli (n°)"}  # the undo of a merge
PRIVATE_FIELDS = ("contact",)  # personal data: shown only to who may see contacts


def audit_value(value: object) -> str:
    """A stored value in French: « oui »/« non », « – » when empty, lists joined, numbers
    with a decimal comma (a year as a year: « 2012 »), dates in words."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if is_blank(value):
        return formatting.MISSING
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, (dt.date, pd.Timestamp)):
        return formatting.long_date(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return formatting.number(value)
    return str(value)


def audit_change(old_values: Mapping[str, object] | None,
                 new_values: Mapping[str, object] | None, *, show_contact: bool = False) -> str:
    """One audit entry's changes: « Nom du lieu : « A » → « B »; Archivé : « non » → « oui » »."""
    old, new = dict(old_values or {}), dict(new_values or {})
    fields = sorted(set(old) | set(new))
    return "; ".join(
        f"{AUDIT_LABELS.get(f, f)} : « {audit_value(old.get(f))} » → « {audit_value(new.get(f))} »"
        for f in fields if show_contact or f not in PRIVATE_FIELDS)


def audit_date(value: object) -> str:
    """When a change was made: « 21 janvier 2025 à 14 h 05 »."""
    if is_missing(value):
        return formatting.MISSING
    stamp = pd.Timestamp(value)
    return f"{formatting.long_date(stamp)} à {stamp.hour} h {stamp.minute:02d}"
