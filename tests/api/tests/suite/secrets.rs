use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::json;

/// After every flow that handles a secret, no column of any table holds one in clear.
#[tokio::test]
async fn no_plaintext_secret_is_stored() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let mut secrets: Vec<String> = vec![admin.password.clone()];
    let totp = admin.totp_secret.clone().unwrap();
    secrets.push(totp.clone());
    let raw_totp = totp_rs::Secret::Encoded(totp.clone()).to_bytes().unwrap();
    secrets.push(raw_totp.iter().map(|b| format!("{b:02x}")).collect());
    secrets.extend(admin.backup_codes.iter().cloned());
    secrets.extend(admin.backup_codes.iter().map(|c| c.replace('-', "")));
    secrets.push(admin.b.csrf.lock().unwrap().clone().unwrap());
    // Pending-step token, script tokens, API token, a user's temporary password, a second user's TOTP secret.
    let (_, step) = status_json(
        app.browser()
            .post(
                "/api/v1/auth/login",
                &json!({"username": "admin", "password": admin.password}),
            )
            .await,
    )
    .await;
    secrets.push(step["pending_token"].as_str().unwrap().to_owned());
    let pair = admin.token_pair().await;
    secrets.push(pair["access_token"].as_str().unwrap().to_owned());
    secrets.push(pair["refresh_token"].as_str().unwrap().to_owned());
    let (_, refreshed) = status_json(
        app.script()
            .post(
                "/api/v1/auth/refresh",
                &json!({"refresh_token": pair["refresh_token"]}),
            )
            .await,
    )
    .await;
    secrets.push(refreshed["refresh_token"].as_str().unwrap().to_owned());
    let (_, pat) = status_json(
        admin
            .b
            .post(
                "/api/v1/me/tokens",
                &json!({"name": "dump", "scope": "read"}),
            )
            .await,
    )
    .await;
    secrets.push(pat["secret"].as_str().unwrap().to_owned());
    let (_, created) = status_json(
        admin
            .b
            .post(
                "/api/v1/admin/users",
                &json!({"username": "gina", "role": "user"}),
            )
            .await,
    )
    .await;
    let temp = created["temporary_password"].as_str().unwrap().to_owned();
    secrets.push(temp.clone());
    let mut gina = Account::new(app.browser(), "gina", &temp);
    gina.complete_first_login("ginas secret phrase 77").await;
    secrets.push(gina.password.clone());
    secrets.push(gina.totp_secret.clone().unwrap());
    let (_, reset) = status_json(
        admin
            .b
            .post_empty(&format!("/api/v1/admin/users/{}/reset-password", gina.id))
            .await,
    )
    .await;
    secrets.push(reset["temporary_password"].as_str().unwrap().to_owned());
    // A failed login with a password typed into the username field must not be stored either.
    app.browser()
        .post(
            "/api/v1/auth/login",
            &json!({"username": "gina", "password": "typo of ginas phrase"}),
        )
        .await;
    secrets.push("typo of ginas phrase".into());

    let dump = app.dump_database();
    assert!(dump.len() > 1000, "the dump read real rows");
    assert!(dump.contains("gina"), "the dump sees plain columns");
    for s in &secrets {
        assert!(!dump.contains(s.as_str()), "found a secret in clear: {s}");
    }
    // The TOTP secret's raw bytes are not there either (only AES-GCM ciphertext).
    let raw_hex: String = raw_totp.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!dump.contains(&raw_hex));
}

