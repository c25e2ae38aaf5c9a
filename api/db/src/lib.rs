//! The database layer: one connection type for SQLite and PostgreSQL, the schema, and each model with its queries.

pub mod conn;
pub mod models;
pub mod schema;

pub use conn::{write_tx, Db, DbConn};

/// Current UTC time, truncated to microseconds so values round-trip identically on both backends.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
