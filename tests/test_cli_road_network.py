"""The CLI's text outputs with OBSERVATORY_DISTANCE=osm: network, extract date and ODbL
attribution first, the trips and communes that fell back to the estimate marked and counted,
and the JSON report's count validated by its schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from observatory import cli
from tests.road_fixtures import LABEL, road_database

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"


@pytest.fixture(scope="module")
def road(demo_db, tmp_path_factory):
    return road_database(demo_db, tmp_path_factory.mktemp("cli-osm"))


@pytest.fixture(autouse=True)
def osm(monkeypatch):
    monkeypatch.setenv("OBSERVATORY_DISTANCE", "osm")


def run(capsys, *argv) -> str:
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out


def test_partners_name_the_network_and_count_the_estimated_trips(capsys, road):
    path, on_network = road
    out = run(capsys, "partners", str(on_network[0]), "--db", str(path))
    lines = out.splitlines()
    assert lines[0] == LABEL
    assert "trajets estimés faute de route à moins de 2 km" in lines[1]
    assert "estimation)" in out  # an off-network partner's why says it


def test_network_marks_the_estimated_links(capsys, road):
    path, _ = road
    out = run(capsys, "network", "--db", str(path), "--max-minutes", "60")
    assert out.splitlines()[0] == LABEL
    assert "(estimation)" in out and "faute de route à moins de 2 km" in out


def test_coverage_counts_the_estimated_communes(capsys, road):
    path, _ = road
    out = run(capsys, "coverage", "--db", str(path))
    assert LABEL in out.splitlines()
    assert "communes au trajet estimé faute de route à moins de 2 km" in out
    report = json.loads(run(capsys, "coverage", "--json", "--db", str(path)))
    jsonschema.validate(report, json.loads((SCHEMAS / "coverage.json").read_text()))
    assert report["distance_method"] == LABEL and report["travel_estimated_communes"] > 0
