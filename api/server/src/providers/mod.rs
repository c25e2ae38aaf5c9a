//! Provider settings: the credentials and options of every outside service (global ones set by admins, a user's own
//! AI keys), kept encrypted and shown only as a hint; "test connection"; and the record of every provider call.

pub mod mailboxes;
pub mod routes;
pub mod usage;

use crate::state::AppState;
use leadgen_core::config::Settings;
use leadgen_core::secrets::Secrets;
use leadgen_core::{ApiError, ApiResult};
use leadgen_db::models::provider_setting::{
    NewProviderCall, ProviderCall, ProviderSetting, SettingValue,
};
use leadgen_providers::apify::Apify;
use leadgen_providers::google::{GoogleApp, GoogleOAuth};
use leadgen_providers::openai::{Message, OpenAi, StructuredRequest};
use leadgen_providers::perplexity::{AnswerRequest, Perplexity};
use leadgen_providers::sidecar::Sidecar;
use leadgen_providers::telegram::Telegram;
use leadgen_providers::HttpPolicy;
use leadgen_providers::{ProviderError, ProviderErrorKind};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// One setting of a provider.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub provider: &'static str,
    pub field: &'static str,
    pub label: &'static str,
    /// Kept encrypted and shown only as a hint.
    pub secret: bool,
    /// Users may set their own value (the AI keys).
    pub user_override: bool,
    pub kind: FieldKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// A model name: letters, digits, `.`, `_`, `:`, `-`.
    Model,
    Url,
    /// A price in US dollars: a number ≥ 0 (the pipeline's estimates and costs).
    Price,
}

const fn f(
    provider: &'static str,
    field: &'static str,
    label: &'static str,
    secret: bool,
    user_override: bool,
    kind: FieldKind,
) -> Field {
    Field {
        provider,
        field,
        label,
        secret,
        user_override,
        kind,
    }
}

/// The providers in the order the settings page lists them, with their labels.
pub const PROVIDERS: &[(&str, &str)] = &[
    ("openai", "OpenAI"),
    ("perplexity", "Perplexity"),
    ("apify", "Apify"),
    ("instagram", "Instagram app"),
    ("google", "Google OAuth (Gmail)"),
    ("telegram", "Telegram"),
    ("sidecar", "Instagram session sidecar"),
];

/// The unit prices of the pipeline's paid calls (settings; defaults in [`default_price`]).
pub const PRICE_PER_CALL: &str = "price_per_call_usd";
pub const RUN_PRICE: &str = "run_price_usd";
pub const POSTS_PRICE: &str = "posts_price_per_1000_usd";
pub const PROFILES_PRICE: &str = "profiles_price_per_1000_usd";

/// A unit price when none is set: list prices of the providers' cheapest fitting offer (December 2026).
pub fn default_price(provider: &str, field: &str) -> f64 {
    match (provider, field) {
        ("apify", RUN_PRICE) => 0.01,
        ("apify", POSTS_PRICE) => 2.30,
        ("apify", PROFILES_PRICE) => 2.60,
        ("perplexity", PRICE_PER_CALL) => 0.006,
        ("openai", PRICE_PER_CALL) => 0.002,
        _ => 0.0,
    }
}

