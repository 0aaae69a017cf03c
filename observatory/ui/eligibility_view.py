"""Show an eligibility report: one line per rule, green or red, with the reasons."""

from __future__ import annotations

import streamlit as st

from observatory import formatting
from observatory.eligibility import Eligibility
from observatory.ui import fmt


def show(report: Eligibility, title: str = "Éligibilité à la mesure 7.1") -> None:
    with st.container(border=True):
        if report.eligible:
            st.success(f"**{fmt.md(title)}** : toutes les conditions sont remplies.",
                       icon=":material/check_circle:")
        else:
            failed = sum(not c.ok for c in report.checks)
            unmet = ("une condition n'est pas remplie" if failed == 1 else
                     f"{formatting.cardinal(failed)} conditions ne sont pas remplies")
            st.error(f"**{fmt.md(title)}** : {unmet}.",
                     icon=":material/cancel:")
        for check in report.checks:
            mark = ":green[✔]" if check.ok else ":red[✘]"
            st.markdown(f"{mark} {fmt.md(check.label)}")  # holds the territory's zone label
            for reason in check.reasons:
                st.markdown(f"    - {fmt.md(reason)}")
