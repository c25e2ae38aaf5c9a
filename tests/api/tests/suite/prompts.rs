use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn prompts_are_validated_versioned_and_previewed_on_a_lead() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let (st, product) = status_json(
        b.post(
            "/api/v1/products",
            &json!({"name": "Kochkurs", "description": "Vegan kochen", "variables": [
                {"name": "discount", "label": "Rabatt", "value": "20 %", "enabled": true},
                {"name": "video", "label": "Video", "value": "https://v.example/1", "enabled": false}
            ]}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{product}");
    let pid = product["id"].as_str().unwrap();
    let (st, body) = status_json(
        b.post(
            "/api/v1/products",
            &json!({"name": "x", "variables": [{"name": "username"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a lead field cannot be a product variable"
    );
    assert!(
        body["error"]["details"]["fields"]["variables"].is_array(),
        "{body}"
    );

    let (_, lead) = status_json(
        b.post(
            "/api/v1/leads",
            &json!({"username": "gruene.kueche", "full_name": "Jürgen 👨‍🍳", "followers": 4200}),
        )
        .await,
    )
    .await;
    let lead_id = lead["id"].as_str().unwrap();

    // Unknown variable and unbalanced block → 422 naming line and column, nothing saved.
    let bad = "Hallo {{full_name}},\n[IF discount_enabled]Rabatt: {{discont}}\n";
    let (st, body) = status_json(
        b.post(
            "/api/v1/prompts",
            &json!({"name": "Erstkontakt", "product_id": pid, "body": bad}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = body["error"]["details"]["fields"]["body"]
        .as_array()
        .unwrap();
    let found: Vec<(String, u64, u64)> = errors
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_owned(),
                e["line"].as_u64().unwrap(),
                e["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        found.contains(&("unknown_variable".into(), 2, 30)),
        "{found:?}"
    );
    assert!(found.contains(&("unclosed_if".into(), 2, 1)), "{found:?}");
    let (_, list) = status_json(b.get("/api/v1/prompts").await).await;
    assert_eq!(list.as_array().unwrap().len(), 0);

    let body1 = "Hallo {{full_name}} (@{{username}}), {{followers}} Follower!\n[IF discount_enabled]\nRabatt: {{discount}}\n[ELSE]\nKein Rabatt.\n[/IF]\n[IF video_enabled]Video: {{video}}[/IF]Produkt: {{product_name}}";
    let (st, prompt) = status_json(
        b.post(
            "/api/v1/prompts",
            &json!({"name": "Erstkontakt", "product_id": pid, "body": body1}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{prompt}");
    assert_eq!(prompt["version"], 1);
    let id = prompt["id"].as_str().unwrap();

    let (st, preview) = status_json(
        b.post(
            "/api/v1/prompts/preview",
            &json!({"body": body1, "product_id": pid, "lead_id": lead_id}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        preview["rendered"],
        "Hallo Jürgen 👨‍🍳 (@gruene.kueche), 4200 Follower!\nRabatt: 20 %\nProdukt: Kochkurs"
    );
    let (_, preview) = status_json(
        b.post(
            "/api/v1/prompts/preview",
            &json!({"body": "{{nope}}", "product_id": pid}),
        )
        .await,
    )
    .await;
    assert_eq!(preview["errors"][0]["code"], "unknown_variable");

    // Saving a changed body makes version 2; the old one is kept. Same body: no new version.
    let body2 = format!("{body1}\nGrüße");
    let (_, saved) = status_json(
        b.put(
            &format!("/api/v1/prompts/{id}"),
            &json!({"name": "Erstkontakt", "product_id": pid, "body": body2}),
        )
        .await,
    )
    .await;
    assert_eq!(saved["version"], 2);
    let (_, saved) = status_json(
        b.put(
            &format!("/api/v1/prompts/{id}"),
            &json!({"name": "Erstkontakt v2", "product_id": pid, "body": body2}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (saved["version"].as_i64(), saved["name"].as_str()),
        (Some(2), Some("Erstkontakt v2"))
    );
    let (_, versions) = status_json(b.get(&format!("/api/v1/prompts/{id}/versions")).await).await;
    assert_eq!(
        versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(versions[1]["body"], body1);

    let (_, names) = status_json(
        b.get(&format!("/api/v1/prompts/variables?product_id={pid}"))
            .await,
    )
    .await;
    assert!(names["variables"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v == "discount"));
    assert_eq!(names["flags"], json!(["discount_enabled", "video_enabled"]));

    // Tenancy: another user sees none of it.
    let other = app.user(&admin, "olga", "user").await;
    assert_eq!(
        other.b.get(&format!("/api/v1/prompts/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other
            .b
            .get(&format!("/api/v1/products/{pid}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let (st, _) = status_json(
        other
            .b
            .post(
                "/api/v1/prompts/preview",
                &json!({"body": "x", "lead_id": lead_id}),
            )
            .await,
    )
    .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "someone else's lead is unknown"
    );
}
