"""Create or upgrade a database: migrations, territory, criteria, demonstration data."""

from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from observatory import catalogue, demo, demo_cooperation, formatting
from observatory.store import (
    audit,
    consortia,
    context_places,
    db,
    equipment,
    evaluations,
    places,
    rules,
    territory,
)
from observatory.territory import departements, load, programmes, source
from observatory.territory.config import TerritoryConfig

DEMO_AUTHOR = "données de démonstration"


class NotEmpty(db.StoreError):
    """The database already holds data of its own: the demonstration set is not mixed in."""


def existing_data(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """What the database holds besides demonstration data (non-zero counts by kind)."""
    counts = con.execute(
        "SELECT (SELECT count(*) FROM places WHERE NOT is_demo),"
        " (SELECT count(*) FROM consortia WHERE NOT coalesce(is_demo, false)),"
        " (SELECT count(*) FROM equipment WHERE NOT is_demo),"
        " (SELECT count(*) FROM calls WHERE NOT coalesce(is_demo, false))").fetchone()
    kinds = ("places", "consortia", "equipment", "calls")
    return {kind: int(n) for kind, n in zip(kinds, counts, strict=True) if n}


_NOUNS = {"places": ("lieu", "lieux"), "consortia": ("consortium", "consortiums"),
          "equipment": ("équipement", "équipements"),
          "calls": ("appel à projets", "appels à projets")}


def existing_data_text(existing: dict[str, int]) -> str:
    """« 3 lieux, 1 consortium »: what ``existing_data`` found, in French."""
    return ", ".join(formatting.count(n, *_NOUNS[kind]) for kind, n in existing.items())


def system_user() -> str:
    """The name of the account running the command; "" when the uid has none (a container)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _system_actor() -> str:
    name = system_user()
    return f"compte système « {name} »" if name else "compte système"


@dataclass
class InitReport:
    """What ``init_database`` did: migrations applied, territory loaded, demo places added."""

    migrations_applied: list[str] = field(default_factory=list)
    territory_loaded: bool = False
    demo_places_added: int = 0
    schema_version: int = 0

    def lines(self) -> list[str]:
        out = [f"Schéma à la version {self.schema_version}"
               + (f" (migrations appliquées : {', '.join(self.migrations_applied)})"
                  if self.migrations_applied else " (à jour)")]
        out.append("Territoire chargé." if self.territory_loaded else "Territoire déjà à jour.")
        if self.demo_places_added:
            out.append(f"{self.demo_places_added} lieux de démonstration ajoutés.")
        return out


def _config_fingerprint(config: TerritoryConfig) -> str:
    """Changes whenever the configuration or the referential file's content changes."""
    digest = hashlib.sha256(config.referential.read_bytes())
    for extra in (config.typologies, config.programmes, _departements_file(config)):
        if extra is not None and extra.exists():
            digest.update(extra.read_bytes())
    for part in (config.name, config.siren, config.excluded_zone_label, *config.departements,
                 "|", *config.perimeter_epci, "|", *config.excluded_zone_epci):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:16]


def _departements_file(config: TerritoryConfig) -> Path:
    """The départements' names (observatory.territory.departements), beside the referential."""
    return config.referential.parent / "departements.csv"


def _departement_names(config: TerritoryConfig) -> str:
    path = _departements_file(config)
    if not path.exists():
        return ""
    return departements.to_meta(departements.read_csv(path), config.departements)


def load_territory(con: duckdb.DuckDBPyConnection, config: TerritoryConfig) -> bool:
    """(Re)load the referential when missing or when the configuration changed."""
    fingerprint = _config_fingerprint(config)
    if territory.meta(con).get("fingerprint") == fingerprint:
        return False
    raw = load.read_referential(config)
    # A referential built before the populations and postcodes came from the npm package
    # (no postcodes column) holds older populations: its vintage is left unstated.
    current = "postcodes" in raw.columns
    communes, epci = load.prepare(raw, config)
    meta = {
        "name": config.name,
        "siren": config.siren,
        "departements": ",".join(config.departements),
        "perimeter_epci": ",".join(config.perimeter_epci),
        "excluded_zone_label": config.excluded_zone_label,
        "excluded_zone_epci": ",".join(config.excluded_zone_epci),
        "fingerprint": fingerprint,
        # The vintages the referential was built with (observatory.territory.source).
        "population_vintage": source.POPULATION_VINTAGE if current else "",
        "geography_vintage": source.GEOGRAPHY_VINTAGE if current else "",
        "referential_sources": source.CITATION if current else "",
        departements.META_KEY: _departement_names(config),
    }
    context = _programme_places(config)
    # Checked again inside the transaction: two `init` at once (two app servers starting on
    # one PostgreSQL) load it once; the second finds it loaded once the first has committed.
    with db.transaction(con, exclusive="territory_meta"):
        if territory.meta(con).get("fingerprint") == fingerprint:
            return False
        territory.replace(con, communes, epci, meta)
        context_places.replace(con, context)
        evaluations.seed_criteria(con)
    return True


