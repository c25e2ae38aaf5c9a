//! The Instagram session sidecar, aiograpi-rest 2.x routes: sessions (X-Session-ID), login with 2FA and
//! challenge, settings, user info, follows, likes, hashtag medias and DMs. Errors are instagrapi exceptions
//! as HTTP 500 `{"detail","exc_type"}`.

use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

use crate::data::{self, Rng};
use crate::http::{all, first, Reply, Req};
use crate::state::State;

pub struct Session {
    pub username: String,
    pub pk: u64,
    pub settings: Option<Value>,
}

#[derive(Default)]
pub struct SidecarState {
    pub sessions: HashMap<String, Session>,
    /// Usernames whose login hit a challenge not yet resolved.
    pub pending_challenges: BTreeSet<String>,
    pub resolved_challenges: BTreeSet<String>,
    /// (session username, followed user pk)
    pub follows: BTreeSet<(String, u64)>,
    /// (session username, media id)
    pub likes: BTreeSet<(String, String)>,
    pub counter: u64,
}

fn exc(exc_type: &str, detail: &str) -> Reply {
    Reply::json(500, json!({"detail": detail, "exc_type": exc_type}))
}

fn missing(field: &str, place: &str) -> Reply {
    Reply::json(
        422,
        json!({"detail": [{"type": "missing", "loc": [place, field], "msg": "Field required", "input": null}]}),
    )
}

fn session_id(req: &Req, form: &[(String, String)]) -> Option<String> {
    req.header("x-session-id")
        .or_else(|| req.q("sessionid"))
        .or_else(|| first(form, "sessionid"))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The caller's session, or the answer aiograpi-rest gives without one.
fn session<'a>(
    st: &'a State,
    req: &Req,
    form: &[(String, String)],
) -> Result<(String, &'a Session), Reply> {
    let Some(sid) = session_id(req, form) else {
        return Err(Reply::json(401, json!({"detail": "Session ID required"})));
    };
    if sid.contains("expired") {
        return Err(exc("LoginRequired", "login_required"));
    }
    let Some(s) = st.sidecar.sessions.get(&sid) else {
        return Err(exc(
            "Exception",
            "Session not found (e.g. after reload process), please relogin",
        ));
    };
    if st.sidecar.pending_challenges.contains(&s.username) {
        return Err(exc("ChallengeRequired", "challenge_required"));
    }
    Ok((sid, s))
}

fn new_session(st: &mut State, username: &str, pk: u64) -> String {
    st.sidecar.counter += 1;
    let n = st.sidecar.counter;
    let mut r = Rng::new(st.seed(), &format!("sid:{username}:{n}"));
    let sid = format!("{pk}%3Asim{}%3A{n}", r.alnum(14));
    st.sidecar.sessions.insert(
        sid.clone(),
        Session {
            username: username.to_string(),
            pk,
            settings: None,
        },
    );
    sid
}

