//! The official link and "Sign in with Instagram" (Instagram Login). `POST /api/v1/accounts/oauth/start` and
//! `POST /api/v1/auth/instagram/start` make a state (random, single use, 10 minutes; the link's bound to the
//! user) and set a cookie that binds it to this browser; Instagram sends the browser back to
//! `GET /oauth/instagram/callback`, which claims the state, checks the browser, exchanges the code (either answer
//! shape), and then links the account (long-lived token, profile, webhooks) or signs its owner in (the 2FA policy
//! still applies). Every outcome is a redirect to the SPA with the result in the query (or, for a pending
//! sign-in step, in the fragment so it is never logged or sent on).

use super::{instagram, instagram_app, instagram_not_configured, seal};
use crate::audit::event;
use crate::identity::dto::utc;
use crate::identity::extract::CurrentUser;
use crate::identity::flow::{self, Next};
use crate::security::{own_origin, ClientInfo};
use crate::state::AppState;
use actix_identity::Identity;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::web;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use leadgen_core::crypto::{random_token, sha256_hex};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult};
use leadgen_db::models::account_member::{AccountMember, ROLE_OWNER};
use leadgen_db::models::ig_account::{IgAccount, OfficialToken, ProfileUpdate};
use leadgen_db::models::login::{LoginThrottle, Stage};
use leadgen_db::models::oauth_state::{NewOAuthState, OAuthState, StateRefusal};
use leadgen_db::models::user::User;
use leadgen_providers::instagram::{InstagramApp, Profile};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use validator::Validate;

pub const CALLBACK_PATH: &str = "/oauth/instagram/callback";
pub const ACCOUNTS_PAGE: &str = "/accounts";
pub const LOGIN_PAGE: &str = "/login";
pub const PURPOSE_LINK: &str = "instagram_link";
pub const PURPOSE_SIGNIN: &str = "instagram_signin";
/// Binds a consent to the browser that started it (SameSite=Lax: it comes back with Instagram's redirect).
pub const BINDING_COOKIE: &str = "leadgen_ig_oauth";
pub const STATE_TTL: chrono::Duration = chrono::Duration::minutes(10);
pub const LINK_SCOPES: &[&str] = &[
    "instagram_business_basic",
    "instagram_business_manage_messages",
    "instagram_business_manage_comments",
    "instagram_business_manage_insights",
];
pub const SIGNIN_SCOPES: &[&str] = &["instagram_business_basic"];

pub fn profile_update(p: &Profile) -> ProfileUpdate {
    let n = |v: Option<u64>| v.and_then(|n| i64::try_from(n).ok());
    ProfileUpdate {
        username: p.username.clone().unwrap_or_default(),
        full_name: p.name.clone(),
        profile_picture_url: p.profile_picture_url.clone(),
        biography: p.biography.clone(),
        followers_count: n(p.followers_count),
        follows_count: n(p.follows_count),
        media_count: n(p.media_count),
        account_type: p.account_type.clone(),
    }
}

fn binding_cookie(state: &AppState, value: &str) -> Cookie<'static> {
    Cookie::build(BINDING_COOKIE, value.to_owned())
        .path(CALLBACK_PATH)
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::minutes(10))
        .finish()
}

/// A state for `purpose` (the link's bound to `user_id`) and the consent URL; the response sets the cookie.
async fn begin(
    state: &AppState,
    req: &HttpRequest,
    user_id: Option<String>,
    purpose: &'static str,
    scopes: &[&str],
) -> ApiResult<HttpResponse> {
    let redirect_uri = format!("{}{CALLBACK_PATH}", own_origin(req));
    let token = random_token("", 32);
    let binding = random_token("", 32);
    let (hash, binding_hash) = (sha256_hex(&token), sha256_hex(&binding));
    let now = state.clock.now();
    let expires_at = now + STATE_TTL;
    let secrets = state.secrets.clone();
    let app = state
        .db
        .run(move |c| {
            let Some(app) = instagram_app(&secrets, c, redirect_uri.clone())? else {
                return Err(instagram_not_configured());
            };
            OAuthState::create_bound(
                c,
                &NewOAuthState {
                    state_hash: &hash,
                    user_id: user_id.as_deref(),
                    purpose,
                    redirect_uri: &redirect_uri,
                    binding_hash: &binding_hash,
                    now,
                    expires_at,
                },
            )?;
            Ok(app)
        })
        .await?;
    let ig = instagram(app, &state.settings)?;
    Ok(HttpResponse::Ok()
        .cookie(binding_cookie(state, &binding))
        .insert_header(("Cache-Control", "no-store"))
        .json(super::dto::Consent {
            authorize_url: ig.authorize_url(&token, scopes),
            expires_at: utc(expires_at),
        }))
}

