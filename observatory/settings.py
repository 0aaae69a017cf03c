"""Settings in one place: a typed, frozen ``Settings`` read from the environment.

Every front door (the Streamlit pages, the ``observatory`` CLI, the notebooks) asks
``current()`` for the settings instead of reading ``os.environ``; each setting has a help
text, and ``tests/test_settings.py`` checks that each one is documented in the README or
``docs/deployment.md``. A value that cannot be read is refused with a French message naming
the variable (``SettingsError``), never silently replaced by a default.

The distance provider is chosen here only (``provider()``): the rule modules take it as a
required argument, and every figure names ``provider().label``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path

from observatory import dburl
from observatory.distances import DEFAULT_CIRCUITY, DEFAULT_SPEED_KMH, EstimatedRoad, MatrixFile
from observatory.eligibility import CALL_YEARS
from observatory.errors import StoreError, UserInputError
from observatory.itinerance import CO2_KG_PER_KM as DEFAULT_CO2_KG_PER_KM

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DB = DATA_DIR / "observatory.duckdb"
DEFAULT_TERRITORY = DATA_DIR / "territory" / "territory.toml"

TILES_MODES = ("auto", "on", "off")
# « estimation »: crow-fly × circuity at an average speed; « matrice »: a CSV of road times
# (from_id, to_id, road_km, minutes) between places, the estimate filling the pairs it lacks;
# « osm »: the road network built in the database by `observatory routing build --osm FICHIER`.
DISTANCE_PROVIDERS = ("estimation", "matrice", "osm")
ROAD_GRAPH_HINT = "lancez « observatory routing build --osm FICHIER »"


class SettingsError(UserInputError):
    """An environment variable holds a value the observatory cannot use."""


def default_call_year(today: dt.date | None = None) -> int:
    """This year's call, or the nearest one of the measure (2023 before, 2028 after)."""
    year = (today or dt.date.today()).year
    return min(max(year, CALL_YEARS[0]), CALL_YEARS[-1])


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, the field it fills, how to read it, what it means."""

    env: str
    field: str
    help: str
    parse: Callable[[str], object]
    secret: bool = False  # never echoed: not in an error message, a repr or a log


def _path(text: str) -> Path:
    return Path(text).expanduser()


def _text(text: str) -> str:
    return text.strip()


def _db(text: str) -> Path | str:
    """A DuckDB file's path, or a ``postgresql://`` URL kept as text (Path would fold ``//``)."""
    if dburl.is_postgres(text):
        try:
            dburl.split(text)
        except dburl.DatabaseUrlError as exc:
            raise ValueError(str(exc)) from None
        return text.strip()
    return _path(text)


def _schema(text: str) -> str:
    try:
        return dburl.schema_name(text)
    except dburl.DatabaseUrlError as exc:
        raise ValueError(str(exc)) from None


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in options:
            raise ValueError("valeurs possibles : " + ", ".join(f"« {o} »" for o in options))
        return value
    return parse


def _bounded(kind: type, low: float, high: float, unit: str = "") -> Callable[[str], object]:
    def parse(text: str):
        try:
            value = kind(text.strip().replace(",", "."))
        except ValueError:
            raise ValueError("ce n'est pas un nombre" if kind is float
                             else "ce n'est pas un nombre entier") from None
        if not low <= value <= high:
            raise ValueError(f"attendu entre {low:g} et {high:g}{unit}".replace(".", ","))
        return value
    return parse


