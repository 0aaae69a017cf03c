"""Settings in one place: database path, territory configuration, map tiles."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DB = DATA_DIR / "observatory.duckdb"
DEFAULT_TERRITORY = DATA_DIR / "territory" / "territory.toml"
STATIC_DIR = PROJECT_ROOT / "static"
APP_FILE = PROJECT_ROOT / "app.py"

DB_ENV = "OBSERVATORY_DB"
TERRITORY_ENV = "OBSERVATORY_TERRITORY"
# "auto" adds OpenStreetMap tiles when the tile server answers, "on" always, "off" never.
TILES_ENV = "OBSERVATORY_TILES"


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """--db PATH, else $OBSERVATORY_DB, else data/observatory.duckdb."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(DB_ENV)
    return Path(env) if env else DEFAULT_DB


def territory_path(explicit: str | os.PathLike | None = None) -> Path:
    """--territory PATH, else $OBSERVATORY_TERRITORY, else the PETR de l'Ariège."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(TERRITORY_ENV)
    return Path(env) if env else DEFAULT_TERRITORY


def tiles_mode() -> str:
    mode = os.environ.get(TILES_ENV, "auto").strip().lower()
    return mode if mode in {"auto", "on", "off"} else "auto"
