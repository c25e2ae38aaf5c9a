//! Every fault kind, in each provider's shape; order, `times`, scope and reset.

use crate::T;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn gmail_profile(t: &T) -> crate::Resp {
    t.get_auth("/gmail/gmail/v1/users/me/profile", "ya29.ok")
        .await
}

#[tokio::test]
async fn rate_limited_carries_retry_after_in_each_providers_shape() {
    let t = T::new();
    t.fault(json!({"provider": "openai", "route": "chat_completions", "kind": "rate_limited", "retry_after_secs": 2})).await;
    let r = t.openai("sk-a", "hi").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after").as_deref(), Some("2"));
    assert_eq!(r.json()["error"]["code"], "rate_limit_exceeded");
    assert_eq!(
        t.openai("sk-a", "hi").await.status,
        200,
        "times defaults to 1"
    );

    t.fault(
        json!({"provider": "apify", "route": null, "kind": "rate_limited", "retry_after_secs": 3}),
    )
    .await;
    let r = t.get_auth("/apify/v2/actor-runs/x", "k").await;
    assert_eq!(
        (r.status, r.json()["error"]["type"].clone()),
        (429, json!("rate-limit-exceeded"))
    );
    assert_eq!(r.header("retry-after").as_deref(), Some("3"));

    t.fault(json!({"provider": "gmail", "kind": "rate_limited"}))
        .await;
    let r = gmail_profile(&t).await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.json()["error"]["errors"][0]["reason"],
        "userRateLimitExceeded"
    );
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));

    t.fault(json!({"provider": "telegram", "kind": "rate_limited", "retry_after_secs": 5}))
        .await;
    let r = t
        .post_json(
            "/telegram/bot1:A/sendMessage",
            None,
            &json!({"chat_id": 1, "text": "x"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["parameters"]["retry_after"].clone()),
        (429, json!(5))
    );

    t.fault(json!({"provider": "instagram", "kind": "rate_limited", "retry_after_secs": 1}))
        .await;
    let r = t.get("/instagram-graph/me?access_token=t").await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (429, json!(4))
    );

    t.fault(json!({"provider": "sidecar", "kind": "rate_limited", "retry_after_secs": 1}))
        .await;
    let r = t
        .send_form(
            "POST",
            "/sidecar/auth/login",
            &[],
            &[("username", "a"), ("password", "b")],
        )
        .await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn server_unavailable_malformed_bad_request_and_not_found() {
    let t = T::new();
    for (kind, status) in [("server_error", 500), ("unavailable", 503)] {
        t.fault(json!({"provider": "gmail", "route": "profile", "kind": kind}))
            .await;
        let r = gmail_profile(&t).await;
        assert_eq!(r.status, status);
        assert_eq!(r.json()["error"]["code"], status);
        t.fault(json!({"provider": "perplexity", "kind": kind}))
            .await;
        let r = t
            .post_json("/perplexity/chat/completions", Some("p"), &json!({}))
            .await;
        assert_eq!(r.status, status);
        assert!(r.json()["error"]["message"].is_string());
    }
    t.fault(json!({"provider": "openai", "kind": "malformed_json"}))
        .await;
    let r = t.openai("sk", "x").await;
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<Value>(&r.text).is_err(),
        "{}",
        r.text
    );

    t.fault(json!({"provider": "gmail", "kind": "bad_request"}))
        .await;
    let r = gmail_profile(&t).await;
    assert_eq!(
        (r.status, r.json()["error"]["status"].clone()),
        (400, json!("INVALID_ARGUMENT"))
    );
    t.fault(json!({"provider": "gmail", "kind": "not_found"}))
        .await;
    let r = gmail_profile(&t).await;
    assert_eq!(
        (r.status, r.json()["error"]["errors"][0]["reason"].clone()),
        (404, json!("notFound"))
    );
    t.fault(json!({"provider": "apify", "kind": "not_found"}))
        .await;
    assert_eq!(t.get_auth("/apify/v2/actor-runs/x", "k").await.status, 404);
    t.fault(json!({"provider": "telegram", "kind": "server_error"}))
        .await;
    let r = t
        .post_json(
            "/telegram/bot1:A/sendMessage",
            None,
            &json!({"chat_id": 1, "text": "x"}),
        )
        .await;
    assert_eq!((r.status, r.json()["ok"].clone()), (500, json!(false)));
}

