"""Access: two roles, bcrypt-hashed accounts in a TOML file kept outside the repository.

No Streamlit here (the sidebar login lives in ``observatory.ui.auth``): these rules are shared
by the app and by ``observatory user …``.

The accounts file (path in ``$OBSERVATORY_USERS``) looks like::

    [users."alice"]
    role = "analyst"
    password_hash = "$2b$12$…"

Without ``$OBSERVATORY_USERS`` the observatory runs in demonstration mode: no login, every
visitor is an analyst (and the UI says so). With it, visitors are readers until an analyst logs
in, and a file that is missing, unreadable, without analyst, or holding an empty, plaintext or
well-known password refuses to serve: a deployed configuration has no default password.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import os
import re
import stat
import sys
import tempfile
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import bcrypt
from zxcvbn import zxcvbn

from observatory import sessions, settings
from observatory.errors import ObservatoryError, UserInputError

LOG = logging.getLogger("observatory.auth")

USERS_ENV = "OBSERVATORY_USERS"
DEMO, PROTECTED = "demo", "protected"
READER, ANALYST = "reader", "analyst"
ROLES = (READER, ANALYST)
ROLE_LABELS = {READER: "lecteur", ANALYST: "analyste"}

# What each role may do. Pages ask by action, never by role: a third role is a one-line change.
PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset({READER, ANALYST}),             # map, dashboard, pages without personal data
    "export_public": frozenset({READER, ANALYST}),    # exports without contacts
    "edit": frozenset({ANALYST}),                     # add, edit, archive places and evaluations
    "import": frozenset({ANALYST}),
    "snapshot": frozenset({ANALYST}),
    # maturity rule, weights, eligibility parameters
    "change_rule": frozenset({ANALYST}),
    "see_contacts": frozenset({ANALYST}),             # contacts and other personal data
    "export_contacts": frozenset({ANALYST}),
    "see_history": frozenset({ANALYST}),              # the audit trail holds old contact values too
    "restore": frozenset({ANALYST}),
}

# What a refusal says the visitor tried to do (French, after « Vous ne pouvez pas »).
ACTION_LABELS = {
    "view": "consulter l'observatoire",
    "export_public": "exporter les données",
    "edit": "modifier les données",
    "import": "importer des données",
    "snapshot": "figer ou supprimer un instantané",
    "change_rule": "changer la règle de maturité",
    "see_contacts": "voir les contacts",
    "export_contacts": "exporter les contacts (données personnelles)",
    "see_history": "voir l'historique des modifications",
    "restore": "rétablir une version précédente",
}

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; bcrypt>=5 raises beyond it instead of truncating
ROUNDS = 12              # about 0.25 s per check on a small server: slow enough to hurt guessing
FILE_MODE = 0o600

# Checked against every stored hash when the file is loaded (hashes made by other tools too).
# Each candidate costs one bcrypt check per user, so the list stays short; the CLI refuses these
# (and anything shorter than MIN_PASSWORD_LENGTH) before hashing.
DEFAULT_PASSWORDS = ("admin", "password", "changeme", "motdepasse", "123456", "azerty",
                     "observatoire", "observatory", "demo", "secret")

# zxcvbn's score (0 to 4) a new password must reach: 3 means about 10^8 guesses or more.
MIN_STRENGTH = 3
# Words an attacker of this observatory would try first, on top of zxcvbn's own lists.
CONTEXT_WORDS = ("observatoire", "observatory", "ariege", "ariège", "petr", "lien", "social",
                 "lieux", "tiers", "motdepasse", "azerty", "bonjour", "soleil", "foix", "pamiers")

_NAME = re.compile(r"^[\w.-]{1,64}$")
_BCRYPT_HASH = re.compile(r"^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$")
_HEADER = ("# Comptes de l'observatoire des lieux de lien social.\n"
           "# Géré par « observatory user add / remove » : "
           "les commentaires ne sont pas conservés.\n"
           "# Ne versionnez pas ce fichier ; gardez-le lisible par le seul compte du service.\n")


class AuthError(UserInputError):
    """A French message for the UI and the CLI (the CLI turns ValueError into exit code 1)."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


