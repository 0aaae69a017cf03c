"""Appels à projets: the annual calls (2023–2028), their budgets and applications."""

import datetime as dt

import streamlit as st

from observatory import calls as call_figures
from observatory import eligibility, settings
from observatory.errors import UserInputError
from observatory.formatting import UNIT_SPACE, integer, is_missing
from observatory.model import APPLICATION_STATUSES
from observatory.settings import CALL_YEARS
from observatory.ui import auth, charts, context, data, eligibility_view, fmt
from observatory.ui.tables import french_frame

ctx = context.get()
st.title("Appels à projets")
path = data.db_path()
calls, applications = data.calls(path), data.applications(path)
saved = data.consortia(path)
consortium_names = dict(zip(saved["id"].astype(int), saved["name"], strict=True))
by_id = ctx.places.set_index("id")


def _amount(application: dict | None, key: str) -> float:
    """An amount of the application already entered (0 when none), for the form."""
    value = None if application is None else application.get(key)
    return 0.0 if is_missing(value) else float(value)


def _text(application: dict | None, key: str) -> str:
    value = None if application is None else application.get(key)
    return "" if is_missing(value) else str(value)


table = call_figures.per_call(calls, applications)
cols = st.columns(4)
cols[0].metric("Candidatures", int(table["applications"].sum()))
cols[1].metric("Financées", int(table["funded"].sum()))
cols[2].metric("Montants demandés", f"{integer(table['requested'].sum())}{UNIT_SPACE}€")
cols[3].metric("Montants accordés", f"{integer(table['granted'].sum())}{UNIT_SPACE}€")
st.dataframe(french_frame(
    table, years=["call_year"], money=["budget", "requested", "granted"],
    integers=["applications", "funded"], decimals={"budget_used_pct": 1}, headers={
        "call_year": "Appel", "budget": "Budget (€)", "applications": "Candidatures",
        "funded": "Financées", "requested": "Demandé (€)", "granted": "Accordé (€)",
        "budget_used_pct": "Budget engagé (%)"}), hide_index=True, width="stretch")
by_epci = call_figures.per_epci(applications, saved, ctx.places)
if len(by_epci):
    charts.show(charts.granted_by_epci(by_epci))

