//! The providers: which prefix and path is which route, and the route handlers.

pub mod ai;
pub mod apify;
pub mod gmail;
pub mod google;
pub mod instagram;
pub mod sidecar;
pub mod telegram;

use crate::errors::{self, Kind};
use crate::http::{Reply, Req};
use crate::state::State;

pub const PROVIDERS: &[&str] = &[
    "instagram",
    "apify",
    "perplexity",
    "openai",
    "google",
    "gmail",
    "sidecar",
    "telegram",
];

/// Every route name per provider (the control API checks fault routes against it).
pub fn routes(provider: &str) -> &'static [&'static str] {
    match provider {
        "instagram" => &[
            "authorize",
            "code_exchange",
            "long_lived",
            "refresh",
            "me",
            "send_message",
            "subscribed_apps",
            "user_insights",
            "media_insights",
        ],
        "apify" => &["run_sync", "run_async", "run_get", "dataset_items"],
        "perplexity" | "openai" => &["chat_completions"],
        "google" => &["authorize", "token"],
        "gmail" => &[
            "send",
            "drafts_create",
            "drafts_send",
            "messages_list",
            "message_get",
            "thread_get",
            "history_list",
            "profile",
        ],
        "sidecar" => &[
            "auth_login",
            "auth_login_by_sessionid",
            "auth_settings_get",
            "auth_settings_set",
            "auth_relogin",
            "challenge_resolve",
            "user_info",
            "user_info_by_username",
            "user_id_from_username",
            "user_follow",
            "user_unfollow",
            "media_like",
            "media_unlike",
            "hashtag_medias_top",
            "hashtag_medias_recent",
            "direct_message",
            "version",
        ],
        "telegram" => &["send_message", "get_me"],
        _ => &[],
    }
}

/// The provider a path prefix serves.
pub fn provider_of_prefix(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "instagram-www" | "instagram-api" | "instagram-graph" => "instagram",
        "apify" => "apify",
        "perplexity" => "perplexity",
        "openai" => "openai",
        "google-accounts" | "google-oauth" => "google",
        "gmail" => "gmail",
        "sidecar" => "sidecar",
        "telegram" => "telegram",
        _ => return None,
    })
}

