"""The store's front door for both the app and the CLI: sessions and the current places."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from observatory import catalogue, dburl
from observatory.errors import ObservatoryError
from observatory.maturity import MaturityRule
from observatory.settings import Settings
from observatory.store import db, places, rules


class MissingDatabase(ObservatoryError, RuntimeError):
    """The database named by the settings does not exist (yet)."""


class OldSchema(ObservatoryError, RuntimeError):
    """The database predates the code's migrations (read-only access cannot upgrade it)."""


def database_exists(target) -> bool:
    """Whether ``observatory init`` already created this file or PostgreSQL schema."""
    return db.exists(target)


def existing_db(settings: Settings) -> Path | str:
    """The database the settings name (a file, or a PostgreSQL URL with its schema); a French
    error when it does not exist."""
    path = settings.db if settings.is_postgres else Path(settings.db)
    if not db.exists(path):
        raise MissingDatabase(f"Base introuvable : {dburl.shown(path)}. "
                              "Créez-la avec « observatory init --demo ».")
    return path


@contextmanager
def session(settings: Settings, *, read_only: bool = False) -> Iterator:
    """A short-lived connection to an existing, up-to-date database (closed on exit)."""
    path = existing_db(settings)
    with db.session(path, read_only=read_only) as con:
        if db.schema_version(con) < latest_schema():
            raise OldSchema(f"La base {dburl.shown(path)} est d'un schéma ancien : "
                            "lancez « observatory init ».")
        yield con


@contextmanager
def transaction(con) -> Iterator:
    """All or nothing: the writes inside are committed together or not at all."""
    with db.transaction(con):
        yield con


def data_version(con) -> int:
    """Grows after every committed write (PostgreSQL); the app's caches are keyed by it."""
    return db.data_version(con)


def latest_schema() -> int:
    return max(v for v, _, _ in db.migrations())


def current_rule(con) -> MaturityRule:
    return rules.current(con)


def current_places(con, rule: MaturityRule | None = None) -> pd.DataFrame:
    """The places (not archived) with their scores and maturity under the rule in force."""
    return catalogue.annotate(places.current(con), rule or rules.current(con))


def provider(settings: Settings):
    """The distance provider the settings choose; its ``label`` names every figure."""
    return settings.provider()
