//! Instagram API with Instagram Login: authorize page, code exchange, long-lived and refreshed tokens, `/me`,
//! DMs, `subscribed_apps`, account and media insights, and signed webhook events.

use serde_json::{json, Value};
use std::collections::HashMap;

use super::{err, segments};
use crate::data::{self, Rng};
use crate::errors::{check_credential, Kind};
use crate::http::{first, Reply, Req};
use crate::state::State;

#[derive(Default)]
pub struct IgState {
    /// Codes the authorize page issued: code → (IG user id, scope, redirect_uri, used).
    pub codes: HashMap<String, (String, String, String, bool)>,
    /// IG user id → username.
    pub accounts: HashMap<String, String>,
    pub counter: u64,
    pub graph_calls: u64,
}

const DEFAULT_SCOPE: &str = "instagram_business_basic,instagram_business_manage_messages";

/// The IG professional-account id of a username (starts `17841`, like real ones).
pub fn ig_id_of(seed: u64, username: &str) -> String {
    let mut r = Rng::new(seed, &format!("igid:{username}"));
    format!("17841{}", r.digits(12))
}

fn account_for(st: &mut State, ig_id: &str) -> data::Profile {
    let seed = st.seed();
    let username = match st.instagram.accounts.get(ig_id) {
        Some(u) => u.clone(),
        None => {
            let mut r = Rng::new(seed, &format!("acct:{ig_id}"));
            let u = st.pool[r.below(st.pool.len() as u64) as usize].clone();
            st.instagram.accounts.insert(ig_id.to_string(), u.clone());
            u
        }
    };
    data::profile(seed, &username)
}

/// A new account for the n-th authorization (each gives a different account of the pool).
fn new_account(st: &mut State) -> String {
    let n = st.instagram.counter;
    st.instagram.counter += 1;
    let username = st.pool[(n as usize * 7 + 3) % st.pool.len()].clone();
    let ig_id = ig_id_of(st.seed(), &username);
    st.instagram.accounts.insert(ig_id.clone(), username);
    ig_id
}

/// The IG user id a token (or code) stands for: `…sim<digits>…` tokens carry it, others map to a pool account.
fn ig_id_of_token(st: &mut State, token: &str) -> String {
    if let Some(pos) = token.find("sim") {
        let digits: String = token[pos + 3..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if digits.len() >= 10 {
            return digits;
        }
    }
    let seed = st.seed();
    let mut r = Rng::new(seed, &format!("tok:{token}"));
    let username = st.pool[r.below(st.pool.len() as u64) as usize].clone();
    let id = ig_id_of(seed, &username);
    st.instagram.accounts.entry(id.clone()).or_insert(username);
    id
}

fn token_of(req: &Req) -> Option<String> {
    req.q("access_token")
        .map(str::to_string)
        .or_else(|| req.bearer())
}

fn check_token(st: &State, route: &str, req: &Req) -> Result<String, Reply> {
    let t = token_of(req);
    match check_credential(t.as_deref()) {
        Ok(()) => Ok(t.unwrap_or_default()),
        Err(_) if t.is_none() => Err(Reply::json(
            400,
            json!({"error": {"message": "An active access token must be used to query information about the current user.", "type": "OAuthException", "code": 2500, "fbtrace_id": "AsImFbTrAcE0000000000"}}),
        )),
        Err(k) => Err(err(st, "instagram", route, k)),
    }
}

pub fn handle(st: &mut State, route: &str, req: &Req) -> Reply {
    let graph = match route {
        "authorize" => return authorize(st, req),
        "code_exchange" => return code_exchange(st, req),
        "long_lived" | "refresh" => long_lived(st, route, req),
        "me" => me(st, req),
        "send_message" => send_message(st, req),
        "subscribed_apps" => subscribed_apps(st, req),
        "user_insights" => user_insights(st, req),
        "media_insights" => media_insights(st, req),
        _ => super::not_found(st, "instagram", route),
    };
    // Graph answers carry the app's usage in percent (a client may slow down on it).
    st.instagram.graph_calls += 1;
    let pct = (st.instagram.graph_calls / 10).min(100);
    graph.header(
        "X-App-Usage",
        format!(
            "{{\"call_count\":{pct},\"total_cputime\":{},\"total_time\":{}}}",
            pct / 2,
            pct / 2
        ),
    )
}

fn oauth_error(msg: &str) -> Reply {
    Reply::json(
        400,
        json!({"error_type": "OAuthException", "code": 400, "error_message": msg}),
    )
}

fn authorize(st: &mut State, req: &Req) -> Reply {
    let (Some(client_id), Some(redirect)) = (req.q("client_id"), req.q("redirect_uri")) else {
        return oauth_error("Invalid request: client_id and redirect_uri are required");
    };
    if client_id.contains("invalid") {
        return oauth_error("Invalid platform app");
    }
    if req.q("response_type") != Some("code") {
        return oauth_error("Invalid response_type: only `code` is supported");
    }
    let Ok(mut url) = url::Url::parse(redirect) else {
        return oauth_error("Invalid redirect_uri");
    };
    let state = req.q("state").map(str::to_string);
    if st.flags.oauth_deny {
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("error", "access_denied");
            q.append_pair("error_reason", "user_denied");
            q.append_pair("error_description", "The user denied your request.");
            if let Some(s) = &state {
                q.append_pair("state", s);
            }
        }
        return Reply::redirect(format!("{url}#_"));
    }
    // `login_hint=<username>` (an addition): consent as that Instagram account, the same id every time.
    let ig_id = match req
        .q("login_hint")
        .map(|h| h.trim_start_matches('@'))
        .filter(|h| !h.is_empty())
    {
        Some(username) => {
            let id = ig_id_of(st.seed(), username);
            st.instagram
                .accounts
                .insert(id.clone(), username.to_string());
            st.instagram.counter += 1;
            id
        }
        None => new_account(st),
    };
    let n = st.instagram.counter;
    let code = format!("AQsim{ig_id}c{n}");
    let scope = req.q("scope").unwrap_or(DEFAULT_SCOPE).to_string();
    st.instagram
        .codes
        .insert(code.clone(), (ig_id, scope, redirect.to_string(), false));
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(s) = &state {
            q.append_pair("state", s);
        }
    }
    Reply::redirect(format!("{url}#_"))
}

