"""The rules for one row of a places file: commune, coordinates, vocabularies, details."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from observatory.formatting import decimal, number
from observatory.importing.communes import BORDER_TOLERANCE_M, CommuneIndex
from observatory.importing.evaluation_rules import parse_evaluation
from observatory.importing.parsing import (
    Invalid,
    normalise_website,
    parse_bool,
    parse_decimal,
    parse_insee,
    parse_postcode,
    parse_year,
    split_list,
)
from observatory.importing.postcode_rules import (
    check_row_postcode,
    resolve_insee_or_postcode,
    resolve_postcode,
)
from observatory.importing.report import ERROR, WARNING, RowChecker
from observatory.importing.vocabulary import (
    closest_legal_status,
    closest_typology,
    match_legal_status,
    match_typology,
)
from observatory.model import LEGAL_STATUSES, TYPOLOGIES

COORDINATES = "coordinates"  # pseudo-field for problems about the pair lat/lon
SKIPPED_HINT = "Ligne ignorée."  # the suggestion of a row skipped as outside (on request)


@dataclass
class Candidate:
    """What one row says about a place, typed; ``provided`` lists the fields it filled."""

    row: int
    raw: tuple[str, ...]
    values: dict[str, Any] = field(default_factory=dict)
    provided: set[str] = field(default_factory=set)
    evaluation: dict[str, Any] | None = None
    outside: bool = False  # outside the accepted zone (skipped on request)
    centred: bool = False  # no coordinates: placed at the commune's inner point
    conflict: bool = False  # the INSEE code and the coordinates designate two communes
    origin: Any = None  # ``families.Origin`` of the row (source, record id…)


def check_place_row(row: int, cells: Mapping[str, str], checker: RowChecker,
                    communes: CommuneIndex, today: date, skip_outside: bool) -> Candidate:
    candidate = Candidate(row, tuple(cells.values()))
    values = candidate.values
    values["name"] = cells.get("name", "")
    if not values["name"]:
        checker.error("name", "", "Nom du lieu manquant.", "Indiquez le nom du lieu.")
    outside_severity = WARNING if skip_outside else ERROR
    insee, named, candidate.outside = resolve_commune(cells, checker, communes,
                                                      outside_severity)
    if insee and not communes.in_zone(insee):
        candidate.outside = True
        _commune_outside(insee, cells, checker, communes, outside_severity)
    place_location(cells, checker, communes, (insee, named), candidate, outside_severity)
    if candidate.conflict:  # a wrong code or wrong coordinates: not a row to skip unseen
        candidate.outside = False
    values["typology"] = _typology(cells.get("typology", ""), checker)
    values["legal_status"] = _legal_status(cells.get("legal_status", ""), checker)
    _details(cells, checker, today, values)
    provided = {k for k, v in cells.items() if v}
    if provided & {"commune", "postal_code"}:
        provided.add("insee")
    if "lat" in provided or "lon" in provided:
        provided |= {"lon", "lat", "location_approximate"}
    candidate.provided = provided
    candidate.evaluation = parse_evaluation(cells, checker, today, standalone=False)
    values["is_demo"] = False
    return candidate


def resolve_commune(cells: Mapping[str, str], checker: RowChecker, communes: CommuneIndex,
                    outside_severity: str = ERROR) -> tuple[str | None, bool, bool]:
    """(INSEE code, whether the row names a commune, whether it lies in a département not
    loaded). The code, when the name agrees with it; failing a code, the name ('St Girons'
    finds Saint-Girons, 'Mas-d'Azil' Le Mas-d'Azil); failing both, the postcode column. A
    postcode, in either code column, is read through the referential's postcodes
    (``postcode_rules``): in Ariège 09100…09340 are postcodes of some communes and INSEE
    codes of others, decided by the name or the coordinates. Problems are recorded on the
    checker."""
    postcode = _row_postcode(cells, checker)
    insee, named, foreign = _resolve(cells, checker, communes, outside_severity, postcode)
    if insee and postcode and (cells.get("insee") or cells.get("commune")):  # not read from it
        check_row_postcode(insee, cells, checker, communes, postcode)
    return insee, named, foreign


def _row_postcode(cells: Mapping[str, str], checker: RowChecker) -> str | None:
    """The postcode column, read; an unreadable one is ignored with a warning (it is
    informative when the row has a commune)."""
    text = cells.get("postal_code", "")
    try:
        return parse_postcode(text) if text else None
    except Invalid as exc:
        checker.warn("postal_code", text, exc.message + " Il est ignoré.",
                     "Écrivez le code postal sur 5 chiffres, ex. 09000.")
        return None


def _resolve(cells: Mapping[str, str], checker: RowChecker, communes: CommuneIndex,
             outside_severity: str, postcode: str | None) -> tuple[str | None, bool, bool]:
    insee_text, name = cells.get("insee", ""), cells.get("commune", "")
    before = len(checker.problems)
    insee = checker.parse("insee", insee_text, parse_insee) if insee_text else None
    if len(checker.problems) > before:
        return None, True, False
    matches = communes.by_name(name) if name else []
    if insee:
        served = communes.by_postcode(insee)
        if not communes.knows(insee) and served:  # a postcode, not an INSEE code
            return resolve_postcode(insee, "insee", cells, checker, communes), True, False
        if communes.knows(insee) and [c for c in served if c != insee]:
            resolved, decided = resolve_insee_or_postcode(insee, cells, checker, communes)
            if decided:
                return resolved, True, False
        if not communes.knows(insee):
            foreign = not communes.loads_departement(insee)
            foreign = foreign and not matches  # a commune of the referential is named
            hint = (f"D'après la commune, le code est {matches[0]}." if len(matches) == 1
                    else SKIPPED_HINT if foreign and outside_severity == WARNING
                    else "Vérifiez le code (5 caractères, ex. 09225).")
            checker.add("insee", insee_text, f"Code INSEE {insee} absent du référentiel des "
                        f"communes (départements chargés : {communes.departements}).", hint,
                        outside_severity if foreign else ERROR,
                        reason=foreign and outside_severity == WARNING)
            return None, True, foreign
        if name and insee not in matches:
            if matches or communes.label(insee) not in communes.closest_names(name):
                _code_and_name_disagree(insee, name, matches, cells, checker, communes)
                return None, True, False
            checker.warn("commune", name, f"Commune « {name} » lue comme "
                         f"{communes.label(insee)}, la commune du code INSEE.",
                         "Vérifiez l'orthographe de la commune.")
        return insee, True, False
    if not name:
        if postcode:
            return _from_postcode_column(postcode, cells, checker, communes, outside_severity)
        return None, False, False
    if len(matches) > 1 and postcode:  # namesakes in several départements: the postcode decides
        matches = [i for i in matches if postcode in communes.postcodes(i)] or matches
    if len(matches) == 1:
        return matches[0], True, False
    if matches:
        listed = ", ".join(communes.label(i) for i in matches)
        checker.error("commune", name, f"Plusieurs communes s'appellent « {name} » : {listed}.",
                      "Indiquez le code INSEE.")
        return None, True, False
    if postcode and not communes.loads_departement(postcode):  # a commune of elsewhere
        checker.add("commune", name, f"Commune « {name} » ({postcode}) hors des départements "
                    f"chargés ({communes.departements}).",
                    SKIPPED_HINT if outside_severity == WARNING
                    else "Retirez cette ligne ou vérifiez la commune.", outside_severity,
                    reason=outside_severity == WARNING)
        return None, True, True
    close = communes.closest_names(name)
    checker.error("commune", name, f"Commune inconnue : « {name} ».",
                  f"Voulez-vous dire {' ou '.join(close)} ?" if close
                  else "Vérifiez l'orthographe ou indiquez le code INSEE.")
    return None, True, False


def _from_postcode_column(postcode: str, cells: Mapping[str, str], checker: RowChecker,
                          communes: CommuneIndex, outside_severity: str
                          ) -> tuple[str | None, bool, bool]:
    """Neither INSEE code nor name: the postcode column names the commune, if it can."""
    if communes.by_postcode(postcode):
        return resolve_postcode(postcode, "postal_code", cells, checker, communes), True, False
    foreign = not communes.loads_departement(postcode)
    checker.add("postal_code", cells.get("postal_code", ""), f"Code postal {postcode} absent "
                f"du référentiel des communes (départements chargés : "
                f"{communes.departements}).",
                SKIPPED_HINT if foreign and outside_severity == WARNING
                else "Vérifiez le code postal, ou indiquez la commune ou son code INSEE.",
                outside_severity if foreign else ERROR,
                reason=foreign and outside_severity == WARNING)
    return None, True, foreign


def _postcode_hint(insee: str, cells: Mapping[str, str],
                   communes: CommuneIndex | None = None) -> str:
    """French postcodes of a commune's main office end in 0, like many INSEE codes."""
    served = [c for c in communes.by_postcode(insee) if c != insee] if communes else []
    if served:
        return f" : {insee} est aussi le code postal de {communes.names(served)}."
    if insee == cells.get("postal_code", "").strip().zfill(5):
        return f" : {insee} est aussi le code postal de la ligne, saisi à la place du code INSEE ?"
    if insee.endswith("0"):
        return f" : {insee} est-il un code postal saisi à la place du code INSEE ?"
    return "."


