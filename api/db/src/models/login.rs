//! What a login in progress needs: the per-username failure counter behind lockout, and the short-lived,
//! single-purpose challenges that carry a pending step (password change, TOTP, TOTP setup).

use crate::schema::{login_challenges, login_throttle};
use crate::{new_id, now, sql, DbConn};
use chrono::{Duration, NaiveDateTime};
use diesel::connection::SimpleConnection;
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

/// What a failed attempt led to.
#[derive(Debug, Clone, Copy)]
pub struct Failure {
    /// Seconds the key is now locked for, when this failure locked it.
    pub locked_for: Option<i64>,
    /// Failures the key may still have before it locks.
    pub left: i32,
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

    /// Records a failure (a wrong password or a wrong second-factor code: they count together, per username);
    /// answers whether it locked the key and how many failures are left before it would.
    pub fn record_failure(
        conn: &mut DbConn,
        key: &str,
        policy: LockoutPolicy,
    ) -> ApiResult<Failure> {
        // Statement by statement, each atomic, so concurrent failures (a burst of wrong codes) all count and the
        // key locks once: the row exists, the count goes up, and the one attempt that finds it at the threshold
        // (compare-and-set on `lockouts`) locks it.
        let t = now();
        let mut counted = None;
        // A sign-in completing at the same moment deletes the row (`clear`): count on a new one.
        for _ in 0..3 {
            conn.batch_execute(&format!(
                "INSERT INTO login_throttle (username_key, failures, lockouts, locked_until, updated_at) \
                 VALUES ({}, 0, 0, NULL, {}) ON CONFLICT (username_key) DO NOTHING",
                sql::lit(key),
                sql::ts(t)
            ))?;
            diesel::update(login_throttle::table.find(key))
                .set((
                    login_throttle::failures.eq(login_throttle::failures + 1),
                    login_throttle::updated_at.eq(t),
                ))
                .execute(conn)?;
            counted = login_throttle::table
                .find(key)
                .select(LoginThrottle::as_select())
                .first(conn)
                .optional()?;
            if counted.is_some() {
                break;
            }
        }
        let Some(row) = counted else {
            return Ok(Failure {
                locked_for: None,
                left: policy.threshold - 1,
            });
        };
        if row.failures < policy.threshold {
            return Ok(Failure {
                locked_for: None,
                left: policy.threshold - row.failures,
            });
        }
        let wait = policy.wait_for(row.lockouts);
        let locked = diesel::update(
            login_throttle::table
                .find(key)
                .filter(login_throttle::lockouts.eq(row.lockouts))
                .filter(login_throttle::failures.ge(policy.threshold)),
        )
        .set((
            login_throttle::failures.eq(0),
            login_throttle::lockouts.eq(row.lockouts + 1),
            login_throttle::locked_until.eq(Some(t + Duration::seconds(wait))),
        ))
        .execute(conn)?;
        if locked == 1 {
            return Ok(Failure {
                locked_for: Some(wait),
                left: policy.threshold,
            });
        }
        // Another attempt locked the key a moment ago.
        Ok(Failure {
            locked_for: LoginThrottle::locked_for(conn, key)?,
            left: 0,
        })
    }

    /// Forgets the failures: called when a sign-in succeeds completely (the second factor included).
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
