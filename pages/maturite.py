"""Critères et maturité: the criteria, the scale, the rule in force, and trying another one."""

import streamlit as st

from observatory import formatting, privacy
from observatory.maturity import MaturityRule, compare_rules
from observatory.model import (
    CRITERIA,
    CRITERIA_WORD,
    SCORE_LEVELS,
    SCORE_MAX,
    SCORE_MIN,
    SCORE_STEP,
)
from observatory.ui import auth, context, data
from observatory.ui.tables import french_frame


def steps(step: float, current: float) -> list[float]:
    """The scale from SCORE_MIN to SCORE_MAX by ``step``, and the value in force if between.

    A select slider, not a slider: Streamlit's slider writes its value with a printf format,
    which cannot print a decimal comma (« 3.0 »); this one shows ``shown``."""
    count = round((SCORE_MAX - SCORE_MIN) / step)
    return sorted({round(SCORE_MIN + k * step, 2) for k in range(count + 1)} | {current})


def shown(value: float) -> str:
    """A threshold on the slider: « 3,0 », « 2,5 » (« 2,75 » for a rule set more finely)."""
    return formatting.score(value) if round(value, 1) == value else formatting.threshold(value)


ctx = context.get()
st.title("Critères et maturité")

st.subheader(f"Les {CRITERIA_WORD} critères")
st.dataframe([{"Critère": c.label, "Ce qu'il mesure": c.description} for c in CRITERIA],
             hide_index=True, width="stretch")
st.markdown("**Échelle de notation** (demi-points admis) : " + " · ".join(
    f"{formatting.number(level)} = {label}" for level, label in SCORE_LEVELS.items()))

st.subheader("Règle de maturité en vigueur")
st.markdown(ctx.rule.describe())
mature_now = int(ctx.places["mature"].sum()) if len(ctx.places) else 0
if ctx.places.empty:
    st.markdown("L'inventaire est vide : la règle s'appliquera aux lieux dès leur import.")
else:
    st.markdown(f"Avec cette règle, **{formatting.count(mature_now, 'lieu', 'lieux')}** sur "
                f"{formatting.integer(len(ctx.places))} "
                + ("est mature." if mature_now < 2 else "sont matures."))

st.subheader("Essayer d'autres seuils")
left, right = st.columns(2)

min_mean = left.select_slider(f"Moyenne minimale des {CRITERIA_WORD} critères",
                              steps(0.1, ctx.rule.min_mean), ctx.rule.min_mean,
                              format_func=shown, key="rule_min_mean")
min_each = right.select_slider("Note minimale sur chaque critère (plancher)",
                               steps(SCORE_STEP, ctx.rule.min_each), ctx.rule.min_each,
                               format_func=shown, key="rule_min_each")
proposed = MaturityRule(min_mean=round(min_mean, 2), min_each=min_each)
changes = compare_rules(ctx.places, ctx.rule, proposed) if len(ctx.places) else ctx.places
after = mature_now + int((changes.get("change") == "devient mature").sum()) - int(
    (changes.get("change") == "n'est plus mature").sum()) if len(changes) else mature_now
st.markdown(proposed.describe())
st.metric("Lieux matures avec ces seuils", after, delta=after - mature_now)
if len(changes):
    st.dataframe(french_frame(changes[["name", "commune", "mean_score", "change"]],
                              decimals={"mean_score": 1}, headers={
        "name": "Lieu", "commune": "Commune", "mean_score": "Moyenne", "change": "Changement"}),
        hide_index=True, width="stretch")
elif proposed != ctx.rule:
    st.caption("Aucun lieu ne change de statut avec ces seuils.")

if proposed != ctx.rule and auth.require("change_rule"):
    author = context.author_input("Votre nom (pour l'historique de la règle)", "rule_author")
    if st.button("Appliquer cette règle", type="primary", disabled=not author.strip()):
        data.save_rule(proposed, author.strip())
        st.success(f"Règle enregistrée : moyenne ≥ {formatting.threshold(proposed.min_mean)}, "
                   f"plancher {formatting.threshold(proposed.min_each)}.")
        st.rerun()

with st.expander("Historique de la règle"):
    rules_set = privacy.for_viewer(data.rule_history(data.db_path()), auth.current_user())
    st.dataframe(french_frame(rules_set.drop(columns="id", errors="ignore"),
                              dates=["set_at"], headers={
        "min_mean": "Moyenne minimale", "min_each": "Plancher", "set_at": "Date",
        "set_by": "Par"}), hide_index=True, width="stretch")
