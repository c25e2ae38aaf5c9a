//! A user's Gmail mailboxes: `GET /api/v1/me/mailboxes`, `POST /api/v1/me/mailboxes/connect` (the Google consent
//! URL with a single-use state that expires in 10 minutes), `GET /api/v1/oauth/google/callback` (the redirect target:
//! claims the state, exchanges the code, reads the address, keeps the refresh token encrypted) and
//! `DELETE /api/v1/me/mailboxes/{id}`.
//!
//! The callback is a cross-site navigation back from Google, so the (SameSite=Strict) session cookie does not come
//! with it: the state row says whose consent it is. Only the state's SHA-256 is stored.

use super::effective;
use crate::audit::event;
use crate::extract::parse_query;
use crate::identity::dto::utc;
use crate::identity::extract::SignedIn;
use crate::security::{own_origin, ClientInfo};
use crate::state::AppState;
use actix_web::web::{self, Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use leadgen_core::crypto::{random_token, sha256_hex};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::mailbox::{ConnectedMailbox, Mailbox, OAuthState, StateRefusal};
use leadgen_db::models::provider_setting::{NewProviderCall, ProviderCall};
use leadgen_providers::google::{
    Gmail, GoogleApp, GoogleOAuth, SCOPE_GMAIL_COMPOSE, SCOPE_GMAIL_READONLY, SCOPE_GMAIL_SEND,
};
use leadgen_providers::ProviderError;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Instant;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// How long a consent may take.
pub const STATE_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// The state row's purpose for a Gmail consent.
pub const PURPOSE_GMAIL: &str = "gmail";
pub const CALLBACK_PATH: &str = "/api/v1/oauth/google/callback";
/// Where the callback sends the browser back to (the SPA's Connections page).
pub const CONNECTIONS_PAGE: &str = "/settings/connections";
pub const SCOPES: &[&str] = &[SCOPE_GMAIL_SEND, SCOPE_GMAIL_READONLY, SCOPE_GMAIL_COMPOSE];

#[derive(Serialize, ToSchema)]
pub struct MailboxView {
    pub id: String,
    /// The Gmail address.
    pub address: String,
    /// `connected`, or `needs_reconnect` once Google refused the stored token (connect the address again).
    pub status: String,
    pub connected_at: DateTime<Utc>,
    /// When leadgen last used the mailbox (a send, a sync); null until then.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The scopes Google granted.
    pub scopes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MailboxList {
    pub items: Vec<MailboxView>,
    /// Whether an administrator has set the Google OAuth client (without it, connecting is refused).
    pub can_connect: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MailboxConsent {
    /// Send the browser here: Google's consent page (offline access, gmail.send/readonly/compose).
    pub authorize_url: String,
    pub expires_at: DateTime<Utc>,
}

fn view(m: Mailbox) -> MailboxView {
    MailboxView {
        id: m.id,
        address: m.address,
        status: m.status,
        connected_at: utc(m.connected_at),
        last_used_at: m.last_used_at.map(utc),
        scopes: m.scopes.split_whitespace().map(str::to_owned).collect(),
    }
}

/// The Google OAuth client from the provider settings, when both halves are set.
fn google_app(
    state: &AppState,
    c: &mut leadgen_db::DbConn,
    redirect_uri: String,
) -> ApiResult<Option<GoogleApp>> {
    let id = effective(state, c, None, "google", "client_id")?;
    let secret = effective(state, c, None, "google", "client_secret")?;
    Ok(match (id, secret) {
        (Some(client_id), Some(secret)) => Some(GoogleApp {
            client_id,
            client_secret: SecretString::from(secret),
            redirect_uri,
        }),
        _ => None,
    })
}

fn not_configured() -> ApiError {
    ApiError::msg(
        ErrorCode::Conflict,
        "Gmail cannot be connected yet: an administrator has to set the Google OAuth client (Settings → Providers).",
    )
    .with_details(json!({"field": "google.client_id", "provider": "google"}))
}

/// Your linked Gmail mailboxes.
#[utoipa::path(get, path = "/api/v1/me/mailboxes", operation_id = "list_mailboxes", tag = "providers",
    responses((status = 200, body = MailboxList)))]
pub async fn list(
    SignedIn(me): SignedIn,
    state: web::Data<AppState>,
) -> ApiResult<Json<MailboxList>> {
    let uid = me.user.id.clone();
    let st = state.get_ref().clone();
    let (rows, can_connect) = state
        .db
        .run(move |c| {
            let rows = Mailbox::list(c, &uid)?;
            let can = google_app(&st, c, String::new())?.is_some();
            Ok((rows, can))
        })
        .await?;
    Ok(Json(MailboxList {
        items: rows.into_iter().map(view).collect(),
        can_connect,
    }))
}

/// Start linking a Gmail mailbox: the Google consent URL, with a single-use state valid for 10 minutes.
#[utoipa::path(post, path = "/api/v1/me/mailboxes/connect", operation_id = "connect_mailbox", tag = "providers",
    responses((status = 200, body = MailboxConsent),
        (status = 409, body = ErrorBody, description = "The Google OAuth client is not set (`conflict`)")))]
