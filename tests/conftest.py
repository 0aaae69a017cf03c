"""Shared fixtures: the PETR de l'Ariège territory and a demonstration database."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatory import bootstrap
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
