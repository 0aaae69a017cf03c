"""Places and their current scores (those of the latest evaluation)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from observatory.consortia import ConflictError
from observatory.formatting import is_missing, short_date
from observatory.model import CRITERIA_KEYS
from observatory.origins import MANUAL, fields_of
from observatory.store import audit, db, origins
from observatory.store.db import StoreError

PLACE_FIELDS = (
    "name", "insee", "lon", "lat", "location_approximate", "typology", "legal_status",
    "opening_year", "transition_oriented", "thematics", "website", "contact", "is_demo",
)

_SCORES = ", ".join(f"l.{k}" for k in CRITERIA_KEYS)
CURRENT_SQL = f"""
WITH latest AS (
    SELECT * FROM evaluations
    QUALIFY row_number() OVER (PARTITION BY place_id ORDER BY evaluated_on DESC, id DESC) = 1
), counted AS (
    SELECT place_id, count(*) AS evaluation_count FROM evaluations GROUP BY place_id
)
SELECT p.id, p.name, p.insee, c.name AS commune, c.epci_siren, e.name AS epci_name,
       c.in_perimeter, c.in_excluded_zone, p.lon, p.lat, p.location_approximate,
       p.typology, p.legal_status, p.opening_year, p.transition_oriented, p.thematics,
       p.website, p.contact, p.is_demo, p.version,
       l.evaluated_on AS last_evaluated_on, l.evaluator AS last_evaluator,
       coalesce(n.evaluation_count, 0) AS evaluation_count, {_SCORES}
FROM places p
LEFT JOIN communes c ON c.insee = p.insee
LEFT JOIN epci e ON e.siren = c.epci_siren
LEFT JOIN latest l ON l.place_id = p.id
LEFT JOIN counted n ON n.place_id = p.id
WHERE NOT p.archived
ORDER BY p.name, p.id
"""


def insert(con: duckdb.DuckDBPyConnection, place: Mapping[str, object]) -> int:
    """Insert one place; returns its id. Unknown keys are ignored, missing ones are NULL."""
    fields = [f for f in PLACE_FIELDS if f in place]
    return db.insert_returning_id(con, "places", {f: place[f] for f in fields})


def insert_many(con: duckdb.DuckDBPyConnection,
                places: Iterable[Mapping[str, object]]) -> list[int]:
    """Insert places without audit entries (the demonstration set)."""
    return [insert(con, p) for p in places]


def current(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per place not archived, with commune, EPCI and the latest scores."""
    df = con.execute(CURRENT_SQL).df()
    df["thematics"] = df["thematics"].map(lambda v: list(v) if v is not None else [])
    return df


def count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM places WHERE NOT archived").fetchone()[0]


def demo_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM places WHERE is_demo AND NOT archived").fetchone()[0]


# What the demonstration set is made of, in the order it is removed: (key, table, condition).
# The keys are those of ``demo_counts`` and ``delete_demo`` (and of
# ``importing.demo_removal_text``, which says them in French).
_DEMO_ITEMS = "SELECT id FROM equipment WHERE is_demo"
_DEMO_CONSORTIA = "SELECT id FROM consortia WHERE is_demo"
_DEMO_PLACES = "SELECT id FROM places WHERE is_demo"
# A demonstration call that a record outside the demonstration set refers to (an application
# of a consortium someone formed, an item someone entered): removing it would leave that
# record without its call, so it is kept (counted as "calls_kept"). True before and after the
# rest of the demonstration set is removed.
_CALL_IN_USE = (
    "EXISTS (SELECT 1 FROM applications a WHERE a.call_year = calls.year"
    f" AND a.consortium_id NOT IN ({_DEMO_CONSORTIA}))"
    " OR EXISTS (SELECT 1 FROM equipment e WHERE e.call_year = calls.year AND NOT e.is_demo)")
