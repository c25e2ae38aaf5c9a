//! The aiograpi-rest sidecar: logins (password, 2FA, challenge, session id), settings, relogin, users, follows,
//! likes, hashtag medias, direct messages.

use crate::common::{secret, Sim};
use leadgen_providers::sidecar::Recipients;
use leadgen_providers::ProviderErrorKind;
use secrecy::ExposeSecret;
use serde_json::json;

#[tokio::test]
async fn login_flows_two_factor_challenge_and_bad_password() {
    let sim = Sim::start();
    let sc = sim.sidecar();
    let pw = secret("correct horse battery");
    let sid = sc.login("plain_user", &pw, None).await.unwrap();
    assert!(!sid.expose_secret().is_empty());

    let e = sc.login("twofa_user", &pw, None).await.unwrap_err();
    assert_eq!((e.kind, e.attempts), (ProviderErrorKind::TwoFactorRequired, 1), "{e}");
    assert_eq!(e.code().as_str(), "instagram_two_factor_required");
    sc.login("twofa_user", &pw, Some("123456")).await.unwrap();

    let e = sc.login("challenge_user", &pw, None).await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::ChallengeRequired, "{e}");
    assert!(sc.resolve_challenge(None, &json!({"username": "challenge_user"})).await.unwrap());
    sc.login("challenge_user", &pw, None).await.unwrap();

    let e = sc.login("plain_user", &secret("wrong-password"), None).await.unwrap_err();
    assert_eq!((e.kind, e.attempts), (ProviderErrorKind::Auth, 1), "{e}");
    let sent = sim.requests("sidecar", "auth_login").await;
    assert!(sent[0]["body"].as_str().unwrap().contains("username=plain_user"));
}

#[tokio::test]
async fn sessions_settings_and_relogin() {
    let sim = Sim::start();
    let sc = sim.sidecar();
    let sid = sc.login("op_one", &secret("pw-123456"), None).await.unwrap();
    let settings = sc.settings(&sid).await.unwrap();
    assert!(settings.is_object());
    assert!(sc.relogin(&sid).await.unwrap());
    let req = &sim.requests("sidecar", "auth_relogin").await[0];
    assert_eq!(req["headers"]["x-session-id"].as_str(), Some(sid.expose_secret()));

    // After the sidecar lost its sessions, the saved settings bring the session back.
    sim.reset().await;
    let e = sc.user_info_by_username(&sid, "anna").await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::LoginRequired, "{e}");
    let restored = sc.set_settings(&sid, &settings).await.unwrap();
    sc.user_info_by_username(&restored, "anna").await.unwrap();
    let by_id = sc.login_by_session_id(&secret("abc%3A123sessionid")).await.unwrap();
    sc.user_info_by_username(&by_id, "anna").await.unwrap();
    let e = sc.relogin(&secret("no-such-session")).await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::LoginRequired, "{e}");
}

#[tokio::test]
async fn users_follows_likes_hashtags_and_direct_messages() {
    let sim = Sim::start();
    let sc = sim.sidecar();
    let sid = sc.login("op_two", &secret("pw-123456"), None).await.unwrap();
    let anna = sc.user_info_by_username(&sid, "anna.bakery").await.unwrap();
    assert_eq!(anna.username, "anna.bakery");
    let same = sc.user_info(&sid, &anna.pk).await.unwrap();
    assert_eq!(same.username, anna.username);
    assert!(sc.follow(&sid, &anna.pk).await.unwrap());
    assert!(sc.unfollow(&sid, &anna.pk).await.unwrap());

    let top = sc.hashtag_medias_top(&sid, "#bakery", 9).await.unwrap();
    let recent = sc.hashtag_medias_recent(&sid, "bakery", 27).await.unwrap();
    assert!(!top.is_empty() && top.len() <= 9 && !recent.is_empty() && recent.len() <= 27);
    assert!(top.iter().all(|m| m.user.as_ref().is_some_and(|u| !u.username.is_empty())));
    let media = &top[0];
    assert!(sc.like(&sid, &media.id).await.unwrap());
    assert!(sc.unlike(&sid, &media.id).await.unwrap());
    let likes = sim.requests("sidecar", "media_unlike").await;
    assert!(likes[0]["query"].as_str().unwrap().contains("media_id="));

    let dm = sc
        .direct_message(&sid, "Hallo Anna!", &Recipients::Users(vec![anna.pk.clone()]))
        .await
        .unwrap();
    assert_eq!(dm.text.as_deref(), Some("Hallo Anna!"));
    let again = sc
        .direct_message(&sid, "Noch da?", &Recipients::Threads(vec![dm.thread_id.clone()]))
        .await
        .unwrap();
    assert_eq!(again.thread_id, dm.thread_id);
    let e = sc.user_info_by_username(&sid, "missing_user_404").await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::NotFound, "{e}");
}
