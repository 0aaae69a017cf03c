"""Equipment items, their stays at places, calls for projects and applications."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from observatory.consortia import ConflictError  # its subclass of errors.ConflictError
from observatory.equipment import Equipment, EquipmentError
from observatory.formatting import is_missing
from observatory.store import audit, db

COLUMNS = ("name", "category", "owner_place_id", "consortium_id", "call_year", "amount_funded",
           "purchase_value", "condition", "mutualised", "itinerant", "notes")


def _values(item: Equipment) -> dict:
    return {c: getattr(item, c) for c in COLUMNS}


def _stored(con: duckdb.DuckDBPyConnection, item_id: int) -> dict | None:
    df = con.execute(f"SELECT {', '.join(COLUMNS)}, version FROM equipment WHERE id = ?",
                     [item_id]).df()
    return None if df.empty else {k: (None if is_missing(v) else v)
                                  for k, v in df.iloc[0].to_dict().items()}


def create(con: duckdb.DuckDBPyConnection, item: Equipment, *, actor: str,
           is_demo: bool = False) -> int:
    """Insert a new item, audited under ``actor`` (the account, or the demo loader's name)."""
    item.validate()
    new_id = db.insert_returning_id(
        con, "equipment", {**{c: getattr(item, c) for c in COLUMNS}, "is_demo": is_demo})
    audit.record(con, actor=actor, entity="equipment", entity_id=new_id, action="create",
                 old=None, new=_values(item))
    return new_id


def update(con: duckdb.DuckDBPyConnection, item: Equipment, *, actor: str) -> int:
    """Save if nobody saved since ``item.version`` was read; returns the new version."""
    item.validate()
    row = con.execute("SELECT version FROM equipment WHERE id = ? AND NOT archived",
                      [item.id]).fetchone()
    if row is None:
        raise EquipmentError(f"Équipement {item.id} introuvable.")
    if row[0] != item.version:
        raise ConflictError("Cet équipement a été modifié par quelqu'un d'autre depuis que vous "
                            "l'avez ouvert. Rechargez-le avant d'enregistrer.")
    before = _stored(con, item.id)
    con.execute(
        f"UPDATE equipment SET {', '.join(f'{c} = ?' for c in COLUMNS)}, version = version + 1, "
        "updated_at = current_timestamp WHERE id = ?",
        [*(getattr(item, c) for c in COLUMNS), item.id])
    changed = {c for c in COLUMNS if before.get(c) != getattr(item, c)}
    audit.record(con, actor=actor, entity="equipment", entity_id=item.id, action="update",
                 old={c: before.get(c) for c in changed},
                 new={c: getattr(item, c) for c in changed})
    return item.version + 1


def archive(con: duckdb.DuckDBPyConnection, item_id: int, *, actor: str) -> None:
    done = con.execute("UPDATE equipment SET archived = true, version = version + 1 "
                       "WHERE id = ? AND NOT archived", [item_id]).fetchone()[0]
    if not done:
        raise EquipmentError(f"Équipement {item_id} introuvable.")
    audit.record(con, actor=actor, entity="equipment", entity_id=item_id, action="archive",
                 old={"archived": False}, new={"archived": True})


def current(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM equipment WHERE NOT archived ORDER BY name, id").df()


def stays(con: duckdb.DuckDBPyConnection, equipment_id: int | None = None) -> pd.DataFrame:
    sql = ("SELECT s.* FROM equipment_stays s JOIN equipment e ON e.id = s.equipment_id "
           "WHERE NOT e.archived")
    params: list[object] = []
    if equipment_id is not None:
        sql += " AND s.equipment_id = ?"
        params.append(equipment_id)
    return con.execute(sql + " ORDER BY s.equipment_id, s.start_date", params).df()


def _row(con: duckdb.DuckDBPyConnection, table: str, key: str, value) -> dict | None:
    """One row as plain values (for the audit trail), or None."""
    df = con.execute(f"SELECT * FROM {table} WHERE {key} = ?", [value]).df()
    if df.empty:
        return None
    return {k: (None if is_missing(v) else
                v.item() if hasattr(v, "item") and not isinstance(v, pd.Timestamp) else v)
            for k, v in df.iloc[0].to_dict().items() if k not in ("created_at", "updated_at")}


def add_stay(con: duckdb.DuckDBPyConnection, equipment_id: int, place_id: int,
             start: dt.date, end: dt.date, note: str = "", *, actor: str) -> int:
    """Insert a stay; the caller has checked overlaps with the item's schedule."""
    new_id = db.insert_returning_id(
        con, "equipment_stays", {"equipment_id": equipment_id, "place_id": place_id,
                                 "start_date": start, "end_date": end, "note": note})
    audit.record(con, actor=actor, entity="stay", entity_id=new_id, action="create", old=None,
                 new={"equipment_id": equipment_id, "place_id": place_id, "start_date": start,
                      "end_date": end, "note": note})
    return new_id


def delete_stay(con: duckdb.DuckDBPyConnection, stay_id: int, *, actor: str) -> None:
    before = _row(con, "equipment_stays", "id", stay_id)
    con.execute("DELETE FROM equipment_stays WHERE id = ?", [stay_id])
    if before is not None:
        audit.record(con, actor=actor, entity="stay", entity_id=stay_id, action="delete",
                     old=before, new=None)


def calls(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM calls ORDER BY year").df()


def save_call(con: duckdb.DuckDBPyConnection, year: int, budget: float | None,
              opens_on: dt.date | None, closes_on: dt.date | None, notes: str = "", *,
              actor: str, is_demo: bool = False) -> None:
    """Create or replace the call of ``year``. Only the demonstration loader passes
    ``is_demo``: a call someone saves is a real call, even one the demonstration created."""
    before = _row(con, "calls", "year", year)
    con.execute("DELETE FROM calls WHERE year = ?", [year])
    con.execute("INSERT INTO calls (year, budget, opens_on, closes_on, notes, is_demo) "
                "VALUES (?, ?, ?, ?, ?, ?)", [year, budget, opens_on, closes_on, notes, is_demo])
    audit.record(con, actor=actor, entity="call", entity_id=year,
                 action="update" if before else "create", old=before,
                 new={"year": year, "budget": budget, "opens_on": opens_on,
                      "closes_on": closes_on, "notes": notes, "is_demo": is_demo})


def applications(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM applications ORDER BY call_year, id").df()


def application_of(con: duckdb.DuckDBPyConnection, consortium_id: int,
                   call_year: int) -> dict | None:
    """The application of a consortium to one call year (the first one entered), or None."""
    found = con.execute("SELECT id FROM applications WHERE consortium_id = ? AND call_year = ? "
                        "ORDER BY id LIMIT 1", [consortium_id, call_year]).fetchone()
    return None if found is None else _row(con, "applications", "id", found[0])


def save_application(con: duckdb.DuckDBPyConnection, record: dict, *,
                     actor: str) -> int:
    fields = ("call_year", "consortium_id", "amount_requested", "amount_granted",
              "equipment_planned", "status")
    new = {f: record.get(f) for f in fields}
    if record.get("id"):
        app_id = int(record["id"])
        before = _row(con, "applications", "id", app_id)
        con.execute(f"UPDATE applications SET {', '.join(f'{f} = ?' for f in fields)}, "
                    "updated_at = current_timestamp WHERE id = ?",
                    [*(record.get(f) for f in fields), app_id])
        changed = [f for f in fields if (before or {}).get(f) != new[f]]
        audit.record(con, actor=actor, entity="application", entity_id=app_id, action="update",
                     old={f: (before or {}).get(f) for f in changed},
                     new={f: new[f] for f in changed})
        return app_id
    app_id = db.insert_returning_id(con, "applications", {f: record.get(f) for f in fields})
    audit.record(con, actor=actor, entity="application", entity_id=app_id, action="create",
                 old=None, new=new)
    return app_id