fn code_exchange(st: &mut State, req: &Req) -> Reply {
    let form = req.form();
    for f in [
        "client_id",
        "client_secret",
        "grant_type",
        "redirect_uri",
        "code",
    ] {
        if first(&form, f).is_none_or(str::is_empty) {
            return oauth_error(&format!("Missing required parameter: {f}"));
        }
    }
    let get = |k| first(&form, k).unwrap_or_default().to_string();
    if get("grant_type") != "authorization_code" {
        return oauth_error("Unsupported grant_type");
    }
    if check_credential(Some(&get("client_secret"))).is_err() {
        return oauth_error("Error validating client secret.");
    }
    let code = get("code");
    let code = code.trim_end_matches("#_").to_string();
    if code.contains("invalid") {
        return oauth_error("Invalid authorization code");
    }
    if code.contains("expired") {
        return oauth_error("This authorization code has expired.");
    }
    let (ig_id, scope) = match st.instagram.codes.get_mut(&code) {
        Some((id, scope, redirect, used)) => {
            if *used {
                return oauth_error("This authorization code has been used.");
            }
            if *redirect != get("redirect_uri") {
                return oauth_error("Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request");
            }
            *used = true;
            (id.clone(), scope.clone())
        }
        None => (ig_id_of_token(st, &code), DEFAULT_SCOPE.to_string()),
    };
    st.instagram.counter += 1;
    let token = format!("IGQWsim{ig_id}S{}", st.instagram.counter);
    if st.flags.instagram_token_envelope == "flat" {
        let uid: u64 = ig_id.parse().unwrap_or_default();
        Reply::ok(json!({"access_token": token, "user_id": uid}))
    } else {
        Reply::ok(
            json!({"data": [{"access_token": token, "user_id": ig_id, "permissions": scope}]}),
        )
    }
}

fn long_lived(st: &mut State, route: &str, req: &Req) -> Reply {
    let want = if route == "refresh" {
        "ig_refresh_token"
    } else {
        "ig_exchange_token"
    };
    if req.q("grant_type") != Some(want) {
        return err(
            st,
            "instagram",
            route,
            Kind::BadRequest(format!("grant_type must be {want}")),
        );
    }
    if route == "long_lived" && check_credential(req.q("client_secret")).is_err() {
        return Reply::json(
            400,
            json!({"error": {"message": "Error validating client secret.", "type": "OAuthException", "code": 101, "fbtrace_id": "AsImFbTrAcE0000000000"}}),
        );
    }
    let token = match check_token(st, route, req) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let ig_id = ig_id_of_token(st, &token);
    st.instagram.counter += 1;
    Reply::ok(json!({
        "access_token": format!("IGAAsim{ig_id}L{}", st.instagram.counter),
        "token_type": "bearer",
        "expires_in": 5_183_944,
    }))
}

