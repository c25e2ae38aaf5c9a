//! What a login in progress needs: the per-username failure counter behind lockout, and the short-lived,
//! single-purpose challenges that carry a pending step (password change, TOTP, TOTP setup).

use crate::schema::{login_challenges, login_throttle};
use crate::{new_id, now, DbConn};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use leadgen_core::ApiResult;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = login_throttle)]
pub struct LoginThrottle {
    pub username_key: String,
    pub failures: i32,
    pub lockouts: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// How lockout grows: after `threshold` failures the key locks for `base` seconds, doubling with each further
/// lockout, capped at `max`.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    pub threshold: i32,
    pub base_secs: i64,
    pub max_secs: i64,
}

impl LockoutPolicy {
    pub fn wait_for(&self, lockouts: i32) -> i64 {
        let exp = u32::try_from(lockouts.clamp(0, 20)).unwrap_or(0);
        self.base_secs
            .saturating_mul(1i64 << exp)
            .min(self.max_secs)
    }
}

impl LoginThrottle {
    /// Seconds until the key may try again, if it is locked now.
    pub fn locked_for(conn: &mut DbConn, key: &str) -> ApiResult<Option<i64>> {
        let until: Option<Option<NaiveDateTime>> = login_throttle::table
            .find(key)
            .select(login_throttle::locked_until)
            .first(conn)
            .optional()?;
        let t = now();
        Ok(until
            .flatten()
            .filter(|u| *u > t)
            .map(|u| (u - t).num_seconds().max(1)))
    }

    /// Records a failure; returns the lock wait in seconds when this failure locked the key.
    pub fn record_failure(
        conn: &mut DbConn,
        key: &str,
        policy: LockoutPolicy,
    ) -> ApiResult<Option<i64>> {
        let t = now();
        let existing: Option<LoginThrottle> = login_throttle::table
            .find(key)
            .select(LoginThrottle::as_select())
            .first(conn)
            .optional()?;
        let (failures, lockouts) = match &existing {
            Some(row) => (row.failures + 1, row.lockouts),
            None => (1, 0),
        };
        let (failures, lockouts, locked_until, wait) = if failures >= policy.threshold {
            let wait = policy.wait_for(lockouts);
            (
                0,
                lockouts + 1,
                Some(t + Duration::seconds(wait)),
                Some(wait),
            )
        } else {
            (
                failures,
                lockouts,
                existing.as_ref().and_then(|r| r.locked_until),
                None,
            )
        };
        if existing.is_some() {
            diesel::update(login_throttle::table.find(key))
                .set((
                    login_throttle::failures.eq(failures),
                    login_throttle::lockouts.eq(lockouts),
                    login_throttle::locked_until.eq(locked_until),
                    login_throttle::updated_at.eq(t),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(login_throttle::table)
                .values((
                    login_throttle::username_key.eq(key),
                    login_throttle::failures.eq(failures),
                    login_throttle::lockouts.eq(lockouts),
                    login_throttle::locked_until.eq(locked_until),
                    login_throttle::updated_at.eq(t),
                ))
                .execute(conn)?;
        }
        Ok(wait)
    }

    pub fn clear(conn: &mut DbConn, key: &str) -> ApiResult<()> {
        diesel::delete(login_throttle::table.find(key)).execute(conn)?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    PasswordChange,
    Totp,
    TotpSetup,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::PasswordChange => "password_change",
            Stage::Totp => "totp",
            Stage::TotpSetup => "totp_setup",
        }
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = login_challenges)]
pub struct LoginChallenge {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub stage: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub consumed_at: Option<NaiveDateTime>,
}

impl LoginChallenge {
    pub fn create(
        conn: &mut DbConn,
        user_id: &str,
        token_hash: &str,
        stage: Stage,
        ttl_secs: i64,
    ) -> ApiResult<LoginChallenge> {
        let t = now();
        let id = new_id();
        diesel::insert_into(login_challenges::table)
            .values((
                login_challenges::id.eq(&id),
                login_challenges::user_id.eq(user_id),
                login_challenges::token_hash.eq(token_hash),
                login_challenges::stage.eq(stage.as_str()),
                login_challenges::attempts.eq(0),
                login_challenges::created_at.eq(t),
                login_challenges::expires_at.eq(t + Duration::seconds(ttl_secs)),
            ))
            .execute(conn)?;
        Ok(login_challenges::table
            .find(&id)
            .select(LoginChallenge::as_select())
            .first(conn)?)
    }

    /// The live challenge with this token hash and stage (not expired, not consumed, attempts left).
    pub fn find_live(
        conn: &mut DbConn,
        token_hash: &str,
        stage: Stage,
        max_attempts: i32,
    ) -> ApiResult<Option<LoginChallenge>> {
        Ok(login_challenges::table
            .filter(login_challenges::token_hash.eq(token_hash))
            .filter(login_challenges::stage.eq(stage.as_str()))
            .filter(login_challenges::consumed_at.is_null())
            .filter(login_challenges::expires_at.gt(now()))
            .filter(login_challenges::attempts.lt(max_attempts))
            .select(LoginChallenge::as_select())
            .first(conn)
            .optional()?)
    }

    /// Counts a wrong answer; returns the attempts used so far.
    pub fn record_attempt(conn: &mut DbConn, id: &str) -> ApiResult<i32> {
        diesel::update(login_challenges::table.find(id))
            .set(login_challenges::attempts.eq(login_challenges::attempts + 1))
            .execute(conn)?;
        Ok(login_challenges::table
            .find(id)
            .select(login_challenges::attempts)
            .first(conn)?)
    }

    /// Marks the challenge used; false when another request consumed it first.
    pub fn consume(conn: &mut DbConn, id: &str) -> ApiResult<bool> {
        let n = diesel::update(
            login_challenges::table
                .find(id)
                .filter(login_challenges::consumed_at.is_null()),
        )
        .set(login_challenges::consumed_at.eq(now()))
        .execute(conn)?;
        Ok(n == 1)
    }

    pub fn delete_expired(conn: &mut DbConn) -> ApiResult<usize> {
        Ok(
            diesel::delete(login_challenges::table.filter(login_challenges::expires_at.lt(now())))
                .execute(conn)?,
        )
    }
}
