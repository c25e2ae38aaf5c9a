//! Apify: the hashtag and profile scrapers, sync runs, async runs that finish across polls, and dataset paging.

use serde_json::{json, Value};
use std::collections::HashMap;

use super::{err, now_rfc3339, segments};
use crate::data::{self, Rng};
use crate::errors::{check_credential, Kind};
use crate::http::{Reply, Req};
use crate::state::State;

pub struct Run {
    pub id: String,
    pub act_id: String,
    pub status: String,
    pub polls: u32,
    pub items: Vec<Value>,
    pub dataset_id: String,
    pub kv_id: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub input_len: usize,
}

#[derive(Default)]
pub struct ApifyState {
    pub runs: HashMap<String, Run>,
    /// dataset id → run id
    pub datasets: HashMap<String, String>,
    pub counter: u64,
}

#[derive(Clone, Copy)]
enum Actor {
    Hashtag,
    Profile,
}

fn actor_of(name: &str) -> Option<Actor> {
    let n = name.to_ascii_lowercase();
    if n.contains("hashtag") {
        Some(Actor::Hashtag)
    } else if n.contains("profile") || n.contains("details") {
        Some(Actor::Profile)
    } else {
        None
    }
}

fn sim_id(seed: u64, key: &str) -> String {
    Rng::new(seed, key).alnum(17)
}

