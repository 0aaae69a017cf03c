"""The sidebar login and the page guards: who is here, and may they do this.

The rules (roles, hashes, the accounts file) live in ``observatory.auth``; this module only keeps
the logged-in name in ``st.session_state`` and draws. The session holds a name, never a role:
the role is read from the accounts file at every run, so removing an account or demoting it
takes effect at the user's next click.

Sessions outlive the tab and single sign-on identities get a role: ``observatory.ui.identity``
reads the cookie and ``st.user``; this module decides who is here from what it finds.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import streamlit as st

from observatory import auth, sessions, settings
from observatory.auth import ANONYMOUS, DEMO_USER, LOG, User
from observatory.errors import ObservatoryError
from observatory.service import core
from observatory.service import sessions as session_cases
from observatory.store import logins
from observatory.ui import fmt, identity

SESSION_KEY = identity.SESSION_KEY  # the logged-in name, as tests and pages know it
FAILURES_KEY = "_auth_failures"
PROBLEM_KEY = "_auth_problem"  # why the last attempt failed, shown once by login_box
NAME_KEY, PASSWORD_KEY = "auth_name", "auth_password"
FAILURE_DELAY_S = 1.0  # per failed attempt in this session, capped below: slows guessing by hand
MAX_DELAY_S = 5.0
DENIED = "Réservé aux analystes : connectez-vous."
WRONG = "Nom d'utilisateur ou mot de passe incorrect."
# What an anonymous visitor learns of a broken accounts file: nothing about the file itself
# (path, account names, which one has a default password). The details go to the server log
# and to « observatory user check ».
UNAVAILABLE = ("L'application refuse de démarrer en mode protégé : la configuration des comptes "
               "est à corriger. Administrateur : lancez « observatory user check » ou consultez "
               "le journal du serveur.")
STORE_DOWN = ("Connexion impossible pour le moment : les essais de connexion ne peuvent pas être "
              "enregistrés dans la base. Réessayez dans quelques minutes.")
EMPTY = "Indiquez un nom d'utilisateur et un mot de passe."
# The one notice of demonstration mode (the sidebar says nothing else about it). Whether the
# places are fictional is another matter: app.py's banner, shown in either mode.
DEMO_NOTICE = (
    "**Mode démonstration** : pas de connexion, chaque visiteur est analyste et peut modifier "
    f"les données. Pour un déploiement, définissez `{auth.USERS_ENV}` (chemin d'un fichier de "
    "comptes créé avec « observatory user add NOM --role analyst --users-file CHEMIN ») : les "
    "visiteurs seront alors lecteurs et seuls les analystes connectés pourront modifier, "
    "importer ou voir les contacts."
)


def _log_to_server_output() -> None:
    """Refused logins and broken accounts files reach the server's output with a timestamp.

    Streamlit configures its own loggers only; without a handler Python would print the bare
    message. Left alone when the deployment configured logging itself.
    """
    if not LOG.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)


_log_to_server_output()


def _users_path() -> Path | None:
    """$OBSERVATORY_USERS, else ``[auth] users_file`` in .streamlit/secrets.toml, else None."""
    path = settings.current().users
    if path is not None:
        return path
    try:
        value = st.secrets.get("auth", {}).get("users_file", "")
    except FileNotFoundError:  # no secrets.toml at all: Streamlit raises, it does not return {}
        return None
    return Path(str(value)).expanduser() if str(value).strip() else None


def mode() -> str:
    """``auth.DEMO`` or ``auth.PROTECTED`` for this run."""
    return auth.DEMO if _users_path() is None else auth.PROTECTED


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


@st.cache_resource(show_spinner=False, max_entries=4)
def _load(path: str, stamp: tuple[int, int] | None) -> tuple[dict[str, User], str | None]:
    """The accounts or the French refusal, cached until the file changes (``stamp``).

    The check for default passwords costs about a second per account: once per file version.
    A resource cache, not ``st.cache_data``: every write to the database clears the data
    cache, and the next click would pay that check again. Users are frozen: sharing is safe.
    """
    del stamp  # only part of the cache key
    try:
        return auth.load_users(path), None
    except auth.AuthError as exc:
        LOG.error("protected mode refuses to serve: %s", exc)  # once per version of the file
        return {}, str(exc)


def _accounts() -> tuple[dict[str, User], str | None]:
    path = _users_path()
    if path is None:
        return {}, None
    return _load(str(path), _stamp(path))


@st.cache_resource(show_spinner=False, max_entries=4)
def _load_sso(path: str, stamp: tuple[int, int] | None) -> sessions.SsoRules | None:
    del stamp  # only part of the cache key
    try:
        return auth.read_sso_rules(path)
    except (auth.AuthError, sessions.SsoConfigError) as exc:
        LOG.error("single sign-on refused: %s", exc)
        return None


def _sso_rules() -> sessions.SsoRules | None:
    """The ``[sso]`` rules of the accounts file; None when the table cannot be read."""
    path = _users_path()
    return None if path is None else _load_sso(str(path), _stamp(path))


def _now() -> dt.datetime:
    """Naive UTC, as stored in ``login_attempts``."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _client() -> str:
    """The client address as the server saw it; "" on localhost (Streamlit gives None there).

    Behind a reverse proxy every visitor has the proxy's address: the lock by name and
    client then acts as a lock by name.
    """
    try:
        address = st.context.ip_address
    except Exception:  # outside a script run (or an older Streamlit)
        return ""
    return address if isinstance(address, str) else ""  # AppTest gives a stand-in object


