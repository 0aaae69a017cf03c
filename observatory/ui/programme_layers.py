"""The checkboxes of the national programmes' context layers, shared by the Carte and the
Couverture pages (off by default; the map draws only the ticked ones)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from observatory import programmes
from observatory.ui import data

HELP = ("Lieux des programmes nationaux de l'ANCT (liste des France services d'août 2024, "
        "Fabriques de territoire et Manufactures de proximité de septembre 2024) : un "
        "contexte, hors inventaire, jamais évalués.")
COUNTED_HELP = "Affichées tant qu'elles sont comptées comme points de service."


def choose(key: str, also: tuple[str, ...] = ()) -> pd.DataFrame | None:
    """Draw one checkbox per programme (keys ``{key}_{programme}``) and return the ticked
    programmes' places, and those of ``also`` (drawn whatever the boxes say: the France
    services when the coverage counts them); None when there are none."""
    every = data.programme_places(data.db_path())
    if every.empty:
        st.caption("Aucun lieu des programmes nationaux (France services, Fabriques de "
                   "territoire, Manufactures de proximité) n'est chargé pour ce territoire.")
        return None
    columns = st.columns(len(programmes.PROGRAMMES))
    chosen = []
    for programme, column in zip(programmes.PROGRAMMES, columns, strict=True):
        label = programmes.LAYER_LABELS[programme]
        if programme in also:  # ticked and locked while counted (a key of its own)
            column.checkbox(label, key=f"{key}_{programme}_counted", value=True,
                            disabled=True, help=COUNTED_HELP)
            chosen.append(programme)
        elif column.checkbox(label, key=f"{key}_{programme}", value=False, help=HELP):
            chosen.append(programme)
    return programmes.of_programmes(every, chosen) if chosen else None
