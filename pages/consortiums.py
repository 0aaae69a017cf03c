"""Consortiums: build, check, save and follow the consortia answering the annual call."""

import streamlit as st
from streamlit_folium import st_folium

from observatory import eligibility, maps, settings
from observatory.consortia import (
    DESCRIPTION_MAX_CHARS,
    FORMED_STATUSES,
    NAME_MAX_CHARS,
    ConflictError,
    Consortium,
    ConsortiumError,
    from_row,
)
from observatory.eligibility import CALL_YEARS
from observatory.formatting import is_missing
from observatory.model import CONSORTIUM_STATUSES
from observatory.ui import auth, context, data, eligibility_view, fmt
from observatory.ui.tables import french_frame

BUILDER_PREFILL = "builder_prefill"
NEW = 0

ctx = context.get()
st.title("Consortiums")
saved = data.consortia(data.db_path())
label = dict(zip(ctx.places["id"], ctx.places["name"] + " — " + ctx.places["commune"].fillna(""),
                 strict=True))
by_id = ctx.places.set_index("id")
rules = eligibility.MeasureRules(excluded_zone_label=ctx.excluded_label or "la zone exclue")

if len(ctx.places) < 2:
    st.info("Il faut au moins deux lieux dans l'inventaire pour former un consortium. "
            + context.empty_inventory_advice())
    st.stop()


def load_into_form(record: Consortium) -> None:
    """Put a consortium (new, prefilled or saved) into the builder's widgets."""
    st.session_state.update({
        "c_name": record.name, "c_members": list(record.member_ids),
        "c_lead": record.lead_place_id,
        "c_location": record.location_place_id or record.lead_place_id,
        "c_year": record.call_year, "c_status": record.status, "c_description": record.description,
        "c_loaded": (record.id or NEW, record.version)})


this_year = settings.current().call_year  # OBSERVATORY_CALL_YEAR, else this year's call
prefill = st.session_state.pop(BUILDER_PREFILL, None)
if prefill:
    st.session_state["c_pick"] = NEW
    load_into_form(Consortium("", prefill["members"], prefill["lead"], prefill["call_year"]))

if "c_pick_after_save" in st.session_state:
    st.session_state["c_pick"] = st.session_state.pop("c_pick_after_save")
options = [NEW, *saved["id"].astype(int).tolist()]
names = {NEW: "+ Nouveau consortium",
         **dict(zip(saved["id"].astype(int), saved["name"], strict=True))}
pick = st.selectbox("Consortium", options, format_func=lambda i: names[i], key="c_pick",
                    placeholder=context.PLACEHOLDER)
loaded_id = st.session_state.get("c_loaded", (None, None))[0]
if loaded_id != pick:
    if pick == NEW:
        load_into_form(Consortium("", [], -1, this_year))
    else:
        load_into_form(from_row(saved.set_index("id").loc[pick].to_dict() | {"id": pick}))