SETTINGS: tuple[Setting, ...] = (
    Setting("OBSERVATORY_DB", "db",
            "The DuckDB file, or a PostgreSQL URL `postgresql://user:password@host:port/base` "
            "for several app processes (every command also takes --db). Default: "
            "data/observatory.duckdb.", _db),
    Setting("OBSERVATORY_PG_SCHEMA", "pg_schema",
            "With a PostgreSQL URL: the territory's schema (one per territory in one server). "
            "Default: `territoire_` and the territory's SIREN (or `observatoire`).", _schema),
    Setting("OBSERVATORY_TERRITORY", "territory",
            "The territory TOML, read by `init` and by `serve`/the app when the database is "
            "missing. Default: data/territory/territory.toml (PETR de l'Ariège).", _path),
    Setting("OBSERVATORY_USERS", "users",
            "The accounts file (bcrypt hashes, and the `[sso]` table giving single sign-on "
            "identities their role); unset means demonstration mode.", _path),
    Setting("OBSERVATORY_SECRET", "secret",
            "The key that signs the analysts' session cookies (32 characters or more, random, "
            "e.g. `python -c \"import secrets; print(secrets.token_urlsafe(48))\"`); else "
            "`cookie_secret` of `[auth]` in .streamlit/secrets.toml. Required in protected mode; "
            "never printed. Default: unset.", _text, secret=True),
    Setting("OBSERVATORY_SESSION_IDLE_HOURS", "session_idle_hours",
            "An analyst's session ends after this many hours without any click, 0.25 to 720. "
            "Default: 8.", _bounded(float, 0.25, 720, " h")),
    Setting("OBSERVATORY_SESSION_MAX_DAYS", "session_max_days",
            "A session ends this many days after its login, whatever the activity, 0.1 to 90. "
            "Default: 7.", _bounded(float, 0.1, 90, " jours")),
    Setting("OBSERVATORY_TILES", "tiles",
            "Online map tiles: `auto` (when the tile server answers), `on`, `off`. Default: auto.",
            _choice(TILES_MODES)),
    Setting("OBSERVATORY_DISTANCE", "distance",
            "The distance provider: `estimation` (crow-fly × circuity at an average speed), "
            "`matrice` (road times from OBSERVATORY_DISTANCE_MATRIX) or `osm` (« réseau routier "
            "OSM »: shortest paths on the road graph stored by `observatory routing build`, "
            "see docs/routing.md). Default: estimation.",
            _choice(DISTANCE_PROVIDERS)),
    Setting("OBSERVATORY_DISTANCE_MATRIX", "distance_matrix",
            "CSV of road times between places (from_id,to_id,road_km,minutes), read when "
            "OBSERVATORY_DISTANCE=matrice; missing pairs use the estimate.", _path),
    Setting("OBSERVATORY_CIRCUITY", "circuity",
            "Detour factor of the estimate (road km / crow-fly km), 1 to 3. Default: 1.3.",
            _bounded(float, 1.0, 3.0)),
    Setting("OBSERVATORY_SPEED_KMH", "speed_kmh",
            "Average speed of the estimate, 5 to 130 km/h. Default: 55.",
            _bounded(float, 5, 130, " km/h")),
    Setting("OBSERVATORY_CO2_KG_PER_KM", "co2_kg_per_km",
            "Emission factor of a tour, kg CO2e per vehicle-km. Default: 0.218 (ADEME, "
            "average thermal car).", _bounded(float, 0, 5, " kg/km")),
    Setting("OBSERVATORY_CALL_YEAR", "call_year",
            "The call year proposed by default (forms, `observatory network`). Default: this "
            "year, within the measure's calls 2023–2028.",
            _bounded(int, CALL_YEARS[0], CALL_YEARS[-1])),
)


@dataclass(frozen=True)
class Settings:
    """What the environment says, typed; build with ``current()`` or ``from_env(env)``."""

    def __repr__(self) -> str:
        # Shown in tracebacks, logs and test reports: never the database password (nor the
        # session secret, which is left out of the fields shown).
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                          if f.repr)
        return f"Settings({dburl.mask(shown)})"

    db: Path | str = DEFAULT_DB
    pg_schema: str = ""
    territory: Path = DEFAULT_TERRITORY
    users: Path | None = None
    secret: str = field(default="", repr=False)
    session_idle_hours: float = 8.0
    session_max_days: float = 7.0
    tiles: str = "auto"
    distance: str = "estimation"
    distance_matrix: Path | None = None
    circuity: float = DEFAULT_CIRCUITY
    speed_kmh: float = DEFAULT_SPEED_KMH
    co2_kg_per_km: float = DEFAULT_CO2_KG_PER_KM
    call_year: int = 0  # 0: default_call_year(), computed in from_env

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from ``env`` (default: ``os.environ``); SettingsError if unusable."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for setting in SETTINGS:
            text = (env.get(setting.env) or "").strip()
            if not text:
                continue
            try:
                values[setting.field] = setting.parse(text)
            except ValueError as exc:
                shown = "une valeur secrète" if setting.secret else f"« {text} »"
                raise SettingsError(f"La variable d'environnement {setting.env} vaut {shown}, "
                                    f"valeur refusée : {exc}.") from None
        settings = cls(**values)
        settings = settings.with_db(settings.db)
        if not settings.call_year:
            settings = replace(settings, call_year=default_call_year())
        if settings.distance == "matrice" and settings.distance_matrix is None:
            raise SettingsError("OBSERVATORY_DISTANCE=matrice demande un fichier : indiquez-le "
                                "dans OBSERVATORY_DISTANCE_MATRIX.")
        return settings

    def with_db(self, path: str | os.PathLike | None) -> Settings:
        """These settings with another database (``--db PATH`` wins over the environment);
        a PostgreSQL URL carries the territory's schema (``?schema=``) from here on."""
        if not path:
            return self
        if not dburl.is_postgres(path):
            return replace(self, db=Path(path))
        if dburl.split(str(path))[1]:
            return replace(self, db=str(path))
        return replace(self, db=dburl.with_schema(str(path), self.schema()))

    def schema(self) -> str:
        """The territory's PostgreSQL schema: the setting, else derived from the territory."""
        if self.pg_schema:
            return self.pg_schema
        return dburl.default_schema(_territory_code(str(self.territory)))

    @property
    def is_postgres(self) -> bool:
        return dburl.is_postgres(self.db)

    def with_territory(self, path: str | os.PathLike | None) -> Settings:
        return self if not path else replace(self, territory=Path(path))

    def provider(self):
        """The distance provider these settings choose (the one every figure is computed with)."""
        estimate = EstimatedRoad(circuity=self.circuity, speed_kmh=self.speed_kmh)
        if self.distance == "matrice":
            return MatrixFile(_read_matrix(str(self.distance_matrix),
                                                     _mtime(self.distance_matrix)),
                                        fallback=estimate)
        if self.distance == "osm":
            return _road_network(str(self.db), _graph_stamp(str(self.db), _mtime(self.db)),
                                 self.circuity, self.speed_kmh)
        return estimate


