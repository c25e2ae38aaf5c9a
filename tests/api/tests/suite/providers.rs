//! Provider settings: global credentials (admins), a user's own AI keys, hints only, test connection against the
//! provider sandbox, the usage record, and no credential in clear anywhere.

use leadgen_api_tests::*;
use leadgen_db::models::provider_setting::ProviderCall;
use reqwest::StatusCode;
use serde_json::{json, Value};

const OPENAI_KEY: &str = "sk-proj-live-cafe-babe-1234";
const BAD_KEY: &str = "sk-proj-invalid-dead-5678";

async fn app_with_sim() -> (TestApp, provider_sim::SimHandle) {
    let sim = provider_sim::spawn(1);
    let base = sim.base_url();
    let app = spawn_app_with(|s| leadgen_server::cli::point_at_sandbox(s, &base)).await;
    (app, sim)
}

fn field<'a>(page: &'a Value, provider: &str, name: &str) -> &'a Value {
    page["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == provider)
        .and_then(|p| {
            p["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["field"] == name)
        })
        .unwrap_or_else(|| panic!("{provider}.{name} in {page}"))
}

async fn set(
    b: &Browser,
    path: &str,
    provider: &str,
    name: &str,
    value: Value,
) -> (StatusCode, Value) {
    status_json(
        b.put(
            path,
            &json!({"settings": [{"provider": provider, "field": name, "value": value}]}),
        )
        .await,
    )
    .await
}

async fn sim_requests(sim: &provider_sim::SimHandle, provider: &str) -> Vec<Value> {
    let v: Value = reqwest::get(format!(
        "{}/_sim/requests?provider={provider}",
        sim.base_url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    v["requests"].as_array().unwrap().clone()
}

async fn calls(app: &TestApp) -> Vec<ProviderCall> {
    app.state
        .db
        .run(|c| ProviderCall::recent(c, None, 100))
        .await
        .unwrap()
}

#[tokio::test]
async fn admin_sets_credentials_and_sees_only_a_hint_and_who_set_it() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let (status, page) = status_json(
        admin
            .b
            .put(
                "/api/v1/admin/providers",
                &json!({"settings": [
                    {"provider": "openai", "field": "api_key", "value": OPENAI_KEY},
                    {"provider": "openai", "field": "model", "value": "gpt-4o-mini"},
                    {"provider": "sidecar", "field": "base_url", "value": "http://127.0.0.1:8000"},
                ]}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let key = field(&page, "openai", "api_key");
    assert_eq!(key["set"], true);
    assert_eq!(key["secret"], true);
    assert_eq!(key["hint"], "••••1234");
    assert_eq!(key["value"], Value::Null);
    assert_eq!(key["updated_by"], "admin");
    assert!(key["updated_at"].is_string());
    assert_eq!(field(&page, "openai", "model")["value"], "gpt-4o-mini");
    assert_eq!(
        field(&page, "sidecar", "base_url")["value"],
        "http://127.0.0.1:8000"
    );
    assert_eq!(field(&page, "apify", "token")["set"], false);
    assert_eq!(page["sandbox"], false);

    let listed = admin
        .b
        .get("/api/v1/admin/providers")
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains("••••1234"));
    assert!(!listed.contains(OPENAI_KEY));
    assert!(
        !app.dump_database().contains(OPENAI_KEY),
        "the key is stored in clear"
    );

    // Clearing removes it; the audit log names the setting but never the value.
    let (status, page) = set(
        &admin.b,
        "/api/v1/admin/providers",
        "openai",
        "api_key",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(field(&page, "openai", "api_key")["set"], false);
    let (_, audit) = status_json(
        admin
            .b
            .get("/api/v1/admin/audit?action=provider.settings_changed")
            .await,
    )
    .await;
    assert_eq!(audit["total"], 2, "{audit}");
    assert!(!audit.to_string().contains(OPENAI_KEY));
    assert!(audit.to_string().contains("api_key"));

    // Users cannot see or change global settings.
    let user = app.user(&admin, "ulla", "user").await;
    assert_eq!(
        user.b.get("/api/v1/admin/providers").await.status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = set(
        &user.b,
        "/api/v1/admin/providers",
        "openai",
        "api_key",
        json!("sk-x"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_settings_are_refused_naming_the_entry_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let put = |body: Value| {
        let b = admin.b.clone();
        async move { status_json(b.put("/api/v1/admin/providers", &body).await).await }
    };
    let (status, body) = put(json!({"settings": [
        {"provider": "openai", "field": "api_key", "value": OPENAI_KEY},
        {"provider": "openai", "field": "colour", "value": "blue"},
    ]}))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["fields"]["settings[1].field"].is_array(),
        "{body}"
    );
    let (status, body) =
        put(json!({"settings": [{"provider": "myspace", "field": "api_key", "value": "x"}]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["fields"]["settings[0].provider"].is_array(),
        "{body}"
    );
    let (status, body) = put(
        json!({"settings": [{"provider": "sidecar", "field": "base_url", "value": "ftp://x"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["fields"]["settings[0].value"].is_array(),
        "{body}"
    );
    let (status, _) =
        put(json!({"settings": [{"provider": "openai", "field": "api_key", "value": "   "}]}))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, page) = status_json(admin.b.get("/api/v1/admin/providers").await).await;
    assert_eq!(
        field(&page, "openai", "api_key")["set"],
        false,
        "a refused change wrote something"
    );
    assert_eq!(
        admin
            .b
            .post_empty("/api/v1/admin/providers/myspace/test")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn test_connection_reports_success_and_the_auth_error_against_the_sandbox() {
    let (app, sim) = app_with_sim().await;
    let admin = app.first_admin().await;

    let (_, r) = status_json(
        admin
            .b
            .post_empty("/api/v1/admin/providers/openai/test")
            .await,
    )
    .await;
    assert_eq!(r["ok"], false);
    assert_eq!(r["code"], "not_configured");
    assert!(sim_requests(&sim, "openai").await.is_empty());

    set(
        &admin.b,
        "/api/v1/admin/providers",
        "openai",
        "api_key",
        json!(OPENAI_KEY),
    )
    .await;
    let (status, r) = status_json(
        admin
            .b
            .post_empty("/api/v1/admin/providers/openai/test")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["code"], Value::Null);
    assert!(r["message"].as_str().unwrap().contains("Connected"), "{r}");
    let sent = sim_requests(&sim, "openai").await;
    assert_eq!(sent.len(), 1, "one real call");
    assert_eq!(
        sent[0]["headers"]["authorization"],
        format!("Bearer {OPENAI_KEY}"),
        "the call used the stored key"
    );

    set(
        &admin.b,
        "/api/v1/admin/providers",
        "openai",
        "api_key",
        json!(BAD_KEY),
    )
    .await;
    let (status, r) = status_json(
        admin
            .b
            .post_empty("/api/v1/admin/providers/openai/test")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["ok"], false);
    assert_eq!(r["code"], "provider_auth_failed");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("rejected the credentials"),
        "{r}"
    );
    assert!(!r.to_string().contains(BAD_KEY));

    // Apify: a token is checked without starting a run.
    set(
        &admin.b,
        "/api/v1/admin/providers",
        "apify",
        "token",
        json!("apify_api_good_token_0001"),
    )
    .await;
    let (_, r) = status_json(
        admin
            .b
            .post_empty("/api/v1/admin/providers/apify/test")
            .await,
    )
    .await;
    assert_eq!(r["ok"], true, "{r}");
    set(
        &admin.b,
        "/api/v1/admin/providers",
        "apify",
        "token",
        json!("apify_api_invalid_token_01"),
    )
    .await;
    let (_, r) = status_json(
        admin
            .b
            .post_empty("/api/v1/admin/providers/apify/test")
            .await,
    )
    .await;
    assert_eq!(r["code"], "provider_auth_failed", "{r}");

    // Every call is recorded as usage: who, what, how it ended, what it cost.
    let recorded = calls(&app).await;
    assert_eq!(recorded.len(), 4, "{recorded:?}");
    let openai: Vec<_> = recorded.iter().filter(|c| c.provider == "openai").collect();
    assert_eq!(openai.len(), 2);
    assert!(openai
        .iter()
        .all(|c| c.user_id.as_deref() == Some(admin.id.as_str())
            && c.operation == "chat_completions"
            && c.duration_ms >= 0));
    let ok = openai
        .iter()
        .find(|c| c.status == "ok")
        .expect("an ok call");
    assert!(
        ok.units > 0 && ok.unit.as_deref() == Some("tokens"),
        "{ok:?}"
    );
    assert!(openai
        .iter()
        .any(|c| c.status == "provider_auth_failed" && c.units == 0));

    let (_, audit) = status_json(
        admin
            .b
            .get("/api/v1/admin/audit?action=provider.tested")
            .await,
    )
    .await;
    assert_eq!(audit["total"], 5, "{audit}");

    let dump = app.dump_database();
    for secret in [
        OPENAI_KEY,
        BAD_KEY,
        "apify_api_good_token_0001",
        "apify_api_invalid_token_01",
    ] {
        assert!(!dump.contains(secret), "{secret} in clear in the database");
    }
}

#[tokio::test]
async fn users_override_the_ai_keys_with_their_own() {
    let (app, sim) = app_with_sim().await;
    let admin = app.first_admin().await;
    let user = app.user(&admin, "ulla", "user").await;
    set(
        &admin.b,
        "/api/v1/admin/providers",
        "openai",
        "api_key",
        json!(OPENAI_KEY),
    )
    .await;

    let (status, page) = status_json(user.b.get("/api/v1/me/providers").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        field(&page, "openai", "api_key")["set"],
        false,
        "the global key is not the user's own"
    );
    assert!(page["providers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["provider"] != "apify"));

    let own = "sk-ulla-own-key-9876";
    let (status, page) = set(
        &user.b,
        "/api/v1/me/providers",
        "openai",
        "api_key",
        json!(own),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(field(&page, "openai", "api_key")["hint"], "••••9876");
    assert_eq!(field(&page, "openai", "api_key")["updated_by"], "ulla");
    let (status, body) = set(
        &user.b,
        "/api/v1/me/providers",
        "apify",
        "token",
        json!("x-token"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"]["details"]["fields"]["settings[0].field"][0]["code"],
        "not_overridable"
    );

    // The user's test uses their key; the admin's global test still uses the global key.
    let (_, r) = status_json(user.b.post_empty("/api/v1/me/providers/openai/test").await).await;
    assert_eq!(r["ok"], true, "{r}");
    let (_, r) = status_json(
        admin
            .b
            .post_empty("/api/v1/admin/providers/openai/test")
            .await,
    )
    .await;
    assert_eq!(r["ok"], true, "{r}");
    let auth: Vec<String> = sim_requests(&sim, "openai")
        .await
        .iter()
        .map(|r| {
            r["headers"]["authorization"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        auth,
        vec![format!("Bearer {own}"), format!("Bearer {OPENAI_KEY}")]
    );

    // Another user does not see ulla's key; the global listing does not show it either.
    let other = app.user(&admin, "otto", "user").await;
    let (_, page) = status_json(other.b.get("/api/v1/me/providers").await).await;
    assert_eq!(field(&page, "openai", "api_key")["set"], false);
    let (_, page) = status_json(admin.b.get("/api/v1/admin/providers").await).await;
    assert_eq!(field(&page, "openai", "api_key")["hint"], "••••1234");
    assert!(!app.dump_database().contains(own));
}

#[tokio::test]
async fn instance_says_whether_sandbox_mode_is_on() {
    let app = spawn_app().await;
    let (status, body) = status_json(app.browser().get("/api/v1/instance").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["sandbox"], false);
}

#[tokio::test]
async fn test_connection_checks_google_telegram_and_the_sidecar_without_side_effects() {
    let (app, sim) = app_with_sim().await;
    let admin = app.first_admin().await;
    let test = |p: &'static str| {
        let b = admin.b.clone();
        async move {
            let (status, r) = status_json(
                b.post_empty(&format!("/api/v1/admin/providers/{p}/test"))
                    .await,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{r}");
            r
        }
    };
    // Nothing set: Google and Telegram say what is missing; the sidecar uses the configured URL (the sandbox).
    assert_eq!(test("google").await["code"], "not_configured");
    assert_eq!(test("telegram").await["code"], "not_configured");
    let r = test("sidecar").await;
    assert_eq!(r["ok"], true, "{r}");
    let r = test("instagram").await;
    assert_eq!(r["code"], "not_supported", "{r}");
    assert!(sim_requests(&sim, "instagram").await.is_empty());

    let bot = "7000000001:AAE-sandbox-bot-token-1234";
    set(
        &admin.b,
        "/api/v1/admin/providers",
        "telegram",
        "bot_token",
        json!(bot),
    )
    .await;
    let r = test("telegram").await;
    assert_eq!(r["ok"], true, "{r}");
    let sent = sim_requests(&sim, "telegram").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["route"], "get_me", "getMe sends no message");
    set(
        &admin.b,
        "/api/v1/admin/providers",
        "telegram",
        "bot_token",
        json!("7000000001:AAE-invalid-bot-token"),
    )
    .await;
    assert_eq!(test("telegram").await["code"], "provider_auth_failed");

    set(
        &admin.b,
        "/api/v1/admin/providers",
        "google",
        "client_id",
        json!("1234-sandbox.apps.googleusercontent.com"),
    )
    .await;
    assert_eq!(
        test("google").await["code"],
        "not_configured",
        "the secret is missing"
    );
    set(
        &admin.b,
        "/api/v1/admin/providers",
        "google",
        "client_secret",
        json!("GOCSPX-good-secret-0001"),
    )
    .await;
    let r = test("google").await;
    assert_eq!(r["ok"], true, "{r}");
    set(
        &admin.b,
        "/api/v1/admin/providers",
        "google",
        "client_secret",
        json!("GOCSPX-invalid-secret-01"),
    )
    .await;
    let r = test("google").await;
    assert_eq!(r["code"], "provider_auth_failed", "{r}");
    assert!(
        sim_requests(&sim, "gmail").await.is_empty(),
        "no mailbox is touched"
    );

    // A sidecar URL set in the settings wins over the configured one; one that does not answer is reported.
    set(
        &admin.b,
        "/api/v1/admin/providers",
        "sidecar",
        "base_url",
        json!("http://127.0.0.1:9"),
    )
    .await;
    let r = test("sidecar").await;
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["code"], "provider_unavailable", "{r}");

    let page = status_json(admin.b.get("/api/v1/admin/providers").await)
        .await
        .1;
    let testable: Vec<(&str, bool)> = page["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["provider"].as_str().unwrap(),
                p["testable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(testable.contains(&("google", true)) && testable.contains(&("instagram", false)));
}

#[tokio::test]
async fn usage_adds_up_calls_errors_units_and_time_per_user_and_provider() {
    let (app, _sim) = app_with_sim().await;
    let admin = app.first_admin().await;
    let user = app.user(&admin, "ulla", "user").await;
    set(
        &admin.b,
        "/api/v1/admin/providers",
        "openai",
        "api_key",
        json!(OPENAI_KEY),
    )
    .await;
    admin
        .b
        .post_empty("/api/v1/admin/providers/openai/test")
        .await;
    admin
        .b
        .post_empty("/api/v1/admin/providers/openai/test")
        .await;
    set(
        &user.b,
        "/api/v1/me/providers",
        "openai",
        "api_key",
        json!(BAD_KEY),
    )
    .await;
    user.b.post_empty("/api/v1/me/providers/openai/test").await;
    set(
        &admin.b,
        "/api/v1/admin/providers",
        "apify",
        "token",
        json!("apify_api_good_token_0001"),
    )
    .await;
    admin
        .b
        .post_empty("/api/v1/admin/providers/apify/test")
        .await;
    // A call from 40 days ago counts only when asked for.
    {
        use diesel::prelude::*;
        use leadgen_db::schema::provider_calls as pc;
        let mut c = app.state.db.get().unwrap();
        diesel::insert_into(pc::table)
            .values((
                pc::id.eq("old-call"),
                pc::at.eq(chrono::Utc::now().naive_utc() - chrono::Duration::days(40)),
                pc::provider.eq("openai"),
                pc::operation.eq("chat_completions"),
                pc::user_id.eq(Some(user.id.as_str())),
                pc::status.eq("ok"),
                pc::duration_ms.eq(1000_i64),
                pc::units.eq(500_i64),
                pc::unit.eq(Some("tokens")),
            ))
            .execute(&mut *c)
            .unwrap();
    }
    let recorded = calls(&app).await;

    let (status, usage) = status_json(admin.b.get("/api/v1/admin/providers/usage").await).await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    let item = |usage: &Value, who: &str, provider: &str| -> Value {
        usage["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["username"] == who && i["provider"] == provider)
            .cloned()
            .unwrap_or_else(|| panic!("{who}/{provider} in {usage}"))
    };
    let a = item(&usage, "admin", "openai");
    assert_eq!(
        (a["calls"].clone(), a["errors"].clone()),
        (json!(2), json!(0)),
        "{a}"
    );
    let tokens: i64 = recorded
        .iter()
        .filter(|c| {
            c.provider == "openai"
                && c.status == "ok"
                && c.user_id.as_deref() == Some(admin.id.as_str())
        })
        .map(|c| c.units)
        .sum();
    assert!(tokens > 0);
    assert_eq!(
        a["units"],
        json!([{"unit": "tokens", "count": tokens}]),
        "{a}"
    );
    let admin_ms: i64 = recorded
        .iter()
        .filter(|c| c.provider == "openai" && c.user_id.as_deref() == Some(admin.id.as_str()))
        .map(|c| c.duration_ms)
        .sum();
    assert_eq!(a["duration_ms"], admin_ms);
    assert_eq!(a["provider_label"], "OpenAI");
    let u = item(&usage, "ulla", "openai");
    assert_eq!(
        (u["calls"].clone(), u["errors"].clone(), u["units"].clone()),
        (json!(1), json!(1), json!([])),
        "{u}"
    );
    let ap = item(&usage, "admin", "apify");
    assert_eq!(ap["calls"], 1);
    assert_eq!(usage["items"].as_array().unwrap().len(), 3, "{usage}");

    let since = (chrono::Utc::now() - chrono::Duration::days(60))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, older) = status_json(
        admin
            .b
            .get(&format!("/api/v1/admin/providers/usage?since={since}"))
            .await,
    )
    .await;
    let u = item(&older, "ulla", "openai");
    assert_eq!(u["calls"], 2, "{u}");
    assert_eq!(u["units"], json!([{"unit": "tokens", "count": 500}]));
    assert!(u["duration_ms"].as_i64().unwrap() >= 1000, "{u}");

    let future = (chrono::Utc::now() + chrono::Duration::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, body) = status_json(
        admin
            .b
            .get(&format!("/api/v1/admin/providers/usage?since={future}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["fields"]["since"].is_array(),
        "{body}"
    );
    let status = user.b.get("/api/v1/admin/providers/usage").await.status();
    assert_eq!(status, StatusCode::FORBIDDEN);
}
