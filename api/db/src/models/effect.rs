//! The effects ledger: each side effect of a job (a paid call, a sent e-mail, a periodic tick enqueued) recorded
//! under a unique key in the same transaction as the state change it belongs to. A job run again finds the key
//! and knows the effect is already done, so delivery at least once becomes an effect exactly once.

use crate::conn::DbConn;
use crate::schema::effects;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::ApiResult;
use serde_json::Value;

#[derive(Queryable, Selectable, Clone, Debug, PartialEq)]
#[diesel(table_name = effects)]
pub struct Effect {
    pub key: String,
    pub job_id: Option<String>,
    pub kind: String,
    /// JSON the effect produced (an id from the provider, a message id…).
    pub result: Option<String>,
    pub done_at: NaiveDateTime,
}

impl Effect {
    /// Records the effect under `key` unless it is there; true when this call recorded it. Call inside the
    /// transaction that makes the effect's state change.
    pub fn record(
        conn: &mut DbConn,
        key: &str,
        job_id: Option<&str>,
        kind: &str,
        result: Option<&Value>,
        now: NaiveDateTime,
    ) -> ApiResult<bool> {
        let values = (
            effects::key.eq(key),
            effects::job_id.eq(job_id),
            effects::kind.eq(kind),
            effects::result.eq(result.map(Value::to_string)),
            effects::done_at.eq(now),
        );
        let n = match conn {
            DbConn::Sqlite(c) => diesel::insert_into(effects::table)
                .values(values)
                .on_conflict_do_nothing()
                .execute(c)?,
            DbConn::Postgresql(c) => diesel::insert_into(effects::table)
                .values(values)
                .on_conflict_do_nothing()
                .execute(c)?,
        };
        Ok(n == 1)
    }

    pub fn find(conn: &mut DbConn, key: &str) -> ApiResult<Option<Effect>> {
        Ok(effects::table
            .find(key)
            .select(Effect::as_select())
            .first(conn)
            .optional()?)
    }

    /// How many effects of `kind` are recorded.
    pub fn count(conn: &mut DbConn, kind: &str) -> ApiResult<i64> {
        Ok(effects::table
            .filter(effects::kind.eq(kind))
            .count()
            .get_result(conn)?)
    }

    pub fn result_json(&self) -> Option<Value> {
        self.result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
    }
}
