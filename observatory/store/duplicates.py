"""Probable duplicates in the store: « pas un doublon » decisions, merges and their undo.

A merge keeps one place and removes the other in ONE transaction (the caller's): the kept
place takes the values chosen field by field, everything that pointed to the removed place
(``PLACE_REFERENCES``, consortium memberships, source ids, field provenance) now points to
the kept one, and one audit row (entity 'place', action 'merge', on the kept place) holds the
removed place's full record and what moved, so that ``undo_merge`` can put everything back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb
import pandas as pd

from observatory import merging
from observatory.errors import ConflictError
from observatory.store import audit, places

# Columns that hold a place id, moved row by row (table, column, the row's key).
PLACE_REFERENCES = (
    ("evaluations", "place_id", "evaluations"),
    ("consortia", "lead_place_id", "consortia_lead"),
    ("consortia", "location_place_id", "consortia_location"),
    ("equipment", "owner_place_id", "equipment"),
    ("equipment_stays", "place_id", "equipment_stays"),
)
# Also handled, each in its own way: consortium_members.place_id (a membership the kept place
# already has is dropped, not doubled), place_sources.place_id (moved, keyed by source and
# record id), field_provenance.place_id (rows deleted and written again: it is in the key).
# duplicate_decisions.place_a/place_b are left as they are: an undo brings the place back.
HANDLED_ELSEWHERE = (("consortium_members", "place_id"), ("place_sources", "place_id"),
                     ("field_provenance", "place_id"), ("duplicate_decisions", "place_a"),
                     ("duplicate_decisions", "place_b"))
_PLACE_COLUMNS = ("id", *places.PLACE_FIELDS, "archived", "version", "created_at", "updated_at")


def _ordered(a: int, b: int) -> tuple[int, int]:
    a, b = int(a), int(b)
    return (a, b) if a < b else (b, a)


def dismissed(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """The pairs marked « pas un doublon »."""
    return [(int(a), int(b)) for a, b in con.execute(
        "SELECT place_a, place_b FROM duplicate_decisions ORDER BY place_a, place_b").fetchall()]


def dismiss(con: duckdb.DuckDBPyConnection, place_a: int, place_b: int, actor: str) -> None:
    """Remember that two places are not the same (call inside a transaction); audited."""
    a, b = _ordered(place_a, place_b)
    if a == b:
        raise ConflictError("Un lieu ne peut pas être le doublon de lui-même.")
    found = places.get_many(con, [a, b])
    if len(found) != 2:
        raise ConflictError("L'un des deux lieux n'existe plus : rechargez la page.")
    # Every column given and no ON CONFLICT: the PostgreSQL extension applies no column
    # default and has no upsert.
    known = con.execute("SELECT count(*) FROM duplicate_decisions WHERE place_a = ? "
                        "AND place_b = ?", [a, b]).fetchone()[0]
    if not known:
        con.execute("INSERT INTO duplicate_decisions (place_a, place_b, decision, decided_by, "
                    "decided_at) VALUES (?, ?, 'not_duplicate', ?, now()::TIMESTAMP)",
                    [a, b, actor])
    audit.record(con, actor=actor, entity="duplicate", entity_id=a, action="not_duplicate",
                 old=None, new={"place_a": a, "place_b": b, "names": [found[a]["name"],
                                                                      found[b]["name"]]})


def sources(con: duckdb.DuckDBPyConnection, place_ids: Iterable[int]) -> pd.DataFrame:
    """The source records of these places (``place_sources``), for display."""
    ids = [int(i) for i in place_ids]
    return con.execute(
        "SELECT place_id, source, record_id, file_name, publisher, vintage FROM place_sources "
        "WHERE place_id IN (SELECT unnest(?::INTEGER[])) ORDER BY place_id, source, record_id",
        [ids]).df()


def _full_record(con: duckdb.DuckDBPyConnection, place_id: int) -> dict | None:
    row = con.execute(f"SELECT {', '.join(_PLACE_COLUMNS)} FROM places WHERE id = ?",
                      [int(place_id)]).fetchone()
    if row is None:
        return None
    record = dict(zip(_PLACE_COLUMNS, row, strict=True))
    record["thematics"] = list(record["thematics"] or [])
    for key in ("created_at", "updated_at"):
        record[key] = None if record[key] is None else record[key].isoformat(sep=" ")
    return record


def _provenance(con: duckdb.DuckDBPyConnection, place_id: int) -> list[dict]:
    cursor = con.execute("SELECT place_id, field, source, record_id, updated_at "
                         "FROM field_provenance WHERE place_id = ? ORDER BY field", [place_id])
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    for row in rows:
        row["updated_at"] = None if row["updated_at"] is None else str(row["updated_at"])
    return rows


def _write_provenance(con: duckdb.DuckDBPyConnection, rows: Iterable[Mapping]) -> None:
    for row in rows:
        con.execute("INSERT INTO field_provenance (place_id, field, source, record_id, "
                    "updated_at) VALUES (?, ?, ?, ?, coalesce(?::TIMESTAMP, current_timestamp))",
                    [int(row["place_id"]), row["field"], row["source"], row["record_id"],
                     row.get("updated_at")])


def _check_versions(stored: Mapping[int, dict], expected: Mapping[int, int]) -> None:
    for place_id, version in expected.items():
        place = stored.get(int(place_id))
        if place is None:
            raise ConflictError(f"Le lieu n° {place_id} n'existe plus (fusionné ou supprimé "
                                "entre-temps) : rechargez la page ; rien n'a été écrit.")
        if int(place["version"]) != int(version):
            raise ConflictError(
                f"Le lieu « {place['name']} » a été modifié par quelqu'un d'autre depuis que "
                f"vous l'avez ouvert (version {place['version']} contre {version}) : rechargez "
                "la page et refaites vos choix ; rien n'a été écrit.")


def _set_fields(con, place_id: int, values: Mapping[str, object], expected_version: int) -> int:
    """Set place fields (names from ``places.PLACE_FIELDS`` only) and bump the version."""
    fields = [f for f in values if f in places.PLACE_FIELDS]
    assignments = "".join(f"{f} = ?, " for f in fields)
    # No RETURNING: the PostgreSQL extension has none for UPDATE; the count tells.
    done = con.execute(
        f"UPDATE places SET {assignments}version = version + 1, updated_at = current_timestamp "
        "WHERE id = ? AND version = ?",
        [*(values[f] for f in fields), int(place_id), int(expected_version)]).fetchone()[0]
    if not done:
        raise ConflictError("Ce lieu vient d'être modifié par quelqu'un d'autre : rechargez-le ; "
                            "rien n'a été écrit.")
    return int(expected_version) + 1


def merge(con: duckdb.DuckDBPyConnection, kept_id: int, removed_id: int,
          take_from_removed: Iterable[str], versions: Mapping[int, int], actor: str) -> dict:
    """Merge ``removed_id`` into ``kept_id`` (call inside a transaction: all or nothing).

    ``take_from_removed``: the choices (``merging.MERGE_FIELDS``) whose value comes from
    the removed place; the others keep the kept place's. ``versions``: each place's version
    as the analyst saw it (``ConflictError`` when either changed since). Returns what moved
    and the kept place's new version.
    """
    kept_id, removed_id = int(kept_id), int(removed_id)
    if kept_id == removed_id:
        raise ConflictError("Choisissez deux lieux différents à fusionner.")
    stored = places.get_many(con, [kept_id, removed_id])
    _check_versions(stored, {kept_id: versions.get(kept_id), removed_id: versions.get(removed_id)})
    kept, removed = stored[kept_id], stored[removed_id]
    if bool(kept["is_demo"]) != bool(removed["is_demo"]):
        # Replacing the demonstration data deletes its places with their evaluations: a real
        # place merged with a demonstration one would go with them.
        raise ConflictError("Un lieu de démonstration ne peut pas être fusionné avec un lieu "
                            "réel : retirez d'abord les données de démonstration (page "
                            "« Importer ») ; rien n'a été écrit.")
    taken = [c for c in take_from_removed if c in merging.differing_fields(kept, removed)]
    changes = merging.merged_changes(kept, removed, taken)
    record = _full_record(con, removed_id)
    kept_provenance, removed_provenance = _provenance(con, kept_id), _provenance(con, removed_id)

    moved: dict[str, list] = {}
    for table, column, key in PLACE_REFERENCES:
        rows = con.execute(f"SELECT id FROM {table} WHERE {column} = ?", [removed_id]).fetchall()
        con.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [kept_id, removed_id])
        moved[key] = sorted(int(r[0]) for r in rows)
    members = [int(r[0]) for r in con.execute(
        "SELECT consortium_id FROM consortium_members WHERE place_id = ?", [removed_id]).fetchall()]
    already = {int(r[0]) for r in con.execute(
        "SELECT consortium_id FROM consortium_members WHERE place_id = ?", [kept_id]).fetchall()}
    con.execute("DELETE FROM consortium_members WHERE place_id = ?", [removed_id])
    moved["consortium_members"] = sorted(c for c in set(members) if c not in already)
    moved["consortium_members_dropped"] = sorted(c for c in members if c in already)
    for consortium in moved["consortium_members"]:
        con.execute("INSERT INTO consortium_members (consortium_id, place_id) VALUES (?, ?)",
                    [consortium, kept_id])
    moved["place_sources"] = sorted([list(r) for r in con.execute(
        "SELECT source, record_id FROM place_sources WHERE place_id = ?",
        [removed_id]).fetchall()])
    con.execute("UPDATE place_sources SET place_id = ? WHERE place_id = ?", [kept_id, removed_id])
    _merge_provenance(con, kept, removed, taken, kept_provenance, removed_provenance)

    version = _set_fields(con, kept_id, changes, kept["version"])
    deleted = con.execute("DELETE FROM places WHERE id = ? AND version = ?",
                          [removed_id, removed["version"]]).fetchone()[0]
    if not deleted:
        raise ConflictError("Le lieu à supprimer vient d'être modifié : rechargez la page ; "
                            "rien n'a été écrit.")
    audit.record(con, actor=actor, entity="place", entity_id=kept_id, action="merge",
                 old={"fields": {f: audit.plain(kept.get(f)) for f in changes},
                      "removed_place": record,
                      "provenance": {"kept": kept_provenance, "removed": removed_provenance}},
                 new={"fields": {f: audit.plain(v) for f, v in changes.items()},
                      "removed_place_id": removed_id, "moved": moved})
    return {"kept_id": kept_id, "removed_id": removed_id, "version": version, "moved": moved,
            "fields": sorted(changes),
            "thin_consortia": _thin_consortia(con, moved["consortium_members_dropped"])}


def _thin_consortia(con, consortium_ids: list[int]) -> list[str]:
    """The names of these consortia (not archived) that a merge left with a single place."""
    return [r[0] for r in con.execute(
        "SELECT c.name FROM consortia c WHERE c.id IN (SELECT unnest(?::INTEGER[])) "
        "AND NOT c.archived AND (SELECT count(DISTINCT m.place_id) FROM consortium_members m "
        "WHERE m.consortium_id = c.id) < 2 ORDER BY c.name", [list(consortium_ids)]).fetchall()]


def _provenance_field(field: str) -> str:
    return "coordinates" if field in merging.COORDINATES else field


def _merge_provenance(con, kept: Mapping, removed: Mapping, taken: list[str],
                      kept_rows: list[dict], removed_rows: list[dict]) -> None:
    """The kept place's provenance after the merge: a field whose value comes from the removed
    place takes the removed place's provenance; a field the kept place has no provenance for
    takes the removed one's when both places agree on its value (or the field is not one of
    the place's columns, like an address)."""
    taken_fields = {_provenance_field(c) for c in taken}
    own = {r["field"] for r in kept_rows}
    agree = set(merging.MERGE_FIELDS) - set(merging.differing_fields(kept, removed))
    moving = [r for r in removed_rows
              if r["field"] in taken_fields
              or (r["field"] not in own
                  and (r["field"] in agree or r["field"] not in merging.MERGE_FIELDS))]
    replaced = {r["field"] for r in moving}
    con.execute("DELETE FROM field_provenance WHERE place_id IN (?, ?)",
                [int(kept["id"]), int(removed["id"])])
    _write_provenance(con, [r for r in kept_rows if r["field"] not in replaced])
    _write_provenance(con, [dict(r, place_id=int(kept["id"])) for r in moving])


