"""`observatory import …`, `observatory backup` and `observatory restore`."""

from __future__ import annotations

import getpass
import json
import shutil
import sys
import tempfile
from pathlib import Path

from observatory import config, importing
from observatory.store import db, imports, places

MAX_SHOWN = 50


def _actor(args) -> str:
    return args.by or getpass.getuser() or "inconnu"


def cmd_import(args) -> int:
    from observatory.cli import CliError, existing_db

    source = Path(args.file)
    if not source.is_file():
        raise CliError(f"Fichier introuvable : {source}")
    path = existing_db(args)
    try:
        with db.session(path) as con:
            db.migrate(con)
            report = imports.preview(con, source.read_bytes(), source.name, args.kind,
                                     replace_demo=args.replace_demo,
                                     skip_outside=args.skip_outside,
                                     **_rename_option(args))
            written = None
            if report.ok and not args.dry_run:
                with db.transaction(con):
                    written = imports.apply(con, report, _actor(args), args.replace_demo)
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
    """A consistent copy: take the file (waiting for the app to release it), checkpoint, copy."""
    from observatory.cli import CliError, existing_db

    path, out = existing_db(args), Path(args.path)
    if out.exists() and not args.force:
        raise CliError(f"{out} existe déjà (ajoutez --force pour le remplacer).")
    with db.session(path, wait_s=30) as con:
        con.execute("CHECKPOINT")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)  # no writer can interleave: we hold the file
    report = _check(out)
    print(f"Sauvegarde écrite : {out} ({report})")
    return 0


def cmd_restore(args) -> int:
    """Check the backup, then replace the database with it (the old file is kept aside)."""
    from observatory.cli import CliError

    source, path = Path(args.path), config.db_path(args.db)
    if not source.is_file():
        raise CliError(f"Sauvegarde introuvable : {source}")
    with tempfile.TemporaryDirectory() as folder:
        candidate = Path(folder) / "candidate.duckdb"
        shutil.copyfile(source, candidate)
        try:
            report = _check(candidate)
        except Exception as exc:  # any failure to read means: not a usable backup
            raise CliError(f"{source} n'est pas une sauvegarde valide de l'observatoire : {exc}") from exc
        if not args.yes:
            raise CliError(f"Sauvegarde valide ({report}). Confirmez le remplacement de {path} "
                           "avec --yes.")
        with db.session(path, wait_s=30) if path.exists() else _nothing():
            pass  # waits until the app has released the file
        if path.exists():
            shutil.copyfile(path, path.with_suffix(".avant-restauration.duckdb"))
        staged = path.with_suffix(".restauration.tmp")
        shutil.copyfile(candidate, staged)
        staged.replace(path)  # atomic on one file system
    print(f"Base restaurée depuis {source} ({report}). L'ancienne base est gardée à côté "
          f"({path.with_suffix('.avant-restauration.duckdb').name}).")
    return 0


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _check(path: Path) -> str:
    """Open a copy read-only and read what matters; raises when it is not a usable database."""
    with db.session(path, read_only=True) as con:
        version = db.schema_version(con)
        if version < 1:
            raise ValueError("pas de schéma d'observatoire")
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
