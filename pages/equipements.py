"""Équipements: the shared and itinerant inventory, the stays of itinerant items, tours."""

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from observatory import indicators, itinerance
from observatory.consortia import ConflictError
from observatory.distances import EstimatedRoad
from observatory.equipment import Equipment, EquipmentError, current_locations, from_row
from observatory.model import EQUIPMENT_CATEGORIES, EQUIPMENT_CONDITIONS
from observatory.ui import auth, charts, context, data, fmt, maps

INVENTORY, ITINERANCE, TOUR = "Inventaire", "Itinérance et calendrier", "Planifier une tournée"
NEW = 0

ctx = context.get()
st.title("Équipements mutualisés et itinérants")
path = data.db_path()
items, stays = data.equipment(path), data.stays(path)
saved_consortia = data.consortia(path)
label = dict(zip(ctx.places["id"], ctx.places["name"] + " — " + ctx.places["commune"].fillna("")))
if not items.empty:
    items = items.assign(current_place_id=items["id"].map(current_locations(items, stays)))

view = st.radio("Vue", [INVENTORY, ITINERANCE, TOUR], horizontal=True, key="equipment_view",
                label_visibility="collapsed")

if view == INVENTORY:
    cols = st.columns(4)
    cols[0].metric("Équipements", len(items))
    cols[1].metric("Mutualisés", int(items["mutualised"].sum()) if len(items) else 0)
    cols[2].metric("Itinérants", int(items["itinerant"].sum()) if len(items) else 0)
    cols[3].metric("Montants financés", f"{fmt.integer(items['amount_funded'].fillna(0).sum())} €"
                   if len(items) else "0 €")
    left, middle, right = st.columns(3)
    categories = left.multiselect("Catégorie", list(EQUIPMENT_CATEGORIES),
                                  format_func=EQUIPMENT_CATEGORIES.get, key="eq_categories",
                                  placeholder="Toutes")
    kind = middle.selectbox("Type", ["Tous", "Mutualisés", "Itinérants"], key="eq_kind")
    owner = right.selectbox("Lieu", [None, *ctx.places["id"].tolist()], key="eq_owner",
                            format_func=lambda i: "Tous" if i is None else label.get(i, str(i)))
    shown = items
    if len(shown):
        if categories:
            shown = shown[shown["category"].isin(categories)]
        if kind != "Tous":
            shown = shown[shown["mutualised" if kind == "Mutualisés" else "itinerant"]]
        if owner is not None:
            shown = shown[(shown["owner_place_id"] == owner) | (shown["current_place_id"] == owner)]
    if items.empty:
        st.info("Aucun équipement enregistré. Ajoutez le premier avec le formulaire ci-dessous.")
    else:
        consortium_names = dict(zip(saved_consortia["id"], saved_consortia["name"]))
        st.dataframe(shown.assign(
            categorie=shown["category"].map(EQUIPMENT_CATEGORIES),
            proprietaire=shown["owner_place_id"].map(label),
            ici=shown["current_place_id"].map(label),
            consortium=shown["consortium_id"].map(consortium_names),
            etat=shown["condition"].map(EQUIPMENT_CONDITIONS))[
            ["name", "categorie", "proprietaire", "ici", "mutualised", "itinerant", "consortium",
             "call_year", "amount_funded", "purchase_value", "etat"]].rename(columns={
                "name": "Équipement", "categorie": "Catégorie", "proprietaire": "Lieu propriétaire",
                "ici": "Où il est aujourd'hui", "mutualised": "Mutualisé", "itinerant": "Itinérant",
                "consortium": "Consortium", "call_year": "Appel", "amount_funded": "Financé (€)",
                "purchase_value": "Valeur (€)", "etat": "État"}),
            hide_index=True, width="stretch",
            column_config={"Appel": st.column_config.NumberColumn(format="%d"),
                           "Financé (€)": st.column_config.NumberColumn(format="%.0f"),
                           "Valeur (€)": st.column_config.NumberColumn(format="%.0f")})

    if not auth.require("edit"):
        st.stop()
    st.subheader("Ajouter ou modifier un équipement")
    choices = [NEW, *items["id"].astype(int).tolist()] if len(items) else [NEW]
    names = {NEW: "➕ Nouvel équipement", **(dict(zip(items["id"].astype(int), items["name"]))
                                             if len(items) else {})}
    pick = st.selectbox("Équipement", choices, format_func=names.get, key="eq_pick")
    record = (from_row(items.set_index("id").loc[pick].to_dict() | {"id": pick})
              if pick != NEW else Equipment("", "tools", int(ctx.places["id"].iloc[0])))
    with st.form(f"equipment_form_{pick}_{record.version}"):
        name = st.text_input("Nom", value=record.name, max_chars=200)
        left, right = st.columns(2)
        category = left.selectbox("Catégorie", list(EQUIPMENT_CATEGORIES),
                                  index=list(EQUIPMENT_CATEGORIES).index(record.category),
                                  format_func=EQUIPMENT_CATEGORIES.get)
        owner_ids = ctx.places["id"].tolist()
        owner_id = right.selectbox("Lieu propriétaire", owner_ids,
                                   index=owner_ids.index(record.owner_place_id)
                                   if record.owner_place_id in owner_ids else 0,
                                   format_func=lambda i: label.get(i, str(i)))
        consortium_ids = [None, *saved_consortia["id"].astype(int).tolist()]
        consortium = left.selectbox(
            "Consortium (si financé par l'un d'eux)", consortium_ids,
            index=consortium_ids.index(record.consortium_id)
            if record.consortium_id in consortium_ids else 0,
            format_func=lambda i: "—" if i is None else dict(
                zip(saved_consortia["id"], saved_consortia["name"])).get(i, str(i)))
        years = [None, *range(2023, 2029)]
        call_year = right.selectbox("Appel à projets", years,
                                    index=years.index(record.call_year)
                                    if record.call_year in years else 0,
                                    format_func=lambda y: "—" if y is None else str(y))
        amount = left.number_input("Montant financé (€)", min_value=0.0, step=100.0,
                                   value=float(record.amount_funded or 0))
        value = right.number_input("Valeur d'achat (€)", min_value=0.0, step=100.0,
                                   value=float(record.purchase_value or 0))
        condition = left.selectbox("État", list(EQUIPMENT_CONDITIONS),
                                   index=list(EQUIPMENT_CONDITIONS).index(record.condition),
                                   format_func=EQUIPMENT_CONDITIONS.get)
        mutualised = right.checkbox("Mutualisé (partagé entre lieux)", value=record.mutualised)
        itinerant = right.checkbox("Itinérant (il circule)", value=record.itinerant)
        notes = st.text_area("Notes", value=record.notes, max_chars=5000)
        submitted = st.form_submit_button("Enregistrer", type="primary")
    if submitted:
        record = Equipment(name=name, category=category, owner_place_id=int(owner_id),
                           consortium_id=consortium, call_year=call_year,
                           amount_funded=amount or None, purchase_value=value or None,
                           condition=condition, mutualised=mutualised, itinerant=itinerant,
                           notes=notes, id=None if pick == NEW else pick, version=record.version)
        try:
            data.save_equipment(record)
        except (EquipmentError, ConflictError) as exc:
            st.error(fmt.md(exc))
        else:
            st.toast("Équipement enregistré.")
            st.rerun()
    if pick != NEW and st.button("Retirer de l'inventaire (archiver)"):
        data.archive_equipment(pick)
        st.rerun()

