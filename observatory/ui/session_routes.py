"""The two HTTP routes that set and clear the analysts' session cookie, mounted by asgi.py.

Streamlit talks to the browser over a WebSocket, which cannot set an HttpOnly cookie; the
supported way to answer plain HTTP next to a Streamlit app is ``st.App(routes=…)`` (Starlette
routes served by Streamlit's own server). After a login, the sidebar loads
``/session/ouvrir?ticket=…`` in a one-pixel frame: the ticket (signed, two minutes, used up at
first use) names the new session, and the answer sets ``observatoire_session`` (signed by
itsdangerous, HttpOnly, SameSite=Lax, Secure over HTTPS). ``/session/fermer`` clears it after
« Se déconnecter » (the session itself is already ended in the database).
"""

from __future__ import annotations

import duckdb
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from observatory import sessions, settings
from observatory.auth import LOG
from observatory.errors import ObservatoryError
from observatory.service import sessions as session_cases
from observatory.ui import identity

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN"}


def _blank() -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>Session</title>", headers=_HEADERS)


def _https(request: Request) -> bool:
    """Behind a TLS proxy the app sees http: the proxy's X-Forwarded-Proto says https (trusting
    it only ever adds the Secure flag)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _base() -> str:
    import streamlit as st

    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _cookie_path() -> str:
    return _base() or "/"


def open_cookie(request: Request) -> HTMLResponse:
    response = _blank()
    try:
        config = settings.current()
        secret = identity.session_secret()
        if sessions.secret_problem(secret):
            return response
        session_id = session_cases.exchange_ticket(config, secret,
                                                   request.query_params.get("ticket"))
    except (ObservatoryError, duckdb.Error) as exc:
        LOG.error("session cookie not set, the store cannot be read: %s", exc)
        return response
    if session_id is None:  # forged, expired or used ticket: nothing, silently
        return response
    limits = sessions.Limits.from_settings(config)
    response.set_cookie(sessions.COOKIE_NAME, sessions.sign(secret, session_id),
                        max_age=int(limits.absolute.total_seconds()), path=_cookie_path(),
                        httponly=True, samesite="lax", secure=_https(request))
    return response


def close_cookie(request: Request) -> HTMLResponse:
    response = _blank()
    response.delete_cookie(sessions.COOKIE_NAME, path=_cookie_path(), httponly=True,
                           samesite="lax", secure=_https(request))
    return response


def routes() -> list[Route]:
    """The two routes, for ``st.App(routes=…)``; the sidebar then knows it may use them."""
    identity.ROUTES["mounted"] = True
    return [Route(_base() + identity.OPEN_ROUTE, open_cookie, methods=["GET"]),
            Route(_base() + identity.CLOSE_ROUTE, close_cookie, methods=["GET"])]
