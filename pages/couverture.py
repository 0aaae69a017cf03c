"""Couverture: who is far from a place (or a mature place), and where a new one would help."""

import streamlit as st
from streamlit_folium import st_folium

from observatory import coverage, formatting, maps, settings
from observatory.service import proximity
from observatory.ui import context, data

ctx = context.get()
st.title("Couverture du territoire")
if ctx.places.empty:
    st.info("Aucun lieu dans l'inventaire : toute la population est hors de portée.")
    st.stop()

config = settings.current()
provider = proximity.provider(config)  # the one data.access measured with
estimated = provider.is_estimate
left, middle, right = st.columns(3)
threshold = left.slider("Seuil (minutes de trajet" + (" estimées)" if estimated else ")"), 5, 60,
                        int(coverage.DEFAULT_MINUTES), 5, key="cov_minutes")
mature = middle.toggle("Vers un lieu mature seulement", key="cov_mature")
k = right.slider("Nombre d'implantations à suggérer", 0, 10, 3, key="cov_k")

access = data.access(data.db_path())
summary = coverage.covered(access, threshold_minutes=threshold, mature=mature)
cols = st.columns(3)
cols[0].metric("Habitants à portée", formatting.integer(summary.population_covered),
               help=summary.sentence)
cols[1].metric("Part de la population",
               formatting.percent(summary.population_covered, summary.population_total))
cols[2].metric("Habitants au-delà du seuil",
               formatting.integer(summary.population_total - summary.population_covered))
st.caption(f"{summary.sentence} {provider.label}.")

suggestions = (proximity.where_next(access, ctx.places, config, k=k, threshold=threshold,
                                    mature=mature) if k else None)
column = "mature_minutes" if mature else "minutes"
folium_map = maps.build_access_map(
    ctx.communes, access, ctx.places[ctx.places["mature"]] if mature else ctx.places,
    minutes_column=column, target="le lieu mature le plus proche" if mature
    else "le lieu le plus proche", suggestions=suggestions, online_tiles=data.online_tiles(),
    estimated=estimated)
st_folium(folium_map, height=600, use_container_width=True, render=False, returned_objects=[],
          key="coverage_map")

left, right = st.columns(2)
with left:
    st.markdown("**Par intercommunalité**")
    st.dataframe(summary.by_epci.rename(columns={
        "epci_name": "EPCI", "communes": "Communes", "population": "Habitants",
        "population_covered": "À portée", "share": "Part"}).drop(
        columns=["epci_siren"], errors="ignore"), hide_index=True, width="stretch",
        column_config={"Part": st.column_config.ProgressColumn(min_value=0, max_value=1,
                                                               format="percent")})
with right:
    st.markdown("**Communes les plus éloignées (zones blanches)**")
    far = summary.zones_blanches.head(15)
    journey = "Trajet (min, est.)" if estimated else "Trajet (min)"
    st.dataframe(far[["name", "population", column]].rename(columns={
        "name": "Commune", "population": "Habitants", column: journey}),
        hide_index=True, width="stretch",
        column_config={journey: st.column_config.NumberColumn(format="%.0f")})

if suggestions is not None and len(suggestions):
    st.markdown(f"**Où un nouveau lieu (ou une étape itinérante) toucherait le plus d'habitants "
                f"aujourd'hui à plus de {threshold} minutes** (méthode gloutonne, au moins 63 % "
                "de l'optimum garanti)")
    st.dataframe(suggestions[["rank", "name", "population_added", "population_cumulative"]]
                 .rename(columns={"rank": "Rang", "name": "Commune",
                                  "population_added": "Habitants ajoutés",
                                  "population_cumulative": "Cumul"}),
                 hide_index=True, width="stretch")