pub fn handle(st: &mut State, route: &str, req: &Req) -> Reply {
    let form = req.form();
    match route {
        "auth_login" => login(st, &form),
        // The versions of the libraries the sidecar runs (no session needed): what a health check asks.
        "version" => {
            Reply::ok(json!({"aiograpi": "0.0.4", "aiograpi-rest": "2.0.0", "fastapi": "0.115.0"}))
        }
        "auth_login_by_sessionid" => {
            let Some(sid) = first(&form, "sessionid")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
            else {
                return missing("sessionid", "body");
            };
            if sid.contains("expired") || sid.contains("invalid") {
                return exc("LoginRequired", "login_required");
            }
            let pk = sid
                .split("%3A")
                .next()
                .and_then(|p| p.parse::<u64>().ok())
                .unwrap_or_else(|| 1_000_000_000 + Rng::new(st.seed(), &sid).below(9_000_000_000));
            let username = st.username_of(pk);
            st.sidecar.sessions.insert(
                sid.clone(),
                Session {
                    username,
                    pk,
                    settings: None,
                },
            );
            Reply::ok(json!(sid))
        }
        "auth_settings_get" => match session(st, req, &form) {
            Ok((sid, s)) => Reply::ok(
                s.settings
                    .clone()
                    .unwrap_or_else(|| default_settings(st.seed(), &sid, s)),
            ),
            Err(r) => r,
        },
        "auth_settings_set" => settings_set(st, req, &form),
        "auth_relogin" => match session(st, req, &form) {
            Ok(_) => Reply::ok(json!(true)),
            Err(r) => r,
        },
        "challenge_resolve" => {
            // A security code other than 123456 (the one "sent by e-mail") does not pass the check.
            let code = first(&form, "last_json")
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .and_then(|lj| {
                    lj.get("security_code")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
            if code.is_some_and(|c| c != "123456") {
                return Reply::ok(json!(false));
            }
            let mut names: Vec<String> = Vec::new();
            if let Some(u) = first(&form, "username") {
                names.push(u.to_string());
            }
            if let Some(lj) =
                first(&form, "last_json").and_then(|s| serde_json::from_str::<Value>(s).ok())
            {
                if let Some(u) = lj.get("username").and_then(Value::as_str) {
                    names.push(u.to_string());
                }
            }
            if let Some(sid) = session_id(req, &form) {
                if let Some(s) = st.sidecar.sessions.get(&sid) {
                    names.push(s.username.clone());
                }
            }
            if names.is_empty() {
                names = st.sidecar.pending_challenges.iter().cloned().collect();
            }
            for n in names {
                st.sidecar.pending_challenges.remove(&n);
                st.sidecar.resolved_challenges.insert(n);
            }
            Reply::ok(json!(true))
        }
        _ => {
            // Every other route needs a live session (aiograpi-rest re-hydrates it first).
            let me = match session(st, req, &form) {
                Ok((_, s)) => s.username.clone(),
                Err(r) => return r,
            };
            user_routes(st, route, req, &form, &me)
        }
    }
}

/// The TOTP seed (base32) of every `twofa_` account: its current codes (±1 step) pass the two-factor check.
pub const SIM_TOTP_SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn totp_matches(seed: &str, code: &str) -> bool {
    let Ok(bytes) = totp_rs::Secret::Encoded(seed.to_string()).to_bytes() else {
        return false;
    };
    let totp = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        String::new(),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    totp.check(code, now)
}

fn login(st: &mut State, form: &[(String, String)]) -> Reply {
    let Some(username) = first(form, "username")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
    else {
        return missing("username", "body");
    };
    let Some(password) = first(form, "password")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
    else {
        return missing("password", "body");
    };
    if password.contains("wrong") {
        return exc(
            "BadPassword",
            "The password you entered is incorrect. Please try again.",
        );
    }
    if username.starts_with("twofa_") {
        match first(form, "verification_code").filter(|c| !c.is_empty()) {
            None => return exc("TwoFactorRequired", "Two-factor authentication required"),
            Some("123456") => {}
            Some(c) if totp_matches(SIM_TOTP_SEED, c) => {}
            Some(_) => {
                return exc(
                    "TwoFactorRequired",
                    "Please check the security code sent you and try again.",
                )
            }
        }
    }
    if username.starts_with("challenge_") && !st.sidecar.resolved_challenges.contains(&username) {
        st.sidecar.pending_challenges.insert(username.clone());
        return exc("ChallengeRequired", "challenge_required");
    }
    let pk = st.remember(&username);
    Reply::ok(json!(new_session(st, &username, pk)))
}

fn default_settings(seed: u64, sid: &str, s: &Session) -> Value {
    let mut r = Rng::new(seed, &format!("settings:{}", s.username));
    let uuid = |r: &mut Rng| {
        format!(
            "{}-{}-{}-{}-{}",
            r.alnum(8),
            r.alnum(4),
            r.alnum(4),
            r.alnum(4),
            r.alnum(12)
        )
        .to_lowercase()
    };
    json!({
        "uuids": {
            "phone_id": uuid(&mut r), "uuid": uuid(&mut r), "client_session_id": uuid(&mut r),
            "advertising_id": uuid(&mut r), "android_device_id": format!("android-{}", r.alnum(16).to_lowercase()),
            "request_id": uuid(&mut r), "tray_session_id": uuid(&mut r),
        },
        "mid": r.alnum(28),
        "ig_u_rur": null,
        "ig_www_claim": null,
        "authorization_data": {"ds_user_id": s.pk.to_string(), "sessionid": sid},
        "cookies": {},
        "last_login": 1_796_119_200.0,
        "device_settings": {
            "app_version": "269.0.0.18.75", "android_version": 26, "android_release": "8.0.0", "dpi": "480dpi",
            "resolution": "1080x1920", "manufacturer": "OnePlus", "device": "devitron", "model": "6T Dev",
            "cpu": "qcom", "version_code": "314665256",
        },
        "user_agent": "Instagram 269.0.0.18.75 Android (26/8.0.0; 480dpi; 1080x1920; OnePlus; 6T Dev; devitron; qcom; de_DE; 314665256)",
        "country": "DE",
        "country_code": 49,
        "locale": "de_DE",
        "timezone_offset": 3600,
    })
}

fn settings_set(st: &mut State, req: &Req, form: &[(String, String)]) -> Reply {
    let Some(raw) = first(form, "settings") else {
        return missing("settings", "body");
    };
    let settings: Value = match serde_json::from_str(raw) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return exc(
                "JSONDecodeError",
                "Expecting value: line 1 column 1 (char 0)",
            )
        }
    };
    let sid = settings
        .pointer("/authorization_data/sessionid")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| session_id(req, form));
    let pk = settings
        .pointer("/authorization_data/ds_user_id")
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_u64()));
    let sid = match (sid, pk) {
        (Some(sid), pk) => {
            let pk = pk
                .or_else(|| sid.split("%3A").next().and_then(|p| p.parse().ok()))
                .unwrap_or(1_000_000_001);
            let username = st.username_of(pk);
            let entry = st.sidecar.sessions.entry(sid.clone()).or_insert(Session {
                username,
                pk,
                settings: None,
            });
            entry.settings = Some(settings);
            sid
        }
        (None, pk) => {
            let pk = pk.unwrap_or(1_000_000_001);
            let username = st.username_of(pk);
            let sid = new_session(st, &username, pk);
            if let Some(s) = st.sidecar.sessions.get_mut(&sid) {
                s.settings = Some(settings);
            }
            sid
        }
    };
    Reply::ok(json!(sid))
}

