"""What a validation returns: typed records ready to write, and the problems, in French."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from observatory.formatting import count, integer
from observatory.importing.parsing import Invalid, shorten

ERROR = "erreur"  # blocks the whole import
WARNING = "avertissement"  # shown, does not block
DROPPED = "ligne écartée"  # an error of a row left out on request (« importer les lignes valides »)

ADD = "ajout"
UPDATE = "mise à jour"
UNCHANGED = "inchangé"
SKIPPED = "ignorée"  # an exact repeat of an earlier row, or outside the perimeter on request
REJECTED = "erreur"  # the row has an error: nothing of the file is written
LEFT_OUT = "écartée"  # a row in error left out on request: the valid rows are written
OUTSIDE_COLUMNS = ["ligne", "nom", "commune", "code INSEE", "raison"]
REPAIR_COLUMNS = ["ligne", "colonne", "avant", "après", "raison"]

PROBLEM_COLUMNS = ["ligne", "colonne", "valeur", "problème", "suggestion"]
CHANGE_COLUMNS = ["ligne", "action", "identifiant", "lieu", "champ", "avant", "après"]
RENAME_PENDING = "renommage à confirmer"  # the action of a refused rename's changes


@dataclass(frozen=True)
class Problem:
    """One problem found in an imported file, at a row and column the user can find."""

    row: int  # as the user sees it: header is row 1 (GeoJSON: the feature's number)
    column: str  # French column name
    value: str
    message: str  # French
    suggestion: str = ""
    severity: str = ERROR


@dataclass(frozen=True)
class Repair:
    """A cell repaired before validation because the repair is certain (French reason)."""

    row: int
    column: str
    old: str
    new: str
    reason: str


@dataclass(frozen=True)
class PlaceRecord:
    """One place to write. ``place`` has the keys of ``store.places.PLACE_FIELDS``.

    - ADD: insert ``place``; ``place_id`` is None.
    - UPDATE: set ``changes`` (field -> (old, new)) on ``place_id``, read at ``version``;
      ``place`` is the merged result, for display.
    - UNCHANGED: nothing to write.
    ``evaluation`` (keys of ``store.evaluations.FIELDS`` but ``place_id``) is inserted for
    the new or updated place when the row carried scores that differ from its latest ones.
    """

    row: int
    action: str
    place: dict[str, Any]
    place_id: int | None = None
    version: int | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    evaluation: dict[str, Any] | None = None
    # Where the row comes from (``families.Origin``: source, record id, file, publisher,
    # vintage) and the place fields it gave (``provenance`` names), for place_sources and
    # field_provenance; None for the place form.
    origin: Any = None
    given: tuple[str, ...] = ()
    matched_by: str = ""  # how an existing place was found: "source", "id", "name"


@dataclass(frozen=True)
class EvaluationRecord:
    """One evaluation to insert (ADD) or already stored (UNCHANGED); keys of
    ``store.evaluations.FIELDS``, ``place_id`` resolved."""

    row: int
    action: str
    evaluation: dict[str, Any]
    place_name: str


@dataclass(frozen=True)
class Rename:
    """A row whose identifier designates a stored place with another name: refused unless
    the analyst confirms it (``confirmed_renames``), since a shifted identifier column
    looks exactly like this."""

    row: int
    place_id: int
    old_name: str
    new_name: str
    old_commune: str
    new_commune: str
    confirmed: bool = False

    def label(self) -> str:
        """French, for a confirmation checkbox."""
        return (f"Ligne {self.row} : renommer « {self.old_name} » (n° {self.place_id}, "
                f"{self.old_commune}) en « {self.new_name} » ({self.new_commune})")


@dataclass(frozen=True)
class Change:
    """One field of one update, for the field-by-field preview (values shown in French)."""

    row: int
    action: str  # UPDATE, or RENAME_PENDING for a refused rename
    place_id: int
    place_name: str  # the stored name
    field: str  # French label
    old: str
    new: str


class RowChecker:
    """Collects the problems of one row; parsers raise ``Invalid``, the checker records."""

    def __init__(self, row: int, labels: dict[str, str]) -> None:
        self.row, self.labels = row, labels
        self.problems: list[Problem] = []
        self.reasons: list[Problem] = []  # why the row would be skipped

    def add(self, key: str, value: object, message: str, suggestion: str = "",
            severity: str = ERROR, *, reason: bool = False) -> None:
        """Record a problem; ``reason``: it explains why the row is skipped, the only
        problems a skipped row keeps (see ``skip``)."""
        column = self.labels.get(key, key)
        problem = Problem(self.row, column, shorten(str(value or "")), message, suggestion,
                          severity)
        self.problems.append(problem)
        if reason:
            self.reasons.append(problem)

    def skip(self) -> None:
        """The row is ignored: only the reasons remain, its own errors no longer count."""
        self.problems = list(self.reasons)

    def error(self, key: str, value: object, message: str, suggestion: str = "") -> None:
        self.add(key, value, message, suggestion, ERROR)

    def warn(self, key: str, value: object, message: str, suggestion: str = "") -> None:
        self.add(key, value, message, suggestion, WARNING)

    def parse(self, key: str, text: str, parser, *args):
        """``parser(text, *args)``, or None with the error recorded."""
        try:
            return parser(text, *args)
        except Invalid as exc:
            self.error(key, text, exc.message, exc.suggestion)
            return None

    @property
    def failed(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)


@dataclass
class ValidationReport:
    """Records ready to write, problems, and a preview of every row with its action."""

    kind: str
    records: list[PlaceRecord] | list[EvaluationRecord]
    problems: list[Problem]
    preview: pd.DataFrame
    changes: list[Change] = field(default_factory=list)
    renames: list[Rename] = field(default_factory=list)
    # What the reader and the column mapping chose by themselves (encoding, header row, twin
    # columns): French sentences, shown before the problems by the Importer and the CLI.
    notes: list[str] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)  # certain repairs, said in French
    outside: list[dict] = field(default_factory=list)  # rows « hors territoire » (skipped)
    family: str = ""  # the French label of the recognised source family, "" for none
    left_out: list[int] = field(default_factory=list)  # rows in error left out on request

    @property
    def ok(self) -> bool:
        """No error: the import may be written (warnings do not block)."""
        return not any(p.severity == ERROR for p in self.problems)

    def _frame(self, severity: str | None) -> pd.DataFrame:
        rows = [(p.row, p.column, p.value, p.message, p.suggestion, p.severity)
                for p in self.problems if severity is None or p.severity == severity]
        frame = pd.DataFrame(rows, columns=[*PROBLEM_COLUMNS, "gravité"])
        return frame if severity is None else frame.drop(columns="gravité")

    @property
    def errors(self) -> pd.DataFrame:
        return self._frame(ERROR)

    @property
    def warnings(self) -> pd.DataFrame:
        return self._frame(WARNING)

    @property
    def problem_table(self) -> pd.DataFrame:
        """Errors and warnings together, with a "gravité" column; errors first (they are
        what blocks the import), then in row order."""
        frame = self._frame(None)
        if "gravité" not in frame or frame.empty:
            return frame
        return frame.sort_values("gravité", key=lambda g: g != ERROR, kind="stable",
                                 ignore_index=True)

    @property
    def repair_table(self) -> pd.DataFrame:
        """Each certain repair: ligne, colonne, avant, après, raison."""
        return pd.DataFrame([(r.row, r.column, r.old, r.new, r.reason) for r in self.repairs],
                            columns=REPAIR_COLUMNS)

    @property
    def outside_table(self) -> pd.DataFrame:
        """The rows skipped as « hors territoire »: ligne, nom, commune, code INSEE, raison."""
        return pd.DataFrame(self.outside, columns=OUTSIDE_COLUMNS)

    def outside_text(self) -> str:
        """« 2 834 lignes hors territoire (ignorées) », "" when none."""
        if not self.outside:
            return ""
        return count(len(self.outside), "ligne hors territoire (ignorée)",
                     "lignes hors territoire (ignorées)")

    def left_out_text(self) -> str:
        """« 3 lignes en erreur écartées : les lignes valides seront importées », ""."""
        if not self.left_out:
            return ""
        return count(len(self.left_out), "ligne en erreur écartée",
                     "lignes en erreur écartées") + " : les lignes valides seront importées"

    @property
    def changes_table(self) -> pd.DataFrame:
        """Each update field by field: ligne, action, identifiant, lieu (its stored name),
        champ (French label), avant, après. Refused renames are listed too (action
        "renommage à confirmer"): what confirming them would write."""
        return pd.DataFrame([(c.row, c.action, c.place_id, c.place_name, c.field, c.old, c.new)
                             for c in self.changes], columns=CHANGE_COLUMNS)

    def to_write(self) -> list[PlaceRecord] | list[EvaluationRecord]:
        """The records that change the store (additions and updates), once ``ok``."""
        return [r for r in self.records if r.action in (ADD, UPDATE)]

    def counts(self) -> dict[str, int]:
        """Rows per action of the preview ("ajout", "mise à jour", "inchangé", …)."""
        if self.preview.empty:
            return {}
        return dict(Counter(self.preview["action"]))

    def summary(self) -> str:
        """One French sentence: '40 lignes prêtes (38 ajouts, 2 mises à jour), 2 en erreur
        (3 erreurs), 1 avertissement.' Every error is counted, even one on no row (a
        missing column); the errors are given when there are more than rows in error. Rows
        skipped as outside the territory are one figure (« 2 834 hors territoire »), their
        warnings not counted again."""
        counts = self.counts()
        ready = sum(counts.get(a, 0) for a in (ADD, UPDATE, UNCHANGED))
        parts = [count(counts[a], *_WORDS[a]) for a in (ADD, UPDATE, UNCHANGED)
                 if counts.get(a)]
        text = count(ready, "ligne prête", "lignes prêtes")
        text += f" ({', '.join(parts)})" if parts else ""
        errors = sum(p.severity == ERROR for p in self.problems)
        in_error = count(errors, "erreur", "erreurs")
        if counts.get(REJECTED):
            text += f", {integer(counts[REJECTED])} en erreur"
            text += f" ({in_error})" if errors > counts[REJECTED] else ""
        elif errors:
            text += f", {in_error}"
        if counts.get(LEFT_OUT):
            text += ", " + count(counts[LEFT_OUT], "écartée", "écartées")
        outside = {o["ligne"] for o in self.outside}
        skipped = counts.get(SKIPPED, 0) - len(outside)
        if skipped:
            text += ", " + count(skipped, "ignorée", "ignorées")
        if outside:  # their reasons stay in the problem table, counted here as one figure
            text += f", {integer(len(outside))} hors territoire"
        warnings = sum(p.severity == WARNING and p.row not in outside for p in self.problems)
        if warnings:
            text += ", " + count(warnings, "avertissement", "avertissements")
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``: ok, counts, summary, the problem table, the changes
        field by field and the renames awaiting confirmation."""
        problems = self.problem_table.to_dict(orient="records")
        changes = [{"ligne": c.row, "action": c.action, "identifiant": c.place_id,
                    "lieu": c.place_name, "champ": c.field, "avant": c.old, "après": c.new}
                   for c in self.changes]
        renames = [{"ligne": r.row, "identifiant": r.place_id, "nom enregistré": r.old_name,
                    "nom du fichier": r.new_name, "confirmé": r.confirmed}
                   for r in self.renames]
        return {"ok": self.ok, "kind": self.kind, "counts": self.counts(),
                "summary": self.summary(), "notes": list(self.notes), "problems": problems,
                "changes": changes, "renames": renames, "family": self.family,
                "repairs": self.repair_table.to_dict(orient="records"),
                "outside": self.outside_table.to_dict(orient="records"),
                "left_out": list(self.left_out)}


