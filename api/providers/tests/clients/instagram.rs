//! Instagram API with Instagram Login against the sandbox: the OAuth round trip with both code-exchange shapes,
//! long-lived token and refresh, profile, messaging, webhooks subscription, insights.

use crate::common::{approve, pair, secret, Sim, REDIRECT};
use leadgen_providers::instagram::InsightsQuery;
use leadgen_providers::ProviderErrorKind;
use secrecy::ExposeSecret;
use serde_json::json;

#[tokio::test]
async fn oauth_round_trip_accepts_both_code_exchange_shapes() {
    let sim = Sim::start();
    let ig = sim.instagram();
    for envelope in ["data", "flat"] {
        sim.flags(json!({"instagram_token_envelope": envelope})).await;
        let url = ig.authorize_url("state-xyz", &["instagram_business_basic", "instagram_business_manage_messages"]);
        assert!(url.starts_with(&format!("{}/oauth/authorize?", sim.url("instagram-www"))), "{url}");
        assert!(url.contains("scope=instagram_business_basic%2Cinstagram_business_manage_messages"), "{url}");
        let back = approve(&url).await;
        assert_eq!(pair(&back, "state"), Some("state-xyz"));
        let code = pair(&back, "code").unwrap().to_owned();
        // The callback's `#_` tail is tolerated.
        let short = ig.exchange_code(&format!("{code}#_")).await.unwrap();
        assert!(short.user_id.starts_with("17841"), "{envelope}: {}", short.user_id);
        assert!(!short.access_token.expose_secret().is_empty());
        if envelope == "data" {
            assert!(short.permissions.contains(&"instagram_business_basic".to_owned()), "{:?}", short.permissions);
        }
        let long = ig.long_lived_token(&short.access_token).await.unwrap();
        assert!(long.expires_in > 5_000_000, "{}", long.expires_in);
        let refreshed = ig.refresh_token(&long.access_token).await.unwrap();
        assert_ne!(refreshed.access_token.expose_secret(), long.access_token.expose_secret());
        let me = ig.profile(&refreshed.access_token).await.unwrap();
        assert_eq!(me.user_id.as_deref(), Some(short.user_id.as_str()));
        assert!(me.username.is_some());
    }
    let sent = sim.requests("instagram", "code_exchange").await;
    assert_eq!(sent.len(), 2);
    let body = sent[0]["body"].as_str().unwrap();
    assert!(body.contains("grant_type=authorization_code") && !body.contains("%23_"), "{body}");
}

#[tokio::test]
async fn a_used_or_bad_code_is_a_typed_error() {
    let sim = Sim::start();
    let ig = sim.instagram();
    let back = approve(&ig.authorize_url("s", &["instagram_business_basic"])).await;
    let code = pair(&back, "code").unwrap().to_owned();
    ig.exchange_code(&code).await.unwrap();
    let e = ig.exchange_code(&code).await.unwrap_err();
    assert_eq!((e.kind, e.attempts), (ProviderErrorKind::BadRequest, 1), "{e}");
    let e = ig.exchange_code("AQexpired-code").await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::TokenExpired, "{e}");
    let e = ig.profile(&secret("IGQWexpired-token")).await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::TokenExpired, "{e}");
    let e = ig.profile(&secret("IGQWinvalid-token")).await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::Auth, "{e}");
    assert_eq!(e.code().as_str(), "provider_auth_failed");
}

#[tokio::test]
async fn messages_webhooks_and_insights() {
    let sim = Sim::start();
    let ig = sim.instagram();
    let token = secret("IGAAsim17841400000000042L1");
    let sent = ig.send_message(&token, "17841400000000042", "1234567890123456", "Hallo!").await.unwrap();
    assert_eq!(sent.recipient_id, "1234567890123456");
    assert!(!sent.message_id.is_empty());
    let req = &sim.requests("instagram", "send_message").await[0];
    assert_eq!(req["path"], "/instagram-graph/v25.0/17841400000000042/messages");
    assert_eq!(req["headers"]["authorization"], "Bearer IGAAsim17841400000000042L1");

    sim.flags(json!({"instagram_messaging_window_closed": true})).await;
    let e = ig.send_message(&token, "me", "1234567890123456", "Hallo?").await.unwrap_err();
    assert_eq!((e.kind, e.attempts), (ProviderErrorKind::BadRequest, 1), "{e}");

    assert!(ig.subscribe_webhooks(&token, &["messages", "comments"]).await.unwrap());
    let req = &sim.requests("instagram", "subscribed_apps").await[0];
    assert!(req["query"].as_str().unwrap().contains("subscribed_fields=messages%2Ccomments"), "{req}");

    let q = InsightsQuery {
        metrics: vec!["reach".into(), "follower_count".into()],
        period: "day".into(),
        metric_type: None,
        since: None,
        until: None,
    };
    let ins = ig.account_insights(&token, "17841400000000042", &q).await.unwrap();
    assert!(ins.iter().any(|i| i.name == "reach"), "{ins:?}");
    let total = InsightsQuery {
        metrics: vec!["views".into()],
        metric_type: Some("total_value".into()),
        ..q.clone()
    };
    let ins = ig.account_insights(&token, "17841400000000042", &total).await.unwrap();
    assert!(ins.iter().all(|i| i.total_value.is_some()), "{ins:?}");
    let media = ig.media_insights(&token, "18012345678901234", &["views", "reach"]).await.unwrap();
    assert_eq!(media.len(), 2, "{media:?}");
    let e = ig.media_insights(&token, "18012345678901234", &["impressions"]).await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::BadRequest, "{e}");
}
