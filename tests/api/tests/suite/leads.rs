use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn add(b: &Browser, body: Value) -> Value {
    let (st, lead) = status_json(b.post("/api/v1/leads", &body).await).await;
    assert_eq!(st, StatusCode::CREATED, "{lead}");
    lead
}

pub(crate) fn q(filter: Value) -> String {
    let s = filter.to_string();
    let enc: String = s
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("filter={enc}")
}

async fn usernames(b: &Browser, query: &str) -> Vec<String> {
    let (st, page) = status_json(b.get(&format!("/api/v1/leads?{query}")).await).await;
    assert_eq!(st, StatusCode::OK, "{query}: {page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["username"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn create_get_update_with_if_match_and_history() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let csrf = admin.b.csrf.lock().unwrap().clone().unwrap();
    let lead = add(&admin.b, json!({"username": " @Green.Garden ", "full_name": "Grüne Gärten 🌿", "followers": 1200, "email": "Hallo@Garten.DE", "website": "garten.de", "tags": ["vegan", "berlin", "vegan"]})).await;
    assert_eq!(lead["username"], "green.garden");
    assert_eq!(lead["email"], "hallo@garten.de");
    assert_eq!(lead["website"], "https://garten.de");
    assert_eq!(lead["tags"], json!(["berlin", "vegan"]));
    assert_eq!(
        (lead["status"].as_str(), lead["version"].as_i64()),
        (Some("new"), Some(1))
    );
    let id = lead["id"].as_str().unwrap();

    // Duplicate username → 409 naming the field.
    let (st, body) = status_json(
        admin
            .b
            .post("/api/v1/leads", &json!({"username": "GREEN.GARDEN"}))
            .await,
    )
    .await;
    assert_eq!(
        (st, body["error"]["details"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("username"))
    );
    // Bad fields → 422 naming each, nothing written.
    let (st, body) = status_json(
        admin
            .b
            .patch(
                &format!("/api/v1/leads/{id}"),
                &json!({"email": "nope", "followers": -5, "status": "won"}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["email", "followers", "status"] {
        assert!(
            body["error"]["details"]["fields"][f].is_array(),
            "{f}: {body}"
        );
    }
    let (st, body) = status_json(
        admin
            .b
            .patch(
                &format!("/api/v1/leads/{id}"),
                &json!({"followers": "many"}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["fields"]["followers"].is_array(),
        "{body}"
    );
    let (st, body) = status_json(
        admin
            .b
            .patch(&format!("/api/v1/leads/{id}"), &json!({"colour": "green"}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // If-Match with the current version: applied; stale: 409 with the current row, nothing overwritten.
    let res = admin
        .b
        .http
        .patch(app.url(&format!("/api/v1/leads/{id}")))
        .header("x-csrf-token", csrf.clone())
        .header("if-match", "\"1\"")
        .json(&json!({"followers": 1500, "full_name": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let updated: Value = res.json().await.unwrap();
    assert_eq!(
        (
            updated["followers"].as_i64(),
            updated["full_name"].is_null(),
            updated["version"].as_i64()
        ),
        (Some(1500), true, Some(2))
    );
    let res = admin
        .b
        .http
        .patch(app.url(&format!("/api/v1/leads/{id}")))
        .header("x-csrf-token", csrf.clone())
        .header("if-match", "\"1\"")
        .json(&json!({"followers": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["details"]["current"]["followers"], 1500);
    assert_eq!(body["error"]["details"]["current"]["version"], 2);
    let current = &body["error"]["details"]["current"];
    assert!(
        current["owner_id"].is_null() && current["updated_at"].as_str().unwrap().ends_with('Z'),
        "LeadDto shape: {current}"
    );
    let (_, now) = status_json(admin.b.get(&format!("/api/v1/leads/{id}")).await).await;
    assert_eq!(now["followers"], 1500, "the stale write changed nothing");

    // Status contacted stamps contacted_at; the history lists each change with old and new values.
    let (_, c) = status_json(
        admin
            .b
            .patch(
                &format!("/api/v1/leads/{id}"),
                &json!({"status": "contacted"}),
            )
            .await,
    )
    .await;
    assert!(c["contacted_at"].is_string());
    let (_, history) = status_json(admin.b.get(&format!("/api/v1/leads/{id}/history")).await).await;
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["update", "update", "create"]);
    assert_eq!(history[1]["changes"]["followers"], json!([1200, 1500]));
    assert_eq!(
        history[1]["changes"]["full_name"],
        json!(["Grüne Gärten 🌿", null])
    );

    // Soft delete hides it; restore brings it back.
    assert_eq!(
        admin
            .b
            .delete(&format!("/api/v1/leads/{id}"))
            .await
            .status(),
        StatusCode::OK
    );
    assert!(usernames(&admin.b, "").await.is_empty());
    assert_eq!(
        usernames(&admin.b, "include_deleted=true").await,
        vec!["green.garden"]
    );
    assert_eq!(
        admin
            .b
            .post_empty(&format!("/api/v1/leads/{id}/restore"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(usernames(&admin.b, "").await, vec!["green.garden"]);
}

#[tokio::test]
async fn another_users_leads_answer_404_and_viewers_cannot_write() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let alice = app.user(&admin, "alice", "user").await;
    let viewer = app.user(&admin, "vic", "viewer").await;
    let lead = add(&alice.b, json!({"username": "alices.lead"})).await;
    let id = lead["id"].as_str().unwrap();
    for path in [
        format!("/api/v1/leads/{id}"),
        format!("/api/v1/leads/{id}/history"),
    ] {
        let (st, body) = status_json(admin.b.get(&path).await).await;
        assert_eq!(
            (st, error_code(&body)),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }
    assert_eq!(
        admin
            .b
            .patch(&format!("/api/v1/leads/{id}"), &json!({"notes": "x"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin
            .b
            .delete(&format!("/api/v1/leads/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        usernames(&admin.b, "").await.is_empty(),
        "lists are per owner"
    );
    // Same username in two workspaces is fine.
    add(&admin.b, json!({"username": "alices.lead"})).await;
    let (st, body) = status_json(
        viewer
            .b
            .post("/api/v1/leads", &json!({"username": "x"}))
            .await,
    )
    .await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert_eq!(viewer.b.get("/api/v1/leads").await.status(), StatusCode::OK);
    let (_, after) = status_json(alice.b.get(&format!("/api/v1/leads/{id}")).await).await;
    assert_eq!(after["version"], 1, "untouched");
}

#[tokio::test]
async fn every_filter_kind_and_sort() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    add(b, json!({"username": "anna", "full_name": "Anna Bäcker", "biography": "Vegane Bäckerei in München 🥐", "followers": 500, "email": "anna@example.de", "status": "qualified", "tags": ["bakery"], "is_business": true})).await;
    add(b, json!({"username": "ben", "biography": "Fitness coach", "followers": 15000, "following": 10, "status": "new", "tags": ["fitness", "berlin"]})).await;
    add(b, json!({"username": "carla", "biography": "Vegan recipes", "followers": 150000, "email": "c@example.com", "status": "contacted", "tags": ["food", "berlin"]})).await;
    add(
        b,
        json!({"username": "dora", "full_name": "Dora", "status": "new"}),
    )
    .await;

    assert_eq!(
        usernames(b, "search=vegan").await.len(),
        2,
        "full-text, case-insensitive"
    );
    assert_eq!(
        usernames(b, "search=m%C3%BCnchen").await,
        vec!["anna"],
        "umlauts"
    );
    assert_eq!(usernames(b, "search=fit").await, vec!["ben"], "prefix");
    assert_eq!(
        usernames(b, "search=example.de").await,
        vec!["anna"],
        "email"
    );
    let f = |filter: Value| q(filter);
    assert_eq!(
        usernames(
            b,
            &format!(
                "{}&sort=username",
                f(json!({"field": "followers", "cmp": "between", "value": [1000, 200000]}))
            )
        )
        .await,
        vec!["ben", "carla"]
    );
    assert_eq!(usernames(b, &format!("{}&sort=username", f(json!({"op": "and", "rules": [{"field": "followers", "cmp": "gte", "value": 1000}, {"field": "has_email", "cmp": "eq", "value": true}]})))).await, vec!["carla"]);
    assert_eq!(usernames(b, &format!("{}&sort=username", f(json!({"op": "or", "rules": [{"field": "status", "cmp": "in", "value": ["qualified"]}, {"field": "tags", "cmp": "has_any", "value": ["fitness"]}]})))).await, vec!["anna", "ben"]);
    assert_eq!(
        usernames(
            b,
            &format!(
                "{}&sort=username",
                f(json!({"field": "tags", "cmp": "has_all", "value": ["berlin", "food"]}))
            )
        )
        .await,
        vec!["carla"]
    );
    assert_eq!(
        usernames(
            b,
            &format!(
                "{}&sort=username",
                f(json!({"field": "full_name", "cmp": "is_empty"}))
            )
        )
        .await,
        vec!["ben", "carla"]
    );
    assert_eq!(
        usernames(
            b,
            &format!(
                "{}&sort=username",
                f(json!({"field": "biography", "cmp": "contains", "value": "BÄCKEREI"}))
            )
        )
        .await,
        vec!["anna"],
        "contains ignores case"
    );
    assert_eq!(
        usernames(
            b,
            &format!(
                "{}&sort=username",
                f(json!({"field": "is_business", "cmp": "eq", "value": true}))
            )
        )
        .await,
        vec!["anna"]
    );
    assert_eq!(
        usernames(
            b,
            &format!(
                "{}&sort=username",
                f(json!({"field": "created_at", "cmp": "preset", "value": "today"}))
            )
        )
        .await
        .len(),
        4
    );
    assert_eq!(
        usernames(
            b,
            &format!(
                "{}&sort=username",
                f(json!({"field": "contacted_at", "cmp": "preset", "value": "last_7_days"}))
            )
        )
        .await,
        Vec::<String>::new()
    );
    assert_eq!(usernames(b, &format!("{}&sort=username", f(json!({"op": "and", "rules": [{"op": "or", "rules": [{"field": "username", "cmp": "starts_with", "value": "a"}, {"field": "username", "cmp": "starts_with", "value": "c"}]}, {"field": "status", "cmp": "not_in", "value": ["contacted"]}]})))).await, vec!["anna"]);
    // Sorts: followers desc (NULLs last), multi-column.
    assert_eq!(
        usernames(b, "sort=followers:desc").await,
        vec!["carla", "ben", "anna", "dora"]
    );
    assert_eq!(
        usernames(b, "sort=status,username:desc").await,
        vec!["carla", "dora", "ben", "anna"]
    );
    // Bad filter and sort name the parameter.
    for bad in [
        f(json!({"field": "followers", "cmp": "gte", "value": "x"})),
        f(json!({"field": "nope", "cmp": "eq", "value": 1})),
        "filter=%7Bnot".into(),
        "sort=password".into(),
        "sort=followers:up".into(),
        "limit=0".into(),
    ] {
        let (st, body) = status_json(b.get(&format!("/api/v1/leads?{bad}")).await).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(
            body["error"]["details"]["fields"]
                .as_object()
                .unwrap()
                .len()
                == 1,
            "{body}"
        );
    }
}

#[tokio::test]
async fn cursor_paging_skips_and_repeats_nothing_while_rows_arrive() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    for i in 0..30 {
        add(
            b,
            json!({"username": format!("lead{i:02}"), "followers": (i % 7) * 100}),
        )
        .await;
    }
    for sort in [
        "followers:desc,username",
        "created_at:desc",
        "username:desc",
        "followers",
    ] {
        let mut seen = vec![];
        let mut cursor: Option<String> = None;
        let mut inserted = 0;
        loop {
            let url = match &cursor {
                Some(c) => format!("/api/v1/leads?limit=7&sort={sort}&cursor={c}"),
                None => format!("/api/v1/leads?limit=7&sort={sort}"),
            };
            let (st, page) = status_json(b.get(&url).await).await;
            assert_eq!(st, StatusCode::OK, "{page}");
            seen.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["username"].as_str().unwrap().to_owned()),
            );
            // Rows are inserted between pages.
            add(b, json!({"username": format!("late{sort}{inserted}").replace([':', ','], "").replace('_', ""), "followers": 300})).await;
            inserted += 1;
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let originals: Vec<&String> = seen.iter().filter(|u| u.starts_with("lead")).collect();
        let mut unique = originals.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), originals.len(), "{sort}: repeated rows");
        assert_eq!(originals.len(), 30, "{sort}: skipped rows");
    }
    // Offset jump: page 3 of 7 equals rows 14..21 of the full list.
    let all = usernames(b, "limit=500&sort=username").await;
    let jumped = usernames(b, "limit=7&offset=14&sort=username").await;
    assert_eq!(jumped, all[14..21].to_vec());
    let (_, page) = status_json(b.get("/api/v1/leads?limit=5").await).await;
    assert_eq!(
        (page["total"].as_i64(), page["total_is_estimate"].as_bool()),
        (Some(all.len() as i64), Some(false))
    );
    let (st, body) = status_json(b.get("/api/v1/leads?cursor=bm9wZQ").await).await;
    assert_eq!(
        (st, body["error"]["details"]["fields"]["cursor"].is_array()),
        (StatusCode::UNPROCESSABLE_ENTITY, true)
    );
}

/// Writes `count` generated leads for the admin with the CLI's generator.
async fn seed_admin_leads(app: &TestApp, count: usize, seed: u64) {
    let settings = app.settings.clone();
    tokio::task::spawn_blocking(move || {
        leadgen_server::cli::admin(
            settings,
            leadgen_server::cli::AdminCommand::SeedLeads {
                username: "admin".into(),
                count,
                seed,
            },
        )
    })
    .await
    .unwrap()
    .unwrap();
}

#[tokio::test]
async fn the_demo_generator_writes_realistic_searchable_leads() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    seed_admin_leads(&app, 3000, 7).await;
    let (_, page) = status_json(
        admin
            .b
            .get("/api/v1/leads?limit=5&sort=followers:desc")
            .await,
    )
    .await;
    assert_eq!(page["total"], 3000);
    let top = page["items"][0]["followers"].as_i64().unwrap();
    assert!(top > 100_000, "a long tail of big accounts: {top}");
    let (_, rare) = status_json(
        admin
            .b
            .get("/api/v1/leads?search=sauerteig&limit=500")
            .await,
    )
    .await;
    let n = rare["total"].as_i64().unwrap();
    assert!(
        (10..=60).contains(&n),
        "about 1% mention the rare word: {n}"
    );
    let (_, recent) = status_json(
        admin
            .b
            .get(&format!(
                "/api/v1/leads?{}",
                q(json!({"field": "created_at", "cmp": "preset", "value": "last_7_days"}))
            ))
            .await,
    )
    .await;
    assert!(
        recent["total"].as_i64().unwrap() > 0,
        "some leads are from the last hour"
    );
}

#[tokio::test]
async fn admins_read_other_users_leads_read_only_and_audited() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let alice = app.user(&admin, "alice", "user").await;
    let bob = app.user(&admin, "bob", "user").await;
    let lead = add(&alice.b, json!({"username": "alices.lead"})).await;
    let id = lead["id"].as_str().unwrap();
    let (_, users) = status_json(admin.b.get("/api/v1/admin/users?q=alice").await).await;
    let alice_id = users["items"][0]["id"].as_str().unwrap().to_owned();

    // The admin reads with ?owner=…: the list, one lead and its history.
    assert_eq!(
        usernames(&admin.b, &format!("owner={alice_id}")).await,
        vec!["alices.lead"]
    );
    for path in [
        format!("/api/v1/leads/{id}?owner={alice_id}"),
        format!("/api/v1/leads/{id}/history?owner={alice_id}"),
        format!("/api/v1/leads/{id}/hashtags?owner={alice_id}"),
    ] {
        assert_eq!(admin.b.get(&path).await.status(), StatusCode::OK, "{path}");
    }
    let csv = admin
        .b
        .get(&format!("/api/v1/leads/export?owner={alice_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("alices.lead"), "{csv}");
    // Reading is all: writes still answer 404.
    let (st, _) = status_json(
        admin
            .b
            .patch(
                &format!("/api/v1/leads/{id}?owner={alice_id}"),
                &json!({"notes": "x"}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Others may not; unknown owners are 404.
    let (st, body) = status_json(bob.b.get(&format!("/api/v1/leads?owner={alice_id}")).await).await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert_eq!(
        admin.b.get("/api/v1/leads?owner=nobody").await.status(),
        StatusCode::NOT_FOUND
    );
    // Each read is in the audit log, naming whose leads.
    let (_, log) = status_json(
        admin
            .b
            .get("/api/v1/admin/audit?action=leads.read_other")
            .await,
    )
    .await;
    let targets: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target_label"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(targets, vec!["alice", "alice", "alice"], "{log}");
}

#[tokio::test]
async fn far_jumps_answer_the_same_rows_once_anchors_are_built() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    seed_admin_leads(&app, 23_000, 11).await;
    for sort in ["created_at:desc", "followers:desc,username:asc"] {
        for offset in [10_000, 12_345, 21_990, 22_995] {
            let url = format!("limit=10&sort={sort}&offset={offset}");
            // The first far jump skips from the start (the truth) and builds anchors in the background.
            let first = usernames(&admin.b, &url).await;
            assert_eq!(first.len(), (23_000 - offset).min(10) as usize, "{url}");
            for _ in 0..10 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                assert_eq!(usernames(&admin.b, &url).await, first, "{url}");
            }
            // A cursor from the jumped page continues exactly where a plain walk would.
            let (_, page) = status_json(admin.b.get(&format!("/api/v1/leads?{url}")).await).await;
            if let Some(c) = page["next_cursor"].as_str() {
                let next = usernames(&admin.b, &format!("limit=5&sort={sort}&cursor={c}")).await;
                let plain = usernames(
                    &admin.b,
                    &format!("limit=5&sort={sort}&offset={}", offset + 10),
                )
                .await;
                assert_eq!(next, plain, "{url}");
            }
        }
    }
}

/// The total of `query`'s first page once the server has counted it exactly (it first answers an estimate).
async fn exact_total(b: &Browser, query: &str) -> i64 {
    for _ in 0..100 {
        let (st, page) = status_json(b.get(&format!("/api/v1/leads?limit=1&{query}")).await).await;
        assert_eq!(st, StatusCode::OK, "{query}: {page}");
        if page["total_is_estimate"] == false {
            return page["total"].as_i64().unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{query}: the total stayed an estimate");
}

#[tokio::test]
async fn a_large_workspace_answers_an_estimate_first_then_its_exact_total() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let alice = app.user(&admin, "alice", "user").await;
    add(&alice.b, json!({"username": "not.admins"})).await;
    seed_admin_leads(&app, 20_150, 5).await;
    let b = &admin.b;
    let (_, page) = status_json(b.get("/api/v1/leads?limit=1").await).await;
    assert_eq!(page["total_is_estimate"], true, "{page}");
    assert_eq!(exact_total(b, "").await, 20_150);
    // A deleted lead leaves the total (and the trash view still holds it).
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    let res = b.delete(&format!("/api/v1/leads/{id}")).await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(exact_total(b, "").await, 20_149);
    assert_eq!(exact_total(b, "include_deleted=true").await, 20_150);
    // A filter counts only what it matches: the leads with a follower count and those without add up.
    let by = |cmp: &str| q(json!({"field": "followers", "cmp": cmp, "value": 0}));
    let (known, unknown) = (
        exact_total(b, &by("gte")).await,
        exact_total(b, &by("is_empty")).await,
    );
    assert!(known > 20_000, "{known}");
    assert_eq!(known + unknown, 20_149);
}

/// Jumps near the end of a large result (Ctrl+End, the scrollbar dragged down) are read from the end once the
/// exact total is known: they must be the rows a walk from the start reaches there, in every sort.
#[tokio::test]
async fn jumps_near_the_end_answer_the_rows_a_walk_from_the_start_reaches() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    seed_admin_leads(&app, 23_000, 13).await;
    let b = &admin.b;
    for sort in [
        "created_at:desc",
        "followers:desc,username:asc",
        "email:asc",
        "full_name:desc,posts:asc",
    ] {
        let walk: Vec<String> = all_pages(b, &format!("sort={sort}"))
            .await
            .0
            .into_iter()
            .map(|(username, _)| username)
            .collect();
        assert_eq!(walk.len(), 23_000, "{sort}");
        assert_eq!(exact_total(b, "").await, 23_000);
        for (offset, limit) in [(22_900, 100), (22_995, 10), (14_000, 7), (23_000, 10)] {
            let url = format!("limit={limit}&sort={sort}&offset={offset}");
            let end = (offset + limit).min(23_000);
            assert_eq!(
                usernames(b, &url).await,
                walk[offset..end].to_vec(),
                "{url}"
            );
        }
        // A cursor from such a page continues where the walk does.
        let (_, page) = status_json(
            b.get(&format!("/api/v1/leads?limit=7&sort={sort}&offset=14000"))
                .await,
        )
        .await;
        let c = page["next_cursor"].as_str().unwrap();
        let next = usernames(b, &format!("limit=5&sort={sort}&cursor={c}")).await;
        assert_eq!(next, walk[14_007..14_012].to_vec(), "{sort}");
    }
}

/// Every page of `query`, followed by cursor: (username, followers or -1) in the order served, and the first
/// total.
async fn all_pages(b: &Browser, query: &str) -> (Vec<(String, i64)>, i64) {
    let mut out = vec![];
    let mut cursor: Option<String> = None;
    let mut total = -1;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/leads?{query}&limit=250&cursor={c}"),
            None => format!("/api/v1/leads?{query}&limit=250"),
        };
        let (st, page) = status_json(b.get(&url).await).await;
        assert_eq!(st, StatusCode::OK, "{url}: {page}");
        if total < 0 {
            total = page["total"].as_i64().unwrap();
        }
        for l in page["items"].as_array().unwrap() {
            out.push((
                l["username"].as_str().unwrap().to_owned(),
                l["followers"].as_i64().unwrap_or(-1),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return (out, total),
        }
        assert!(out.len() <= 100_000, "paging does not end");
    }
}

/// A word most of a large workspace mentions. (SQLite then reads a page along the sort's index instead of
/// reading every hit: the rows, their order, the cursors and the jumps must be what reading every hit gives.)
#[tokio::test]
async fn a_search_with_thousands_of_hits_pages_in_sort_order_without_gaps() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let alice = app.user(&admin, "alice", "user").await;
    let b = &admin.b;
    // 2,400 leads, 2,200 of them mention "roggen"; 500 follower counts, so most are tied.
    let mut csv = String::from("username,followers,biography\n");
    for i in 0..2400 {
        let bio = if i % 12 == 5 {
            "Kaffee"
        } else {
            "Roggen und Dinkel"
        };
        csv += &format!("lead{i:04},{},{bio}\n", (i * 7919) % 500);
    }
    for (who, file) in [
        (b, csv),
        (&alice.b, "username,biography\nroggen.alice,Roggen\n".into()),
    ] {
        let s = crate::import::import_csv(who, file).await;
        assert_eq!(s["failed"], 0, "{s}");
    }
    // A deleted lead is not found.
    let (_, gone) = status_json(b.get("/api/v1/leads?search=lead0000").await).await;
    let gone_id = gone["items"][0]["id"].as_str().unwrap().to_owned();
    let res = b.delete(&format!("/api/v1/leads/{gone_id}")).await;
    assert!(res.status().is_success(), "{}", res.status());

    let expected: std::collections::BTreeSet<String> = (1..2400)
        .filter(|i| i % 12 != 5)
        .map(|i| format!("lead{i:04}"))
        .collect();
    // Followers are all filled, so "followers ≥ 0" matches every hit: the same search with that filter reads
    // every hit and sorts them.
    let every_hit = q(json!({"field": "followers", "cmp": "gte", "value": 0}));
    for sort in [
        "",
        "&sort=followers:desc",
        "&sort=followers:asc",
        "&sort=updated_at:asc",
    ] {
        let (rows, total) = all_pages(b, &format!("search=roggen{sort}")).await;
        assert_eq!(total, expected.len() as i64, "{sort}");
        let got: std::collections::BTreeSet<String> = rows.iter().map(|(u, _)| u.clone()).collect();
        assert_eq!(rows.len(), got.len(), "{sort}: no row twice");
        assert_eq!(got, expected, "{sort}: every hit, nothing else");
        if sort == "&sort=followers:desc" {
            assert!(
                rows.windows(2).all(|w| w[0].1 >= w[1].1),
                "followers descending"
            );
        }
        let (read_all, _) = all_pages(b, &format!("search=roggen{sort}&{every_hit}")).await;
        assert_eq!(
            rows, read_all,
            "{sort}: the same order as reading every hit"
        );
        // A jump lands where paging put that row.
        let at = usernames(b, &format!("search=roggen{sort}&offset=1500&limit=3")).await;
        let want: Vec<String> = rows[1500..1503].iter().map(|(u, _)| u.clone()).collect();
        assert_eq!(at, want, "{sort}: jump to 1500");
    }
}

/// `owner=` with no value is the parameter left out (as forms and query builders send it): your own leads, for
/// users and admins alike, never "another user".
#[tokio::test]
async fn an_empty_owner_parameter_reads_your_own_leads() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let alice = app.user(&admin, "alice", "user").await;
    let lead = add(&alice.b, json!({"username": "alices.lead"})).await;
    add(&admin.b, json!({"username": "admins.lead"})).await;
    let id = lead["id"].as_str().unwrap();
    assert_eq!(usernames(&alice.b, "owner=").await, vec!["alices.lead"]);
    assert_eq!(usernames(&admin.b, "owner=").await, vec!["admins.lead"]);
    for path in [
        format!("/api/v1/leads/{id}?owner="),
        format!("/api/v1/leads/{id}/history?owner="),
        format!("/api/v1/leads/{id}/hashtags?owner="),
        "/api/v1/leads/export?owner=".to_owned(),
    ] {
        assert_eq!(alice.b.get(&path).await.status(), StatusCode::OK, "{path}");
    }
    let (_, log) = status_json(
        admin
            .b
            .get("/api/v1/admin/audit?action=leads.read_other")
            .await,
    )
    .await;
    assert_eq!(log["total"], 0, "nobody read another's leads: {log}");
}
