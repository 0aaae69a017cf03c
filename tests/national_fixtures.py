"""Fixture generators for the national and regional lists (issue 14): built in the tests and
the benchmark, deterministic, from real communes (``data/territory/communes.parquet``).

- ``cget_2019(n)``: a synthetic CGET 2019 Mission Coworking list with its real column names,
  ``n`` rows (1,512 like the real one): real-looking places all over France (communes outside
  the loaded département, so outside the territory) and a handful in Ariège with the real
  file's faults: INSEECOM ``0``, leading zeros lost (``9122``, CP ``9500``), a département
  written ``9``, a commune in capitals without accents, an address spanning two lines, a
  « A / B » name, and « CapWork » and « Cap Work » at Verniolle as two rows (a duplicate
  for the matching of issue 14, section 3).
- ``regional_workbook()``: the Excel sheet of a regional network (French headers).
- ``mediation_json(wrapped)``: an older JSON export of the « lieux de médiation numérique »
  (a list of objects, or {"data": [...]}) with nested ``adresse``/``localisation``/``contact``.
- ``inventory(n)``: ``n`` places for the store, spread over the territory's communes.
"""

from __future__ import annotations

import csv
import io
import json
import random
from functools import cache
from pathlib import Path

import geopandas as gpd

ROOT = Path(__file__).resolve().parents[1]
COMMUNES = ROOT / "data" / "territory" / "communes.parquet"

CGET_COLUMNS = ["ID", "NOM_TL", "ADRESSE", "CP", "COMINIT", "INSEECOM", "NOMCOM", "WEB",
                "TYPO", "LAT", "LONG", "CONTACT", "MAIL", "INSEEDEP", "NOMREG"]
TYPOS = ["Tiers lieux à dominante coworking", "Tiers lieux à dominante fablab",
         "Tiers lieux à dominante coworking|fablab", "Espace de travail partagé",
         "Tiers lieux mixte"]
# Real communes outside Ariège (INSEE, postcode, name, lat, lon): the rest of the list.
ELSEWHERE = [
    ("31555", "31000", "Toulouse", 43.6045, 1.4440),
    ("75056", "75011", "Paris", 48.8566, 2.3522),
    ("69123", "69003", "Lyon", 45.7640, 4.8357),
    ("33063", "33000", "Bordeaux", 44.8378, -0.5792),
    ("44109", "44000", "Nantes", 47.2184, -1.5536),
    ("34172", "34000", "Montpellier", 43.6108, 3.8767),
    ("67482", "67000", "Strasbourg", 48.5734, 7.7521),
    ("59350", "59000", "Lille", 50.6292, 3.0573),
    ("35238", "35000", "Rennes", 48.1173, -1.6778),
    ("63113", "63000", "Clermont-Ferrand", 45.7772, 3.0870),
    ("81004", "81000", "Albi", 43.9289, 2.1464),
    ("11069", "11000", "Carcassonne", 43.2130, 2.3491),
    ("65440", "65000", "Tarbes", 43.2328, 0.0781),
    ("66136", "66000", "Perpignan", 42.6887, 2.8948),
    ("01053", "01000", "Bourg-en-Bresse", 46.2052, 5.2255),
    ("05061", "05000", "Gap", 44.5594, 6.0786),
]


@cache
def _points() -> dict[str, tuple[str, str, float, float]]:
    """INSEE -> (name, first postcode, lat, lon of a point inside the commune)."""
    communes = gpd.read_parquet(COMMUNES)
    inner = communes.geometry.representative_point()
    return {i: (n, str(p or "").split("|")[0], round(pt.y, 5), round(pt.x, 5))
            for i, n, p, pt in zip(communes["insee"], communes["name"], communes["postcodes"],
                                   inner, strict=True)}


def _ariege_rows() -> list[dict]:
    """The Ariège rows, with the real list's faults (row comments say which)."""
    p = _points()

    def row(rid, name, insee, **over):
        commune, cp, lat, lon = p[insee]
        base = {"ID": rid, "NOM_TL": name, "ADRESSE": "Place de la Mairie", "CP": cp,
                "COMINIT": commune.upper(), "INSEECOM": insee, "NOMCOM": commune,
                "WEB": "", "TYPO": TYPOS[0], "LAT": lat, "LONG": lon, "CONTACT": "",
                "MAIL": "", "INSEEDEP": "09", "NOMREG": "Occitanie"}
        return base | over

    return [
        row("1001", "CapWork", "09332", ADRESSE="12 avenue de la Gare",
            MAIL="bonjour@capwork.exemple.org"),
        row("1002", "Cap Work", "09332", ADRESSE="12 av. de la Gare",
            WEB="www.capwork.exemple.org"),
        row("1003", "La Fabrique des Coteaux", "09225", TYPO=TYPOS[1], INSEECOM="9225", CP="9100",
            INSEEDEP="9"),  # leading zeros lost, département written 9
        row("1004", "Coworking du Plantaurel", "09324", INSEECOM="0", CP="0"),  # codes 0
        row("1005", "L'Atelier Mirapicien", "09194", CP="9500", TYPO="Tiers lieux mixte"),
        row("1006", "Espace partagé de Foix", "09122", INSEECOM="9122", NOMCOM="FOIX",
            ADRESSE="2 rue du Palais\nBâtiment B"),  # capitals, address on two lines
        row("1007", "Tiers-lieu de Lavelanet / Repair café d'Olmes", "09160", TYPO=TYPOS[2]),
        row("1008", "La Grange numérique", "09282", NOMCOM="SAVERDUN", COMINIT="SAVERDUN"),
        row("1009", "Coworking du Couserans", "09261"),  # outside the PETR (Couserans)
        row("1010", "Le Local de Tarascon", "09306", TYPO=TYPOS[3]),
    ]


