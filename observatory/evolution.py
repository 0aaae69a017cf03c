"""Compare two bundles (two snapshots, or a snapshot and today): what changed, in French."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from observatory.formatting import count
from observatory.model import CRITERIA


@dataclass
class Evolution:
    """What changed between two bundles, as French tables (``tables()``)."""

    before_label: str
    after_label: str
    places_added: pd.DataFrame
    places_removed: pd.DataFrame
    score_changes: pd.DataFrame  # one row per place and criterion that changed
    became_mature: pd.DataFrame
    stopped_mature: pd.DataFrame
    consortia_added: pd.DataFrame
    equipment_added: pd.DataFrame
    figures: pd.DataFrame  # indicator, before, after, delta
    criteria_means: pd.DataFrame = field(default_factory=pd.DataFrame)

    def is_empty(self) -> bool:
        return all(frame.empty for frame in (
            self.places_added, self.places_removed, self.score_changes, self.became_mature,
            self.stopped_mature, self.consortia_added, self.equipment_added))

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every part as a table with French headers (for exports)."""
        return {
            "Chiffres clés": self.figures,
            "Lieux ajoutés": self.places_added,
            "Lieux retirés": self.places_removed,
            "Scores modifiés": self.score_changes,
            "Devenus matures": self.became_mature,
            "Plus matures": self.stopped_mature,
            "Nouveaux consortiums": self.consortia_added,
            "Nouveaux équipements": self.equipment_added,
            "Moyennes par critère": self.criteria_means,
        }


def _ids(frame: pd.DataFrame) -> set[int]:
    return set(frame["id"].astype(int)) if "id" in frame and len(frame) else set()


def _pick(frame: pd.DataFrame, ids: set[int], columns: list[str]) -> pd.DataFrame:
    if not len(frame) or "id" not in frame:
        return pd.DataFrame(columns=columns)
    keep = [c for c in columns if c in frame.columns]
    return frame[frame["id"].isin(ids)][keep].reset_index(drop=True)


def _indicator_total(indicators: dict, key: str) -> int:
    value = indicators.get(key, {})
    return int(value.get("total", 0)) if isinstance(value, dict) else int(value or 0)


def figures(bundle) -> dict[str, float]:
    """Headline numbers of one bundle."""
    places, consortia = bundle.tables["places"], bundle.tables["consortia"]
    equipment = bundle.tables.get("equipment", pd.DataFrame())
    out = {
        "Lieux": len(places),
        "Lieux matures": int(places["mature"].sum()) if len(places) else 0,
        "Consortiums": len(consortia),
        "Équipements": len(equipment),
    }
    for key, label in (("consortia_formed", "Consortiums constitués"),
                       ("mutualised_equipment", "Équipements mutualisés"),
                       ("itinerant_equipment", "Équipements itinérants")):
        out[label] = _indicator_total(bundle.indicators, key)
    for c in CRITERIA:
        out[f"Moyenne « {c.short} »"] = (round(float(places[c.key].mean()), 2)
                                        if len(places) else 0.0)
    return out


def compare(before, after) -> Evolution:
    """What changed from ``before`` to ``after`` (places matched by their id)."""
    old, new = before.tables["places"], after.tables["places"]
    added, removed = _ids(new) - _ids(old), _ids(old) - _ids(new)
    both = sorted(_ids(new) & _ids(old))
    place_cols = ["id", "name", "commune", "typology", "mature", "mean_score"]

    a = old.set_index("id").loc[both] if both else old.iloc[0:0].set_index("id")
    b = new.set_index("id").loc[both] if both else new.iloc[0:0].set_index("id")
    changes = []
    for c in CRITERIA:
        diff = b[c.key].astype(float) - a[c.key].astype(float)
        moved = diff[diff.fillna(0) != 0]
        for pid, delta in moved.items():
            changes.append({"id": int(pid), "name": b.loc[pid, "name"], "critère": c.label,
                            "avant": a.loc[pid, c.key], "après": b.loc[pid, c.key],
                            "écart": delta})
    score_changes = pd.DataFrame(changes,
                                 columns=["id", "name", "critère", "avant", "après", "écart"])
    became = [pid for pid in both if b.loc[pid, "mature"] and not a.loc[pid, "mature"]]
    stopped = [pid for pid in both if a.loc[pid, "mature"] and not b.loc[pid, "mature"]]

    old_c, new_c = before.tables["consortia"], after.tables["consortia"]
    old_e = before.tables.get("equipment", pd.DataFrame())
    new_e = after.tables.get("equipment", pd.DataFrame())
    fig_before, fig_after = figures(before), figures(after)
    figures_table = pd.DataFrame([
        {"indicateur": key, "avant": fig_before[key], "après": fig_after[key],
         "écart": round(fig_after[key] - fig_before[key], 2)} for key in fig_before])
    means = pd.DataFrame([
        {"critère": c.short,
         before.label: round(float(old[c.key].mean()), 2) if len(old) else None,
         after.label: round(float(new[c.key].mean()), 2) if len(new) else None}
        for c in CRITERIA])
    return Evolution(
        before_label=before.label, after_label=after.label,
        places_added=_pick(new, added, place_cols),
        places_removed=_pick(old, removed, place_cols),
        score_changes=score_changes,
        became_mature=_pick(new, set(became), place_cols),
        stopped_mature=_pick(new, set(stopped), place_cols),
        consortia_added=_pick(new_c, _ids(new_c) - _ids(old_c),
                              ["id", "name", "call_year", "status"]),
        equipment_added=_pick(new_e, _ids(new_e) - _ids(old_e),
                              ["id", "name", "category", "owner_place_id"]),
        figures=figures_table,
        criteria_means=means,
    )


def summary_lines(evolution: Evolution) -> list[str]:
    """A few French sentences for reports and the CLI."""
    e = evolution
    lines = [f"De « {e.before_label} » à « {e.after_label} » :"]
    for frame, one, many in (
            (e.places_added, "lieu ajouté", "lieux ajoutés"),
            (e.places_removed, "lieu retiré", "lieux retirés"),
            (e.became_mature, "lieu devenu mature", "lieux devenus matures"),
            (e.stopped_mature, "lieu qui n'est plus mature", "lieux qui ne sont plus matures"),
            (e.consortia_added, "nouveau consortium", "nouveaux consortiums"),
            (e.equipment_added, "nouvel équipement", "nouveaux équipements")):
        named = 0 < len(frame) <= 8
        lines.append(f"- {count(len(frame), one, many)}"
                     + (" : " + ", ".join(frame["name"].astype(str)) if named else ""))
    changed = e.score_changes["id"].nunique() if len(e.score_changes) else 0
    lines.append(f"- {count(changed, 'lieu', 'lieux')} dont au moins un score a changé "
                 f"({count(len(e.score_changes), 'changement')})")
    return lines

