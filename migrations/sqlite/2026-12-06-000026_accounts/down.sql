DROP TABLE challenges;
DROP TABLE account_members;
DROP TABLE ig_accounts;
DELETE FROM oauth_states WHERE user_id IS NULL;
CREATE TABLE oauth_states_old (
    id TEXT PRIMARY KEY,
    state_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
INSERT INTO oauth_states_old SELECT id, state_hash, user_id, purpose, redirect_uri, created_at, expires_at, used_at
    FROM oauth_states;
DROP TABLE oauth_states;
ALTER TABLE oauth_states_old RENAME TO oauth_states;
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