class PermissionDenied(ObservatoryError):
    """The acting user's role does not allow the action; nothing has been written."""

    def __init__(self, user: "User", action: str):
        self.user, self.action = user, action
        who = ROLE_LABELS.get(user.role, user.role or "sans rôle")
        super().__init__(
            f"Vous ne pouvez pas {ACTION_LABELS.get(action, action)} : action réservée aux "
            f"analystes (vous êtes {who}). Connectez-vous avec un compte analyste ; "
            "rien n'a été modifié.")


@dataclass(frozen=True)
class User:
    """An account: its name, its role and its bcrypt password hash."""

    name: str
    role: str
    password_hash: str = field(default="", repr=False, compare=False)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


DEMO_USER = User("démo", ANALYST)
ANONYMOUS = User("visiteur", READER)


# ---- modes and permissions -------------------------------------------------------------------

def users_path(env: Mapping[str, str] | None = None) -> Path | None:
    """The accounts file named by $OBSERVATORY_USERS, or None (demonstration mode)."""
    return settings.current(env).users


def auth_mode(env: Mapping[str, str] | None = None) -> str:
    """"demo" without $OBSERVATORY_USERS (no login, everyone an analyst), else "protected"."""
    return PROTECTED if users_path(env) is not None else DEMO


def can(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action``.

    An unknown role may do nothing, an unknown action is a bug.
    """
    try:
        allowed = PERMISSIONS[action]
    except KeyError:
        raise ValueError(f"Action inconnue : « {action} » "
                         f"(connues : {', '.join(PERMISSIONS)}).") from None
    return role in allowed


def require(user: User, action: str) -> User:
    """``user`` when their role allows ``action``; else PermissionDenied (French).

    Called by every use case that writes or exports personal data, before it opens a
    transaction: hiding a button is a courtesy, this is the check.
    """
    if not can(user.role, action):
        raise PermissionDenied(user, action)
    return user


# ---- passwords -------------------------------------------------------------------------------

def _encode(password: str) -> bytes:
    # The same accented password typed on two systems may arrive composed or decomposed.
    return unicodedata.normalize("NFC", password).encode("utf-8")


def _strength(password: str, name: str) -> dict:
    """The zxcvbn estimate of ``password``.

    The account name and the observatory's own words count as known guesses.
    """
    # zxcvbn's cost grows with the length; MAX_PASSWORD_BYTES bounds it (about 10 ms).
    return zxcvbn(password, user_inputs=[name, *CONTEXT_WORDS] if name else list(CONTEXT_WORDS))


def password_problem(password: str, name: str = "") -> str | None:
    """Why ``password`` may not be used (French), or None.

    Beyond the length, zxcvbn (offline: lists of the most common passwords, names, words,
    keyboard patterns, dates, sequences, l33t substitutions) must estimate it takes at least
    10^8 guesses (score 3 of 4): « 1234567890 », « Password123 », « Azerty123! » are refused.
    """
    if not password or not password.strip():
        return "Le mot de passe est vide."
    if len(password) < MIN_PASSWORD_LENGTH:
        return (f"Mot de passe trop court : {MIN_PASSWORD_LENGTH} caractères au moins "
                f"({len(password)} donnés).")
    if len(_encode(password)) > MAX_PASSWORD_BYTES:
        return f"Mot de passe trop long : {MAX_PASSWORD_BYTES} octets au plus (limite de bcrypt)."
    lowered = password.strip().lower()
    if lowered in DEFAULT_PASSWORDS or len(set(lowered)) <= 2:
        return ("Mot de passe trop évident (mot de passe par défaut ou répétitif) : "
                "choisissez-en un autre.")
    if len(name) >= 3 and name.lower() in lowered:
        return "Le mot de passe ne doit pas contenir le nom d'utilisateur."
    if _strength(password, name)["score"] < MIN_STRENGTH:
        return ("Mot de passe trop facile à deviner (mot de passe courant, mot du dictionnaire, "
                "suite de touches ou de chiffres, date…) : préférez une phrase de plusieurs mots "
                "sans lien entre eux, par exemple « lavande-Foix-vélo-2031 ».")
    return None


def hash_password(password: str, name: str = "") -> str:
    """A bcrypt hash of ``password``; AuthError (French) if it is too short, too long or obvious."""
    problem = password_problem(password, name)
    if problem:
        raise AuthError(problem)
    return bcrypt.hashpw(_encode(password), bcrypt.gensalt(ROUNDS)).decode("ascii")


@lru_cache(maxsize=8)
def _dummy_hash(cost: int) -> bytes:
    return bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(cost))


def _cost(password_hash: str) -> int | None:
    match = _BCRYPT_HASH.match(password_hash)
    return int(match.group(1)) if match else None


def verify(users: Mapping[str, User], name: str, password: str) -> User | None:
    """The user when ``password`` is theirs, else None.

    One bcrypt check runs whatever happens (unknown name, malformed hash, over-long password),
    against a dummy hash of the same cost, so the answer time does not tell which names exist.
    """
    user = users.get(name.strip()) if isinstance(name, str) else None
    costs = [c for c in (_cost(u.password_hash) for u in users.values()) if c]
    stored = user.password_hash.encode("ascii") if user and _cost(user.password_hash) else None
    candidate = _encode(password or "")
    if stored is None or len(candidate) > MAX_PASSWORD_BYTES:
        bcrypt.checkpw(candidate[:MAX_PASSWORD_BYTES], _dummy_hash(max(costs, default=ROUNDS)))
        return None
    return user if bcrypt.checkpw(candidate, stored) else None


# ---- the accounts file -----------------------------------------------------------------------

def read_users(path: str | os.PathLike) -> dict[str, User]:
    """The accounts as written, without judging them (see ``load_users`` for that)."""
    path = Path(path)
    if not path.exists():
        raise AuthError(
            f"Fichier des comptes introuvable : {path} (variable {USERS_ENV}). "
            "Créez un analyste avec "
            f"« observatory user add NOM --role analyst --users-file {path} ».")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthError(f"Fichier des comptes illisible : {path} "
                        f"({exc.__class__.__name__}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise AuthError(f"Fichier des comptes invalide (TOML) : {path} : {exc}.") from exc
    table = data.get("users", {})
    if not isinstance(table, dict):
        raise AuthError(f"Fichier des comptes invalide : {path} : « users » doit être une table.")
    users = {}
    for name, entry in table.items():
        if not isinstance(entry, dict):
            raise AuthError(f"Fichier des comptes invalide : [users.{name}] doit être une table.")
        users[name] = User(name, str(entry.get("role", "")),
                           str(entry.get("password_hash", "") or ""))
    return users


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AuthError(f"Fichier des comptes illisible : {path} "
                        f"({exc.__class__.__name__}).") from exc


def read_sso_rules(path: str | os.PathLike) -> sessions.SsoRules:
    """The ``[sso]`` table of the accounts file: which single sign-on identities are analysts
    (none without the table). SsoConfigError (French) when it cannot be used."""
    return sessions.read_sso_rules(_read_toml(Path(path)).get("sso"))


def _sso_table(path: Path) -> dict:
    """The ``[sso]`` table as written, kept when ``user add/remove`` rewrite the file."""
    if not path.exists():
        return {}
    table = _read_toml(path).get("sso")
    return table if isinstance(table, dict) else {}


def _obvious_candidates(name: str) -> list[str]:
    return sorted({"", *DEFAULT_PASSWORDS, name, name.lower(), name * 2})


def _matches(pair: tuple[str, str]) -> bool:
    candidate, password_hash = pair
    return bcrypt.checkpw(_encode(candidate)[:MAX_PASSWORD_BYTES], password_hash.encode("ascii"))


def check_users(users: Mapping[str, User], *, sso_analysts: bool = False) -> list[str]:
    """What forbids serving with these accounts, in French (empty list: fine).

    ``sso_analysts``: the ``[sso]`` table names analysts, so local accounts are optional.
    """
    if not users:
        return [] if sso_analysts else ["Aucun compte n'est défini."]
    problems, hashed = [], []
    for user in users.values():
        if not _NAME.match(user.name):
            problems.append(f"« {user.name} » : nom invalide "
                            "(lettres, chiffres, « . », « _ », « - »).")
        if user.role not in ROLES:
            problems.append(f"« {user.name} » : rôle « {user.role} » inconnu "
                            f"(attendu : {' ou '.join(ROLES)}).")
        if not user.password_hash.strip():
            problems.append(f"« {user.name} » : mot de passe vide.")
        elif _cost(user.password_hash) is None:
            problems.append(f"« {user.name} » : password_hash n'est pas un hachage bcrypt "
                            "(mot de passe en clair ?). Utilisez « observatory user add ».")
        else:
            hashed.append(user)
    if not sso_analysts and not any(u.role == ANALYST for u in users.values()):
        problems.append("Aucun analyste : personne ne pourrait modifier les données.")
    # One bcrypt check per (user, candidate); bcrypt releases the GIL, so two threads halve the
    # wait on a two-core server (about 1.5 s per user at cost 12, once per change of the file).
    pairs = [(u.name, (c, u.password_hash)) for u in hashed for c in _obvious_candidates(u.name)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_matches, [pair for _, pair in pairs]))
    obvious = {name for (name, _), hit in zip(pairs, results, strict=True) if hit}
    problems += [f"« {name} » : mot de passe par défaut ou trivial, changez-le "
                 "(« observatory user add NOM --replace »)." for name in sorted(obvious)]
    return problems


def load_users(path: str | os.PathLike) -> dict[str, User]:
    """The accounts, or AuthError listing every reason the file may not be served."""
    users = read_users(path)
    try:
        rules = read_sso_rules(path)
        sso_problems = []
    except sessions.SsoConfigError as exc:
        rules, sso_problems = sessions.SsoRules(), [str(exc)]
    problems = sso_problems + check_users(
        users, sso_analysts=bool(rules.analysts or rules.analyst_groups))
    if problems:
        raise AuthError(f"Comptes refusés ({path}) : " + " ".join(problems), problems)
    return users


def permissions_warning(path: str | os.PathLike) -> str | None:
    """A French warning when the accounts file can be read by other system users."""
    try:
        mode = stat.S_IMODE(Path(path).stat().st_mode)
    except OSError:
        return None
    if mode & 0o077:
        return (f"{path} est lisible par d'autres comptes (mode {mode:o}) : "
                f"faites « chmod 600 {path} ».")
    return None


def _toml_value(value) -> str:
    """A TOML value for the [sso] table's strings, lists of strings and tables of strings."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value if isinstance(value, (bool, int, float)) else str(value),
                      ensure_ascii=False)


