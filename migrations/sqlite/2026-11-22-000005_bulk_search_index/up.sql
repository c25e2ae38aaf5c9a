-- Bulk loads (imports, the demo generator) index new leads for search in one statement at the end of their
-- transaction instead of one trigger call per row: while the loader's own transaction holds a row in
-- leads_fts_deferred, the insert trigger stands aside. No other writer can see that row (SQLite has one writer).
CREATE TABLE leads_fts_deferred (on_hold INTEGER NOT NULL);
DROP TRIGGER leads_fts_insert;
CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads WHEN NOT EXISTS (SELECT 1 FROM leads_fts_deferred) BEGIN
    INSERT INTO leads_fts(rowid, username, full_name, biography, email) VALUES (new.rowid, new.username, new.full_name, new.biography, new.email);
END;
-- The unique (owner_id, username) index already orders by username (SQLite sees that it has no ties), so the
-- partial copy only cost every insert.
DROP INDEX leads_live_username;