_WORDS = {ADD: ("ajout", "ajouts"), UPDATE: ("mise à jour", "mises à jour"),
          UNCHANGED: ("inchangée", "inchangées")}


class _ByRow(dict):
    """Row -> text, "" for a row without problems (``Series.map`` honours __missing__)."""

    def __missing__(self, key: int) -> str:
        return ""


def problems_by_row(problems: list[Problem]) -> dict[int, str]:
    """Short preview cell per row: '1 erreur, 2 avertissements'."""
    counts = Counter((p.row, p.severity) for p in problems)
    out = _ByRow()
    for row in {p.row for p in problems}:
        parts = []
        for severity, word in ((ERROR, "erreur"), (WARNING, "avertissement")):
            n = counts.get((row, severity), 0)
            if n:
                parts.append(f"{n} {word}{'s' if n > 1 else ''}")
        out[row] = ", ".join(parts)
    return out


# The parts of the demonstration set an import removes (``store.places.demo_counts``), in
# the order they are said: key, singular, plural.
DEMO_PARTS = (
    ("places", "lieu", "lieux"),
    ("evaluations", "évaluation", "évaluations"),
    ("consortia", "consortium", "consortiums"),
    ("applications", "candidature à un appel à projets", "candidatures à un appel à projets"),
    ("equipment", "équipement", "équipements"),
    ("stays", "séjour d'équipement", "séjours d'équipement"),
    ("calls", "appel à projets de démonstration", "appels à projets de démonstration"),
)
# The demonstration calls an import keeps: someone's application or item refers to them.
DEMO_CALLS_KEPT = ("calls_kept", "appel à projets de démonstration est conservé",
                   "appels à projets de démonstration sont conservés")


