r"""Places of national programmes on a territory (France services, Fabriques de territoire,
Manufactures de proximité), derived once from the national files, shipped small.

Three national files (``../shared/data/public/``, see its README):

- ``liste-fs-20240801.csv``: the France services list (2,845 structures): ``id_fs``,
  ``lib_fs``, ``insee_com``, ``code_postal``, ``adresse``, ``latitude``, ``longitude``,
  ``format_fs`` (Fixe / Bus_équivalent / Itinérante / Multisites / Fixe_antenne(s)). Quoted
  fields hold newlines (read with ``csv``, never line by line).
- ``superposeur_fabt.geojson`` and ``superposeur_manuprox.geojson``: ANCT's overlay points of
  the Fabriques de territoire and the Manufactures de proximité (``id_territoire``,
  ``lib_territoire``, ``id_geo`` the INSEE code); one feature may stand for several
  structures of one commune (``fabt-07; fabt-86``), split here; some have no point.

A place belongs to the territory by its **INSEE code** (a code that lost its leading zero,
``9122``, is restored), never by its postcode (Soula's INSEE code 09300 is Lavelanet's
postcode). Its coordinates are a check: a point outside the territory (or missing) is
replaced by its commune's centre (``position`` = ``commune``); a point inside the territory
but in another commune is kept and reported; a record whose code is outside the territory
but whose point falls inside it is left out and reported (a postcode typed as an INSEE code,
or a structure of a neighbouring commune).

The app never reads the national files: ``write_csv`` writes
``data/territory/programme_places.csv`` and ``read_csv`` reads it back when the territory is
loaded. Everything is pure except the readers and writers at the bottom.

    python -m observatory.territory.programmes --public ../shared/data/public \\
        --territory data/territory/territory.toml --out data/territory/programme_places.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from observatory.territory.typologies import clean, insee_code

FRANCE_SERVICES, FABRIQUE, MANUFACTURE = "france_services", "fabrique", "manufacture"
PROGRAMMES = (FRANCE_SERVICES, FABRIQUE, MANUFACTURE)
FILES = {FRANCE_SERVICES: "liste-fs-20240801.csv", FABRIQUE: "superposeur_fabt.geojson",
         MANUFACTURE: "superposeur_manuprox.geojson"}
VINTAGES = {FRANCE_SERVICES: "2024-08-01", FABRIQUE: "2024-09", MANUFACTURE: "2024-09"}
#: ``format_fs`` of the France services list → our closed vocabulary.
FORMATS = {"fixe": "fixe", "bus_équivalent": "bus", "bus_equivalent": "bus",
           "itinérante": "itinerante", "itinerante": "itinerante", "multisites": "multisites",
           "fixe_antenne(s)": "antenne"}
COLUMNS = ["programme", "source_id", "name", "insee", "lon", "lat", "format", "address",
           "postcode", "position", "vintage"]
SOURCE = ("ANCT : liste des France services (1er août 2024), Fabriques de territoire et "
          "Manufactures de proximité (superposeur ANCT, septembre 2024)")
LICENCE = "Licence Ouverte 2.0 (Etalab)"
#: How far (degrees, about 1 km) a point may lie outside its commune's outline and still count
#: as in it: the overlays' points are commune centres, some addresses sit on a boundary.
TOLERANCE_DEG = 0.01


@dataclass
class Derivation:
    """The programme places kept, and what the check found (French sentences)."""

    places: pd.DataFrame
    notes: list[str] = field(default_factory=list)


# --- Reading the national files (text in, records out) -------------------------------------

def postcode(value: object) -> str:
    """A 5-character postcode (``9300`` → ``09300``); empty when there is none or ``0``."""
    code = clean(value)
    if not code.isdigit() or int(code) == 0:
        return ""
    return code.zfill(5)


def _float(value: object) -> float:
    try:
        number = float(clean(value).replace(",", "."))
    except ValueError:
        return float("nan")
    return number if np.isfinite(number) else float("nan")


def parse_france_services(text: str) -> list[dict]:
    """The France services list's text → one record per structure (quoted newlines kept
    inside their field, spaces and line breaks of names and addresses collapsed)."""
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"id_fs", "lib_fs", "insee_com", "latitude", "longitude"} - set(rows.fieldnames or [])
    if missing:
        raise ValueError("not the France services list: missing " + ", ".join(sorted(missing)))
    out = []
    for row in rows:
        fmt = clean(row.get("format_fs")).casefold()
        address = ", ".join(" ".join(clean(row.get(k)).split())
                            for k in ("adresse", "complement_adresse") if clean(row.get(k)))
        out.append({
            "programme": FRANCE_SERVICES, "source_id": clean(row["id_fs"]),
            "name": " ".join(clean(row["lib_fs"]).split()), "insee": insee_code(row["insee_com"]),
            "lon": _float(row["longitude"]), "lat": _float(row["latitude"]),
            "format": FORMATS.get(fmt, fmt), "address": address,
            "postcode": postcode(row.get("code_postal")), "vintage": VINTAGES[FRANCE_SERVICES]})
    return out


def parse_overlay(data: Mapping, programme: str) -> list[dict]:
    """An ANCT overlay (GeoJSON) → one record per structure; a feature naming several
    (``fabt-07; fabt-86``) is split, each at the feature's point (None when it has none)."""
    out = []
    for feature in data.get("features", []):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        lon = lat = float("nan")
        if geometry.get("type") == "Point" and len(geometry.get("coordinates") or []) >= 2:
            lon, lat = (_float(v) for v in geometry["coordinates"][:2])
        ids = [clean(i) for i in str(props.get("id_territoire") or "").split(";")]
        names = [clean(n) for n in str(props.get("lib_territoire") or "").split(";")]
        if len(names) != len(ids):  # a « ; » inside a name: keep the whole text for each
            names = [clean(props.get("lib_territoire"))] * len(ids)
        for source_id, name in zip(ids, names, strict=True):
            if not source_id:
                continue
            out.append({"programme": programme, "source_id": source_id, "name": name,
                        "insee": insee_code(props.get("id_geo")), "lon": lon, "lat": lat,
                        "format": "", "address": "", "postcode": "",
                        "vintage": VINTAGES.get(programme, "")})
    return out


