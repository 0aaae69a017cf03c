"""Analysts' persistent sessions and administrators' revocations (migration 016).

Plain, portable SQL with bound parameters. Keys are SHA-256 digests of the random ids the
cookies carry (``observatory.sessions.key_of``); times are naive UTC.
"""

from __future__ import annotations

import datetime as dt

from observatory.sessions import Session

RETENTION = dt.timedelta(days=90)  # ended or expired rows are forgotten after this
TICKET_LIFETIME = dt.timedelta(minutes=2)


def create(con, key: str, user_name: str, source: str, fingerprint: str, ticket_key: str | None,
           now: dt.datetime, client: str = "") -> None:
    """A new session; also forgets rows older than ``RETENTION``."""
    con.execute("DELETE FROM web_sessions WHERE last_seen_at < ?", [now - RETENTION])
    con.execute("INSERT INTO web_sessions (session_key, user_name, source, fingerprint, "
                "ticket_key, created_at, last_seen_at, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [key, user_name, source, fingerprint, ticket_key, now, now, client or ""])


def get(con, key: str) -> Session | None:
    row = con.execute("SELECT user_name, source, fingerprint, created_at, last_seen_at, ended_at "
                      "FROM web_sessions WHERE session_key = ?", [key]).fetchone()
    return Session(*row) if row else None


def touch(con, key: str, now: dt.datetime) -> None:
    con.execute("UPDATE web_sessions SET last_seen_at = ? WHERE session_key = ? "
                "AND ended_at IS NULL", [now, key])


def end(con, key: str, now: dt.datetime) -> None:
    con.execute("UPDATE web_sessions SET ended_at = ? WHERE session_key = ? AND ended_at IS NULL",
                [now, key])


def ticket_pending(con, key: str) -> bool:
    """Whether the session's one-time ticket has not been exchanged for its cookie yet."""
    row = con.execute("SELECT ticket_key FROM web_sessions WHERE session_key = ?",
                      [key]).fetchone()
    return bool(row and row[0])


def claim_ticket(con, ticket_key: str, now: dt.datetime) -> str | None:
    """The session key of a fresh, unused ticket, which is used up; else None."""
    rows = con.execute("SELECT session_key FROM web_sessions WHERE ticket_key = ? "
                       "AND ended_at IS NULL AND created_at >= ?",
                       [ticket_key, now - TICKET_LIFETIME]).fetchall()
    if len(rows) != 1:  # none, or a ticket found on two rows (tampered): opens nothing
        return None
    con.execute("UPDATE web_sessions SET ticket_key = NULL WHERE session_key = ?", [rows[0][0]])
    return rows[0][0]


def revoke_user(con, user_name: str, now: dt.datetime) -> int:
    """End every open session of ``user_name`` and refuse its older identities; the number of
    sessions ended."""
    count = con.execute("SELECT count(*) FROM web_sessions WHERE user_name = ? "
                        "AND ended_at IS NULL", [user_name]).fetchone()[0]
    con.execute("UPDATE web_sessions SET ended_at = ? WHERE user_name = ? AND ended_at IS NULL",
                [now, user_name])
    con.execute("DELETE FROM session_revocations WHERE user_name = ?", [user_name])
    con.execute("INSERT INTO session_revocations (user_name, revoked_at) VALUES (?, ?)",
                [user_name, now])
    return int(count)


def revoked_at(con, user_name: str) -> dt.datetime | None:
    row = con.execute("SELECT revoked_at FROM session_revocations WHERE user_name = ?",
                      [user_name]).fetchone()
    return row[0] if row else None
