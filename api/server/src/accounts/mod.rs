//! Instagram accounts: linked officially (Instagram Login: `oauth`) and/or by credentials on the session sidecar
//! (`credentials`), shared with other users as members with a role, each user's primary account, the session
//! vault view, "test session", the admin list, and the periodic token refresh and session health jobs (`jobs`).
//! The challenge inbox a credential login may open is `crate::challenges`.
//!
//! Tenancy: every account route starts from the caller's membership (`member_account`); an account the caller is
//! not a member of answers 404. Viewers read; owners and admins write (403 for a viewer).

pub mod credentials;
pub mod dto;
pub mod jobs;
pub mod oauth;
pub mod routes;

use crate::state::AppState;
use actix_web::web;
use leadgen_core::config::Settings;
use leadgen_core::crypto::KeyRing;
use leadgen_core::secrets::Secrets;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::account_member::AccountMember;
use leadgen_db::models::ig_account::IgAccount;
use leadgen_providers::instagram::{Instagram, InstagramApp};
use leadgen_providers::sidecar::Sidecar;
use leadgen_providers::{HttpPolicy, Provider};
use secrecy::SecretString;
use serde_json::json;

/// Encrypts one secret of an account row (bound to the row and the column).
pub fn seal(keyring: &KeyRing, id: &str, column: &str, value: &str) -> ApiResult<Vec<u8>> {
    keyring
        .encrypt_str(value, IgAccount::slot(id, column))
        .map_err(ApiError::internal)
}

/// Decrypts one secret of an account row.
pub fn unseal(keyring: &KeyRing, id: &str, column: &str, blob: &[u8]) -> ApiResult<SecretString> {
    keyring
        .decrypt_str(blob, IgAccount::slot(id, column))
        .map(SecretString::from)
        .map_err(ApiError::internal)
}

/// The account and the caller's membership; 404 when the caller is not a member.
pub async fn member_account(
    state: &AppState,
    user_id: &str,
    account_id: &str,
) -> ApiResult<(IgAccount, AccountMember)> {
    let (uid, aid) = (user_id.to_owned(), account_id.to_owned());
    state
        .db
        .run(move |c| AccountMember::account_of(c, &aid, &uid))
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Owners and admins manage an account; viewers get 403.
pub fn require_manager(m: &AccountMember) -> ApiResult<()> {
    if m.can_manage() {
        Ok(())
    } else {
        Err(ApiError::msg(
            ErrorCode::Forbidden,
            "Viewers of this account can only read it.",
        ))
    }
}

/// The Instagram app (Instagram Login) from the provider settings, when its id and secret are set.
pub fn instagram_app(
    secrets: &Secrets,
    c: &mut leadgen_db::DbConn,
    redirect_uri: String,
) -> ApiResult<Option<InstagramApp>> {
    let id = crate::providers::effective_with(secrets, c, None, "instagram", "app_id")?;
    let secret = crate::providers::effective_with(secrets, c, None, "instagram", "app_secret")?;
    Ok(match (id, secret) {
        (Some(client_id), Some(secret)) => Some(InstagramApp {
            client_id,
            client_secret: SecretString::from(secret),
            redirect_uri,
        }),
        _ => None,
    })
}

pub fn instagram(app: InstagramApp, settings: &Settings) -> ApiResult<Instagram> {
    Instagram::from_settings(app, settings).map_err(ApiError::from)
}

/// The session sidecar (the admin's setting, else the configured URL), when there is one.
pub fn sidecar(
    secrets: &Secrets,
    settings: &Settings,
    c: &mut leadgen_db::DbConn,
) -> ApiResult<Option<Sidecar>> {
    let base = crate::providers::effective_with(secrets, c, None, "sidecar", "base_url")?
        .or_else(|| settings.sidecar_base_url.clone());
    base.map(|b| {
        Sidecar::new(&b, HttpPolicy::for_provider(Provider::Sidecar, settings))
            .map_err(ApiError::from)
    })
    .transpose()
}

pub fn instagram_not_configured() -> ApiError {
    ApiError::msg(
        ErrorCode::Conflict,
        "Instagram accounts cannot be linked officially yet: an administrator has to set the Instagram app id and secret (Settings → Providers).",
    )
    .with_details(json!({"field": "instagram.app_id", "provider": "instagram"}))
}

pub fn sidecar_not_configured() -> ApiError {
    ApiError::msg(
        ErrorCode::Conflict,
        "Credential sessions need the Instagram session sidecar: an administrator has to set its URL (Settings → Providers).",
    )
    .with_details(json!({"field": "sidecar.base_url", "provider": "sidecar"}))
}

/// Mounted under `/api/v1` (before identity's `/auth` and `/admin` scopes).
pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes as r;
    cfg.route("/accounts", web::get().to(r::list))
        .route("/accounts/oauth/start", web::post().to(oauth::start))
        .route("/accounts/credentials", web::post().to(credentials::link))
        .route("/accounts/{id}", web::get().to(r::get))
        .route("/accounts/{id}", web::patch().to(r::update))
        .route("/accounts/{id}", web::delete().to(r::unlink))
        .route("/accounts/{id}/members", web::get().to(r::list_members))
        .route("/accounts/{id}/members", web::post().to(r::add_member))
        .route(
            "/accounts/{id}/members/{user_id}",
            web::patch().to(r::update_member),
        )
        .route(
            "/accounts/{id}/members/{user_id}",
            web::delete().to(r::remove_member),
        )
        .route(
            "/accounts/{id}/test-session",
            web::post().to(r::test_session),
        )
        .route("/auth/instagram/start", web::post().to(oauth::signin_start))
        .route("/admin/accounts", web::get().to(r::admin_list))
        .route(
            "/admin/accounts/{id}/logout-session",
            web::post().to(r::admin_logout_session),
        );
}
