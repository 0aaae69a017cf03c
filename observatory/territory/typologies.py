r"""Commune typologies of the Observatoire des territoires (ANCT), derived once, shipped small.

Four national grids (``grille_{montagne,densite,ruralite,centralite}.csv``, columns
``insee_com``, ``lib_com``, ``niveau_*``; UTF-8 with a byte-order mark; some values start with
a space) are reduced, at build time, to one row per commune of the territory's départements:

- ``mountain``: in the mountain zone (loi Montagne) or not. The mountain grid lists only the
  communes of the zone: a commune absent from it is outside.
- ``massif``: the massif of a mountain commune (« Massif des Pyrénées »), empty otherwise.
- ``density``: INSEE's communal density grid in seven levels (``DENSITY_LEVELS``).
- ``rurality``: the ANCT typology of rural communes (« Les ruralités productives agricoles »…).
- ``centrality``: the level of centrality of equipment and services (« Centre local… »).

The app never reads the grids: ``write_csv`` writes ``data/territory/typologies.csv`` (a few
kilobytes) and ``read_csv`` reads it back when the territory is loaded. Everything here is
pure except the readers and writers at the bottom.

    python -m observatory.territory.typologies --grids ../shared/data/public \\
        --departements 09 --out data/territory/typologies.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

GRIDS = {"mountain": "grille_montagne.csv", "density": "grille_densite.csv",
         "rurality": "grille_ruralite.csv", "centrality": "grille_centralite.csv"}
COLUMNS = ["insee", "mountain", "massif", "density", "rurality", "centrality"]
#: INSEE's communal density grid, densest first (the order of the tables).
DENSITY_LEVELS = (
    "Grands centres urbains",
    "Centres urbains intermédiaires",
    "Ceintures urbaines",
    "Petites villes",
    "Bourgs ruraux",
    "Rural à habitat dispersé",
    "Rural à habitat très dispersé",
)
#: Values that mean « no level » in the grids.
_UNDEFINED = {"", "- undefined", "undefined"}
_MASSIF_PREFIX = re.compile(r"^\d+\s*-\s*")

SOURCE = ("Insee (grille communale de densité) ; ANCT, Observatoire des territoires (zone de "
          "montagne, typologie des ruralités, niveaux de centralité)")
LICENCE = "non précisée à la source"


def clean(value: object) -> str:
    """A grid value without its surrounding spaces (and without a stray byte-order mark)."""
    text = "" if value is None else str(value)
    return text.replace("\ufeff", "").strip()


def insee_code(value: object) -> str:
    """A 5-character INSEE code (a leading zero lost by a spreadsheet is restored)."""
    code = clean(value).upper()
    return code.zfill(5) if code.isdigit() else code


def massif_name(level: object) -> str:
    """« 08 - Massif des Pyrénées » → « Massif des Pyrénées »."""
    return _MASSIF_PREFIX.sub("", clean(level))


def parse_grid(text: str) -> dict[str, str]:
    """A grid's text → {INSEE code: level}; BOM, spaces and undefined levels handled."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [clean(h) for h in next(rows, [])]
    if "insee_com" not in header or not any(h.startswith("niveau_") for h in header):
        raise ValueError("not a typology grid (insee_com, lib_com, niveau_*): " + ",".join(header))
    key = header.index("insee_com")
    level = next(i for i, h in enumerate(header) if h.startswith("niveau_"))
    out = {}
    for row in rows:
        if len(row) <= max(key, level):
            continue
        value = clean(row[level])
        out[insee_code(row[key])] = "" if value.casefold() in _UNDEFINED else value
    return out


def derive(grids: dict[str, dict[str, str]], codes: Iterable[str]) -> pd.DataFrame:
    """One row per INSEE code of ``codes`` (sorted) from the parsed grids (``GRIDS``' keys).

    A commune absent from the mountain grid is outside the mountain zone; absent from another
    grid, its level is empty (never guessed)."""
    codes = sorted({insee_code(c) for c in codes})
    mountain = grids.get("mountain", {})
    return pd.DataFrame({
        "insee": codes,
        "mountain": [c in mountain for c in codes],
        "massif": [massif_name(mountain.get(c, "")) for c in codes],
        "density": [grids.get("density", {}).get(c, "") for c in codes],
        "rurality": [grids.get("rurality", {}).get(c, "") for c in codes],
        "centrality": [grids.get("centrality", {}).get(c, "") for c in codes],
    }, columns=COLUMNS)


def departement_of(code: str) -> str:
    """The département of an INSEE code (``09122`` → ``09``, ``97411`` → ``974``)."""
    return code[:3] if code.startswith("97") else code[:2]


# --- Files ---------------------------------------------------------------------------------

def read_grids(folder: Path) -> dict[str, dict[str, str]]:
    folder = Path(folder)
    return {key: parse_grid((folder / name).read_text(encoding="utf-8-sig"))
            for key, name in GRIDS.items()}


def build(folder: Path, departements: Iterable[str]) -> pd.DataFrame:
    """The typologies of every commune of ``departements`` named in one of the grids."""
    grids = read_grids(folder)
    wanted = {str(d).strip().upper().zfill(2) for d in departements}
    codes = {c for grid in grids.values() for c in grid if departement_of(c) in wanted}
    return derive(grids, codes)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 without BOM, ``1``/``0`` for the mountain flag: stable, diff-friendly."""
    out = frame[COLUMNS].assign(mountain=frame["mountain"].astype(int))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def read_csv(path: Path) -> pd.DataFrame:
    """The shipped typologies (``write_csv``), codes as text, empty levels as ``""``."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {', '.join(missing)}")
    frame = frame[COLUMNS].copy()
    frame["insee"] = frame["insee"].map(insee_code)
    frame["mountain"] = frame["mountain"].map(clean).isin(["1", "true", "True"])
    for column in ("massif", "density", "rurality", "centrality"):
        frame[column] = frame[column].map(clean)
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=Path, default=Path("../shared/data/public"),
                        help="folder holding grille_{montagne,densite,ruralite,centralite}.csv")
    parser.add_argument("--departements", nargs="+", required=True, metavar="CODE")
    parser.add_argument("--out", type=Path, default=Path("data/territory/typologies.csv"))
    args = parser.parse_args(argv)
    frame = build(args.grids, args.departements)
    write_csv(frame, args.out)
    print(f"{args.out}: {len(frame)} communes, {int(frame['mountain'].sum())} in the mountain "
          f"zone")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
