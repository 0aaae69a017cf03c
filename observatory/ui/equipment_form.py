"""The form to add or edit an equipment item (next to the place forms of ``place_forms``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from observatory.eligibility import CALL_YEARS
from observatory.equipment import (
    NAME_MAX_CHARS,
    NOTES_MAX_CHARS,
    Equipment,
    blank,
    from_row,
    item_labels,
)
from observatory.errors import UserInputError
from observatory.model import EQUIPMENT_CATEGORIES, EQUIPMENT_CONDITIONS
from observatory.ui import context, data, fmt

NEW = 0  # the « new item » choice of the picker (item ids start at 1)


def _index(options: list, value) -> int:
    return options.index(value) if value in options else 0


def equipment_editor(items: pd.DataFrame, places: pd.DataFrame, consortia: pd.DataFrame,
                     label: dict) -> None:
    """Pick an item (or a new one), edit it in a form, save or archive it.

    ``places`` must not be empty (an item belongs to a place: the caller says so otherwise);
    ``label`` names the places (« name — commune »).
    """
    ids = items["id"].astype(int).tolist()
    names = {NEW: "+ Nouvel équipement", **item_labels(items)}
    pick = st.selectbox("Équipement", [NEW, *ids], format_func=names.get, key="eq_pick",
                        placeholder=context.PLACEHOLDER)
    record = (from_row(items.set_index("id").loc[pick].to_dict() | {"id": pick})
              if pick != NEW else blank(int(places["id"].iloc[0])))
    consortium_names = dict(zip(consortia["id"].astype(int), consortia["name"], strict=True))
    with st.form(f"equipment_form_{pick}_{record.version}"):
        name = st.text_input("Nom", value=record.name, max_chars=NAME_MAX_CHARS)
        left, right = st.columns(2)
        categories = list(EQUIPMENT_CATEGORIES)
        category = left.selectbox("Catégorie", categories,
                                  index=_index(categories, record.category),
                                  format_func=EQUIPMENT_CATEGORIES.get,
                                  placeholder=context.PLACEHOLDER)
        owner_ids = places["id"].tolist()
        owner_id = right.selectbox("Lieu propriétaire", owner_ids,
                                   index=_index(owner_ids, record.owner_place_id),
                                   format_func=lambda i: label.get(i, str(i)),
                                   placeholder=context.PLACEHOLDER)
        consortium_ids = [None, *consortium_names]
        consortium = left.selectbox(
            "Consortium (si financé par l'un d'eux)", consortium_ids,
            index=_index(consortium_ids, record.consortium_id),
            format_func=lambda i: "—" if i is None else consortium_names.get(i, str(i)),
            placeholder=context.PLACEHOLDER)
        years = [None, *CALL_YEARS]
        call_year = right.selectbox("Appel à projets", years,
                                    index=_index(years, record.call_year),
                                    format_func=lambda y: "—" if y is None else str(y),
                                    placeholder=context.PLACEHOLDER)
        amount = left.number_input("Montant financé (€)", min_value=0.0, step=100.0,
                                   format=fmt.WHOLE_EUROS, value=float(record.amount_funded or 0))
        value = right.number_input("Valeur d'achat (€)", min_value=0.0, step=100.0,
                                   format=fmt.WHOLE_EUROS, value=float(record.purchase_value or 0))
        conditions = list(EQUIPMENT_CONDITIONS)
        condition = left.selectbox("État", conditions,
                                   index=_index(conditions, record.condition),
                                   format_func=EQUIPMENT_CONDITIONS.get,
                                   placeholder=context.PLACEHOLDER)
        mutualised = right.checkbox("Mutualisé (partagé entre lieux)", value=record.mutualised)
        itinerant = right.checkbox("Itinérant (il circule)", value=record.itinerant)
        notes = st.text_area("Notes", value=record.notes, max_chars=NOTES_MAX_CHARS)
        author = context.author_input("Votre nom (historique)", f"eq_author_{pick}")
        submitted = st.form_submit_button("Enregistrer", type="primary")
    if submitted:
        edited = Equipment(name=name, category=category, owner_place_id=int(owner_id),
                           consortium_id=consortium, call_year=call_year,
                           amount_funded=amount or None, purchase_value=value or None,
                           condition=condition, mutualised=mutualised, itinerant=itinerant,
                           notes=notes, id=None if pick == NEW else pick, version=record.version)
        try:
            data.save_equipment(edited, author)
        except UserInputError as exc:  # invalid, or saved by someone else meanwhile
            st.error(fmt.md(exc))
        else:
            st.toast("Équipement enregistré.")
            st.rerun()
    if pick != NEW and st.button("Retirer de l'inventaire (archiver)"):
        data.archive_equipment(pick, author)
        st.rerun()
