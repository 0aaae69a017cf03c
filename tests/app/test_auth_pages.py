"""The login as a visitor sees it: demo notice, reader by default, analyst after logging in.

Until app.py calls ``observatory.ui.auth``, these tests drive a small script written in tmp_path
that uses the same helpers a page will (``login_box``, ``current_user``, ``require``). The last
test drives the real app.py once it is wired, and is skipped before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from observatory import auth
from observatory.ui import auth as ui_auth

TIMEOUT_S = 60
APP_FILE = Path(__file__).resolve().parents[2] / "app.py"
PASSWORD = "lavande-Foix-2026"
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
def users_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "private" / "users.toml"
    auth.save_user(path, "alice", auth.ANALYST, PASSWORD)
    auth.save_user(path, "bruno", auth.READER, "Pamiers-2026-lecture")
    monkeypatch.setenv(auth.USERS_ENV, str(path))
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
    assert any("Mode démonstration sans authentification" in w and "OBSERVATORY_USERS" in w
               for w in texts(at.warning))
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


def test_a_removed_account_is_logged_out_at_the_next_click(script, users_file):
    at = log_in(run(script), "alice", PASSWORD)
    auth.save_user(users_file, "chloe", auth.ANALYST, "Saint-Girons-09")
    auth.remove_user(users_file, "alice")
    at.run()
    assert role(at) == "reader"


@pytest.mark.parametrize("content, reason", [
    (None, "introuvable"),
    ('[users.alice]\nrole = "analyst"\npassword_hash = "changeme"\n', "hachage bcrypt"),
])
def test_a_protected_observatory_with_bad_accounts_refuses_to_serve(script, tmp_path, monkeypatch,
                                                                    content, reason):
    path = tmp_path / "users.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    monkeypatch.setenv(auth.USERS_ENV, str(path))
    at = run(script)
    assert any("refuse de démarrer" in e and reason in e for e in texts(at.error))
    assert not [m for m in at.markdown if m.value.startswith("rôle : ")]  # the page never ran


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
    assert not any("Mode démonstration sans authentification" in w for w in texts(at.warning))
    log_in(at, "alice", PASSWORD)
    assert "Connecté : **alice** (analyste)" in texts(at.sidebar.caption)
