-- PostgreSQL twin of migrations/004_snapshots.sql (observatory.store.port_migration).
-- Snapshots: the whole observatory frozen at a moment. Each table is kept as Parquet bytes
-- (self-describing), so an old snapshot reads back identically whatever the live schema
-- becomes. There is no update path: a snapshot can only be created, read or deleted.
CREATE SEQUENCE snapshots_id_seq START 1;
CREATE TABLE snapshots (
    id             INTEGER PRIMARY KEY DEFAULT nextval('snapshots_id_seq'),
    label          VARCHAR NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    created_by     VARCHAR NOT NULL,
    schema_version INTEGER NOT NULL,   -- of the live schema the snapshot was taken from
    checksum       VARCHAR NOT NULL,   -- sha256 of the content, checked on every read
    meta           VARCHAR NOT NULL    -- JSONB: rule, indicators, territory, counts
);

CREATE TABLE snapshot_tables (
    snapshot_id INTEGER NOT NULL,
    name        VARCHAR NOT NULL,
    parquet     BYTEA NOT NULL
);
