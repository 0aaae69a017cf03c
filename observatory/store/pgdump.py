"""Backups of a territory's PostgreSQL schema with Debian's ``pg_dump`` / ``pg_restore``.

The password goes to the tools through their environment (``PGPASSWORD``), never on their
command line (which other accounts can read in the process list), and every message of
theirs is masked before it reaches a person.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from observatory import dburl
from observatory.errors import StoreError


class DumpError(StoreError):
    """pg_dump, pg_restore or psql failed, or is missing; French message, password masked."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DumpError(f"« {name} » est introuvable : installez le paquet Debian "
                        "« postgresql-client » (même version majeure que le serveur).")
    return found


def _run(cmd: list[str], url: str, what: str) -> str:
    env = dict(os.environ)
    secret = dburl.password(url)
    if secret is not None:
        env["PGPASSWORD"] = secret
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DumpError(f"{what} impossible : {dburl.mask(str(exc))}") from None
    if done.returncode != 0:
        raise DumpError(f"{what} impossible : {dburl.mask(done.stderr.strip())}")
    return done.stdout


def dump(url: str, out: Path) -> None:
    """The territory's schema (structure and rows) in pg_dump's custom format."""
    base, schema = dburl.split(url)
    _run([_tool("pg_dump"), "--format=custom", f"--schema={schema or 'public'}", "--no-owner",
          "--no-privileges", f"--file={out}", "--dbname", dburl.without_password(base)],
         base, "Sauvegarde PostgreSQL")


def schemas_in(dump_file: Path) -> set[str]:
    """The schemas a dump creates (``pg_restore --list``); DumpError when it is not a dump."""
    listing = _run([_tool("pg_restore"), "--list", str(dump_file)], "", "Lecture de la sauvegarde")
    found = set()
    for line in listing.splitlines():
        parts = line.split()
        # "123; 2615 16385 SCHEMA - territoire_x owner"
        if len(parts) >= 6 and parts[3] == "SCHEMA" and parts[4] == "-":
            found.add(parts[5])
    return found


def restore(url: str, dump_file: Path) -> None:
    """Replace the schema with the dump's, in one transaction: all of it or nothing."""
    base, schema = dburl.split(url)
    schema = dburl.schema_name(schema or "public")
    script = _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-",
                   str(dump_file)], "", "Lecture de la sauvegarde")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "restore.sql"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(script)
        _run([_tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
              "--single-transaction", "--dbname", dburl.without_password(base),
              "--command", f"DROP SCHEMA IF EXISTS {schema} CASCADE", "--file", str(path)],
             base, "Restauration PostgreSQL")
