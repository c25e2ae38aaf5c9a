//! Gmail: one stateful mailbox per address. Sends, drafts, threads, `rfc822msgid:` search, history ids, and
//! incoming replies, bounces and out-of-office answers added through the control API.

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;

use super::{err, google, segments};
use crate::data::Rng;
use crate::errors::{check_credential, Kind};
use crate::http::{all, Reply, Req};
use crate::state::State;

#[derive(Clone)]
pub struct Msg {
    pub id: String,
    pub thread_id: String,
    pub labels: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub raw: Vec<u8>,
    pub internal_date: i64,
    pub history_id: u64,
}

impl Msg {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct HistoryRec {
    pub id: u64,
    pub msg_id: String,
    pub thread_id: String,
    pub labels: Vec<String>,
}

pub struct Mailbox {
    pub address: String,
    pub messages: Vec<Msg>,
    pub history: Vec<HistoryRec>,
    pub history_id: u64,
    /// History before this id is gone (`startHistoryId` below it answers 404).
    pub first_history_id: u64,
    pub drafts: Vec<(String, String)>,
}

pub struct GmailState {
    pub seed: u64,
    pub mailboxes: HashMap<String, Mailbox>,
    pub counter: u64,
}

impl GmailState {
    pub fn new(seed: u64) -> Self {
        GmailState {
            seed,
            mailboxes: HashMap::new(),
            counter: 0,
        }
    }

    pub fn mailbox(&mut self, address: &str) -> &mut Mailbox {
        let seed = self.seed;
        self.mailboxes
            .entry(address.to_string())
            .or_insert_with(|| {
                let start = 100_000 + Rng::new(seed, &format!("hist:{address}")).below(900_000);
                Mailbox {
                    address: address.to_string(),
                    messages: Vec::new(),
                    history: Vec::new(),
                    history_id: start,
                    first_history_id: start,
                    drafts: Vec::new(),
                }
            })
    }

    fn next_id(&mut self) -> String {
        self.counter += 1;
        let base =
            0x18c0_0000_0000_0000u64 + (Rng::new(self.seed, "gmail-ids").below(1 << 40) << 8);
        format!("{:016x}", base + self.counter)
    }

    /// Adds a message to a mailbox (new thread unless `thread_id`), recording it in the history.
    pub fn add(
        &mut self,
        address: &str,
        thread_id: Option<String>,
        labels: Vec<String>,
        mut headers: Vec<(String, String)>,
        body: String,
    ) -> Msg {
        let id = self.next_id();
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("message-id"))
        {
            headers.push(("Message-ID".into(), format!("<CAsim{id}@mail.gmail.com>")));
        }
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("date")) {
            headers.push(("Date".into(), chrono::Utc::now().to_rfc2822()));
        }
        let raw = build_raw(&headers, &body);
        let mb = self.mailbox(address);
        mb.history_id += 1 + (mb.history.len() as u64 % 3);
        let msg = Msg {
            thread_id: thread_id.unwrap_or_else(|| id.clone()),
            id,
            labels,
            headers,
            body,
            raw,
            internal_date: chrono::Utc::now().timestamp_millis(),
            history_id: mb.history_id,
        };
        mb.history.push(HistoryRec {
            id: mb.history_id,
            msg_id: msg.id.clone(),
            thread_id: msg.thread_id.clone(),
            labels: msg.labels.clone(),
        });
        mb.messages.push(msg.clone());
        msg
    }

    /// The mailbox holding a thread.
    pub fn owner_of_thread(&self, thread_id: &str) -> Option<String> {
        self.mailboxes
            .values()
            .find(|m| m.messages.iter().any(|x| x.thread_id == thread_id))
            .map(|m| m.address.clone())
    }
}

fn build_raw(headers: &[(String, String)], body: &str) -> Vec<u8> {
    let mut s = String::new();
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(body);
    s.into_bytes()
}

/// Headers and body of an RFC 2822 message (folded header lines unfolded).
pub fn parse_rfc2822(raw: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = match raw.find("\r\n\r\n") {
        Some(p) => (&raw[..p], &raw[p + 4..]),
        None => match raw.find("\n\n") {
            Some(p) => (&raw[..p], &raw[p + 2..]),
            None => (raw, ""),
        },
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    (headers, body.to_string())
}

fn decode_raw(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(s))
        .or_else(|_| STANDARD.decode(s))
        .ok()
}

