"""Évolutions: compare two snapshots, or a snapshot and today."""

import streamlit as st

from observatory import evolution, formatting
from observatory.exports import excel
from observatory.service import reports
from observatory.ui import charts, context, data, tables

TODAY = reports.CURRENT

ctx = context.get()
st.title("Évolutions")
path = data.db_path()
catalogue = data.snapshot_catalogue(path)
if catalogue.empty:
    st.info("Aucun instantané pour l'instant. Figez l'observatoire depuis la page **Données** "
            "(par exemple « Bilan 2026 ») : vous pourrez ensuite comparer chaque bilan au "
            "précédent ou à aujourd'hui.")
    st.stop()

labels = {TODAY: "Aujourd'hui (données actuelles)",
          **{int(r.id): f"{r.label} — {formatting.long_date(r.created_at)}"
             for r in catalogue.itertuples()}}
ordered = catalogue["id"].astype(int).tolist()  # newest first
left, right = st.columns(2)
before_id = left.selectbox("Avant", ordered, index=0, format_func=labels.get, key="evo_before",
                           placeholder=context.PLACEHOLDER)
after_id = right.selectbox("Après", [TODAY, *ordered], index=0, format_func=labels.get,
                           key="evo_after", placeholder=context.PLACEHOLDER)
if before_id == after_id:
    st.warning("Choisissez deux états différents à comparer.")
    st.stop()


def load(source):
    return data.live_bundle(path) if source == TODAY else data.snapshot(path, source)


change = evolution.compare(load(before_id), load(after_id))
figures = change.figures.set_index("indicateur")
cols = st.columns(4)
for col, key in zip(cols, ["Lieux", "Lieux matures", "Consortiums constitués", "Équipements"],
                    strict=True):
    row = figures.loc[key]
    col.metric(key, formatting.integer(row["après"]), delta=int(row["écart"]) or None)

if change.is_empty():
    st.success("Aucun changement de lieux, de scores, de consortiums ni d'équipements entre ces "
               "deux états.")

left, right = st.columns(2)
with left:
    st.markdown("**Moyenne de chaque critère**")
    means = change.criteria_means.melt(id_vars="critère", var_name="état", value_name="moyenne")
    charts.show(charts.criteria_means(means))
with right:
    st.markdown("**Lieux matures au fil des instantanés**")
    history = catalogue.sort_values("created_at")
    charts.show(charts.mature_over_snapshots(history))

place_names = dict(zip(ctx.places["id"], ctx.places["name"], strict=True))
french_tables = tables.evolution_tables(change.tables(), place_names)
for title, frame in french_tables.items():
    if title in ("Chiffres clés", "Moyennes par critère") or frame.empty:
        continue
    with st.expander(f"{title} ({len(frame)})", expanded=title in ("Devenus matures",
                                                                    "Lieux ajoutés")):
        st.dataframe(tables.evolution_display(frame), hide_index=True, width="stretch")

with st.expander("Tous les chiffres clés"):
    st.dataframe(tables.evolution_display(french_tables["Chiffres clés"]), hide_index=True,
                 width="stretch")

st.download_button(
    "Télécharger la comparaison (Excel)", data=excel.frames_workbook(french_tables),
    file_name="evolution_{}_{}.xlsx".format(*("aujourdhui" if s == TODAY else s
                                              for s in (before_id, after_id))),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
