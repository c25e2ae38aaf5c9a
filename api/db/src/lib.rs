//! The database layer: one connection type for SQLite and PostgreSQL, the schema, and each model with its queries.

pub mod collation;
pub mod conn;
pub mod models;
pub mod schema;
pub mod sql;

pub use conn::{write_tx, Db, DbConn};

/// Current UTC time, truncated to microseconds so values round-trip identically on both backends.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A time-ordered id (UUID v7) for rows written in bulk (leads, their history, imports): new keys land at the end
/// of the primary-key index instead of at random places, which keeps large imports fast.
pub fn new_seq_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
