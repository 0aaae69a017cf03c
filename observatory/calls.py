"""The annual calls for projects: checks of a call and an application, figures per call and
per EPCI."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from observatory.consortia import FORMED_STATUSES
from observatory.eligibility import CALL_YEARS
from observatory.errors import UserInputError
from observatory.formatting import integer, is_missing
from observatory.model import APPLICATION_STATUSES

PLANNED_MAX_CHARS = 2000  # « Équipements prévus » of an application
DEFAULT_OPENS = (2, 1)  # month, day: a call opens on 1 February by default…
DEFAULT_CLOSES = (4, 30)  # … and closes on 30 April

# A consortium and its application to its call year tell the same story: an idea has at most
# an application in preparation; a submitted, funded or refused consortium has an application
# of the same status. Each status of one maps to one status of the other.
APPLICATION_STATUS_OF = {"idea": "draft", "submitted": "submitted", "funded": "funded",
                         "refused": "refused"}
CONSORTIUM_STATUS_OF = {v: k for k, v in APPLICATION_STATUS_OF.items()}


class CallError(UserInputError):
    """A call or an application that cannot be saved; the message is in French."""


def _amount_ok(value) -> bool:
    return is_missing(value) or float(value) >= 0


def check_call(budget, opens_on, closes_on) -> None:
    """Refuse a negative budget or a closing date before the opening (``CallError``)."""
    problems = []
    if not _amount_ok(budget):
        problems.append("Le budget doit être un montant positif (en euros).")
    if not is_missing(opens_on) and not is_missing(closes_on) and closes_on < opens_on:
        problems.append("La clôture doit suivre l'ouverture.")
    if problems:
        raise CallError(" ".join(problems))


def check_application(record: Mapping) -> None:
    """Refuse an application without a call year or consortium, with an unknown status, a
    negative amount or too long a list of planned equipment (``CallError``)."""
    problems = []
    if is_missing(record.get("call_year")):
        problems.append("Indiquez l'appel à projets de la candidature.")
    if is_missing(record.get("consortium_id")):
        problems.append("Choisissez le consortium candidat.")
    if record.get("status") not in APPLICATION_STATUSES:
        problems.append(f"Statut inconnu : {record.get('status')}.")
    for label, key in (("montant demandé", "amount_requested"),
                       ("montant accordé", "amount_granted")):
        if not _amount_ok(record.get(key)):
            problems.append(f"Le {label} doit être un montant positif (en euros).")
    if len(record.get("equipment_planned") or "") > PLANNED_MAX_CHARS:
        problems.append(f"Les équipements prévus dépassent {integer(PLANNED_MAX_CHARS)} "
                        "caractères.")
    if problems:
        raise CallError(" ".join(problems))


def linked_application_status(consortium_status: str, application_status: str | None,
                              changed: bool) -> str | None:
    """The status the application of a consortium to its call year must take once the
    consortium is saved with ``consortium_status``, or None to leave things as they are.

    ``application_status``: the status of its application to that year (None: there is
    none); ``changed``: the consortium is new, or its status or call year changed. A
    submitted, funded or refused consortium always has an application (created when
    missing, so the analyst never enters it twice); an existing application follows the
    consortium's status only when that status was just set, so that saving an unrelated edit
    never overwrites what was recorded on the Appels à projets page.
    """
    wanted = APPLICATION_STATUS_OF[consortium_status]
    if application_status is None:
        return wanted if consortium_status in FORMED_STATUSES else None
    return wanted if changed and application_status != wanted else None


def linked_consortium_status(application_status: str, consortium_status: str) -> str | None:
    """The status a consortium must take once its application to its own call year is saved
    with ``application_status`` (None: it already agrees)."""
    wanted = CONSORTIUM_STATUS_OF[application_status]
    return None if wanted == consortium_status else wanted


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
    budget = out["budget"].where(out["budget"] > 0)
    out["budget_used_pct"] = (out["granted"] / budget * 100).round(1)
    return out


def per_epci(applications: pd.DataFrame, consortia: pd.DataFrame,
             places: pd.DataFrame) -> pd.DataFrame:
    """Applications and amounts per call year and EPCI of the project's location."""
    if applications.empty or consortia.empty:
        return pd.DataFrame(columns=["call_year", "epci_name", "applications", "funded", "granted"])
    where = consortia.set_index("id")
    location = where["location_place_id"].fillna(where["lead_place_id"]).astype(int)
    epci = dict(zip(places["id"], places["epci_name"], strict=True))
    frame = applications.assign(epci_name=applications["consortium_id"].map(location).map(epci))
    return frame.groupby(["call_year", "epci_name"]).agg(
        applications=("id", "count"), funded=("status", lambda s: int((s == "funded").sum())),
        granted=("amount_granted", "sum")).reset_index()
