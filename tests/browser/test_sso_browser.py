"""Single sign-on (issue 15 §2): the whole OpenID Connect flow through ``st.login``, against a
real provider started on 127.0.0.1 (oidc-provider-mock: authorization form, tokens signed
with its own keys, discovery document), in Debian's chromium.

The provider's identities get their role from the ``[sso]`` table of the accounts file: by
e-mail, by group claim, and an unknown identity is a reader, or refused when the table says
so. Local accounts keep working next to it.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from observatory import auth, bootstrap, config, sessions
from tests.browser.conftest import ARTIFACTS, ROOT, start_app

WAIT_MS = 60_000
PASSWORD = "lavande-Foix-2026"
COOKIE_SECRET = secrets.token_urlsafe(48)
CLIENT_SECRET = "client-" + secrets.token_urlsafe(24)
IDENTITIES = [
    {"sub": "claire", "email": "claire@petr-ariege.fr", "email_verified": True, "groups": []},
    {"sub": "karim", "email": "karim@petr-ariege.fr", "email_verified": True,
     "groups": ["observatoire-analystes"]},
    {"sub": "inconnu", "email": "inconnu@ailleurs.fr", "email_verified": True,
     "groups": ["autre-service"]},
]
SSO_TABLE = """[sso]
analysts = ["Claire@petr-ariege.fr"]
analyst_groups = ["observatoire-analystes"]
unknown = "{unknown}"
labels = {{ default = "le fournisseur de test" }}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """oidc-provider-mock on 127.0.0.1, with the three identities above."""
    tmp = tmp_path_factory.mktemp("oidc")
    port = _free_port()
    command = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)]
    for identity in IDENTITIES:
        command += ["--user-claims", json.dumps(identity)]
    log = open(tmp / "provider.log", "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               env=dict(os.environ, NO_COLOR="1"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=2):
                break
        except OSError:
            assert time.monotonic() < deadline, (tmp / "provider.log").read_text()
            time.sleep(0.3)
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory, provider):
    tmp = tmp_path_factory.mktemp("sso")
    path = tmp / "observatory.duckdb"
    bootstrap.init_database(path, load_territory(), with_demo=False)
    users = tmp / "private" / "users.toml"
    rounds = auth.ROUNDS
    auth.ROUNDS = 4
    try:
        auth.save_user(users, "alice", auth.ANALYST, PASSWORD)
    finally:
        auth.ROUNDS = rounds
    write_sso(users, "reader")
    secrets_file = tmp / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
        'client_id = "observatoire"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8")
    process, url = start_app(path, tmp, script="asgi.py",
                             env={auth.USERS_ENV: str(users),
                                  "STREAMLIT_SECRETS_FILES": str(secrets_file)})
    yield url, users, tmp
    process.terminate()
    process.wait(timeout=30)


def load_territory():
    from observatory.territory.config import load_territory_config

    return load_territory_config(config.territory_path())


def write_sso(users, unknown: str) -> None:
    """Rewrite the [sso] table (the app notices the changed file at its next run)."""
    text = users.read_text(encoding="utf-8").split("[sso]")[0]  # the table comes last
    users.write_text(text + SSO_TABLE.format(unknown=unknown), encoding="utf-8")
    users.chmod(0o600)


def sso_login(browser, url: str, sub: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.goto(url)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("button", name="Se connecter avec le fournisseur de test").click(
        timeout=WAIT_MS)
    page.get_by_role("button", name=sub, exact=True).click(timeout=WAIT_MS)  # the provider
    page.wait_for_url(url + "/**", timeout=WAIT_MS)
    return ctx, page


def no_error(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("sub, shown", [
    ("claire", "Connecté : claire@petr-ariege.fr (analyste)"),   # by e-mail (any case)
    ("karim", "Connecté : karim@petr-ariege.fr (analyste)"),     # by group claim
    ("inconnu", "Connecté : inconnu@ailleurs.fr (lecteur)"),      # unknown: a reader
])
def test_an_identity_lands_with_the_role_the_mapping_gives(browser, server, sub, shown):
    url, _, tmp = server
    ctx, page = sso_login(browser, url, sub)
    try:
        page.get_by_text(shown).wait_for(timeout=WAIT_MS)
        no_error(page)
        if "analyste" in shown:  # the analysts' pages open: the « Importer » page's form
            assert page.get_by_text("Vous consultez en lecture seule.").count() == 0
        page.reload()  # Streamlit's identity cookie keeps the login
        page.get_by_text(shown).wait_for(timeout=WAIT_MS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"sso-{sub}.png"))
        log = (tmp / "streamlit.log").read_text(encoding="utf-8")
        assert CLIENT_SECRET not in log and COOKIE_SECRET not in log
    finally:
        ctx.close()


def test_an_unknown_identity_is_refused_when_the_mapping_says_so(browser, server):
    url, users, _ = server
    write_sso(users, "refuse")
    try:
        ctx, page = sso_login(browser, url, "inconnu")
        try:
            page.get_by_text("n'a pas accès à cet observatoire").wait_for(timeout=WAIT_MS)
            page.get_by_text("Vous consultez en lecture seule.").wait_for(timeout=WAIT_MS)
            expect(page.get_by_text("Connecté :")).to_have_count(0, timeout=WAIT_MS)
            no_error(page)
        finally:
            ctx.close()
        ctx, page = sso_login(browser, url, "karim")  # a mapped analyst still gets in
        try:
            page.get_by_text("Connecté : karim@petr-ariege.fr (analyste)").wait_for(
                timeout=WAIT_MS)
        finally:
            ctx.close()
    finally:
        write_sso(users, "reader")


def test_local_accounts_work_next_to_single_sign_on(browser, server):
    url, _, _ = server
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = ctx.new_page()
        page.goto(url)
        page.get_by_text("Connexion analyste").click(timeout=WAIT_MS)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_label("Nom d'utilisateur").fill("alice")
        sidebar.get_by_label("Mot de passe").fill(PASSWORD)
        sidebar.get_by_role("button", name="Se connecter", exact=True).click()
        page.get_by_text("Connecté : alice (analyste)").wait_for(timeout=WAIT_MS)
        assert sessions.COOKIE_NAME  # the same persistent session as without SSO
    finally:
        ctx.close()


def test_user_logout_refuses_an_identity_until_it_logs_in_again(browser, server):
    url, _, tmp = server
    ctx, page = sso_login(browser, url, "karim")
    try:
        page.get_by_text("Connecté : karim@petr-ariege.fr (analyste)").wait_for(timeout=WAIT_MS)
        done = subprocess.run(
            [sys.executable, "-m", "observatory.cli", "user", "logout", "karim@petr-ariege.fr",
             "--db", str(tmp / "observatory.duckdb")],
            cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        page.reload()
        page.get_by_text("fermée par l'administrateur").wait_for(timeout=WAIT_MS)
        expect(page.get_by_text("Connecté :")).to_have_count(0, timeout=WAIT_MS)
        no_error(page)
        page.locator('[data-testid="stSidebar"]').get_by_role(
            "button", name="Se connecter avec le fournisseur de test").click()
        page.get_by_role("button", name="karim", exact=True).click(timeout=WAIT_MS)
        page.get_by_text("Connecté : karim@petr-ariege.fr (analyste)").wait_for(timeout=WAIT_MS)
    finally:
        ctx.close()
