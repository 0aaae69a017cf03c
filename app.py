"""Entry point: page config, navigation, the shared sidebar and banner. Nothing else."""

import streamlit as st

from observatory import settings
from observatory.auth import PermissionDenied
from observatory.errors import StoreError
from observatory.territory import source
from observatory.ui import auth, context, fmt, maps, pages, sidebar, widget_french

maps.use_local_assets()
# The tables' built-in CSV download writes formulas (=SUM(…)) as typed; the app's own exports
# neutralise them. Also in .streamlit/config.toml, which is only read from the working folder.
st.set_option("client.disableDataExport", True)
st.set_page_config(page_title="Observatoire des lieux de lien social",
                   page_icon="static/favicon.png", layout="wide")
widget_french.apply()  # the file uploader's « Upload » and « 10MB per file », in French
try:  # a setting that cannot be read: say which, in French, instead of a traceback
    settings.current()
except settings.SettingsError as exc:
    st.error(f"L'application n'a pas pu démarrer. {fmt.md(exc)}")
    st.stop()

navigation = st.navigation([
    st.Page(page.path, title=page.title, icon=page.icon, default=page.default)
    for page in pages.PAGES
], expanded=True)  # every page listed: a collapsed menu says « View N more », in English

auth.begin_run()  # the persistent session is checked once per run
context.resume_pending_page()
try:
    ctx = context.build()
except StoreError as exc:
    st.error(f"La base de données n'a pas pu être ouverte. {exc}")
    st.stop()
st.session_state["_page_context"] = ctx
sidebar.reset_button()
st.sidebar.caption(f"{fmt.md(ctx.territory_name)} · "
                   f"{fmt.count(len(ctx.filtered), 'lieu affiché', 'lieux affichés')} "
                   f"sur {fmt.integer(len(ctx.places))}")
auth.login_box()  # protected mode with a bad accounts file: error and stop
auth.demo_notice()

if len(ctx.places) and ctx.places["is_demo"].any():
    st.info(
        "**Données de démonstration** : les lieux affichés sont fictifs (noms inventés, "
        "placés dans de vraies communes). Le territoire, les communes et leurs populations "
        f"({source.POPULATION_VINTAGE}) sont réels. "
        "Pour charger l'inventaire réel, ouvrez la page **Importer** (les données de "
        "démonstration peuvent y être remplacées en une fois).",
        icon=":material/info:",
    )

try:
    navigation.run()
except PermissionDenied as exc:  # a use case refused a reader: say why instead of a traceback
    auth.refusal(exc)
except StoreError as exc:  # locked, damaged, read-only, full disk: French, no traceback
    st.error(f"La base de données n'a pas pu être utilisée. {exc}")
