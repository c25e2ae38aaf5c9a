//! Admin-editable policies, one JSON value per key.

use crate::schema::settings;
use crate::{now, DbConn};
use diesel::prelude::*;
use leadgen_core::ApiResult;

pub struct Setting;

impl Setting {
    pub const REQUIRE_2FA: &'static str = "policy.require_2fa";

    pub fn get(conn: &mut DbConn, key: &str) -> ApiResult<Option<serde_json::Value>> {
        let v: Option<String> = settings::table
            .find(key)
            .select(settings::value)
            .first(conn)
            .optional()?;
        Ok(v.and_then(|s| serde_json::from_str(&s).ok()))
    }

    pub fn get_bool(conn: &mut DbConn, key: &str, default: bool) -> ApiResult<bool> {
        Ok(Setting::get(conn, key)?
            .and_then(|v| v.as_bool())
            .unwrap_or(default))
    }

    /// Insert or update (portable: update first, insert when nothing was there).
    pub fn set(
        conn: &mut DbConn,
        key: &str,
        value: &serde_json::Value,
        by: Option<&str>,
    ) -> ApiResult<()> {
        let text = value.to_string();
        let t = now();
        let n = diesel::update(settings::table.find(key))
            .set((
                settings::value.eq(&text),
                settings::updated_at.eq(t),
                settings::updated_by.eq(by),
            ))
            .execute(conn)?;
        if n == 0 {
            diesel::insert_into(settings::table)
                .values((
                    settings::key.eq(key),
                    settings::value.eq(&text),
                    settings::updated_at.eq(t),
                    settings::updated_by.eq(by),
                ))
                .execute(conn)?;
        }
        Ok(())
    }
}
