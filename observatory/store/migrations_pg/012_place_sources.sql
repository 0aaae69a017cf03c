-- PostgreSQL twin of migrations/012_place_sources.sql (observatory.store.port_migration).
-- Where each place comes from (issue 14): the records that describe it in each source, and
-- which source gave each of its fields. A national list re-imported in a newer vintage finds
-- its places again through (source, record_id).
CREATE TABLE place_sources (
    place_id    INTEGER NOT NULL,
    source      VARCHAR NOT NULL,  -- family key: france_services, mediation_numerique,
                                   -- cget_2019, regional_list, spreadsheet, manual
    record_id   VARCHAR NOT NULL,  -- the record's id in that source (a stable key built from
                                   -- name and commune when the source has none)
    file_name   VARCHAR,
    publisher   VARCHAR,
    vintage     VARCHAR,           -- the source's own date, as it states it (YYYY-MM-DD, YYYY)
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (source, record_id)
);
CREATE INDEX place_sources_place ON place_sources (place_id);

CREATE TABLE field_provenance (
    place_id   INTEGER NOT NULL,
    field      VARCHAR NOT NULL,   -- name, coordinates, typology, website, address...
    source     VARCHAR NOT NULL,
    record_id  VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (place_id, field)
);
