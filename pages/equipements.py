"""Équipements: the shared and itinerant inventory, the stays of itinerant items, tours.

The page reads the view chosen and draws it; the views and the form live in
``observatory.ui.equipment_views`` and ``observatory.ui.equipment_form``, the rules in
``observatory.service.equipment``, ``observatory.equipment`` and ``observatory.itinerance``.
"""

import streamlit as st

from observatory.ui import context, equipment_views

ctx = context.get()
st.title("Équipements mutualisés et itinérants")
inventory = equipment_views.load(ctx)
view = st.radio("Vue", equipment_views.VIEWS, horizontal=True, key="equipment_view",
                label_visibility="collapsed")
equipment_views.SHOW[view](ctx, inventory)
