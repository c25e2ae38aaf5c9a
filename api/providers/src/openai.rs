//! OpenAI chat completions with a strict JSON-schema answer. Every success returns the token usage; a refusal is
//! the typed `Refused` error (with the usage it cost); a `<think>` prefix or code fences around the JSON are removed.

use crate::http::{Classified, Failure, Http, HttpPolicy, Request};
use crate::text::answer_json;
use crate::{join, Provider, ProviderError, ProviderErrorKind, ProviderResult};
use leadgen_core::config::Settings;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Token usage of one call (what it costs).
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

/// A chat message.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Message {
            role: "system".into(),
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Message {
            role: "user".into(),
            content: content.into(),
        }
    }
}

/// A structured request: the answer must follow `schema` (strict mode: every property required,
/// `additionalProperties: false`).
#[derive(Debug, Clone)]
pub struct StructuredRequest {
    pub messages: Vec<Message>,
    /// `[A-Za-z0-9_-]{1,64}`.
    pub schema_name: String,
    pub schema: Value,
    pub model: Option<String>,
    pub temperature: Option<f32>,
    pub max_completion_tokens: Option<u32>,
}

/// A parsed answer and what it cost.
#[derive(Debug, Clone)]
pub struct Completion<T> {
    pub value: T,
    pub usage: Usage,
    pub model: String,
    pub id: String,
}

#[derive(Deserialize)]
pub(crate) struct ChatResponse {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub usage: Usage,
    #[serde(default)]
    pub citations: Vec<String>,
    #[serde(default)]
    pub search_results: Vec<crate::perplexity::SearchResult>,
}

#[derive(Deserialize)]
pub(crate) struct Choice {
    pub message: ChoiceMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ChoiceMessage {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub refusal: Option<String>,
}

#[derive(Clone)]
pub struct OpenAi {
    http: Http,
    base: String,
    key: SecretString,
    pub model: String,
}

pub const DEFAULT_MODEL: &str = "gpt-4o-mini";

impl OpenAi {
    pub fn new(base: &str, key: SecretString, policy: HttpPolicy) -> ProviderResult<Self> {
        Ok(OpenAi {
            http: Http::new(Provider::OpenAi, policy, classify)?,
            base: base.to_owned(),
            key,
            model: DEFAULT_MODEL.to_owned(),
        })
    }

    pub fn from_settings(key: SecretString, settings: &Settings) -> ProviderResult<Self> {
        OpenAi::new(
            &settings.openai_base_url,
            key,
            HttpPolicy::for_provider(Provider::OpenAi, settings),
        )
    }

    /// The same client with a user's own key (shares the connection pool and the rate limiter).
    pub fn with_key(&self, key: SecretString) -> Self {
        OpenAi {
            key,
            ..self.clone()
        }
    }

    pub async fn structured<T: DeserializeOwned>(
        &self,
        r: &StructuredRequest,
    ) -> ProviderResult<Completion<T>> {
        let body = ChatBody {
            model: r.model.as_deref().unwrap_or(&self.model),
            messages: &r.messages,
            response_format: ResponseFormat {
                kind: "json_schema",
                json_schema: JsonSchema {
                    name: Some(&r.schema_name),
                    schema: &r.schema,
                    strict: Some(true),
                },
            },
            temperature: r.temperature,
            max_completion_tokens: r.max_completion_tokens,
        };
        let req = Request::post("chat_completions", join(&self.base, "/v1/chat/completions"))
            .bearer(&self.key)
            .json(&body);
        let resp: ChatResponse = self.http.json(req).await?;
        let (value, usage) = structured_answer(&self.http, resp.choices, resp.usage)?;
        Ok(Completion {
            value,
            usage,
            model: resp.model,
            id: resp.id,
        })
    }
}

/// A chat completions request with a JSON-schema answer, written straight from the caller's request.
#[derive(Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: &'a [Message],
    response_format: ResponseFormat<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
}

#[derive(Serialize)]
pub(crate) struct ResponseFormat<'a> {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) json_schema: JsonSchema<'a>,
}

#[derive(Serialize)]
pub(crate) struct JsonSchema<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<&'a str>,
    pub(crate) schema: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) strict: Option<bool>,
}

/// The first choice's JSON, parsed as `T`; a refusal or a missing answer is a typed error.
pub(crate) fn structured_answer<T: DeserializeOwned>(
    http: &Http,
    choices: Vec<Choice>,
    usage: Usage,
) -> ProviderResult<(T, Usage)> {
    let Some(choice) = choices.into_iter().next() else {
        return Err(http.error(
            "chat_completions",
            ProviderErrorKind::InvalidResponse,
            "the answer has no choices",
        ));
    };
    if let Some(refusal) = choice.message.refusal.filter(|r| !r.trim().is_empty()) {
        return Err(with_usage(
            http.error("chat_completions", ProviderErrorKind::Refused, refusal),
            usage,
        ));
    }
    let Some(content) = choice.message.content.filter(|c| !c.trim().is_empty()) else {
        let why = choice.finish_reason.unwrap_or_else(|| "unknown".into());
        return Err(with_usage(
            http.error(
                "chat_completions",
                ProviderErrorKind::InvalidResponse,
                format!("the answer is empty (finish_reason {why})"),
            ),
            usage,
        ));
    };
    let json = answer_json(&content);
    match serde_json::from_str(json) {
        Ok(v) => Ok((v, usage)),
        Err(e) => Err(with_usage(
            http.error(
                "chat_completions",
                ProviderErrorKind::InvalidResponse,
                format!("the answer does not follow the schema: {e}"),
            ),
            usage,
        )),
    }
}

fn with_usage(mut e: ProviderError, usage: Usage) -> ProviderError {
    e.usage = Some(usage);
    e
}

/// `{"error":{"message","type","code"}}`: 429 `insufficient_quota` is credits (never retried), other 429s wait.
pub(crate) fn classify(f: &Failure<'_>) -> Classified {
    let code = f.str_at("/error/code");
    let ty = f.str_at("/error/type");
    let message = f.message_at("/error/message");
    let mut c = f.by_status(message);
    if code == "insufficient_quota" || ty == "insufficient_quota" {
        c.kind = ProviderErrorKind::QuotaExceeded;
    }
    c
}
