"""The `observatory` command: each subcommand is parse → use case → print.

The use cases live in ``observatory.service`` (the pages call the same ones); this module
opens no store module itself. Every ``--json`` output follows a published JSON Schema
(``docs/schemas/<command>.json``, checked by ``tests/test_cli_schemas.py``), and the exit
codes are a contract (``docs/cli.md``): 0 done, 1 a French error (a file or the store could
not be read, an action refused), 2 validation refused (an import with errors, bad
arguments), 70 an internal error, printed with its traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import traceback

from observatory import (
    auth,
    bootstrap,
    catalogue,
    cli_data,
    cli_duplicates,
    cli_privacy,
    cli_reports,
    cli_routing,
    cli_territory,
    config,
    dburl,
    errors,
    files,
    formatting,
    partners,
    routing,
)
from observatory.cli_common import CliError, db_option, existing_db, session, settings_for
from observatory.model import CONSORTIUM_STATUSES
from observatory.service import core, proximity
from observatory.service import places as place_cases
from observatory.territory.config import load_territory_config

__all__ = ["CliError", "build_parser", "existing_db", "main"]


def _print_json(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def cmd_init(args) -> int:
    cfg = load_territory_config(config.territory_path(args.territory))
    report = bootstrap.init_database(config.db_path(args.db), cfg, with_demo=args.demo)
    for line in report.lines():
        print(line)
    print(f"Base prête : {dburl.shown(config.db_path(args.db))}")
    return errors.EXIT_OK


def cmd_serve(args) -> int:
    path = config.db_path(args.db)
    if dburl.is_postgres(path):
        if not core.database_exists(path):
            raise CliError(f"Schéma absent dans {dburl.shown(path)} : lancez d'abord "
                           "« observatory init » (jamais de démonstration sur un serveur).")
        target = str(path)
    else:
        if not path.exists():
            print(f"Base absente : création de {path} avec les données de démonstration…")
            cfg = load_territory_config(config.territory_path(args.territory))
            for line in bootstrap.init_database(path, cfg, with_demo=True).lines():
                print(line)
        target = str(path.resolve())
    env = dict(os.environ, OBSERVATORY_DB=target)
    command = [sys.executable, "-m", "streamlit", "run", str(config.SERVER_FILE),
               "--server.port", str(args.port), "--server.address", args.address]
    print(f"Observatoire sur http://{args.address}:{args.port}  (Ctrl+C pour arrêter)")
    return subprocess.call(command, cwd=config.PROJECT_ROOT, env=env)


def cmd_territory(args) -> int:
    with session(args, read_only=True) as con:
        summary = place_cases.territory_summary(con)
    if args.json:
        _print_json(summary)
        return errors.EXIT_OK
    print(f"{summary['name']} : {summary['perimeter']['communes']} communes, "
          f"{formatting.integer(summary['perimeter']['population'])} habitants")
    for e in summary["epci"]:
        where = "périmètre" if e["in_perimeter"] else "hors périmètre"
        zone = f" ({summary['excluded_zone']['label']})" if e["in_excluded_zone"] else ""
        print(f"  {e['siren']}  {e['name']}{zone} : {e['communes']} communes, "
              f"{formatting.integer(e['population'])} hab. [{where}]")
    return errors.EXIT_OK


def cmd_places(args) -> int:
    with session(args, read_only=True) as con:
        current = core.current_places(con)
    if args.mature:
        current = current[current["mature"]]
    if args.epci:
        current = current[current["epci_siren"] == args.epci]
    records = catalogue.to_records(current)
    if args.json:
        _print_json(records)
        return errors.EXIT_OK
    for r in records:
        mark = "★" if r["mature"] else " "
        details = ", ".join(str(v) for v in (r["typology"], r["opening_year"])
                            if not formatting.is_blank(v))
        mean = ("pas encore évalué" if formatting.is_missing(r["mean_score"])
                else f"moyenne {formatting.score(r['mean_score'])}")
        print(f"{r['id']:>5} {mark} {r['name']} — {r['commune']}"
              + (f" ({details})" if details else "") + f" {mean}")
    mature = sum(bool(r["mature"]) for r in records)
    print(f"{formatting.count(len(records), 'lieu', 'lieux')}, dont "
          f"{formatting.count(mature, 'mature')}.")
    return errors.EXIT_OK


def _distance_settings(args):
    """The settings of this command: --db, and --circuity/--speed over the estimate's."""
    return proximity.with_distance(settings_for(args), circuity=args.circuity,
                                   speed_kmh=args.speed)


def cmd_partners(args) -> int:
    settings = _distance_settings(args)
    with session(args, read_only=True) as con:
        found = proximity.partners_for(con, settings, args.place, max_minutes=args.max_minutes,
                                       max_km=args.max_km, call_year=args.call_year)
    records = found.records(top=args.top)
    if args.json:
        _print_json({"place_id": found.place_id, "call_year": found.call_year,
                     "max_minutes": found.max_minutes, "max_km": found.max_km,
                     "distance_method": found.distance_method,
                     "distance_is_estimate": found.is_estimate, "partners": records})
        return errors.EXIT_OK
    print(found.distance_method)
    if found.fallback_note():
        print(found.fallback_note())
    for k, r in enumerate(records, start=1):
        print(f"{k:>3}. {r['name']} ({r['commune']}) score {formatting.integer(r['score'])} — "
              f"{r['why']}")
    if not records:
        print("Aucun partenaire à portée : augmentez --max-minutes (ou --max-km).")
    return errors.EXIT_OK


