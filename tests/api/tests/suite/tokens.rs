use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn token_endpoint_needs_the_second_factor() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let s = app.script();
    let (st, body) = status_json(
        s.post(
            "/api/v1/auth/token",
            &json!({"username": "admin", "password": admin.password}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_totp_code")
    );
    let (st, _) = status_json(
        s.post(
            "/api/v1/auth/token",
            &json!({"username": "admin", "password": admin.password, "totp_code": "000000"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let pair = admin.token_pair().await;
    assert_eq!(pair["token_type"], "Bearer");
    assert!(pair["expires_in"].as_u64().unwrap() > 0);
    let jwt = s.with_bearer(pair["access_token"].as_str().unwrap());
    let (st, me) = status_json(jwt.get("/api/v1/me").await).await;
    assert_eq!(
        (st, me["username"].as_str()),
        (StatusCode::OK, Some("admin"))
    );
    // Bearer writes need no CSRF token.
    assert_eq!(
        jwt.patch("/api/v1/me", &json!({"email": "admin@example.com"}))
            .await
            .status(),
        StatusCode::OK
    );
    // A tampered token is refused.
    let mut forged = pair["access_token"].as_str().unwrap().to_owned();
    forged.push('x');
    assert_eq!(
        s.with_bearer(&forged).get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_refresh_token_used_twice_revokes_its_family() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let pair = admin.token_pair().await;
    let s = app.script();
    let first = pair["refresh_token"].clone();
    let (st, second) = status_json(
        s.post("/api/v1/auth/refresh", &json!({"refresh_token": first}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_ne!(second["refresh_token"], first);
    assert_eq!(
        s.with_bearer(second["access_token"].as_str().unwrap())
            .get("/api/v1/me")
            .await
            .status(),
        StatusCode::OK
    );
    // Reuse of the spent token: refused, and the live successor dies with its family.
    let (st, body) = status_json(
        s.post("/api/v1/auth/refresh", &json!({"refresh_token": first}))
            .await,
    )
    .await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let st = s
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": second["refresh_token"]}),
        )
        .await
        .status();
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (_, audit) = status_json(
        admin
            .b
            .get("/api/v1/admin/audit?action=token.refresh_reuse")
            .await,
    )
    .await;
    assert_eq!(audit["total"], 1);
    // Another family is untouched.
    let other = admin.token_pair().await;
    assert_eq!(
        s.post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": other["refresh_token"]})
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn after_a_password_change_old_sessions_and_tokens_get_401() {
    let app = spawn_app().await;
    let mut admin = app.first_admin().await;
    let other_session = admin.sign_in_again().await;
    let pair = admin.token_pair().await;
    let (_, created) = status_json(
        admin
            .b
            .post(
                "/api/v1/me/tokens",
                &json!({"name": "ci", "scope": "read_write"}),
            )
            .await,
    )
    .await;
    let pat = app
        .script()
        .with_bearer(created["secret"].as_str().unwrap());
    let jwt = app
        .script()
        .with_bearer(pair["access_token"].as_str().unwrap());
    for client in [&other_session, &pat, &jwt] {
        assert_eq!(client.get("/api/v1/me").await.status(), StatusCode::OK);
    }
    // Wrong current password: refused and nothing changes.
    let (st, body) = status_json(
        admin
            .b
            .post(
                "/api/v1/me/password",
                &json!({"current_password": "nope", "new_password": "brand new phrase here"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    assert_eq!(jwt.get("/api/v1/me").await.status(), StatusCode::OK);
    // Same as current: refused.
    let (st, body) = status_json(
        admin
            .b
            .post(
                "/api/v1/me/password",
                &json!({"current_password": admin.password, "new_password": admin.password}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"]["details"]["fields"]["new_password"][0]["code"],
        "same_as_current"
    );

    let new_pw = "brand new phrase here";
    let st = admin
        .b
        .post(
            "/api/v1/me/password",
            &json!({"current_password": admin.password, "new_password": new_pw}),
        )
        .await
        .status();
    assert_eq!(st, StatusCode::NO_CONTENT);
    admin.password = new_pw.into();
    for client in [&other_session, &pat, &jwt] {
        assert_eq!(
            client.get("/api/v1/me").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let st = app
        .script()
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": pair["refresh_token"]}),
        )
        .await
        .status();
    assert_eq!(st, StatusCode::UNAUTHORIZED, "refresh tokens die too");
    // The session that made the change stays signed in.
    assert_eq!(
        admin.b.get("/api/v1/me/sessions").await.status(),
        StatusCode::OK
    );
    // The new password works.
    let again = admin.sign_in_again().await;
    assert_eq!(again.get("/api/v1/me").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn personal_api_tokens_are_shown_once_scoped_and_revocable() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let (st, created) = status_json(
        admin
            .b
            .post(
                "/api/v1/me/tokens",
                &json!({"name": "reporting", "scope": "read", "expires_in_days": 30}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("lg_pat_"));
    assert!(secret.starts_with(created["token"]["prefix"].as_str().unwrap()));
    assert!(created["token"]["expires_at"].is_string());
    let (_, list) = status_json(admin.b.get("/api/v1/me/tokens").await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(
        !list.to_string().contains(secret),
        "the secret is not listed"
    );

    let read = app.script().with_bearer(secret);
    assert_eq!(
        read.get("/api/v1/me/sessions").await.status(),
        StatusCode::OK
    );
    let (st, body) = status_json(
        read.patch("/api/v1/me", &json!({"email": "x@example.com"}))
            .await,
    )
    .await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::FORBIDDEN, "token_scope_insufficient")
    );
    let (_, list) = status_json(admin.b.get("/api/v1/me/tokens").await).await;
    assert!(list[0]["last_used_at"].is_string());

    let id = created["token"]["id"].as_str().unwrap();
    assert_eq!(
        admin
            .b
            .delete(&format!("/api/v1/me/tokens/{id}"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        read.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        admin
            .b
            .delete(&format!("/api/v1/me/tokens/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Bad input names the field and creates nothing.
    let (st, body) = status_json(
        admin
            .b
            .post("/api/v1/me/tokens", &json!({"name": "x", "scope": "root"}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["fields"]["scope"].is_array(),
        "{body}"
    );
    let (st, body) = status_json(
        admin
            .b
            .post(
                "/api/v1/me/tokens",
                &json!({"name": "x", "scope": "read", "expires_in_days": 0}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["fields"]["expires_in_days"].is_array(),
        "{body}"
    );
    let (_, list) = status_json(admin.b.get("/api/v1/me/tokens").await).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn logout_everywhere_ends_every_session_and_token() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let second = admin.sign_in_again().await;
    let (_, created) = status_json(
        admin
            .b
            .post("/api/v1/me/tokens", &json!({"name": "t", "scope": "read"}))
            .await,
    )
    .await;
    let pat = app
        .script()
        .with_bearer(created["secret"].as_str().unwrap());
    let (_, sessions) = status_json(admin.b.get("/api/v1/me/sessions").await).await;
    assert_eq!(sessions.as_array().unwrap().len(), 2);
    assert_eq!(
        sessions
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["current"] == true)
            .count(),
        1
    );
    assert_eq!(
        second
            .post_empty("/api/v1/me/logout-everywhere")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    for c in [&admin.b, &second, &pat] {
        assert_eq!(c.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn users_get_404_for_each_others_sessions_and_tokens() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let alice = app.user(&admin, "alice", "user").await;
    let bob = app.user(&admin, "bob", "user").await;
    let (_, bob_sessions) = status_json(bob.b.get("/api/v1/me/sessions").await).await;
    let bob_session = bob_sessions[0]["id"].as_str().unwrap().to_owned();
    let (_, bob_token) = status_json(
        bob.b
            .post(
                "/api/v1/me/tokens",
                &json!({"name": "bob's", "scope": "read"}),
            )
            .await,
    )
    .await;
    let bob_token_id = bob_token["token"]["id"].as_str().unwrap().to_owned();

    let (st, body) = status_json(
        alice
            .b
            .delete(&format!("/api/v1/me/sessions/{bob_session}"))
            .await,
    )
    .await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (st, _) = status_json(
        alice
            .b
            .delete(&format!("/api/v1/me/tokens/{bob_token_id}"))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Alice's lists do not show Bob's things, and Bob is untouched.
    let (_, list) = status_json(alice.b.get("/api/v1/me/sessions").await).await;
    assert!(!list.to_string().contains(&bob_session));
    let (_, list) = status_json(alice.b.get("/api/v1/me/tokens").await).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    assert_eq!(bob.b.get("/api/v1/me").await.status(), StatusCode::OK);
    let (_, list) = status_json(bob.b.get("/api/v1/me/tokens").await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Bob can revoke his own session from elsewhere.
    let elsewhere = bob.sign_in_again().await;
    assert_eq!(
        elsewhere
            .delete(&format!("/api/v1/me/sessions/{bob_session}"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        bob.b.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn two_factor_backup_codes_can_be_regenerated_with_a_code() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let (st, _) = status_json(
        admin
            .b
            .post("/api/v1/me/2fa/backup-codes", &json!({"code": "000000"}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let code = admin.fresh_code().await;
    let (st, body) = status_json(
        admin
            .b
            .post("/api/v1/me/2fa/backup-codes", &json!({"code": code}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let fresh: Vec<String> = body["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fresh.len(), 10);
    // Old codes are dead, new ones work.
    for (code, expected) in [
        (&admin.backup_codes[0], StatusCode::UNAUTHORIZED),
        (&fresh[0], StatusCode::OK),
    ] {
        let b = app.browser();
        let (_, step) = status_json(
            b.post(
                "/api/v1/auth/login",
                &json!({"username": "admin", "password": admin.password}),
            )
            .await,
        )
        .await;
        assert_eq!(
            b.post(
                "/api/v1/auth/login/totp",
                &json!({"pending_token": step["pending_token"], "backup_code": code})
            )
            .await
            .status(),
            expected
        );
    }
}

/// When a spent refresh token comes back, its family is revoked and so are the access tokens issued from it: the
/// very next call with one of them is refused. Other families keep working.
#[tokio::test]
async fn a_reused_refresh_token_ends_the_access_tokens_of_its_family() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let pair = admin.token_pair().await;
    let other = admin.token_pair().await;
    let s = app.script();
    let (st, second) = status_json(
        s.post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": pair["refresh_token"]}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{second}");
    let leads = |token: &serde_json::Value| {
        let b = s.with_bearer(token.as_str().unwrap());
        async move { b.get("/api/v1/leads").await.status() }
    };
    assert_eq!(leads(&second["access_token"]).await, StatusCode::OK);
    let reuse = s
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": pair["refresh_token"]}),
        )
        .await
        .status();
    assert_eq!(reuse, StatusCode::UNAUTHORIZED);
    assert_eq!(
        leads(&second["access_token"]).await,
        StatusCode::UNAUTHORIZED,
        "the successor's access token"
    );
    assert_eq!(
        leads(&pair["access_token"]).await,
        StatusCode::UNAUTHORIZED,
        "the first access token of the family"
    );
    assert_eq!(
        leads(&other["access_token"]).await,
        StatusCode::OK,
        "another family"
    );
}
