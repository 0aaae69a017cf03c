"""The demonstration set: fictional places at real coordinates, generated deterministically.

Names are invented; communes, coordinates and populations are real. Every record is
flagged ``is_demo`` and the interface says so. With the default maturity rule exactly
``MATURE_COUNT`` places are mature.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import shapely

from observatory.maturity import DEFAULT_RULE, MaturityRule, is_mature
from observatory.model import CRITERIA_KEYS, SCORE_MAX

SEED = 2026
PLACE_COUNT = 42
MATURE_COUNT = 12
MIN_PER_EPCI = 3
EVALUATOR = "Équipe PETR (démonstration)"

# (invented name, typology, thematics): 42 entries, none of them a real place.
CATALOGUE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("La Fabrique des Possibles", "Tiers-lieu multi-activités", ("numérique", "culture")),
    ("Le Bocal à Idées", "Coworking", ("travail", "numérique")),
    ("L'Établi Partagé", "Atelier partagé", ("bricolage", "réemploi")),
    ("Café de la Source", "Café/bar associatif", ("convivialité", "culture")),
    ("La Ruche des Savoirs", "Espace de vie sociale", ("solidarité", "éducation")),
    ("Garage du Coup de Main", "Garage solidaire", ("mobilité", "solidarité")),
    ("La Recyclerie du Val", "Ressourcerie", ("réemploi", "déchets")),
    ("La Friche aux Étoiles", "Friche culturelle", ("culture", "arts")),
    ("Le Jardin Nourricier", "Tiers-lieu nourricier", ("alimentation", "agriculture")),
    ("Micro-Folie des Coteaux", "Micro-folie", ("culture", "numérique")),
    ("Campus Connecté des Vallées", "Campus connecté", ("éducation", "numérique")),
    ("Maison des Services du Plateau", "France services", ("accès aux droits", "numérique")),
    ("Le Fil d'Ariane Lab", "Fablab", ("numérique", "fabrication")),
    ("L'Atelier du Castor", "Atelier partagé", ("bois", "bricolage")),
    ("Le Comptoir Commun", "Café/bar associatif", ("convivialité", "alimentation")),
    ("La Grange Ouverte", "Tiers-lieu multi-activités", ("culture", "agriculture")),
    ("Cowork des Trois Rivières", "Coworking", ("travail", "mobilité")),
    ("Le Repaire des Bricoleurs", "Fablab", ("fabrication", "réemploi")),
    ("Épicerie-Café La Cordée", "Café/bar associatif", ("alimentation", "solidarité")),
    ("Le Foyer des Bergers", "Espace de vie sociale", ("solidarité", "agriculture")),
    ("La Boîte à Outils", "Ressourcerie", ("réemploi", "bricolage")),
    ("Les Ateliers de la Forge", "Atelier partagé", ("métal", "fabrication")),
    ("La Cantine des Champs", "Tiers-lieu nourricier", ("alimentation", "éducation")),
    ("Le Quai des Arts", "Friche culturelle", ("arts", "culture")),
    ("L'Escale Numérique", "France services", ("numérique", "accès aux droits")),
    ("Le Moulin Solidaire", "Tiers-lieu multi-activités", ("solidarité", "énergie")),
    ("Vélo-Atelier Roue Libre", "Garage solidaire", ("mobilité", "réemploi")),
    ("Le Hameau Connecté", "Coworking", ("travail", "numérique")),
    ("La Maison Commune", "Espace de vie sociale", ("solidarité", "culture")),
    ("Le Labo des Transitions", "Fablab", ("énergie", "numérique")),
    ("Bar-Guinguette Le Radeau", "Café/bar associatif", ("convivialité", "culture")),
    ("La Serre Partagée", "Tiers-lieu nourricier", ("agriculture", "alimentation")),
    ("Atelier Couture & Réemploi", "Ressourcerie", ("textile", "réemploi")),
    ("Le Préau des Montagnes", "Espace de vie sociale", ("éducation", "solidarité")),
    ("Cowork du Pont Vieux", "Coworking", ("travail", "culture")),
    ("Micro-Folie de la Bastide", "Micro-folie", ("culture", "éducation")),
    ("La Scierie Créative", "Friche culturelle", ("bois", "arts")),
    ("Le Relais des Estives", "Tiers-lieu multi-activités", ("agriculture", "tourisme")),
    ("Atelier Mobile Les Rouages", "Atelier partagé", ("mobilité", "fabrication")),
    ("La Table Ronde", "Café/bar associatif", ("convivialité", "solidarité")),
    ("Le Nid Numérique", "Campus connecté", ("numérique", "éducation")),
    ("Le Chai Collectif", "Tiers-lieu nourricier", ("alimentation", "convivialité")),
)
LEGAL_WEIGHTS = {"Association": 0.58, "SCIC": 0.14, "Collectivité": 0.12, "SCOP": 0.07,
                 "SCI": 0.04, "Entreprise": 0.05}


def _half(x: np.ndarray | float) -> np.ndarray:
    """Round to the scale's half points and keep within 0–4."""
    return np.clip(np.round(np.asarray(x, dtype=float) * 2) / 2, 0, SCORE_MAX)


