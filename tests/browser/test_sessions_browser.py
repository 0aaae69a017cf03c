"""Sessions that survive a reload (issue 15 §1), against the real server `observatory serve`
starts (asgi.py: st.App with the cookie routes) and Debian's chromium.

Logged in once, an analyst stays one after a reload, in a second tab and after a restart of
the server; « Se déconnecter » makes every tab a reader; a forged, foreign or expired cookie
gives a reader without any error; `observatory user logout NAME` ends the session at the next
run. Every wait is on visible state (a caption, a button), never a sleep.
"""

from __future__ import annotations

import datetime as dt
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from playwright.sync_api import expect

from observatory import auth, bootstrap, config, sessions
from observatory.store import db
from observatory.territory.config import load_territory_config
from tests.browser.conftest import ARTIFACTS, ROOT, start_app

PASSWORD = "lavande-Foix-2026"
SECRET = secrets.token_urlsafe(48)
WAIT_MS = 60_000


class Server:
    """The app served by asgi.py, restartable on the same database and secret."""

    def __init__(self, tmp: Path, path: Path, users: Path):
        self.tmp, self.path, self.users = tmp, path, users
        self.env = {auth.USERS_ENV: str(users), sessions.SECRET_ENV: SECRET}
        self.process, self.url = None, ""

    def start(self) -> None:
        self.process, self.url = start_app(self.path, self.tmp, script="asgi.py", env=self.env)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def log(self) -> str:
        return (self.tmp / "streamlit.log").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sessions")
    path = tmp / "observatory.duckdb"
    bootstrap.init_database(path, load_territory_config(config.territory_path()), with_demo=False)
    users = tmp / "private" / "users.toml"
    rounds = auth.ROUNDS
    auth.ROUNDS = 4  # the server checks whatever cost the hash carries: keep it fast
    try:
        for name in ("alice", "bruno", "chloe"):
            auth.save_user(users, name, auth.ANALYST, PASSWORD)
    finally:
        auth.ROUNDS = rounds
    running = Server(tmp, path, users)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def log_in(page, url: str, name: str) -> None:
    page.goto(url)
    page.get_by_text("Connexion analyste").click(timeout=WAIT_MS)
    side = sidebar(page)
    side.get_by_label("Nom d'utilisateur").fill(name)
    side.get_by_label("Mot de passe").fill(PASSWORD)
    side.get_by_role("button", name="Se connecter").click()
    page.get_by_text(f"Connecté : {name}").wait_for(timeout=WAIT_MS)


def session_cookie(ctx) -> dict | None:
    found = [c for c in ctx.cookies() if c["name"] == sessions.COOKIE_NAME]
    return found[0] if found else None


def wait_for_cookie(ctx, page) -> dict:
    """The frame that sets the cookie loads after the login's rerun: wait for its effect."""
    for _ in range(WAIT_MS // 500):
        cookie = session_cookie(ctx)
        if cookie:
            return cookie
        page.wait_for_timeout(500)
    raise AssertionError("the session cookie was never set")


def is_reader(page) -> None:
    """A reader: the login is offered, nobody is shown as logged in, and no error at all."""
    page.get_by_text("Vous consultez en lecture seule.").wait_for(timeout=WAIT_MS)
    expect(page.get_by_text("Connecté :")).to_have_count(0, timeout=WAIT_MS)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


def is_analyst(page, name: str) -> None:
    page.get_by_text(f"Connecté : {name}").wait_for(timeout=WAIT_MS)


def test_a_login_survives_a_reload_a_second_tab_and_a_restart_until_logging_out(
        context, server):
    page = context.new_page()
    log_in(page, server.url, "alice")
    cookie = wait_for_cookie(context, page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "session-login.png"))
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # plain http on 127.0.0.1; https adds Secure
    assert cookie["expires"] > dt.datetime.now().timestamp() + 6 * 86400  # 7 days at most

    page.reload()
    is_analyst(page, "alice")
    second = context.new_page()
    second.goto(server.url)
    is_analyst(second, "alice")

    server.stop()
    server.start()  # another port: cookies belong to the host, not the port
    page.goto(server.url)
    is_analyst(page, "alice")
    second.goto(server.url)
    is_analyst(second, "alice")
    page.screenshot(path=str(ARTIFACTS / "session-after-restart.png"))

    sidebar(page).get_by_role("button", name="Se déconnecter").click()
    is_reader(page)
    second.reload()
    is_reader(second)
    third = context.new_page()
    third.goto(server.url)
    is_reader(third)
    assert SECRET not in server.log()


def _signed_long_ago(secret: str, value: str, days: float) -> str:
    serializer = URLSafeTimedSerializer(secret, salt=sessions._SALT)
    signer = serializer.make_signer(serializer.salt)
    signer.get_timestamp = lambda: int(dt.datetime.now().timestamp() - days * 86400)
    return signer.sign(serializer.dump_payload(value)).decode("ascii")


@pytest.mark.parametrize("how", ["forged", "other secret", "expired", "tampered"])
def test_a_forged_foreign_or_expired_cookie_gives_a_reader_without_error(
        browser, server, how):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = ctx.new_page()
        if how != "forged":  # a genuine session, so that only the cookie is wrong
            log_in(page, server.url, "bruno")
            genuine = wait_for_cookie(ctx, page)["value"]
            session_id = sessions.unsign(SECRET, genuine, dt.timedelta(days=7))
            assert session_id
            ctx.clear_cookies()
        if how == "tampered":  # one character of the signature changed
            value = genuine[:-3] + ("A" if genuine[-3] != "A" else "B") + genuine[-2:]
        elif how == "forged":
            value = "alice." + secrets.token_urlsafe(20)
        elif how == "other secret":
            value = sessions.sign(secrets.token_urlsafe(48), session_id)
        else:  # the right secret and a live session, signed eight days ago (the limit is 7)
            value = _signed_long_ago(SECRET, session_id, 8)
        ctx.add_cookies([{"name": sessions.COOKIE_NAME, "value": value,
                          "url": server.url}])
        page = ctx.new_page()
        page.goto(server.url)
        is_reader(page)
    finally:
        ctx.close()


def test_user_logout_on_the_command_line_ends_the_session_at_the_next_run(context, server):
    page = context.new_page()
    log_in(page, server.url, "chloe")
    wait_for_cookie(context, page)
    done = subprocess.run(
        [sys.executable, "-m", "observatory.cli", "user", "logout", "chloe", "--db",
         str(server.path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 session fermée" in done.stdout
    # The tab that logged in, at its next run (a click on another page), and a new tab.
    sidebar(page).get_by_role("link", name="Lieux").first.click()
    is_reader(page)
    other = context.new_page()
    other.goto(server.url)
    is_reader(other)
    with db.session(server.path, read_only=True, wait_s=30) as con:
        ended = con.execute("SELECT count(*) FROM web_sessions WHERE user_name = 'chloe' "
                            "AND ended_at IS NOT NULL").fetchone()[0]
    assert ended == 1
