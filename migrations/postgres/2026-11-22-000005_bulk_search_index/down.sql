DROP INDEX leads_search;
ALTER TABLE leads DROP COLUMN search;
CREATE INDEX leads_fts ON leads USING GIN (to_tsvector('simple', translate(coalesce(username, '') || ' ' || coalesce(full_name, '') || ' ' || coalesce(biography, '') || ' ' || coalesce(email, ''), '@._-/:+', '       ')));
