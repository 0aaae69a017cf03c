"""The three views of the Équipements page: inventory, itinerance calendar, tour planning.

Each view draws from an ``Inventory`` (what the page read once) and delegates every rule to
``observatory.service.equipment`` and the pure modules. Each has an empty state saying what
to do when there is nothing to show (no place, no item, no itinerant item).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from observatory import itinerance, maps, routing, settings
from observatory.equipment import item_labels, with_current_place
from observatory.errors import UserInputError
from observatory.formatting import (
    UNIT_SPACE,
    count,
    decimal,
    integer,
    km,
    long_date,
    minutes,
    travel,
)
from observatory.model import EQUIPMENT_CATEGORIES, EQUIPMENT_CONDITIONS
from observatory.service import equipment as service
from observatory.territory import source
from observatory.ui import auth, charts, context, data, fmt
from observatory.ui.context import PageContext
from observatory.ui.equipment_form import equipment_editor
from observatory.ui.tables import french_frame

INVENTORY, ITINERANCE, TOUR = "Inventaire", "Itinérance et calendrier", "Planifier une tournée"
VIEWS = (INVENTORY, ITINERANCE, TOUR)
NO_PLACE = ("Aucun lieu dans l'observatoire : un équipement appartient à un lieu. Ajoutez "
            "d'abord des lieux (page Lieux) ou importez votre inventaire (page Importer).")
NO_ITEM = "Aucun équipement enregistré."
NO_ITINERANT = ("Aucun équipement itinérant : cochez « Itinérant » sur un équipement de "
                "l'inventaire.")
REACH_STEP_MINUTES = 5
REACH_MAX_MINUTES = 60


@dataclass(frozen=True)
class Inventory:
    """What the page read: the items (with where each is today), stays, consortia, labels."""

    items: pd.DataFrame
    stays: pd.DataFrame
    consortia: pd.DataFrame
    label: dict  # place id -> « name — commune »

    @property
    def itinerant(self) -> pd.DataFrame:
        return self.items[self.items["itinerant"].astype(bool)] if len(self.items) else self.items


def load(ctx: PageContext) -> Inventory:
    path = data.db_path()
    stays = data.stays(path)
    places = ctx.places
    label = dict(zip(places["id"], places["name"] + " — " + places["commune"].fillna(""),
                     strict=True))
    return Inventory(items=with_current_place(data.equipment(path), stays), stays=stays,
                     consortia=data.consortia(path), label=label)


def _place_format(inv: Inventory):
    return lambda i: inv.label.get(i, str(i))


# --- Inventory -----------------------------------------------------------------------------

def _inventory_table(shown: pd.DataFrame, inv: Inventory) -> None:
    consortium_names = dict(zip(inv.consortia["id"], inv.consortia["name"], strict=True))
    st.dataframe(french_frame(shown.assign(
        categorie=shown["category"].map(EQUIPMENT_CATEGORIES),
        proprietaire=shown["owner_place_id"].map(inv.label),
        ici=shown["current_place_id"].map(inv.label),
        consortium=shown["consortium_id"].map(consortium_names),
        etat=shown["condition"].map(EQUIPMENT_CONDITIONS))[
        ["name", "categorie", "proprietaire", "ici", "mutualised", "itinerant", "consortium",
         "call_year", "amount_funded", "purchase_value", "etat"]],
        money=["amount_funded", "purchase_value"], years=["call_year"],
        booleans=["mutualised", "itinerant"], headers={
            "name": "Équipement", "categorie": "Catégorie", "proprietaire": "Lieu propriétaire",
            "ici": "Où il est aujourd'hui", "mutualised": "Mutualisé", "itinerant": "Itinérant",
            "consortium": "Consortium", "call_year": "Appel", "amount_funded": "Financé (€)",
            "purchase_value": "Valeur (€)", "etat": "État"}),
        hide_index=True, width="stretch")


def inventory(ctx: PageContext, inv: Inventory) -> None:
    """Figures, filters and the table of the items; the editor for analysts."""
    items = inv.items
    cols = st.columns(4)
    cols[0].metric("Équipements", len(items))
    cols[1].metric("Mutualisés", int(items["mutualised"].astype(bool).sum()))
    cols[2].metric("Itinérants", int(items["itinerant"].astype(bool).sum()))
    cols[3].metric("Montants financés",
                   f"{integer(items['amount_funded'].fillna(0).sum())}{UNIT_SPACE}€")
    if ctx.places.empty:
        st.info(NO_PLACE)
        return
    left, middle, right = st.columns(3)
    categories = left.multiselect("Catégorie", list(EQUIPMENT_CATEGORIES),
                                  format_func=EQUIPMENT_CATEGORIES.get, key="eq_categories",
                                  placeholder="Toutes", select_all=False)
    kind = middle.selectbox("Type", ["Tous", "Mutualisés", "Itinérants"], key="eq_kind",
                            placeholder=context.PLACEHOLDER)
    owner = right.selectbox("Lieu", [None, *ctx.places["id"].tolist()], key="eq_owner",
                            format_func=lambda i: "Tous" if i is None else inv.label.get(i, str(i)),
                            placeholder=context.PLACEHOLDER)
    if items.empty:
        st.info(NO_ITEM + (" Ajoutez le premier avec le formulaire ci-dessous."
                           if auth.allowed("edit") else ""))
    else:
        shown = items
        if categories:
            shown = shown[shown["category"].isin(categories)]
        if kind != "Tous":
            shown = shown[shown["mutualised" if kind == "Mutualisés" else "itinerant"]
                          .astype(bool)]
        if owner is not None:
            shown = shown[(shown["owner_place_id"] == owner) | (shown["current_place_id"] == owner)]
        _inventory_table(shown, inv)

    if not auth.require("edit"):
        return
    st.subheader("Ajouter ou modifier un équipement")
    equipment_editor(items, ctx.places, inv.consortia, inv.label)


# --- Itinerance ----------------------------------------------------------------------------

def _calendar(ctx: PageContext, inv: Inventory, itinerant: pd.DataFrame) -> None:
    timeline = itinerance.timeline_frame(inv.stays, itinerant, ctx.places)
    if timeline.empty:
        st.caption("Aucun séjour programmé.")
        return
    span = charts.stays_span(timeline)
    st.caption(f"{count(len(timeline), 'séjour')}, du {long_date(timeline['start'].min())} au "
               f"{long_date(timeline['last_day'].max())} : le calendrier les montre tous "
               "(faites glisser ou zoomez pour détailler une période).")
    charts.show(charts.stays_timeline(timeline, span))


def _reach(ctx: PageContext, inv: Inventory, itinerant: pd.DataFrame) -> None:
    current = settings.current()
    estimated = current.provider().is_estimate
    reach_minutes = st.slider(
        "Portée d'une étape (minutes de trajet" + (" estimées)" if estimated else ")"),
        REACH_STEP_MINUTES, REACH_MAX_MINUTES, itinerance.DEFAULT_REACH_MINUTES,
        REACH_STEP_MINUTES, key="it_reach")
    reach = service.itinerant_reach(itinerant, inv.stays, ctx.places, ctx.communes,
                                    settings=current, minutes=reach_minutes)
    population = ctx.communes.loc[ctx.communes["in_perimeter"], "population"].sum()
    st.markdown(f"**Portée des tournées** : communes et habitants à moins de {reach_minutes} "
                f"minutes d'une étape de chaque équipement itinérant (sur {integer(population)} "
                "habitants du périmètre).")
    st.caption(f"Temps de trajet : {current.provider().label}. {source.POPULATION_NOTE}")
    st.dataframe(french_frame(reach.drop(columns="equipment_id"), integers=["population"],
                              headers={"name": "Équipement", "stops": "Étapes",
                                       "communes": "Communes à portée",
                                       "population": "Habitants à portée"}),
                 hide_index=True, width="stretch")


def _stay_editor(ctx: PageContext, inv: Inventory, itinerant: pd.DataFrame) -> None:
    st.subheader("Programmer un séjour")
    item_names = item_labels(itinerant)
    item_id = st.selectbox("Équipement itinérant", list(item_names), format_func=item_names.get,
                           key="it_item", placeholder=context.PLACEHOLDER)
    stays = inv.stays
    own = stays[stays["equipment_id"] == item_id] if len(stays) else stays
    left, middle, right = st.columns(3)
    place_id = left.selectbox("Lieu", ctx.places["id"].tolist(), key="it_place",
                              format_func=_place_format(inv), placeholder=context.PLACEHOLDER)
    start = middle.date_input("Du", key="it_from", format="DD/MM/YYYY")
    end = right.date_input("Au (inclus)", key="it_to", format="DD/MM/YYYY")
    author = context.author_input("Votre nom (historique)", "it_author")
    if st.button("Ajouter le séjour", type="primary"):
        _write_stays(lambda: data.add_stay(item_id, place_id, start, end, actor=author,
                                           place_names=inv.label), "Séjour ajouté.")
    if own.empty:
        return
    st.dataframe(french_frame(own.assign(lieu=own["place_id"].map(inv.label))[
        ["id", "lieu", "start_date", "end_date", "note"]], integers=["id"],
        dates=["start_date", "end_date"], headers={
            "id": "N°", "lieu": "Lieu", "start_date": "Du", "end_date": "Au", "note": "Note"}),
        hide_index=True, width="stretch")
    doomed = st.selectbox("Supprimer un séjour", [None, *own["id"].astype(int).tolist()],
                          format_func=lambda i: "—" if i is None else f"séjour n° {i}",
                          key="it_delete", placeholder=context.PLACEHOLDER)
    if doomed is not None and st.button("Supprimer ce séjour"):
        data.delete_stay(doomed, author)
        st.rerun()


def itinerance_view(ctx: PageContext, inv: Inventory) -> None:
    """The calendar of the stays, the reach of each itinerant item, the stay editor."""
    itinerant = inv.itinerant
    if itinerant.empty:
        st.info(NO_PLACE if ctx.places.empty else NO_ITINERANT)
        return
    _calendar(ctx, inv, itinerant)
    _reach(ctx, inv, itinerant)
    if auth.require("edit"):
        _stay_editor(ctx, inv, itinerant)


# --- Tours ---------------------------------------------------------------------------------

def tour_view(ctx: PageContext, inv: Inventory) -> None:
    """Choose places (or a consortium's members): the visiting order, its cost and its map."""
    if inv.itinerant.empty:
        st.info(NO_PLACE if ctx.places.empty else NO_ITINERANT)
        return
    st.markdown("Choisissez les lieux à visiter (par exemple les membres d'un consortium) : "
                "l'ordre de passage qui minimise la distance totale est calculé.")
    saved = inv.consortia
    consortium_names = dict(zip(saved["id"].astype(int), saved["name"], strict=True))
    preset = st.selectbox("Partir des membres d'un consortium", [None, *consortium_names],
                          key="tour_consortium",
                          format_func=lambda i: "—" if i is None else consortium_names.get(i),
                          placeholder=context.PLACEHOLDER)
    known = set(ctx.places["id"])
    default = ([i for i in saved.set_index("id").loc[preset, "member_ids"] if i in known]
               if preset is not None else [])
    stops = st.multiselect("Lieux à visiter", ctx.places["id"].tolist(), default=default,
                           format_func=_place_format(inv), key=f"tour_stops_{preset}",
                           placeholder="Choisir des lieux…", select_all=False)
    loop = st.toggle("Revenir au point de départ", value=True, key="tour_loop")
    if len(stops) < 2:
        st.caption("Choisissez au moins deux lieux.")
        return
    current = settings.current()
    provider = current.provider()
    try:
        tour = service.tour(ctx.places, stops, settings=current, return_to_start=loop)
    except UserInputError as exc:
        st.error(fmt.md(exc))
        return
    _tour_figures(ctx, inv, tour, stops, provider.is_estimate, provider.label)
    if auth.require("edit"):
        _tour_booking(inv, tour)


def _tour_figures(ctx: PageContext, inv: Inventory, tour: itinerance.Tour, stops: list,
                  estimated: bool, provider_label: str) -> None:
    est = " (est.)" if estimated else ""
    cols = st.columns(4)
    cols[0].metric(f"Distance totale{est}", km(tour.total_km, 0))
    cols[1].metric(f"Temps de conduite{est}", minutes(tour.total_minutes))
    cols[2].metric("CO₂ estimé", f"{decimal(tour.co2_kg, 1)}{UNIT_SPACE}kg")
    cols[3].metric("Méthode", "exacte" if tour.method == "exact" else "heuristique")
    legs = tour.legs_frame()
    flags = [False] * len(legs) if estimated else legs["estimated"].astype(bool).tolist()
    st.caption(f"{tour.method_label}. Distances : {provider_label}. "
               + (routing.fallback_note(sum(flags)) + " " if any(flags) else "")
               + itinerance.co2_source(tour.emission_factor_kg_per_km))
    chosen = ctx.places[ctx.places["id"].isin(stops)]
    links = pd.DataFrame({"head_id": legs["from_id"], "member_id": legs["to_id"],
                          "minutes": legs["minutes"],
                          "group": [f"Étape {k}" for k in range(1, len(legs) + 1)],
                          "colour": maps.TOUR_COLOUR,
                          "estimated": [estimated or f for f in flags]})
    folium_map = context.territory_map(ctx, chosen, links=links, links_name="Tournée",
                                       height=500, bounds=maps.padded_bounds(chosen),
                                       stop_order=tour.order)
    st_folium(folium_map, height=500, use_container_width=True, render=False, returned_objects=[],
              key="tour_map")
    est = ", est." if estimated else ""
    road, time = f"Route (km{est})", f"Trajet (min{est})"
    st.dataframe(french_frame(
        legs.assign(de=legs["from_id"].map(inv.label), vers=legs["to_id"].map(inv.label),
                    minutes=[routing.flag(travel(v), f)
                             for v, f in zip(legs["minutes"], flags, strict=True)])[
            ["de", "vers", "road_km", "minutes"]], decimals={"road_km": 1},
        headers={"de": "De", "vers": "Vers", "road_km": road, "minutes": time}),
        hide_index=True, width="stretch")


def _tour_booking(inv: Inventory, tour: itinerance.Tour) -> None:
    """Book the planned tour as consecutive stays of one itinerant item, previewed first,
    written all or none (a stay overlapping another refuses the whole tour)."""
    st.subheader("Réserver la tournée")
    st.caption("Chaque lieu devient un séjour de l'équipement, dans l'ordre de passage, l'un "
               "après l'autre ; si un séjour en chevauche un autre déjà prévu, aucun n'est "
               "réservé.")
    item_names = item_labels(inv.itinerant)
    item_id = st.selectbox("Équipement itinérant", list(item_names), format_func=item_names.get,
                           key="tour_item", placeholder=context.PLACEHOLDER)
    left, middle, right = st.columns(3)
    start = left.date_input("Début de la tournée", key="tour_from", format="DD/MM/YYYY")
    duration = middle.number_input("Durée de chaque étape", min_value=1, max_value=365, value=1,
                                   step=1, key="tour_duration")
    unit = right.selectbox("Unité", list(itinerance.STAY_UNIT_LABELS), key="tour_unit",
                           format_func=itinerance.STAY_UNIT_LABELS.get,
                           placeholder=context.PLACEHOLDER)
    try:
        schedule = itinerance.tour_schedule(tour.order, start, int(duration), unit)
    except UserInputError as exc:
        st.error(fmt.md(exc))
        return
    preview = pd.DataFrame({"etape": range(1, len(schedule) + 1),
                            "lieu": [inv.label.get(s.place_id, str(s.place_id))
                                     for s in schedule],
                            "start": [s.start for s in schedule],
                            "end": [s.end for s in schedule]})
    st.dataframe(french_frame(preview, integers=["etape"], dates=["start", "end"], headers={
        "etape": "Étape", "lieu": "Lieu", "start": "Du", "end": "Au (inclus)"}),
        hide_index=True, width="stretch")
    author = context.author_input("Votre nom (historique)", "tour_author")
    if st.button("Réserver ces séjours", type="primary", key="tour_book"):
        _write_stays(lambda: data.book_tour(item_id, [s.__dict__ for s in schedule],
                                            actor=author, place_names=inv.label),
                     f"Tournée réservée : {integer(len(schedule))} séjours.")


SHOW = {INVENTORY: inventory, ITINERANCE: itinerance_view, TOUR: tour_view}


def _write_stays(write, done: str) -> None:
    """Run a stay booking (one stay or a whole tour): each refusal in French, or ``done``."""
    try:
        write()
    except service.StayRefused as refused:
        for reason in refused.reasons:
            st.error(fmt.md(reason))
    except UserInputError as exc:
        st.error(fmt.md(exc))
    else:
        st.toast(done)
        st.rerun()
