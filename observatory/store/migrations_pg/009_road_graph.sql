-- PostgreSQL twin of migrations/009_road_graph.sql (observatory.store.port_migration).
-- The drivable road graph built from an OpenStreetMap extract (`observatory routing build`):
-- contracted nodes (their position is their id, 0..n-1), directed edges with travel time and
-- road length, and one row saying from which extract, when, and under which licence (ODbL).
-- Replaced whole, in one transaction, by each build.
CREATE TABLE road_nodes (
    id  INTEGER NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL
);
CREATE TABLE road_edges (
    from_node INTEGER NOT NULL,
    to_node   INTEGER NOT NULL,
    minutes   DOUBLE PRECISION NOT NULL CHECK (minutes >= 0),
    km        DOUBLE PRECISION NOT NULL CHECK (km >= 0)
);
CREATE TABLE road_graph (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    source_file         VARCHAR NOT NULL,
    extract_date        TIMESTAMP,          -- UTC; NULL when the file says nothing
    extract_date_source VARCHAR,            -- 'header' (replication timestamp) or 'newest_way'
    built_at            TIMESTAMP NOT NULL, -- UTC
    built_by            VARCHAR NOT NULL,
    profile             VARCHAR NOT NULL,
    raw_nodes           BIGINT NOT NULL,    -- distinct nodes of the drivable ways read
    ways                BIGINT NOT NULL,
    nodes               BIGINT NOT NULL,    -- after contraction
    edges               BIGINT NOT NULL,
    attribution         VARCHAR NOT NULL
);