pub async fn connect(
    SignedIn(me): SignedIn,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<Json<MailboxConsent>> {
    let redirect_uri = format!("{}{CALLBACK_PATH}", own_origin(&req));
    let token = random_token("", 32);
    let hash = sha256_hex(&token);
    let now = state.clock.now();
    let expires_at = now + STATE_TTL;
    let st = state.get_ref().clone();
    let uid = me.user.id.clone();
    let app = state
        .db
        .run(move |c| {
            let Some(app) = google_app(&st, c, redirect_uri.clone())? else {
                return Err(not_configured());
            };
            OAuthState::create(
                c,
                &hash,
                &uid,
                PURPOSE_GMAIL,
                &redirect_uri,
                now,
                expires_at,
            )?;
            Ok(app)
        })
        .await?;
    let oauth = GoogleOAuth::from_settings(app, &state.settings).map_err(ApiError::from)?;
    Ok(Json(MailboxConsent {
        authorize_url: oauth.authorize_url(&token, SCOPES, None),
        expires_at: utc(expires_at),
    }))
}

/// Disconnect a mailbox (its refresh token is deleted with it).
#[utoipa::path(delete, path = "/api/v1/me/mailboxes/{id}", operation_id = "disconnect_mailbox", tag = "providers",
    params(("id" = String, Path)),
    responses((status = 204, description = "Disconnected"), (status = 404, body = ErrorBody)))]
pub async fn disconnect(
    SignedIn(me): SignedIn,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let user = me.user.clone();
    let removed = state
        .db
        .run(move |c| {
            let Some(m) = Mailbox::find_owned(c, &user.id, &id)? else {
                return Ok(None);
            };
            Mailbox::delete_owned(c, &user.id, &m.id)?;
            Ok(Some(m.address))
        })
        .await?;
    let Some(address) = removed else {
        return Err(ApiError::not_found());
    };
    let e =
        event("mailbox.disconnected", Some(&me.user), &client).details(json!({"address": address}));
    crate::audit::record(&state, e).await;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The state sent to Google.
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub state: Option<String>,
    /// The authorization code (on consent).
    #[validate(length(max = 2000))]
    #[param(max_length = 2000)]
    pub code: Option<String>,
    /// Why there is no code (e.g. `access_denied`).
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub error: Option<String>,
    /// The scopes granted.
    #[validate(length(max = 2000))]
    #[param(max_length = 2000)]
    pub scope: Option<String>,
}

fn back(query: &[(&str, &str)]) -> HttpResponse {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        q.append_pair(k, v);
    }
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("{CONNECTIONS_PAGE}?{}", q.finish())))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

fn failed(code: &str) -> HttpResponse {
    back(&[("mailbox_error", code)])
}

/// Google sends the browser back here after the consent. Always answers with a redirect to the Connections page:
/// `?mailbox=connected&address=…`, or `?mailbox_error=<code>` (`state_unknown`, `state_expired`, `state_used`,
/// `access_denied`, `not_configured`, `no_refresh_token`, or a provider error code).
#[utoipa::path(get, path = "/api/v1/oauth/google/callback", operation_id = "google_oauth_callback", tag = "providers",
    security(()), params(CallbackQuery),
    responses((status = 303, description = "Back to the SPA's Connections page with the outcome in the query",
        headers(("Location" = String, description = "/settings/connections?mailbox=connected&address=… or ?mailbox_error=…")))))]
