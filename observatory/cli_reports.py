"""`observatory snapshot …` and `observatory export …`: dated snapshots and report files."""

from __future__ import annotations

import json
import sys

from observatory import auth, cli_common, evolution, exports, files, formatting
from observatory.filters import PlaceFilters
from observatory.service import reports

CURRENT = reports.CURRENT


def cmd_create(args) -> int:
    with cli_common.session(args) as con:
        created = reports.create_snapshot(con, args.label, cli_common.actor(args),
                                          cli_common.settings_for(args))
    print(f"Instantané {created.id} « {created.label} » créé "
          f"({formatting.count(created.places, 'lieu', 'lieux')}).")
    return 0


def cmd_list(args) -> int:
    with cli_common.session(args, read_only=True) as con:
        catalogue = reports.catalogue(con)
    records = [{"id": int(r.id), "label": r.label, "created_at": r.created_at.isoformat(),
                "created_by": r.created_by, "places": int(r.places),
                "mature": None if r.mature is None else int(r.mature), "checksum": r.checksum}
               for r in catalogue.itertuples()]
    moments = [formatting.date_time(r.created_at) for r in catalogue.itertuples()]
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
    elif not records:
        print("Aucun instantané. Créez-en un : observatory snapshot create --label \"Bilan 2026\"")
    for r, moment in zip(records, moments, strict=True) if not args.json else []:
        print(f"{r['id']:>4}  {moment}  {r['label']}  ({r['places']} lieux, "
              f"{r['mature']} matures, par {r['created_by']})")
    return 0


def cmd_diff(args) -> int:
    before, after = reports.parse_source(args.before), reports.parse_source(args.after)
    with cli_common.session(args, read_only=True) as con:
        change = reports.diff(con, before, after, settings=cli_common.settings_for(args))
    if args.json:
        print(json.dumps({name: json.loads(frame.to_json(orient="records", force_ascii=False))
                          for name, frame in change.tables().items()},
                         ensure_ascii=False, indent=2))
        return 0
    print("\n".join(evolution.summary_lines(change)))
    return 0


def cmd_delete(args) -> int:
    if not args.yes:
        raise cli_common.CliError("Suppression définitive : confirmez avec --yes.")
    with cli_common.session(args) as con:
        reports.delete_snapshot(con, args.id, cli_common.actor(args))
    print(f"Instantané {args.id} supprimé.")
    return 0


def operator(args) -> auth.User:
    """Who exports from the command line: whoever may open the database file is its
    operator, with the analyst's rights (contacts still only with --include-contacts)."""
    return auth.User(cli_common.actor(args), auth.ANALYST)


def view_filters(args) -> PlaceFilters:
    """The filters of ``export --current`` (the sidebar's: EPCI, typology, maturity, search)."""
    return PlaceFilters(typologies=tuple(args.typologie or ()), epci=tuple(args.epci or ()),
                        mature_only=bool(args.matures), search=(args.recherche or "")[:100])


def cmd_export(args) -> int:
    chosen = view_filters(args)
    if not args.current and not chosen.is_empty():
        raise cli_common.CliError("Les filtres (--epci, --typologie, --matures, --recherche) "
                                  "s'appliquent à la vue actuelle : utilisez --current.")
    files.check_target(args.out, args.force)  # before the work: said at once, not after it
    source = CURRENT if args.current else args.snapshot
    with cli_common.session(args, read_only=True) as con:
        view = reports.filtered_view(con, chosen)
        # The report of the current view is established by --by (else the system account).
        made = reports.export(con, args.format, source, user=operator(args),
                              include_contacts=args.include_contacts,
                              settings=cli_common.settings_for(args), place_ids=view.place_ids,
                              filters=view.filters, view_epci=view.view_epci)
    # Never over an existing file without --force, never through a link, mode 0600.
    out = files.write_bytes(args.out, made.data, force=args.force)
    print(f"{exports.FORMATS[args.format].label} écrit : {out} "
          f"({formatting.file_size(len(made.data))})")
    return 0


def register(sub, db_option) -> None:
    """Add the `snapshot` and `export` commands to the main parser."""
    snap = sub.add_parser("snapshot", help="instantanés datés de l'observatoire")
    snap_sub = snap.add_subparsers(dest="snapshot_command", required=True)

    p = snap_sub.add_parser("create",
                            help="figer l'observatoire (lieux, scores, règle, consortiums…)")
    db_option(p)
    p.add_argument("--label", required=True, help="par exemple « Bilan 2026 »")
    p.add_argument("--by", help="auteur (défaut : l'utilisateur du système)")
    p.set_defaults(func=cmd_create)

    p = snap_sub.add_parser("list", help="les instantanés, du plus récent au plus ancien")
    db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = snap_sub.add_parser("diff", help="ce qui a changé entre deux instantanés (ou « current »)")
    db_option(p)
    p.add_argument("before", metavar="A")
    p.add_argument("after", metavar="B")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_diff)

    p = snap_sub.add_parser("delete", help="supprimer un instantané (définitif)")
    db_option(p)
    p.add_argument("id", type=int)
    p.add_argument("--yes", action="store_true", help="confirmer la suppression")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("export", help="exporter un instantané ou la vue actuelle")
    db_option(p)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--snapshot", type=int, metavar="ID")
    source.add_argument("--current", action="store_true")
    p.add_argument("--format", required=True, choices=list(exports.FORMATS))
    p.add_argument("--out", required=True, metavar="PATH",
                   help="fichier à écrire (mode 600 ; jamais à travers un lien symbolique)")
    p.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe")
    p.add_argument("--include-contacts", action="store_true",
                   help="inclure les contacts (données personnelles) : à éviter pour une diffusion")
    p.add_argument("--by", help="auteur du rapport (défaut : l'utilisateur du système)")
    view = p.add_argument_group("filtres de la vue actuelle (avec --current, comme la barre "
                                "latérale ; le rapport les nomme)")
    view.add_argument("--epci", action="append", metavar="SIREN",
                      help="intercommunalité (répétable) : les ratios portent sur sa population")
    view.add_argument("--typologie", action="append", metavar="TYPOLOGIE", help="répétable")
    view.add_argument("--matures", action="store_true", help="lieux matures seulement")
    view.add_argument("--recherche", metavar="TEXTE", help="nom du lieu contenant ce texte")
    p.set_defaults(func=cmd_export)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("Utilisez la commande « observatory ».")