# --- Keeping the territory's ---------------------------------------------------------------

def derive(records: Iterable[Mapping], communes: gpd.GeoDataFrame) -> Derivation:
    """The records whose INSEE code is one of ``communes`` (``insee``, ``name``, ``lon``,
    ``lat`` its inner point, ``geometry`` WGS84), their coordinates checked (module
    docstring); sorted by programme then source id, ``COLUMNS``."""
    frame = pd.DataFrame(list(records), columns=[c for c in COLUMNS if c != "position"])
    names = dict(zip(communes["insee"], communes["name"], strict=True))
    outlines = dict(zip(communes["insee"], communes.geometry.values, strict=True))
    inner = communes.set_index("insee")[["lon", "lat"]]
    territory = shapely.union_all(communes.geometry.values).buffer(TOLERANCE_DEG)
    shapely.prepare(territory)
    kept, notes = [], []
    for record in frame.to_dict(orient="records"):
        label = f"{record['name']} ({record['source_id']})"
        located = np.isfinite(record["lon"]) and np.isfinite(record["lat"])
        point = shapely.Point(record["lon"], record["lat"]) if located else None
        inside = located and territory.contains(point)
        if record["insee"] not in names:
            if inside:
                notes.append(f"{label} : code INSEE {record['insee']} hors du territoire mais "
                             "coordonnées dans le territoire ; laissé de côté (un code postal "
                             "saisi comme code INSEE ? une commune voisine ?).")
            continue
        record["position"] = "source"
        commune = names[record["insee"]]
        if not inside:
            record["lon"], record["lat"] = (float(v) for v in inner.loc[record["insee"]])
            record["position"] = "commune"
            notes.append(f"{label} : " + ("sans coordonnées" if not located else
                                          "coordonnées hors du territoire")
                         + f" ; placé au centre de {commune} ({record['insee']}).")
        elif outlines[record["insee"]].distance(point) > TOLERANCE_DEG:
            notes.append(f"{label} : coordonnées hors de la commune {commune} "
                         f"({record['insee']}) mais dans le territoire ; gardées.")
        kept.append(record)
    out = pd.DataFrame(kept, columns=COLUMNS)
    out["lon"] = out["lon"].astype(float).round(6)
    out["lat"] = out["lat"].astype(float).round(6)
    order = {p: k for k, p in enumerate(PROGRAMMES)}
    out = out.assign(_p=out["programme"].map(order), _n=pd.to_numeric(
        out["source_id"].str.extract(r"(\d+)$")[0], errors="coerce"))
    out = out.sort_values(["_p", "_n", "source_id"]).drop(columns=["_p", "_n"])
    return Derivation(out.reset_index(drop=True), notes)


# --- Files ---------------------------------------------------------------------------------

def read_public(folder: Path) -> list[dict]:
    """Every record of the three national files of ``folder``."""
    folder = Path(folder)
    records = parse_france_services(
        (folder / FILES[FRANCE_SERVICES]).read_text(encoding="utf-8-sig"))
    for programme in (FABRIQUE, MANUFACTURE):
        data = json.loads((folder / FILES[programme]).read_text(encoding="utf-8"))
        records += parse_overlay(data, programme)
    return records


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 without BOM, one line per place (no newline inside a field): diff-friendly."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame[COLUMNS].to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def read_csv(path: Path) -> pd.DataFrame:
    """The shipped programme places (``write_csv``): codes as text, coordinates as floats."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {', '.join(missing)}")
    frame = frame[COLUMNS].copy()
    frame["insee"] = frame["insee"].map(insee_code)
    frame["postcode"] = frame["postcode"].map(postcode)
    for column in ("lon", "lat"):
        frame[column] = frame[column].map(_float)
    unknown = sorted(set(frame["programme"]) - set(PROGRAMMES))
    if unknown:
        raise ValueError(f"{path}: unknown programmes {', '.join(unknown)}")
    return frame


def main(argv: list[str] | None = None) -> int:
    from observatory.territory import load
    from observatory.territory.config import load_territory_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public", type=Path, default=Path("../shared/data/public"),
                        help="folder holding " + ", ".join(FILES.values()))
    parser.add_argument("--territory", type=Path, default=Path("data/territory/territory.toml"))
    parser.add_argument("--out", type=Path, default=Path("data/territory/programme_places.csv"))
    args = parser.parse_args(argv)
    config = load_territory_config(args.territory)
    communes, _ = load.prepare(load.read_referential(config), config)
    found = derive(read_public(args.public), communes)
    write_csv(found.places, args.out)
    counts = found.places["programme"].value_counts()
    print(f"{args.out} : " + ", ".join(f"{p} {int(counts.get(p, 0))}" for p in PROGRAMMES))
    for note in found.notes:
        print("  " + note)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
