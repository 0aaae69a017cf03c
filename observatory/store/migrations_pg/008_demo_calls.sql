-- PostgreSQL twin of migrations/008_demo_calls.sql (observatory.store.port_migration).
-- Demonstration calls for projects are flagged like demonstration places, consortia and
-- equipment, so that replacing the demonstration data removes them too. (Nullable with a
-- default, as consortia.is_demo: DuckDB adds no column with a constraint; read it with
-- coalesce.)
ALTER TABLE calls ADD COLUMN is_demo BOOLEAN DEFAULT false;

-- Backfill, conservatively: a call is a demonstration call only if the demonstration loader
-- wrote it (its fixed note), no application outside the demonstration consortia refers to it,
-- and nobody but the loader ever saved it (the audit trail: a person who set a budget or dates
-- made it a real call, whatever its note says).
UPDATE calls SET is_demo = true
WHERE notes = 'Appel à projets de démonstration'
  AND NOT EXISTS (
      SELECT 1 FROM applications a
      WHERE a.call_year = calls.year
        AND a.consortium_id NOT IN (SELECT id FROM consortia WHERE coalesce(is_demo, false)))
  AND NOT EXISTS (
      SELECT 1 FROM audit_log l
      WHERE l.entity = 'call' AND l.entity_id = calls.year
        AND l.actor <> 'données de démonstration');
