//! Provider credentials and options (global ones set by admins, a user's own AI keys) and the record of every
//! provider call. Secret values arrive here already encrypted: the caller binds them to [`ProviderSetting::slot`].

use crate::schema::{provider_calls, provider_settings};
use crate::{new_seq_id, now, DbConn};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::crypto::Slot;
use leadgen_core::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = provider_settings)]
pub struct ProviderSetting {
    pub id: String,
    pub provider: String,
    pub field: String,
    pub user_id: Option<String>,
    pub value: Option<String>,
    pub value_enc: Option<Vec<u8>>,
    pub hint: Option<String>,
    pub updated_at: NaiveDateTime,
    pub updated_by: Option<String>,
}

/// What a setting is set to: a plain value, or a secret's ciphertext and the hint shown of it.
pub enum SettingValue {
    Plain(String),
    Secret { enc: Vec<u8>, hint: String },
}

impl ProviderSetting {
    /// The row id of a setting: `global:<provider>.<field>` or `<user id>:<provider>.<field>`.
    pub fn row_id(user_id: Option<&str>, provider: &str, field: &str) -> String {
        format!("{}:{provider}.{field}", user_id.unwrap_or("global"))
    }

    /// The associated data a secret of this row is encrypted under.
    pub fn slot(row_id: &str) -> Slot<'_> {
        Slot {
            table: "provider_settings",
            column: "value_enc",
            row_id,
        }
    }

    /// The global settings (`user_id` None) or one user's overrides.
    pub fn list(conn: &mut DbConn, user_id: Option<&str>) -> ApiResult<Vec<ProviderSetting>> {
        let q = provider_settings::table
            .select(ProviderSetting::as_select())
            .order(provider_settings::id)
            .into_boxed();
        let q = match user_id {
            Some(u) => q.filter(provider_settings::user_id.eq(u)),
            None => q.filter(provider_settings::user_id.is_null()),
        };
        Ok(q.load(conn)?)
    }

    pub fn find(conn: &mut DbConn, row_id: &str) -> ApiResult<Option<ProviderSetting>> {
        Ok(provider_settings::table
            .find(row_id)
            .select(ProviderSetting::as_select())
            .first(conn)
            .optional()?)
    }

    /// Every row holding a ciphertext (for key rotation).
    pub fn encrypted(conn: &mut DbConn) -> ApiResult<Vec<(String, Vec<u8>)>> {
        let rows: Vec<(String, Option<Vec<u8>>)> = provider_settings::table
            .select((provider_settings::id, provider_settings::value_enc))
            .filter(provider_settings::value_enc.is_not_null())
            .load(conn)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, enc)| enc.map(|e| (id, e)))
            .collect())
    }

    pub fn replace_ciphertext(conn: &mut DbConn, row_id: &str, enc: &[u8]) -> ApiResult<()> {
        diesel::update(provider_settings::table.find(row_id))
            .set(provider_settings::value_enc.eq(enc))
            .execute(conn)?;
        Ok(())
    }

    /// Sets (update first, insert when nothing was there) or, with `None`, clears one setting.
    pub fn set(
        conn: &mut DbConn,
        user_id: Option<&str>,
        provider: &str,
        field: &str,
        value: Option<SettingValue>,
        by: &str,
    ) -> ApiResult<()> {
        let id = ProviderSetting::row_id(user_id, provider, field);
        let Some(value) = value else {
            diesel::delete(provider_settings::table.find(&id)).execute(conn)?;
            return Ok(());
        };
        let (plain, enc, hint) = match value {
            SettingValue::Plain(v) => (Some(v), None, None),
            SettingValue::Secret { enc, hint } => (None, Some(enc), Some(hint)),
        };
        let t = now();
        let n = diesel::update(provider_settings::table.find(&id))
            .set((
                provider_settings::value.eq(&plain),
                provider_settings::value_enc.eq(&enc),
                provider_settings::hint.eq(&hint),
                provider_settings::updated_at.eq(t),
                provider_settings::updated_by.eq(by),
            ))
            .execute(conn)?;
        if n == 0 {
            diesel::insert_into(provider_settings::table)
                .values((
                    provider_settings::id.eq(&id),
                    provider_settings::provider.eq(provider),
                    provider_settings::field.eq(field),
                    provider_settings::user_id.eq(user_id),
                    provider_settings::value.eq(&plain),
                    provider_settings::value_enc.eq(&enc),
                    provider_settings::hint.eq(&hint),
                    provider_settings::updated_at.eq(t),
                    provider_settings::updated_by.eq(by),
                ))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// One call to an outside service.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = provider_calls)]
pub struct ProviderCall {
    pub id: String,
    pub at: NaiveDateTime,
    pub provider: String,
    pub operation: String,
    pub user_id: Option<String>,
    /// `ok` or the error code it ended with.
    pub status: String,
    pub duration_ms: i64,
    pub units: i64,
    /// What `units` counts: `tokens`, `runs`, `emails`, `messages`; None when the call costs nothing countable.
    pub unit: Option<String>,
}

pub struct NewProviderCall<'a> {
    pub provider: &'a str,
    pub operation: &'a str,
    pub user_id: Option<&'a str>,
    pub status: &'a str,
    pub duration_ms: i64,
    pub units: i64,
    pub unit: Option<&'a str>,
}

impl ProviderCall {
    pub fn record(conn: &mut DbConn, c: &NewProviderCall<'_>) -> ApiResult<()> {
        diesel::insert_into(provider_calls::table)
            .values((
                provider_calls::id.eq(new_seq_id()),
                provider_calls::at.eq(now()),
                provider_calls::provider.eq(c.provider),
                provider_calls::operation.eq(c.operation),
                provider_calls::user_id.eq(c.user_id),
                provider_calls::status.eq(c.status),
                provider_calls::duration_ms.eq(c.duration_ms),
                provider_calls::units.eq(c.units),
                provider_calls::unit.eq(c.unit),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// A user's calls (or everyone's), newest first.
    pub fn recent(
        conn: &mut DbConn,
        user_id: Option<&str>,
        limit: i64,
    ) -> ApiResult<Vec<ProviderCall>> {
        let q = provider_calls::table
            .select(ProviderCall::as_select())
            .order(provider_calls::id.desc())
            .limit(limit)
            .into_boxed();
        let q = match user_id {
            Some(u) => q.filter(provider_calls::user_id.eq(u)),
            None => q,
        };
        Ok(q.load(conn)?)
    }
}

/// Calls of one user (None: calls made without a user) to one provider counting one kind of unit, since a time.
#[derive(Debug, Clone, QueryableByName)]
pub struct UsageRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub user_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub provider: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub unit: Option<String>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub calls: i64,
    /// Calls that ended with an error code.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub errors: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub units: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub duration_ms: i64,
}

impl ProviderCall {
    /// Usage since `since`: one row per user, provider and unit, counted in the database.
    pub fn usage(conn: &mut DbConn, since: NaiveDateTime) -> ApiResult<Vec<UsageRow>> {
        let sql = format!(
            "SELECT user_id, provider, unit, \
             CAST(COUNT(*) AS BIGINT) AS calls, \
             CAST(SUM(CASE WHEN status = 'ok' THEN 0 ELSE 1 END) AS BIGINT) AS errors, \
             CAST(SUM(units) AS BIGINT) AS units, \
             CAST(SUM(duration_ms) AS BIGINT) AS duration_ms \
             FROM provider_calls WHERE at >= {} \
             GROUP BY user_id, provider, unit ORDER BY provider, user_id, unit",
            crate::sql::ts(since)
        );
        // The same portable SQL on either backend (sql_query needs the concrete connection).
        Ok(match conn {
            DbConn::Sqlite(c) => diesel::sql_query(sql).load(c)?,
            DbConn::Postgresql(c) => diesel::sql_query(sql).load(c)?,
        })
    }
}
