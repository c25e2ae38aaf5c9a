//! Each provider's error answers, in its own status codes and body shapes. Faults and real failures
//! (a bad token, a missing field) both come from here, so a client sees one shape per provider.

use serde_json::{json, Value};
use std::time::Duration;

use crate::http::Reply;
use crate::state::{Fault, Flags};

#[derive(Clone, Debug)]
pub enum Kind {
    RateLimited(Option<u64>),
    Server,
    Unavailable,
    Malformed,
    InvalidToken,
    ExpiredToken,
    OutOfCredits,
    Apify408,
    BadRequest(String),
    NotFound(String),
    /// aiograpi-rest: an instagrapi exception (`exc_type`, `detail`).
    Sidecar(&'static str, &'static str),
}

/// A credential check: missing/empty or containing `invalid` → invalid, containing `expired` → expired.
pub fn check_credential(token: Option<&str>) -> Result<(), Kind> {
    match token {
        None => Err(Kind::InvalidToken),
        Some(t) if t.trim().is_empty() || t.contains("invalid") => Err(Kind::InvalidToken),
        Some(t) if t.contains("expired") => Err(Kind::ExpiredToken),
        Some(_) => Ok(()),
    }
}

pub fn sidecar_kind(kind: &str) -> Option<Kind> {
    Some(match kind {
        "challenge_required" => Kind::Sidecar("ChallengeRequired", "challenge_required"),
        "two_factor_required" => Kind::Sidecar("TwoFactorRequired", "Two-factor authentication required"),
        "login_required" => Kind::Sidecar("LoginRequired", "login_required"),
        "feedback_required" => Kind::Sidecar(
            "FeedbackRequired",
            "feedback_required: We restrict certain activity to protect our community. Tell us if you think we made a mistake.",
        ),
        "please_wait" => Kind::Sidecar("PleaseWaitFewMinutes", "Please wait a few minutes before you try again."),
        "bad_password" => Kind::Sidecar("BadPassword", "The password you entered is incorrect. Please try again."),
        "client_throttled" => {
            Kind::Sidecar("ClientThrottledError", "Throttled by Instagram because of too many API requests.")
        }
        _ => return None,
    })
}

/// The answer a fault gives, or `None` when the request goes on normally (`slow`, after its delay).
pub fn fault_reply(provider: &str, route: &str, f: &Fault, flags: &Flags) -> Option<Reply> {
    let kind = match f.kind.as_str() {
        "slow" => return None,
        "timeout" => {
            let ms = if f.delay_ms > 0 { f.delay_ms } else { 120_000 };
            return Some(Reply::hang(Duration::from_millis(ms)));
        }
        "rate_limited" => Kind::RateLimited(Some(f.retry_after_secs.unwrap_or(1))),
        "server_error" => Kind::Server,
        "unavailable" => Kind::Unavailable,
        "malformed_json" => Kind::Malformed,
        "invalid_token" => Kind::InvalidToken,
        "expired_token" => Kind::ExpiredToken,
        "out_of_credits" => Kind::OutOfCredits,
        "apify_408" => Kind::Apify408,
        "bad_request" => Kind::BadRequest("Invalid parameter (sandbox fault)".into()),
        "not_found" => Kind::NotFound("Requested object was not found (sandbox fault)".into()),
        other => sidecar_kind(other).unwrap_or(Kind::Server),
    };
    Some(error(provider, route, &kind, flags))
}

fn with_retry_after(r: Reply, secs: Option<u64>) -> Reply {
    match secs {
        Some(s) if s > 0 => r.header("Retry-After", s.to_string()),
        _ => r,
    }
}

/// The provider's error answer for a kind.
pub fn error(provider: &str, route: &str, kind: &Kind, flags: &Flags) -> Reply {
    if let Kind::Malformed = kind {
        return Reply::text(
            200,
            "{\"id\": \"sim-malformed\", \"data\": [{\"trunc",
            "application/json",
        );
    }
    if let Kind::Sidecar(exc, detail) = kind {
        return Reply::json(500, json!({"detail": detail, "exc_type": exc}));
    }
    match provider {
        "instagram" if route == "code_exchange" || route == "authorize" => ig_oauth(kind),
        "instagram" => graph(kind),
        "apify" => apify(kind),
        "openai" | "perplexity" => openai(provider, kind, flags),
        "google" => google(kind),
        "gmail" => gmail(kind),
        "sidecar" => sidecar(kind),
        "telegram" => telegram(kind),
        _ => Reply::json(500, json!({"error": "unknown provider"})),
    }
}

