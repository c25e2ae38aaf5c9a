-- Imports record the leads they create as spans of consecutive lead numbers (see the SQLite migration of the
-- same name).
CREATE TABLE lead_spans (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    owner_key BIGINT NOT NULL,
    actor_id TEXT,
    batch_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('create')),
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    at TIMESTAMP NOT NULL,
    undone_at TIMESTAMP
);
CREATE INDEX lead_spans_owner_batch ON lead_spans(owner_id, batch_id);
CREATE INDEX lead_spans_owner_seq ON lead_spans(owner_key, first_seq);