def cget_rows(n: int = 1512, seed: int = 2019) -> list[dict]:
    rng = random.Random(seed)
    rows = _ariege_rows()
    words = ["La Cantine", "Le Hub", "L'Atelier", "La Ruche", "Le Spot", "La Fabrique",
             "Le Quai", "La Coopérative", "Le Comptoir", "La Base"]
    for k in range(n - len(rows)):
        insee, cp, town, lat, lon = rng.choice(ELSEWHERE)
        rows.append({"ID": str(2000 + k), "NOM_TL": f"{rng.choice(words)} {town} {k}",
                     "ADRESSE": f"{rng.randint(1, 99)} rue Exemple", "CP": cp,
                     "COMINIT": town.upper(), "INSEECOM": insee if k % 9 else "0",
                     "NOMCOM": town, "WEB": "", "TYPO": rng.choice(TYPOS),
                     "LAT": round(lat + rng.uniform(-0.02, 0.02), 5),
                     "LONG": round(lon + rng.uniform(-0.02, 0.02), 5), "CONTACT": "",
                     "MAIL": "", "INSEEDEP": insee[:2], "NOMREG": ""})
    return rows


def cget_2019(n: int = 1512, seed: int = 2019) -> bytes:
    """The CSV bytes (UTF-8, ``,``, quoted where needed)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, CGET_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(cget_rows(n, seed))
    return out.getvalue().encode("utf-8")


REGIONAL_HEADERS = ["Nom", "Adresse", "Code postal", "Ville", "Site internet", "Téléphone",
                    "Mail", "Description"]


def regional_rows() -> list[list[object]]:
    return [
        ["La Maison du Lien", "3 place du Foirail", 9500, "Mirepoix",
         "www.maisondulien.exemple.org", "05 61 00 00 01", "contact@maisondulien.exemple.org",
         "Café associatif et ateliers"],
        ["Le Tiers-lieu des Pyrénées", "1 rue Longue", "09400", "TARASCON SUR ARIEGE", "", "",
         "", "Coworking et fablab"],
        ["Atelier Partagé Varilhois", "Zone du Pont", 9120, "Varilhes", "", "", "",
         "Atelier bois et métal"],
        ["Ressourcerie d'Ailleurs", "5 rue Inconnue", 31000, "Toulouse", "", "", "",
         "Hors du territoire"],
    ]


def regional_workbook() -> bytes:
    """« Réseau des tiers-lieux d'Occitanie » as an analyst receives it (.xlsx)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Lieux"
    sheet.append(REGIONAL_HEADERS)
    for values in regional_rows():
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def mediation_records() -> list[dict]:
    return [
        {"id": "mednum-101", "nom": "Point numérique de Pamiers",
         "adresse": {"voie": "1 place du Mercadal", "code_postal": "09100",
                     "commune": "Pamiers", "code_insee": "09225"},
         "localisation": {"latitude": 43.11642, "longitude": 1.61062},
         "contact": {"telephone": "+33561000000", "courriel": "numerique@pamiers.exemple.org",
                     "site_web": "https://numerique.pamiers.exemple.org"},
         "typologie": "TIERS_LIEUX", "services": ["Accès internet et matériel informatique"],
         "date_maj": "2022-03-04", "source": "Exemple"},
        {"id": "mednum-102", "nom": "Espace France services de Foix",
         "adresse": {"voie": "Rue du Palais", "code_postal": "9000", "commune": "FOIX",
                     "code_insee": "0"},
         "typologie": "RFS", "services": ["Aide aux démarches administratives"],
         "date_maj": "2021-11-30", "source": "Exemple"},
    ]


def mediation_json(wrapped: bool = True) -> bytes:
    records = mediation_records()
    document = {"data": records} if wrapped else records
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def inventory(n: int = 3500, seed: int = 14) -> list[dict]:
    """``n`` places for ``store.places.insert_many``, in the territory's communes."""
    rng = random.Random(seed)
    communes = gpd.read_parquet(COMMUNES)
    inside = communes[communes["departement"] == "09"]
    points = inside.geometry.sample_points(size=max(1, n // len(inside) + 1), rng=seed)
    pool = [(i, p) for i, multi in zip(inside["insee"], points, strict=True)
            for p in getattr(multi, "geoms", [multi])]
    rng.shuffle(pool)
    return [{"name": f"Lieu de test {k}", "insee": insee, "lon": pt.x, "lat": pt.y,
             "location_approximate": False, "typology": "Coworking", "is_demo": False}
            for k, (insee, pt) in enumerate(pool[:n])]
