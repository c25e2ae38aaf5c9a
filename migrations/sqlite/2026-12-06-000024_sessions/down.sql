ALTER TABLE leads DROP COLUMN contact_sources;
DROP TABLE session_log;
DROP TABLE session_items;
DROP TABLE processing_sessions;
