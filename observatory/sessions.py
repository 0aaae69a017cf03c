"""Sessions that survive a reload, and single sign-on identities mapped to roles: pure rules.

An analyst who logs in gets a row in the database (``observatory.store.sessions``) and a
cookie that carries the row's random id, signed with the deployment's secret by itsdangerous
(the signing library Streamlit and Flask use). The cookie is only a pointer: whether the
session still counts is decided on the server at every rerun, from the row (ended by
« Se déconnecter »), the times (idle and absolute limits), the user's revocation time
(``observatory user logout NAME``) and a fingerprint of the account (its role and password
hash: removing, demoting or re-keying an account ends its sessions). A cookie that is forged,
tampered with, too old or points nowhere simply gives a reader, without any error.

No Streamlit and no SQL here: the page layer and the CLI call these functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE_NAME = "observatoire_session"
SECRET_ENV = "OBSERVATORY_SECRET"
MIN_SECRET_LENGTH = 32
_SALT = "observatoire.session.v1"
# Values copied from examples or typed by hand: refused whatever their length.
_KNOWN_SECRETS = ("changeme", "change-me", "secret", "password", "motdepasse",
                  "your-secret-key", "observatoire", "observatory", "cookie_secret",
                  "your-cookie-secret", "some-random-string", "a-random-string")
# A session's origin: the local login form, or the identity provider through st.login.
LOCAL, SSO = "local", "sso"

NO_SECRET = (f"L'application refuse de démarrer en mode protégé : aucun secret pour signer les "
             f"sessions. Définissez la variable {SECRET_ENV} (32 caractères aléatoires ou plus, "
             "par exemple la sortie de « python -c \"import secrets; "
             "print(secrets.token_urlsafe(48))\" »), ou « cookie_secret » dans la table [auth] "
             "de .streamlit/secrets.toml.")


def secret_problem(secret: str | None) -> str | None:
    """Why ``secret`` may not sign sessions (French, naming the variable), or None.

    The message never quotes the secret itself.
    """
    value = (secret or "").strip()
    if not value:
        return NO_SECRET
    if len(value) < MIN_SECRET_LENGTH:
        return (f"L'application refuse de démarrer en mode protégé : le secret des sessions "
                f"({SECRET_ENV} ou cookie_secret de [auth]) est trop court ({len(value)} "
                f"caractères, {MIN_SECRET_LENGTH} au moins). Tirez-en un au hasard : "
                "« python -c \"import secrets; print(secrets.token_urlsafe(48))\" ».")
    lowered = value.lower()
    if len(set(lowered)) <= 4 or any(word in lowered for word in _KNOWN_SECRETS):
        return (f"L'application refuse de démarrer en mode protégé : le secret des sessions "
                f"({SECRET_ENV} ou cookie_secret de [auth]) est une valeur d'exemple ou "
                "répétitive. Tirez-en un au hasard : "
                "« python -c \"import secrets; print(secrets.token_urlsafe(48))\" ».")
    return None


# ---- tokens ------------------------------------------------------------------------------------

def new_session_id() -> str:
    """A random session id (256 bits), the value the cookie carries."""
    return secrets.token_urlsafe(32)


def key_of(token: str) -> str:
    """What the database keeps of a session id or a ticket: its SHA-256 (a stolen copy of
    the table opens no session)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def sign(secret: str, session_id: str) -> str:
    """The cookie's value: ``session_id`` signed (HMAC-SHA1 by itsdangerous) and timestamped."""
    return _serializer(secret).dumps(session_id)


def unsign(secret: str, cookie: str | None, max_age: dt.timedelta) -> str | None:
    """The session id a cookie carries, or None when it is missing, forged, tampered with,
    signed with another secret or older than ``max_age``. Never raises."""
    if not cookie or not secret or not isinstance(cookie, str) or len(cookie) > 512:
        return None
    try:
        value = _serializer(secret).loads(cookie, max_age=max_age.total_seconds())
    except (BadData, ValueError, TypeError):
        return None
    return value if isinstance(value, str) and value else None


def fingerprint(role: str, password_hash: str = "") -> str:
    """A short digest of what an account is allowed: changes when its role or its password
    (hash) changes, so that such a change ends the account's open sessions."""
    return hashlib.sha256(f"{role}\0{password_hash}".encode()).hexdigest()[:32]


# ---- limits --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    """How long a session lasts: without a click (idle) and at most (absolute)."""

    idle: dt.timedelta = dt.timedelta(hours=8)
    absolute: dt.timedelta = dt.timedelta(days=7)

    @classmethod
    def from_settings(cls, settings) -> Limits:
        return cls(dt.timedelta(hours=settings.session_idle_hours),
                   dt.timedelta(days=settings.session_max_days))


@dataclass(frozen=True)
class Session:
    """A stored session, as the store returns it (times are naive UTC)."""

    user_name: str
    source: str
    fingerprint: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    ended_at: dt.datetime | None = None


def why_not_valid(session: Session | None, now: dt.datetime, limits: Limits, *,
                  revoked_at: dt.datetime | None = None,
                  current_fingerprint: str | None = None) -> str | None:
    """Why ``session`` no longer counts (a short English reason for the server log), or None.

    ``current_fingerprint`` is the account's today (None: the account is gone).
    """
    if session is None:
        return "unknown session"
    if session.ended_at is not None:
        return "logged out"
    if now - session.created_at > limits.absolute:
        return "older than the absolute limit"
    if now - session.last_seen_at > limits.idle:
        return "idle for too long"
    if revoked_at is not None and session.created_at <= revoked_at:
        return "revoked by an administrator"
    if current_fingerprint is None:
        return "account removed"
    if current_fingerprint != session.fingerprint:
        return "account changed (role or password)"
    return None