def merge_entry(con: duckdb.DuckDBPyConnection, audit_id: int) -> dict | None:
    """The audit entry of a merge, or None when ``audit_id`` is not one."""
    entry = audit.entry(con, audit_id)
    return entry if entry and entry["entity"] == "place" and entry["action"] == "merge" else None


def undo_merge(con: duckdb.DuckDBPyConnection, audit_id: int, expected_version: int,
               actor: str) -> int:
    """Undo a merge (call inside a transaction): the removed place comes back with its id and
    its values, what moved goes back to it, the kept place takes back its values and its
    provenance. Returns the kept place's new version; ``ConflictError`` when the kept place
    changed since it was loaded or the merge was already undone."""
    entry = merge_entry(con, audit_id)
    if entry is None:
        raise ConflictError("Cette modification n'est pas une fusion : rien à défaire.")
    kept_id = int(entry["entity_id"])
    old, new = entry["old_values"], entry["new_values"]
    record = old["removed_place"]
    removed_id = int(record["id"])
    kept = places.get(con, kept_id)
    _check_versions({kept_id: kept} if kept else {}, {kept_id: expected_version})
    if places.get(con, removed_id) is not None:
        raise ConflictError(f"Cette fusion a déjà été annulée : le lieu « {record['name']} » "
                            f"(n° {removed_id}) existe ; rien n'a été écrit.")
    columns = [c for c in _PLACE_COLUMNS if c in record]
    con.execute(f"INSERT INTO places ({', '.join(columns)}) VALUES "
                f"({', '.join('?' for _ in columns)})", [record[c] for c in columns])
    moved = new.get("moved") or {}
    for table, column, key in PLACE_REFERENCES:
        ids = [int(i) for i in moved.get(key, [])]
        if ids:
            con.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ? "
                        "AND id IN (SELECT unnest(?::INTEGER[]))", [removed_id, kept_id, ids])
    for consortium in moved.get("consortium_members", []):
        con.execute("UPDATE consortium_members SET place_id = ? WHERE consortium_id = ? "
                    "AND place_id = ?", [removed_id, int(consortium), kept_id])
    for consortium in moved.get("consortium_members_dropped", []):
        con.execute("INSERT INTO consortium_members (consortium_id, place_id) VALUES (?, ?)",
                    [int(consortium), removed_id])
    for source, record_id in moved.get("place_sources", []):
        con.execute("UPDATE place_sources SET place_id = ? WHERE source = ? AND record_id = ? "
                    "AND place_id = ?", [removed_id, source, record_id, kept_id])
    provenance = old.get("provenance") or {}
    con.execute("DELETE FROM field_provenance WHERE place_id IN (?, ?)", [kept_id, removed_id])
    _write_provenance(con, [*provenance.get("kept", []), *provenance.get("removed", [])])
    fields = old.get("fields") or {}
    version = _set_fields(con, kept_id, fields, int(expected_version))
    audit.record(con, actor=actor, entity="place", entity_id=kept_id, action="unmerge",
                 old=new.get("fields") or {}, new={**fields, "restored_place_id": removed_id})
    audit.record(con, actor=actor, entity="place", entity_id=removed_id, action="unmerge",
                 old=None, new={k: v for k, v in record.items()
                                if k in places.PLACE_FIELDS})
    return version