fn b64(b: &[u8]) -> String {
    URL_SAFE.encode(b)
}

pub fn handle(st: &mut State, route: &str, req: &Req) -> Reply {
    let token = req
        .bearer()
        .or_else(|| req.q("access_token").map(str::to_string));
    if let Err(k) = check_credential(token.as_deref()) {
        return err(st, "gmail", route, k);
    }
    let address = google::email_of_token(token.as_deref().unwrap_or_default());
    match route {
        "send" => send(st, &address, req, false),
        "drafts_create" => send(st, &address, req, true),
        "drafts_send" => drafts_send(st, &address, req),
        "messages_list" => list(st, &address, req),
        "message_get" => message_get(st, &address, req),
        "thread_get" => thread_get(st, &address, req),
        "history_list" => history(st, &address, req),
        "profile" => {
            let mb = st.gmail.mailbox(&address);
            let threads: std::collections::HashSet<&str> =
                mb.messages.iter().map(|m| m.thread_id.as_str()).collect();
            Reply::ok(json!({
                "emailAddress": mb.address,
                "messagesTotal": mb.messages.len(),
                "threadsTotal": threads.len(),
                "historyId": mb.history_id.to_string(),
            }))
        }
        _ => super::not_found(st, "gmail", route),
    }
}

fn bad(st: &State, route: &str, msg: &str) -> Reply {
    err(st, "gmail", route, Kind::BadRequest(msg.into()))
}

fn send(st: &mut State, address: &str, req: &Req, draft: bool) -> Reply {
    let route = if draft { "drafts_create" } else { "send" };
    let Some(body) = req.json() else {
        return bad(st, route, "Invalid JSON payload received.");
    };
    let msg = if draft {
        body.get("message").cloned().unwrap_or(Value::Null)
    } else {
        body
    };
    let Some(raw) = msg.get("raw").and_then(Value::as_str) else {
        return bad(
            st,
            route,
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
        );
    };
    let Some(bytes) = decode_raw(raw) else {
        return bad(st, route, "Invalid value for ByteString: raw");
    };
    let (headers, text) = parse_rfc2822(&String::from_utf8_lossy(&bytes));
    let has_rcpt = headers.iter().any(|(k, v)| {
        (k.eq_ignore_ascii_case("to")
            || k.eq_ignore_ascii_case("cc")
            || k.eq_ignore_ascii_case("bcc"))
            && !v.is_empty()
    });
    if !draft && !has_rcpt {
        return bad(st, route, "Recipient address required");
    }
    let thread_id = msg
        .get("threadId")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(t) = &thread_id {
        let known = st
            .gmail
            .mailbox(address)
            .messages
            .iter()
            .any(|m| &m.thread_id == t);
        if !known {
            return err(st, "gmail", route, Kind::NotFound(String::new()));
        }
    }
    let mut headers = headers;
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("from")) {
        headers.insert(0, ("From".into(), address.to_string()));
    }
    let label = if draft { "DRAFT" } else { "SENT" };
    let m = st
        .gmail
        .add(address, thread_id, vec![label.into()], headers, text);
    if draft {
        let n = st.gmail.counter;
        let draft_id = format!("r-{}", 1_000_000_000_000u64 + n * 7919);
        st.gmail
            .mailbox(address)
            .drafts
            .push((draft_id.clone(), m.id.clone()));
        return Reply::ok(
            json!({"id": draft_id, "message": {"id": m.id, "threadId": m.thread_id, "labelIds": m.labels}}),
        );
    }
    Reply::ok(json!({"id": m.id, "threadId": m.thread_id, "labelIds": m.labels}))
}

