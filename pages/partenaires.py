"""Partenaires: ranked partners for one place, and consortia proposed for the whole network."""

import streamlit as st
from streamlit_folium import st_folium

from observatory import eligibility, formatting, maps, partners, settings
from observatory.eligibility import CALL_YEARS
from observatory.service import programmes, proximity
from observatory.ui import context, data, eligibility_view, fmt

BUILDER_PREFILL = "builder_prefill"

ctx = context.get()
st.title("Partenaires")
if len(ctx.places) < 2:
    st.info("Il faut au moins deux lieux dans l'inventaire pour chercher des partenaires. "
            + context.empty_inventory_advice())
    st.stop()

config = settings.current()  # the distance provider, the default call year
provider = proximity.provider(config)
estimated = provider.is_estimate
by_id = ctx.places.set_index("id")
label = dict(zip(ctx.places["id"], ctx.places["name"] + " — " + ctx.places["commune"].fillna(""),
                 strict=True))
WEIGHTED = [name for name in partners.TERM_LABELS if name != "equipment"]
ONE, NETWORK = "Partenaires d'un lieu", "Consortiums pour tout le réseau"
# A radio rather than tabs: a Leaflet map drawn in a hidden tab has no size and loses its view.
view = st.radio("Vue", [ONE, NETWORK], horizontal=True, key="partner_view",
                label_visibility="collapsed")

if view == ONE:
    ids = ctx.places["id"].tolist()
    selected = ctx.selected_id()
    place_id = st.selectbox("Lieu", ids, index=ids.index(selected) if selected in ids else 0,
                            format_func=lambda i: label[i], key="partner_place")
    with st.expander("Réglages : distance maximale et poids des critères", expanded=False):
        left, right = st.columns(2)
        max_minutes = left.slider(
            "Temps de trajet maximal (minutes" + (", estimé)" if estimated else ")"), 5, 120,
            int(partners.DEFAULT_MAX_MINUTES), step=5, key="partner_max_minutes")
        call_year = right.selectbox("Appel à projets", CALL_YEARS,
                                    index=CALL_YEARS.index(config.call_year),
                                    key="partner_call_year")
        # In points out of 100 (a slider prints its value with a decimal point); the
        # equipment term has no slider: no inventory is given to the ranking here.
        cols = st.columns(len(WEIGHTED))
        weights = partners.Weights(**{
            name: cols[k].slider(f"{partners.TERM_LABELS[name]} (points)", 0, 100,
                                 int(round(100 * getattr(partners.Weights(), name))), 5,
                                 key=f"w_{name}") / 100
            for k, name in enumerate(WEIGHTED)})
    with st.expander("Comment le classement est calculé", expanded=False):
        st.markdown("\n".join(f"- {line}" for line in partners.ranking_explanation(
            weights, max_minutes=max_minutes, with_equipment=False)))
    st.caption(f"Distances : {provider.label}. Dans les explications, « vous » désigne "
               f"{fmt.md(label[place_id])}.")

    found = proximity.rank_partners(ctx.places, config, place_id, weights=weights,
                                    max_minutes=max_minutes, call_year=call_year)
    ranked = found.ranked
    if ranked.empty:
        st.info(f"Aucun lieu à moins de {max_minutes} minutes : "
                "augmentez le temps de trajet maximal.")
    else:
        table = found.table()
        st.dataframe(table, hide_index=True, width="stretch",
                     height=min(38 * (len(table) + 1), 420),
                     column_config={"En bref": st.column_config.TextColumn(width="large")})
        if found.fallback_note():
            st.caption(found.fallback_note())

        st.subheader("Pourquoi ces partenaires")
        for k, detail in enumerate(found.details()):
            with st.expander(fmt.md(detail["title"]), expanded=k < 3):
                st.markdown("\n".join(f"- {fmt.md(part)}"
                                       for part in [*detail["parts"], detail["carry"]]))

        st.subheader("Composer un consortium")
        chosen = st.multiselect("Partenaires retenus", ranked["id"].tolist(),
                                format_func=lambda i: label[i], key="partner_chosen",
                                placeholder="Choisissez un ou plusieurs partenaires dans la liste",
                                select_all=False)
        if chosen:
            members = ctx.places[ctx.places["id"].isin([place_id, *chosen])]
            report = eligibility.check_consortium(
                members, call_year, eligibility.location_of(by_id.loc[place_id].to_dict()),
                eligibility.MeasureRules(
                    excluded_zone_label=ctx.excluded_label or "la zone exclue"))
            st.caption(f"Lieu du projet supposé : {fmt.md(label[place_id])} (modifiable dans le "
                       "constructeur).")
            eligibility_view.show(report)
        else:
            st.caption("Choisissez au moins un partenaire : l'éligibilité du consortium à la "
                       f"mesure 7.1 (appel {call_year}) s'affichera ici, règle par règle.")
        if st.button("Ouvrir dans le constructeur de consortium", disabled=not chosen,
                     type="primary"):
            st.session_state[BUILDER_PREFILL] = {"members": [place_id, *chosen], "lead": place_id,
                                                 "call_year": call_year}
            st.switch_page("pages/consortiums.py")

