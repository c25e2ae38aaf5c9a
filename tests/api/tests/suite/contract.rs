use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::json;

fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `openapi.yaml` is generated from the code; set UPDATE_OPENAPI=1 to rewrite it.
#[test]
fn openapi_yaml_matches_the_code() {
    let generated = leadgen_server::openapi::yaml().expect("yaml");
    let path = repo_root().join("openapi.yaml");
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, &generated).expect("write openapi.yaml");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "openapi.yaml is stale: run `UPDATE_OPENAPI=1 cargo test -p leadgen-api-tests openapi` and commit it");
    assert!(generated.starts_with("openapi: 3.1"));
}

#[tokio::test]
async fn every_served_route_is_in_the_spec() {
    use utoipa::OpenApi;
    let spec = serde_json::to_value(leadgen_server::openapi::ApiDoc::openapi()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/login/password",
        "/api/v1/auth/login/totp",
        "/api/v1/auth/login/totp-setup",
        "/api/v1/auth/login/totp-setup/confirm",
        "/api/v1/auth/logout",
        "/api/v1/auth/token",
        "/api/v1/auth/refresh",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/me/2fa",
        "/api/v1/me/sessions/{id}",
        "/api/v1/me/tokens/{id}",
        "/api/v1/admin/users/{id}",
        "/api/v1/admin/audit",
        "/api/v1/admin/policy",
        "/health/live",
        "/health/ready",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the spec");
    }
    let app = spawn_app().await;
    let (st, served) = status_json(app.script().get("/api/openapi.json").await).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(served["paths"].as_object().unwrap().len(), paths.len());
}

#[tokio::test]
async fn the_docs_ui_is_served_without_any_outside_address() {
    let app = spawn_app().await;
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/api/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    let html = app.script().get("/api/docs/").await.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    // Every script and stylesheet it loads comes from this server.
    let mut assets = vec![];
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let url = part.split('"').next().unwrap();
            assert!(
                !url.starts_with("http") && !url.starts_with("//"),
                "external asset {url}"
            );
            assets.push(url.trim_start_matches("./").to_owned());
        }
    }
    assert!(assets.iter().any(|a| a.ends_with(".js")));
    for a in assets {
        let res = app.script().get(&format!("/api/docs/{a}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{a}");
        let body = res.text().await.unwrap();
        if a.contains("initializer") {
            assert!(body.contains("/api/openapi.json"), "{body}");
        }
    }
}

