"""PostgreSQL: migration twins, the advisory lock, conflicts across connections, the data
version, schemas per territory, and a password never shown."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from observatory import dburl, settings
from observatory.cli_territory import new_territory_target
from observatory.errors import ConflictError  # what the pages catch
from observatory.store import db, places, port_migration

STORE = Path(db.__file__).parent
ROOT = Path(__file__).resolve().parents[1]
on_postgres = pytest.mark.parametrize("backend", ["postgresql"])


# --- the twins (no server needed) --------------------------------------------------------

def test_every_duckdb_migration_has_a_postgresql_twin_numbered_alike():
    duck = [name for _, name, _ in db.migrations()]
    twins = [name for _, name, _ in db.migrations("postgresql")]
    missing = sorted(set(duck) - set(twins))
    assert not missing, ("DuckDB migrations without a PostgreSQL twin: write them with "
                         f"« python -m observatory.store.port_migration {' '.join(missing)} » "
                         "and read the result")
    assert twins == duck


def test_the_port_rewrites_the_types_postgresql_names_otherwise():
    sql = ("CREATE TABLE t (a DOUBLE NOT NULL, b BLOB, c VARCHAR[] NOT NULL DEFAULT [], "
           "d DOUBLE PRECISION);")
    assert port_migration.to_postgres(sql) == (
        "CREATE TABLE t (a DOUBLE PRECISION NOT NULL, b BYTEA, c VARCHAR[] NOT NULL "
        "DEFAULT '{}', d DOUBLE PRECISION);")


def test_the_shipped_twins_are_what_the_port_writes_unless_edited_by_hand():
    for _, name, sql in db.migrations():
        twin = (STORE / "migrations_pg" / name).read_text(encoding="utf-8")
        assert port_migration.to_postgres(sql) in twin, name


def test_the_twins_are_packaged():
    assert "store/migrations_pg/*.sql" in (ROOT / "pyproject.toml").read_text()


# --- URLs, schemas and masks (no server needed) -------------------------------------------

SECRET = "S3cr3t-Très:Privé"


def test_the_password_is_masked_in_urls_and_libpq_strings():
    url = "postgresql://observatoire:S3cr3t@db.example.org:5432/obs?schema=petr_a"
    assert "S3cr3t" not in dburl.mask(f"échec : {url} refusé")
    assert dburl.mask(url) == "postgresql://observatoire:********@db.example.org:5432/obs?schema=petr_a"
    assert "S3cr3t" not in dburl.mask("host=x password=S3cr3t dbname=y")
    assert dburl.mask("/srv/obs.duckdb") == "/srv/obs.duckdb"


def test_the_schema_travels_in_the_url_and_is_removed_before_postgresql_sees_it():
    url = dburl.with_schema("postgresql://u:p@h:5432/d?sslmode=require", "territoire_46")
    assert dburl.split(url) == ("postgresql://u:p@h:5432/d?sslmode=require", "territoire_46")
    with pytest.raises(dburl.DatabaseUrlError, match="nom de schéma"):
        dburl.with_schema(url, "Robert'); DROP TABLE places;--")


def test_the_settings_name_the_territorys_schema():
    env = {"OBSERVATORY_DB": "postgresql://u:p@h/d"}
    assert dburl.split(settings.Settings.from_env(env).db)[1] == "territoire_200051076"
    env["OBSERVATORY_PG_SCHEMA"] = "petr_ariege"
    assert dburl.split(settings.Settings.from_env(env).db)[1] == "petr_ariege"
    env["OBSERVATORY_PG_SCHEMA"] = "Pas Valide"
    with pytest.raises(settings.SettingsError, match="OBSERVATORY_PG_SCHEMA"):
        settings.Settings.from_env(env)


def test_a_new_territory_gets_its_own_schema_on_postgresql():
    shared = settings.Settings.from_env({"OBSERVATORY_DB": "postgresql://u:p@h/d"})
    target = new_territory_target(shared, "PETR du Nord du Lot", "200066389")
    assert dburl.split(target)[1] == "territoire_200066389"
    named = new_territory_target(shared, "Pays des Nestes", None)
    assert dburl.split(named)[1] == "territoire_pays_des_nestes"
    chosen = settings.Settings.from_env({"OBSERVATORY_DB": "postgresql://u:p@h/d",
                                         "OBSERVATORY_PG_SCHEMA": "nestes"})
    assert dburl.split(new_territory_target(chosen, "Pays des Nestes", None))[1] == "nestes"


# --- against the throwaway server --------------------------------------------------------

@on_postgres
def test_a_wrong_password_is_a_french_error_that_never_shows_it(postgres, backend):
    url = postgres.url.replace(postgres.password, SECRET.replace(":", "x"))
    with pytest.raises(db.StoreError) as info:
        db.connect(dburl.with_schema(url, "territoire_x"))
    assert SECRET.replace(":", "x") not in str(info.value)
    assert "PostgreSQL" in str(info.value)


@on_postgres
def test_the_cli_never_prints_the_password(postgres, backend, tmp_path):
    url = postgres.url.replace(postgres.password, "Faux-Mot-De-Passe-42")
    done = subprocess.run([sys.executable, "-m", "observatory.cli", "init", "--db", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "Faux-Mot-De-Passe-42" not in done.stdout + done.stderr
    assert "********" in done.stdout + done.stderr


@on_postgres
def test_a_data_version_grows_with_each_committed_write_only(demo_copy, backend):
    with db.session(demo_copy) as con:
        before = db.data_version(con)
        with pytest.raises(RuntimeError):
            with db.transaction(con):
                places.create(con, {"name": "Annulé", "insee": "09225", "lon": 1.6,
                                    "lat": 43.1, "typology": "Fablab"}, "test")
                raise RuntimeError("annulé")
        assert db.data_version(con) == before
        with db.transaction(con):
            places.create(con, {"name": "Gardé", "insee": "09225", "lon": 1.6, "lat": 43.1,
                                "typology": "Fablab"}, "test")
        assert db.data_version(con) == before + 1
    with db.session(demo_copy, read_only=True) as other:  # another connection sees it
        assert db.data_version(other) == before + 1


@on_postgres
def test_two_connections_saving_the_same_place_give_one_save_and_one_conflict(demo_copy,
                                                                              backend):
    """Both analysts opened version v; their saves race inside open transactions."""
    with db.session(demo_copy) as a, db.session(demo_copy) as b:
        loaded = places.get(a, 1)["version"]
        outcome: dict[str, object] = {}
        a.execute("BEGIN TRANSACTION")
        places.update(a, 1, {"website": "https://claire.exemple.org"}, loaded, "Claire")

        def karim():
            try:
                with db.transaction(b):
                    places.update(b, 1, {"website": "https://karim.exemple.org"}, loaded,
                                  "Karim")
                outcome["karim"] = "saved"
            except ConflictError as exc:
                outcome["karim"] = exc

        other = threading.Thread(target=karim)
        other.start()
        other.join(timeout=1.0)  # Karim waits for Claire's row lock
        a.execute("COMMIT")
        other.join(timeout=60)
        assert isinstance(outcome["karim"], ConflictError), outcome
        assert "modifi" in str(outcome["karim"])  # the French conflict message
        assert places.get(a, 1)["website"] == "https://claire.exemple.org"
        assert places.get(a, 1)["version"] == loaded + 1


@on_postgres
def test_a_stale_version_from_another_process_is_refused(demo_copy, backend):
    with db.session(demo_copy) as con:
        loaded = places.get(con, 2)["version"]
    code = ("import sys\nfrom observatory.store import db, places\n"
            "with db.session(sys.argv[1]) as con, db.transaction(con):\n"
            "    places.update(con, 2, {'name': 'Par un autre serveur'}, int(sys.argv[2]), 'x')\n")
    done = subprocess.run([sys.executable, "-c", code, demo_copy, str(loaded)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, dburl.mask(done.stderr)
    with db.session(demo_copy) as con:
        with pytest.raises(ConflictError, match="modifié par quelqu'un d'autre"):
            with db.transaction(con):
                places.update(con, 2, {"name": "Trop tard"}, loaded, "Karim")
        assert places.get(con, 2)["name"] == "Par un autre serveur"


@on_postgres
def test_two_inits_at_once_apply_each_migration_once(new_db, backend, tmp_path):
    target = new_db("concurrent")
    runs = [subprocess.Popen([sys.executable, "-m", "observatory.cli", "init", "--db", target],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], [dburl.mask(o[1])[-1500:] for o in outputs]
    with db.session(target, read_only=True) as con:
        rows = con.execute("SELECT version, count(*) FROM schema_version GROUP BY version "
                           "HAVING count(*) > 1").fetchall()
        assert rows == []
        assert db.schema_version(con) == db.migrations()[-1][0]
        assert con.execute("SELECT count(*) FROM communes").fetchone()[0] > 0


@on_postgres
def test_territories_live_side_by_side_in_one_server(initialised_db, postgres, backend):
    first = initialised_db()
    other = dburl.with_schema(dburl.split(first)[0], "territoire_voisin")
    with db.session(other) as con:
        db.migrate(con)
        assert places.count(con) == 0
    with db.session(first, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM communes").fetchone()[0] > 0


@on_postgres
def test_backup_and_restore_of_a_territorys_schema(demo_copy, backend, tmp_path, capsys):
    from observatory import cli

    backup = tmp_path / "sauvegarde.dump"
    assert cli.main(["backup", str(backup), "--db", demo_copy]) == 0
    printed = capsys.readouterr()
    assert "42 lieux" in printed.out and "mot-de-passe" not in printed.out + printed.err
    with db.session(demo_copy) as con, db.transaction(con):
        con.execute("DELETE FROM evaluations")
        places.create(con, {"name": "Après la sauvegarde", "insee": "09225", "lon": 1.6,
                            "lat": 43.1, "typology": "Fablab"}, "test")
    assert cli.main(["restore", str(backup), "--db", demo_copy]) == 1  # asks to confirm
    assert "--yes" in capsys.readouterr().err
    assert cli.main(["restore", str(backup), "--db", demo_copy, "--yes"]) == 0
    printed = capsys.readouterr()
    assert "42 lieux" in printed.out and "mot-de-passe" not in printed.out + printed.err
    with db.session(demo_copy, read_only=True) as con:
        assert places.count(con) == 42
        assert con.execute("SELECT count(*) FROM evaluations").fetchone()[0] > 0
        assert db.schema_version(con) == db.migrations()[-1][0]
    kept = list(tmp_path.glob("*.avant-restauration-*.dump"))
    assert len(kept) == 1  # the schema as it was, before the restore
    with db.session(demo_copy) as con, db.transaction(con):  # writable again, ids go on
        places.create(con, {"name": "Après la restauration", "insee": "09225", "lon": 1.6,
                            "lat": 43.1, "typology": "Fablab"}, "test")


@on_postgres
def test_restore_refuses_a_file_that_is_not_a_dump(demo_copy, backend, tmp_path, capsys):
    from observatory import cli

    bogus = tmp_path / "faux.dump"
    bogus.write_bytes(b"ceci n'est pas une sauvegarde")
    assert cli.main(["restore", str(bogus), "--db", demo_copy, "--yes"]) == 1
    assert "pas une sauvegarde valide" in capsys.readouterr().err
    with db.session(demo_copy, read_only=True) as con:
        assert places.count(con) == 42