_DEMO_CALL = "coalesce(calls.is_demo, false)"
_DEMO_PARTS = (
    ("stays", "equipment_stays", f"equipment_id IN ({_DEMO_ITEMS})"),
    ("equipment", "equipment", "is_demo"),
    ("applications", "applications", f"consortium_id IN ({_DEMO_CONSORTIA})"),
    (None, "consortium_members", f"consortium_id IN ({_DEMO_CONSORTIA})"),
    (None, "consortium_history", f"consortium_id IN ({_DEMO_CONSORTIA})"),
    ("consortia", "consortia", "is_demo"),
    ("calls", "calls", f"{_DEMO_CALL} AND NOT ({_CALL_IN_USE})"),
    ("evaluations", "evaluations", f"place_id IN ({_DEMO_PLACES})"),
    (None, "place_sources", f"place_id IN ({_DEMO_PLACES})"),
    (None, "field_provenance", f"place_id IN ({_DEMO_PLACES})"),
    ("places", "places", "is_demo"),
)
_KEPT_CALLS = ("calls_kept", "calls", f"{_DEMO_CALL} AND ({_CALL_IN_USE})")


class DemoInUseError(StoreError):
    """Records entered by someone refer to demonstration places or consortia: removing the
    demonstration data would leave them pointing at nothing."""


def demo_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """What ``delete_demo`` would remove now: places (archived ones included), their
    evaluations, consortia, their applications, equipment and its stays, the demonstration
    calls; and "calls_kept", the demonstration calls it keeps (see ``_CALL_IN_USE``)."""
    parts = [(key, table, where) for key, table, where in _DEMO_PARTS if key]
    parts.append(_KEPT_CALLS)
    row = con.execute("SELECT " + ", ".join(
        f"(SELECT count(*) FROM {table} WHERE {where})" for _, table, where in parts)).fetchone()
    return {key: int(n) for (key, _, _), n in zip(parts, row, strict=True)}


def demo_in_use(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Records outside the demonstration set, not archived, that removing it would leave
    pointing at nothing (there is no foreign key to stop it), in French: a consortium with a
    demonstration place as lead, location or member, an item owned by a demonstration place
    or funded through a demonstration consortium, a stay of an item at a demonstration
    place. Empty when the demonstration data can go."""
    found = []
    rows = con.execute("""
        SELECT c.name, list_sort(list_distinct(list(p.name)))
        FROM consortia c
        JOIN places p ON p.is_demo AND (p.id IN (c.lead_place_id, c.location_place_id)
             OR p.id IN (SELECT place_id FROM consortium_members m
                         WHERE m.consortium_id = c.id))
        WHERE NOT coalesce(c.is_demo, false) AND NOT c.archived
        GROUP BY c.id, c.name ORDER BY c.name, c.id""").fetchall()
    found += [f"le consortium « {name} » (lieux de démonstration : "
              + ", ".join(f"« {n} »" for n in demo) + ")" for name, demo in rows]
    rows = con.execute("""
        SELECT e.name, p.name, c.name FROM equipment e
        LEFT JOIN places p ON p.id = e.owner_place_id AND p.is_demo
        LEFT JOIN consortia c ON c.id = e.consortium_id AND c.is_demo
        WHERE NOT e.is_demo AND NOT e.archived AND (p.id IS NOT NULL OR c.id IS NOT NULL)
        ORDER BY e.name, e.id""").fetchall()
    for name, owner, consortium in rows:
        why = [f"détenu par le lieu de démonstration « {owner} »" if owner else "",
               f"financé par le consortium de démonstration « {consortium} »"
               if consortium else ""]
        found.append(f"l'équipement « {name} » ({' et '.join(w for w in why if w)})")
    rows = con.execute("""
        SELECT e.name, p.name, s.start_date, s.end_date FROM equipment_stays s
        JOIN equipment e ON e.id = s.equipment_id AND NOT e.is_demo AND NOT e.archived
        JOIN places p ON p.id = s.place_id AND p.is_demo
        ORDER BY e.name, s.start_date, s.id""").fetchall()
    found += [f"le séjour de l'équipement « {name} » au lieu de démonstration « {place} » "
              f"du {short_date(start)} au {short_date(end)}" for name, place, start, end in rows]
    return found


def delete_demo(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Remove every demonstration record (call inside a transaction); returns what was
    deleted, counted by the deletions themselves (the keys of ``demo_counts``), with
    "calls_kept": the demonstration calls kept because a record of someone's refers to them.

    Refused (``DemoInUseError``, nothing deleted) when records of someone's refer to
    demonstration places or consortia (``demo_in_use``).
    """
    in_use = demo_in_use(con)
    if in_use:
        raise DemoInUseError(demo_in_use_message(in_use) + " Rien n'a été écrit.")
    removed = {}
    for key, table, where in _DEMO_PARTS:
        (n,) = con.execute(f"DELETE FROM {table} WHERE {where}").fetchone()
        if key:
            removed[key] = int(n)
    key, table, where = _KEPT_CALLS
    removed[key] = int(con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0])
    return removed


