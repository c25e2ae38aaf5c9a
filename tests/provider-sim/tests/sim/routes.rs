//! Every route answers in the documented shape.

use crate::{query_param, T};
use serde_json::{json, Value};

#[tokio::test]
async fn instagram_login_tokens_profile_messages_and_insights() {
    let t = T::new();
    // The authorize page approves at once and redirects with code, state and the `#_` suffix.
    let r = t
        .get("/instagram-www/oauth/authorize?client_id=app1&redirect_uri=http%3A%2F%2Flocalhost%2Fcb&response_type=code&scope=instagram_business_basic%2Cinstagram_business_manage_messages&state=xyz")
        .await;
    assert_eq!(r.status, 302);
    let loc = r.header("location").unwrap();
    assert!(loc.starts_with("http://localhost/cb?"), "{loc}");
    assert!(loc.ends_with("#_"), "{loc}");
    assert_eq!(query_param(&loc, "state").as_deref(), Some("xyz"));
    let code = query_param(&loc, "code").unwrap();

    // Code exchange: the documented `data` envelope by default.
    let form = [
        ("client_id", "app1"),
        ("client_secret", "secret1"),
        ("grant_type", "authorization_code"),
        ("redirect_uri", "http://localhost/cb"),
        ("code", code.as_str()),
    ];
    let r = t
        .send_form("POST", "/instagram-api/oauth/access_token", &[], &form)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    let short = v["data"][0]["access_token"].as_str().unwrap().to_string();
    let ig_id = v["data"][0]["user_id"].as_str().unwrap().to_string();
    assert!(ig_id.starts_with("17841"));
    assert_eq!(
        v["data"][0]["permissions"],
        "instagram_business_basic,instagram_business_manage_messages"
    );
    // A code works once.
    let r = t
        .send_form("POST", "/instagram-api/oauth/access_token", &[], &form)
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error_type"], "OAuthException");

    // The observed flat shape behind a flag.
    t.control("flags", json!({"instagram_token_envelope": "flat"}))
        .await;
    let mut form2 = form;
    form2[4] = ("code", "AQanycode");
    let v = t
        .send_form("POST", "/instagram-api/oauth/access_token", &[], &form2)
        .await
        .json();
    assert!(
        v["access_token"].is_string() && v["user_id"].is_u64(),
        "{v}"
    );

    let v = t
        .get(&format!("/instagram-graph/access_token?grant_type=ig_exchange_token&client_secret=s&access_token={short}"))
        .await
        .json();
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 5183944);
    let long = v["access_token"].as_str().unwrap().to_string();
    let v = t
        .get(&format!(
            "/instagram-graph/refresh_access_token?grant_type=ig_refresh_token&access_token={long}"
        ))
        .await
        .json();
    assert!(v["access_token"].as_str().unwrap().starts_with("IGAA"));

    let v = t
        .get(&format!(
            "/instagram-graph/v25.0/me?fields=user_id,username,name,account_type,followers_count&access_token={long}"
        ))
        .await
        .json();
    assert_eq!(
        v["user_id"],
        ig_id.as_str(),
        "the token stands for the account that authorized: {v}"
    );
    assert!(v["id"].is_string() && v["username"].is_string() && v["followers_count"].is_u64());
    assert!(v.get("media_count").is_none(), "only the asked fields");

    let r = t
        .post_json(
            "/instagram-graph/v25.0/me/messages",
            Some(&long),
            &json!({"recipient": {"id": "9123"}, "message": {"text": "Hallo"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["recipient_id"], "9123");
    assert!(r.json()["message_id"].is_string());
    t.control("flags", json!({"instagram_messaging_window_closed": true}))
        .await;
    let r = t
        .post_json(
            &format!("/instagram-graph/v25.0/{ig_id}/messages"),
            Some(&long),
            &json!({"recipient": {"id": "9123"}, "message": {"text": "Hallo"}}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["error_subcode"], 2534022);

    let r = t
        .send_form(
            "POST",
            &format!("/instagram-graph/v25.0/me/subscribed_apps?subscribed_fields=messages&access_token={long}"),
            &[],
            &[],
        )
        .await;
    assert_eq!(r.json(), json!({"success": true}));

    let v = t
        .get_auth(
            &format!("/instagram-graph/v25.0/{ig_id}/insights?metric=reach,views&period=day"),
            &long,
        )
        .await
        .json();
    let data = v["data"].as_array().unwrap();
    // Accounts under 100 followers have no data (an empty array, not 0).
    if !data.is_empty() {
        assert_eq!(data[0]["name"], "reach");
        assert!(
            data[0]["values"][0]["value"].is_u64() && data[0]["values"][0]["end_time"].is_string()
        );
        let v = t
            .get_auth(
                &format!("/instagram-graph/v25.0/{ig_id}/insights?metric=reach&period=day&metric_type=total_value"),
                &long,
            )
            .await
            .json();
        assert!(v["data"][0]["total_value"]["value"].is_u64(), "{v}");
    }
    let r = t
        .get_auth(
            &format!("/instagram-graph/v25.0/{ig_id}/insights?metric=impressions"),
            &long,
        )
        .await;
    assert_eq!(r.status, 400, "impressions is deprecated");
    assert_eq!(r.json()["error"]["code"], 100);
    let v = t
        .get_auth(
            "/instagram-graph/v25.0/17912345678901234/insights?metric=views,reach,saved",
            &long,
        )
        .await
        .json();
    assert_eq!(v["data"].as_array().unwrap().len(), 3);
    assert_eq!(v["data"][0]["period"], "lifetime");

    // Credentials: `invalid` and `expired` tokens get Graph's code 190.
    let r = t
        .get("/instagram-graph/v25.0/me?fields=username&access_token=IGAAinvalid")
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (400, json!(190))
    );
    let r = t
        .get("/instagram-graph/v25.0/me?fields=username&access_token=IGAAexpired")
        .await;
    assert_eq!(r.json()["error"]["error_subcode"], 463);
    assert_eq!(t.count("instagram", "code_exchange").await, 3);
}

#[tokio::test]
async fn apify_sync_async_runs_and_dataset_paging() {
    let t = T::new();
    let r = t
        .post_json(
            "/apify/v2/acts/apify~instagram-hashtag-scraper/run-sync-get-dataset-items?maxItems=5",
            Some("apify_api_x"),
            &json!({"hashtags": ["#fitness"], "resultsLimit": 10}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let items = r.json();
    assert_eq!(items.as_array().unwrap().len(), 5);
    assert_eq!(r.header("x-apify-pagination-total").as_deref(), Some("5"));
    for k in [
        "id",
        "type",
        "shortCode",
        "url",
        "caption",
        "hashtags",
        "likesCount",
        "timestamp",
        "ownerUsername",
        "ownerId",
    ] {
        assert!(items[0].get(k).is_some(), "{k} missing in {}", items[0]);
    }
    assert!(items[0]["hashtags"]
        .as_array()
        .unwrap()
        .contains(&json!("fitness")));

    // Profiles, `/v2/actors/…` served too; a missing account is left out.
    let r = t
        .post_json(
            "/apify/v2/actors/apify~instagram-profile-scraper/run-sync-get-dataset-items?token=apify_api_x",
            None,
            &json!({"usernames": ["anna.fitness", "missing_nobody", "@max_yoga_berlin"]}),
        )
        .await;
    let items = r.json();
    assert_eq!(items.as_array().unwrap().len(), 2, "{items}");
    for k in [
        "username",
        "fullName",
        "biography",
        "followersCount",
        "isBusinessAccount",
        "private",
        "businessEmail",
    ] {
        assert!(items[0].get(k).is_some(), "{k} missing");
    }
    t.control("flags", json!({"apify_contact_fields": false}))
        .await;
    let items = t
        .post_json(
            "/apify/v2/acts/apify~instagram-profile-scraper/run-sync-get-dataset-items",
            Some("apify_api_x"),
            &json!({"usernames": ["anna.fitness"]}),
        )
        .await
        .json();
    assert!(items[0].get("businessEmail").is_none() && items[0].get("publicEmail").is_none());

    // Async: READY → RUNNING → SUCCEEDED across polls, then the dataset pages.
    let r = t
        .post_json(
            "/apify/v2/acts/apify~instagram-hashtag-scraper/runs",
            Some("apify_api_x"),
            &json!({"hashtags": ["yoga"], "resultsLimit": 25}),
        )
        .await;
    assert_eq!(r.status, 201);
    let run = r.json()["data"].clone();
    assert_eq!(run["status"], "READY");
    let id = run["id"].as_str().unwrap();
    let ds = run["defaultDatasetId"].as_str().unwrap();
    let statuses: Vec<Value> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(
                t.get_auth(
                    &format!("/apify/v2/actor-runs/{id}?waitForFinish=60"),
                    "apify_api_x",
                )
                .await
                .json()["data"]["status"]
                    .clone(),
            );
        }
        v
    };
    assert_eq!(
        statuses,
        vec![json!("RUNNING"), json!("SUCCEEDED"), json!("SUCCEEDED")]
    );
    let r = t
        .get_auth(
            &format!("/apify/v2/datasets/{ds}/items?format=json&clean=true&offset=20&limit=10"),
            "apify_api_x",
        )
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 5);
    assert_eq!(r.header("x-apify-pagination-offset").as_deref(), Some("20"));
    assert_eq!(r.header("x-apify-pagination-total").as_deref(), Some("25"));
    let r = t
        .get_auth(
            &format!("/apify/v2/actor-runs/{id}/dataset/items?fields=id,ownerUsername&limit=2"),
            "apify_api_x",
        )
        .await;
    let v = r.json();
    assert_eq!(
        v[0].as_object().unwrap().len(),
        2,
        "fields= keeps only those: {v}"
    );

    // Errors in Apify's shape.
    let r = t
        .post_json(
            "/apify/v2/acts/apify~instagram-hashtag-scraper/runs",
            Some("apify_api_invalid"),
            &json!({"hashtags": ["a"]}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["type"].clone()),
        (401, json!("user-or-token-not-found"))
    );
    let r = t
        .post_json(
            "/apify/v2/acts/apify~instagram-hashtag-scraper/runs",
            Some("k"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["type"].clone()),
        (400, json!("invalid-input"))
    );
    let r = t
        .post_json(
            "/apify/v2/acts/someone~other-actor/runs",
            Some("k"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["type"].clone()),
        (404, json!("record-not-found"))
    );
    let r = t.get_auth("/apify/v2/actor-runs/nope", "k").await;
    assert_eq!(r.status, 404);
}

fn perplexity_body(handle: &str) -> Value {
    json!({
        "model": "sonar",
        "messages": [{"role": "system", "content": "Find public contact details."}, {"role": "user", "content": format!("Instagram account: @{handle}")}],
        "response_format": {"type": "json_schema", "json_schema": {"schema": {
            "type": "object",
            "properties": {"email": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]}, "website": {"type": ["string", "null"]}, "found": {"type": "boolean"}},
            "required": ["email", "phone", "website", "found"]
        }}}
    })
}

