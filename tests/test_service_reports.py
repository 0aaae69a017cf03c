"""The reports use cases (observatory.service.reports), shared by the app and the CLI.

One rule picks the snapshot a report compares with: for today's data, the most recent
snapshot; for a snapshot, the most recent one strictly before it (earlier ``created_at``,
ties broken by the smaller id). The app's Données page and ``observatory export`` both go
through it, so they compare with the same snapshot.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
from dataclasses import replace

import pandas as pd
import pytest

from observatory import auth, cli, cli_common, formatting
from observatory.auth import PermissionDenied
from observatory.bundle import DISTANCE_METHOD
from observatory.distances import EstimatedRoad
from observatory.errors import UserInputError
from observatory.filters import PlaceFilters
from observatory.service import core, reports
from observatory.settings import Settings
from observatory.snapshots import SnapshotError
from observatory.store import snapshots as store_snapshots
from tests.app.conftest import make_app, protected  # noqa: F401 (AppTest fixtures, for the page)
from tests.test_exports import pdf_text

T0 = dt.datetime(2026, 3, 1, 9, 0, 0)
T1 = dt.datetime(2026, 12, 1, 10, 30, 0)


@pytest.fixture(autouse=True)
def no_env_database(monkeypatch):
    monkeypatch.delenv("OBSERVATORY_DB", raising=False)
    monkeypatch.delenv("OBSERVATORY_DISTANCE", raising=False)
    monkeypatch.delenv("OBSERVATORY_DISTANCE_MATRIX", raising=False)


@pytest.fixture
def db_path(tmp_path, demo_db):
    path = tmp_path / "observatory.duckdb"
    shutil.copyfile(demo_db, path)
    return path


@pytest.fixture
def settings(db_path) -> Settings:
    return Settings(db=db_path)


def catalogue(*rows: tuple[int, dt.datetime]) -> pd.DataFrame:
    """A hand-built catalogue, newest first as the store lists it."""
    frame = pd.DataFrame(rows, columns=["id", "created_at"])
    return frame.sort_values(["created_at", "id"], ascending=False).reset_index(drop=True)


# --- the rule, on hand-built catalogues -----------------------------------------------------

def test_the_first_snapshot_has_no_previous_one():
    assert reports.previous_id(catalogue((1, T0)), 1) is None


def test_no_snapshot_at_all_means_no_comparison_even_for_today():
    assert reports.previous_id(catalogue(), reports.CURRENT) is None
    assert reports.previous_id(catalogue(), None) is None


def test_todays_data_compares_with_the_most_recent_snapshot():
    snaps = catalogue((1, T0), (2, T1), (3, T0 + dt.timedelta(days=1)))
    assert reports.previous_id(snaps, reports.CURRENT) == 2
    assert reports.previous_id(snaps, None) == 2


def test_todays_data_breaks_a_tie_on_the_newest_instant_by_the_larger_id():
    assert reports.previous_id(catalogue((4, T1), (7, T1), (9, T0)), reports.CURRENT) == 7


def test_a_snapshot_compares_with_the_one_taken_strictly_before_it():
    snaps = catalogue((1, T0), (2, T0 + dt.timedelta(hours=2)), (3, T1))
    assert reports.previous_id(snaps, 3) == 2
    assert reports.previous_id(snaps, 2) == 1
    assert reports.previous_id(snaps, "3") == 2  # the CLI's text form


def test_the_same_day_orders_by_the_time_of_day_not_the_date():
    morning, evening = T1.replace(hour=8), T1.replace(hour=19)
    snaps = catalogue((5, evening), (6, morning))  # the larger id was taken earlier that day
    assert reports.previous_id(snaps, 5) == 6
    assert reports.previous_id(snaps, 6) is None
    assert reports.previous_id(snaps, reports.CURRENT) == 5


def test_snapshots_of_the_same_instant_compare_by_id_the_smaller_first():
    snaps = catalogue((1, T0), (2, T1), (3, T1))
    assert reports.previous_id(snaps, 3) == 2  # same instant, frozen first
    assert reports.previous_id(snaps, 2) == 1  # 3 has the same instant but came after
    assert reports.previous_id(snaps, 1) is None


def test_an_unknown_snapshot_is_a_french_error():
    with pytest.raises(SnapshotError, match="Instantané 8 introuvable"):
        reports.previous_id(catalogue((1, T0)), 8)


@pytest.mark.parametrize("text", ["abc", "1.5", "courant"])
def test_a_source_that_is_neither_an_id_nor_current_is_refused_in_french(text):
    with pytest.raises(SnapshotError, match=f"« {re.escape(text)} » n'est ni"):
        reports.parse_source(text)


# --- the rule, on stored snapshots ----------------------------------------------------------

def freeze_at(con, settings, label: str, created_at: dt.datetime) -> int:
    """Store a snapshot of today's data as if taken at ``created_at``."""
    bundle = replace(reports.live_bundle(con, settings=settings, label=label, created_by="test"),
                     created_at=created_at)
    with core.transaction(con):
        return store_snapshots.create(con, bundle)


