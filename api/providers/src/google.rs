//! Google OAuth (consent URL with offline access, code exchange, refresh) and the Gmail API (send a raw RFC 2822
//! message, create a draft, list by query — `rfc822msgid:` finds a send in doubt —, get a thread, history since an id).

use crate::http::{Classified, Failure, Http, HttpPolicy, Request};
use crate::{join, Provider, ProviderErrorKind, ProviderResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use leadgen_core::config::Settings;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const SCOPE_GMAIL_SEND: &str = "https://www.googleapis.com/auth/gmail.send";
pub const SCOPE_GMAIL_READONLY: &str = "https://www.googleapis.com/auth/gmail.readonly";
pub const SCOPE_GMAIL_COMPOSE: &str = "https://www.googleapis.com/auth/gmail.compose";

/// The OAuth client (from the provider settings).
#[derive(Clone)]
pub struct GoogleApp {
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: String,
}

#[derive(Clone)]
pub struct GoogleOAuth {
    http: Http,
    accounts: String,
    oauth: String,
    app: GoogleApp,
}

/// Tokens of a code exchange or a refresh (a refresh returns no new refresh token).
#[derive(Debug, Deserialize)]
pub struct GoogleTokens {
    pub access_token: SecretString,
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    pub expires_in: u64,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
}

impl GoogleOAuth {
    pub fn new(
        app: GoogleApp,
        accounts_base: &str,
        oauth_base: &str,
        policy: HttpPolicy,
    ) -> ProviderResult<Self> {
        Ok(GoogleOAuth {
            http: Http::new(Provider::Google, policy, classify_oauth)?,
            accounts: accounts_base.to_owned(),
            oauth: oauth_base.to_owned(),
            app,
        })
    }

    pub fn from_settings(app: GoogleApp, settings: &Settings) -> ProviderResult<Self> {
        GoogleOAuth::new(
            app,
            &settings.google_accounts_base_url,
            &settings.google_oauth_base_url,
            HttpPolicy::for_provider(Provider::Google, settings),
        )
    }

    /// The consent page: offline access (a refresh token) and a fresh consent so the refresh token is issued.
    pub fn authorize_url(&self, state: &str, scopes: &[&str], login_hint: Option<&str>) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("client_id", &self.app.client_id)
            .append_pair("redirect_uri", &self.app.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", &scopes.join(" "))
            .append_pair("access_type", "offline")
            .append_pair("prompt", "consent")
            .append_pair("include_granted_scopes", "true")
            .append_pair("state", state);
        if let Some(hint) = login_hint {
            q.append_pair("login_hint", hint);
        }
        format!(
            "{}?{}",
            join(&self.accounts, "/o/oauth2/v2/auth"),
            q.finish()
        )
    }

    pub async fn exchange_code(&self, code: &str) -> ProviderResult<GoogleTokens> {
        self.token(
            "token",
            vec![
                ("grant_type".into(), "authorization_code".into()),
                ("code".into(), code.to_owned()),
                ("redirect_uri".into(), self.app.redirect_uri.clone()),
            ],
            code,
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &SecretString) -> ProviderResult<GoogleTokens> {
        self.token(
            "token",
            vec![
                ("grant_type".into(), "refresh_token".into()),
                (
                    "refresh_token".into(),
                    refresh_token.expose_secret().to_owned(),
                ),
            ],
            refresh_token.expose_secret(),
        )
        .await
    }

    async fn token(
        &self,
        op: &'static str,
        mut form: Vec<(String, String)>,
        secret: &str,
    ) -> ProviderResult<GoogleTokens> {
        form.push(("client_id".into(), self.app.client_id.clone()));
        form.push((
            "client_secret".into(),
            self.app.client_secret.expose_secret().to_owned(),
        ));
        let req = Request::post(op, join(&self.oauth, "/token"))
            .form(form)
            .secret(self.app.client_secret.expose_secret())
            .secret(secret);
        self.http.json(req).await
    }
}

/// `{"error":"invalid_grant",…}`: the refresh token (or code) is dead → connect again.
fn classify_oauth(f: &Failure<'_>) -> Classified {
    let body = f.json().unwrap_or(Value::Null);
    let error = body
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let desc = body
        .get("error_description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut c = f.by_status(format!("{error}: {desc}"));
    c.kind = match error {
        "invalid_grant" => ProviderErrorKind::TokenExpired,
        "invalid_client" | "unauthorized_client" => ProviderErrorKind::Auth,
        _ => c.kind,
    };
    c
}

#[derive(Clone)]
pub struct Gmail {
    http: Http,
    base: String,
}

/// A message's ids (send, list, history).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MessageRef {
    pub id: String,
    pub thread_id: String,
    #[serde(default)]
    pub label_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Draft {
    pub id: String,
    pub message: MessageRef,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageList {
    pub messages: Vec<MessageRef>,
    pub next_page_token: Option<String>,
    pub result_size_estimate: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    pub id: String,
    #[serde(default)]
    pub history_id: Option<String>,
    #[serde(default)]
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub thread_id: String,
    #[serde(default)]
    pub label_ids: Vec<String>,
    #[serde(default)]
    pub snippet: Option<String>,
    #[serde(default)]
    pub history_id: Option<String>,
    #[serde(default)]
    pub internal_date: Option<String>,
    #[serde(default)]
    pub payload: Option<Part>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Part {
    pub mime_type: Option<String>,
    pub headers: Vec<Header>,
    pub body: Option<PartBody>,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Header {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct PartBody {
    pub size: Option<u64>,
    pub data: Option<String>,
}

impl Message {
    /// A header of the message (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.payload
            .as_ref()?
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The first text/plain body, decoded.
    pub fn text(&self) -> Option<String> {
        fn find(p: &Part) -> Option<String> {
            let is_text = p
                .mime_type
                .as_deref()
                .is_none_or(|m| m.starts_with("text/plain"));
            if is_text {
                if let Some(data) = p.body.as_ref().and_then(|b| b.data.as_deref()) {
                    let bytes = URL_SAFE_NO_PAD.decode(data.trim_end_matches('=')).ok()?;
                    return Some(String::from_utf8_lossy(&bytes).into_owned());
                }
            }
            p.parts.iter().find_map(find)
        }
        find(self.payload.as_ref()?)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct HistoryPage {
    pub history: Vec<HistoryRecord>,
    pub history_id: Option<String>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct HistoryRecord {
    pub id: String,
    pub messages_added: Vec<MessageAdded>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct MessageAdded {
    pub message: MessageRef,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GmailProfile {
    pub email_address: String,
    #[serde(default)]
    pub history_id: Option<String>,
    #[serde(default)]
    pub messages_total: Option<u64>,
}

impl Gmail {
    pub fn new(base: &str, policy: HttpPolicy) -> ProviderResult<Self> {
        Ok(Gmail {
            http: Http::new(Provider::Gmail, policy, classify_gmail)?,
            base: base.to_owned(),
        })
    }

    pub fn from_settings(settings: &Settings) -> ProviderResult<Self> {
        Gmail::new(
            &settings.gmail_base_url,
            HttpPolicy::for_provider(Provider::Gmail, settings),
        )
    }

    fn url(&self, path: &str) -> String {
        join(&self.base, &format!("/gmail/v1/users/me{path}"))
    }

    /// Sends a whole RFC 2822 message (headers + body); `thread_id` keeps a reply in its thread.
    pub async fn send_raw(
        &self,
        token: &SecretString,
        rfc2822: &[u8],
        thread_id: Option<&str>,
    ) -> ProviderResult<MessageRef> {
        let mut body = json!({ "raw": URL_SAFE_NO_PAD.encode(rfc2822) });
        if let Some(t) = thread_id {
            body["threadId"] = json!(t);
        }
        let req = Request::post("send", self.url("/messages/send"))
            .bearer(token)
            .json(body);
        self.http.json(req).await
    }

    pub async fn create_draft(
        &self,
        token: &SecretString,
        rfc2822: &[u8],
        thread_id: Option<&str>,
    ) -> ProviderResult<Draft> {
        let mut message = json!({ "raw": URL_SAFE_NO_PAD.encode(rfc2822) });
        if let Some(t) = thread_id {
            message["threadId"] = json!(t);
        }
        let req = Request::post("drafts_create", self.url("/drafts"))
            .bearer(token)
            .json(json!({ "message": message }));
        self.http.json(req).await
    }

    /// Messages matching a Gmail search query.
    pub async fn list_messages(
        &self,
        token: &SecretString,
        query: &str,
        page_token: Option<&str>,
        max_results: Option<u32>,
    ) -> ProviderResult<MessageList> {
        let mut req = Request::get("messages_list", self.url("/messages"))
            .bearer(token)
            .query("q", query);
        if let Some(p) = page_token {
            req = req.query("pageToken", p);
        }
        if let Some(m) = max_results {
            req = req.query("maxResults", m);
        }
        self.http.json(req).await
    }

    /// The message carrying this `Message-ID` header (with or without angle brackets), if the mailbox has it.
    pub async fn find_by_message_id(
        &self,
        token: &SecretString,
        message_id: &str,
    ) -> ProviderResult<Option<MessageRef>> {
        let id = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        let list = self
            .list_messages(token, &format!("rfc822msgid:{id}"), None, Some(10))
            .await?;
        Ok(list.messages.into_iter().next())
    }

    /// A thread; `format` is `full`, `metadata` or `minimal`.
    pub async fn get_thread(
        &self,
        token: &SecretString,
        thread_id: &str,
        format: &str,
    ) -> ProviderResult<Thread> {
        let req = Request::get("thread_get", self.url(&format!("/threads/{thread_id}")))
            .bearer(token)
            .query("format", format);
        self.http.json(req).await
    }

    /// Messages added since `start_history_id`. A history id Gmail no longer keeps is `HistoryTooOld`
    /// (do a full list instead).
    pub async fn history_since(
        &self,
        token: &SecretString,
        start_history_id: &str,
        page_token: Option<&str>,
    ) -> ProviderResult<HistoryPage> {
        let mut req = Request::get("history_list", self.url("/history"))
            .bearer(token)
            .query("startHistoryId", start_history_id)
            .query("historyTypes", "messageAdded");
        if let Some(p) = page_token {
            req = req.query("pageToken", p);
        }
        self.http.json(req).await.map_err(|mut e| {
            if e.kind == ProviderErrorKind::NotFound {
                e.kind = ProviderErrorKind::HistoryTooOld;
                e.message = format!("history id {start_history_id} is too old: {}", e.message);
            }
            e
        })
    }

    pub async fn profile(&self, token: &SecretString) -> ProviderResult<GmailProfile> {
        let req = Request::get("profile", self.url("/profile")).bearer(token);
        self.http.json(req).await
    }
}

/// `{"error":{"code","message","errors":[{"reason"}]}}`: the reason tells a daily cap from a rate limit.
fn classify_gmail(f: &Failure<'_>) -> Classified {
    let reason = f.str_at("/error/errors/0/reason");
    let message = f.message_at("/error/message");
    let mut c = f.by_status(format!("{reason}: {message}"));
    c.kind = match reason.as_str() {
        "dailyLimitExceeded" | "quotaExceeded" => ProviderErrorKind::QuotaExceeded,
        "rateLimitExceeded" | "userRateLimitExceeded" => ProviderErrorKind::RateLimited,
        "authError" => ProviderErrorKind::Auth,
        _ => c.kind,
    };
    c
}