/// Every setting there is.
pub const FIELDS: &[Field] = &[
    f("openai", "api_key", "API key", true, true, FieldKind::Text),
    f("openai", "model", "Model", false, false, FieldKind::Model),
    f(
        "openai",
        PRICE_PER_CALL,
        "Price per e-mail draft (USD)",
        false,
        false,
        FieldKind::Price,
    ),
    f(
        "perplexity",
        "api_key",
        "API key",
        true,
        true,
        FieldKind::Text,
    ),
    f(
        "perplexity",
        "model",
        "Model",
        false,
        false,
        FieldKind::Model,
    ),
    f(
        "perplexity",
        PRICE_PER_CALL,
        "Price per contact search (USD)",
        false,
        false,
        FieldKind::Price,
    ),
    f("apify", "token", "API token", true, false, FieldKind::Text),
    f(
        "apify",
        RUN_PRICE,
        "Price per actor run (USD)",
        false,
        false,
        FieldKind::Price,
    ),
    f(
        "apify",
        POSTS_PRICE,
        "Price per 1,000 hashtag posts (USD)",
        false,
        false,
        FieldKind::Price,
    ),
    f(
        "apify",
        PROFILES_PRICE,
        "Price per 1,000 profiles (USD)",
        false,
        false,
        FieldKind::Price,
    ),
    f(
        "instagram",
        "app_id",
        "App id",
        false,
        false,
        FieldKind::Text,
    ),
    f(
        "instagram",
        "app_secret",
        "App secret",
        true,
        false,
        FieldKind::Text,
    ),
    f(
        "instagram",
        "webhook_verify_token",
        "Webhook verify token",
        true,
        false,
        FieldKind::Text,
    ),
    f(
        "google",
        "client_id",
        "OAuth client id",
        false,
        false,
        FieldKind::Text,
    ),
    f(
        "google",
        "client_secret",
        "OAuth client secret",
        true,
        false,
        FieldKind::Text,
    ),
    f(
        "telegram",
        "bot_token",
        "Bot token",
        true,
        false,
        FieldKind::Text,
    ),
    f(
        "sidecar",
        "base_url",
        "Sidecar URL",
        false,
        false,
        FieldKind::Url,
    ),
];

pub fn provider_label(provider: &str) -> Option<&'static str> {
    PROVIDERS
        .iter()
        .find(|(p, _)| *p == provider)
        .map(|(_, l)| *l)
}

pub fn field(provider: &str, name: &str) -> Option<&'static Field> {
    FIELDS
        .iter()
        .find(|f| f.provider == provider && f.field == name)
}

/// What the API shows of a secret: its last four characters when it is long enough to keep the rest hidden.
pub fn hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 12 {
        format!(
            "••••{}",
            chars[chars.len() - 4..].iter().collect::<String>()
        )
    } else {
        "••••".into()
    }
}

/// Checks a new value (`path` names it in the error) and returns it trimmed.
pub fn check_value(f: &Field, value: &str, path: &str) -> ApiResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::field(
            path,
            "required",
            "Enter a value, or send null to clear it.",
        ));
    }
    if v.chars().count() > 2000 {
        return Err(ApiError::field(path, "length", "At most 2000 characters."));
    }
    match f.kind {
        FieldKind::Text => {
            if v.chars().any(char::is_control) {
                return Err(ApiError::field(path, "invalid", "No control characters."));
            }
        }
        FieldKind::Model => {
            let ok = v.len() <= 100
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-' | '/'));
            if !ok {
                return Err(ApiError::field(path, "invalid", "Not a model name."));
            }
        }
        FieldKind::Price => {
            let ok = v
                .parse::<f64>()
                .is_ok_and(|p| p.is_finite() && (0.0..=10_000.0).contains(&p));
            if !ok {
                return Err(ApiError::field(
                    path,
                    "invalid",
                    "Enter a price in US dollars, e.g. 0.25 (0 to 10000).",
                ));
            }
        }
        FieldKind::Url => {
            let ok = url::Url::parse(v).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some()
                    && u.query().is_none()
                    && u.fragment().is_none()
            });
            if !ok {
                return Err(ApiError::field(
                    path,
                    "invalid",
                    "Enter an http(s) URL like http://127.0.0.1:8000.",
                ));
            }
        }
    }
    Ok(v.to_owned())
}