@pytest.fixture
def three(db_path, settings) -> dict[str, int]:
    """« A » at T0, then « B » and « C » frozen at the same instant T1 (B first)."""
    with core.session(settings) as con:
        return {label: freeze_at(con, settings, label, when)
                for label, when in (("A", T0), ("B", T1), ("C", T1))}


def test_previous_snapshot_reads_the_bundle_the_rule_names(settings, three):
    with core.session(settings, read_only=True) as con:
        assert reports.previous_snapshot(con, three["A"]) is None
        assert reports.previous_snapshot(con, three["B"]).label == "A"
        assert reports.previous_snapshot(con, three["C"]).label == "B"
        assert reports.previous_snapshot(con, reports.CURRENT).label == "C"


def evolution_title(payload: bytes) -> str | None:
    """« Évolution depuis « X » »: the snapshot a PDF report compares with."""
    found = re.search(r"Évolution depuis « ([^»]+) »", re.sub(r"\s+", " ", pdf_text(payload)))
    return found.group(1) if found else None


def page_export(make_app, db_path, source) -> bytes:  # noqa: F811 (the fixture imported above)
    """The PDF the Données page prepares for ``source`` (what its download button offers)."""
    at = make_app(db_path, page="pages/donnees.py")
    at.run()
    at.selectbox(key="export_source").set_value(source)
    at.selectbox(key="export_format").set_value("pdf")
    at.run()
    next(b for b in at.button if b.label == "Préparer le fichier").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at.session_state["export_ready"][0]


def cli_export(capsys, db_path, tmp_path, *source: str) -> bytes:
    out = tmp_path / f"rapport-{'-'.join(source).strip('-')}.pdf"
    code = cli.main(["export", *source, "--format", "pdf", "--out", str(out),
                     "--db", str(db_path)])
    _, err = capsys.readouterr()
    assert code == 0, err
    return out.read_bytes()


def test_the_app_and_the_cli_compare_a_report_with_the_same_previous_snapshot(
        make_app, capsys, db_path, tmp_path, three):  # noqa: F811 (the fixture imported above)
    # B was frozen at the same instant as C but before it: B's report compares with A.
    # (The page used to take C, frozen after B; the CLI took A.)
    from_page = page_export(make_app, db_path, three["B"])
    from_cli = cli_export(capsys, db_path, tmp_path, "--snapshot", str(three["B"]))
    assert evolution_title(from_page) == evolution_title(from_cli) == "A"
    # today's data: both compare with the most recent snapshot
    assert evolution_title(page_export(make_app, db_path, reports.CURRENT)) == "C"
    assert evolution_title(cli_export(capsys, db_path, tmp_path, "--current")) == "C"


def test_the_first_snapshots_report_has_no_comparison(capsys, db_path, tmp_path, three):
    assert evolution_title(cli_export(capsys, db_path, tmp_path, "--snapshot",
                                      str(three["A"]))) is None


def test_a_snapshot_export_is_named_after_the_snapshot_s_label():
    day = dt.date(2026, 12, 5)
    assert reports.export_filename(4, "pdf", day, label="Bilan 2026") == (
        "observatoire_bilan-2026_2026-12-05.pdf")
    assert reports.export_filename(4, "xlsx", day, label="Été ; « définitif »") == (
        "observatoire_ete-definitif_2026-12-05.xlsx")
    assert reports.export_filename(4, "pdf", day, label="???") == (
        "observatoire_instantane-4_2026-12-05.pdf")  # nothing usable in the label
    assert reports.export_filename(reports.CURRENT, "gpkg", day) == (
        "observatoire_vue-actuelle_2026-12-05.gpkg")