#[tokio::test]
async fn health_and_metrics() {
    let app = spawn_app().await;
    let (st, live) = status_json(app.script().get("/health/live").await).await;
    assert_eq!((st, live["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (st, ready) = status_json(app.script().get("/health/ready").await).await;
    assert_eq!(st, StatusCode::OK);
    let expected = match backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(ready["database"], expected);
    app.script().get("/api/v1/me").await;
    let metrics = app.script().get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(
            r#"leadgen_http_requests_total{endpoint="/api/v1/me",method="GET",status="401"}"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("leadgen_http_requests_duration_seconds_bucket"));
    assert!(metrics.contains("leadgen_db_pool_connections"));
}

#[tokio::test]
async fn the_spa_is_served_with_deep_links_and_hashed_assets_cached() {
    let app = spawn_app_with(|s| {
        let dist = s.data_dir.join("dist");
        std::fs::create_dir_all(dist.join("assets")).unwrap();
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><div id=root></div>",
        )
        .unwrap();
        std::fs::write(dist.join("assets/app-1a2b3c.js"), "console.log(1)").unwrap();
        std::fs::write(s.data_dir.join("private.txt"), "not for the web").unwrap();
        s.web_dir = dist;
    })
    .await;
    for path in ["/", "/admin/users", "/profile?tab=tokens"] {
        let res = app.script().get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-cache");
        assert!(res.text().await.unwrap().contains("id=root"));
    }
    let res = app.script().get("/assets/app-1a2b3c.js").await;
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    // No way out of the web folder.
    for path in [
        "/%2e%2e/private.txt",
        "/assets/%2e%2e/%2e%2e/private.txt",
        "/..%2fprivate.txt",
    ] {
        let body = app.script().get(path).await.text().await.unwrap();
        assert!(!body.contains("not for the web"), "{path}");
    }
}

#[tokio::test]
async fn without_a_built_web_app_the_page_names_where_it_looked_and_the_setting() {
    let app = spawn_app().await;
    let res = app.script().get("/leads").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = res.text().await.unwrap();
    let dir = app.settings.web_dir.display().to_string();
    assert!(
        body.contains(&dir) && body.contains("LEADGEN_WEB_DIR"),
        "{body}"
    );
}

/// Every operation has its own id (generated clients name their functions by it), and the public ones say so.
#[test]
fn operation_ids_are_unique_and_public_operations_need_no_sign_in() {
    use utoipa::OpenApi;
    let spec = serde_json::to_value(leadgen_server::openapi::ApiDoc::openapi()).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut public = vec![];
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(
                seen.insert(id.clone()),
                "{method} {path}: duplicate operation id {id:?}"
            );
            if op["security"] == json!([]) {
                public.push(id);
            } else {
                assert!(op["responses"]["401"].is_object(), "{id}: 401 not listed");
            }
        }
    }
    public.sort();
    let mut expected: Vec<String> = leadgen_server::openapi::PUBLIC_OPERATIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    expected.sort();
    assert_eq!(public, expected);
    assert_eq!(spec["servers"][0]["url"], "/");
}

/// Every operation the file says needs a sign-in answers 401 without one, with the documented error body.
#[tokio::test]
async fn protected_operations_answer_401_without_a_sign_in() {
    use utoipa::OpenApi;
    let spec = serde_json::to_value(leadgen_server::openapi::ApiDoc::openapi()).unwrap();
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["security"] == json!([]) {
                continue;
            }
            let url = app.url(&path.replace("{id}", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
            let req = match method.as_str() {
                "get" => http.get(url),
                "post" => http.post(url),
                "put" => http.put(url),
                "patch" => http.patch(url),
                "delete" => http.delete(url),
                other => panic!("{other}"),
            };
            let (st, body) = status_json(
                req.header("content-type", "application/json")
                    .body("{}")
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(
                (st, error_code(&body)),
                (StatusCode::UNAUTHORIZED, "unauthenticated"),
                "{method} {path}"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
}

/// The documented lead statuses are the ones the model accepts.
#[test]
fn the_lead_status_enum_is_the_models_list() {
    use leadgen_server::leads::dto::LeadStatus;
    let documented: Vec<String> = LeadStatus::ALL
        .iter()
        .map(|s| {
            serde_json::to_value(s)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(documented, leadgen_db::models::lead::STATUSES);
}

/// utoipa names a schema after its Rust type: two types of the same name (in different modules) would silently
/// become one schema in `openapi.yaml`, and the SPA's types would be wrong for one of them. Every type deriving
/// `ToSchema` in the server and core crates has a name of its own.
#[test]
fn every_schema_type_has_a_name_of_its_own() {
    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    for crate_dir in ["api/server/src", "api/core/src"] {
        rust_files(&repo_root().join(crate_dir), &mut files);
    }
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    let mut found = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if !(line.trim_start().starts_with("#[derive(") && line.contains("ToSchema")) {
                continue;
            }
            // The item follows the derive, after any other attributes and doc lines.
            let mut renamed = false;
            for next in lines.by_ref() {
                let t = next.trim_start();
                if t.starts_with("#[schema(") && t.contains("as =") {
                    renamed = true;
                }
                let item = t
                    .strip_prefix("pub ")
                    .or_else(|| t.strip_prefix("pub(crate) "))
                    .unwrap_or(t);
                if let Some(rest) = item
                    .strip_prefix("struct ")
                    .or_else(|| item.strip_prefix("enum "))
                {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    found += 1;
                    if !renamed {
                        let place = f.display().to_string();
                        if let Some(first) = seen.insert(name.clone(), place.clone()) {
                            panic!("two schema types are named {name}: {first} and {place}");
                        }
                    }
                    break;
                }
            }
        }
    }
    assert!(found > 50, "the scan found the schema types ({found})");
}
