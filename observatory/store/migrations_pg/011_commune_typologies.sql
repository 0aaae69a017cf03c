-- PostgreSQL twin of migrations/011_commune_typologies.sql (observatory.store.port_migration).
-- The communes' typologies (Observatoire des territoires: mountain zone and massif, INSEE
-- density grid, rurality, centrality level), from data/territory/typologies.csv. NULL for a
-- territory loaded without that file (or before the columns existed, until it is reloaded).
ALTER TABLE communes ADD COLUMN mountain BOOLEAN;
ALTER TABLE communes ADD COLUMN massif VARCHAR;
ALTER TABLE communes ADD COLUMN density VARCHAR;
ALTER TABLE communes ADD COLUMN rurality VARCHAR;
ALTER TABLE communes ADD COLUMN centrality VARCHAR;
