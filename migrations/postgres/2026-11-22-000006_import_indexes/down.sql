CREATE INDEX leads_live_username ON leads(owner_id, username, id) WHERE deleted_at IS NULL;
