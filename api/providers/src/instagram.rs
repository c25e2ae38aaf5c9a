//! Instagram API with Instagram Login: authorize URL, code exchange (both documented answer shapes), long-lived
//! token, refresh, profile, send a message, subscribe the app to an account's webhooks, account and media insights.

use crate::http::{Classified, Failure, Http, HttpPolicy, Request};
use crate::{join, Provider, ProviderErrorKind, ProviderResult};
use leadgen_core::config::Settings;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

/// The Graph API version in paths.
pub const GRAPH_VERSION: &str = "v25.0";

/// The app's credentials (from the provider settings).
#[derive(Clone)]
pub struct InstagramApp {
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: String,
}

#[derive(Clone)]
pub struct Instagram {
    http: Http,
    www: String,
    api: String,
    graph: String,
    app: InstagramApp,
}

/// The short-lived token of a code exchange (valid one hour), whichever shape the answer had.
#[derive(Debug)]
pub struct ShortLivedToken {
    pub access_token: SecretString,
    /// The professional account id (the one webhooks and messaging use).
    pub user_id: String,
    pub permissions: Vec<String>,
}

/// A long-lived (60 days) token, from the exchange or a refresh.
#[derive(Debug, Deserialize)]
pub struct LongLivedToken {
    pub access_token: SecretString,
    #[serde(default)]
    pub token_type: Option<String>,
    pub expires_in: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Profile {
    /// App-scoped id (always present).
    pub id: String,
    /// The id webhooks and messaging use.
    #[serde(default, deserialize_with = "opt_id")]
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub account_type: Option<String>,
    pub profile_picture_url: Option<String>,
    pub followers_count: Option<u64>,
    pub follows_count: Option<u64>,
    pub media_count: Option<u64>,
    pub biography: Option<String>,
    pub website: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct SentMessage {
    #[serde(deserialize_with = "id")]
    pub recipient_id: String,
    pub message_id: String,
}

/// One metric of an insights answer (`values` for time series, `total_value` for totals).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Insight {
    pub name: String,
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub values: Vec<InsightValue>,
    #[serde(default)]
    pub total_value: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct InsightValue {
    pub value: Value,
    #[serde(default)]
    pub end_time: Option<String>,
}

/// Account insights query: `metric=…&period=…[&metric_type=…][&since=…&until=…]`.
#[derive(Debug, Clone)]
pub struct InsightsQuery {
    pub metrics: Vec<String>,
    pub period: String,
    pub metric_type: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

#[derive(Deserialize)]
struct DataList<T> {
    data: Vec<T>,
}

impl Instagram {
    pub fn new(
        app: InstagramApp,
        www_base: &str,
        api_base: &str,
        graph_base: &str,
        policy: HttpPolicy,
    ) -> ProviderResult<Self> {
        Ok(Instagram {
            http: Http::new(Provider::Instagram, policy, classify)?,
            www: www_base.to_owned(),
            api: api_base.to_owned(),
            graph: graph_base.to_owned(),
            app,
        })
    }

    pub fn from_settings(app: InstagramApp, settings: &Settings) -> ProviderResult<Self> {
        Instagram::new(
            app,
            &settings.instagram_www_base_url,
            &settings.instagram_api_base_url,
            &settings.instagram_graph_base_url,
            HttpPolicy::for_provider(Provider::Instagram, settings),
        )
    }

    /// The consent page to send the browser to.
    pub fn authorize_url(&self, state: &str, scopes: &[&str]) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.app.client_id)
            .append_pair("redirect_uri", &self.app.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", &scopes.join(","))
            .append_pair("state", state)
            .finish();
        format!("{}?{query}", join(&self.www, "/oauth/authorize"))
    }

    /// Code → short-lived token. Accepts the documented `{"data":[{…}]}` envelope and the flat answer seen live,
    /// with `user_id` as a string or a number, and a code still carrying the callback's `#_`.
    pub async fn exchange_code(&self, code: &str) -> ProviderResult<ShortLivedToken> {
        let code = code.trim_end_matches("#_");
        let req = Request::post("code_exchange", join(&self.api, "/oauth/access_token"))
            .form(vec![
                ("client_id".into(), self.app.client_id.clone()),
                (
                    "client_secret".into(),
                    self.app.client_secret.expose_secret().to_owned(),
                ),
                ("grant_type".into(), "authorization_code".into()),
                ("redirect_uri".into(), self.app.redirect_uri.clone()),
                ("code".into(), code.to_owned()),
            ])
            .secret(self.app.client_secret.expose_secret())
            .secret(code);
        let body: Value = self.http.json(req).await?;
        let item = match body.get("data") {
            Some(Value::Array(items)) => items.first().cloned().unwrap_or(Value::Null),
            Some(Value::Object(_)) => body.get("data").cloned().unwrap_or(Value::Null),
            _ => body,
        };
        let token = item.get("access_token").and_then(Value::as_str);
        let user_id = item.get("user_id").and_then(id_string);
        match (token, user_id) {
            (Some(token), Some(user_id)) => Ok(ShortLivedToken {
                access_token: SecretString::from(token.to_owned()),
                user_id,
                permissions: match item.get("permissions") {
                    Some(Value::String(s)) => s
                        .split(',')
                        .map(|p| p.trim().to_owned())
                        .filter(|p| !p.is_empty())
                        .collect(),
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                    _ => Vec::new(),
                },
            }),
            _ => Err(self.http.error(
                "code_exchange",
                ProviderErrorKind::InvalidResponse,
                "the code exchange answer has no access_token and user_id",
            )),
        }
    }

    /// Short-lived → long-lived token.
    pub async fn long_lived_token(&self, short: &SecretString) -> ProviderResult<LongLivedToken> {
        let req = Request::get("long_lived", join(&self.graph, "/access_token"))
            .query("grant_type", "ig_exchange_token")
            .query_secret("client_secret", &self.app.client_secret)
            .query_secret("access_token", short);
        self.http.json(req).await
    }

    /// A long-lived token at least a day old → a fresh one (60 more days).
    pub async fn refresh_token(&self, long: &SecretString) -> ProviderResult<LongLivedToken> {
        let req = Request::get("refresh", join(&self.graph, "/refresh_access_token"))
            .query("grant_type", "ig_refresh_token")
            .query_secret("access_token", long);
        self.http.json(req).await
    }

    pub async fn profile(&self, token: &SecretString) -> ProviderResult<Profile> {
        let req = Request::get("me", self.graph_url("/me"))
            .query(
                "fields",
                "user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count,biography,website",
            )
            .bearer(token);
        self.http.json(req).await
    }

    /// Sends a text message from the account (`ig_id`, or `me`) to a person who wrote first (IGSID).
    pub async fn send_message(
        &self,
        token: &SecretString,
        ig_id: &str,
        recipient_igsid: &str,
        text: &str,
    ) -> ProviderResult<SentMessage> {
        let req = Request::post(
            "send_message",
            self.graph_url(&format!("/{ig_id}/messages")),
        )
        .bearer(token)
        .json(json!({"recipient": {"id": recipient_igsid}, "message": {"text": text}}));
        self.http.json(req).await
    }

    /// Turns on webhook delivery of `fields` (e.g. `messages`) for the token's account.
    pub async fn subscribe_webhooks(
        &self,
        token: &SecretString,
        fields: &[&str],
    ) -> ProviderResult<bool> {
        let req = Request::post("subscribed_apps", self.graph_url("/me/subscribed_apps"))
            .query("subscribed_fields", fields.join(","))
            .bearer(token);
        let body: Value = self.http.json(req).await?;
        Ok(body
            .get("success")
            .and_then(Value::as_bool)
            .unwrap_or(false))
    }

    /// Account insights (an empty list when Instagram has no data, never zeros).
    pub async fn account_insights(
        &self,
        token: &SecretString,
        ig_user_id: &str,
        q: &InsightsQuery,
    ) -> ProviderResult<Vec<Insight>> {
        let mut req = Request::get(
            "user_insights",
            self.graph_url(&format!("/{ig_user_id}/insights")),
        )
        .query("metric", q.metrics.join(","))
        .query("period", &q.period)
        .bearer(token);
        if let Some(t) = &q.metric_type {
            req = req.query("metric_type", t);
        }
        if let Some(s) = q.since {
            req = req.query("since", s);
        }
        if let Some(u) = q.until {
            req = req.query("until", u);
        }
        let list: DataList<Insight> = self.http.json(req).await?;
        Ok(list.data)
    }

    /// Lifetime insights of one media object.
    pub async fn media_insights(
        &self,
        token: &SecretString,
        media_id: &str,
        metrics: &[&str],
    ) -> ProviderResult<Vec<Insight>> {
        let req = Request::get(
            "media_insights",
            self.graph_url(&format!("/{media_id}/insights")),
        )
        .query("metric", metrics.join(","))
        .bearer(token);
        let list: DataList<Insight> = self.http.json(req).await?;
        Ok(list.data)
    }

    fn graph_url(&self, path: &str) -> String {
        join(&self.graph, &format!("/{GRAPH_VERSION}{path}"))
    }
}

fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    id_string(&v).ok_or_else(|| serde::de::Error::custom("expected an id"))
}

fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .as_ref()
        .and_then(id_string))
}

