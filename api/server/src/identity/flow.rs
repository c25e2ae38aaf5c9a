//! The identity domain: password checks with throttling and lockout, the login steps, 2FA setup and
//! verification, sessions and script tokens. Handlers call these and only map the results.

use crate::audit::{self, event};
use crate::identity::{password, totp};
use crate::security::ClientInfo;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use leadgen_core::crypto::{random_token, sha256_hex, KeyRing, Slot};
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::audit::AuditEntry;
use leadgen_db::models::auth_tokens::{RefreshOutcome, RefreshToken};
use leadgen_db::models::login::{Failure, LockoutPolicy, LoginChallenge, LoginThrottle, Stage};
use leadgen_db::models::session::{NewSession, Session};
use leadgen_db::models::setting::Setting;
use leadgen_db::models::user::{BackupCode, User};
use leadgen_db::{new_id, write_tx};
use serde_json::json;

/// Wrong codes that end a pending login.
pub const MAX_CODE_ATTEMPTS: i32 = 5;
pub const PENDING_PREFIX: &str = "lg_pend_";
pub const REFRESH_PREFIX: &str = "lg_ref_";

#[allow(clippy::large_enum_variant)] // short-lived, one per request
pub enum Next {
    Pending {
        stage: Stage,
        token: String,
        expires_at: DateTime<Utc>,
    },
    Session(NewLogin),
}

pub struct NewLogin {
    pub user: User,
    pub session_id: String,
    pub csrf_token: String,
    pub backup_codes: Option<Vec<String>>,
}

fn lockout_policy(state: &AppState) -> LockoutPolicy {
    LockoutPolicy {
        threshold: i32::try_from(state.settings.lockout_threshold).unwrap_or(5),
        base_secs: i64::from(state.settings.lockout_base_secs),
        max_secs: i64::from(state.settings.lockout_max_secs),
    }
}

fn locked(wait: i64) -> ApiError {
    let minutes = (wait + 59) / 60;
    ApiError::msg(
        ErrorCode::AccountLocked,
        format!(
            "Too many failed attempts. Try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        ),
    )
    .with_retry_after(u64::try_from(wait).unwrap_or(60))
}

pub fn totp_slot(user_id: &str) -> Slot<'_> {
    Slot {
        table: "users",
        column: "totp_secret_enc",
        row_id: user_id,
    }
}
pub fn pending_totp_slot(user_id: &str) -> Slot<'_> {
    Slot {
        table: "users",
        column: "totp_pending_secret_enc",
        row_id: user_id,
    }
}

/// Checks a username and password. Unknown user, wrong password and inactive account answer alike; after
/// repeated failures the name locks (unknown names too, so the lock reveals nothing).
pub async fn check_password(
    state: &AppState,
    client: &ClientInfo,
    username: &str,
    pw: String,
) -> ApiResult<User> {
    let key = User::key_of(username);
    let k = key.clone();
    if let Some(wait) = state
        .db
        .run(move |c| LoginThrottle::locked_for(c, &k))
        .await?
    {
        audit::record(
            state,
            event("login.locked", None, client)
                .failed()
                .target("user", None, Some(&key)),
        )
        .await;
        return Err(locked(wait));
    }
    let k = key.clone();
    let user = state.db.run(move |c| User::find_by_username(c, &k)).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| state.dummy_hash.to_string());
    let verified = password::verify(pw, hash).await?;
    match user {
        // The failures are forgotten once the whole sign-in succeeds (`start_session`, `token_login`): wrong
        // second-factor codes count with wrong passwords, across sign-in attempts.
        Some(u) if verified && u.active => Ok(u),
        other => {
            let policy = lockout_policy(state);
            let k = key.clone();
            let wait = state
                .db
                .run(move |c| LoginThrottle::record_failure(c, &k, policy))
                .await?
                .locked_for;
            let reason = match (&other, verified) {
                (None, _) => "unknown_user",
                (Some(_), false) => "wrong_password",
                (Some(_), true) => "inactive",
            };
            let id = other.as_ref().map(|u| u.id.clone());
            audit::record(
                state,
                event("login.failure", None, client)
                    .failed()
                    .target("user", id.as_deref(), Some(&key))
                    .details(json!({ "reason": reason, "locked": wait.is_some() })),
            )
            .await;
            Err(match wait {
                Some(w) => locked(w),
                None => ApiError::new(ErrorCode::InvalidCredentials),
            })
        }
    }
}

