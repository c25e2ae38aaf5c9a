-- Instagram accounts: one row per Instagram account, however many leadgen users work on it. ig_user_id is the
-- professional-account id of the official link (Instagram Login), ig_pk the private-API id of a credential session;
-- either may be missing until that kind of link exists. Every secret sits in a *_enc column (key ring, bound to this
-- table, the column and the row id): the long-lived token, the Instagram password, the TOTP seed, the session id,
-- the sidecar's device settings and the proxy URL (it may hold a password; proxy_display shows it without).
-- session_status: none, pending (a login waits for a 2FA code or a challenge), valid, invalid.
CREATE TABLE ig_accounts (
    id TEXT PRIMARY KEY,
    ig_user_id TEXT UNIQUE,
    ig_pk TEXT UNIQUE,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    full_name TEXT,
    profile_picture_url TEXT,
    biography TEXT,
    followers_count BIGINT,
    follows_count BIGINT,
    media_count BIGINT,
    account_type TEXT,
    last_synced_at TIMESTAMP,
    token_enc BYTEA,
    token_scopes TEXT,
    token_obtained_at TIMESTAMP,
    token_expires_at TIMESTAMP,
    needs_reconnect BOOLEAN NOT NULL DEFAULT FALSE,
    notice TEXT,
    password_enc BYTEA,
    totp_seed_enc BYTEA,
    session_enc BYTEA,
    device_enc BYTEA,
    proxy_enc BYTEA,
    proxy_display TEXT,
    session_status TEXT NOT NULL DEFAULT 'none',
    session_started_at TIMESTAMP,
    session_checked_at TIMESTAMP,
    last_challenge_at TIMESTAMP,
    last_error_code TEXT,
    last_error TEXT,
    last_error_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ig_accounts_username ON ig_accounts (username_key);

-- Who works on an account, with which role (owner, admin, viewer). Exactly one owner per account (the partial
-- unique index keeps it at most one; the code never leaves none). is_primary: the account a user's pages open
-- on, at most one per user.
CREATE TABLE account_members (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES ig_accounts(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX account_members_pair ON account_members (account_id, user_id);
CREATE INDEX account_members_user ON account_members (user_id);
CREATE UNIQUE INDEX account_members_one_owner ON account_members (account_id) WHERE role = 'owner';
CREATE UNIQUE INDEX account_members_one_primary ON account_members (user_id) WHERE is_primary;

-- The challenge inbox: what Instagram asked during a credential login (kind two_factor or challenge), for whom,
-- and how it ended (open, resolved, failed).
CREATE TABLE challenges (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES ig_accounts(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    prompt TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX challenges_user_status ON challenges (user_id, status);

-- OAuth states serve the Instagram sign-in too, which has no user yet: user_id becomes optional, and binding_hash
-- (the SHA-256 of a cookie set in the browser that started the consent) ties a state to that browser.
ALTER TABLE oauth_states ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE oauth_states ADD COLUMN binding_hash TEXT;