def demo_in_use_message(in_use: Sequence[str]) -> str:
    """Why the demonstration data cannot be removed, in French (``demo_in_use``'s records)."""
    return ("Les données de démonstration ne peuvent pas être retirées : des données saisies "
            "s'y rattachent et désigneraient ensuite des lieux ou des consortiums disparus — "
            + " ; ".join(in_use) + ". Rattachez-les à des lieux réels, archivez-les ou supprimez "
            "ces séjours (pages Consortiums et Équipements), puis vérifiez à nouveau le "
            "fichier.")


EDITABLE = tuple(f for f in PLACE_FIELDS if f != "is_demo")


def get(con: duckdb.DuckDBPyConnection, place_id: int) -> dict | None:
    """One place's stored fields (archived ones included), with ``id``, ``version`` and
    ``archived``."""
    return get_many(con, [place_id]).get(int(place_id))


def get_many(con: duckdb.DuckDBPyConnection, place_ids: Iterable[int]) -> dict[int, dict]:
    """Several places as ``get`` returns them, by id, in one statement (missing ids left out)."""
    ids = [int(i) for i in place_ids]
    if not ids:
        return {}
    columns = ["id", *PLACE_FIELDS, "archived", "version"]
    cursor = con.execute(f"SELECT {', '.join(columns)} FROM places "
                         "WHERE id IN (SELECT unnest(?::INTEGER[]))", [ids])
    found = {}
    for row in cursor.fetchall():  # plain Python values: int, float, str, bool, list, None
        place = dict(zip(columns, row, strict=True))
        place["thematics"] = list(place["thematics"] or [])
        found[place["id"]] = place
    return found


def create(con: duckdb.DuckDBPyConnection, place: Mapping[str, object], actor: str) -> int:
    """Insert a place and record it in the audit trail (call inside a transaction)."""
    return create_many(con, [place], actor)[0]


# Arrow types of the columns written in bulk (``create_many``, ``update_many``).
_TYPES = {
    "name": pa.string(), "insee": pa.string(), "lon": pa.float64(), "lat": pa.float64(),
    "location_approximate": pa.bool_(), "typology": pa.string(), "legal_status": pa.string(),
    "opening_year": pa.int32(), "transition_oriented": pa.bool_(),
    "thematics": pa.list_(pa.string()), "website": pa.string(), "contact": pa.string(),
    "is_demo": pa.bool_(), "archived": pa.bool_(),
}
# NOT NULL columns with a default: a missing or empty value takes the default, as in ``insert``.
_DEFAULTS = {"location_approximate": False, "thematics": [], "is_demo": False}


def _plain(value: object, field: str) -> object:
    """A value as Arrow takes it for ``field``'s type (``audit.plain``; lists of text,
    whole opening years)."""
    value = audit.plain(value)
    if isinstance(value, list):
        return [str(v) for v in value]
    if value is not None and field == "opening_year":
        return int(value)
    return value


def _column(values: Iterable[object], field: str) -> pa.Array:
    return pa.array([_plain(v, field) for v in values], _TYPES[field])


