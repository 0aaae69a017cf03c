"""Closed lists of the observatory (typologies, legal statuses) and the words sources use.

Matching is accent-, case- and punctuation-insensitive. Synonyms cover the values of the
"lieux de médiation numérique" schema (data.inclusion typology codes such as TIERS_LIEUX,
RFS for France services, CS for centres sociaux) and of the CGET 2019 list ("Tiers lieux à
dominante coworking / fablab"). Codes with no counterpart here (BIB, MUNI…) are left
unknown on purpose: the analyst chooses, helped by the closest suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

from observatory.filters import fold
from observatory.model import LEGAL_STATUSES, TYPOLOGIES

TYPOLOGY_SYNONYMS: dict[str, str] = {
    "fab lab": "Fablab", "fablabs": "Fablab", "makerspace": "Fablab", "hackerspace": "Fablab",
    "tiers lieux a dominante fablab": "Fablab", "laboratoire de fabrication": "Fablab",
    "espace de coworking": "Coworking", "co working": "Coworking",
    "tiers lieux a dominante coworking": "Coworking", "espace de travail partage": "Coworking",
    "cafe associatif": "Café/bar associatif", "bar associatif": "Café/bar associatif",
    "cafe bar associatif": "Café/bar associatif", "cafe culturel": "Café/bar associatif",
    "evs": "Espace de vie sociale", "cs": "Espace de vie sociale",
    "centre social": "Espace de vie sociale", "centre socioculturel": "Espace de vie sociale",
    "atelier partage": "Atelier partagé", "repair cafe": "Atelier partagé",
    "atelier de reparation": "Atelier partagé", "garage associatif": "Garage solidaire",
    "recyclerie": "Ressourcerie", "friche": "Friche culturelle",
    "tiers lieu culturel": "Friche culturelle", "lieu culturel": "Friche culturelle",
    "tiers lieu alimentaire": "Tiers-lieu nourricier", "tiers lieu agricole":
    "Tiers-lieu nourricier", "microfolie": "Micro-folie", "micro folie": "Micro-folie",
    "campus connecte": "Campus connecté", "rfs": "France services",
    "maison france services": "France services", "espace france services": "France services",
    "msap": "France services", "tiers lieux": "Tiers-lieu multi-activités",
    "tiers lieu": "Tiers-lieu multi-activités", "tiers lieux multi activites":
    "Tiers-lieu multi-activités", "tiers lieu multi activite": "Tiers-lieu multi-activités",
}

LEGAL_STATUS_SYNONYMS: dict[str, str] = {
    "asso": "Association", "association loi 1901": "Association", "loi 1901": "Association",
    "association loi 1908": "Association", "association declaree": "Association",
    "scic sas": "SCIC", "scic sarl": "SCIC", "scic sa": "SCIC",
    "societe cooperative d interet collectif": "SCIC", "scop sarl": "SCOP", "scop sa": "SCOP",
    "scop sas": "SCOP", "societe cooperative et participative": "SCOP",
    "societe cooperative ouvriere de production": "SCOP", "commune": "Collectivité",
    "mairie": "Collectivité", "collectivite territoriale": "Collectivité",
    "communaute de communes": "Collectivité", "communaute d agglomeration": "Collectivité",
    "epci": "Collectivité", "departement": "Collectivité", "region": "Collectivité",
    "syndicat mixte": "Collectivité", "petr": "Collectivité", "etablissement public":
    "Collectivité", "societe civile immobiliere": "SCI", "sas": "Entreprise",
    "sasu": "Entreprise", "sarl": "Entreprise", "eurl": "Entreprise", "sa": "Entreprise",
    "micro entreprise": "Entreprise", "auto entrepreneur": "Entreprise",
    "entreprise individuelle": "Entreprise", "ei": "Entreprise", "societe": "Entreprise",
    "fondation": "Autre", "gip": "Autre", "cooperative": "Autre",
}


def term_key(text: str) -> str:
    """'Café/bar associatif' -> 'cafe bar associatif'; 'TIERS_LIEUX' -> 'tiers lieux'."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


def _index(canonical: Sequence[str], synonyms: Mapping[str, str]) -> dict[str, str]:
    index = {term_key(term): term for term in canonical}
    index.update({term_key(k): v for k, v in synonyms.items()})
    return index


_TYPOLOGIES = _index(TYPOLOGIES, TYPOLOGY_SYNONYMS)
_STATUSES = _index(LEGAL_STATUSES, LEGAL_STATUS_SYNONYMS)


def _match(text: str, index: Mapping[str, str]) -> str | None:
    key = term_key(text)
    if key in index:
        return index[key]
    singular = " ".join(w[:-1] if w.endswith("s") and len(w) > 3 else w for w in key.split())
    return index.get(singular)


def _closest(text: str, index: Mapping[str, str]) -> str | None:
    found = difflib.get_close_matches(term_key(text), list(index), n=1, cutoff=0.6)
    return index[found[0]] if found else None


def match_typology(text: str) -> tuple[str | None, list[str]]:
    """(the observatory's typology, other typologies named) for a cell such as 'Coworking'
    or the schema's 'TIERS_LIEUX|RFS' (the first value recognised wins)."""
    found = [t for t in (_match(part, _TYPOLOGIES) for part in text.split("|")) if t]
    unique = list(dict.fromkeys(found))
    return (unique[0], unique[1:]) if unique else (None, [])


def closest_typology(text: str) -> str | None:
    return _closest(text.split("|")[0], _TYPOLOGIES)


def match_legal_status(text: str) -> str | None:
    return _match(text, _STATUSES)


def closest_legal_status(text: str) -> str | None:
    return _closest(text, _STATUSES)