pub async fn callback(
    state: web::Data<AppState>,
    client: ClientInfo,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let query = crate::security::callback_query(&req);
    let q: CallbackQuery = parse_query(&query)?;
    let Some(token) = q.state.filter(|s| !s.is_empty()) else {
        return Ok(failed("state_unknown"));
    };
    let hash = sha256_hex(&token);
    let now = state.clock.now();
    let claimed = state
        .db
        .run(move |c| OAuthState::claim(c, &hash, PURPOSE_GMAIL, now))
        .await?;
    let row = match claimed {
        Ok(row) => row,
        Err(StateRefusal::Unknown) => return Ok(failed("state_unknown")),
        Err(StateRefusal::Expired) => return Ok(failed("state_expired")),
        Err(StateRefusal::Used) => return Ok(failed("state_used")),
    };
    if let Some(error) = q.error.filter(|e| !e.is_empty()) {
        let code = if error == "access_denied" {
            "access_denied"
        } else {
            "consent_failed"
        };
        return Ok(failed(code));
    }
    let Some(code) = q.code.filter(|c| !c.is_empty()) else {
        return Ok(failed("consent_failed"));
    };
    let st = state.get_ref().clone();
    let redirect_uri = row.redirect_uri.clone();
    let app = state
        .db
        .run(move |c| google_app(&st, c, redirect_uri))
        .await?;
    let Some(app) = app else {
        return Ok(failed("not_configured"));
    };
    match link(&state, &row, app, &code, q.scope).await? {
        Ok(m) => {
            let user = state
                .db
                .run({
                    let uid = row.owner().to_owned();
                    move |c| leadgen_db::models::user::User::find(c, &uid)
                })
                .await?;
            let e = event("mailbox.connected", user.as_ref(), &client)
                .details(json!({"address": m.address, "mailbox_id": m.id}));
            crate::audit::record(&state, e).await;
            Ok(back(&[
                ("mailbox", "connected"),
                ("address", m.address.as_str()),
            ]))
        }
        Err(code) => Ok(failed(&code)),
    }
}

/// Exchanges the code, reads the address, stores the mailbox; a failure is the code to show.
async fn link(
    state: &AppState,
    row: &OAuthState,
    app: GoogleApp,
    code: &str,
    granted: Option<String>,
) -> ApiResult<Result<Mailbox, String>> {
    let oauth = GoogleOAuth::from_settings(app, &state.settings).map_err(ApiError::from)?;
    let gmail = Gmail::from_settings(&state.settings).map_err(ApiError::from)?;
    let started = Instant::now();
    let tokens = oauth.exchange_code(code).await;
    record(
        state,
        "google",
        "token",
        row.owner(),
        started,
        tokens.as_ref().err(),
    )
    .await?;
    let tokens = match tokens {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(error = %e.code().as_str(), status = ?e.status, "Gmail consent: code exchange failed");
            return Ok(Err(e.code().as_str().into()));
        }
    };
    let Some(refresh) = tokens.refresh_token else {
        return Ok(Err("no_refresh_token".into()));
    };
    let started = Instant::now();
    let profile = gmail.profile(&tokens.access_token).await;
    record(
        state,
        "gmail",
        "profile",
        row.owner(),
        started,
        profile.as_ref().err(),
    )
    .await?;
    let profile = match profile {
        Ok(p) => p,
        Err(e) => return Ok(Err(e.code().as_str().into())),
    };
    let scopes = tokens.scope.or(granted).unwrap_or_else(|| SCOPES.join(" "));
    let st = state.clone();
    let uid = row.owner().to_owned();
    let now = state.clock.now();
    let address = profile.email_address;
    let mailbox = state
        .db
        .run(move |c| {
            leadgen_db::write_tx(c, |c| {
                let id =
                    Mailbox::id_for_address(c, &uid, &address)?.unwrap_or_else(Mailbox::new_id);
                let enc = st
                    .secrets
                    .keyring
                    .encrypt_str(refresh.expose_secret(), Mailbox::slot(&id))
                    .map_err(ApiError::internal)?;
                Mailbox::upsert(
                    c,
                    &ConnectedMailbox {
                        id: &id,
                        user_id: &uid,
                        address: &address,
                        refresh_token_enc: &enc,
                        scopes: &scopes,
                        at: now,
                    },
                )
            })
        })
        .await?;
    Ok(Ok(mailbox))
}

/// Records one provider call of a consent as usage.
async fn record(
    state: &AppState,
    provider: &'static str,
    operation: &'static str,
    user_id: &str,
    started: Instant,
    error: Option<&ProviderError>,
) -> ApiResult<()> {
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let status = error.map_or_else(|| "ok".to_owned(), |e| e.code().as_str().to_owned());
    let uid = user_id.to_owned();
    state
        .db
        .run(move |c| {
            ProviderCall::record(
                c,
                &NewProviderCall {
                    provider,
                    operation,
                    user_id: Some(&uid),
                    status: &status,
                    duration_ms,
                    units: 0,
                    unit: None,
                },
            )
        })
        .await
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/mailboxes", web::get().to(list))
        .route("/me/mailboxes/connect", web::post().to(connect))
        .route("/me/mailboxes/{id}", web::delete().to(disconnect))
        .route("/oauth/google/callback", web::get().to(callback));
}
