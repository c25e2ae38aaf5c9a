PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE leads_old (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    full_name TEXT,
    biography TEXT,
    followers BIGINT,
    following BIGINT,
    posts BIGINT,
    is_business BOOLEAN NOT NULL DEFAULT 0,
    business_category TEXT,
    email TEXT,
    phone TEXT,
    website TEXT,
    source_hashtag TEXT,
    product_id TEXT REFERENCES products(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'enriched', 'qualified', 'email_drafted', 'contacted', 'replied', 'bounced', 'not_interested', 'do_not_contact')),
    tags TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    email_subject TEXT,
    email_body TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    enriched_at TIMESTAMP,
    contacted_at TIMESTAMP,
    deleted_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (owner_id, username)
);
INSERT INTO leads_old (rowid, id, owner_id, username, full_name, biography, followers, following, posts, is_business,
        business_category, email, phone, website, source_hashtag, product_id, status, tags, notes, email_subject,
        email_body, created_at, updated_at, enriched_at, contacted_at, deleted_at, version)
    SELECT seq, id, owner_id, username, full_name, biography, followers, following, posts, is_business,
        business_category, email, phone, website, source_hashtag, product_id, status, tags, notes, email_subject,
        email_body, created_at, updated_at, enriched_at, contacted_at, deleted_at, version
    FROM leads;
DROP TABLE leads;
ALTER TABLE leads_old RENAME TO leads;
CREATE INDEX leads_live_created ON leads(owner_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_live_updated ON leads(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_live_followers ON leads(owner_id, COALESCE(followers, -1), id) WHERE deleted_at IS NULL;
CREATE INDEX leads_owner_status ON leads(owner_id, status);
CREATE INDEX leads_owner_email ON leads(owner_id, email);
CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads WHEN NOT EXISTS (SELECT 1 FROM leads_fts_deferred) BEGIN
    INSERT INTO leads_fts(rowid, username, full_name, biography, email) VALUES (new.rowid, new.username, new.full_name, new.biography, new.email);
END;
CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN
    INSERT INTO leads_fts(leads_fts, rowid, username, full_name, biography, email) VALUES ('delete', old.rowid, old.username, old.full_name, old.biography, old.email);
END;
CREATE TRIGGER leads_fts_update AFTER UPDATE OF username, full_name, biography, email ON leads BEGIN
    INSERT INTO leads_fts(leads_fts, rowid, username, full_name, biography, email) VALUES ('delete', old.rowid, old.username, old.full_name, old.biography, old.email);
    INSERT INTO leads_fts(rowid, username, full_name, biography, email) VALUES (new.rowid, new.username, new.full_name, new.biography, new.email);
END;

DROP TRIGGER users_seq;
DROP INDEX users_seq;
ALTER TABLE users DROP COLUMN seq;

COMMIT;
PRAGMA foreign_keys = ON;