/// Start linking an Instagram professional account officially: the consent URL (single-use state, 10 minutes,
/// bound to you and this browser by a cookie). Instagram then returns to `GET /oauth/instagram/callback`.
#[utoipa::path(post, path = "/api/v1/accounts/oauth/start", operation_id = "start_account_oauth", tag = "accounts",
    responses((status = 200, body = super::dto::Consent),
        (status = 409, body = ErrorBody, description = "The Instagram app is not set (`conflict`)")))]
pub async fn start(
    me: CurrentUser,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    begin(
        &state,
        &req,
        Some(me.user.id.clone()),
        PURPOSE_LINK,
        LINK_SCOPES,
    )
    .await
}

/// "Continue with Instagram": the consent URL for signing in as the leadgen user whose linked account it is.
/// Never creates a user. Instagram returns to `GET /oauth/instagram/callback`.
#[utoipa::path(post, path = "/api/v1/auth/instagram/start", operation_id = "start_instagram_signin", tag = "auth",
    responses((status = 200, body = super::dto::Consent),
        (status = 409, body = ErrorBody, description = "The Instagram app is not set (`conflict`)")))]
pub async fn signin_start(
    state: web::Data<AppState>,
    client: ClientInfo,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    state.limits.auth(&client)?;
    begin(&state, &req, None, PURPOSE_SIGNIN, SIGNIN_SCOPES).await
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The state sent to Instagram.
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub state: Option<String>,
    /// The authorization code (on consent).
    #[validate(length(max = 2000))]
    #[param(max_length = 2000)]
    pub code: Option<String>,
    /// Why there is no code (`access_denied` when the user said no).
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub error: Option<String>,
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub error_reason: Option<String>,
    #[validate(length(max = 1000))]
    #[param(max_length = 1000)]
    pub error_description: Option<String>,
}

fn redirect(state: &AppState, location: String) -> HttpResponse {
    let mut gone = binding_cookie(state, "");
    gone.make_removal();
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .cookie(gone)
        .finish()
}

fn back(state: &AppState, page: &str, query: &[(&str, &str)]) -> HttpResponse {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        q.append_pair(k, v);
    }
    redirect(state, format!("{page}?{}", q.finish()))
}

fn page_of(purpose: Option<&str>) -> &'static str {
    if purpose == Some(PURPOSE_SIGNIN) {
        LOGIN_PAGE
    } else {
        ACCOUNTS_PAGE
    }
}

/// Instagram sends the browser back here. Always a redirect: a link ends on `/accounts?linked=<account id>` or
/// `/accounts?error=<code>`; a sign-in on `/` (signed in), `/login#instagram_pending=<token>&status=<step>` (the
/// pending step to finish with the `/api/v1/auth/login/*` routes, e.g. `totp_required`) or `/login?error=<code>`.
/// Codes: `state_unknown`, `state_expired`, `state_used`, `state_other_user` (started by another user or in
/// another browser), `access_denied` (consent refused), `consent_failed`, `not_configured`, `linked_elsewhere`
/// (another user's account), `forbidden` (you only view this account), `instagram_unknown` (no leadgen user has
/// linked this Instagram account), `account_locked`, `user_inactive`, or a provider error code.
#[utoipa::path(get, path = "/oauth/instagram/callback", operation_id = "instagram_oauth_callback", tag = "accounts",
    security(()), params(CallbackQuery),
    responses((status = 303, description = "Back to the SPA with the outcome",
        headers(("Location" = String, description = "/accounts?linked=… | /accounts?error=… | / | /login#instagram_pending=…&status=… | /login?error=…")))))]
