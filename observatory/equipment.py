"""Equipment items as records: validation before saving, and where an item is today."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from observatory.editing import NAME_MAX_CHARS, NOTES_MAX_CHARS  # the forms' limits, once
from observatory.eligibility import CALL_YEARS
from observatory.errors import UserInputError
from observatory.formatting import integer, is_missing
from observatory.itinerance import location_on
from observatory.model import EQUIPMENT_CATEGORIES, EQUIPMENT_CONDITIONS

MAX_AMOUNT_EUR = 10_000_000


class EquipmentError(UserInputError):
    """An equipment item or stay that cannot be saved; the message is in French."""


@dataclass
class Equipment:
    """An item of the inventory as the form and the store see it (``validate`` before saving)."""

    name: str
    category: str
    owner_place_id: int
    mutualised: bool = False
    itinerant: bool = False
    consortium_id: int | None = None
    call_year: int | None = None
    amount_funded: float | None = None
    purchase_value: float | None = None
    condition: str = "good"
    notes: str = ""
    id: int | None = None
    version: int = 0

    def validate(self) -> None:
        problems = []
        if not self.name.strip():
            problems.append("Donnez un nom à l'équipement.")
        if len(self.name) > NAME_MAX_CHARS:
            problems.append(f"Le nom dépasse {integer(NAME_MAX_CHARS)} caractères.")
        if self.category not in EQUIPMENT_CATEGORIES:
            problems.append(f"Catégorie inconnue : {self.category}.")
        if self.condition not in EQUIPMENT_CONDITIONS:
            problems.append(f"État inconnu : {self.condition}.")
        if self.call_year is not None and self.call_year not in CALL_YEARS:
            problems.append(f"L'année d'appel doit être comprise entre {CALL_YEARS[0]} et "
                            f"{CALL_YEARS[-1]}.")
        for label, amount in (("montant financé", self.amount_funded),
                              ("valeur d'achat", self.purchase_value)):
            if amount is not None and (is_missing(amount) or not 0 <= amount <= MAX_AMOUNT_EUR):
                problems.append(f"Le {label} doit être un montant positif (en euros).")
        if self.amount_funded and self.call_year is None:
            problems.append("Un équipement financé doit indiquer l'année de l'appel à projets.")
        if len(self.notes) > NOTES_MAX_CHARS:
            problems.append(f"Les notes dépassent {integer(NOTES_MAX_CHARS)} caractères.")
        if problems:
            raise EquipmentError(" ".join(problems))


def current_locations(equipment: pd.DataFrame, stays: pd.DataFrame,
                      day: dt.date | None = None) -> pd.Series:
    """Where each item is on ``day``: the place of the stay covering it, else its owner."""
    day = day or dt.date.today()
    places = {}
    for item in equipment.itertuples():
        own = stays[stays["equipment_id"] == item.id] if len(stays) else stays
        places[item.id] = int(location_on(own, day, int(item.owner_place_id)))
    return pd.Series(places, name="current_place_id", dtype="int64")


def from_row(row: dict) -> Equipment:
    def opt_int(value):
        return None if is_missing(value) else int(value)

    def opt_float(value):
        return None if is_missing(value) else float(value)

    return Equipment(
        id=int(row["id"]), name=row["name"], category=row["category"],
        owner_place_id=int(row["owner_place_id"]), mutualised=bool(row["mutualised"]),
        itinerant=bool(row["itinerant"]), consortium_id=opt_int(row.get("consortium_id")),
        call_year=opt_int(row.get("call_year")), amount_funded=opt_float(row.get("amount_funded")),
        purchase_value=opt_float(row.get("purchase_value")), condition=row["condition"],
        notes=row.get("notes") or "", version=int(row["version"]))


def with_current_place(equipment: pd.DataFrame, stays: pd.DataFrame,
                       day: dt.date | None = None) -> pd.DataFrame:
    """The items with ``current_place_id``: where each is on ``day`` (today by default)."""
    if equipment.empty:
        return equipment.assign(current_place_id=pd.Series(dtype="int64"))
    return equipment.assign(
        current_place_id=equipment["id"].map(current_locations(equipment, stays, day)))


def blank(owner_place_id: int) -> Equipment:
    """A new item for the form: a tool owned by ``owner_place_id``, nothing else filled."""
    return Equipment(name="", category="tools", owner_place_id=int(owner_place_id))


def item_labels(equipment: pd.DataFrame) -> dict[int, str]:
    """A name per item id for pickers; twins (several « Vélo cargo ») get « (n° id) »."""
    names = equipment["name"].astype(str)
    twins = names.duplicated(keep=False)
    names = names.where(~twins, names + " (n° " + equipment["id"].astype(str) + ")")
    return dict(zip(equipment["id"].astype(int), names, strict=True))