def test_the_export_says_which_snapshot_it_compared_with(settings, three):
    with core.session(settings, read_only=True) as con:
        made = reports.export(con, "pdf", three["C"], user=auth.DEMO_USER, settings=settings,
                              today=dt.date(2026, 12, 1))
        assert made.previous_id == three["B"]
        assert made.filename == "observatoire_c_2026-12-01.pdf"  # named after its label
        assert made.mime == "application/pdf" and made.data[:4] == b"%PDF"
        other = reports.export(con, "geojson", reports.CURRENT, user=auth.DEMO_USER,
                               settings=settings, today=dt.date(2026, 12, 1))
    assert other.previous_id is None  # only the PDF compares
    assert other.filename == "observatoire_vue-actuelle_2026-12-01.geojson"


# --- the distance provider, recorded with the figures ---------------------------------------

def test_a_live_bundle_records_the_label_of_the_settings_distance_provider(db_path):
    slow = Settings(db=db_path, circuity=1.5, speed_kmh=40)
    with core.session(slow, read_only=True) as con:
        bundle = reports.bundle(con, reports.CURRENT, settings=slow)
    assert bundle.meta[DISTANCE_METHOD] == EstimatedRoad(1.5, 40).label
    assert bundle.distance_method == slow.provider().label
    assert "× 1,5" in bundle.distance_method and "40 km/h" in bundle.distance_method


def test_a_matrix_provider_is_named_and_frozen_with_the_snapshot(db_path, tmp_path):
    matrix = tmp_path / "matrice.csv"
    matrix.write_text("from_id,to_id,road_km,minutes\n1,2,10.5,12\n", encoding="utf-8")
    routed = Settings(db=db_path, distance="matrice", distance_matrix=matrix)
    with core.session(routed) as con:
        created = reports.create_snapshot(con, "Bilan routier", "Camille", routed)
    estimate = Settings(db=db_path)  # the provider changes afterwards: the snapshot keeps its own
    with core.session(estimate, read_only=True) as con:
        frozen = reports.bundle(con, created.id, settings=estimate)
        today = reports.bundle(con, reports.CURRENT, settings=estimate)
    assert frozen.distance_method == "Matrice de distances routières fournie"
    assert today.distance_method == EstimatedRoad().label


def test_an_old_snapshot_without_the_key_reads_back_without_it(settings):
    with core.session(settings) as con:
        old = reports.live_bundle(con, settings=settings, label="Ancien", created_by="test")
        del old.meta[DISTANCE_METHOD]  # as frozen before the key existed
        with core.transaction(con):
            old_id = store_snapshots.create(con, old)
        assert reports.bundle(con, old_id, settings=settings).distance_method is None


# --- writes: signed and audited -------------------------------------------------------------

def audit_rows(con) -> list[tuple]:
    return con.execute("SELECT actor, entity_id, action, old_values, new_values FROM audit_log "
                       "WHERE entity = 'snapshot' ORDER BY id").fetchall()


def test_creating_and_deleting_a_snapshot_are_audited_with_the_actor(settings):
    with core.session(settings) as con:
        created = reports.create_snapshot(con, "Bilan 2026", "Camille", settings)
        assert (created.label, created.places) == ("Bilan 2026", 42)
        listed = reports.catalogue(con)
        assert listed["created_by"].tolist() == ["Camille"]
        reports.delete_snapshot(con, created.id, "Dominique")
        assert reports.catalogue(con).empty
        (c_actor, c_id, c_action, _, c_new), (d_actor, d_id, d_action, d_old, d_new) = \
            audit_rows(con)
    assert (c_actor, c_id, c_action) == ("Camille", created.id, "create")
    assert (d_actor, d_id, d_action, d_new) == ("Dominique", created.id, "delete", None)
    assert json.loads(c_new)["label"] == json.loads(d_old)["label"] == "Bilan 2026"
    assert json.loads(d_old)["places"] == 42
    assert "Camille" not in d_old  # the author is the actor column, not a value kept forever


def test_deleting_an_unknown_snapshot_writes_no_audit_row(settings):
    with core.session(settings) as con:
        with pytest.raises(SnapshotError, match="Instantané 77 introuvable"):
            reports.delete_snapshot(con, 77, "Camille")
        assert audit_rows(con) == []


# --- exports: personal data stripped for the user -------------------------------------------

