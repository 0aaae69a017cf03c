-- PostgreSQL twin of migrations/007_login_attempts.sql (observatory.store.port_migration).
-- Login attempts in protected mode: the brute-force brake and the administrator's record.
-- Kept here rather than in a Streamlit cache, which any browser can ask the server to clear.
CREATE SEQUENCE login_attempts_id_seq START 1;
CREATE TABLE login_attempts (
    id           INTEGER PRIMARY KEY DEFAULT nextval('login_attempts_id_seq'),
    attempted_at TIMESTAMP NOT NULL,  -- UTC
    name         VARCHAR NOT NULL,    -- as typed (cut to 64 characters), known account or not
    client       VARCHAR NOT NULL,    -- client address as the server saw it, '' when unknown
    outcome      VARCHAR NOT NULL CHECK (outcome IN ('failed', 'locked', 'succeeded'))
);
CREATE INDEX login_attempts_name ON login_attempts (name, attempted_at);
