//! Doors closed by default: client identity (IP, user agent), rate limits, security headers, CORS.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use leadgen_core::config::Settings;
use leadgen_core::{ApiError, ErrorCode};
use std::future::{ready, Ready};
use std::num::NonZeroU32;

/// Who is calling, as far as the network tells: recorded in sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    pub fn of(req: &HttpRequest) -> ClientInfo {
        let trust_proxy = req
            .app_data::<actix_web::web::Data<crate::state::AppState>>()
            .map(|s| s.settings.trust_proxy)
            .unwrap_or(false);
        let ip = if trust_proxy {
            req.connection_info().realip_remote_addr().map(strip_port)
        } else {
            req.peer_addr().map(|a| a.ip().to_string())
        };
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(300).collect());
        ClientInfo { ip, user_agent }
    }

    pub fn ip_key(&self) -> String {
        self.ip.clone().unwrap_or_else(|| "unknown".into())
    }
}

fn strip_port(addr: &str) -> String {
    match addr.parse::<std::net::SocketAddr>() {
        Ok(sa) => sa.ip().to_string(),
        Err(_) => addr.to_owned(),
    }
}

impl FromRequest for ClientInfo {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ClientInfo::of(req)))
    }
}

/// Keyed token-bucket limiters (governor): per IP on login/token/2FA, per user on everything else.
pub struct RateLimits {
    auth: DefaultKeyedRateLimiter<String>,
    api: DefaultKeyedRateLimiter<String>,
}

fn per_minute(n: u32) -> Quota {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(n).allow_burst(n)
}

fn check(limiter: &DefaultKeyedRateLimiter<String>, key: String) -> Result<(), ApiError> {
    limiter.check_key(&key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::new(ErrorCode::RateLimited).with_retry_after(wait.as_secs() + 1)
    })
}

impl RateLimits {
    pub fn new(s: &Settings) -> Self {
        RateLimits {
            auth: RateLimiter::keyed(per_minute(s.auth_rate_per_minute)),
            api: RateLimiter::keyed(per_minute(s.api_rate_per_minute)),
        }
    }

    /// Login, token, refresh and 2FA endpoints: per client IP.
    pub fn auth(&self, client: &ClientInfo) -> Result<(), ApiError> {
        check(&self.auth, client.ip_key())
    }

    /// Every other API route: per signed-in user.
    pub fn api(&self, user_id: &str) -> Result<(), ApiError> {
        check(&self.api, user_id.to_owned())
    }

    /// Drops idle keys; called periodically.
    pub fn shrink(&self) {
        self.auth.retain_recent();
        self.api.retain_recent();
    }
}

/// Images also from Instagram's CDN: linked accounts' and leads' profile pictures are Instagram URLs.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https://*.cdninstagram.com https://*.fbcdn.net; \
font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Security headers on every response.
pub fn headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

/// CORS: only the origins named in config; none by default.
pub fn cors(s: &Settings) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(vec!["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers(vec![
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
        ])
        .allowed_header("x-csrf-token")
        .expose_headers(vec![header::RETRY_AFTER, header::ETAG])
        .supports_credentials()
        .max_age(600);
    for origin in s.allowed_origin_list() {
        cors = cors.allowed_origin(&origin);
    }
    cors
}

/// The request's own origin (scheme://host) as the browser sees it.
pub fn own_origin(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// OAuth callbacks: the provider's redirect back carries a one-time code and the state in the query string, and the
/// request log prints the request target.
const HIDDEN_QUERY_PATHS: &[&str] = &[
    crate::providers::mailboxes::CALLBACK_PATH,
    crate::accounts::oauth::CALLBACK_PATH,
];

/// A callback's query string, taken off the request before it is logged.
#[derive(Clone)]
struct HiddenQuery(String);

/// The outermost middleware moves an OAuth callback's query into the request's extensions (where the handler reads
/// it with [`callback_query`]), so only the path is logged.
pub async fn hide_callback_query(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    if let Some(path) = HIDDEN_QUERY_PATHS.iter().find(|p| req.path() == **p) {
        if let Some(q) = req.uri().query().map(str::to_owned) {
            req.extensions_mut().insert(HiddenQuery(q));
            req.head_mut().uri = actix_web::http::Uri::from_static(path);
        }
    }
    next.call(req).await
}

/// An OAuth callback's query string (kept aside by [`hide_callback_query`]).
pub fn callback_query(req: &HttpRequest) -> String {
    use actix_web::HttpMessage;
    req.extensions()
        .get::<HiddenQuery>()
        .map(|h| h.0.clone())
        .unwrap_or_else(|| req.query_string().to_owned())
}