def _code_and_name_disagree(insee: str, name: str, matches: list[str],
                            cells: Mapping[str, str], checker: RowChecker,
                            communes: CommuneIndex) -> None:
    named = " ou ".join(communes.label(i) for i in matches) or f"« {name} » (inconnue)"
    codes = " ou ".join(matches)
    checker.error("insee", cells.get("insee", ""), f"Le code INSEE {insee} désigne "
                  f"{communes.label(insee)}, mais la commune indiquée est {named}"
                  + _postcode_hint(insee, cells, communes),
                  (f"Corrigez le code INSEE (celui de {name} est {codes}) ou la commune."
                   if matches else "Corrigez la commune ou le code INSEE."))


def _commune_outside(insee: str, cells: Mapping[str, str], checker: RowChecker,
                     communes: CommuneIndex, severity: str) -> None:
    epci = communes.epci_name(insee)
    checker.add("commune", cells.get("commune") or cells.get("insee"),
                f"{communes.label(insee)} est hors {communes.zone_label()}"
                + (f" ({epci})." if epci else "."),
                SKIPPED_HINT if severity == WARNING
                else "Retirez cette ligne ou vérifiez la commune.", severity,
                reason=severity == WARNING)


def place_location(cells: Mapping[str, str], checker: RowChecker, communes: CommuneIndex,
                   commune: tuple[str | None, bool], candidate: Candidate,
                   outside_severity: str) -> None:
    """Coordinates checked against the zone and the commune, or the commune's centre."""
    insee, named = commune
    values = candidate.values
    lat_text, lon_text = cells.get("lat", ""), cells.get("lon", "")
    values.update(insee=insee, lon=None, lat=None, location_approximate=False)
    if not lat_text and not lon_text:
        if insee:
            values["lon"], values["lat"] = communes.centre(insee)
            values["location_approximate"] = candidate.centred = True
        elif not named:
            checker.error("commune", "", "Commune manquante (ni code INSEE, ni nom, ni "
                          "coordonnées).", "Indiquez la commune ou son code INSEE.")
        return
    shown = f"{lat_text} ; {lon_text}"
    if not lat_text or not lon_text:
        missing = "longitude" if lat_text else "latitude"
        checker.error(COORDINATES, shown, f"La {missing} manque.",
                      "Indiquez les deux, ou aucune (centre de la commune).")
        return
    lat, lon = (checker.parse("lat", lat_text, parse_decimal),
                checker.parse("lon", lon_text, parse_decimal))
    if lat is None or lon is None:
        return
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        checker.error(COORDINATES, shown, "Coordonnées hors des bornes (latitude −90 à 90, "
                      "longitude −180 à 180).", _projected_hint(lat, lon))
        return
    located = communes.locate(lon, lat)
    if not located.in_zone:
        if not candidate.outside:  # an outside commune is already reported
            _outside_point(lat, lon, shown, checker, communes, candidate, outside_severity,
                           insee)
        return
    if insee is None:
        insee = located.insee
    elif (located.insee != insee
          and communes.distance_to_commune_m(lon, lat, insee) > BORDER_TOLERANCE_M):
        if cells.get("insee"):  # an identifier, not a name: one of the two is wrong
            candidate.conflict = True
            checker.error(COORDINATES, shown, f"Le code INSEE {insee} désigne "
                          f"{communes.label(insee)}, mais les coordonnées tombent dans "
                          f"{communes.label(located.insee)}"
                          + _postcode_hint(insee, cells, communes),
                          f"Corrigez le code INSEE (celui de {communes.name(located.insee)} "
                          f"est {located.insee}) ou les coordonnées.")
        else:
            checker.warn(COORDINATES, shown, f"Les coordonnées tombent dans la commune "
                         f"{communes.label(located.insee)}, pas dans {communes.label(insee)}.",
                         "Vérifiez les coordonnées ou la commune.")
    values.update(insee=insee, lon=lon, lat=lat)


