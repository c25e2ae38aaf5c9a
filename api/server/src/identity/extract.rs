//! One extractor resolves a session cookie, a JWT access token or a personal API token to the current user.
//!
//! `CurrentUser` is for every route; it answers 403 `password_change_required` while the user must change their
//! password. `SignedIn` skips that check and is used only by "who am I", password change and logout.
//! `Admin` additionally requires the admin role. `OwnSettings` is `CurrentUser` for a user's own settings (saved
//! views), which a read-scoped token may change too.

use crate::security::own_origin;
use crate::state::AppState;
use actix_identity::IdentityExt;
use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpRequest};
use chrono::Duration;
use futures_util::future::LocalBoxFuture;
use leadgen_core::crypto::{ct_eq, sha256_hex};
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::auth_tokens::{ApiToken, RefreshToken};
use leadgen_db::models::session::Session;
use leadgen_db::models::user::User;

pub const API_TOKEN_PREFIX: &str = "lg_pat_";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone)]
pub enum AuthVia {
    Session { id: String },
    Jwt,
    ApiToken { id: String, can_write: bool },
}

#[derive(Clone)]
pub struct CurrentUser {
    pub user: User,
    pub via: AuthVia,
}

impl CurrentUser {
    pub fn id(&self) -> &str {
        &self.user.id
    }
    pub fn session_id(&self) -> Option<&str> {
        match &self.via {
            AuthVia::Session { id } => Some(id),
            _ => None,
        }
    }
    /// Data writes need a role that may write (not viewer).
    pub fn require_writer(&self) -> ApiResult<()> {
        if self.user.role().can_write() {
            Ok(())
        } else {
            Err(ApiError::msg(
                ErrorCode::Forbidden,
                "Viewers can only read.",
            ))
        }
    }
}

pub struct SignedIn(pub CurrentUser);
pub struct Admin(pub CurrentUser);
/// The signed-in user changing their own personal settings (saved grid views). One rule for every role and every
/// way of signing in: anyone may keep their own — a viewer in the browser, and any token, read-scoped ones too.
/// (Read scope and the viewer role keep workspace data read-only; a user's own view settings are not that.)
pub struct OwnSettings(pub CurrentUser);

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Cookie-authenticated writes need the CSRF token in a header, and the Origin (when sent) must be ours or listed.
fn check_csrf(req: &HttpRequest, state: &AppState, session: &Session) -> ApiResult<()> {
    if let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    {
        let origin = origin.trim_end_matches('/');
        let allowed = origin == own_origin(req)
            || state
                .settings
                .allowed_origin_list()
                .iter()
                .any(|o| o == origin);
        if !allowed {
            return Err(ApiError::msg(
                ErrorCode::CsrfFailed,
                "Cross-origin request refused.",
            ));
        }
    }
    let token = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if token.is_empty() || !ct_eq(sha256_hex(token).as_bytes(), session.csrf_hash.as_bytes()) {
        return Err(ApiError::new(ErrorCode::CsrfFailed));
    }
    Ok(())
}

/// `own_settings`: the request changes the caller's own settings, which read-scoped tokens may do.
async fn authenticate(req: HttpRequest, own_settings: bool) -> ApiResult<CurrentUser> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
    let write = is_write(req.method());
    let unauth = || ApiError::new(ErrorCode::Unauthenticated);

    let current = if let Some(token) = bearer(&req) {
        if token.starts_with(API_TOKEN_PREFIX) {
            let hash = sha256_hex(&token);
            let found = state
                .db
                .run(move |c| {
                    let Some(t) = ApiToken::find_by_hash(c, &hash)? else {
                        return Ok(None);
                    };
                    let Some(u) = User::find(c, &t.user_id)? else {
                        return Ok(None);
                    };
                    if !t.is_live() || t.token_version != u.token_version {
                        return Ok(None);
                    }
                    ApiToken::touch(c, &t)?;
                    Ok(Some((t, u)))
                })
                .await?;
            let (t, user) = found.ok_or_else(unauth)?;
            CurrentUser {
                user,
                via: AuthVia::ApiToken {
                    id: t.id.clone(),
                    can_write: t.can_write(),
                },
            }
        } else {
            let claims = crate::identity::jwt::verify(&state.secrets.jwt_key, &token)?;
            let user = state
                .db
                .run(move |c| {
                    let user = User::find(c, &claims.sub)?.filter(|u| u.token_version == claims.tv);
                    // A revoked refresh-token family takes its access tokens with it.
                    if let (Some(_), Some(family)) = (&user, &claims.fam) {
                        if RefreshToken::family_revoked(c, family)? {
                            return Ok(None);
                        }
                    }
                    Ok(user)
                })
                .await?;
            CurrentUser {
                user: user.ok_or_else(unauth)?,
                via: AuthVia::Jwt,
            }
        }
    } else {
        let identity = req.get_identity().map_err(|_| unauth())?;
        let session_id = identity.id().map_err(|_| unauth())?;
        let idle = Duration::minutes(i64::from(state.settings.session_idle_minutes));
        let sid = session_id.clone();
        let found = state
            .db
            .run(move |c| {
                let Some(s) = Session::find(c, &sid)? else {
                    return Ok(None);
                };
                let Some(u) = User::find(c, &s.user_id)? else {
                    return Ok(None);
                };
                if !s.is_live(idle) || s.token_version != u.token_version {
                    return Ok(None);
                }
                Session::touch(c, &s)?;
                Ok(Some((s, u)))
            })
            .await?;
        let Some((session, user)) = found else {
            identity.logout();
            return Err(unauth());
        };
        if write {
            check_csrf(&req, &state, &session)?;
        }
        CurrentUser {
            user,
            via: AuthVia::Session { id: session.id },
        }
    };

    if !current.user.active {
        return Err(unauth());
    }
    if let AuthVia::ApiToken {
        can_write: false, ..
    } = current.via
    {
        if write && !own_settings {
            return Err(ApiError::new(ErrorCode::TokenScopeInsufficient));
        }
    }
    state.limits.api(&current.user.id)?;
    Ok(current)
}

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(SignedIn(authenticate(req, false).await?)) })
    }
}

impl FromRequest for CurrentUser {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(ready_user(authenticate(req, false).await?)?) })
    }
}

/// Everyone but a user who must change their password first.
fn ready_user(current: CurrentUser) -> ApiResult<CurrentUser> {
    if current.user.must_change_password {
        return Err(ApiError::new(ErrorCode::PasswordChangeRequired));
    }
    Ok(current)
}

impl FromRequest for OwnSettings {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(OwnSettings(ready_user(authenticate(req, true).await?)?)) })
    }
}

impl FromRequest for Admin {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let current = fut.await?;
            if !current.user.is_admin() {
                return Err(ApiError::forbidden().into());
            }
            Ok(Admin(current))
        })
    }
}