fn graph_body(code: u32, subcode: Option<u32>, message: &str, transient: bool) -> Value {
    let mut e = json!({
        "message": message,
        "type": "OAuthException",
        "code": code,
        "is_transient": transient,
        "fbtrace_id": "AsImFbTrAcE0000000000",
    });
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    json!({ "error": e })
}

fn graph(kind: &Kind) -> Reply {
    match kind {
        Kind::RateLimited(ra) => {
            with_retry_after(Reply::json(429, graph_body(4, None, "Application request limit reached", true)), *ra)
        }
        Kind::Server => Reply::json(
            500,
            graph_body(2, None, "An unexpected error has occurred. Please retry your request later.", true),
        ),
        Kind::Unavailable => Reply::json(503, graph_body(2, None, "Service temporarily unavailable", true)),
        Kind::InvalidToken => {
            Reply::json(400, graph_body(190, None, "Invalid OAuth access token - Cannot parse access token", false))
        }
        Kind::ExpiredToken => Reply::json(
            400,
            graph_body(
                190,
                Some(463),
                "Error validating access token: Session has expired on Friday, 04-Dec-26 10:00:00 PST.",
                false,
            ),
        ),
        Kind::OutOfCredits => Reply::json(
            403,
            graph_body(4, Some(2207051), "Application request limit reached (daily quota used up)", false),
        ),
        Kind::Apify408 => Reply::json(408, graph_body(2, None, "Request timed out", true)),
        Kind::BadRequest(m) => Reply::json(400, graph_body(100, None, &format!("(#100) {m}"), false)),
        Kind::NotFound(m) => Reply::json(
            400,
            graph_body(100, Some(33), &format!("Unsupported get request. {m}"), false),
        ),
        Kind::Malformed | Kind::Sidecar(..) => Reply::json(500, json!({})),
    }
}

fn ig_oauth(kind: &Kind) -> Reply {
    let (status, msg) = match kind {
        Kind::RateLimited(ra) => {
            return with_retry_after(
                Reply::json(
                    429,
                    json!({"error_type": "OAuthException", "code": 429, "error_message": "Too many requests"}),
                ),
                *ra,
            )
        }
        Kind::Server => (500, "An unknown error has occurred.".to_string()),
        Kind::Unavailable => (503, "Service temporarily unavailable".to_string()),
        Kind::InvalidToken => (400, "Error validating client secret.".to_string()),
        Kind::ExpiredToken => (400, "This authorization code has expired.".to_string()),
        Kind::OutOfCredits => (403, "Application request limit reached".to_string()),
        Kind::Apify408 => (408, "Request timed out".to_string()),
        Kind::BadRequest(m) => (400, m.clone()),
        Kind::NotFound(m) => (404, m.clone()),
        Kind::Malformed | Kind::Sidecar(..) => (500, String::new()),
    };
    Reply::json(
        status,
        json!({"error_type": "OAuthException", "code": status, "error_message": msg}),
    )
}

fn apify(kind: &Kind) -> Reply {
    let (status, ty, msg) = match kind {
        Kind::RateLimited(ra) => {
            return with_retry_after(
                Reply::json(
                    429,
                    json!({"error": {"type": "rate-limit-exceeded", "message": "You have exceeded the rate limit of 30 requests per second"}}),
                ),
                *ra,
            )
        }
        Kind::Server => (500, "internal-server-error", "Internal server error".to_string()),
        Kind::Unavailable => (503, "server-unavailable", "Service is temporarily unavailable".to_string()),
        Kind::InvalidToken | Kind::ExpiredToken => {
            (401, "user-or-token-not-found", "User was not found or authentication token is not valid".to_string())
        }
        Kind::OutOfCredits => (
            402,
            "not-enough-usage-to-run-paid-actor",
            "By launching this job you will exceed the memory limit or your monthly usage limit. Please upgrade your subscription.".to_string(),
        ),
        Kind::Apify408 => (
            408,
            "run-timeout-exceeded",
            "Actor run exceeded the timeout of 300 seconds for this API endpoint. The run continues.".to_string(),
        ),
        Kind::BadRequest(m) => (400, "invalid-input", m.clone()),
        Kind::NotFound(m) => (404, "record-not-found", m.clone()),
        Kind::Malformed | Kind::Sidecar(..) => (500, "internal-server-error", String::new()),
    };
    Reply::json(status, json!({"error": {"type": ty, "message": msg}}))
}