def demo_removal_text(counts: dict[str, int] | None) -> str:
    """The demonstration data an import removes, in French: « 42 lieux, 96 évaluations,
    3 consortiums, 1 candidature à un appel à projets, 4 équipements, 9 séjours
    d'équipement et 6 appels à projets de démonstration ». Parts with nothing are left out;
    "" when nothing at all. The demonstration calls kept are said after: « (1 appel à
    projets de démonstration est conservé, car une candidature ou un équipement saisi s'y
    rattache : vérifiez son budget et ses dates, page Appels à projets) »."""
    counts = counts or {}
    parts = [count(counts[key], one, many) for key, one, many in DEMO_PARTS if counts.get(key)]
    text = "".join(parts) if len(parts) < 2 else ", ".join(parts[:-1]) + " et " + parts[-1]
    key, one, many = DEMO_CALLS_KEPT
    kept = counts.get(key, 0)
    if kept:
        which = ("une candidature ou un équipement saisi s'y rattache : vérifiez son budget et "
                 "ses dates" if kept == 1 else "des candidatures ou des équipements saisis s'y "
                 "rattachent : vérifiez leurs budgets et leurs dates")
        text += (" " if text else "") + (f"({count(kept, one, many)}, car {which}, "
                                          "page Appels à projets)")
    return text


