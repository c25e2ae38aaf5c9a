DROP INDEX leads_live_username;
DROP INDEX leads_live_followers;
DROP INDEX leads_live_updated;
DROP INDEX leads_live_created;
CREATE INDEX leads_owner_created ON leads(owner_id, created_at, id);
CREATE INDEX leads_owner_followers ON leads(owner_id, followers, id);
CREATE INDEX leads_owner_updated ON leads(owner_id, updated_at, id);