def test_an_export_for_a_reader_leaves_the_contacts_out_and_refuses_them(settings):
    with core.session(settings, read_only=True) as con:
        live = reports.bundle(con, reports.CURRENT, settings=settings)
        contact = next(c for c in live.places["contact"] if isinstance(c, str) and c)
        public = reports.export(con, "geojson", reports.CURRENT, user=auth.ANONYMOUS,
                                settings=settings)
        assert contact.encode() not in public.data
        with pytest.raises(PermissionDenied, match="exporter les contacts"):
            reports.export(con, "geojson", reports.CURRENT, user=auth.ANONYMOUS,
                           include_contacts=True, settings=settings)
        full = reports.export(con, "geojson", reports.CURRENT, user=auth.DEMO_USER,
                              include_contacts=True, settings=settings)
    assert contact.encode() in full.data


def test_an_export_of_a_filtered_view_holds_only_its_places(settings):
    with core.session(settings, read_only=True) as con:
        made = reports.export(con, "geojson", None, user=auth.ANONYMOUS, place_ids=[1, 2, 3],
                              settings=settings)
    ids = sorted(f["properties"]["id"] for f in json.loads(made.data)["features"])
    assert ids == [1, 2, 3]


@pytest.mark.parametrize("kept", [[], [1, 2, 3]])
def test_a_filtered_export_without_any_consortium_still_builds(tmp_path, territory_config,
                                                               kept):
    """A new territory has no consortium: the filtered view's export used to raise a
    KeyError (an empty mask read as a list of columns dropped every column)."""
    from observatory import bootstrap

    path = tmp_path / "empty.duckdb"
    bootstrap.init_database(path, territory_config, with_demo=False)
    empty = Settings(db=path)
    with core.session(empty, read_only=True) as con:
        made = reports.export(con, "xlsx", None, user=auth.ANONYMOUS, place_ids=kept,
                              settings=empty)
        bundle = reports.bundle(con, None, place_ids=kept, settings=empty)
    assert made.data[:2] == b"PK"  # an Excel workbook
    assert list(bundle.tables["consortia"].columns)[:2] == ["id", "name"]


def test_the_comparison_is_made_between_stripped_bundles(settings, three):
    with core.session(settings, read_only=True) as con:
        shown = reports.bundle(con, three["C"], settings=settings)
        previous = reports.previous_snapshot(con, three["C"])
    evaluator = next(e for e in previous.tables["evaluations"]["evaluator"]
                     if isinstance(e, str) and e)
    payload = reports.export_bundles(shown, "pdf", user=auth.ANONYMOUS, previous=previous)
    assert evolution_title(payload) == "B"
    assert evaluator not in pdf_text(payload)


# --- diff -----------------------------------------------------------------------------------

def test_diff_compares_two_sources(settings, three):
    with core.session(settings, read_only=True) as con:
        change = reports.diff(con, three["A"], reports.CURRENT, settings=settings)
    assert (change.before_label, change.after_label) == ("A", reports.LIVE_LABEL)
    assert change.is_empty()


# --- a filtered view: its filters, its perimeter and its author reach the report ------------

OLMES = "240900464"  # Communauté de communes du Pays d'Olmes
OLMES_MATURE = ("Vue filtrée : EPCI CC du Pays d'Olmes ; lieux matures seulement")


def flat_text(payload: bytes) -> str:
    return re.sub(r"\s+", " ", pdf_text(payload))


def test_the_author_of_a_report_is_the_analyst_or_the_demonstration_mode():
    assert reports.report_author(auth.DEMO_USER, demo=True) == "mode démonstration"
    assert reports.report_author(auth.User("alice", auth.ANALYST), demo=False) == "alice"


def test_a_view_is_described_with_the_short_names_of_its_epci(settings):
    chosen = PlaceFilters(epci=(OLMES,), mature_only=True, search="atelier")
    with core.session(settings, read_only=True) as con:
        view = reports.filtered_view(con, chosen)
        everything = reports.filtered_view(con, PlaceFilters())
        places = core.current_places(con)
    assert view.filters == ("EPCI CC du Pays d'Olmes", "lieux matures seulement",
                            "recherche « atelier »")
    assert view.view_epci == (OLMES,)
    expected = places[(places["epci_siren"] == OLMES) & places["mature"].astype(bool)
                      & places["name"].str.lower().str.contains("atelier")]
    assert sorted(view.place_ids) == sorted(int(i) for i in expected["id"])
    assert everything == reports.View(None, (), ())


