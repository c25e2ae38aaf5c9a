use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn admins_manage_users_and_every_change_is_audited() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let (st, created) = status_json(
        admin
            .b
            .post(
                "/api/v1/admin/users",
                &json!({"username": "Erin.W", "email": "erin@example.com", "role": "user"}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let erin_id = created["user"]["id"].as_str().unwrap().to_owned();
    let temp = created["temporary_password"].as_str().unwrap().to_owned();
    assert!(temp.len() >= 20);
    // Same name in another case is taken; bad names and emails are refused with the field named.
    let (st, body) = status_json(
        admin
            .b
            .post(
                "/api/v1/admin/users",
                &json!({"username": "erin.w", "role": "user"}),
            )
            .await,
    )
    .await;
    assert_eq!((st, error_code(&body)), (StatusCode::CONFLICT, "conflict"));
    assert_eq!(body["error"]["details"]["field"], "username");
    for (body, field) in [
        (json!({"username": "x y", "role": "user"}), "username"),
        (json!({"username": "frank", "role": "superuser"}), "role"),
        (
            json!({"username": "frank", "role": "user", "email": "not-an-email"}),
            "email",
        ),
        (json!({"role": "user"}), "username"),
        (
            json!({"username": "frank", "role": "user", "password": "frank"}),
            "password",
        ),
    ] {
        let (st, res) = status_json(admin.b.post("/api/v1/admin/users", &body).await).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {res}");
        assert!(
            res["error"]["details"]["fields"][field].is_array(),
            "{field}: {res}"
        );
    }
    let (_, page) = status_json(admin.b.get("/api/v1/admin/users").await).await;
    assert_eq!(page["total"], 2, "nothing else was created");

    // Search, filter, paging.
    let (_, page) = status_json(admin.b.get("/api/v1/admin/users?q=ERIN").await).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["email"], "erin@example.com");
    let (_, page) = status_json(admin.b.get("/api/v1/admin/users?role=admin").await).await;
    assert_eq!(page["items"][0]["username"], "admin");
    let (_, page) = status_json(admin.b.get("/api/v1/admin/users?per_page=1&page=2").await).await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    let (st, body) = status_json(admin.b.get("/api/v1/admin/users?per_page=abc").await).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["fields"]["per_page"].is_array(),
        "{body}"
    );

    // Erin signs in (temporary password → own password → 2FA).
    let mut erin = Account::new(app.browser(), "erin.w", &temp);
    erin.complete_first_login("erins very own phrase").await;

    // Role change, deactivation (signs Erin out; her login then fails like a wrong password), reactivation.
    let (st, u) = status_json(
        admin
            .b
            .patch(
                &format!("/api/v1/admin/users/{erin_id}"),
                &json!({"role": "viewer"}),
            )
            .await,
    )
    .await;
    assert_eq!((st, u["role"].as_str()), (StatusCode::OK, Some("viewer")));
    let (st, _) = status_json(
        admin
            .b
            .patch(
                &format!("/api/v1/admin/users/{erin_id}"),
                &json!({"active": false}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        erin.b.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (st, body) = status_json(
        app.browser()
            .post(
                "/api/v1/auth/login",
                &json!({"username": "erin.w", "password": erin.password}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    admin
        .b
        .patch(
            &format!("/api/v1/admin/users/{erin_id}"),
            &json!({"active": true}),
        )
        .await;
    let again = erin.sign_in_again().await;
    assert_eq!(again.get("/api/v1/me").await.status(), StatusCode::OK);

    // Reset 2FA: the next sign-in sets it up again.
    assert_eq!(
        admin
            .b
            .post_empty(&format!("/api/v1/admin/users/{erin_id}/reset-2fa"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let (_, step) = status_json(
        app.browser()
            .post(
                "/api/v1/auth/login",
                &json!({"username": "erin.w", "password": erin.password}),
            )
            .await,
    )
    .await;
    assert_eq!(step["status"], "totp_setup_required");

    // Reset password: a temporary one, to be changed at sign-in; existing sessions end.
    let (st, body) = status_json(
        admin
            .b
            .post_empty(&format!("/api/v1/admin/users/{erin_id}/reset-password"))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        again.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (_, step) = status_json(
        app.browser()
            .post(
                "/api/v1/auth/login",
                &json!({"username": "erin.w", "password": body["temporary_password"]}),
            )
            .await,
    )
    .await;
    assert_eq!(step["status"], "password_change_required");

    // Revoke sessions.
    let mut erin = Account::new(
        app.browser(),
        "erin.w",
        body["temporary_password"].as_str().unwrap(),
    );
    erin.complete_first_login("erins second phrase!").await;
    assert_eq!(
        admin
            .b
            .post_empty(&format!("/api/v1/admin/users/{erin_id}/revoke-sessions"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        erin.b.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Delete.
    assert_eq!(
        admin
            .b
            .delete(&format!("/api/v1/admin/users/{erin_id}"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        admin
            .b
            .get(&format!("/api/v1/admin/users/{erin_id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // The audit log has each event with actor, target, IP and user agent; filters and paging work.
    let (_, audit) = status_json(admin.b.get("/api/v1/admin/audit?per_page=200").await).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "user.created",
        "user.role_changed",
        "user.deactivated",
        "user.reactivated",
        "totp.reset",
        "password.reset",
        "user.sessions_revoked",
        "user.deleted",
        "login.success",
        "login.failure",
        "totp.enabled",
        "password.changed",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let (_, deleted) =
        status_json(admin.b.get("/api/v1/admin/audit?action=user.deleted").await).await;
    let e = &deleted["items"][0];
    assert_eq!(
        (e["actor_username"].as_str(), e["target_label"].as_str()),
        (Some("admin"), Some("erin.w"))
    );
    assert_eq!(e["ip"], "127.0.0.1");
    assert!(e["user_agent"].is_string() || e["user_agent"].is_null());
    let (_, by_target) = status_json(
        admin
            .b
            .get("/api/v1/admin/audit?target=erin.w&per_page=2")
            .await,
    )
    .await;
    assert!(by_target["total"].as_i64().unwrap() > 2);
    assert_eq!(by_target["items"].as_array().unwrap().len(), 2);
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let (_, none) = status_json(
        admin
            .b
            .get(&format!("/api/v1/admin/audit?from={}", urlencode(&future)))
            .await,
    )
    .await;
    assert_eq!(none["total"], 0);
    let (_, actions) = status_json(admin.b.get("/api/v1/admin/audit/actions").await).await;
    assert!(actions
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "user.deleted"));
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn admins_cannot_remove_demote_or_deactivate_themselves_or_the_last_admin() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let me = admin.id.clone();
    for (method, body) in [
        ("patch", json!({"role": "user"})),
        ("patch", json!({"active": false})),
        ("delete", json!(null)),
    ] {
        let res = if method == "patch" {
            admin
                .b
                .patch(&format!("/api/v1/admin/users/{me}"), &body)
                .await
        } else {
            admin.b.delete(&format!("/api/v1/admin/users/{me}")).await
        };
        let (st, body) = status_json(res).await;
        assert_eq!(
            (st, error_code(&body)),
            (StatusCode::FORBIDDEN, "self_protection"),
            "{method} {body}"
        );
    }
    let (_, me_now) = status_json(admin.b.get("/api/v1/me").await).await;
    assert_eq!(
        (me_now["role"].as_str(), me_now["active"].as_bool()),
        (Some("admin"), Some(true))
    );

    // A second admin can demote the first; then the last admin cannot be demoted by anyone.
    let second = app.user(&admin, "root2", "admin").await;
    let (st, _) = status_json(
        second
            .b
            .patch(
                &format!("/api/v1/admin/users/{me}"),
                &json!({"role": "user"}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = status_json(admin.b.get("/api/v1/admin/users").await).await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "a demoted admin loses the admin API at once"
    );
    let (st, body) = status_json(
        second
            .b
            .patch(
                &format!("/api/v1/admin/users/{}", second.id),
                &json!({"role": "viewer"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::FORBIDDEN, "self_protection")
    );
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_write_or_reach_admin() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let viewer = app.user(&admin, "vera", "viewer").await;
    let (_, me) = status_json(viewer.b.get("/api/v1/me").await).await;
    assert_eq!(me["role"], "viewer");
    for path in [
        "/api/v1/admin/users",
        "/api/v1/admin/audit",
        "/api/v1/admin/policy",
    ] {
        let (st, body) = status_json(viewer.b.get(path).await).await;
        assert_eq!(
            (st, error_code(&body)),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{path}"
        );
    }
    let (st, _) = status_json(
        viewer
            .b
            .post(
                "/api/v1/admin/users",
                &json!({"username": "mallory", "role": "admin"}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, body) = status_json(
        viewer
            .b
            .put("/api/v1/admin/policy", &json!({"require_2fa": false}))
            .await,
    )
    .await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    // A viewer's token can never write.
    let (st, body) = status_json(
        viewer
            .b
            .post(
                "/api/v1/me/tokens",
                &json!({"name": "w", "scope": "read_write"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let (st, _) = status_json(
        viewer
            .b
            .post("/api/v1/me/tokens", &json!({"name": "r", "scope": "read"}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, page) = status_json(admin.b.get("/api/v1/admin/users").await).await;
    assert_eq!(page["total"], 2, "mallory was not created");
    let (_, policy) = status_json(admin.b.get("/api/v1/admin/policy").await).await;
    assert_eq!(policy["require_2fa"], true);
}

/// `leadgen admin reset-2fa --username NAME`, as the README says (the old spelling `reset2fa` still works): the
/// user's next sign-in asks them to set up 2FA again.
#[tokio::test]
async fn the_cli_resets_2fa_with_the_command_the_readme_names() {
    use clap::Parser;
    use leadgen_server::cli::{Cli, Command};
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let erin = app.user(&admin, "erin", "user").await;
    let parse = |args: &[&str]| match Cli::try_parse_from(args) {
        Ok(Cli {
            command: Command::Admin(cmd),
        }) => cmd,
        Ok(_) => panic!("{args:?} is not an admin command"),
        Err(e) => panic!("{args:?}: {e}"),
    };
    let _ = parse(&["leadgen", "admin", "reset2fa", "--username", "erin"]);
    let cmd = parse(&["leadgen", "admin", "reset-2fa", "--username", "erin"]);
    let settings = app.settings.clone();
    tokio::task::spawn_blocking(move || leadgen_server::cli::admin(settings, cmd))
        .await
        .unwrap()
        .unwrap();
    let (st, step) = status_json(
        app.browser()
            .post(
                "/api/v1/auth/login",
                &json!({"username": "erin", "password": erin.password}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (st, step["status"].as_str()),
        (StatusCode::OK, Some("totp_setup_required")),
        "{step}"
    );
}