def create_many(con: duckdb.DuckDBPyConnection, new_places: Sequence[Mapping[str, object]],
                actor: str, action: str = "create") -> list[int]:
    """Insert places in one statement, each with its audit entry (call inside a transaction).

    Returns their ids, in order. Unknown keys are ignored, missing ones are NULL (or the
    column's default).
    """
    if not new_places:
        return []
    ids = audit.new_ids(con, "places_id_seq", len(new_places))
    fields = [f for f in PLACE_FIELDS if any(f in p for p in new_places)]
    columns = {"id": pa.array(ids, pa.int32())}
    for f in fields:
        values = [p.get(f) for p in new_places]
        if f in _DEFAULTS:
            values = [_DEFAULTS[f] if v is None else v for v in values]
        columns[f] = _column(values, f)
    audit.insert_table(con, "places", pa.table(columns))
    created = get_many(con, ids)
    audit.record_many(con, [
        {"actor": actor, "entity": "place", "entity_id": i, "action": action, "old": None,
         "new": _public(created[i])} for i in ids])
    return ids


def update(con: duckdb.DuckDBPyConnection, place_id: int, changes: Mapping[str, object],
           expected_version: int, actor: str, action: str = "update") -> int:
    """Apply ``changes`` if the place is still at ``expected_version``; returns the new version.

    Refuses a stale save (someone saved in between) with a French message listing what the
    other person changed, instead of overwriting it silently.
    """
    return update_many(con, [(place_id, changes, expected_version)], actor, action)[0]


def update_many(con: duckdb.DuckDBPyConnection,
                updates: Sequence[tuple[int, Mapping[str, object], int]], actor: str,
                action: str = "update") -> list[int]:
    """``update`` for many places in one statement: (place id, changes, expected version).

    All or nothing (call inside a transaction): the first stale or missing place raises
    ``ConflictError``. Returns the new versions, in order; a place without any editable
    change keeps its version and gets no audit entry.
    """
    if not updates:
        return []
    ids = [int(pid) for pid, _, _ in updates]
    if len(set(ids)) != len(ids):
        raise ValueError("Un même lieu ne peut être mis à jour qu'une fois par écriture.")
    before = get_many(con, ids)
    for pid, _, expected in updates:
        stored = before.get(int(pid))
        if stored is None:
            raise ConflictError(f"Lieu {pid} introuvable.")
        if stored["version"] != expected:
            raise ConflictError(
                "Ce lieu a été modifié par quelqu'un d'autre depuis que vous l'avez ouvert "
                f"(version {stored['version']} contre {expected}). "
                + _changes_since(con, int(pid), int(expected)))
    changed = [(int(pid), {f: changes[f] for f in EDITABLE if f in changes}, int(expected))
               for pid, changes, expected in updates]
    changed = [u for u in changed if u[1]]
    versions = {int(pid): int(expected) for pid, _, expected in updates}
    if changed:
        fields = [f for f in EDITABLE if any(f in c for _, c, _ in changed)]
        columns = {"id": pa.array([pid for pid, _, _ in changed], pa.int32()),
                   "expected_version": pa.array([v for _, _, v in changed], pa.int32())}
        for f in fields:
            columns[f] = _column([c.get(f) for _, c, _ in changed], f)
            columns[f"set_{f}"] = pa.array([f in c for _, c, _ in changed], pa.bool_())
        assignments = ", ".join(
            f"{f} = CASE WHEN u.set_{f} THEN u.{f} ELSE places.{f} END" for f in fields)
        con.register("_bulk_place_updates", pa.table(columns))
        try:
            done = con.execute(
                f"UPDATE places SET {assignments}, version = places.version + 1, "
                "updated_at = current_timestamp FROM _bulk_place_updates u "
                "WHERE places.id = u.id AND places.version = u.expected_version"
            ).fetchone()[0]
        finally:
            con.unregister("_bulk_place_updates")
        if done != len(changed):
            raise ConflictError(
                "Ce lieu vient d'être modifié par quelqu'un d'autre : rechargez-le.")
        versions.update({pid: expected + 1 for pid, _, expected in changed})
        after = get_many(con, [pid for pid, _, _ in changed])
        audit.record_many(con, [
            {"actor": actor, "entity": "place", "entity_id": pid, "action": action,
             "old": {f: _public(before[pid])[f] for f in c},
             "new": {f: _public(after[pid])[f] for f in c}} for pid, c, _ in changed])
        if action != "import":  # typed in the application: an import will keep these fields
            origins.record_fields(con, [
                (pid, f, MANUAL, str(pid)) for pid, c, _ in changed
                for f in fields_of(k for k in c if _differs(before[pid].get(k), c[k]))])
    return [versions[pid] for pid in ids]


