"""Cached access to the store for the pages.

Each read or write opens the DuckDB file, works and closes it (about 10 ms), so the CLI
(imports, backups) can use the same file while the app is open; results are cached with
st.cache_data keyed by the file's path and forgotten after every write.

Every write and every export holding personal data checks the logged-in user's role here,
before any transaction (``observatory.auth.require``): a page hides its buttons from readers,
but the use case refuses them even when called directly. The audit trail records the
account's name, not a name typed in the page (except in demonstration mode, where every
visitor is the same « démo » analyst and the typed name is all there is).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import threading

import geopandas as gpd
import pandas as pd
import streamlit as st

from observatory import auth as auth_rules
from observatory import dburl, maps, settings
from observatory.auth import User
from observatory.bundle import Bundle
from observatory.consortia import Consortium
from observatory.equipment import Equipment
from observatory.maturity import MaturityRule
from observatory.service import core, proximity, reports
from observatory.service import duplicates as service_duplicates
from observatory.service import equipment as service_equipment
from observatory.service import imports as import_cases
from observatory.service import places as place_cases
from observatory.service import programmes as programme_cases
from observatory.service import routing as service_routing
from observatory.settings import current as current_settings
from observatory.ui import auth as ui_auth

# One writer at a time in this process: sessions of the same server share DuckDB's in-process
# database, so two imports checked at the same instant could both pass their re-check and both
# insert. Other processes (the CLI) are kept out by DuckDB's own file lock.
_WRITE_LOCK = threading.RLock()


def db_path() -> str:
    """The database the settings name ($OBSERVATORY_DB), as an absolute path or a PostgreSQL
    URL with its schema (a cache key; show it with ``dburl.shown``, never as it is)."""
    target = settings.current().db
    return target if isinstance(target, str) else str(target.resolve())


@st.cache_resource(show_spinner="Préparation de la base…")
def ensure_database(path: str) -> str:
    """Once per process: create a missing file with the demo data, upgrade an old one."""
    place_cases.prepare_database(settings.current().with_db(path))
    return path


_seen_files: dict[str, tuple] = {}


def _file_state(path: str) -> tuple:
    """Modification time and size of the database and its WAL: reads leave them unchanged.

    On PostgreSQL, where other app processes write, the data version instead: a number every
    committed write transaction bumps, read once per rerun (one query).
    """
    if dburl.is_postgres(path):
        return ("data_version", read(place_cases.data_version))
    state = []
    for name in (path, path + ".wal"):
        try:
            info = os.stat(name)
            state.append((info.st_mtime_ns, info.st_size))
        except FileNotFoundError:
            state.append(None)
    return tuple(state)


def refresh_if_changed_elsewhere() -> None:
    """Forget cached results when another process (the CLI: import, restore…) wrote the file."""
    path = db_path()
    state = _file_state(path)
    if _seen_files.get(path, state) != state:
        st.cache_data.clear()
        communes.clear()  # a re-initialised territory
        base_layers.clear()
    _seen_files[path] = state


def session():
    """A short-lived connection to the app's database (created or upgraded once first)."""
    return core.session(settings.current().with_db(ensure_database(db_path())))


def read(action, *args, **kwargs):
    """``action(con, *args)`` on a short-lived connection."""
    with session() as con:
        return action(con, *args, **kwargs)


@st.cache_resource(show_spinner=False)
def communes(path: str) -> gpd.GeoDataFrame:
    """Shared, not copied at each rerun (35,000 communes for France): callers must not modify it."""
    return read(place_cases.communes)


@st.cache_data(show_spinner=False)
def territory_meta(path: str) -> dict[str, str]:
    return read(place_cases.territory_meta)


@st.cache_data(show_spinner=False)
def epci(path: str) -> pd.DataFrame:
    return read(place_cases.epci)


@st.cache_data(show_spinner=False)
def current_rule(path: str) -> MaturityRule:
    return read(place_cases.current_rule)


@st.cache_data(show_spinner=False)
def annotated_places(path: str) -> pd.DataFrame:
    return read(place_cases.current_places)


