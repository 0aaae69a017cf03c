"""The CLI contract: every `--json` output follows its published JSON Schema, and the exit codes.

Each command runs on its own copy of the demonstration database (with a snapshot, a saved
consortium, an account and a refused login, so that no list is empty) and its output is
validated against ``docs/schemas/<command>.json`` (JSON Schema draft 2020-12). A test walks the
parser: a new command with ``--json`` and no schema (or no case here) fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from observatory import auth, cli, errors
from observatory.store import db, logins

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "docs" / "schemas"
FIXTURES = ROOT / "tests" / "fixtures" / "import"
PASSWORD = "lavande-Foix-2026"


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    for name in ("OBSERVATORY_DB", "OBSERVATORY_TERRITORY", "OBSERVATORY_USERS",
                 "OBSERVATORY_DISTANCE", "OBSERVATORY_DISTANCE_MATRIX", "OBSERVATORY_CIRCUITY",
                 "OBSERVATORY_SPEED_KMH", "OBSERVATORY_CALL_YEAR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def world(demo_db, tmp_path_factory) -> dict:
    """A copy of the demo database with a snapshot and a refused login, and an accounts file."""
    folder = tmp_path_factory.mktemp("contract")
    path = folder / "observatory.duckdb"
    shutil.copyfile(demo_db, path)
    assert cli.main(["snapshot", "create", "--label", "Bilan", "--db", str(path)]) == 0
    con = db.connect(path)
    try:
        logins.record(con, "intrus", "203.0.113.9", logins.FAILED,
                      dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    finally:
        con.close()
    users = folder / "users.toml"
    auth.save_user(users, "alice", auth.ANALYST, PASSWORD)
    return {"db": str(path), "users": str(users)}


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))


def run_json(capsys, argv: list[str]):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == errors.EXIT_OK, err
    return json.loads(out)


def cases(world: dict) -> dict[str, list[str]]:
    """Schema name -> the command line whose --json output it describes."""
    db_ = ["--db", world["db"]]
    return {
        "places": ["places", "--json", *db_],
        "territory": ["territory", "--json", *db_],
        "partners": ["partners", "1", "--json", "--max-minutes", "60", *db_],
        "network": ["network", "--json", *db_],
        "consortia": ["consortia", "--json", *db_],
        "coverage": ["coverage", "--json", "--suggest", "2", *db_],
        "indicators": ["indicators", "--json", *db_],
        "snapshot-list": ["snapshot", "list", "--json", *db_],
        "snapshot-diff": ["snapshot", "diff", "1", "current", "--json", *db_],
        "import": ["import", "places", str(FIXTURES / "inventaire_excel_fr.csv"), "--dry-run",
                   "--json", *db_],
        "erase-person": ["erase-person", "Dupont", "--dry-run", "--json", *db_],
        # The demonstration has no duplicate above the threshold: a low one lists pairs.
        "duplicates": ["duplicates", "--json", "--min-score", "20", *db_],
        "user-list": ["user", "list", "--json", "--users-file", world["users"]],
        "user-failures": ["user", "failures", "--json", *db_],
    }


def json_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[str]:
    """Every (sub)command of the parser that takes --json, named like its schema file."""
    found = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found |= json_commands(child, (*prefix, name))
        elif "--json" in action.option_strings:
            # `import places` and `import evaluations` share one schema
            found.add("import" if prefix[0] == "import" else "-".join(prefix))
    return found


def test_every_json_command_has_a_schema_and_a_case(tmp_path):
    commands = json_commands(cli.build_parser())
    assert {"partners", "consortia", "coverage", "import", "snapshot-list"} <= commands
    assert commands == {p.stem for p in SCHEMAS.glob("*.json")}
    assert commands == set(cases({"db": "x", "users": "y"}))


@pytest.mark.parametrize("name", sorted(p.stem for p in SCHEMAS.glob("*.json")))
def test_each_schema_is_a_valid_draft_2020_12_schema(name):
    document = schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)


@pytest.mark.parametrize("name", sorted(p.stem for p in SCHEMAS.glob("*.json")))
def test_each_json_output_follows_its_schema(capsys, world, name):
    output = run_json(capsys, cases(world)[name])
    assert output, "every case has something to list"
    jsonschema.Draft202012Validator(
        schema(name), format_checker=jsonschema.FormatChecker()).validate(output)


def test_partners_keys_are_those_the_partner_issue_named(capsys, world):
    result = run_json(capsys, cases(world)["partners"])
    assert result["partners"], "the demo place 1 has partners within an hour"
    for record in result["partners"]:
        assert {"place_id", "name", "distance_km", "road_km", "minutes", "score", "terms",
                "eligible", "reasons", "why"} <= set(record)
        assert isinstance(record["eligible"], bool)
        assert record["eligible"] == (record["reasons"] == [])
        assert all(isinstance(r, str) for r in record["reasons"])
        assert record["distance_km"] <= record["road_km"]  # great circle ≤ road


def test_partners_max_km_keeps_partners_within_that_crow_fly_distance(capsys, world):
    every = [*cases(world)["partners"], "--top", "1000"]  # not cut at the default top
    wide = run_json(capsys, every)["partners"]
    # halfway between two distances as printed (rounded): no partner sits on the limit
    printed = sorted({r["distance_km"] for r in wide})
    limit = round(sum(printed[len(printed) // 2: len(printed) // 2 + 2]) / 2, 3)
    near = run_json(capsys, [*every, "--max-km", str(limit)])
    assert near["max_km"] == limit
    assert near["partners"] and len(near["partners"]) < len(wide)
    assert all(r["distance_km"] <= limit for r in near["partners"])
    assert {r["place_id"] for r in near["partners"]} == {r["place_id"] for r in wide
                                                          if r["distance_km"] <= limit}


def test_partners_top_and_its_alias_limit(capsys, world):
    top = run_json(capsys, [*cases(world)["partners"], "--top", "3"])["partners"]
    alias = run_json(capsys, [*cases(world)["partners"], "--limit", "3"])["partners"]
    assert len(top) == 3 and top == alias


def test_consortia_members_and_lead_are_place_ids(capsys, world):
    place_ids = {p["id"] for p in run_json(capsys, cases(world)["places"])}
    listing = run_json(capsys, cases(world)["consortia"])["consortia"]
    assert listing, "the demonstration has saved consortia"
    for record in listing:
        assert set(record["members"]) <= place_ids and record["lead"] in place_ids
        assert record["lead"] in record["members"]


def test_the_settings_choose_the_distance_and_the_options_override_them(capsys, world,
                                                                        monkeypatch):
    every = [*cases(world)["partners"], "--top", "1000"]  # not cut at the default top
    default = run_json(capsys, every)
    monkeypatch.setenv("OBSERVATORY_SPEED_KMH", "27,5")
    slow = run_json(capsys, every)
    assert "27,5 km/h" in slow["distance_method"]
    assert slow["distance_is_estimate"] is True
    assert len(slow["partners"]) < len(default["partners"])  # half the speed, fewer in an hour
    faster = run_json(capsys, [*cases(world)["partners"], "--speed", "110"])
    assert "110 km/h" in faster["distance_method"]  # --speed wins over the environment


def test_a_road_time_matrix_from_the_settings_is_used_and_named(capsys, world, monkeypatch,
                                                                 tmp_path):
    wide = run_json(capsys, cases(world)["partners"])["partners"]
    far, near = wide[0]["place_id"], wide[1]["place_id"]
    matrix = tmp_path / "matrice.csv"
    matrix.write_text(f"from_id,to_id,road_km,minutes\n1,{far},150,180\n1,{near},2,3\n",
                      encoding="utf-8")
    monkeypatch.setenv("OBSERVATORY_DISTANCE", "matrice")
    monkeypatch.setenv("OBSERVATORY_DISTANCE_MATRIX", str(matrix))
    routed = run_json(capsys, cases(world)["partners"])
    assert routed["distance_is_estimate"] is False
    assert routed["distance_method"] == "Matrice de distances routières fournie"
    assert far not in {r["place_id"] for r in routed["partners"]}  # 180 min: out of reach
    why = {r["place_id"]: r["why"] for r in routed["partners"]}
    assert "estimation" not in why[near]  # measured by the matrix
    # A pair the matrix lacks is the estimate, and its explanation says so.
    assert all("estimation)" in text for pid, text in why.items() if pid != near)


def test_the_call_year_defaults_to_the_settings(capsys, world, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_CALL_YEAR", "2023")
    assert run_json(capsys, cases(world)["partners"])["call_year"] == 2023
    assert run_json(capsys, [*cases(world)["partners"], "--call-year", "2027"])["call_year"] == 2027


# --- exit codes ---------------------------------------------------------------------------------

def test_an_unexpected_exception_is_a_bug_exit_70_with_its_traceback(capsys, world, monkeypatch):
    def broken(con, settings, place_id, **options):
        raise KeyError("max_minutes")

    monkeypatch.setattr(cli.proximity, "partners_for", broken)
    code = cli.main(cases(world)["partners"])
    out, err = capsys.readouterr()
    assert code == errors.EXIT_SOFTWARE == 70
    assert out == ""
    assert "Erreur inattendue (KeyError)" in err and "signaler" in err
    assert "Traceback (most recent call last)" in err and "KeyError: 'max_minutes'" in err


def test_a_bare_value_error_is_no_longer_a_user_error(capsys, world, monkeypatch):
    def broken(con, **options):
        raise ValueError("could not convert string to float: 'x'")

    monkeypatch.setattr(cli.proximity, "coverage_report", lambda con, settings, **o: broken(con))
    code = cli.main(cases(world)["coverage"])
    err = capsys.readouterr().err
    assert code == 70 and "Traceback" in err and not err.startswith("Erreur : ")


def test_a_french_error_exits_1_without_a_traceback(capsys, world):
    code = cli.main(["partners", "99999", "--json", "--db", world["db"]])
    err = capsys.readouterr().err
    assert code == errors.EXIT_FAILED == 1
    assert err.startswith("Erreur : Lieu 99999 introuvable") and "Traceback" not in err


def test_a_refused_import_exits_2(capsys, world, tmp_path):
    broken = tmp_path / "lieux.csv"
    broken.write_text("nom;commune\n;Nulle-Part\n", encoding="utf-8")
    code = cli.main(["import", "places", str(broken), "--json", "--db", world["db"]])
    out, _ = capsys.readouterr()
    assert code == errors.EXIT_INVALID == 2
    report = json.loads(out)
    assert report["ok"] is False and report["written"] is False
    jsonschema.Draft202012Validator(schema("import")).validate(report)


def test_interrupted_exits_130(capsys, world, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.proximity, "consortia", interrupted)
    assert cli.main(cases(world)["consortia"]) == 130
    assert "Interrompu." in capsys.readouterr().err


def test_the_exit_codes_are_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for text in (readme, guide):
        for code in ("0", "1", "2", "70"):
            assert f"| {code} |" in text, code
    for name in (p.stem for p in SCHEMAS.glob("*.json")):
        assert f"schemas/{name}.json" in guide, name
