"""Known families of source files: recognised by their headers, read without manual mapping.

A family is a recognised header set with a fixed mapping, the source key written in
``place_sources`` (migration 012), its publisher, how to read each record's id and the
vintage, and how its typologies translate into the inventory's. Any other file goes
through the mapping screen (``mapping.suggest_mapping``) and is recorded as the
"spreadsheet" source.

Before validation, ``prepare`` repairs what is certain (a lost leading zero, a code 0 that
means "missing", a département written ``9``) and lists each repair in French (row, column,
old value, new value, why); what is not certain is left to the validation, which explains
it (row, column, value, reason, fix). Nothing is invented: a France services overlay
feature that stands for two structures is refused with the reason, never split by guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd

from observatory.formatting import count, integer
from observatory.importing.checks import name_key
from observatory.importing.mapping import header_key, missing_required, suggest_mapping
from observatory.importing.report import ERROR, WARNING, Repair
from observatory.importing.vocabulary import match_typology

SPREADSHEET = "spreadsheet"  # the source key of a file no family recognises
DEFAULT_TYPOLOGY = "Tiers-lieu multi-activités"
NATIONAL, REGIONAL, OWN = "national", "regional", "own"  # the Importer's first question


@dataclass(frozen=True)
class Family:
    """One known source: headers that identify it, how to read it."""

    key: str  # place_sources.source
    label: str  # French, shown to the analyst
    publisher: str
    scope: str  # NATIONAL or REGIONAL
    signature: frozenset[str]  # header keys (``mapping.header_key``) all present
    columns: Mapping[str, tuple[str, ...]]  # field key -> header keys, first present wins
    record_id: tuple[str, ...] = ()  # header keys of the record's id, first present wins
    contact: tuple[str, ...] = ()  # header keys joined into the contact field
    departement: tuple[str, ...] = ()  # header keys of a département code column
    vintage_column: str | None = None  # header key of a per-record date (date_maj)
    vintage: str | None = None  # the list's own vintage when it states none per record
    typology: str | None = None  # every record is of this typology (France services)
    default_reason: str = ""  # why the default typology, when a record's is unknown
    id_prefix: str = ""  # stripped from ids ("fs-53" in the overlay is id_fs 53)


_MEDNUM_REASON = ("la typologie du schéma « lieux de médiation numérique » n'a pas "
                  "d'équivalent certain dans l'inventaire")

FAMILIES: tuple[Family, ...] = (
    Family("france_services", "Liste nationale des France services (ANCT)",
           "Agence nationale de la cohésion des territoires (ANCT)", NATIONAL,
           frozenset({"id fs", "lib fs", "insee com"}),
           {"name": ("lib fs",), "insee": ("insee com",), "postal_code": ("code postal",),
            "commune": ("lib com",), "lat": ("latitude",), "lon": ("longitude",),
            "address": ("adresse",), "itinerance": ("format fs",), "website": ()},
           record_id=("id fs",), contact=("mail", "telephone"), departement=("insee dep",),
           typology="France services"),
    Family("france_services", "Superposeur ANCT : France services",
           "Agence nationale de la cohésion des territoires (ANCT)", NATIONAL,
           frozenset({"id territoire", "lib territoire", "id geo"}),
           {"name": ("lib territoire",), "insee": ("id geo",), "commune": ("lib geo",)},
           record_id=("id territoire",), typology="France services", id_prefix="fs-"),
    Family("cget_2019", "Liste nationale des tiers-lieux (CGET 2019, Mission Coworking)",
           "Commissariat général à l'égalité des territoires (CGET), Mission Coworking",
           NATIONAL, frozenset({"nom tl", "inseecom"}),
           {"name": ("nom tl",), "insee": ("inseecom",), "commune": ("nomcom", "cominit"),
            "postal_code": ("cp",), "lat": ("lat",), "lon": ("long",),
            "typology": ("typo",), "address": ("adresse",), "website": ("web",)},
           record_id=("id",), contact=("mail", "contact"), departement=("inseedep", "dep"),
           vintage="2019",
           default_reason="le type de la liste CGET 2019 n'a pas d'équivalent certain"),
    Family("mediation_numerique", "Lieux de médiation numérique (schéma ANCT / La MedNum)",
           "ANCT / La MedNum (schéma « lieux de médiation numérique »)", NATIONAL,
           frozenset({"id", "nom", "commune", "code postal", "services"}),
           {"name": ("nom",), "commune": ("commune",), "insee": ("code insee",),
            "postal_code": ("code postal",), "lat": ("latitude",), "lon": ("longitude",),
            "typology": ("typologie",), "thematics": ("services",),
            "website": ("site web",), "address": ("adresse", "voie"),
            "itinerance": ("itinerance",), "source_updated_on": ("date maj",)},
           record_id=("id",), contact=("courriels", "courriel", "telephone"),
           vintage_column="date maj", default_reason=_MEDNUM_REASON),
    Family("regional_list", "Liste d'un réseau régional", "", REGIONAL,
           frozenset({"nom", "adresse", "code postal", "ville"}),
           {"name": ("nom",), "commune": ("ville",), "postal_code": ("code postal",),
            "address": ("adresse",), "website": ("site internet", "site web", "url"),
            "typology": ("typologie", "type")},
           contact=("mail", "courriel", "email", "telephone"),
           default_reason="la liste régionale ne donne pas de typologie"),
)


@dataclass(frozen=True)
class Origin:
    """Where one record comes from: the row of ``place_sources`` it writes."""

    source: str
    record_id: str
    file_name: str
    publisher: str | None
    vintage: str | None


@dataclass
class Prepared:
    """A mapped table made ready for validation, with what was done to it."""

    table: pd.DataFrame  # field-key columns, repaired
    family: Family | None
    origins: dict[int, Origin]  # row -> its origin
    repairs: list[Repair] = field(default_factory=list)
    # row -> (field key, value, message, suggestion, severity): said by the validation
    problems: dict[int, list[tuple[str, str, str, str, str]]] = field(default_factory=dict)


def recognise(headers: Iterable[str]) -> Family | None:
    """The family whose signature the headers carry (accents, case, ``_`` aside)."""
    keys = {header_key(h) for h in headers}
    return next((f for f in FAMILIES if f.signature <= keys), None)


def family_mapping(family: Family, headers: Iterable[str], kind: str = "places"
                   ) -> dict[str, str | None]:
    """The family's fixed mapping: its own columns, nothing guessed (a France services
    « commentaire » is no evaluation's evidence); contact columns are joined by
    ``prepare`` (the mapping leaves the field empty)."""
    headers = list(headers)
    by_key = {header_key(h): h for h in headers}
    mapping: dict[str, str | None] = dict.fromkeys(suggest_mapping(headers, kind))
    for key, candidates in family.columns.items():
        mapping[key] = next((by_key[c] for c in candidates if c in by_key), None)
    return mapping


def mapping_gaps(mapping: Mapping[str, str | None], kind: str,
                 family: Family | None) -> list[str]:
    """``mapping.missing_required``, less the typology a family gives or defaults."""
    gaps = missing_required(mapping, kind)
    if family is not None:
        gaps = [g for g in gaps if "« Typologie »" not in g]
    return gaps


def vintage_of_file(filename: str) -> str | None:
    """'liste-fs-20240801.csv' -> '2024-08-01'; 'tiers-lieux-2017.xlsx' -> '2017'."""
    stem = PurePath(filename or "").stem
    found = re.search(r"(?<!\d)(20\d{2})[-_]?(\d{2})[-_]?(\d{2})(?!\d)", stem)
    if found and 1 <= int(found.group(2)) <= 12 and 1 <= int(found.group(3)) <= 31:
        return "-".join(found.groups())
    year = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", stem)
    return year.group(1) if year else None


def built_record_id(name: str, commune: str) -> str:
    """A stable key for a source without ids: folded name and commune."""
    return f"{name_key(name)}|{name_key(commune)}"


def prepare(raw: pd.DataFrame, mapped: pd.DataFrame, family: Family | None, filename: str,
            publisher: str | None = None) -> Prepared:
    """Repair what is certain, give each row its origin; ``raw`` is the file as read,
    ``mapped`` the field-key table (``apply_mapping``). Rows are handled as plain dicts
    (one conversion of each table): cell access through pandas cost seconds per thousand
    rows."""
    by_key = {header_key(h): h for h in raw.columns}
    name = PurePath(filename or "fichier").name
    source = family.key if family else SPREADSHEET
    file_vintage = (family.vintage if family and family.vintage else None) \
        or vintage_of_file(name)
    publisher = publisher or (family.publisher if family else None) or None
    id_header = _first(family.record_id, by_key) if family else None
    vintage_header = by_key.get(family.vintage_column) if family and family.vintage_column \
        else None
    dep_header = _first(family.departement, by_key) if family else None
    contact_headers = [by_key[c] for c in (family.contact if family else ()) if c in by_key]
    wanted = [h for h in (id_header, vintage_header, dep_header, *contact_headers) if h]
    raw_rows = raw[wanted].astype(str).to_dict(orient="records") if wanted \
        else [{}] * len(raw)
    columns = [str(c) for c in mapped.columns]
    rows = [{k: str(v).strip() for k, v in zip(columns, values, strict=True)}
            for values in mapped.to_numpy(dtype=object)]
    prepared = Prepared(mapped, family, {})
    for row, cells, raw_row in zip(mapped.index, rows, raw_rows, strict=True):
        dep = _departement(row, raw_row, dep_header, prepared)
        _codes(row, cells, prepared, dep)
        if contact_headers:
            cells["contact"] = " ; ".join(
                v for v in (raw_row[h].strip() for h in contact_headers) if v)
        if family:
            _typology(row, cells, family, prepared)
        record = re.sub(r"\.0+$", "", raw_row[id_header].strip()) if id_header else ""
        if family and family.id_prefix:
            record = _overlay_id(row, record, family, cells, prepared)
        _two_structures(row, cells, family, prepared)
        if not record:
            record = built_record_id(cells.get("name", ""),
                                     cells.get("insee") or cells.get("commune", ""))
        vintage = raw_row[vintage_header].strip() if vintage_header else ""
        prepared.origins[int(row)] = Origin(source, record, name, publisher,
                                            vintage[:10] or file_vintage)
    prepared.table = pd.DataFrame(rows, index=mapped.index, columns=columns, dtype=object)
    return prepared


def _first(keys: Iterable[str], by_key: Mapping[str, str]) -> str | None:
    return next((by_key[k] for k in keys if k in by_key), None)


def _departement(row, raw_row, header: str | None, prepared: Prepared) -> str | None:
    """The row's département code, repaired when written '9' (two characters)."""
    if not header:
        return None
    text = re.sub(r"\.0+$", "", raw_row[header].strip())
    if re.fullmatch(r"\d", text):
        prepared.repairs.append(Repair(int(row), header, text, text.zfill(2),
                                       "numéro de département sur un chiffre : zéro initial "
                                       "perdu"))
        return text.zfill(2)
    return text if re.fullmatch(r"\d{2,3}|2[AB]", text) else None


