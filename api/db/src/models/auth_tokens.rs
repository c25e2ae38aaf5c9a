//! Tokens for scripts: rotating refresh tokens (grouped in families) and personal API tokens. Only hashes are
//! stored.

use crate::schema::{api_tokens, refresh_tokens};
use crate::{new_id, now, DbConn};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use leadgen_core::ApiResult;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub token_version: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// What presenting a refresh token led to.
pub enum RefreshOutcome {
    /// The token was live and is now spent; issue its successor in the same family.
    Rotated(RefreshToken),
    /// The token had already been spent: the whole family is now revoked.
    Reused { user_id: String, family_id: String },
    /// Unknown, expired or revoked.
    Invalid,
}

impl RefreshToken {
    pub fn create(
        conn: &mut DbConn,
        user_id: &str,
        family_id: &str,
        hash: &str,
        tv: i64,
        ttl: Duration,
    ) -> ApiResult<()> {
        let t = now();
        diesel::insert_into(refresh_tokens::table)
            .values((
                refresh_tokens::id.eq(new_id()),
                refresh_tokens::user_id.eq(user_id),
                refresh_tokens::family_id.eq(family_id),
                refresh_tokens::token_hash.eq(hash),
                refresh_tokens::token_version.eq(tv),
                refresh_tokens::created_at.eq(t),
                refresh_tokens::expires_at.eq(t + ttl),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Whether the family was revoked (a spent token of it came back): its access tokens are refused too.
    pub fn family_revoked(conn: &mut DbConn, family_id: &str) -> ApiResult<bool> {
        Ok(refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_not_null())
            .select(refresh_tokens::id)
            .first::<String>(conn)
            .optional()?
            .is_some())
    }

    /// Spends the token (compare-and-set on `used_at`); reuse of a spent token revokes its family.
    pub fn spend(conn: &mut DbConn, hash: &str) -> ApiResult<RefreshOutcome> {
        let Some(row) = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(hash))
            .select(RefreshToken::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(RefreshOutcome::Invalid);
        };
        let t = now();
        let claimed = diesel::update(
            refresh_tokens::table
                .find(&row.id)
                .filter(refresh_tokens::used_at.is_null()),
        )
        .set(refresh_tokens::used_at.eq(t))
        .execute(conn)?;
        if claimed == 0 {
            diesel::update(
                refresh_tokens::table.filter(refresh_tokens::family_id.eq(&row.family_id)),
            )
            .set(refresh_tokens::revoked_at.eq(t))
            .execute(conn)?;
            return Ok(RefreshOutcome::Reused {
                user_id: row.user_id,
                family_id: row.family_id,
            });
        }
        if row.revoked_at.is_some() || row.expires_at <= t {
            return Ok(RefreshOutcome::Invalid);
        }
        Ok(RefreshOutcome::Rotated(row))
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub scope: String,
    pub token_hash: String,
    pub prefix: String,
    pub token_version: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub struct NewApiToken<'a> {
    pub user_id: &'a str,
    pub name: &'a str,
    pub scope: &'a str,
    pub token_hash: &'a str,
    pub prefix: &'a str,
    pub token_version: i64,
    pub expires_at: Option<NaiveDateTime>,
}

impl ApiToken {
    pub fn is_live(&self) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now())
    }
    pub fn can_write(&self) -> bool {
        self.scope == "read_write"
    }
}

impl ApiToken {
    pub fn create(conn: &mut DbConn, t: NewApiToken<'_>) -> ApiResult<ApiToken> {
        let id = new_id();
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::id.eq(&id),
                api_tokens::user_id.eq(t.user_id),
                api_tokens::name.eq(t.name),
                api_tokens::scope.eq(t.scope),
                api_tokens::token_hash.eq(t.token_hash),
                api_tokens::prefix.eq(t.prefix),
                api_tokens::token_version.eq(t.token_version),
                api_tokens::created_at.eq(now()),
                api_tokens::expires_at.eq(t.expires_at),
            ))
            .execute(conn)?;
        Ok(api_tokens::table
            .find(&id)
            .select(ApiToken::as_select())
            .first(conn)?)
    }

    pub fn find_by_hash(conn: &mut DbConn, hash: &str) -> ApiResult<Option<ApiToken>> {
        Ok(api_tokens::table
            .filter(api_tokens::token_hash.eq(hash))
            .select(ApiToken::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn touch(conn: &mut DbConn, t: &ApiToken) -> ApiResult<()> {
        let n = now();
        if t.last_used_at.is_none_or(|l| n - l > Duration::seconds(60)) {
            diesel::update(api_tokens::table.find(&t.id))
                .set(api_tokens::last_used_at.eq(n))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Live tokens of one user, newest first.
    pub fn list_for_user(conn: &mut DbConn, user_id: &str) -> ApiResult<Vec<ApiToken>> {
        Ok(api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null())
            .order(api_tokens::created_at.desc())
            .select(ApiToken::as_select())
            .load(conn)?
            .into_iter()
            .filter(ApiToken::is_live)
            .collect())
    }

    /// Revokes one of this user's tokens; false when it is not theirs or already revoked.
    pub fn revoke_own(conn: &mut DbConn, user_id: &str, id: &str) -> ApiResult<Option<ApiToken>> {
        let n = diesel::update(
            api_tokens::table
                .find(id)
                .filter(api_tokens::user_id.eq(user_id))
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(now()))
        .execute(conn)?;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(
            api_tokens::table
                .find(id)
                .select(ApiToken::as_select())
                .first(conn)?,
        ))
    }
}