@lru_cache(maxsize=8)
def _territory_code(path: str) -> str:
    """The territory's SIREN from its TOML ("" when unreadable: the schema falls back)."""
    import tomllib

    try:
        return str(tomllib.loads(Path(path).read_text(encoding="utf-8")).get("siren", ""))
    except (OSError, ValueError):
        return ""


def _mtime(path: Path | None) -> int:
    try:
        return os.stat(path).st_mtime_ns if path else 0
    except OSError:
        return 0


@lru_cache(maxsize=4)
def _read_matrix(path: str, mtime: int):
    """The matrix CSV, checked (re-read when the file changes)."""
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise SettingsError(f"La matrice de distances {path} (OBSERVATORY_DISTANCE_MATRIX) "
                            f"n'a pas pu être lue : {exc}") from None
    needed = ["from_id", "to_id", "road_km", "minutes"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise SettingsError(f"La matrice de distances {path} n'a pas les colonnes "
                            f"{', '.join(missing)} (attendu : {', '.join(needed)}).")
    table = table[needed]
    for column in needed:
        table[column] = pd.to_numeric(table[column], errors="coerce")
    bad = table.isna().any(axis=1) | (table["minutes"] < 0) | (table["road_km"] < 0)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2  # 1-based, after the header
        raise SettingsError(f"La matrice de distances {path}, ligne {row} : identifiants, "
                            "distance et durée doivent être des nombres positifs.")
    table[["from_id", "to_id"]] = table[["from_id", "to_id"]].astype(int)
    return table


def _read_store(path: str, read):
    """``read(con)`` on the database file, whatever mode this process already opened it in
    (DuckDB refuses a second connection of the other mode inside one process)."""
    from observatory.store import db

    if not Path(path).exists():
        raise SettingsError(f"OBSERVATORY_DISTANCE=osm : la base {path} n'existe pas. Créez-la "
                            f"(« observatory init »), puis {ROAD_GRAPH_HINT}.")
    try:
        with db.session(path, read_only=True) as con:
            return read(con)
    except StoreError:
        with db.session(path) as con:
            return read(con)


@lru_cache(maxsize=8)
def _graph_stamp(path: str, mtime: int) -> str:
    """When the stored road graph was built (re-read when the file changes)."""
    from observatory.store import routing

    meta = _read_store(path, routing.metadata)
    if meta is None:
        raise SettingsError("OBSERVATORY_DISTANCE=osm demande le réseau routier, que la base "
                            f"{path} ne contient pas encore : {ROAD_GRAPH_HINT}.")
    return str(meta["built_at"])


@lru_cache(maxsize=2)
def _road_network(path: str, stamp: str, circuity: float, speed_kmh: float):
    """The road network provider on the stored graph (built once per graph and estimate)."""
    from observatory.routing import RoadNetwork
    from observatory.store import routing

    graph = _read_store(path, routing.load)
    if graph is None:  # removed between the two reads
        raise SettingsError(f"La base {path} ne contient pas de réseau routier : "
                            f"{ROAD_GRAPH_HINT}.")
    return RoadNetwork(graph, fallback=EstimatedRoad(circuity=circuity, speed_kmh=speed_kmh))


def current(env: Mapping[str, str] | None = None) -> Settings:
    """The settings of this environment, read once per distinct environment."""
    env = os.environ if env is None else env
    return _cached(tuple((s.env, env.get(s.env, "")) for s in SETTINGS))


@lru_cache(maxsize=16)
def _cached(values: tuple[tuple[str, str], ...]) -> Settings:
    return Settings.from_env(dict(values))


def documentation() -> list[tuple[str, str]]:
    """(variable, help) for each setting: what the README and docs/deployment.md describe."""
    return [(s.env, s.help) for s in SETTINGS]


assert {s.field for s in SETTINGS} == {f.name for f in fields(Settings)}, "a setting lacks its env"
