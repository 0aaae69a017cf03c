"""A bundle: the whole observatory at one moment, as plain tables.

The live database and a frozen snapshot both become a Bundle; exports and comparisons
take bundles, so they never depend on where the data came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from observatory.auth import User, require
from observatory.maturity import MaturityRule

# Tables every bundle carries (empty frames when a feature has no data yet).
TABLES = ("places", "evaluations", "criteria", "maturity_rules", "epci", "communes",
          "consortia", "consortium_members", "equipment")
# Columns holding personal data: left out of exports unless the analyst includes them.
# Names of people: contacts, evaluators, and the analyst who adopted a maturity rule.
# The ``meta`` key naming the distance provider that produced the bundle's figures (its
# ``label``); absent from snapshots taken before it existed, whose figures came from the estimate.
DISTANCE_METHOD = "distance_method"
# The ``meta`` keys of a filtered view (absent for the whole observatory and for snapshots):
# the filters in force in French (``observatory.filters.describe``, one item a line) and the
# SIREN codes of the EPCI an EPCI filter keeps (comma-separated), the perimeter of the ratios.
FILTERS = "view_filters"
VIEW_EPCI = "view_epci"
# Who a report is established by in demonstration mode (every visitor is the same « démo »).
DEMO_AUTHOR = "mode démonstration"
PERSONAL_COLUMNS = {"places": ("contact", "last_evaluator"), "evaluations": ("evaluator",),
                    "maturity_rules": ("set_by",)}


@dataclass
class Bundle:
    """Every table of the observatory at one moment, with its label, rule and indicators."""

    label: str
    created_at: dt.datetime
    created_by: str
    territory_name: str
    schema_version: int
    rule: MaturityRule
    tables: dict[str, pd.DataFrame]
    communes_geometry: gpd.GeoDataFrame  # insee + geometry, WGS84
    indicators: dict = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)  # territory metadata + DISTANCE_METHOD,
    # FILTERS and VIEW_EPCI for a filtered view

    @property
    def distance_method(self) -> str | None:
        """The label of the distance provider of the figures; None for an older snapshot."""
        return self.meta.get(DISTANCE_METHOD)

    @property
    def filters(self) -> tuple[str, ...]:
        """The filters of the view, in French (empty: the whole observatory)."""
        return tuple(line for line in str(self.meta.get(FILTERS) or "").split("\n")
                     if line.strip())

    @property
    def is_filtered(self) -> bool:
        return bool(self.filters)

    @property
    def view_epci(self) -> tuple[str, ...]:
        """SIREN codes of the EPCI an EPCI filter keeps; empty: the whole perimeter."""
        return tuple(code.strip() for code in str(self.meta.get(VIEW_EPCI) or "").split(",")
                     if code.strip())

    @property
    def places(self) -> pd.DataFrame:
        """Current places with their latest scores and the ``mature`` flag."""
        return self.tables["places"]

    @property
    def is_demo(self) -> bool:
        places = self.places
        return bool(len(places) and places["is_demo"].any())

    def communes(self) -> gpd.GeoDataFrame:
        """Communes with attributes and geometry."""
        return gpd.GeoDataFrame(
            self.tables["communes"].merge(self.communes_geometry, on="insee", how="left"),
            geometry="geometry", crs="EPSG:4326")

    def for_export(self, user: User, include_contacts: bool = False) -> Bundle:
        """What ``user`` may take away: the personal columns only with ``include_contacts`` and
        the ``export_contacts`` permission (else PermissionDenied), never by default."""
        require(user, "export_public")
        if include_contacts:
            require(user, "export_contacts")
            return self
        return self.without_personal_data()

    def without_personal_data(self) -> Bundle:
        """A copy with the personal columns removed (the default for every export)."""
        tables = {name: frame.drop(columns=list(PERSONAL_COLUMNS.get(name, ())), errors="ignore")
                  for name, frame in self.tables.items()}
        return Bundle(self.label, self.created_at, self.created_by, self.territory_name,
                      self.schema_version, self.rule, tables, self.communes_geometry,
                      dict(self.indicators), dict(self.meta))
