"""The funding measure's rules (fiche mesure 7.1), checked one by one with French reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from observatory.formatting import count as plural
from observatory.formatting import is_missing

CALL_YEARS: tuple[int, ...] = tuple(range(2023, 2029))  # appels à projets 2023–2028


@dataclass(frozen=True)
class MeasureRules:
    """Parameters of the measure; the defaults are those of fiche 7.1."""

    min_members: int = 2
    min_years_open: int = 3
    allowed_legal_forms: tuple[str, ...] = ("Association", "SCIC", "SCOP", "Collectivité", "SCI")
    call_years: tuple[int, ...] = CALL_YEARS
    excluded_zone_label: str = "la zone exclue"  # the territory's own label, from its configuration


@dataclass(frozen=True)
class Check:
    """One rule of the measure: passed or not, with the French reasons it fails."""

    key: str
    label: str  # the rule, in French
    ok: bool
    reasons: tuple[str, ...] = ()  # why it fails, one French sentence per problem


@dataclass(frozen=True)
class Eligibility:
    """Every check of a project; eligible when all of them pass."""

    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def eligible(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [reason for c in self.checks for reason in c.reasons]


def _name(member: Mapping[str, object]) -> str:
    return f"« {member.get('name')} »"


def check_members(members: pd.DataFrame, rules: MeasureRules) -> Check:
    count = len(members)
    ok = count >= rules.min_members
    return Check("members", f"Consortium d'au moins {rules.min_members} acteurs", ok,
                 () if ok else ((f"Le consortium compte {plural(count, 'acteur')}"
                                 if count else "Le consortium ne compte encore aucun acteur")
                                + f" : il en faut au moins {rules.min_members}.",))


def _seniority_reason(member: Mapping[str, object], call_year: int,
                      rules: MeasureRules) -> str | None:
    year = member.get("opening_year")
    if is_missing(year):
        return (f"{_name(member)} : année d'ouverture inconnue, impossible de vérifier "
                f"les {rules.min_years_open} ans d'existence.")
    age = call_year - int(year)
    if age < rules.min_years_open:
        return (f"{_name(member)} a ouvert en {int(year)} : {plural(max(age, 0), 'an')} à "
                f"l'appel {call_year}, il en faut au moins {rules.min_years_open}.")
    return None


def _transition_reason(member: Mapping[str, object]) -> str | None:
    if member.get("transition_oriented") is not True:
        return f"{_name(member)} n'est pas indiqué comme orienté vers les transitions."
    return None


def _legal_form_reason(member: Mapping[str, object], rules: MeasureRules) -> str | None:
    form = member.get("legal_status")
    allowed = ", ".join(rules.allowed_legal_forms)
    if is_missing(form) or not form:
        return f"{_name(member)} : forme juridique non renseignée ({allowed} admises)."
    if form not in rules.allowed_legal_forms:
        return f"{_name(member)} : la forme « {form} » n'est pas admise ({allowed})."
    return None


def _reasons(found) -> tuple[str, ...]:
    return tuple(reason for reason in found if reason is not None)


def check_seniority(members: pd.DataFrame, call_year: int, rules: MeasureRules) -> Check:
    reasons = _reasons(_seniority_reason(m, call_year, rules)
                       for m in members.to_dict(orient="records"))
    return Check("seniority", f"Chaque lieu existe depuis au moins {rules.min_years_open} ans",
                 not reasons, reasons)


def check_transitions(members: pd.DataFrame) -> Check:
    reasons = _reasons(_transition_reason(m) for m in members.to_dict(orient="records"))
    return Check("transitions", "Chaque lieu est orienté vers les transitions", not reasons,
                 reasons)


def check_legal_forms(members: pd.DataFrame, rules: MeasureRules) -> Check:
    reasons = _reasons(_legal_form_reason(m, rules) for m in members.to_dict(orient="records"))
    return Check("legal_forms", "Formes juridiques admises", not reasons, reasons)


def check_location(location: Mapping[str, object] | None, rules: MeasureRules) -> Check:
    label = f"Projet situé sur le territoire, hors {rules.excluded_zone_label}"
    if not location:
        return Check("location", label, False, ("Le lieu du projet n'est pas choisi.",))
    where = location.get("commune") or location.get("insee")
    if not location.get("in_perimeter"):
        return Check("location", label, False,
                     (f"Le projet serait situé à {where}, hors du territoire.",))
    if location.get("in_excluded_zone"):
        return Check("location", label, False, (
            f"Le projet serait situé à {where}, dans {rules.excluded_zone_label} : les projets "
            f"financés doivent être situés hors de cette zone (un porteur peut toutefois y "
            f"avoir son siège).",))
    return Check("location", label, True)


def check_consortium(members: pd.DataFrame, call_year: int,
                     location: Mapping[str, object] | None,
                     rules: MeasureRules = MeasureRules()) -> Eligibility:
    """Every rule of the measure for a would-be consortium.

    ``members``: one row per member place with ``name``, ``opening_year``,
    ``transition_oriented``, ``legal_status``. ``location``: the place where the project
    is located (``commune``, ``in_perimeter``, ``in_excluded_zone``), usually a member's.
    """
    checks = [check_members(members, rules)]
    if call_year not in rules.call_years:
        checks.append(Check("call_year", "Appel à projets de la mesure", False, (
            f"L'année {call_year} ne correspond à aucun appel à projets "
            f"({rules.call_years[0]}–{rules.call_years[-1]}).",)))
    checks += [
        check_seniority(members, call_year, rules),
        check_transitions(members),
        check_legal_forms(members, rules),
        check_location(location, rules),
    ]
    return Eligibility(tuple(checks))


def member_problems(members: pd.DataFrame, call_year: int,
                    rules: MeasureRules = MeasureRules()) -> list[list[str]]:
    """Per member (in order), what would keep it from carrying a project on its own account:
    the rules that concern each place (seniority, transitions, legal form)."""
    # One pass over the records (a one-row frame per member and per rule cost 0.4 s for
    # 33 suggestions on the Partenaires page).
    return [list(_reasons((_seniority_reason(m, call_year, rules), _transition_reason(m),
                           _legal_form_reason(m, rules))))
            for m in members.to_dict(orient="records")]


def location_of(place: Mapping[str, object] | None) -> dict[str, object] | None:
    """The project's location as the location rule reads it, from a place row."""
    if place is None:
        return None
    return {"commune": place.get("commune"), "insee": place.get("insee"),
            "in_perimeter": bool(place.get("in_perimeter")),
            "in_excluded_zone": bool(place.get("in_excluded_zone"))}