def current_places() -> pd.DataFrame:
    """The places with maturity under the rule in force (cached until a write)."""
    return annotated_places(db_path())


@st.cache_data(show_spinner=False)
def evaluation_history(path: str, place_id: int) -> pd.DataFrame:
    return read(place_cases.evaluation_history, place_id)


@st.cache_data(show_spinner=False)
def place_origins(path: str, place_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    return read(place_cases.place_origins, place_id)


@st.cache_data(show_spinner=False)
def rule_history(path: str) -> pd.DataFrame:
    return read(place_cases.rule_history)


@st.cache_data(show_spinner=False)
def epci_outline_bounds(path: str, sirens: tuple[str, ...]) -> tuple[float, float, float, float]:
    frame = communes(path)
    return tuple(frame[frame["epci_siren"].isin(sirens)].total_bounds)


@st.cache_resource(ttl=600, show_spinner=False)
def online_tiles() -> bool:
    mode = settings.current().tiles
    return mode == "on" or (mode == "auto" and maps.tiles_reachable())


def acting_user(permission: str) -> User:
    """The logged-in user when their role allows ``permission``; else ``PermissionDenied``."""
    return auth_rules.require(ui_auth.current_user(), permission)


def actor_name(user: User, typed: str | None = None) -> str:
    """Who the audit trail names: the account; in demonstration mode, the name typed if any."""
    if ui_auth.mode() == auth_rules.DEMO and typed and str(typed).strip():
        return str(typed).strip()
    return user.name


def _remember_own_write() -> None:
    _seen_files[db_path()] = _file_state(db_path())


def _run(permission: str, use_case, *args, typed_actor: str | None = None, **kwargs):
    """Check ``permission``, run a write use case (its own transaction, audited under the
    account, or the typed name in demonstration mode), forget cached results."""
    actor = actor_name(acting_user(permission), typed_actor)
    with _WRITE_LOCK:
        result = read(use_case, *args, actor=actor, **kwargs)
    invalidate()
    return result


def save_rule(rule: MaturityRule, set_by: str | None = None) -> None:
    _run("change_rule", place_cases.save_rule, rule, typed_actor=set_by)


def add_demo() -> int:
    """Load the demonstration data into an empty observatory (an import: analysts only)."""
    return _run("import", place_cases.add_demo)  # audited; NotEmpty if not empty


def invalidate() -> None:
    """Forget cached query results after a write (ours: no need to clear again next run)."""
    st.cache_data.clear()
    _remember_own_write()


@st.cache_data(show_spinner=False)
def consortia(path: str) -> pd.DataFrame:
    return read(proximity.saved_consortia)


@st.cache_data(show_spinner=False)
def consortium_history(path: str, consortium_id: int) -> pd.DataFrame:
    return read(proximity.consortium_history, consortium_id)


def save_consortium(consortium: Consortium, changed_by: str | None = None) -> int:
    """Create or update (with the version check); returns the consortium's id."""
    return _run("edit", proximity.save_consortium, consortium, typed_actor=changed_by)


def archive_consortium(consortium_id: int, changed_by: str | None = None) -> None:
    _run("edit", proximity.archive_consortium, consortium_id, typed_actor=changed_by)


def _settings(path: str):
    """The environment's settings, for the database ``path`` the page reads."""
    return current_settings().with_db(path)


@st.cache_data(show_spinner=False)
def snapshot_catalogue(path: str) -> pd.DataFrame:
    return read(reports.catalogue)


@st.cache_data(show_spinner="Lecture de l'instantané…")
def snapshot(path: str, snapshot_id: int) -> Bundle:
    return read(reports.bundle, snapshot_id, settings=_settings(path))


def report_author() -> str:
    """Who a report of today's data is established by: the logged-in account, or « mode
    démonstration » (``reports.report_author``)."""
    return reports.report_author(ui_auth.current_user(), ui_auth.mode() == auth_rules.DEMO)


def live_bundle(path: str, place_ids: tuple[int, ...] | None = None,
                filters: tuple[str, ...] = (), view_epci: tuple[str, ...] = ()) -> Bundle:
    """Today's data (restricted to ``place_ids`` for the filtered view, which names its
    ``filters`` and computes its ratios on ``view_epci``), established by the visitor
    (``report_author``: part of the cache key, so no visitor gets another's report)."""
    return _live_bundle(path, place_ids, tuple(filters), tuple(view_epci), report_author())


@st.cache_data(show_spinner=False)
def _live_bundle(path: str, place_ids: tuple[int, ...] | None, filters: tuple[str, ...],
                 view_epci: tuple[str, ...], author: str) -> Bundle:
    return read(reports.bundle, reports.CURRENT, place_ids=place_ids, settings=_settings(path),
                created_by=author, filters=filters, view_epci=view_epci)


def previous_snapshot(path: str, source: int | str | None) -> Bundle | None:
    """The snapshot a report of ``source`` compares with (``reports.previous_id``'s rule)."""
    found = reports.previous_id(snapshot_catalogue(path), source)
    return None if found is None else snapshot(path, found)


def create_snapshot(label: str, created_by: str | None = None) -> int:
    name = actor_name(acting_user("snapshot"), created_by)
    with _WRITE_LOCK:
        created = read(reports.create_snapshot, label, name, _settings(db_path()))
    invalidate()
    return created.id


def delete_snapshot(snapshot_id: int) -> None:
    name = actor_name(acting_user("snapshot"))
    with _WRITE_LOCK:
        read(reports.delete_snapshot, snapshot_id, name)
    invalidate()


def export_file(bundle: Bundle, kind: str, *, include_contacts: bool = False,
                previous: Bundle | None = None) -> bytes:
    """The bytes of an export for the logged-in user; with contacts only if they may export them.

    ``previous`` (the snapshot before, for the PDF) is stripped the same way, and the
    comparison is made between the stripped bundles (``reports.export_bundles``).
    """
    return reports.export_bundles(bundle, kind, user=ui_auth.current_user(),
                                  include_contacts=include_contacts, previous=previous)


# --- Equipment, stays, calls and applications (observatory.service.equipment) ------------

@st.cache_data(show_spinner=False)
def equipment(path: str) -> pd.DataFrame:
    return read(service_equipment.inventory)


@st.cache_data(show_spinner=False)
def stays(path: str) -> pd.DataFrame:
    return read(service_equipment.stays)


@st.cache_data(show_spinner=False)
def calls(path: str) -> pd.DataFrame:
    return read(service_equipment.calls)


@st.cache_data(show_spinner=False)
def applications(path: str) -> pd.DataFrame:
    return read(service_equipment.applications)


def save_equipment(item: Equipment, actor: str | None = None) -> int:
    """Create or update an item (version checked); returns its id."""
    return _run("edit", service_equipment.save_equipment, item, typed_actor=actor)


def archive_equipment(item_id: int, actor: str | None = None) -> None:
    _run("edit", service_equipment.archive_equipment, item_id, typed_actor=actor)


def add_stay(equipment_id: int, place_id: int, start, end, note: str = "",
             actor: str | None = None, place_names: dict | None = None) -> int:
    """Book a stay (``StayRefused`` with its reasons when it overlaps another)."""
    return _run("edit", service_equipment.add_stay, equipment_id, place_id, start, end, note,
                typed_actor=actor, place_names=place_names)


def book_tour(equipment_id: int, schedule: list, actor: str | None = None,
              place_names: dict | None = None) -> list[int]:
    """Book a planned tour's consecutive stays, all or none (``StayRefused`` with the
    reasons naming each overlapped stay)."""
    return _run("edit", service_equipment.book_tour, equipment_id, schedule,
                typed_actor=actor, place_names=place_names)


def delete_stay(stay_id: int, actor: str | None = None) -> None:
    _run("edit", service_equipment.delete_stay, stay_id, typed_actor=actor)


def save_call(year: int, budget, opens_on, closes_on, notes: str = "",
              actor: str | None = None) -> None:
    _run("edit", service_equipment.save_call, year, budget, opens_on, closes_on, notes,
         typed_actor=actor)


def save_application(record: dict, actor: str | None = None) -> int:
    return _run("edit", service_equipment.save_application, record, typed_actor=actor)


def access(path: str) -> pd.DataFrame:
    """Nearest place and nearest mature place of every commune, by the settings' provider
    (cached until a write, and per provider: changing the settings recomputes it)."""
    return _access(path, settings.current())


@st.cache_data(show_spinner="Calcul des temps d'accès…")
def _access(path: str, chosen: settings.Settings) -> pd.DataFrame:
    return proximity.access(communes(path), current_places(), chosen)


@st.cache_data(show_spinner=False)
def programme_places(path: str) -> pd.DataFrame:
    """The territory's places of national programmes (France services, Fabriques,
    Manufactures), loaded with the territory."""
    return read(programme_cases.programme_places)


def access_with_france_services(path: str) -> pd.DataFrame:
    """``access`` where the France services count as places (the Couverture option)."""
    return _access_with_france_services(path, settings.current())


@st.cache_data(show_spinner="Calcul des temps d'accès aux France services…")
def _access_with_france_services(path: str, chosen: settings.Settings) -> pd.DataFrame:
    return programme_cases.access_with_france_services(
        _access(path, chosen), communes(path), programme_places(path), chosen)


def programmes_near(path: str, place_id: int) -> pd.DataFrame:
    """The programme places within 15 minutes of a place, by the settings' provider."""
    return _programmes_near(path, int(place_id), settings.current())


@st.cache_data(show_spinner=False)
def _programmes_near(path: str, place_id: int, chosen: settings.Settings) -> pd.DataFrame:
    return programme_cases.near_place(current_places(), programme_places(path), chosen,
                                      place_id)


def road_graph(path: str) -> dict | None:
    """The stored road graph's metadata (extract date, attribution), None without one."""
    return _road_graph(path)


@st.cache_data(show_spinner=False)
def _road_graph(path: str) -> dict | None:
    return read(service_routing.metadata)


def calibration(path: str):
    """The estimate against the road network, pair by pair (None without a road graph)."""
    return _calibration(path, settings.current())


@st.cache_data(show_spinner="Comparaison de l'estimation et du réseau routier…")
def _calibration(path: str, chosen: settings.Settings):
    return read(service_routing.calibration, chosen, current_places())


def commune_calibration(path: str):
    """Each commune's nearest place by the estimate and by road (None without a graph)."""
    return _commune_calibration(path, settings.current())


@st.cache_data(show_spinner="Comparaison commune par commune…")
def _commune_calibration(path: str, chosen: settings.Settings):
    return read(service_routing.commune_calibration, chosen, current_places())


def import_preview(data: bytes, filename: str, kind: str, mapping: dict | None,
                   replace_demo: bool, sheet=None, **options):
    """Validate a file against the store; writes nothing. ``options`` go to
    ``importing.validate_file`` (``confirmed_renames`` for a places file).

    Cached per file and choices until the next write: every click on the Importer page (a
    rename checkbox, the author field) reruns it, and a large file takes seconds to check.
    A stale result cannot be written: ``import_apply`` re-checks the store.
    """
    hashable = tuple(sorted((k, tuple(sorted(v)) if isinstance(v, (set, frozenset)) else v)
                            for k, v in options.items()))
    return _import_preview(db_path(), data, filename, kind, mapping, replace_demo, sheet,
                           hashable)


@st.cache_data(show_spinner=False, max_entries=4)
def _import_preview(path: str, data: bytes, filename: str, kind: str, mapping: dict | None,
                    replace_demo: bool, sheet, options: tuple):
    restored = {k: frozenset(v) if k == "confirmed_renames" else v for k, v in options}
    # The store is read on a short connection, the file then checked without holding it.
    return import_cases.check_import(session, data, filename, kind, mapping=mapping,
                                     replace_demo=replace_demo, sheet=sheet, **restored)


def import_apply(report, actor: str | None, replace_demo: bool) -> dict[str, int]:
    """Write a validated import in one short transaction (all or nothing), re-checked against
    the store as it is now (``StaleImportError`` when it changed the import)."""
    name = actor_name(acting_user("import"), actor)
    with _WRITE_LOCK:
        written = import_cases.write_import(session, report, actor=name,
                                            replace_demo=replace_demo)
    invalidate()
    return written


def _save_checked(use_case, *args, typed_actor: str | None) -> tuple:
    """A form checked like an import and written when valid; (report, written or None).
    Caches are forgotten only when something was written."""
    actor = actor_name(acting_user("edit"), typed_actor)
    with _WRITE_LOCK:
        result = read(use_case, *args, actor=actor)
    if result[1] is not None:
        invalidate()
    return result


def save_place_form(values: dict, loaded_version: int | None, actor: str | None = None):
    """Validate a place form like an import; write it when valid."""
    return _save_checked(place_cases.save_place_form, values, loaded_version, typed_actor=actor)


def save_evaluation_form(values: dict, actor: str | None = None):
    return _save_checked(place_cases.save_evaluation_form, values, typed_actor=actor)


@st.cache_data(show_spinner=False)
def place_audit(path: str, place_id: int) -> pd.DataFrame:
    return read(place_cases.place_audit, place_id)


def place_record(place_id: int) -> dict | None:
    return read(place_cases.place_record, place_id)


def restore_place(audit_id: int, loaded_version: int, actor: str | None = None) -> int:
    return _run("restore", place_cases.restore_place, audit_id, loaded_version, typed_actor=actor)


def archive_place(place_id: int, loaded_version: int, actor: str | None = None) -> int:
    return _run("edit", place_cases.archive_place, place_id, loaded_version, typed_actor=actor)


# --- Probable duplicates (observatory.service.duplicates) -----------------------------------

@st.cache_data(show_spinner="Recherche des doublons probables…")
def duplicate_pairs(path: str, threshold: int) -> list:
    """The inventory's probable duplicates scoring at least ``threshold`` (cached until a write)."""
    return read(service_duplicates.inventory_pairs, threshold)


def duplicate_details(place_a: int, place_b: int) -> dict:
    """Both places' stored fields (with their versions) and their source records."""
    return read(service_duplicates.pair_details, place_a, place_b)


def merge_places(kept_id: int, removed_id: int, take_from_removed: list[str],
                 versions: dict[int, int], actor: str | None = None) -> dict:
    """Merge two places (one transaction, one audit row); ``ConflictError`` when stale."""
    return _run("edit", service_duplicates.merge_places, kept_id, removed_id, take_from_removed,
                versions, typed_actor=actor)


def dismiss_pair(place_a: int, place_b: int, actor: str | None = None) -> None:
    """« Pas un doublon », remembered."""
    _run("edit", service_duplicates.dismiss_pair, place_a, place_b, typed_actor=actor)


def import_duplicates(report) -> pd.DataFrame:
    """The rows of a checked import that are probably a stored place or another row (cached
    per file, choices and state of the store)."""
    source = report.source  # a Source: the file and the choices it was checked with
    digest = hashlib.sha1(source.data if source is not None else b"")
    choices = dataclasses.replace(source, data=b"") if source is not None else None
    digest.update(repr((choices, report.fingerprint, report.replace_demo)).encode())
    return _import_duplicates(db_path(), digest.hexdigest(), report)


@st.cache_data(show_spinner="Recherche des doublons probables…", max_entries=4)
def _import_duplicates(path: str, key: str, _report) -> pd.DataFrame:
    return service_duplicates.import_table(read(service_duplicates.import_pairs, _report))


@st.cache_resource(show_spinner="Préparation du fond de carte…")
def base_layers(path: str) -> tuple[dict | None, dict]:
    """Commune polygons and EPCI outlines as GeoJSON, computed once per database."""
    return maps.base_geojson(communes(path), territory_meta(path).get("excluded_zone_label", ""))