async fn require_2fa(state: &AppState) -> ApiResult<bool> {
    state
        .db
        .run(|c| Setting::get_bool(c, Setting::REQUIRE_2FA, true))
        .await
}

/// After the password: the next step this user owes, or a session.
pub async fn next_step(state: &AppState, client: &ClientInfo, user: User) -> ApiResult<Next> {
    let stage = if user.must_change_password {
        Some(Stage::PasswordChange)
    } else if user.totp_enabled {
        Some(Stage::Totp)
    } else if require_2fa(state).await? {
        Some(Stage::TotpSetup)
    } else {
        None
    };
    match stage {
        Some(stage) => {
            let token = random_token(PENDING_PREFIX, 32);
            let hash = sha256_hex(&token);
            let ttl = i64::from(state.settings.pending_login_ttl_secs);
            let uid = user.id.clone();
            let ch = state
                .db
                .run(move |c| LoginChallenge::create(c, &uid, &hash, stage, ttl))
                .await?;
            Ok(Next::Pending {
                stage,
                token,
                expires_at: ch.expires_at.and_utc(),
            })
        }
        None => Ok(Next::Session(
            start_session(state, client, user, None).await?,
        )),
    }
}

/// Creates the server-side session record; the handler puts its id into the identity cookie.
pub async fn start_session(
    state: &AppState,
    client: &ClientInfo,
    user: User,
    backup_codes: Option<Vec<String>>,
) -> ApiResult<NewLogin> {
    let session_id = new_id();
    let csrf_token = random_token("", 32);
    let csrf_hash = sha256_hex(&csrf_token);
    let ttl = Duration::hours(i64::from(state.settings.session_ttl_hours));
    let (sid, uid, tv, key) = (
        session_id.clone(),
        user.id.clone(),
        user.token_version,
        user.username_key.clone(),
    );
    let client2 = client.clone();
    let audit_event = event("login.success", Some(&user), client).target(
        "user",
        Some(&user.id),
        Some(&user.username),
    );
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                Session::create(
                    c,
                    NewSession {
                        id: &sid,
                        user_id: &uid,
                        csrf_hash: &csrf_hash,
                        token_version: tv,
                        ttl,
                        ip: client2.ip.as_deref(),
                        user_agent: client2.user_agent.as_deref(),
                    },
                )?;
                User::touch_login(c, &uid)?;
                LoginThrottle::clear(c, &key)?;
                AuditEntry::insert(c, &audit_event)
            })
        })
        .await?;
    Ok(NewLogin {
        user,
        session_id,
        csrf_token,
        backup_codes,
    })
}

/// The live challenge behind a pending token, and its user.
async fn challenge(
    state: &AppState,
    token: &str,
    stage: Stage,
) -> ApiResult<(LoginChallenge, User)> {
    let hash = sha256_hex(token);
    let found = state
        .db
        .run(move |c| {
            let Some(ch) = LoginChallenge::find_live(c, &hash, stage, MAX_CODE_ATTEMPTS)? else {
                return Ok(None);
            };
            let Some(u) = User::find(c, &ch.user_id)? else {
                return Ok(None);
            };
            Ok(u.active.then_some((ch, u)))
        })
        .await?;
    found.ok_or_else(|| ApiError::new(ErrorCode::LoginStepExpired))
}

async fn consume(state: &AppState, ch: &LoginChallenge) -> ApiResult<()> {
    let id = ch.id.clone();
    if state
        .db
        .run(move |c| LoginChallenge::consume(c, &id))
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::LoginStepExpired))
    }
}

