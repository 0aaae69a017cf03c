"""The live database as a Bundle (for exports of the current view and for snapshots)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import duckdb
import numpy as np
import pandas as pd

from observatory import catalogue, indicators
from observatory.bundle import DISTANCE_METHOD, FILTERS, VIEW_EPCI, Bundle
from observatory.store import consortia, db, evaluations, origins, places, rules, territory


def _equipment(con: duckdb.DuckDBPyConnection, place_ids: set[int] | None) -> pd.DataFrame:
    """Equipment in service (archived items left out), of the view's places when filtered."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables "
                         "WHERE table_name = 'equipment' AND table_catalog = current_database() "
                         "AND table_schema = current_schema()").fetchone()[0]
    if not exists:
        return pd.DataFrame()
    items = con.execute("SELECT * FROM equipment WHERE NOT archived ORDER BY id").df()
    return items[items["owner_place_id"].isin(place_ids)] if place_ids is not None else items


def _calls_and_applications(con: duckdb.DuckDBPyConnection,
                            consortium_ids: set[int]) -> dict[str, pd.DataFrame]:
    """The calls for projects (budgets, dates) and the applications of the bundle's consortia
    (amounts requested and granted): what the finance officer's workbook is for."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables "
                         "WHERE table_name IN ('calls', 'applications') AND table_catalog = "
                         "current_database() AND table_schema = current_schema()").fetchone()[0]
    if exists < 2:
        return {}
    calls = con.execute("SELECT * FROM calls ORDER BY year").df()
    applications = con.execute("SELECT * FROM applications ORDER BY call_year, id").df()
    applications = applications[applications["consortium_id"].isin(consortium_ids)]
    return {"calls": calls.reset_index(drop=True),
            "applications": applications.reset_index(drop=True)}


def bundle(con: duckdb.DuckDBPyConnection, *, label: str, created_by: str,
           place_ids: Iterable[int] | None = None, distance_method: str | None = None,
           filters: Sequence[str] = (), view_epci: Sequence[str] = ()) -> Bundle:
    """Everything the observatory holds now; ``place_ids`` restricts to a filtered view
    (places, their evaluations and the consortia made only of them).

    ``filters`` (the view's filters in French, ``observatory.filters.describe``) and
    ``view_epci`` (the SIREN codes an EPCI filter keeps) go into the meta under
    ``FILTERS`` and ``VIEW_EPCI``: a report names them and computes its ratios on that
    perimeter. Left out when empty (the whole observatory).

    ``distance_method``, the label of the distance provider in force, is recorded in the
    bundle's meta under ``DISTANCE_METHOD`` (frozen with a snapshot): the use cases
    (``observatory.service.reports``) always give it; a bundle without it is read as made
    with the estimate, like the snapshots taken before the key existed.
    """
    rule = rules.current(con)
    current = catalogue.annotate(places.current(con), rule)
    history = evaluations.history(con)
    saved = consortia.current(con)
    keep = None
    if place_ids is not None:
        keep = set(int(i) for i in place_ids)
        current = current[current["id"].isin(keep)]
        history = history[history["place_id"].isin(keep)]
        # .loc with a bool array: a DataFrame indexed by an empty Series (no consortia) would
        # read it as a list of columns and drop them all.
        inside = [set(ids) <= keep for ids in saved["member_ids"]]
        saved = saved.loc[np.array(inside, dtype=bool)]
    members = saved[["id", "member_ids"]].explode("member_ids").rename(
        columns={"id": "consortium_id", "member_ids": "place_id"}).dropna()
    communes = territory.communes(con)
    meta = territory.meta(con)
    if distance_method is not None:
        meta[DISTANCE_METHOD] = distance_method
    described = [str(item).strip() for item in filters if str(item).strip()]
    if described:
        meta[FILTERS] = "\n".join(item.replace("\n", " ") for item in described)
    sirens = [str(code).strip() for code in view_epci if str(code).strip()]
    if sirens:
        meta[VIEW_EPCI] = ",".join(sirens)
    tables = {
        "places": _with_sources(con, current).reset_index(drop=True),
        "evaluations": history.reset_index(drop=True),
        "criteria": con.execute("SELECT * FROM criteria ORDER BY position").df(),
        "maturity_rules": rules.history(con),
        "epci": territory.epci(con),
        "communes": pd.DataFrame(communes.drop(columns="geometry")),
        "consortia": saved.reset_index(drop=True),
        "consortium_members": members.astype({"place_id": int}).reset_index(drop=True),
        "equipment": _equipment(con, keep),
        **_calls_and_applications(con, {int(i) for i in saved["id"]}),
    }
    return Bundle(
        label=label, created_at=dt.datetime.now().replace(microsecond=0), created_by=created_by,
        territory_name=meta.get("name", ""), schema_version=db.schema_version(con), rule=rule,
        tables=tables, communes_geometry=communes[["insee", "geometry"]].copy(),
        indicators=indicators.compute(tables), meta=meta)


def _with_sources(con: duckdb.DuckDBPyConnection, current: pd.DataFrame) -> pd.DataFrame:
    """The places with two French texts: their records in each source, and which source
    gave each field (issue 14), empty for a place typed in the application only."""
    summary = origins.summary(con).rename(columns={"place_id": "id"})
    out = current.merge(summary, on="id", how="left")
    for column in ("sources", "provenance"):
        out[column] = out[column].map(lambda v: v if isinstance(v, str) else "").astype(object)
    return out
