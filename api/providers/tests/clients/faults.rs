//! Every client × every fault: the typed error, how many requests reached the sandbox, and that retryable faults
//! are retried (a single fault then succeeds) while the others are not retried at all.

use crate::common::{secret, Sim};
use leadgen_providers::apify::ProfileItem;
use leadgen_providers::openai::{Message, StructuredRequest};
use leadgen_providers::perplexity::AnswerRequest;
use leadgen_providers::ProviderErrorKind as K;
use leadgen_providers::{ProviderError, ProviderResult};
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug)]
enum Target {
    Instagram,
    Apify,
    Perplexity,
    OpenAi,
    Google,
    Gmail,
    Sidecar,
    Telegram,
}

impl Target {
    /// The sandbox provider and route the call goes to.
    fn route(self) -> (&'static str, &'static str) {
        match self {
            Target::Instagram => ("instagram", "me"),
            Target::Apify => ("apify", "run_sync"),
            Target::Perplexity => ("perplexity", "chat_completions"),
            Target::OpenAi => ("openai", "chat_completions"),
            Target::Google => ("google", "token"),
            Target::Gmail => ("gmail", "send"),
            Target::Sidecar => ("sidecar", "user_info_by_username"),
            Target::Telegram => ("telegram", "send_message"),
        }
    }