pub fn handle(st: &mut State, route: &str, req: &Req) -> Reply {
    let token = req.q("token").map(str::to_string).or_else(|| req.bearer());
    if let Err(k) = check_credential(token.as_deref()) {
        return err(st, "apify", route, k);
    }
    match route {
        "run_sync" | "run_async" => start(st, route, req),
        "run_get" => run_get(st, req),
        "dataset_items" => dataset_items(st, req),
        _ => super::not_found(st, "apify", route),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn parse_since(s: &str) -> Option<i64> {
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

fn ts_of(item: &Value) -> i64 {
    item.get("timestamp")
        .and_then(Value::as_str)
        .and_then(parse_since)
        .unwrap_or(0)
}

fn items_for(st: &mut State, actor: Actor, input: &Value) -> Result<Vec<Value>, Kind> {
    let seed = st.seed();
    match actor {
        Actor::Hashtag => {
            let tags = strings(input.get("hashtags"));
            if tags.is_empty() {
                return Err(Kind::BadRequest(
                    "Input is not valid: Field input.hashtags is required".into(),
                ));
            }
            let limit = input
                .get("resultsLimit")
                .and_then(Value::as_u64)
                .unwrap_or(20);
            let since = input
                .get("onlyPostsNewerThan")
                .and_then(Value::as_str)
                .and_then(parse_since);
            let mut out = Vec::new();
            let unique = st.flags.apify_hashtag_unique_owners;
            for tag in tags {
                let tag = tag.trim().trim_start_matches('#').to_lowercase();
                let size = if unique > 0 {
                    unique
                } else {
                    data::hashtag_size(seed, &tag)
                };
                let n = limit.min(size);
                for i in 0..n {
                    let post = if unique > 0 {
                        data::hashtag_post_unique(seed, &tag, i)
                    } else {
                        data::hashtag_post(seed, &st.pool, &tag, i)
                    };
                    if since.is_some_and(|s| ts_of(&post) < s) {
                        break;
                    }
                    if let Some(u) = post.get("ownerUsername").and_then(Value::as_str) {
                        let u = u.to_string();
                        st.remember(&u);
                    }
                    out.push(post);
                }
            }
            Ok(out)
        }
        Actor::Profile => {
            let names = strings(input.get("usernames"));
            if names.is_empty() {
                return Err(Kind::BadRequest(
                    "Input is not valid: Field input.usernames is required".into(),
                ));
            }
            let contact = st.flags.apify_contact_fields;
            let mut out = Vec::new();
            for raw in names {
                let u = raw.trim().trim_start_matches('@');
                let u = u
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or(u)
                    .to_lowercase();
                if u.is_empty() || u.contains("notfound") || u.starts_with("missing_") {
                    continue;
                }
                st.remember(&u);
                out.push(data::profile_item(seed, &data::profile(seed, &u), contact));
            }
            Ok(out)
        }
    }
}

/// Applies the dataset-items parameters and sets the pagination headers.
fn page(items: &[Value], req: &Req, status: u16, max_items: Option<u64>) -> Reply {
    let mut items: Vec<Value> = items.to_vec();
    if let Some(m) = max_items {
        items.truncate(m as usize);
    }
    if matches!(req.q("desc"), Some("1" | "true")) {
        items.reverse();
    }
    let total = items.len();
    let offset = req
        .q("offset")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let limit = req.q("limit").and_then(|s| s.parse::<usize>().ok());
    let fields: Option<Vec<String>> = req
        .q("fields")
        .filter(|f| !f.is_empty())
        .map(|f| f.split(',').map(|s| s.trim().to_string()).collect());
    let slice: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .map(|it| match (&fields, it) {
            (Some(fs), Value::Object(m)) => {
                Value::Object(m.into_iter().filter(|(k, _)| fs.contains(k)).collect())
            }
            (_, it) => it,
        })
        .collect();
    let count = slice.len();
    Reply::json(status, Value::Array(slice))
        .header("X-Apify-Pagination-Offset", offset.to_string())
        .header(
            "X-Apify-Pagination-Limit",
            limit.unwrap_or(total.max(1)).to_string(),
        )
        .header("X-Apify-Pagination-Count", count.to_string())
        .header("X-Apify-Pagination-Total", total.to_string())
}

fn start(st: &mut State, route: &str, req: &Req) -> Reply {
    let segs = segments(req);
    let actor_name = segs.get(2).cloned().unwrap_or_default();
    let Some(actor) = actor_of(&actor_name) else {
        return err(
            st,
            "apify",
            route,
            Kind::NotFound(format!("Actor was not found: {actor_name}")),
        );
    };
    let input = if req.body.is_empty() {
        json!({})
    } else {
        match req.json() {
            Some(v @ Value::Object(_)) => v,
            _ => {
                return err(
                    st,
                    "apify",
                    route,
                    Kind::BadRequest("Input is not a valid JSON object".into()),
                )
            }
        }
    };
    let items = match items_for(st, actor, &input) {
        Ok(i) => i,
        Err(k) => return err(st, "apify", route, k),
    };
    if route == "run_sync" {
        let max = req.q("maxItems").and_then(|s| s.parse::<u64>().ok());
        return page(&items, req, 201, max);
    }
    st.apify.counter += 1;
    let n = st.apify.counter;
    let seed = st.seed();
    let run = Run {
        id: sim_id(seed, &format!("run:{n}")),
        act_id: sim_id(seed, &format!("act:{actor_name}")),
        status: "READY".into(),
        polls: 0,
        items,
        dataset_id: sim_id(seed, &format!("ds:{n}")),
        kv_id: sim_id(seed, &format!("kv:{n}")),
        started_at: now_rfc3339(),
        finished_at: None,
        input_len: req.body.len(),
    };
    let body = json!({ "data": run_json(&run) });
    st.apify
        .datasets
        .insert(run.dataset_id.clone(), run.id.clone());
    st.apify.runs.insert(run.id.clone(), run);
    Reply::json(201, body)
}

fn run_json(r: &Run) -> Value {
    let done = r.finished_at.is_some();
    json!({
        "id": r.id,
        "actId": r.act_id,
        "userId": "simUser0000000001",
        "actorTaskId": null,
        "startedAt": r.started_at,
        "finishedAt": r.finished_at,
        "status": r.status,
        "statusMessage": match r.status.as_str() {
            "READY" => "Starting the run",
            "RUNNING" => "Crawling…",
            "SUCCEEDED" => "Finished!",
            "FAILED" => "The Actor process failed",
            "TIMED-OUT" => "The run timed out",
            _ => "The run was aborted",
        },
        "isStatusMessageTerminal": done,
        "meta": {"origin": "API"},
        "buildId": "simBuild000000001",
        "buildNumber": "0.0.1",
        "exitCode": if done { json!(if r.status == "SUCCEEDED" { 0 } else { 1 }) } else { Value::Null },
        "defaultKeyValueStoreId": r.kv_id,
        "defaultDatasetId": r.dataset_id,
        "defaultRequestQueueId": format!("rq{}", &r.kv_id[2..]),
        "containerUrl": format!("https://{}.runs.apify.net", r.id.to_lowercase()),
        "stats": {"inputBodyLen": r.input_len, "runTimeSecs": r.polls * 7, "computeUnits": f64::from(r.polls) * 0.01},
        "options": {"build": "latest", "timeoutSecs": 3600, "memoryMbytes": 1024, "diskMbytes": 2048},
        "usageTotalUsd": f64::from(r.polls) * 0.004,
    })
}

fn run_get(st: &mut State, req: &Req) -> Reply {
    let segs = segments(req);
    let id = segs.get(2).cloned().unwrap_or_default();
    let polls_to_finish = st.flags.apify_polls_to_finish;
    let final_status = st.flags.apify_final_status.clone();
    let Some(run) = st.apify.runs.get_mut(&id) else {
        return err(
            st,
            "apify",
            "run_get",
            Kind::NotFound("Actor run was not found".into()),
        );
    };
    if run.finished_at.is_none() {
        run.polls += 1;
        if run.polls >= polls_to_finish {
            run.status = final_status;
            run.finished_at = Some(now_rfc3339());
            if run.status != "SUCCEEDED" {
                run.items.clear();
            }
        } else {
            run.status = "RUNNING".into();
        }
    }
    Reply::ok(json!({ "data": run_json(run) }))
}

fn dataset_items(st: &mut State, req: &Req) -> Reply {
    let segs = segments(req);
    let id = segs.get(2).cloned().unwrap_or_default();
    let run_id = if segs.get(1).map(String::as_str) == Some("actor-runs") {
        Some(id.clone())
    } else {
        st.apify.datasets.get(&id).cloned()
    };
    let Some(run) = run_id.and_then(|r| st.apify.runs.get(&r)) else {
        return err(
            st,
            "apify",
            "dataset_items",
            Kind::NotFound("Dataset was not found".into()),
        );
    };
    let items: &[Value] = if run.status == "SUCCEEDED" {
        &run.items
    } else {
        &[]
    };
    page(items, req, 200, None)
}
