"""Lieux: the table of the filtered places and the profile of one place."""

import streamlit as st

from observatory import distances, editing, formatting, maps, origins, privacy, programmes, settings
from observatory.formatting import is_missing
from observatory.maturity import explain
from observatory.model import CRITERIA, CRITERIA_KEYS
from observatory.service import proximity
from observatory.ui import auth, charts, context, data, fmt, place_forms

NEIGHBOUR_RADIUS_KM = 15

ctx = context.get()
st.title("Lieux")
can_edit, see_contacts = auth.allowed("edit"), auth.allowed("see_contacts")
if can_edit:
    with st.expander("Ajouter un lieu", icon=":material/add_location_alt:"):
        place_forms.place_form(ctx.communes, None, "new_place", show_contact=see_contacts)

if ctx.filtered.empty:
    if ctx.places.empty:
        st.info("Aucun lieu à afficher : l'inventaire est vide. "
                + ("Importez vos lieux depuis la page « Importer » ou ajoutez-en un avec "
                   "« Ajouter un lieu » ci-dessus." if can_edit else
                   "Un ou une analyste peut importer les lieux depuis la page « Importer »."))
    else:
        st.info(f"Aucun lieu à afficher : les filtres excluent les "
                f"{formatting.count(len(ctx.places), 'lieu', 'lieux')} de l'inventaire. "
                "Modifiez ou retirez les filtres dans la barre latérale.")
    st.stop()

columns = {"name": "Nom", "commune": "Commune", "location_approximate": "Position",
           "epci_name": "Intercommunalité",
           "typology": "Typologie", "legal_status": "Statut", "opening_year": "Ouverture",
           "mature": "Mature", "mean_score": "Moyenne",
           **{c.key: c.short for c in CRITERIA}}
table = ctx.filtered[["id", *columns]].rename(columns={"id": "N°", **columns}).set_index("N°")
# « CC Grand-Figeac »: full EPCI names pushed the scores out of sight.
table["Intercommunalité"] = table["Intercommunalité"].map(formatting.short_epci)
# What a user reads: French figures (« 3,5 »), « oui »/« non », « – » for a missing value.
# Scores (0 to 4, one decimal) and years (four digits) still sort right as text.
table["Ouverture"] = table["Ouverture"].map(
    lambda y: formatting.MISSING if is_missing(y) else str(int(y)))
table["Mature"] = table["Mature"].map(lambda m: "oui" if m else "non")
# A place without coordinates of its own sits at its commune's centre (drawn hollow on maps).
table["Position"] = table["Position"].map(maps.position_label)
table["Statut"] = table["Statut"].map(lambda v: formatting.MISSING if formatting.is_blank(v)
                                      else v)
table["Moyenne"] = table["Moyenne"].map(editing.mean_text)  # never « 3,0 » for 2,96
for column in (c.short for c in CRITERIA):
    table[column] = table[column].map(formatting.score)
st.dataframe(table, width="stretch", height=min(36 * (len(table) + 1) + 3, 460))
st.caption(f"{formatting.count(len(table), 'lieu', 'lieux')}. "
           "Cliquez un en-tête de colonne pour trier.")

st.subheader("Fiche d'un lieu")
ids = ctx.filtered["id"].astype(int).tolist()
names = dict(zip(ctx.filtered["id"].astype(int),
                 ctx.filtered["name"] + " — " + ctx.filtered["commune"], strict=True))
selected = ctx.selected_id()
chosen = st.selectbox("Lieu", ids, index=ids.index(selected) if selected in ids else 0,
                      format_func=lambda i: names[i])
if chosen != selected:
    context.select_place(chosen)

place = ctx.places.set_index("id").loc[chosen]
left, right = st.columns([3, 2])
with left:
    st.markdown(f"### {fmt.md(place['name'])}")
    status = ("statut non renseigné" if fmt.is_blank(place["legal_status"])
              else place["legal_status"])  # NaN in the frame: never « nan »
    st.markdown(
        f"{fmt.md(place['commune'])} ({fmt.md(place['epci_name'])}) · "
        f"{fmt.md(place['typology'])} · "
        f"{fmt.md(status)} · ouvert en "
        f"{'?' if is_missing(place['opening_year']) else int(place['opening_year'])}")
    if place["mature"]:
        st.success("★ Lieu mature selon la règle en vigueur.")
    else:
        reasons = explain({k: place[k] for k in CRITERIA_KEYS}, ctx.rule)
        st.warning("Pas encore mature : " + fmt.md(" ".join(reasons)))
    if place["thematics"]:
        st.markdown("Thématiques : " + fmt.md(", ".join(place["thematics"])))
    if place["location_approximate"]:
        st.caption("Position approximative (centre de la commune).")
