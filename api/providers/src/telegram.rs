//! Telegram Bot API: send a message; who the bot is (a connection test). The bot token is part of the path, so traces redact the path.

use crate::http::{Classified, Failure, Http, HttpPolicy, Request};
use crate::{join, Provider, ProviderErrorKind, ProviderResult};
use leadgen_core::config::Settings;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Clone)]
pub struct Telegram {
    http: Http,
    base: String,
    token: SecretString,
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Option<SentMessage>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SentMessage {
    pub message_id: i64,
}

/// The bot the token belongs to (`getMe`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Bot {
    pub id: i64,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
}

#[derive(Deserialize)]
struct BotEnvelope {
    ok: bool,
    #[serde(default)]
    result: Option<Bot>,
    #[serde(default)]
    description: Option<String>,
}

impl Telegram {
    pub fn new(base: &str, token: SecretString, policy: HttpPolicy) -> ProviderResult<Self> {
        Ok(Telegram {
            http: Http::new(Provider::Telegram, policy, classify)?,
            base: base.to_owned(),
            token,
        })
    }

    pub fn from_settings(token: SecretString, settings: &Settings) -> ProviderResult<Self> {
        Telegram::new(
            &settings.telegram_base_url,
            token,
            HttpPolicy::for_provider(Provider::Telegram, settings),
        )
    }

    /// Sends `text` (≤ 4096 characters) to a chat; `parse_mode` e.g. `HTML`.
    pub async fn send_message(
        &self,
        chat_id: &str,
        text: &str,
        parse_mode: Option<&str>,
    ) -> ProviderResult<SentMessage> {
        let mut body = json!({ "chat_id": chat_id, "text": text });
        if let Some(p) = parse_mode {
            body["parse_mode"] = json!(p);
        }
        let token = self.token.expose_secret();
        let req = Request::post(
            "send_message",
            join(&self.base, &format!("/bot{token}/sendMessage")),
        )
        .secret(token)
        .json(body);
        let env: Envelope = self.http.json(req).await?;
        match (env.ok, env.result) {
            (true, Some(m)) => Ok(m),
            _ => Err(self.http.error(
                "send_message",
                ProviderErrorKind::InvalidResponse,
                env.description
                    .unwrap_or_else(|| "the answer has no result".into()),
            )),
        }
    }
}

impl Telegram {
    /// Who the bot is: the cheapest call that proves the token (it sends nothing).
    pub async fn get_me(&self) -> ProviderResult<Bot> {
        let token = self.token.expose_secret();
        let req =
            Request::get("get_me", join(&self.base, &format!("/bot{token}/getMe"))).secret(token);
        let env: BotEnvelope = self.http.json(req).await?;
        match (env.ok, env.result) {
            (true, Some(b)) => Ok(b),
            _ => Err(self.http.error(
                "get_me",
                ProviderErrorKind::InvalidResponse,
                env.description
                    .unwrap_or_else(|| "the answer has no result".into()),
            )),
        }
    }
}

/// `{"ok":false,"error_code","description","parameters":{"retry_after"}}`.
fn classify(f: &Failure<'_>) -> Classified {
    let body = f.json().unwrap_or(Value::Null);
    let description = body
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| f.text());
    let mut c = f.by_status(description);
    if let Some(secs) = body
        .pointer("/parameters/retry_after")
        .and_then(Value::as_u64)
    {
        c.retry_after = c.retry_after.or(Some(Duration::from_secs(secs)));
    }
    if f.status.as_u16() == 403 {
        // "Forbidden: bot was blocked by the user": the chat, not the token.
        c.kind = ProviderErrorKind::BadRequest;
    }
    c
}