fn me(st: &mut State, req: &Req) -> Reply {
    let token = match check_token(st, "me", req) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let ig_id = ig_id_of_token(st, &token);
    let p = account_for(st, &ig_id);
    let mut r = Rng::new(st.seed(), &format!("appscoped:{ig_id}"));
    let mut out = json!({ "id": format!("2{}", r.digits(15)) });
    let fields = req.q("fields").unwrap_or("");
    for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let v = match f {
            "user_id" => json!(ig_id),
            "username" => json!(p.username),
            "name" => json!(p.full_name),
            "account_type" => json!(if p.is_business {
                "BUSINESS"
            } else {
                "MEDIA_CREATOR"
            }),
            "profile_picture_url" => {
                json!(format!(
                    "https://scontent.cdninstagram.com/v/t51.2885-19/{}_s150x150.jpg",
                    p.id
                ))
            }
            "followers_count" => json!(p.followers),
            "follows_count" => json!(p.follows),
            "media_count" => json!(p.posts),
            "biography" => json!(p.biography),
            "website" => json!(p.external_url),
            "id" => continue,
            other => {
                return err(
                    st,
                    "instagram",
                    "me",
                    Kind::BadRequest(format!(
                        "Tried accessing nonexisting field ({other}) on node type (User)"
                    )),
                )
            }
        };
        out[f] = v;
    }
    Reply::ok(out)
}

fn send_message(st: &mut State, req: &Req) -> Reply {
    if let Err(r) = check_token(st, "send_message", req) {
        return r;
    }
    let body = req.json().unwrap_or(Value::Null);
    let Some(recipient) = body.pointer("/recipient/id").and_then(|v| {
        v.as_str()
            .map(str::to_string)
            .or(v.as_u64().map(|n| n.to_string()))
    }) else {
        return err(
            st,
            "instagram",
            "send_message",
            Kind::BadRequest("param recipient[id] must be non-empty".into()),
        );
    };
    let text = body.pointer("/message/text").and_then(Value::as_str);
    if text.is_none() && body.pointer("/message/attachment").is_none() {
        return err(
            st,
            "instagram",
            "send_message",
            Kind::BadRequest("param message must be non-empty".into()),
        );
    }
    if text.is_some_and(|t| t.len() > 1000) {
        return err(
            st,
            "instagram",
            "send_message",
            Kind::BadRequest(
                "Length of param message[text] must be less than or equal to 1000".into(),
            ),
        );
    }
    if st.flags.instagram_messaging_window_closed {
        return Reply::json(
            400,
            json!({"error": {"message": "(#10) This message is sent outside of allowed window.", "type": "OAuthException", "code": 10, "error_subcode": 2534022, "fbtrace_id": "AsImFbTrAcE0000000000"}}),
        );
    }
    st.instagram.counter += 1;
    Reply::ok(json!({
        "recipient_id": recipient,
        "message_id": format!("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE{:016}", st.instagram.counter),
    }))
}

fn subscribed_apps(st: &mut State, req: &Req) -> Reply {
    if let Err(r) = check_token(st, "subscribed_apps", req) {
        return r;
    }
    let form = req.form();
    let fields = req
        .q("subscribed_fields")
        .or(first(&form, "subscribed_fields"));
    if fields.is_none_or(str::is_empty) {
        return err(
            st,
            "instagram",
            "subscribed_apps",
            Kind::BadRequest("The parameter subscribed_fields is required".into()),
        );
    }
    Reply::ok(json!({"success": true}))
}

const USER_METRICS: &[&str] = &[
    "reach",
    "views",
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
    "follows_and_unfollows",
    "profile_links_taps",
    "follower_count",
    "online_followers",
    "engaged_audience_demographics",
    "reached_audience_demographics",
    "follower_demographics",
];
const MEDIA_METRICS: &[&str] = &[
    "views",
    "reach",
    "likes",
    "comments",
    "shares",
    "saved",
    "total_interactions",
    "profile_visits",
    "follows",
    "ig_reels_avg_watch_time",
];
const DEPRECATED: &[&str] = &["impressions", "plays", "video_views"];

fn metric_list(st: &State, route: &str, req: &Req, valid: &[&str]) -> Result<Vec<String>, Reply> {
    let Some(m) = req.q("metric").filter(|m| !m.is_empty()) else {
        return Err(err(
            st,
            "instagram",
            route,
            Kind::BadRequest("The parameter metric is required".into()),
        ));
    };
    let list: Vec<String> = m.split(',').map(|s| s.trim().to_string()).collect();
    for x in &list {
        if DEPRECATED.contains(&x.as_str()) {
            return Err(err(
                st,
                "instagram",
                route,
                Kind::BadRequest(format!(
                    "{x} metric is no longer supported for the API version"
                )),
            ));
        }
        if !valid.contains(&x.as_str()) {
            return Err(err(
                st,
                "instagram",
                route,
                Kind::BadRequest(format!(
                    "metric[0] must be one of the following values: {}",
                    valid.join(", ")
                )),
            ));
        }
    }
    Ok(list)
}

