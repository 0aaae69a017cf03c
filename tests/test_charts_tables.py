"""ui.tables.french_frame: every cell of a table a French reader reads is French text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory import formatting
from observatory.ui import tables

NNBSP = formatting.THOUSANDS


def test_amounts_decimals_years_dates_booleans_and_missing_values_are_french():
    frame = pd.DataFrame({
        "call_year": [2025, 2026], "granted": [31800.0, None], "ratio": [2.25, np.nan],
        "archived": [False, True], "set_at": pd.to_datetime(["2026-12-02 01:02:38", None]),
        "note": ["ok", None]})
    shown = tables.french_frame(frame, years=["call_year"], money=["granted"],
                                decimals={"ratio": 1}, booleans=["archived"], dates=["set_at"],
                                headers={"granted": "Accordé (€)", "call_year": "Appel"})
    assert list(shown.columns) == ["Appel", "Accordé (€)", "ratio", "archived", "set_at", "note"]
    assert shown.iloc[0].tolist() == ["2025", f"31{NNBSP}800", "2,2", "non", "2 décembre 2026",
                                      "ok"]
    assert shown.iloc[1].tolist() == ["2026", "–", "–", "oui", "–", "–"]


def test_columns_not_named_never_show_a_raw_value():
    frame = pd.DataFrame({"n": [40039, 3], "x": [2.2, 43.127469], "b": [True, None],
                          "d": [pd.Timestamp("2025-01-21"), pd.NaT], "l": [[1, 2], []],
                          "i": pd.array([7, None], dtype="Int64")})
    shown = tables.french_frame(frame)
    assert shown["n"].tolist() == [f"40{NNBSP}039", "3"]
    assert shown["x"].tolist() == ["2,2", "43,127469"]
    assert shown["b"].tolist() == ["oui", "–"]
    assert shown["d"].tolist() == ["21 janvier 2025", "–"]
    assert shown["i"].tolist() == ["7", "–"]
    text = shown.to_csv()
    for raw in ("None", "NaN", "nan", "True", "False", "NaT", "<NA>", "2025-01-21"):
        assert raw not in text


def test_kept_columns_stay_numbers():
    shown = tables.french_frame(pd.DataFrame({"ligne": [2, 3], "v": [None, 1.5]}), keep=["ligne"])
    assert shown["ligne"].tolist() == [2, 3] and shown["v"].tolist() == ["–", "1,5"]


def test_evolution_tables_have_french_headers_and_words_but_keep_numbers():
    frames = {"Nouveaux consortiums": pd.DataFrame({"id": [1], "name": ["Réseau"],
                                                    "call_year": [2026], "status": ["idea"]}),
              "Nouveaux équipements": pd.DataFrame({"id": [3], "name": ["Presse"],
                                                    "category": ["mobile"],
                                                    "owner_place_id": [7]}),
              "Lieux ajoutés": pd.DataFrame({"id": [7], "name": ["Le Fab"], "commune": ["Foix"],
                                             "typology": ["Fablab"], "mature": [True],
                                             "mean_score": [2.94]})}
    french = tables.evolution_tables(frames, {7: "Le Fab"})
    added = french["Lieux ajoutés"]
    assert list(added.columns) == ["N°", "Nom", "Commune", "Typologie", "Mature", "Moyenne"]
    assert added["Moyenne"].tolist() == [2.94]  # a number for the Excel export
    assert tables.evolution_display(added).iloc[0].tolist() == ["7", "Le Fab", "Foix", "Fablab",
                                                                "oui", "2,9"]
    consortia = french["Nouveaux consortiums"]
    assert consortia["Statut"].tolist() == ["Idée"]
    assert tables.evolution_display(consortia)["Appel"].tolist() == ["2026"]
    assert french["Nouveaux équipements"]["Lieu propriétaire"].tolist() == ["Le Fab"]
