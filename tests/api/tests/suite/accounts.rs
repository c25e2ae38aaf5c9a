//! Instagram accounts against the provider sandbox: the official link (both token shapes) and its state checks,
//! the token refresh job on the app's clock, credential links with a 2FA code or a challenge answered in the
//! challenge inbox (or a TOTP seed), a wrong password, test session and the health job, members and tenancy,
//! sign in with Instagram, the admin view, and no secret in clear in the database, the responses or the logs.

use leadgen_api_tests::*;
use leadgen_db::models::job::{self, Job, JobFilter};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const APP_SECRET: &str = "ig-app-secret-sandbox-7777";
const SIM_TOTP_SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

async fn app_with_instagram() -> (TestApp, provider_sim::SimHandle, Account) {
    let sim = provider_sim::spawn(1);
    let base = sim.base_url();
    let app = spawn_app_with(|s| {
        leadgen_server::cli::point_at_sandbox(s, &base);
        s.jobs_poll_ms = 100;
    })
    .await;
    let admin = app.first_admin().await;
    let (status, body) = status_json(
        admin
            .b
            .put(
                "/api/v1/admin/providers",
                &json!({"settings": [
                    {"provider": "instagram", "field": "app_id", "value": "990011223344"},
                    {"provider": "instagram", "field": "app_secret", "value": APP_SECRET},
                ]}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (app, sim, admin)
}

async fn sim_get(sim: &provider_sim::SimHandle, path: &str) -> Value {
    reqwest::get(format!("{}{path}", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn sim_post(sim: &provider_sim::SimHandle, path: &str, body: Value) {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in {res:?}"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Starts a link and goes through the sandbox's consent page (as `hint` when given); returns the callback URL.
async fn consent(user: &Account, hint: Option<&str>) -> String {
    let (status, body) = status_json(user.b.post_empty("/api/v1/accounts/oauth/start").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut url = body["authorize_url"].as_str().unwrap().to_owned();
    if let Some(h) = hint {
        url.push_str(&format!("&login_hint={h}"));
    }
    let res = no_redirects().get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    location(&res)
}

/// Follows the callback in this user's browser (its cookies); returns where leadgen sent the browser.
async fn callback(b: &Browser, url: &str) -> String {
    let res = b.http.get(url).send().await.unwrap();
    let u = res.url().clone();
    format!("{}?{}", u.path(), u.query().unwrap_or_default())
}

/// The whole official link; returns the redirect target.
async fn link_official(user: &Account, hint: Option<&str>) -> String {
    let url = consent(user, hint).await;
    callback(&user.b, &url).await
}

fn param(target: &str, key: &str) -> Option<String> {
    let q = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

async fn accounts(user: &Account) -> Vec<Value> {
    let (status, body) = status_json(user.b.get("/api/v1/accounts").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn link_credentials(user: &Account, body: Value) -> (StatusCode, Value) {
    status_json(user.b.post("/api/v1/accounts/credentials", &body).await).await
}

/// Polls until `f` holds (the job workers run on their own threads).
async fn until<F: FnMut(&mut leadgen_db::DbConn) -> bool>(app: &TestApp, what: &str, mut f: F) {
    for _ in 0..600 {
        let ok = {
            let mut c = app.state.db.get().unwrap();
            f(&mut c)
        };
        if ok {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn completed(c: &mut leadgen_db::DbConn, kind: &str) -> usize {
    Job::list(
        c,
        &JobFilter {
            kind: Some(kind.into()),
            states: vec![job::COMPLETED.into()],
            ..JobFilter::default()
        },
    )
    .unwrap()
    .len()
}

async fn audit_actions(admin: &Account) -> Vec<String> {
    let (_, page) = status_json(admin.b.get("/api/v1/admin/audit?per_page=200").await).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_official_link_works_with_both_token_shapes() {
    let (app, sim, admin) = app_with_instagram().await;
    let anna = app.user(&admin, "anna", "user").await;
    // The documented `{"data":[…]}` answer.
    let target = link_official(&anna, None).await;
    assert!(target.starts_with("/accounts?linked="), "{target}");
    let first = param(&target, "linked").unwrap();
    // The flat answer with a numeric user id.
    sim_post(
        &sim,
        "/_sim/flags",
        json!({"instagram_token_envelope": "flat"}),
    )
    .await;
    let target = link_official(&anna, None).await;
    let second = param(&target, "linked").unwrap();
    assert_ne!(first, second);
    let list = accounts(&anna).await;
    assert_eq!(list.len(), 2);
    for a in &list {
        assert_eq!(a["role"], "owner");
        assert_eq!(a["vault"]["link_kinds"], json!(["official"]));
        assert!(
            a["ig_user_id"].as_str().unwrap().starts_with("17841"),
            "{a}"
        );
        assert!(!a["username"].as_str().unwrap().is_empty());
        let expires: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(a["vault"]["token_expires_at"].clone()).unwrap();
        let days = (expires - chrono::Utc::now()).num_days();
        assert!((58..=60).contains(&days), "{days}");
        assert_eq!(a["vault"]["needs_reconnect"], false);
    }
    // The first linked is the primary one.
    assert_eq!(list.iter().filter(|a| a["is_primary"] == true).count(), 1);
    assert_eq!(
        list.iter().find(|a| a["is_primary"] == true).unwrap()["id"],
        first
    );
    // Each account was subscribed to webhooks, and the exchange repeated the registered redirect URI.
    let subs = sim_get(
        &sim,
        "/_sim/requests/count?provider=instagram&route=subscribed_apps",
    )
    .await;
    assert_eq!(subs["count"], 2);
    // Switch the primary account.
    let (status, a) = status_json(
        anna.b
            .patch(
                &format!("/api/v1/accounts/{second}"),
                &json!({"primary": true}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, a["is_primary"].clone()),
        (StatusCode::OK, json!(true))
    );
    assert_eq!(accounts(&anna).await[0]["id"], second);
    assert!(audit_actions(&admin)
        .await
        .iter()
        .any(|a| a == "account.linked"));
}

#[tokio::test]
async fn bad_expired_reused_and_foreign_states_and_a_denied_consent_are_refused() {
    let (app, sim, admin) = app_with_instagram().await;
    let anna = app.user(&admin, "anna", "user").await;
    let bert = app.user(&admin, "bert", "user").await;
    // Reused: the same callback twice.
    let url = consent(&anna, None).await;
    assert!(callback(&anna.b, &url)
        .await
        .starts_with("/accounts?linked="));
    let again = callback(&anna.b, &url).await;
    assert_eq!(
        param(&again, "error").as_deref(),
        Some("state_used"),
        "{again}"
    );
    // Expired: ten minutes on the app's clock.
    let url = consent(&anna, None).await;
    app.state.clock.advance(Duration::from_secs(601));
    let late = callback(&anna.b, &url).await;
    assert_eq!(
        param(&late, "error").as_deref(),
        Some("state_expired"),
        "{late}"
    );
    // Another user's (or another browser's) consent: refused, and it cannot be used afterwards either.
    let url = consent(&anna, None).await;
    let stolen = callback(&bert.b, &url).await;
    assert_eq!(
        param(&stolen, "error").as_deref(),
        Some("state_other_user"),
        "{stolen}"
    );
    assert_eq!(
        param(&callback(&anna.b, &url).await, "error").as_deref(),
        Some("state_used")
    );
    // Unknown and missing states.
    let bogus = callback(
        &anna.b,
        &app.url("/oauth/instagram/callback?code=x&state=nope"),
    )
    .await;
    assert_eq!(param(&bogus, "error").as_deref(), Some("state_unknown"));
    // Consent refused on Instagram's page.
    sim_post(&sim, "/_sim/flags", json!({"oauth_deny": true})).await;
    let url = consent(&anna, None).await;
    let denied = callback(&anna.b, &url).await;
    assert_eq!(
        param(&denied, "error").as_deref(),
        Some("access_denied"),
        "{denied}"
    );
    // Only the one good consent linked anything; bert has nothing.
    assert_eq!(accounts(&anna).await.len(), 1);
    assert!(accounts(&bert).await.is_empty());
    // The code of a refused state was never exchanged.
    let exchanges = sim_get(
        &sim,
        "/_sim/requests/count?provider=instagram&route=code_exchange",
    )
    .await;
    assert_eq!(exchanges["count"], 1);
}

#[tokio::test]
async fn the_refresh_job_renews_tokens_before_expiry_and_flags_a_rejected_refresh() {
    let (app, sim, admin) = app_with_instagram().await;
    let anna = app.user(&admin, "anna", "user").await;
    let id = param(&link_official(&anna, None).await, "linked").unwrap();
    let get = |b: Browser| {
        let id = id.clone();
        async move {
            let (status, a) = status_json(b.get(&format!("/api/v1/accounts/{id}")).await).await;
            assert_eq!(status, StatusCode::OK);
            a
        }
    };
    let before = get(anna.b.clone()).await;
    const KIND: &str = "accounts.refresh_tokens";
    let ran = { completed(&mut app.state.db.get().unwrap(), KIND) };
    // A day later: a tick runs, but the token is far from expiry and stays.
    app.state.clock.advance(Duration::from_secs(25 * 3600));
    until(&app, "a refresh tick", |c| completed(c, KIND) > ran).await;
    let a = get(anna.b.clone()).await;
    assert_eq!(
        a["vault"]["token_expires_at"],
        before["vault"]["token_expires_at"]
    );
    assert_eq!(
        sim_get(
            &sim,
            "/_sim/requests/count?provider=instagram&route=refresh"
        )
        .await["count"],
        0
    );
    // 51 days after the link (under ten days left): refreshed for 60 more days.
    let ran = { completed(&mut app.state.db.get().unwrap(), KIND) };
    app.state.clock.advance(Duration::from_secs(50 * 86400));
    until(&app, "the refresh", |c| completed(c, KIND) > ran).await;
    let a = get(anna.b.clone()).await;
    assert_ne!(
        a["vault"]["token_expires_at"],
        before["vault"]["token_expires_at"]
    );
    assert_eq!(a["vault"]["needs_reconnect"], false);
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(a["vault"]["token_expires_at"].clone()).unwrap();
    assert!((expires - app.state.clock.now().and_utc()).num_days() >= 59);
    assert_eq!(
        sim_get(
            &sim,
            "/_sim/requests/count?provider=instagram&route=refresh"
        )
        .await["count"],
        1
    );
    // Instagram refuses the next refresh: "reconnect needed" with a notice, never silently.
    sim_post(
        &sim,
        "/_sim/faults",
        json!({"provider": "instagram", "route": "refresh", "kind": "invalid_token", "times": 0}),
    )
    .await;
    let ran = { completed(&mut app.state.db.get().unwrap(), KIND) };
    app.state.clock.advance(Duration::from_secs(51 * 86400));
    until(&app, "the rejected refresh", |c| completed(c, KIND) > ran).await;
    let a = get(anna.b.clone()).await;
    assert_eq!(a["vault"]["needs_reconnect"], true, "{a}");
    assert!(a["vault"]["notice"]
        .as_str()
        .unwrap()
        .contains("connect the account again"));
    assert_eq!(a["vault"]["last_error_code"], "provider_auth_failed");
    // Linking again clears it.
    sim_post(&sim, "/_sim/reset", json!({})).await;
    let username = a["username"].as_str().unwrap().to_owned();
    let target = link_official(&anna, Some(&username)).await;
    assert_eq!(
        param(&target, "linked").as_deref(),
        Some(id.as_str()),
        "{target}"
    );
    assert_eq!(get(anna.b.clone()).await["vault"]["needs_reconnect"], false);
}

#[tokio::test]
async fn a_credential_link_answers_two_factor_in_the_challenge_inbox() {
    let (app, sim, admin) = app_with_instagram().await;
    let anna = app.user(&admin, "anna", "user").await;
    let (status, out) = link_credentials(
        &anna,
        json!({"username": "twofa_anna", "password": "s3cret-pass"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["account"]["vault"]["session_status"], "pending");
    assert_eq!(out["account"]["vault"]["link_kinds"], json!(["session"]));
    assert_eq!(out["challenge"]["kind"], "two_factor");
    assert!(out["challenge"]["prompt"]
        .as_str()
        .unwrap()
        .contains("two-factor"));
    // The inbox shows it at once.
    let (_, inbox) = status_json(anna.b.get("/api/v1/challenges").await).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1);
    let cid = inbox["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(inbox["items"][0]["username"], "twofa_anna");
    // Another user does not see it and cannot answer it.
    let bert = app.user(&admin, "bert", "user").await;
    let (_, theirs) = status_json(bert.b.get("/api/v1/challenges").await).await;
    assert!(theirs["items"].as_array().unwrap().is_empty());
    let (status, _) = status_json(
        bert.b
            .post(
                &format!("/api/v1/challenges/{cid}"),
                &json!({"code": "123456"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A wrong code: 422 on `code`, the item stays open.
    let (status, err) = status_json(
        anna.b
            .post(
                &format!("/api/v1/challenges/{cid}"),
                &json!({"code": "000000"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(err["error"]["details"]["fields"]["code"].is_array());
    // The right one: the login continues; resolved, session valid, device pinned.
    let (status, done) = status_json(
        anna.b
            .post(
                &format!("/api/v1/challenges/{cid}"),
                &json!({"code": "123456"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["challenge"]["status"], "resolved");
    assert_eq!(done["account"]["vault"]["session_status"], "valid");
    assert_eq!(done["account"]["vault"]["device_pinned"], true);
    assert!(done["account"]["vault"]["session_age_secs"].is_number());
    assert!(done["account"]["vault"]["last_challenge_at"].is_string());
    let (_, inbox) = status_json(anna.b.get("/api/v1/challenges").await).await;
    assert!(inbox["items"].as_array().unwrap().is_empty());
    let side = sim_get(&sim, "/_sim/sidecar").await;
    assert!(side["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["username"] == "twofa_anna"));
    let actions = audit_actions(&admin).await;
    for a in [
        "challenge.opened",
        "challenge.failed",
        "challenge.resolved",
        "account.linked",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    // With the TOTP seed, the two-factor prompt is answered without anyone.
    let (status, out) = link_credentials(
        &anna,
        json!({"username": "twofa_bea", "password": "another-pass", "totp_seed": SIM_TOTP_SEED}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert!(out["challenge"].is_null(), "{out}");
    assert_eq!(out["account"]["vault"]["session_status"], "valid");
    assert_eq!(out["account"]["vault"]["totp_seed_stored"], true);
}

#[tokio::test]
async fn a_challenge_is_passed_with_the_code_instagram_sent() {
    let (app, _sim, admin) = app_with_instagram().await;
    let anna = app.user(&admin, "anna", "user").await;
    let (status, out) = link_credentials(
        &anna,
        json!({"username": "challenge_cleo", "password": "pass-word"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["challenge"]["kind"], "challenge");
    assert!(out["challenge"]["prompt"]
        .as_str()
        .unwrap()
        .contains("security code"));
    let cid = out["challenge"]["id"].as_str().unwrap().to_owned();
    let (status, _) = status_json(
        anna.b
            .post(
                &format!("/api/v1/challenges/{cid}"),
                &json!({"code": "111111"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, done) = status_json(
        anna.b
            .post(
                &format!("/api/v1/challenges/{cid}"),
                &json!({"code": "123456"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["challenge"]["status"], "resolved");
    assert_eq!(done["account"]["vault"]["session_status"], "valid");
    // Answered once: a second answer is refused.
    let (status, _) = status_json(
        anna.b
            .post(
                &format!("/api/v1/challenges/{cid}"),
                &json!({"code": "123456"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_nothing_is_stored() {
    let (app, _sim, admin) = app_with_instagram().await;
    let anna = app.user(&admin, "anna", "user").await;
    let (status, err) = link_credentials(
        &anna,
        json!({"username": "dora.d", "password": "wrong-horse-77", "totp_seed": SIM_TOTP_SEED}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(
        err["error"]["details"]["fields"]["password"][0]["code"],
        "wrong_password"
    );
    assert!(accounts(&anna).await.is_empty());
    let dump = app.dump_database();
    assert!(!dump.contains("wrong-horse-77"), "the password is nowhere");
    assert!(!dump.contains(&SIM_TOTP_SEED[..16]), "nor the seed");
    let mut c = app.state.db.get().unwrap();
    assert!(
        leadgen_db::models::ig_account::IgAccount::find_by_username(&mut c, "dora.d")
            .unwrap()
            .is_empty()
    );
    // Bad input changes nothing either.
    let (status, err) =
        link_credentials(&anna, json!({"username": "no spaces", "password": "x"})).await;
    assert_eq!(
        (
            status,
            err["error"]["details"]["fields"]["username"].is_array()
        ),
        (StatusCode::UNPROCESSABLE_ENTITY, true)
    );
    let (status, err) = link_credentials(
        &anna,
        json!({"username": "ok_name", "password": "x", "proxy": "ftp://p"}),
    )
    .await;
    assert_eq!(
        (
            status,
            err["error"]["details"]["fields"]["proxy"].is_array()
        ),
        (StatusCode::UNPROCESSABLE_ENTITY, true)
    );
}

#[tokio::test]
async fn test_session_and_the_health_job_record_the_session_and_mark_it_invalid() {
    let (app, sim, admin) = app_with_instagram().await;
    let anna = app.user(&admin, "anna", "user").await;
    let (status, out) =
        link_credentials(&anna, json!({"username": "erin.e", "password": "pass-1"})).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let id = out["account"]["id"].as_str().unwrap().to_owned();
    let (status, t) = status_json(
        anna.b
            .post_empty(&format!("/api/v1/accounts/{id}/test-session"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["ok"], true, "{t}");
    assert!(t["account"]["vault"]["session_checked_at"].is_string());
    // The periodic health check records its check time.
    const KIND: &str = "accounts.check_sessions";
    let ran = { completed(&mut app.state.db.get().unwrap(), KIND) };
    app.state.clock.advance(Duration::from_secs(6 * 3600 + 60));
    until(&app, "a health check", |c| completed(c, KIND) > ran).await;
    let (_, a) = status_json(anna.b.get(&format!("/api/v1/accounts/{id}")).await).await;
    assert_ne!(
        a["vault"]["session_checked_at"],
        t["account"]["vault"]["session_checked_at"]
    );
    assert_eq!(a["vault"]["session_status"], "valid");
    // Instagram wants a new login: test session says so and the session is invalid.
    sim_post(
        &sim,
        "/_sim/faults",
        json!({"provider": "sidecar", "route": null, "kind": "login_required", "times": 0}),
    )
    .await;
    let (_, t) = status_json(
        anna.b
            .post_empty(&format!("/api/v1/accounts/{id}/test-session"))
            .await,
    )
    .await;
    assert_eq!(
        (t["ok"].clone(), t["code"].clone()),
        (json!(false), json!("instagram_login_required")),
        "{t}"
    );
    assert_eq!(t["account"]["vault"]["session_status"], "invalid");
    assert_eq!(
        t["account"]["vault"]["last_error_code"],
        "instagram_login_required"
    );
    assert!(t["account"]["vault"]["last_challenge_at"].is_null());
    // A checkpoint instead: recorded as the last challenge, with its code.
    let res = reqwest::Client::new()
        .delete(format!("{}/_sim/faults", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    sim_post(
        &sim,
        "/_sim/faults",
        json!({"provider": "sidecar", "route": null, "kind": "challenge_required", "times": 0}),
    )
    .await;
    let (_, t) = status_json(
        anna.b
            .post_empty(&format!("/api/v1/accounts/{id}/test-session"))
            .await,
    )
    .await;
    assert_eq!(t["code"], "instagram_challenge_required", "{t}");
    assert!(t["account"]["vault"]["last_challenge_at"].is_string());
}

#[tokio::test]
async fn another_user_sees_nothing_until_added_and_a_viewer_only_reads() {
    let (app, _sim, admin) = app_with_instagram().await;
    let anna = app.user(&admin, "anna", "user").await;
    let bert = app.user(&admin, "bert", "user").await;
    let (_, out) = link_credentials(
        &anna,
        json!({"username": "team.acct", "password": "pass-2"}),
    )
    .await;
    let id = out["account"]["id"].as_str().unwrap().to_owned();
    let anna_id = anna.id.clone();
    let routes: Vec<(reqwest::Method, String, Option<Value>)> = vec![
        (reqwest::Method::GET, format!("/api/v1/accounts/{id}"), None),
        (
            reqwest::Method::PATCH,
            format!("/api/v1/accounts/{id}"),
            Some(json!({"proxy": "http://p:1"})),
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/accounts/{id}/members"),
            None,
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/accounts/{id}/members"),
            Some(json!({"username": "bert", "role": "admin"})),
        ),
        (
            reqwest::Method::PATCH,
            format!("/api/v1/accounts/{id}/members/{anna_id}"),
            Some(json!({"role": "viewer"})),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/accounts/{id}/test-session"),
            None,
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/accounts/{id}/members/{anna_id}"),
            None,
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/accounts/{id}"),
            None,
        ),
    ];
    for (m, path, body) in &routes {
        let res = bert.b.request(m.clone(), path, body.as_ref()).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{m} {path}");
    }
    assert!(accounts(&bert).await.is_empty());
    // Anna adds Bert as a viewer: he reads, and every write is 403.
    let (status, m) = status_json(
        anna.b
            .post(
                &format!("/api/v1/accounts/{id}/members"),
                &json!({"username": "bert", "role": "viewer"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let (status, a) = status_json(bert.b.get(&format!("/api/v1/accounts/{id}")).await).await;
    assert_eq!(
        (status, a["role"].clone()),
        (StatusCode::OK, json!("viewer"))
    );
    let (status, members) =
        status_json(bert.b.get(&format!("/api/v1/accounts/{id}/members")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(members["items"][0]["username"], "anna");
    assert_eq!(members["items"][0]["role"], "owner");
    for (m, path, body) in &routes[1..6] {
        if *m == reqwest::Method::GET {
            continue;
        }
        let res = bert.b.request(m.clone(), path, body.as_ref()).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{m} {path}");
    }
    // Making it his own primary account is his to choose.
    let (status, _) = status_json(
        bert.b
            .patch(&format!("/api/v1/accounts/{id}"), &json!({"primary": true}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The only owner can be neither removed nor demoted.
    let (status, e) = status_json(
        anna.b
            .delete(&format!("/api/v1/accounts/{id}/members/{anna_id}"))
            .await,
    )
    .await;
    assert_eq!(
        (status, error_code(&e)),
        (StatusCode::CONFLICT, "last_owner")
    );
    let (status, e) = status_json(
        anna.b
            .patch(
                &format!("/api/v1/accounts/{id}/members/{anna_id}"),
                &json!({"role": "admin"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, error_code(&e)),
        (StatusCode::CONFLICT, "last_owner")
    );
    // Promoted to admin, Bert manages; handing ownership over is the owner's alone.
    let bert_id = bert.id.clone();
    let (status, _) = status_json(
        anna.b
            .patch(
                &format!("/api/v1/accounts/{id}/members/{bert_id}"),
                &json!({"role": "admin"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = status_json(
        bert.b
            .patch(
                &format!("/api/v1/accounts/{id}"),
                &json!({"proxy": "http://u:pw@proxy.example:8080"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = status_json(
        bert.b
            .patch(
                &format!("/api/v1/accounts/{id}/members/{bert_id}"),
                &json!({"role": "owner"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Bert leaves (a member's unlink): the account stays Anna's.
    let res = bert.b.delete(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(accounts(&bert).await.is_empty());
    assert_eq!(accounts(&anna).await.len(), 1);
    let actions = audit_actions(&admin).await;
    for a in [
        "account.member_added",
        "account.role_changed",
        "account.left",
        "account.proxy_changed",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
}

#[tokio::test]
async fn no_secret_is_stored_shown_or_logged_and_unlink_removes_them_all() {
    let logs = capture_logs();
    let (app, sim, admin) = app_with_instagram().await;
    let anna = app.user(&admin, "anna", "user").await;
    // Both kinds of link on one account: credentials (with a TOTP seed and a proxy password), then the consent.
    let password = "pw-Unique-8842";
    let proxy_pw = "proxyPw-5531";
    let (status, out) = link_credentials(
        &anna,
        json!({"username": "twofa_vault", "password": password, "totp_seed": SIM_TOTP_SEED,
               "proxy": format!("http://user:{proxy_pw}@proxy.example:3128")}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let id = out["account"]["id"].as_str().unwrap().to_owned();
    let target = link_official(&anna, Some("twofa_vault")).await;
    assert_eq!(
        param(&target, "linked").as_deref(),
        Some(id.as_str()),
        "{target}"
    );
    let (_, a) = status_json(anna.b.get(&format!("/api/v1/accounts/{id}")).await).await;
    assert_eq!(a["vault"]["link_kinds"], json!(["official", "session"]));
    assert_eq!(a["vault"]["proxy"], "http://••••@proxy.example:3128");
    // The secrets as the sandbox saw them.
    let me = sim_get(&sim, "/_sim/requests?provider=instagram&route=me").await;
    let bearer = me["requests"][0]["headers"]["authorization"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = bearer.trim_start_matches("Bearer ").to_owned();
    assert!(token.len() > 10);
    let side = sim_get(&sim, "/_sim/sidecar").await;
    let sessions: Vec<String> = side["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sessionid"].as_str().unwrap().to_owned())
        .collect();
    assert!(!sessions.is_empty());
    let secrets: Vec<&str> = [token.as_str(), password, SIM_TOTP_SEED, proxy_pw]
        .into_iter()
        .chain(sessions.iter().map(String::as_str))
        .collect();
    let dump = app.dump_database();
    for s in &secrets {
        assert!(!dump.contains(s), "{s} is in the database in clear");
    }
    // Responses: the account, the list, the admin view.
    let (_, list) = status_json(anna.b.get("/api/v1/accounts").await).await;
    let (_, all) = status_json(admin.b.get("/api/v1/admin/accounts").await).await;
    for body in [a.to_string(), list.to_string(), all.to_string()] {
        for s in &secrets {
            assert!(!body.contains(s), "{s} in a response");
        }
    }
    assert_eq!(all["items"][0]["owner_username"], "anna");
    // Logs.
    let text = logs.text();
    for s in &secrets {
        assert!(!text.contains(s), "{s} in the logs");
    }
    // The owner unlinks: the account and every secret of it are gone.
    let res = anna.b.delete(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(accounts(&anna).await.is_empty());
    let mut c = app.state.db.get().unwrap();
    assert!(leadgen_db::models::ig_account::IgAccount::encrypted(&mut c)
        .unwrap()
        .is_empty());
    assert!(leadgen_db::models::ig_account::IgAccount::find(&mut c, &id)
        .unwrap()
        .is_none());
    drop(c);
    let dump = app.dump_database();
    assert!(
        !dump.contains("proxy.example"),
        "the proxy went with the account"
    );
    assert!(audit_actions(&admin)
        .await
        .iter()
        .any(|x| x == "account.unlinked"));
}

/// A browser that does not follow redirects, with a cookie jar of its own.
fn browser_without_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(Arc::new(reqwest::cookie::Jar::default()))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn sign_in_with_instagram_signs_in_the_owner_then_asks_for_the_totp_code() {
    let (app, _sim, admin) = app_with_instagram().await;
    let anna = app.user(&admin, "anna", "user").await;
    let linked = link_official(&anna, Some("signin_anna")).await;
    assert!(linked.starts_with("/accounts?linked="), "{linked}");
    let sign_in = |hint: &'static str| {
        let app_url = app.addr.clone();
        async move {
            let b = browser_without_redirects();
            let res = b
                .post(format!("{app_url}/api/v1/auth/instagram/start"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let body: Value = res.json().await.unwrap();
            let url = format!(
                "{}&login_hint={hint}",
                body["authorize_url"].as_str().unwrap()
            );
            let res = b.get(&url).send().await.unwrap();
            let back = location(&res);
            let res = b.get(&back).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            (b, location(&res))
        }
    };
    // Anna has 2FA: the sign-in continues with the TOTP step.
    let (b, target) = sign_in("signin_anna").await;
    let fragment = target
        .strip_prefix("/login#")
        .unwrap_or_else(|| panic!("{target}"));
    let f: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(fragment.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(f["status"], "totp_required");
    let code = anna.fresh_code().await;
    let res = b
        .post(app.url("/api/v1/auth/login/totp"))
        .json(&json!({"pending_token": f["instagram_pending"], "code": code}))
        .send()
        .await
        .unwrap();
    let (status, step) = status_json(res).await;
    assert_eq!(status, StatusCode::OK, "{step}");
    assert_eq!(
        (step["status"].clone(), step["user"]["username"].clone()),
        (json!("ok"), json!("anna"))
    );
    let res = b.get(app.url("/api/v1/accounts")).send().await.unwrap();
    let (status, list) = status_json(res).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // An Instagram account nobody linked: a clear message, and no user is created.
    let users_before =
        { leadgen_db::models::user::User::count(&mut app.state.db.get().unwrap()).unwrap() };
    let (_, target) = sign_in("nobody_here").await;
    assert_eq!(
        param(&target, "error").as_deref(),
        Some("instagram_unknown"),
        "{target}"
    );
    assert_eq!(
        leadgen_db::models::user::User::count(&mut app.state.db.get().unwrap()).unwrap(),
        users_before
    );
    assert!(audit_actions(&admin)
        .await
        .iter()
        .any(|x| x == "account.signin"));
}

#[tokio::test]
async fn without_a_second_factor_owed_sign_in_with_instagram_opens_a_session_at_once() {
    let (app, _sim, admin) = app_with_instagram().await;
    let (status, _) = status_json(
        admin
            .b
            .put("/api/v1/admin/policy", &json!({"require_2fa": false}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let gus = app.user(&admin, "gus", "user").await;
    assert!(gus.totp_secret.is_none());
    assert!(link_official(&gus, Some("signin_gus"))
        .await
        .starts_with("/accounts?linked="));
    let b = browser_without_redirects();
    let res = b
        .post(app.url("/api/v1/auth/instagram/start"))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let url = format!(
        "{}&login_hint=signin_gus",
        body["authorize_url"].as_str().unwrap()
    );
    let back = location(&b.get(&url).send().await.unwrap());
    let res = b.get(&back).send().await.unwrap();
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/".to_owned())
    );
    let csrf = res
        .cookies()
        .find(|c| c.name() == "leadgen_csrf")
        .map(|c| c.value().to_owned())
        .expect("the CSRF cookie comes with the session");
    let (status, me) = status_json(b.get(app.url("/api/v1/me")).send().await.unwrap()).await;
    assert_eq!(
        (status, me["username"].clone()),
        (StatusCode::OK, json!("gus")),
        "{me}"
    );
    // The session writes like a password one (with its CSRF token).
    let res = b
        .patch(app.url("/api/v1/me"))
        .header("x-csrf-token", csrf)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn admins_see_every_account_and_force_a_session_logout() {
    let (app, sim, admin) = app_with_instagram().await;
    let anna = app.user(&admin, "anna", "user").await;
    let (_, out) =
        link_credentials(&anna, json!({"username": "fay.f", "password": "pass-3"})).await;
    let id = out["account"]["id"].as_str().unwrap().to_owned();
    let (status, all) = status_json(admin.b.get("/api/v1/admin/accounts").await).await;
    assert_eq!(status, StatusCode::OK);
    let row = &all["items"][0];
    assert_eq!(
        (row["username"].clone(), row["owner_username"].clone()),
        (json!("fay.f"), json!("anna"))
    );
    assert_eq!(row["vault"]["link_kinds"], json!(["session"]));
    assert_eq!(row["vault"]["session_status"], "valid");
    let (status, _) = status_json(anna.b.get("/api/v1/admin/accounts").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, row) = status_json(
        admin
            .b
            .post_empty(&format!("/api/v1/admin/accounts/{id}/logout-session"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{row}");
    assert_eq!(row["vault"]["session_status"], "logged_out");
    assert_eq!(row["vault"]["device_pinned"], true);
    let (_, a) = status_json(anna.b.get(&format!("/api/v1/accounts/{id}")).await).await;
    assert_eq!(a["vault"]["session_status"], "logged_out");
    assert!(audit_actions(&admin)
        .await
        .iter()
        .any(|x| x == "account.session_logout"));
    let (status, _) = status_json(
        admin
            .b
            .post_empty("/api/v1/admin/accounts/nope/logout-session")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Logging in again (the same link with the password) restores the pinned device instead of a new one, and
    // goes through the account's proxy.
    let (status, _) = status_json(
        anna.b
            .patch(
                &format!("/api/v1/accounts/{id}"),
                &json!({"proxy": "socks5://proxy.example:1080"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, out) =
        link_credentials(&anna, json!({"username": "fay.f", "password": "pass-3"})).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["account"]["id"], id.as_str());
    assert_eq!(out["account"]["vault"]["session_status"], "valid");
    let set = sim_get(
        &sim,
        "/_sim/requests?provider=sidecar&route=auth_settings_set",
    )
    .await;
    let set = set["requests"].as_array().unwrap();
    assert_eq!(set.len(), 1, "the pinned device was restored");
    assert!(
        set[0]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("device_settings"),
        "{}",
        set[0]
    );
    let logins = sim_get(&sim, "/_sim/requests?provider=sidecar&route=auth_login").await;
    let last = logins["requests"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["body"]
            .as_str()
            .unwrap_or_default()
            .contains("proxy=socks5"),
        "{last}"
    );
}

/// `leadgen admin rotate-keys` re-encrypts every secret of every account (six columns) to the active key.
#[tokio::test]
async fn key_rotation_reencrypts_every_account_secret() {
    use leadgen_db::models::ig_account::{IgAccount, OfficialToken};
    let app = spawn_app().await;
    let ring = &app.state.secrets.keyring;
    let now = app.state.clock.now();
    let clear = [
        ("token_enc", "tok-1"),
        ("password_enc", "pw-2"),
        ("totp_seed_enc", "seed-3"),
        ("session_enc", "sid-4"),
        ("device_enc", "{\"device\":5}"),
        ("proxy_enc", "http://u:p@h:6"),
    ];
    let enc = |col: &str, v: &str| ring.encrypt_str(v, IgAccount::slot("acct-r", col)).unwrap();
    {
        let mut c = app.state.db.get().unwrap();
        let c = &mut *c;
        IgAccount::create(c, "acct-r", "rot", now).unwrap();
        let token = enc("token_enc", "tok-1");
        IgAccount::set_token(
            c,
            "acct-r",
            &OfficialToken {
                token_enc: &token,
                scopes: "",
                obtained_at: now,
                expires_at: now,
            },
        )
        .unwrap();
        IgAccount::set_credentials(
            c,
            "acct-r",
            &enc("password_enc", "pw-2"),
            Some(&enc("totp_seed_enc", "seed-3")),
            now,
        )
        .unwrap();
        IgAccount::set_session(
            c,
            "acct-r",
            &enc("session_enc", "sid-4"),
            Some(&enc("device_enc", "{\"device\":5}")),
            now,
        )
        .unwrap();
        IgAccount::set_proxy(
            c,
            "acct-r",
            Some((&enc("proxy_enc", "http://u:p@h:6"), "http://h:6")),
            now,
        )
        .unwrap();
    }
    let mut settings = app.settings.clone();
    let old =
        secrecy::ExposeSecret::expose_secret(app.settings.data_keys.as_ref().unwrap()).to_owned();
    settings.data_keys =
        Some(format!("k2:{},{old}", leadgen_core::crypto::random_key_b64()).into());
    settings.data_key_active = Some("k2".into());
    let s2 = settings.clone();
    tokio::task::spawn_blocking(move || {
        leadgen_server::cli::admin(
            s2,
            leadgen_server::cli::AdminCommand::RotateKeys { generate: false },
        )
    })
    .await
    .unwrap()
    .unwrap();
    let new_ring = leadgen_core::secrets::Secrets::resolve(&settings)
        .unwrap()
        .keyring;
    let mut c = app.state.db.get().unwrap();
    let blobs = IgAccount::encrypted(&mut c).unwrap();
    assert_eq!(blobs.len(), 6);
    for (id, col, blob) in blobs {
        assert_eq!(
            leadgen_core::crypto::KeyRing::key_id_of(&blob).unwrap(),
            "k2",
            "{col}"
        );
        let v = new_ring
            .decrypt_str(&blob, IgAccount::slot(&id, col))
            .unwrap();
        assert_eq!(
            Some(v.as_str()),
            clear.iter().find(|(c, _)| *c == col).map(|(_, v)| *v)
        );
    }
}