@contextmanager
def _attempts() -> Iterator[duckdb.DuckDBPyConnection]:
    """A short session on the observatory's database, where login attempts are kept.

    The database exists by then: app.py builds the page context (which creates or upgrades
    it, ``observatory.ui.data.ensure_database``) before it draws the login box. Opened here
    through the service layer, so that ``ui.data`` (which asks this module who is logged in)
    is not imported back.
    """
    with core.session(settings.current()) as con:
        yield con


def _pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def _refuse_clear_cache(self) -> None:
    LOG.warning("ignored a browser's request to clear the server caches (protected mode)")


def ignore_client_cache_clearing() -> bool:
    """Make the server ignore a browser's « clear cache » message, for this whole process.

    Streamlit (1.67) clears every cache of the process, for every visitor, whenever any
    browser asks (a websocket message, whatever ``client.toolbarMode`` shows): a stranger
    could slow everyone down at will. No setting turns that off, so in protected mode the
    handler is replaced; the app clears its own caches when it writes. False when this
    Streamlit has no such handler (then nothing is patched; the login brake does not depend
    on it: it lives in the database).
    """
    try:
        from streamlit.runtime.app_session import AppSession
    except ImportError:
        return False
    if not callable(getattr(AppSession, "_handle_clear_cache_request", None)):
        LOG.error("Streamlit has no _handle_clear_cache_request: browsers can still clear caches")
        return False
    AppSession._handle_clear_cache_request = _refuse_clear_cache
    return True


def _fingerprint_of(users: dict[str, User]):
    def fingerprint(name: str, source: str) -> str | None:
        user = users.get(name)
        if source != sessions.LOCAL or user is None:
            return None
        return sessions.fingerprint(user.role, user.password_hash)
    return fingerprint


def begin_run() -> None:
    """Called by app.py at the top of every full run: the session is checked again once."""
    identity.begin_run()


def current_user() -> User:
    """The analyst ``démo`` in demonstration mode; else the logged-in account, or a reader."""
    if mode() == auth.DEMO:
        return DEMO_USER
    users, error = _accounts()
    if error or not identity.checked(_fingerprint_of(users)):
        return ANONYMOUS  # fail closed: a broken accounts file or an unreadable store
    name = st.session_state.get(SESSION_KEY)
    if name and name in users:
        return users[name]
    sso, _ = identity.sso_user(_sso_rules())
    return sso or ANONYMOUS  # a removed account leaves a reader


def allowed(action: str) -> bool:
    """Whether the current visitor may do ``action``, silently (to hide a button or a column)."""
    return auth.can(current_user().role, action)


def refusal(exc: auth.PermissionDenied) -> None:
    """Show a refused action (raised by a use case in ``observatory.ui.data``)."""
    st.error(str(exc), icon=":material/lock:")


def require(action: str) -> bool:
    """Whether ``allowed(action)``, with a French warning when not.

    Use: ``if not require("edit"): st.stop()``.
    """
    if allowed(action):
        return True
    st.warning(DENIED, icon=":material/lock:")
    return False


def demo_notice() -> None:
    """The one notice of demonstration mode (no login, anyone may change the data, how to
    deploy); draws nothing in protected mode."""
    if mode() == auth.DEMO:  # in the sidebar: the map stays at the top of every page
        st.sidebar.warning(DEMO_NOTICE, icon=":material/lock_open:")


def logout() -> None:
    """End this tab's session everywhere (its cookie, in every tab, counts no more)."""
    identity.close()


