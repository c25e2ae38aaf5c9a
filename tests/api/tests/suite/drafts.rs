//! E-mail drafts against the sandbox's OpenAI: written by a job through `draft_for_lead` (the prompt rendered with
//! the product's variables, strict `{subject, body}` schema, the lead set `email_drafted`), never twice for a repeated
//! job; the review queue (filters, edit, approve/reject many, regenerate with an instruction); do-not-contact leads
//! never shown; someone else's drafts are not found; viewers cannot write.

use leadgen_api_tests::*;
use leadgen_db::models::effect::Effect;
use leadgen_db::models::job::{Job, NewJob, COMPLETED};
use leadgen_db::models::provider_setting::ProviderCall;
use leadgen_server::drafts::test_job::KIND;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

struct Setup {
    app: TestApp,
    sim: provider_sim::SimHandle,
    admin: Account,
    mia: Account,
}

async fn setup() -> Setup {
    let sim = provider_sim::spawn(1);
    let base = sim.base_url();
    let app = spawn_app_with(|s| {
        leadgen_server::cli::point_at_sandbox(s, &base);
        s.jobs_test_kinds = true;
        s.jobs_poll_ms = 100;
    })
    .await;
    let admin = app.first_admin().await;
    let (status, body) = status_json(
        admin
            .b
            .put(
                "/api/v1/admin/providers",
                &json!({"settings": [
                    {"provider": "openai", "field": "api_key", "value": "sk-proj-live-cafe-babe-1234"},
                    {"provider": "openai", "field": "model", "value": "gpt-4o-mini"},
                ]}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mia = app.user(&admin, "mia", "user").await;
    Setup {
        app,
        sim,
        admin,
        mia,
    }
}

async fn created(res: reqwest::Response) -> Value {
    let (status, body) = status_json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn ok(res: reqwest::Response) -> Value {
    let (status, body) = status_json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn product(b: &Browser, name: &str, vars: Value) -> String {
    created(
        b.post(
            "/api/v1/products",
            &json!({"name": name, "description": "Eco yoga mats", "variables": vars}),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn lead(b: &Browser, body: Value) -> String {
    created(b.post("/api/v1/leads", &body).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs the test job over these leads and waits for it; its per-lead results.
async fn run_drafts(
    app: &TestApp,
    owner: &Account,
    product_id: &str,
    lead_ids: &[&str],
    session_id: Option<&str>,
) -> Vec<Value> {
    let id = {
        let mut c = app.state.db.get().unwrap();
        let args = json!({"user_id": owner.id, "product_id": product_id, "lead_ids": lead_ids, "session_id": session_id});
        Job::enqueue(
            &mut c,
            &NewJob::new(KIND, args).owner(&owner.id),
            app.state.clock.now(),
        )
        .unwrap()
        .job()
        .id
        .clone()
    };
    for _ in 0..600 {
        let job = {
            let mut c = app.state.db.get().unwrap();
            Job::get(&mut c, &id).unwrap()
        };
        if job.state == COMPLETED {
            let p: Value = serde_json::from_str(job.progress.as_deref().unwrap()).unwrap();
            return p["results"].as_array().unwrap().clone();
        }
        assert!(
            !["discarded", "cancelled", "retryable"].contains(&job.state.as_str()),
            "the job failed: {:?}",
            job.last_error
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the drafts job did not finish");
}

async fn openai_requests(sim: &provider_sim::SimHandle) -> Vec<Value> {
    let v: Value = reqwest::get(format!("{}/_sim/requests?provider=openai", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["requests"].as_array().unwrap().clone()
}

async fn drafts(b: &Browser, query: &str) -> Value {
    ok(b.get(&format!("/api/v1/drafts{query}")).await).await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

fn usernames(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["username"].as_str().unwrap())
        .collect()
}

fn field_of(body: &Value) -> Vec<String> {
    body["error"]["details"]["fields"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_job_writes_one_draft_per_qualifying_lead_and_a_repeat_pays_nothing() {
    let Setup { app, sim, mia, .. } = setup().await;
    let b = &mia.b;
    let pid = product(
        b,
        "Yoga mats",
        json!([
            {"name": "discount", "label": "Discount", "value": "15 % off", "enabled": true},
            {"name": "secret_offer", "label": "Hidden", "value": "free shipping", "enabled": false},
        ]),
    )
    .await;
    created(b.post("/api/v1/prompts", &json!({
        "name": "Mats", "product_id": pid,
        "body": "You write for {{product_name}} to {{full_name}}.[IF discount_enabled] Mention {{discount}}.[/IF][IF secret_offer_enabled] Offer {{secret_offer}}.[/IF]",
    })).await).await;
    let anna = lead(b, json!({"username": "anna.fitness", "full_name": "Anna Müller", "email": "anna@example.com", "biography": "Yoga in Berlin"})).await;
    let ben = lead(b, json!({"username": "ben", "full_name": "Ben"})).await;
    let carl = lead(
        b,
        json!({"username": "carl", "full_name": "Carl", "email": "carl@example.com"}),
    )
    .await;
    created(
        b.post(
            "/api/v1/do-not-contact",
            &json!({"kind": "email", "value": "CARL@example.com"}),
        )
        .await,
    )
    .await;

    let results = run_drafts(&app, &mia, &pid, &[&anna, &ben, &carl], Some("sess-1")).await;
    assert_eq!(results[1]["skipped"], "no_email", "{results:?}");
    assert_eq!(results[2]["skipped"], "do_not_contact", "{results:?}");
    let draft_id = results[0]["draft_id"].as_str().unwrap().to_owned();
    assert!(results[0]["cost_usd"].as_f64().unwrap() > 0.0);

    // One paid call, for Anna: the rendered prompt (enabled variables only), the lead and the variables as data,
    // German, and a strict schema of subject and body.
    let sent = openai_requests(&sim).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body: Value = sent[0]["body"].clone();
    let body: Value = match body {
        Value::String(s) => serde_json::from_str(&s).unwrap(),
        v => v,
    };
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert_eq!(
        system,
        "You write for Yoga mats to Anna Müller. Mention 15 % off."
    );
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("Language: German"), "{user}");
    assert!(user.contains("\"discount\": \"15 % off\""), "{user}");
    assert!(
        !user.contains("free shipping"),
        "a disabled variable stays out: {user}"
    );
    assert!(user.contains("\"username\": \"anna.fitness\""), "{user}");
    let format = &body["response_format"]["json_schema"];
    assert_eq!(format["strict"], true);
    assert_eq!(format["schema"]["required"], json!(["subject", "body"]));
    assert_eq!(body["model"], "gpt-4o-mini");

    // The draft, as the review queue shows it.
    let page = drafts(b, "").await;
    assert_eq!(page["total"], 1, "{page}");
    let d = &page["items"][0];
    assert_eq!(d["id"], draft_id.as_str());
    assert_eq!(
        (&d["username"], &d["email"], &d["status"], &d["session_id"]),
        (
            &json!("anna.fitness"),
            &json!("anna@example.com"),
            &json!("pending"),
            &json!("sess-1")
        )
    );
    assert_eq!(
        (
            &d["product_name"],
            &d["prompt_version"],
            &d["model"],
            &d["language"]
        ),
        (
            &json!("Yoga mats"),
            &json!(1),
            &json!("gpt-4o-mini"),
            &json!("German")
        )
    );
    assert_eq!(d["subject"], "Kooperationsanfrage für Anna Müller");
    assert!(
        d["body"].as_str().unwrap().starts_with("Hallo Anna,"),
        "{d}"
    );

    // The lead shows it: status and its e-mail columns.
    let l = ok(b.get(&format!("/api/v1/leads/{anna}")).await).await;
    assert_eq!(l["status"], "email_drafted");
    assert_eq!(l["email_subject"], d["subject"]);
    assert_eq!(l["email_body"], d["body"]);
    let dash = ok(b.get("/api/v1/dashboard").await).await;
    assert_eq!(dash["attention"]["drafts_to_review"], 1);

    // The call is in the usage record with its tokens.
    let calls: Vec<ProviderCall> = app
        .state
        .db
        .run(|c| ProviderCall::recent(c, None, 100))
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.provider == "openai")
        .collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0].status.as_str(), calls[0].unit.as_deref()),
        ("ok", Some("tokens"))
    );
    assert!(calls[0].units > 0);

    // The same session's stage run again (a resumed or repeated job): no new call, the same draft.
    let again = run_drafts(&app, &mia, &pid, &[&anna, &ben, &carl], Some("sess-1")).await;
    assert_eq!(again[0]["draft_id"], draft_id.as_str());
    assert_eq!(
        openai_requests(&sim).await.len(),
        1,
        "OpenAI was not asked again"
    );
    let mut c = app.state.db.get().unwrap();
    assert_eq!(Effect::count(&mut c, "openai.draft").unwrap(), 1);
    drop(c);

    // Another session writes Anna's draft again: the same draft (one per lead and product), new text.
    let third = run_drafts(&app, &mia, &pid, &[&anna], Some("sess-2")).await;
    assert_eq!(third[0]["draft_id"], draft_id.as_str());
    assert_eq!(openai_requests(&sim).await.len(), 2);
    let page = drafts(b, "").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["session_id"], "sess-2");
}

#[tokio::test]
async fn the_review_queue_filters_edits_and_approves_only_your_drafts() {
    let Setup {
        app,
        admin,
        mia,
        sim: _sim,
    } = setup().await;
    let b = &mia.b;
    let mats = product(b, "Yoga mats", json!([])).await;
    let english = product(
        b,
        "Retreats",
        json!([{"name": "language", "label": "Language", "value": "en", "enabled": true}]),
    )
    .await;
    let prompt = created(
        b.post(
            "/api/v1/prompts",
            &json!({"name": "Mats", "product_id": mats, "body": "Version one for {{username}}."}),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut leads = vec![];
    for name in ["anna", "ben", "cleo", "dora"] {
        leads.push(
            lead(
                b,
                json!({"username": name, "full_name": name.to_uppercase(), "email": format!("{name}@example.com")}),
            )
            .await,
        );
    }
    run_drafts(&app, &mia, &mats, &[&leads[0], &leads[1]], Some("s1")).await;
    ok(b.put(
        &format!("/api/v1/prompts/{prompt}"),
        &json!({"name": "Mats", "product_id": mats, "body": "Version two for {{username}}."}),
    )
    .await)
    .await;
    run_drafts(&app, &mia, &mats, &[&leads[2]], Some("s2")).await;
    run_drafts(&app, &mia, &english, &[&leads[3]], Some("s2")).await;

    assert_eq!(drafts(b, "").await["total"], 4);
    assert_eq!(
        usernames(&drafts(b, "?session_id=s1").await),
        ["ben", "anna"]
    );
    assert_eq!(
        usernames(&drafts(b, &format!("?session_id=s2&product_id={mats}")).await),
        ["cleo"]
    );
    assert_eq!(usernames(&drafts(b, "?prompt_version=2").await), ["cleo"]);
    assert_eq!(
        usernames(&drafts(b, &format!("?product_id={english}")).await),
        ["dora"]
    );
    let page = drafts(b, "?limit=2&offset=1").await;
    assert_eq!((page["total"].as_i64(), ids(&page).len()), (Some(4), 2));
    // The product's language: English.
    let dora = &drafts(b, &format!("?product_id={english}")).await["items"][0];
    assert_eq!(dora["language"], "English");
    assert_eq!(dora["subject"], "Collaboration idea for DORA");
    assert_eq!(dora["prompt_version"], Value::Null, "the built-in prompt");

    let facets = ok(b.get("/api/v1/drafts/facets").await).await;
    assert_eq!(
        facets["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (
                s["session_id"].as_str().unwrap(),
                s["drafts"].as_i64().unwrap()
            ))
            .collect::<Vec<_>>(),
        [("s2", 2), ("s1", 2)]
    );
    assert_eq!(
        facets["prompt_versions"],
        json!([{"prompt_version": 1, "drafts": 2}, {"prompt_version": 2, "drafts": 1}])
    );
    assert_eq!(facets["products"].as_array().unwrap().len(), 2);

    // Bad filters name the parameter.
    for (q, field) in [
        ("?status=maybe", "status"),
        ("?limit=0", "limit"),
        ("?prompt_version=x", "prompt_version"),
    ] {
        let (status, body) = status_json(b.get(&format!("/api/v1/drafts{q}")).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {body}");
        assert_eq!(field_of(&body), [field], "{q}: {body}");
    }

    // Edit: subject and body change, the lead follows; an empty subject is refused and changes nothing.
    let all = ids(&drafts(b, "").await);
    let first = all[3].clone();
    let edited = ok(b
        .patch(
            &format!("/api/v1/drafts/{first}"),
            &json!({"subject": "  Hello Anna  ", "body": "Dear Anna,\nlet us talk."}),
        )
        .await)
    .await;
    assert_eq!(
        (&edited["subject"], &edited["body"], &edited["status"]),
        (
            &json!("Hello Anna"),
            &json!("Dear Anna,\nlet us talk."),
            &json!("pending")
        )
    );
    let anna = ok(b.get(&format!("/api/v1/leads/{}", leads[0])).await).await;
    assert_eq!(anna["email_subject"], "Hello Anna");
    for patch in [json!({"subject": "   "}), json!({"body": ""})] {
        let (status, body) =
            status_json(b.patch(&format!("/api/v1/drafts/{first}"), &patch).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            field_of(&body),
            [patch.as_object().unwrap().keys().next().unwrap().clone()]
        );
    }
    let d = ok(b.get(&format!("/api/v1/drafts/{first}")).await).await;
    assert_eq!(d["subject"], "Hello Anna");

    // Someone else: not found, and her ids change nothing of mia's.
    let tom = app.user(&admin, "tom", "user").await;
    assert_eq!(
        tom.b.get(&format!("/api/v1/drafts/{first}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        tom.b
            .patch(&format!("/api/v1/drafts/{first}"), &json!({"subject": "x"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        tom.b
            .post(&format!("/api/v1/drafts/{first}/regenerate"), &json!({}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let out = ok(tom
        .b
        .post("/api/v1/drafts/approve", &json!({"ids": all}))
        .await)
    .await;
    assert_eq!(out["updated"], 0);
    assert_eq!(drafts(&tom.b, "").await["total"], 0);

    // Viewers read only.
    let vera = app.user(&admin, "vera", "viewer").await;
    for res in [
        vera.b
            .patch(&format!("/api/v1/drafts/{first}"), &json!({"subject": "x"}))
            .await,
        vera.b
            .post("/api/v1/drafts/approve", &json!({"ids": [first]}))
            .await,
        vera.b
            .post(&format!("/api/v1/drafts/{first}/regenerate"), &json!({}))
            .await,
    ] {
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }

    // Approve two (and an unknown id), then reject one of them; counts say what changed.
    let out = ok(b
        .post(
            "/api/v1/drafts/approve",
            &json!({"ids": [all[0], all[1], "no-such-draft"]}),
        )
        .await)
    .await;
    assert_eq!(out["updated"], 2);
    let again = ok(b
        .post("/api/v1/drafts/approve", &json!({"ids": [all[0]]}))
        .await)
    .await;
    assert_eq!(again["updated"], 0, "already approved");
    assert_eq!(drafts(b, "?status=approved").await["total"], 2);
    let out = ok(b
        .post("/api/v1/drafts/reject", &json!({"ids": [all[1]]}))
        .await)
    .await;
    assert_eq!(out["updated"], 1);
    assert_eq!(ids(&drafts(b, "?status=rejected").await), [all[1].clone()]);
    assert_eq!(drafts(b, "?status=pending").await["total"], 2);
    let dash = ok(b.get("/api/v1/dashboard").await).await;
    assert_eq!(dash["attention"]["drafts_to_review"], 2);

    // Too many or no ids: 422 naming `ids`, nothing changed.
    let many: Vec<String> = (0..1001).map(|i| format!("id-{i}")).collect();
    for body in [json!({"ids": many}), json!({"ids": []})] {
        let (status, err) = status_json(b.post("/api/v1/drafts/reject", &body).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(field_of(&err), ["ids"]);
    }
    assert_eq!(drafts(b, "?status=rejected").await["total"], 1);
}

#[tokio::test]
async fn do_not_contact_leads_never_appear_in_the_review_queue() {
    let Setup {
        app,
        mia,
        sim: _sim,
        ..
    } = setup().await;
    let b = &mia.b;
    let pid = product(b, "Yoga mats", json!([])).await;
    let anna = lead(b, json!({"username": "anna", "email": "anna@example.com"})).await;
    let ben = lead(b, json!({"username": "ben", "email": "ben@example.com"})).await;
    run_drafts(&app, &mia, &pid, &[&anna, &ben], None).await;
    let page = drafts(b, "").await;
    assert_eq!(page["total"], 2);
    let anna_draft = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["username"] == "anna")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    created(
        b.post(
            "/api/v1/do-not-contact",
            &json!({"kind": "username", "value": "@Anna"}),
        )
        .await,
    )
    .await;
    assert_eq!(usernames(&drafts(b, "").await), ["ben"]);
    assert_eq!(
        b.get(&format!("/api/v1/drafts/{anna_draft}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let out = ok(b
        .post("/api/v1/drafts/approve", &json!({"ids": [anna_draft]}))
        .await)
    .await;
    assert_eq!(out["updated"], 0);
    assert_eq!(
        b.post(
            &format!("/api/v1/drafts/{anna_draft}/regenerate"),
            &json!({})
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    let facets = ok(b.get("/api/v1/drafts/facets").await).await;
    assert_eq!(
        facets["statuses"],
        json!([{"status": "pending", "drafts": 1}])
    );
    assert_eq!(
        ok(b.get("/api/v1/dashboard").await).await["attention"]["drafts_to_review"],
        1
    );

    // Still on the list after the lead's status is set back by hand: the list decides.
    ok(b.patch(
        &format!("/api/v1/leads/{anna}"),
        &json!({"status": "qualified"}),
    )
    .await)
    .await;
    assert_eq!(usernames(&drafts(b, "").await), ["ben"]);

    // A job outside a session writes per job: a new job asks again, and skips the listed lead.
    let results = run_drafts(&app, &mia, &pid, &[&anna, &ben], None).await;
    assert_eq!(results[0]["skipped"], "do_not_contact");
    assert!(results[1]["draft_id"].is_string());
}

#[tokio::test]
async fn regenerating_with_an_instruction_rewrites_the_same_draft_with_one_paid_call_each() {
    let Setup { app, sim, mia, .. } = setup().await;
    let b = &mia.b;
    let pid = product(b, "Yoga mats", json!([])).await;
    let anna = lead(
        b,
        json!({"username": "anna", "full_name": "Anna Berg", "email": "anna@example.com"}),
    )
    .await;
    let results = run_drafts(&app, &mia, &pid, &[&anna], Some("s1")).await;
    let id = results[0]["draft_id"].as_str().unwrap().to_owned();
    ok(b.post("/api/v1/drafts/approve", &json!({"ids": [id]}))
        .await)
    .await;
    let before = ok(b.get(&format!("/api/v1/drafts/{id}")).await).await;

    let after = ok(b
        .post(
            &format!("/api/v1/drafts/{id}/regenerate"),
            &json!({"instruction": "mention the spring discount"}),
        )
        .await)
    .await;
    assert_eq!(after["id"], id.as_str());
    assert_eq!(after["status"], "pending", "back to review");
    assert_eq!(after["instruction"], "mention the spring discount");
    assert!(
        after["body"]
            .as_str()
            .unwrap()
            .ends_with("P.S. mention the spring discount"),
        "{after}"
    );
    assert_ne!(after["body"], before["body"]);
    let sent = openai_requests(&sim).await;
    assert_eq!(sent.len(), 2);
    assert!(sent[1]["body"]
        .to_string()
        .contains("Instruction: mention the spring discount"));
    let l = ok(b.get(&format!("/api/v1/leads/{anna}")).await).await;
    assert_eq!(l["email_body"], after["body"]);

    // Without an instruction: another paid call (a fresh ledger key each time), the plain text again.
    let plain = ok(b
        .post(&format!("/api/v1/drafts/{id}/regenerate"), &json!({}))
        .await)
    .await;
    assert_eq!(plain["body"], before["body"]);
    assert_eq!(plain["instruction"], Value::Null);
    assert_eq!(openai_requests(&sim).await.len(), 3);
    let mut c = app.state.db.get().unwrap();
    assert_eq!(Effect::count(&mut c, "openai.draft").unwrap(), 3);
    drop(c);
    assert_eq!(drafts(b, "").await["total"], 1, "still one draft");

    // Too long an instruction: 422, no call.
    let (status, body) = status_json(
        b.post(
            &format!("/api/v1/drafts/{id}/regenerate"),
            &json!({"instruction": "x".repeat(2001)}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&body), ["instruction"]);

    // OpenAI refusing: the draft stays as it was, the failed call is recorded.
    reqwest::Client::new()
        .post(format!("{}/_sim/flags", sim.base_url()))
        .json(&json!({"openai_refusal": true}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(
        b.post(&format!("/api/v1/drafts/{id}/regenerate"), &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "provider_refused");
    let still = ok(b.get(&format!("/api/v1/drafts/{id}")).await).await;
    assert_eq!(still["body"], plain["body"]);
    let calls: Vec<String> = app
        .state
        .db
        .run(|c| ProviderCall::recent(c, None, 100))
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.provider == "openai")
        .map(|c| c.status)
        .collect();
    assert_eq!(calls.len(), 4);
    assert!(calls.contains(&"provider_refused".to_owned()), "{calls:?}");
}