    async fn call(self, sim: &Sim, session: &secrecy::SecretString) -> ProviderResult<()> {
        let schema = json!({"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false});
        match self {
            Target::Instagram => sim.instagram().profile(&secret("IGQWsim17841400000000001S1")).await.map(drop),
            Target::Apify => sim.apify().scrape_profiles(&["anna.bakery".into()]).await.map(|v: Vec<ProfileItem>| drop(v)),
            Target::Perplexity => sim
                .perplexity()
                .answer::<Value>(&AnswerRequest {
                    messages: vec![Message::user("Find the e-mail of @anna.bakery")],
                    schema,
                    model: None,
                    search_recency_filter: None,
                    search_domain_filter: vec![],
                })
                .await
                .map(drop),
            Target::OpenAi => sim
                .openai()
                .structured::<Value>(&StructuredRequest {
                    messages: vec![Message::user("Write to Anna")],
                    schema_name: "lead".into(),
                    schema,
                    model: None,
                    temperature: None,
                    max_completion_tokens: None,
                })
                .await
                .map(drop),
            Target::Google => sim.google().refresh(&secret("1//sim.refresh.1")).await.map(drop),
            Target::Gmail => sim
                .gmail()
                .send_raw(
                    &secret("ya29.sim.token"),
                    b"From: me@example.com\r\nTo: anna@example.com\r\nSubject: Hi\r\nMessage-ID: <m1@example.com>\r\n\r\nHello",
                    None,
                )
                .await
                .map(drop),
            Target::Sidecar => sim.sidecar().user_info_by_username(session, "anna.bakery").await.map(drop),
            Target::Telegram => sim.telegram().send_message("42", "hello", None).await.map(drop),
        }
    }
}

/// (fault kind, expected typed error, retried?) for one target.
fn table(t: Target) -> Vec<(&'static str, K, bool)> {
    let mut rows = vec![
        ("rate_limited", K::RateLimited, true),
        ("server_error", K::Transient, true),
        ("unavailable", K::Transient, true),
        ("timeout", K::Transient, true),
        ("malformed_json", K::InvalidResponse, false),
        ("bad_request", K::BadRequest, false),
        ("not_found", K::NotFound, false),
    ];
    let (invalid, expired, credits) = match t {
        Target::Instagram => (K::Auth, K::TokenExpired, (K::QuotaExceeded, false)),
        Target::Apify => (K::Auth, K::Auth, (K::QuotaExceeded, false)),
        Target::Perplexity | Target::OpenAi => (K::Auth, K::Auth, (K::QuotaExceeded, false)),
        // Google's token endpoint answers "Quota exceeded" as a 429: waited out like any rate limit.
        Target::Google => (K::Auth, K::TokenExpired, (K::RateLimited, true)),
        Target::Gmail => (K::Auth, K::Auth, (K::QuotaExceeded, false)),
        // The sidecar's session errors: a lost session is a login to do again; its "credits" are throttling.
        Target::Sidecar => (K::LoginRequired, K::LoginRequired, (K::RateLimited, true)),
        Target::Telegram => (K::Auth, K::Auth, (K::RateLimited, true)),
    };
    rows.push(("invalid_token", invalid, false));
    rows.push(("expired_token", expired, false));
    rows.push(("out_of_credits", credits.0, credits.1));
    if let Target::Sidecar = t {
        rows.extend([
            ("challenge_required", K::ChallengeRequired, false),
            ("two_factor_required", K::TwoFactorRequired, false),
            ("login_required", K::LoginRequired, false),
            ("feedback_required", K::ActionBlocked, false),
            ("please_wait", K::PleaseWait, false),
            ("bad_password", K::Auth, false),
            ("client_throttled", K::RateLimited, true),
        ]);
    }
    rows
}

async fn check(t: Target) {
    let sim = Sim::start();
    let session = match t {
        Target::Sidecar => sim.sidecar().login("sim_operator", &secret("right-password"), None).await.unwrap(),
        _ => secret("unused"),
    };
    let (provider, route) = t.route();
    t.call(&sim, &session).await.unwrap_or_else(|e| panic!("{t:?} without a fault: {e}"));
    for (kind, expected, retried) in table(t) {
        // A single fault: retried ones then succeed on the second request; the others fail at once.
        sim.reset().await;
        sim.fault(provider, route, kind, 1, if kind == "rate_limited" { 1 } else { 0 }).await;
        let session = match t {
            Target::Sidecar => sim.sidecar().login("sim_operator", &secret("right-password"), None).await.unwrap(),
            _ => session.clone(),
        };
        let out = t.call(&sim, &session).await;
        let sent = sim.count(provider, route).await;
        if retried {
            assert!(out.is_ok(), "{t:?} {kind}: one fault should be retried away, got {out:?}");
            assert_eq!(sent, 2, "{t:?} {kind}: requests");
        } else {
            let e: ProviderError = out.expect_err(&format!("{t:?} {kind} must fail"));
            assert_eq!(e.kind, expected, "{t:?} {kind}: {e}");
            assert_eq!((e.attempts, sent), (1, 1), "{t:?} {kind}: not retried");
        }
        if retried {
            // Until cleared: the retries run out and the typed error comes back after 1 + 2 attempts.
            sim.reset().await;
            sim.fault(provider, route, kind, 0, 0).await;
            let e = t.call(&sim, &session).await.expect_err(&format!("{t:?} {kind} forever must fail"));
            assert_eq!(e.kind, expected, "{t:?} {kind} exhausted: {e}");
            assert_eq!(e.attempts, 3, "{t:?} {kind} exhausted");
            assert_eq!(sim.count(provider, route).await, 3, "{t:?} {kind} exhausted: requests");
        }
    }
}

#[tokio::test]
async fn instagram_faults() {
    check(Target::Instagram).await;
}

#[tokio::test]
async fn apify_faults() {
    check(Target::Apify).await;
}

#[tokio::test]
async fn perplexity_faults() {
    check(Target::Perplexity).await;
}

#[tokio::test]
async fn openai_faults() {
    check(Target::OpenAi).await;
}

#[tokio::test]
async fn google_oauth_faults() {
    check(Target::Google).await;
}

#[tokio::test]
async fn gmail_faults() {
    check(Target::Gmail).await;
}

#[tokio::test]
async fn sidecar_faults() {
    check(Target::Sidecar).await;
}

#[tokio::test]
async fn telegram_faults() {
    check(Target::Telegram).await;
}