def warn_centred(checker: RowChecker, address: str) -> None:
    """Said only when the centre is used (a new place, or one that changes commune)."""
    geocoding = " (l'adresse n'est pas géocodée hors ligne)" if address else ""
    checker.warn(COORDINATES, "", "Pas de coordonnées : le lieu est placé au centre de sa "
                 f"commune, localisation approximative{geocoding}.",
                 "Ajoutez latitude et longitude pour une position exacte.")


def _outside_point(lat: float, lon: float, shown: str, checker: RowChecker,
                   communes: CommuneIndex, candidate: Candidate, severity: str,
                   commune: str | None = None) -> None:
    """A point outside the zone; ``commune``: the row's commune, when it lies inside (the
    two disagree: an error, never a row skipped as outside)."""
    if -90 <= lon <= 90 and communes.locate(lat, lon).in_zone:
        swapped = communes.locate(lat, lon)
        checker.error(COORDINATES, shown, "Latitude et longitude semblent inversées : "
                      "inversées, elles tombent à " + communes.label(swapped.insee) + ".",
                      f"Latitude = {number(lon)} ; longitude = {number(lat)}.")
        return
    km, nearest = communes.outside(lon, lat)
    inside = communes.locate(lon, lat).insee
    where = f" (dans {communes.label(inside)})" if inside else ""
    distance = decimal(km, 1)
    message = (f"Coordonnées hors {communes.zone_label()}{where} : à {distance} km ; "
               f"commune la plus proche : {nearest}.")
    if commune:
        checker.error(COORDINATES, shown, f"{message} Or la commune de la ligne, "
                      f"{communes.label(commune)}, est dans le "
                      + ("périmètre." if communes.perimeter_only else "territoire chargé."),
                      "Vérifiez les coordonnées (degrés décimaux WGS84) ou la commune.")
        return
    candidate.outside = True
    checker.add(COORDINATES, shown, message,
                SKIPPED_HINT if severity == WARNING
                else "Vérifiez les coordonnées (degrés décimaux WGS84).", severity,
                reason=severity == WARNING)