fn drafts_send(st: &mut State, address: &str, req: &Req) -> Reply {
    let id = req
        .json()
        .and_then(|b| b.get("id").and_then(Value::as_str).map(str::to_string));
    let Some(id) = id else {
        return bad(st, "drafts_send", "Missing draft id");
    };
    let mb = st.gmail.mailbox(address);
    let Some(pos) = mb.drafts.iter().position(|(d, _)| *d == id) else {
        return err(st, "gmail", "drafts_send", Kind::NotFound(String::new()));
    };
    let (_, msg_id) = mb.drafts.remove(pos);
    mb.history_id += 1;
    let hid = mb.history_id;
    let Some(m) = mb.messages.iter_mut().find(|m| m.id == msg_id) else {
        return err(st, "gmail", "drafts_send", Kind::NotFound(String::new()));
    };
    m.labels = vec!["SENT".into()];
    m.history_id = hid;
    let out = json!({"id": m.id, "threadId": m.thread_id, "labelIds": m.labels});
    let rec = HistoryRec {
        id: hid,
        msg_id: m.id.clone(),
        thread_id: m.thread_id.clone(),
        labels: m.labels.clone(),
    };
    mb.history.push(rec);
    Reply::ok(out)
}

fn strip_angle(s: &str) -> &str {
    s.trim().trim_start_matches('<').trim_end_matches('>')
}

fn matches_query(m: &Msg, q: &str) -> bool {
    q.split_whitespace().all(|term| {
        let (key, val) = term.split_once(':').unwrap_or(("", term));
        let val_l = val.trim_matches('"').to_lowercase();
        let hdr = |h: &str| m.header(h).unwrap_or("").to_lowercase();
        match key.to_ascii_lowercase().as_str() {
            "rfc822msgid" => m
                .header("message-id")
                .is_some_and(|id| strip_angle(id) == strip_angle(val)),
            "from" => hdr("from").contains(&val_l),
            "to" => hdr("to").contains(&val_l) || hdr("cc").contains(&val_l),
            "subject" => hdr("subject").contains(&val_l),
            "in" | "label" => m
                .labels
                .iter()
                .any(|l| l.eq_ignore_ascii_case(if val_l == "drafts" { "draft" } else { &val_l })),
            "is" if val_l == "unread" => m.labels.iter().any(|l| l == "UNREAD"),
            "after" | "before" | "newer_than" | "older_than" => true,
            _ => {
                let t = term.trim_matches('"').to_lowercase();
                hdr("subject").contains(&t) || m.body.to_lowercase().contains(&t)
            }
        }
    })
}

fn paging(req: &Req, default_max: usize, cap: usize) -> (usize, usize) {
    let max = req
        .q("maxResults")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(default_max)
        .clamp(1, cap);
    let offset = req
        .q("pageToken")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    (offset, max)
}

fn list(st: &mut State, address: &str, req: &Req) -> Reply {
    let q = req.q("q").unwrap_or("").to_string();
    let labels: Vec<String> = all(&req.query, "labelIds")
        .into_iter()
        .map(str::to_string)
        .collect();
    let (offset, max) = paging(req, 100, 500);
    let mb = st.gmail.mailbox(address);
    let found: Vec<&Msg> = mb
        .messages
        .iter()
        .rev()
        .filter(|m| matches_query(m, &q) && labels.iter().all(|l| m.labels.contains(l)))
        .collect();
    let total = found.len();
    if total == 0 {
        return Reply::ok(json!({"resultSizeEstimate": 0}));
    }
    let page: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(max)
        .map(|m| json!({"id": m.id, "threadId": m.thread_id}))
        .collect();
    let mut out = json!({"messages": page, "resultSizeEstimate": total});
    if offset + max < total {
        out["nextPageToken"] = json!((offset + max).to_string());
    }
    Reply::ok(out)
}

