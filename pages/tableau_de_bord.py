"""Tableau de bord: key figures, criteria, typologies and maturity per EPCI."""

import streamlit as st

from observatory import catalogue, consortia
from observatory.ui import charts, context, data, fmt

ctx = context.get()
st.title("Tableau de bord")
shown = ctx.filtered
if not ctx.filters.is_empty():
    st.caption("Les chiffres portent sur les lieux retenus par les filtres de la barre latérale.")

if shown.empty:
    st.info("Aucun lieu à analyser : l'inventaire est vide ou les filtres excluent tout.")
    st.stop()

figures = catalogue.key_figures(shown, ctx.communes)
cols = st.columns(4)
cols[0].metric("Lieux", figures["places"])
cols[1].metric("Lieux matures", figures["mature"],
               help=ctx.rule.describe().replace("**", ""))
cols[2].metric("Communes avec un lieu",
               f"{figures['communes_with_place']} / {figures['communes']}")
cols[3].metric("Habitants de ces communes",
               fmt.integer(figures["population_with_place"]),
               help=f"sur {fmt.integer(figures['population'])} habitants du périmètre "
                    f"({fmt.percent(figures['population_with_place'], figures['population'])})")

per_epci = catalogue.by_epci(shown, ctx.communes)
st.subheader("Par intercommunalité")
st.dataframe(
    per_epci[["epci_name", "communes", "population", "places", "mature", "communes_with_place",
              "places_per_10k"]].rename(columns={
        "epci_name": "EPCI", "communes": "Communes", "population": "Habitants",
        "places": "Lieux", "mature": "Matures", "communes_with_place": "Communes avec un lieu",
        "places_per_10k": "Lieux / 10 000 hab."}),
    hide_index=True, width="stretch",
    column_config={"Lieux / 10 000 hab.": st.column_config.NumberColumn(format="%.1f")})

left, right = st.columns(2)
with left:
    st.markdown("**Maturité par intercommunalité**")
    st.plotly_chart(charts.maturity_by_epci(per_epci), width="stretch")
with right:
    st.markdown("**Densité de lieux**")
    st.plotly_chart(charts.density_by_epci(per_epci), width="stretch")

st.subheader("Consortiums (indicateur de la mesure 7.1)")
saved = data.consortia(data.db_path())
counts = consortia.counts_by_year_and_status(saved)
cols = st.columns(3)
cols[0].metric("Consortiums constitués", consortia.formed_count(saved),
               help="Déposés, financés ou refusés : au-delà du stade de l'idée.")
cols[1].metric("dont financés", int((saved["status"] == "funded").sum()) if len(saved) else 0)
cols[2].metric("Idées en cours", int((saved["status"] == "idea").sum()) if len(saved) else 0)
if len(saved):
    st.plotly_chart(charts.consortia_by_year(counts), width="stretch")
else:
    st.caption("Aucun consortium enregistré : la page Consortiums permet d'en créer.")

left, right = st.columns(2)
with left:
    st.markdown("**Distribution des scores par critère**")
    st.plotly_chart(charts.criteria_distribution(shown), width="stretch")
with right:
    st.markdown("**Typologies**")
    st.plotly_chart(charts.typologies(shown), width="stretch")