with st.container(border=True):
    st.text_input("Nom du consortium", key="c_name", max_chars=NAME_MAX_CHARS)
    members = st.multiselect("Lieux membres (au moins deux)", ctx.places["id"].tolist(),
                             format_func=lambda i: label.get(i, f"lieu {i}"), key="c_members",
                             placeholder="Choisir les lieux membres…", select_all=False)
    member_options = members or [-1]
    pretty = lambda i: label.get(i, "—")  # noqa: E731
    left, middle, right = st.columns(3)
    if st.session_state.get("c_lead") not in member_options:
        st.session_state["c_lead"] = member_options[0]
    if st.session_state.get("c_location") not in member_options:
        st.session_state["c_location"] = st.session_state["c_lead"]
    lead = left.selectbox("Chef de file", member_options, format_func=pretty, key="c_lead",
                          placeholder=context.PLACEHOLDER)
    location = middle.selectbox("Lieu du projet", member_options, format_func=pretty,
                                key="c_location",
                                help="Là où le projet est situé : sur le territoire, hors "
                                     f"{rules.excluded_zone_label}.",
                                placeholder=context.PLACEHOLDER)
    call_year = right.selectbox("Appel à projets", CALL_YEARS, key="c_year",
                                placeholder=context.PLACEHOLDER)
    status = left.selectbox("Statut", list(CONSORTIUM_STATUSES),
                            format_func=CONSORTIUM_STATUSES.get, key="c_status",
                            help="L'indicateur « consortiums constitués » compte les consortiums "
                                 "déposés, financés ou refusés ; une idée n'y compte pas encore. "
                                 "Déposé, financé ou refusé, le consortium figure parmi les "
                                 "candidatures de la page Appels à projets, sans autre saisie.",
                            placeholder=context.PLACEHOLDER)
    author = context.author_input("Votre nom (historique)", "c_author", middle)
    description = st.text_area("Projet (quelques lignes)", key="c_description",
                               max_chars=DESCRIPTION_MAX_CHARS)

    member_rows = ctx.places[ctx.places["id"].isin(members)]
    location_row = by_id.loc[location].to_dict() if location in by_id.index else None
    eligibility_view.show(eligibility.check_consortium(
        member_rows, call_year, eligibility.location_of(location_row), rules))

    loaded = st.session_state.get("c_loaded", (NEW, 0))
    record = Consortium(
        id=None if pick == NEW else pick, version=loaded[1], name=st.session_state["c_name"],
        member_ids=list(members), lead_place_id=lead,
        location_place_id=location if location in members else None, call_year=call_year,
        status=status, description=description or "")
    save, archive = st.columns([1, 1])
    can_edit = auth.allowed("edit")
    if save.button("Enregistrer", type="primary", disabled=not (can_edit and author.strip())):
        try:
            new_id = data.save_consortium(record, author.strip())
        except ConflictError as exc:
            st.error(fmt.md(exc))
            latest = data.consortium_history(data.db_path(), pick).tail(1)
            if len(latest):
                st.caption("Dernière version enregistrée :")
                st.json(latest["state"].iloc[0])
        except ConsortiumError as exc:
            st.error(fmt.md(exc))
        else:
            st.session_state.pop("c_loaded", None)
            st.session_state["c_pick_after_save"] = new_id
            st.toast("Consortium enregistré." + (
                f" Sa candidature à l'appel {call_year} figure dans la page Appels à projets."
                if status in FORMED_STATUSES else ""))
            st.rerun()
    if pick != NEW and archive.button("Supprimer (archiver)",
                                      disabled=not (can_edit and author.strip())):
        data.archive_consortium(pick, author.strip())
        st.session_state.pop("c_loaded", None)
        st.rerun()
    if not can_edit:
        st.caption("Réservé aux analystes : connectez-vous pour enregistrer un consortium.")
    elif not author.strip():
        st.caption("Indiquez votre nom pour enregistrer : chaque modification est historisée.")

st.subheader(f"Consortiums enregistrés ({len(saved)})")
if saved.empty:
    st.info("Aucun consortium pour l'instant. Composez-en un ci-dessus, ou partez des "
            "suggestions de la page Partenaires.")
else:
    overview = saved.assign(
        members=saved["member_ids"].map(lambda ids: ", ".join(label.get(i, str(i)) for i in ids)),
        lead=saved["lead_place_id"].map(lambda i: label.get(i, str(i))),
        status_label=saved["status"].map(CONSORTIUM_STATUSES),
        eligible=[eligibility.check_consortium(
            ctx.places[ctx.places["id"].isin(ids)], int(year),
            eligibility.location_of(by_id.loc[loc].to_dict()
                                    if not is_missing(loc) and loc in by_id.index else None),
            rules).eligible
            for ids, year, loc in zip(saved["member_ids"], saved["call_year"],
                                      saved["location_place_id"], strict=True)])
    st.dataframe(french_frame(
        overview[["name", "call_year", "status_label", "lead", "members", "eligible"]],
        years=["call_year"], booleans=["eligible"],
        headers={"name": "Nom", "call_year": "Appel", "status_label": "Statut",
                 "lead": "Chef de file", "members": "Membres", "eligible": "Éligible"}),
        hide_index=True, width="stretch")
    folium_map = context.territory_map(ctx, ctx.places, links=maps.consortium_links(saved),
                                       links_name="Consortiums enregistrés", height=520)
    st_folium(folium_map, height=520, use_container_width=True, render=False, returned_objects=[],
              key="consortia_map")
