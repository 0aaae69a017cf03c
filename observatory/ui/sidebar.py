"""The common sidebar: filters kept across pages and mirrored in the URL."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from observatory import filters, formatting
from observatory.editing import SCORE_OPTIONS
from observatory.model import CRITERIA, SCORE_LEVELS, SCORE_MIN, TYPOLOGIES
from observatory.ui import fmt

SELECTED = "selected_place"
PLACE_PARAM = "lieu"
_KEYS = {"typologies": "f_typologies", "epci": "f_epci", "mature_only": "f_mature",
         "search": "f_search"}
_SCORE_OPTIONS = list(SCORE_OPTIONS)


def _score_key(criterion: str) -> str:
    return f"f_min_{criterion}"


def _init_from_url(typologies: list[str], epci_codes: list[str], place_ids: set[int]) -> None:
    """Once per session: a shared URL sets the filters and the selected place."""
    if st.session_state.get("_filters_from_url"):
        return
    st.session_state["_filters_from_url"] = True
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    initial = filters.from_query(params, typologies, epci_codes)
    for c in CRITERIA:
        st.session_state[_score_key(c.key)] = initial.min_scores.get(c.key, SCORE_MIN)
    st.session_state[_KEYS["typologies"]] = list(initial.typologies)
    st.session_state[_KEYS["epci"]] = list(initial.epci)
    st.session_state[_KEYS["mature_only"]] = initial.mature_only
    st.session_state[_KEYS["search"]] = initial.search
    try:
        place = int(st.query_params.get(PLACE_PARAM, ""))
    except ValueError:
        place = None
    if place in place_ids:
        st.session_state[SELECTED] = place


def epci_help(epci_names: dict[str, str]) -> str:
    """The widget's help: each short name the list shows, with the EPCI's full official name."""
    lines = []
    for name in epci_names.values():
        short = formatting.short_epci(name)
        lines.append(f"- **{fmt.md(short)}** : {fmt.md(name)}" if short != name
                     else f"- {fmt.md(name)}")
    return "Noms officiels des intercommunalités :\n\n" + "\n".join(lines)


def render(places: pd.DataFrame, epci: pd.DataFrame) -> filters.PlaceFilters:
    """Draw the filters in the sidebar and return them; keeps the URL in step."""
    perimeter = epci[epci["in_perimeter"]]
    epci_names = dict(zip(perimeter["siren"], perimeter["name"], strict=True))
    typologies = sorted(set(TYPOLOGIES) | set(places["typology"].dropna()))
    _init_from_url(typologies, list(epci_names), set(places["id"].astype(int)))

    with st.sidebar:
        st.header("Filtres")
        st.text_input("Rechercher un lieu", key=_KEYS["search"], placeholder="nom du lieu…")
        st.toggle("Lieux matures seulement", key=_KEYS["mature_only"])
        st.multiselect("Intercommunalité (EPCI)", options=list(epci_names),
                       format_func=lambda s: formatting.short_epci(epci_names.get(s, s)),
                       key=_KEYS["epci"], placeholder="Toutes", select_all=False,
                       help=epci_help(epci_names))
        st.multiselect("Typologie", options=typologies, key=_KEYS["typologies"],
                       placeholder="Toutes", select_all=False)
        with st.expander("Score minimal par critère"):
            for c in CRITERIA:
                st.select_slider(
                    c.label, options=_SCORE_OPTIONS, key=_score_key(c.key),
                    format_func=lambda v: f"{formatting.number(v)} – {SCORE_LEVELS[int(v)]}",
                    help=c.description)

    current = filters.PlaceFilters(
        min_scores={c.key: float(st.session_state[_score_key(c.key)]) for c in CRITERIA
                    if st.session_state[_score_key(c.key)] > SCORE_MIN},
        typologies=tuple(st.session_state[_KEYS["typologies"]]),
        epci=tuple(st.session_state[_KEYS["epci"]]),
        mature_only=bool(st.session_state[_KEYS["mature_only"]]),
        search=st.session_state[_KEYS["search"]] or "",
    )
    sync_url(current)
    return current


def sync_url(current: filters.PlaceFilters) -> None:
    """Write the filters (and the selected place) into the URL so the view can be shared."""
    wanted = filters.to_query(current)
    if st.session_state.get(SELECTED) is not None:
        wanted[PLACE_PARAM] = str(st.session_state[SELECTED])
    existing = {key: st.query_params.get_all(key) for key in st.query_params}
    normalised = {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}
    if existing != normalised:
        st.query_params.from_dict(wanted)


def _reset() -> None:
    for c in CRITERIA:
        st.session_state[_score_key(c.key)] = SCORE_MIN
    st.session_state[_KEYS["typologies"]] = []
    st.session_state[_KEYS["epci"]] = []
    st.session_state[_KEYS["mature_only"]] = False
    st.session_state[_KEYS["search"]] = ""


def reset_button() -> None:
    # A callback runs before the widgets are drawn again, so it may change their values.
    st.sidebar.button("Réinitialiser les filtres", width="stretch", on_click=_reset)
