"""Use cases of the places of national programmes (France services, Fabriques de territoire,
Manufactures de proximité): read them, find those near a place, count the France services
as service points of the coverage. Streamlit-free; the pages (through ``ui/data.py``) and the
CLI call these. Network heads: ``proximity.network_proposal(..., fabriques=...)``.
"""

from __future__ import annotations

import pandas as pd

from observatory import coverage as coverage_rules
from observatory import programmes as rules
from observatory.service import core
from observatory.settings import Settings
from observatory.store import context_places


def programme_places(con) -> pd.DataFrame:
    """Every programme place of the territory (``store.context_places.all_places``)."""
    return context_places.all_places(con)


def near_place(places: pd.DataFrame, programme_places: pd.DataFrame, settings: Settings,
               place_id: int, max_minutes: float = rules.NEAR_MINUTES) -> pd.DataFrame:
    """The programme places within ``max_minutes`` of travel of a place, by the settings'
    distance provider, nearest first (``programmes.within``)."""
    origin = places.set_index("id").loc[int(place_id)]
    return rules.within({"id": int(place_id), "lon": origin["lon"], "lat": origin["lat"]},
                        programme_places, core.provider(settings), max_minutes)


def france_services_access(communes: pd.DataFrame, programme_places: pd.DataFrame,
                           settings: Settings) -> pd.DataFrame:
    """The nearest France services of every commune (``coverage.nearest``'s columns; its
    ids are the programme places' ids negated, as ``programmes.travel_points`` gives them)."""
    points = rules.travel_points(rules.of_programmes(programme_places, [rules.FRANCE_SERVICES]))
    return coverage_rules.nearest(communes, points, provider=core.provider(settings))


def access_with_france_services(access: pd.DataFrame, communes: pd.DataFrame,
                                programme_places: pd.DataFrame,
                                settings: Settings) -> pd.DataFrame:
    """``access`` (``proximity.access``, same settings) where the France services count as
    places (« population à moins de 20 min d'un lieu ou d'une France services »)."""
    return coverage_rules.with_service_points(
        access, france_services_access(communes, programme_places, settings))


def fabriques(programme_places: pd.DataFrame) -> pd.DataFrame:
    """The Fabriques de territoire among the programme places."""
    return rules.of_programmes(programme_places, [rules.FABRIQUE])
