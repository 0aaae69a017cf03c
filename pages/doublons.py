"""Doublons probables: pairs of places that are probably one, side by side; merge or dismiss."""

import pandas as pd
import streamlit as st

from observatory import duplicates, formatting, merging, origins
from observatory.errors import ConflictError
from observatory.ui import auth, context, data, fmt

DONE = "dup_done"  # the outcome of the last merge or dismissal, shown once after the rerun

ctx = context.get()
st.title("Doublons probables")
st.markdown(
    "Les lieux qui décrivent probablement le même lieu, par exemple repris de deux listes "
    "(CGET 2019, liste régionale, France services…) sous des noms un peu différents. Le score "
    "(sur 100) additionne la ressemblance des noms une fois normalisés (accents, majuscules, "
    "articles, ponctuation, espaces et préfixes comme « Tiers-lieu » mis à part), la même "
    "commune ou une commune voisine, la distance entre les points et un même SIRET, téléphone "
    "ou site web. Les paires marquées « pas un doublon » ne sont plus proposées.")
done = st.session_state.pop(DONE, None)
if done:
    st.success(done)

if ctx.places.empty:
    st.info("Aucun lieu dans l'inventaire : importez vos lieux depuis la page « Importer », "
            "puis revenez ici pour repérer ceux qui figurent deux fois.")
    st.stop()

threshold = st.slider("Score minimal", min_value=30, max_value=100,
                      value=duplicates.THRESHOLD, step=5,
                      help="Abaissez-le pour voir des paires moins probables.")
pairs = data.duplicate_pairs(data.db_path(), int(threshold))
if not pairs:
    st.info(f"**Aucun doublon probable** parmi les "
            f"{formatting.count(len(ctx.places), 'lieu', 'lieux')} de l'inventaire (score d'au "
            f"moins {threshold} sur 100). Rien à faire : après chaque import, revenez sur cette "
            "page ; l'aperçu de la page « Importer » signale aussi, avant d'écrire, les lignes "
            "qui ressemblent à un lieu déjà enregistré. Abaissez le score minimal pour examiner "
            "des paires moins probables.")
    st.stop()


def label(record) -> str:
    return f"{record.name} — {record.commune or record.insee} (n° {record.key})"


st.dataframe(pd.DataFrame([{"Score": p.score, "Premier lieu": label(p.a),
                            "Second lieu": label(p.b), "Raison": p.reason} for p in pairs]),
             hide_index=True, width="stretch", height=min(36 * (len(pairs) + 1) + 3, 320))
st.caption(f"{formatting.count(len(pairs), 'paire probable', 'paires probables')}, "
           "la plus probable en premier.")

st.subheader("Comparer une paire")
chosen = st.selectbox("Paire", range(len(pairs)),
                      format_func=lambda i: f"{pairs[i].score} — {pairs[i].a.name} / "
                                            f"{pairs[i].b.name}")
pair = pairs[chosen]
first_id, second_id = int(pair.a.key), int(pair.b.key)
details = data.duplicate_details(first_id, second_id)
found = details["places"]
if len(found) != 2:
    st.warning("L'un de ces lieux vient d'être fusionné ou supprimé : rechargez la page.")
    st.stop()
first, second = found[first_id], found[second_id]
st.markdown(f"**Score {pair.score} sur 100** : {fmt.md(pair.reason)}.")
see_contacts = auth.allowed("see_contacts")
communes = dict(zip(ctx.communes["insee"], ctx.communes["name"], strict=True))
rows = merging.comparison(first, second, communes, show_contact=see_contacts)
left_title, right_title = f"N° {first_id}", f"N° {second_id}"
table = pd.DataFrame(rows).rename(columns={"first": left_title, "second": right_title})
st.dataframe(table.style.apply(
    lambda row: ["background-color: #fff3cd" if row["Diffère"] == "oui" else ""] * len(row),
    axis=1), hide_index=True, width="stretch")
sources = details["sources"]
if len(sources):
    st.markdown("**Sources**")
    st.dataframe(origins.source_rows(sources.to_dict(orient="records")), hide_index=True,
                 width="stretch")

if not auth.allowed("edit"):
    st.caption("Seul un compte d'analyste peut fusionner deux lieux ou marquer une paire "
               "« pas un doublon ».")
    st.stop()

# The versions the analyst saw: a merge clicked after someone else changed one of the places
# is refused (ConflictError) instead of overwriting that change.
seen_key = f"dup_seen_{first_id}_{second_id}"
current = {first_id: int(first["version"]), second_id: int(second["version"])}
seen = st.session_state.get(seen_key) or current
st.session_state[seen_key] = current

st.subheader("Décider")
names = {first_id: f"n° {first_id} « {first['name']} »",
         second_id: f"n° {second_id} « {second['name']} »"}
kept = st.radio("Lieu conservé", [first_id, second_id], format_func=lambda i: fmt.md(names[i]),
                key=f"dup_kept_{first_id}_{second_id}",
                help="Il garde son numéro. L'autre lieu est supprimé : ses évaluations, "
                     "consortiums, équipements, séjours et identifiants de source passent au "
                     "lieu conservé. La fusion s'annule depuis l'historique des modifications "
                     "du lieu conservé (page « Lieux »).")
removed = second_id if kept == first_id else first_id
differing = [f for f in merging.differing_fields(first, second)
             if see_contacts or f not in merging.PRIVATE]
take = []
if differing:
    st.markdown("**Valeur à garder pour chaque champ qui diffère**")
for field in differing:
    value = st.radio(merging.MERGE_LABELS[field], [kept, removed], horizontal=True,
                     index=1 if merging.prefers_removed(found[kept], found[removed], field) else 0,
                     format_func=lambda i, f=field: fmt.md(merging.value_text(
                         found[i], f, communes)),
                     key=f"dup_field_{first_id}_{second_id}_{kept}_{field}")
    if value == removed:
        take.append(field)
mixed = merging.mixed_location(found[kept], found[removed], take)
if mixed:
    st.warning(mixed)
author = context.author_input("Votre nom (pour l'historique)", "dup_author")
merge_col, dismiss_col = st.columns(2)
if merge_col.button("Fusionner ces deux lieux", type="primary", disabled=not author):
    try:
        done = data.merge_places(kept, removed, take, seen, author)
    except ConflictError as exc:
        st.error(str(exc))
    else:
        st.session_state.pop(seen_key, None)
        st.session_state[DONE] = (
            f"Fusion enregistrée : {fmt.md(names[removed])} a rejoint {fmt.md(names[kept])} "
            f"(rattachés au lieu conservé : {merging.moved_text(done['moved'])}). Elle peut "
            "être annulée depuis l'historique des modifications du lieu conservé (page "
            "« Lieux »)." + "".join(
                f" Le consortium « {fmt.md(name)} » ne compte plus qu'un lieu : complétez-le ou "
                "archivez-le (page « Consortiums »)." for name in done["thin_consortia"]))
        st.rerun()
if dismiss_col.button("Pas un doublon", disabled=not author,
                      help="Ces deux lieux sont différents : la paire ne sera plus proposée."):
    try:
        data.dismiss_pair(first_id, second_id, author)
    except ConflictError as exc:
        st.error(str(exc))
    else:
        st.session_state[DONE] = (f"C'est noté : {fmt.md(names[first_id])} et "
                                  f"{fmt.md(names[second_id])} ne sont plus proposés comme "
                                  "doublons.")
        st.rerun()
