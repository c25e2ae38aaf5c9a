CREATE TABLE imports (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('uploaded', 'running', 'done', 'failed', 'interrupted')),
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
    finished_at TIMESTAMP
);
CREATE INDEX imports_owner ON imports(owner_id, created_at);
CREATE INDEX leads_owner_email ON leads(owner_id, email);