pub async fn callback(
    state: web::Data<AppState>,
    client: ClientInfo,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let query = crate::security::callback_query(&req);
    let q: CallbackQuery = crate::extract::parse_query(&query)?;
    let Some(token) = q.state.clone().filter(|s| !s.is_empty()) else {
        return Ok(back(&state, ACCOUNTS_PAGE, &[("error", "state_unknown")]));
    };
    let hash = sha256_hex(&token);
    let now = state.clock.now();
    let h = hash.clone();
    let claimed = state
        .db
        .run(move |c| OAuthState::claim_any(c, &h, &[PURPOSE_LINK, PURPOSE_SIGNIN], now))
        .await?;
    let row = match claimed {
        Ok(row) => row,
        Err(refusal) => {
            let h = hash.clone();
            let purpose = state.db.run(move |c| OAuthState::purpose_of(c, &h)).await?;
            let code = match refusal {
                StateRefusal::Unknown => "state_unknown",
                StateRefusal::Expired => "state_expired",
                StateRefusal::Used => "state_used",
            };
            return Ok(back(
                &state,
                page_of(purpose.as_deref()),
                &[("error", code)],
            ));
        }
    };
    let page = page_of(Some(&row.purpose));
    // The browser that comes back must be the one that started the consent.
    let cookie = req.cookie(BINDING_COOKIE).map(|c| sha256_hex(c.value()));
    if cookie.is_none() || cookie != row.binding_hash {
        crate::audit::record(
            &state,
            event("account.oauth_refused", None, &client)
                .failed()
                .target("user", row.user_id.as_deref(), None)
                .details(json!({"reason": "state_other_user", "purpose": row.purpose})),
        )
        .await;
        return Ok(back(&state, page, &[("error", "state_other_user")]));
    }
    if let Some(error) = q.error.filter(|e| !e.is_empty()) {
        let code = if error == "access_denied" {
            "access_denied"
        } else {
            "consent_failed"
        };
        return Ok(back(&state, page, &[("error", code)]));
    }
    let Some(code) = q.code.filter(|c| !c.is_empty()) else {
        return Ok(back(&state, page, &[("error", "consent_failed")]));
    };
    let (secrets, redirect_uri) = (state.secrets.clone(), row.redirect_uri.clone());
    let app = state
        .db
        .run(move |c| instagram_app(&secrets, c, redirect_uri))
        .await?;
    let Some(app) = app else {
        return Ok(back(&state, page, &[("error", "not_configured")]));
    };
    if row.purpose == PURPOSE_SIGNIN {
        return signin(&state, &client, &req, app, &code).await;
    }
    match link(&state, &row, app, &code).await? {
        Ok(id) => {
            let uid = row.owner().to_owned();
            let user = state.db.run(move |c| User::find(c, &uid)).await?;
            let e = event("account.linked", user.as_ref(), &client)
                .target("ig_account", Some(&id.0), Some(&id.1))
                .details(json!({"kind": "official"}));
            crate::audit::record(&state, e).await;
            Ok(back(&state, ACCOUNTS_PAGE, &[("linked", id.0.as_str())]))
        }
        Err(code) => Ok(back(&state, ACCOUNTS_PAGE, &[("error", code.as_str())])),
    }
}

