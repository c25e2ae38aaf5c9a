use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn first_boot_admin_must_change_password_then_set_up_2fa() {
    let app = spawn_app().await;
    let b = app.browser();
    let (s, step) = status_json(
        b.post(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": "admin"}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(step["status"], "password_change_required");
    assert!(
        step["user"].is_null(),
        "no user data before the steps are done"
    );
    // No session yet: the pending step is not a login.
    let (s, body) = status_json(b.get("/api/v1/me").await).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );

    let token = step["pending_token"].clone();
    // Password rules name the field and change nothing.
    for (pw, rule) in [
        ("short", "too_short"),
        ("admin", "too_short"),
        ("1qaz2wsx3edc", "too_common"),
        ("Password2024!", "too_common"),
    ] {
        let (s, body) = status_json(
            b.post(
                "/api/v1/auth/login/password",
                &json!({"pending_token": token, "new_password": pw}),
            )
            .await,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{pw}: {body}");
        let rules: Vec<&str> = body["error"]["details"]["fields"]["new_password"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&rule), "{pw}: {rules:?}");
    }
    let long = "ä".repeat(37); // 74 bytes: refused, never truncated
    let (s, body) = status_json(
        b.post(
            "/api/v1/auth/login/password",
            &json!({"pending_token": token, "new_password": long}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"]["details"]["fields"]["new_password"][0]["code"],
        "too_long"
    );

    let (s, step) = status_json(
        b.post(
            "/api/v1/auth/login/password",
            &json!({"pending_token": token, "new_password": ADMIN_PASSWORD}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(step["status"], "totp_setup_required");
    // The password step's token is single-use.
    let (s, body) = status_json(
        b.post(
            "/api/v1/auth/login/password",
            &json!({"pending_token": token, "new_password": "another fine phrase 1"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "login_step_expired")
    );
    // …and cannot be used for another step.
    let (s, _) = status_json(
        b.post(
            "/api/v1/auth/login/totp-setup",
            &json!({"pending_token": token}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let token = step["pending_token"].clone();
    let (s, setup) = status_json(
        b.post(
            "/api/v1/auth/login/totp-setup",
            &json!({"pending_token": token}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let secret = setup["secret"].as_str().unwrap();
    assert!(setup["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/leadgen:admin?"));
    assert!(setup["qr_data_url"]
        .as_str()
        .unwrap()
        .starts_with("data:image/svg+xml;base64,"));
    let wrong = if totp_at(secret, current_step()) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (s, body) = status_json(
        b.post(
            "/api/v1/auth/login/totp-setup/confirm",
            &json!({"pending_token": token, "code": wrong}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_totp_code")
    );
    let code = totp_at(secret, current_step());
    let (s, ok) = status_json(
        b.post(
            "/api/v1/auth/login/totp-setup/confirm",
            &json!({"pending_token": token, "code": code}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    assert_eq!(ok["status"], "ok");
    assert_eq!(ok["backup_codes"].as_array().unwrap().len(), 10);
    assert_eq!(ok["user"]["two_factor_enabled"], true);
    assert_eq!(ok["user"]["must_change_password"], false);

    let (s, me) = status_json(b.get("/api/v1/me").await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "admin");

    // The old password no longer works; the new one leads to the TOTP step.
    let (s, body) = status_json(
        app.browser()
            .post(
                "/api/v1/auth/login",
                &json!({"username": "ADMIN", "password": "admin"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    let (_, step) = status_json(
        app.browser()
            .post(
                "/api/v1/auth/login",
                &json!({"username": "Admin", "password": ADMIN_PASSWORD}),
            )
            .await,
    )
    .await;
    assert_eq!(
        step["status"], "totp_required",
        "usernames are case-insensitive"
    );
}

#[tokio::test]
async fn a_totp_code_is_never_accepted_twice() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let code = admin.fresh_code().await;
    let login = |b: Browser| {
        let admin_pw = admin.password.clone();
        async move {
            let (_, step) = status_json(
                b.post(
                    "/api/v1/auth/login",
                    &json!({"username": "admin", "password": admin_pw}),
                )
                .await,
            )
            .await;
            assert_eq!(step["status"], "totp_required");
            step["pending_token"].clone()
        }
    };
    let b1 = app.browser();
    let t1 = login(b1.clone()).await;
    let (s, _) = status_json(
        b1.post(
            "/api/v1/auth/login/totp",
            &json!({"pending_token": t1, "code": code}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let b2 = app.browser();
    let t2 = login(b2.clone()).await;
    let (s, body) = status_json(
        b2.post(
            "/api/v1/auth/login/totp",
            &json!({"pending_token": t2, "code": code}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_totp_code"),
        "replayed code"
    );
    assert_eq!(body["error"]["details"]["attempts_left"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_backup_code_works_once_even_under_concurrent_use() {
    // The 19 losing uses are wrong codes that count towards lockout: a threshold above them keeps this about the race.
    let app = spawn_app_with(|s| s.lockout_threshold = 100).await;
    let admin = app.first_admin().await;
    let code = admin.backup_codes[0].clone();

    // 20 pending logins racing with the same backup code: exactly one wins.
    let mut pending = vec![];
    for _ in 0..20 {
        let b = app.browser();
        let (_, step) = status_json(
            b.post(
                "/api/v1/auth/login",
                &json!({"username": "admin", "password": admin.password}),
            )
            .await,
        )
        .await;
        pending.push((b, step["pending_token"].clone()));
    }
    let tasks: Vec<_> = pending
        .into_iter()
        .map(|(b, t)| {
            let code = code.clone();
            tokio::spawn(async move {
                b.post(
                    "/api/v1/auth/login/totp",
                    &json!({"pending_token": t, "backup_code": code}),
                )
                .await
                .status()
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::UNAUTHORIZED => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 1, "one concurrent use of a backup code succeeds");

    // Another code works once, also written differently (case, no dash).
    let other = admin.backup_codes[1].to_uppercase().replace('-', "");
    for expected in [StatusCode::OK, StatusCode::UNAUTHORIZED] {
        let b = app.browser();
        let (_, step) = status_json(
            b.post(
                "/api/v1/auth/login",
                &json!({"username": "admin", "password": admin.password}),
            )
            .await,
        )
        .await;
        let s = b
            .post(
                "/api/v1/auth/login/totp",
                &json!({"pending_token": step["pending_token"], "backup_code": other}),
            )
            .await
            .status();
        assert_eq!(s, expected);
    }
    let (_, status) = status_json(admin.b.get("/api/v1/me/2fa").await).await;
    assert_eq!(status["backup_codes_remaining"], 8);
}

#[tokio::test]
async fn five_wrong_codes_end_a_pending_login() {
    // Above the lockout threshold, so the pending login's own limit is what ends it.
    let app = spawn_app_with(|s| s.lockout_threshold = 10).await;
    let admin = app.first_admin().await;
    let b = app.browser();
    let (_, step) = status_json(
        b.post(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": admin.password}),
        )
        .await,
    )
    .await;
    let token = step["pending_token"].clone();
    let good = admin.fresh_code().await;
    let wrong = if good == "123456" { "654321" } else { "123456" };
    for left in (0..5).rev() {
        let (s, body) = status_json(
            b.post(
                "/api/v1/auth/login/totp",
                &json!({"pending_token": token, "code": wrong}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (s, error_code(&body)),
            (StatusCode::UNAUTHORIZED, "invalid_totp_code")
        );
        assert_eq!(body["error"]["details"]["attempts_left"], left);
    }
    let (s, body) = status_json(
        b.post(
            "/api/v1/auth/login/totp",
            &json!({"pending_token": token, "code": good}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "login_step_expired"),
        "even a right code is too late"
    );
}

#[tokio::test]
async fn eleventh_rapid_login_from_one_ip_is_rate_limited() {
    let app = spawn_app_with(|s| s.auth_rate_per_minute = 10).await;
    let b = app.browser();
    for i in 0..10 {
        let s = b
            .post(
                "/api/v1/auth/login",
                &json!({"username": format!("nobody{i}"), "password": "wrong password"}),
            )
            .await
            .status();
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = b
        .post(
            "/api/v1/auth/login",
            &json!({"username": "nobody", "password": "wrong password"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), "rate_limited");
    // The token endpoint shares the per-IP budget.
    let s = b
        .post(
            "/api/v1/auth/token",
            &json!({"username": "admin", "password": "admin"}),
        )
        .await
        .status();
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn lockout_after_repeated_failures_answers_alike_for_unknown_users() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = app.browser();
    let wrong = |user: &str| json!({"username": user, "password": "not the password at all"});
    let (s1, unknown) = status_json(b.post("/api/v1/auth/login", &wrong("ghost")).await).await;
    let (s2, known) = status_json(b.post("/api/v1/auth/login", &wrong("admin")).await).await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        unknown, known,
        "unknown user and wrong password answer alike"
    );
    for _ in 0..3 {
        b.post("/api/v1/auth/login", &wrong("admin")).await;
        b.post("/api/v1/auth/login", &wrong("ghost")).await;
    }
    // Fifth failure locks, for known and unknown names alike.
    let (s_admin, locked_admin) =
        status_json(b.post("/api/v1/auth/login", &wrong("admin")).await).await;
    let (s_ghost, locked_ghost) =
        status_json(b.post("/api/v1/auth/login", &wrong("ghost")).await).await;
    assert_eq!((s_admin, s_ghost), (StatusCode::LOCKED, StatusCode::LOCKED));
    assert_eq!(error_code(&locked_admin), "account_locked");
    assert_eq!(locked_admin["error"]["code"], locked_ghost["error"]["code"]);
    let wait = locked_admin["error"]["details"]["retry_after_secs"]
        .as_u64()
        .unwrap();
    assert!((1..=60).contains(&wait));
    // While locked even the right password is refused.
    let res = app
        .browser()
        .post(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": admin.password}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::LOCKED);
    assert!(res.headers().contains_key("retry-after"));
    // The admin sees the lock; the audit log recorded it.
    let other_admin_view = admin.b.get("/api/v1/admin/users?q=admin").await;
    let body: serde_json::Value = other_admin_view.json().await.unwrap();
    assert!(body["items"][0]["locked_until"].is_string(), "{body}");
    let (_, audit) =
        status_json(admin.b.get("/api/v1/admin/audit?action=login.locked").await).await;
    assert!(audit["total"].as_i64().unwrap() >= 1);
}

#[tokio::test]
async fn lockout_waits_grow_and_expire() {
    let app = spawn_app_with(|s| {
        s.lockout_base_secs = 1;
        s.lockout_threshold = 2;
    })
    .await;
    let b = app.browser();
    let wrong = json!({"username": "ghost", "password": "not the password at all"});
    b.post("/api/v1/auth/login", &wrong).await;
    let (_, first) = status_json(b.post("/api/v1/auth/login", &wrong).await).await;
    assert_eq!(first["error"]["details"]["retry_after_secs"], 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        b.post("/api/v1/auth/login", &wrong).await.status(),
        StatusCode::UNAUTHORIZED,
        "lock expired"
    );
    let (_, second) = status_json(b.post("/api/v1/auth/login", &wrong).await).await;
    assert_eq!(
        second["error"]["details"]["retry_after_secs"], 2,
        "the second lock is twice as long"
    );
}

#[tokio::test]
async fn must_change_password_blocks_everything_but_me_password_and_logout() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    // Without the 2FA requirement a script can get tokens for a user with a temporary password.
    assert_eq!(
        admin
            .b
            .put("/api/v1/admin/policy", &json!({"require_2fa": false}))
            .await
            .status(),
        StatusCode::OK
    );
    let (_, created) = status_json(
        admin
            .b
            .post(
                "/api/v1/admin/users",
                &json!({"username": "carol", "role": "user"}),
            )
            .await,
    )
    .await;
    let temp = created["temporary_password"].as_str().unwrap().to_owned();
    assert_eq!(created["user"]["must_change_password"], true);
    let (s, pair) = status_json(
        app.script()
            .post(
                "/api/v1/auth/token",
                &json!({"username": "carol", "password": temp}),
            )
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{pair}");
    let carol = app
        .script()
        .with_bearer(pair["access_token"].as_str().unwrap());
    assert_eq!(carol.get("/api/v1/me").await.status(), StatusCode::OK);
    for path in ["/api/v1/me/sessions", "/api/v1/me/tokens", "/api/v1/me/2fa"] {
        let (s, body) = status_json(carol.get(path).await).await;
        assert_eq!(
            (s, error_code(&body)),
            (StatusCode::FORBIDDEN, "password_change_required"),
            "{path}"
        );
    }
    let (s, body) = status_json(
        carol
            .post(
                "/api/v1/me/password",
                &json!({"current_password": temp, "new_password": "carol"}),
            )
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let s = carol
        .post(
            "/api/v1/me/password",
            &json!({"current_password": temp, "new_password": "carols own long phrase"}),
        )
        .await
        .status();
    assert_eq!(s, StatusCode::NO_CONTENT);
    // The token from before the change is dead; a new one reaches everything.
    assert_eq!(
        carol.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (_, pair) = status_json(
        app.script()
            .post(
                "/api/v1/auth/token",
                &json!({"username": "carol", "password": "carols own long phrase"}),
            )
            .await,
    )
    .await;
    let carol = app
        .script()
        .with_bearer(pair["access_token"].as_str().unwrap());
    assert_eq!(
        carol.get("/api/v1/me/sessions").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn policy_without_2fa_gives_a_session_right_after_the_password() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    admin
        .b
        .put("/api/v1/admin/policy", &json!({"require_2fa": false}))
        .await;
    let (_, created) = status_json(
        admin
            .b
            .post(
                "/api/v1/admin/users",
                &json!({"username": "dave", "role": "user", "password": "daves chosen passphrase"}),
            )
            .await,
    )
    .await;
    assert_eq!(created["temporary_password"], serde_json::Value::Null);
    let b = app.browser();
    let (_, step) = status_json(
        b.post(
            "/api/v1/auth/login",
            &json!({"username": "dave", "password": "daves chosen passphrase"}),
        )
        .await,
    )
    .await;
    assert_eq!(step["status"], "ok");
    // Turning the policy on makes 2FA setup the next step at the next sign-in.
    admin
        .b
        .put("/api/v1/admin/policy", &json!({"require_2fa": true}))
        .await;
    let (_, step) = status_json(
        app.browser()
            .post(
                "/api/v1/auth/login",
                &json!({"username": "dave", "password": "daves chosen passphrase"}),
            )
            .await,
    )
    .await;
    assert_eq!(step["status"], "totp_setup_required");
    let (_, status) = status_json(b.get("/api/v1/me/2fa").await).await;
    assert_eq!(status["required_by_policy"], true);
}

#[tokio::test]
async fn logout_ends_only_this_session() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let second = admin.sign_in_again().await;
    assert_eq!(
        admin.b.post_empty("/api/v1/auth/logout").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        admin.b.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(second.get("/api/v1/me").await.status(), StatusCode::OK);
}

/// Wrong second-factor codes count per user, across sign-in attempts (a fresh password does not reset them), and
/// lock the account like wrong passwords: the same threshold, the same growing waits, the same audit events.
#[tokio::test]
async fn wrong_2fa_codes_count_across_sign_ins_and_lock_like_wrong_passwords() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let good = admin.fresh_code().await;
    let wrong = if good == "123456" { "654321" } else { "123456" };
    let sign_in = || {
        let b = app.browser();
        let password = admin.password.clone();
        async move {
            let (s, step) = status_json(
                b.post(
                    "/api/v1/auth/login",
                    &json!({"username": "admin", "password": password}),
                )
                .await,
            )
            .await;
            assert_eq!(
                (s, step["status"].as_str()),
                (StatusCode::OK, Some("totp_required")),
                "{step}"
            );
            (b, step["pending_token"].clone())
        }
    };
    let wrong_code = |b: Browser, token: serde_json::Value| async move {
        status_json(
            b.post(
                "/api/v1/auth/login/totp",
                &json!({"pending_token": token, "code": wrong}),
            )
            .await,
        )
        .await
    };
    // Two wrong codes in one sign-in, one at the token endpoint, one in another sign-in: four, no lock yet.
    let (b, token) = sign_in().await;
    for _ in 0..2 {
        let (s, body) = wrong_code(b.clone(), token.clone()).await;
        assert_eq!(
            (s, error_code(&body)),
            (StatusCode::UNAUTHORIZED, "invalid_totp_code"),
            "{body}"
        );
    }
    let (s, body) = status_json(
        app.script()
            .post(
                "/api/v1/auth/token",
                &json!({"username": "admin", "password": admin.password, "totp_code": wrong}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_totp_code"),
        "{body}"
    );
    let (b, token) = sign_in().await;
    let (s, body) = wrong_code(b, token).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_totp_code"),
        "{body}"
    );
    assert_eq!(body["error"]["details"]["attempts_left"], 1, "{body}");
    // The fifth, in a third sign-in, locks the account for the first lock's wait.
    let (b, token) = sign_in().await;
    let (s, body) = wrong_code(b.clone(), token.clone()).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::LOCKED, "account_locked"),
        "{body}"
    );
    assert_eq!(body["error"]["details"]["retry_after_secs"], 60, "{body}");
    // Locked: the pending sign-in takes no more codes, not even a right one, and the password is refused.
    let (s, body) = status_json(
        b.post(
            "/api/v1/auth/login/totp",
            &json!({"pending_token": token, "code": good}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::LOCKED, "account_locked"),
        "{body}"
    );
    let s = app
        .browser()
        .post(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": admin.password}),
        )
        .await
        .status();
    assert_eq!(s, StatusCode::LOCKED);
    // Recorded like a password lock.
    let (_, users) = status_json(admin.b.get("/api/v1/admin/users?q=admin").await).await;
    assert!(users["items"][0]["locked_until"].is_string(), "{users}");
    let (_, failures) =
        status_json(admin.b.get("/api/v1/admin/audit?action=totp.failure").await).await;
    assert_eq!(failures["total"], 5, "{failures}");
    assert_eq!(
        failures["items"][0]["details"]["locked"], true,
        "{failures}"
    );
    let (_, locked) =
        status_json(admin.b.get("/api/v1/admin/audit?action=login.locked").await).await;
    assert_eq!(
        locked["total"], 2,
        "the refused code and the refused password: {locked}"
    );
}
