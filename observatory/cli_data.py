"""`observatory import …`, `observatory backup` and `observatory restore`."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb

from observatory import cli_common, config, errors, files, importing
from observatory.store import db, imports, places

MAX_SHOWN = 50


def cmd_import(args) -> int:
    from observatory.cli import CliError, existing_db

    source = Path(args.file)
    if not source.is_file():
        raise CliError(f"Fichier introuvable : {source}")
    path = existing_db(args)
    try:
        with db.session(path) as con:  # short: upgrade, read what the file is checked against
            db.migrate(con)
            state = imports.read_store(con, args.replace_demo)
        # Validation holds no connection: the app keeps working meanwhile.
        report = imports.validate(state, source.read_bytes(), source.name, args.kind,
                                  skip_outside=args.skip_outside, **_rename_option(args))
        written = None
        if report.ok and not args.dry_run:
            imports.pause_before_writing()
            # One short transaction: re-check against the store as it is now, bulk writes.
            written = imports.write(lambda: db.session(path), report, cli_common.actor(args),
                                    args.replace_demo)
    except importing.ImportFileError as exc:
        raise CliError(str(exc)) from exc
    _print_report(report, written, args)
    return 0 if written is not None else (0 if args.dry_run and report.ok else 2)


def _rename_option(args) -> dict:
    """``--confirm-rename`` rows, for a places import (evaluations have no renames)."""
    rows = getattr(args, "confirm_rename", None)
    return {"confirmed_renames": frozenset(rows)} if rows else {}


def _print_changes(report) -> None:
    """Each update field by field, before anything is written (refused renames too)."""
    changes = report.changes_table
    if changes.empty:
        return
    print("Changements champ par champ :")
    for c in changes.head(MAX_SHOWN * 4).itertuples(index=False):
        print(f"ligne {c.ligne} | {c.action} | n° {c.identifiant} « {c.lieu} » | {c.champ} : "
              f"{c.avant} → {c.après}")
    if len(changes) > MAX_SHOWN * 4:
        print(f"… et {len(changes) - MAX_SHOWN * 4} autres changements (voir --json).")


def _print_report(report, written, args) -> None:
    if args.json:
        print(json.dumps({**report.to_dict(), "written": written is not None,
                          "counts_written": written}, ensure_ascii=False, indent=2, default=str))
        return
    for note in report.notes:  # encoding, header row, twin columns: what was guessed
        print(f"Note : {note}")
    print(report.summary())
    problems = report.problem_table
    for row in problems.head(MAX_SHOWN).to_dict(orient="records"):
        print(" | ".join(str(row.get(c, "")) for c in problems.columns))
    if len(problems) > MAX_SHOWN:
        print(f"… et {len(problems) - MAX_SHOWN} autres problèmes (voir --json).")
    if written is None:
        _print_changes(report)
    if written is not None:
        print(f"Écrit : {written['added']} ajout(s), {written['updated']} mise(s) à jour, "
              f"{written['evaluations']} évaluation(s).")
    elif args.dry_run and report.ok:
        print("Essai à blanc : rien n'a été écrit.")
    else:
        print("Rien n'a été écrit : corrigez les erreurs puis relancez.", file=sys.stderr)


def cmd_backup(args) -> int:
    """A consistent copy: take the file (waiting for the app to release it), checkpoint, copy.

    The copy goes to a private (0600) temporary file next to the target and replaces it
    only once checked: a failure (full disk…) leaves no half-written file and never destroys
    a previous backup. An existing file needs --force; a symbolic link is always refused
    (``observatory.files``).
    """
    from observatory.cli import CliError, existing_db

    path, out = existing_db(args), Path(args.path)
    if _same_file(path, out):
        raise CliError(f"{out} est la base elle-même : choisissez un autre fichier pour la "
                       "sauvegarde.")
    if out.is_dir():
        raise CliError(f"{out} est un dossier : indiquez le fichier de sauvegarde à écrire "
                       f"(par exemple {out / 'sauvegarde.duckdb'}).")
    files.check_target(out, args.force)
    try:
        with files.staged(out, args.force) as staged:  # renamed to out once checked
            with db.session(path, wait_s=30) as con:
                con.execute("CHECKPOINT")
                shutil.copyfile(path, staged)  # no writer can interleave: we hold the file
            report = _check(staged)
    except OSError as exc:
        raise CliError(f"Sauvegarde non écrite : {errors.describe_os_error(exc)}") from exc
    print(f"Sauvegarde écrite : {out} ({report})")
    return 0


def cmd_restore(args) -> int:
    """Check the backup, then replace the database with it.

    The current file is first copied to a new dated safety copy (never overwritten, so a
    second restore keeps the first one's); a damaged database can be restored too.
    """
    from observatory.cli import CliError

    source, path = Path(args.path), config.db_path(args.db)
    if not source.is_file():
        raise CliError(f"Sauvegarde introuvable : {source}")
    if _same_file(source, path):
        raise CliError(f"{source} est la base elle-même : indiquez une sauvegarde.")
    with tempfile.TemporaryDirectory() as folder:
        candidate = Path(folder) / "candidate.duckdb"
        try:
            shutil.copyfile(source, candidate)
        except OSError as exc:
            raise CliError(f"Sauvegarde illisible : {errors.describe_os_error(exc)}") from exc
        try:
            report = _check(candidate)
        except (CliError, db.StoreError, duckdb.Error) as exc:  # not a usable backup
            raise CliError(f"{source} n'est pas une sauvegarde valide de l'observatoire : {exc}") from exc
        if not args.yes:
            raise CliError(f"Sauvegarde valide ({report}). Confirmez le remplacement de {path} "
                           "avec --yes.")
        kept = []
        files.check_target(path, force=True)  # never through a link: a plain file or none
        try:
            if path.exists():
                kept = _keep_aside(path)
            with files.staged(path, force=True) as staged:  # private, renamed atomically
                shutil.copyfile(candidate, staged)
        except OSError as exc:
            raise CliError(f"Restauration impossible : {errors.describe_os_error(exc)} "
                           f"La base {path} n'a pas été remplacée.") from exc
    aside = f" L'ancienne base est gardée à côté : {', '.join(p.name for p in kept)}." if kept else ""
    print(f"Base restaurée depuis {source} ({report}).{aside}")
    return 0


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


def safety_copy_name(path: Path, when: datetime | None = None) -> Path:
    """NAME.avant-restauration-YYYYMMDD-HHMMSS.duckdb, with -2, -3… if that one exists."""
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = f"{path.stem}.avant-restauration-{stamp}"
    candidate, n = path.with_name(f"{base}{path.suffix}"), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{base}-{n}{path.suffix}")
    return candidate


def _keep_aside(path: Path) -> list[Path]:
    """Copy the current database (and a leftover WAL) to a new dated safety copy.

    Waits until the app has released the file and checkpoints it, so the copy is whole; a
    damaged file cannot be opened and is copied as it is, its WAL moved aside so that it is
    not replayed onto the restored file. Raises OSError when the copy cannot be written.
    """
    try:
        with db.session(path, wait_s=30) as con:
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


def _check(path: Path) -> str:
    """Open a copy read-only and read what matters; raises when it is not a usable database."""
    from observatory.cli import CliError

    with db.session(path, read_only=True) as con:
        version = db.schema_version(con)
        if version < 1:
            raise CliError("pas de schéma d'observatoire")
        count = places.count(con)
        con.execute("SELECT count(*) FROM evaluations").fetchone()
    return f"schéma v{version}, {count} lieux"


def register(sub, db_option) -> None:
    imp = sub.add_parser("import", help="importer des lieux ou des évaluations (CSV, Excel, GeoJSON)")
    imp_sub = imp.add_subparsers(dest="kind", required=True)
    for kind, text in (("places", "lieux"), ("evaluations", "évaluations")):
        p = imp_sub.add_parser(kind, help=f"importer des {text}")
        db_option(p)
        p.add_argument("file", metavar="FICHIER")
        p.add_argument("--dry-run", action="store_true", help="valider sans rien écrire")
        p.add_argument("--json", action="store_true")
        p.add_argument("--by", help="auteur de l'import (défaut : l'utilisateur du système)")
        p.add_argument("--replace-demo", action="store_true",
                       help="retirer les données de démonstration dans la même transaction")
        p.add_argument("--skip-outside", action="store_true",
                       help="ignorer (au lieu de refuser) les lignes hors du territoire")
        if kind == "places":
            p.add_argument("--confirm-rename", type=int, action="append", metavar="LIGNE",
                           help="confirmer que l'identifiant de cette ligne du fichier renomme "
                                "bien le lieu qu'il désigne (répétable)")
        p.set_defaults(func=cmd_import)

    p = sub.add_parser("backup", help="copie cohérente de la base (même si l'application tourne)")
    db_option(p)
    p.add_argument("path", metavar="CHEMIN")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restaurer la base depuis une sauvegarde vérifiée")
    db_option(p)
    p.add_argument("path", metavar="CHEMIN")
    p.add_argument("--yes", action="store_true", help="confirmer le remplacement")
    p.set_defaults(func=cmd_restore)