pub fn message_json(m: &Msg, format: &str, metadata_headers: &[&str]) -> Value {
    let snippet: String = m
        .body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(120)
        .collect();
    let mut out = json!({
        "id": m.id,
        "threadId": m.thread_id,
        "labelIds": m.labels,
        "snippet": snippet,
        "sizeEstimate": m.raw.len(),
        "historyId": m.history_id.to_string(),
        "internalDate": m.internal_date.to_string(),
    });
    match format {
        "minimal" => {}
        "raw" => out["raw"] = json!(b64(&m.raw)),
        "metadata" => {
            let hs: Vec<Value> = m
                .headers
                .iter()
                .filter(|(k, _)| {
                    metadata_headers.is_empty()
                        || metadata_headers.iter().any(|h| h.eq_ignore_ascii_case(k))
                })
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect();
            out["payload"] = json!({"mimeType": mime(m), "headers": hs});
        }
        _ => {
            let hs: Vec<Value> = m
                .headers
                .iter()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect();
            let body = json!({"size": m.body.len(), "data": b64(m.body.as_bytes())});
            let mt = mime(m);
            out["payload"] = if mt.starts_with("multipart/") {
                json!({"partId": "", "mimeType": mt, "filename": "", "headers": hs, "body": {"size": 0}, "parts": [{
                    "partId": "0", "mimeType": "text/plain", "filename": "",
                    "headers": [{"name": "Content-Type", "value": "text/plain; charset=UTF-8"}], "body": body,
                }]})
            } else {
                json!({"partId": "", "mimeType": mt, "filename": "", "headers": hs, "body": body})
            };
        }
    }
    out
}

fn mime(m: &Msg) -> String {
    m.header("content-type")
        .and_then(|c| c.split(';').next())
        .unwrap_or("text/plain")
        .trim()
        .to_string()
}

fn message_get(st: &mut State, address: &str, req: &Req) -> Reply {
    let id = segments(req).last().cloned().unwrap_or_default();
    let format = req.q("format").unwrap_or("full").to_string();
    let mh = all(&req.query, "metadataHeaders");
    let mb = st.gmail.mailbox(address);
    match mb.messages.iter().find(|m| m.id == id) {
        Some(m) => Reply::ok(message_json(m, &format, &mh)),
        None => err(st, "gmail", "message_get", Kind::NotFound(String::new())),
    }
}

fn thread_get(st: &mut State, address: &str, req: &Req) -> Reply {
    let id = segments(req).last().cloned().unwrap_or_default();
    let format = req.q("format").unwrap_or("full").to_string();
    let mh = all(&req.query, "metadataHeaders");
    let mb = st.gmail.mailbox(address);
    let msgs: Vec<&Msg> = mb.messages.iter().filter(|m| m.thread_id == id).collect();
    if msgs.is_empty() {
        return err(st, "gmail", "thread_get", Kind::NotFound(String::new()));
    }
    let hid = msgs.iter().map(|m| m.history_id).max().unwrap_or_default();
    Reply::ok(json!({
        "id": id,
        "historyId": hid.to_string(),
        "messages": msgs.iter().map(|m| message_json(m, &format, &mh)).collect::<Vec<_>>(),
    }))
}

fn history(st: &mut State, address: &str, req: &Req) -> Reply {
    let Some(start) = req.q("startHistoryId") else {
        return bad(st, "history_list", "Required parameter: startHistoryId");
    };
    let Ok(start) = start.parse::<u64>() else {
        return bad(st, "history_list", "Invalid value for startHistoryId");
    };
    let types = all(&req.query, "historyTypes");
    let label = req.q("labelId").map(str::to_string);
    let (offset, max) = paging(req, 100, 500);
    let mb = st.gmail.mailbox(address);
    if start < mb.first_history_id {
        return err(st, "gmail", "history_list", Kind::NotFound(String::new()));
    }
    let wanted = types.is_empty() || types.contains(&"messageAdded");
    let recs: Vec<&HistoryRec> = mb
        .history
        .iter()
        .filter(|h| wanted && h.id > start && label.as_ref().is_none_or(|l| h.labels.contains(l)))
        .collect();
    let total = recs.len();
    let page: Vec<Value> = recs
        .iter()
        .skip(offset)
        .take(max)
        .map(|h| {
            json!({
                "id": h.id.to_string(),
                "messages": [{"id": h.msg_id, "threadId": h.thread_id}],
                "messagesAdded": [{"message": {"id": h.msg_id, "threadId": h.thread_id, "labelIds": h.labels}}],
            })
        })
        .collect();
    let mut out = json!({"historyId": mb.history_id.to_string()});
    if !page.is_empty() {
        out["history"] = json!(page);
    }
    if offset + max < total {
        out["nextPageToken"] = json!((offset + max).to_string());
    }
    Reply::ok(out)
}

