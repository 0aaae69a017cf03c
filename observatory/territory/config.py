"""The territory as configuration: which communes are loaded, which form the perimeter."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from observatory.errors import UserInputError


class TerritoryConfigError(UserInputError):
    """A territory file that cannot be used; the message is in French."""


@dataclass(frozen=True)
class TerritoryConfig:
    """The territory: its referential, departements, perimeter and excluded zone."""

    name: str
    referential: Path
    departements: tuple[str, ...]
    # EPCI SIREN codes forming the perimeter; empty means every commune loaded.
    perimeter_epci: tuple[str, ...] = ()
    # A zone inside the perimeter where funded projects may not be located.
    excluded_zone_label: str = ""
    excluded_zone_epci: tuple[str, ...] = ()
    siren: str = ""
    # The communes' typologies (observatory.territory.typologies); None: the territory has none.
    typologies: Path | None = None
    # The places of national programmes (observatory.territory.programmes); None: none shown.
    programmes: Path | None = None
    source: Path | None = field(default=None, compare=False)


def load_territory_config(path: Path) -> TerritoryConfig:
    path = Path(path)
    if not path.exists():
        raise TerritoryConfigError(f"Fichier de territoire introuvable : {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TerritoryConfigError(f"Fichier de territoire illisible ({path}) : {exc}") from exc
    try:
        name = str(raw["name"])
        referential = (path.parent / raw["referential"]).resolve()
        departements = tuple(str(d) for d in raw["departements"])
    except KeyError as exc:
        raise TerritoryConfigError(
            f"Le fichier de territoire {path} doit définir « {exc.args[0]} »."
        ) from exc
    zone = raw.get("excluded_zone", {})
    typologies = raw.get("typologies")
    programmes = raw.get("programmes")
    return TerritoryConfig(
        name=name,
        siren=str(raw.get("siren", "")),
        referential=referential,
        departements=departements,
        perimeter_epci=tuple(str(s) for s in raw.get("perimeter_epci", [])),
        excluded_zone_label=str(zone.get("label", "")),
        excluded_zone_epci=tuple(str(s) for s in zone.get("epci", [])),
        typologies=(path.parent / str(typologies)).resolve() if typologies else None,
        programmes=(path.parent / str(programmes)).resolve() if programmes else None,
        source=path,
    )
