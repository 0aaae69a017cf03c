"""What every page needs: the places (all and filtered), the territory, the rule in force."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from observatory import auth as auth_rules
from observatory import filters
from observatory.editing import AUTHOR_MAX_CHARS
from observatory.maturity import MaturityRule
from observatory.ui import auth, data, fmt, sidebar

FILTERS = "filters"
# What an empty selectbox or multiselect reads (Streamlit's own is « Choose an option »).
PLACEHOLDER = "Choisir…"


@dataclass(frozen=True)
class PageContext:
    """What a page draws from: the places, the filters, the territory and the rule in force."""

    places: pd.DataFrame  # every place, with maturity
    filtered: pd.DataFrame  # the places passing the sidebar's filters
    filters: filters.PlaceFilters
    communes: gpd.GeoDataFrame
    epci: pd.DataFrame
    meta: dict[str, str]
    rule: MaturityRule

    @property
    def territory_name(self) -> str:
        return self.meta.get("name", "Territoire")

    @property
    def excluded_label(self) -> str:
        return self.meta.get("excluded_zone_label", "")

    def selected_id(self) -> int | None:
        value = st.session_state.get(sidebar.SELECTED)
        return int(value) if value is not None and value in set(self.places["id"]) else None


def build() -> PageContext:
    """Read the store (cached) and the sidebar's filters; called by app.py on every run."""
    data.refresh_if_changed_elsewhere()
    path = data.db_path()
    places = data.current_places()
    epci = data.epci(path)
    current = sidebar.render(places, epci)
    st.session_state[FILTERS] = current
    return PageContext(
        places=places,
        filtered=filters.apply(places, current),
        filters=current,
        communes=data.communes(path),
        epci=epci,
        meta=data.territory_meta(path),
        rule=data.current_rule(path),
    )


PENDING_PAGE = "_pending_page"


def get() -> PageContext:
    """The context built by app.py for this run.

    On a freshly started server, a shared link to a page (``/lieux?matures=1``) runs the
    page alone: Streamlit treats ``pages/`` as a legacy multipage folder until app.py has
    called ``st.navigation`` once. Then we go through app.py, which comes back here.
    """
    if "_page_context" not in st.session_state:
        page = Path(sys._getframe(1).f_globals.get("__file__", "app.py"))
        st.session_state[PENDING_PAGE] = {
            "page": f"pages/{page.name}",
            "params": {k: st.query_params.get_all(k) for k in st.query_params}}
        st.switch_page("app.py")
    return st.session_state["_page_context"]


def resume_pending_page() -> None:
    """Called by app.py once its navigation exists: finish a redirection started by get()."""
    pending = st.session_state.pop(PENDING_PAGE, None)
    if pending:
        st.switch_page(pending["page"], query_params=pending["params"])


def empty_inventory_advice() -> str:
    """What to do when the inventory is empty, for whoever is looking (a page's empty state)."""
    if auth.allowed("import"):
        return ("Importez votre inventaire depuis la page **Importer** (un modèle CSV ou Excel "
                "y est proposé), ou ajoutez un lieu depuis la page **Lieux**.")
    return "Un ou une analyste peut importer l'inventaire depuis la page **Importer**."


def select_place(place_id: int | None) -> None:
    """Select a place for every page (from a list, not the map: the map ring it)."""
    st.session_state[sidebar.SELECTED] = place_id
    st.session_state["selected_on_map"] = False


def territory_map(ctx: PageContext, places: pd.DataFrame, **options):
    """The territory map of this database, with its cached base layers and the tile choice."""
    from observatory import maps

    return maps.build_map(ctx.communes, places, territory_name=ctx.territory_name,
                          excluded_label=ctx.excluded_label, online_tiles=data.online_tiles(),
                          base_layers=data.base_layers(data.db_path()), **options)


def author_input(label: str, key: str, where=None) -> str:
    """Who the audit trail will name. In demonstration mode every visitor is « démo », so the
    name is typed (``label``); in protected mode it is the logged-in account, shown instead of
    asked (the writers record the account whatever is typed)."""
    where = st if where is None else where
    if auth.mode() == auth_rules.DEMO:
        return where.text_input(label, key=key, max_chars=AUTHOR_MAX_CHARS).strip()
    user = auth.current_user()
    if auth.allowed("edit"):
        where.caption(f"Enregistré au nom de **{fmt.md(user.name)}** (votre compte)")
    return user.name
