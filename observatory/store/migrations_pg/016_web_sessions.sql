-- PostgreSQL twin of migrations/016_web_sessions.sql (observatory.store.port_migration).
-- Analysts' sessions that survive a reload (issue 15 §1), and revocations by an administrator.
-- The browser's cookie carries a random id signed with the deployment's secret; only the id's
-- SHA-256 is kept here, so a copy of this table opens no session. Times are UTC.
CREATE TABLE web_sessions (
    session_key  VARCHAR PRIMARY KEY,  -- sha256 of the id the cookie carries
    user_name    VARCHAR NOT NULL,     -- account name, or the e-mail of a single sign-on identity
    source       VARCHAR NOT NULL CHECK (source IN ('local', 'sso')),
    fingerprint  VARCHAR NOT NULL,     -- digest of the account's role and password hash at login
    ticket_key   VARCHAR,              -- sha256 of the one-time ticket that sets the cookie
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ended_at     TIMESTAMP,            -- « Se déconnecter », or ended by an administrator
    client       VARCHAR NOT NULL DEFAULT ''
);
CREATE INDEX web_sessions_user ON web_sessions (user_name, ended_at);
-- `observatory user logout NAME`: every session of NAME opened before revoked_at ends, and a
-- single sign-on identity issued before it is no longer accepted.
CREATE TABLE session_revocations (
    user_name  VARCHAR PRIMARY KEY,
    revoked_at TIMESTAMP NOT NULL
);