#[tokio::test]
async fn token_and_credit_faults() {
    let t = T::new();
    t.fault(json!({"provider": "instagram", "route": "me", "kind": "invalid_token"}))
        .await;
    let r = t.get("/instagram-graph/v25.0/me?access_token=good").await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (400, json!(190))
    );
    t.fault(json!({"provider": "instagram", "route": "me", "kind": "expired_token"}))
        .await;
    let r = t.get("/instagram-graph/v25.0/me?access_token=good").await;
    assert_eq!(r.json()["error"]["error_subcode"], 463);
    t.fault(json!({"provider": "google", "route": "token", "kind": "expired_token"}))
        .await;
    let r = t
        .send_form(
            "POST",
            "/google-oauth/token",
            &[],
            &[("grant_type", "refresh_token")],
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
    t.fault(json!({"provider": "gmail", "kind": "expired_token"}))
        .await;
    assert_eq!(gmail_profile(&t).await.status, 401);

    t.fault(json!({"provider": "apify", "kind": "out_of_credits"}))
        .await;
    let r = t.get_auth("/apify/v2/actor-runs/x", "k").await;
    assert_eq!(
        (r.status, r.json()["error"]["type"].clone()),
        (402, json!("not-enough-usage-to-run-paid-actor"))
    );
    t.fault(json!({"provider": "openai", "kind": "out_of_credits"}))
        .await;
    let r = t.openai("sk", "x").await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (429, json!("insufficient_quota"))
    );
    assert!(r.header("retry-after").is_none());
    t.fault(json!({"provider": "perplexity", "kind": "out_of_credits"}))
        .await;
    let r = t
        .post_json("/perplexity/chat/completions", Some("p"), &json!({}))
        .await;
    assert_eq!(r.status, 402);
    t.control("flags", json!({"perplexity_out_of_credits_status": 401}))
        .await;
    t.fault(json!({"provider": "perplexity", "kind": "out_of_credits"}))
        .await;
    let r = t
        .post_json("/perplexity/chat/completions", Some("p"), &json!({}))
        .await;
    assert_eq!(r.status, 401);

    t.fault(json!({"provider": "apify", "route": "run_sync", "kind": "apify_408"}))
        .await;
    let r = t
        .post_json(
            "/apify/v2/acts/apify~instagram-hashtag-scraper/run-sync-get-dataset-items",
            Some("k"),
            &json!({"hashtags": ["a"]}),
        )
        .await;
    assert_eq!(r.status, 408);
    assert_eq!(r.json()["error"]["type"], "run-timeout-exceeded");
}

#[tokio::test]
async fn every_sidecar_error_kind_is_an_exc_type() {
    let t = T::new();
    for (kind, exc) in [
        ("challenge_required", "ChallengeRequired"),
        ("two_factor_required", "TwoFactorRequired"),
        ("login_required", "LoginRequired"),
        ("feedback_required", "FeedbackRequired"),
        ("please_wait", "PleaseWaitFewMinutes"),
        ("bad_password", "BadPassword"),
        ("client_throttled", "ClientThrottledError"),
    ] {
        t.fault(json!({"provider": "sidecar", "route": "user_follow", "kind": kind}))
            .await;
        let r = t
            .send_form(
                "POST",
                "/sidecar/user/follow",
                &[("X-Session-ID", "s")],
                &[("user_id", "1")],
            )
            .await;
        assert_eq!(r.status, 500, "{kind}");
        assert_eq!(r.json()["exc_type"], exc, "{kind}");
        assert!(r.json()["detail"].is_string());
    }
}

