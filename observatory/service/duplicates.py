"""Use cases of the probable duplicates: over the inventory, in an import's preview, merge,
« pas un doublon », and the undo of a merge. Streamlit-free (pages and CLI both call them).

The rules are in ``observatory.duplicates``; the SQL in ``observatory.store.duplicates``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from observatory import duplicates as rules
from observatory.importing import ADD
from observatory.service import core
from observatory.store import duplicates as store
from observatory.store import places, territory

THRESHOLD = rules.THRESHOLD


def neighbours(communes) -> dict[str, set[str]]:
    """INSEE -> neighbouring communes (touching, or centres within a few km)."""
    geometries = dict(zip(communes["insee"], communes.geometry, strict=True))
    centres = {i: (lon, lat) for i, lon, lat in zip(communes["insee"], communes["lon"],
                                                     communes["lat"], strict=True)}
    return rules.neighbouring_communes(geometries, centres)


def _commune_names(communes) -> dict[str, str]:
    return dict(zip(communes["insee"], communes["name"], strict=True))


def _stored_records(current: pd.DataFrame, names: Mapping[str, str]) -> list[rules.Record]:
    return [rules.record(int(p["id"]), p, names.get(str(p["insee"]), ""))
            for p in current.to_dict("records")]


def inventory_pairs(con, threshold: int = THRESHOLD) -> list[rules.Pair]:
    """The probable duplicates among the places (archived ones aside), best first, without
    the pairs marked « pas un doublon »."""
    communes = territory.communes(con)
    current = places.current(con)
    records = _stored_records(current, _commune_names(communes))
    pairs = rules.find_pairs(records, neighbours(communes), threshold=threshold,
                             dismissed=store.dismissed(con))
    # A demonstration place and a real one are never the same (nor can they be merged).
    demo = dict(zip(current["id"].astype(int), current["is_demo"].astype(bool), strict=True))
    return [p for p in pairs if demo.get(p.a.key) == demo.get(p.b.key)]


def import_pairs(con, report, threshold: int = THRESHOLD) -> list[rules.Pair]:
    """The rows an import would add that are probably a stored place or another added row
    (a warning: the import is not blocked). Incoming records are keyed « ligne N »."""
    added = [r for r in getattr(report, "records", []) if getattr(r, "action", None) == ADD
             and hasattr(r, "place")]
    if not added:
        return []
    communes = territory.communes(con)
    names = _commune_names(communes)
    current = places.current(con)
    if getattr(report, "replace_demo", False):
        current = current[~current["is_demo"]]
    incoming = [rules.record(f"ligne {r.row}", r.place, names.get(str(r.place.get("insee")), ""),
                             incoming=True) for r in added]
    return rules.find_pairs([*_stored_records(current, names), *incoming], neighbours(communes),
                            threshold=threshold, only_incoming=True)


def pair_rows(pairs: Iterable[rules.Pair]) -> list[dict]:
    """Plain rows (what ``observatory duplicates --json`` prints and the pages list)."""
    return [{"score": p.score, "a": _side(p.a), "b": _side(p.b), "reason": p.reason,
             "reasons": list(p.reasons)} for p in pairs]


def _side(r: rules.Record) -> dict:
    return {"key": r.key if isinstance(r.key, int) else str(r.key), "name": r.name,
            "insee": r.insee, "commune": r.commune, "incoming": r.incoming}


def import_table(pairs: Iterable[rules.Pair]) -> pd.DataFrame:
    """The Importer's table of probable duplicates, in French."""
    rows = []
    for p in pairs:
        new, other = (p.a, p.b) if p.a.incoming else (p.b, p.a)
        rows.append({"ligne": int(str(new.key).removeprefix("ligne ")), "lieu importé": new.name,
                     "commune": new.commune or new.insee,
                     "probablement le même que": (f"ligne {str(other.key).removeprefix('ligne ')}"
                                                  f" du fichier : {other.name}" if other.incoming
                                                  else f"{other.name} (n° {other.key})"),
                     "score": p.score, "raison": p.reason})
    return pd.DataFrame(rows, columns=["ligne", "lieu importé", "commune",
                                       "probablement le même que", "score", "raison"])


def pair_details(con, place_a: int, place_b: int) -> dict:
    """Both places' stored fields (with their versions) and their source records."""
    found = places.get_many(con, [place_a, place_b])
    return {"places": found, "sources": store.sources(con, [place_a, place_b])}


def _required(actor: str) -> str:
    name = str(actor or "").strip()
    if not name:
        raise ValueError("actor is required: the audit trail names who made the change")
    return name


def merge_places(con, kept_id: int, removed_id: int, take_from_removed: Iterable[str],
                 versions: Mapping[int, int], *, actor: str) -> dict:
    """Merge two places in one transaction with its audit row (``store.duplicates.merge``)."""
    actor = _required(actor)
    with core.transaction(con):
        return store.merge(con, kept_id, removed_id, list(take_from_removed), versions, actor)


def dismiss_pair(con, place_a: int, place_b: int, *, actor: str) -> None:
    """« Pas un doublon »: the pair is not proposed again (audited)."""
    actor = _required(actor)
    with core.transaction(con):
        store.dismiss(con, place_a, place_b, actor)


def undo_merge(con, audit_id: int, loaded_version: int, *, actor: str) -> int:
    """Undo a merge from the kept place's history; returns the kept place's new version."""
    actor = _required(actor)
    with core.transaction(con):
        return store.undo_merge(con, audit_id, loaded_version, actor)


def is_merge(con, audit_id: int) -> bool:
    return store.merge_entry(con, audit_id) is not None
