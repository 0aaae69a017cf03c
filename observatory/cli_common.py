"""What every `observatory` subcommand module shares, without importing ``observatory.cli``.

``observatory.cli`` and the ``cli_*`` modules import this one; it imports neither of them,
so there is no import cycle between the command and its subcommand modules.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from observatory import settings
from observatory.bootstrap import system_user
from observatory.errors import ObservatoryError
from observatory.service import core

# The audit trail's name for a command run by an account that has no user name (a container
# uid): what it is, not « inconnu ».
SYSTEM_ACCOUNT = "compte système"


class CliError(ObservatoryError, RuntimeError):
    """A French message for the user; exit code 1."""


def db_option(parser: argparse.ArgumentParser) -> None:
    """The ``--db PATH`` option every subcommand that opens the store takes."""
    parser.add_argument("--db", metavar="PATH", default=None,
                        help="fichier DuckDB (défaut : $OBSERVATORY_DB, sinon "
                             "data/observatory.duckdb)")


def settings_for(args) -> settings.Settings:
    """The environment's settings, with the database ``--db`` names (when given)."""
    return settings.current().with_db(getattr(args, "db", None))


def existing_db(args) -> Path:
    """The database named by --db / $OBSERVATORY_DB; a French error when it does not exist."""
    return core.existing_db(settings_for(args))


@contextmanager
def session(args, *, read_only: bool = False) -> Iterator:
    """A connection to the existing, up-to-date database the command names (closed on exit)."""
    with core.session(settings_for(args), read_only=read_only) as con:
        yield con


def actor(args) -> str:
    """Who the audit trail names for a command: ``--by``, else the system account."""
    return (getattr(args, "by", None) or "").strip() or system_user() or SYSTEM_ACCOUNT