/// Encrypts a secret for its row (or keeps a plain value as it is).
pub fn seal(
    state: &AppState,
    f: &Field,
    user_id: Option<&str>,
    value: String,
) -> ApiResult<SettingValue> {
    if !f.secret {
        return Ok(SettingValue::Plain(value));
    }
    let id = ProviderSetting::row_id(user_id, f.provider, f.field);
    let enc = state
        .secrets
        .keyring
        .encrypt_str(&value, ProviderSetting::slot(&id))
        .map_err(ApiError::internal)?;
    Ok(SettingValue::Secret {
        enc,
        hint: hint(&value),
    })
}

/// A setting's value in clear, from the user's override when there is one, else the global one.
pub fn effective(
    state: &AppState,
    c: &mut leadgen_db::DbConn,
    user_id: Option<&str>,
    provider: &str,
    name: &str,
) -> ApiResult<Option<String>> {
    effective_with(&state.secrets, c, user_id, provider, name)
}

/// [`effective`] for code without the app state (job handlers: see [`ProviderAccess`]).
pub fn effective_with(
    secrets: &Secrets,
    c: &mut leadgen_db::DbConn,
    user_id: Option<&str>,
    provider: &str,
    name: &str,
) -> ApiResult<Option<String>> {
    let Some(f) = field(provider, name) else {
        return Ok(None);
    };
    let mut ids = Vec::with_capacity(2);
    if let (Some(u), true) = (user_id, f.user_override) {
        ids.push(ProviderSetting::row_id(Some(u), provider, name));
    }
    ids.push(ProviderSetting::row_id(None, provider, name));
    for id in ids {
        let Some(row) = ProviderSetting::find(c, &id)? else {
            continue;
        };
        if let Some(blob) = row.value_enc {
            let v = secrets
                .keyring
                .decrypt_str(&blob, ProviderSetting::slot(&row.id))
                .map_err(ApiError::internal)?;
            return Ok(Some(v));
        }
        if row.value.is_some() {
            return Ok(row.value);
        }
    }
    Ok(None)
}

/// What a job handler needs to call providers: the settings (base URLs, policies) and the key ring (the
/// credentials in the database). Handed to every handler by `jobs::build`.
#[derive(Clone)]
pub struct ProviderAccess {
    pub settings: Arc<Settings>,
    pub secrets: Arc<Secrets>,
}

impl ProviderAccess {
    /// A setting's value in clear (the user's override first; see [`effective`]).
    pub fn effective(
        &self,
        c: &mut leadgen_db::DbConn,
        user_id: Option<&str>,
        provider: &str,
        name: &str,
    ) -> ApiResult<Option<String>> {
        effective_with(&self.secrets, c, user_id, provider, name)
    }

    /// A unit price (see [`default_price`]): the setting when it is a number, else the default.
    pub fn price(&self, c: &mut leadgen_db::DbConn, provider: &str, name: &str) -> ApiResult<f64> {
        Ok(self
            .effective(c, None, provider, name)?
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|p| p.is_finite() && *p >= 0.0)
            .unwrap_or_else(|| default_price(provider, name)))
    }
}

/// The outcome of "test connection", in words.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    pub ok: bool,
    /// The stable error code when it failed (`not_configured`, `not_supported`, or a provider error code).
    pub code: Option<String>,
    pub message: String,
    pub duration_ms: i64,
}

/// The providers "test connection" makes a real call for (Instagram has no token of its own to test with).
pub const TESTABLE: &[&str] = &[
    "openai",
    "perplexity",
    "apify",
    "google",
    "telegram",
    "sidecar",
];

/// What a connection test calls with.
enum Creds {
    /// An API key or token, and the model (AI providers).
    Key(SecretString, Option<String>),
    Google(GoogleApp),
    Url(String),
}

/// What a test call did, for the usage record.
struct Called {
    operation: &'static str,
    units: i64,
    unit: Option<&'static str>,
}

