-- The order text sorts in (see api/db/src/collation.rs): SQLite's `leadgen_text` collation is registered by the
-- application on every connection (PostgreSQL creates it in its migration of the same name). Nothing to store.
SELECT 1;
