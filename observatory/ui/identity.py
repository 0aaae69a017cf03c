"""Who this browser is, beyond the tab: the persistent session's cookie and the single
sign-on identity (issue 15). ``observatory.ui.auth`` asks; this module reads and remembers.

A login opens a row in the database and the sidebar then loads ``/session/ouvrir`` (a route
of ``asgi.py``, served by Streamlit's own server, ``observatory.ui.session_routes``) whose
HTTP answer sets the HttpOnly cookie. A new tab, a reload or a restarted server reads that
cookie (``st.context.cookies``, as sent with the WebSocket) and finds the session again; every
full run checks the row once (logged out elsewhere, idle, too old, revoked, account changed:
a reader). Single sign-on goes through ``st.login`` (Streamlit's OIDC client and its own
signed cookie); the identities get their role from the ``[sso]`` rules of the accounts file.
The rules themselves are pure, in ``observatory.sessions``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

import duckdb
import streamlit as st

from observatory import sessions, settings
from observatory.auth import LOG, User
from observatory.errors import ObservatoryError
from observatory.service import sessions as session_cases
from observatory.ui import fmt

SESSION_KEY = "_auth_user"         # the logged-in account's name (never its role)
SESSION_ID_KEY = "_auth_session"   # the persistent session's id (what the cookie carries)
TICKET_KEY = "_auth_ticket"        # the one-time ticket that sets the cookie, while it lives
CHECKED_KEY = "_auth_checked"      # the session id checked in this run (or FAILED)
CLEAR_COOKIE_KEY = "_auth_clear_cookie"
SSO_CHECKED_KEY = "_auth_sso_checked"
DEAD_KEY = "_auth_dead_sessions"   # ids found ended during this connection: not read again
FAILED = "store unavailable"
OPEN_ROUTE, CLOSE_ROUTE = "/session/ouvrir", "/session/fermer"
# Set by ``session_routes.routes()`` when asgi.py mounts the routes in this process. Under a
# bare `streamlit run app.py` they do not exist (the frame would load the whole app again):
# a login then lasts as long as its tab, as before.
ROUTES = {"mounted": False}
SSO_REFUSED = ("Votre identité ({name}) n'a pas accès à cet observatoire. Demandez à "
               "l'administrateur de l'ajouter, ou déconnectez-vous.")
SSO_REVOKED = "Votre session a été fermée par l'administrateur : reconnectez-vous."


# ---- the secrets and the providers (.streamlit/secrets.toml) -----------------------------------

def auth_secrets() -> dict:
    """The ``[auth]`` table of .streamlit/secrets.toml ({} without one)."""
    try:
        table = st.secrets.get("auth", {})
    except FileNotFoundError:  # no secrets.toml at all: Streamlit raises, it does not return {}
        return {}
    try:
        return dict(table)
    except (TypeError, ValueError):
        return {}


def session_secret() -> str:
    """The key that signs session cookies: $OBSERVATORY_SECRET, else [auth] cookie_secret."""
    return settings.current().secret or str(auth_secrets().get("cookie_secret", "") or "")


def sso_providers() -> list[str]:
    """The OIDC providers of [auth] in secrets.toml: "default" for a flat table (st.login()),
    else the names of its sub-tables holding a client_id (st.login(name))."""
    table = auth_secrets()
    if not table:
        return []
    if table.get("client_id"):
        return ["default"]
    return [name for name, value in table.items()
            if isinstance(value, Mapping) and value.get("client_id")]


# ---- the persistent session --------------------------------------------------------------------

def begin_run() -> None:
    """Called by app.py at the top of every full run: the session is checked again once."""
    st.session_state.pop(CHECKED_KEY, None)
    st.session_state.pop(SSO_CHECKED_KEY, None)


def forget() -> None:
    for key in (SESSION_KEY, SESSION_ID_KEY, TICKET_KEY, CHECKED_KEY):
        st.session_state.pop(key, None)


def _cookie_session_id() -> str | None:
    """The session id of this browser's cookie, if it is genuine; else None, silently."""
    try:
        cookie = st.context.cookies.get(sessions.COOKIE_NAME)
    except Exception:  # outside a script run, or a stand-in context (AppTest)
        return None
    secret = session_secret()
    if not isinstance(cookie, str) or sessions.secret_problem(secret):
        return None
    limits = sessions.Limits.from_settings(settings.current())
    return sessions.unsign(secret, cookie, limits.absolute)


