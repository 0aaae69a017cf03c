"""The `observatory` command: as thin as a page, over the same functions."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from observatory import bootstrap, catalogue, config
from observatory.store import StoreError, db, places, rules, territory
from observatory.territory import load
from observatory.territory.config import TerritoryConfigError, load_territory_config


class CliError(RuntimeError):
    """A French message for the user; exit code 1."""


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", default=None,
                        help="fichier DuckDB (défaut : $OBSERVATORY_DB, sinon data/observatory.duckdb)")


def _open_read_only(args):
    path = config.db_path(args.db)
    if not path.exists():
        raise CliError(f"Base introuvable : {path}. Créez-la avec « observatory init --demo ».")
    con = db.connect(path, read_only=True)
    if db.schema_version(con) < max(v for v, _, _ in db.migrations()):
        con.close()
        raise CliError(f"La base {path} est d'un schéma ancien : lancez « observatory init ».")
    return con


def cmd_init(args) -> int:
    cfg = load_territory_config(config.territory_path(args.territory))
    report = bootstrap.init_database(config.db_path(args.db), cfg, with_demo=args.demo)
    for line in report.lines():
        print(line)
    print(f"Base prête : {config.db_path(args.db)}")
    return 0


def cmd_serve(args) -> int:
    path = config.db_path(args.db)
    if not path.exists():
        print(f"Base absente : création de {path} avec les données de démonstration…")
        cfg = load_territory_config(config.territory_path(args.territory))
        for line in bootstrap.init_database(path, cfg, with_demo=True).lines():
            print(line)
    env = dict(os.environ, OBSERVATORY_DB=str(path.resolve()))
    command = [sys.executable, "-m", "streamlit", "run", str(config.APP_FILE),
               "--server.port", str(args.port), "--server.address", args.address]
    print(f"Observatoire sur http://{args.address}:{args.port}  (Ctrl+C pour arrêter)")
    return subprocess.call(command, cwd=config.PROJECT_ROOT, env=env)


def cmd_territory(args) -> int:
    con = _open_read_only(args)
    try:
        summary = load.summary(territory.communes(con), territory.epci(con), territory.meta(con))
    finally:
        con.close()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    print(f"{summary['name']} : {summary['perimeter']['communes']} communes, "
          f"{summary['perimeter']['population']:,} habitants".replace(",", " "))
    for e in summary["epci"]:
        where = "périmètre" if e["in_perimeter"] else "hors périmètre"
        zone = f" ({summary['excluded_zone']['label']})" if e["in_excluded_zone"] else ""
        print(f"  {e['siren']}  {e['name']}{zone} : {e['communes']} communes, "
              f"{e['population']} hab. [{where}]")
    return 0


def cmd_places(args) -> int:
    con = _open_read_only(args)
    try:
        current = catalogue.annotate(places.current(con), rules.current(con))
    finally:
        con.close()
    if args.mature:
        current = current[current["mature"]]
    if args.epci:
        current = current[current["epci_siren"] == args.epci]
    records = catalogue.to_records(current)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    for r in records:
        mark = "★" if r["mature"] else " "
        print(f"{r['id']:>5} {mark} {r['name']} — {r['commune']} ({r['typology']}, "
              f"{r['opening_year']}) moyenne {r['mean_score']}")
    print(f"{len(records)} lieu(x), dont {sum(r['mature'] for r in records)} mature(s).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="observatory", description="Observatoire des lieux de lien social.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="créer ou mettre à niveau la base (idempotent)")
    _db_option(p)
    p.add_argument("--demo", action="store_true", help="charger les 42 lieux de démonstration")
    p.add_argument("--territory", metavar="TOML", default=None,
                   help="fichier de territoire (défaut : $OBSERVATORY_TERRITORY ou le PETR de l'Ariège)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="lancer l'application (crée la base de démonstration si absente)")
    _db_option(p)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="localhost")
    p.add_argument("--territory", metavar="TOML", default=None)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("territory", help="le territoire : communes, EPCI, périmètre")
    _db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_territory)

    p = sub.add_parser("places", help="les lieux avec leurs scores et leur maturité")
    _db_option(p)
    p.add_argument("--mature", action="store_true", help="seulement les lieux matures")
    p.add_argument("--epci", metavar="SIREN", help="seulement les lieux de cet EPCI")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_places)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CliError, StoreError, TerritoryConfigError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
