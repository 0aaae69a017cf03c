"""Consortia, their members and their history (every change kept as JSON)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from observatory.consortia import ConflictError, Consortium, ConsortiumError
from observatory.store import audit, db

COLUMNS = ("name", "lead_place_id", "location_place_id", "call_year", "status", "description")


def _state(con: duckdb.DuckDBPyConnection, consortium_id: int) -> str:
    row = con.execute(
        f"SELECT id, {', '.join(COLUMNS)}, archived, version FROM consortia WHERE id = ?",
        [consortium_id]).fetchone()
    keys = ("id", *COLUMNS, "archived", "version")
    state = dict(zip(keys, row, strict=True))
    state["member_ids"] = members_of(con, consortium_id)
    return json.dumps(state, ensure_ascii=False)


def _record(con, consortium_id: int, action: str, changed_by: str) -> None:
    state = _state(con, consortium_id)
    previous = con.execute("SELECT state FROM consortium_history WHERE consortium_id = ? "
                           "ORDER BY id DESC LIMIT 1", [consortium_id]).fetchone()
    con.execute(
        "INSERT INTO consortium_history (consortium_id, changed_by, action, state) "
        "VALUES (?, ?, ?, ?)", [consortium_id, changed_by, action, state])
    audit.record(con, actor=changed_by, entity="consortium", entity_id=consortium_id,
                 action={"created": "create", "updated": "update"}.get(action, action),
                 old=json.loads(previous[0]) if previous else None, new=json.loads(state))


def _replace_members(con, consortium_id: int, member_ids: list[int]) -> None:
    con.execute("DELETE FROM consortium_members WHERE consortium_id = ?", [consortium_id])
    con.executemany("INSERT INTO consortium_members VALUES (?, ?)",
                    [(consortium_id, int(pid)) for pid in sorted(set(member_ids))])


def create(con: duckdb.DuckDBPyConnection, consortium: Consortium, changed_by: str) -> int:
    """Insert a validated consortium (call inside a transaction); returns its id."""
    consortium.validate()
    values = [getattr(consortium, c) for c in COLUMNS]
    new_id = db.insert_returning_id(con, "consortia", dict(zip(COLUMNS, values, strict=True)))
    _replace_members(con, new_id, consortium.member_ids)
    _record(con, new_id, "created", changed_by)
    return int(new_id)


def update(con: duckdb.DuckDBPyConnection, consortium: Consortium, changed_by: str) -> int:
    """Save changes if nobody saved since ``consortium.version`` was read; returns the new
    version."""
    consortium.validate()
    current = con.execute("SELECT version FROM consortia WHERE id = ? AND NOT archived",
                          [consortium.id]).fetchone()
    if current is None:
        raise ConsortiumError(f"Consortium {consortium.id} introuvable.")
    if current[0] != consortium.version:
        raise ConflictError(
            "Ce consortium a été modifié par quelqu'un d'autre depuis que vous l'avez ouvert "
            f"(version {current[0]} contre {consortium.version}). "
            "Rechargez-le avant d'enregistrer.")
    con.execute(
        f"UPDATE consortia SET {', '.join(f'{c} = ?' for c in COLUMNS)}, version = version + 1, "
        "updated_at = current_timestamp WHERE id = ?",
        [*(getattr(consortium, c) for c in COLUMNS), consortium.id])
    _replace_members(con, consortium.id, consortium.member_ids)
    _record(con, consortium.id, "updated", changed_by)
    return consortium.version + 1


def archive(con: duckdb.DuckDBPyConnection, consortium_id: int, changed_by: str) -> None:
    done = con.execute("UPDATE consortia SET archived = true, version = version + 1, "
                       "updated_at = current_timestamp WHERE id = ? AND NOT archived",
                       [consortium_id]).fetchone()[0]
    if not done:
        raise ConsortiumError(f"Consortium {consortium_id} introuvable.")
    _record(con, consortium_id, "archived", changed_by)


def status_of(con: duckdb.DuckDBPyConnection, consortium_id: int) -> tuple[str, int] | None:
    """The status and call year of a consortium not archived, or None."""
    row = con.execute("SELECT status, call_year FROM consortia WHERE id = ? AND NOT archived",
                      [consortium_id]).fetchone()
    return None if row is None else (row[0], int(row[1]))


def set_status(con: duckdb.DuckDBPyConnection, consortium_id: int, status: str,
               changed_by: str) -> None:
    """Change only the status (its application was decided), a new version in its history."""
    done = con.execute("UPDATE consortia SET status = ?, version = version + 1, "
                       "updated_at = current_timestamp WHERE id = ? AND NOT archived",
                       [status, consortium_id]).fetchone()[0]
    if not done:
        raise ConsortiumError(f"Consortium {consortium_id} introuvable.")
    _record(con, consortium_id, "updated", changed_by)


def members_of(con: duckdb.DuckDBPyConnection, consortium_id: int) -> list[int]:
    return [r[0] for r in con.execute(
        "SELECT place_id FROM consortium_members WHERE consortium_id = ? ORDER BY place_id",
        [consortium_id]).fetchall()]


def current(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Consortia not archived, with their member ids as a list."""
    df = con.execute(
        f"SELECT c.id, {', '.join('c.' + col for col in COLUMNS)}, c.version, c.created_at, "
        "c.updated_at, list(m.place_id ORDER BY m.place_id) AS member_ids "
        "FROM consortia c LEFT JOIN consortium_members m ON m.consortium_id = c.id "
        "WHERE NOT c.archived GROUP BY ALL ORDER BY c.call_year DESC, c.name").df()
    df["member_ids"] = df["member_ids"].map(lambda v: [int(x) for x in v if x is not None]
                                            if v is not None else [])
    return df


def history(con: duckdb.DuckDBPyConnection, consortium_id: int | None = None) -> pd.DataFrame:
    sql = "SELECT id, consortium_id, changed_at, changed_by, action, state FROM consortium_history"
    params: list[object] = []
    if consortium_id is not None:
        sql += " WHERE consortium_id = ?"
        params.append(consortium_id)
    return con.execute(sql + " ORDER BY id", params).df()


def mark_demo(con: duckdb.DuckDBPyConnection, consortium_ids: list[int]) -> None:
    con.executemany("UPDATE consortia SET is_demo = true WHERE id = ?",
                    [(i,) for i in consortium_ids])