with right:
    median = ctx.places[list(CRITERIA_KEYS)].median()
    charts.show(charts.radar(place, median, place["name"]))

history = data.evaluation_history(data.db_path(), int(chosen))
st.markdown(f"**Historique des évaluations** ({len(history)})")
if len(history) > 1:
    charts.show(charts.history(history))
shown = privacy.for_viewer(history, auth.current_user())  # evaluator names: personal data
shown = shown[privacy.shown_columns(shown, ["evaluated_on", "evaluator", *CRITERIA_KEYS,
                                            "evidence"])].copy()
shown["evaluated_on"] = shown["evaluated_on"].map(formatting.long_date)
for key in CRITERIA_KEYS:
    shown[key] = shown[key].map(formatting.score)
for key in ("evaluator", "evidence"):
    if key in shown:
        shown[key] = shown[key].map(lambda v: formatting.MISSING if formatting.is_blank(v)
                                    else str(v))
st.dataframe(shown.rename(columns={
    "evaluated_on": "Date", "evaluator": "Évaluateur", "evidence": "Éléments de preuve",
    **{c.key: c.short for c in CRITERIA}}), hide_index=True, width="stretch")

records, field_rows = origins.profile_tables(
    *(frame.to_dict(orient="records") for frame in data.place_origins(data.db_path(), int(chosen))))
if records or field_rows:
    with st.expander(f"Sources de ce lieu ({formatting.count(len(records), 'fiche')})"):
        if records:
            st.dataframe(records, hide_index=True, width="stretch")
        if field_rows:
            st.caption("Provenance de chaque champ (la dernière source qui l'a donné) :")
            st.dataframe(field_rows, hide_index=True, width="stretch")

editable = data.place_record(int(chosen))
if can_edit:
    with st.expander("Modifier ce lieu"):
        place_forms.place_form(ctx.communes, editable,
                               f"edit_place_{chosen}_{editable['version']}",
                               show_contact=see_contacts)
        if st.button("Archiver ce lieu (il disparaît des cartes et des calculs)",
                     key="archive_place"):
            data.archive_place(int(chosen), editable["version"], auth.current_user().name)
            context.select_place(None)
            st.rerun()
    with st.expander("Enregistrer une nouvelle évaluation"):
        place_forms.evaluation_form(int(chosen), str(place["name"]), history, ctx.rule,
                                    f"evaluation_{chosen}")
if auth.allowed("see_history"):
    with st.expander("Historique des modifications"):
        place_forms.audit_panel(int(chosen), editable["version"], can_edit=can_edit)

st.markdown(f"**Lieux voisins à moins de {NEIGHBOUR_RADIUS_KM} km** (à vol d'oiseau)")
near = distances.neighbours(ctx.places, int(chosen), NEIGHBOUR_RADIUS_KM)
if near.empty:
    st.caption("Aucun autre lieu dans ce rayon.")
else:
    near = near.assign(mature=near["mature"].map({True: "oui", False: "non"}),
                       distance_km=near["distance_km"].map(formatting.km))
    st.dataframe(near[["name", "commune", "typology", "mature", "distance_km"]].rename(columns={
        "name": "Nom", "commune": "Commune", "typology": "Typologie", "mature": "Mature",
        "distance_km": "Distance"}), hide_index=True, width="stretch")

# The programme places (context, not the inventory); a territory without any skips this.
if not data.programme_places(data.db_path()).empty:
    st.markdown(f"**Lieux des programmes à moins de "
                f"{formatting.minutes(programmes.NEAR_MINUTES)}** (France services, Fabriques "
                "de territoire, Manufactures de proximité : hors inventaire)")
    programme_near = data.programmes_near(data.db_path(), int(chosen))
    if programme_near.empty:
        st.caption(programmes.empty_sentence())
    else:
        st.dataframe(programmes.near_table(programme_near), hide_index=True, width="stretch")
        st.caption(f"Trajets : {proximity.provider(settings.current()).label}.")
