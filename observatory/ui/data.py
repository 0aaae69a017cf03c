"""Cached access to the store for the pages: one connection, query results keyed by path."""

from __future__ import annotations

from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import streamlit as st

from observatory import bootstrap, catalogue, config
from observatory.maturity import MaturityRule
from observatory.consortia import Consortium
from observatory.store import consortia as store_consortia
from observatory.store import db, evaluations, places, rules, territory
from observatory.territory.config import load_territory_config
from observatory.ui import maps


def db_path() -> str:
    return str(config.db_path().resolve())


@st.cache_resource(show_spinner="Ouverture de la base…")
def connection(path: str) -> duckdb.DuckDBPyConnection:
    """The app's one read-write connection; a missing file is created with the demo data."""
    if not Path(path).exists():
        cfg = load_territory_config(config.territory_path())
        bootstrap.init_database(Path(path), cfg, with_demo=True)
    con = db.connect(path)
    db.migrate(con)
    return con


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor of the shared connection: a connection is not thread-safe, cursors are."""
    return connection(db_path()).cursor()


@st.cache_data(show_spinner=False)
def communes(path: str) -> gpd.GeoDataFrame:
    return territory.communes(cursor())


@st.cache_data(show_spinner=False)
def territory_meta(path: str) -> dict[str, str]:
    return territory.meta(cursor())


@st.cache_data(show_spinner=False)
def epci(path: str) -> pd.DataFrame:
    return territory.epci(cursor())


@st.cache_data(show_spinner=False)
def current_rule(path: str) -> MaturityRule:
    return rules.current(cursor())


@st.cache_data(show_spinner=False)
def raw_places(path: str) -> pd.DataFrame:
    return places.current(cursor())


def current_places() -> pd.DataFrame:
    """The places with maturity under the rule in force."""
    path = db_path()
    return catalogue.annotate(raw_places(path), current_rule(path))


@st.cache_data(show_spinner=False)
def evaluation_history(path: str, place_id: int) -> pd.DataFrame:
    return evaluations.history(cursor(), place_id)


@st.cache_data(show_spinner=False)
def all_evaluations(path: str) -> pd.DataFrame:
    return evaluations.history(cursor())


@st.cache_data(show_spinner=False)
def rule_history(path: str) -> pd.DataFrame:
    return rules.history(cursor())


@st.cache_data(show_spinner=False)
def epci_outline_bounds(path: str, sirens: tuple[str, ...]) -> tuple[float, float, float, float]:
    frame = communes(path)
    return tuple(frame[frame["epci_siren"].isin(sirens)].total_bounds)


@st.cache_resource(ttl=600, show_spinner=False)
def online_tiles() -> bool:
    mode = config.tiles_mode()
    return mode == "on" or (mode == "auto" and maps.tiles_reachable())


def save_rule(rule: MaturityRule, set_by: str) -> None:
    con = cursor()
    with db.transaction(con):
        rules.save(con, rule, set_by)
    invalidate()


def add_demo() -> int:
    added = bootstrap.add_demo(cursor())
    invalidate()
    return added


def invalidate() -> None:
    """Forget cached query results after a write."""
    st.cache_data.clear()


@st.cache_data(show_spinner=False)
def consortia(path: str) -> pd.DataFrame:
    return store_consortia.current(cursor())


@st.cache_data(show_spinner=False)
def consortium_history(path: str, consortium_id: int) -> pd.DataFrame:
    return store_consortia.history(cursor(), consortium_id)


def save_consortium(consortium: Consortium, changed_by: str) -> int:
    """Create or update (with the version check); returns the consortium's id."""
    con = cursor()
    with db.transaction(con):
        if consortium.id is None:
            consortium_id = store_consortia.create(con, consortium, changed_by)
        else:
            store_consortia.update(con, consortium, changed_by)
            consortium_id = consortium.id
    invalidate()
    return consortium_id


def archive_consortium(consortium_id: int, changed_by: str) -> None:
    con = cursor()
    with db.transaction(con):
        store_consortia.archive(con, consortium_id, changed_by)
    invalidate()
