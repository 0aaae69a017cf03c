"""Persistent sessions: the use cases the sidebar, the cookie route and the CLI share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from observatory import sessions
from observatory.service import core
from observatory.settings import Settings
from observatory.store import sessions as store


def now() -> dt.datetime:
    """Naive UTC, as stored."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def open_session(settings: Settings, secret: str, user_name: str, source: str,
                 fingerprint: str, client: str = "") -> tuple[str, str]:
    """A new session for ``user_name``: (its id, the one-time ticket that sets its cookie)."""
    session_id = sessions.new_session_id()
    ticket = sessions.sign_ticket(secret, session_id)
    with core.session(settings) as con:
        store.create(con, sessions.key_of(session_id), user_name, source, fingerprint,
                     sessions.key_of(ticket), now(), client)
    return session_id, ticket


def exchange_ticket(settings: Settings, secret: str, ticket: str | None) -> str | None:
    """The session id a fresh, unused ticket opens (the ticket is used up), else None."""
    session_id = sessions.unsign_ticket(secret, ticket)
    if session_id is None:
        return None
    with core.session(settings) as con:
        key = store.claim_ticket(con, sessions.key_of(ticket), now())
    return session_id if key == sessions.key_of(session_id) else None


def ticket_pending(settings: Settings, session_id: str) -> bool:
    with core.session(settings, read_only=False) as con:
        return store.ticket_pending(con, sessions.key_of(session_id))


def resolve(settings: Settings, session_id: str,
            fingerprint_of: Callable[[str, str], str | None]) -> tuple[str | None, str | None]:
    """(the user name of a session that still counts, else None; why not, for the log).

    ``fingerprint_of(user_name, source)`` gives the account's fingerprint today (None: gone).
    The last activity is written at most once a minute.
    """
    limits, at = sessions.Limits.from_settings(settings), now()
    key = sessions.key_of(session_id)
    with core.session(settings) as con:
        found = store.get(con, key)
        if found is None:
            return None, "unknown session"
        reason = sessions.why_not_valid(
            found, at, limits, revoked_at=store.revoked_at(con, found.user_name),
            current_fingerprint=fingerprint_of(found.user_name, found.source))
        if reason is None and sessions.needs_touch(found, at):
            store.touch(con, key, at)
    return (None, reason) if reason else (found.user_name, None)


def close(settings: Settings, session_id: str) -> None:
    """« Se déconnecter »: the session ends everywhere its cookie is."""
    with core.session(settings) as con:
        store.end(con, sessions.key_of(session_id), now())


def revoke(settings: Settings, user_name: str) -> int:
    """``observatory user logout NAME``: the number of open sessions ended."""
    with core.session(settings) as con:
        return store.revoke_user(con, user_name, now())


def revoked_at(settings: Settings, user_name: str) -> dt.datetime | None:
    with core.session(settings) as con:
        return store.revoked_at(con, user_name)