itinerant_items = items[items["itinerant"]] if len(items) else items
if view in (ITINERANCE, TOUR) and itinerant_items.empty:
    st.info("Aucun équipement itinérant : cochez « Itinérant » sur un équipement de l'inventaire.")
    st.stop()

if view == ITINERANCE:
    item_names = dict(zip(itinerant_items["id"].astype(int), itinerant_items["name"]))
    start_month = st.date_input("Calendrier à partir de", value=dt.date(dt.date.today().year, 1, 1),
                                key="it_start")
    timeline = itinerance.timeline_frame(stays, itinerant_items, ctx.places)
    if timeline.empty:
        st.caption("Aucun séjour programmé.")
    else:
        end = pd.Timestamp(start_month) + pd.DateOffset(months=12)
        st.plotly_chart(charts.stays_timeline(timeline, pd.Timestamp(start_month), end),
                        width="stretch")

    reach_minutes = st.slider("Portée d'une étape (minutes de trajet estimées)", 5, 60, 20, 5,
                              key="it_reach")
    reach = indicators.itinerant_reach(itinerant_items, stays, ctx.places, ctx.communes,
                                       reach_minutes, provider=EstimatedRoad())
    population = int(ctx.communes.loc[ctx.communes["in_perimeter"], "population"].sum())
    st.markdown(f"**Portée des tournées** : communes et habitants à moins de {reach_minutes} "
                f"minutes d'une étape de chaque équipement itinérant (sur {fmt.integer(population)} "
                "habitants du périmètre).")
    st.dataframe(reach.drop(columns="equipment_id").rename(columns={
        "name": "Équipement", "stops": "Étapes", "communes": "Communes à portée",
        "population": "Habitants à portée"}), hide_index=True, width="stretch")

    if not auth.require("edit"):
        st.stop()
    st.subheader("Programmer un séjour")
    item_id = st.selectbox("Équipement itinérant", list(item_names), format_func=item_names.get,
                           key="it_item")
    own = stays[stays["equipment_id"] == item_id] if len(stays) else stays
    left, middle, right = st.columns(3)
    place_id = left.selectbox("Lieu", ctx.places["id"].tolist(), key="it_place",
                              format_func=lambda i: label.get(i, str(i)))
    start = middle.date_input("Du", key="it_from", format="DD/MM/YYYY")
    end = right.date_input("Au (inclus)", key="it_to", format="DD/MM/YYYY")
    if st.button("Ajouter le séjour", type="primary"):
        problems = itinerance.check_new_stay(
            own.rename(columns={"start_date": "start", "end_date": "end"}),
            {"place_id": place_id, "start": start, "end": end}, place_names=label)
        if problems:
            for problem in problems:
                st.error(fmt.md(problem))
        else:
            data.add_stay(item_id, place_id, start, end)
            st.toast("Séjour ajouté.")
            st.rerun()
    if len(own):
        st.dataframe(own.assign(lieu=own["place_id"].map(label))[
            ["id", "lieu", "start_date", "end_date", "note"]].rename(columns={
                "id": "N°", "lieu": "Lieu", "start_date": "Du", "end_date": "Au", "note": "Note"}),
            hide_index=True, width="stretch",
            column_config={"Du": st.column_config.DateColumn(format="DD/MM/YYYY"),
                           "Au": st.column_config.DateColumn(format="DD/MM/YYYY")})
        doomed = st.selectbox("Supprimer un séjour", [None, *own["id"].astype(int).tolist()],
                              format_func=lambda i: "—" if i is None else f"séjour n° {i}",
                              key="it_delete")
        if doomed is not None and st.button("Supprimer ce séjour"):
            data.delete_stay(doomed)
            st.rerun()