#[tokio::test]
async fn perplexity_finds_contacts_for_some_accounts_and_not_others() {
    let t = T::new();
    let pool: Vec<String> = {
        let items = t
            .post_json(
                "/apify/v2/acts/apify~instagram-hashtag-scraper/run-sync-get-dataset-items",
                Some("k"),
                &json!({"hashtags": ["fitness", "yoga"], "resultsLimit": 30}),
            )
            .await
            .json();
        let mut v: Vec<String> = items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["ownerUsername"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let (mut found, mut not_found) = (0, 0);
    for h in pool.iter().take(20) {
        let r = t
            .post_json(
                "/perplexity/chat/completions",
                Some("pplx-k"),
                &perplexity_body(h),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let v = r.json();
        let answer: Value =
            serde_json::from_str(v["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
        assert!(v["citations"].as_array().is_some_and(|c| !c.is_empty()));
        assert!(v["search_results"][0]["url"].is_string());
        assert!(v["usage"]["total_tokens"].as_u64().unwrap() > 0);
        if answer["found"] == json!(true) {
            assert!(answer["email"].as_str().unwrap().contains('@'), "{answer}");
            found += 1;
        } else {
            assert!(answer["email"].is_null());
            not_found += 1;
        }
    }
    assert!(
        found > 0 && not_found > 0,
        "found {found}, not found {not_found}"
    );

    // A plain answer names the account (the name the profile shows).
    let prof = t
        .post_json(
            "/apify/v2/acts/apify~instagram-profile-scraper/run-sync-get-dataset-items",
            Some("k"),
            &json!({"usernames": [pool[0]]}),
        )
        .await
        .json();
    let name = prof[0]["fullName"].as_str().unwrap().to_string();
    let v = t
        .post_json(
            "/perplexity/chat/completions",
            Some("pplx-k"),
            &json!({"model": "sonar-pro", "messages": [{"role": "user", "content": format!("Kontaktdaten von @{}?", pool[0])}]}),
        )
        .await
        .json();
    let text = v["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.contains(&name), "{text} should name {name}");

    // Unconfirmed shapes behind flags: no citations / search_results, a <think> prefix.
    t.control("flags", json!({"perplexity_citations": false, "perplexity_search_results": false, "perplexity_think_prefix": true})).await;
    let v = t
        .post_json(
            "/perplexity/chat/completions",
            Some("pplx-k"),
            &perplexity_body("anna.fitness"),
        )
        .await
        .json();
    assert!(v.get("citations").is_none() && v.get("search_results").is_none());
    assert!(v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .starts_with("<think>"));
    let r = t
        .post_json(
            "/perplexity/chat/completions",
            Some("pplx-k"),
            &json!({"model": "gpt-4", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = t
        .post_json(
            "/perplexity/chat/completions",
            Some("pplx-invalid"),
            &perplexity_body("a"),
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r.json()["error"]["message"].is_string());
}

#[tokio::test]
async fn openai_follows_the_schema_echoes_the_lead_and_counts_tokens() {
    let t = T::new();
    let body = json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Write a short outreach e-mail in German."},
            {"role": "user", "content": "Lead:\nusername: lena.yoga\nfull_name: Lena Schäfer\nbio: Yoga aus Köln"}
        ],
        "response_format": {"type": "json_schema", "json_schema": {"name": "outreach_email", "strict": true, "schema": {
            "type": "object", "additionalProperties": false,
            "required": ["subject", "body", "greeting_name", "tone", "personalization_score", "tags"],
            "properties": {
                "subject": {"type": "string"}, "body": {"type": "string"}, "greeting_name": {"type": "string"},
                "tone": {"type": "string", "enum": ["friendly", "formal"]},
                "personalization_score": {"type": "integer", "minimum": 0, "maximum": 10},
                "tags": {"type": "array", "items": {"type": "string"}}
            }
        }}}
    });
    let r = t
        .post_json("/openai/v1/chat/completions", Some("sk-test"), &body)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["object"], "chat.completion");
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert!(v["choices"][0]["message"]["refusal"].is_null());
    let u = &v["usage"];
    assert_eq!(
        u["total_tokens"].as_u64(),
        Some(u["prompt_tokens"].as_u64().unwrap() + u["completion_tokens"].as_u64().unwrap())
    );
    assert!(
        r.header("x-ratelimit-remaining-requests").is_some() && r.header("x-request-id").is_some()
    );
    let answer: Value =
        serde_json::from_str(v["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    for k in [
        "subject",
        "body",
        "greeting_name",
        "tone",
        "personalization_score",
        "tags",
    ] {
        assert!(answer.get(k).is_some(), "{k} missing: {answer}");
    }
    assert!(
        answer["body"].as_str().unwrap().contains("Lena"),
        "{answer}"
    );
    assert_eq!(answer["greeting_name"], "Lena Schäfer");
    assert_eq!(answer["tone"], "friendly");
    assert!((0..=10).contains(&answer["personalization_score"].as_i64().unwrap()));
    assert!(answer["tags"].is_array());

    // A strict schema that is not strict is refused like OpenAI does.
    let mut bad = body.clone();
    bad["response_format"]["json_schema"]["schema"]["required"] = json!(["subject"]);
    let r = t
        .post_json("/openai/v1/chat/completions", Some("sk-test"), &bad)
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["type"], "invalid_request_error");

    // Refusals and <think> prefixes behind flags.
    t.control("flags", json!({"openai_refusal": true})).await;
    let v = t
        .post_json("/openai/v1/chat/completions", Some("sk-test"), &body)
        .await
        .json();
    assert!(v["choices"][0]["message"]["content"].is_null());
    assert!(v["choices"][0]["message"]["refusal"].is_string());
    t.control(
        "flags",
        json!({"openai_refusal": false, "openai_think_prefix": true}),
    )
    .await;
    let v = t
        .post_json("/openai/v1/chat/completions", Some("sk-test"), &body)
        .await
        .json();
    let content = v["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(content.starts_with("<think>") && content.contains("</think>"));

    // Plain text echoes the lead too; a bad key is 401 invalid_api_key.
    t.control("flags", json!({"openai_think_prefix": false}))
        .await;
    let v = t
        .openai("sk-test", "Schreibe an @max_yoga (name: Max Weber)")
        .await
        .json();
    assert!(v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("Max"));
    let r = t.openai("sk-invalid", "x").await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (401, json!("invalid_api_key"))
    );
    let r = t.openai("sk-expired", "x").await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn google_consent_token_and_refresh() {
    let t = T::new();
    let r = t
        .get("/google-accounts/o/oauth2/v2/auth?client_id=cid&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcb&response_type=code&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fgmail.send&access_type=offline&prompt=consent&state=s1&login_hint=jo%40example.de")
        .await;
    assert_eq!(r.status, 302);
    let loc = r.header("location").unwrap();
    assert!(loc.starts_with("http://localhost:8080/cb?"));
    assert_eq!(query_param(&loc, "state").as_deref(), Some("s1"));
    let code = query_param(&loc, "code").unwrap();
    let form = [
        ("code", code.as_str()),
        ("client_id", "cid"),
        ("client_secret", "csecret"),
        ("redirect_uri", "http://localhost:8080/cb"),
        ("grant_type", "authorization_code"),
    ];
    let v = t
        .send_form("POST", "/google-oauth/token", &[], &form)
        .await
        .json();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3599);
    let access = v["access_token"].as_str().unwrap().to_string();
    let refresh = v["refresh_token"].as_str().unwrap().to_string();
    let r = t.send_form("POST", "/google-oauth/token", &[], &form).await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (400, json!("invalid_grant")),
        "a code works once"
    );

    // The token stands for the mailbox that consented.
    let v = t
        .get_auth("/gmail/gmail/v1/users/me/profile", &access)
        .await
        .json();
    assert_eq!(v["emailAddress"], "jo@example.de");

    let v = t
        .send_form(
            "POST",
            "/google-oauth/token",
            &[],
            &[
                ("client_id", "cid"),
                ("client_secret", "csecret"),
                ("refresh_token", &refresh),
                ("grant_type", "refresh_token"),
            ],
        )
        .await
        .json();
    assert!(
        v["access_token"].is_string() && v.get("refresh_token").is_none(),
        "{v}"
    );
    let r = t
        .send_form(
            "POST",
            "/google-oauth/token",
            &[],
            &[
                ("client_id", "cid"),
                ("client_secret", "csecret"),
                ("refresh_token", "1//expired"),
                ("grant_type", "refresh_token"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
    let r = t
        .send_form(
            "POST",
            "/google-oauth/token",
            &[],
            &[
                ("client_id", "cid"),
                ("client_secret", "invalid"),
                ("refresh_token", "1//x"),
                ("grant_type", "refresh_token"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (401, json!("invalid_client"))
    );
    let r = t
        .get_auth("/gmail/gmail/v1/users/me/profile", "ya29.expired")
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["errors"][0]["reason"].clone()),
        (401, json!("authError"))
    );
}

#[tokio::test]
async fn sidecar_sessions_2fa_challenge_and_actions() {
    let t = T::new();
    let r = t
        .send_form(
            "POST",
            "/sidecar/auth/login",
            &[],
            &[("username", "shop.owner"), ("password", "pw")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sid: String = serde_json::from_str(&r.text).unwrap();
    let h = [("X-Session-ID", sid.as_str())];

    let r = t
        .send_form(
            "POST",
            "/sidecar/auth/login",
            &[],
            &[("username", "a"), ("password", "wrong")],
        )
        .await;
    assert_eq!(
        (r.status, r.json()["exc_type"].clone()),
        (500, json!("BadPassword"))
    );
    let r = t
        .send_form(
            "POST",
            "/sidecar/auth/login",
            &[],
            &[("username", "twofa_anna"), ("password", "pw")],
        )
        .await;
    assert_eq!(r.json()["exc_type"], "TwoFactorRequired");
    let r = t
        .send_form(
            "POST",
            "/sidecar/auth/login",
            &[],
            &[
                ("username", "twofa_anna"),
                ("password", "pw"),
                ("verification_code", "123456"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = t
        .send_form(
            "POST",
            "/sidecar/auth/login",
            &[],
            &[("username", "challenge_bob"), ("password", "pw")],
        )
        .await;
    assert_eq!(r.json()["exc_type"], "ChallengeRequired");
    let r = t
        .send_form(
            "POST",
            "/sidecar/auth/challenge/resolve",
            &[],
            &[("username", "challenge_bob"), ("last_json", "{}")],
        )
        .await;
    assert_eq!(r.text, "true");
    let r = t
        .send_form(
            "POST",
            "/sidecar/auth/login",
            &[],
            &[("username", "challenge_bob"), ("password", "pw")],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = t
        .send_form("POST", "/sidecar/auth/login", &[], &[("username", "x")])
        .await;
    assert_eq!(r.status, 422);

    // No session → 401; an unknown one → 500 Exception; an expired one → LoginRequired.
    let r = t
        .get("/sidecar/user/info/by/username?username=anna.fitness")
        .await;
    assert_eq!(
        (r.status, r.json()["detail"].clone()),
        (401, json!("Session ID required"))
    );
    let r = t
        .send_form(
            "GET",
            "/sidecar/user/info/by/username?username=a",
            &[("X-Session-ID", "nope")],
            &[],
        )
        .await;
    assert_eq!(r.json()["exc_type"], "Exception");
    let r = t
        .send_form(
            "GET",
            "/sidecar/user/info/by/username?username=a",
            &[("X-Session-ID", "1%3Aexpired")],
            &[],
        )
        .await;
    assert_eq!(r.json()["exc_type"], "LoginRequired");

    let s = t
        .send_form("GET", "/sidecar/auth/settings", &h, &[])
        .await
        .json();
    assert_eq!(s["authorization_data"]["sessionid"], sid.as_str());
    let mut s2 = s.clone();
    s2["locale"] = json!("en_US");
    let r = t
        .send_form(
            "PATCH",
            "/sidecar/auth/settings",
            &h,
            &[("settings", &s2.to_string())],
        )
        .await;
    assert_eq!(serde_json::from_str::<String>(&r.text).unwrap(), sid);
    assert_eq!(
        t.send_form("GET", "/sidecar/auth/settings", &h, &[])
            .await
            .json()["locale"],
        "en_US"
    );
    let r = t
        .send_form(
            "POST",
            "/sidecar/auth/login/by/sessionid",
            &[],
            &[("sessionid", "4242424242%3Aabc%3A1")],
        )
        .await;
    assert_eq!(r.json(), json!("4242424242%3Aabc%3A1"));
    assert_eq!(
        t.send_form("PATCH", "/sidecar/auth/relogin", &h, &[])
            .await
            .text,
        "true"
    );

    let u = t
        .send_form(
            "GET",
            "/sidecar/user/info/by/username?username=anna.fitness",
            &h,
            &[],
        )
        .await
        .json();
    for k in [
        "pk",
        "username",
        "full_name",
        "is_private",
        "is_verified",
        "follower_count",
        "following_count",
        "media_count",
        "biography",
        "external_url",
        "is_business",
        "public_email",
        "contact_phone_number",
        "business_category_name",
    ] {
        assert!(u.get(k).is_some(), "{k} missing");
    }
    let pk = u["pk"].as_str().unwrap().to_string();
    let u2 = t
        .send_form("GET", &format!("/sidecar/user/info?user_id={pk}"), &h, &[])
        .await
        .json();
    assert_eq!(u2["username"], "anna.fitness");
    let r = t
        .send_form(
            "GET",
            "/sidecar/user/info/by/username?username=missing_x",
            &h,
            &[],
        )
        .await;
    assert_eq!(r.json()["exc_type"], "UserNotFound");

    assert_eq!(
        t.send_form("POST", "/sidecar/user/follow", &h, &[("user_id", &pk)])
            .await
            .text,
        "true"
    );
    let tops = t
        .send_form(
            "GET",
            "/sidecar/hashtag/medias/top?name=fitness&amount=9",
            &h,
            &[],
        )
        .await
        .json();
    assert_eq!(tops.as_array().unwrap().len(), 9);
    let likes: Vec<u64> = tops
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["like_count"].as_u64().unwrap())
        .collect();
    assert!(
        likes.windows(2).all(|w| w[0] >= w[1]),
        "top = most liked first"
    );
    let recent = t
        .send_form(
            "GET",
            "/sidecar/hashtag/medias/recent?name=fitness",
            &h,
            &[],
        )
        .await
        .json();
    assert_eq!(recent.as_array().unwrap().len(), 27);
    let m = &recent[0];
    for k in [
        "pk",
        "id",
        "code",
        "taken_at",
        "media_type",
        "user",
        "like_count",
        "comment_count",
        "caption_text",
    ] {
        assert!(m.get(k).is_some(), "{k} missing");
    }
    let media_id = m["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.send_form(
            "POST",
            "/sidecar/media/like",
            &h,
            &[("media_id", &media_id)]
        )
        .await
        .text,
        "true"
    );
    let snap = t.get("/_sim/sidecar").await.json();
    assert_eq!(snap["follows"][0]["user_id"], pk.as_str());
    assert_eq!(snap["likes"][0]["media_id"], media_id.as_str());
    t.send_form(
        "DELETE",
        &format!("/sidecar/user/follow?user_id={pk}"),
        &h,
        &[],
    )
    .await;
    t.send_form(
        "DELETE",
        &format!("/sidecar/media/like?media_id={media_id}"),
        &h,
        &[],
    )
    .await;
    let snap = t.get("/_sim/sidecar").await.json();
    assert!(
        snap["follows"].as_array().unwrap().is_empty()
            && snap["likes"].as_array().unwrap().is_empty()
    );

    let dm = t
        .send_form(
            "POST",
            "/sidecar/direct/message",
            &h,
            &[("text", "Hi!"), ("user_ids", &pk)],
        )
        .await
        .json();
    for k in [
        "id",
        "user_id",
        "thread_id",
        "timestamp",
        "item_type",
        "text",
    ] {
        assert!(dm.get(k).is_some(), "{k} missing");
    }
    let r = t
        .send_form(
            "POST",
            "/sidecar/direct/message",
            &h,
            &[("text", "Hi!"), ("user_ids", &pk), ("thread_ids", "1")],
        )
        .await;
    assert_eq!(r.status, 422, "both");
    let r = t
        .send_form("POST", "/sidecar/direct/message", &h, &[("text", "Hi!")])
        .await;
    assert_eq!(r.status, 422, "neither");
}

#[tokio::test]
async fn telegram_send_message() {
    let t = T::new();
    let r = t
        .post_json(
            "/telegram/bot123:ABC/sendMessage",
            None,
            &json!({"chat_id": 42, "text": "<b>Challenge</b>", "parse_mode": "HTML"}),
        )
        .await;
    let v = r.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["result"]["chat"]["id"], 42);
    assert!(v["result"]["message_id"].is_u64());
    let r = t
        .post_json(
            "/telegram/bot123:invalid/sendMessage",
            None,
            &json!({"chat_id": 42, "text": "x"}),
        )
        .await;
    assert_eq!((r.status, r.json()["ok"].clone()), (401, json!(false)));
    let r = t
        .post_json(
            "/telegram/bot123:ABC/sendMessage",
            None,
            &json!({"chat_id": 42, "text": "x".repeat(4097)}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error_code"].clone()),
        (400, json!(400))
    );
}

#[tokio::test]
async fn instagram_webhook_push_is_signed_with_the_app_secret() {
    use hmac::{Hmac, Mac};
    let t = T::new();
    // The sandbox delivers to any URL; here to its own Telegram route, which records the raw body and headers.
    let target = t.u("/telegram/botX:hook/sendMessage");
    let v = t
        .control("instagram/webhook", json!({"url": target, "app_secret": "s3cret", "event": null, "kind": "message", "text": "Hallo!"}))
        .await;
    assert_eq!(v["status"], 400, "what the URL answered: {v}");
    let recs = t.get("/_sim/requests?provider=telegram").await.json();
    let rec = &recs["requests"][0];
    let body = rec["body"].as_str().unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(body.as_bytes());
    let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(rec["headers"]["x-hub-signature-256"], want.as_str());
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["object"], "instagram");
    assert_eq!(
        event["entry"][0]["messaging"][0]["message"]["text"],
        "Hallo!"
    );
    assert_eq!(event, v["event"]);
}
