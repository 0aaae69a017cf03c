"""Couverture: who is far from a place (or a mature place), and where a new one would help."""

import streamlit as st
from streamlit_folium import st_folium

from observatory import commune_types, coverage, formatting, maps, routing, settings
from observatory.service import proximity
from observatory.territory import source
from observatory.ui import context, data, programme_layers

ctx = context.get()
st.title("Couverture du territoire")
if ctx.places.empty:
    st.info("Aucun lieu dans l'inventaire : la couverture du territoire (temps de trajet de "
            "chaque commune au lieu le plus proche) se calculera dès le premier lieu. "
            + context.empty_inventory_advice())
    st.stop()

config = settings.current()
provider = proximity.provider(config)  # the one data.access measured with
estimated = provider.is_estimate
left, middle, right = st.columns(3)
threshold = left.slider("Seuil (minutes de trajet" + (" estimées)" if estimated else ")"), 5, 60,
                        int(coverage.DEFAULT_MINUTES), 5, key="cov_minutes")
mature = middle.toggle("Vers un lieu mature seulement", key="cov_mature")
k = right.slider("Nombre d'implantations à suggérer", 0, 10, 3, key="cov_k")

with_france_services = st.toggle(
    "Compter les France services comme points de service", key="cov_france_services",
    help="Une commune est alors à portée si un lieu ou une France services (liste nationale "
         "d'août 2024) est à moins du seuil.",
    disabled=data.programme_places(data.db_path()).empty)
access = (data.access_with_france_services(data.db_path()) if with_france_services
          else data.access(data.db_path()))
summary = coverage.covered(access, threshold_minutes=threshold, mature=mature)
st.markdown(f"**{coverage.headline(summary)}**")
cols = st.columns(3)
for col, (label, value) in zip(cols, coverage.key_figures(summary), strict=True):
    col.metric(label, value, help=summary.sentence if label == "Habitants à portée" else None)
st.caption(f"{summary.sentence} {provider.label}. "
           + ("" if estimated else routing.fallback_note(
               coverage.estimated_communes(summary), "commune au trajet estimé",
               "communes au trajet estimé") + " ")
           + source.POPULATION_NOTE)

suggestions = (proximity.where_next(access, ctx.places, config, k=k, threshold=threshold,
                                    mature=mature) if k else None)
column = "mature_minutes" if mature else "minutes"
# Counted as service points, the France services are drawn whatever their box says.
programme_places = programme_layers.choose(
    "cov_programmes", also=("france_services",) if with_france_services else ())
target = "le lieu mature le plus proche" if mature else "le lieu le plus proche"
folium_map = maps.build_access_map(
    ctx.communes, access, ctx.places[ctx.places["mature"]] if mature else ctx.places,
    minutes_column=column, target=target + (" ou la France services la plus proche"
                                            if with_france_services else ""),
    suggestions=suggestions, online_tiles=data.online_tiles(), estimated=estimated,
    programme_places=programme_places)
st_folium(folium_map, height=600, use_container_width=True, render=False, returned_objects=[],
          key="coverage_map")

left, right = st.columns([3, 2])  # the EPCI table has six columns, the far communes three
with left:
    st.markdown("**Par intercommunalité**")
    st.dataframe(coverage.epci_table(summary), hide_index=True, width="stretch")
with right:
    st.markdown("**Communes les plus éloignées (zones blanches)**")
    st.dataframe(coverage.far_table(summary, 15, estimated), hide_index=True, width="stretch")

per_class = commune_types.coverage_by_class(summary.communes, ctx.communes)
if len(per_class):
    st.markdown(f"**Habitants à portée selon le type de commune "
                f"({coverage.threshold_label(threshold, None)})**")
    st.dataframe(commune_types.coverage_table(per_class), hide_index=True, width="stretch")
    st.caption(commune_types.NOTE)

if k:
    st.markdown(f"**Où un nouveau lieu (ou une étape itinérante) toucherait le plus d'habitants "
                f"aujourd'hui à plus de {formatting.minutes(threshold)}**")
    st.caption(coverage.METHOD_PLAIN)
    with st.expander("Comment ces suggestions sont calculées"):
        st.markdown(coverage.METHOD_DETAIL)
    note = coverage.shortfall_note(summary, suggestions, k)
    if note:
        st.info(note)
    if suggestions is not None and len(suggestions):
        st.dataframe(coverage.suggestions_table(suggestions), hide_index=True, width="stretch")
