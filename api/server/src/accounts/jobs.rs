//! The accounts' periodic jobs. `accounts.refresh_tokens` (hourly): every official token at least a day old
//! (Instagram refuses younger ones) that expires within [`REFRESH_WITHIN_DAYS`] is refreshed for 60 more days; an
//! expired token, or a refresh Instagram rejects, marks the account "reconnect needed" with a notice — never
//! silently. `accounts.check_sessions` (every 6 hours): every live credential session is checked on the sidecar;
//! the check time is recorded, and a session Instagram wants a new login for is marked invalid.

use super::credentials::{self, Env};
use super::{instagram, instagram_app, seal, unseal};
use crate::jobs::{JobContext, JobHandler, Outcome};
use crate::providers::ProviderAccess;
use leadgen_core::ApiResult;
use leadgen_db::models::ig_account::{IgAccount, OfficialToken};
use leadgen_db::models::job::NewJob;
use secrecy::ExposeSecret;
use serde_json::json;
use std::time::Duration;

pub const REFRESH_KIND: &str = "accounts.refresh_tokens";
pub const REFRESH_SCHEDULE: &str = "refresh_instagram_tokens";
pub const REFRESH_EVERY: Duration = Duration::from_secs(3600);
/// Tokens expiring within this many days are refreshed (they last 60).
pub const REFRESH_WITHIN_DAYS: i64 = 10;
/// Instagram refreshes only tokens at least this old.
pub const REFRESH_MIN_AGE_HOURS: i64 = 24;

pub const CHECK_KIND: &str = "accounts.check_sessions";
pub const CHECK_SCHEDULE: &str = "check_instagram_sessions";
pub const CHECK_EVERY: Duration = Duration::from_secs(6 * 3600);

pub const NOTICE_EXPIRED: &str =
    "The Instagram token has expired: connect the account again (Accounts → Reconnect).";
pub const NOTICE_REJECTED: &str =
    "Instagram refused to renew the token (revoked or expired): connect the account again (Accounts → Reconnect).";

pub fn refresh_job() -> NewJob {
    NewJob::new(REFRESH_KIND, json!({})).max_attempts(3)
}

pub fn check_job() -> NewJob {
    NewJob::new(CHECK_KIND, json!({})).max_attempts(3)
}

pub struct RefreshTokens {
    pub access: ProviderAccess,
}

impl JobHandler for RefreshTokens {
    fn run(&self, ctx: &JobContext) -> ApiResult<Outcome> {
        let now = ctx.now();
        let due = {
            let mut c = ctx.conn()?;
            IgAccount::tokens_due(
                &mut c,
                now - chrono::Duration::hours(REFRESH_MIN_AGE_HOURS),
                now + chrono::Duration::days(REFRESH_WITHIN_DAYS),
            )?
        };
        if due.is_empty() {
            return Ok(Outcome::Done);
        }
        let app = {
            let mut c = ctx.conn()?;
            instagram_app(&self.access.secrets, &mut c, String::new())?
        };
        let Some(app) = app else {
            tracing::warn!(
                due = due.len(),
                "Instagram tokens are due but the Instagram app is not set"
            );
            return Ok(Outcome::Done);
        };
        let ig = instagram(app, &self.access.settings)?;
        let keyring = &self.access.secrets.keyring;
        for account in due {
            ctx.checkpoint()?;
            let (Some(blob), Some(expires), Some(obtained)) = (
                &account.token_enc,
                account.token_expires_at,
                account.token_obtained_at,
            ) else {
                continue;
            };
            // One refresh per token: a repeated job finds the ledger entry and moves on.
            let key = format!(
                "ig_refresh:{}:{}",
                account.id,
                obtained.and_utc().timestamp_micros()
            );
            let mut c = ctx.conn()?;
            if expires <= now {
                ctx.effect(&mut c, &key, "ig_token_expired", |c| {
                    IgAccount::mark_reconnect(
                        c,
                        &account.id,
                        NOTICE_EXPIRED,
                        "provider_token_expired",
                        now,
                    )?;
                    Ok(json!({"expired": true}))
                })?;
                tracing::warn!(account = %account.id, "Instagram token expired: reconnect needed");
                continue;
            }
            let token = unseal(keyring, &account.id, "token_enc", blob)?;
            match ctx.block_on(ig.refresh_token(&token)) {
                Ok(fresh) => {
                    let enc = seal(
                        keyring,
                        &account.id,
                        "token_enc",
                        fresh.access_token.expose_secret(),
                    )?;
                    let until = now
                        + chrono::Duration::seconds(i64::try_from(fresh.expires_in).unwrap_or(0));
                    let scopes = account.token_scopes.clone().unwrap_or_default();
                    ctx.effect(&mut c, &key, "ig_token_refreshed", |c| {
                        IgAccount::set_token(
                            c,
                            &account.id,
                            &OfficialToken {
                                token_enc: &enc,
                                scopes: &scopes,
                                obtained_at: now,
                                expires_at: until,
                            },
                        )?;
                        Ok(json!({"expires_at": until.and_utc().to_rfc3339()}))
                    })?;
                    tracing::info!(account = %account.id, "Instagram token refreshed");
                }
                Err(e) if !e.kind.is_retryable() => {
                    let code = e.code().as_str();
                    ctx.effect(&mut c, &key, "ig_token_rejected", |c| {
                        IgAccount::mark_reconnect(c, &account.id, NOTICE_REJECTED, code, now)?;
                        Ok(json!({"code": code}))
                    })?;
                    tracing::warn!(account = %account.id, error = code, "Instagram refused the token refresh: reconnect needed");
                }
                Err(e) => {
                    // Instagram is unreachable or throttling: the next tick tries again (days before expiry).
                    tracing::warn!(account = %account.id, error = %e.code().as_str(), "Instagram token refresh failed; retried next hour");
                }
            }
        }
        Ok(Outcome::Done)
    }
}

pub struct CheckSessions {
    pub access: ProviderAccess,
}

impl JobHandler for CheckSessions {
    fn run(&self, ctx: &JobContext) -> ApiResult<Outcome> {
        let accounts = {
            let mut c = ctx.conn()?;
            IgAccount::with_sessions(&mut c)?
        };
        let env = Env {
            settings: self.access.settings.clone(),
            secrets: self.access.secrets.clone(),
            db: ctx.db().clone(),
        };
        for account in accounts {
            ctx.checkpoint()?;
            let now = ctx.now();
            let check = ctx.block_on(check_session(&env, &account, now))?;
            if !check {
                tracing::info!(account = %account.id, "Instagram session check failed");
            }
        }
        Ok(Outcome::Done)
    }
}

/// The session part of a check (the official token has its own job).
async fn check_session(
    env: &Env,
    account: &IgAccount,
    now: chrono::NaiveDateTime,
) -> ApiResult<bool> {
    let Some(blob) = &account.session_enc else {
        return Ok(true);
    };
    let Some(sidecar) = env.sidecar().await? else {
        return Ok(true);
    };
    let sid = unseal(&env.secrets.keyring, &account.id, "session_enc", blob)?;
    match sidecar.user_info_by_username(&sid, &account.username).await {
        Ok(_) => {
            let aid = account.id.clone();
            env.db
                .run(move |c| IgAccount::session_checked(c, &aid, now))
                .await?;
            Ok(true)
        }
        Err(e) => {
            credentials::record_failure(env, &account.id, &e, now).await?;
            Ok(false)
        }
    }
}
