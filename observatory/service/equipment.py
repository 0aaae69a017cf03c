"""Use cases of the equipment: inventory, stays of itinerant items, tours, calls, applications.

Streamlit-free: the Équipements and Appels pages reach them through ``observatory.ui.data``
(which adds the caches and the role checks). Each takes a connection from
``observatory.service.core.session``. Every write takes ``actor`` (who the audit trail names)
as a required keyword, runs in one transaction of its own (all or nothing) and writes its
audit row. Tours and reach take the ``Settings``: the distance provider and the CO2 factor
are the settings' ones, never a default chosen here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import pandas as pd

from observatory import calls as call_rules
from observatory import indicators, itinerance
from observatory.equipment import Equipment, EquipmentError
from observatory.service import core
from observatory.settings import Settings
from observatory.store import consortia as store_consortia
from observatory.store import equipment as store
from observatory.store import places as store_places


class StayRefused(EquipmentError):
    """A stay that cannot be booked; ``reasons`` lists each French reason."""

    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons))
        self.reasons = list(reasons)


TOUR_NOTE = "tournée"  # the note of the stays booked from a planned tour


def _required(actor: str) -> str:
    name = str(actor or "").strip()
    if not name:
        raise ValueError("actor is required: the audit trail names who made the change")
    return name


# --- Reads ---------------------------------------------------------------------------------

def inventory(con) -> pd.DataFrame:
    """The items not archived, by name."""
    return store.current(con)


def stays(con, equipment_id: int | None = None) -> pd.DataFrame:
    """The stays of the items not archived (of one item when ``equipment_id`` is given)."""
    return store.stays(con, equipment_id)


def calls(con) -> pd.DataFrame:
    """The calls for projects recorded (budget, dates), by year."""
    return store.calls(con)


def applications(con) -> pd.DataFrame:
    """The applications of consortia to the calls, by call year."""
    return store.applications(con)


# --- Writes --------------------------------------------------------------------------------

def save_equipment(con, item: Equipment, *, actor: str) -> int:
    """Create (``item.id`` None) or update an item (version checked); returns its id.

    An addition is audited under ``actor`` like an edit: never as the demonstration loader.
    """
    actor = _required(actor)
    with core.transaction(con):
        if item.id is None:
            return store.create(con, item, actor=actor)
        store.update(con, item, actor=actor)
        return item.id


def archive_equipment(con, item_id: int, *, actor: str) -> None:
    """Take an item out of the inventory (kept, hidden, audited)."""
    actor = _required(actor)
    with core.transaction(con):
        store.archive(con, item_id, actor=actor)


def add_stay(con, equipment_id: int, place_id: int, start: dt.date, end: dt.date,
             note: str = "", *, actor: str, place_names: Mapping | None = None) -> int:
    """Book a stay of an item at a place, both dates included; returns the stay's id.

    Refused (``StayRefused``, one French reason per problem) when the dates are reversed or
    overlap another stay of the item; checked and written in the same transaction, so two
    analysts cannot book the same days. ``place_names`` names the other places in the reasons
    (default: the places' names).
    """
    actor = _required(actor)
    with core.transaction(con):
        _check_item(con, equipment_id)
        return _book(con, equipment_id, place_id, start, end, note, actor=actor,
                     place_names=place_names or _place_names(con))


def book_tour(con, equipment_id: int, schedule: Iterable, note: str = TOUR_NOTE, *,
              actor: str, place_names: Mapping | None = None) -> list[int]:
    """Book the consecutive stays of a planned tour (``itinerance.tour_schedule``: records
    with ``place_id``, ``start``, ``end``) in one transaction; returns the stays' ids.

    Each stay goes through the rule of ``add_stay``; if any is refused, none is written and
    ``StayRefused`` gives, for each refused stop, « Étape n (« place ») : » and the reason
    naming the stay it overlaps.
    """
    actor = _required(actor)
    schedule = [dict(s) if isinstance(s, Mapping) else dict(s.__dict__) for s in schedule]
    if not schedule:
        raise EquipmentError("La tournée ne compte aucun séjour à réserver.")
    with core.transaction(con):
        _check_item(con, equipment_id)
        names = place_names or _place_names(con)
        booked, reasons = [], []
        for k, stay in enumerate(schedule, start=1):
            try:
                booked.append(_book(con, equipment_id, stay["place_id"], stay["start"],
                                    stay["end"], note, actor=actor, place_names=names))
            except StayRefused as refused:
                where = names.get(stay["place_id"], f"lieu n° {stay['place_id']}")
                reasons += [f"Étape {k} (« {where} ») : {r[:1].lower()}{r[1:]}"
                            for r in refused.reasons]
        if reasons:  # leaving the transaction by an exception: the stays above are undone
            raise StayRefused([*reasons, "Aucun séjour de la tournée n'a été réservé."])
        return booked


def _check_item(con, equipment_id: int) -> None:
    if equipment_id not in set(store.current(con)["id"]):
        raise EquipmentError(f"Équipement {equipment_id} introuvable.")


def _place_names(con) -> dict:
    known = store_places.current(con)
    return dict(zip(known["id"], known["name"], strict=True))


def _book(con, equipment_id: int, place_id: int, start, end, note: str, *, actor: str,
          place_names: Mapping) -> int:
    """Check one stay against the item's schedule and write it (inside the caller's
    transaction)."""
    own = store.stays(con, equipment_id)
    problems = itinerance.check_new_stay(
        own, {"place_id": place_id, "start": start, "end": end}, place_names=place_names)
    if problems:
        raise StayRefused(problems)
    return store.add_stay(con, equipment_id, place_id, start, end, note, actor=actor)


def delete_stay(con, stay_id: int, *, actor: str) -> None:
    """Cancel a stay (its old values kept in the audit trail)."""
    actor = _required(actor)
    with core.transaction(con):
        store.delete_stay(con, stay_id, actor=actor)


def save_call(con, year: int, budget: float | None, opens_on: dt.date | None,
              closes_on: dt.date | None, notes: str = "", *, actor: str) -> None:
    """Record a call's budget and dates (created or replaced, audited)."""
    actor = _required(actor)
    call_rules.check_call(budget, opens_on, closes_on)
    with core.transaction(con):
        store.save_call(con, year, budget, opens_on, closes_on, notes, actor=actor)


