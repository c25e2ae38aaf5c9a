-- Provider credentials and options: global ones set by admins (user_id NULL), and a user's own overrides of the AI
-- keys. The row id is "<scope>:<provider>.<field>" (scope "global" or the user's id), so one row per setting; secret
-- values live only in value_enc (key ring, bound to this table, column and row id), plain ones (models, app and
-- client ids, the sidecar URL) in value. hint is what the API shows of a secret ("••••1234").
CREATE TABLE provider_settings (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    field TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    value TEXT,
    value_enc BLOB,
    hint TEXT,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX provider_settings_user ON provider_settings (user_id);

-- Every call to an outside service: what it did, for whom, how it ended, how long it took and what it cost
-- (units: tokens, Apify runs, e-mails, as unit says).
CREATE TABLE provider_calls (
    id TEXT PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    provider TEXT NOT NULL,
    operation TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    units BIGINT NOT NULL,
    unit TEXT
);
CREATE INDEX provider_calls_user_at ON provider_calls (user_id, at);
CREATE INDEX provider_calls_provider_at ON provider_calls (provider, at);
