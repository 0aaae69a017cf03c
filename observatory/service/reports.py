"""Reports: dated snapshots, comparisons and export files, for the app and the CLI alike.

Every function takes an open connection (``observatory.service.core.session``) and, where the
live data is read, the ``Settings``: the pages (through ``observatory.ui.data``) and the
``observatory snapshot …`` / ``observatory export …`` commands call these, so both front
doors read the same bundle, compare with the same previous snapshot and strip the same
personal data.

A *source* names what a report is made of: ``CURRENT`` (or ``None``) for today's data, else
a snapshot id (an ``int``; ``parse_source`` reads the CLI's text form).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from observatory import evolution, exports
from observatory.auth import User
from observatory.bundle import DEMO_AUTHOR, DISTANCE_METHOD, Bundle
from observatory.errors import UserInputError
from observatory.evolution import Evolution
from observatory.exports.common import short_epci
from observatory.filters import PlaceFilters
from observatory.filters import apply as apply_filters
from observatory.filters import describe as describe_filters
from observatory.service import core
from observatory.settings import Settings
from observatory.snapshots import SnapshotError
from observatory.store import audit, live, territory
from observatory.store import snapshots as store_snapshots

CURRENT = "current"
LIVE_LABEL = "Aujourd'hui"  # the label of today's data in comparisons and reports
# Formats whose content compares the bundle with the previous snapshot.
COMPARED_FORMATS = frozenset({"pdf"})
AUDIT_ENTITY = "snapshot"
LABEL_MAX_CHARS = 120  # a snapshot's label, as the Données page accepts it

Source = int | str | None

__all__ = ["CURRENT", "DEMO_AUTHOR", "DISTANCE_METHOD", "LIVE_LABEL", "CreatedSnapshot",
           "ExportFile", "View", "bundle", "catalogue", "create_snapshot", "delete_snapshot",
           "describe_view", "diff", "export", "export_bundles", "export_filename",
           "filtered_view", "is_current", "live_bundle", "parse_source", "previous_id",
           "previous_snapshot", "report_author"]


@dataclass(frozen=True)
class CreatedSnapshot:
    """A snapshot just frozen: its id, its label and how many places it holds."""

    id: int
    label: str
    places: int


@dataclass(frozen=True)
class ExportFile:
    """An export made for a user: its bytes, a download name, and what it was compared with."""

    data: bytes
    filename: str
    mime: str
    previous_id: int | None  # the snapshot the PDF compares with (None: no comparison)


def is_current(source: Source) -> bool:
    return source is None or source == CURRENT


def parse_source(text: Source) -> Source:
    """``CURRENT`` for « current » (or None), else the snapshot id the text holds."""
    if is_current(text):
        return CURRENT
    if isinstance(text, int):
        return text
    try:
        return int(str(text).strip())
    except ValueError:
        raise SnapshotError(f"« {text} » n'est ni un numéro d'instantané ni « current ».") from None


def catalogue(con) -> pd.DataFrame:
    """Every snapshot, newest first (``created_at`` then ``id``, both descending), with counts."""
    return store_snapshots.catalogue(con)


def report_author(user: User, demo: bool) -> str:
    """Who a report of today's data is established by: the logged-in analyst, or
    ``DEMO_AUTHOR`` (« mode démonstration ») when every visitor is the same « démo »."""
    return DEMO_AUTHOR if demo else user.name


def describe_view(place_filters: PlaceFilters, epci: pd.DataFrame) -> tuple[str, ...]:
    """The filters of a view in French (``observatory.filters.describe``), the EPCI by their
    short names (« CC du Pays d'Olmes »); ``epci`` has the ``siren`` and ``name`` columns."""
    names = {str(siren): short_epci(name)
             for siren, name in zip(epci["siren"], epci["name"], strict=True)}
    return tuple(describe_filters(place_filters, names))


@dataclass(frozen=True)
class View:
    """A filtered view of today's data: the places it keeps, its filters in French and the
    EPCI its ratios are computed on (the arguments ``export`` and ``live_bundle`` take)."""

    place_ids: tuple[int, ...] | None  # None: every place (no filter)
    filters: tuple[str, ...]
    view_epci: tuple[str, ...]


def filtered_view(con, place_filters: PlaceFilters) -> View:
    """The view the sidebar's ``place_filters`` make of today's places (for the CLI, which
    takes the same filters as options). An EPCI code outside the perimeter is refused."""
    if place_filters.is_empty():
        return View(None, (), ())
    epci = territory.epci(con)
    known = set(epci.loc[epci["in_perimeter"].astype(bool), "siren"].astype(str))
    unknown = [code for code in place_filters.epci if code not in known]
    if unknown:
        raise UserInputError(f"EPCI inconnu dans le périmètre : {', '.join(unknown)} "
                             f"(codes SIREN connus : {', '.join(sorted(known))}).")
    kept = apply_filters(core.current_places(con), place_filters)
    return View(tuple(int(i) for i in kept["id"]), describe_view(place_filters, epci),
                tuple(place_filters.epci))


def live_bundle(con, *, settings: Settings, label: str = LIVE_LABEL, created_by: str = "",
                place_ids: Iterable[int] | None = None, filters: Sequence[str] = (),
                view_epci: Sequence[str] = ()) -> Bundle:
    """Today's data (restricted to ``place_ids`` for a filtered view), recording in its meta
    (``DISTANCE_METHOD``) the label of the distance provider the settings choose and, for a
    filtered view, its ``filters`` in French and the EPCI its ratios are computed on
    (``view_epci``, the EPCI filter's codes; see ``observatory.store.live.bundle``).
    ``created_by`` is the report's author (``report_author``)."""
    return live.bundle(con, label=label, created_by=created_by, place_ids=place_ids,
                       distance_method=settings.provider().label, filters=filters,
                       view_epci=view_epci)


def bundle(con, source: Source, *, place_ids: Iterable[int] | None = None,
           settings: Settings, created_by: str = "", filters: Sequence[str] = (),
           view_epci: Sequence[str] = ()) -> Bundle:
    """The bundle a source names: today's data (``place_ids`` restricts it; ``created_by``,
    ``filters`` and ``view_epci`` as in ``live_bundle``) or a snapshot (as frozen)."""
    source = parse_source(source)
    if source == CURRENT:
        return live_bundle(con, settings=settings, place_ids=place_ids, created_by=created_by,
                           filters=filters, view_epci=view_epci)
    return store_snapshots.read(con, source)


def previous_id(snapshots: pd.DataFrame, source: Source) -> int | None:
    """The id of the snapshot a report of ``source`` compares with; None when there is none.

    The one rule, for the app and the CLI: for today's data, the most recent snapshot; for a
    snapshot, the most recent snapshot strictly before it — taken earlier (``created_at``), or
    at the same instant with a smaller id (ids grow with creation, so it was frozen first).
    « Most recent » orders by ``created_at`` then ``id``. The first snapshot has none.
    ``snapshots`` is the catalogue (``catalogue(con)``).
    """
    if not len(snapshots):
        return None
    order = list(zip(pd.to_datetime(snapshots["created_at"]), snapshots["id"].astype(int),
                     strict=True))
    source = parse_source(source)
    if source != CURRENT:
        mine = [key for key in order if key[1] == source]
        if not mine:
            raise SnapshotError(f"Instantané {source} introuvable.")
        order = [key for key in order if key < mine[0]]
    return max(order)[1] if order else None


def previous_snapshot(con, source: Source) -> Bundle | None:
    """The snapshot a report of ``source`` compares with (see ``previous_id``), or None."""
    found = previous_id(catalogue(con), source)
    return None if found is None else store_snapshots.read(con, found)


def diff(con, before: Source, after: Source, *, settings: Settings) -> Evolution:
    """What changed from ``before`` to ``after`` (two sources)."""
    return evolution.compare(bundle(con, before, settings=settings),
                             bundle(con, after, settings=settings))


def create_snapshot(con, label: str, actor: str, settings: Settings) -> CreatedSnapshot:
    """Freeze today's data as a new snapshot signed by ``actor``, audited, in one transaction."""
    frozen = live_bundle(con, settings=settings, label=label, created_by=actor)
    with core.transaction(con):
        new_id = store_snapshots.create(con, frozen)
        audit.record(con, actor=actor, entity=AUDIT_ENTITY, entity_id=new_id, action="create",
                     old=None, new=_audited(catalogue(con), new_id))
    return CreatedSnapshot(new_id, label, len(frozen.places))


def delete_snapshot(con, snapshot_id: int, actor: str) -> None:
    """Delete a snapshot (the only change a snapshot allows), audited, in one transaction."""
    with core.transaction(con):
        old = _audited(catalogue(con), snapshot_id)
        store_snapshots.delete(con, snapshot_id)  # SnapshotError when unknown: nothing written
        audit.record(con, actor=actor, entity=AUDIT_ENTITY, entity_id=snapshot_id,
                     action="delete", old=old, new=None)


def _audited(snapshots: pd.DataFrame, snapshot_id: int) -> dict[str, object] | None:
    """What the audit trail keeps of a snapshot (not its author: that is the actor column)."""
    row = snapshots[snapshots["id"] == snapshot_id]
    if not len(row):
        return None
    first = row.iloc[0]
    return {"label": first["label"], "created_at": pd.Timestamp(first["created_at"]).isoformat(),
            "places": int(first["places"]), "checksum": first["checksum"]}


def export_bundles(shown: Bundle, fmt: str, *, user: User, include_contacts: bool = False,
                   previous: Bundle | None = None) -> bytes:
    """The bytes of an export of ``shown`` for ``user``; contacts only if they may export them.

    ``previous`` (the snapshot compared with, for the PDF) is stripped the same way
    (``Bundle.for_export``), and the comparison is made between the stripped bundles, so no
    personal value leaks through it.
    """
    stripped = shown.for_export(user, include_contacts)
    before = previous.for_export(user, include_contacts) if previous is not None else None
    change = evolution.compare(before, stripped) if before is not None else None
    return exports.build(stripped, fmt, include_contacts=include_contacts, previous=before,
                         diff=change)


def export(con, fmt: str, source: Source, *, user: User, include_contacts: bool = False,
           place_ids: Iterable[int] | None = None, settings: Settings,
           today: dt.date | None = None, filters: Sequence[str] = (),
           view_epci: Sequence[str] = (), demo: bool = False) -> ExportFile:
    """The export of ``source`` in ``fmt`` for ``user`` (see ``export_bundles``); a PDF
    compares with ``previous_snapshot(con, source)``. Today's data is established by ``user``
    (``report_author``) and, filtered, names its ``filters`` (see ``live_bundle``)."""
    source = parse_source(source)
    shown = bundle(con, source, place_ids=place_ids, settings=settings,
                   created_by=report_author(user, demo), filters=filters,
                   view_epci=view_epci)
    previous_key = previous_id(catalogue(con), source) if fmt in COMPARED_FORMATS else None
    previous = None if previous_key is None else store_snapshots.read(con, previous_key)
    data = export_bundles(shown, fmt, user=user, include_contacts=include_contacts,
                          previous=previous)
    label = None if source == CURRENT else shown.label
    return ExportFile(data, export_filename(source, fmt, today, label=label),
                      exports.FORMATS[fmt].mime, previous_key)


def export_filename(source: Source, fmt: str, today: dt.date | None = None, *,
                    label: str | None = None) -> str:
    """The download name: ``observatoire_vue-actuelle_2026-12-01.pdf`` for today's data,
    ``observatoire_bilan-2026_2026-12-01.xlsx`` for the snapshot labelled « Bilan 2026 »
    (``observatoire_instantane-3_…`` for snapshot 3 when its label gives no name)."""
    source = parse_source(source)
    name = ("vue-actuelle" if source == CURRENT
            else exports.slug(label or "") or f"instantane-{source}")
    stamp = (today or dt.date.today()).isoformat()
    return f"observatoire_{name}_{stamp}{exports.FORMATS[fmt].extension}"
