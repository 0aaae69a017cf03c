"""Sessions that survive a reload and single sign-on roles (issue 15 §1–2): the pure rules
(signing, expiry, revocation, role mapping), the store and its use cases, the CLI, and the
secrets that are never shown."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from observatory import auth, cli, sessions, settings
from observatory.service import sessions as cases
from observatory.sessions import Limits, Session, SsoConfigError
from observatory.settings import Settings, SettingsError
from observatory.store import db
from observatory.store import sessions as store

ROOT = Path(__file__).resolve().parents[1]
SECRET = "k3Jq9-tirée-au-hasard-pour-ces-essais-ZpW2xR8"
NOW = dt.datetime(2026, 12, 5, 9, 0)


def signed_at(secret: str, value: str, when: dt.datetime) -> str:
    """``sessions.sign`` as if run at ``when``."""
    serializer = URLSafeTimedSerializer(secret, salt=sessions._SALT)
    signer = serializer.make_signer(serializer.salt)
    signer.get_timestamp = lambda: int(when.replace(tzinfo=dt.timezone.utc).timestamp())
    return signer.sign(serializer.dump_payload(value)).decode("ascii")


# --- the secret ---------------------------------------------------------------------------------

@pytest.mark.parametrize("secret, words", [
    ("", "aucun secret"),
    ("   ", "aucun secret"),
    ("court-mais-pas-vide", "trop court"),
    ("changeme-changeme-changeme-changeme-42", "valeur d'exemple"),
    ("a" * 40, "répétitive"),
    ("your-cookie-secret-your-cookie-secret-xx", "valeur d'exemple"),
])
def test_a_missing_short_or_example_secret_is_refused_naming_the_variable(secret, words):
    problem = sessions.secret_problem(secret)
    assert problem and words in problem and "OBSERVATORY_SECRET" in problem
    if secret.strip():
        assert secret.strip() not in problem  # the value itself is never quoted


def test_a_random_secret_is_accepted():
    import secrets

    for _ in range(50):
        assert sessions.secret_problem(secrets.token_urlsafe(48)) is None


# --- signing ------------------------------------------------------------------------------------

def test_a_signed_session_id_reads_back_with_the_same_secret_only():
    session_id = sessions.new_session_id()
    cookie = sessions.sign(SECRET, session_id)
    assert sessions.unsign(SECRET, cookie, dt.timedelta(days=7)) == session_id
    assert sessions.unsign(SECRET + "x", cookie, dt.timedelta(days=7)) is None


@pytest.mark.parametrize("cookie", [
    None, "", "n'importe quoi", "alice", "alice.Zm9v.YmFy", "x" * 600, 42,
])
def test_a_forged_cookie_reads_as_nothing_without_raising(cookie):
    assert sessions.unsign(SECRET, cookie, dt.timedelta(days=7)) is None


def test_a_tampered_cookie_reads_as_nothing():
    cookie = sessions.sign(SECRET, sessions.new_session_id())
    # Not the very last character: base64's last character of a 20-byte signature carries
    # 4 unused bits, so some changes there decode to the very same signature (a flaky test).
    for position in (0, len(cookie) // 2, len(cookie) - 2):
        changed = cookie[:position] + ("A" if cookie[position] != "A" else "B") + \
            cookie[position + 1:]
        assert sessions.unsign(SECRET, changed, dt.timedelta(days=7)) is None


def test_a_cookie_older_than_the_absolute_limit_reads_as_nothing():
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    old = signed_at(SECRET, "abc", now - dt.timedelta(days=8))
    recent = signed_at(SECRET, "abc", now - dt.timedelta(days=6))
    assert sessions.unsign(SECRET, old, dt.timedelta(days=7)) is None
    assert sessions.unsign(SECRET, recent, dt.timedelta(days=7)) == "abc"


def test_a_ticket_is_not_a_cookie_and_a_cookie_is_not_a_ticket():
    session_id = sessions.new_session_id()
    ticket = sessions.sign_ticket(SECRET, session_id)
    assert sessions.unsign_ticket(SECRET, ticket) == session_id
    assert sessions.unsign(SECRET, ticket, dt.timedelta(days=7)) is None
    assert sessions.unsign_ticket(SECRET, sessions.sign(SECRET, session_id)) is None


def test_the_store_keeps_a_digest_never_the_id():
    session_id = sessions.new_session_id()
    assert sessions.key_of(session_id) != session_id and len(sessions.key_of(session_id)) == 64


# --- validity -----------------------------------------------------------------------------------

def session(**changes) -> Session:
    values = dict(user_name="alice", source=sessions.LOCAL,
                  fingerprint=sessions.fingerprint("analyst", "$2b$hash"),
                  created_at=NOW - dt.timedelta(hours=1),
                  last_seen_at=NOW - dt.timedelta(minutes=5))
    values.update(changes)
    return Session(**values)


def valid(s: Session | None, **kwargs) -> str | None:
    kwargs.setdefault("current_fingerprint", sessions.fingerprint("analyst", "$2b$hash"))
    return sessions.why_not_valid(s, NOW, Limits(), **kwargs)


def test_a_fresh_session_of_an_unchanged_account_counts():
    assert valid(session()) is None


def test_eight_hours_without_a_click_end_a_session_by_default():
    assert valid(session(last_seen_at=NOW - dt.timedelta(hours=7, minutes=59))) is None
    assert valid(session(last_seen_at=NOW - dt.timedelta(hours=8, minutes=1))) == \
        "idle for too long"


def test_seven_days_end_a_session_whatever_the_activity():
    old = session(created_at=NOW - dt.timedelta(days=7, minutes=1), last_seen_at=NOW)
    assert valid(old) == "older than the absolute limit"


def test_the_limits_come_from_the_settings():
    limits = Limits.from_settings(Settings(session_idle_hours=0.5, session_max_days=2))
    assert limits == Limits(dt.timedelta(minutes=30), dt.timedelta(days=2))
    assert sessions.why_not_valid(session(last_seen_at=NOW - dt.timedelta(minutes=31)), NOW,
                                  limits, current_fingerprint=session().fingerprint)


def test_logging_out_revoking_removing_or_changing_the_account_ends_a_session():
    assert valid(session(ended_at=NOW)) == "logged out"
    assert valid(session(), revoked_at=NOW - dt.timedelta(minutes=1)) == \
        "revoked by an administrator"
    assert valid(session(), revoked_at=NOW - dt.timedelta(hours=2)) is None  # an older logout
    assert valid(session(), current_fingerprint=None) == "account removed"
    assert valid(session(), current_fingerprint=sessions.fingerprint("reader", "$2b$hash")) == \
        "account changed (role or password)"
    assert valid(session(), current_fingerprint=sessions.fingerprint("analyst", "$2b$other")) == \
        "account changed (role or password)"
    assert valid(None) == "unknown session"


# --- single sign-on -------------------------------------------------------------------------------

RULES = sessions.read_sso_rules({
    "analysts": ["Claire@PETR-ariege.fr"], "analyst_groups": ["observatoire-analystes"],
    "readers": ["elu@mairie.fr"], "unknown": "refuse"})


@pytest.mark.parametrize("claims, role", [
    ({"email": "claire@petr-ariege.fr"}, "analyst"),                   # by e-mail, any case
    ({"email": "karim@x.fr", "groups": ["observatoire-analystes"]}, "analyst"),
    ({"email": "karim@x.fr", "groups": "observatoire-analystes"}, "analyst"),
    ({"email": "elu@mairie.fr"}, "reader"),
    ({"email": "inconnu@ailleurs.fr", "groups": ["autre"]}, None),      # refused
    ({"email": "claire@petr-ariege.fr", "email_verified": False}, None),  # unverified e-mail
    ({"sub": "123"}, None),
])
def test_identities_get_the_role_the_sso_table_gives(claims, role):
    assert sessions.sso_role(claims, RULES) == role


def test_unknown_identities_are_readers_by_default():
    rules = sessions.read_sso_rules({"analysts": ["claire@petr-ariege.fr"]})
    assert sessions.sso_role({"email": "x@y.fr"}, rules) == "reader"
    assert sessions.sso_role({"email": "x@y.fr"}, sessions.read_sso_rules(None)) == "reader"


def test_the_groups_claim_can_be_renamed():
    rules = sessions.read_sso_rules({"analyst_groups": ["obs"], "groups_claim": "roles"})
    assert sessions.sso_role({"email": "a@b.fr", "roles": ["obs"]}, rules) == "analyst"
    assert sessions.sso_role({"email": "a@b.fr", "groups": ["obs"]}, rules) == "reader"


@pytest.mark.parametrize("table, words", [
    ({"unknown": "admin"}, "reader"),
    ({"analysts": "a@b.fr, c@d.fr "}, None),  # one string is one address: accepted
    ({"analysts": [1, 2]}, "liste de textes"),
    ({"groups_claim": ""}, "groups_claim"),
    ({"labels": {"keycloak": 3}}, "labels"),
])
def test_an_unusable_sso_table_is_refused_in_french(table, words):
    if words is None:
        assert sessions.read_sso_rules(table).analysts == {"a@b.fr, c@d.fr"}
        return
    with pytest.raises(SsoConfigError, match=words):
        sessions.read_sso_rules(table)


def test_an_identity_is_named_by_its_email_else_its_subject():
    assert sessions.identity_name({"email": " Claire@Petr.fr ", "sub": "1"}) == "claire@petr.fr"
    assert sessions.identity_name({"sub": "1"}) == "1"
    assert sessions.issued_at({"iat": 0}) == dt.datetime(1970, 1, 1)
    assert sessions.issued_at({"iat": "hier"}) is None


def test_the_sso_table_survives_user_add_and_remove(tmp_path, monkeypatch):
    monkeypatch.setattr(auth, "ROUNDS", 4)
    path = tmp_path / "users.toml"
    auth.save_user(path, "alice", auth.ANALYST, "lavande-Foix-2026")
    path.write_text(path.read_text(encoding="utf-8") + '\n[sso]\nanalysts = ["c@p.fr"]\n'
                    'unknown = "refuse"\nlabels = { keycloak = "Compte du « Département »" }\n',
                    encoding="utf-8")
    auth.save_user(path, "bruno", auth.ANALYST, "Tarascon_sur_Ariege!")
    auth.remove_user(path, "alice")
    rules = auth.read_sso_rules(path)
    assert rules.analysts == {"c@p.fr"} and rules.unknown == "refuse"
    assert rules.labels == {"keycloak": "Compte du « Département »"}
    assert set(auth.read_users(path)) == {"bruno"}


def test_an_accounts_file_with_only_sso_analysts_may_serve(tmp_path):
    path = tmp_path / "users.toml"
    path.write_text('[sso]\nanalyst_groups = ["observatoire-analystes"]\n', encoding="utf-8")
    assert auth.load_users(path) == {}
    path.write_text('[sso]\nunknown = "reader"\n', encoding="utf-8")
    with pytest.raises(auth.AuthError, match="Aucun compte"):
        auth.load_users(path)
    path.write_text('[sso]\nunknown = "tous"\n', encoding="utf-8")
    with pytest.raises(auth.AuthError, match="unknown"):
        auth.load_users(path)


# --- the store and the use cases ---------------------------------------------------------------

@pytest.fixture
def config(demo_copy) -> Settings:
    """Settings over the demonstration database, on each back end (DuckDB, PostgreSQL)."""
    return Settings(db=demo_copy, secret=SECRET)


def fingerprints(role="analyst", password_hash="$2b$hash"):
    def of(name, source):
        return sessions.fingerprint(role, password_hash) if name == "alice" else None
    return of


def test_a_session_opens_once_its_ticket_is_exchanged_and_the_ticket_is_used_up(config):
    session_id, ticket = cases.open_session(config, SECRET, "alice", sessions.LOCAL,
                                            sessions.fingerprint("analyst", "$2b$hash"))
    assert cases.ticket_pending(config, session_id)
    assert cases.exchange_ticket(config, SECRET, ticket) == session_id
    assert not cases.ticket_pending(config, session_id)
    assert cases.exchange_ticket(config, SECRET, ticket) is None  # once only
    assert cases.exchange_ticket(config, SECRET, "forged") is None
    assert cases.resolve(config, session_id, fingerprints()) == ("alice", None)
    with db.session(config.db, read_only=True) as con:
        stored = con.execute("SELECT session_key, ticket_key FROM web_sessions").fetchall()
    assert stored == [(sessions.key_of(session_id), None)]  # no id, no ticket in clear


def test_a_ticket_of_another_session_opens_nothing(config):
    first, _ = cases.open_session(config, SECRET, "alice", sessions.LOCAL, "f")
    _, second_ticket = cases.open_session(config, SECRET, "alice", sessions.LOCAL, "f")
    with db.session(config.db) as con:  # a ticket moved from one row to another
        con.execute("UPDATE web_sessions SET ticket_key = ? WHERE session_key = ?",
                    [sessions.key_of(second_ticket), sessions.key_of(first)])
    assert cases.exchange_ticket(config, SECRET, second_ticket) is None


def test_logout_ends_the_session_and_only_it(config):
    fp = sessions.fingerprint("analyst", "$2b$hash")
    one, _ = cases.open_session(config, SECRET, "alice", sessions.LOCAL, fp)
    two, _ = cases.open_session(config, SECRET, "alice", sessions.LOCAL, fp)
    cases.close(config, one)
    assert cases.resolve(config, one, fingerprints()) == (None, "logged out")
    assert cases.resolve(config, two, fingerprints()) == ("alice", None)


def test_an_idle_session_ends_and_activity_keeps_it_alive(config):
    fp = sessions.fingerprint("analyst", "$2b$hash")
    session_id, _ = cases.open_session(config, SECRET, "alice", sessions.LOCAL, fp)
    key = sessions.key_of(session_id)
    with db.session(config.db) as con:
        con.execute("UPDATE web_sessions SET created_at = created_at - INTERVAL 9 HOUR, "
                    "last_seen_at = last_seen_at - INTERVAL 7 HOUR WHERE session_key = ?", [key])
    assert cases.resolve(config, session_id, fingerprints()) == ("alice", None)  # touched now
    with db.session(config.db) as con:
        seen = store.get(con, key).last_seen_at
    assert cases.now() - seen < dt.timedelta(minutes=1)
    with db.session(config.db) as con:
        con.execute("UPDATE web_sessions SET last_seen_at = last_seen_at - INTERVAL 9 HOUR "
                    "WHERE session_key = ?", [key])
    assert cases.resolve(config, session_id, fingerprints()) == (None, "idle for too long")


def test_revoking_a_user_ends_all_its_sessions_and_not_later_ones(config):
    fp = sessions.fingerprint("analyst", "$2b$hash")
    ids = [cases.open_session(config, SECRET, "alice", sessions.LOCAL, fp)[0] for _ in range(2)]
    other, _ = cases.open_session(config, SECRET, "bruno", sessions.LOCAL, fp)
    assert cases.revoke(config, "alice") == 2
    assert all(cases.resolve(config, i, fingerprints())[0] is None for i in ids)
    assert cases.revoked_at(config, "alice") is not None
    assert cases.revoked_at(config, "bruno") is None
    with db.session(config.db, read_only=True) as con:
        assert store.get(con, sessions.key_of(other)).ended_at is None
    later, _ = cases.open_session(config, SECRET, "alice", sessions.LOCAL, fp)
    assert cases.resolve(config, later, fingerprints()) == ("alice", None)
    assert cases.revoke(config, "alice") == 1  # revoking again: a later time, still one row


def test_changing_the_password_or_role_or_removing_the_account_ends_its_sessions(config):
    session_id, _ = cases.open_session(config, SECRET, "alice", sessions.LOCAL,
                                       sessions.fingerprint("analyst", "$2b$hash"))
    assert cases.resolve(config, session_id, fingerprints("reader"))[0] is None
    assert cases.resolve(config, session_id, fingerprints(password_hash="$2b$new"))[0] is None
    assert cases.resolve(config, session_id, lambda name, source: None)[0] is None
    assert cases.resolve(config, session_id, fingerprints()) == ("alice", None)


def test_user_logout_on_the_command_line(config, capsys):
    fp = sessions.fingerprint("analyst", "$2b$hash")
    session_id, _ = cases.open_session(config, SECRET, "alice", sessions.LOCAL, fp)
    assert cli.main(["user", "logout", "alice", "--db", str(config.db)]) == 0
    assert "alice : 1 session fermée" in capsys.readouterr().out
    assert cases.resolve(config, session_id, fingerprints())[0] is None
    assert cli.main(["user", "logout", "personne", "--db", str(config.db)]) == 0
    assert "aucune session ouverte" in capsys.readouterr().out


# --- secrets never shown -----------------------------------------------------------------------

def test_the_secret_settings_are_read_with_their_limits():
    read = Settings.from_env({"OBSERVATORY_SECRET": f"  {SECRET} ",
                              "OBSERVATORY_SESSION_IDLE_HOURS": "0,5",
                              "OBSERVATORY_SESSION_MAX_DAYS": "2"})
    assert (read.secret, read.session_idle_hours, read.session_max_days) == (SECRET, 0.5, 2.0)
    defaults = Settings.from_env({})
    assert (defaults.secret, defaults.session_idle_hours, defaults.session_max_days) == \
        ("", 8.0, 7.0)
    with pytest.raises(SettingsError, match="OBSERVATORY_SESSION_MAX_DAYS"):
        Settings.from_env({"OBSERVATORY_SESSION_MAX_DAYS": "365"})


def test_the_secret_is_not_in_the_settings_repr_nor_in_an_error(monkeypatch):
    read = Settings.from_env({"OBSERVATORY_SECRET": SECRET})
    assert SECRET not in repr(read) and SECRET not in str(read)
    secret_setting = next(s for s in settings.SETTINGS if s.env == "OBSERVATORY_SECRET")
    assert secret_setting.secret

    def refuse(text):
        raise ValueError("refusé")

    fake = settings.Setting("OBSERVATORY_SECRET", "secret", "x" * 30, refuse, secret=True)
    monkeypatch.setattr(settings, "SETTINGS", (fake,))
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"OBSERVATORY_SECRET": SECRET})
    assert SECRET not in str(caught.value) and "OBSERVATORY_SECRET" in str(caught.value)


def test_the_cli_never_prints_the_secret(tmp_path, config):
    env = {"OBSERVATORY_SECRET": SECRET, "OBSERVATORY_DB": str(config.db), "PATH": "/usr/bin"}
    outputs = []
    for args in (["--help"], ["user", "--help"], ["user", "logout", "--help"],
                 ["user", "logout", "alice"], ["serve", "--help"],
                 ["places"]):  # a bad setting elsewhere: the error names no secret
        done = subprocess.run([sys.executable, "-m", "observatory.cli", *args], cwd=ROOT,
                              env=env | {"OBSERVATORY_SESSION_IDLE_HOURS": "beaucoup"}
                              if args == ["places"] else env,
                              capture_output=True, text=True, timeout=120)
        outputs.append(done.stdout + done.stderr)
    assert all(SECRET not in text for text in outputs)
    assert "OBSERVATORY_SESSION_IDLE_HOURS" in outputs[-1]
    assert "logout" in outputs[1]


# --- the documented recipe ---------------------------------------------------------------------

def test_the_documented_secrets_and_sso_tables_are_valid_and_complete():
    """Every TOML block of the single sign-on recipe in docs/deployment.md parses, each
    provider has what st.login needs, and the [sso] example is accepted as written."""
    import re
    import tomllib

    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    section = text.split("### Single sign-on (OpenID Connect)", 1)[1].split("\n### ", 1)[0]
    blocks = [tomllib.loads(b) for b in re.findall(r"```toml\n(.*?)```", section, re.S)]
    assert len(blocks) == 3
    providers = {}
    for block in blocks[:2]:
        table = block["auth"]
        assert table["redirect_uri"].endswith("/oauth2callback")
        assert "cookie_secret" in table
        if "client_id" in table:
            providers["default"] = table
        providers.update({k: v for k, v in table.items() if isinstance(v, dict)})
    assert set(providers) == {"default", "microsoft", "google", "keycloak", "proconnect"}
    for name, provider in providers.items():
        assert {"client_id", "client_secret", "server_metadata_url"} <= set(provider), name
        assert provider["server_metadata_url"].startswith("https://"), name
        assert provider["server_metadata_url"].endswith("/.well-known/openid-configuration")
    rules = sessions.read_sso_rules(blocks[2]["sso"])
    assert set(rules.labels) == set(providers) - {"default"}
    assert sessions.sso_role({"email": "Claire@petr-ariege.fr"}, rules) == "analyst"


def test_the_documented_secret_command_draws_an_accepted_secret():
    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    section = text.split("### Sessions that survive a reload", 1)[1].split("\n### ", 1)[0]
    command = section.split("```bash\n", 1)[1].split("```", 1)[0].strip()
    assert command.startswith("python3 -c ")
    code = command.removeprefix("python3 -c ").strip('"')
    drawn = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert sessions.secret_problem(drawn) is None
