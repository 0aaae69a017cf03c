"""The network read through the communes' typologies: density class and mountain zone.

Pure functions on frames (no SQL, no Streamlit). ``communes`` is the territory's referential
as the store returns it, with the typology columns of ``observatory.territory.typologies``
(``mountain``, ``massif``, ``density``, ``rurality``, ``centrality``); they are empty (None)
for a territory loaded without typologies, and then every function here says so rather than
guessing.

The groups of a table are the density classes present in the perimeter, densest first, then
« Zone de montagne » and « Hors zone de montagne »: two readings of the same communes, so the
totals of the table are those of each reading, not of its rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from observatory import formatting
from observatory.territory import departements
from observatory.territory.typologies import DENSITY_LEVELS

MOUNTAIN = "Zone de montagne"
NOT_MOUNTAIN = "Hors zone de montagne"
NO_CLASS = "Classe non renseignée"
NOTE = ("Typologies des communes : grille communale de densité de l'Insee ; zone de montagne "
        "(loi Montagne) de l'ANCT, Observatoire des territoires.")


def has_typologies(communes: pd.DataFrame) -> bool:
    """True when the referential carries the typologies (a mountain flag for its communes)."""
    return "mountain" in communes.columns and bool(communes["mountain"].notna().any())


def _perimeter(communes: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(communes.drop(columns="geometry", errors="ignore"))
    if "in_perimeter" in frame.columns:
        frame = frame[frame["in_perimeter"].fillna(False).astype(bool)]
    return frame


def groups(communes: pd.DataFrame) -> list[tuple[str, str, pd.Series]]:
    """(reading, label, boolean mask over ``communes``) for each row of a typology table:
    the density classes present (densest first; an unknown class last), then the mountain
    zone and the rest."""
    density = communes["density"].fillna("").astype(str).str.strip()
    present = set(density)
    labels = [level for level in DENSITY_LEVELS if level in present]
    labels += sorted(present - set(DENSITY_LEVELS) - {""})
    out = [("Densité", label, density == label) for label in labels]
    if "" in present:
        out.append(("Densité", NO_CLASS, density == ""))
    mountain = communes["mountain"].fillna(False).astype(bool)
    out += [("Montagne", MOUNTAIN, mountain), ("Montagne", NOT_MOUNTAIN, ~mountain)]
    return out


def by_class(places: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Per density class and in / out of the mountain zone, for the perimeter's communes:
    ``reading``, ``label``, ``communes``, ``population``, ``places``, ``mature``,
    ``communes_with_place``, ``population_with_place``, ``places_per_10k``. Places count where
    their commune is.
    Empty when the territory has no typologies."""
    columns = ["reading", "label", "communes", "population", "places", "mature",
               "communes_with_place", "population_with_place", "places_per_10k"]
    inside = _perimeter(communes)
    if not has_typologies(inside):
        return pd.DataFrame(columns=columns)
    insee = places["insee"] if "insee" in places.columns else pd.Series(dtype=str)
    per_commune = insee.value_counts()
    mature = (places.loc[places["mature"].fillna(False).astype(bool), "insee"].value_counts()
              if "mature" in places.columns and len(places) else pd.Series(dtype=int))
    rows = []
    for reading, label, mask in groups(inside):
        chosen = inside[mask]
        hosting = chosen[chosen["insee"].isin(per_commune.index)]
        rows.append({
            "reading": reading, "label": label, "communes": int(len(chosen)),
            "population": int(chosen["population"].sum()),
            "places": int(per_commune.reindex(chosen["insee"]).fillna(0).sum()),
            "mature": int(mature.reindex(chosen["insee"]).fillna(0).sum()),
            "communes_with_place": int(len(hosting)),
            "population_with_place": int(hosting["population"].sum()),
        })
    out = pd.DataFrame(rows, columns=columns[:-1])
    out["places_per_10k"] = (out["places"] / out["population"].where(out["population"] > 0)
                             * 10_000).round(2).fillna(0.0)
    return out