/// Checks a new password against the rules and the current password; hashes it.
pub async fn new_password_hash(
    state: &AppState,
    user: &User,
    new_password: &str,
    field: &str,
) -> ApiResult<String> {
    let broken = leadgen_core::password::check(new_password, &user.username);
    if !broken.is_empty() {
        return Err(leadgen_core::password::to_error(field, &broken));
    }
    if password::verify(new_password.to_owned(), user.password_hash.clone()).await? {
        return Err(ApiError::field(
            field,
            "same_as_current",
            "Different from your current password",
        ));
    }
    password::hash(new_password.to_owned(), state.settings.bcrypt_cost).await
}

pub async fn password_step(
    state: &AppState,
    client: &ClientInfo,
    token: &str,
    new_password: &str,
) -> ApiResult<Next> {
    let (ch, user) = challenge(state, token, Stage::PasswordChange).await?;
    let hash = new_password_hash(state, &user, new_password, "new_password").await?;
    consume(state, &ch).await?;
    let uid = user.id.clone();
    let e = event("password.changed", Some(&user), client).target(
        "user",
        Some(&user.id),
        Some(&user.username),
    );
    let user = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                User::set_password(c, &uid, &hash, false)?;
                AuditEntry::insert(c, &e)?;
                User::get(c, &uid)
            })
        })
        .await?;
    next_step(state, client, user).await
}

/// Verifies a TOTP code (claiming its time step) or consumes a backup code. Ok(true) when accepted.
pub async fn verify_second_factor(
    state: &AppState,
    client: &ClientInfo,
    user: &User,
    code: Option<&str>,
    backup_code: Option<&str>,
) -> ApiResult<bool> {
    if let Some(code) = code {
        let Some(blob) = user.totp_secret_enc.clone() else {
            return Ok(false);
        };
        let secret = state
            .secrets
            .keyring
            .decrypt(&blob, totp_slot(&user.id))
            .map_err(ApiError::internal)?;
        let Some(step) = totp::matching_step(&secret, code, totp::now_secs())? else {
            return Ok(false);
        };
        let uid = user.id.clone();
        return state
            .db
            .run(move |c| User::claim_totp_step(c, &uid, step))
            .await;
    }
    if let Some(backup) = backup_code {
        let hash = totp::backup_code_hash(&state.secrets.hash_key, backup);
        let uid = user.id.clone();
        let e = event("backup_code.used", Some(user), client).target(
            "user",
            Some(&user.id),
            Some(&user.username),
        );
        let used = state
            .db
            .run(move |c| {
                let used = BackupCode::consume(c, &uid, &hash)?;
                if used {
                    AuditEntry::insert(c, &e)?;
                }
                Ok(used)
            })
            .await?;
        return Ok(used);
    }
    Ok(false)
}

pub async fn totp_step(
    state: &AppState,
    client: &ClientInfo,
    token: &str,
    code: Option<&str>,
    backup: Option<&str>,
) -> ApiResult<NewLogin> {
    if code.is_none() && backup.is_none() {
        return Err(ApiError::field(
            "code",
            "required",
            "Enter the code from your authenticator app or a backup code.",
        ));
    }
    let (ch, user) = challenge(state, token, Stage::Totp).await?;
    // Locked (by wrong codes in this or another sign-in, or wrong passwords): no code is even checked.
    let key = user.username_key.clone();
    if let Some(wait) = state
        .db
        .run(move |c| LoginThrottle::locked_for(c, &key))
        .await?
    {
        audit::record(
            state,
            event("login.locked", None, client).failed().target(
                "user",
                Some(&user.id),
                Some(&user.username),
            ),
        )
        .await;
        return Err(locked(wait));
    }
    if !verify_second_factor(state, client, &user, code, backup).await? {
        let (id, key, policy) = (
            ch.id.clone(),
            user.username_key.clone(),
            lockout_policy(state),
        );
        let (used, failure) = state
            .db
            .run(move |c| {
                Ok((
                    LoginChallenge::record_attempt(c, &id)?,
                    LoginThrottle::record_failure(c, &key, policy)?,
                ))
            })
            .await?;
        return Err(second_factor_failed(state, client, &user, Some(used), failure).await);
    }
    consume(state, &ch).await?;
    start_session(state, client, user, None).await
}

