"""The login as a visitor sees it: demo notice, reader by default, analyst after logging in.

Until app.py calls ``observatory.ui.auth``, these tests drive a small script written in tmp_path
that uses the same helpers a page will (``login_box``, ``current_user``, ``require``). The last
test drives the real app.py once it is wired, and is skipped before.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import streamlit as st
from streamlit.runtime.app_session import AppSession
from streamlit.testing.v1 import AppTest

from observatory import auth
from observatory.store import StoreError, db
from observatory.ui import auth as ui_auth

# Streamlit's own handler, before any test of this process had the app replace it.
CLEAR_CACHE_HANDLER = AppSession._handle_clear_cache_request

TIMEOUT_S = 60
APP_FILE = Path(__file__).resolve().parents[2] / "app.py"
PASSWORD = "lavande-Foix-2026"
SECRET = "Zq8vR2kLw9-une-clé-tirée-au-hasard-pour-les-essais"
SCRIPT = '''
import streamlit as st
from observatory.ui import auth

auth.login_box()
auth.demo_notice()
user = auth.current_user()
st.write(f"rôle : {user.role}")
if auth.require("edit"):
    st.button("Modifier le lieu")
if auth.allowed("see_contacts"):
    st.write("Contact : marie@example.org")
'''


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """Fast bcrypt, no waiting after a failure, empty caches (accounts and the brake)."""
    monkeypatch.setattr(auth, "ROUNDS", 4)
    monkeypatch.setattr(ui_auth, "FAILURE_DELAY_S", 0.0)
    monkeypatch.setattr(ui_auth, "_pause", lambda seconds: None)
    monkeypatch.setattr(AppSession, "_handle_clear_cache_request", CLEAR_CACHE_HANDLER)
    monkeypatch.delenv(auth.USERS_ENV, raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def script(tmp_path) -> Path:
    path = tmp_path / "page.py"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


@pytest.fixture
def attempts_db(empty_db, tmp_path, monkeypatch) -> Path:
    """The database where login attempts are kept (this test's copy, no place)."""
    path = tmp_path / "observatory.duckdb"
    shutil.copy(empty_db, path)
    monkeypatch.setenv("OBSERVATORY_DB", str(path))
    return path


@pytest.fixture
def users_file(tmp_path, monkeypatch, attempts_db) -> Path:
    path = tmp_path / "private" / "users.toml"
    auth.save_user(path, "alice", auth.ANALYST, PASSWORD)
    auth.save_user(path, "bruno", auth.READER, "Pamiers-2026-lecture")
    monkeypatch.setenv(auth.USERS_ENV, str(path))
    monkeypatch.setenv("OBSERVATORY_SECRET", SECRET)
    return path


def run(script: Path) -> AppTest:
    at = AppTest.from_file(str(script), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def role(at: AppTest) -> str:
    lines = [m.value for m in at.markdown if m.value.startswith("rôle : ")]
    assert len(lines) == 1, [m.value for m in at.markdown]
    return lines[0].removeprefix("rôle : ")


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"pas de bouton « {label} » : {[b.label for b in at.button]}"
    return found[0]


def log_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input(password)
    button(at, "Se connecter").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_demo_mode_makes_every_visitor_an_analyst_and_says_so(script):
    at = run(script)
    assert role(at) == "analyst"
    assert any("Mode démonstration" in w and "OBSERVATORY_USERS" in w for w in texts(at.warning))
    assert "Contact : marie@example.org" in texts(at.markdown)
    assert button(at, "Modifier le lieu")
    assert not at.text_input  # nothing to log in to


def test_a_visitor_of_a_protected_observatory_is_a_reader(script, users_file):
    at = run(script)
    assert role(at) == "reader"
    assert ui_auth.DENIED in texts(at.warning)
    assert not any("démonstration" in w for w in texts(at.warning))
    assert "Modifier le lieu" not in [b.label for b in at.button]
    assert not any("marie@example.org" in m for m in texts(at.markdown))
    password = at.sidebar.text_input(key="auth_password")
    assert password.proto.type == password.proto.PASSWORD  # masked as it is typed


def test_an_analyst_logs_in_and_out(script, users_file):
    at = log_in(run(script), "alice", PASSWORD)
    assert role(at) == "analyst"
    assert "Connecté : **alice** (analyste)" in texts(at.sidebar.caption)
    assert ui_auth.DENIED not in texts(at.warning)
    assert button(at, "Modifier le lieu")
    assert "Contact : marie@example.org" in texts(at.markdown)

    button(at, "Se déconnecter").click()
    at.run()
    assert role(at) == "reader"
    assert ui_auth.DENIED in texts(at.warning)
    assert at.text_input(key="auth_name").value == ""


def test_a_wrong_password_keeps_the_visitor_a_reader_with_a_french_error(script, users_file):
    at = log_in(run(script), "alice", "pas-le-bon-mot-de-passe")
    assert role(at) == "reader"
    assert "Nom d'utilisateur ou mot de passe incorrect." in texts(at.error)


def test_a_failed_login_keeps_the_name_and_empties_only_the_password(script, users_file):
    at = log_in(run(script), "alice", "pas-le-bon-mot-de-passe")
    assert "Nom d'utilisateur ou mot de passe incorrect." in texts(at.error)
    assert at.text_input(key="auth_name").value == "alice"
    assert at.text_input(key="auth_password").value == ""
    at.text_input(key="auth_password").input(PASSWORD)  # the name is not typed again
    button(at, "Se connecter").click()
    at.run()
    assert role(at) == "analyst"
    assert at.error.len == 0  # the refusal is shown once, not after the next attempt


def test_an_empty_password_is_asked_for_in_french_and_keeps_the_name(script, users_file):
    at = log_in(run(script), "alice", "")
    assert "Indiquez un nom d'utilisateur et un mot de passe." in texts(at.error)
    assert at.text_input(key="auth_name").value == "alice"


def test_an_unknown_name_gets_the_same_message_as_a_wrong_password(script, users_file):
    at = log_in(run(script), "mallory", PASSWORD)
    assert role(at) == "reader"
    assert "Nom d'utilisateur ou mot de passe incorrect." in texts(at.error)


def test_a_reader_account_stays_a_reader_after_logging_in(script, users_file):
    at = log_in(run(script), "bruno", "Pamiers-2026-lecture")
    assert role(at) == "reader"
    assert "Connecté : **bruno** (lecteur)" in texts(at.sidebar.caption)


def test_five_failures_lock_the_account_even_for_the_right_password(script, users_file):
    at = run(script)
    for _ in range(5):
        log_in(at, "alice", "essai-au-hasard")
    log_in(at, "alice", PASSWORD)
    assert role(at) == "reader"
    assert any(e.startswith("Trop d'essais pour ce compte") for e in texts(at.error))


def test_clearing_every_cache_does_not_reset_the_lock(script, users_file):
    """What a browser's « clear cache » message does to the server, then the right password."""
    at = run(script)
    for _ in range(5):
        log_in(at, "alice", "essai-au-hasard")
    st.cache_data.clear()
    st.cache_resource.clear()
    fresh_visitor = run(script)  # a new session too: nothing kept in the browser's session
    log_in(fresh_visitor, "alice", PASSWORD)
    assert role(fresh_visitor) == "reader"
    assert any(e.startswith("Trop d'essais pour ce compte") for e in texts(fresh_visitor.error))


def test_a_strangers_failures_lock_only_the_stranger_and_slow_the_account(script, users_file,
                                                                         monkeypatch):
    client, pauses = {"address": "203.0.113.66"}, []
    monkeypatch.setattr(ui_auth, "_client", lambda: client["address"])
    monkeypatch.setattr(ui_auth, "_pause", pauses.append)
    stranger = run(script)
    for _ in range(5):
        log_in(stranger, "alice", "essai-au-hasard")
    log_in(stranger, "alice", PASSWORD)
    assert role(stranger) == "reader"  # the stranger waits, even with the right password

    client["address"] = "192.0.2.10"  # the account's owner, from her own office
    pauses.clear()
    owner = log_in(run(script), "alice", PASSWORD)
    assert role(owner) == "analyst"
    assert auth.SLOW_DELAY_S in pauses  # slowed down while the account is under attack


def test_failed_logins_are_logged_with_name_and_client_for_the_administrator(
        script, users_file, attempts_db, monkeypatch, caplog):
    monkeypatch.setattr(ui_auth, "_client", lambda: "203.0.113.66")
    at = run(script)
    with caplog.at_level(logging.WARNING, logger="observatory.auth"):
        log_in(at, "mallory", "essai-au-hasard")
        log_in(at, "alice", PASSWORD)
    logged = [r.getMessage() for r in caplog.records if r.name == "observatory.auth"
              and r.getMessage().startswith("login ")]
    assert logged == ["login failed: name='mallory' client=203.0.113.66"]
    with db.session(attempts_db, read_only=True) as con:
        rows = con.execute(
            "SELECT name, client, outcome FROM login_attempts ORDER BY id").fetchall()
    assert rows == [("mallory", "203.0.113.66", "failed"), ("alice", "203.0.113.66", "succeeded")]


def test_a_login_that_cannot_be_recorded_is_refused(script, users_file, monkeypatch):
    def broken():
        raise StoreError("La base est verrouillée.")
    monkeypatch.setattr(ui_auth, "_attempts", broken)
    at = log_in(run(script), "alice", PASSWORD)
    assert role(at) == "reader"
    assert ui_auth.STORE_DOWN in texts(at.error)


def test_the_server_ignores_a_browsers_clear_cache_message_in_protected_mode(script, users_file):
    calls = []

    @st.cache_resource
    def expensive() -> int:
        calls.append(1)
        return len(calls)

    expensive()
    run(script)  # a protected run sets the server up
    AppSession._handle_clear_cache_request(SimpleNamespace(_session_state={}))
    expensive()
    assert calls == [1]  # still cached


def test_a_removed_account_is_logged_out_at_the_next_click(script, users_file):
    at = log_in(run(script), "alice", PASSWORD)
    auth.save_user(users_file, "chloe", auth.ANALYST, "Saint-Girons-09")
    auth.remove_user(users_file, "alice")
    at.run()
    assert role(at) == "reader"


@pytest.mark.parametrize("content, reason", [
    (None, "introuvable"),
    ('[users.alice]\nrole = "analyst"\npassword_hash = "changeme"\n', "hachage bcrypt"),
    ('[users.alice]\nrole = "analyst"\npassword_hash = "' + auth.bcrypt.hashpw(
        b"admin", auth.bcrypt.gensalt(4)).decode() + '"\n', "par défaut"),
])
def test_a_protected_observatory_with_bad_accounts_refuses_to_serve(script, tmp_path, monkeypatch,
                                                                    caplog, content, reason):
    path = tmp_path / "users.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    monkeypatch.setenv(auth.USERS_ENV, str(path))
    with caplog.at_level(logging.ERROR, logger="observatory.auth"):
        at = run(script)
    assert texts(at.error) == [ui_auth.UNAVAILABLE]  # neither the path, names nor the problem
    assert not [m for m in at.markdown if m.value.startswith("rôle : ")]  # the page never ran
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "observatory.auth")
    assert reason in logged and str(path) in logged  # the administrator's details


def test_the_accounts_file_can_come_from_streamlit_secrets(script, users_file, monkeypatch):
    monkeypatch.delenv(auth.USERS_ENV)
    at = AppTest.from_file(str(script), default_timeout=TIMEOUT_S)
    at.secrets["auth"] = {"users_file": str(users_file)}
    at.run()
    assert role(at) == "reader"
    assert role(log_in(at, "alice", PASSWORD)) == "analyst"


@pytest.mark.skipif("login_box" not in APP_FILE.read_text(encoding="utf-8"),
                    reason="app.py n'appelle pas encore observatory.ui.auth.login_box()")
def test_the_real_app_logs_in_an_analyst(make_app, app_db, users_file):
    at = make_app(app_db).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("Mode démonstration" in w for w in texts(at.warning))
    log_in(at, "alice", PASSWORD)
    assert "Connecté : **alice** (analyste)" in texts(at.sidebar.caption)
