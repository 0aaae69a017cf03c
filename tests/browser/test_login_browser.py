"""The login brake against a real server: a browser's « clear cache » message resets nothing.

Streamlit lets any browser ask the server to clear every cache (a websocket message, whatever
the menu shows). The lock used to live in such a cache: five wrong guesses, one clear, and the
sixth guess was checked again. Here the message is sent as an attacker would, on the page's
own websocket, between the wrong guesses and the right password.
"""

from __future__ import annotations

import secrets
import time

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from observatory import auth, bootstrap, config
from observatory.store import db
from observatory.territory.config import load_territory_config
from tests.browser.conftest import ARTIFACTS, start_app

PASSWORD = "lavande-Foix-2026"
IGNORED = "ignored a browser's request to clear the server caches"


@pytest.fixture(scope="module")
def protected_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("login")
    path = tmp / "observatory.duckdb"
    bootstrap.init_database(path, load_territory_config(config.territory_path()), with_demo=False)
    users = tmp / "private" / "users.toml"
    rounds = auth.ROUNDS
    auth.ROUNDS = 4  # the server checks whatever cost the hash carries: keep it fast
    try:
        auth.save_user(users, "alice", auth.ANALYST, PASSWORD)
        auth.save_user(users, "bruno", auth.ANALYST, PASSWORD)  # for the retyping test
    finally:
        auth.ROUNDS = rounds
    process, url = start_app(path, tmp, script="asgi.py",
                             env={auth.USERS_ENV: str(users),
                                  "OBSERVATORY_SECRET": secrets.token_urlsafe(48)})
    yield url, path, tmp
    process.terminate()
    process.wait(timeout=20)


def failures(path) -> int:
    with db.session(path, read_only=True, wait_s=20) as con:
        return con.execute("SELECT count(*) FROM login_attempts WHERE outcome = 'failed'"
                           ).fetchone()[0]


def wait_until(condition, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.3)


def submit(page, name: str, password: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("Nom d'utilisateur").fill(name)
    sidebar.get_by_label("Mot de passe").fill(password)
    sidebar.get_by_role("button", name="Se connecter").click()


def test_clearing_the_servers_caches_does_not_unlock_a_guessed_account(browser, protected_app):
    url, path, tmp = protected_app
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    sockets = []

    def through(ws):  # the page's websocket, passed through unchanged, kept to talk on
        sockets.append(ws.connect_to_server())

    page.route_web_socket("**/_stcore/stream", through)
    page.goto(url)
    page.get_by_text("Connexion analyste").click(timeout=60_000)
    for attempt in range(1, 6):
        submit(page, "alice", f"essai-au-hasard-{attempt}")
        wait_until(lambda attempt=attempt: failures(path) == attempt)
    page.get_by_text("Nom d'utilisateur ou mot de passe incorrect.").wait_for(timeout=30_000)

    clear = BackMsg()
    clear.clear_cache = True
    log = tmp / "streamlit.log"
    # Sent again every few seconds on the newest socket: under load the front end may have
    # reconnected meanwhile, and a message on a closed socket reaches no one.
    deadline = time.monotonic() + 60
    while IGNORED not in log.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, (len(sockets), log.read_text(encoding="utf-8")[-3000:])
        sockets[-1].send(clear.SerializeToString())
        page.wait_for_timeout(3000)

    submit(page, "alice", PASSWORD)
    page.get_by_text("Trop d'essais pour ce compte").wait_for(timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "login-locked.png"))
    assert page.get_by_text("Connecté : alice").count() == 0
    assert failures(path) == 5  # a refused attempt is not one more failure
    text = log.read_text(encoding="utf-8")
    assert text.count("login failed: name='alice'") == 5 and "login locked: name='alice'" in text
    page.close()


def test_after_a_wrong_password_only_the_password_is_typed_again(browser, protected_app):
    """Runs after the lock test (file order): « bruno » has a failure count of its own."""
    url, _, _ = protected_app
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_text("Connexion analyste").click(timeout=60_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    submit(page, "bruno", "pas-le-bon")
    page.get_by_text("Nom d'utilisateur ou mot de passe incorrect.").wait_for(timeout=30_000)
    name, password = sidebar.get_by_label("Nom d'utilisateur"), sidebar.get_by_label("Mot de passe")
    wait_until(lambda: password.input_value() == "", 30)
    assert name.input_value() == "bruno"
    password.fill(PASSWORD)
    sidebar.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Connecté : bruno").wait_for(timeout=30_000)
    page.close()
