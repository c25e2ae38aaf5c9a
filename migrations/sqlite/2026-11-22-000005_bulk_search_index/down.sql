CREATE INDEX leads_live_username ON leads(owner_id, username, id) WHERE deleted_at IS NULL;
DROP TRIGGER leads_fts_insert;
CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN
    INSERT INTO leads_fts(rowid, username, full_name, biography, email) VALUES (new.rowid, new.username, new.full_name, new.biography, new.email);
END;
DROP TABLE leads_fts_deferred;
