"""Demonstration consortia, equipment, stays and calls, built on the demonstration places.

Deterministic (seeded). Consortia come from the network proposal, so they are plausible:
a mature place heading non-mature neighbours. Everything is flagged as demonstration data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from observatory.consortia import Consortium
from observatory.distances import EstimatedRoad
from observatory.equipment import Equipment
from observatory.partners import propose_network

SEED = 2026
# The demonstration consortia are the same whatever distance provider the settings choose.
DEMO_DISTANCES = EstimatedRoad()
# (call year, consortium status, application status); the rest of the proposal stays unused.
PLAN = ((2023, "funded", "funded"), (2024, "funded", "funded"), (2024, "refused", "refused"),
        (2025, "funded", "funded"), (2025, "submitted", "submitted"), (2026, "idea", None))
CALL_BUDGET_EUR = 60_000.0
ITEMS = {
    "tools": ("Scie à onglet radiale", "Tronçonneuse thermique", "Découpeuse laser",
              "Imprimante 3D", "Établi mobile", "Rayonnages en bois local"),
    "furniture": ("Vaisselle réemployable (300 couverts)", "Gobelets réutilisables (500)",
                  "Tables pliantes (20)", "Chaises empilables (60)", "Kit de tri pour événements"),
    "digital": ("Vidéoprojecteur et écran", "Kit de visioconférence",
                "Licences de conception collaborative", "Ordinateurs portables (6)",
                "Sonorisation mobile"),
    "works": ("Cloisons acoustiques", "Éclairage LED de la salle commune"),
    "vehicle": ("Utilitaire électrique partagé", "Vélo cargo à assistance", "Remorque atelier"),
    "rolling_furniture": ("Bar mobile sur roulettes", "Atelier de réparation itinérant",
                          "Scène mobile"),
}
ITINERANT = ("vehicle", "rolling_furniture")


@dataclass
class Cooperation:
    """The demonstration cooperation records, ready to be written to the store."""

    consortia: list[Consortium] = field(default_factory=list)
    # (item, consortium index)
    equipment: list[tuple[Equipment, int | None]] = field(default_factory=list)
    # (item index, place, start, end)
    stays: list[tuple[int, int, dt.date, dt.date]] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    applications: list[tuple[int, dict]] = field(default_factory=list)  # (consortium index, record)


def _location(members: list[int], places: pd.DataFrame) -> int | None:
    """The first member outside the excluded zone (projects must be located there), or None.

    A group whose members all lie in the excluded zone cannot carry a project of the measure:
    the demonstration gives it no consortium (a funded project in the Foix agglomeration would
    show the measure's rule broken on the Appels page and fail its own eligibility check).
    """
    zone = dict(zip(places["id"], places["in_excluded_zone"], strict=True))
    return next((m for m in members if not zone.get(m)), None)


def generate(places: pd.DataFrame, seed: int = SEED,
             keep_calls: Collection[int] = ()) -> Cooperation:
    """``places``: the demonstration places with ids and the ``mature`` flag.

    ``keep_calls``: years whose call already exists in the database. The plan then holds no
    call for those years and no application to them (a real call never receives
    demonstration applications); the consortia and their equipment stay, as demonstration data.
    """
    keep = {int(y) for y in keep_calls}
    rng = np.random.default_rng(seed)
    names = dict(zip(places["id"], places["name"], strict=True))
    proposal = propose_network(places, max_minutes=35, max_size=4, provider=DEMO_DISTANCES)
    groups = [(head, g["member_id"].astype(int).tolist())
              for head, g in proposal.links.groupby("head_id")]
    groups = [(head, members) for head, members in groups
              if _location([int(head), *members], places) is not None]
    out = Cooperation()
    for year in (y for y in range(2023, 2029) if y not in keep):
        out.calls.append({"year": year, "budget": CALL_BUDGET_EUR,
                          "opens_on": dt.date(year, 2, 1), "closes_on": dt.date(year, 4, 30),
                          "notes": "Appel à projets de démonstration"})
    # PLAN gives the first groups a consortium each; the network has more groups (one per
    # mature head with members: 12 in the demonstration), the rest stay without one.
    planned = zip(PLAN, groups, strict=False)
    for k, ((year, status, application), (head, members)) in enumerate(planned):
        everyone = [int(head), *members]
        out.consortia.append(Consortium(
            name=f"Réseau « {names[head]} »", member_ids=everyone,
            lead_place_id=int(head), location_place_id=_location(everyone, places),
            call_year=year, status=status,
            description="Mutualisation d'équipements et itinérance entre lieux voisins "
                        "(données de démonstration)."))
        if application and year not in keep:
            requested = float(rng.integers(8, 20) * 1000)
            out.applications.append((k, {
                "call_year": year, "amount_requested": requested,
                "amount_granted": requested * 0.8 if application == "funded" else None,
                "equipment_planned": "Voir l'inventaire des équipements", "status": application}))
        if status == "funded":
            _funded_items(out, k, year, everyone, rng)
    _own_items(out, places, rng)
    return out


def _pick(category: str, rng: np.random.Generator) -> str:
    return str(rng.choice(ITEMS[category]))


def _funded_items(out: Cooperation, k: int, year: int, members: list[int],
                  rng: np.random.Generator) -> None:
    """Three shared items and one itinerant item per funded consortium, with a 2026 tour."""
    for category in rng.choice(["tools", "furniture", "digital", "works"], size=3, replace=False):
        value = float(rng.integers(2, 15) * 500)
        out.equipment.append((Equipment(
            name=_pick(str(category), rng), category=str(category), owner_place_id=members[0],
            mutualised=True, call_year=year, amount_funded=value * 0.8, purchase_value=value,
            condition=str(rng.choice(["new", "good", "good", "worn"]))), k))
    category = str(rng.choice(ITINERANT))
    value = float(rng.integers(6, 30) * 1000)
    out.equipment.append((Equipment(
        name=_pick(category, rng), category=category, owner_place_id=members[0], mutualised=True,
        itinerant=True, call_year=year, amount_funded=value * 0.7, purchase_value=value), k))
    item = len(out.equipment) - 1
    start = dt.date(2026, 1, 5)
    for month in range(10):
        place = members[(month + 1) % len(members)]
        begin = start + dt.timedelta(days=30 * month + int(rng.integers(0, 5)))
        out.stays.append((item, place, begin, begin + dt.timedelta(days=int(rng.integers(7, 18)))))


def _own_items(out: Cooperation, places: pd.DataFrame, rng: np.random.Generator) -> None:
    """Items bought by places on their own; some lent to neighbours (mutualised)."""
    owners = rng.choice(places["id"].to_numpy(), size=12, replace=False)
    for owner in owners:
        category = str(rng.choice(list(ITEMS)))
        value = float(rng.integers(1, 12) * 400)
        out.equipment.append((Equipment(
            name=_pick(category, rng), category=category, owner_place_id=int(owner),
            mutualised=bool(rng.random() < 0.5), itinerant=category in ITINERANT,
            purchase_value=value, condition=str(rng.choice(["good", "worn", "broken", "new"]))),
            None))