def checked(fingerprint_of: Callable[[str, str], str | None]) -> bool:
    """Check this tab's session (or adopt the cookie's) once per run.

    A session that no longer counts is forgotten (and its cookie cleared). False when the
    session could not be checked because the store cannot be read: a reader for this run
    (fail closed), the session kept for the next one.
    """
    session_id = st.session_state.get(SESSION_ID_KEY) or _cookie_session_id()
    if not session_id:
        return True
    done = st.session_state.get(CHECKED_KEY)
    if done in (session_id, (FAILED, session_id)):
        return done == session_id
    dead = st.session_state.setdefault(DEAD_KEY, set())
    if session_id in dead:  # this connection's cookie, already found ended
        return True
    try:
        name, reason = session_cases.resolve(settings.current(), session_id, fingerprint_of)
    except (ObservatoryError, duckdb.Error) as exc:
        LOG.error("session not checked, the store cannot be read: %s", exc)
        st.session_state[CHECKED_KEY] = (FAILED, session_id)  # not retried in this run
        return False
    if name is None:
        if st.session_state.get(SESSION_ID_KEY):
            LOG.info("session ended: %s", reason)
        forget()
        dead.add(session_id)
        st.session_state[CLEAR_COOKIE_KEY] = True
        return True
    st.session_state[SESSION_KEY] = name
    st.session_state[SESSION_ID_KEY] = session_id
    st.session_state[CHECKED_KEY] = session_id
    return True


def opened(name: str, session_id: str, ticket: str) -> None:
    """Remember a login of this tab: its session, checked, and the ticket for its cookie."""
    forget()
    st.session_state[SESSION_KEY] = name
    st.session_state[SESSION_ID_KEY] = session_id
    st.session_state[CHECKED_KEY] = session_id
    st.session_state[TICKET_KEY] = (ticket, time.monotonic())


def close() -> None:
    """« Se déconnecter »: the session ends everywhere (its cookie, in every tab, counts no
    more), and the cookie is cleared at the next run."""
    session_id = st.session_state.get(SESSION_ID_KEY)
    if session_id:
        try:
            session_cases.close(settings.current(), session_id)
        except (ObservatoryError, duckdb.Error) as exc:
            LOG.error("session not closed in the store: %s", exc)
    forget()
    st.session_state[CLEAR_COOKIE_KEY] = True


def _route(path: str) -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}{path}" if base else path


def cookie_frames() -> None:
    """Load the routes that set or clear the HttpOnly cookie (their responses do it).

    The ticket's frame is drawn at every run while the ticket lives: the same element at the
    same place is not loaded twice, and a ticket is used up at its first load anyway.
    """
    ticket = st.session_state.get(TICKET_KEY)
    if ticket and time.monotonic() - ticket[1] > sessions.TICKET_MAX_AGE.total_seconds():
        st.session_state.pop(TICKET_KEY, None)
        ticket = None
    if ticket and not ROUTES["mounted"]:
        LOG.warning("persistent sessions need the routes of asgi.py (observatory serve): "
                    "this login lasts as long as its tab")
        st.session_state.pop(TICKET_KEY, None)
        return
    if ticket:
        with st.sidebar:
            st.iframe(_route(OPEN_ROUTE) + "?" + urlencode({"ticket": ticket[0]}), height=1)
    elif st.session_state.pop(CLEAR_COOKIE_KEY, False) and ROUTES["mounted"]:
        with st.sidebar:
            st.iframe(_route(CLOSE_ROUTE), height=1)


# ---- single sign-on ----------------------------------------------------------------------------

def _sso_claims() -> dict:
    """The identity st.login vouched for (its claims), or {}."""
    try:
        user = st.user
        if not user.is_logged_in:
            return {}
        return user.to_dict()
    except Exception:  # no [auth] configuration, or outside a script run
        return {}


def sso_user(rules: sessions.SsoRules | None) -> tuple[User | None, str | None]:
    """(the single sign-on user, or None; a French problem to show, or None).

    ``rules``: the ``[sso]`` table (None when it cannot be read: every identity refused).
    """
    claims = _sso_claims()
    if not claims:
        return None, None
    name = sessions.identity_name(claims)
    if rules is None or not name:
        return None, SSO_REFUSED.format(name=fmt.md(name or "?"))
    role = sessions.sso_role(claims, rules)
    if role is None:
        return None, SSO_REFUSED.format(name=fmt.md(name))
    issued = sessions.issued_at(claims)
    limits = sessions.Limits.from_settings(settings.current())
    if issued is not None and session_cases.now() - issued > limits.absolute:
        return None, SSO_REVOKED
    if st.session_state.get(SSO_CHECKED_KEY) != name:
        try:
            revoked = session_cases.revoked_at(settings.current(), name)
        except (ObservatoryError, duckdb.Error) as exc:
            LOG.error("identity not checked, the store cannot be read: %s", exc)
            return None, None
        if revoked is not None and (issued is None or issued <= revoked):
            return None, SSO_REVOKED
        st.session_state[SSO_CHECKED_KEY] = name
    return User(name, role), None


def provider_label(provider: str, rules: sessions.SsoRules | None) -> str:
    """What « Se connecter avec … » names: [sso] labels of the accounts file, else the name."""
    label = rules.labels.get(provider, "") if rules else ""
    if label:
        return label
    return "votre compte professionnel" if provider == "default" else provider