if view == NETWORK:
    st.markdown(
        "Chaque **lieu mature** joue le rôle de *tête de réseau* (comme les Fabriques de "
        "territoire) et accueille des lieux non matures proches ; chaque lieu entre dans un "
        "seul consortium. Parmi les propositions qui placent le plus de lieux, celle retenue "
        "minimise le temps de trajet total (appariement optimal, pas une heuristique).")
    left, right = st.columns(2)
    net_minutes = left.slider(
        "Temps de trajet maximal tête – membre (minutes" + (", estimé)" if estimated else ")"),
        5, 120, int(partners.DEFAULT_MAX_MINUTES), step=5, key="network_max_minutes")
    max_size = right.slider("Taille maximale d'un consortium (tête comprise)", 2, 10,
                            proximity.DEFAULT_MAX_SIZE, key="network_max_size")
    fabriques = programmes.fabriques(data.programme_places(data.db_path()))
    with_fabriques = st.checkbox(
        "Proposer les Fabriques de territoire comme têtes de réseau", value=False,
        key="network_fabriques", disabled=fabriques.empty,
        help="Les Fabriques de territoire du programme national (ANCT, septembre 2024) "
             "deviennent des têtes de réseau possibles, à côté des lieux matures ; elles ne "
             "font pas partie de l'inventaire." if len(fabriques)
             else "Aucune Fabrique de territoire sur ce territoire.")
    fabrique_heads = fabriques if with_fabriques else None
    found_network = proximity.network_proposal(ctx.places, config, max_minutes=net_minutes,
                                               max_size=max_size, fabriques=fabrique_heads)
    if with_fabriques:  # a Fabrique heads with a negative id, named « Fabrique de territoire : »
        label = {**label, **{h: n for h, n in found_network.names.items() if h < 0}}
    proposal = found_network.proposal
    st.caption(f"Distances : {provider.label}. {found_network.fallback_note()}".strip())
    summary = proposal.summary()
    cols = st.columns(4)
    cols[0].metric("Consortiums proposés", summary["consortia"])
    cols[1].metric("Lieux rattachés", summary["members"],
                   help=formatting.count(summary["unassigned"], "lieu non mature",
                                         "lieux non matures") + " sans tête de réseau à portée")
    cols[2].metric("Trajet total (min)", formatting.integer(summary["total_minutes"]))
    cols[3].metric("Trajet le plus long (min)", formatting.integer(summary["worst_minutes"]))
    links = proposal.links.copy()
    heads = {h: k for k, h in enumerate(sorted(links["head_id"].unique()))}
    links["group"] = links["head_id"].map(lambda h: f"Autour de {found_network.names[h]}")
    links["colour"] = links["head_id"].map(lambda h: maps.colour_for(heads[h]))
    links["estimated"] = (links["estimated"].astype(bool) | estimated if "estimated" in links
                          else estimated)
    folium_map = context.territory_map(
        ctx, ctx.places, links=links, links_name="Consortiums proposés", height=560,
        link_places=partners.with_fabriques(ctx.places, fabriques) if with_fabriques else None,
        programme_places=fabrique_heads)
    st_folium(folium_map, height=560, use_container_width=True, render=False, returned_objects=[],
              key="network_map")
    if len(links):
        st.dataframe(found_network.table(label), hide_index=True, width="stretch")
    if proposal.unassigned:
        st.caption("Sans tête de réseau à portée : "
                   + ", ".join(fmt.md(label[i]) for i in proposal.unassigned))
