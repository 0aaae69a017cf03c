"""Paths of the project and the settings' most used values (see ``observatory.settings``).

Kept for the callers that only need a path; every value comes from ``settings.current()``.
"""

from __future__ import annotations

import os
from pathlib import Path

from observatory import settings

PROJECT_ROOT = settings.PROJECT_ROOT
DATA_DIR = settings.DATA_DIR
DEFAULT_DB = settings.DEFAULT_DB
DEFAULT_TERRITORY = settings.DEFAULT_TERRITORY
STATIC_DIR = PROJECT_ROOT / "static"
APP_FILE = PROJECT_ROOT / "app.py"
# What `observatory serve` runs: st.App around app.py, with the session cookie routes.
SERVER_FILE = PROJECT_ROOT / "asgi.py"

DB_ENV = "OBSERVATORY_DB"
TERRITORY_ENV = "OBSERVATORY_TERRITORY"
TILES_ENV = "OBSERVATORY_TILES"


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """--db PATH, else $OBSERVATORY_DB, else data/observatory.duckdb."""
    return settings.current().with_db(explicit).db


def territory_path(explicit: str | os.PathLike | None = None) -> Path:
    """--territory PATH, else $OBSERVATORY_TERRITORY, else the PETR de l'Ariège."""
    return settings.current().with_territory(explicit).territory


def tiles_mode() -> str:
    """« auto », « on » or « off » ($OBSERVATORY_TILES)."""
    return settings.current().tiles
