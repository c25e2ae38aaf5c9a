-- A user (or an admin, through the import's job) can cancel an import: it stops at its next commit, keeps the rows
-- already written, and its file is removed. SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE imports_new (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('uploaded', 'running', 'done', 'failed', 'interrupted', 'cancelled')),
    size_bytes BIGINT NOT NULL,
    total_rows BIGINT NOT NULL,
    processed BIGINT NOT NULL DEFAULT 0,
    inserted BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    options TEXT,
    errors TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    file_removed_at TIMESTAMP,
    skips TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO imports_new (id, owner_id, filename, status, size_bytes, total_rows, processed, inserted, updated, skipped,
    failed, options, errors, created_at, started_at, finished_at, file_removed_at, skips)
SELECT id, owner_id, filename, status, size_bytes, total_rows, processed, inserted, updated, skipped,
    failed, options, errors, created_at, started_at, finished_at, file_removed_at, skips FROM imports;
-- Dropping imports deletes its import_chunks rows (ON DELETE CASCADE, foreign keys are on): kept aside meanwhile.
CREATE TEMP TABLE import_chunks_kept AS SELECT import_id, first_row, last_row FROM import_chunks;
DROP TABLE imports;
ALTER TABLE imports_new RENAME TO imports;
INSERT INTO import_chunks (import_id, first_row, last_row) SELECT import_id, first_row, last_row FROM import_chunks_kept;
DROP TABLE import_chunks_kept;
CREATE INDEX imports_owner ON imports(owner_id, created_at);
