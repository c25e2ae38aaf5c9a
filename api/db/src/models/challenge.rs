//! The challenge inbox: what Instagram asked during a credential login (`two_factor`: a code from the app or SMS;
//! `challenge`: a checkpoint code by e-mail or SMS), for whom, and how it ended. Only the user it was opened for
//! sees it.

use crate::schema::challenges;
use crate::{new_id, DbConn};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::ApiResult;

pub const KIND_TWO_FACTOR: &str = "two_factor";
pub const KIND_CHALLENGE: &str = "challenge";
pub const STATUS_OPEN: &str = "open";
pub const STATUS_RESOLVED: &str = "resolved";
pub const STATUS_FAILED: &str = "failed";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = challenges)]
pub struct Challenge {
    pub id: String,
    pub account_id: String,
    pub user_id: String,
    pub kind: String,
    /// What Instagram asked, in words.
    pub prompt: String,
    pub status: String,
    pub error: Option<String>,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
}

impl Challenge {
    /// Opens an item (an earlier open one of the same account is superseded: failed).
    pub fn open(
        conn: &mut DbConn,
        account_id: &str,
        user_id: &str,
        kind: &str,
        prompt: &str,
        now: NaiveDateTime,
    ) -> ApiResult<Challenge> {
        diesel::update(
            challenges::table
                .filter(challenges::account_id.eq(account_id))
                .filter(challenges::status.eq(STATUS_OPEN)),
        )
        .set((
            challenges::status.eq(STATUS_FAILED),
            challenges::error.eq("superseded by a newer login"),
            challenges::resolved_at.eq(now),
        ))
        .execute(conn)?;
        let id = new_id();
        diesel::insert_into(challenges::table)
            .values((
                challenges::id.eq(&id),
                challenges::account_id.eq(account_id),
                challenges::user_id.eq(user_id),
                challenges::kind.eq(kind),
                challenges::prompt.eq(prompt),
                challenges::status.eq(STATUS_OPEN),
                challenges::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(challenges::table
            .find(&id)
            .select(Challenge::as_select())
            .first(conn)?)
    }

    /// The user's open items, newest first.
    pub fn list_open(conn: &mut DbConn, user_id: &str) -> ApiResult<Vec<Challenge>> {
        Ok(challenges::table
            .filter(challenges::user_id.eq(user_id))
            .filter(challenges::status.eq(STATUS_OPEN))
            .select(Challenge::as_select())
            .order((challenges::created_at.desc(), challenges::id))
            .load(conn)?)
    }

    /// The user's item with this id (another user's finds nothing).
    pub fn find_owned(conn: &mut DbConn, user_id: &str, id: &str) -> ApiResult<Option<Challenge>> {
        Ok(challenges::table
            .filter(challenges::id.eq(id))
            .filter(challenges::user_id.eq(user_id))
            .select(Challenge::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn get(conn: &mut DbConn, id: &str) -> ApiResult<Challenge> {
        Ok(challenges::table
            .find(id)
            .select(Challenge::as_select())
            .first(conn)?)
    }

    /// Ends an open item (`resolved` or `failed` with the reason); false when it was not open any more.
    pub fn close(
        conn: &mut DbConn,
        id: &str,
        status: &str,
        error: Option<&str>,
        now: NaiveDateTime,
    ) -> ApiResult<bool> {
        let n = diesel::update(
            challenges::table
                .filter(challenges::id.eq(id))
                .filter(challenges::status.eq(STATUS_OPEN)),
        )
        .set((
            challenges::status.eq(status),
            challenges::error.eq(error),
            challenges::resolved_at.eq(now),
        ))
        .execute(conn)?;
        Ok(n > 0)
    }

    /// The newest item of an account (the vault view's "last challenge").
    pub fn latest(conn: &mut DbConn, account_id: &str) -> ApiResult<Option<Challenge>> {
        Ok(challenges::table
            .filter(challenges::account_id.eq(account_id))
            .select(Challenge::as_select())
            .order(challenges::created_at.desc())
            .first(conn)
            .optional()?)
    }
}
