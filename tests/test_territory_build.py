"""Checks on the derived commune referential, data/territory/communes.parquet.

The file is built by ``python -m observatory.territory.build --departements 09
--out data/territory/communes.parquet`` (see data/territory/README.md).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

REFERENTIAL = Path(__file__).resolve().parents[1] / "data/territory/communes.parquet"
COLUMNS = ["insee", "name", "population", "postcodes", "epci_siren", "epci_name", "departement",
           "geometry"]
# CC Couserans-Pyrénées: in the département, outside the PETR's perimeter.
COUSERANS = "200067940"
FOIX_VARILHES = "200067791"


@pytest.fixture(scope="module")
def communes() -> gpd.GeoDataFrame:
    return gpd.read_parquet(REFERENTIAL)


@pytest.fixture(scope="module")
def perimeter(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return communes[communes["epci_siren"] != COUSERANS]


def test_columns_crs_and_order(communes):
    assert list(communes.columns) == COLUMNS
    assert communes.crs.to_epsg() == 4326
    assert communes["insee"].is_monotonic_increasing
    assert communes["insee"].is_unique
    assert communes["population"].dtype.kind == "i"


def test_325_communes_of_ariege(communes):
    assert len(communes) == 325
    assert set(communes["departement"]) == {"09"}


def test_insee_codes(communes):
    assert communes["insee"].str.fullmatch(r"\d[\dAB]\d{3}").all()


def test_eight_epci(communes):
    assert communes["epci_siren"].nunique() == 8
    assert communes["epci_siren"].str.fullmatch(r"\d{9}").all()
    # One name per SIREN.
    assert communes.groupby("epci_siren")["epci_name"].nunique().eq(1).all()


def test_perimeter_of_seven_epci(perimeter):
    assert perimeter["epci_siren"].nunique() == 7
    assert len(perimeter) == 231
    assert perimeter["population"].sum() == 125_633


def test_ariege_counts_155722_inhabitants(communes):
    """INSEE populations de référence 2023, from @etalab/decoupage-administratif 6.0.0."""
    assert communes["population"].sum() == 155_722


def test_foix_varilhes_has_42_communes_and_32781_inhabitants(communes):
    foix_varilhes = communes[communes["epci_siren"] == FOIX_VARILHES]
    assert len(foix_varilhes) == 42
    assert foix_varilhes["population"].sum() == 32_781


def test_every_commune_has_its_postcodes(communes):
    assert communes["postcodes"].str.fullmatch(r"09\d{3}(\|09\d{3})*").all()
    by_insee = communes.set_index("insee")
    assert by_insee.loc["09122", "postcodes"] == "09000"  # Foix
    # 09000 is shared: Foix, Soula and others
    assert (communes["postcodes"].str.split("|").map(lambda codes: "09000" in codes)).sum() > 2


def test_every_geometry_is_valid_and_polygonal(communes):
    assert communes.geometry.notna().all()
    assert not communes.geometry.is_empty.any()
    assert communes.geometry.is_valid.all()
    assert set(communes.geom_type) <= {"Polygon", "MultiPolygon"}


def test_communes_form_a_coverage(communes):
    """Neighbours share their boundary: no overlaps between communes."""
    assert shapely.coverage_is_valid(communes.geometry.values)


def test_perimeter_union_is_one_polygon_without_holes(perimeter):
    union = shapely.union_all(perimeter.geometry.values)
    assert union.is_valid
    assert union.geom_type == "Polygon"
    assert len(union.interiors) == 0
