-- PostgreSQL twin of migrations/003_consortia.sql (observatory.store.port_migration).
-- Consortia (groups of places answering the annual call), their members and their history.
CREATE SEQUENCE consortia_id_seq START 1;
CREATE TABLE consortia (
    id                INTEGER PRIMARY KEY DEFAULT nextval('consortia_id_seq'),
    name              VARCHAR NOT NULL,
    lead_place_id     INTEGER NOT NULL,
    location_place_id INTEGER,          -- the member place where the project is located
    call_year         INTEGER NOT NULL,
    status            VARCHAR NOT NULL CHECK (status IN ('idea', 'submitted', 'funded', 'refused')),
    description       VARCHAR,
    archived          BOOLEAN NOT NULL DEFAULT false,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at        TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- No key constraint: members are replaced as a set inside a transaction.
CREATE TABLE consortium_members (
    consortium_id INTEGER NOT NULL,
    place_id      INTEGER NOT NULL
);

CREATE SEQUENCE consortium_history_id_seq START 1;
CREATE TABLE consortium_history (
    id            INTEGER PRIMARY KEY DEFAULT nextval('consortium_history_id_seq'),
    consortium_id INTEGER NOT NULL,
    changed_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    changed_by    VARCHAR NOT NULL,
    action        VARCHAR NOT NULL,   -- created, updated, archived
    state         VARCHAR NOT NULL    -- JSONB of the consortium after the change
);
