"""`observatory import …`, `observatory backup` and `observatory restore`: parse, call, print.

The use cases are ``observatory.service.imports`` and ``observatory.service.backups``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from observatory import cli_common, formatting, importing
from observatory.cli_common import CliError
from observatory.service import backups, duplicates
from observatory.service import imports as import_cases
from observatory.service.backups import safety_copy_name  # noqa: F401  (kept importable here)

MAX_SHOWN = 50


def cmd_import(args) -> int:
    source = Path(args.file)
    if not source.is_file():
        raise CliError(f"Fichier introuvable : {source}")
    # Upgrade first (short), then check and write on short connections of their own.
    path = import_cases.upgrade(cli_common.settings_for(args))
    try:
        outcome = import_cases.import_places(
            import_cases.import_sessions(path), source.read_bytes(), source.name, args.kind,
            dry_run=args.dry_run, actor=cli_common.actor(args), replace_demo=args.replace_demo,
            skip_outside=args.skip_outside, **_rename_option(args), **_source_options(args))
    except importing.ImportFileError as exc:
        raise CliError(str(exc)) from exc
    report, written = outcome.report, outcome.written
    _print_report(report, written, args)
    if args.dry_run and not args.json and args.kind == "places" and report.ok:
        _print_duplicates(path, report)
    elif written is not None and not args.json and args.kind == "places":
        _print_inventory_duplicates(path)
    return 0 if written is not None else (0 if args.dry_run and report.ok else 2)


def _source_options(args) -> dict:
    """``--valid-rows-only`` and ``--publisher``, for a places import."""
    if args.kind != "places":
        return {}
    options = {"valid_rows_only": True} if args.valid_rows_only else {}
    return options | ({"publisher": args.publisher} if args.publisher else {})


def _write_outside(report, args) -> None:
    """``--outside-list``: the rows « hors territoire » as a CSV file (UTF-8, `;`)."""
    target = getattr(args, "outside_list", None)
    if not target:
        return
    Path(target).write_text(report.outside_table.to_csv(index=False, sep=";"),
                            encoding="utf-8")
    print(f"Liste des lignes hors territoire écrite : {target}")


def _print_source(report) -> None:
    """Repairs made with certainty, rows outside, rows left out: said before the rest."""
    for r in report.repairs[:MAX_SHOWN]:
        print(f"Réparé : ligne {r.row} | {r.column} : « {r.old} » → « {r.new} » ({r.reason})")
    if len(report.repairs) > MAX_SHOWN:
        print(f"… et {len(report.repairs) - MAX_SHOWN} autres réparations (voir --json).")
    for text in (report.outside_text(), report.left_out_text()):
        if text:
            print(text[:1].upper() + text[1:] + ".")


def _rename_option(args) -> dict:
    """``--confirm-rename`` rows, for a places import (evaluations have no renames)."""
    rows = getattr(args, "confirm_rename", None)
    return {"confirmed_renames": frozenset(rows)} if rows else {}


def _print_duplicates(path: Path, report) -> None:
    """A dry run's rows that are probably a stored place or another row (a warning only)."""
    with import_cases.import_sessions(path)() as con:
        table = duplicates.import_table(duplicates.import_pairs(con, report))
    if table.empty:
        return
    print("Doublons probables (avertissement : l'import n'est pas bloqué ; fusionnez-les "
          "ensuite sur la page « Doublons probables ») :")
    for row in table.head(MAX_SHOWN).to_dict(orient="records"):
        print(f"ligne {row['ligne']} « {row['lieu importé']} » ({row['commune']}) ≈ "
              f"{row['probablement le même que']} — score {row['score']} : {row['raison']}")
    if len(table) > MAX_SHOWN:
        print(f"… et {len(table) - MAX_SHOWN} autres paires probables.")


def _print_inventory_duplicates(path: Path) -> None:
    """After a write: the probable duplicates the inventory now holds (a pointer, no list)."""
    with import_cases.import_sessions(path)() as con:
        found = len(duplicates.inventory_pairs(con))
    if found:
        print(f"À vérifier : {formatting.count(found, 'paire probable', 'paires probables')} "
              "de doublons dans l'inventaire (« observatory duplicates » ou la page « Doublons "
              "probables »).")


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
        print(json.dumps({**report.to_dict(), "demo_removal": report.demo_removal,
                          "demo_in_use": report.demo_in_use,
                          "written": written is not None, "counts_written": written},
                         ensure_ascii=False, indent=2, default=str))
        return
    for note in report.notes:  # encoding, header row, twin columns: what was guessed
        print(f"Note : {note}")
    print(report.summary())
    if args.kind == "places":
        _print_source(report)
        _write_outside(report, args)
    problems = report.problem_table
    if report.outside:  # the rows outside are listed apart (--outside-list), not here
        problems = problems[~problems["ligne"].isin({o["ligne"] for o in report.outside})]
    for row in problems.head(MAX_SHOWN).to_dict(orient="records"):
        print(" | ".join(str(row.get(c, "")) for c in problems.columns))
    if len(problems) > MAX_SHOWN:
        print(f"… et {len(problems) - MAX_SHOWN} autres problèmes (voir --json).")
    if written is None:
        _print_changes(report)
        in_use = report.demo_in_use_text()
        if in_use:  # --replace-demo refused: someone's records refer to the demonstration
            print(f"{in_use} Ou relancez sans --replace-demo pour importer en les gardant.")
        removal = importing.demo_removal_text(report.demo_removal)
        if removal and report.ok:  # --replace-demo: what the write would remove with it
            print(f"Données de démonstration à retirer dans la même transaction : {removal}.")
    if written is not None:
        print(f"Écrit : {importing.written_text(written)}")
    elif args.dry_run and report.ok:
        print("Essai à blanc : rien n'a été écrit.")
    else:
        print("Rien n'a été écrit : corrigez les erreurs puis relancez.", file=sys.stderr)


def cmd_backup(args) -> int:
    """A consistent, checked copy of the database (``observatory.service.backups.backup``)."""
    out = Path(args.path)
    report = backups.backup(cli_common.settings_for(args), out, force=args.force)
    print(f"Sauvegarde écrite : {out} ({report})")
    return 0


def cmd_restore(args) -> int:
    """Check the backup, then replace the database with it (``backups.restore``)."""
    source = Path(args.path)
    done = backups.restore(cli_common.settings_for(args), source, confirmed=args.yes)
    aside = (f" L'ancienne base est gardée à côté : {', '.join(p.name for p in done.kept)}."
             if done.kept else "")
    print(f"Base restaurée depuis {source} ({done.report}).{aside}")
    return 0


def register(sub, db_option) -> None:
    imp = sub.add_parser("import",
                         help="importer des lieux ou des évaluations (CSV, Excel, GeoJSON)")
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
            p.add_argument("--valid-rows-only", action="store_true",
                           help="importer les lignes valides et écarter les lignes en erreur "
                                "(listées)")
            p.add_argument("--publisher", metavar="ÉDITEUR",
                           help="éditeur d'une liste régionale (ex. le réseau qui la publie)")
            p.add_argument("--outside-list", metavar="FICHIER",
                           help="écrire la liste des lignes hors territoire (CSV)")
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
