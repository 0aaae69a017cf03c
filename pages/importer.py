"""Importer: bring the real inventory (places or evaluations) in from the analysts' files."""

import hashlib

import streamlit as st

from observatory import importing
from observatory.errors import StoreError
from observatory.importing.report import skipped_last
from observatory.ui import auth, context, data, fmt
from observatory.ui.tables import french_frame

KINDS = {"places": "Lieux (avec leurs notes éventuelles)", "evaluations": "Évaluations"}
ORIGINS = {importing.NATIONAL: "une source nationale connue",
           importing.REGIONAL: "une liste régionale", importing.OWN: "votre propre tableur"}
NONE = "— (ignorer)"
DONE = "imp_done"  # the outcome of the import just written, shown once after the rerun
ROUND = "imp_round"  # imports written in this session: a new one empties the drop zone

ctx = context.get()
st.title("Importer des données")
if not auth.require("import"):
    st.stop()
done = st.session_state.pop(DONE, None)
if done:
    st.success(done)
    st.balloons()
st.markdown(
    "Formats acceptés : **CSV** (UTF-8, Windows-1252, ISO-8859-15 ou UTF-16, séparateur `,` ou "
    "`;`, comme Excel les écrit ; l'encodage choisi est indiqué), **Excel (.xlsx)** et "
    "**GeoJSON** ou **JSON** (points). Rien n'est écrit tant que le fichier contient une "
    "erreur : l'import se fait en une seule transaction, tout ou rien. "
    + importing.SIZE_LIMIT_TEXT)

origin = st.radio("D'où viennent vos données ?", list(ORIGINS), format_func=ORIGINS.get,
                  index=2, horizontal=True, key="imp_origin")
if origin == importing.OWN:
    kind = st.radio("Que voulez-vous importer ?", list(KINDS), format_func=KINDS.get,
                    horizontal=True, key="imp_kind")
else:
    kind = "places"
    st.caption("Sources reconnues sans correspondance manuelle : "
               + " ; ".join(importing.family_labels(origin)) + ". Un autre fichier passe "
               "par l'écran de correspondance des colonnes.")
publisher = st.text_input("Éditeur de la liste (le réseau qui la publie)",
                          key="imp_publisher") if origin == importing.REGIONAL else ""
left, right = st.columns(2)
example = importing.territory_example(ctx.communes)  # a commune of this territory
left.download_button("Modèle CSV", importing.template(kind, "csv", example),
                     file_name=importing.template_filename(kind, "csv"), mime="text/csv")