/// Graph errors (`{"error":{"code","error_subcode","is_transient","message"}}`) and the OAuth host's
/// (`{"error_type","code","error_message"}`).
fn classify(f: &Failure<'_>) -> Classified {
    let body = f.json().unwrap_or(Value::Null);
    if let Some(e) = body.get("error").filter(|e| e.is_object()) {
        let code = e.get("code").and_then(Value::as_i64).unwrap_or(0);
        let subcode = e.get("error_subcode").and_then(Value::as_i64);
        let transient = e.get("is_transient").and_then(Value::as_bool);
        let message = e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut c = f.by_status(format!("code {code}: {message}"));
        c.kind = match code {
            190 if subcode == Some(463) || message.to_lowercase().contains("expired") => {
                ProviderErrorKind::TokenExpired
            }
            190 | 101 | 102 | 2500 => ProviderErrorKind::Auth,
            // Throttling: a transient one is waited out, a non-transient one is a used-up quota.
            4 | 17 | 32 | 613 | 80002 if transient == Some(false) => {
                ProviderErrorKind::QuotaExceeded
            }
            4 | 17 | 32 | 613 | 80002 => ProviderErrorKind::RateLimited,
            100 if subcode == Some(33) => ProviderErrorKind::NotFound,
            1 | 2 => ProviderErrorKind::Transient,
            _ if f.status.is_server_error() || transient == Some(true) => {
                ProviderErrorKind::Transient
            }
            _ if f.status.as_u16() == 429 => ProviderErrorKind::RateLimited,
            _ if f.status.as_u16() == 404 => ProviderErrorKind::NotFound,
            _ => ProviderErrorKind::BadRequest,
        };
        if c.retry_after.is_none() && c.kind == ProviderErrorKind::RateLimited {
            c.retry_after = business_use_case_wait(f);
        }
        return c;
    }
    if let Some(message) = body.get("error_message").and_then(Value::as_str) {
        let mut c = f.by_status(message.to_owned());
        let lower = message.to_lowercase();
        if f.status.as_u16() == 400 {
            c.kind = if lower.contains("client secret") || lower.contains("platform app") {
                ProviderErrorKind::Auth
            } else if lower.contains("expired") {
                ProviderErrorKind::TokenExpired
            } else {
                ProviderErrorKind::BadRequest
            };
        }
        return c;
    }
    f.by_status(f.text())
}

/// `X-Business-Use-Case-Usage: {"<id>":[{"estimated_time_to_regain_access": minutes}]}` as a wait.
fn business_use_case_wait(f: &Failure<'_>) -> Option<std::time::Duration> {
    let raw = f.headers.get("x-business-use-case-usage")?.to_str().ok()?;
    let v: Value = serde_json::from_str(raw).ok()?;
    let minutes = v
        .as_object()?
        .values()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|e| {
            e.get("estimated_time_to_regain_access")
                .and_then(Value::as_u64)
        })
        .max()?;
    (minutes > 0).then(|| std::time::Duration::from_secs(minutes * 60))
}
