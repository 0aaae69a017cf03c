-- PostgreSQL twin of migrations/006_audit.sql (observatory.store.port_migration).
-- Who changed what, when: old and new values of places, evaluations, consortia, equipment.
CREATE SEQUENCE audit_log_id_seq START 1;
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY DEFAULT nextval('audit_log_id_seq'),
    changed_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor      VARCHAR NOT NULL,
    entity     VARCHAR NOT NULL,   -- place, evaluation, consortium, equipment
    entity_id  INTEGER NOT NULL,
    action     VARCHAR NOT NULL,   -- create, update, archive, restore, import
    old_values VARCHAR,            -- JSONB, NULL on creation
    new_values VARCHAR             -- JSONB, NULL on deletion
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