def _differs(old: object, new: object) -> bool:
    """A field really changed by an edit (the form sends every field, changed or not)."""
    if isinstance(old, (list, tuple, np.ndarray)) or isinstance(new, (list, tuple, np.ndarray)):
        return list(old if old is not None else []) != list(new if new is not None else [])
    if is_missing(old) and is_missing(new):
        return False
    if isinstance(old, float) or isinstance(new, float):
        try:
            return abs(float(old) - float(new)) > 1e-9
        except (TypeError, ValueError):
            return True
    return old != new


def set_archived(con: duckdb.DuckDBPyConnection, place_id: int, archived: bool,
                 expected_version: int, actor: str) -> int:
    """Archive (hide) or bring back a place, with the same version check as an edit."""
    before = get(con, place_id)
    if before is None or before["version"] != expected_version:
        raise ConflictError("Ce lieu a été modifié entre-temps : rechargez-le avant de l'archiver.")
    con.execute("UPDATE places SET archived = ?, version = version + 1, "
                "updated_at = current_timestamp WHERE id = ?", [archived, int(place_id)])
    audit.record(con, actor=actor, entity="place", entity_id=place_id,
                 action="archive" if archived else "unarchive",
                 old={"archived": before["archived"]}, new={"archived": archived})
    return expected_version + 1


def _public(place: Mapping[str, object] | None) -> dict:
    return {k: v for k, v in (place or {}).items() if k not in ("version",)}


def _changes_since(con: duckdb.DuckDBPyConnection, place_id: int, version: int) -> str:
    """What others changed after ``version``, in French (from the audit trail)."""
    history = audit.history(con, "place", place_id, limit=50)
    lines = []
    for row in history.itertuples():
        if row.action == "merge":  # its values are a whole record, not field changes
            lines.append(f"fusion avec un autre lieu (par {row.actor}, "
                         f"{row.changed_at:%d/%m %H:%M})")
            continue
        for field, new in (row.new_values or {}).items():
            old = (row.old_values or {}).get(field)
            lines.append(f"{field} : « {old} » → « {new} » "
                         f"(par {row.actor}, {row.changed_at:%d/%m %H:%M})")
    recent = lines[: max(1, len(lines))][:10]
    return ("Modifications enregistrées entre-temps : " + " ; ".join(recent)) if recent else ""


def restore(con: duckdb.DuckDBPyConnection, audit_id: int, expected_version: int,
            actor: str) -> int:
    """Put back the values a recorded change replaced (undo that change), as a new change."""
    entry = audit.entry(con, audit_id)
    if entry is None or entry["entity"] != "place" or not entry["old_values"]:
        raise ConflictError("Cette modification ne peut pas être annulée (rien à rétablir).")
    if entry["action"] in ("merge", "unmerge"):  # store.duplicates.undo_merge undoes a merge
        raise ConflictError("Une fusion s'annule depuis l'historique du lieu conservé "
                            "(« Rétablir les valeurs d'avant » sur la ligne « fusion »).")
    old = {k: v for k, v in entry["old_values"].items() if k in EDITABLE or k == "archived"}
    archived = old.pop("archived", None)
    version = update(con, entry["entity_id"], old, expected_version, actor, action="restore")
    if archived is not None:
        version = set_archived(con, entry["entity_id"], bool(archived), version, actor)
    return version