fn title(m: &str) -> String {
    let t = m.replace('_', " ");
    let mut c = t.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn user_insights(st: &mut State, req: &Req) -> Reply {
    let token = match check_token(st, "user_insights", req) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let segs = segments(req);
    let id_seg = segs.iter().rev().nth(1).cloned().unwrap_or_default();
    let ig_id = if id_seg == "me" {
        ig_id_of_token(st, &token)
    } else {
        id_seg
    };
    let metrics = match metric_list(st, "user_insights", req, USER_METRICS) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let p = account_for(st, &ig_id);
    if p.followers < 100 {
        return Reply::ok(json!({"data": []}));
    }
    let period = req.q("period").unwrap_or("day").to_string();
    let total = req.q("metric_type") == Some("total_value");
    let until = req
        .q("until")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(data::BASE_TS);
    let since = req
        .q("since")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(until - 2 * 86_400);
    let days = ((until - since) / 86_400).clamp(1, 30);
    let seed = st.seed();
    let data: Vec<Value> = metrics
        .iter()
        .map(|m| {
            let scale = (p.followers / 20).max(5);
            let mut item = json!({
                "name": m,
                "period": period,
                "title": title(m),
                "description": format!("The number of {} in the period", m.replace('_', " ")),
                "id": format!("{ig_id}/insights/{m}/{period}"),
            });
            if total {
                let mut r = Rng::new(seed, &format!("ins:{ig_id}:{m}:total"));
                item["total_value"] = json!({"value": r.below(scale * days as u64) + 1});
            } else {
                let values: Vec<Value> = (0..days)
                    .map(|d| {
                        let end = since + (d + 1) * 86_400;
                        let mut r = Rng::new(seed, &format!("ins:{ig_id}:{m}:{end}"));
                        let end_time = chrono::DateTime::from_timestamp(end, 0)
                            .map(|t| t.format("%Y-%m-%dT08:00:00+0000").to_string());
                        json!({"value": r.below(scale) + 1, "end_time": end_time})
                    })
                    .collect();
                item["values"] = json!(values);
            }
            item
        })
        .collect();
    Reply::ok(json!({ "data": data }))
}

fn media_insights(st: &mut State, req: &Req) -> Reply {
    if let Err(r) = check_token(st, "media_insights", req) {
        return r;
    }
    let segs = segments(req);
    let media_id = segs.iter().rev().nth(1).cloned().unwrap_or_default();
    let metrics = match metric_list(st, "media_insights", req, MEDIA_METRICS) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let seed = st.seed();
    let data: Vec<Value> = metrics
        .iter()
        .map(|m| {
            let mut r = Rng::new(seed, &format!("mins:{media_id}:{m}"));
            json!({
                "name": m,
                "period": "lifetime",
                "values": [{"value": r.below(5000)}],
                "title": title(m),
                "description": format!("The number of {} of the media", m.replace('_', " ")),
                "id": format!("{media_id}/insights/{m}/lifetime"),
            })
        })
        .collect();
    Reply::ok(json!({ "data": data }))
}

/// A webhook event of a kind (`message`, `echo`, `comment`), with optional `ig_id`, `sender_id` and `text`.
pub fn webhook_event(st: &mut State, kind: &str, opts: &Value) -> Value {
    st.instagram.counter += 1;
    let n = st.instagram.counter;
    let seed = st.seed();
    let ig_id = opts
        .get("ig_id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            let u = st.pool[0].clone();
            ig_id_of(seed, &u)
        });
    let mut r = Rng::new(seed, &format!("sender:{n}"));
    let sender = opts
        .get("sender_id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("9{}", r.digits(15)));
    let text = opts
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or("Hallo! Ist das Angebot noch aktuell?")
        .to_string();
    let now = chrono::Utc::now().timestamp_millis();
    let mid = format!("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE{n:016}");
    let entry = match kind {
        "comment" => json!({"id": ig_id, "time": now, "changes": [{"field": "comments", "value": {
            "id": format!("178{}", r.digits(14)),
            "from": {"id": sender, "username": st.pool[1 % st.pool.len()]},
            "text": text,
            "media": {"id": format!("179{}", r.digits(14)), "media_product_type": "FEED"},
        }}]}),
        "echo" => json!({"id": ig_id, "time": now, "messaging": [{
            "sender": {"id": ig_id}, "recipient": {"id": sender}, "timestamp": now - 1,
            "message": {"mid": mid, "text": text, "is_echo": true},
        }]}),
        _ => json!({"id": ig_id, "time": now, "messaging": [{
            "sender": {"id": sender}, "recipient": {"id": ig_id}, "timestamp": now - 1,
            "message": {"mid": mid, "text": text},
        }]}),
    };
    json!({"object": "instagram", "entry": [entry]})
}