/// Exchanges the code, upgrades the token, reads the profile, creates or links the account and subscribes it to
/// webhooks. Ok: (account id, username); Err: the code to show.
async fn link(
    state: &AppState,
    row: &OAuthState,
    app: InstagramApp,
    code: &str,
) -> ApiResult<Result<(String, String), String>> {
    let ig = instagram(app, &state.settings)?;
    let fail = |e: leadgen_providers::ProviderError| {
        tracing::info!(error = %e.code().as_str(), status = ?e.status, operation = e.operation, "Instagram link failed");
        Ok(Err(e.code().as_str().to_owned()))
    };
    let short = match ig.exchange_code(code).await {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let long = match ig.long_lived_token(&short.access_token).await {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let profile = match ig.profile(&long.access_token).await {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let ig_user_id = profile
        .user_id
        .clone()
        .unwrap_or_else(|| short.user_id.clone());
    let mut update = profile_update(&profile);
    if update.username.is_empty() {
        update.username = ig_user_id.clone();
    }
    let scopes = if short.permissions.is_empty() {
        LINK_SCOPES.join(",")
    } else {
        short.permissions.join(",")
    };
    let now = state.clock.now();
    let expires_at = now + chrono::Duration::seconds(i64::try_from(long.expires_in).unwrap_or(0));
    let (uid, st) = (row.owner().to_owned(), state.clone());
    let token = long.access_token.expose_secret().to_owned();
    let outcome = state
        .db
        .run(move |c| {
            leadgen_db::write_tx(c, |c| {
                // The same Instagram account: already linked officially, or linked by credentials by this user.
                let found = match IgAccount::find_by_ig_user_id(c, &ig_user_id)? {
                    Some(a) => Some(a),
                    None => {
                        let mut mine = None;
                        for a in IgAccount::find_by_username(c, &update.username)? {
                            if a.ig_user_id.is_none()
                                && AccountMember::find(c, &a.id, &uid)?.is_some()
                            {
                                mine = Some(a);
                                break;
                            }
                        }
                        mine
                    }
                };
                let id = match found {
                    Some(a) => match AccountMember::find(c, &a.id, &uid)? {
                        Some(m) if m.can_manage() => a.id,
                        Some(_) => return Ok(Err("forbidden".to_owned())),
                        None => return Ok(Err("linked_elsewhere".to_owned())),
                    },
                    None => {
                        let id = IgAccount::new_id();
                        IgAccount::create(c, &id, &update.username, now)?;
                        AccountMember::add(c, &id, &uid, ROLE_OWNER, now)?;
                        id
                    }
                };
                let enc = seal(&st.secrets.keyring, &id, "token_enc", &token)?;
                IgAccount::set_ig_user_id(c, &id, &ig_user_id)?;
                IgAccount::set_token(
                    c,
                    &id,
                    &OfficialToken {
                        token_enc: &enc,
                        scopes: &scopes,
                        obtained_at: now,
                        expires_at,
                    },
                )?;
                IgAccount::set_profile(c, &id, &update, now)?;
                Ok(Ok((id, update.username.clone())))
            })
        })
        .await?;
    let Ok((id, username)) = outcome else {
        return Ok(outcome);
    };
    // Webhook delivery (messages); a failure does not undo the link but is shown on the account.
    if let Err(e) = ig
        .subscribe_webhooks(&long.access_token, &["messages"])
        .await
    {
        let (aid, code) = (id.clone(), e.code().as_str().to_owned());
        state
            .db
            .run(move |c| {
                IgAccount::session_failed(
                    c,
                    &aid,
                    None,
                    &code,
                    "Instagram did not subscribe the account to webhooks; messages will not arrive until it is linked again.",
                    now,
                )
            })
            .await?;
    }
    Ok(Ok((id, username)))
}

/// Signs in the owner of the linked account the consent belongs to; the 2FA policy applies as after a password.
async fn signin(
    state: &AppState,
    client: &ClientInfo,
    req: &HttpRequest,
    app: InstagramApp,
    code: &str,
) -> ApiResult<HttpResponse> {
    let ig = instagram(app, &state.settings)?;
    let short = match ig.exchange_code(code).await {
        Ok(t) => t,
        Err(e) => return Ok(back(state, LOGIN_PAGE, &[("error", e.code().as_str())])),
    };
    let ig_user_id = short.user_id.clone();
    let iid = ig_user_id.clone();
    let found = state
        .db
        .run(move |c| {
            let Some(a) = IgAccount::find_by_ig_user_id(c, &iid)? else {
                return Ok(None);
            };
            let Some(owner) = AccountMember::owner(c, &a.id)? else {
                return Ok(None);
            };
            Ok(User::find(c, &owner.user_id)?.map(|u| (a, u)))
        })
        .await?;
    let Some((account, user)) = found else {
        crate::audit::record(
            state,
            event("account.signin", None, client)
                .failed()
                .details(json!({"reason": "instagram_unknown"})),
        )
        .await;
        return Ok(back(state, LOGIN_PAGE, &[("error", "instagram_unknown")]));
    };
    if !user.active {
        return Ok(back(state, LOGIN_PAGE, &[("error", "user_inactive")]));
    }
    let key = user.username_key.clone();
    if state
        .db
        .run(move |c| LoginThrottle::locked_for(c, &key))
        .await?
        .is_some()
    {
        return Ok(back(state, LOGIN_PAGE, &[("error", "account_locked")]));
    }
    crate::audit::record(
        state,
        event("account.signin", Some(&user), client).target(
            "ig_account",
            Some(&account.id),
            Some(&account.username),
        ),
    )
    .await;
    match flow::next_step(state, client, user).await? {
        Next::Pending { stage, token, .. } => {
            let status = match stage {
                Stage::PasswordChange => "password_change_required",
                Stage::Totp => "totp_required",
                Stage::TotpSetup => "totp_setup_required",
            };
            let mut f = url::form_urlencoded::Serializer::new(String::new());
            f.append_pair("instagram_pending", &token);
            f.append_pair("status", status);
            Ok(redirect(state, format!("{LOGIN_PAGE}#{}", f.finish())))
        }
        Next::Session(login) => {
            Identity::login(&req.extensions(), login.session_id.clone())
                .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
            let mut res = redirect(state, "/".to_owned());
            res.add_cookie(&crate::identity::auth_routes::csrf_cookie(
                state,
                &login.csrf_token,
            ))
            .map_err(ApiError::internal)?;
            Ok(res)
        }
    }
}

/// Public route (not under `/api/v1`).
pub fn callback_route(cfg: &mut web::ServiceConfig) {
    cfg.route(CALLBACK_PATH, web::get().to(callback));
}
