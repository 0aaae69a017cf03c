"""Backing the database up and restoring it (``observatory backup`` / ``observatory restore``).

A backup is a consistent copy: the file is taken (waiting for the app to release it),
checkpointed and copied to a private staged file, checked, then renamed onto the target. A
restore checks the backup first, keeps the current file aside under a new dated name, then
replaces it. Both refuse with a French ``BackupError``; the CLI only parses and prints.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from observatory import dburl, errors, files
from observatory.errors import ObservatoryError, StoreError
from observatory.service import core
from observatory.settings import Settings
from observatory.store import db, evaluations, pgdump, places

WAIT_S = 30  # the app holds the file a few milliseconds per request: wait for it


class BackupError(ObservatoryError, RuntimeError):
    """A backup or a restore refused or failed, explained in French; nothing was replaced."""


def backup(settings: Settings, out: str | os.PathLike, *, force: bool) -> str:
    """Write a checked copy of the database to ``out``; returns what it holds (« schéma v7,
    42 lieux »). An existing ``out`` needs ``force``; a symbolic link is always refused.

    On PostgreSQL: ``pg_dump`` of the territory's schema (custom format), checked with
    ``pg_restore --list``."""
    if settings.is_postgres:
        return _backup_postgres(core.existing_db(settings), Path(out), force)
    path, out = core.existing_db(settings), Path(out)
    if _same_file(path, out):
        raise BackupError(f"{out} est la base elle-même : choisissez un autre fichier pour la "
                          "sauvegarde.")
    if out.is_dir():
        raise BackupError(f"{out} est un dossier : indiquez le fichier de sauvegarde à écrire "
                          f"(par exemple {out / 'sauvegarde.duckdb'}).")
    files.check_target(out, force)
    try:
        with files.staged(out, force) as staged:  # renamed to out once checked
            with db.session(path, wait_s=WAIT_S) as con:
                con.execute("CHECKPOINT")
                shutil.copyfile(path, staged)  # no writer can interleave: we hold the file
            return describe(staged)
    except OSError as exc:
        raise BackupError(f"Sauvegarde non écrite : {errors.describe_os_error(exc)}") from exc


@dataclass(frozen=True)
class Restored:
    """A restore done: what the backup holds, and the current files kept aside."""

    report: str
    kept: list[Path]


def restore(settings: Settings, source: str | os.PathLike, *, confirmed: bool) -> Restored:
    """Check the backup, then replace the database with it (``confirmed``; else refused,
    after the check, with what the backup holds).

    The current file is first copied to a new dated safety copy (never overwritten, so a
    second restore keeps the first one's); a damaged or missing database can be restored too.
    """
    if settings.is_postgres:
        return _restore_postgres(settings.db, Path(source), confirmed)
    source, path = Path(source), Path(settings.db)
    if not source.is_file():
        raise BackupError(f"Sauvegarde introuvable : {source}")
    if _same_file(source, path):
        raise BackupError(f"{source} est la base elle-même : indiquez une sauvegarde.")
    with tempfile.TemporaryDirectory() as folder:
        candidate = Path(folder) / "candidate.duckdb"
        try:
            shutil.copyfile(source, candidate)
        except OSError as exc:
            raise BackupError(f"Sauvegarde illisible : {errors.describe_os_error(exc)}") from exc
        try:
            report = describe(candidate)
        except (BackupError, StoreError, duckdb.Error) as exc:  # not a usable backup
            raise BackupError(f"{source} n'est pas une sauvegarde valide de l'observatoire : "
                              f"{exc}") from exc
        if not confirmed:
            raise BackupError(f"Sauvegarde valide ({report}). Confirmez le remplacement de "
                              f"{path} avec --yes.")
        kept = []
        files.check_target(path, force=True)  # never through a link: a plain file or none
        try:
            if path.exists():
                kept = _keep_aside(path)
            with files.staged(path, force=True) as staged:  # private, renamed atomically
                shutil.copyfile(candidate, staged)
        except OSError as exc:
            raise BackupError(f"Restauration impossible : {errors.describe_os_error(exc)} "
                              f"La base {path} n'a pas été remplacée.") from exc
    return Restored(report, kept)


def describe(path: Path | str) -> str:
    """Open a copy read-only and read what matters; raises when it is not a usable database."""
    with db.session(path, read_only=True) as con:
        version = db.schema_version(con)
        if version < 1:
            raise BackupError("pas de schéma d'observatoire")
        count = places.count(con)
        evaluations.count(con)  # the evaluations table can be read too
    return f"schéma v{version}, {count} lieux"


def safety_copy_name(path: Path, when: datetime | None = None) -> Path:
    """NAME.avant-restauration-YYYYMMDD-HHMMSS.duckdb, with -2, -3… if that one exists."""
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = f"{path.stem}.avant-restauration-{stamp}"
    candidate, n = path.with_name(f"{base}{path.suffix}"), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{base}-{n}{path.suffix}")
    return candidate


def _remove_quietly(path: Path) -> None:
    """Clean up a temporary file, if it was made; never hides the error being reported."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _keep_aside(path: Path) -> list[Path]:
    """Copy the current database (and a leftover WAL) to a new dated safety copy.

    Waits until the app has released the file and checkpoints it, so the copy is whole; a
    damaged file cannot be opened and is copied as it is, its WAL moved aside so that it is
    not replayed onto the restored file. Raises OSError when the copy cannot be written.
    """
    try:
        with db.session(path, wait_s=WAIT_S) as con:
            con.execute("CHECKPOINT")
            return [_copy_new(path, safety_copy_name(path))]
    except db.DatabaseDamaged:
        pass
    kept = [_copy_new(path, safety_copy_name(path))]
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal_aside = kept[0].with_name(kept[0].name + ".wal")
        wal.replace(wal_aside)
        os.chmod(wal_aside, files.FILE_MODE)
        kept.append(wal_aside)
    return kept


def _copy_new(source: Path, target: Path) -> Path:
    """Copy to a private (0600) file that must not exist yet (exclusive creation: never
    overwrites, never follows a link)."""
    # Created before the try: a name that exists already is never ours to remove.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as dst, open(source, "rb") as src:
            shutil.copyfileobj(src, dst, 1024 * 1024)
    except BaseException:
        _remove_quietly(target)
        raise
    return target


# --- PostgreSQL: pg_dump of the territory's schema ------------------------------------------

def _backup_postgres(url: str, out: Path, force: bool) -> str:
    if out.is_dir():
        raise BackupError(f"{out} est un dossier : indiquez le fichier de sauvegarde à écrire "
                          f"(par exemple {out / 'sauvegarde.dump'}).")
    files.check_target(out, force)
    report = describe(url)
    try:
        with files.staged(out, force) as staged:
            pgdump.dump(url, staged)
            _check_dump(staged, url)
    except OSError as exc:
        raise BackupError(f"Sauvegarde non écrite : {errors.describe_os_error(exc)}") from exc
    return report


def _check_dump(dump_file: Path, url: str) -> None:
    schema = dburl.split(url)[1] or "public"
    try:
        found = pgdump.schemas_in(dump_file)
    except pgdump.DumpError as exc:
        raise BackupError(f"{dump_file} n'est pas une sauvegarde valide de l'observatoire : "
                          f"{exc}") from exc
    if schema not in found:
        raise BackupError(f"{dump_file} n'est pas une sauvegarde du schéma « {schema} » "
                          f"(schémas trouvés : {', '.join(sorted(found)) or 'aucun'}).")


def _restore_postgres(url: str, source: Path, confirmed: bool) -> Restored:
    if not source.is_file():
        raise BackupError(f"Sauvegarde introuvable : {source}")
    _check_dump(source, url)
    if not confirmed:
        raise BackupError(f"Sauvegarde valide du schéma « {dburl.split(url)[1]} ». Confirmez "
                          f"le remplacement dans {dburl.shown(url)} avec --yes.")
    kept = []
    if db.exists(url):  # the current schema first, to a new dated dump next to the backup
        aside = safety_copy_name(source.with_name(f"{dburl.split(url)[1]}.dump"))
        with files.staged(aside) as staged:
            pgdump.dump(url, staged)
        kept.append(aside)
    db.release(url)  # this process's connections end before the schema is replaced
    try:
        pgdump.restore(url, source)
    except pgdump.DumpError as exc:
        raise BackupError(f"{exc} Le schéma n'a pas été remplacé.") from exc
    return Restored(describe(url), kept)
