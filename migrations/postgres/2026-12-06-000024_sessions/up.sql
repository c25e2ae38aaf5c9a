-- Processing sessions (the lead pipeline): one row per run of crawl → enrich → contacts → dedupe → drafts, with the
-- form's choices (JSON text), its counts and cost so far, and the pause before the next batch (pause_until). status:
-- queued, running, cancelling, cancelled, done, failed. At most one active (queued/running/cancelling) per owner.
CREATE TABLE processing_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'cancelling', 'cancelled', 'done', 'failed')),
    hashtags TEXT NOT NULL,
    stages TEXT NOT NULL,
    product_id TEXT REFERENCES products(id) ON DELETE SET NULL,
    options TEXT NOT NULL,
    lead_ids TEXT,
    current_stage TEXT,
    counts TEXT NOT NULL,
    cost_micro_usd BIGINT NOT NULL DEFAULT 0,
    batches BIGINT NOT NULL DEFAULT 0,
    pause_until TIMESTAMP,
    pause_seconds BIGINT,
    related_hashtags TEXT NOT NULL,
    summary TEXT,
    last_error TEXT,
    job_id TEXT,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX processing_sessions_owner ON processing_sessions(owner_id, created_at);
-- One heavy operation per user: a second active session is refused by the database too.
CREATE UNIQUE INDEX processing_sessions_active ON processing_sessions(owner_id)
    WHERE status IN ('queued', 'running', 'cancelling');

-- The items of a session's stages (a hashtag, a username, a lead): done items are skipped when the stage runs again.
-- seq keeps the order they were found in; outcome says what became of it (added, updated, merged, dropped_dnc,
-- dropped_filter, found, drafted, …: the session's counts are counted from it); lead_id is the lead it made or
-- worked on; result is JSON text.
CREATE TABLE session_items (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES processing_sessions(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    key TEXT NOT NULL,
    seq BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    outcome TEXT,
    lead_id TEXT,
    result TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX session_items_key ON session_items(session_id, stage, key);
CREATE INDEX session_items_next ON session_items(session_id, stage, status, seq);
CREATE INDEX session_items_lead ON session_items(session_id, lead_id);

-- What a session did, for its log.
CREATE TABLE session_log (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES processing_sessions(id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    level TEXT NOT NULL,
    stage TEXT,
    message TEXT NOT NULL
);
CREATE INDEX session_log_session ON session_log(session_id, at);

-- The pages a contact search found a lead's contact data on: JSON text `[{"url","title"}]`.
ALTER TABLE leads ADD COLUMN contact_sources TEXT;