fn is_missing_user(username: &str) -> bool {
    username.contains("notfound") || username.starts_with("missing_")
}

pub fn user_json(seed: u64, p: &data::Profile) -> Value {
    json!({
        "pk": p.id,
        "username": p.username,
        "full_name": p.full_name,
        "is_private": p.private,
        "profile_pic_url": format!("https://scontent.cdninstagram.com/v/t51.2885-19/{}_s150x150.jpg", p.id),
        "profile_pic_url_hd": format!("https://scontent.cdninstagram.com/v/t51.2885-19/{}_s320x320.jpg", p.id),
        "is_verified": p.verified,
        "media_count": p.posts,
        "follower_count": p.followers,
        "following_count": p.follows,
        "biography": p.biography,
        "bio_links": p.external_url.iter().map(|u| json!({"url": u})).collect::<Vec<_>>(),
        "external_url": p.external_url,
        "account_type": if p.is_business { 2 } else { 1 },
        "is_business": p.is_business,
        "public_email": p.business_email,
        "contact_phone_number": p.business_phone,
        "public_phone_country_code": if p.business_phone.is_some() { json!("49") } else { Value::Null },
        "public_phone_number": p.business_phone.as_ref().map(|s| s.trim_start_matches("+49").to_string()),
        "business_contact_method": if p.business_email.is_some() { "EMAIL" } else { "UNKNOWN" },
        "business_category_name": p.category,
        "category_name": p.category,
        "category": p.category,
        "address_street": null,
        "city_id": null,
        "city_name": if p.is_business { json!(p.city) } else { Value::Null },
        "latitude": null,
        "longitude": null,
        "zip": null,
        "instagram_location_id": null,
        "interop_messaging_user_fbid": Rng::new(seed, &format!("fbid:{}", p.username)).digits(15),
    })
}

