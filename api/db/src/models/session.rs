//! Server-side browser sessions. The cookie holds only the session id (encrypted by the cookie key); the row
//! decides whether the session is alive.

use crate::schema::sessions;
use crate::{now, DbConn};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use leadgen_core::ApiResult;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub csrf_hash: String,
    pub token_version: i64,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub csrf_hash: &'a str,
    pub token_version: i64,
    pub ttl: Duration,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

impl Session {
    pub fn is_live(&self, idle: Duration) -> bool {
        let t = now();
        self.revoked_at.is_none() && self.expires_at > t && self.last_seen_at + idle > t
    }
}

impl Session {
    pub fn create(conn: &mut DbConn, s: NewSession<'_>) -> ApiResult<()> {
        let t = now();
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(s.id),
                sessions::user_id.eq(s.user_id),
                sessions::csrf_hash.eq(s.csrf_hash),
                sessions::token_version.eq(s.token_version),
                sessions::created_at.eq(t),
                sessions::last_seen_at.eq(t),
                sessions::expires_at.eq(t + s.ttl),
                sessions::ip.eq(s.ip),
                sessions::user_agent.eq(s.user_agent),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Option<Session>> {
        Ok(sessions::table
            .find(id)
            .select(Session::as_select())
            .first(conn)
            .optional()?)
    }

    /// Updates last-seen, at most once a minute per session to keep reads cheap.
    pub fn touch(conn: &mut DbConn, s: &Session) -> ApiResult<()> {
        let t = now();
        if t - s.last_seen_at > Duration::seconds(60) {
            diesel::update(sessions::table.find(&s.id))
                .set(sessions::last_seen_at.eq(t))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Live sessions of one user, newest first.
    pub fn list_for_user(conn: &mut DbConn, user_id: &str) -> ApiResult<Vec<Session>> {
        Ok(sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now()))
            .order(sessions::created_at.desc())
            .select(Session::as_select())
            .load(conn)?)
    }

    pub fn count_live_for_user(conn: &mut DbConn, user_id: &str) -> ApiResult<i64> {
        Ok(sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now()))
            .count()
            .get_result(conn)?)
    }

    /// Revokes one session of this user; false when there is no such live session (someone else's answers false).
    pub fn revoke_own(conn: &mut DbConn, user_id: &str, id: &str) -> ApiResult<bool> {
        let n = diesel::update(
            sessions::table
                .find(id)
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::revoked_at.is_null()),
        )
        .set(sessions::revoked_at.eq(now()))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Carries a session over a password change: it survives with the new token version.
    pub fn reinstate(conn: &mut DbConn, id: &str, token_version: i64) -> ApiResult<()> {
        diesel::update(sessions::table.find(id))
            .set((
                sessions::revoked_at.eq(None::<NaiveDateTime>),
                sessions::token_version.eq(token_version),
            ))
            .execute(conn)?;
        Ok(())
    }
}
