"""Access rules: roles, bcrypt-hashed accounts outside the repository, no default password."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import stat
import tomllib
import unicodedata
from pathlib import Path

import bcrypt
import pytest

from observatory import auth
from observatory.auth import ANALYST, READER, AuthError, User

GOOD = "lavande-Foix-2026"
OTHER = "Tarascon_sur_Ariege!"


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    """Cost 4 instead of 12: the rules are the same, the suite stays fast."""
    monkeypatch.setattr(auth, "ROUNDS", 4)


@pytest.fixture
def checkpw_calls(monkeypatch) -> list[tuple[bytes, bytes]]:
    """Every bcrypt.checkpw call made by observatory.auth, recorded and passed through."""
    calls = []
    real = bcrypt.checkpw

    def spy(password, hashed):
        calls.append((password, hashed))
        return real(password, hashed)

    monkeypatch.setattr(auth.bcrypt, "checkpw", spy)
    return calls


@pytest.fixture
def users_file(tmp_path) -> Path:
    path = tmp_path / "secrets" / "users.toml"
    auth.save_user(path, "alice", ANALYST, GOOD)
    auth.save_user(path, "bruno", READER, OTHER)
    return path


def write_raw(path: Path, entries: dict[str, tuple[str, str]]) -> Path:
    """An accounts file written by hand (or another tool): name -> (role, password_hash)."""
    lines = []
    for name, (role, password_hash) in entries.items():
        lines += [f'[users."{name}"]', f'role = "{role}"', f'password_hash = "{password_hash}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def bcrypt_of(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()


# --- passwords --------------------------------------------------------------------------------

def test_a_hashed_password_verifies_and_nothing_else_does():
    password_hash = auth.hash_password(GOOD)
    assert password_hash.startswith("$2b$04$") and GOOD not in password_hash
    users = {"alice": User("alice", ANALYST, password_hash)}
    assert auth.verify(users, "alice", GOOD) == User("alice", ANALYST)
    assert auth.verify(users, "alice", GOOD + "x") is None
    assert auth.verify(users, "alice", "") is None


def test_the_same_password_hashes_differently_each_time():
    assert auth.hash_password(GOOD) != auth.hash_password(GOOD)


def test_an_accented_password_verifies_whichever_way_the_keyboard_composed_it():
    password = "éléphant-de-l'Ariège"
    decomposed = unicodedata.normalize("NFD", password)
    users = {"alice": User("alice", ANALYST, auth.hash_password(decomposed))}
    assert auth.verify(users, "alice", unicodedata.normalize("NFC", password))


def test_a_password_shorter_than_ten_characters_is_refused_in_french():
    with pytest.raises(AuthError, match="trop court : 10 caractères au moins"):
        auth.hash_password("court-123")


@pytest.mark.parametrize("password, reason", [
    ("", "vide"),
    ("          ", "vide"),
    ("observatoire", "trop évident"),
    ("aaaaaaaaaaaa", "trop évident"),
    ("abababababab", "trop évident"),
    ("é" * 40, "trop long"),  # 80 bytes: bcrypt would ignore the end
])
def test_obvious_empty_or_overlong_passwords_are_refused(password, reason):
    with pytest.raises(AuthError, match=reason):
        auth.hash_password(password)


@pytest.mark.parametrize("password", [
    "1234567890", "Password123", "Azerty123!", "motdepasse2026", "qwertyuiop", "0987654321",
    "Observatoire2026", "Ariege2026!", "Soleil2024!", "iloveyou123",
])
def test_common_or_guessable_passwords_are_refused(password):
    """Long enough, but among the most common passwords or built from a word plus digits."""
    with pytest.raises(AuthError, match="trop facile à deviner"):
        auth.hash_password(password)


@pytest.mark.parametrize("password", [GOOD, OTHER, "Une-phrase-de-passe-solide-42",
                                      "cheval correct pile agrafe", "éléphant-de-l'Ariège"])
def test_passphrases_are_accepted(password):
    assert auth.password_problem(password, "alice") is None


def test_the_cli_refuses_a_common_password_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Password123\n"))
    with pytest.raises(AuthError, match="trop facile à deviner"):
        run_cli("user", "add", "alice", "--role", "analyst", "--users-file",
                str(tmp_path / "u.toml"), "--password-stdin")
    assert not (tmp_path / "u.toml").exists()


def test_a_password_containing_the_user_name_is_refused(tmp_path):
    with pytest.raises(AuthError, match="nom d'utilisateur"):
        auth.save_user(tmp_path / "users.toml", "alice", ANALYST, "Alice-2026-foix")
    assert not (tmp_path / "users.toml").exists()


# --- verification leaks nothing through its timing -----------------------------------------

def test_an_unknown_name_costs_the_same_bcrypt_check_as_a_known_one(users_file, checkpw_calls):
    users = auth.load_users(users_file)
    checkpw_calls.clear()

    assert auth.verify(users, "alice", "mauvais-mot-de-passe") is None
    assert auth.verify(users, "inconnu", "mauvais-mot-de-passe") is None

    assert len(checkpw_calls) == 2  # one check each, whether the name exists or not
    known, unknown = (hashed for _, hashed in checkpw_calls)
    assert known == users["alice"].password_hash.encode()
    assert unknown[:7] == known[:7] == b"$2b$04$"  # the dummy hash has the accounts' cost


def test_an_overlong_or_malformed_attempt_still_runs_one_check_and_fails(checkpw_calls):
    users = {"alice": User("alice", ANALYST, auth.hash_password(GOOD)),
             "eve": User("eve", ANALYST, "en-clair-123")}
    assert auth.verify(users, "alice", "x" * 500) is None
    assert auth.verify(users, "eve", "en-clair-123") is None  # a plaintext "hash" never matches
    assert len(checkpw_calls) == 2


# --- the accounts file ------------------------------------------------------------------------

def test_saved_accounts_load_back_with_their_roles(users_file):
    users = auth.load_users(users_file)
    assert {n: u.role for n, u in users.items()} == {"alice": ANALYST, "bruno": READER}
    assert auth.verify(users, "bruno", OTHER).role == READER
    text = users_file.read_text(encoding="utf-8")
    assert GOOD not in text and OTHER not in text
    assert tomllib.loads(text)["users"]["alice"]["password_hash"].startswith("$2b$")


def test_the_accounts_file_is_private_even_when_it_was_not(users_file):
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    users_file.chmod(0o644)
    assert "chmod 600" in auth.permissions_warning(users_file)
    auth.save_user(users_file, "chloe", ANALYST, "Saint-Girons-09")
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    assert auth.permissions_warning(users_file) is None


def test_the_accounts_file_is_replaced_whole_or_not_at_all(users_file, monkeypatch):
    before = users_file.read_bytes()
    renames = []

    def failing_replace(src, dst):
        renames.append((Path(src), Path(dst)))
        assert stat.S_IMODE(Path(src).stat().st_mode) == 0o600  # private before it has a name
        raise OSError("disque plein")

    monkeypatch.setattr(auth.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disque plein"):
        auth.save_user(users_file, "chloe", ANALYST, "Saint-Girons-09")

    assert renames and renames[0][1] == users_file and renames[0][0].parent == users_file.parent
    assert users_file.read_bytes() == before
    assert sorted(p.name for p in users_file.parent.iterdir()) == ["users.toml"]  # no temp left


def test_an_existing_account_is_replaced_only_when_asked(users_file):
    with pytest.raises(AuthError, match="existe déjà"):
        auth.save_user(users_file, "bruno", ANALYST, "Pamiers-2026-x", replace=False)
    auth.save_user(users_file, "bruno", ANALYST, "Pamiers-2026-x")
    users = auth.load_users(users_file)
    assert users["bruno"].role == ANALYST
    assert auth.verify(users, "bruno", OTHER) is None


@pytest.mark.parametrize("name", ['evil"]\n[users.root', "", "a b", "x" * 65])
def test_a_name_that_could_break_the_file_is_refused(tmp_path, name):
    with pytest.raises(AuthError, match="Nom d'utilisateur invalide"):
        auth.save_user(tmp_path / "users.toml", name, ANALYST, GOOD)


def test_an_unknown_role_is_refused(tmp_path):
    with pytest.raises(AuthError, match="Rôle inconnu"):
        auth.save_user(tmp_path / "users.toml", "alice", "admin", GOOD)


def test_removing_an_account(users_file):
    auth.remove_user(users_file, "bruno")
    assert list(auth.load_users(users_file)) == ["alice"]
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    with pytest.raises(AuthError, match="Utilisateur inconnu"):
        auth.remove_user(users_file, "bruno")


def test_the_last_analyst_cannot_be_removed(users_file):
    with pytest.raises(AuthError, match="dernier analyste"):
        auth.remove_user(users_file, "alice")
    assert "alice" in auth.load_users(users_file)


# --- a protected deployment refuses weak configurations -------------------------------------

def test_without_the_variable_the_observatory_runs_in_demo_mode():
    assert auth.auth_mode({}) == "demo"
    assert auth.auth_mode({"OBSERVATORY_USERS": "  "}) == "demo"
    assert auth.auth_mode({"OBSERVATORY_USERS": "/etc/observatoire/users.toml"}) == "protected"
    assert auth.users_path({"OBSERVATORY_USERS": "/etc/o/users.toml"}) == Path("/etc/o/users.toml")


def test_a_missing_accounts_file_is_a_clear_error(tmp_path):
    path = tmp_path / "absent.toml"
    with pytest.raises(AuthError) as caught:
        auth.load_users(path)
    message = str(caught.value)
    assert "introuvable" in message and str(path) in message and "OBSERVATORY_USERS" in message
    assert "observatory user add" in message


def test_an_unreadable_or_invalid_accounts_file_is_a_clear_error(tmp_path):
    with pytest.raises(AuthError, match="illisible"):
        auth.load_users(tmp_path)  # a folder: reading it fails (chmod 000 does not stop root)
    broken = tmp_path / "users.toml"
    broken.write_text('[users.alice\nrole = "analyst"', encoding="utf-8")
    with pytest.raises(AuthError, match="invalide"):
        auth.load_users(broken)
    broken.write_bytes(b"\xff\xfe[users]")
    with pytest.raises(AuthError, match="illisible"):
        auth.load_users(broken)


@pytest.mark.parametrize("password", ["admin", "password", "changeme", "motdepasse", "", "marie",
                                      "mariemarie", "observatoire"])
def test_a_default_or_trivial_password_in_the_file_is_refused(tmp_path, password):
    """Hashes made by another tool (htpasswd, a one-liner) are checked too."""
    path = write_raw(tmp_path / "users.toml", {
        "alice": (ANALYST, bcrypt_of(GOOD)),
        "marie": (ANALYST, bcrypt_of(password)),
    })
    with pytest.raises(AuthError) as caught:
        auth.load_users(path)
    assert caught.value.problems == [
        "« marie » : mot de passe par défaut ou trivial, changez-le "
        "(« observatory user add NOM --replace »)."]


@pytest.mark.parametrize("stored, reason", [
    ("", "mot de passe vide"),
    ("changeme", "n'est pas un hachage bcrypt"),
    ("lavande-Foix-2026", "n'est pas un hachage bcrypt"),
    ("$2b$04$tropcourt", "n'est pas un hachage bcrypt"),
])
def test_an_empty_or_plaintext_password_in_the_file_is_refused(tmp_path, stored, reason):
    path = write_raw(tmp_path / "users.toml", {"alice": (ANALYST, bcrypt_of(GOOD)),
                                               "marie": (READER, stored)})
    with pytest.raises(AuthError, match=reason):
        auth.load_users(path)


def test_a_file_without_analyst_is_refused(tmp_path):
    path = tmp_path / "users.toml"
    auth.save_user(path, "bruno", READER, OTHER)  # allowed while building the file
    with pytest.raises(AuthError, match="Aucun analyste"):
        auth.load_users(path)
    write_raw(path, {})
    with pytest.raises(AuthError, match="Aucun compte"):
        auth.load_users(path)


def test_every_problem_is_listed_at_once(tmp_path):
    path = write_raw(tmp_path / "users.toml", {"marie": ("admin", "changeme"),
                                               "paul": (READER, bcrypt_of("admin"))})
    with pytest.raises(AuthError) as caught:
        auth.load_users(path)
    assert len(caught.value.problems) == 4  # role, plaintext, no analyst, default password


# --- what each role may do --------------------------------------------------------------------

MATRIX = {  # action: (reader, analyst)
    "view": (True, True),
    "export_public": (True, True),
    "edit": (False, True),
    "import": (False, True),
    "snapshot": (False, True),
    "change_rule": (False, True),
    "see_contacts": (False, True),
    "export_contacts": (False, True),
    "see_history": (False, True),
    "restore": (False, True),
}


@pytest.mark.parametrize("action", MATRIX)
def test_what_readers_and_analysts_may_do(action):
    assert (auth.can(READER, action), auth.can(ANALYST, action)) == MATRIX[action]
    assert auth.can("inconnu", action) is False


def test_the_matrix_covers_every_action():
    assert set(MATRIX) == set(auth.PERMISSIONS)


def test_an_unknown_action_is_a_bug_not_a_refusal():
    with pytest.raises(ValueError, match="Action inconnue"):
        auth.can(ANALYST, "edti")


def test_demo_visitors_are_analysts_and_anonymous_visitors_readers():
    assert auth.DEMO_USER.role == ANALYST and auth.ANONYMOUS.role == READER


# --- brute-force brake ------------------------------------------------------------------------

T0 = dt.datetime(2026, 3, 2, 9, 0, 0)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_five_failures_in_five_minutes_make_the_client_wait():
    failures = [at(s) for s in range(5)]
    assert auth.lock_wait_s(failures[:4], at(5)) == 0
    assert auth.lock_wait_s(failures, at(10)) == pytest.approx(290)  # until the 1st is 5 min old
    assert auth.lock_wait_s(failures, at(300)) == 0


def test_the_lock_is_a_sliding_window_not_a_fresh_series():
    """Waiting out the lock gives one more try, not five: at most 5 guesses per 5 minutes."""
    failures = [at(s) for s in range(5)] + [at(300)]
    assert auth.lock_wait_s(failures, at(300)) == pytest.approx(1)
    failures += [at(301), at(302), at(303)]
    assert auth.lock_wait_s(failures, at(304)) == 0  # the first five are 5 minutes old
    failures.append(at(304))
    assert auth.lock_wait_s(failures, at(304)) == pytest.approx(296)


def test_an_account_under_attack_is_slowed_down_not_refused():
    assert auth.slow_down_s(auth.SLOW_AFTER - 1) == 0
    assert auth.slow_down_s(auth.SLOW_AFTER) == auth.SLOW_DELAY_S > 0


# --- `observatory user …` ---------------------------------------------------------------------

def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="observatory")
    sub = parser.add_subparsers(dest="command", required=True)
    auth.register_cli(sub, lambda p: p.add_argument("--db", default=None))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_adds_lists_checks_and_removes_accounts(tmp_path, monkeypatch, capsys):
    path = tmp_path / "users.toml"
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD + "\n"))
    assert run_cli("user", "add", "alice", "--role", "analyst", "--users-file", str(path),
                   "--password-stdin") == 0
    answers = iter([OTHER, OTHER])
    monkeypatch.setattr(auth.getpass, "getpass", lambda prompt="": next(answers))
    monkeypatch.setenv("OBSERVATORY_USERS", str(path))
    assert run_cli("user", "add", "bruno", "--role", "reader") == 0
    assert "Compte ajouté : bruno (lecteur)" in capsys.readouterr().out

    assert run_cli("user", "list") == 0
    assert capsys.readouterr().out.splitlines() == ["alice\tanalyste", "bruno\tlecteur"]
    assert run_cli("user", "check") == 0
    assert "2 compte(s) dont 1 analyste(s)" in capsys.readouterr().out
    assert run_cli("user", "remove", "bruno") == 0
    assert list(auth.load_users(path)) == ["alice"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_cli_refuses_two_different_passwords_and_writes_nothing(tmp_path, monkeypatch):
    answers = iter([GOOD, GOOD + "!"])
    monkeypatch.setattr(auth.getpass, "getpass", lambda prompt="": next(answers))
    with pytest.raises(AuthError, match="diffèrent"):
        run_cli("user", "add", "alice", "--role", "analyst",
                "--users-file", str(tmp_path / "u.toml"))
    assert not (tmp_path / "u.toml").exists()


def test_cli_refuses_a_short_password_before_asking_for_it_twice(tmp_path, monkeypatch):
    prompts = []
    monkeypatch.setattr(auth.getpass, "getpass",
                        lambda prompt="": prompts.append(prompt) or "court")
    with pytest.raises(AuthError, match="trop court"):
        run_cli("user", "add", "alice", "--role", "analyst",
                "--users-file", str(tmp_path / "u.toml"))
    assert len(prompts) == 1


def test_cli_needs_a_file_and_says_which_option(monkeypatch):
    monkeypatch.delenv("OBSERVATORY_USERS", raising=False)
    with pytest.raises(AuthError, match="--users-file"):
        run_cli("user", "list")


def test_cli_does_not_overwrite_an_account_without_replace(users_file, monkeypatch):
    monkeypatch.setattr(auth.getpass, "getpass",
                        lambda prompt="": pytest.fail("no prompt expected"))
    with pytest.raises(AuthError, match="--replace"):
        run_cli("user", "add", "alice", "--role", "reader", "--users-file", str(users_file))


def _attempts_db(tmp_path: Path) -> Path:
    from observatory.store import db, logins

    path = tmp_path / "observatory.duckdb"
    with db.session(path) as con:
        db.migrate(con)
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        logins.record(con, "alice", "203.0.113.7", logins.FAILED, now - dt.timedelta(minutes=3))
        logins.record(con, "alice", "203.0.113.7", logins.LOCKED, now - dt.timedelta(minutes=2))
        logins.record(con, "mallory", "", logins.FAILED, now - dt.timedelta(minutes=1))
        logins.record(con, "bruno", "198.51.100.2", logins.SUCCEEDED, now)
        logins.record(con, "alice", "203.0.113.7", logins.FAILED, now - dt.timedelta(days=2))
    return path


def test_cli_lists_recent_refused_logins_for_the_administrator(tmp_path, capsys):
    path = _attempts_db(tmp_path)
    assert run_cli("user", "failures", "--db", str(path)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[1:] for line in lines[:-1]] == [
        ["mallory", "local", "échec"], ["alice", "203.0.113.7", "refusé (verrou)"],
        ["alice", "203.0.113.7", "échec"]]  # newest first, the two-day-old one left out
    assert "échecs par nom : alice : 1, mallory : 1." in lines[-1]

    assert run_cli("user", "failures", "--db", str(path), "--hours", "72", "--all", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["outcome"] for r in rows] == ["succeeded", "failed", "locked", "failed", "failed"]


def test_cli_failures_on_a_missing_database_is_a_french_error(tmp_path):
    with pytest.raises(AuthError, match="Base introuvable"):
        run_cli("user", "failures", "--db", str(tmp_path / "absent.duckdb"))


def test_require_returns_an_allowed_user_and_refuses_others_in_french():
    from observatory.errors import ObservatoryError

    assert auth.require(auth.DEMO_USER, "edit") is auth.DEMO_USER
    assert auth.require(auth.ANONYMOUS, "export_public") is auth.ANONYMOUS
    with pytest.raises(auth.PermissionDenied) as refused:
        auth.require(auth.ANONYMOUS, "edit")
    assert isinstance(refused.value, ObservatoryError)
    assert str(refused.value).startswith("Vous ne pouvez pas modifier les données")
    assert "lecteur" in str(refused.value)
    with pytest.raises(auth.PermissionDenied):
        auth.require(auth.User("x", "stagiaire"), "view")  # an unknown role may do nothing
    with pytest.raises(ValueError, match="Action inconnue"):
        auth.require(auth.DEMO_USER, "fly")
