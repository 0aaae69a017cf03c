"""Forms to add and edit a place, record an evaluation, and browse or undo its changes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from observatory import editing, formatting, merging
from observatory.errors import ConflictError
from observatory.maturity import MaturityRule
from observatory.model import (
    CRITERIA,
    LEGAL_STATUSES,
    SCORE_LEVELS,
    TYPOLOGIES,
)
from observatory.ui import context, data, fmt

SCORES = list(editing.SCORE_OPTIONS)


def _show(report) -> None:
    (st.success if report.ok else st.error)(report.summary())
    if len(report.problem_table):
        st.dataframe(report.problem_table.drop(columns=["ligne"], errors="ignore"),
                     hide_index=True, width="stretch")


def place_form(communes: pd.DataFrame, place: dict | None, key: str, show_contact: bool) -> None:
    """Add (``place`` None) or edit a place; validated exactly like an imported row."""
    place = place or {}
    inside = communes[communes["in_perimeter"]].sort_values("name")
    insee_names = dict(zip(inside["insee"], inside["name"] + " (" + inside["insee"] + ")",
                           strict=True))
    with st.form(key):
        name = st.text_input("Nom du lieu", value=place.get("name", ""),
                             max_chars=editing.NAME_MAX_CHARS)
        left, right = st.columns(2)
        codes = list(insee_names)
        insee = left.selectbox("Commune", codes, format_func=insee_names.get,
                               index=codes.index(place["insee"])
                               if place.get("insee") in codes else 0)
        typology = right.selectbox("Typologie", TYPOLOGIES, index=TYPOLOGIES.index(
            place["typology"]) if place.get("typology") in TYPOLOGIES else 0)
        lat = left.text_input("Latitude (vide : centre de la commune)",
                              value="" if place.get("lat") is None else f"{place['lat']:.6f}")
        lon = right.text_input("Longitude", value="" if place.get("lon") is None
                               else f"{place['lon']:.6f}")
        status = left.selectbox("Statut juridique", LEGAL_STATUSES, index=LEGAL_STATUSES.index(
            place["legal_status"]) if place.get("legal_status") in LEGAL_STATUSES else 0)
        year = right.text_input("Année d'ouverture", value=str(place.get("opening_year") or ""))
        transition = left.checkbox("Orienté vers les transitions",
                                   value=bool(place.get("transition_oriented")))
        thematics = right.text_input("Thématiques (séparées par |)",
                                     value="|".join(place.get("thematics") or []))
        website = left.text_input("Site web", value=place.get("website") or "")
        contact = (right.text_input("Contact (donnée personnelle)",
                                    value=place.get("contact") or "")
                   if show_contact else place.get("contact"))
        author = context.author_input("Votre nom (historique)", f"{key}_author")
        submitted = st.form_submit_button("Enregistrer", type="primary")
    if not submitted:
        return
    if not author.strip():
        st.error("Indiquez votre nom : chaque modification est historisée.")
        return
    values = {"name": name, "insee": insee, "lat": lat, "lon": lon, "typology": typology,
              "legal_status": status, "opening_year": year, "transition_oriented": transition,
              "thematics": thematics, "website": website, "contact": contact}
    if place.get("id") is not None:
        values["place_id"] = place["id"]
    try:
        report, written = data.save_place_form(values, place.get("version"), author.strip())
    except ConflictError as exc:
        st.error(str(exc))
        return
    _show(report)
    if written is not None:
        st.toast("Lieu enregistré.")
        st.rerun()
    elif report.ok:
        st.info("Aucun changement à enregistrer.")


SAVE_EVALUATION = "Enregistrer l'évaluation"


def evaluation_form(place_id: int, name: str, history: pd.DataFrame, rule: MaturityRule,
                    key: str) -> None:
    """Record a new evaluation of a place, never changing its scores silently.

    The scores start from the place's latest evaluation (empty, and required, for a first
    one); the change against it is shown as the scores are chosen, and a new evaluation that
    makes the place start or stop being mature is written only once confirmed.
    """
    latest = editing.latest_evaluation(history)
    # The widgets' keys name the latest evaluation: once one is saved, the form starts afresh.
    stamp = f"{key}_{int(history['id'].max()) if len(history) else 'first'}"
    _evaluation_fragment(place_id, name, latest, rule, stamp)


@st.fragment
def _evaluation_fragment(place_id: int, name: str, latest: editing.LatestEvaluation | None,
                         rule: MaturityRule, key: str) -> None:
    """The form itself; a change of score reruns only this part of the page."""
    left, right = st.columns(2)
    when = left.date_input("Date de l'évaluation", value=dt.date.today(), format="DD/MM/YYYY",
                           key=f"{key}_date")
    evaluator = right.text_input("Évaluateur ou évaluatrice", key=f"{key}_evaluator")
    previous = latest.scores if latest is not None else {}
    scores = {}
    for column, criterion in zip(st.columns(len(CRITERIA)), CRITERIA, strict=True):
        old = previous.get(criterion.key)
        scores[criterion.key] = column.selectbox(
            criterion.short, SCORES, index=SCORES.index(old) if old in SCORES else None,
            format_func=formatting.number, placeholder="À noter",
            help=f"{criterion.label} : {criterion.description}", key=f"{key}_{criterion.key}")
    st.caption("Échelle : " + " · ".join(f"{k} {v}" for k, v in SCORE_LEVELS.items()))

    change = editing.evaluation_change(previous if latest is not None else None, scores, rule)
    if latest is None:
        st.markdown("**Première évaluation de ce lieu** : notez chaque critère (aucune note "
                    "n'est proposée par défaut).")
    else:
        st.markdown("**Par rapport à la dernière évaluation** "
                    f"({formatting.long_date(latest.evaluated_on)})")
    st.dataframe(pd.DataFrame(change.rows()), hide_index=True, width="stretch")
    replaces = latest is None or latest.replaced_by(when)
    if not replaces:
        st.info("Cette évaluation est antérieure à la dernière "
                f"({formatting.long_date(latest.evaluated_on)}) : elle s'ajoute à l'historique "
                "sans changer les notes actuelles du lieu.")
    warning = change.maturity_warning(name) if replaces else None
    confirmed = True
    if warning:
        st.warning(fmt.md(warning))
        # Confirmation of exactly these scores: changing one asks again.
        chosen = "_".join(formatting.number(v) for v in scores.values())
        confirmed = st.checkbox(change.confirmation_label(), key=f"{key}_confirm_{chosen}")
    evidence = st.text_area("Éléments de preuve (visite, documents…)",
                            max_chars=editing.NOTES_MAX_CHARS, key=f"{key}_evidence")
    if not st.button(SAVE_EVALUATION, type="primary", key=f"{key}_save"):
        return
    if not evaluator.strip():
        st.error("Indiquez qui a mené l'évaluation.")
        return
    if not change.complete:
        st.error("Notez chaque critère avant d'enregistrer : "
                 + ", ".join(change.unscored) + " sans note. Rien n'a été enregistré.")
        return
    if not confirmed:
        st.error("Cochez « " + change.confirmation_label() + " » pour enregistrer cette "
                 "évaluation : rien n'a été enregistré.")
        return
    report, written = data.save_evaluation_form(
        {"place_id": place_id, "evaluated_on": when, "evaluator": evaluator, **scores,
         "evidence": evidence}, evaluator.strip())
    _show(report)
    if written is not None:
        st.toast("Évaluation enregistrée.")
        st.rerun()


ACTIONS = {"create": "création", "update": "modification", "import": "import",
           "restore": "annulation", "archive": "archivage", "unarchive": "réactivation",
           "merge": "fusion", "unmerge": "fusion annulée"}


def audit_panel(place_id: int, version: int, can_edit: bool) -> None:
    """Who changed what and when; undo one change (it becomes a new change)."""
    history = data.place_audit(data.db_path(), place_id)
    if history.empty:
        st.caption("Aucune modification enregistrée pour ce lieu.")
        return
    rows = []
    for entry in history.itertuples():
        change = (merging.merge_summary(entry.old_values, entry.new_values)
                  if entry.action == "merge" else
                  editing.audit_change(entry.old_values, entry.new_values,
                                       show_contact=can_edit))
        rows.append({"N°": entry.id, "Date": editing.audit_date(entry.changed_at),
                     "Par": entry.actor,
                     "Action": ACTIONS.get(entry.action, entry.action), "Changements": change})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    # A merge is undone whole: the removed place comes back with all that had moved.
    undoable = [r["N°"] for r in rows if r["Action"] in ("modification", "import", "annulation",
                                                           "archivage", "fusion")]
    if can_edit and undoable:
        left, right = st.columns([2, 1])
        chosen = left.selectbox("Annuler la modification n°", undoable, key=f"undo_{place_id}")
        author = context.author_input("Votre nom", f"undo_author_{place_id}", right)
        if st.button("Rétablir les valeurs d'avant", disabled=not author.strip(),
                     key=f"undo_btn_{place_id}"):
            try:
                data.restore_place(chosen, version, author.strip())
            except ConflictError as exc:
                st.error(str(exc))
            else:
                st.toast("Valeurs rétablies.")
                st.rerun()
