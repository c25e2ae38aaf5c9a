//! Telegram Bot API: `sendMessage` and `getMe`.

use serde_json::json;

use super::{err, segments};
use crate::errors::{check_credential, Kind};
use crate::http::{first, Reply, Req};
use crate::state::State;

pub fn handle(st: &mut State, route: &str, req: &Req) -> Reply {
    let segs = segments(req);
    let token = segs
        .first()
        .and_then(|s| s.strip_prefix("bot"))
        .unwrap_or_default()
        .to_string();
    if token.is_empty() {
        return err(
            st,
            "telegram",
            "send_message",
            Kind::NotFound(String::new()),
        );
    }
    if let Err(k) = check_credential(Some(&token)) {
        return err(st, "telegram", route, k);
    }
    let bot_id: i64 = token
        .split(':')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7_000_000_001);
    if route == "get_me" {
        return Reply::ok(json!({
            "ok": true,
            "result": {
                "id": bot_id, "is_bot": true, "first_name": "Leadgen Bot", "username": "leadgen_sim_bot",
                "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
            }
        }));
    }
    let mut fields = req.fields();
    fields.extend(req.query.iter().cloned());
    let Some(chat_id) = first(&fields, "chat_id")
        .filter(|c| !c.is_empty())
        .map(str::to_string)
    else {
        return err(
            st,
            "telegram",
            "send_message",
            Kind::BadRequest("chat_id is empty".into()),
        );
    };
    let Some(text) = first(&fields, "text")
        .filter(|t| !t.is_empty())
        .map(str::to_string)
    else {
        return err(
            st,
            "telegram",
            "send_message",
            Kind::BadRequest("message text is empty".into()),
        );
    };
    if text.chars().count() > 4096 {
        return err(
            st,
            "telegram",
            "send_message",
            Kind::BadRequest("message is too long".into()),
        );
    }
    if chat_id.contains("unknown") {
        return err(
            st,
            "telegram",
            "send_message",
            Kind::BadRequest("chat not found".into()),
        );
    }
    let chat: serde_json::Value = chat_id
        .parse::<i64>()
        .map(|n| json!(n))
        .unwrap_or(json!(chat_id));
    let id = st.telegram_next_id;
    st.telegram_next_id += 1;
    Reply::ok(json!({
        "ok": true,
        "result": {
            "message_id": id,
            "from": {"id": bot_id, "is_bot": true, "first_name": "Leadgen Bot", "username": "leadgen_sim_bot"},
            "chat": {"id": chat, "type": "private"},
            "date": chrono::Utc::now().timestamp(),
            "text": text,
        }
    }))
}
