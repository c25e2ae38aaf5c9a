//! Bulk writes of new leads (imports): row numbers, staging, and the deferred search index.

use super::Lead;
use crate::conn::DbConn;
use crate::schema::leads;
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::prelude::*;
use leadgen_core::config::Backend;
use leadgen_core::ApiResult;

impl Lead {
    /// Runs a bulk load of new leads (inside a write transaction). On SQLite the rows it inserts are added to the
    /// search index in one statement at the end instead of one trigger call per row, which makes large imports
    /// several times faster; PostgreSQL maintains its index itself.
    pub fn bulk_load<T>(
        conn: &mut DbConn,
        load: impl FnOnce(&mut DbConn) -> ApiResult<T>,
    ) -> ApiResult<T> {
        if conn.backend() != Backend::Sqlite {
            return load(conn);
        }
        let last: i64 = leads::table
            .select(sql::<diesel::sql_types::BigInt>("COALESCE(MAX(rowid), 0)"))
            .first(conn)?;
        conn.batch_execute("INSERT INTO leads_fts_deferred (on_hold) VALUES (1)")?;
        let out = load(conn)?;
        conn.batch_execute(&format!(
            "INSERT INTO leads_fts (rowid, username, full_name, biography, email) \
             SELECT rowid, username, full_name, biography, email FROM leads WHERE rowid > {last}; \
             DELETE FROM leads_fts_deferred;"
        ))?;
        Ok(out)
    }
}

/// The columns of `NewLeadRow`, in `lead_stage`'s order.
const STAGE_COLUMNS: &str = "id, seq, owner_key, owner_id, username, full_name, biography, followers, following, posts, is_business, business_category, email, phone, website, source_hashtag, status, tags, notes, email_subject, email_body, created_at, updated_at, version";

impl Lead {
    /// Numbers for `n` new leads written in bulk (ascending; call inside the write transaction that uses them).
    /// SQLite: the ones after the largest, consecutive (one writer at a time). PostgreSQL: drawn from the column's
    /// sequence, so concurrent writers never collide; consecutive unless another writer drew in between.
    pub fn next_seqs(conn: &mut DbConn, n: usize) -> ApiResult<Vec<i64>> {
        if n == 0 {
            return Ok(vec![]);
        }
        match conn {
            DbConn::Sqlite(c) => {
                let last: i64 = leads::table
                    .select(sql::<diesel::sql_types::BigInt>("COALESCE(MAX(seq), 0)"))
                    .first(c)?;
                Ok((last + 1..=last + n as i64).collect())
            }
            DbConn::Postgresql(c) => {
                #[derive(QueryableByName)]
                struct Drawn {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    seq: i64,
                }
                let mut seqs: Vec<i64> = diesel::sql_query(
                    "SELECT nextval(pg_get_serial_sequence('leads', 'seq')) AS seq FROM generate_series(1, $1)",
                )
                .bind::<diesel::sql_types::BigInt, _>(n as i64)
                .load::<Drawn>(c)?
                .into_iter()
                .map(|d| d.seq)
                .collect();
                seqs.sort_unstable();
                Ok(seqs)
            }
        }
    }

    /// Writes new leads in bulk (call inside a write transaction). PostgreSQL takes them in one binary COPY.
    /// SQLite fills the connection's staging table with one cached prepared statement per row and moves them with
    /// one INSERT … SELECT: inserting into `leads` row by row would open a statement journal per row (its insert
    /// trigger makes every insert a multi-write statement) and copy each touched index page into it, several times
    /// slower than the indexes themselves.
    /// (The staging rows stay one statement each: 500-row statements, as `bulk_insert!` uses, were slower here
    /// and raised a 1M-row import's peak memory; one INSERT … SELECT over a JSON array of the rows (`json_each`)
    /// took a third more CPU.)
    pub fn insert_rows(conn: &mut DbConn, rows: &[NewLeadRow]) -> ApiResult<()> {
        match conn {
            DbConn::Postgresql(_) => crate::bulk_insert!(conn, leads::table, rows),
            DbConn::Sqlite(c) => {
                use crate::schema::lead_stage;
                c.batch_execute(&format!(
                    "CREATE TEMP TABLE IF NOT EXISTS lead_stage AS SELECT {STAGE_COLUMNS} FROM main.leads WHERE 0"
                ))?;
                for r in rows {
                    diesel::insert_into(lead_stage::table)
                        .values(r)
                        .execute(c)?;
                }
                c.batch_execute(&format!(
                    "INSERT INTO main.leads ({STAGE_COLUMNS}) SELECT {STAGE_COLUMNS} FROM temp.lead_stage ORDER BY rowid; \
                     DELETE FROM temp.lead_stage;"
                ))?;
                Ok(())
            }
        }
    }
}

/// One new lead as written in bulk (imports): every column given, `None` meaning NULL.
#[derive(Insertable)]
#[diesel(table_name = leads, table_name = crate::schema::lead_stage, treat_none_as_default_value = false)]
pub struct NewLeadRow<'a> {
    pub id: &'a str,
    /// From `Lead::next_seqs`.
    pub seq: i64,
    pub owner_key: i64,
    pub owner_id: &'a str,
    pub username: &'a str,
    pub full_name: Option<&'a str>,
    pub biography: Option<&'a str>,
    pub followers: Option<i64>,
    pub following: Option<i64>,
    pub posts: Option<i64>,
    pub is_business: bool,
    pub business_category: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub website: Option<&'a str>,
    pub source_hashtag: Option<&'a str>,
    pub status: &'a str,
    pub tags: &'a str,
    pub notes: Option<&'a str>,
    pub email_subject: Option<&'a str>,
    pub email_body: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}