/// Makes the cheapest real call the provider's client has with the effective credentials (the user's own AI key
/// when `user_id` has one), records it as a provider call, and says how it went.
pub async fn test_connection(
    state: &AppState,
    provider: &'static str,
    user_id: Option<String>,
    actor_id: String,
) -> ApiResult<TestOutcome> {
    let st = state.clone();
    let uid = user_id.clone();
    let creds = state
        .db
        .run(move |c| {
            let get = |c: &mut leadgen_db::DbConn, name: &str, user: Option<&str>| {
                effective(&st, c, user, provider, name)
            };
            Ok(match provider {
                "openai" | "perplexity" => match get(c, "api_key", uid.as_deref())? {
                    Some(k) => Some(Creds::Key(SecretString::from(k), get(c, "model", None)?)),
                    None => None,
                },
                "apify" => get(c, "token", None)?.map(|k| Creds::Key(SecretString::from(k), None)),
                "telegram" => {
                    get(c, "bot_token", None)?.map(|k| Creds::Key(SecretString::from(k), None))
                }
                "google" => match (get(c, "client_id", None)?, get(c, "client_secret", None)?) {
                    (Some(id), Some(secret)) => Some(Creds::Google(GoogleApp {
                        client_id: id,
                        client_secret: SecretString::from(secret),
                        redirect_uri: String::new(),
                    })),
                    _ => None,
                },
                "sidecar" => get(c, "base_url", None)?
                    .or_else(|| st.settings.sidecar_base_url.clone())
                    .map(Creds::Url),
                _ => None,
            })
        })
        .await?;
    if !TESTABLE.contains(&provider) {
        return Ok(TestOutcome {
            ok: false,
            code: Some("not_supported".into()),
            message: format!(
                "{} has no test call: it is checked when an Instagram account is connected.",
                provider_label(provider).unwrap_or(provider)
            ),
            duration_ms: 0,
        });
    }
    let Some(creds) = creds else {
        let what = match provider {
            "apify" => "API token",
            "telegram" => "bot token",
            "google" => "OAuth client id and secret",
            "sidecar" => "sidecar URL",
            _ => "API key",
        };
        return Ok(TestOutcome {
            ok: false,
            code: Some("not_configured".into()),
            message: format!(
                "No {what} is set for {}.",
                provider_label(provider).unwrap_or(provider)
            ),
            duration_ms: 0,
        });
    };
    let started = Instant::now();
    let result = match (provider, creds) {
        ("openai", Creds::Key(key, model)) => test_openai(state, key, model).await,
        ("perplexity", Creds::Key(key, model)) => test_perplexity(state, key, model).await,
        ("apify", Creds::Key(key, _)) => test_apify(state, key).await,
        ("telegram", Creds::Key(key, _)) => test_telegram(state, key).await,
        ("google", Creds::Google(app)) => test_google(state, app).await,
        ("sidecar", Creds::Url(url)) => test_sidecar(state, &url).await,
        _ => {
            return Err(ApiError::internal(anyhow::anyhow!(
                "credentials of another provider"
            )))
        }
    };
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (outcome, called) = match result {
        Ok(called) => (
            TestOutcome {
                ok: true,
                code: None,
                message: if provider == "sidecar" {
                    "Connected: the Instagram session sidecar answers.".into()
                } else {
                    format!(
                        "Connected: {} accepted the credentials.",
                        provider_label(provider).unwrap_or(provider)
                    )
                },
                duration_ms,
            },
            Ok(called),
        ),
        Err(e) => {
            let code = e.code();
            let mut message = ApiError::new(code).message;
            if let Some(status) = e.status {
                message.push_str(&format!(" (HTTP {status})"));
            }
            tracing::info!(provider, error = %code.as_str(), status = ?e.status, "connection test failed");
            (
                TestOutcome {
                    ok: false,
                    code: Some(code.as_str().into()),
                    message,
                    duration_ms,
                },
                Err((e.operation, code)),
            )
        }
    };
    let status = outcome.code.clone().unwrap_or_else(|| "ok".into());
    let (operation, units, unit) = match called {
        Ok(c) => (c.operation, c.units, c.unit),
        Err((op, _)) => (op, 0, None),
    };
    state
        .db
        .run(move |c| {
            ProviderCall::record(
                c,
                &NewProviderCall {
                    provider,
                    operation,
                    user_id: Some(&actor_id),
                    status: &status,
                    duration_ms,
                    units,
                    unit,
                },
            )
        })
        .await?;
    Ok(outcome)
}

