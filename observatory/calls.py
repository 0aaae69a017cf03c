"""The annual calls for projects: figures per call and per EPCI."""

from __future__ import annotations

import pandas as pd

from observatory.eligibility import CALL_YEARS


def per_call(calls: pd.DataFrame, applications: pd.DataFrame) -> pd.DataFrame:
    """One row per call year: budget, applications, funded, amounts requested and granted."""
    years = pd.DataFrame({"call_year": list(CALL_YEARS)})
    budget = calls.rename(columns={"year": "call_year"})[["call_year", "budget"]] \
        if len(calls) else pd.DataFrame(columns=["call_year", "budget"])
    if len(applications):
        agg = applications.groupby("call_year").agg(
            applications=("id", "count"),
            funded=("status", lambda s: int((s == "funded").sum())),
            requested=("amount_requested", "sum"),
            granted=("amount_granted", "sum")).reset_index()
    else:
        agg = pd.DataFrame(columns=["call_year", "applications", "funded", "requested", "granted"])
    out = years.merge(budget, on="call_year", how="left").merge(agg, on="call_year", how="left")
    for col in ("applications", "funded"):
        out[col] = out[col].fillna(0).astype(int)
    for col in ("requested", "granted"):
        out[col] = out[col].astype(float).fillna(0.0)
    out["budget_used_pct"] = (out["granted"] / out["budget"].where(out["budget"] > 0) * 100).round(1)
    return out


def per_epci(applications: pd.DataFrame, consortia: pd.DataFrame,
             places: pd.DataFrame) -> pd.DataFrame:
    """Applications and amounts per call year and EPCI of the project's location."""
    if applications.empty or consortia.empty:
        return pd.DataFrame(columns=["call_year", "epci_name", "applications", "funded", "granted"])
    where = consortia.set_index("id")
    location = where["location_place_id"].fillna(where["lead_place_id"]).astype(int)
    epci = dict(zip(places["id"], places["epci_name"]))
    frame = applications.assign(epci_name=applications["consortium_id"].map(location).map(epci))
    return frame.groupby(["call_year", "epci_name"]).agg(
        applications=("id", "count"), funded=("status", lambda s: int((s == "funded").sum())),
        granted=("amount_granted", "sum")).reset_index()
