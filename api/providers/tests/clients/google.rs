//! Google OAuth and Gmail: consent with offline access, code exchange, refresh, send, draft, lookup by
//! Message-ID, thread with a reply, history since an id, and a history id that is too old.

use crate::common::{approve, pair, secret, Sim};
use leadgen_providers::google::{SCOPE_GMAIL_READONLY, SCOPE_GMAIL_SEND};
use leadgen_providers::ProviderErrorKind;
use secrecy::ExposeSecret;
use serde_json::json;

fn mail(id: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Operator <op@example.com>\r\nTo: Anna <anna@bakery.example>\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nHallo Anna,\r\nwie geht's?\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn consent_exchange_and_refresh() {
    let sim = Sim::start();
    let g = sim.google();
    let url = g.authorize_url("st-1", &[SCOPE_GMAIL_SEND, SCOPE_GMAIL_READONLY], Some("op@example.com"));
    assert!(url.contains("access_type=offline") && url.contains("prompt=consent"), "{url}");
    let back = approve(&url).await;
    assert_eq!(pair(&back, "state"), Some("st-1"));
    let tokens = g.exchange_code(pair(&back, "code").unwrap()).await.unwrap();
    let refresh = tokens.refresh_token.expect("offline access gives a refresh token");
    assert!(tokens.expires_in > 0);
    let again = g.refresh(&refresh).await.unwrap();
    assert!(again.refresh_token.is_none());
    let profile = sim.gmail().profile(&again.access_token).await.unwrap();
    assert_eq!(profile.email_address, "op@example.com");
    let e = g.refresh(&secret("1//expired-refresh")).await.unwrap_err();
    assert_eq!((e.kind, e.attempts), (ProviderErrorKind::TokenExpired, 1), "{e}");
    assert_eq!(e.code().as_str(), "provider_token_expired");
    let _ = again.access_token.expose_secret();
}

#[tokio::test]
async fn send_draft_find_thread_and_history() {
    let sim = Sim::start();
    let gmail = sim.gmail();
    let g = sim.google();
    let back = approve(&g.authorize_url("s", &[SCOPE_GMAIL_SEND], Some("op@example.com"))).await;
    let token = g.exchange_code(pair(&back, "code").unwrap()).await.unwrap().access_token;
    let start = gmail.profile(&token).await.unwrap().history_id.unwrap();

    let sent = gmail.send_raw(&token, &mail("lead-1@leadgen.test", "Hallo"), None).await.unwrap();
    assert!(sent.label_ids.contains(&"SENT".to_owned()));
    let draft = gmail.create_draft(&token, &mail("lead-2@leadgen.test", "Entwurf"), None).await.unwrap();
    assert!(draft.message.label_ids.contains(&"DRAFT".to_owned()));

    // A send in doubt is found by its Message-ID, with or without brackets; an unknown one is not.
    let found = gmail.find_by_message_id(&token, "<lead-1@leadgen.test>").await.unwrap();
    assert_eq!(found.map(|m| m.id), Some(sent.id.clone()));
    assert_eq!(gmail.find_by_message_id(&token, "nobody@leadgen.test").await.unwrap(), None);

    sim.post_control(&format!("gmail/threads/{}/reply", sent.thread_id), json!({})).await;
    let thread = gmail.get_thread(&token, &sent.thread_id, "full").await.unwrap();
    assert_eq!(thread.messages.len(), 2);
    let reply = &thread.messages[1];
    assert_ne!(reply.header("From"), thread.messages[0].header("From"));
    assert!(thread.messages[0].text().unwrap().contains("Hallo Anna"));

    let history = gmail.history_since(&token, &start, None).await.unwrap();
    let added: Vec<&str> = history
        .history
        .iter()
        .flat_map(|h| h.messages_added.iter().map(|m| m.message.id.as_str()))
        .collect();
    assert!(added.contains(&sent.id.as_str()) && added.contains(&reply.id.as_str()), "{added:?}");

    let e = gmail.history_since(&token, "1", None).await.unwrap_err();
    assert_eq!((e.kind, e.attempts), (ProviderErrorKind::HistoryTooOld, 1), "{e}");
    assert_eq!(e.code().as_str(), "provider_history_too_old");
    let e = gmail.get_thread(&token, "nosuchthread", "minimal").await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::NotFound);
}
