"""Shared fixtures: the PETR de l'Ariège territory and a demonstration database."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from observatory import bootstrap
from observatory.store import db
from observatory.territory.config import TerritoryConfig, load_territory_config

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TERRITORY_TOML = PROJECT_ROOT / "data" / "territory" / "territory.toml"
REFERENTIAL = PROJECT_ROOT / "data" / "territory" / "communes.parquet"


@pytest.fixture(scope="session")
def territory_config() -> TerritoryConfig:
    """The shipped territory: PETR de l'Ariège (7 EPCI, 231 communes)."""
    return load_territory_config(TERRITORY_TOML)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, territory_config) -> Path:
    """Path of a DuckDB file initialised with the territory and the 42 demonstration places.

    Shared by the whole session: open it read-only (``db.connect(path, read_only=True)``)
    and close the connection; tests that write build their own file in ``tmp_path``.
    """
    path = tmp_path_factory.mktemp("demo") / "observatory.duckdb"
    bootstrap.init_database(path, territory_config, with_demo=True)
    return path


# --- both back ends: a DuckDB file, or a schema in a throwaway PostgreSQL ----------------

BACKENDS = ("duckdb", "postgresql")


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL (Debian's packages) for the whole session, stopped at the end.

    Skipped where PostgreSQL is not installed, except under CI=true: there, a server that
    cannot start fails the tests (the README's test command installs it).
    """
    from tests import pg_server

    try:
        server = pg_server.start()  # in the system temp folder: the server user can reach it
    except pg_server.PostgresUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def new_db(backend, tmp_path, request):
    """``new_db(name)``: where a new, empty database goes on this test's back end: a file in
    ``tmp_path``, or a fresh schema (never used before) in the session's PostgreSQL."""
    if backend == "duckdb":
        return lambda name="observatory": tmp_path / f"{name}.duckdb"
    from observatory import dburl

    server = request.getfixturevalue("postgres")

    def make(name: str = "observatory") -> str:
        schema = f"t_{uuid.uuid4().hex[:10]}_{name}"[:63].lower()
        return dburl.with_schema(server.url, schema)
    return make


PG_SCHEMA = "territoire_test"
_templates: dict[tuple[str, bool], object] = {}


def _template(backend: str, with_demo: bool, tmp_path_factory, request):
    """A database initialised once per session (territory, demo places or not) to copy from."""
    key = (backend, with_demo)
    if key not in _templates:
        if backend == "duckdb":
            path = tmp_path_factory.mktemp("template") / "template.duckdb"
            bootstrap.init_database(path, load_territory_config(TERRITORY_TOML), with_demo)
            _templates[key] = path
        else:
            from observatory import dburl

            server = request.getfixturevalue("postgres")
            name = f"template_{'demo' if with_demo else 'schema'}"
            url = dburl.with_schema(server.create_database(name), PG_SCHEMA)
            bootstrap.init_database(url, load_territory_config(TERRITORY_TOML), with_demo)
            db.release(url)  # a template must have no connection left to be copied
            _templates[key] = name
    return _templates[key]


@pytest.fixture
def initialised_db(backend, tmp_path, tmp_path_factory, request):
    """``initialised_db(with_demo=False)``: a new writable database holding the schema and
    the territory (and the 42 demonstration places), on this test's back end: a copy of a
    file initialised once, or a PostgreSQL database created from an initialised template."""
    def make(with_demo: bool = False, name: str = "observatory"):
        template = _template(backend, with_demo, tmp_path_factory, request)
        if backend == "duckdb":
            target = tmp_path / f"{name}.duckdb"
            shutil.copyfile(template, target)
            return target
        from observatory import dburl

        server = request.getfixturevalue("postgres")
        database = f"t_{uuid.uuid4().hex[:12]}"
        return dburl.with_schema(server.create_database(database, template), PG_SCHEMA)
    return make


@pytest.fixture
def demo_copy(initialised_db):
    """A writable database with the territory and the demonstration places (each back end)."""
    return initialised_db(with_demo=True, name="demo")
