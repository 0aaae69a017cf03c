"""Checks shared by both kinds of import: text cells, file structure, the existing places."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from observatory.distances import haversine_km
from observatory.filters import fold
from observatory.formatting import integer, is_missing
from observatory.importing.base import READ_PROBLEM
from observatory.importing.mapping import fields, missing_required
from observatory.importing.parsing import (
    DEFAULT_MAX_LENGTH,
    MAX_LENGTH,
    contains_html,
    looks_like_formula,
)
from observatory.importing.report import Problem, RowChecker

DUPLICATE_RADIUS_M = 50.0


def name_key(name: str) -> str:
    """'Café de l’Écluse' and 'CAFE DE L'ECLUSE' are one place name."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(str(name))).split())


def is_null(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, (list, tuple, np.ndarray)):
        return len(value) == 0
    return is_missing(value) or (isinstance(value, str) and value == "")


def same(a: object, b: object) -> bool:
    """Equal for an update: nulls alike, floats to 1e-7, lists element-wise."""
    if is_null(a) or is_null(b):
        return is_null(a) and is_null(b)
    if isinstance(a, (list, tuple, np.ndarray)) or isinstance(b, (list, tuple, np.ndarray)):
        return isinstance(a, (list, tuple, np.ndarray)) and isinstance(
            b, (list, tuple, np.ndarray)) and list(a) == list(b)
    if isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        try:
            return math.isclose(float(a), float(b), abs_tol=1e-7)
        except (TypeError, ValueError):
            return False
    return a == b


def check_texts(cells: Mapping[str, str], checker: RowChecker) -> None:
    """Length limits (error), spreadsheet formulas and HTML (warnings: the text is kept)."""
    for key, text in cells.items():
        if not text or key == READ_PROBLEM:
            continue
        limit = MAX_LENGTH.get(key, DEFAULT_MAX_LENGTH)
        if len(text) > limit:
            checker.error(key, text, f"Texte trop long : {integer(len(text))} caractères pour "
                          f"{integer(limit)} au plus.",
                          "Raccourcissez la cellule (une erreur de copier-coller ?).")
            continue
        if looks_like_formula(text):
            checker.warn(key, text, f"Commence par « {text[0]} » : une formule de tableur. "
                         "Le texte est gardé tel quel et sera neutralisé dans les exports.",
                         "Retirez le signe initial si ce n'est pas voulu.")
        elif contains_html(text):
            checker.warn(key, text, "Contient du code HTML : il est gardé et sera affiché "
                         "comme du texte, jamais exécuté.", "Retirez les balises.")
    if cells.get(READ_PROBLEM):
        checker.error(READ_PROBLEM, "", cells[READ_PROBLEM][:1].upper()
                      + cells[READ_PROBLEM][1:] + ".")


def structural_problems(df: pd.DataFrame, kind: str) -> list[Problem]:
    """File-level errors (row 1, the header): no data, or a required column absent or empty.

    Reported once instead of once per row, and row checks are skipped.
    """
    filled = {f.key: f.key in df.columns and df[f.key].astype(str).str.strip().ne("").any()
              for f in fields(kind)}
    mapping = {k: (k if v else None) for k, v in filled.items()}
    return [Problem(1, "En-têtes", "", f"Il manque {gap}.",
                    "Associez cette colonne dans l'étape de correspondance ou complétez "
                    "le fichier (voir le modèle).")
            for gap in missing_required(mapping, kind)]


class ExistingPlaces:
    """The places already stored (``store.places.current``), indexed for matching."""

    def __init__(self, places: pd.DataFrame | None, sources: pd.DataFrame | None = None,
                 provenance: pd.DataFrame | None = None) -> None:
        """``sources``: rows of ``place_sources`` (source, record_id, place_id);
        ``provenance``: rows of ``field_provenance`` (place_id, field, source)."""
        self.frame = places if places is not None else pd.DataFrame()
        self.by_id: dict[int, dict] = {}
        self.by_key: dict[tuple[str, str], int] = {}
        self.by_name: dict[str, list[int]] = {}
        for row in self.frame.to_dict(orient="records"):
            pid = int(row["id"])
            self.by_id[pid] = row
            key = name_key(row.get("name", ""))
            self.by_key.setdefault((key, str(row.get("insee", ""))), pid)
            self.by_name.setdefault(key, []).append(pid)
        self._names = {name_key(r.get("name", "")): r.get("name", "")
                       for r in self.by_id.values()}
        self.by_source: dict[tuple[str, str], int] = {}
        if sources is not None and len(sources):
            for source, record, pid in sources[["source", "record_id", "place_id"]].itertuples(
                    index=False):
                if int(pid) in self.by_id:
                    self.by_source[(str(source), str(record))] = int(pid)
        self.manual: dict[int, set[str]] = {}
        if provenance is not None and len(provenance):
            typed = provenance[provenance["source"] == "manual"]
            for pid, fld in typed[["place_id", "field"]].itertuples(index=False):
                self.manual.setdefault(int(pid), set()).add(str(fld))

    def closest_names(self, name: str, n: int = 3) -> list[str]:
        found = difflib.get_close_matches(name_key(name), list(self._names), n=n, cutoff=0.6)
        return [self._names[k] for k in found]

    def near(self, lon: float, lat: float, radius_m: float = DUPLICATE_RADIUS_M
             ) -> list[tuple[int, float]]:
        """(id, metres) of the stored places within ``radius_m``, nearest first."""
        if self.frame.empty:
            return []
        metres = haversine_km(lon, lat, self.frame["lon"].to_numpy(float),
                              self.frame["lat"].to_numpy(float)) * 1000.0
        hits = np.flatnonzero(metres <= radius_m)
        order = hits[np.argsort(metres[hits])]
        return [(int(self.frame["id"].iloc[i]), float(metres[i])) for i in order]

    def describe(self, pid: int) -> str:
        row = self.by_id[pid]
        commune = row.get("commune") or row.get("insee") or ""
        return f"« {row.get('name')} » (n° {pid}, {commune})"


def text_rows(df):
    """(row number, {column: stripped text}) for each row of a mapped table.

    One conversion of the whole table to Python objects instead of a Series per row
    (``iterrows``): a third of a 20,000-row validation went there.
    """
    columns = [str(c) for c in df.columns]
    for row, values in zip(df.index, df.to_numpy(dtype=object), strict=True):
        yield row, {k: str(v).strip() for k, v in zip(columns, values, strict=True)}
