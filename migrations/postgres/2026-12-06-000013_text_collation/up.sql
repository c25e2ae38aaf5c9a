-- The order text sorts in (see api/db/src/collation.rs): German, case- and accent-aware, from ICU. SQLite
-- registers a collation of the same name on every connection.
CREATE COLLATION IF NOT EXISTS leadgen_text (provider = icu, locale = 'de');
