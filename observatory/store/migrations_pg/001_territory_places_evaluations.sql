-- PostgreSQL twin of migrations/001_territory_places_evaluations.sql (observatory.store.port_migration).
-- The territory (communes and EPCI), the places, the five criteria and the evaluations.
CREATE TABLE territory_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE epci (
    siren            VARCHAR PRIMARY KEY,
    name             VARCHAR NOT NULL,
    in_perimeter     BOOLEAN NOT NULL,
    in_excluded_zone BOOLEAN NOT NULL
);

CREATE TABLE communes (
    insee            VARCHAR PRIMARY KEY,
    name             VARCHAR NOT NULL,
    population       INTEGER NOT NULL,
    epci_siren       VARCHAR NOT NULL,
    departement      VARCHAR NOT NULL,
    in_perimeter     BOOLEAN NOT NULL,
    in_excluded_zone BOOLEAN NOT NULL,
    lon              DOUBLE PRECISION NOT NULL,   -- a point inside the commune (WGS84)
    lat              DOUBLE PRECISION NOT NULL,
    area_km2         DOUBLE PRECISION NOT NULL,
    geometry_wkb     BYTEA NOT NULL      -- WGS84 (EPSG:4326), simplified
);

CREATE SEQUENCE places_id_seq START 1;
CREATE TABLE places (
    id                   INTEGER PRIMARY KEY DEFAULT nextval('places_id_seq'),
    name                 VARCHAR NOT NULL,
    insee                VARCHAR NOT NULL,
    lon                  DOUBLE PRECISION NOT NULL,
    lat                  DOUBLE PRECISION NOT NULL,
    location_approximate BOOLEAN NOT NULL DEFAULT false,
    typology             VARCHAR NOT NULL,
    legal_status         VARCHAR,
    opening_year         INTEGER,
    transition_oriented  BOOLEAN,
    thematics            VARCHAR[] NOT NULL DEFAULT '{}',
    website              VARCHAR,
    contact              VARCHAR,   -- personal data: never exported without consent
    is_demo              BOOLEAN NOT NULL DEFAULT false,
    archived             BOOLEAN NOT NULL DEFAULT false,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at           TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE criteria (
    key         VARCHAR PRIMARY KEY,
    position    INTEGER NOT NULL,
    label       VARCHAR NOT NULL,
    description VARCHAR NOT NULL
);

CREATE SEQUENCE evaluations_id_seq START 1;
CREATE TABLE evaluations (
    id                    INTEGER PRIMARY KEY DEFAULT nextval('evaluations_id_seq'),
    place_id              INTEGER NOT NULL,
    evaluated_on          DATE NOT NULL,
    evaluator             VARCHAR,
    commons               DOUBLE PRECISION CHECK (commons BETWEEN 0 AND 4),
    innovative_response   DOUBLE PRECISION CHECK (innovative_response BETWEEN 0 AND 4),
    collective_dynamic    DOUBLE PRECISION CHECK (collective_dynamic BETWEEN 0 AND 4),
    territorial_anchoring DOUBLE PRECISION CHECK (territorial_anchoring BETWEEN 0 AND 4),
    shared_governance     DOUBLE PRECISION CHECK (shared_governance BETWEEN 0 AND 4),
    evidence              VARCHAR,
    created_at            TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX evaluations_place ON evaluations (place_id, evaluated_on);
