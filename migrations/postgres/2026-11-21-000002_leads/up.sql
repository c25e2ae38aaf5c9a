CREATE TABLE products (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    variables TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE leads (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    full_name TEXT,
    biography TEXT,
    followers BIGINT,
    following BIGINT,
    posts BIGINT,
    is_business BOOLEAN NOT NULL DEFAULT FALSE,
    business_category TEXT,
    email TEXT,
    phone TEXT,
    website TEXT,
    source_hashtag TEXT,
    product_id TEXT REFERENCES products(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'enriched', 'qualified', 'email_drafted', 'contacted', 'replied', 'bounced', 'not_interested', 'do_not_contact')),
    tags TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    email_subject TEXT,
    email_body TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    enriched_at TIMESTAMP,
    contacted_at TIMESTAMP,
    deleted_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (owner_id, username)
);
CREATE INDEX leads_owner_created ON leads(owner_id, created_at, id);
CREATE INDEX leads_owner_followers ON leads(owner_id, followers, id);
CREATE INDEX leads_owner_updated ON leads(owner_id, updated_at, id);
CREATE INDEX leads_owner_status ON leads(owner_id, status);

-- Full-text search over username, full name, biography and email ('simple' config: no stemming, any language;
-- punctuation inside names and emails becomes spaces so their parts are words, as in SQLite's unicode61).
CREATE INDEX leads_fts ON leads USING GIN (to_tsvector('simple', translate(coalesce(username, '') || ' ' || coalesce(full_name, '') || ' ' || coalesce(biography, '') || ' ' || coalesce(email, ''), '@._-/:+', '       ')));

CREATE TABLE lead_edits (
    id TEXT PRIMARY KEY NOT NULL,
    lead_id TEXT NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL,
    actor_id TEXT,
    batch_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    changes TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    undone_at TIMESTAMP
);
CREATE INDEX lead_edits_lead ON lead_edits(lead_id, at);
CREATE INDEX lead_edits_owner_batch ON lead_edits(owner_id, batch_id);

CREATE TABLE system_prompts (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    product_id TEXT REFERENCES products(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    current_version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX system_prompts_owner ON system_prompts(owner_id);

CREATE TABLE system_prompt_versions (
    id TEXT PRIMARY KEY NOT NULL,
    prompt_id TEXT NOT NULL REFERENCES system_prompts(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT,
    UNIQUE (prompt_id, version)
);

CREATE TABLE hashtag_pairs (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hashtag TEXT NOT NULL,
    username TEXT NOT NULL,
    found_at TIMESTAMP NOT NULL,
    UNIQUE (owner_id, hashtag, username)
);
CREATE INDEX hashtag_pairs_owner_username ON hashtag_pairs(owner_id, username);

CREATE TABLE do_not_contact (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('username', 'email')),
    value TEXT NOT NULL,
    reason TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (owner_id, kind, value)
);

CREATE TABLE saved_views (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (owner_id, name)
);
