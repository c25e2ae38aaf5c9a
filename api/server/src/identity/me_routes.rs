//! `/api/v1/me/*`: the signed-in user's own account: profile, password, 2FA, sessions, API tokens.

use crate::audit::{self, event};
use crate::extract::Body;
use crate::identity::dto::*;
use crate::identity::extract::{CurrentUser, SignedIn, API_TOKEN_PREFIX};
use crate::identity::flow;
use crate::identity::totp;
use crate::security::ClientInfo;
use crate::state::AppState;
use actix_identity::Identity;
use actix_web::web::{self, Json, Path};
use actix_web::HttpResponse;
use chrono::Duration;
use leadgen_core::crypto::{random_token, sha256_hex};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::audit::AuditEntry;
use leadgen_db::models::auth_tokens::{ApiToken, NewApiToken};
use leadgen_db::models::session::Session;
use leadgen_db::models::setting::Setting;
use leadgen_db::models::user::{BackupCode, User};
use leadgen_db::{now, write_tx};

/// Who am I. Works while a password change is pending.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn get_me(SignedIn(me): SignedIn) -> Json<Me> {
    Json(Me::from(&me.user))
}

/// Update your profile.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = UpdateMe, responses((status = 200, body = Me), (status = 422, body = ErrorBody)))]
pub async fn update_me(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<UpdateMe>,
) -> ApiResult<Json<Me>> {
    let uid = me.user.id.clone();
    let e = event("user.email_changed", Some(&me.user), &client).target(
        "user",
        Some(&me.user.id),
        Some(&me.user.username),
    );
    let email = b
        .email
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let user = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                User::set_email(c, &uid, email.as_deref())?;
                AuditEntry::insert(c, &e)?;
                User::get(c, &uid)
            })
        })
        .await?;
    Ok(Json(Me::from(&user)))
}

/// Change your password. Every other session and token is signed out; this session stays.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", request_body = ChangePassword,
    responses((status = 204), (status = 401, body = ErrorBody, description = "invalid_credentials: the current password is wrong"), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    SignedIn(me): SignedIn,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<ChangePassword>,
) -> ApiResult<HttpResponse> {
    state.limits.auth(&client)?;
    if !crate::identity::password::verify(b.current_password, me.user.password_hash.clone()).await?
    {
        return Err(ApiError::msg(
            ErrorCode::InvalidCredentials,
            "The current password is wrong.",
        )
        .with_details(serde_json::json!({ "field": "current_password" })));
    }
    let hash = flow::new_password_hash(&state, &me.user, &b.new_password, "new_password").await?;
    let uid = me.user.id.clone();
    let keep = me.session_id().map(str::to_owned);
    let e = event("password.changed", Some(&me.user), &client).target(
        "user",
        Some(&me.user.id),
        Some(&me.user.username),
    );
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let tv = User::set_password(c, &uid, &hash, false)?;
                if let Some(sid) = keep {
                    Session::reinstate(c, &sid, tv)?;
                }
                AuditEntry::insert(c, &e)
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Your 2FA status.
#[utoipa::path(get, path = "/api/v1/me/2fa", tag = "me", responses((status = 200, body = TwoFactorStatus)))]
pub async fn two_factor_status(
    me: CurrentUser,
    state: web::Data<AppState>,
) -> ApiResult<Json<TwoFactorStatus>> {
    let uid = me.user.id.clone();
    let (remaining, required) = state
        .db
        .run(move |c| {
            Ok((
                BackupCode::remaining(c, &uid)?,
                Setting::get_bool(c, Setting::REQUIRE_2FA, true)?,
            ))
        })
        .await?;
    Ok(Json(TwoFactorStatus {
        enabled: me.user.totp_enabled,
        backup_codes_remaining: remaining,
        required_by_policy: required,
    }))
}

/// Start 2FA setup (when it is not on yet).
#[utoipa::path(post, path = "/api/v1/me/2fa/setup", tag = "me", responses((status = 200, body = TotpSetup), (status = 409, body = ErrorBody)))]
pub async fn two_factor_setup(
    me: CurrentUser,
    state: web::Data<AppState>,
) -> ApiResult<Json<TotpSetup>> {
    if me.user.totp_enabled {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "Two-factor authentication is already on.",
        ));
    }
    let s = flow::begin_totp_setup(&state, &me.user).await?;
    Ok(Json(TotpSetup {
        secret: s.secret_b32,
        otpauth_uri: s.uri,
        qr_data_url: s.qr_data_url,
    }))
}

/// Confirm 2FA setup with a code; returns the backup codes (shown once).
#[utoipa::path(post, path = "/api/v1/me/2fa/setup/confirm", tag = "me", request_body = CodeRequest,
    responses((status = 200, body = BackupCodes), (status = 401, body = ErrorBody, description = "invalid_totp_code"),
        (status = 409, body = ErrorBody, description = "Two-factor authentication is already on (`conflict`)")))]
pub async fn two_factor_confirm(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<CodeRequest>,
) -> ApiResult<Json<BackupCodes>> {
    state.limits.auth(&client)?;
    if me.user.totp_enabled {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "Two-factor authentication is already on.",
        ));
    }
    match flow::confirm_totp_setup(&state, &client, &me.user, &b.code).await? {
        Some(codes) => Ok(Json(BackupCodes {
            backup_codes: codes,
        })),
        None => Err(ApiError::new(ErrorCode::InvalidTotpCode)),
    }
}

/// New backup codes (the old ones stop working). Needs a current TOTP code.
#[utoipa::path(post, path = "/api/v1/me/2fa/backup-codes", tag = "me", request_body = CodeRequest,
    responses((status = 200, body = BackupCodes), (status = 401, body = ErrorBody, description = "invalid_totp_code")))]