/// `leadgen admin rotate-keys` re-encrypts every ciphertext to the active key; old keys stay readable until then.
#[tokio::test]
async fn key_rotation_reencrypts_to_the_active_key() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let old_keys = app.settings.data_keys.clone();
    let blob_key = |app: &TestApp| {
        use diesel::prelude::*;
        let mut c = app.state.db.get().unwrap();
        let blob: Option<Vec<u8>> = leadgen_db::schema::users::table
            .filter(leadgen_db::schema::users::username_key.eq("admin"))
            .select(leadgen_db::schema::users::totp_secret_enc)
            .first(&mut *c)
            .unwrap();
        leadgen_core::crypto::KeyRing::key_id_of(&blob.unwrap())
            .unwrap()
            .to_owned()
    };
    assert_eq!(blob_key(&app), "k1");

    // A new key becomes active next to the old one; the CLI re-encrypts.
    let mut settings = app.settings.clone();
    let old = secrecy::ExposeSecret::expose_secret(old_keys.as_ref().unwrap()).to_owned();
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
    assert_eq!(blob_key(&app), "k2");

    // A server with only the new key still verifies the admin's TOTP codes.
    settings.data_keys = Some(
        secrecy::ExposeSecret::expose_secret(settings.data_keys.as_ref().unwrap())
            .split(',')
            .next()
            .unwrap()
            .to_owned()
            .into(),
    );
    let second = start(settings, tempfile::tempdir().unwrap()).await;
    let b = second.browser();
    let (_, step) = status_json(
        b.post(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": admin.password}),
        )
        .await,
    )
    .await;
    let code = admin.fresh_code().await;
    let st = b
        .post(
            "/api/v1/auth/login/totp",
            &json!({"pending_token": step["pending_token"], "code": code}),
        )
        .await
        .status();
    assert_eq!(st, StatusCode::OK);
    let (_, audit) = status_json(b.get("/api/v1/admin/audit?action=keys.rotated").await).await;
    assert_eq!(audit["items"][0]["details"]["rewritten"], 1);
}

