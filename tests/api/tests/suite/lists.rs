//! The do-not-contact list and hashtag↔username pairs.

use crate::import::import_csv;
use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn add_lead(b: &Browser, body: Value) -> Value {
    let (st, lead) = status_json(b.post("/api/v1/leads", &body).await).await;
    assert_eq!(st, StatusCode::CREATED, "{lead}");
    lead
}

async fn lead(b: &Browser, id: &Value) -> Value {
    let (st, l) = status_json(
        b.get(&format!("/api/v1/leads/{}", id.as_str().unwrap()))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{l}");
    l
}

async fn dnc_values(b: &Browser) -> Vec<String> {
    let (st, page) = status_json(b.get("/api/v1/do-not-contact").await).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let mut v: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["kind"].as_str().unwrap(),
                e["value"].as_str().unwrap()
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn do_not_contact_marks_leads_and_later_leads_respect_it() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let spam = add_lead(b, json!({"username": "spam.shop", "email": "x@shop.de"})).await;
    let fine = add_lead(b, json!({"username": "fine.shop"})).await;

    let (st, added) = status_json(
        b.post(
            "/api/v1/do-not-contact",
            &json!({"kind": "username", "value": " @Spam.Shop ", "reason": "Asked us to stop"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{added}");
    assert_eq!(added["entry"]["value"], "spam.shop");
    assert_eq!(added["leads_marked"], 1);
    assert_eq!(lead(b, &spam["id"]).await["status"], "do_not_contact");
    assert_eq!(lead(b, &fine["id"]).await["status"], "new");

    // Bad input names the field and writes nothing; a value already listed is a conflict.
    for (body, field) in [
        (json!({"kind": "email", "value": "not an address"}), "value"),
        (json!({"kind": "phone", "value": "123"}), "kind"),
        (json!({"kind": "username", "value": "has space!"}), "value"),
    ] {
        let (st, err) = status_json(b.post("/api/v1/do-not-contact", &body).await).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert!(err.to_string().contains(field), "{err}");
    }
    let (st, err) = status_json(
        b.post(
            "/api/v1/do-not-contact",
            &json!({"kind": "username", "value": "SPAM.SHOP"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{err}");
    // The marked lead's e-mail joined the list too, so a re-import under another name stays blocked.
    assert_eq!(
        dnc_values(b).await,
        vec!["email:x@shop.de", "username:spam.shop"]
    );

    // New leads and imported rows that match start as "do not contact".
    let (st, _) = status_json(
        b.post(
            "/api/v1/do-not-contact",
            &json!({"kind": "email", "value": "Blocked@Shop.de"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let created = add_lead(
        b,
        json!({"username": "new.face", "email": "BLOCKED@shop.de"}),
    )
    .await;
    assert_eq!(created["status"], "do_not_contact");
    let done = import_csv(
        b,
        "username,email\nimported.one,blocked@shop.de\nimported.two,ok@shop.de\n",
    )
    .await;
    assert_eq!(done["inserted"], 2, "{done}");
    let (_, page) = status_json(
        b.get("/api/v1/leads?search=imported&sort=username:asc")
            .await,
    )
    .await;
    let statuses: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["do_not_contact", "new"]);

    // Marking a lead "do not contact" in the grid puts it on the list.
    let (st, _) = status_json(
        b.patch(
            &format!("/api/v1/leads/{}", fine["id"].as_str().unwrap()),
            &json!({"status": "do_not_contact"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(dnc_values(b)
        .await
        .contains(&"username:fine.shop".to_owned()));

    // Another user sees none of it and cannot remove an entry; a viewer cannot add.
    let alice = app.user(&admin, "alice", "user").await;
    assert!(dnc_values(&alice.b).await.is_empty());
    let entry_id = added["entry"]["id"].as_str().unwrap();
    assert_eq!(
        alice
            .b
            .delete(&format!("/api/v1/do-not-contact/{entry_id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let viewer = app.user(&admin, "vic", "viewer").await;
    assert_eq!(
        viewer
            .b
            .post(
                "/api/v1/do-not-contact",
                &json!({"kind": "username", "value": "x"})
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // Removing an entry leaves the lead's status alone.
    assert_eq!(
        b.delete(&format!("/api/v1/do-not-contact/{entry_id}"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert!(!dnc_values(b)
        .await
        .contains(&"username:spam.shop".to_owned()));
    assert_eq!(lead(b, &spam["id"]).await["status"], "do_not_contact");
}

#[tokio::test]
async fn hashtag_pairs_are_recorded_once_and_shown_per_lead() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let anna = add_lead(b, json!({"username": "anna.b"})).await;
    let pairs = json!({"pairs": [
        {"hashtag": "#VeganFood", "username": "@Anna.B"},
        {"hashtag": "berlinfood", "username": "anna.b"},
        {"hashtag": "veganfood", "username": "ben.k"},
    ]});
    let (st, r) = status_json(b.post("/api/v1/hashtags/pairs", &pairs).await).await;
    assert_eq!(
        (st, r["recorded"].as_i64()),
        (StatusCode::OK, Some(3)),
        "{r}"
    );
    let path = format!("/api/v1/leads/{}/hashtags", anna["id"].as_str().unwrap());
    let (_, first) = status_json(b.get(&path).await).await;
    let tags: Vec<&str> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hashtag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, vec!["berlinfood", "veganfood"]);

    // Found again: the first date stays, nothing is doubled.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (st, _) = status_json(b.post("/api/v1/hashtags/pairs", &pairs).await).await;
    assert_eq!(st, StatusCode::OK);
    let (_, again) = status_json(b.get(&path).await).await;
    assert_eq!(again, first);

    let (_, summary) = status_json(b.get("/api/v1/hashtags").await).await;
    let counts: Vec<(String, i64)> = summary
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["hashtag"].as_str().unwrap().to_owned(),
                h["usernames"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![("veganfood".to_owned(), 2), ("berlinfood".to_owned(), 1)]
    );

    // A bad hashtag names the pair and records nothing.
    let (st, err) = status_json(
        b.post(
            "/api/v1/hashtags/pairs",
            &json!({"pairs": [{"hashtag": "ok", "username": "zed"}, {"hashtag": "vegan food!", "username": "zed"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(err.to_string().contains("pairs[1].hashtag"), "{err}");
    let (_, after) = status_json(b.get("/api/v1/hashtags").await).await;
    assert_eq!(after, summary);

    // Someone else's lead answers 404; their overview is empty.
    let alice = app.user(&admin, "alice", "user").await;
    assert_eq!(alice.b.get(&path).await.status(), StatusCode::NOT_FOUND);
    let (_, theirs) = status_json(alice.b.get("/api/v1/hashtags").await).await;
    assert_eq!(theirs, json!([]));
}
