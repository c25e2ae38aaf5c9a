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