fn ok_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
        "additionalProperties": false,
    })
}

const TEST_PROMPT: &str = "Connection test. Answer with {\"ok\": true}.";

async fn test_openai(
    state: &AppState,
    key: SecretString,
    model: Option<String>,
) -> Result<Called, ProviderError> {
    let client = OpenAi::from_settings(key, &state.settings)?;
    let r = StructuredRequest {
        messages: vec![Message::user(TEST_PROMPT)],
        schema_name: "connection_test".into(),
        schema: ok_schema(),
        model,
        temperature: None,
        max_completion_tokens: Some(16),
    };
    let answer = client.structured::<Value>(&r).await?;
    Ok(Called {
        operation: "chat_completions",
        units: i64::try_from(answer.usage.total_tokens).unwrap_or(i64::MAX),
        unit: Some("tokens"),
    })
}

async fn test_perplexity(
    state: &AppState,
    key: SecretString,
    model: Option<String>,
) -> Result<Called, ProviderError> {
    let client = Perplexity::from_settings(key, &state.settings)?;
    let r = AnswerRequest {
        messages: vec![Message::user(TEST_PROMPT)],
        schema: ok_schema(),
        model,
        search_recency_filter: None,
        search_domain_filter: Vec::new(),
    };
    let answer = client.answer::<Value>(&r).await?;
    Ok(Called {
        operation: "chat_completions",
        units: i64::try_from(answer.usage.total_tokens).unwrap_or(i64::MAX),
        unit: Some("tokens"),
    })
}

/// Asks for a run that does not exist: an unknown run (404) means the token was accepted, at no cost.
async fn test_apify(state: &AppState, key: SecretString) -> Result<Called, ProviderError> {
    let client = Apify::from_settings(key, &state.settings)?;
    let called = Called {
        operation: "run_get",
        units: 0,
        unit: None,
    };
    match client.get_run("leadgen-connection-test", 0).await {
        Ok(_) => Ok(called),
        Err(e) if e.kind == ProviderErrorKind::NotFound => Ok(called),
        Err(e) => Err(e),
    }
}

/// Asks who the bot is: proves the token and sends nothing.
async fn test_telegram(state: &AppState, key: SecretString) -> Result<Called, ProviderError> {
    Telegram::from_settings(key, &state.settings)?
        .get_me()
        .await?;
    Ok(Called {
        operation: "get_me",
        units: 0,
        unit: None,
    })
}

/// Refreshes a token that does not exist: Google checks the client first, so `invalid_client` means the id or
/// secret is wrong and `invalid_grant` (the made-up token) means the client was accepted.
async fn test_google(state: &AppState, app: GoogleApp) -> Result<Called, ProviderError> {
    let called = Called {
        operation: "token",
        units: 0,
        unit: None,
    };
    let oauth = GoogleOAuth::from_settings(app, &state.settings)?;
    match oauth
        .refresh(&SecretString::from(
            "1//leadgen-connection-test-invalid".to_owned(),
        ))
        .await
    {
        Ok(_) => Ok(called),
        Err(e) if e.kind == ProviderErrorKind::TokenExpired => Ok(called),
        Err(e) => Err(e),
    }
}

/// The sidecar's version route: it is there and answers.
async fn test_sidecar(state: &AppState, base_url: &str) -> Result<Called, ProviderError> {
    let policy = HttpPolicy::for_provider(leadgen_providers::Provider::Sidecar, &state.settings);
    Sidecar::new(base_url, policy)?.version().await?;
    Ok(Called {
        operation: "version",
        units: 0,
        unit: None,
    })
}
