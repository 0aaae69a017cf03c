"""Turn the derived referential file into the territory of a configuration."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from observatory.territory import typologies
from observatory.territory.config import TerritoryConfig, TerritoryConfigError

REQUIRED = ("insee", "name", "population", "epci_siren", "epci_name", "departement", "geometry")
LAMBERT_93 = "EPSG:2154"


def read_referential(config: TerritoryConfig) -> gpd.GeoDataFrame:
    if not config.referential.exists():
        raise TerritoryConfigError(
            f"Référentiel des communes introuvable : {config.referential}. "
            "Générez-le avec « python -m observatory.territory.build »."
        )
    gdf = gpd.read_parquet(config.referential)
    missing = [c for c in REQUIRED if c not in gdf.columns]
    if missing:
        raise TerritoryConfigError(
            f"Le référentiel {config.referential} n'a pas les colonnes : {', '.join(missing)}."
        )
    return gdf.to_crs("EPSG:4326")


def prepare(raw: gpd.GeoDataFrame,
            config: TerritoryConfig) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Communes of the configured départements flagged for perimeter and excluded zone,
    with an inner point and area; and the EPCI table."""
    communes = raw[raw["departement"].isin(config.departements)].copy()
    if communes.empty:
        raise TerritoryConfigError(
            "Aucune commune pour les départements " + ", ".join(config.departements)
            + " dans le référentiel."
        )
    known_epci = set(communes["epci_siren"])
    for siren in (*config.perimeter_epci, *config.excluded_zone_epci):
        if siren not in known_epci:
            raise TerritoryConfigError(
                f"L'EPCI {siren} de la configuration n'existe pas dans les départements chargés."
            )
    if config.perimeter_epci:
        communes["in_perimeter"] = communes["epci_siren"].isin(config.perimeter_epci)
    else:
        communes["in_perimeter"] = True
    communes["in_excluded_zone"] = communes["epci_siren"].isin(config.excluded_zone_epci)
    inner = communes.geometry.representative_point()
    communes["lon"] = inner.x
    communes["lat"] = inner.y
    communes["area_km2"] = communes.geometry.to_crs(LAMBERT_93).area / 1e6
    communes["population"] = communes["population"].fillna(0).astype("int64")
    # Postcodes ('|'-separated); a referential built before they were derived has none.
    if "postcodes" not in communes:
        communes["postcodes"] = ""
    communes["postcodes"] = communes["postcodes"].fillna("").astype(str)
    communes = attach_typologies(communes, config)
    # A few island communes belong to no EPCI (Sein, Ouessant, Bréhat, Yeu): a group of their own.
    lonely = communes["epci_siren"].isna() | (communes["epci_siren"].astype(str).str.strip() == "")
    communes.loc[lonely, "epci_siren"] = "COM" + communes.loc[lonely, "insee"]
    communes.loc[lonely, "epci_name"] = "Commune sans intercommunalité (" + communes.loc[
        lonely, "name"] + ")"
    communes = communes.sort_values("insee").reset_index(drop=True)

    epci = (
        communes.groupby(["epci_siren", "epci_name"], as_index=False)
        .agg(in_perimeter=("in_perimeter", "any"), in_excluded_zone=("in_excluded_zone", "any"))
        .rename(columns={"epci_siren": "siren", "epci_name": "name"})
    )
    return communes, epci


def attach_typologies(communes: gpd.GeoDataFrame, config: TerritoryConfig) -> gpd.GeoDataFrame:
    """The communes with their typologies (``typologies.COLUMNS``) joined on the INSEE code.

    Without a typologies file the columns are empty (None): the pages then say the territory
    has none. A commune missing from the file is outside the mountain zone, with empty levels,
    as in the grids themselves."""
    columns = [c for c in typologies.COLUMNS if c != "insee"]
    communes = communes.drop(columns=[c for c in columns if c in communes.columns])
    if config.typologies is None:
        return communes.assign(**{c: None for c in columns})
    if not config.typologies.exists():
        raise TerritoryConfigError(
            f"Fichier des typologies de communes introuvable : {config.typologies}. "
            "Générez-le avec « python -m observatory.territory.typologies » ou retirez la "
            "ligne « typologies » du fichier de territoire.")
    table = typologies.read_csv(config.typologies)
    out = communes.merge(table, on="insee", how="left")
    out["mountain"] = out["mountain"].fillna(False).astype(bool)
    for column in ("massif", "density", "rurality", "centrality"):
        out[column] = out[column].fillna("")
    return out


def perimeter(communes: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The perimeter as one geometry (union of its communes)."""
    inside = communes[communes["in_perimeter"]]
    return gpd.GeoSeries([inside.geometry.union_all()], crs=communes.crs)


def epci_outlines(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One (multi)polygon per EPCI, for outlines on the map."""
    return communes.dissolve(
        by=["epci_siren", "epci_name"], aggfunc={"in_perimeter": "any", "in_excluded_zone": "any",
                                                "population": "sum"}
    ).reset_index()


def summary(communes: gpd.GeoDataFrame, epci: pd.DataFrame, meta: dict[str, str]) -> dict:
    """The territory in figures (used by `observatory territory --json`)."""
    inside = communes[communes["in_perimeter"]]
    zone = communes[communes["in_excluded_zone"]]
    counts = communes.groupby("epci_siren").agg(communes=("insee", "count"),
                                                population=("population", "sum"))
    return {
        "name": meta.get("name", ""),
        "departements": meta.get("departements", "").split(",") if meta.get("departements") else [],
        "communes_total": int(len(communes)),
        "population_total": int(communes["population"].sum()),
        "population_vintage": meta.get("population_vintage", ""),
        "epci": [
            {
                "siren": row.siren,
                "name": row.name,
                "in_perimeter": bool(row.in_perimeter),
                "in_excluded_zone": bool(row.in_excluded_zone),
                "communes": int(counts.loc[row.siren, "communes"]),
                "population": int(counts.loc[row.siren, "population"]),
            }
            for row in epci.itertuples(index=False)
        ],
        "perimeter": {
            "communes": int(len(inside)),
            "population": int(inside["population"].sum()),
            "area_km2": round(float(inside["area_km2"].sum()), 1),
            "insee": inside["insee"].tolist(),
        },
        "excluded_zone": {
            "label": meta.get("excluded_zone_label", ""),
            "communes": int(len(zone)),
            "population": int(zone["population"].sum()),
            "insee": zone["insee"].tolist(),
        },
    }
