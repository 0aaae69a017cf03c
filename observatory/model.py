"""The vocabulary of the domain: the five criteria, the score scale and the closed lists."""

from __future__ import annotations

from dataclasses import dataclass

from observatory.formatting import cardinal


@dataclass(frozen=True)
class Criterion:
    """One maturity criterion: its key, French labels and description."""

    key: str
    label: str  # French label shown to users
    short: str  # short French label for charts and table headers
    description: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "commons",
        "Création de communs",
        "Communs",
        "Produit des ressources partagées : outils ouverts, savoirs, espaces.",
    ),
    Criterion(
        "innovative_response",
        "Réponse innovante aux besoins",
        "Réponse innovante",
        "Propose des services nouveaux, co-construits, qui répondent à des besoins locaux.",
    ),
    Criterion(
        "collective_dynamic",
        "Dynamique collective",
        "Dynamique collective",
        "Fait vivre une communauté et des projets collectifs.",
    ),
    Criterion(
        "territorial_anchoring",
        "Ancrage territorial",
        "Ancrage",
        "Est enraciné dans son territoire, lié aux habitants et aux institutions.",
    ),
    Criterion(
        "shared_governance",
        "Gouvernance et leadership partagé",
        "Gouvernance",
        "Pratique une gouvernance ouverte, partagée, coopérative.",
    ),
)

CRITERIA_KEYS: tuple[str, ...] = tuple(c.key for c in CRITERIA)
# « cinq » in French prose (« les cinq critères »), from the list: a sixth criterion says « six ».
CRITERIA_WORD = cardinal(len(CRITERIA))
CRITERION_BY_KEY: dict[str, Criterion] = {c.key: c for c in CRITERIA}

# Score scale: 0 to 4, half points allowed (analysts write "3,5").
SCORE_MIN = 0.0
SCORE_MAX = 4.0
SCORE_STEP = 0.5
SCORE_LEVELS: dict[int, str] = {
    0: "Absent",
    1: "Émergent",
    2: "En développement",
    3: "Affirmé",
    4: "Exemplaire",
}


TYPOLOGIES: tuple[str, ...] = (
    "Fablab",
    "Coworking",
    "Café/bar associatif",
    "Espace de vie sociale",
    "Atelier partagé",
    "Garage solidaire",
    "Ressourcerie",
    "Friche culturelle",
    "Tiers-lieu nourricier",
    "Micro-folie",
    "Campus connecté",
    "France services",
    "Tiers-lieu multi-activités",
)

LEGAL_STATUSES: tuple[str, ...] = (
    "Association",
    "SCIC",
    "SCOP",
    "Collectivité",
    "SCI",
    "Entreprise",
    "Autre",
)

# Status of a consortium in the annual call for projects.
CONSORTIUM_STATUSES: dict[str, str] = {
    "idea": "Idée",
    "submitted": "Déposé",
    "funded": "Financé",
    "refused": "Refusé",
}

# The measure's categories of eligible equipment (fiche 7.1).
EQUIPMENT_CATEGORIES: dict[str, str] = {
    "tools": "Outillage et machines",
    "furniture": "Mobilier et kits de réemploi pour événements",
    "digital": "Informatique, audiovisuel et logiciels de conception collaborative",
    "works": "Petits travaux d'aménagement intérieur",
    "vehicle": "Véhicules et vélos partagés",
    "rolling_furniture": "Mobilier roulant",
}
EQUIPMENT_CONDITIONS: dict[str, str] = {
    "new": "Neuf",
    "good": "Bon état",
    "worn": "Usé",
    "broken": "Hors service",
}
APPLICATION_STATUSES: dict[str, str] = {
    "draft": "En préparation",
    "submitted": "Déposée",
    "funded": "Financée",
    "refused": "Refusée",
}