def cmd_network(args) -> int:
    settings = _distance_settings(args)
    with session(args, read_only=True) as con:
        proposal = proximity.network(con, settings, max_minutes=args.max_minutes,
                                     max_size=args.max_size, with_fabriques=args.fabriques)
    result = proposal.to_dict()
    if args.json:
        _print_json(result)
        return errors.EXIT_OK
    print(proposal.distance_method)
    if proposal.fallback_note():
        print(proposal.fallback_note())
    flagged = proposal.estimated_links()
    for g in result["consortia_proposed"]:
        trips = [routing.flag(formatting.minutes(m["minutes"]), (g["head_id"], m["id"]) in flagged)
                 for m in g["members"]]
        print(f"{g['head']} : " + ", ".join(f"{m['name']} ({trip})"
                                            for m, trip in zip(g["members"], trips, strict=True)))
    print(f"{result['consortia']} consortiums, {result['members']} lieux rattachés, trajet total "
          f"{formatting.plain_minutes(result['total_minutes'])}, le plus long "
          f"{formatting.plain_minutes(result['worst_minutes'])} ({result['unassigned']} sans "
          "tête de réseau à portée).")
    return errors.EXIT_OK


def cmd_consortia(args) -> int:
    with session(args, read_only=True) as con:
        listing = proximity.consortia(con)
    if args.json:
        _print_json(listing)
        return errors.EXIT_OK
    records = listing["consortia"]
    for r in records:
        print(f"{r['id']:>4} {r['name']} — appel {r['call_year']}, "
              f"{CONSORTIUM_STATUSES[r['status']]}, {len(r['members'])} lieux")
    print(f"{len(records)} consortium(s), dont {listing['formed']} constitué(s).")
    return errors.EXIT_OK


def cmd_indicators(args) -> int:
    with session(args, read_only=True) as con:
        figures = proximity.indicators(con)
    if args.json:
        _print_json(figures)
        return errors.EXIT_OK
    for key, label in proximity.INDICATOR_LABELS.items():
        value = figures[key]
        years = ", ".join(f"{y} : {n}" for y, n in value["by_call_year"].items()) or "—"
        print(f"{label} : {value['total']} (par appel : {years})")
    return errors.EXIT_OK


def cmd_coverage(args) -> int:
    settings = _distance_settings(args)
    with session(args, read_only=True) as con:
        result = proximity.coverage_report(con, settings, minutes=args.minutes, km=args.km,
                                           mature=args.mature, suggest=args.suggest,
                                           france_services=args.france_services)
    if args.json:
        _print_json(result)
        return errors.EXIT_OK
    print(result["summary"])
    print(result["distance_method"])
    if not result["distance_is_estimate"] and result["travel_estimated_communes"]:
        print(routing.fallback_note(result["travel_estimated_communes"],
                                    "commune au trajet estimé", "communes au trajet estimé"))
    names = {row["insee"]: row for row in result["communes"]}
    far = [names[i] for i in result["zones_blanches"][:10]]
    if far:
        print("Communes les plus éloignées : " + ", ".join(
            f"{r['name']} ({formatting.integer(r['population'])} hab.)" for r in far))
    for pick in result.get("suggestions") or []:
        print(f"  suggestion {pick['rank']} : {pick['name']} ajouterait "
              f"{formatting.integer(pick['population_added'])} habitants couverts")
    if result.get("suggestions_note"):
        print(result["suggestions_note"])
    return errors.EXIT_OK


def _estimate_options(parser: argparse.ArgumentParser) -> None:
    """--circuity and --speed: overrides of the settings' estimate (OBSERVATORY_CIRCUITY,
    OBSERVATORY_SPEED_KMH), which is the default."""
    parser.add_argument("--circuity", type=float, default=None,
                        help="facteur de détour routier appliqué au vol d'oiseau "
                             "(défaut : $OBSERVATORY_CIRCUITY, sinon 1,3)")
    parser.add_argument("--speed", type=float, default=None,
                        help="vitesse moyenne en km/h (défaut : $OBSERVATORY_SPEED_KMH, sinon 55)")


