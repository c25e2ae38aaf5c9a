DROP TABLE challenges;
DROP TABLE account_members;
DROP TABLE ig_accounts;
DELETE FROM oauth_states WHERE user_id IS NULL;
ALTER TABLE oauth_states DROP COLUMN binding_hash;
ALTER TABLE oauth_states ALTER COLUMN user_id SET NOT NULL;