/// Acceptance 3 of the providers issue: every credential set (globally and as a user's own AI keys), every "test
/// connection" run (successes and an auth failure), a Gmail mailbox linked; then no credential is in any column of
/// any table, in any API answer, or in the logs written at TRACE.
#[tokio::test]
async fn no_provider_credential_in_the_database_the_answers_or_the_logs() {
    let logs = capture_logs();
    let sim = provider_sim::spawn(1);
    let base = sim.base_url();
    let app = spawn_app_with(|s| leadgen_server::cli::point_at_sandbox(s, &base)).await;
    let admin = app.first_admin().await;
    let user = app.user(&admin, "sina", "user").await;

    let global: Vec<(&str, &str, String)> = vec![
        ("openai", "api_key", "sk-proj-acceptance-openai-1111".into()),
        (
            "perplexity",
            "api_key",
            "pplx-acceptance-perplexity-2222".into(),
        ),
        ("apify", "token", "apify_api_acceptance_token_3333".into()),
        (
            "instagram",
            "app_secret",
            "ig-app-secret-acceptance-4444".into(),
        ),
        (
            "instagram",
            "webhook_verify_token",
            "ig-verify-acceptance-5555".into(),
        ),
        (
            "google",
            "client_secret",
            "GOCSPX-acceptance-google-6666".into(),
        ),
        (
            "telegram",
            "bot_token",
            "7000000001:AAE-acceptance-telegram-7777".into(),
        ),
    ];
    let plain: Vec<(&str, &str, String)> = vec![
        ("openai", "model", "gpt-4o-mini".into()),
        ("perplexity", "model", "sonar".into()),
        ("instagram", "app_id", "1234567890".into()),
        (
            "google",
            "client_id",
            "1234-acceptance.apps.googleusercontent.com".into(),
        ),
        ("sidecar", "base_url", format!("{base}/sidecar")),
    ];
    let own: Vec<(&str, &str, String)> = vec![
        ("openai", "api_key", "sk-own-acceptance-openai-8888".into()),
        ("perplexity", "api_key", "pplx-own-acceptance-9999".into()),
    ];
    let changes = |list: &[(&str, &str, String)]| json!({"settings": list.iter().map(|(p, f, v)| json!({"provider": p, "field": f, "value": v})).collect::<Vec<_>>()});
    let mut answers = String::new();
    let mut keep = |(status, body): (StatusCode, serde_json::Value)| {
        answers.push_str(&body.to_string());
        (status, body)
    };
    let all: Vec<_> = global.iter().chain(plain.iter()).cloned().collect();
    let (status, body) =
        keep(status_json(admin.b.put("/api/v1/admin/providers", &changes(&all)).await).await);
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        keep(status_json(user.b.put("/api/v1/me/providers", &changes(&own)).await).await);
    assert_eq!(status, StatusCode::OK, "{body}");

    for p in [
        "openai",
        "perplexity",
        "apify",
        "instagram",
        "google",
        "telegram",
        "sidecar",
    ] {
        let (status, r) = keep(
            status_json(
                admin
                    .b
                    .post_empty(&format!("/api/v1/admin/providers/{p}/test"))
                    .await,
            )
            .await,
        );
        assert_eq!(status, StatusCode::OK, "{r}");
        if p == "instagram" {
            assert_eq!(r["code"], "not_supported", "{r}");
        } else {
            assert_eq!(r["ok"], true, "{p}: {r}");
        }
    }
    for p in ["openai", "perplexity"] {
        let (_, r) = keep(
            status_json(
                user.b
                    .post_empty(&format!("/api/v1/me/providers/{p}/test"))
                    .await,
            )
            .await,
        );
        assert_eq!(r["ok"], true, "{p}: {r}");
    }
    // A failing test connection (the error path is logged too).
    let rejected = "sk-proj-invalid-acceptance-0000".to_owned();
    keep(
        status_json(
            admin
                .b
                .put(
                    "/api/v1/admin/providers",
                    &changes(&[("openai", "api_key", rejected.clone())]),
                )
                .await,
        )
        .await,
    );
    let (_, r) = keep(
        status_json(
            admin
                .b
                .post_empty("/api/v1/admin/providers/openai/test")
                .await,
        )
        .await,
    );
    assert_eq!(r["code"], "provider_auth_failed", "{r}");

    // A Gmail mailbox linked through the sandbox consent.
    let (_, consent) =
        keep(status_json(user.b.post_empty("/api/v1/me/mailboxes/connect").await).await);
    let plain_client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = plain_client
        .get(consent["authorize_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    // The one-time code and the state ride in the callback's query string; the request log prints only the path.
    let callback = url::Url::parse(&back).unwrap();
    let one_time: Vec<String> = callback
        .query_pairs()
        .filter(|(k, _)| k == "code" || k == "state")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(one_time.len(), 2, "{back}");
    let res = plain_client.get(&back).send().await.unwrap();
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .contains("mailbox=connected"));
    let (_, list) = keep(status_json(user.b.get("/api/v1/me/mailboxes").await).await);
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let blob = {
        use diesel::prelude::*;
        use leadgen_db::schema::mailboxes;
        let mut c = app.state.db.get().unwrap();
        mailboxes::table
            .find(&id)
            .select(mailboxes::refresh_token_enc)
            .first::<Vec<u8>>(&mut *c)
            .unwrap()
    };
    let refresh = app
        .state
        .secrets
        .keyring
        .decrypt_str(&blob, leadgen_db::models::mailbox::Mailbox::slot(&id))
        .unwrap();
    keep(status_json(admin.b.get("/api/v1/admin/providers").await).await);
    keep(status_json(user.b.get("/api/v1/me/providers").await).await);
    keep(status_json(admin.b.get("/api/v1/admin/providers/usage").await).await);

    let mut secrets: Vec<String> = global
        .iter()
        .chain(own.iter())
        .map(|(_, _, v)| v.clone())
        .collect();
    secrets.push(rejected);
    secrets.push(refresh);
    let dump = app.dump_database();
    let logged = logs.text();
    let address = list["items"][0]["address"].as_str().unwrap();
    assert!(
        dump.contains(address),
        "the dump reads the mailboxes: {address}"
    );
    assert!(
        logged.contains("connection test failed")
            && logged.contains("/api/v1/admin/providers/openai/test"),
        "the logs were captured at TRACE"
    );
    assert!(answers.contains("••••"), "the answers were kept");
    for s in &secrets {
        assert!(!dump.contains(s.as_str()), "in clear in the database: {s}");
        assert!(!answers.contains(s.as_str()), "in an API answer: {s}");
        assert!(!logged.contains(s.as_str()), "in the logs: {s}");
    }
    // The consent's code and state are not kept in clear, nor logged (the state is in the consent URL answered).
    for s in &one_time {
        assert!(!dump.contains(s.as_str()), "in clear in the database: {s}");
        assert!(!logged.contains(s.as_str()), "in the logs: {s}");
    }
    // Google's tokens of the consent (the sandbox's access and refresh tokens) are nowhere in clear either.
    for marker in ["ya29.sim.", "1//sim."] {
        assert!(
            !dump.contains(marker) && !answers.contains(marker) && !logged.contains(marker),
            "{marker}"
        );
    }
}
