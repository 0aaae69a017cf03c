"""`observatory snapshot …` and `observatory export …`: dated snapshots and report files."""

from __future__ import annotations

import json
import sys

from observatory import cli_common, evolution, files
from observatory.snapshots import SnapshotError
from observatory.store import db, live
from observatory.store import snapshots as store_snapshots

CURRENT = "current"


def _open(args, read_only: bool):
    from observatory.cli import _open_read_only, existing_db  # shared with the main CLI

    if read_only:
        return _open_read_only(args)
    con = db.connect(existing_db(args))
    db.migrate(con)
    return con


def _bundle(con, ref: str):
    """A snapshot by id, or the live data for 'current'."""
    if ref == CURRENT:
        return live.bundle(con, label="Aujourd'hui", created_by="")
    try:
        return store_snapshots.read(con, int(ref))
    except ValueError as exc:
        raise SnapshotError(f"« {ref} » n'est ni un numéro d'instantané ni « current ».") from exc


def cmd_create(args) -> int:
    con = _open(args, read_only=False)
    try:
        bundle = live.bundle(con, label=args.label, created_by=cli_common.actor(args))
        with db.transaction(con):
            new_id = store_snapshots.create(con, bundle)
    finally:
        con.close()
    print(f"Instantané {new_id} « {args.label} » créé ({len(bundle.places)} lieux).")
    return 0


def cmd_list(args) -> int:
    con = _open(args, read_only=True)
    try:
        catalogue = store_snapshots.catalogue(con)
    finally:
        con.close()
    records = [{"id": int(r.id), "label": r.label, "created_at": r.created_at.isoformat(),
                "created_by": r.created_by, "places": int(r.places),
                "mature": None if r.mature is None else int(r.mature), "checksum": r.checksum}
               for r in catalogue.itertuples()]
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
    elif not records:
        print("Aucun instantané. Créez-en un : observatory snapshot create --label \"Bilan 2026\"")
    for r in records if not args.json else []:
        print(f"{r['id']:>4}  {r['created_at'][:16]}  {r['label']}  ({r['places']} lieux, "
              f"{r['mature']} matures, par {r['created_by']})")
    return 0


def cmd_diff(args) -> int:
    con = _open(args, read_only=True)
    try:
        change = evolution.compare(_bundle(con, args.before), _bundle(con, args.after))
    finally:
        con.close()
    if args.json:
        print(json.dumps({name: json.loads(frame.to_json(orient="records", force_ascii=False))
                          for name, frame in change.tables().items()},
                         ensure_ascii=False, indent=2))
        return 0
    print("\n".join(evolution.summary_lines(change)))
    return 0


def cmd_delete(args) -> int:
    from observatory.cli import CliError

    if not args.yes:
        raise CliError("Suppression définitive : confirmez avec --yes.")
    con = _open(args, read_only=False)
    try:
        with db.transaction(con):
            store_snapshots.delete(con, args.id)
    finally:
        con.close()
    print(f"Instantané {args.id} supprimé.")
    return 0


def cmd_export(args) -> int:
    from observatory import exports

    files.check_target(args.out, args.force)  # before the work: said at once, not after it
    con = _open(args, read_only=True)
    try:
        bundle = _bundle(con, CURRENT if args.current else str(args.snapshot))
        previous = diff = None
        if args.format == "pdf":
            previous = _previous_snapshot(con, bundle, None if args.current else args.snapshot)
            diff = evolution.compare(previous, bundle) if previous is not None else None
    finally:
        con.close()
    data = exports.build(bundle, args.format, include_contacts=args.include_contacts,
                         previous=previous, diff=diff)
    # Never over an existing file without --force, never through a link, mode 0600.
    out = files.write_bytes(args.out, data, force=args.force)
    print(f"{exports.FORMATS[args.format].label} écrit : {out} ({len(data):,} octets)"
          .replace(",", " "))
    return 0


def _previous_snapshot(con, bundle, snapshot_id):
    """The snapshot taken just before this one (or the latest, for the live data)."""
    catalogue = store_snapshots.catalogue(con)
    if snapshot_id is not None:
        catalogue = catalogue[(catalogue["created_at"] < bundle.created_at)
                              | ((catalogue["created_at"] == bundle.created_at)
                                 & (catalogue["id"] < snapshot_id))]
    return store_snapshots.read(con, int(catalogue["id"].iloc[0])) if len(catalogue) else None


def register(sub, db_option) -> None:
    """Add the `snapshot` and `export` commands to the main parser."""
    snap = sub.add_parser("snapshot", help="instantanés datés de l'observatoire")
    snap_sub = snap.add_subparsers(dest="snapshot_command", required=True)

    p = snap_sub.add_parser("create", help="figer l'observatoire (lieux, scores, règle, consortiums…)")
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
    p.add_argument("--format", required=True,
                   choices=["pdf", "xlsx", "gpkg", "geojson", "csv", "html"])
    p.add_argument("--out", required=True, metavar="PATH",
                   help="fichier à écrire (mode 600 ; jamais à travers un lien symbolique)")
    p.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe")
    p.add_argument("--include-contacts", action="store_true",
                   help="inclure les contacts (données personnelles) : à éviter pour une diffusion")
    p.set_defaults(func=cmd_export)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("Utilisez la commande « observatory ».")