DEMO_PREFIX = "demo_"  # the keys of the demonstration data removed, in a write's counts


def demo_removed(written: dict[str, int] | None) -> dict[str, int]:
    """The demonstration data a write removed, from its counts ("demo_places": 42 ->
    "places": 42)."""
    return {key[len(DEMO_PREFIX):]: int(n) for key, n in (written or {}).items()
            if key.startswith(DEMO_PREFIX)}


def written_text(written: dict[str, int]) -> str:
    """What an import wrote, in French: « 2 lieux ajoutés, 1 lieu mis à jour et
    3 évaluations enregistrées », then, when it replaced the demonstration data, a second
    sentence saying what was removed with it."""
    parts = [count(written.get("added", 0), "lieu ajouté", "lieux ajoutés"),
             count(written.get("updated", 0), "lieu mis à jour", "lieux mis à jour"),
             count(written.get("evaluations", 0), "évaluation enregistrée",
                   "évaluations enregistrées")]
    text = f"{', '.join(parts[:-1])} et {parts[-1]}."
    removed = demo_removal_text(demo_removed(written))
    if removed:
        text += f" Données de démonstration retirées : {removed}."
    return text


def skipped_last(preview: pd.DataFrame) -> pd.DataFrame:
    """The line-by-line preview with the rows that will be written first and the ignored
    ones after, each group in file order: 2,834 rows outside the territory must not hide
    the 11 that an import of the national France services list writes."""
    if "action" not in preview or preview.empty:
        return preview
    return preview.sort_values("action", key=lambda a: a.eq(SKIPPED), kind="stable")