if view == TOUR:
    st.markdown("Choisissez les lieux à visiter (par exemple les membres d'un consortium) : "
                "l'ordre de passage qui minimise la distance totale est calculé.")
    consortium_ids = [None, *saved_consortia["id"].astype(int).tolist()]
    preset = st.selectbox("Partir des membres d'un consortium", consortium_ids, key="tour_consortium",
                          format_func=lambda i: "—" if i is None else dict(
                              zip(saved_consortia["id"], saved_consortia["name"])).get(i))
    default = (saved_consortia.set_index("id").loc[preset, "member_ids"]
               if preset is not None else [])
    stops = st.multiselect("Lieux à visiter", ctx.places["id"].tolist(), default=list(default),
                           format_func=lambda i: label.get(i, str(i)), key=f"tour_stops_{preset}")
    loop = st.toggle("Revenir au point de départ", value=True, key="tour_loop")
    if len(stops) < 2:
        st.caption("Choisissez au moins deux lieux.")
        st.stop()
    provider = EstimatedRoad()
    chosen = ctx.places[ctx.places["id"].isin(stops)]
    tour = itinerance.plan_tour(chosen, start_id=stops[0], return_to_start=loop, provider=provider,
                                emission_factor=itinerance.CO2_KG_PER_KM)
    cols = st.columns(4)
    cols[0].metric("Distance totale (est.)", f"{fmt.integer(tour.total_km)} km")
    cols[1].metric("Temps de conduite (est.)", f"{fmt.integer(tour.total_minutes)} min")
    cols[2].metric("CO₂ estimé", f"{fmt.decimal(tour.co2_kg, 1)} kg")
    cols[3].metric("Méthode", "exacte" if tour.method == "exact" else "heuristique")
    st.caption(f"{tour.method_label} {provider.label}. {itinerance.CO2_SOURCE}")
    legs = tour.legs_frame()
    links = pd.DataFrame({"head_id": legs["from_id"], "member_id": legs["to_id"],
                          "minutes": legs["minutes"],
                          "group": [f"Étape {k}" for k in range(1, len(legs) + 1)],
                          "colour": "#d95f02"})
    folium_map = context.territory_map(ctx, chosen, links=links, links_name="Tournée",
                                       height=500, bounds=maps.padded_bounds(chosen))
    st_folium(folium_map, height=500, use_container_width=True, render=False, returned_objects=[],
              key="tour_map")
    st.dataframe(legs.assign(de=legs["from_id"].map(label), vers=legs["to_id"].map(label))[
        ["de", "vers", "road_km", "minutes"]].rename(columns={
            "de": "De", "vers": "Vers", "road_km": "Route (km, est.)",
            "minutes": "Trajet (min, est.)"}), hide_index=True, width="stretch",
        column_config={"Route (km, est.)": st.column_config.NumberColumn(format="%.1f"),
                       "Trajet (min, est.)": st.column_config.NumberColumn(format="%.0f")})