#[tokio::test]
async fn slow_and_timeout() {
    let t = T::new();
    t.fault(json!({"provider": "perplexity", "kind": "slow", "delay_ms": 400}))
        .await;
    let start = Instant::now();
    let r = t
        .post_json(
            "/perplexity/chat/completions",
            Some("p"),
            &json!({"model": "sonar", "messages": [{"role": "user", "content": "@a"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "slow answers normally");
    assert!(start.elapsed() >= Duration::from_millis(400));

    t.fault(json!({"provider": "telegram", "kind": "timeout", "delay_ms": 3000}))
        .await;
    let start = Instant::now();
    let e =
        t.c.post(t.u("/telegram/bot1:A/sendMessage"))
            .json(&json!({"chat_id": 1, "text": "x"}))
            .timeout(Duration::from_millis(500))
            .send()
            .await
            .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert!(start.elapsed() < Duration::from_millis(2500));
    assert_eq!(
        t.count("telegram", "send_message").await,
        1,
        "the request was received"
    );
}

#[tokio::test]
async fn faults_fire_in_order_times_and_scope() {
    let t = T::new();
    t.fault(json!({"provider": "openai", "route": "chat_completions", "kind": "server_error"}))
        .await;
    t.fault(json!({"provider": "openai", "route": "chat_completions", "kind": "rate_limited", "times": 2})).await;
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(t.openai("sk", "x").await.status);
    }
    assert_eq!(got, vec![500, 429, 429, 200]);
    assert_eq!(
        t.count("openai", "chat_completions").await,
        4,
        "every attempt is recorded"
    );

    // times 0 = until cleared; a fault on one route leaves the others alone.
    t.fault(json!({"provider": "gmail", "route": "send", "kind": "unavailable", "times": 0}))
        .await;
    assert_eq!(gmail_profile(&t).await.status, 200);
    for _ in 0..3 {
        let r = t
            .post_json(
                "/gmail/gmail/v1/users/me/messages/send",
                Some("ya29.x"),
                &json!({"raw": "x"}),
            )
            .await;
        assert_eq!(r.status, 503);
    }
    let r = t.c.delete(t.u("/_sim/faults")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = t
        .post_json(
            "/gmail/gmail/v1/users/me/messages/send",
            Some("ya29.x"),
            &json!({"raw": "x"}),
        )
        .await;
    assert_eq!(
        r.status, 400,
        "no fault: the sandbox itself rejects the bad raw message"
    );

    // Bad fault definitions are refused.
    for bad in [
        json!({"provider": "nope", "kind": "server_error"}),
        json!({"provider": "openai", "route": "nope", "kind": "server_error"}),
        json!({"provider": "openai", "kind": "nope"}),
    ] {
        let r = t.post_json("/_sim/faults", None, &bad).await;
        assert_eq!(r.status, 400, "{bad}");
    }

    // Reset: faults, requests and flags back to the start.
    t.fault(json!({"provider": "openai", "kind": "server_error", "times": 0}))
        .await;
    t.control("flags", json!({"openai_refusal": true})).await;
    t.control("reset", json!({})).await;
    assert_eq!(t.count("openai", "chat_completions").await, 0);
    let r = t.openai("sk", "x").await;
    assert_eq!(r.status, 200);
    assert!(r.json()["choices"][0]["message"]["content"].is_string());
    let recs = t
        .get("/_sim/requests?provider=openai&route=chat_completions")
        .await
        .json();
    let rec = &recs["requests"][0];
    assert_eq!(rec["method"], "POST");
    assert_eq!(rec["path"], "/openai/v1/chat/completions");
    assert_eq!(rec["headers"]["authorization"], "Bearer sk");
    assert!(rec["body"].as_str().unwrap().contains("gpt-4o-mini"));
    assert!(rec["at"].is_string());
}
