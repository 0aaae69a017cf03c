-- PostgreSQL twin of migrations/005_equipment_calls.sql (observatory.store.port_migration).
-- Shared and itinerant equipment, their stays at places, the annual calls and applications.
CREATE SEQUENCE equipment_id_seq START 1;
CREATE TABLE equipment (
    id             INTEGER PRIMARY KEY DEFAULT nextval('equipment_id_seq'),
    name           VARCHAR NOT NULL,
    category       VARCHAR NOT NULL,
    owner_place_id INTEGER NOT NULL,
    consortium_id  INTEGER,            -- when funded through a consortium
    call_year      INTEGER,            -- the call that funded it
    amount_funded  DOUBLE PRECISION CHECK (amount_funded >= 0),
    purchase_value DOUBLE PRECISION CHECK (purchase_value >= 0),
    condition      VARCHAR NOT NULL DEFAULT 'good',
    mutualised     BOOLEAN NOT NULL DEFAULT false,
    itinerant      BOOLEAN NOT NULL DEFAULT false,
    notes          VARCHAR,
    is_demo        BOOLEAN NOT NULL DEFAULT false,
    archived       BOOLEAN NOT NULL DEFAULT false,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at     TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE SEQUENCE equipment_stays_id_seq START 1;
CREATE TABLE equipment_stays (
    id           INTEGER PRIMARY KEY DEFAULT nextval('equipment_stays_id_seq'),
    equipment_id INTEGER NOT NULL,
    place_id     INTEGER NOT NULL,
    start_date   DATE NOT NULL,
    end_date     DATE NOT NULL,
    note         VARCHAR,
    created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    CHECK (end_date >= start_date)
);

CREATE TABLE calls (
    year      INTEGER PRIMARY KEY,
    budget    DOUBLE PRECISION CHECK (budget >= 0),
    opens_on  DATE,
    closes_on DATE,
    notes     VARCHAR
);

CREATE SEQUENCE applications_id_seq START 1;
CREATE TABLE applications (
    id                INTEGER PRIMARY KEY DEFAULT nextval('applications_id_seq'),
    call_year         INTEGER NOT NULL,
    consortium_id     INTEGER NOT NULL,
    amount_requested  DOUBLE PRECISION CHECK (amount_requested >= 0),
    amount_granted    DOUBLE PRECISION CHECK (amount_granted >= 0),
    equipment_planned VARCHAR,
    status            VARCHAR NOT NULL CHECK (status IN ('draft', 'submitted', 'funded', 'refused')),
    created_at        TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at        TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Demonstration consortia are flagged like demonstration places.
ALTER TABLE consortia ADD COLUMN is_demo BOOLEAN DEFAULT false;
