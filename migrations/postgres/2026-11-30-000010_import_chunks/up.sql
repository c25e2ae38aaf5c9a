-- The file rows each committed part of an import covers (written in the same transaction as the part's leads).
-- Imports on PostgreSQL write with two connections at once, so parts can commit out of order: a resumed import
-- skips exactly the rows these ranges cover. (Imports that ended before this recorded only a count of rows,
-- always a prefix of the file.)
CREATE TABLE import_chunks (
    import_id TEXT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    first_row BIGINT NOT NULL,
    last_row BIGINT NOT NULL,
    PRIMARY KEY (import_id, first_row)
);
