"""Tableau de bord: key figures, criteria, typologies and maturity per EPCI."""

import streamlit as st

from observatory import catalogue, commune_types, consortia, formatting, indicators
from observatory.territory import source
from observatory.ui import charts, context, data
from observatory.ui.tables import french_frame

ctx = context.get()
st.title("Tableau de bord")
shown = ctx.filtered
if not ctx.filters.is_empty():
    st.caption("Les chiffres portent sur les lieux retenus par les filtres de la barre latérale.")

if ctx.places.empty:
    st.info("Aucun lieu dans l'inventaire : le tableau de bord se remplira avec vos lieux. "
            + context.empty_inventory_advice())
    st.stop()
if shown.empty:
    st.info(f"Aucun lieu à analyser : les filtres excluent les "
            f"{formatting.count(len(ctx.places), 'lieu', 'lieux')} de l'inventaire. Modifiez ou "
            "retirez les filtres dans la barre latérale.")
    st.stop()

figures = catalogue.key_figures(shown, ctx.communes)
cols = st.columns(4)
cols[0].metric("Lieux", figures["places"])
cols[1].metric("Lieux matures", figures["mature"],
               help=ctx.rule.describe().replace("**", ""))
cols[2].metric("Communes avec un lieu",
               f"{figures['communes_with_place']} / {figures['communes']}")
cols[3].metric("Habitants de ces communes",
               formatting.integer(figures["population_with_place"]),
               help=f"sur {formatting.integer(figures['population'])} habitants du périmètre ("
                    + formatting.percent(figures["population_with_place"], figures["population"])
                    + ")")
st.caption(source.POPULATION_NOTE)

per_epci = catalogue.by_epci(shown, ctx.communes)
per_epci["epci_name"] = per_epci["epci_name"].map(formatting.short_epci)  # as in the filter
st.subheader("Par intercommunalité")
st.dataframe(french_frame(
    per_epci[["epci_name", "communes", "population", "places", "mature", "communes_with_place",
              "places_per_10k"]],
    integers=["communes", "population", "places", "mature", "communes_with_place"],
    decimals={"places_per_10k": 1}, headers={
        "epci_name": "EPCI", "communes": "Communes", "population": "Habitants",
        "places": "Lieux", "mature": "Matures", "communes_with_place": "Communes avec un lieu",
        "places_per_10k": "Lieux / 10 000 hab."}),
    hide_index=True, width="stretch")

st.subheader("Par type de commune")
per_class = commune_types.by_class(shown, ctx.communes)
if per_class.empty:
    st.caption("Le référentiel de ce territoire ne porte pas les typologies des communes "
               "(densité, zone de montagne).")
else:
    st.dataframe(commune_types.places_table(per_class), hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        st.markdown("**Lieux pour 10 000 habitants, selon le type de commune**")
        charts.show(charts.density_by_commune_type(per_class))
    st.caption(" ".join(commune_types.mountain_sentences(
        ctx.communes, ctx.territory_name, commune_types.names_from_meta(ctx.meta))) + " "
               + commune_types.NOTE)

left, right = st.columns(2)
with left:
    st.markdown("**Maturité par intercommunalité**")
    charts.show(charts.maturity_by_epci(per_epci))
with right:
    st.markdown("**Densité de lieux**")
    charts.show(charts.density_by_epci(per_epci))

st.subheader("Indicateurs de la mesure 7.1")
path = data.db_path()
saved, items = data.consortia(path), data.equipment(path)
tables = {"places": ctx.places, "consortia": saved, "equipment": items}
figures_7_1 = indicators.compute(tables)
cols = st.columns(len(indicators.INDICATORS) + 1)  # the measure's indicators, then the ideas
for col, (key, title) in zip(cols[:-1], indicators.INDICATORS.items(), strict=True):
    col.metric(title, figures_7_1[key]["total"],
               help="Déposés, financés ou refusés : au-delà du stade de l'idée."
               if key == "consortia_formed" else None)
ideas = int((saved["status"] == "idea").sum()) if len(saved) else 0
cols[-1].metric("Consortiums en projet (idée)", ideas,
               help="Enregistrés mais pas encore déposés : ils compteront comme constitués une "
                    "fois déposés à l'appel à projets.")
money = indicators.amounts(items, data.applications(path))
share = indicators.involvement(saved, ctx.places)
cols = st.columns(3)
mature_count = int(ctx.places["mature"].sum())
cols[0].metric("Montants accordés aux consortiums",
               formatting.integer(money["consortia_granted_eur"]) + formatting.UNIT_SPACE + "€")
cols[1].metric("Lieux engagés dans un consortium",
               f"{share['places_involved']} "
               f"({formatting.percent(share['places_involved'], len(ctx.places))})")
cols[2].metric("Lieux matures engagés",
               f"{share['mature_involved']} "
               f"({formatting.percent(share['mature_involved'], mature_count)})")
timeline = indicators.over_time(figures_7_1)
if len(timeline):
    left, right = st.columns(2)
    with left:
        st.markdown("**Par appel à projets**")
        charts.show(charts.indicators_by_year(timeline))
    with right:
        st.markdown("**Consortiums par appel et statut**")
        charts.show(charts.consortia_by_year(consortia.counts_by_year_and_status(saved)))
else:
    st.caption("Aucun consortium ni équipement enregistré : les indicateurs sont à zéro.")

left, right = st.columns(2)
with left:
    st.markdown("**Distribution des scores par critère**")
    charts.show(charts.criteria_distribution(shown))
with right:
    st.markdown("**Typologies**")
    charts.show(charts.typologies(shown))