def _attempt(users: dict[str, User], name: str, password: str) -> str | None:
    """Log in, or return the French reason why not.

    Every attempt is read from and written to the database (never a Streamlit cache, which
    any browser can have cleared). A client that failed ``auth.MAX_FAILURES`` times on a
    name waits; other clients do not, but once a name collects failures from everywhere,
    every check on it is slowed down (the right password still logs in).
    """
    name, client = name.strip(), _client()
    now = _now()
    try:
        with _attempts() as con:
            own = logins.failure_times(con, name, now - auth.LOCK_WINDOW, client=client)
            everyone = len(logins.failure_times(con, name, now - auth.LOCK_WINDOW))
            wait = auth.lock_wait_s(own, now)
            if wait:
                logins.record(con, name, client, logins.LOCKED, now)
    except (ObservatoryError, duckdb.Error) as exc:  # store errors, a missing database
        LOG.error("login refused, attempts cannot be recorded: %s", exc)
        return STORE_DOWN
    if wait:
        auth.log_attempt(logins.LOCKED, name, client)
        return ("Trop d'essais pour ce compte depuis votre poste : réessayez dans "
                f"{int(wait) + 1} s.")
    _pause(auth.slow_down_s(everyone))
    user = auth.verify(users, name, password)
    outcome = logins.FAILED if user is None else logins.SUCCEEDED
    try:
        with _attempts() as con:
            logins.record(con, name, client, outcome, _now())
    except (ObservatoryError, duckdb.Error) as exc:  # store errors, a missing database
        LOG.error("login refused, attempts cannot be recorded: %s", exc)
        return STORE_DOWN  # an attempt that cannot be counted does not log in
    if user is None:
        auth.log_attempt(outcome, name, client)
        failures = st.session_state.get(FAILURES_KEY, 0) + 1
        st.session_state[FAILURES_KEY] = failures
        _pause(min(FAILURE_DELAY_S * failures, MAX_DELAY_S))
        return WRONG
    try:  # the persistent session: a row now, its cookie once the page loads the ticket
        session_id, ticket = session_cases.open_session(
            settings.current(), identity.session_secret(), user.name, sessions.LOCAL,
            sessions.fingerprint(user.role, user.password_hash), client)
    except (ObservatoryError, duckdb.Error) as exc:
        LOG.error("login refused, the session cannot be recorded: %s", exc)
        return STORE_DOWN
    st.session_state.pop(FAILURES_KEY, None)
    identity.opened(user.name, session_id, ticket)
    return None


def login_box() -> User:
    """Draw the login (or the logged-in name and « Se déconnecter ») in the sidebar.

    Call it once per run from app.py, before the page. In protected mode with an unusable
    accounts file it shows the French reason and stops the app: no deployment without accounts.
    """
    if mode() == auth.DEMO:  # said once, by demo_notice
        return DEMO_USER
    ignore_client_cache_clearing()
    _, error = _accounts()
    if error:  # the details are in the server log (see _load) and « observatory user check »
        st.error(UNAVAILABLE, icon=":material/lock:")
        st.stop()
    problem = sessions.secret_problem(identity.session_secret())
    if problem:  # names the variable, never the value
        LOG.error("protected mode refuses to serve: no usable session secret")
        st.error(problem, icon=":material/lock:")
        st.stop()
    user = current_user()
    identity.cookie_frames()
    _, sso_problem = identity.sso_user(_sso_rules()) if user is ANONYMOUS else (None, None)
    if sso_problem:
        st.sidebar.warning(sso_problem, icon=":material/lock:")
        if st.sidebar.button("Se déconnecter", key="auth_sso_logout", icon=":material/logout:"):
            st.logout()
    if user is not ANONYMOUS:
        st.sidebar.caption(f"Connecté : **{fmt.md(user.name)}** ({user.role_label})")
        if st.sidebar.button("Se déconnecter", key="auth_logout", icon=":material/logout:"):
            if st.session_state.get(SESSION_KEY):
                logout()
                st.rerun()
            st.logout()  # a single sign-on identity: Streamlit's cookie goes
        return user
    for provider in identity.sso_providers():
        label = identity.provider_label(provider, _sso_rules())
        if st.sidebar.button(f"Se connecter avec {label}",
                             key=f"auth_sso_{provider}", icon=":material/badge:"):
            st.login() if provider == "default" else st.login(provider)
    with st.sidebar.expander("Connexion analyste", icon=":material/login:"):
        # Not clear_on_submit, which would empty the name too: the callback empties the
        # password only, so a mistyped password is typed again without the name.
        with st.form("auth_login", border=False):
            st.text_input("Nom d'utilisateur", key=NAME_KEY, autocomplete="username")
            st.text_input("Mot de passe", type="password", key=PASSWORD_KEY,
                          autocomplete="current-password")
            st.form_submit_button("Se connecter", on_click=_submit)
        problem = st.session_state.pop(PROBLEM_KEY, None)
        if problem:
            st.error(problem)
    st.sidebar.caption("Vous consultez en lecture seule.")
    return user


def _submit() -> None:
    """The login form's callback: it runs before the script, so a success shows on this very
    run, and it may change the fields: the password is emptied, the name kept. The accounts
    are read now (a broken file is refused by login_box on this run)."""
    name = st.session_state.get(NAME_KEY) or ""
    password = st.session_state.get(PASSWORD_KEY) or ""
    st.session_state[PASSWORD_KEY] = ""
    users, error = _accounts()
    if error:
        return
    problem = _attempt(users, name, password) if name.strip() and password else EMPTY
    if problem is not None:
        st.session_state[PROBLEM_KEY] = problem