if auth.allowed("edit"):
    left, right = st.columns(2)
    with left.expander("Paramétrer un appel (budget, dates)"):
        default_year = settings.current().call_year
        year = st.selectbox("Année", CALL_YEARS, key="call_year_edit",
                            index=CALL_YEARS.index(default_year)
                            if default_year in CALL_YEARS else 0,
                            placeholder=context.PLACEHOLDER)
        known = calls.set_index("year").loc[year] if year in set(calls["year"]) else None
        with st.form(f"call_form_{year}"):
            budget = st.number_input("Budget (€)", min_value=0.0, step=1000.0,
                                     format=fmt.WHOLE_EUROS,
                                     value=0.0 if known is None or is_missing(known["budget"])
                                     else float(known["budget"]))
            opens = st.date_input("Ouverture", value=known["opens_on"] if known is not None
                                  else dt.date(year, *call_figures.DEFAULT_OPENS),
                                  format="DD/MM/YYYY")
            closes = st.date_input("Clôture", value=known["closes_on"] if known is not None
                                   else dt.date(year, *call_figures.DEFAULT_CLOSES),
                                   format="DD/MM/YYYY")
            call_author = context.author_input("Votre nom (historique)", "call_author")
            if st.form_submit_button("Enregistrer l'appel"):
                try:
                    # Saved by someone, a demonstration call becomes a real one: its
                    # demonstration note no longer applies.
                    demo = known is not None and not is_missing(known.get("is_demo")) \
                        and bool(known.get("is_demo"))
                    kept = ("" if known is None or demo or is_missing(known["notes"])
                            else known["notes"])
                    data.save_call(year, budget, opens, closes, kept, actor=call_author)
                except UserInputError as exc:
                    st.error(fmt.md(exc))
                else:
                    st.rerun()

    with right.expander("Enregistrer une candidature"):
        if saved.empty:
            st.caption("Formez d'abord un consortium (page Consortiums).")
        else:
            consortium_id = st.selectbox("Consortium", list(consortium_names),
                                         format_func=consortium_names.get, key="app_consortium",
                                         placeholder=context.PLACEHOLDER)
            row = saved.set_index("id").loc[consortium_id]
            call_year = st.selectbox("Appel", CALL_YEARS, key="app_year",
                                     index=CALL_YEARS.index(int(row["call_year"]))
                                     if int(row["call_year"]) in CALL_YEARS else 0,
                                     placeholder=context.PLACEHOLDER)
            location = row["location_place_id"]
            place = (by_id.loc[int(location)].to_dict()
                     if not is_missing(location) and int(location) in by_id.index else None)
            eligibility_view.show(eligibility.check_consortium(
                ctx.places[ctx.places["id"].isin(row["member_ids"])], call_year,
                eligibility.location_of(place),
                eligibility.MeasureRules(
                    excluded_zone_label=ctx.excluded_label or "la zone exclue")))
            linked = applications[(applications["consortium_id"] == consortium_id)
                                  & (applications["call_year"] == call_year)].head(1)
            known_app = linked.iloc[0].to_dict() if len(linked) else None
            if known_app is not None:
                st.caption("Ce consortium a déjà une candidature à cet appel : l'enregistrer "
                           "la met à jour (aucun doublon).")
            with st.form(f"application_form_{consortium_id}_{call_year}"):
                requested = st.number_input(
                    "Montant demandé (€)", min_value=0.0, step=500.0, format=fmt.WHOLE_EUROS,
                    value=_amount(known_app, "amount_requested"))
                granted = st.number_input("Montant accordé (€)", min_value=0.0, step=500.0,
                                          format=fmt.WHOLE_EUROS,
                                          value=_amount(known_app, "amount_granted"))
                planned = st.text_area("Équipements prévus",
                                       max_chars=call_figures.PLANNED_MAX_CHARS,
                                       value=_text(known_app, "equipment_planned"))
                statuses = list(APPLICATION_STATUSES)
                status = st.selectbox("Statut", statuses,
                                      format_func=APPLICATION_STATUSES.get,
                                      index=statuses.index(known_app["status"])
                                      if known_app is not None else 0,
                                      placeholder=context.PLACEHOLDER)
                app_author = context.author_input("Votre nom (historique)", "app_author")
                if st.form_submit_button("Enregistrer la candidature"):
                    try:
                        data.save_application({
                            "call_year": call_year, "consortium_id": consortium_id,
                            "amount_requested": requested, "amount_granted": granted or None,
                            "equipment_planned": planned, "status": status}, actor=app_author)
                    except UserInputError as exc:
                        st.error(fmt.md(exc))
                    else:
                        st.rerun()

st.subheader(f"Candidatures ({len(applications)})")
if applications.empty:
    st.info("Aucune candidature enregistrée.")
else:
    members = dict(zip(saved["id"].astype(int), saved["member_ids"], strict=True))
    place_names = dict(zip(ctx.places["id"], ctx.places["name"], strict=True))
    st.dataframe(french_frame(applications.assign(
        consortium=applications["consortium_id"].map(consortium_names),
        membres=applications["consortium_id"].map(
            lambda i: ", ".join(place_names.get(m, f"lieu n° {m}") for m in members.get(i, []))),
        statut=applications["status"].map(APPLICATION_STATUSES))[
        ["call_year", "consortium", "membres", "amount_requested", "amount_granted",
         "equipment_planned", "statut"]], years=["call_year"],
        money=["amount_requested", "amount_granted"],
        headers={
            "call_year": "Appel", "consortium": "Consortium", "membres": "Lieux membres",
            "amount_requested": "Demandé (€)", "amount_granted": "Accordé (€)",
            "equipment_planned": "Équipements prévus", "statut": "Statut"}),
        hide_index=True, width="stretch")
    st.caption("Un consortium passé à « Déposé » sur la page Consortiums figure ici sans "
               "nouvelle saisie ; « Financée » ou « Refusée » se reporte sur le consortium.")