/// Control API: a reply, a bounce or an out-of-office answer arrives in a thread.
pub fn incoming(st: &mut State, thread_id: &str, kind: &str, opts: &Value) -> Reply {
    let Some(address) = st.gmail.owner_of_thread(thread_id) else {
        return Reply::json(
            404,
            json!({"error": format!("no thread {thread_id} in any mailbox")}),
        );
    };
    let mb = st.gmail.mailbox(&address);
    let Some(first) = mb
        .messages
        .iter()
        .find(|m| m.thread_id == thread_id)
        .cloned()
    else {
        return Reply::json(404, json!({"error": "empty thread"}));
    };
    let Some(last) = mb
        .messages
        .iter()
        .rev()
        .find(|m| m.thread_id == thread_id)
        .cloned()
    else {
        return Reply::json(404, json!({"error": "empty thread"}));
    };
    let recipient = first.header("to").unwrap_or("lead@example.com").to_string();
    let subject = first.header("subject").unwrap_or("").to_string();
    let last_id = last.header("message-id").unwrap_or("").to_string();
    let refs = match last.header("references") {
        Some(r) => format!("{r} {last_id}"),
        None => last_id.clone(),
    };
    let text = opts.get("text").and_then(Value::as_str).map(str::to_string);
    let from = opts.get("from").and_then(Value::as_str).map(str::to_string);
    let mut headers: Vec<(String, String)> = Vec::new();
    let body = match kind {
        "bounce" => {
            headers.push((
                "From".into(),
                from.unwrap_or("Mail Delivery Subsystem <mailer-daemon@googlemail.com>".into()),
            ));
            headers.push(("To".into(), address.clone()));
            headers.push((
                "Subject".into(),
                "Delivery Status Notification (Failure)".into(),
            ));
            headers.push(("X-Failed-Recipients".into(), recipient.clone()));
            headers.push(("Auto-Submitted".into(), "auto-replied".into()));
            headers.push((
                "Content-Type".into(),
                "multipart/report; boundary=\"sim-boundary\"; report-type=delivery-status".into(),
            ));
            text.unwrap_or(format!(
                "Address not found\n\nYour message wasn't delivered to {recipient} because the address couldn't be found, or is unable to receive mail.\n\nThe response was:\n\n550 5.1.1 The email account that you tried to reach does not exist."
            ))
        }
        "out_of_office" => {
            headers.push(("From".into(), from.unwrap_or(recipient.clone())));
            headers.push(("To".into(), address.clone()));
            headers.push(("Subject".into(), format!("Automatische Antwort: {subject}")));
            headers.push(("Auto-Submitted".into(), "auto-replied".into()));
            headers.push(("X-Autoreply".into(), "yes".into()));
            headers.push(("Content-Type".into(), "text/plain; charset=UTF-8".into()));
            text.unwrap_or("Vielen Dank für Ihre Nachricht. Ich bin bis zum 15.12. nicht im Büro und habe nur eingeschränkt Zugriff auf meine E-Mails. / I am out of the office until 15 December.".into())
        }
        _ => {
            headers.push(("From".into(), from.unwrap_or(recipient.clone())));
            headers.push(("To".into(), address.clone()));
            let re = if subject.to_lowercase().starts_with("re:") {
                subject.clone()
            } else {
                format!("Re: {subject}")
            };
            headers.push(("Subject".into(), re));
            headers.push(("Content-Type".into(), "text/plain; charset=UTF-8".into()));
            text.unwrap_or("Hallo, danke für die Nachricht – klingt spannend! Lass uns gern nächste Woche telefonieren.".into())
        }
    };
    if !last_id.is_empty() {
        headers.push(("In-Reply-To".into(), last_id));
        headers.push(("References".into(), refs));
    }
    let m = st.gmail.add(
        &address,
        Some(thread_id.to_string()),
        vec!["INBOX".into(), "UNREAD".into()],
        headers,
        body,
    );
    Reply::ok(json!({
        "id": m.id,
        "threadId": m.thread_id,
        "historyId": m.history_id.to_string(),
        "mailbox": address,
        "message": message_json(&m, "full", &[]),
    }))
}