/// A wrong second-factor code was counted: the audit event, and the answer (423 when it locked the account).
async fn second_factor_failed(
    state: &AppState,
    client: &ClientInfo,
    user: &User,
    challenge_attempts: Option<i32>,
    failure: Failure,
) -> ApiError {
    let left = match challenge_attempts {
        Some(used) => (MAX_CODE_ATTEMPTS - used).min(failure.left).max(0),
        None => failure.left,
    };
    let locked_now = failure.locked_for.is_some();
    audit::record(
        state,
        event("totp.failure", None, client)
            .failed()
            .target("user", Some(&user.id), Some(&user.username))
            .details(json!({ "attempts_left": left, "locked": locked_now })),
    )
    .await;
    match failure.locked_for {
        Some(w) => locked(w),
        None => {
            ApiError::new(ErrorCode::InvalidTotpCode).with_details(json!({ "attempts_left": left }))
        }
    }
}

/// Starts (or restarts) 2FA setup: a new secret, kept encrypted as pending until confirmed.
pub async fn begin_totp_setup(state: &AppState, user: &User) -> ApiResult<totp::Setup> {
    let secret = totp::new_secret();
    let blob = state
        .secrets
        .keyring
        .encrypt(&secret, pending_totp_slot(&user.id))
        .map_err(ApiError::internal)?;
    let uid = user.id.clone();
    state
        .db
        .run(move |c| User::set_pending_totp(c, &uid, &blob))
        .await?;
    totp::setup(&secret, &state.settings.totp_issuer, &user.username)
}

pub async fn login_totp_setup(state: &AppState, token: &str) -> ApiResult<totp::Setup> {
    let (_, user) = challenge(state, token, Stage::TotpSetup).await?;
    begin_totp_setup(state, &user).await
}

/// Confirms setup with a valid code from the pending secret: enables 2FA and returns fresh backup codes.
pub async fn confirm_totp_setup(
    state: &AppState,
    client: &ClientInfo,
    user: &User,
    code: &str,
) -> ApiResult<Option<Vec<String>>> {
    let Some(blob) = user.totp_pending_secret_enc.clone() else {
        return Ok(None);
    };
    let keyring: &KeyRing = &state.secrets.keyring;
    let secret = keyring
        .decrypt(&blob, pending_totp_slot(&user.id))
        .map_err(ApiError::internal)?;
    let Some(step) = totp::matching_step(&secret, code, totp::now_secs())? else {
        return Ok(None);
    };
    let enc = keyring
        .encrypt(&secret, totp_slot(&user.id))
        .map_err(ApiError::internal)?;
    let codes = totp::new_backup_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| totp::backup_code_hash(&state.secrets.hash_key, c))
        .collect();
    let uid = user.id.clone();
    let e = event("totp.enabled", Some(user), client).target(
        "user",
        Some(&user.id),
        Some(&user.username),
    );
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                User::enable_totp(c, &uid, &enc, step)?;
                BackupCode::replace_all(c, &uid, &hashes)?;
                AuditEntry::insert(c, &e)
            })
        })
        .await?;
    Ok(Some(codes))
}

pub async fn login_totp_confirm(
    state: &AppState,
    client: &ClientInfo,
    token: &str,
    code: &str,
) -> ApiResult<NewLogin> {
    let (ch, user) = challenge(state, token, Stage::TotpSetup).await?;
    match confirm_totp_setup(state, client, &user, code).await? {
        Some(codes) => {
            consume(state, &ch).await?;
            let uid = user.id.clone();
            let user = state.db.run(move |c| User::get(c, &uid)).await?;
            start_session(state, client, user, Some(codes)).await
        }
        None => {
            let id = ch.id.clone();
            let used = state
                .db
                .run(move |c| LoginChallenge::record_attempt(c, &id))
                .await?;
            let left = (MAX_CODE_ATTEMPTS - used).max(0);
            Err(ApiError::new(ErrorCode::InvalidTotpCode)
                .with_details(json!({ "attempts_left": left })))
        }
    }
}

pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u32,
}

async fn issue_tokens(
    state: &AppState,
    user: &User,
    family: Option<String>,
) -> ApiResult<IssuedTokens> {
    let family = family.unwrap_or_else(new_id);
    let access_token = crate::identity::jwt::issue(
        &state.secrets.jwt_key,
        &user.id,
        user.token_version,
        state.settings.access_token_ttl_secs,
        &family,
    )?;
    let refresh_token = random_token(REFRESH_PREFIX, 32);
    let hash = sha256_hex(&refresh_token);
    let ttl = Duration::days(i64::from(state.settings.refresh_token_ttl_days));
    let (uid, tv) = (user.id.clone(), user.token_version);
    state
        .db
        .run(move |c| RefreshToken::create(c, &uid, &family, &hash, tv, ttl))
        .await?;
    Ok(IssuedTokens {
        access_token,
        refresh_token,
        expires_in: state.settings.access_token_ttl_secs,
    })
}

/// `POST /auth/token`: password (and the second factor when enabled) for a JWT and a refresh token.
pub async fn token_login(
    state: &AppState,
    client: &ClientInfo,
    username: &str,
    pw: String,
    code: Option<&str>,
    backup: Option<&str>,
) -> ApiResult<IssuedTokens> {
    let user = check_password(state, client, username, pw).await?;
    if user.totp_enabled {
        if code.is_none() && backup.is_none() {
            return Err(ApiError::msg(
                ErrorCode::InvalidTotpCode,
                "This account needs a TOTP code or a backup code.",
            )
            .with_details(json!({ "field": "totp_code" })));
        }
        if !verify_second_factor(state, client, &user, code, backup).await? {
            let policy = lockout_policy(state);
            let key = user.username_key.clone();
            let failure = state
                .db
                .run(move |c| LoginThrottle::record_failure(c, &key, policy))
                .await?;
            return Err(second_factor_failed(state, client, &user, None, failure).await);
        }
    } else if require_2fa(state).await? {
        return Err(ApiError::msg(
            ErrorCode::TotpSetupRequired,
            "Sign in to the web app once to set up two-factor authentication.",
        ));
    }
    let issued = issue_tokens(state, &user, None).await?;
    let (uid, key) = (user.id.clone(), user.username_key.clone());
    state
        .db
        .run(move |c| {
            User::touch_login(c, &uid)?;
            LoginThrottle::clear(c, &key)
        })
        .await?;
    audit::record(
        state,
        event("token.issued", Some(&user), client).target(
            "user",
            Some(&user.id),
            Some(&user.username),
        ),
    )
    .await;
    Ok(issued)
}

/// `POST /auth/refresh`: rotates a refresh token; a spent token presented again revokes its whole family.
pub async fn refresh(
    state: &AppState,
    client: &ClientInfo,
    token: &str,
) -> ApiResult<IssuedTokens> {
    let hash = sha256_hex(token);
    let outcome = state.db.run(move |c| RefreshToken::spend(c, &hash)).await?;
    match outcome {
        RefreshOutcome::Rotated(row) => {
            let uid = row.user_id.clone();
            let user = state.db.run(move |c| User::find(c, &uid)).await?;
            let user = user
                .filter(|u| u.active && u.token_version == row.token_version)
                .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated))?;
            let issued = issue_tokens(state, &user, Some(row.family_id)).await?;
            audit::record(state, event("token.refreshed", Some(&user), client)).await;
            Ok(issued)
        }
        RefreshOutcome::Reused { user_id, family_id } => {
            audit::record(
                state,
                event("token.refresh_reuse", None, client)
                    .failed()
                    .target("user", Some(&user_id), None)
                    .details(json!({ "family_id": family_id })),
            )
            .await;
            Err(ApiError::msg(
                ErrorCode::Unauthenticated,
                "This refresh token was already used; its family and the access tokens issued from it are revoked.",
            ))
        }
        RefreshOutcome::Invalid => Err(ApiError::new(ErrorCode::Unauthenticated)),
    }
}