def _render(users: Mapping[str, User], sso: Mapping | None = None) -> str:
    blocks = [_HEADER]
    if sso:
        blocks.append("[sso]\n" + "".join(f"{json.dumps(str(k), ensure_ascii=False)} = "
                                           f"{_toml_value(v)}\n" for k, v in sso.items()))
    for user in sorted(users.values(), key=lambda u: u.name):
        # json.dumps gives a valid TOML basic string (same escapes) for any name or hash.
        blocks.append(f"[users.{json.dumps(user.name, ensure_ascii=False)}]\n"
                      f"role = {json.dumps(user.role)}\n"
                      f"password_hash = {json.dumps(user.password_hash)}\n")
    return "\n".join(blocks)


def _write_atomically(path: Path, text: str) -> None:
    """Write through a 0600 temporary file in the same folder, then rename: never half a file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_user(path: str | os.PathLike, name: str, role: str, password: str, *,
              replace: bool = True) -> User:
    """Add (or, with ``replace``, update) an account; the password is checked and hashed."""
    path, name = Path(path), name.strip()
    if not _NAME.match(name):
        raise AuthError(f"Nom d'utilisateur invalide : « {name} » "
                        "(1 à 64 lettres, chiffres, « . », « _ », « - »).")
    if role not in ROLES:
        raise AuthError(f"Rôle inconnu : « {role} » (attendu : {' ou '.join(ROLES)}).")
    users = read_users(path) if path.exists() else {}
    if name in users and not replace:
        raise AuthError(f"L'utilisateur « {name} » existe déjà : ajoutez --replace pour changer "
                        "son rôle ou son mot de passe.")
    user = User(name, role, hash_password(password, name))
    _write_atomically(path, _render({**users, name: user}, _sso_table(path)))
    return user


def remove_user(path: str | os.PathLike, name: str) -> None:
    """Remove an account; refuses to remove the last analyst (the app would refuse to serve)."""
    path = Path(path)
    users = read_users(path)
    if name not in users:
        raise AuthError(f"Utilisateur inconnu : « {name} ».")
    rest = {n: u for n, u in users.items() if n != name}
    if users[name].role == ANALYST and not any(u.role == ANALYST for u in rest.values()):
        raise AuthError(f"« {name} » est le dernier analyste : "
                        "ajoutez-en un autre avant de le retirer.")
    _write_atomically(path, _render(rest, _sso_table(path)))


# ---- brute-force brake -----------------------------------------------------------------------
# The attempts themselves are kept in the database (``observatory.store.logins``), never in a
# Streamlit cache: any browser may ask the server to clear those.

MAX_FAILURES = 5                          # per account and client address within LOCK_WINDOW
LOCK_WINDOW = dt.timedelta(minutes=5)
# SLOW_AFTER failures on an account, from every client, in LOCK_WINDOW: then every attempt on it
# waits SLOW_DELAY_S, right or wrong.
SLOW_AFTER = 5
SLOW_DELAY_S = 3.0


def lock_wait_s(failures: Sequence[dt.datetime], now: dt.datetime, *,
                max_failures: int = MAX_FAILURES, window: dt.timedelta = LOCK_WINDOW) -> float:
    """Seconds before this client may try this account again (0: now).

    ``failures``: the client's failed attempts on the account since its last success. At most
    ``max_failures`` in any ``window``: a sliding window, so waiting for the lock to end gives
    one more try, not a fresh series. Keyed by client as well as by name, so a stranger's
    wrong guesses do not lock the account's owner out.
    """
    recent = sorted(t for t in failures if now - t < window)
    if len(recent) < max_failures:
        return 0.0
    return max(0.0, (recent[-max_failures] + window - now).total_seconds())


def slow_down_s(failures_from_anyone: int) -> float:
    """The wait before checking a password for an account under attack from many clients.

    It never refuses: the right password still logs in, a few seconds later.
    """
    return SLOW_DELAY_S if failures_from_anyone >= SLOW_AFTER else 0.0


def log_attempt(outcome: str, name: str, client: str) -> None:
    """The server log's line for a refused login (the administrator's « who tried what »)."""
    LOG.warning("login %s: name=%r client=%s", outcome, str(name)[:64], client or "local")


# ---- `observatory user …` --------------------------------------------------------------------

def _cli_path(args) -> Path:
    path = Path(args.users_file).expanduser() if args.users_file else users_path()
    if path is None:
        raise AuthError("Indiquez le fichier des comptes : --users-file CHEMIN "
                        f"ou la variable {USERS_ENV}.")
    return path


def _read_new_password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Mot de passe pour {args.name} : ")
    problem = password_problem(first, args.name)
    if problem:
        raise AuthError(problem)
    if getpass.getpass("Confirmez le mot de passe : ") != first:
        raise AuthError("Les deux mots de passe diffèrent : rien n'a été enregistré.")
    return first


def cmd_user_add(args) -> int:
    path = _cli_path(args)
    existed = path.exists() and args.name.strip() in read_users(path)
    if existed and not args.replace:  # say so before asking for a password
        raise AuthError(f"L'utilisateur « {args.name} » existe déjà : "
                        "ajoutez --replace pour changer son rôle ou son mot de passe.")
    user = save_user(path, args.name, args.role, _read_new_password(args), replace=args.replace)
    done = "Compte mis à jour" if existed else "Compte ajouté"
    print(f"{done} : {user.name} ({user.role_label}) dans {path}.")
    return 0


def cmd_user_list(args) -> int:
    path = _cli_path(args)
    users = read_users(path)
    if args.json:
        print(json.dumps([{"name": u.name, "role": u.role} for u in users.values()],
                         ensure_ascii=False))
    else:
        for user in sorted(users.values(), key=lambda u: u.name):
            print(f"{user.name}\t{user.role_label}")
        if not users:
            print("Aucun compte.")
    warning = permissions_warning(path)
    if warning:
        print(f"Attention : {warning}", file=sys.stderr)
    return 0


def cmd_user_remove(args) -> int:
    path = _cli_path(args)
    remove_user(path, args.name)
    print(f"Compte retiré : {args.name}.")
    return 0


def cmd_user_check(args) -> int:
    path = _cli_path(args)
    users = load_users(path)  # AuthError lists every problem
    analysts = sum(u.role == ANALYST for u in users.values())
    print(f"{path} : {len(users)} compte(s) dont {analysts} analyste(s), prêt pour un déploiement.")
    warning = permissions_warning(path)
    if warning:
        print(f"Attention : {warning}")
    return 0


def cmd_user_failures(args) -> int:
    """Refused logins of the last hours, newest first, read from the database."""
    from observatory import config
    from observatory.store import db, logins

    path = config.db_path(args.db)
    if not path.exists():
        raise AuthError(f"Base introuvable : {path} (option --db ou variable {config.DB_ENV}).")
    since = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=args.hours)
    with db.session(path, read_only=True) as con:
        if db.schema_version(con) < 7:
            raise AuthError(f"La base {path} est antérieure au journal des connexions : "
                            "lancez « observatory init » pour la mettre à jour.")
        rows = logins.recent(con, since, failures_only=not args.all, limit=args.limit)
    if args.json:
        print(json.dumps([{"at": r.attempted_at.isoformat(timespec="seconds") + "Z", "name": r.name,
                           "client": r.client, "outcome": r.outcome} for r in rows.itertuples()],
                         ensure_ascii=False))
        return 0
    labels = {"failed": "échec", "locked": "refusé (verrou)", "succeeded": "réussi"}
    for r in rows.itertuples():
        print(f"{r.attempted_at:%Y-%m-%d %H:%M:%S} UTC\t{r.name}\t{r.client or 'local'}\t"
              f"{labels.get(r.outcome, r.outcome)}")
    if rows.empty:
        print(f"Aucune connexion refusée depuis {args.hours} h.")
    else:
        failed = rows[rows["outcome"] == "failed"]
        by_name = failed.groupby("name").size().sort_values(ascending=False)
        summary = ", ".join(f"{name} : {count}" for name, count in by_name.items())
        print(f"{len(rows)} ligne(s) depuis {args.hours} h"
              + (f" ; échecs par nom : {summary}." if summary else "."))
    return 0


def cmd_user_logout(args) -> int:
    """End every session of an account or a single sign-on identity, at their next click."""
    from observatory.cli_common import settings_for
    from observatory.service import sessions as session_cases

    name = args.name.strip()
    if not name:
        raise AuthError("Indiquez le nom du compte (ou l'adresse de l'identité SSO).")
    ended = session_cases.revoke(settings_for(args), name)
    sessions_text = "aucune session ouverte" if ended == 0 else (
        "1 session fermée" if ended == 1 else f"{ended} sessions fermées")
    print(f"Sessions de {name} : {sessions_text} ; toute connexion antérieure est refusée "
          "dès son prochain clic (une identité SSO doit se reconnecter).")
    return 0


def register_cli(sub, db_option) -> None:
    """Add ``observatory user add|list|remove|check|failures`` to the main parser."""
    user = sub.add_parser("user", help="comptes des analystes et lecteurs (mode protégé)")
    user_sub = user.add_subparsers(dest="user_command", required=True)

    def users_file(p):
        p.add_argument("--users-file", metavar="PATH", default=None,
                       help=f"fichier TOML des comptes (défaut : ${USERS_ENV})")

    p = user_sub.add_parser("add", help="ajouter un compte (mot de passe demandé deux fois)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--role", choices=ROLES, required=True)
    users_file(p)
    p.add_argument("--password-stdin", action="store_true",
                   help="lire le mot de passe sur l'entrée standard (une ligne)")
    p.add_argument("--replace", action="store_true",
                   help="remplacer le rôle et le mot de passe d'un compte existant")
    p.set_defaults(func=cmd_user_add)

    p = user_sub.add_parser("list", help="les comptes et leur rôle")
    users_file(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_user_list)

    p = user_sub.add_parser("remove", help="retirer un compte")
    p.add_argument("name", metavar="NAME")
    users_file(p)
    p.set_defaults(func=cmd_user_remove)

    p = user_sub.add_parser("check", help="vérifier le fichier comme l'application le fera")
    users_file(p)
    p.set_defaults(func=cmd_user_check)

    p = user_sub.add_parser("logout",
                            help="fermer les sessions d'un compte ou d'une identité SSO, "
                                 "partout, dès leur prochain clic")
    p.add_argument("name", metavar="NAME", help="nom du compte, ou adresse e-mail (SSO)")
    db_option(p)
    p.set_defaults(func=cmd_user_logout)

    p = user_sub.add_parser("failures",
                            help="les connexions refusées récentes (nom, adresse, heure)")
    db_option(p)
    p.add_argument("--hours", type=int, default=24, help="période, en heures (défaut : 24)")
    p.add_argument("--limit", type=int, default=200, help="nombre de lignes au plus (défaut : 200)")
    p.add_argument("--all", action="store_true", help="montrer aussi les connexions réussies")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_user_failures)
