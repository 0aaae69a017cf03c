-- PostgreSQL twin of migrations/015_duplicates.sql (observatory.store.port_migration).
-- Probable duplicates (issue 14, section 3): the pairs an analyst declared « pas un doublon »,
-- never proposed again. A pair is stored once, its smaller place id first. Merges need no
-- table: a merge is one audit row (action 'merge') holding the removed place and what moved.
CREATE TABLE duplicate_decisions (
    place_a    INTEGER NOT NULL,
    place_b    INTEGER NOT NULL,
    decision   VARCHAR NOT NULL DEFAULT 'not_duplicate' CHECK (decision IN ('not_duplicate')),
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (place_a, place_b),
    CHECK (place_a < place_b)
);
