"""Deriving the territory's programme places (France services, Fabriques de territoire,
Manufactures de proximité) from extracts of the real national files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from observatory.territory import load, programmes
from tests.conftest import PROJECT_ROOT

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "programmes"
PUBLIC = PROJECT_ROOT.parent / "shared" / "data" / "public"
SHIPPED = PROJECT_ROOT / "data" / "territory" / "programme_places.csv"


@pytest.fixture(scope="module")
def communes(territory_config):
    """The loaded communes of Ariège (325: the PETR and the Couserans)."""
    return load.prepare(load.read_referential(territory_config), territory_config)[0]


@pytest.fixture(scope="module")
def records():
    fs = programmes.parse_france_services(
        (FIXTURES / "liste-fs-extrait.csv").read_text(encoding="utf-8"))
    fabt = programmes.parse_overlay(json.loads(
        (FIXTURES / "extrait_fabt.geojson").read_text(encoding="utf-8")), programmes.FABRIQUE)
    manu = programmes.parse_overlay(json.loads(
        (FIXTURES / "extrait_manuprox.geojson").read_text(encoding="utf-8")),
        programmes.MANUFACTURE)
    return fs + fabt + manu


def by_id(records, programme, source_id):
    (found,) = [r for r in records if r["programme"] == programme
                and r["source_id"] == source_id]
    return found


def test_a_quoted_field_with_newlines_stays_in_its_row(records):
    fs = [r for r in records if r["programme"] == programmes.FRANCE_SERVICES]
    assert len(fs) == 7  # seven structures, though the file has more lines
    assert by_id(records, programmes.FRANCE_SERVICES, "2632")["address"] == \
        "27 Avenue Robert Schuman"


def test_a_code_that_lost_its_leading_zero_is_restored(records):
    foix = by_id(records, programmes.FRANCE_SERVICES, "2952")
    assert (foix["insee"], foix["postcode"]) == ("09122", "09000")


def test_the_france_services_formats_become_our_vocabulary(records):
    assert by_id(records, programmes.FRANCE_SERVICES, "54")["format"] == "bus"
    assert by_id(records, programmes.FRANCE_SERVICES, "2709")["format"] == "itinerante"
    assert by_id(records, programmes.FRANCE_SERVICES, "53")["format"] == "fixe"


def test_an_overlay_feature_standing_for_two_structures_is_split(records):
    rochelle = [r for r in records if r["source_id"] in {"fabt-07", "fabt-86"}]
    assert [r["name"] for r in rochelle] == ["DIAGONALES Régie de quartiers", "LA PROUE"]
    assert {r["insee"] for r in rochelle} == {"17300"}


def test_the_territory_keeps_its_own_by_insee_code_not_by_postcode(records, communes):
    found = programmes.derive(records, communes).places
    kept = set(zip(found["programme"], found["source_id"], strict=True))
    assert kept == {
        ("france_services", "53"), ("france_services", "54"), ("france_services", "2709"),
        ("france_services", "2339"), ("france_services", "2952"),
        ("fabrique", "fabt-222"), ("fabrique", "fabt-350"),
        ("manufacture", "manuprox-2-52"), ("manufacture", "manuprox-2-75"),
        ("manufacture", "manuprox-2-81")}
    rows = found.set_index("source_id")
    # Soula by its INSEE code 09300, Lavelanet's France services by its own (postcode 09300).
    assert rows.loc["manuprox-2-52", "insee"] == "09300"
    assert rows.loc["2339", ["insee", "postcode"]].tolist() == ["09160", "09300"]
    assert rows.loc["2952", "insee"] == "09122"  # the repaired code matched Foix
    assert (found["position"] == "source").all()
    assert list(found.columns) == programmes.COLUMNS


def test_coordinates_outside_the_territory_fall_back_to_the_commune_centre(communes):
    record = {"programme": "fabrique", "source_id": "fabt-x", "name": "Ailleurs",
              "insee": "09122", "lon": 2.35, "lat": 48.85, "format": "", "address": "",
              "postcode": "", "vintage": "2024-09"}
    found = programmes.derive([record], communes)
    foix = communes.set_index("insee").loc["09122"]
    row = found.places.iloc[0]
    assert row["position"] == "commune"
    assert (row["lon"], row["lat"]) == (round(foix["lon"], 6), round(foix["lat"], 6))
    assert "coordonnées hors du territoire" in found.notes[0]


def test_a_code_outside_with_a_point_inside_is_left_out_and_explained(communes):
    # Lavelanet's France services with Lavelanet's coordinates, under an Aude INSEE code.
    record = {"programme": "france_services", "source_id": "9999", "name": "Mal codée",
              "insee": "11069", "lon": 1.846254, "lat": 42.931384, "format": "fixe",
              "address": "", "postcode": "09300", "vintage": "2024-08-01"}
    found = programmes.derive([record], communes)
    assert found.places.empty
    assert "hors du territoire mais coordonnées dans le territoire" in found.notes[0]


def test_a_point_in_another_commune_of_the_territory_is_kept_and_reported(communes):
    # Lavelanet's coordinates under Soula's INSEE code (09300, Lavelanet's postcode).
    record = {"programme": "france_services", "source_id": "9998", "name": "Confondue",
              "insee": "09300", "lon": 1.846254, "lat": 42.931384, "format": "fixe",
              "address": "", "postcode": "", "vintage": "2024-08-01"}
    found = programmes.derive([record], communes)
    assert found.places["insee"].tolist() == ["09300"]
    assert "hors de la commune Soula" in found.notes[0]


def test_written_then_read_back_unchanged(records, communes, tmp_path):
    found = programmes.derive(records, communes).places
    path = tmp_path / "programme_places.csv"
    programmes.write_csv(found, path)
    back = programmes.read_csv(path)
    pd.testing.assert_frame_equal(back, found.fillna(""), check_dtype=False)


def test_the_shipped_file_reads_back_with_the_ariege_programme_places():
    shipped = programmes.read_csv(SHIPPED)
    counts = shipped["programme"].value_counts().to_dict()
    assert counts == {"france_services": 14, "fabrique": 2, "manufacture": 3}
    assert set(shipped.loc[shipped["format"].isin(["bus", "itinerante"]), "source_id"]) == \
        {"54", "2709"}


@pytest.mark.skipif(not (PUBLIC / programmes.FILES["france_services"]).exists(),
                    reason="the national files (../shared/data/public) are not on this machine")
def test_the_shipped_file_is_what_the_script_derives_from_the_national_files(tmp_path):
    out = tmp_path / "programme_places.csv"
    assert programmes.main(["--public", str(PUBLIC), "--territory",
                            str(PROJECT_ROOT / "data" / "territory" / "territory.toml"),
                            "--out", str(out)]) == 0
    assert out.read_bytes() == SHIPPED.read_bytes()


def test_new_territory_writes_the_programme_places_of_its_communes(records, tmp_path):
    import geopandas as gpd

    from observatory import cli_territory

    referential = gpd.read_parquet(PROJECT_ROOT / "data" / "territory" / "communes.parquet")
    path, found = cli_territory.write_programmes(records, referential, ["09"], tmp_path)
    assert path == tmp_path / "programmes-09.csv"
    assert len(programmes.read_csv(path)) == len(found.places) == 10
    assert cli_territory.write_programmes(None, referential, ["09"], tmp_path) == (None, None)


def test_new_territory_stops_first_on_a_folder_without_the_national_files(tmp_path):
    from observatory import cli_territory
    from observatory.cli_common import CliError

    with pytest.raises(CliError, match="--public doit désigner le dossier"):
        cli_territory._programme_records(tmp_path)