def test_an_epci_outside_the_perimeter_is_refused_in_french(settings):
    with core.session(settings, read_only=True) as con, pytest.raises(
            UserInputError, match="EPCI inconnu dans le périmètre : 123456789"):
        reports.filtered_view(con, PlaceFilters(epci=("123456789",)))


def test_the_export_of_a_filtered_view_names_its_filters_perimeter_and_author(settings):
    with core.session(settings, read_only=True) as con:
        view = reports.filtered_view(con, PlaceFilters(epci=(OLMES,), mature_only=True))
        made = reports.export(con, "pdf", reports.CURRENT, user=auth.User("alice", auth.ANALYST),
                              settings=settings, place_ids=view.place_ids,
                              filters=view.filters, view_epci=view.view_epci)
        epci = core_epci(con)
    text = pdf_text(made.data)
    cover = re.sub(r"\s+", " ", text.split("\f")[0])
    assert OLMES_MATURE in cover and "Établi par alice le " in cover
    population = int(epci.loc[epci["siren"] == OLMES, "population"].iloc[0])
    per_10k = formatting.decimal(round(len(view.place_ids) / population * 10_000, 2))
    assert per_10k in text.split("\f")[0].splitlines()
    assert all(OLMES_MATURE in re.sub(r"\s+", " ", page)
               for page in text.split("\f")[1:] if page.strip())


def core_epci(con) -> pd.DataFrame:
    from observatory.store import territory

    return territory.epci(con)


def test_the_cli_names_its_author_and_takes_the_sidebars_filters(capsys, db_path, tmp_path):
    payload = cli_export(capsys, db_path, tmp_path, "--current", "--by", "Claire Martin",
                         "--epci", OLMES, "--matures")
    cover = flat_text(payload).split("Page 1 /")[0]
    assert "Établi par Claire Martin le " in cover and OLMES_MATURE in cover
    unfiltered = flat_text(cli_export(capsys, db_path, tmp_path, "--current"))
    assert "Vue filtrée" not in unfiltered
    system = cli_common.actor(argparse.Namespace(by=None))
    assert f"Établi par {system} le " in unfiltered


def test_the_cli_refuses_filters_on_a_snapshot(capsys, db_path, tmp_path, three):
    out = tmp_path / "refus.pdf"
    code = cli.main(["export", "--snapshot", str(three["A"]), "--matures", "--format", "pdf",
                     "--out", str(out), "--db", str(db_path)])
    _, err = capsys.readouterr()
    assert code == 1 and "utilisez --current" in err and not out.exists()


def test_the_data_page_reports_the_sidebars_filters_in_demonstration_mode(
        make_app, db_path):  # noqa: F811 (the fixture imported above)
    at = make_app(db_path, query={"epci": OLMES, "matures": "1"}, page="pages/donnees.py")
    at.run()
    # the page says so before the file is made (the caption is markdown-escaped)
    assert any(OLMES_MATURE in c.value.replace("\\", "") for c in at.caption)
    at.selectbox(key="export_format").set_value("pdf")
    at.run()
    next(b for b in at.button if b.label == "Préparer le fichier").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    cover = flat_text(at.session_state["export_ready"][0]).split("Page 1 /")[0]
    assert OLMES_MATURE in cover and "Établi en mode démonstration le " in cover


def test_the_data_page_reports_the_logged_in_analyst_as_author(
        make_app, db_path, protected):  # noqa: F811 (the fixture imported above)
    from tests.app.test_what_pages_show import log_in

    at = make_app(db_path, page="pages/donnees.py")
    at.run()
    log_in(at)
    at.switch_page("pages/donnees.py")
    at.run()
    at.selectbox(key="export_format").set_value("pdf")
    at.run()
    next(b for b in at.button if b.label == "Préparer le fichier").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    cover = flat_text(at.session_state["export_ready"][0]).split("Page 1 /")[0]
    assert "Établi par alice le " in cover and "Vue filtrée" not in cover


def test_describing_a_view_needs_no_module_imported_beforehand():
    """A fresh server imports the page's modules only: the description used to reach
    ``exports.common`` as an attribute never imported there (AttributeError on the page)."""
    import subprocess
    import sys

    code = ("import pandas as pd\n"
            "from observatory.filters import PlaceFilters\n"
            "from observatory.service import reports\n"
            "epci = pd.DataFrame({'siren': ['1'], 'name': ['Communauté de communes du X']})\n"
            "print(reports.describe_view(PlaceFilters(epci=('1',)), epci)[0])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "EPCI CC du X"
