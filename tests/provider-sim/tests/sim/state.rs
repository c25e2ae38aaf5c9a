//! Gmail keeps what was sent: threads, `rfc822msgid:` search, history, and replies/bounces/out-of-office added
//! through the control API.

use crate::T;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

const TOKEN: &str = "ya29.any-token";

fn raw(to: &str, subject: &str, msg_id: &str, body: &str) -> String {
    let m = format!(
        "From: Sales <sales@leadgen.test>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{msg_id}>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{body}"
    );
    URL_SAFE_NO_PAD.encode(m)
}

fn headers(msg: &Value) -> Vec<(String, String)> {
    msg["payload"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_string(),
                h["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn header(msg: &Value, name: &str) -> Option<String> {
    headers(msg)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

#[tokio::test]
async fn gmail_send_thread_reply_bounce_out_of_office_and_history() {
    let t = T::new();
    let g = "/gmail/gmail/v1/users/me";
    let profile = t.get_auth(&format!("{g}/profile"), TOKEN).await.json();
    let h0: u64 = profile["historyId"].as_str().unwrap().parse().unwrap();
    assert_eq!(profile["emailAddress"], "sandbox.user@gmail.com");

    // Nothing found yet: Gmail leaves `messages` out.
    let v = t
        .get_auth(
            &format!("{g}/messages?q=rfc822msgid:abc@leadgen.test"),
            TOKEN,
        )
        .await
        .json();
    assert_eq!(v, json!({"resultSizeEstimate": 0}));

    let sent = t
        .post_json(
            &format!("{g}/messages/send"),
            Some(TOKEN),
            &json!({"raw": raw("lead@example.de", "Kooperation", "abc@leadgen.test", "Hallo Lena")}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let sent = sent.json();
    assert_eq!(sent["labelIds"], json!(["SENT"]));
    let (id, thread) = (
        sent["id"].as_str().unwrap().to_string(),
        sent["threadId"].as_str().unwrap().to_string(),
    );

    // A send in doubt is found by its Message-ID (with or without angle brackets).
    for q in [
        "rfc822msgid:abc@leadgen.test",
        "rfc822msgid:%3Cabc@leadgen.test%3E",
    ] {
        let v = t
            .get_auth(&format!("{g}/messages?q={q}"), TOKEN)
            .await
            .json();
        assert_eq!(
            v["messages"],
            json!([{"id": id, "threadId": thread}]),
            "{q}"
        );
    }

    // Three more sends: the control API counts exactly four.
    for i in 0..3 {
        t.post_json(
            &format!("{g}/messages/send"),
            Some(TOKEN),
            &json!({"raw": raw(&format!("other{i}@example.com"), "Hi", &format!("m{i}@leadgen.test"), "x")}),
        )
        .await;
    }
    assert_eq!(t.count("gmail", "send").await, 4);

    let th = t
        .get_auth(&format!("{g}/threads/{thread}?format=full"), TOKEN)
        .await
        .json();
    assert_eq!(th["messages"].as_array().unwrap().len(), 1);
    let body = th["messages"][0]["payload"]["body"]["data"]
        .as_str()
        .unwrap();
    let body = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE
            .decode(body)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(body, "Hallo Lena");

    // The lead answers; then a bounce and an out-of-office land in the same thread.
    let r = t
        .control(
            &format!("gmail/threads/{thread}/reply"),
            json!({"text": "Gern, ruf mich an!"}),
        )
        .await;
    assert_eq!(r["threadId"], thread.as_str());
    t.control(&format!("gmail/threads/{thread}/bounce"), json!({}))
        .await;
    t.control(&format!("gmail/threads/{thread}/out_of_office"), json!({}))
        .await;
    let th = t
        .get_auth(&format!("{g}/threads/{thread}"), TOKEN)
        .await
        .json();
    let msgs = th["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4);
    let reply = &msgs[1];
    assert_eq!(
        header(reply, "From").as_deref(),
        Some("lead@example.de"),
        "a reply is not from the mailbox"
    );
    assert_eq!(header(reply, "Subject").as_deref(), Some("Re: Kooperation"));
    assert_eq!(
        header(reply, "In-Reply-To").as_deref(),
        Some("<abc@leadgen.test>")
    );
    assert!(reply["labelIds"]
        .as_array()
        .unwrap()
        .contains(&json!("INBOX")));
    assert!(header(&msgs[2], "From")
        .unwrap()
        .contains("mailer-daemon@googlemail.com"));
    assert_eq!(
        header(&msgs[2], "X-Failed-Recipients").as_deref(),
        Some("lead@example.de")
    );
    assert_eq!(
        header(&msgs[3], "Auto-Submitted").as_deref(),
        Some("auto-replied")
    );

    // History since the start lists every added message, in order; since the send, only the three arrivals.
    let v = t
        .get_auth(
            &format!("{g}/history?startHistoryId={h0}&historyTypes=messageAdded"),
            TOKEN,
        )
        .await
        .json();
    assert_eq!(v["history"].as_array().unwrap().len(), 7);
    let after_send: u64 = t
        .get_auth(&format!("{g}/messages/{id}?format=minimal"), TOKEN)
        .await
        .json()["historyId"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let last_sent: u64 = v["history"][3]["id"].as_str().unwrap().parse().unwrap();
    assert!(last_sent > after_send);
    let v = t
        .get_auth(
            &format!("{g}/history?startHistoryId={last_sent}&labelId=INBOX"),
            TOKEN,
        )
        .await
        .json();
    let added: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            h["messagesAdded"][0]["message"]["threadId"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(added, vec![thread.as_str(); 3]);
    let newest: u64 = v["historyId"].as_str().unwrap().parse().unwrap();
    let v = t
        .get_auth(&format!("{g}/history?startHistoryId={newest}"), TOKEN)
        .await
        .json();
    assert!(v.get("history").is_none(), "nothing new: {v}");
    // An out-of-date start answers 404 (the client falls back to a full list).
    let r = t
        .get_auth(&format!("{g}/history?startHistoryId=1"), TOKEN)
        .await;
    assert_eq!(r.status, 404);

    // A reply the client sends into the thread stays in it; an unknown thread is 404.
    let r = t
        .post_json(
            &format!("{g}/messages/send"),
            Some(TOKEN),
            &json!({"raw": raw("lead@example.de", "Re: Kooperation", "f1@leadgen.test", "Danke!"), "threadId": thread}),
        )
        .await;
    assert_eq!(r.json()["threadId"], thread.as_str());
    let r = t
        .post_json(
            &format!("{g}/messages/send"),
            Some(TOKEN),
            &json!({"raw": raw("a@b.de", "x", "y@z", "b"), "threadId": "ffff"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = t.control_status("gmail/threads/ffff/reply").await;
    assert_eq!(r, 404);

    // Drafts: created, then sent.
    let d = t
        .post_json(
            &format!("{g}/drafts"),
            Some(TOKEN),
            &json!({"message": {"raw": raw("c@d.de", "Entwurf", "d1@leadgen.test", "..." )}}),
        )
        .await
        .json();
    assert_eq!(d["message"]["labelIds"], json!(["DRAFT"]));
    let s = t
        .post_json(
            &format!("{g}/drafts/send"),
            Some(TOKEN),
            &json!({"id": d["id"]}),
        )
        .await
        .json();
    assert_eq!(s["labelIds"], json!(["SENT"]));
    assert_eq!(s["id"], d["message"]["id"]);

    // Each mailbox is its own: another token's mailbox is empty.
    let other = format!(
        "ya29.sim.{}.1",
        URL_SAFE_NO_PAD.encode("second@example.com")
    );
    let v = t.get_auth(&format!("{g}/messages"), &other).await.json();
    assert_eq!(v["resultSizeEstimate"], 0);
    assert_eq!(
        t.get_auth(&format!("{g}/profile"), &other).await.json()["emailAddress"],
        "second@example.com"
    );
}

impl T {
    pub async fn control_status(&self, path: &str) -> u16 {
        self.post_json(&format!("/_sim/{path}"), None, &json!({}))
            .await
            .status
    }
}