def _codes(row, cells: dict, prepared: Prepared, dep: str | None) -> None:
    """INSEE code and postcode: a lost leading zero restored, a 0 read as missing."""
    for key, label in (("insee", "Code INSEE"), ("postal_code", "Code postal")):
        text = cells.get(key, "")
        bare = re.sub(r"\.0+$", "", text)
        if bare in {"0", "00000"}:
            other = "code postal" if key == "insee" else "code INSEE"
            prepared.repairs.append(Repair(
                int(row), label, text, "",
                f"« {bare} » signifie « absent » dans cette source : la commune est lue dans "
                f"le {other}, le nom de la commune ou les coordonnées"))
            cells[key] = ""
        elif re.fullmatch(r"\d{4}", bare):
            fixed = "0" + bare
            why = "code à 4 chiffres : zéro initial perdu (lu comme un nombre par un tableur)"
            if dep and fixed.startswith(dep):
                why += f", confirmé par le département {dep}"
            elif dep:
                prepared.problems.setdefault(int(row), []).append((
                    key, text, f"Le code {fixed} ne commence pas par le département {dep} "
                    "de la ligne.", "Vérifiez le code et le département.", WARNING))
            prepared.repairs.append(Repair(int(row), label, text, fixed, why))
            cells[key] = fixed


