"""What the exported tables and columns are called and mean, in French (one place for the
workbook's "Lisez-moi", the data package's Table Schemas and the report)."""

from __future__ import annotations

from dataclasses import dataclass

from observatory.model import (
    APPLICATION_STATUSES,
    CONSORTIUM_STATUSES,
    CRITERIA,
    CRITERIA_WORD,
    EQUIPMENT_CATEGORIES,
    EQUIPMENT_CONDITIONS,
)
from observatory.territory import source


@dataclass(frozen=True)
class Table:
    """One exported table: its key, French title, file stem and description."""

    key: str          # key in bundle.tables (or a derived table)
    title: str        # French title, also the Excel sheet name (<= 31 characters)
    stem: str         # file name stem in the data package and layer-like name
    description: str  # French


TABLES: tuple[Table, ...] = (
    Table("places", "Lieux", "lieux", "Lieux de lien social recensés, avec leurs derniers scores "
          f"sur les {CRITERIA_WORD} critères et leur maturité selon la règle en vigueur."),
    Table("evaluations", "Évaluations", "evaluations",
          "Historique de toutes les évaluations des lieux (une ligne par évaluation)."),
    Table("criteria", "Critères", "criteres",
          f"Les {CRITERIA_WORD} critères d'évaluation, notés de 0 à 4."),
    Table("maturity_rules", "Règles de maturité", "regles_maturite",
          "Historique des seuils de la règle de maturité (la dernière ligne est en vigueur)."),
    Table("epci", "EPCI", "epci", "Intercommunalités du territoire, avec leurs lieux."),
    Table("communes", "Communes", "communes", "Communes du territoire, avec leurs lieux."),
    Table("consortia", "Consortiums", "consortiums",
          "Consortiums de lieux constitués pour l'appel à projets annuel."),
    Table("consortium_members", "Membres des consortiums", "membres_consortiums",
          "Lieux membres de chaque consortium (une ligne par membre)."),
    Table("equipment", "Équipements", "equipements",
          "Équipements mutualisés ou itinérants (vide tant qu'aucun n'est enregistré)."),
    # Exported when the bundle carries them (written only if present, see common.tables_of).
    Table("equipment_stays", "Séjours des équipements", "sejours_equipements",
          "Calendrier des équipements itinérants : où chacun se trouve, de quand à quand."),
    Table("calls", "Appels à projets", "appels", "Appels à projets annuels de la mesure 7.1."),
    Table("applications", "Candidatures", "candidatures",
          "Candidatures des consortiums aux appels à projets."),
    Table("indicators", "Indicateurs", "indicateurs",
          "Les trois indicateurs de la mesure 7.1 à la date de l'export."),
)

