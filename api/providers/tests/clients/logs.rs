//! Traces name the provider, operation and URL of every attempt, and never a credential: each client is run with
//! its secrets (successes, retries and failures) while every log line, at TRACE, is captured.

use crate::common::{secret, Sim};
use leadgen_providers::google::{Gmail, GoogleApp, GoogleOAuth};
use leadgen_providers::instagram::{Instagram, InstagramApp};
use leadgen_providers::openai::{Message, OpenAi};
use leadgen_providers::perplexity::{AnswerRequest, Perplexity};
use leadgen_providers::telegram::Telegram;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_credential_reaches_the_logs() {
    let sink = Captured::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    const IG_SECRET: &str = "igappsecret-0001";
    const IG_TOKEN: &str = "IGQWsim17841400000000007S9-token";
    const APIFY: &str = "apify_api_Secret0002";
    const OPENAI: &str = "sk-proj-Secret0003";
    const PPLX: &str = "pplx-Secret0004";
    const G_SECRET: &str = "GOCSPX-Secret0005";
    const G_REFRESH: &str = "1//sim.refreshSecret0006";
    const G_ACCESS: &str = "ya29.sim.accessSecret0007";
    const PASSWORD: &str = "hunter2-Secret0008";
    const BOT: &str = "987654:AASecretBot0009";
    let mut secrets = vec![IG_SECRET, IG_TOKEN, APIFY, OPENAI, PPLX, G_SECRET, G_REFRESH, G_ACCESS, PASSWORD, BOT];

    let sim = Sim::start();
    let p = crate::common::policy();
    let mut errors = Vec::new();

    // Every call once with a retry (a 500 first), and once more failing for good.
    for (provider, route) in [
        ("instagram", "refresh"),
        ("instagram", "code_exchange"),
        ("apify", "run_sync"),
        ("openai", "chat_completions"),
        ("perplexity", "chat_completions"),
        ("google", "token"),
        ("gmail", "send"),
        ("sidecar", "auth_login"),
        ("sidecar", "user_info_by_username"),
        ("telegram", "send_message"),
    ] {
        sim.fault(provider, route, "server_error", 1, 0).await;
    }
    let ig = Instagram::new(
        InstagramApp { client_id: "77".into(), client_secret: secret(IG_SECRET), redirect_uri: "http://x/cb".into() },
        &sim.url("instagram-www"),
        &sim.url("instagram-api"),
        &sim.url("instagram-graph"),
        p.clone(),
    )
    .unwrap();
    ig.refresh_token(&secret(IG_TOKEN)).await.unwrap();
    ig.long_lived_token(&secret(IG_TOKEN)).await.unwrap();
    errors.push(ig.exchange_code("AQexpired-code-0010").await.unwrap_err());
    secrets.push("AQexpired-code-0010");
    let apify = leadgen_providers::apify::Apify::new(&sim.url("apify"), secret(APIFY), p.clone()).unwrap();
    apify.scrape_profiles(&["anna".into()]).await.unwrap();
    let oai = OpenAi::new(&sim.url("openai"), secret(OPENAI), p.clone()).unwrap();
    crate::ai::ask_openai(&oai).await.unwrap();
    let pplx = Perplexity::new(&sim.url("perplexity"), secret(PPLX), p.clone()).unwrap();
    pplx.answer::<Value>(&AnswerRequest {
        messages: vec![Message::user("@anna")],
        schema: json!({"type": "object"}),
        model: None,
        search_recency_filter: None,
        search_domain_filter: vec![],
    })
    .await
    .unwrap();
    let g = GoogleOAuth::new(
        GoogleApp { client_id: "c".into(), client_secret: secret(G_SECRET), redirect_uri: "http://x/cb".into() },
        &sim.url("google-accounts"),
        &sim.url("google-oauth"),
        p.clone(),
    )
    .unwrap();
    g.refresh(&secret(G_REFRESH)).await.unwrap();
    let gmail = Gmail::new(&sim.url("gmail"), p.clone()).unwrap();
    gmail.send_raw(&secret(G_ACCESS), b"To: a@b.example\r\nSubject: x\r\n\r\nx", None).await.unwrap();
    let sc = sim.sidecar();
    let sid = sc.login("log_user", &secret(PASSWORD), None).await.unwrap();
    let sid_text = secrecy::ExposeSecret::expose_secret(&sid).to_owned();
    sc.user_info_by_username(&sid, "anna").await.unwrap();
    errors.push(sc.login("log_user", &secret("wrong-Secret0011"), None).await.unwrap_err());
    secrets.push("wrong-Secret0011");
    let tg = Telegram::new(&sim.url("telegram"), secret(BOT), p.clone()).unwrap();
    tg.send_message("1", "hi", None).await.unwrap();
    sim.fault("telegram", "send_message", "invalid_token", 1, 0).await;
    errors.push(tg.send_message("1", "hi", None).await.unwrap_err());
    sim.fault("gmail", "send", "timeout", 0, 0).await;
    let short = leadgen_providers::HttpPolicy {
        attempt_timeout: std::time::Duration::from_millis(200),
        max_retries: 1,
        ..p.clone()
    };
    let gmail = Gmail::new(&sim.url("gmail"), short).unwrap();
    errors.push(gmail.send_raw(&secret(G_ACCESS), b"x", None).await.unwrap_err());

    let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    // The traces are there: every provider, the retries, the redaction marks.
    for provider in ["instagram", "apify", "openai", "perplexity", "google", "gmail", "sidecar", "telegram"] {
        assert!(logs.contains(&format!("\"provider\":\"{provider}\"")), "no trace of {provider}");
    }
    assert!(logs.contains("retrying"), "retries are traced");
    assert!(logs.contains("bot[redacted]/sendMessage"), "the bot token in the path is redacted");
    assert!(logs.contains("access_token=[redacted]"), "query credentials are redacted");
    secrets.push(&sid_text);
    for s in &secrets {
        assert!(!logs.contains(s), "{s} is in the logs");
        for e in &errors {
            assert!(!e.to_string().contains(s), "{s} is in the error {e}");
        }
    }
}
