"""What every page needs: the places (all and filtered), the territory, the rule in force."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import streamlit as st

from observatory import filters
from observatory.maturity import MaturityRule
from observatory.ui import data, sidebar

FILTERS = "filters"


@dataclass(frozen=True)
class PageContext:
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


def get() -> PageContext:
    """The context built by app.py for this run."""
    return st.session_state["_page_context"]


def select_place(place_id: int | None) -> None:
    st.session_state[sidebar.SELECTED] = place_id
