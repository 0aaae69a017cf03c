"""Login attempts (protected mode): what the brute-force brake counts and the administrator reads.

Times are naive UTC. Rows older than ``RETENTION`` are deleted as new ones come in: a
client address is personal data, kept only as long as it helps to spot an attack.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

FAILED, LOCKED, SUCCEEDED = "failed", "locked", "succeeded"
OUTCOMES = (FAILED, LOCKED, SUCCEEDED)
NAME_CHARS = 64  # account names are at most 64 characters; anything longer is cut
RETENTION = dt.timedelta(days=90)


def _name(name: str) -> str:
    return str(name).strip()[:NAME_CHARS]


def record(con: duckdb.DuckDBPyConnection, name: str, client: str, outcome: str,
           at: dt.datetime) -> None:
    """One attempt; also forgets attempts older than ``RETENTION``."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    con.execute("DELETE FROM login_attempts WHERE attempted_at < ?", [at - RETENTION])
    con.execute("INSERT INTO login_attempts (attempted_at, name, client, outcome) "
                "VALUES (?, ?, ?, ?)", [at, _name(name), client or "", outcome])


def failure_times(con: duckdb.DuckDBPyConnection, name: str, since: dt.datetime,
                  client: str | None = None) -> list[dt.datetime]:
    """Failed attempts on ``name`` after ``since``, oldest first.

    With ``client``: only that client's, and only those after its last success (logging in
    wipes a client's own slate, never another client's).
    """
    sql = "SELECT attempted_at FROM login_attempts WHERE name = ? AND outcome = 'failed' " \
          "AND attempted_at > ?"
    params: list[object] = [_name(name), since]
    if client is not None:
        sql += (" AND client = ? AND attempted_at > coalesce((SELECT max(attempted_at) "
                "FROM login_attempts WHERE name = ? AND client = ? AND outcome = 'succeeded'), ?)")
        params += [client, _name(name), client, since]
    return [row[0] for row in con.execute(sql + " ORDER BY attempted_at", params).fetchall()]


def recent(con: duckdb.DuckDBPyConnection, since: dt.datetime, *, failures_only: bool = True,
           limit: int = 200) -> pd.DataFrame:
    """Attempts after ``since``, newest first (for ``observatory user failures``)."""
    outcome = "AND outcome <> 'succeeded' " if failures_only else ""
    return con.execute(
        "SELECT attempted_at, name, client, outcome FROM login_attempts "
        f"WHERE attempted_at > ? {outcome}ORDER BY attempted_at DESC, id DESC LIMIT ?",
        [since, int(limit)]).df()
