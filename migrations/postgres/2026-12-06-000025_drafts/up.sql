-- E-mail drafts written by OpenAI for one lead and one product, waiting for review: one current draft per owner,
-- lead and product (writing it again replaces subject and body). session_id names the processing session that
-- wrote it (no foreign key: sessions live in their own migration; null for drafts written outside a session).
-- prompt_id/prompt_version: the system prompt version rendered (null when the built-in default prompt was used).
-- status: pending, approved, rejected, or sent (set by sending). instruction: the last regeneration's wish.
-- Token usage and cost are of the last generation.
CREATE TABLE drafts (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    lead_id TEXT NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    session_id TEXT,
    prompt_id TEXT,
    prompt_version INTEGER,
    model TEXT NOT NULL,
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    instruction TEXT,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX drafts_owner_lead_product ON drafts (owner_id, lead_id, product_id);
CREATE INDEX drafts_owner_status ON drafts (owner_id, status, created_at);
CREATE INDEX drafts_owner_session ON drafts (owner_id, session_id);
CREATE INDEX drafts_lead ON drafts (lead_id);
CREATE INDEX drafts_product ON drafts (product_id);
