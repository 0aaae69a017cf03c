"""Places and their current scores (those of the latest evaluation)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb
import pandas as pd

from observatory.consortia import ConflictError
from observatory.model import CRITERIA_KEYS
from observatory.store import audit

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
    placeholders = ", ".join("?" for _ in fields)
    row = con.execute(
        f"INSERT INTO places ({', '.join(fields)}) VALUES ({placeholders}) RETURNING id",
        [place[f] for f in fields],
    ).fetchone()
    return int(row[0])


def insert_many(con: duckdb.DuckDBPyConnection, places: Iterable[Mapping[str, object]]) -> list[int]:
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


def delete_demo(con: duckdb.DuckDBPyConnection) -> None:
    """Remove every demonstration record (call inside a transaction)."""
    demo_items = "SELECT id FROM equipment WHERE is_demo"
    demo_consortia = "SELECT id FROM consortia WHERE is_demo"
    con.execute(f"DELETE FROM equipment_stays WHERE equipment_id IN ({demo_items})")
    con.execute("DELETE FROM equipment WHERE is_demo")
    con.execute(f"DELETE FROM applications WHERE consortium_id IN ({demo_consortia})")
    con.execute(f"DELETE FROM consortium_members WHERE consortium_id IN ({demo_consortia})")
    con.execute(f"DELETE FROM consortium_history WHERE consortium_id IN ({demo_consortia})")
    con.execute("DELETE FROM consortia WHERE is_demo")
    con.execute("DELETE FROM evaluations WHERE place_id IN (SELECT id FROM places WHERE is_demo)")
    con.execute("DELETE FROM places WHERE is_demo")


EDITABLE = tuple(f for f in PLACE_FIELDS if f != "is_demo")


def get(con: duckdb.DuckDBPyConnection, place_id: int) -> dict | None:
    """One place's stored fields (archived ones included), with ``id``, ``version``, ``archived``."""
    df = con.execute(f"SELECT id, {', '.join(PLACE_FIELDS)}, archived, version FROM places "
                     "WHERE id = ?", [int(place_id)]).df()
    if df.empty:
        return None
    row = df.iloc[0].to_dict()
    row["thematics"] = list(row["thematics"]) if row["thematics"] is not None else []
    return {k: (None if not isinstance(v, (list, str)) and pd.isna(v) else
                v.item() if hasattr(v, "item") else v) for k, v in row.items()}


def create(con: duckdb.DuckDBPyConnection, place: Mapping[str, object], actor: str) -> int:
    """Insert a place and record it in the audit trail (call inside a transaction)."""
    place_id = insert(con, place)
    audit.record(con, actor=actor, entity="place", entity_id=place_id, action="create",
                 old=None, new=_public(get(con, place_id)))
    return place_id


def update(con: duckdb.DuckDBPyConnection, place_id: int, changes: Mapping[str, object],
           expected_version: int, actor: str, action: str = "update") -> int:
    """Apply ``changes`` if the place is still at ``expected_version``; returns the new version.

    Refuses a stale save (someone saved in between) with a French message listing what the
    other person changed, instead of overwriting it silently.
    """
    before = get(con, place_id)
    if before is None:
        raise ConflictError(f"Lieu {place_id} introuvable.")
    if before["version"] != expected_version:
        raise ConflictError(
            "Ce lieu a été modifié par quelqu'un d'autre depuis que vous l'avez ouvert "
            f"(version {before['version']} contre {expected_version}). "
            + _changes_since(con, place_id, expected_version))
    fields = [f for f in changes if f in EDITABLE]
    if fields:
        done = con.execute(
            f"UPDATE places SET {', '.join(f'{f} = ?' for f in fields)}, version = version + 1, "
            "updated_at = current_timestamp WHERE id = ? AND version = ? RETURNING version",
            [*(changes[f] for f in fields), int(place_id), int(expected_version)]).fetchall()
        if not done:
            raise ConflictError("Ce lieu vient d'être modifié par quelqu'un d'autre : rechargez-le.")
        after = get(con, place_id)
        audit.record(con, actor=actor, entity="place", entity_id=place_id, action=action,
                     old={f: _public(before)[f] for f in fields},
                     new={f: _public(after)[f] for f in fields})
        return int(done[0][0])
    return int(before["version"])


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
        for field, new in (row.new_values or {}).items():
            old = (row.old_values or {}).get(field)
            lines.append(f"{field} : « {old} » → « {new} » (par {row.actor}, {row.changed_at:%d/%m %H:%M})")
    recent = lines[: max(1, len(lines))][:10]
    return ("Modifications enregistrées entre-temps : " + " ; ".join(recent)) if recent else ""


def restore(con: duckdb.DuckDBPyConnection, audit_id: int, expected_version: int,
            actor: str) -> int:
    """Put back the values a recorded change replaced (undo that change), as a new change."""
    entry = audit.entry(con, audit_id)
    if entry is None or entry["entity"] != "place" or not entry["old_values"]:
        raise ConflictError("Cette modification ne peut pas être annulée (rien à rétablir).")
    old = {k: v for k, v in entry["old_values"].items() if k in EDITABLE or k == "archived"}
    archived = old.pop("archived", None)
    version = update(con, entry["entity_id"], old, expected_version, actor, action="restore")
    if archived is not None:
        version = set_archived(con, entry["entity_id"], bool(archived), version, actor)
    return version