fn openai(provider: &str, kind: &Kind, flags: &Flags) -> Reply {
    let body = |msg: &str, ty: &str, code: Value| json!({"error": {"message": msg, "type": ty, "param": null, "code": code}});
    match kind {
        Kind::RateLimited(ra) => with_retry_after(
            Reply::json(
                429,
                body(
                    "Rate limit reached for requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 1s.",
                    "requests",
                    json!("rate_limit_exceeded"),
                ),
            ),
            *ra,
        )
        .header("x-ratelimit-remaining-requests", "0")
        .header("x-ratelimit-reset-requests", "1s"),
        Kind::Server => Reply::json(
            500,
            body("The server had an error while processing your request. Sorry about that!", "server_error", Value::Null),
        ),
        Kind::Unavailable => Reply::json(
            503,
            body("The engine is currently overloaded, please try again later.", "server_error", Value::Null),
        ),
        Kind::InvalidToken => Reply::json(
            401,
            body("Incorrect API key provided. You can find your API key in your account settings.", "invalid_request_error", json!("invalid_api_key")),
        ),
        Kind::ExpiredToken => Reply::json(
            401,
            body("The API key provided has expired or been revoked.", "invalid_request_error", json!("invalid_api_key")),
        ),
        Kind::OutOfCredits if provider == "perplexity" => Reply::json(
            flags.perplexity_out_of_credits_status,
            body("Insufficient credits. Add credits to your account to continue.", "insufficient_quota", json!("insufficient_quota")),
        ),
        Kind::OutOfCredits => Reply::json(
            429,
            body(
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                json!("insufficient_quota"),
            ),
        ),
        Kind::Apify408 => Reply::json(408, body("Request timed out.", "timeout", Value::Null)),
        Kind::BadRequest(m) => Reply::json(400, body(m, "invalid_request_error", Value::Null)),
        Kind::NotFound(m) => Reply::json(404, body(m, "invalid_request_error", json!("model_not_found"))),
        Kind::Malformed | Kind::Sidecar(..) => Reply::json(500, json!({})),
    }
}

fn google(kind: &Kind) -> Reply {
    let (status, err, desc) = match kind {
        Kind::RateLimited(ra) => {
            return with_retry_after(
                Reply::json(
                    429,
                    json!({"error": "rate_limit_exceeded", "error_description": "Rate limit exceeded"}),
                ),
                *ra,
            )
        }
        Kind::Server => (500, "internal_failure", "Backend Error".to_string()),
        Kind::Unavailable => (
            503,
            "temporarily_unavailable",
            "Service unavailable".to_string(),
        ),
        Kind::InvalidToken => (401, "invalid_client", "Unauthorized".to_string()),
        Kind::ExpiredToken => (
            400,
            "invalid_grant",
            "Token has been expired or revoked.".to_string(),
        ),
        Kind::OutOfCredits => (429, "rate_limit_exceeded", "Quota exceeded".to_string()),
        Kind::Apify408 => (408, "timeout", "Request timed out".to_string()),
        Kind::BadRequest(m) => (400, "invalid_request", m.clone()),
        Kind::NotFound(m) => (404, "not_found", m.clone()),
        Kind::Malformed | Kind::Sidecar(..) => (500, "internal_failure", String::new()),
    };
    Reply::json(status, json!({"error": err, "error_description": desc}))
}

pub fn gmail_body(code: u16, message: &str, domain: &str, reason: &str, status: &str) -> Value {
    json!({"error": {
        "code": code,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
        "status": status,
    }})
}

