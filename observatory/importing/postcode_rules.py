"""A commune named by its postcode, on one row of a places file.

French postcodes are not commune codes: one postcode serves several communes (09000: Foix,
Soula and 21 others), and many are also another commune's INSEE code (09300 is the postcode
of Lavelanet and 21 other communes, and the INSEE code of Soula). So a postcode names a
commune only with help from the same row: the commune's name, or the coordinates. When they
cannot decide, or disagree, the row is refused with both readings spelled out.

The referential keeps each commune's postcodes (``CommuneIndex.by_postcode``): this works
offline.
"""

from __future__ import annotations

from collections.abc import Mapping

from observatory.importing.communes import BORDER_TOLERANCE_M, CommuneIndex
from observatory.importing.parsing import Invalid, parse_decimal
from observatory.importing.report import RowChecker

FIX_SHARED = ("Indiquez le nom de la commune (colonne « Commune »), son code INSEE ou les "
              "coordonnées du lieu.")


def row_point(cells: Mapping[str, str]) -> tuple[float, float] | None:
    """(lon, lat) of the row when both read as WGS84 degrees; None otherwise (the
    coordinates' own problems are reported by ``place_location``)."""
    try:
        lat, lon = parse_decimal(cells.get("lat", "")), parse_decimal(cells.get("lon", ""))
    except Invalid:
        return None
    return (lon, lat) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def commune_at(point: tuple[float, float], candidates: list[str],
               communes: CommuneIndex) -> tuple[str | None, str | None]:
    """(the candidate the point falls in, or None; the commune it falls in, or None). A
    point within the border tolerance of a single candidate counts as in it."""
    located = communes.locate(*point).insee
    if located in candidates:
        return located, located
    near = [c for c in candidates
            if communes.distance_to_commune_m(*point, c) <= BORDER_TOLERANCE_M]
    return (near[0] if len(near) == 1 else None), located


def _named(name: str, matches: list[str], communes: CommuneIndex) -> str:
    return communes.names(matches) if matches else f"« {name} » (commune inconnue)"


def _read_as(key: str, text: str, code: str, insee: str, why: str, checker: RowChecker,
             communes: CommuneIndex) -> None:
    """Say that a postcode in the INSEE code column was read as a commune (not an error:
    the row decided; the analyst may still write the INSEE code)."""
    if key == "insee":
        checker.warn("insee", text, f"« {code} » est un code postal, pas un code INSEE : lu "
                     f"comme {communes.label(insee)}, {why}.",
                     f"Écrivez le code INSEE {insee} pour lever toute ambiguïté.")


def resolve_postcode(code: str, key: str, cells: Mapping[str, str], checker: RowChecker,
                     communes: CommuneIndex) -> str | None:
    """The commune a postcode names on this row (``key``: the column that held it, the INSEE
    code's or the postcode's), or None with the problem recorded. The name decides, else the
    coordinates, else the postcode alone when it serves a single commune."""
    candidates = communes.by_postcode(code)
    text, name = cells.get(key, ""), cells.get("commune", "")
    shared = (f"le code postal de {communes.names(candidates)}" if len(candidates) > 1
              else f"le code postal de {communes.label(candidates[0])}")
    if name:
        matches = communes.by_name(name)
        chosen = [i for i in candidates if i in matches]
        if len(chosen) == 1:
            _read_as(key, text, code, chosen[0], "la commune indiquée", checker, communes)
            return chosen[0]
        checker.error(key, text, f"{code} est {shared}, mais la commune indiquée est "
                      f"{_named(name, matches, communes)}.",
                      "Corrigez le code postal ou la commune.")
        return None
    point = row_point(cells)
    if point is not None:
        found, located = commune_at(point, candidates, communes)
        if found:
            _read_as(key, text, code, found, "où tombent les coordonnées", checker, communes)
            return found
        if located is not None:
            checker.error(key, text, f"{code} est {shared}, mais les coordonnées tombent dans "
                          f"{communes.label(located)}.",
                          "Corrigez le code postal ou les coordonnées.")
        return None  # outside the referential: place_location says where the point lies
    if len(candidates) == 1:
        _read_as(key, text, code, candidates[0], "seule commune de ce code postal", checker,
                 communes)
        return candidates[0]
    checker.error(key, text, f"Le code postal {code} est commun à {len(candidates)} communes "
                  f"({communes.names(candidates)}) : il ne suffit pas à désigner la commune.",
                  FIX_SHARED)
    return None


def resolve_insee_or_postcode(code: str, cells: Mapping[str, str], checker: RowChecker,
                              communes: CommuneIndex) -> tuple[str | None, bool]:
    """A code that is a commune's INSEE code and other communes' postcode (09300: Soula, and
    Lavelanet's postcode). (commune, decided): the name decides, else the coordinates; with
    neither, the INSEE reading (the column is the INSEE code's) with a warning. ``decided``
    is False when the caller should apply its usual INSEE checks (the name's spelling, the
    coordinates' commune)."""
    others = [c for c in communes.by_postcode(code) if c != code]
    text, name = cells.get("insee", ""), cells.get("commune", "")
    both = (f"{code} est le code INSEE de {communes.label(code)} et le code postal de "
            f"{communes.names(others)}")
    if name:
        matches = communes.by_name(name)
        if code in matches:
            return code, True
        chosen = [i for i in others if i in matches]
        if len(chosen) == 1:
            checker.warn("insee", text, f"{both} : lu comme {communes.label(chosen[0])}, la "
                         "commune indiquée.",
                         f"Écrivez le code INSEE {chosen[0]} pour lever l'ambiguïté.")
            return chosen[0], True
        if not matches and communes.label(code) in communes.closest_names(name):
            return code, False  # a misspelt name of the INSEE code's commune
        codes = " ou ".join(matches)
        checker.error("insee", text, f"{both}, mais la commune indiquée est "
                      f"{_named(name, matches, communes)} : ni l'un ni l'autre.",
                      f"Corrigez le code (celui de {name} est {codes}) ou la commune."
                      if matches else "Corrigez la commune ou le code.")
        return None, True
    point = row_point(cells)
    if point is not None:
        found, _ = commune_at(point, [code, *others], communes)
        if found is not None and found != code:
            checker.warn("insee", text, f"{both} : lu comme {communes.label(found)}, où tombent "
                         "les coordonnées.", f"Écrivez le code INSEE {found} pour lever "
                         "l'ambiguïté.")
            return found, True
        return code, False  # in the INSEE code's commune, or elsewhere: a conflict said later
    checker.warn("insee", text, f"{both} : lu comme le code INSEE de {communes.label(code)}, "
                 "mais rien sur la ligne ne le confirme.",
                 "Ajoutez le nom de la commune ou les coordonnées du lieu.")
    return code, True


def check_row_postcode(insee: str, cells: Mapping[str, str], checker: RowChecker,
                       communes: CommuneIndex, postcode: str | None) -> None:
    """A postcode column that is not one of the resolved commune's: a warning (the commune
    stands; the address may be wrong)."""
    own = communes.postcodes(insee)
    if postcode and own and postcode not in own:
        checker.warn("postal_code", cells.get("postal_code", ""),
                     f"Le code postal {postcode} n'est pas celui de {communes.label(insee)} "
                     f"({', '.join(own)}).", "Vérifiez le code postal ou la commune.")
