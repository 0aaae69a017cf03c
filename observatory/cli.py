"""The `observatory` command: as thin as a page, over the same functions."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
import sys

from datetime import date

from observatory import (auth, bootstrap, catalogue, cli_data, cli_privacy, cli_reports, cli_territory, config, coverage, eligibility,
                         errors, files, indicators, partners)
from observatory import consortia as consortia_rules
from observatory.distances import EstimatedRoad
from observatory.eligibility import CALL_YEARS
from observatory.model import CONSORTIUM_STATUSES
from observatory.errors import ObservatoryError
from observatory.store import db, live, places, rules, territory
from observatory.store import consortia as store_consortia
from observatory.territory import load
from observatory.territory.config import load_territory_config


class CliError(ObservatoryError, RuntimeError):
    """A French message for the user; exit code 1."""


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", default=None,
                        help="fichier DuckDB (défaut : $OBSERVATORY_DB, sinon data/observatory.duckdb)")


def existing_db(args) -> Path:
    """The database named by --db / $OBSERVATORY_DB; a French error when it does not exist."""
    path = config.db_path(args.db)
    if not path.exists():
        raise CliError(f"Base introuvable : {path}. Créez-la avec « observatory init --demo ».")
    return path


def _open_read_only(args):
    path = existing_db(args)
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
        current = _current_places(con)
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


def _current_places(con):
    return catalogue.annotate(places.current(con), rules.current(con))


def _provider(args) -> EstimatedRoad:
    with refused_parameters():
        return EstimatedRoad(circuity=args.circuity, speed_kmh=args.speed)


@contextmanager
def refused_parameters():
    """The domain functions refuse a bad parameter (a size, a threshold…) with a French
    ValueError: around their calls, and only there, it is the user's error. A ValueError
    anywhere else is a bug and keeps its traceback."""
    try:
        yield
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def cmd_partners(args) -> int:
    con = _open_read_only(args)
    try:
        current = _current_places(con)
    finally:
        con.close()
    if args.place not in set(current["id"]):
        raise CliError(f"Lieu {args.place} introuvable (voir « observatory places »).")
    with refused_parameters():
        ranked = partners.suggest(current, args.place, provider=_provider(args),
                                  max_minutes=args.max_minutes)
    ranked["problems"] = eligibility.member_problems(ranked, args.call_year)
    records = [{
        "id": int(r["id"]), "name": r["name"], "commune": r["commune"],
        "score": round(float(r["score"]), 1), "minutes": round(float(r["minutes"]), 1),
        "road_km": round(float(r["road_km"]), 1), "straight_km": round(float(r["straight_km"]), 2),
        "terms": {n: round(float(r[f"t_{n}"]), 3) for n in partners.TERM_LABELS},
        "mature": bool(r["mature"]), "can_carry": not r["problems"], "problems": r["problems"],
        "why": r["why"]} for r in ranked.head(args.limit).to_dict(orient="records")]
    if args.json:
        print(json.dumps({"place_id": args.place, "distance_method": _provider(args).label,
                          "partners": records}, ensure_ascii=False, indent=2))
        return 0
    print(_provider(args).label)
    for k, r in enumerate(records, start=1):
        print(f"{k:>3}. {r['name']} ({r['commune']}) score {r['score']:.0f} — {r['why']}")
    return 0


def cmd_network(args) -> int:
    con = _open_read_only(args)
    try:
        current = _current_places(con)
    finally:
        con.close()
    with refused_parameters():
        proposal = partners.propose_network(current, provider=_provider(args),
                                            max_minutes=args.max_minutes, max_size=args.max_size)
    names = dict(zip(current["id"], current["name"]))
    groups = [{"head_id": int(h), "head": names[h],
               "members": [{"id": int(m.member_id), "name": names[m.member_id],
                            "minutes": round(float(m.minutes), 1)} for m in g.itertuples()]}
              for h, g in proposal.links.groupby("head_id")]
    result = {**proposal.summary(), "distance_method": _provider(args).label,
              "consortia_proposed": groups, "unassigned_ids": proposal.unassigned}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    for g in groups:
        print(f"{g['head']} : " + ", ".join(f"{m['name']} ({m['minutes']:.0f} min)"
                                            for m in g["members"]))
    print(f"{result['consortia']} consortiums, {result['members']} lieux rattachés, trajet total "
          f"{result['total_minutes']:.0f} min, le plus long {result['worst_minutes']:.0f} min "
          f"({result['unassigned']} sans tête de réseau à portée).")
    return 0


def cmd_consortia(args) -> int:
    con = _open_read_only(args)
    try:
        saved = store_consortia.current(con)
    finally:
        con.close()
    records = [{"id": int(r["id"]), "name": r["name"], "call_year": int(r["call_year"]),
                "status": r["status"], "lead_place_id": int(r["lead_place_id"]),
                "member_ids": r["member_ids"], "version": int(r["version"])}
               for r in saved.to_dict(orient="records")]
    counts = consortia_rules.counts_by_year_and_status(saved)
    summary = {"formed": consortia_rules.formed_count(saved),
               "by_call_year_and_status": {
                   str(y): dict(zip(g["status"], g["consortia"].astype(int).tolist()))
                   for y, g in counts.groupby("call_year")}}
    if args.json:
        print(json.dumps({"consortia": records, **summary}, ensure_ascii=False, indent=2))
        return 0
    for r in records:
        print(f"{r['id']:>4} {r['name']} — appel {r['call_year']}, "
              f"{CONSORTIUM_STATUSES[r['status']]}, {len(r['member_ids'])} lieux")
    print(f"{len(records)} consortium(s), dont {summary['formed']} constitué(s).")
    return 0


def cmd_indicators(args) -> int:
    con = _open_read_only(args)
    try:
        figures = live.bundle(con, label="", created_by="").indicators
    finally:
        con.close()
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0
    for key, label in indicators.INDICATORS.items():
        value = figures[key]
        years = ", ".join(f"{y} : {n}" for y, n in value["by_call_year"].items()) or "—"
        print(f"{label} : {value['total']} (par appel : {years})")
    return 0


def cmd_coverage(args) -> int:
    con = _open_read_only(args)
    try:
        communes, current = territory.communes(con), _current_places(con)
    finally:
        con.close()
    provider = _provider(args)
    unit = {"threshold_km": args.km} if args.km is not None else {
        "threshold_minutes": args.minutes if args.minutes is not None else 20.0}
    with refused_parameters():
        access = coverage.nearest(communes, current, provider)
        suggestions = None
        if args.suggest:
            threshold = args.km if args.km is not None else unit["threshold_minutes"]
            suggestions = coverage.where_next(
                access, current, k=args.suggest, threshold=threshold, provider=provider,
                unit="km" if args.km is not None else "minutes", mature=args.mature)
        result = coverage.report(access, mature=args.mature, suggestions=suggestions,
                                 provider=provider, **unit)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(result["summary"])
    names = {row["insee"]: row for row in result["communes"]}
    far = [names[i] for i in result["zones_blanches"][:10]]
    if far:
        print("Communes les plus éloignées : " + ", ".join(
            f"{r['name']} ({r['population']} hab.)" for r in far))
    for pick in result.get("suggestions") or []:
        print(f"  suggestion {pick['rank']} : {pick['name']} ajouterait "
              f"{pick['population_added']} habitants couverts")
    return 0


def _distance_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-minutes", type=float, default=partners.DEFAULT_MAX_MINUTES,
                        help="temps de trajet maximal estimé (minutes)")
    parser.add_argument("--circuity", type=float, default=EstimatedRoad().circuity,
                        help="facteur de détour routier appliqué au vol d'oiseau")
    parser.add_argument("--speed", type=float, default=EstimatedRoad().speed_kmh,
                        help="vitesse moyenne (km/h)")


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

    p = sub.add_parser("partners", help="partenaires suggérés pour un lieu, classés et expliqués")
    _db_option(p)
    p.add_argument("place", type=int, metavar="PLACE_ID")
    _distance_options(p)
    p.add_argument("--call-year", type=int, default=min(max(date.today().year, CALL_YEARS[0]),
                                                         CALL_YEARS[-1]))
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_partners)

    p = sub.add_parser("network", help="proposition de consortiums couvrant le réseau")
    _db_option(p)
    _distance_options(p)
    p.add_argument("--max-size", type=int, default=5, help="taille maximale (tête comprise)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_network)

    p = sub.add_parser("consortia", help="les consortiums enregistrés et leur nombre par appel")
    _db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_consortia)

    p = sub.add_parser("coverage", help="couverture : qui est loin d'un lieu (ou d'un lieu mature)")
    _db_option(p)
    unit = p.add_mutually_exclusive_group()
    unit.add_argument("--minutes", type=float, help="seuil en minutes de trajet estimées (défaut 20)")
    unit.add_argument("--km", type=float, help="seuil en kilomètres à vol d'oiseau")
    p.add_argument("--mature", action="store_true", help="distance au lieu mature le plus proche")
    p.add_argument("--suggest", type=int, default=0, metavar="K",
                   help="proposer K communes où un nouveau lieu couvrirait le plus d'habitants")
    p.add_argument("--circuity", type=float, default=EstimatedRoad().circuity)
    p.add_argument("--speed", type=float, default=EstimatedRoad().speed_kmh)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser("indicators", help="les trois indicateurs de la mesure 7.1")
    _db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_indicators)

    cli_reports.register(sub, _db_option)
    auth.register_cli(sub, _db_option)
    cli_data.register(sub, _db_option)
    cli_territory.register(sub, _db_option)
    cli_privacy.register(sub, _db_option)
    return parser


def _user_message(exc: Exception, args) -> str | None:
    """The French message for a problem the user can act on; None for a bug."""
    if errors.is_user_error(exc):
        return str(exc)
    if isinstance(exc, OSError):  # the file system said no: full disk, read-only folder…
        return errors.describe_os_error(exc)
    # A DuckDB failure we understand (a damaged block met while reading, a full disk).
    explained = db.explain(exc, config.db_path(args.db) if hasattr(args, "db") else None)
    return None if explained is None else str(explained)


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
    """Run one command. A user-facing problem prints « Erreur : … » and exits 1, without a
    traceback; anything else is a bug and keeps its traceback, after a French line."""
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
    except Exception as exc:
        message = _user_message(exc, args)
        if message is None:
            print(f"Erreur inattendue ({exc.__class__.__name__}) : c'est un défaut du "
                  "programme, merci de le signaler avec le détail ci-dessous.", file=sys.stderr)
            raise
        print(f"Erreur : {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
