"""The routes that set and clear the session cookie (asgi.py), through Starlette's test client:
the cookie's attributes, Secure behind a TLS proxy, and nothing for a bad or used ticket."""

from __future__ import annotations

import shutil

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from observatory import sessions, settings
from observatory.service import sessions as cases
from observatory.ui import identity, session_routes

SECRET = "k3Jq9-tirée-au-hasard-pour-ces-essais-ZpW2xR8"


@pytest.fixture
def client(demo_db, tmp_path, monkeypatch):
    path = tmp_path / "observatory.duckdb"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("OBSERVATORY_DB", str(path))
    monkeypatch.setenv("OBSERVATORY_SECRET", SECRET)
    monkeypatch.delenv("OBSERVATORY_SESSION_MAX_DAYS", raising=False)
    monkeypatch.setitem(identity.ROUTES, "mounted", False)  # routes() sets it: undone after
    app = Starlette(routes=session_routes.routes())
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def ticket() -> tuple[str, str]:
    return cases.open_session(settings.current(), SECRET, "alice", sessions.LOCAL, "f")


def test_a_fresh_ticket_sets_a_signed_httponly_lax_cookie_once(client):
    session_id, fresh = ticket()
    answer = client.get("/session/ouvrir", params={"ticket": fresh})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Max-Age=604800" in cookie and "Secure" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert sessions.unsign(SECRET, value, sessions.Limits().absolute) == session_id
    again = client.get("/session/ouvrir", params={"ticket": fresh})
    assert "set-cookie" not in again.headers  # used up


def test_behind_a_tls_proxy_the_cookie_is_secure(client):
    _, fresh = ticket()
    answer = client.get("/session/ouvrir", params={"ticket": fresh},
                        headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in answer.headers["set-cookie"]


@pytest.mark.parametrize("bad", [None, "", "n'importe quoi", "x" * 2000])
def test_a_bad_ticket_sets_nothing_and_says_nothing(client, bad):
    answer = client.get("/session/ouvrir", params={} if bad is None else {"ticket": bad})
    assert answer.status_code == 200 and "set-cookie" not in answer.headers


def test_a_ticket_signed_with_another_secret_sets_nothing(client):
    forged = sessions.sign_ticket("une-autre-clé-tout-aussi-longue-et-aléatoire-42", "abc")
    assert "set-cookie" not in client.get("/session/ouvrir", params={"ticket": forged}).headers


def test_closing_clears_the_cookie(client):
    answer = client.get("/session/fermer")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f'{sessions.COOKIE_NAME}=""') and "Max-Age=0" in cookie