def _projected_hint(lat: float, lon: float) -> str:
    """Metres that look like Lambert-93 (x ~ 0.1–1.3 M, y ~ 6–7.2 M): the WGS84 to write."""
    from pyproj import Transformer

    x, y = (lat, lon) if lat < lon else (lon, lat)
    if not (100_000 <= x <= 1_300_000 and 6_000_000 <= y <= 7_200_000):
        return "Écrivez des degrés décimaux WGS84 (ex. latitude 43,0559 ; longitude 1,6426)."
    to_wgs84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    wlon, wlat = to_wgs84.transform(x, y)
    return (f"Ce sont sans doute des coordonnées Lambert-93 : en WGS84, latitude = "
            f"{number(wlat)} ; longitude = {number(wlon)}.")


def _typology(text: str, checker: RowChecker) -> str | None:
    if not text:
        checker.error("typology", "", "Typologie manquante.",
                      f"Valeurs possibles : {', '.join(TYPOLOGIES)}.")
        return None
    found, others = match_typology(text)
    if found and others:
        checker.warn("typology", text, f"Plusieurs typologies : « {found} » est retenue "
                     f"(et non {', '.join(others)}).", "Gardez une seule typologie.")
    if found:
        return found
    close = closest_typology(text)
    checker.error("typology", text, f"Typologie inconnue : « {text} ».",
                  f"Voulez-vous dire « {close} » ?" if close
                  else f"Valeurs possibles : {', '.join(TYPOLOGIES)}.")
    return None


def _legal_status(text: str, checker: RowChecker) -> str | None:
    if not text:
        return None
    found = match_legal_status(text)
    if found:
        return found
    close = closest_legal_status(text)
    checker.error("legal_status", text, f"Statut juridique inconnu : « {text} ».",
                  f"Voulez-vous dire « {close} » ?" if close
                  else f"Valeurs possibles : {', '.join(LEGAL_STATUSES)}.")
    return None


def _details(cells: Mapping[str, str], checker: RowChecker, today: date,
             values: dict[str, Any]) -> None:
    text = cells.get("opening_year", "")
    values["opening_year"] = checker.parse("opening_year", text, parse_year, today) \
        if text else None
    text = cells.get("transition_oriented", "")
    values["transition_oriented"] = checker.parse("transition_oriented", text, parse_bool) \
        if text else None
    values["thematics"] = split_list(cells.get("thematics", ""))
    text = cells.get("website", "")
    values["website"] = checker.parse("website", text, normalise_website) if text else None
    values["contact"] = cells.get("contact", "") or None
    text = cells.get("place_id", "")
    values["place_id"] = None
    if text:
        try:
            values["place_id"] = int(float(text.replace(",", ".")))
        except ValueError:
            checker.error("place_id", text, f"« {text} » n'est pas un identifiant "
                          "(un nombre entier).", "Laissez vide pour un nouveau lieu.")