def save_application(con, record: Mapping, *, actor: str) -> int:
    """Create (no ``id``) or update an application of a consortium; returns its id.

    A consortium applies once to a call: without ``id``, an application it already has for
    that year is updated rather than doubled. When the year is the consortium's own call
    year, the consortium takes the matching status (« Financée » makes it « Financé »…), in
    the same transaction, with its own audit row.
    """
    actor = _required(actor)
    call_rules.check_application(record)
    record = dict(record)
    with core.transaction(con):
        if not record.get("id"):
            existing = store.application_of(con, int(record["consortium_id"]),
                                            int(record["call_year"]))
            if existing is not None:
                record["id"] = existing["id"]
        app_id = store.save_application(con, record, actor=actor)
        consortium = store_consortia.status_of(con, int(record["consortium_id"]))
        if consortium is not None and consortium[1] == int(record["call_year"]):
            status = call_rules.linked_consortium_status(record["status"], consortium[0])
            if status is not None:
                store_consortia.set_status(con, int(record["consortium_id"]), status, actor)
        return app_id


def link_application(con, consortium_id: int, call_year: int, status: str, *, changed: bool,
                     actor: str) -> int | None:
    """After a consortium is saved (inside the caller's transaction): create or update its
    application to ``call_year`` as ``calls.linked_application_status`` says, so that a
    submitted consortium appears among the applications without being entered twice and an
    application entered by hand is linked, not doubled. Returns the application's id (None:
    the consortium has none)."""
    existing = store.application_of(con, consortium_id, call_year)
    wanted = call_rules.linked_application_status(
        status, None if existing is None else existing["status"], changed)
    if wanted is None:
        return None if existing is None else int(existing["id"])
    record = (existing or {"call_year": call_year, "consortium_id": consortium_id}) \
        | {"status": wanted}
    return store.save_application(con, record, actor=actor)


# --- Tours and reach -----------------------------------------------------------------------

def tour(places: pd.DataFrame, stop_ids: Iterable, *, settings: Settings,
         return_to_start: bool = True) -> itinerance.Tour:
    """The shortest visiting order of ``stop_ids`` (the first one is the start), measured by
    the settings' distance provider and priced with the settings' CO2 factor."""
    stop_ids = list(stop_ids)
    chosen = places[places["id"].isin(stop_ids)]
    return itinerance.plan_tour(chosen, start_id=stop_ids[0] if stop_ids else None,
                                return_to_start=return_to_start,
                                provider=core.provider(settings),
                                emission_factor=settings.co2_kg_per_km)


def itinerant_reach(items: pd.DataFrame, stays: pd.DataFrame, places: pd.DataFrame,
                    communes: pd.DataFrame, *, settings: Settings,
                    minutes: float = itinerance.DEFAULT_REACH_MINUTES) -> pd.DataFrame:
    """Per itinerant item: its stops and the communes and inhabitants within ``minutes``."""
    return indicators.itinerant_reach(items, stays, places, communes, minutes,
                                      provider=core.provider(settings))