fn media_json(seed: u64, post: &Value) -> Value {
    let s = |k: &str| {
        post.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let owner = s("ownerUsername");
    let p = data::profile(seed, &owner);
    let kind = s("type");
    json!({
        "pk": s("id"),
        "id": format!("{}_{}", s("id"), p.id),
        "code": s("shortCode"),
        "taken_at": s("timestamp").replace(".000Z", "Z"),
        "media_type": match kind.as_str() { "Video" => 2, "Sidecar" => 8, _ => 1 },
        "product_type": match kind.as_str() { "Video" => "clips", "Sidecar" => "carousel_container", _ => "feed" },
        "thumbnail_url": s("displayUrl"),
        "location": post.get("locationName").and_then(Value::as_str).map(|n| json!({"pk": null, "name": n})),
        "user": {
            "pk": p.id, "username": p.username, "full_name": p.full_name,
            "profile_pic_url": format!("https://scontent.cdninstagram.com/v/t51.2885-19/{}_s150x150.jpg", p.id),
            "is_private": p.private,
        },
        "comment_count": post.get("commentsCount"),
        "like_count": post.get("likesCount"),
        "has_liked": false,
        "caption_text": s("caption"),
        "accessibility_caption": null,
        "usertags": [],
        "sponsor_tags": [],
        "video_url": post.get("videoUrl"),
        "view_count": post.get("videoViewCount").cloned().unwrap_or(json!(0)),
        "video_duration": if kind == "Video" { json!(23.4) } else { json!(0.0) },
        "title": "",
        "resources": [],
    })
}

fn user_routes(
    st: &mut State,
    route: &str,
    req: &Req,
    form: &[(String, String)],
    me: &str,
) -> Reply {
    let seed = st.seed();
    let param = |k: &str| {
        req.q(k)
            .or_else(|| first(form, k))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    match route {
        "user_info" | "user_follow" | "user_unfollow" => {
            let Some(uid) = param("user_id") else {
                return missing(
                    "user_id",
                    if route == "user_follow" {
                        "body"
                    } else {
                        "query"
                    },
                );
            };
            let Ok(pk) = uid.parse::<u64>() else {
                return Reply::json(
                    422,
                    json!({"detail": [{"type": "int_parsing", "loc": ["query", "user_id"], "msg": "Input should be a valid integer", "input": uid}]}),
                );
            };
            let username = st.username_of(pk);
            if is_missing_user(&username) {
                return exc("UserNotFound", "User not found");
            }
            match route {
                "user_info" => Reply::ok(user_json(seed, &data::profile(seed, &username))),
                "user_follow" => {
                    st.sidecar.follows.insert((me.to_string(), pk));
                    Reply::ok(json!(true))
                }
                _ => {
                    st.sidecar.follows.remove(&(me.to_string(), pk));
                    Reply::ok(json!(true))
                }
            }
        }
        "user_info_by_username" | "user_id_from_username" => {
            let Some(u) = param("username") else {
                return missing("username", "query");
            };
            let u = u.trim_start_matches('@').to_lowercase();
            if is_missing_user(&u) {
                return exc("UserNotFound", "User not found");
            }
            let pk = st.remember(&u);
            if route == "user_id_from_username" {
                return Reply::ok(json!(pk));
            }
            Reply::ok(user_json(seed, &data::profile(seed, &u)))
        }
        "media_like" | "media_unlike" => {
            let Some(mid) = param("media_id") else {
                return missing(
                    "media_id",
                    if route == "media_like" {
                        "body"
                    } else {
                        "query"
                    },
                );
            };
            let key = (me.to_string(), mid);
            if route == "media_like" {
                st.sidecar.likes.insert(key);
            } else {
                st.sidecar.likes.remove(&key);
            }
            Reply::ok(json!(true))
        }
        "hashtag_medias_top" | "hashtag_medias_recent" => {
            let Some(name) = param("name") else {
                return missing("name", "query");
            };
            let top = route == "hashtag_medias_top";
            let amount = param("amount")
                .and_then(|a| a.parse::<u64>().ok())
                .unwrap_or(if top { 9 } else { 27 });
            let tag = name.trim_start_matches('#').to_lowercase();
            let size = data::hashtag_size(seed, &tag);
            let scan = if top {
                (amount * 3).min(size)
            } else {
                amount.min(size)
            };
            let mut posts: Vec<Value> = (0..scan)
                .map(|i| data::hashtag_post(seed, &st.pool, &tag, i))
                .collect();
            if top {
                posts.sort_by_key(|p| {
                    std::cmp::Reverse(p.get("likesCount").and_then(Value::as_u64).unwrap_or(0))
                });
                posts.truncate(amount as usize);
            }
            for p in &posts {
                if let Some(u) = p.get("ownerUsername").and_then(Value::as_str) {
                    let u = u.to_string();
                    st.remember(&u);
                }
            }
            Reply::ok(Value::Array(
                posts.iter().map(|p| media_json(seed, p)).collect(),
            ))
        }
        "direct_message" => {
            let Some(text) = first(form, "text").filter(|t| !t.is_empty()) else {
                return missing("text", "body");
            };
            let users = all(form, "user_ids");
            let threads = all(form, "thread_ids");
            if users.is_empty() == threads.is_empty() {
                return Reply::json(
                    422,
                    json!({"detail": "Exactly one of user_ids or thread_ids is required"}),
                );
            }
            st.sidecar.counter += 1;
            let n = st.sidecar.counter;
            let thread_id = match threads.first() {
                Some(t) => t.to_string(),
                None => {
                    let mut key: Vec<&str> = users.clone();
                    key.sort_unstable();
                    format!(
                        "3401{}",
                        Rng::new(seed, &format!("thread:{me}:{}", key.join(","))).digits(29)
                    )
                }
            };
            let me_pk = data::user_pk(seed, me);
            Reply::ok(json!({
                "id": format!("3{}", Rng::new(seed, &format!("dm:{n}")).digits(37)),
                "user_id": me_pk.to_string(),
                "thread_id": thread_id,
                "timestamp": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string(),
                "item_type": "text",
                "is_sent_by_viewer": true,
                "is_shh_mode": false,
                "reactions": null,
                "text": text,
                "link": null,
                "media": null,
                "media_share": null,
                "reel_share": null,
                "story_share": null,
                "felix_share": null,
                "clip": null,
                "placeholder": null,
            }))
        }
        _ => Reply::json(404, json!({"detail": "Not Found"})),
    }
}

/// What the sidecar holds (for the control API).
pub fn snapshot(st: &State) -> Value {
    json!({
        "sessions": st.sidecar.sessions.iter().map(|(sid, s)| json!({"sessionid": sid, "username": s.username, "pk": s.pk.to_string(), "has_settings": s.settings.is_some()})).collect::<Vec<_>>(),
        "pending_challenges": st.sidecar.pending_challenges,
        "follows": st.sidecar.follows.iter().map(|(u, pk)| json!({"username": u, "user_id": pk.to_string()})).collect::<Vec<_>>(),
        "likes": st.sidecar.likes.iter().map(|(u, m)| json!({"username": u, "media_id": m})).collect::<Vec<_>>(),
    })
}
