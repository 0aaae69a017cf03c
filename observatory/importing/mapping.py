"""The fields an import expects, their French column names, and the column mapping step.

Two kinds: "places" and "evaluations". Each field has the French name used in templates and
problem tables, and aliases for matching the headers analysts and public sources write.

Sources recognised (aliases below), with the choices made:
- Our own templates and French headers as analysts write them ("Nom du lieu", "Commune",
  "Code INSEE", "Latitude", "Typologie", "Statut juridique", "Année d'ouverture",
  "Orienté transitions", the French label of each criterion…).
- The "lieux de médiation numérique" schema (ANCT / La MedNum, v1.0.x): nom, commune,
  code_insee, latitude, longitude, typologie (codes such as TIERS_LIEUX, mapped by
  ``vocabulary``), services (values joined by "|", kept as thematics), site_web, courriels;
  adresse, code_postal, itinerance and date_maj are recognised but only informative.
  Its ``id`` is the publisher's identifier, not ours: it is never mapped.
- The CGET 2019 list of tiers-lieux (Mission Coworking, anct-carto/mission_coworking):
  NOM_TL, NOMCOM (the cleaned commune name, preferred to COMINIT as typed), INSEECOM
  ("0" when missing), TYPO ("Tiers lieux à dominante coworking|fablab"), LAT, LONG,
  ADRESSE, CP, WEB, CONTACT/MAIL. Its ``ID`` is not mapped either.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import pandas as pd

from observatory.filters import fold
from observatory.importing.base import READ_PROBLEM, ImportFileError
from observatory.model import CRITERIA

KINDS = ("places", "evaluations")
KIND_LABELS = {"places": "lieux", "evaluations": "évaluations"}


@dataclass(frozen=True)
class Field:
    """One importable column: its key, French label, aliases and template help."""

    key: str
    label: str  # French column name: template header, problem table
    aliases: tuple[str, ...] = ()
    required: bool = False
    example: str = ""
    help: str = ""  # French, shown in the template's help sheet
    stored: bool = True  # False: recognised to be shown, never written


# Example scores of the template's example row, one per criterion (repeated if there are more).
SCORE_EXAMPLES = ("3", "3,5", "2,5", "4", "2")


def _criterion_fields() -> list[Field]:
    """One score field per criterion of ``CRITERIA``, whatever their number."""
    examples = itertools.islice(itertools.cycle(SCORE_EXAMPLES), len(CRITERIA))
    fields = []
    for criterion, example in zip(CRITERIA, examples, strict=True):
        short = criterion.short
        fields.append(Field(
            criterion.key, criterion.label,
            (criterion.label, short, criterion.key, f"note {short}", f"score {short}",
             f"note {criterion.label}", f"critère {short}"),
            example=example,
            help=f"{criterion.description} Note de 0 à 4, par demi-points (3,5 accepté)."))
    return fields


_EVALUATION_DETAIL = [
    Field("evaluated_on", "Date d'évaluation",
          ("date d'évaluation", "date evaluation", "évalué le", "evaluated_on",
           "date de l'évaluation", "date de notation"),
          example="15/03/2025", help="JJ/MM/AAAA ou AAAA-MM-JJ."),
    Field("evaluator", "Évaluateur", ("évaluateur", "évaluatrice", "évaluateur·rice",
                                      "evaluateur rice", "évalué par", "evaluator", "auteur"),
          example="Équipe PETR", help="Qui a noté."),
    Field("evidence", "Éléments de preuve",
          ("éléments de preuve", "preuves", "justification", "justificatifs", "evidence",
           "commentaire", "commentaires", "observations"),
          example="Visite du 15/03/2025, compte rendu d'AG.",
          help="Ce qui fonde les notes (visites, documents)."),
]

PLACE_FIELDS = [
    Field("place_id", "Identifiant observatoire",
          ("identifiant observatoire", "id observatoire", "place_id", "identifiant du lieu"),
          help="Laisser vide pour un nouveau lieu ; l'identifiant d'un lieu existant le met "
               "à jour."),
    Field("name", "Nom du lieu",
          ("nom du lieu", "nom", "name", "nom_tl", "lieu", "nom de la structure",
           "structure", "nom du tiers-lieu", "intitulé", "raison sociale"),
          required=True, example="Atelier partagé du Plantaurel"),
    Field("commune", "Commune",
          ("commune", "nomcom", "nom de la commune", "nom commune", "ville", "localité",
           "libellé commune", "cominit"),
          example="Varilhes", help="Nom de la commune ; obligatoire sans code INSEE, sauf si "
                                   "le code postal ne dessert qu'elle."),
    Field("insee", "Code INSEE",
          ("code insee", "insee", "code_insee", "inseecom", "code commune",
           "code insee commune", "cog", "codgeo", "depcom"),
          example="09324", help="5 caractères (09225) ; obligatoire sans nom de commune."),
    Field("lat", "Latitude", ("latitude", "lat", "y", "lat_wgs84", "gps latitude"),
          example="43,0559", help="Degrés décimaux WGS84 ; vide : centre de la commune."),
    Field("lon", "Longitude", ("longitude", "lon", "lng", "long", "x", "lon_wgs84",
                               "gps longitude"),
          example="1,6426", help="Degrés décimaux WGS84 ; vide : centre de la commune."),
    Field("typology", "Typologie",
          ("typologie", "type", "typo", "type de lieu", "type de tiers-lieu", "catégorie"),
          required=True, example="Atelier partagé"),
    Field("legal_status", "Statut juridique",
          ("statut juridique", "statut", "forme juridique", "legal status", "forme"),
          example="Association"),
    Field("opening_year", "Année d'ouverture",
          ("année d'ouverture", "annee ouverture", "année de création", "date d'ouverture",
           "date de création", "ouverture", "création", "opening year"),
          example="2016", help="Entre 1900 et l'année en cours."),
    Field("transition_oriented", "Orienté transitions",
          ("orienté transitions", "orientation transitions", "transitions", "transition",
           "orienté transition écologique"), example="oui", help="oui / non."),
    Field("thematics", "Thématiques",
          ("thématiques", "thèmes", "thematiques", "services", "activités", "thematics"),
          example="réemploi|bricolage", help="Plusieurs valeurs séparées par « | »."),
    Field("website", "Site web", ("site web", "site internet", "site_web", "web", "url",
                                  "website", "site"), example="https://exemple.org"),
    Field("contact", "Contact", ("contact", "courriel", "courriels", "e-mail", "email", "mail",
                                 "téléphone", "telephone"),
          example="contact@exemple.org", help="Donnée personnelle : jamais publiée."),
    Field("address", "Adresse", ("adresse", "address", "adresse postale", "rue"),
          stored=False, help="Informative : pas de géocodage hors ligne."),
    Field("postal_code", "Code postal", ("code postal", "cp", "code_postal"), stored=False,
          example="09000", help="Désigne la commune s'il ne dessert qu'elle ; sinon, avec le "
                                "nom de la commune ou les coordonnées."),
    Field("itinerance", "Itinérance", ("itinerance", "itinérant"), stored=False),
    Field("source_updated_on", "Date de mise à jour (source)",
          ("date_maj", "date de mise à jour", "mise à jour"), stored=False),
    *_criterion_fields(),
    *_EVALUATION_DETAIL,
]

EVALUATION_FIELDS = [
    Field("place_id", "Identifiant du lieu",
          ("identifiant du lieu", "identifiant observatoire", "id observatoire", "place_id",
           "id du lieu", "id lieu"),
          help="Identifiant de l'observatoire ; sinon le nom et la commune."),
    Field("name", "Nom du lieu", ("nom du lieu", "nom", "lieu", "name", "nom_tl"),
          example="Atelier partagé du Plantaurel"),
    Field("commune", "Commune", ("commune", "nomcom", "nom de la commune", "ville"),
          example="Varilhes"),
    Field("insee", "Code INSEE", ("code insee", "insee", "code_insee", "inseecom"),
          example="09324"),
    replace(_EVALUATION_DETAIL[0], required=True,
            aliases=_EVALUATION_DETAIL[0].aliases + ("date",)),
    _EVALUATION_DETAIL[1],
    *_criterion_fields(),
    _EVALUATION_DETAIL[2],
]

FIELDS: dict[str, list[Field]] = {"places": PLACE_FIELDS, "evaluations": EVALUATION_FIELDS}
SCORE_KEYS = tuple(c.key for c in CRITERIA)


def fields(kind: str) -> list[Field]:
    if kind not in FIELDS:
        raise ValueError(f"Type d'import inconnu : {kind!r} (attendu : {', '.join(KINDS)}).")
    return FIELDS[kind]


def labels(kind: str) -> dict[str, str]:
    """Field key -> French column name."""
    return {f.key: f.label for f in fields(kind)} | {READ_PROBLEM: "Lecture du fichier"}


def header_key(text: str) -> str:
    """'Année d’ouverture (AAAA)' -> 'annee d ouverture': what header matching compares."""
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", fold(str(text)))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@functools.cache
def _all_alias_keys() -> tuple[frozenset[str], tuple[str, ...]]:
    keys = {header_key(a) for kind in KINDS for f in fields(kind) for a in (f.label, *f.aliases)}
    keys.discard("")
    return frozenset(keys), tuple(f" {k} " for k in keys if len(k) >= 5)


def known_header(text: str) -> bool:
    """Whether a cell reads as one of our column names (exactly, or containing a long
    alias: "Code INSEE de la commune"); how a reader tells a header row from a title."""
    if len(text) > 80:
        return False
    key = header_key(text)
    if not key:
        return False
    exact, long_keys = _all_alias_keys()
    if key in exact:
        return True
    padded = f" {key} "
    return any(alias in padded for alias in long_keys)


def _score(header: str, alias: str, position: int) -> float:
    if header == alias:
        return 2.0 - position * 0.001  # exact: earlier aliases win (NOMCOM before COMINIT)
    padded = f" {header} "
    if len(alias) >= 5 and f" {alias} " in padded:
        return 0.8 + 0.1 * len(alias) / len(header)  # "code insee de la commune"
    ratio = difflib.SequenceMatcher(None, header, alias).ratio()
    return ratio * 0.95 if ratio >= 0.82 else 0.0


def suggest_mapping(headers: Iterable[str], kind: str = "places") -> dict[str, str | None]:
    """Field key -> the file's header that best matches it (None when nothing does).

    Accent-, case- and punctuation-insensitive; exact aliases first, then a header that
    contains an alias, then a close spelling (difflib). A header serves one field at most.
    Two headers that match a field equally well (« Communs » twice: the reader names the
    second « Communs (2) ») leave it empty: ``mapping_warnings`` says so.
    """
    return _suggest(headers, kind)[0]


def mapping_warnings(headers: Iterable[str], kind: str = "places") -> list[str]:
    """French sentences, for the Importer, on the fields ``suggest_mapping`` left empty
    because several columns could be them."""
    labels_by_key = {f.key: f.label for f in fields(kind)}
    sentences = []
    for key, tied in _suggest(headers, kind)[1].items():
        shown = " et ".join(f"« {h} »" for h in tied)
        sentences.append(
            f"Les colonnes {shown} portent le même nom : aucune n'est associée au champ "
            f"« {labels_by_key[key]} ». Choisissez la bonne colonne ci-dessous, ou renommez "
            "ou supprimez la colonne en double dans le fichier.")
    return sentences


def _suggest(headers: Iterable[str], kind: str):
    headers = [h for h in headers if h != READ_PROBLEM]
    candidates = []
    for field in fields(kind):
        keys = [header_key(a) for a in (field.label, *field.aliases)]
        for header in headers:
            hkey = header_key(header)
            if not hkey:
                continue
            best = max(_score(hkey, alias, i) for i, alias in enumerate(keys))
            if best > 0:
                candidates.append((best, field.key, header))
    chosen: dict[str, str | None] = {f.key: None for f in fields(kind)}
    tied: dict[str, list[str]] = {}
    used: set[str] = set()
    for score, key, header in sorted(candidates, key=lambda c: -c[0]):
        if chosen[key] is not None or key in tied or header in used:
            continue
        rivals = [h for s, k, h in candidates
                  if k == key and h not in used and abs(s - score) < 1e-9]
        if len(rivals) > 1:  # the same name twice: which one is meant cannot be told
            tied[key] = rivals
            used.update(rivals)
            continue
        chosen[key] = header
        used.add(header)
    return chosen, tied


def unused_headers(headers: Iterable[str], mapping: Mapping[str, str | None]) -> list[str]:
    """Headers the mapping leaves out (shown to the user as "colonnes ignorées")."""
    used = {h for h in mapping.values() if h}
    return [h for h in headers if h not in used and h != READ_PROBLEM]


def apply_mapping(df: pd.DataFrame, mapping: Mapping[str, str | None],
                  kind: str = "places") -> pd.DataFrame:
    """A frame with one column per field key of ``kind`` ("" where unmapped), same index."""
    known = {f.key for f in fields(kind)}
    unknown_fields = set(mapping) - known
    if unknown_fields:
        raise ImportFileError(f"Champ(s) inconnu(s) : {', '.join(sorted(unknown_fields))}.")
    missing = [h for h in mapping.values() if h and h not in df.columns]
    if missing:
        raise ImportFileError(f"Colonne(s) absente(s) du fichier : {', '.join(missing)}.")
    out = pd.DataFrame(index=df.index)
    for field in fields(kind):
        header = mapping.get(field.key)
        out[field.key] = df[header].astype(str) if header else ""
    out[READ_PROBLEM] = df[READ_PROBLEM].astype(str) if READ_PROBLEM in df.columns else ""
    return out


def missing_required(mapping: Mapping[str, str | None], kind: str) -> list[str]:
    """French sentences for what the mapping lacks to import anything at all."""
    has = {k for k, v in mapping.items() if v}
    gaps = [f"la colonne « {f.label} » (obligatoire)" for f in fields(kind)
            if f.required and f.key not in has]
    if (kind == "places" and not has & {"insee", "commune", "postal_code"}
            and not {"lat", "lon"} <= has):
        gaps.append("une colonne « Code INSEE », « Commune » ou « Code postal » (ou des "
                    "coordonnées)")
    if kind == "evaluations":
        if not has & {"place_id", "name"}:
            gaps.append("une colonne « Identifiant du lieu » ou « Nom du lieu »")
        if not has & set(SCORE_KEYS):
            gaps.append("au moins une colonne de note")
    return gaps
