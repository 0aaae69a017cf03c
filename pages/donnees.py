"""Données: freeze dated snapshots and download the exports a report needs."""

import datetime as dt

import streamlit as st

from observatory import exports, formatting, privacy
from observatory.auth import PermissionDenied
from observatory.service import reports
from observatory.ui import auth, context, data, fmt

CURRENT = reports.CURRENT

ctx = context.get()
st.title("Données : instantanés et exports")
path = data.db_path()
catalogue = data.snapshot_catalogue(path)

st.subheader("Figer un instantané")
st.caption("Un instantané fige tout l'observatoire (lieux, évaluations, règle de maturité, "
           "consortiums, équipements, indicateurs) avec une empreinte : il ne peut plus être "
           "modifié, seulement supprimé.")
can_snapshot = auth.allowed("snapshot")
left, middle, right = st.columns([2, 2, 1])
label = left.text_input("Intitulé", value=f"Bilan {dt.date.today().year}", key="snap_label",
                        max_chars=reports.LABEL_MAX_CHARS)
author = context.author_input("Votre nom", "snap_author", middle)
taken = set(catalogue["label"].str.strip()) if not catalogue.empty else set()
if label.strip() in taken:  # two « Bilan 2026 » could not be told apart on Évolutions
    st.warning(f"Un instantané s'appelle déjà « {fmt.md(label.strip())} » : donnez à celui-ci "
               "un autre intitulé (par exemple « " + fmt.md(label.strip()) + " (2) ») pour les "
               "distinguer dans les comparaisons et les exports.")
right.write("")
if right.button("Figer", type="primary",
                disabled=not (can_snapshot and label.strip() and author.strip())
                or label.strip() in taken):
    try:
        new_id = data.create_snapshot(label.strip(), author.strip())
    except PermissionDenied as exc:
        auth.refusal(exc)
    else:
        st.toast(f"Instantané « {fmt.md(label.strip())} » créé (n° {formatting.integer(new_id)}).")
        st.rerun()

if catalogue.empty:
    st.info("Aucun instantané pour l'instant.")
else:
    listed = privacy.for_viewer(catalogue, auth.current_user())  # « Par »: a person's name
    listed = listed.assign(created_at=listed["created_at"].map(formatting.date_time))
    st.dataframe(listed[privacy.shown_columns(
        listed, ["id", "label", "created_at", "created_by", "places", "mature"])].rename(
        columns={"id": "N°", "label": "Intitulé", "created_at": "Date", "created_by": "Par",
                 "places": "Lieux", "mature": "Matures"}), hide_index=True, width="stretch")
    if can_snapshot:
        with st.expander("Supprimer un instantané"):
            doomed = st.selectbox("Instantané", catalogue["id"].astype(int).tolist(),
                                  format_func=dict(zip(catalogue["id"], catalogue["label"],
                                                       strict=True)).get,
                                  key="snap_delete")
            sure = st.checkbox("Je confirme la suppression définitive", key="snap_delete_sure")
            if st.button("Supprimer", disabled=not sure):
                try:
                    data.delete_snapshot(doomed)
                except PermissionDenied as exc:
                    auth.refusal(exc)
                else:
                    st.rerun()

st.subheader("Exporter")
sources = {CURRENT: f"Vue actuelle ({formatting.count(len(ctx.filtered), 'lieu', 'lieux')} "
                    "selon les filtres)",
           **{int(r.id): f"Instantané « {r.label} » ({formatting.long_date(r.created_at)})"
              for r in catalogue.itertuples()}}
left, right = st.columns(2)
source = left.selectbox("Données", list(sources), format_func=sources.get, key="export_source")
kind = right.selectbox("Format", list(exports.FORMATS),
                       format_func=lambda f: exports.FORMATS[f].label, key="export_format")
view_filters = reports.describe_view(ctx.filters, ctx.epci)
if source == CURRENT and view_filters:
    st.caption(fmt.md("Vue filtrée : " + " ; ".join(view_filters)) + " — le rapport le dira "
               "sur sa couverture et en tête de chaque page.")
include_contacts = auth.allowed("export_contacts") and st.checkbox(
    "Inclure les contacts (données personnelles)", key="export_contacts",
    help="Par défaut, aucun export ne contient de données personnelles.")
if include_contacts:
    st.warning("Le fichier contiendra des données personnelles : ne le diffusez pas.")

def prepare() -> bytes:
    with st.status("Préparation de l'export…", expanded=False) as status:
        status.update(label="Lecture des données…")
        bundle = (data.live_bundle(path, tuple(int(i) for i in ctx.filtered["id"]),
                                   filters=view_filters, view_epci=ctx.filters.epci)
                  if source == CURRENT else data.snapshot(path, source))
        previous = None
        if kind in reports.COMPARED_FORMATS:  # the same previous snapshot as the CLI's export
            status.update(label="Comparaison avec l'instantané précédent…")
            previous = data.previous_snapshot(path, source)
        status.update(label=f"Construction : {exports.FORMATS[kind].label}…")
        # The role is checked there: contacts only for those who may export them.
        payload = data.export_file(bundle, kind, include_contacts=include_contacts,
                                   previous=previous)
        status.update(label=f"Prêt : {formatting.file_size(len(payload))}",
                      state="complete")
    return payload


if st.button("Préparer le fichier", key="export_build"):
    st.session_state.pop("export_ready", None)
    try:
        payload = prepare()
    except PermissionDenied as exc:
        auth.refusal(exc)
    else:
        label = None if source == CURRENT else str(
            catalogue.set_index("id").loc[source, "label"])
        st.session_state["export_ready"] = (payload, reports.export_filename(source, kind,
                                                                             label=label),
                                            exports.FORMATS[kind].mime,
                                            auth.current_user().name)

ready = st.session_state.get("export_ready")
if ready and ready[3] != auth.current_user().name:  # prepared before a logout: not for this visitor
    st.session_state.pop("export_ready", None)
elif ready:
    payload, filename, mime, _ = ready
    st.download_button(f"Télécharger {filename}", data=payload, file_name=filename, mime=mime,
                       type="primary", key="export_download")
