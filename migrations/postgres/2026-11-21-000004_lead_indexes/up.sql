-- Indexes that match the grid's sort expressions exactly, restricted to live rows, so a page (and a jump to a
-- far offset) walks the index alone.
DROP INDEX leads_owner_created;
DROP INDEX leads_owner_followers;
DROP INDEX leads_owner_updated;
CREATE INDEX leads_live_created ON leads(owner_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_live_updated ON leads(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_live_followers ON leads(owner_id, COALESCE(followers, -1), id) WHERE deleted_at IS NULL;
CREATE INDEX leads_live_username ON leads(owner_id, username, id) WHERE deleted_at IS NULL;
