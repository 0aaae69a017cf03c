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
    chosen = [p for p, column in zip(programmes.PROGRAMMES, columns, strict=True)
              if column.checkbox(programmes.LAYER_LABELS[p], key=f"{key}_{p}", value=False,
                                 help=HELP) or p in also]
    return programmes.of_programmes(every, chosen) if chosen else None
