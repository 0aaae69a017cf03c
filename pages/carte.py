"""Carte: the territory, its communes and EPCI, and the places (mature ones stand out)."""

import streamlit as st
from streamlit_folium import st_folium

from observatory import catalogue, formatting, maps
from observatory.territory import source
from observatory.ui import auth, context, data, fmt, programme_layers
from observatory.ui import maps as ui_maps

ctx = context.get()
st.title("Carte des lieux de lien social")

if ctx.places.empty and auth.allowed("import"):
    st.info("Aucun lieu dans l'inventaire pour l'instant : la carte montre le territoire seul. "
            "Importez votre inventaire (page **Importer**) ou chargez les données de "
            "démonstration pour découvrir l'outil.")
    if st.button("Charger les 42 lieux de démonstration"):
        data.add_demo()
        st.rerun()
elif ctx.places.empty:  # a reader: loading data is an analyst's action (checked in data too)
    st.info("Aucun lieu dans l'inventaire pour l'instant : la carte montre le territoire seul. "
            "Un analyste connecté peut importer l'inventaire.")

shown = ctx.filtered
cols = st.columns(4)
cols[0].metric("Lieux affichés", f"{len(shown)} / {len(ctx.places)}")
cols[1].metric("dont matures", int(shown["mature"].sum()) if len(shown) else 0)
cols[2].metric("Communes avec un lieu", shown["insee"].nunique())
cols[3].metric("EPCI représentés", shown["epci_siren"].nunique())
if not ctx.filters.is_empty() and shown.empty:
    st.warning("Aucun lieu ne correspond aux filtres : élargissez-les dans la barre latérale.")

density = st.toggle("Colorer les intercommunalités par nombre de lieux pour 10 000 habitants",
                    key="map_density", help=source.POPULATION_NOTE)
per_epci = catalogue.by_epci(ctx.places, ctx.communes) if density else None
bounds = data.epci_outline_bounds(data.db_path(), ctx.filters.epci) if ctx.filters.epci else None

# The saved consortia as lines from each lead to its members (read only when asked for).
links, cut = None, 0
if st.toggle("Afficher les consortiums", key="map_consortia",
             help="Relie le chef de file de chaque consortium enregistré à ses membres."):
    every = maps.consortium_links(data.consortia(data.db_path()))
    links = maps.links_between(every, shown)
    cut = every.loc[~every.index.isin(links.index), "group"].nunique()

# Context layers: the places of national programmes (not in the inventory), off by default.
programme_places = programme_layers.choose("map_programmes")

# A place selected elsewhere (a shared link, the Lieux page) is ringed on the map; one picked
# on the map is not redrawn: a new map would reload and lose the popup and the user's view.
ring = None if st.session_state.get("selected_on_map") else ctx.selected_id()
folium_map = context.territory_map(ctx, shown, selected_id=ring, epci_density=per_epci,
                                   bounds=bounds, links=links,
                                   links_name="Consortiums enregistrés",
                                   programme_places=programme_places)
state = st_folium(folium_map, height=620, use_container_width=True, render=False,
                  returned_objects=["last_active_drawing"], key="territory_map")

clicked = ui_maps.selected_place_id(state)
if clicked is not None and clicked != ctx.selected_id():
    context.select_place(clicked)
    st.session_state["selected_on_map"] = True
    st.rerun()

excluded_zone = (f"{ctx.excluded_label or 'La zone exclue'} est en orange, bordée de tirets : "
                 "les projets financés par la mesure 7.1 doivent être situés hors de cette zone. "
                 if ctx.communes["in_excluded_zone"].any() else "")
st.caption(
    f"Fond : contours des communes ({formatting.integer(len(ctx.communes))}), sans connexion "
    f"nécessaire. {excluded_zone}Cliquez un lieu pour le sélectionner.")
if links is not None and links.empty and not cut:
    st.caption("Aucun consortium enregistré à afficher : composez-en un sur la page "
               "Consortiums.")
if cut:
    st.caption(f"{formatting.count(cut, 'consortium a', 'consortiums ont')} des membres masqués "
               "par les filtres : seuls les liens entre lieux affichés sont tracés.")

selected = ctx.selected_id()
if selected is not None:
    place = ctx.places.set_index("id").loc[selected]
    with st.container(border=True):
        st.markdown(f"**Lieu sélectionné : {fmt.md(place['name'])}** — {fmt.md(place['commune'])}"
                    f" · {fmt.md(place['typology'])}" + (" · ★ mature" if place["mature"] else ""))
        st.page_link("pages/lieux.py", label="Voir sa fiche", icon=":material/home_work:")