right.download_button("Modèle Excel", importing.template(kind, "xlsx", example),
                      file_name=importing.template_filename(kind, "xlsx"),
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

# Streamlit writes the drop zone's button and size limit in English with no parameter to
# translate them: app.py's style sheet (ui/widget_french) shows French in their place.
round_ = st.session_state.get(ROUND, 0)
upload = st.file_uploader(
    "Fichier à importer", type=["csv", "txt", "xlsx", "geojson", "json"],
    key=f"imp_file_{kind}" + (f"_{round_}" if round_ else ""),
    help="Glissez le fichier dans le cadre, ou cliquez sur son bouton pour le choisir. Un seul "
         "fichier CSV, TXT, Excel (.xlsx) ou GeoJSON. " + importing.SIZE_LIMIT_TEXT)
if upload is None:
    st.info("Déposez un fichier, ou partez d'un modèle ci-dessus (en-têtes en français, une "
            "ligne d'exemple à supprimer).")
    st.stop()

payload = upload.getvalue()
territory_count = st.empty()  # a national source: its rows in the territory, said first
try:
    sheets = importing.sheet_names(payload, upload.name) if upload.name.lower().endswith(
        ".xlsx") else []
    sheet = st.selectbox("Feuille", sheets, key="imp_sheet",
                         placeholder=context.PLACEHOLDER) if len(sheets) > 1 else None
    table = importing.read_table(payload, upload.name, sheet=sheet)
except importing.ImportFileError as exc:
    st.error(str(exc))
    st.stop()

for warning in importing.read_warnings(table) + importing.mapping_warnings(table.columns, kind):
    st.warning(fmt.md(warning))
st.subheader("1. Correspondance des colonnes")
family = importing.recognise(table.columns) if kind == "places" else None
if family is not None:
    st.success(f"Source reconnue : {family.label}. Les colonnes sont associées "
               "automatiquement.")
    suggested = importing.family_mapping(family, table.columns, kind)
else:
    suggested = importing.suggest_mapping(table.columns, kind)
headers = [NONE, *[h for h in table.columns if not str(h).startswith("_")]]
mapping = {}
with st.expander(f"Colonnes reconnues : {sum(v is not None for v in suggested.values())} "
                 f"sur {len(suggested)} champs — vérifier ou corriger", expanded=False):
    cols = st.columns(3)
    for k, field in enumerate(importing.fields(kind)):
        guess = suggested.get(field.key)
        choice = cols[k % 3].selectbox(
            field.label + (" *" if field.required else ""), headers,
            index=headers.index(guess) if guess in headers else 0,
            key=f"imp_map_{kind}_{field.key}", help=field.help or None,
            placeholder=context.PLACEHOLDER)
        mapping[field.key] = None if choice == NONE else choice
ignored = importing.unused_headers(table.columns, mapping)
if ignored:
    st.caption("Colonnes ignorées : " + ", ".join(f"« {fmt.md(h)} »" for h in ignored))
gaps = importing.mapping_gaps(mapping, kind, family)
if gaps:
    st.error("Il manque " + " ; ".join(gaps) + ".")
    st.stop()

st.subheader("2. Vérification")
has_demo = bool(len(ctx.places) and ctx.places["is_demo"].any())
replace_demo = has_demo and kind == "places" and st.checkbox(
    "Remplacer les données de démonstration (elles seront retirées dans la même transaction)",
    value=True, key="imp_replace_demo")
# Renames the analyst confirmed, row by row, for this very file (its checkboxes below).
rename_key = f"imp_rename_{kind}_{hashlib.sha1(payload).hexdigest()[:12]}_"
confirmed = frozenset(int(k[len(rename_key):]) for k, v in st.session_state.items()
                      if str(k).startswith(rename_key) and v)
options = {"confirmed_renames": confirmed} if kind == "places" and confirmed else {}
skip_outside = kind == "places" and st.checkbox(
    "Ignorer les lignes hors territoire (comptées et listées à part, pas en erreur)",
    value=origin != importing.OWN, key="imp_skip_outside")
valid_only = kind == "places" and st.checkbox(
    "Importer les lignes valides (les lignes en erreur sont écartées et listées)",
    key="imp_valid_only")
if skip_outside:
    options["skip_outside"] = True
if valid_only:
    options["valid_rows_only"] = True
if publisher.strip():
    options["publisher"] = publisher.strip()
with st.spinner("Vérification du fichier…"):
    report = data.import_preview(payload, upload.name, kind, mapping, replace_demo, sheet,
                                 **options)
if skip_outside and origin == importing.NATIONAL:
    total = len(report.preview)
    territory_count.info(f"**{importing.territory_count_text(total - len(report.outside), total)}**"
                         f" ({report.family or fmt.md(upload.name)}).")
(st.success if report.ok else st.error)(report.summary())
if report.left_out:
    st.warning(report.left_out_text() + ".")
if report.outside:
    st.caption(report.outside_text()[:1].upper() + report.outside_text()[1:] + ".")
    st.download_button("Liste des lignes hors territoire (CSV)",
                       report.outside_table.to_csv(index=False, sep=";").encode("utf-8"),
                       file_name="lignes_hors_territoire.csv", mime="text/csv",
                       key="imp_outside_download")
repairs = report.repair_table
if len(repairs):
    with st.expander(f"Réparations sûres ({len(repairs)}) : ce qui a été corrigé dans le "
                     "fichier, et pourquoi", expanded=False):
        st.dataframe(french_frame(repairs, keep=["ligne"]), hide_index=True, width="stretch")
removal = importing.demo_removal_text(report.demo_removal)
in_use = report.demo_in_use_text()
if in_use:  # someone's records refer to the demonstration: removing it would orphan them
    st.error(fmt.md(in_use) + " Ou décochez « Remplacer les données de démonstration » pour "
             "importer en les gardant.")
elif removal:  # replacing the demonstration data: say beforehand all that goes with it
    st.warning(f"Les données de démonstration seront retirées dans la même transaction : "
               f"{removal}.")
problems = report.problem_table
if report.outside:  # the rows outside are in their own list, not among the problems
    problems = problems[~problems["ligne"].isin({o["ligne"] for o in report.outside})]
if len(problems):
    st.dataframe(french_frame(problems, keep=["ligne"]), hide_index=True, width="stretch",
                 height=min(36 * (len(problems) + 1) + 3, 400))
pending = [r for r in report.renames if not r.confirmed]
if report.renames:
    st.markdown("**Identifiants qui désignent un lieu d'un autre nom.** Une colonne "
                "« Identifiant observatoire » décalée par un tri donne exactement cela : chaque "
                "lieu prendrait le nom, la commune et l'historique d'un autre. Cochez une ligne "
                "seulement si ce lieu a vraiment changé de nom (le détail est dans les "
                "changements champ par champ ci-dessous).")
    for rename in report.renames:
        st.checkbox(fmt.md(rename.label()), key=f"{rename_key}{rename.row}")
changes = report.changes_table
if len(changes):
    with st.expander(f"Changements champ par champ ({len(changes)}) : ce que l'import "
                     "modifiera dans les lieux existants", expanded=True):
        st.dataframe(french_frame(changes, keep=["ligne", "identifiant"]), hide_index=True,
                     width="stretch")
with st.expander("Aperçu ligne par ligne (ajout, mise à jour, inchangé)", expanded=report.ok):
    st.dataframe(french_frame(skipped_last(report.preview), keep=["ligne"]), hide_index=True,
                 width="stretch")

if kind == "places" and report.to_write():  # a warning before writing, never a block
    probable = data.import_duplicates(report)
    if len(probable):
        rows = probable["ligne"].nunique()
        st.warning(f"**Doublons probables** : "
                   f"{fmt.count(rows, 'ligne à ajouter ressemble', 'lignes à ajouter ressemblent')}"
                   " à un lieu déjà enregistré ou à une autre ligne du fichier (score sur 100 et "
                   "raison ci-dessous). Ce n'est qu'un avertissement : corrigez le fichier si "
                   "c'est le même lieu, ou importez puis fusionnez-les sur la page « Doublons "
                   "probables ».")
        st.dataframe(french_frame(probable, keep=["ligne"]), hide_index=True, width="stretch")

st.subheader("3. Import")
if not report.ok:
    st.info("Cochez les renommages voulus, ou corrigez les erreurs dans votre fichier puis "
            "déposez-le à nouveau : rien n'a été écrit." if pending else
            "Rien n'a été écrit : les données de démonstration ne peuvent pas encore être "
            "retirées (voir ci-dessus)." if in_use and report.errors.empty else
            "Corrigez les erreurs dans votre fichier puis déposez-le à nouveau : rien n'a été "
            "écrit.")
    st.stop()
author = context.author_input("Votre nom (pour l'historique)", "imp_author")
if st.button("Importer", type="primary", disabled=not author.strip() or not report.to_write()):
    try:
        written = data.import_apply(report, author.strip(), replace_demo)
    except StoreError as exc:  # the store changed since the check: nothing was written
        st.error(str(exc))
        st.stop()
    # The sidebar's counts and the demonstration banner were drawn before this write: run
    # again (caches already forgotten) so that everything shows the import, and say it there.
    st.session_state[DONE] = f"Import terminé : {importing.written_text(written)}"
    st.session_state[ROUND] = round_ + 1
    st.rerun()