def _choose_communes(communes: gpd.GeoDataFrame, rng: np.random.Generator) -> list[int]:
    """Row positions of the communes hosting the places: at least MIN_PER_EPCI per EPCI,
    the rest drawn by population (the plain is denser than the high valleys)."""
    inside = communes[communes["in_perimeter"]]
    chosen: list[int] = []
    for _, group in inside.groupby("epci_siren"):
        weights = group["population"].to_numpy(dtype=float) ** 0.8 + 1
        picks = rng.choice(group.index.to_numpy(), size=MIN_PER_EPCI, replace=False,
                           p=weights / weights.sum())
        chosen.extend(int(i) for i in picks)
    weights = inside["population"].to_numpy(dtype=float) ** 0.9 + 1
    rest = rng.choice(inside.index.to_numpy(), size=PLACE_COUNT - len(chosen), replace=True,
                      p=weights / weights.sum())
    chosen.extend(int(i) for i in rest)
    return chosen


def _point_in(geometry, rng: np.random.Generator) -> tuple[float, float]:
    """A point near the commune's centre (a few hundred metres), always inside it."""
    base = geometry.representative_point()
    for _ in range(50):
        lon = base.x + rng.normal(0, 0.004)
        lat = base.y + rng.normal(0, 0.003)
        if geometry.contains(shapely.Point(lon, lat)):
            return round(lon, 6), round(lat, 6)
    return round(base.x, 6), round(base.y, 6)


def _latest_scores(rng: np.random.Generator, mature: bool, rule: MaturityRule) -> dict[str, float]:
    """Scores of the latest evaluation, drawn until they fall on the wanted side of the rule."""
    while True:
        if mature:
            values = _half(rng.uniform(2.6, 4.0, size=len(CRITERIA_KEYS)))
        elif rng.random() < 0.35:
            # Near misses: a good average held back by one weak criterion, or an average
            # just under the threshold; these move when an analyst tries another rule.
            values = _half(rng.uniform(2.5, 3.8, size=len(CRITERIA_KEYS)))
            values[rng.integers(len(CRITERIA_KEYS))] = _half(rng.uniform(1.0, 2.0))
        else:
            values = _half(rng.uniform(0.5, 3.4, size=len(CRITERIA_KEYS)))
        scores = dict(zip(CRITERIA_KEYS, values.tolist(), strict=True))
        if is_mature(scores, rule) == mature:
            return scores


def generate(communes: gpd.GeoDataFrame, seed: int = SEED,
             rule: MaturityRule = DEFAULT_RULE) -> tuple[list[dict], list[dict]]:
    """Places and evaluations (evaluations refer to places by their ``place_index``)."""
    rng = np.random.default_rng(seed)
    communes = communes.reset_index(drop=True)
    hosts = _choose_communes(communes, rng)
    years = np.clip(np.round(rng.triangular(1995, 2016, 2025, size=PLACE_COUNT)), 1995, 2025)
    # Mature places are drawn among those open for a while: maturity takes time.
    seniority = np.argsort(years + rng.uniform(0, 8, size=PLACE_COUNT))
    mature_idx = set(seniority[:MATURE_COUNT].tolist())
    legal_names = list(LEGAL_WEIGHTS)
    legal_p = np.array(list(LEGAL_WEIGHTS.values()))

    places, evaluations = [], []
    for i, ((name, typology, thematics), row_pos) in enumerate(zip(CATALOGUE, hosts, strict=True)):
        commune = communes.iloc[row_pos]
        lon, lat = _point_in(commune.geometry, rng)
        year = int(years[i])
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
        places.append({
            "name": name,
            "insee": commune["insee"],
            "lon": lon,
            "lat": lat,
            "location_approximate": False,
            "typology": typology,
            "legal_status": str(rng.choice(legal_names, p=legal_p / legal_p.sum())),
            "opening_year": year,
            "transition_oriented": bool(i in mature_idx or rng.random() < 0.8),
            "thematics": list(thematics),
            "website": f"https://{slug}.exemple.org",
            "contact": f"contact@{slug}.exemple.org",
            "is_demo": True,
        })
        latest = _latest_scores(rng, i in mature_idx, rule)
        n_evals = int(rng.integers(2, 4))
        first_year = max(year, 2021)
        for k in range(n_evals):
            age = n_evals - 1 - k  # 0 for the latest evaluation
            if age == 0:
                scores = latest
            else:
                # Earlier evaluations were a little lower: places grow.
                drift = _half(rng.uniform(0, 0.6 * age + 0.2, size=len(CRITERIA_KEYS)))
                scores = dict(zip(CRITERIA_KEYS,
                                  _half(np.array(list(latest.values())) - drift).tolist(),
                                  strict=True))
            eval_year = min(2025, first_year + k) if first_year < 2025 else 2025
            date = dt.date(eval_year, int(rng.integers(1, 13)), int(rng.integers(1, 28)))
            if k > 0 and date <= evaluations[-1]["evaluated_on"]:
                date = evaluations[-1]["evaluated_on"] + dt.timedelta(days=120)
            evaluations.append({
                "place_index": i,
                "evaluated_on": date,
                "evaluator": EVALUATOR,
                **scores,
                "evidence": "Grille d'auto-évaluation et visite (données de démonstration).",
            })
    return places, evaluations
