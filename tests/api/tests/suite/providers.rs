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
