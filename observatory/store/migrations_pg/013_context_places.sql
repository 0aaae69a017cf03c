-- PostgreSQL twin of migrations/013_context_places.sql (observatory.store.port_migration).
-- The places of national programmes on the territory (issue 14): France services, Fabriques
-- de territoire, Manufactures de proximité. Context only: they are not lieux de lien social,
-- never scored, never in the inventory. Replaced as a whole when the territory is loaded,
-- from data/territory/programme_places.csv (observatory.territory.programmes).
CREATE TABLE context_places (
    id          INTEGER NOT NULL PRIMARY KEY, -- 1, 2, 3… in (programme, source_id) order
    programme   VARCHAR NOT NULL,  -- france_services, fabrique, manufacture
    source_id   VARCHAR NOT NULL,  -- the record's id in its source (id_fs, id_territoire)
    name        VARCHAR NOT NULL,
    insee       VARCHAR NOT NULL,
    lon         DOUBLE PRECISION,
    lat         DOUBLE PRECISION,
    format      VARCHAR,           -- France services: fixe, bus, itinerante, multisites, antenne
    address     VARCHAR,
    postcode    VARCHAR,
    position    VARCHAR NOT NULL,  -- source (the file's coordinates) or commune (its centre)
    vintage     VARCHAR,           -- the source's own date (2024-08-01, 2024-09)
    UNIQUE (programme, source_id)
);
