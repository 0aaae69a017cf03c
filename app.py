"""Entry point: page config, navigation, the shared sidebar and banner. Nothing else."""

import streamlit as st

from observatory.auth import PermissionDenied
from observatory.store import StoreError
from observatory.ui import auth, context, fmt, maps, sidebar

maps.use_local_assets()
# The tables' built-in CSV download writes formulas (=SUM(…)) as typed; the app's own exports
# neutralise them. Also in .streamlit/config.toml, which is only read from the working folder.
st.set_option("client.disableDataExport", True)
st.set_page_config(page_title="Observatoire des lieux de lien social", page_icon="static/favicon.png",
                   layout="wide")

navigation = st.navigation([
    st.Page("pages/carte.py", title="Carte", icon=":material/map:", default=True),
    st.Page("pages/lieux.py", title="Lieux", icon=":material/home_work:"),
    st.Page("pages/tableau_de_bord.py", title="Tableau de bord", icon=":material/monitoring:"),
    st.Page("pages/partenaires.py", title="Partenaires", icon=":material/handshake:"),
    st.Page("pages/consortiums.py", title="Consortiums", icon=":material/groups:"),
    st.Page("pages/equipements.py", title="Équipements", icon=":material/construction:"),
    st.Page("pages/appels.py", title="Appels à projets", icon=":material/campaign:"),
    st.Page("pages/couverture.py", title="Couverture", icon=":material/radar:"),
    st.Page("pages/evolutions.py", title="Évolutions", icon=":material/timeline:"),
    st.Page("pages/donnees.py", title="Données", icon=":material/database:"),
    st.Page("pages/importer.py", title="Importer", icon=":material/upload_file:"),
    st.Page("pages/maturite.py", title="Critères et maturité", icon=":material/star:"),
])

context.resume_pending_page()
try:
    ctx = context.build()
except StoreError as exc:
    st.error(f"La base de données n'a pas pu être ouverte. {exc}")
    st.stop()
st.session_state["_page_context"] = ctx
sidebar.reset_button()
st.sidebar.caption(f"{fmt.md(ctx.territory_name)} · {len(ctx.filtered)} lieu(x) affiché(s) sur {len(ctx.places)}")
auth.login_box()  # protected mode with a bad accounts file: error and stop
auth.demo_notice()

if len(ctx.places) and ctx.places["is_demo"].any():
    st.info(
        "**Données de démonstration** : les lieux affichés sont fictifs (noms inventés, "
        "placés dans de vraies communes). Le territoire, les communes et les populations sont réels. "
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
