"""Persistent sessions as the sidebar sees them (AppTest): a protected app without a usable
secret refuses to start naming the variable; a login opens a stored session and the frame that
sets its cookie; logging out, `observatory user logout` and a changed account end it at the
next run. The cookie itself (HttpOnly, reloads, restarts) is in tests/browser/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.app_session import AppSession
from streamlit.testing.v1 import AppTest

from observatory import auth
from observatory.service import sessions as session_cases
from observatory.settings import Settings
from observatory.store import db
from observatory.ui import auth as ui_auth
from observatory.ui import identity

TIMEOUT_S = 60
PASSWORD = "lavande-Foix-2026"
SECRET = "Zq8vR2kLw9-une-clé-tirée-au-hasard-pour-les-essais"
SCRIPT = '''
import streamlit as st
from observatory.ui import auth

auth.begin_run()
auth.login_box()
st.write(f"rôle : {auth.current_user().role}")
'''


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(auth, "ROUNDS", 4)
    monkeypatch.setattr(ui_auth, "_pause", lambda seconds: None)
    monkeypatch.setattr(AppSession, "_handle_clear_cache_request",
                        AppSession._handle_clear_cache_request)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def protected(tmp_path, monkeypatch, empty_db) -> Path:
    path = tmp_path / "observatory.duckdb"
    shutil.copy(empty_db, path)
    monkeypatch.setenv("OBSERVATORY_DB", str(path))
    users = tmp_path / "private" / "users.toml"
    auth.save_user(users, "alice", auth.ANALYST, PASSWORD)
    auth.save_user(users, "bruno", auth.ANALYST, PASSWORD)
    monkeypatch.setenv(auth.USERS_ENV, str(users))
    monkeypatch.setenv("OBSERVATORY_SECRET", SECRET)
    script = tmp_path / "page.py"
    script.write_text(SCRIPT, encoding="utf-8")
    return script


def run(script: Path) -> AppTest:
    at = AppTest.from_file(str(script), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def role(at: AppTest) -> str | None:
    lines = [m.value for m in at.markdown if m.value.startswith("rôle : ")]
    return lines[0].removeprefix("rôle : ") if lines else None


def log_in(at: AppTest, name: str) -> AppTest:
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Se connecter").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sessions_of(name: str) -> list[tuple]:
    with db.session(_db(), read_only=True) as con:
        return con.execute("SELECT ended_at, ticket_key IS NOT NULL FROM web_sessions "
                           "WHERE user_name = ?", [name]).fetchall()


def _db() -> Path:
    import os

    return Path(os.environ["OBSERVATORY_DB"])


@pytest.mark.parametrize("secret, shown", [
    (None, "aucun secret"),
    ("trop-court", "trop court"),
    ("changeme-changeme-changeme-changeme-changeme", "valeur d'exemple"),
])
def test_a_protected_app_without_a_usable_secret_refuses_to_start(protected, monkeypatch,
                                                                  secret, shown):
    if secret is None:
        monkeypatch.delenv("OBSERVATORY_SECRET")
    else:
        monkeypatch.setenv("OBSERVATORY_SECRET", secret)
    at = run(protected)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and shown in errors[0] and "OBSERVATORY_SECRET" in errors[0]
    assert secret is None or secret not in errors[0]
    assert role(at) is None  # stopped before the page


def test_the_secret_can_come_from_streamlit_secrets(protected, monkeypatch):
    monkeypatch.delenv("OBSERVATORY_SECRET")
    at = AppTest.from_file(str(protected), default_timeout=TIMEOUT_S)
    at.secrets["auth"] = {"cookie_secret": SECRET}
    at.run()
    assert not at.error and role(at) == "reader"


def test_a_login_opens_a_stored_session_and_loads_the_cookie_route(protected, monkeypatch):
    monkeypatch.setitem(identity.ROUTES, "mounted", True)  # as under asgi.py
    at = log_in(run(protected), "alice")
    assert role(at) == "analyst"
    assert sessions_of("alice") == [(None, True)]  # open, its ticket not exchanged yet
    frames = [e for e in at.get("iframe")]
    assert len(frames) == 1
    assert frames[0].proto.src.startswith("/session/ouvrir?ticket=")


def test_without_the_routes_of_asgi_py_a_login_lasts_as_long_as_its_tab(protected, monkeypatch):
    monkeypatch.setitem(identity.ROUTES, "mounted", False)
    at = log_in(run(protected), "alice")  # `streamlit run app.py`: no st.App routes
    assert role(at) == "analyst" and not list(at.get("iframe"))
    at.run()
    assert role(at) == "analyst"


def test_logging_out_ends_the_stored_session(protected):
    at = log_in(run(protected), "alice")
    next(b for b in at.button if b.label == "Se déconnecter").click()
    at.run()
    assert role(at) == "reader"
    [(ended_at, _)] = sessions_of("alice")
    assert ended_at is not None


def test_user_logout_ends_the_session_at_the_next_run(protected):
    at = log_in(run(protected), "alice")
    assert session_cases.revoke(Settings.from_env({}).with_db(_db()), "alice") == 1
    at.run()
    assert role(at) == "reader"
    assert not at.error and not at.exception  # silently


def test_a_new_password_or_a_removed_account_ends_the_session_at_the_next_run(protected):
    import os

    users = Path(os.environ[auth.USERS_ENV])
    at = log_in(run(protected), "alice")
    auth.save_user(users, "alice", auth.ANALYST, "Une-autre-phrase-de-passe-77", replace=True)
    at.run()
    assert role(at) == "reader"
    other = log_in(run(protected), "bruno")
    auth.remove_user(users, "bruno")
    other.run()
    assert role(other) == "reader"