def _typology(row, cells: dict, family: Family, prepared: Prepared) -> None:
    if family.typology:
        cells["typology"] = family.typology
        return
    text = cells.get("typology", "")
    if text and match_typology(text)[0]:
        return
    shown = f"« {text} »" if text else "absente"
    prepared.repairs.append(Repair(
        int(row), "Typologie", text, DEFAULT_TYPOLOGY,
        f"typologie {shown} : {family.default_reason}, « {DEFAULT_TYPOLOGY} » par défaut "
        "(à corriger dans l'application si besoin)"))
    cells["typology"] = DEFAULT_TYPOLOGY


def _overlay_id(row, record: str, family: Family, cells: dict, prepared: Prepared) -> str:
    """'fs-53' -> '53' (the id_fs of the national list); two ids: two structures."""
    ids = [p.strip() for p in record.split(";") if p.strip()]
    if len(ids) > 1:
        names = " et ".join(f"« {n.strip()} »" for n in cells.get("name", "").split(";"))
        prepared.problems.setdefault(int(row), []).append((
            "name", cells.get("name", ""),
            f"Cette entité réunit {len(ids)} structures ({', '.join(ids)} : {names}) en un "
            "seul point : impossible de savoir laquelle importer.",
            "Importez plutôt la liste nationale des France services (une ligne par "
            "structure), ou séparez cette entité en une ligne par structure.", ERROR))
    return ",".join(i.removeprefix(family.id_prefix) for i in ids)


_TWO = re.compile(r"\s+/\s+|\s+\+\s+")


def _two_structures(row, cells: dict, family: Family | None, prepared: Prepared) -> None:
    """'A / B' in a name: perhaps two structures in one record. Said, never split."""
    name = cells.get("name", "")
    if family is None or not _TWO.search(name) or ";" in name:
        return
    parts = " et ".join(f"« {p} »" for p in _TWO.split(name))
    prepared.problems.setdefault(int(row), []).append((
        "name", name, f"Ce nom réunit peut-être deux structures ({parts}) : la ligne est "
        "importée comme un seul lieu.",
        "S'il s'agit de deux lieux, ajoutez une ligne par lieu dans le fichier.", WARNING))


def family_labels(scope: str) -> list[str]:
    """The French labels of the families of a scope (NATIONAL or REGIONAL), once each."""
    return list(dict.fromkeys(f.label for f in FAMILIES if f.scope == scope))


def territory_count_text(inside: int, total: int) -> str:
    """« 11 lignes sur 2 845 sont dans le territoire » (French plural, separators)."""
    if inside == 0:
        return f"Aucune ligne sur {integer(total)} n'est dans le territoire"
    verb = "est" if inside == 1 else "sont"
    return f"{count(inside, 'ligne', 'lignes')} sur {integer(total)} {verb} dans le territoire"