def _programme_places(config: TerritoryConfig):
    """The territory's places of national programmes (``programmes`` in its configuration),
    None when it names none; a named file that is missing or unreadable stops the load."""
    if config.programmes is None:
        return None
    if not config.programmes.exists():
        raise load.TerritoryConfigError(
            f"Fichier des lieux des programmes nationaux introuvable : {config.programmes}. "
            "Générez-le avec « python -m observatory.territory.programmes » ou retirez la "
            "ligne « programmes » du fichier de territoire.")
    try:
        return programmes.read_csv(config.programmes)
    except ValueError as exc:
        raise load.TerritoryConfigError(
            f"Fichier des lieux des programmes nationaux illisible ({config.programmes}) : "
            f"{exc}") from exc


def add_demo(con: duckdb.DuckDBPyConnection, actor: str, *, into_existing: bool = False) -> int:
    """Insert the demonstration data unless it is already there: places and evaluations,
    then consortia, equipment, stays and calls built on them; one transaction, one audit
    entry naming ``actor`` (who asked for it).

    A database holding data of its own (places, consortia, equipment, calls) is refused with
    ``NotEmpty`` unless ``into_existing``; even then an existing call is never touched: only
    the missing years are added, and no demonstration application joins an existing call.
    """
    if places.demo_count(con):
        return 0
    existing = existing_data(con)
    if existing and not into_existing:
        held = existing_data_text(existing)
        raise NotEmpty(f"La base contient déjà des données ({held}) : les données de "
                       "démonstration ne sont chargées que dans une base vide. Rien n'a été "
                       "modifié.")
    actor = str(actor or "").strip()
    if not actor:
        raise ValueError("actor is required: the audit trail names who loaded the demonstration")
    demo_places, demo_evaluations = demo.generate(territory.communes(con))
    with db.transaction(con):
        kept_calls = sorted(int(y) for y in equipment.calls(con)["year"])
        ids = places.insert_many(con, demo_places)
        for evaluation in demo_evaluations:
            record = dict(evaluation, place_id=ids[evaluation["place_index"]])
            evaluations.insert(con, record)
        current = catalogue.annotate(places.current(con), rules.current(con))
        plan = demo_cooperation.generate(current[current["is_demo"]], keep_calls=kept_calls)
        _add_cooperation(con, plan)
        audit.record(con, actor=actor, entity="demo", entity_id=0, action="import", old=None,
                     new={"places": len(ids), "evaluations": len(demo_evaluations),
                          "consortia": len(plan.consortia), "equipment": len(plan.equipment),
                          "calls_added": [c["year"] for c in plan.calls],
                          "calls_kept": kept_calls})
    return len(ids)


def _add_cooperation(con: duckdb.DuckDBPyConnection, plan: demo_cooperation.Cooperation) -> None:
    consortium_ids = [consortia.create(con, c, DEMO_AUTHOR) for c in plan.consortia]
    consortia.mark_demo(con, consortium_ids)
    item_ids = []
    for item, k in plan.equipment:
        if k is not None:
            item.consortium_id = consortium_ids[k]
        item_ids.append(equipment.create(con, item, is_demo=True, actor=DEMO_AUTHOR))
    for k, place_id, start, end in plan.stays:
        equipment.add_stay(con, item_ids[k], place_id, start, end, "démonstration",
                           actor=DEMO_AUTHOR)
    for call in plan.calls:
        equipment.save_call(con, call["year"], call["budget"], call["opens_on"],
                            call["closes_on"], call["notes"], actor=DEMO_AUTHOR, is_demo=True)
    for k, record in plan.applications:
        equipment.save_application(con, dict(record, consortium_id=consortium_ids[k]),
                                   actor=DEMO_AUTHOR)


def init_database(path: Path, config: TerritoryConfig, with_demo: bool = False,
                  actor: str | None = None) -> InitReport:
    """Idempotent: safe to run on a new file, an up-to-date one or an older one.

    ``with_demo`` on a database holding data of its own raises ``NotEmpty`` (after the
    migrations and the territory, which are kept); ``actor`` names who asked in the audit trail
    (default: the system account running this).
    """
    con = db.connect(path)
    try:
        report = InitReport(migrations_applied=db.migrate(con))
        report.territory_loaded = load_territory(con, config)
        if with_demo:
            report.demo_places_added = add_demo(con, (actor or "").strip() or _system_actor())
        report.schema_version = db.schema_version(con)
        db.checkpoint(con)
    finally:
        con.close()
    return report
