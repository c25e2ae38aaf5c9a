-- A user's linked Gmail mailboxes. The refresh token lives only in refresh_token_enc (key ring, bound to this table,
-- column and row id); address_key is the lower-cased address, one row per user and address (connecting the same
-- mailbox again replaces its token). status: connected, or needs_reconnect once Google refused the token.
CREATE TABLE mailboxes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    address_key TEXT NOT NULL,
    status TEXT NOT NULL,
    refresh_token_enc BLOB NOT NULL,
    scopes TEXT NOT NULL,
    connected_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX mailboxes_user_address ON mailboxes (user_id, address_key);

-- OAuth consent in flight: the state sent to the provider (only its SHA-256 is kept), whom it is for and why,
-- the redirect URI the code exchange must repeat, and when it expires (10 minutes). used_at is set once, by the
-- callback that claims it, so a state works exactly once.
CREATE TABLE oauth_states (
    id TEXT PRIMARY KEY,
    state_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
