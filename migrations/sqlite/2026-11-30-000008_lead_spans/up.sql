-- A batch that creates many leads at once (an import) records them in the history as spans of consecutive lead
-- numbers (leads.seq) of one owner instead of one history row per lead: a million-row import wrote a million
-- history rows (more bytes than the leads themselves) and undoing it replayed them one by one. Undo and redo treat
-- a span like the per-lead "create" rows it replaces, and a lead's history shows the span it falls in.
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