def coverage_by_class(covered_rows: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Population within the threshold per density class and mountain zone.

    ``covered_rows`` is ``coverage.Summary.communes`` (``insee``, ``population`` and the
    boolean ``covered``); the typologies come from ``communes`` by INSEE code. Columns:
    ``reading``, ``label``, ``communes``, ``population``, ``population_covered``, ``share``.
    Empty when the territory has no typologies."""
    columns = ["reading", "label", "communes", "population", "population_covered", "share"]
    if not has_typologies(communes):
        return pd.DataFrame(columns=columns)
    types = pd.DataFrame(communes.drop(columns="geometry", errors="ignore"))[
        ["insee", "mountain", "density"]]
    rows = covered_rows[["insee", "population", "covered"]].merge(types, on="insee", how="left")
    out = []
    for reading, label, mask in groups(rows):
        chosen = rows[mask]
        population = int(chosen["population"].sum())
        reached = int(chosen.loc[chosen["covered"].astype(bool), "population"].sum())
        out.append({"reading": reading, "label": label, "communes": int(len(chosen)),
                    "population": population, "population_covered": reached,
                    "share": reached / population if population else 0.0})
    return pd.DataFrame(out, columns=columns)


def mountain_count(communes: pd.DataFrame) -> tuple[int, int]:
    """(communes in the mountain zone, communes) among ``communes``."""
    return int(communes["mountain"].fillna(False).astype(bool).sum()), int(len(communes))


def mountain_sentences(communes: pd.DataFrame, territory_name: str = "",
                       departement_names: Mapping[str, str] | None = None) -> list[str]:
    """« 247 des 325 communes de l'Ariège sont en zone de montagne », one sentence per
    département loaded (« du département 09 » when ``departement_names``, code → « de
    l'Ariège », lacks it), then the perimeter's when it is smaller. Computed from
    ``communes``; empty without typologies."""
    if not has_typologies(communes):
        return []
    frame = pd.DataFrame(communes.drop(columns="geometry", errors="ignore"))
    names = departement_names or {}
    out = []
    if "departement" in frame.columns:
        for code, rows in frame.groupby("departement", sort=True):
            out.append(_sentence(*mountain_count(rows),
                                 departements.of_departement(str(code), names)))
    inside = _perimeter(frame)
    if len(inside) and len(inside) < len(frame):
        name = f" ({territory_name})" if territory_name else ""
        out.append(_sentence(*mountain_count(inside), f"du périmètre{name}"))
    return out


def names_from_meta(meta: Mapping[str, str]) -> dict[str, str]:
    """The départements' « of » names recorded with the territory (``territory_meta``)."""
    return departements.from_meta(meta.get(departements.META_KEY))


def _sentence(mountain: int, total: int, where: str) -> str:
    verb = "est" if mountain <= 1 else "sont"
    return (f"{formatting.integer(mountain)} des {formatting.integer(total)} communes {where} "
            f"{verb} en zone de montagne ({formatting.percent(mountain, total)}).")


def massifs(communes: pd.DataFrame) -> str:
    """The massifs of the perimeter's mountain communes, « Massif des Pyrénées »."""
    if not has_typologies(communes) or "massif" not in communes.columns:
        return ""
    names = _perimeter(communes)["massif"].fillna("").astype(str).str.strip()
    return ", ".join(sorted(set(names) - {""}))


# --- French tables --------------------------------------------------------------------------

def places_table(table: pd.DataFrame) -> pd.DataFrame:
    """``by_class`` as French text (the page and the PDF)."""
    return pd.DataFrame({
        "Communes selon": list(table["label"]),
        "Communes": [formatting.integer(v) for v in table["communes"]],
        "Habitants": [formatting.integer(v) for v in table["population"]],
        "Lieux": [formatting.integer(v) for v in table["places"]],
        "Matures": [formatting.integer(v) for v in table["mature"]],
        "Communes avec un lieu": [formatting.integer(v) for v in table["communes_with_place"]],
        "Habitants de ces communes": [
            f"{formatting.integer(v)} ({formatting.percent(v, p)})"
            for v, p in zip(table["population_with_place"], table["population"], strict=True)],
    })


def coverage_table(table: pd.DataFrame) -> pd.DataFrame:
    """``coverage_by_class`` as French text."""
    return pd.DataFrame({
        "Communes selon": list(table["label"]),
        "Communes": [formatting.integer(v) for v in table["communes"]],
        "Habitants": [formatting.integer(v) for v in table["population"]],
        "À portée": [formatting.integer(v) for v in table["population_covered"]],
        "Part": [formatting.percent(c, p) for c, p in
                 zip(table["population_covered"], table["population"], strict=True)],
    })
