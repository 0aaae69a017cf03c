"""Consortia as records: validation before saving, counts per call year and status."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from observatory import errors
from observatory.eligibility import CALL_YEARS
from observatory.errors import UserInputError
from observatory.formatting import integer, is_missing
from observatory.model import CONSORTIUM_STATUSES

# A consortium is "formed" (the measure's indicator) once it exists beyond the idea stage:
# submitted to the call, funded, or refused (it was formed all the same).
FORMED_STATUSES = ("submitted", "funded", "refused")
NAME_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 5000


class ConsortiumError(UserInputError):
    """A consortium that cannot be saved; the message is in French."""


class ConflictError(ConsortiumError, errors.ConflictError):
    """Someone else saved the record since it was read."""


@dataclass
class Consortium:
    """A consortium of places applying to one call year; ``version`` guards concurrent edits."""

    name: str
    member_ids: list[int]
    lead_place_id: int
    call_year: int
    status: str = "idea"
    location_place_id: int | None = None
    description: str = ""
    id: int | None = None
    version: int = 0
    extra: dict = field(default_factory=dict)

    def validate(self) -> None:
        problems = []
        if not self.name.strip():
            problems.append("Donnez un nom au consortium.")
        if len(self.name) > NAME_MAX_CHARS:
            problems.append(f"Le nom du consortium dépasse {integer(NAME_MAX_CHARS)} caractères.")
        if len(set(self.member_ids)) < 2:
            problems.append("Un consortium réunit au moins deux lieux.")
        if self.lead_place_id not in self.member_ids:
            problems.append("Le lieu chef de file doit faire partie du consortium.")
        if self.location_place_id is not None and self.location_place_id not in self.member_ids:
            problems.append("Le lieu du projet doit être l'un des lieux du consortium.")
        if self.call_year not in CALL_YEARS:
            problems.append(f"L'année d'appel doit être comprise entre {CALL_YEARS[0]} et "
                            f"{CALL_YEARS[-1]}.")
        if self.status not in CONSORTIUM_STATUSES:
            problems.append(f"Statut inconnu : {self.status}.")
        if len(self.description) > DESCRIPTION_MAX_CHARS:
            problems.append(f"La description dépasse {integer(DESCRIPTION_MAX_CHARS)} caractères.")
        if problems:
            raise ConsortiumError(" ".join(problems))


def counts_by_year_and_status(consortia: pd.DataFrame) -> pd.DataFrame:
    """Number of consortia per call year and status (French labels), every call year shown."""
    years = list(CALL_YEARS)
    grid = pd.MultiIndex.from_product([years, list(CONSORTIUM_STATUSES)],
                                      names=["call_year", "status"])
    counts = (consortia.groupby(["call_year", "status"]).size()
              if len(consortia) else pd.Series(dtype=int))
    out = counts.reindex(grid, fill_value=0).rename("consortia").reset_index()
    out["status_label"] = out["status"].map(CONSORTIUM_STATUSES)
    return out


def formed_count(consortia: pd.DataFrame) -> int:
    return int(consortia["status"].isin(FORMED_STATUSES).sum()) if len(consortia) else 0


def from_row(row: dict) -> Consortium:
    """A stored row back into a record (for editing)."""
    location = row.get("location_place_id")
    return Consortium(
        id=int(row["id"]), name=row["name"], member_ids=list(row["member_ids"]),
        lead_place_id=int(row["lead_place_id"]),
        location_place_id=None if is_missing(location) else int(location),
        call_year=int(row["call_year"]), status=row["status"],
        description=row.get("description") or "", version=int(row["version"]))