pub fn decode(seg: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", seg.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn is_version(seg: &str) -> bool {
    let Some(rest) = seg.strip_prefix('v') else {
        return false;
    };
    !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// The route name of a request below its prefix (`None` = no such route).
pub fn route_of(prefix: &str, method: &str, rest: &str) -> Option<&'static str> {
    let segs: Vec<String> = rest
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = method;
    Some(match prefix {
        "instagram-www" | "instagram-api" => match (m, s.as_slice()) {
            ("GET", ["oauth", "authorize"]) => "authorize",
            ("POST", ["oauth", "access_token"]) if prefix == "instagram-api" => "code_exchange",
            _ => return None,
        },
        "instagram-graph" => {
            let s = if s.first().is_some_and(|v| is_version(v)) {
                &s[1..]
            } else {
                &s[..]
            };
            match (m, s) {
                ("GET", ["access_token"]) => "long_lived",
                ("GET", ["refresh_access_token"]) => "refresh",
                ("GET", ["me"]) => "me",
                ("POST", [_, "messages"]) => "send_message",
                ("POST", [_, "subscribed_apps"]) => "subscribed_apps",
                ("GET", [id, "insights"]) if *id == "me" || id.starts_with("17841") => {
                    "user_insights"
                }
                ("GET", [_, "insights"]) => "media_insights",
                _ => return None,
            }
        }
        "apify" => match (m, s.as_slice()) {
            ("POST" | "GET", ["v2", "acts" | "actors", _, "run-sync-get-dataset-items"]) => {
                "run_sync"
            }
            ("POST", ["v2", "acts" | "actors", _, "runs"]) => "run_async",
            ("GET", ["v2", "actor-runs", _]) => "run_get",
            ("GET", ["v2", "datasets", _, "items"]) => "dataset_items",
            ("GET", ["v2", "actor-runs", _, "dataset", "items"]) => "dataset_items",
            _ => return None,
        },
        "perplexity" => match (m, s.as_slice()) {
            ("POST", ["chat", "completions"]) => "chat_completions",
            _ => return None,
        },
        "openai" => match (m, s.as_slice()) {
            ("POST", ["v1", "chat", "completions"]) => "chat_completions",
            _ => return None,
        },
        "google-accounts" => match (m, s.as_slice()) {
            ("GET", ["o", "oauth2", "v2", "auth"]) | ("GET", ["o", "oauth2", "auth"]) => {
                "authorize"
            }
            _ => return None,
        },
        "google-oauth" => match (m, s.as_slice()) {
            ("POST", ["token"]) => "token",
            _ => return None,
        },
        "gmail" => match (m, s.as_slice()) {
            ("POST", ["gmail", "v1", "users", _, "messages", "send"]) => "send",
            ("POST", ["gmail", "v1", "users", _, "drafts"]) => "drafts_create",
            ("POST", ["gmail", "v1", "users", _, "drafts", "send"]) => "drafts_send",
            ("GET", ["gmail", "v1", "users", _, "messages"]) => "messages_list",
            ("GET", ["gmail", "v1", "users", _, "messages", _]) => "message_get",
            ("GET", ["gmail", "v1", "users", _, "threads", _]) => "thread_get",
            ("GET", ["gmail", "v1", "users", _, "history"]) => "history_list",
            ("GET", ["gmail", "v1", "users", _, "profile"]) => "profile",
            _ => return None,
        },
        "sidecar" => match (m, s.as_slice()) {
            ("POST", ["auth", "login"]) => "auth_login",
            ("POST", ["auth", "login", "by", "sessionid"]) => "auth_login_by_sessionid",
            ("GET", ["auth", "settings"]) => "auth_settings_get",
            ("PATCH", ["auth", "settings"]) => "auth_settings_set",
            ("PATCH", ["auth", "relogin"]) => "auth_relogin",
            ("POST", ["auth", "challenge", "resolve"]) => "challenge_resolve",
            ("GET", ["user", "info"]) => "user_info",
            ("GET", ["user", "info", "by", "username"]) => "user_info_by_username",
            ("GET", ["user", "id", "from", "username"]) => "user_id_from_username",
            ("POST", ["user", "follow"]) => "user_follow",
            ("DELETE", ["user", "follow"]) => "user_unfollow",
            ("POST", ["media", "like"]) => "media_like",
            ("DELETE", ["media", "like"]) => "media_unlike",
            ("GET", ["hashtag", "medias", "top"]) => "hashtag_medias_top",
            ("GET", ["hashtag", "medias", "recent"]) => "hashtag_medias_recent",
            ("POST", ["direct", "message"]) => "direct_message",
            ("GET", ["version"]) => "version",
            _ => return None,
        },
        "telegram" => match (m, s.as_slice()) {
            ("POST" | "GET", [bot, "sendMessage"]) if bot.starts_with("bot") => "send_message",
            ("POST" | "GET", [bot, "getMe"]) if bot.starts_with("bot") => "get_me",
            _ => return None,
        },
        _ => return None,
    })
}

/// Runs a route.
pub fn handle(st: &mut State, provider: &str, route: &str, req: &Req) -> Reply {
    match provider {
        "instagram" => instagram::handle(st, route, req),
        "apify" => apify::handle(st, route, req),
        "perplexity" => ai::perplexity(st, req),
        "openai" => ai::openai(st, req),
        "google" => google::handle(st, route, req),
        "gmail" => gmail::handle(st, route, req),
        "sidecar" => sidecar::handle(st, route, req),
        "telegram" => telegram::handle(st, route, req),
        _ => not_found(st, provider, route),
    }
}

pub fn err(st: &State, provider: &str, route: &str, kind: Kind) -> Reply {
    errors::error(provider, route, &kind, &st.flags)
}

pub fn not_found(st: &State, provider: &str, route: &str) -> Reply {
    err(
        st,
        provider,
        route,
        Kind::NotFound("Unknown path components".into()),
    )
}

/// The path segments below the prefix, decoded.
pub fn segments(req: &Req) -> Vec<String> {
    req.rest
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect()
}

/// An RFC 3339 timestamp of now, UTC, with milliseconds.
pub fn now_rfc3339() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}
