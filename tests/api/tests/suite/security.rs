use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn cookie_writes_need_the_csrf_token_and_our_origin() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let token = admin.b.csrf.lock().unwrap().clone().unwrap();
    admin.b.set_csrf(None);
    let (st, body) = status_json(
        admin
            .b
            .patch("/api/v1/me", &json!({"email": "a@example.com"}))
            .await,
    )
    .await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::FORBIDDEN, "csrf_failed")
    );
    admin.b.set_csrf(Some("wrong".into()));
    assert_eq!(
        admin
            .b
            .patch("/api/v1/me", &json!({"email": "a@example.com"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let (_, me) = status_json(admin.b.get("/api/v1/me").await).await;
    assert!(me["email"].is_null(), "nothing changed");
    // Right token, foreign origin.
    let res = admin
        .b
        .http
        .patch(app.url("/api/v1/me"))
        .header("x-csrf-token", &token)
        .header("origin", "https://evil.example")
        .json(&json!({"email": "a@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Right token, own origin.
    let res = admin
        .b
        .http
        .patch(app.url("/api/v1/me"))
        .header("x-csrf-token", &token)
        .header("origin", app.addr.clone())
        .json(&json!({"email": "a@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The session cookie is HttpOnly and SameSite; the CSRF cookie is readable by the SPA.
    let b = app.browser();
    let (_, step) = status_json(
        b.post(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": admin.password}),
        )
        .await,
    )
    .await;
    let res = b
        .post(
            "/api/v1/auth/login/totp",
            &json!({"pending_token": step["pending_token"], "backup_code": admin.backup_codes[0]}),
        )
        .await;
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("leadgen_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("leadgen_csrf="))
        .expect("csrf cookie");
    assert!(!csrf.contains("HttpOnly"));
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    for path in ["/health/live", "/api/v1/me", "/api/v1/nope", "/"] {
        let res = app.script().get(path).await;
        let h = res.headers();
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(h.contains_key("referrer-policy"));
        assert_eq!(h["x-request-id"].to_str().unwrap().len(), 36, "{path}");
    }
    // CORS is closed unless configured.
    let res = app
        .script()
        .http
        .get(app.url("/api/v1/me"))
        .header("origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app_with(|s| s.allowed_origins = "https://crm.example.com".into()).await;
    let preflight = |origin: &'static str| {
        let http = reqwest::Client::new();
        let url = app.url("/api/v1/me");
        async move {
            http.request(reqwest::Method::OPTIONS, url)
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .send()
                .await
                .unwrap()
        }
    };
    let ok = preflight("https://crm.example.com").await;
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://crm.example.com"
    );
    let bad = preflight("https://evil.example").await;
    assert!(!bad.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_naming_the_field() {
    let app = spawn_app().await;
    let b = app.script();
    let send = |body: &'static str, ct: &'static str| {
        let http = reqwest::Client::new();
        let url = app.url("/api/v1/auth/login");
        async move {
            status_json(
                http.post(url)
                    .header("content-type", ct)
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let (st, body) = send("{not json", "application/json").await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (st, body) = send(r#"{"username":"admin"}"#, "application/json").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["fields"]["password"].is_array(),
        "{body}"
    );
    let (st, body) = send(r#"{"username":7,"password":"x"}"#, "application/json").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["fields"]["username"].is_array(),
        "{body}"
    );
    let (st, body) = send(r#"{"username":"","password":"x"}"#, "application/json").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["fields"]["username"].is_array(),
        "{body}"
    );
    let (st, _) = send("username=admin", "application/x-www-form-urlencoded").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let huge = format!(
        r#"{{"username":"admin","password":"{}"}}"#,
        "x".repeat(400 * 1024)
    );
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Unknown API routes are JSON 404s, not the SPA.
    let (st, body) = status_json(b.get("/api/v1/does-not-exist").await).await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (st, body) = status_json(b.post("/api/v1/does-not-exist", &json!({})).await).await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

#[tokio::test]
async fn per_user_rate_limit_applies_to_api_routes() {
    let app = spawn_app_with(|s| s.api_rate_per_minute = 5).await;
    let admin = app.first_admin().await;
    let mut statuses = vec![];
    for _ in 0..8 {
        statuses.push(admin.b.get("/api/v1/me/sessions").await.status());
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

/// One rule for control characters in text: NUL and the other C0 controls (and DEL) are refused with a 422 that
/// names the field, wherever text comes in (bodies, query parameters, filter values, sign-in); tab, line feed and
/// carriage return are text. Nothing is written, and no database ever sees them (PostgreSQL refuses NUL).
#[tokio::test]
async fn control_characters_are_refused_with_a_422_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let field_of = |body: &serde_json::Value, field: &str| {
        body["error"]["details"]["fields"][field][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // Before sign-in.
    let script = app.script();
    for path in ["/api/v1/auth/login", "/api/v1/auth/token"] {
        let (st, body) = status_json(
            script
                .post(path, &json!({"username": "a\u{0}b", "password": "x"}))
                .await,
        )
        .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(field_of(&body, "username"), "control_character", "{body}");
    }
    // Bodies: the field is named, nested ones by their path.
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        (
            "/api/v1/leads",
            json!({"username": "nul", "notes": "a\u{0}b"}),
            "notes",
        ),
        (
            "/api/v1/leads",
            json!({"username": "bell", "full_name": "ring\u{7}"}),
            "full_name",
        ),
        (
            "/api/v1/views",
            json!({"name": "v\u{0}", "state": {}}),
            "name",
        ),
        (
            "/api/v1/views",
            json!({"name": "v", "state": {"columns": ["a", "b\u{1b}"]}}),
            "state.columns[1]",
        ),
        ("/api/v1/products", json!({"name": "p\u{0}"}), "name"),
        (
            "/api/v1/prompts",
            json!({"name": "p\u{0}", "body": "Hallo"}),
            "name",
        ),
        (
            "/api/v1/me/tokens",
            json!({"name": "t\u{0}", "scope": "read"}),
            "name",
        ),
        (
            "/api/v1/do-not-contact",
            json!({"kind": "username", "value": "x", "reason": "r\u{0}"}),
            "reason",
        ),
    ];
    for (path, body, field) in cases {
        let (st, answer) = status_json(b.post(path, &body).await).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        assert_eq!(
            field_of(&answer, field),
            "control_character",
            "{path}: {answer}"
        );
    }
    // Query parameters, and values inside the JSON filter.
    for (path, field) in [
        ("/api/v1/leads?search=a%00b", "search"),
        ("/api/v1/leads?owner=%00", "owner"),
        ("/api/v1/leads/export?search=%01", "search"),
        ("/api/v1/admin/users?q=%00", "q"),
        ("/api/v1/admin/audit?actor=a%00", "actor"),
        ("/api/v1/do-not-contact?q=%00", "q"),
        (
            "/api/v1/leads?filter=%7B%22field%22%3A%22full_name%22%2C%22cmp%22%3A%22contains%22%2C%22value%22%3A%22a%5Cu0000%22%7D",
            "filter",
        ),
    ] {
        let (st, answer) = status_json(b.get(path).await).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        assert_eq!(
            field_of(&answer, field),
            "control_character",
            "{path}: {answer}"
        );
    }
    // An id in the path with a NUL names nothing.
    let (st, answer) = status_json(b.get("/api/v1/leads/a%00b").await).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{answer}");
    // Tab, line feed and carriage return are text.
    let (st, lead) = status_json(
        b.post(
            "/api/v1/leads",
            &json!({"username": "multi", "notes": "line 1\r\nline 2\tend"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{lead}");
    assert_eq!(lead["notes"], "line 1\r\nline 2\tend");
    let (_, page) = status_json(b.get("/api/v1/leads").await).await;
    assert_eq!(page["total"], 1, "nothing else was written: {page}");
}