_SCORE = "Note de 0 à 4 (demi-points possibles) sur le critère « {} » ; vide si non évalué."
_COUNTS = {
    "places": ("Lieux", "Nombre de lieux recensés."),
    "mature_places": ("Lieux matures", "Nombre de lieux matures selon la règle en vigueur."),
}
FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "places": {
        "id": ("Identifiant", "Identifiant du lieu dans l'observatoire."),
        "name": ("Nom", "Nom du lieu."),
        "insee": ("Code INSEE", "Code INSEE de la commune du lieu (5 caractères)."),
        "commune": ("Commune", "Nom de la commune."),
        "epci_siren": ("SIREN EPCI", "SIREN de l'intercommunalité de la commune."),
        "epci_name": ("EPCI", "Nom de l'intercommunalité."),
        "in_perimeter": ("Dans le périmètre", "Vrai si la commune est dans le périmètre."),
        "in_excluded_zone": ("Dans la zone exclue", "Vrai si la commune est dans la zone où les "
                             "projets de la mesure ne peuvent pas être situés."),
        "lon": ("Longitude", "Longitude WGS84 (degrés décimaux)."),
        "lat": ("Latitude", "Latitude WGS84 (degrés décimaux)."),
        "location_approximate": ("Position approximative",
                                 "Vrai si la position est celle de la commune, pas du lieu."),
        "typology": ("Typologie", "Type de lieu (fablab, coworking, café associatif…)."),
        "legal_status": ("Statut juridique", "Forme juridique du porteur."),
        "opening_year": ("Année d'ouverture", "Année d'ouverture du lieu."),
        "transition_oriented": ("Orienté transitions",
                                "Vrai si le lieu est orienté vers les transitions."),
        "thematics": ("Thématiques", "Thématiques du lieu, séparées par « | »."),
        "website": ("Site web", "Adresse du site web."),
        "contact": ("Contact", "Contact du lieu (donnée personnelle, exportée sur demande)."),
        "is_demo": ("Démonstration", "Vrai pour une donnée de démonstration (fictive)."),
        "version": ("Version", "Numéro de version de la fiche du lieu."),
        "last_evaluated_on": ("Dernière évaluation", "Date de la dernière évaluation."),
        "last_evaluator": ("Dernier évaluateur", "Auteur de la dernière évaluation."),
        "evaluation_count": ("Nombre d'évaluations", "Nombre d'évaluations du lieu."),
        **{c.key: (c.label, _SCORE.format(c.label)) for c in CRITERIA},
        "mean_score": ("Score moyen", f"Moyenne des {CRITERIA_WORD} critères (0 à 4)."),
        "mature": ("Mature", "Vrai si le lieu est mature selon la règle en vigueur."),
        "sources": ("Sources", "Fiches du lieu dans les listes importées : source, identifiant "
                    "de la fiche dans cette source, millésime et fichier (séparés par « ; »)."),
        "provenance": ("Provenance des champs", "Source qui a donné chaque champ (nom, "
                       "commune, coordonnées, typologie, site web…) : une liste importée, "
                       "un tableur, ou « saisie » dans l'application."),
    },
    "evaluations": {
        "id": ("Identifiant", "Identifiant de l'évaluation."),
        "place_id": ("N° du lieu", "Identifiant du lieu évalué (table des lieux)."),
        "place_name": ("Nom du lieu", "Nom du lieu évalué."),
        "evaluated_on": ("Date", "Date de l'évaluation."),
        "evaluator": ("Évaluateur", "Auteur de l'évaluation."),
        **{c.key: (c.label, _SCORE.format(c.label)) for c in CRITERIA},
        "evidence": ("Éléments de preuve", "Sources et éléments justifiant les notes."),
    },
    "criteria": {
        "key": ("Clé", "Identifiant du critère."),
        "position": ("Ordre", "Ordre d'affichage."),
        "label": ("Libellé", "Libellé du critère."),
        "description": ("Description", "Ce que le critère mesure."),
    },
    "maturity_rules": {
        "id": ("Identifiant", "Identifiant de la règle."),
        "min_mean": ("Moyenne minimale", f"Moyenne des {CRITERIA_WORD} critères à atteindre."),
        "min_each": ("Plancher par critère", "Note minimale sur chaque critère."),
        "set_at": ("Adoptée le", "Date et heure d'adoption de la règle."),
        "set_by": ("Adoptée par", "Auteur de la règle."),
    },
    "epci": {
        "siren": ("SIREN", "SIREN de l'intercommunalité."),
        "name": ("Nom", "Nom de l'intercommunalité."),
        "in_perimeter": ("Dans le périmètre", "Vrai si l'EPCI fait partie du périmètre."),
        "in_excluded_zone": ("Zone exclue", "Vrai si l'EPCI forme la zone exclue de la mesure."),
        "communes": ("Communes", "Nombre de communes."),
        "population": ("Population", source.POPULATION_COLUMN),
        **_COUNTS,
    },
    "communes": {
        "insee": ("Code INSEE", "Code INSEE de la commune."),
        "name": ("Nom", "Nom de la commune."),
        "population": ("Population", source.POPULATION_COLUMN),
        "epci_siren": ("SIREN EPCI", "SIREN de l'intercommunalité."),
        "departement": ("Département", "Code du département."),
        "in_perimeter": ("Dans le périmètre", "Vrai si la commune est dans le périmètre."),
        "in_excluded_zone": ("Dans la zone exclue", "Vrai si la commune est dans la zone exclue."),
        "lon": ("Longitude", "Longitude WGS84 d'un point intérieur à la commune."),
        "lat": ("Latitude", "Latitude WGS84 d'un point intérieur à la commune."),
        "area_km2": ("Superficie (km²)", "Superficie en kilomètres carrés."),
        "postcodes": ("Codes postaux", source.POSTCODES_COLUMN),
        "mountain": ("Zone de montagne", "Vrai si la commune est en zone de montagne (loi "
                     "Montagne ; ANCT, Observatoire des territoires)."),
        "massif": ("Massif", "Massif de la zone de montagne (ANCT, Observatoire des "
                   "territoires)."),
        "density": ("Densité", "Classe de la grille communale de densité de l'Insee (7 "
                    "niveaux)."),
        "rurality": ("Ruralité", "Typologie des ruralités (ANCT, Observatoire des "
                     "territoires)."),
        "centrality": ("Centralité", "Niveau de centralité d'équipements et de services (ANCT, "
                       "Observatoire des territoires)."),
        "epci_name": ("EPCI", "Nom de l'intercommunalité."),
        **_COUNTS,
    },
    "consortia": {
        "id": ("Identifiant", "Identifiant du consortium."),
        "name": ("Nom", "Nom du consortium."),
        "lead_place_id": ("N° du chef de file", "Identifiant du lieu chef de file."),
        "lead_place_name": ("Lieu chef de file", "Nom du lieu chef de file."),
        "location_place_id": ("N° du lieu d'implantation",
                              "Identifiant du lieu où le projet est situé."),
        "location_place_name": ("Lieu d'implantation", "Nom du lieu où le projet est situé."),
        "call_year": ("Appel à projets", "Année de l'appel à projets."),
        "status": ("Statut", "Statut : " + ", ".join(
            f"{k} ({v})" for k, v in CONSORTIUM_STATUSES.items()) + "."),
        "description": ("Description", "Description du projet."),
        "version": ("Version", "Numéro de version de la fiche."),
        "created_at": ("Créé le", "Date et heure de création."),
        "updated_at": ("Modifié le", "Date et heure de la dernière modification."),
        "member_ids": ("N° des membres", "Identifiants des lieux membres, séparés par « | »."),
        "member_names": ("Membres", "Noms des lieux membres, séparés par « | »."),
        "is_demo": ("Démonstration", "Vrai pour une donnée de démonstration (fictive)."),
    },
    "consortium_members": {
        "consortium_id": ("N° du consortium", "Identifiant du consortium."),
        "consortium_name": ("Consortium", "Nom du consortium."),
        "place_id": ("N° du lieu", "Identifiant du lieu membre."),
        "place_name": ("Lieu", "Nom du lieu membre."),
    },
    "equipment": {
        "id": ("Identifiant", "Identifiant de l'équipement."),
        "name": ("Nom", "Nom de l'équipement."),
        "category": ("Catégorie", "Catégorie de la mesure 7.1 : " + ", ".join(
            f"{k} ({v})" for k, v in EQUIPMENT_CATEGORIES.items()) + "."),
        "owner_place_id": ("N° du lieu propriétaire", "Identifiant du lieu qui le possède."),
        "owner_place_name": ("Lieu propriétaire", "Nom du lieu qui le possède."),
        "consortium_id": ("N° du consortium",
                          "Identifiant du consortium qui l'a financé, le cas échéant."),
        "consortium_name": ("Consortium", "Consortium qui l'a financé, le cas échéant."),
        "call_year": ("Appel à projets", "Année de l'appel qui l'a financé (vide : hors appel)."),
        "amount_funded": ("Montant financé (€)", "Montant financé par la mesure, en euros."),
        "purchase_value": ("Valeur d'achat (€)", "Valeur d'achat, en euros."),
        "condition": ("État", "État : " + ", ".join(
            f"{k} ({v})" for k, v in EQUIPMENT_CONDITIONS.items()) + "."),
        "mutualised": ("Mutualisé", "Vrai si l'équipement est partagé entre lieux."),
        "itinerant": ("Itinérant", "Vrai si l'équipement circule entre lieux."),
        "notes": ("Notes", "Remarques."),
        "is_demo": ("Démonstration", "Vrai pour une donnée de démonstration (fictive)."),
        "archived": ("Archivé", "Vrai si l'équipement n'est plus en service."),
        "version": ("Version", "Numéro de version de la fiche."),
        "created_at": ("Créé le", "Date et heure de création."),
        "updated_at": ("Modifié le", "Date et heure de la dernière modification."),
    },
    "equipment_stays": {
        "id": ("Identifiant", "Identifiant du séjour."),
        "equipment_id": ("N° de l'équipement", "Identifiant de l'équipement."),
        "equipment_name": ("Équipement", "Nom de l'équipement."),
        "place_id": ("N° du lieu", "Identifiant du lieu qui l'accueille."),
        "place_name": ("Lieu", "Nom du lieu qui l'accueille."),
        "start_date": ("Du", "Premier jour du séjour."),
        "end_date": ("Au", "Dernier jour du séjour."),
        "note": ("Note", "Remarque."),
        "created_at": ("Créé le", "Date et heure de saisie."),
    },
    "calls": {
        "year": ("Année", "Année de l'appel à projets."),
        "budget": ("Budget (€)", "Budget de l'appel, en euros."),
        "opens_on": ("Ouverture", "Date d'ouverture de l'appel."),
        "closes_on": ("Clôture", "Date de clôture de l'appel."),
        "notes": ("Notes", "Remarques."),
        "is_demo": ("Démonstration", "Vrai pour une donnée de démonstration (fictive)."),
    },
    "applications": {
        "id": ("Identifiant", "Identifiant de la candidature."),
        "call_year": ("Appel à projets", "Année de l'appel."),
        "consortium_id": ("N° du consortium", "Identifiant du consortium candidat."),
        "consortium_name": ("Consortium", "Nom du consortium candidat."),
        "amount_requested": ("Montant demandé (€)", "Montant demandé, en euros."),
        "amount_granted": ("Montant accordé (€)", "Montant accordé, en euros."),
        "equipment_planned": ("Équipements prévus", "Équipements prévus par le projet."),
        "status": ("Statut", "Statut : " + ", ".join(
            f"{k} ({v})" for k, v in APPLICATION_STATUSES.items()) + "."),
        "created_at": ("Créée le", "Date et heure de création."),
        "updated_at": ("Modifiée le", "Date et heure de la dernière modification."),
    },
    "indicators": {
        "key": ("Clé", "Identifiant de l'indicateur."),
        "label": ("Indicateur", "Libellé de l'indicateur de la mesure 7.1."),
        "total": ("Total", "Valeur de l'indicateur."),
    },
}
# Columns holding a day (stored as timestamps at midnight): exported as dates.
DATE_COLUMNS = {"evaluated_on", "last_evaluated_on", "start_date", "end_date", "opens_on",
                "closes_on"}
# Tables every export writes, even empty; the others only when the bundle carries them.
ALWAYS = {"places", "evaluations", "criteria", "maturity_rules", "epci", "communes", "consortia",
          "consortium_members", "equipment", "indicators"}
# Coded values shown in French in the workbook and the report: (table, column) -> labels.
VALUE_LABELS = {("consortia", "status"): CONSORTIUM_STATUSES,
                ("equipment", "category"): EQUIPMENT_CATEGORIES,
                ("equipment", "condition"): EQUIPMENT_CONDITIONS,
                ("applications", "status"): APPLICATION_STATUSES}
