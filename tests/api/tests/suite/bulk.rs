use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn seed(b: &Browser, n: usize) -> Vec<String> {
    let mut ids = vec![];
    for i in 0..n {
        let (st, l) = status_json(
            b.post(
                "/api/v1/leads",
                &json!({"username": format!("u{i:03}"), "followers": i * 10, "status": "new"}),
            )
            .await,
        )
        .await;
        assert_eq!(st, StatusCode::CREATED);
        ids.push(l["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// `POST /api/v1/leads/bulk` with `body`: the status and the answer.
async fn bulk(b: &Browser, body: Value) -> (StatusCode, Value) {
    status_json(b.post("/api/v1/leads/bulk", &body).await).await
}

async fn get(b: &Browser, id: &str) -> Value {
    status_json(b.get(&format!("/api/v1/leads/{id}")).await)
        .await
        .1
}

#[tokio::test]
async fn bulk_edit_by_ids_and_by_filter_then_undo_and_redo() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let ids = seed(b, 12).await;

    // By ids.
    let (st, res) = bulk(
        b,
        json!({"ids": &ids[0..3], "patch": {"status": "qualified", "tags": ["hot"]}}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{res}");
    assert_eq!(res["affected"], 3);
    assert_eq!(get(b, &ids[0]).await["status"], "qualified");
    assert_eq!(get(b, &ids[0]).await["tags"], json!(["hot"]));
    assert_eq!(get(b, &ids[3]).await["status"], "new");

    // By filter: everything with followers >= 80 (u008..u011).
    let (_, res) = bulk(b, json!({"filter": {"field": "followers", "cmp": "gte", "value": 80}, "patch": {"notes": "big"}})).await;
    assert_eq!(res["affected"], 4);
    assert_eq!(get(b, &ids[11]).await["notes"], "big");

    // Undo reverts the last batch only, then the one before; redo re-applies.
    let (_, u) = status_json(b.post_empty("/api/v1/leads/undo").await).await;
    assert_eq!(
        (u["affected"].as_i64(), u["skipped"].as_i64()),
        (Some(4), Some(0))
    );
    assert!(get(b, &ids[11]).await["notes"].is_null());
    assert_eq!(get(b, &ids[0]).await["status"], "qualified");
    let (_, u) = status_json(b.post_empty("/api/v1/leads/undo").await).await;
    assert_eq!(u["affected"], 3);
    assert_eq!(get(b, &ids[0]).await["status"], "new");
    assert_eq!(get(b, &ids[0]).await["tags"], json!([]));
    let (_, r) = status_json(b.post_empty("/api/v1/leads/redo").await).await;
    assert_eq!(r["affected"], 3);
    assert_eq!(get(b, &ids[0]).await["status"], "qualified");

    // A new edit clears the redo stack.
    b.patch(
        &format!("/api/v1/leads/{}", ids[5]),
        &json!({"notes": "fresh"}),
    )
    .await;
    let (st, body) = status_json(b.post_empty("/api/v1/leads/redo").await).await;
    assert_eq!(
        (st, body["error"]["details"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("nothing_to_redo"))
    );

    // Edits from another session of the same user join the same undo stack, newest first.
    let (_, res) = bulk(b, json!({"ids": &ids[6..8], "patch": {"followers": 5}})).await;
    assert_eq!(res["affected"], 2);
    let v = get(b, &ids[6]).await["version"].as_i64().unwrap();
    let other = admin.sign_in_again().await;
    let other_csrf = other.csrf.lock().unwrap().clone().unwrap();
    let res = other
        .http
        .patch(app.url(&format!("/api/v1/leads/{}", ids[6])))
        .header("x-csrf-token", other_csrf.clone())
        .header("if-match", v.to_string())
        .json(&json!({"followers": 777}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, u) = status_json(b.post_empty("/api/v1/leads/undo").await).await;
    assert_eq!(u["affected"], 1);
    assert_eq!(get(b, &ids[6]).await["followers"], 5);
    b.patch(
        &format!("/api/v1/leads/{}", ids[6]),
        &json!({"followers": 999}),
    )
    .await;
    let (_, u) = status_json(b.post_empty("/api/v1/leads/undo").await).await;
    assert_eq!(get(b, &ids[6]).await["followers"], 5, "undid the 999");
    let (_, u2) = status_json(b.post_empty("/api/v1/leads/undo").await).await;
    assert_eq!(
        (u2["affected"].as_i64(), u2["skipped"].as_i64()),
        (Some(2), Some(0)),
        "{u} {u2}"
    );
    assert_eq!(get(b, &ids[6]).await["followers"], 60);

    // Bad input: no selection, unknown field, username in bulk.
    for body in [
        json!({"patch": {"notes": "x"}}),
        json!({"all": true, "patch": {"nope": 1}}),
        json!({"all": true, "patch": {"username": "same"}}),
    ] {
        let (st, res) = bulk(b, body.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {res}");
    }
}

#[tokio::test]
async fn bulk_delete_is_one_undo_step_and_respects_tenancy() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let other = app.user(&admin, "otto", "user").await;
    let mine = seed(&admin.b, 5).await;
    let theirs = seed(&other.b, 2).await;
    let mut ids = mine[0..3].to_vec();
    ids.extend(theirs.clone());
    let (_, res) = status_json(
        admin
            .b
            .post("/api/v1/leads/bulk-delete", &json!({"ids": ids}))
            .await,
    )
    .await;
    assert_eq!(res["affected"], 3, "someone else's ids are ignored");
    let (_, page) = status_json(admin.b.get("/api/v1/leads").await).await;
    assert_eq!(page["total"], 2);
    let (_, page) = status_json(other.b.get("/api/v1/leads").await).await;
    assert_eq!(page["total"], 2, "untouched");
    let (_, u) = status_json(admin.b.post_empty("/api/v1/leads/undo").await).await;
    assert_eq!(u["affected"], 3);
    let (_, page) = status_json(admin.b.get("/api/v1/leads").await).await;
    assert_eq!(page["total"], 5);
    // Everything matching a filter.
    let (_, res) = status_json(
        admin
            .b
            .post("/api/v1/leads/bulk-delete", &json!({"search": "u00"}))
            .await,
    )
    .await;
    assert_eq!(res["affected"], 5);
}

#[tokio::test]
async fn saved_views_reopen_as_left() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let state = json!({"filter": {"field": "followers", "cmp": "gte", "value": 1000}, "sort": "followers:desc", "columns": [{"id": "username", "width": 180}], "frozen": 1});
    let (st, v) = status_json(
        b.post(
            "/api/v1/views",
            &json!({"name": "Big accounts", "state": state, "is_default": true}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, _) = status_json(
        b.post(
            "/api/v1/views",
            &json!({"name": "Big accounts", "state": {}}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (_, second) = status_json(
        b.post(
            "/api/v1/views",
            &json!({"name": "All", "state": {}, "is_default": true}),
        )
        .await,
    )
    .await;
    let (_, list) = status_json(b.get("/api/v1/views").await).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|v| v["is_default"] == true).count(), 1);
    assert_eq!(
        list.iter().find(|x| x["id"] == v["id"]).unwrap()["state"],
        state
    );
    let (st, _) = status_json(
        b.post("/api/v1/views", &json!({"name": "x", "state": [1, 2]}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let other = app.user(&admin, "olaf", "user").await;
    let (_, theirs) = status_json(other.b.get("/api/v1/views").await).await;
    assert_eq!(theirs.as_array().unwrap().len(), 0);
    assert_eq!(
        other
            .b
            .delete(&format!("/api/v1/views/{}", second["id"].as_str().unwrap()))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.delete(&format!("/api/v1/views/{}", second["id"].as_str().unwrap()))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn export_streams_the_current_filter_sort_and_columns() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    b.post("/api/v1/leads", &json!({"username": "zoe", "full_name": "Zoë \"Z\" Müller, Berlin", "followers": 10, "tags": ["a", "b"], "biography": "line one\nline two"})).await;
    b.post(
        "/api/v1/leads",
        &json!({"username": "yan", "followers": 2000}),
    )
    .await;
    seed(b, 30).await;
    let res = b.get("/api/v1/leads/export?sort=username&columns=username,full_name,followers,tags,biography").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = res.text().await.unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        vec!["username", "full_name", "followers", "tags", "biography"]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 32);
    let zoe = rows.last().unwrap();
    assert_eq!(
        zoe.iter().collect::<Vec<_>>(),
        vec![
            "zoe",
            "Zoë \"Z\" Müller, Berlin",
            "10",
            "a, b",
            "line one\nline two"
        ]
    );
    let filter = "%7B%22field%22%3A%22followers%22%2C%22cmp%22%3A%22gte%22%2C%22value%22%3A1000%7D";
    let text = b
        .get(&format!(
            "/api/v1/leads/export?filter={filter}&columns=username"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text, "username\nyan\n");
    let (st, body) = status_json(
        b.get("/api/v1/leads/export?columns=username,password_hash")
            .await,
    )
    .await;
    assert_eq!(
        (st, body["error"]["details"]["fields"]["columns"].is_array()),
        (StatusCode::UNPROCESSABLE_ENTITY, true)
    );
}

#[tokio::test]
async fn a_selection_of_many_ids_fits_in_one_request() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let ids: Vec<String> = (0..12_000)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let (st, res) = bulk(&admin.b, json!({"ids": ids, "patch": {"notes": "x"}})).await;
    assert_eq!(
        (st, res["affected"].as_i64()),
        (StatusCode::OK, Some(0)),
        "{res}"
    );
}

/// A selection larger than one chunk of the bulk writes (2,000 leads): every selected lead changes, the others do
/// not, and each change is one undo step.
#[tokio::test]
async fn bulk_edits_of_thousands_of_leads_change_exactly_the_selection_and_undo_in_one_step() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let mut csv = String::from("username,followers\n");
    for i in 0..3000 {
        csv += &format!("many{i:04},{i}\n");
    }
    crate::import::import_csv(b, csv).await;
    let total = |query: String| async move {
        let (st, page) = status_json(b.get(&format!("/api/v1/leads?limit=1&{query}")).await).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        page["total"].as_i64().unwrap()
    };
    let qualified =
        crate::leads::q(json!({"field": "status", "cmp": "in", "value": ["qualified"]}));
    // Followers 500 and up: 2,500 leads.
    let big = json!({"field": "followers", "cmp": "gte", "value": 500});
    let (st, res) = bulk(
        b,
        json!({"filter": big, "patch": {"status": "qualified", "tags": ["vip"]}}),
    )
    .await;
    assert_eq!(
        (st, res["affected"].as_i64()),
        (StatusCode::OK, Some(2500)),
        "{res}"
    );
    assert_eq!(total(qualified.clone()).await, 2500);
    let (_, low) = status_json(b.get("/api/v1/leads?search=many0499").await).await;
    assert_eq!(low["items"][0]["status"], "new", "{low}");
    let (_, high) = status_json(b.get("/api/v1/leads?search=many0500").await).await;
    assert_eq!(
        (
            high["items"][0]["status"].as_str(),
            high["items"][0]["tags"][0].as_str()
        ),
        (Some("qualified"), Some("vip")),
        "{high}"
    );
    let (_, u) = status_json(b.post_empty("/api/v1/leads/undo").await).await;
    assert_eq!(u["affected"], 2500, "{u}");
    assert_eq!(total(qualified.clone()).await, 0);

    let (st, res) = status_json(
        b.post("/api/v1/leads/bulk-delete", &json!({"filter": big}))
            .await,
    )
    .await;
    assert_eq!(
        (st, res["affected"].as_i64()),
        (StatusCode::OK, Some(2500)),
        "{res}"
    );
    assert_eq!(total(String::new()).await, 500);
    let (_, u) = status_json(b.post_empty("/api/v1/leads/undo").await).await;
    assert_eq!(u["affected"], 2500, "{u}");
    assert_eq!(total(String::new()).await, 3000);
}

/// Saved views are a personal setting: a viewer keeps their own, and the rule is the same in the browser and with
/// a read token (which still cannot change any lead or list).
#[tokio::test]
async fn viewers_keep_their_own_saved_views_in_the_browser_and_with_a_read_token() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let viewer = app.user(&admin, "vera", "viewer").await;
    let (st, v) = status_json(
        viewer
            .b
            .post("/api/v1/views", &json!({"name": "Mine", "state": {}}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, token) = status_json(
        viewer
            .b
            .post("/api/v1/me/tokens", &json!({"name": "r", "scope": "read"}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{token}");
    let script = app.script().with_bearer(token["secret"].as_str().unwrap());
    let (st, w) = status_json(
        script
            .post(
                "/api/v1/views",
                &json!({"name": "From a script", "state": {"sort": "followers:desc"}}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{w}");
    let (st, w2) = status_json(
        script
            .put(
                &format!("/api/v1/views/{}", w["id"].as_str().unwrap()),
                &json!({"name": "Renamed", "state": {}}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (st, w2["name"].as_str()),
        (StatusCode::OK, Some("Renamed")),
        "{w2}"
    );
    assert_eq!(
        script
            .delete(&format!("/api/v1/views/{}", v["id"].as_str().unwrap()))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let (_, list) = status_json(viewer.b.get("/api/v1/views").await).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    // Workspace data stays read-only for both.
    for b in [&viewer.b, &script] {
        let st = b
            .post("/api/v1/leads", &json!({"username": "nope"}))
            .await
            .status();
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
}
