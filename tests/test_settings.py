"""Settings in one place: every variable documented, parsed or refused in French, and the
distance provider built from them (issue 11 §2).

Run ``python -m tests.test_settings`` to print the settings table of docs/deployment.md
(between its ``settings:start``/``settings:end`` markers) after changing ``SETTINGS``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from observatory import settings
from observatory.distances import DEFAULT_CIRCUITY, DEFAULT_SPEED_KMH, EstimatedRoad, MatrixFile
from observatory.eligibility import CALL_YEARS
from observatory.errors import ObservatoryError, UserInputError
from observatory.itinerance import CO2_KG_PER_KM
from observatory.settings import SETTINGS, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DEPLOYMENT = ROOT / "docs" / "deployment.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"
ENV_NAMES = [s.env for s in SETTINGS]


# --- documented ---------------------------------------------------------------------------

def settings_table() -> str:
    """The Markdown table of every setting: variable, meaning, default (from the help text)."""
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    for env, help_text in settings.documentation():
        meaning, _, default = help_text.partition(" Default: ")
        rows.append(f"| `{env}` | {meaning.strip()} | {default.strip().rstrip('.') or 'unset'} |")
    return "\n".join(rows)


def documented_table() -> str:
    text = DEPLOYMENT.read_text(encoding="utf-8")
    assert START in text and END in text, f"docs/deployment.md n'a plus les marqueurs {START}"
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def test_the_settings_are_the_ten_the_issue_names():
    assert ENV_NAMES == [
        "OBSERVATORY_DB", "OBSERVATORY_PG_SCHEMA", "OBSERVATORY_TERRITORY", "OBSERVATORY_USERS",
        # issue 15: the key that signs session cookies, and how long a session lasts
        "OBSERVATORY_SECRET", "OBSERVATORY_SESSION_IDLE_HOURS", "OBSERVATORY_SESSION_MAX_DAYS",
        "OBSERVATORY_TILES",
        "OBSERVATORY_DISTANCE", "OBSERVATORY_DISTANCE_MATRIX", "OBSERVATORY_CIRCUITY",
        "OBSERVATORY_SPEED_KMH", "OBSERVATORY_CO2_KG_PER_KM", "OBSERVATORY_CALL_YEAR"]
    assert len(set(ENV_NAMES)) == len(ENV_NAMES)
    for setting in SETTINGS:
        assert setting.env.startswith("OBSERVATORY_"), setting.env
        assert len(setting.help) > 20, setting.env  # a sentence, not a placeholder


@pytest.mark.parametrize("env", ENV_NAMES)
def test_every_setting_is_documented_in_the_readme_or_the_deployment_guide(env):
    """As datasette documents each of its settings: a variable nobody can find is not one."""
    docs = README.read_text(encoding="utf-8") + DEPLOYMENT.read_text(encoding="utf-8")
    assert f"`{env}`" in docs, f"{env} n'est décrit ni dans README.md ni dans docs/deployment.md"


def test_the_deployment_guide_lists_every_setting_with_its_help_and_default():
    assert documented_table() == settings_table(), (
        "docs/deployment.md n'a pas le tableau des réglages à jour : remplacez ce qui est entre "
        f"{START} et {END} par la sortie de `python -m tests.test_settings`.")


# --- defaults -----------------------------------------------------------------------------

def test_an_empty_environment_gives_the_documented_defaults():
    read = Settings.from_env({})
    assert read.db == ROOT / "data" / "observatory.duckdb"
    assert read.territory == ROOT / "data" / "territory" / "territory.toml"
    assert read.users is None
    assert read.tiles == "auto"
    assert read.distance == "estimation" and read.distance_matrix is None
    assert (read.circuity, read.speed_kmh) == (DEFAULT_CIRCUITY, DEFAULT_SPEED_KMH) == (1.3, 55)
    assert read.co2_kg_per_km == CO2_KG_PER_KM == 0.218
    assert read.call_year == settings.default_call_year()
    assert Settings.from_env({name: "   " for name in ENV_NAMES}) == read  # blank = unset


@pytest.mark.parametrize(("today", "year"), [(dt.date(2020, 6, 1), CALL_YEARS[0]),
                                             (dt.date(2025, 12, 1), 2025),
                                             (dt.date(2031, 1, 1), CALL_YEARS[-1])])
def test_the_default_call_year_is_this_year_within_the_measure(today, year):
    assert settings.default_call_year(today) == year


def test_settings_are_frozen_and_db_can_be_overridden_by_the_command_line(tmp_path):
    read = Settings.from_env({"OBSERVATORY_DB": str(tmp_path / "env.duckdb")})
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.db = tmp_path / "other.duckdb"  # type: ignore[misc]
    assert read.with_db(None) is read
    assert read.with_db(tmp_path / "cli.duckdb").db == tmp_path / "cli.duckdb"
    assert read.db == tmp_path / "env.duckdb"


def test_current_reads_once_per_distinct_environment():
    one = {"OBSERVATORY_TILES": "off"}
    assert settings.current(one) is settings.current(dict(one))
    assert settings.current({"OBSERVATORY_TILES": "on"}).tiles == "on"
    assert settings.current(one).tiles == "off"


# --- parsing ------------------------------------------------------------------------------

def test_values_are_read_leniently_where_it_is_unambiguous():
    read = Settings.from_env({
        "OBSERVATORY_DB": "~/observatoire.duckdb", "OBSERVATORY_TILES": " OFF ",
        "OBSERVATORY_CIRCUITY": "1,45", "OBSERVATORY_SPEED_KMH": "48",
        "OBSERVATORY_CO2_KG_PER_KM": "0.1", "OBSERVATORY_CALL_YEAR": "2026",
        "OBSERVATORY_USERS": "/etc/observatoire/users.toml"})
    assert read.db == Path("~/observatoire.duckdb").expanduser()
    assert read.tiles == "off"
    assert (read.circuity, read.speed_kmh, read.co2_kg_per_km) == (1.45, 48.0, 0.1)
    assert read.call_year == 2026
    assert read.users == Path("/etc/observatoire/users.toml")


BAD_VALUES = [
    ("OBSERVATORY_TILES", "peut-être", "valeurs possibles"),
    ("OBSERVATORY_DISTANCE", "osrm", "« estimation », « matrice »"),
    ("OBSERVATORY_CIRCUITY", "beaucoup", "ce n'est pas un nombre"),
    ("OBSERVATORY_CIRCUITY", "0.8", "attendu entre 1 et 3"),
    ("OBSERVATORY_SPEED_KMH", "300", "km/h"),
    ("OBSERVATORY_CO2_KG_PER_KM", "-0,1", "attendu entre 0 et 5"),
    ("OBSERVATORY_CALL_YEAR", "2030", "attendu entre 2023 et 2028"),
    ("OBSERVATORY_CALL_YEAR", "2025.5", "ce n'est pas un nombre entier"),
]


@pytest.mark.parametrize(("env", "value", "reason"), BAD_VALUES)
def test_a_bad_value_is_refused_in_french_naming_the_variable(env, value, reason):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({env: value})
    message = str(caught.value)
    assert env in message and f"« {value} »" in message
    assert "valeur refusée" in message and reason in message
    # a user's error (printed without a traceback, exit 1/2), never a silent default
    assert isinstance(caught.value, UserInputError | ObservatoryError)


def test_the_matrix_provider_without_its_file_is_refused():
    with pytest.raises(SettingsError, match="OBSERVATORY_DISTANCE_MATRIX"):
        Settings.from_env({"OBSERVATORY_DISTANCE": "matrice"})


def test_a_bad_setting_stops_the_cli_with_a_french_error_not_a_traceback(demo_db, capsys,
                                                                          monkeypatch):
    from observatory import cli

    monkeypatch.setenv("OBSERVATORY_CIRCUITY", "beaucoup")
    code = cli.main(["partners", "1", "--db", str(demo_db), "--json"])
    err = capsys.readouterr().err
    assert code in (1, 2), err  # a user's error, not 70 (a bug)
    assert "OBSERVATORY_CIRCUITY" in err and "Traceback" not in err


# --- the distance provider follows the settings ---------------------------------------------

def test_the_estimate_takes_its_circuity_and_speed_from_the_environment():
    default = Settings.from_env({}).provider()
    assert default == EstimatedRoad()
    tuned = Settings.from_env({"OBSERVATORY_CIRCUITY": "1.5",
                               "OBSERVATORY_SPEED_KMH": "40"}).provider()
    assert isinstance(tuned, EstimatedRoad)
    assert (tuned.circuity, tuned.speed_kmh) == (1.5, 40.0)
    assert "× 1,5" in tuned.label and "40 km/h" in tuned.label
    assert tuned.label != default.label
    # the same crow-fly distance, another road estimate
    assert tuned.from_straight([10.0]).road_km[0] == pytest.approx(15.0)
    assert tuned.from_straight([10.0]).minutes[0] == pytest.approx(22.5)


def two_places() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "lon": [1.60, 1.70, 1.65], "lat": [42.96, 43.00, 42.90]})


def write_matrix(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_matrix_file_becomes_the_provider_and_its_label_says_so(tmp_path):
    matrix = write_matrix(tmp_path / "temps.csv",
                          "from_id,to_id,road_km,minutes\n1,2,21.5,27\n")
    chosen = Settings.from_env({"OBSERVATORY_DISTANCE": "matrice",
                                "OBSERVATORY_DISTANCE_MATRIX": str(matrix),
                                "OBSERVATORY_CIRCUITY": "1.5"})
    provider = chosen.provider()
    assert isinstance(provider, MatrixFile)
    assert provider.label != EstimatedRoad().label and not provider.is_estimate
    assert "Estimation" not in provider.label
    places = two_places()
    travel = provider.pairwise(places.iloc[[0, 1, 0]], places.iloc[[1, 0, 2]])
    assert list(travel.road_km[:2]) == [21.5, 21.5] and list(travel.minutes[:2]) == [27, 27]
    # a pair the file lacks: the estimate of the same settings
    estimate = EstimatedRoad(circuity=1.5).pairwise(places.iloc[[0]], places.iloc[[2]])
    assert travel.road_km[2] == pytest.approx(estimate.road_km[0])


@pytest.mark.parametrize(("text", "reason"), [
    ("origine,destination,km,min\n1,2,3,4\n", "n'a pas les colonnes"),
    ("from_id,to_id,road_km,minutes\n1,2,3,4\n1,3,douze,5\n", "ligne 3"),
    ("from_id,to_id,road_km,minutes\n1,2,3,-4\n", "ligne 2"),
])
def test_an_unusable_matrix_is_refused_in_french(tmp_path, text, reason):
    matrix = write_matrix(tmp_path / "temps.csv", text)
    chosen = Settings.from_env({"OBSERVATORY_DISTANCE": "matrice",
                                "OBSERVATORY_DISTANCE_MATRIX": str(matrix)})
    with pytest.raises(SettingsError, match=re.escape(reason)):
        chosen.provider()


def test_a_missing_matrix_file_is_refused_naming_the_variable(tmp_path):
    chosen = Settings.from_env({"OBSERVATORY_DISTANCE": "matrice",
                                "OBSERVATORY_DISTANCE_MATRIX": str(tmp_path / "absent.csv")})
    with pytest.raises(SettingsError, match="OBSERVATORY_DISTANCE_MATRIX"):
        chosen.provider()


if __name__ == "__main__":
    print(START)
    print(settings_table())
    print(END)


def test_the_settings_printed_in_a_traceback_or_a_log_never_show_the_database_password():
    from observatory.settings import Settings

    chosen = Settings(db="postgresql://observatoire:Sup3r-Secret@db.example:5432/obs",
                      secret="k" * 40)
    text = repr(chosen)
    assert "Sup3r-Secret" not in text and "k" * 40 not in text
    assert "db.example:5432/obs" in text  # what the database is stays readable
