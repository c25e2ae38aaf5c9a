//! `/api/v1/auth/*`: the multi-step browser login, logout, and tokens for scripts.

use crate::audit::{self, event};
use crate::extract::Body;
use crate::identity::dto::*;
use crate::identity::extract::SignedIn;
use crate::identity::flow::{self, Next};
use crate::security::ClientInfo;
use crate::state::AppState;
use actix_identity::Identity;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::web::{self, Json};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult};
use leadgen_db::models::login::Stage;
use leadgen_db::models::session::Session;

pub const CSRF_COOKIE: &str = "leadgen_csrf";

pub fn csrf_cookie(state: &AppState, value: &str) -> Cookie<'static> {
    Cookie::build(CSRF_COOKIE, value.to_owned())
        .path("/")
        .http_only(false)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Strict)
        .finish()
}

fn status_of(stage: Stage) -> LoginStatus {
    match stage {
        Stage::PasswordChange => LoginStatus::PasswordChangeRequired,
        Stage::Totp => LoginStatus::TotpRequired,
        Stage::TotpSetup => LoginStatus::TotpSetupRequired,
    }
}

/// Turns a login step into the response; a finished login puts the session id into the identity cookie.
fn respond(req: &HttpRequest, state: &AppState, next: Next) -> ApiResult<HttpResponse> {
    match next {
        Next::Pending {
            stage,
            token,
            expires_at,
        } => Ok(HttpResponse::Ok().json(LoginStep {
            status: status_of(stage),
            pending_token: Some(token),
            pending_expires_at: Some(expires_at),
            user: None,
            csrf_token: None,
            backup_codes: None,
        })),
        Next::Session(login) => {
            Identity::login(&req.extensions(), login.session_id.clone())
                .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
            Ok(HttpResponse::Ok()
                .cookie(csrf_cookie(state, &login.csrf_token))
                .json(LoginStep {
                    status: LoginStatus::Ok,
                    pending_token: None,
                    pending_expires_at: None,
                    user: Some(Me::from(&login.user)),
                    csrf_token: Some(login.csrf_token),
                    backup_codes: login.backup_codes,
                }))
        }
    }
}

/// Sign in with username and password. Answers the next step: `ok` (session cookie set), or a pending step.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginStep), (status = 401, body = ErrorBody, description = "invalid_credentials"),
        (status = 423, body = ErrorBody, description = "account_locked"), (status = 429, body = ErrorBody, description = "rate_limited")))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<LoginRequest>,
) -> ApiResult<HttpResponse> {
    state.limits.auth(&client)?;
    let user = flow::check_password(&state, &client, &b.username, b.password).await?;
    let next = flow::next_step(&state, &client, user).await?;
    respond(&req, &state, next)
}

/// Pending step `password_change_required`: set the new password.
#[utoipa::path(post, path = "/api/v1/auth/login/password", tag = "auth", request_body = PendingPasswordRequest,
    responses((status = 200, body = LoginStep), (status = 401, body = ErrorBody, description = "login_step_expired"),
        (status = 422, body = ErrorBody, description = "validation_failed")))]
pub async fn login_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<PendingPasswordRequest>,
) -> ApiResult<HttpResponse> {
    state.limits.auth(&client)?;
    let next = flow::password_step(&state, &client, &b.pending_token, &b.new_password).await?;
    respond(&req, &state, next)
}

/// Pending step `totp_required`: a TOTP code or a backup code. Five wrong codes end the pending login.
#[utoipa::path(post, path = "/api/v1/auth/login/totp", tag = "auth", request_body = PendingTotpRequest,
    responses((status = 200, body = LoginStep), (status = 401, body = ErrorBody, description = "invalid_totp_code or login_step_expired")))]
pub async fn login_totp(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<PendingTotpRequest>,
) -> ApiResult<HttpResponse> {
    state.limits.auth(&client)?;
    let login = flow::totp_step(
        &state,
        &client,
        &b.pending_token,
        b.code.as_deref(),
        b.backup_code.as_deref(),
    )
    .await?;
    respond(&req, &state, Next::Session(login))
}

/// Pending step `totp_setup_required`: get a new secret with its QR code.
#[utoipa::path(post, path = "/api/v1/auth/login/totp-setup", tag = "auth", request_body = PendingTokenRequest,
    responses((status = 200, body = TotpSetup), (status = 401, body = ErrorBody, description = "login_step_expired")))]
pub async fn login_totp_setup(
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<PendingTokenRequest>,
) -> ApiResult<Json<TotpSetup>> {
    state.limits.auth(&client)?;
    let s = flow::login_totp_setup(&state, &b.pending_token).await?;
    Ok(Json(TotpSetup {
        secret: s.secret_b32,
        otpauth_uri: s.uri,
        qr_data_url: s.qr_data_url,
    }))
}

/// Pending step `totp_setup_required`: confirm with a code; answers `ok` with the backup codes (shown once).
#[utoipa::path(post, path = "/api/v1/auth/login/totp-setup/confirm", tag = "auth", request_body = PendingConfirmRequest,
    responses((status = 200, body = LoginStep), (status = 401, body = ErrorBody, description = "invalid_totp_code or login_step_expired")))]
pub async fn login_totp_confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<PendingConfirmRequest>,
) -> ApiResult<HttpResponse> {
    state.limits.auth(&client)?;
    let login = flow::login_totp_confirm(&state, &client, &b.pending_token, &b.code).await?;
    respond(&req, &state, Next::Session(login))
}

/// End this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(
    SignedIn(me): SignedIn,
    identity: Option<Identity>,
    state: web::Data<AppState>,
    client: ClientInfo,
) -> ApiResult<HttpResponse> {
    if let Some(sid) = me.session_id().map(str::to_owned) {
        let uid = me.user.id.clone();
        state
            .db
            .run(move |c| Session::revoke_own(c, &uid, &sid))
            .await?;
    }
    if let Some(identity) = identity {
        identity.logout();
    }
    audit::record(&state, event("logout", Some(&me.user), &client)).await;
    let mut gone = csrf_cookie(&state, "");
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}

/// The password rules, for showing them live.
#[utoipa::path(get, path = "/api/v1/auth/password-policy", tag = "auth", responses((status = 200, body = PasswordPolicy)))]
pub async fn password_policy() -> Json<PasswordPolicy> {
    Json(PasswordPolicy {
        min_length: leadgen_core::password::MIN_CHARS,
        max_bytes: leadgen_core::password::MAX_BYTES,
        rules: leadgen_core::password::rules(),
    })
}

fn pair(t: flow::IssuedTokens) -> Json<TokenPair> {
    Json(TokenPair {
        access_token: t.access_token,
        token_type: "Bearer".into(),
        expires_in: t.expires_in,
        refresh_token: t.refresh_token,
    })
}

/// For scripts: password (plus `totp_code` or `backup_code` when 2FA is on) for a short-lived JWT access token
/// and a rotating refresh token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "totp_setup_required"),
        (status = 423, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn token(
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<TokenRequest>,
) -> ApiResult<Json<TokenPair>> {
    state.limits.auth(&client)?;
    let t = flow::token_login(
        &state,
        &client,
        &b.username,
        b.password,
        b.totp_code.as_deref(),
        b.backup_code.as_deref(),
    )
    .await?;
    Ok(pair(t))
}

/// Trade a refresh token for a new pair. Each refresh token works once; presenting a spent one revokes its family.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<RefreshRequest>,
) -> ApiResult<Json<TokenPair>> {
    state.limits.auth(&client)?;
    Ok(pair(
        flow::refresh(&state, &client, &b.refresh_token).await?,
    ))
}