fn gmail(kind: &Kind) -> Reply {
    match kind {
        Kind::RateLimited(ra) => with_retry_after(
            Reply::json(
                429,
                gmail_body(429, "User-rate limit exceeded.", "usageLimits", "userRateLimitExceeded", "RESOURCE_EXHAUSTED"),
            ),
            *ra,
        ),
        Kind::Server => Reply::json(500, gmail_body(500, "Internal error encountered.", "global", "backendError", "INTERNAL")),
        Kind::Unavailable => Reply::json(
            503,
            gmail_body(503, "The service is currently unavailable.", "global", "backendError", "UNAVAILABLE"),
        ),
        Kind::InvalidToken | Kind::ExpiredToken => Reply::json(
            401,
            gmail_body(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
                "global",
                "authError",
                "UNAUTHENTICATED",
            ),
        )
        .header("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\""),
        Kind::OutOfCredits => Reply::json(
            403,
            gmail_body(403, "Daily user sending limit exceeded.", "usageLimits", "dailyLimitExceeded", "PERMISSION_DENIED"),
        ),
        Kind::Apify408 => Reply::json(408, gmail_body(408, "Request timed out.", "global", "timeout", "DEADLINE_EXCEEDED")),
        Kind::BadRequest(m) => Reply::json(400, gmail_body(400, m, "global", "invalidArgument", "INVALID_ARGUMENT")),
        Kind::NotFound(_) => Reply::json(
            404,
            gmail_body(404, "Requested entity was not found.", "global", "notFound", "NOT_FOUND"),
        ),
        Kind::Malformed | Kind::Sidecar(..) => Reply::json(500, json!({})),
    }
}

fn sidecar(kind: &Kind) -> Reply {
    match kind {
        Kind::RateLimited(ra) => with_retry_after(
            Reply::json(429, json!({"detail": "Too Many Requests"})),
            *ra,
        ),
        Kind::Server => Reply::json(
            500,
            json!({"detail": "Internal Server Error", "exc_type": "UnknownError"}),
        ),
        Kind::Unavailable => Reply::json(503, json!({"detail": "Service Unavailable"})),
        Kind::InvalidToken => Reply::json(
            500,
            json!({"detail": "Session not found (e.g. after reload process), please relogin", "exc_type": "Exception"}),
        ),
        Kind::ExpiredToken => Reply::json(
            500,
            json!({"detail": "login_required", "exc_type": "LoginRequired"}),
        ),
        Kind::OutOfCredits => Reply::json(
            500,
            json!({"detail": "Throttled by Instagram because of too many API requests.", "exc_type": "ClientThrottledError"}),
        ),
        Kind::Apify408 => Reply::json(408, json!({"detail": "Request Timeout"})),
        Kind::BadRequest(m) => Reply::json(
            422,
            json!({"detail": [{"type": "missing", "loc": ["body", m], "msg": "Field required", "input": null}]}),
        ),
        Kind::NotFound(m) => Reply::json(500, json!({"detail": m, "exc_type": "UserNotFound"})),
        Kind::Malformed | Kind::Sidecar(..) => Reply::json(500, json!({})),
    }
}

fn telegram(kind: &Kind) -> Reply {
    let body = |code: u16, d: &str| json!({"ok": false, "error_code": code, "description": d});
    match kind {
        Kind::RateLimited(ra) => {
            let secs = ra.unwrap_or(1);
            let mut b = body(429, &format!("Too Many Requests: retry after {secs}"));
            b["parameters"] = json!({"retry_after": secs});
            with_retry_after(Reply::json(429, b), *ra)
        }
        Kind::Server => Reply::json(500, body(500, "Internal Server Error")),
        Kind::Unavailable => Reply::json(503, body(503, "Service Unavailable")),
        Kind::InvalidToken | Kind::ExpiredToken => Reply::json(401, body(401, "Unauthorized")),
        Kind::OutOfCredits => Reply::json(429, body(429, "Too Many Requests")),
        Kind::Apify408 => Reply::json(408, body(408, "Request Timeout")),
        Kind::BadRequest(m) => Reply::json(400, body(400, &format!("Bad Request: {m}"))),
        Kind::NotFound(_) => Reply::json(404, body(404, "Not Found")),
        Kind::Malformed | Kind::Sidecar(..) => Reply::json(500, json!({})),
    }
}
