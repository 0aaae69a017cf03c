-- PostgreSQL twin of migrations/010_commune_postcodes.sql (observatory.store.port_migration).
-- The communes' postcodes (La Poste, via @etalab/decoupage-administratif), '|'-separated
-- (« 09100|09120 »): an import may name a commune by its postcode. Empty for a referential
-- built before the column existed, until it is reloaded.
ALTER TABLE communes ADD COLUMN postcodes VARCHAR DEFAULT '';