# Writing the last activity at every click would make every rerun a write: once a minute is
# precise enough for an idle limit counted in hours.
TOUCH_EVERY = dt.timedelta(minutes=1)


def needs_touch(session: Session, now: dt.datetime) -> bool:
    return now - session.last_seen_at >= TOUCH_EVERY


# ---- single sign-on -----------------------------------------------------------------------------

READER_ROLE, ANALYST_ROLE = "reader", "analyst"
UNKNOWN_CHOICES = ("reader", "refuse")


class SsoConfigError(ValueError):
    """The ``[sso]`` table of the accounts file cannot be used (French message)."""


@dataclass(frozen=True)
class SsoRules:
    """Who is an analyst among the identities the provider vouches for.

    From the ``[sso]`` table of the accounts file::

        [sso]
        analysts = ["claire@petr-ariege.fr"]          # e-mail addresses
        analyst_groups = ["observatoire-analystes"]   # values of the groups claim
        readers = []                                  # known readers (when unknown = "refuse")
        reader_groups = []
        groups_claim = "groups"                       # the claim holding the groups
        unknown = "reader"                            # or "refuse"
    """

    analysts: frozenset[str] = frozenset()
    analyst_groups: frozenset[str] = frozenset()
    readers: frozenset[str] = frozenset()
    reader_groups: frozenset[str] = frozenset()
    groups_claim: str = "groups"
    unknown: str = "reader"
    # What « Se connecter avec … » calls each provider of [auth] (``labels = { keycloak = "…" }``).
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)


def _strings(table: Mapping, key: str, lower: bool) -> frozenset[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SsoConfigError(f"[sso] {key} doit être une liste de textes, "
                             f"par exemple {key} = [\"…\"].")
    return frozenset(v.strip().lower() if lower else v.strip() for v in value if v.strip())


def read_sso_rules(table: Mapping | None) -> SsoRules:
    """The rules of an ``[sso]`` table (None or empty: every identity is a reader)."""
    table = table or {}
    if not isinstance(table, Mapping):
        raise SsoConfigError("[sso] doit être une table.")
    unknown = str(table.get("unknown", "reader")).strip().lower()
    if unknown not in UNKNOWN_CHOICES:
        raise SsoConfigError(f"[sso] unknown vaut « {unknown[:40]} » : attendu "
                             "« reader » (lecteur) ou « refuse » (refusé).")
    claim = table.get("groups_claim", "groups")
    if not isinstance(claim, str) or not claim.strip():
        raise SsoConfigError("[sso] groups_claim doit nommer une revendication, "
                             "par exemple « groups ».")
    labels = table.get("labels", {})
    if not isinstance(labels, Mapping) or not all(isinstance(v, str) for v in labels.values()):
        raise SsoConfigError("[sso] labels doit être une table de textes, par exemple "
                             "labels = { keycloak = \"Compte du Département\" }.")
    return SsoRules(labels={str(k): v.strip() for k, v in labels.items()},
                    analysts=_strings(table, "analysts", True),
                    analyst_groups=_strings(table, "analyst_groups", False),
                    readers=_strings(table, "readers", True),
                    reader_groups=_strings(table, "reader_groups", False),
                    groups_claim=claim.strip(), unknown=unknown)


def _groups(claims: Mapping, claim: str) -> set[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return {value}
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        return {str(v) for v in value}
    return set()


def identity_name(claims: Mapping) -> str:
    """The name an identity is known by here: its e-mail (lowercase), else its subject."""
    email = claims.get("email")
    if isinstance(email, str) and email.strip():
        return email.strip().lower()
    return str(claims.get("sub") or "").strip()


def sso_role(claims: Mapping, rules: SsoRules) -> str | None:
    """The role of an identity vouched for by the provider, or None when it is refused.

    An e-mail counts only when the provider says it is verified (a claim ``email_verified``
    that is false is not trusted; an absent claim is, as Entra ID omits it).
    """
    email = identity_name(claims) if claims.get("email_verified", True) is not False else ""
    groups = _groups(claims, rules.groups_claim)
    if email in rules.analysts or groups & rules.analyst_groups:
        return ANALYST_ROLE
    if email in rules.readers or groups & rules.reader_groups or rules.unknown == "reader":
        return READER_ROLE
    return None


def issued_at(claims: Mapping) -> dt.datetime | None:
    """When the provider issued the identity (its ``iat`` claim), naive UTC; None if absent."""
    value = claims.get("iat")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return dt.datetime.fromtimestamp(value, dt.timezone.utc).replace(tzinfo=None)


# ---- the one-time ticket that sets the cookie ------------------------------------------------
# The login happens on Streamlit's WebSocket, which cannot set an HttpOnly cookie: the page
# then loads ``/session/ouvrir?ticket=…`` (st.iframe) whose HTTP response sets it. The ticket
# carries the session id, signed, valid TICKET_MAX_AGE, and is used up on first use (the store
# keeps its digest), so a copy in a proxy's log is worth nothing.
_TICKET_SALT = "observatoire.ticket.v1"
TICKET_MAX_AGE = dt.timedelta(minutes=2)


def sign_ticket(secret: str, session_id: str) -> str:
    return URLSafeTimedSerializer(secret, salt=_TICKET_SALT).dumps(session_id)


def unsign_ticket(secret: str, ticket: str | None) -> str | None:
    if not ticket or not secret or len(ticket) > 512:
        return None
    try:
        value = URLSafeTimedSerializer(secret, salt=_TICKET_SALT).loads(
            ticket, max_age=TICKET_MAX_AGE.total_seconds())
    except (BadData, ValueError, TypeError):
        return None
    return value if isinstance(value, str) and value else None
