//! Processing sessions against the provider sandbox: a full run (crawl → enrich → contacts → dedupe), faults that
//! slow it but do not fail it, exhausted retries that fail items (and "retry failed"), cancel/resume with pauses
//! on the app's clock, one heavy operation per user, the do-not-contact list, dedupe against existing leads, form
//! checks, live progress (server-sent events) and tenancy.

use leadgen_api_tests::*;
use leadgen_db::models::lead::Lead;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const APIFY_TOKEN: &str = "apify_api_sandbox_token_1234";
const PPLX_KEY: &str = "pplx-sandbox-key-5678";
const OPENAI_KEY: &str = "sk-proj-sessions-test-0000-1111";
const SEED: u64 = 1;

struct Env {
    app: TestApp,
    sim: provider_sim::SimHandle,
    admin: Account,
}

async fn env_with(tweak: impl FnOnce(&mut leadgen_core::config::Settings)) -> Env {
    let sim = provider_sim::spawn(SEED);
    let base = sim.base_url();
    let app = spawn_app_with(|s| {
        leadgen_server::cli::point_at_sandbox(s, &base);
        s.provider_max_retries = 2;
        tweak(s);
    })
    .await;
    let admin = app.first_admin().await;
    let (st, body) = status_json(
        admin
            .b
            .put(
                "/api/v1/admin/providers",
                &json!({"settings": [
                    {"provider": "apify", "field": "token", "value": APIFY_TOKEN},
                    {"provider": "perplexity", "field": "api_key", "value": PPLX_KEY},
                    {"provider": "openai", "field": "api_key", "value": OPENAI_KEY},
                ]}),
            )
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    Env { app, sim, admin }
}

async fn env() -> Env {
    env_with(|_| {}).await
}

fn form(tags: &[&str], extra: Value) -> Value {
    let mut f = json!({
        "hashtags": tags,
        "posts_per_hashtag": 15,
        "max_new_leads": 40,
        "stages": ["crawl", "enrich", "contacts", "dedupe"],
        "pacing": {"batch_size": 10, "pause_min_seconds": 0, "pause_max_seconds": 0},
    });
    if let (Some(o), Some(e)) = (f.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    f
}

async fn start(b: &Browser, body: &Value) -> Value {
    let (st, s) = status_json(b.post("/api/v1/sessions", body).await).await;
    assert_eq!(st, StatusCode::CREATED, "{s}");
    s
}

const ACTIVE: [&str; 3] = ["queued", "running", "cancelling"];

/// Polls the session until it has ended (the job runs in the app).
async fn wait_end(b: &Browser, id: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..600 {
        let (st, s) = status_json(b.get(&format!("/api/v1/sessions/{id}")).await).await;
        assert_eq!(st, StatusCode::OK, "{s}");
        if !ACTIVE.contains(&s["status"].as_str().unwrap_or_default()) {
            return s;
        }
        last = s;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, log) = status_json(b.get(&format!("/api/v1/sessions/{id}/log")).await).await;
    panic!("session {id} did not end: {last}\n{log}");
}

/// Polls until `pred` holds for the session.
async fn wait_for(b: &Browser, id: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        let (_, s) = status_json(b.get(&format!("/api/v1/sessions/{id}")).await).await;
        if pred(&s) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("session {id} never reached the state asked for");
}

async fn sim_count(sim: &provider_sim::SimHandle, provider: &str, route: &str) -> usize {
    let v: Value = reqwest::get(format!(
        "{}/_sim/requests/count?provider={provider}&route={route}",
        sim.base_url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    v["count"].as_u64().unwrap() as usize
}

async fn fault(sim: &provider_sim::SimHandle, f: Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/_sim/faults", sim.base_url()))
        .json(&f)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
}

async fn clear_faults(sim: &provider_sim::SimHandle) {
    reqwest::Client::new()
        .delete(format!("{}/_sim/faults", sim.base_url()))
        .send()
        .await
        .unwrap();
}

fn stage<'a>(s: &'a Value, name: &str) -> &'a Value {
    s["stage_progress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["stage"] == name)
        .unwrap_or_else(|| panic!("stage {name} in {s}"))
}

/// The owners of the first `n` posts of a hashtag in the sandbox, first seen first (what the crawl finds).
fn owners(tag: &str, n: u64) -> Vec<String> {
    let pool = provider_sim::data::username_pool(SEED);
    let mut out: Vec<String> = vec![];
    for i in 0..n {
        let post = provider_sim::data::hashtag_post(SEED, &pool, tag, i);
        let u = post["ownerUsername"].as_str().unwrap().to_lowercase();
        if !out.contains(&u) {
            out.push(u);
        }
    }
    out
}

async fn lead_by_username(app: &TestApp, owner: &str, username: &str) -> Option<Lead> {
    let (o, u) = (owner.to_owned(), username.to_owned());
    app.state
        .db
        .run(move |c| Lead::find_by_username(c, &o, &u))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_full_session_crawls_enriches_finds_contacts_and_dedupes() {
    let e = env().await;
    let b = &e.admin.b;
    let body = form(&["yoga", "#Vegan "], json!({"discover_related": true}));
    let (st, est) = status_json(b.post("/api/v1/sessions/estimate", &body).await).await;
    assert_eq!(st, StatusCode::OK, "{est}");
    // At most 30 posts, so 30 profiles: 2 hashtag runs + 3 batches of 10; 30 contact searches at most.
    assert_eq!(est["apify_runs"], 5);
    assert_eq!(est["profiles"], 30);
    assert_eq!(est["perplexity_calls"], 30);
    assert!(est["cost_usd"].as_f64().unwrap() > 0.0);
    assert!(est["lines"].as_array().unwrap().len() >= 4);

    let s = start(b, &body).await;
    assert_eq!(s["hashtags"], json!(["yoga", "vegan"]));
    let id = s["id"].as_str().unwrap().to_owned();
    let s = wait_end(b, &id).await;
    assert_eq!(s["status"], "done", "{s}");
    let n = &s["counts"];
    let expected: usize = {
        let mut all = owners("yoga", 15);
        for u in owners("vegan", 15) {
            if !all.contains(&u) {
                all.push(u);
            }
        }
        all.len()
    };
    assert_eq!(n["profiles_found"], expected, "{s}");
    let added = n["leads_added"].as_i64().unwrap();
    assert!(added > 0 && added <= 40, "{s}");
    assert_eq!(n["failed"], 0, "{s}");
    for st in ["crawl", "enrich", "contacts", "dedupe"] {
        assert_eq!(stage(&s, st)["status"], "done", "{s}");
    }
    assert_eq!(stage(&s, "crawl")["done"], 2);
    assert!(s["cost_usd"].as_f64().unwrap() > 0.0);
    assert!(s["summary"].as_str().unwrap().starts_with("Done"), "{s}");
    assert!(
        !s["related_hashtags"].as_array().unwrap().is_empty(),
        "related hashtags are collected: {s}"
    );

    // The leads are in the grid, enriched, with what the bios and the contact search gave.
    let (_, page) = status_json(b.get("/api/v1/leads?limit=200").await).await;
    let leads = page["items"].as_array().unwrap();
    assert_eq!(leads.len() as i64, added, "{page}");
    assert!(leads.iter().all(|l| l["status"] == "enriched"));
    assert!(leads.iter().all(|l| l["followers"].is_number()));
    assert!(leads.iter().any(|l| l["email"].is_string()));
    let searched = n["contacts_found"].as_i64().unwrap();
    assert!(searched > 0, "{s}");
    assert!(
        leads
            .iter()
            .any(|l| !l["contact_sources"].as_array().unwrap().is_empty()),
        "contact sources are kept on the lead"
    );

    // One hashtag run per tag, one profile run per batch, one contact search per searched lead.
    assert_eq!(
        sim_count(&e.sim, "apify", "run_sync").await,
        2 + expected.div_ceil(10)
    );
    let (_, items) = status_json(
        b.get(&format!(
            "/api/v1/sessions/{id}/items?stage=contacts&limit=500"
        ))
        .await,
    )
    .await;
    assert_eq!(
        sim_count(&e.sim, "perplexity", "chat_completions").await as i64,
        items["total"].as_i64().unwrap()
    );
    let (_, log) = status_json(b.get(&format!("/api/v1/sessions/{id}/log")).await).await;
    let lines: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert!(
        lines.iter().any(|l| l.starts_with("#yoga: 15 posts")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.starts_with("Batch 1:")), "{lines:?}");
    // The session's leads know the hashtag that found them.
    assert!(leads.iter().all(|l| l["source_hashtag"].is_string()));
}

/// All five stages: every qualifying lead (an e-mail, not on the do-not-contact list) gets one draft from the
/// product's prompt, waiting for review, and the lead says `email_drafted`.
#[tokio::test]
async fn a_session_with_every_stage_ends_with_drafts_waiting_for_review() {
    let e = env().await;
    let b = &e.admin.b;
    let (st, product) = status_json(
        b.post("/api/v1/products", &json!({"name": "Yoga mats"}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{product}");
    let mut body = form(&["yoga"], json!({"product_id": product["id"]}));
    body["stages"] = json!(["crawl", "enrich", "contacts", "dedupe", "drafts"]);
    let s = start(b, &body).await;
    let id = s["id"].as_str().unwrap().to_owned();
    let s = wait_end(b, &id).await;
    assert_eq!(s["status"], "done", "{s}");
    assert_eq!(stage(&s, "drafts")["status"], "done", "{s}");
    assert_eq!(s["counts"]["failed"], 0, "{s}");

    let (_, page) = status_json(b.get("/api/v1/leads?limit=200").await).await;
    let leads = page["items"].as_array().unwrap();
    let with_mail: Vec<&Value> = leads.iter().filter(|l| l["email"].is_string()).collect();
    assert!(!with_mail.is_empty(), "{page}");
    assert!(
        with_mail.iter().all(|l| l["status"] == "email_drafted"),
        "{page}"
    );
    assert!(leads
        .iter()
        .filter(|l| l["email"].is_null())
        .all(|l| l["status"] != "email_drafted"));

    let (_, drafts) = status_json(
        b.get(&format!("/api/v1/drafts?session_id={id}&limit=200"))
            .await,
    )
    .await;
    assert_eq!(
        drafts["total"].as_u64().unwrap() as usize,
        with_mail.len(),
        "{drafts}"
    );
    assert_eq!(
        s["counts"]["drafts"].as_u64().unwrap() as usize,
        with_mail.len(),
        "{s}"
    );
    assert!(drafts["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["status"] == "pending" && !d["subject"].as_str().unwrap().is_empty()));
    // One paid OpenAI call per draft.
    assert_eq!(
        sim_count(&e.sim, "openai", "chat_completions").await,
        with_mail.len()
    );
}

#[tokio::test]
async fn provider_faults_slow_a_session_down_but_do_not_fail_it() {
    let e = env().await;
    let b = &e.admin.b;
    fault(
        &e.sim,
        json!({"provider": "apify", "route": "run_sync", "kind": "apify_408", "times": 1}),
    )
    .await;
    fault(&e.sim, json!({"provider": "apify", "route": "run_sync", "kind": "rate_limited", "times": 1, "retry_after_secs": 1})).await;
    fault(
        &e.sim,
        json!({"provider": "apify", "route": "run_sync", "kind": "server_error", "times": 1}),
    )
    .await;
    fault(
        &e.sim,
        json!({"provider": "perplexity", "kind": "slow", "delay_ms": 300, "times": 2}),
    )
    .await;
    fault(
        &e.sim,
        json!({"provider": "perplexity", "kind": "server_error", "times": 1}),
    )
    .await;
    let s = start(b, &form(&["yoga"], json!({"posts_per_hashtag": 10}))).await;
    let s = wait_end(b, s["id"].as_str().unwrap()).await;
    assert_eq!(s["status"], "done", "{s}");
    assert_eq!(s["counts"]["failed"], 0, "{s}");
    assert!(s["counts"]["leads_added"].as_i64().unwrap() > 0, "{s}");
    // The 408 continued as an async run.
    assert_eq!(sim_count(&e.sim, "apify", "run_async").await, 1);
}

#[tokio::test]
async fn exhausted_retries_fail_items_with_a_clear_summary_and_retry_failed_runs_them_again() {
    let e = env_with(|s| s.provider_max_retries = 1).await;
    let b = &e.admin.b;
    // Every contact search fails until the fault is cleared.
    fault(
        &e.sim,
        json!({"provider": "perplexity", "kind": "server_error", "times": 0}),
    )
    .await;
    let s = start(b, &form(&["yoga"], json!({"posts_per_hashtag": 8}))).await;
    let id = s["id"].as_str().unwrap().to_owned();
    let s = wait_end(b, &id).await;
    assert_eq!(s["status"], "done", "{s}");
    let failed = s["counts"]["failed"].as_i64().unwrap();
    assert!(failed > 0, "{s}");
    assert_eq!(stage(&s, "contacts")["failed"], failed);
    let summary = s["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("{failed} items failed")),
        "{summary}"
    );
    assert!(summary.contains("provider_unavailable"), "{summary}");
    assert!(s["counts"]["leads_added"].as_i64().unwrap() > 0, "{s}");
    let (_, items) = status_json(
        b.get(&format!("/api/v1/sessions/{id}/items?status=failed"))
            .await,
    )
    .await;
    assert_eq!(items["total"], failed);
    let first = &items["items"][0];
    assert_eq!(first["stage"], "contacts");
    assert_eq!(first["attempts"], 1);
    assert!(
        first["error"].as_str().unwrap().contains("HTTP 500"),
        "{first}"
    );

    clear_faults(&e.sim).await;
    let calls_before = sim_count(&e.sim, "perplexity", "chat_completions").await;
    let (st, s) = status_json(
        b.post_empty(&format!("/api/v1/sessions/{id}/retry-failed"))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{s}");
    assert_eq!(s["status"], "queued");
    let s = wait_end(b, &id).await;
    assert_eq!(s["status"], "done", "{s}");
    assert_eq!(s["counts"]["failed"], 0, "{s}");
    // Only the failed items were searched again.
    assert_eq!(
        sim_count(&e.sim, "perplexity", "chat_completions").await - calls_before,
        failed as usize
    );
    let (st, err) = status_json(
        b.post_empty(&format!("/api/v1/sessions/{id}/retry-failed"))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{err}");
}

#[tokio::test]
async fn pauses_follow_the_clock_cancel_keeps_what_was_saved_and_resume_continues() {
    let e = env().await;
    let b = &e.admin.b;
    assert!(owners("yoga", 20).len() > 10);
    let body = form(
        &["yoga"],
        json!({"posts_per_hashtag": 20, "stages": ["crawl", "enrich"], "filters": {"skip_private": false},
               "pacing": {"batch_size": 5, "pause_min_seconds": 30, "pause_max_seconds": 30}}),
    );
    let s = start(b, &body).await;
    let id = s["id"].as_str().unwrap().to_owned();
    // After the first batch the session waits 30 s on the app's clock.
    let s = wait_for(b, &id, |s| !s["pause"].is_null()).await;
    assert_eq!(s["pause"]["seconds"], 30, "{s}");
    assert_eq!(s["status"], "running");
    assert_eq!(s["current_stage"], "enrich");
    assert!(s["eta_seconds"].as_i64().unwrap() >= 30 - 1, "{s}");
    let added_first = s["counts"]["leads_added"].as_i64().unwrap();
    assert!(added_first > 0 && added_first <= 5, "{s}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Nothing happens while the clock stands still.
    let (_, still) = status_json(b.get(&format!("/api/v1/sessions/{id}")).await).await;
    assert_eq!(still["counts"]["leads_added"], added_first);
    assert_eq!(sim_count(&e.sim, "apify", "run_sync").await, 2);

    // Cancel while it waits: it ends at once and keeps its leads.
    let (st, s) = status_json(b.post_empty(&format!("/api/v1/sessions/{id}/cancel")).await).await;
    assert_eq!(st, StatusCode::OK, "{s}");
    assert_eq!(s["status"], "cancelled", "{s}");
    assert!(
        s["summary"].as_str().unwrap().starts_with("Cancelled"),
        "{s}"
    );
    assert_eq!(stage(&s, "crawl")["status"], "done", "{s}");
    assert_eq!(stage(&s, "enrich")["status"], "pending", "{s}");
    let (_, page) = status_json(b.get("/api/v1/leads").await).await;
    assert_eq!(page["items"].as_array().unwrap().len() as i64, added_first);
    let (st, _) = status_json(b.post_empty(&format!("/api/v1/sessions/{id}/cancel")).await).await;
    assert_eq!(st, StatusCode::CONFLICT);

    // Resume continues with the next batch (the crawl and the first batch are not repeated).
    let (st, s) = status_json(b.post_empty(&format!("/api/v1/sessions/{id}/resume")).await).await;
    assert_eq!(st, StatusCode::OK, "{s}");
    let s = wait_for(b, &id, |s| {
        s["counts"]["leads_added"].as_i64().unwrap_or(0) > added_first && !s["pause"].is_null()
    })
    .await;
    assert_eq!(sim_count(&e.sim, "apify", "run_sync").await, 3, "{s}");
    let mut s = s;
    for _ in 0..20 {
        if s["status"] == "done" {
            break;
        }
        e.app.state.clock.advance(Duration::from_secs(31));
        s = wait_for(b, &id, |n| {
            n["status"] == "done" || n["counts"] != s["counts"]
        })
        .await;
    }
    let s = wait_end(b, &id).await;
    assert_eq!(s["status"], "done", "{s}");
    let profiles = s["counts"]["profiles_found"].as_i64().unwrap();
    assert_eq!(stage(&s, "enrich")["done"], profiles);
    // Every profile was enriched once: one hashtag run and one run per batch of 5.
    assert_eq!(
        sim_count(&e.sim, "apify", "run_sync").await as i64,
        1 + (profiles + 4) / 5
    );
}

#[tokio::test]
async fn one_heavy_operation_per_user() {
    let e = env().await;
    let b = &e.admin.b;
    let slow = form(
        &["yoga"],
        json!({"pacing": {"batch_size": 5, "pause_min_seconds": 600, "pause_max_seconds": 600}}),
    );
    let first = start(b, &slow).await;
    let (st, err) = status_json(
        b.post("/api/v1/sessions", &form(&["vegan"], json!({})))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{err}");
    assert_eq!(error_code(&err), "heavy_operation_running");
    assert_eq!(err["error"]["details"]["session_id"], first["id"]);
    assert_eq!(err["error"]["details"]["name"], "#yoga");
    // Another user is not held up.
    let other = e.app.user(&e.admin, "other", "user").await;
    start(&other.b, &form(&["vegan"], json!({}))).await;
    // Two creates at once: exactly one is accepted.
    let (st, _) = status_json(
        b.post_empty(&format!(
            "/api/v1/sessions/{}/cancel",
            first["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    wait_end(b, first["id"].as_str().unwrap()).await;
    let body = form(&["cats"], json!({}));
    let (r1, r2) = tokio::join!(
        b.post("/api/v1/sessions", &body),
        b.post("/api/v1/sessions", &body)
    );
    let mut codes = vec![r1.status().as_u16(), r2.status().as_u16()];
    codes.sort();
    assert_eq!(codes, vec![201, 409]);
}

#[tokio::test]
async fn the_do_not_contact_list_is_respected_and_leads_are_deduplicated() {
    let e = env().await;
    let b = &e.admin.b;
    let found = owners("yoga", 15);
    assert!(found.len() >= 4, "{found:?}");
    let listed = &found[0];
    let existing = &found[1];
    let (st, body) = status_json(
        b.post(
            "/api/v1/do-not-contact",
            &json!({"kind": "username", "value": listed}),
        )
        .await,
    )
    .await;
    assert!(st.is_success(), "{body}");
    let (st, body) = status_json(
        b.post(
            "/api/v1/leads",
            &json!({"username": existing, "notes": "met at a fair"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    // An older lead with the e-mail a found profile shows in its bio.
    let with_email = found[2..]
        .iter()
        .find(|u| {
            let p = provider_sim::data::profile(SEED, u);
            p.bio_email
                .as_ref()
                .is_some_and(|e| p.biography.contains(e.as_str()))
        })
        .cloned();
    if let Some(u) = &with_email {
        let email = provider_sim::data::profile(SEED, u).bio_email.unwrap();
        let (st, body) = status_json(
            b.post(
                "/api/v1/leads",
                &json!({"username": "older.lead", "email": email}),
            )
            .await,
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
    }

    let s = start(
        b,
        &form(
            &["yoga"],
            json!({"stages": ["crawl", "enrich", "dedupe"], "filters": {"skip_private": false}}),
        ),
    )
    .await;
    let s = wait_end(b, s["id"].as_str().unwrap()).await;
    assert_eq!(s["status"], "done", "{s}");
    let owner = e.admin.id.clone();
    // Not added.
    assert!(lead_by_username(&e.app, &owner, listed).await.is_none());
    assert_eq!(s["counts"]["dropped_dnc"], 1, "{s}");
    // Updated, and what the user wrote is kept.
    let l = lead_by_username(&e.app, &owner, existing).await.unwrap();
    assert_eq!(l.notes.as_deref(), Some("met at a fair"));
    assert_eq!(l.status, "enriched");
    assert!(l.followers.is_some() && l.enriched_at.is_some());
    assert_eq!(s["counts"]["leads_updated"], 1, "{s}");
    let merged = s["counts"]["merged"].as_i64().unwrap();
    match &with_email {
        Some(u) => {
            assert_eq!(merged, 2, "{s}");
            let dup = lead_by_username(&e.app, &owner, u).await.unwrap();
            assert!(
                dup.deleted_at.is_some(),
                "the new lead with a known e-mail is merged away"
            );
        }
        None => assert_eq!(merged, 1, "{s}"),
    }
    assert_eq!(
        s["counts"]["leads_added"].as_i64().unwrap() + 2,
        found.len() as i64
    );
}

#[tokio::test]
async fn bad_form_input_is_refused_with_the_field_named_and_changes_nothing() {
    let e = env().await;
    let b = &e.admin.b;
    let many: Vec<String> = (0..500).map(|i| format!("tag{i}")).collect();
    let cases: Vec<(Value, &str)> = vec![
        (json!({"hashtags": []}), "hashtags"),
        (json!({"hashtags": ["yoga", "#", "  "]}), "hashtags[1]"),
        (json!({"hashtags": ["yoga", "  ", "#"]}), "hashtags[2]"),
        (json!({"hashtags": ["a b-c"]}), "hashtags[0]"),
        (json!({"hashtags": many}), "hashtags"),
        (
            json!({"hashtags": ["yoga"], "max_new_leads": -1}),
            "max_new_leads",
        ),
        (
            json!({"hashtags": ["yoga"], "posts_per_hashtag": -5}),
            "posts_per_hashtag",
        ),
        (
            json!({"hashtags": ["yoga"], "filters": {"min_followers": -1}}),
            "filters.min_followers",
        ),
        (
            json!({"hashtags": ["yoga"], "pacing": {"batch_size": 0}}),
            "pacing.batch_size",
        ),
        (
            json!({"hashtags": ["yoga"], "stages": ["crawl", "fly"]}),
            "stages[1]",
        ),
        (
            json!({"hashtags": ["yoga"], "stages": ["crawl", "drafts"]}),
            "product_id",
        ),
        (
            json!({"hashtags": ["yoga"], "product_id": "nope", "stages": ["crawl", "drafts"]}),
            "product_id",
        ),
    ];
    for (body, field) in cases {
        for path in ["/api/v1/sessions", "/api/v1/sessions/estimate"] {
            let (st, err) = status_json(b.post(path, &body).await).await;
            assert_eq!(
                st,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path} {body} → {err}"
            );
            assert!(
                err["error"]["details"]["fields"].get(field).is_some(),
                "{body} names {field}: {err}"
            );
        }
    }
    let (_, list) = status_json(b.get("/api/v1/sessions").await).await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn progress_streams_as_server_sent_events_until_done() {
    let e = env().await;
    let b = &e.admin.b;
    let s = start(b, &form(&["yoga"], json!({"posts_per_hashtag": 6}))).await;
    let id = s["id"].as_str().unwrap();
    let mut res = b.get(&format!("/api/v1/sessions/{id}/events")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = res.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the stream ends once the session is done");
    assert!(text.contains("event: progress\ndata: {"), "{text}");
    let done = text
        .split("event: done\ndata: ")
        .nth(1)
        .expect("a done event");
    let last: Value = serde_json::from_str(done.trim()).unwrap();
    assert_eq!(last["status"], "done");
    assert_eq!(last["id"], id);
}

#[tokio::test]
async fn another_users_session_is_not_found_and_viewers_cannot_start_one() {
    let e = env().await;
    let s = start(
        &e.admin.b,
        &form(&["yoga"], json!({"posts_per_hashtag": 5})),
    )
    .await;
    let id = s["id"].as_str().unwrap();
    let other = e.app.user(&e.admin, "mallory", "user").await;
    for path in ["", "/log", "/items", "/events"] {
        let res = other.b.get(&format!("/api/v1/sessions/{id}{path}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for path in ["/cancel", "/resume", "/retry-failed"] {
        let res = other
            .b
            .post_empty(&format!("/api/v1/sessions/{id}{path}"))
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (_, list) = status_json(other.b.get("/api/v1/sessions").await).await;
    assert_eq!(list["total"], 0);
    let viewer = e.app.user(&e.admin, "vera", "viewer").await;
    let res = viewer
        .b
        .post("/api/v1/sessions", &form(&["yoga"], json!({})))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    wait_end(&e.admin.b, id).await;
}

#[tokio::test]
async fn a_drafts_only_run_goes_over_the_selected_leads() {
    let e = env().await;
    let b = &e.admin.b;
    let (st, product) = status_json(
        b.post("/api/v1/products", &json!({"name": "Yoga mats"}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{product}");
    let pid = product["id"].as_str().unwrap();
    let mut ids = vec![];
    for body in [
        json!({"username": "with.mail", "email": "hello@with-mail.de"}),
        json!({"username": "without.mail"}),
    ] {
        let (st, l) = status_json(b.post("/api/v1/leads", &body).await).await;
        assert_eq!(st, StatusCode::CREATED, "{l}");
        ids.push(l["id"].as_str().unwrap().to_owned());
    }
    let other = e.app.user(&e.admin, "olga", "user").await;
    let (_, theirs) = status_json(
        other
            .b
            .post("/api/v1/leads", &json!({"username": "theirs"}))
            .await,
    )
    .await;
    let body = |lead_ids: Vec<String>| json!({"lead_ids": lead_ids, "stages": ["drafts"], "product_id": pid});
    // Someone else's lead is not selectable; a selection needs the drafts stage only.
    let mut with_theirs = ids.clone();
    with_theirs.push(theirs["id"].as_str().unwrap().to_owned());
    let (st, err) = status_json(b.post("/api/v1/sessions", &body(with_theirs)).await).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(err["error"]["details"]["fields"]["lead_ids"].is_array());
    let (st, err) = status_json(
        b.post(
            "/api/v1/sessions",
            &json!({"lead_ids": ids, "stages": ["crawl", "drafts"], "product_id": pid}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");

    let s = start(b, &body(ids.clone())).await;
    assert_eq!(s["lead_count"], 2);
    assert_eq!(s["name"], "Drafts for 2 leads");
    let id = s["id"].as_str().unwrap();
    let s = wait_end(b, id).await;
    assert_eq!(s["status"], "done", "{s}");
    let (_, items) = status_json(
        b.get(&format!("/api/v1/sessions/{id}/items?stage=drafts"))
            .await,
    )
    .await;
    assert_eq!(items["total"], 2, "{items}");
    let by_lead = |lead: &str| {
        items["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["lead_id"] == lead)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_lead(&ids[1])["outcome"], "no_email");
    assert_eq!(by_lead(&ids[0])["status"], "done", "{items}");
    // The lead with an e-mail has its draft, from this session, waiting for review.
    let (_, drafts) = status_json(b.get(&format!("/api/v1/drafts?session_id={id}")).await).await;
    assert_eq!(drafts["total"], 1, "{drafts}");
    assert_eq!(drafts["items"][0]["lead_id"], ids[0].as_str());
    assert_eq!(drafts["items"][0]["status"], "pending");
}

#[tokio::test]
async fn cancelling_the_job_from_my_background_work_cancels_the_session() {
    let e = env().await;
    let b = &e.admin.b;
    let slow = form(
        &["yoga"],
        json!({"pacing": {"batch_size": 5, "pause_min_seconds": 600, "pause_max_seconds": 600}}),
    );
    let s = start(b, &slow).await;
    let id = s["id"].as_str().unwrap();
    wait_for(b, id, |s| !s["pause"].is_null()).await;
    let (_, jobs) = status_json(b.get("/api/v1/me/jobs").await).await;
    let job = jobs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["kind"] == "sessions.run")
        .cloned()
        .unwrap_or_else(|| panic!("{jobs}"));
    assert_eq!(job["label"], "Processing session (lead pipeline)");
    let (st, body) = status_json(
        b.post_empty(&format!(
            "/api/v1/me/jobs/{}/cancel",
            job["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let s = wait_end(b, id).await;
    assert_eq!(s["status"], "cancelled", "{s}");
}

#[tokio::test]
async fn a_cancelling_session_whose_job_was_cancelled_without_it_ends_cancelled() {
    use leadgen_db::models::job::Job;
    use leadgen_db::models::processing_session::ProcessingSession;
    let e = env().await;
    let b = &e.admin.b;
    let slow = form(
        &["yoga"],
        json!({"pacing": {"batch_size": 5, "pause_min_seconds": 600, "pause_max_seconds": 600}}),
    );
    let s = start(b, &slow).await;
    let id = s["id"].as_str().unwrap();
    let s = wait_for(b, id, |s| !s["pause"].is_null()).await;
    // What a kill during a cancel leaves: the session was told to stop at its next checkpoint, and the rescuer
    // then cancelled its job (its process had died) so that nothing runs it again.
    let now = e.app.state.clock.now();
    {
        let mut c = e.app.state.db.get().unwrap();
        let job = ProcessingSession::get(&mut c, id).unwrap().job_id.unwrap();
        assert!(Job::cancel(&mut c, &job, now).unwrap().is_some());
        // (At work: past its pause.)
        let later = now + chrono::Duration::seconds(601);
        assert!(ProcessingSession::mark_cancelling(&mut c, id, later).unwrap());
    }
    let (_, stuck) = status_json(b.get(&format!("/api/v1/sessions/{id}")).await).await;
    assert_eq!(stuck["status"], "cancelling", "{stuck}");
    e.app.state.jobs.maintain(false).await.unwrap();
    let (_, ended) = status_json(b.get(&format!("/api/v1/sessions/{id}")).await).await;
    assert_eq!(ended["status"], "cancelled", "{ended}");
    assert_eq!(ended["counts"], s["counts"], "what was saved is kept");
    // The user can start the next one (no heavy operation is left running).
    let next = start(b, &form(&["pilates"], json!({"posts_per_hashtag": 5}))).await;
    wait_end(b, next["id"].as_str().unwrap()).await;
}

#[tokio::test]
async fn ticked_related_hashtags_are_crawled_too() {
    let e = env().await;
    let b = &e.admin.b;
    let s = start(
        b,
        &form(&["yoga"], json!({"posts_per_hashtag": 5, "discover_related": true, "stages": ["crawl", "enrich"]})),
    )
    .await;
    let id = s["id"].as_str().unwrap();
    let s = wait_end(b, id).await;
    let related = s["related_hashtags"].as_array().unwrap();
    assert!(!related.is_empty(), "{s}");
    let tag = related[0]["tag"].as_str().unwrap().to_owned();
    let (st, err) = status_json(
        b.post(
            &format!("/api/v1/sessions/{id}/related-hashtags"),
            &json!({"hashtags": ["no spaces-here"]}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err["error"]["details"]["fields"]["hashtags[0]"].is_array(),
        "{err}"
    );
    let (st, s) = status_json(
        b.post(
            &format!("/api/v1/sessions/{id}/related-hashtags"),
            &json!({"hashtags": [format!("#{tag}")]}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{s}");
    assert_eq!(s["status"], "queued");
    assert_eq!(s["hashtags"], json!(["yoga", tag]));
    assert!(s["related_hashtags"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["tag"] != tag.as_str()));
    let s = wait_end(b, id).await;
    assert_eq!(s["status"], "done", "{s}");
    assert_eq!(stage(&s, "crawl")["done"], 2, "{s}");
    assert!(sim_count(&e.sim, "apify", "run_sync").await >= 3);
}
