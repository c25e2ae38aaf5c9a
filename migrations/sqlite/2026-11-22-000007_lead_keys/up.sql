-- Compact keys for the leads' indexes. Every grid index used to start with the owner's 36-character id and end
-- with the lead's 36-character id; at a million leads that made the indexes several times larger than their
-- data and every import write slow. Now:
-- * users.seq: a small integer per user, and leads.owner_key: the owner's seq, at the head of every lead index
--   (leads.owner_id stays: it carries the foreign key and the API's shape);
-- * leads.seq INTEGER PRIMARY KEY (SQLite's rowid, which every index ends with anyway): the grid's tie-break
--   instead of the text id, so the sort indexes need no id column. It also keeps the search index's rowids
--   stable across VACUUM (a table without an explicit INTEGER PRIMARY KEY may have its rowids renumbered).
-- SQLite cannot change a table's primary key in place: the table is rebuilt (SQLite's documented procedure, with
-- foreign keys off so dropping the old table does not cascade to the history; hence no wrapping transaction).
PRAGMA foreign_keys = OFF;
BEGIN;

ALTER TABLE users ADD COLUMN seq INTEGER;
UPDATE users SET seq = rowid;
CREATE UNIQUE INDEX users_seq ON users(seq);
CREATE TRIGGER users_seq AFTER INSERT ON users WHEN new.seq IS NULL BEGIN
    UPDATE users SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM users) WHERE rowid = new.rowid;
END;

CREATE TABLE leads_new (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    owner_key BIGINT NOT NULL,
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
    UNIQUE (owner_key, username)
);
-- The old rowids become seq, so the search index (keyed by rowid) stays valid as it is.
INSERT INTO leads_new (seq, id, owner_key, owner_id, username, full_name, biography, followers, following, posts,
        is_business, business_category, email, phone, website, source_hashtag, product_id, status, tags, notes,
        email_subject, email_body, created_at, updated_at, enriched_at, contacted_at, deleted_at, version)
    SELECT l.rowid, l.id, u.seq, l.owner_id, l.username, l.full_name, l.biography, l.followers, l.following, l.posts,
        l.is_business, l.business_category, l.email, l.phone, l.website, l.source_hashtag, l.product_id, l.status,
        l.tags, l.notes, l.email_subject, l.email_body, l.created_at, l.updated_at, l.enriched_at, l.contacted_at,
        l.deleted_at, l.version
    FROM leads l JOIN users u ON u.id = l.owner_id;
DROP TABLE leads;
ALTER TABLE leads_new RENAME TO leads;

-- The grid's indexes: owner key first; the rowid (seq) every SQLite index ends with is the tie-break.
CREATE INDEX leads_live_created ON leads(owner_key, created_at) WHERE deleted_at IS NULL;
CREATE INDEX leads_live_updated ON leads(owner_key, updated_at) WHERE deleted_at IS NULL;
CREATE INDEX leads_live_followers ON leads(owner_key, COALESCE(followers, -1)) WHERE deleted_at IS NULL;
CREATE INDEX leads_owner_status ON leads(owner_key, status);
CREATE INDEX leads_owner_email ON leads(owner_key, email);

-- Dropping the table dropped its triggers: the search index's again (as in 000002 and 000005).
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

COMMIT;
PRAGMA foreign_keys = ON;
