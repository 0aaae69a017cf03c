"""The server: Streamlit's own ASGI app (``st.App``) serving app.py, plus the two routes that
set and clear the analysts' HttpOnly session cookie (``observatory.ui.session_routes``).

``streamlit run asgi.py`` (what ``observatory serve`` runs) finds ``app`` below and serves it
with Streamlit's server; ``streamlit run app.py`` still works, without persistent sessions.
"""

import streamlit as st

from observatory.ui.session_routes import routes

app = st.App("app.py", routes=routes())