pub async fn regenerate_backup_codes(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<CodeRequest>,
) -> ApiResult<Json<BackupCodes>> {
    state.limits.auth(&client)?;
    if !me.user.totp_enabled {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "Turn on two-factor authentication first.",
        ));
    }
    if !flow::verify_second_factor(&state, &client, &me.user, Some(&b.code), None).await? {
        audit::record(
            &state,
            event("totp.failure", Some(&me.user), &client).failed(),
        )
        .await;
        return Err(ApiError::new(ErrorCode::InvalidTotpCode));
    }
    let codes = totp::new_backup_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| totp::backup_code_hash(&state.secrets.hash_key, c))
        .collect();
    let uid = me.user.id.clone();
    let e = event("backup_codes.regenerated", Some(&me.user), &client).target(
        "user",
        Some(&me.user.id),
        Some(&me.user.username),
    );
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                BackupCode::replace_all(c, &uid, &hashes)?;
                AuditEntry::insert(c, &e)
            })
        })
        .await?;
    Ok(Json(BackupCodes {
        backup_codes: codes,
    }))
}

/// Your live sessions.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "me", responses((status = 200, body = Vec<SessionInfo>)))]
pub async fn list_sessions(
    me: CurrentUser,
    state: web::Data<AppState>,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    let uid = me.user.id.clone();
    let rows = state
        .db
        .run(move |c| Session::list_for_user(c, &uid))
        .await?;
    let current = me.session_id();
    Ok(Json(
        rows.iter().map(|s| SessionInfo::of(s, current)).collect(),
    ))
}

/// Sign out one of your sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "me", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_session(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let (uid, sid) = (me.user.id.clone(), id.into_inner());
    let e = event("session.revoked", Some(&me.user), &client).target("session", Some(&sid), None);
    let done = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let done = Session::revoke_own(c, &uid, &sid)?;
                if done {
                    AuditEntry::insert(c, &e)?;
                }
                Ok(done)
            })
        })
        .await?;
    if !done {
        return Err(ApiError::not_found());
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Sign out everywhere: every session (this one too) and every token.
#[utoipa::path(post, path = "/api/v1/me/logout-everywhere", tag = "me", responses((status = 204)))]
pub async fn logout_everywhere(
    me: CurrentUser,
    identity: Option<Identity>,
    state: web::Data<AppState>,
    client: ClientInfo,
) -> ApiResult<HttpResponse> {
    let uid = me.user.id.clone();
    let e = event("logout.everywhere", Some(&me.user), &client).target(
        "user",
        Some(&me.user.id),
        Some(&me.user.username),
    );
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                User::revoke_everything(c, &uid)?;
                AuditEntry::insert(c, &e)
            })
        })
        .await?;
    if let Some(identity) = identity {
        identity.logout();
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Your personal API tokens.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me", responses((status = 200, body = Vec<ApiTokenInfo>)))]
pub async fn list_tokens(
    me: CurrentUser,
    state: web::Data<AppState>,
) -> ApiResult<Json<Vec<ApiTokenInfo>>> {
    let uid = me.user.id.clone();
    let rows = state
        .db
        .run(move |c| ApiToken::list_for_user(c, &uid))
        .await?;
    Ok(Json(rows.iter().map(ApiTokenInfo::from).collect()))
}

/// Create a personal API token. The secret is in this response only.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "me", request_body = CreateApiToken,
    responses((status = 201, body = CreatedApiToken), (status = 403, body = ErrorBody, description = "viewers may only create read tokens"), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<CreateApiToken>,
) -> ApiResult<HttpResponse> {
    if b.scope == TokenScope::ReadWrite && !me.user.role().can_write() {
        return Err(
            ApiError::msg(ErrorCode::Forbidden, "Viewers can only create read tokens.")
                .with_details(serde_json::json!({ "field": "scope" })),
        );
    }
    let name = b.name.trim().to_owned();
    if name.is_empty() {
        return Err(ApiError::field(
            "name",
            "required",
            "Give the token a name.",
        ));
    }
    let secret = random_token(API_TOKEN_PREFIX, 32);
    let hash = sha256_hex(&secret);
    let prefix: String = secret.chars().take(API_TOKEN_PREFIX.len() + 4).collect();
    let expires_at = b.expires_in_days.map(|d| now() + Duration::days(d));
    let (uid, tv, scope) = (me.user.id.clone(), me.user.token_version, b.scope);
    let e = event("api_token.created", Some(&me.user), &client)
        .target("api_token", None, Some(&name))
        .details(serde_json::json!({ "scope": scope.as_str() }));
    let token = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let t = ApiToken::create(
                    c,
                    NewApiToken {
                        user_id: &uid,
                        name: &name,
                        scope: scope.as_str(),
                        token_hash: &hash,
                        prefix: &prefix,
                        token_version: tv,
                        expires_at,
                    },
                )?;
                AuditEntry::insert(c, &e)?;
                Ok(t)
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedApiToken {
        token: ApiTokenInfo::from(&token),
        secret,
    }))
}

/// Revoke one of your API tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "me", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let (uid, tid) = (me.user.id.clone(), id.into_inner());
    let actor = me.user.clone();
    let client2 = client.clone();
    let revoked = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let t = ApiToken::revoke_own(c, &uid, &tid)?;
                if let Some(t) = &t {
                    AuditEntry::insert(
                        c,
                        &event("api_token.revoked", Some(&actor), &client2).target(
                            "api_token",
                            Some(&t.id),
                            Some(&t.name),
                        ),
                    )?;
                }
                Ok(t)
            })
        })
        .await?;
    match revoked {
        Some(_) => Ok(HttpResponse::NoContent().finish()),
        None => Err(ApiError::not_found()),
    }
}
