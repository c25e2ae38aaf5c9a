//! The control API under `/_sim/`: recorded requests, reset, faults, flags, Gmail thread events, webhook pushes.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::http::{Reply, Req};
use crate::providers::{self, gmail, instagram, sidecar};
use crate::state::{merge_flags, Fault, Sim, FAULT_KINDS};

fn bad(msg: impl Into<String>) -> Reply {
    Reply::json(400, json!({"error": msg.into()}))
}

pub async fn handle(sim: &Sim, req: &Req) -> Reply {
    let segs: Vec<String> = req
        .path
        .trim_matches('/')
        .split('/')
        .skip(1)
        .map(providers::decode)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (req.method.as_str(), s.as_slice()) {
        ("GET", []) | ("GET", ["health"]) => {
            let st = sim.lock();
            Reply::ok(json!({"ok": true, "seed": st.seed(), "providers": providers::PROVIDERS}))
        }
        ("POST", ["reset"]) => {
            sim.reset();
            Reply::ok(json!({"ok": true}))
        }
        ("GET", ["requests"]) => {
            let st = sim.lock();
            let list: Vec<Value> = st
                .requests
                .iter()
                .filter(|r| req.q("provider").is_none_or(|p| p == r.provider))
                .filter(|r| req.q("route").is_none_or(|x| x == r.route))
                .filter_map(|r| serde_json::to_value(r).ok())
                .collect();
            Reply::ok(json!({ "requests": list }))
        }
        ("GET", ["requests", "count"]) => {
            let st = sim.lock();
            let n = st
                .requests
                .iter()
                .filter(|r| req.q("provider").is_none_or(|p| p == r.provider))
                .filter(|r| req.q("route").is_none_or(|x| x == r.route))
                .count();
            Reply::ok(json!({ "count": n }))
        }
        ("DELETE", ["requests"]) => {
            sim.lock().requests.clear();
            Reply::ok(json!({"ok": true}))
        }
        ("POST", ["faults"]) => add_fault(sim, req),
        ("GET", ["faults"]) => Reply::ok(json!({"faults": sim.lock().faults})),
        ("DELETE", ["faults"]) => {
            let mut st = sim.lock();
            match req.q("provider") {
                Some(p) => st.faults.retain(|f| f.provider != p),
                None => st.faults.clear(),
            }
            Reply::ok(json!({"ok": true}))
        }
        ("GET", ["flags"]) => Reply::ok(json!(sim.lock().flags)),
        ("POST", ["flags"]) => {
            let Some(patch) = req.json() else {
                return bad("body must be JSON");
            };
            let mut st = sim.lock();
            match merge_flags(&st.flags, &patch) {
                Ok(flags) => {
                    if flags.seed != st.flags.seed {
                        st.pool = crate::data::username_pool(flags.seed);
                        st.gmail.seed = flags.seed;
                        let seed = flags.seed;
                        let pool = st.pool.clone();
                        for u in &pool {
                            st.usernames
                                .insert(crate::data::user_pk(seed, u), u.clone());
                        }
                    }
                    st.flags = flags;
                    Reply::ok(json!(st.flags))
                }
                Err(e) => bad(e),
            }
        }
        ("POST", ["gmail", "threads", thread, kind @ ("reply" | "bounce" | "out_of_office")]) => {
            let opts = req.json().unwrap_or(Value::Null);
            let mut st = sim.lock();
            gmail::incoming(&mut st, thread, kind, &opts)
        }
        ("GET", ["gmail", "mailboxes"]) => {
            let st = sim.lock();
            let mut boxes: Vec<Value> = st
                .gmail
                .mailboxes
                .values()
                .map(|m| {
                    json!({
                        "address": m.address,
                        "historyId": m.history_id.to_string(),
                        "messages": m.messages.iter().map(|x| gmail::message_json(x, "full", &[])).collect::<Vec<_>>(),
                    })
                })
                .collect();
            boxes.sort_by(|a, b| a["address"].as_str().cmp(&b["address"].as_str()));
            Reply::ok(json!({ "mailboxes": boxes }))
        }
        ("GET", ["sidecar"]) => Reply::ok(sidecar::snapshot(&sim.lock())),
        ("POST", ["instagram", "webhook"]) => webhook(sim, req).await,
        _ => Reply::json(
            404,
            json!({"error": format!("no control route {} {}", req.method, req.path)}),
        ),
    }
}

fn add_fault(sim: &Sim, req: &Req) -> Reply {
    let Some(body) = req.json() else {
        return bad("body must be JSON");
    };
    let mut f: Fault = match serde_json::from_value(body) {
        Ok(f) => f,
        Err(e) => return bad(format!("invalid fault: {e}")),
    };
    if !providers::PROVIDERS.contains(&f.provider.as_str()) {
        return bad(format!(
            "unknown provider `{}` (one of {})",
            f.provider,
            providers::PROVIDERS.join(", ")
        ));
    }
    if let Some(r) = &f.route {
        if !providers::routes(&f.provider).contains(&r.as_str()) {
            return bad(format!(
                "unknown route `{r}` of {} (one of {})",
                f.provider,
                providers::routes(&f.provider).join(", ")
            ));
        }
    }
    if !FAULT_KINDS.contains(&f.kind.as_str()) {
        return bad(format!(
            "unknown kind `{}` (one of {})",
            f.kind,
            FAULT_KINDS.join(", ")
        ));
    }
    let mut st = sim.lock();
    f.id = st.next_fault_id;
    st.next_fault_id += 1;
    st.faults.push(f.clone());
    Reply::ok(json!({"ok": true, "id": f.id, "fault": f}))
}

pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn webhook(sim: &Sim, req: &Req) -> Reply {
    let Some(body) = req.json() else {
        return bad("body must be JSON");
    };
    let Some(url) = body.get("url").and_then(Value::as_str).map(str::to_string) else {
        return bad("url is required");
    };
    let Some(secret) = body
        .get("app_secret")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return bad("app_secret is required");
    };
    let event = match body.get("event") {
        Some(e) if !e.is_null() => e.clone(),
        _ => {
            let kind = body
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("message")
                .to_string();
            instagram::webhook_event(&mut sim.lock(), &kind, &body)
        }
    };
    let raw = event.to_string().into_bytes();
    let signature = if body.get("bad_signature") == Some(&Value::Bool(true)) {
        sign(&format!("{secret}-wrong"), &raw)
    } else {
        sign(&secret, &raw)
    };
    let sent = sim
        .http
        .post(&url)
        .header("Content-Type", "application/json")
        .header("X-Hub-Signature-256", signature.clone())
        .body(raw)
        .send()
        .await;
    match sent {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            Reply::ok(
                json!({"status": status, "body": text, "signature": signature, "event": event}),
            )
        }
        Err(e) => Reply::json(
            502,
            json!({"error": format!("could not deliver to {url}: {e}"), "event": event}),
        ),
    }
}
