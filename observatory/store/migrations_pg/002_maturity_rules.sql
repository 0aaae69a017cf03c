-- PostgreSQL twin of migrations/002_maturity_rules.sql (observatory.store.port_migration).
-- The maturity rule's parameters, with their history: the rule in force is the latest row.
CREATE SEQUENCE maturity_rules_id_seq START 1;
CREATE TABLE maturity_rules (
    id       INTEGER PRIMARY KEY DEFAULT nextval('maturity_rules_id_seq'),
    min_mean DOUBLE PRECISION NOT NULL CHECK (min_mean BETWEEN 0 AND 4),
    min_each DOUBLE PRECISION NOT NULL CHECK (min_each BETWEEN 0 AND 4),
    set_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    set_by   VARCHAR NOT NULL
);
INSERT INTO maturity_rules (min_mean, min_each, set_by) VALUES (3.0, 2.0, 'règle par défaut');