def _distance_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-minutes", type=float, default=partners.DEFAULT_MAX_MINUTES,
                        help="temps de trajet maximal (minutes, défaut "
                             f"{formatting.number(partners.DEFAULT_MAX_MINUTES)})")
    _estimate_options(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="observatory", description="Observatoire des lieux de lien social.",
        epilog="Codes de sortie : 0 fait, 1 erreur (lecture, base, action refusée), "
               "2 validation refusée, 70 erreur interne (un défaut du programme).")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="créer ou mettre à niveau la base (idempotent)")
    db_option(p)
    p.add_argument("--demo", action="store_true", help="charger les 42 lieux de démonstration")
    p.add_argument("--territory", metavar="TOML", default=None,
                   help="fichier de territoire (défaut : $OBSERVATORY_TERRITORY ou le PETR de "
                        "l'Ariège)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="lancer l'application (crée la base de démonstration si "
                                     "absente)")
    db_option(p)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="localhost")
    p.add_argument("--territory", metavar="TOML", default=None)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("territory", help="le territoire : communes, EPCI, périmètre")
    db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_territory)

    p = sub.add_parser("places", help="les lieux avec leurs scores et leur maturité")
    db_option(p)
    p.add_argument("--mature", action="store_true", help="seulement les lieux matures")
    p.add_argument("--epci", metavar="SIREN", help="seulement les lieux de cet EPCI")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_places)

    p = sub.add_parser("partners", help="partenaires suggérés pour un lieu, classés et expliqués")
    db_option(p)
    p.add_argument("place", type=int, metavar="PLACE_ID")
    _distance_options(p)
    p.add_argument("--max-km", type=float, default=None, metavar="K",
                   help="distance maximale à vol d'oiseau (km)")
    p.add_argument("--call-year", type=int, default=None,
                   help="appel à projets pour l'éligibilité (défaut : $OBSERVATORY_CALL_YEAR, "
                        "sinon l'appel de cette année)")
    p.add_argument("--top", "--limit", dest="top", type=int, default=proximity.DEFAULT_TOP,
                   metavar="N", help=f"les N premiers (défaut {proximity.DEFAULT_TOP} ; "
                                     "--limit est un synonyme)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_partners)

    p = sub.add_parser("network", help="proposition de consortiums couvrant le réseau")
    db_option(p)
    _distance_options(p)
    p.add_argument("--max-size", type=int, default=proximity.DEFAULT_MAX_SIZE,
                   help="taille maximale (tête comprise)")
    p.add_argument("--fabriques", action="store_true",
                   help="proposer aussi les Fabriques de territoire comme têtes de réseau")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_network)

    p = sub.add_parser("consortia", help="les consortiums enregistrés et leur nombre par appel")
    db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_consortia)

    p = sub.add_parser("coverage", help="couverture : qui est loin d'un lieu (ou d'un lieu mature)")
    db_option(p)
    unit = p.add_mutually_exclusive_group()
    unit.add_argument("--minutes", type=float,
                      help="seuil en minutes de trajet (défaut "
                           f"{formatting.number(proximity.coverage_rules.DEFAULT_MINUTES)})")
    unit.add_argument("--km", type=float, help="seuil en kilomètres à vol d'oiseau")
    p.add_argument("--mature", action="store_true", help="distance au lieu mature le plus proche")
    p.add_argument("--suggest", type=int, default=0, metavar="K",
                   help="proposer K communes où un nouveau lieu couvrirait le plus d'habitants")
    p.add_argument("--france-services", action="store_true",
                   help="compter les France services comme points de service")
    _estimate_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser("indicators", help="les trois indicateurs de la mesure 7.1")
    db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_indicators)

    cli_reports.register(sub, db_option)
    auth.register_cli(sub, db_option)
    cli_data.register(sub, db_option)
    cli_territory.register(sub, db_option)
    cli_privacy.register(sub, db_option)
    cli_routing.register(sub, db_option)
    cli_duplicates.register(sub, db_option)
    return parser


def _stdout_closed() -> int:
    """The reader of our output went away (``… | head -1``): stop quietly, as Unix tools do.

    Later writes, including the interpreter's final flush, go to /dev/null; the exit code
    is the shell's for a process ended by SIGPIPE (128 + 13).
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (tests capture it): nothing left to silence
    return 141


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code.

    A French error (``ObservatoryError``) prints « Erreur : … » and exits 1 without a
    traceback; a file-system refusal (``OSError``) likewise, in French. Any other exception
    is a bug: a French line asking to report it, the traceback, and exit code 70.
    """
    args = build_parser().parse_args(argv)
    try:
        # New files private (0600): DuckDB's .wal, and everything serve's app process writes.
        with files.private_umask():
            code = args.func(args)
        sys.stdout.flush()  # a closed pipe surfaces here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except errors.ObservatoryError as exc:
        print(f"Erreur : {dburl.mask(str(exc))}", file=sys.stderr)
        return errors.EXIT_FAILED
    except OSError as exc:  # the file system said no: full disk, read-only folder…
        print(f"Erreur : {errors.describe_os_error(exc)}", file=sys.stderr)
        return errors.EXIT_FAILED
    except Exception as exc:
        print(f"Erreur inattendue ({exc.__class__.__name__}) : c'est un défaut du programme, "
              "merci de le signaler avec le détail ci-dessous.", file=sys.stderr)
        # The database password must not reach a terminal or a log, even in a bug report.
        print(dburl.mask(traceback.format_exc()), file=sys.stderr, end="")
        return errors.EXIT_SOFTWARE


if __name__ == "__main__":
    sys.exit(main())
