//! Perplexity (Sonar) chat completions with a JSON-schema answer. Citations and search results are kept; an answer
//! without them is fine; a `<think>…</think>` prefix (reasoning models) is removed before parsing.

use crate::http::{Http, HttpPolicy, Request};
use crate::openai::{structured_answer, ChatResponse, JsonSchema, Message, ResponseFormat, Usage};
use crate::{join, Provider, ProviderResult};
use leadgen_core::config::Settings;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const DEFAULT_MODEL: &str = "sonar";

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct SearchResult {
    pub title: Option<String>,
    pub url: String,
    pub date: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AnswerRequest {
    pub messages: Vec<Message>,
    pub schema: Value,
    pub model: Option<String>,
    /// `month`, `week`, `day` or `hour`.
    pub search_recency_filter: Option<String>,
    pub search_domain_filter: Vec<String>,
}

/// A chat completions request with a JSON-schema answer (Perplexity's shape), written straight from the request.
#[derive(Serialize)]
struct AnswerBody<'a> {
    model: &'a str,
    messages: &'a [Message],
    response_format: ResponseFormat<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    search_recency_filter: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    search_domain_filter: &'a [String],
}

/// A parsed answer, its sources and what it cost.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub value: T,
    pub citations: Vec<String>,
    pub search_results: Vec<SearchResult>,
    pub usage: Usage,
    pub model: String,
}

#[derive(Clone)]
pub struct Perplexity {
    http: Http,
    base: String,
    key: SecretString,
    pub model: String,
}

impl Perplexity {
    pub fn new(base: &str, key: SecretString, policy: HttpPolicy) -> ProviderResult<Self> {
        Ok(Perplexity {
            // Perplexity's errors are OpenAI-shaped.
            http: Http::new(Provider::Perplexity, policy, crate::openai::classify)?,
            base: base.to_owned(),
            key,
            model: DEFAULT_MODEL.to_owned(),
        })
    }

    pub fn from_settings(key: SecretString, settings: &Settings) -> ProviderResult<Self> {
        Perplexity::new(
            &settings.perplexity_base_url,
            key,
            HttpPolicy::for_provider(Provider::Perplexity, settings),
        )
    }

    pub fn with_key(&self, key: SecretString) -> Self {
        Perplexity {
            key,
            ..self.clone()
        }
    }

    pub async fn answer<T: DeserializeOwned>(
        &self,
        r: &AnswerRequest,
    ) -> ProviderResult<Answer<T>> {
        let body = AnswerBody {
            model: r.model.as_deref().unwrap_or(&self.model),
            messages: &r.messages,
            response_format: ResponseFormat {
                kind: "json_schema",
                json_schema: JsonSchema {
                    name: None,
                    schema: &r.schema,
                    strict: None,
                },
            },
            search_recency_filter: r.search_recency_filter.as_deref(),
            search_domain_filter: &r.search_domain_filter,
        };
        let req = Request::post("chat_completions", join(&self.base, "/chat/completions"))
            .bearer(&self.key)
            .json(&body);
        let resp: ChatResponse = self.http.json(req).await?;
        let (value, usage) = structured_answer(&self.http, resp.choices, resp.usage)?;
        Ok(Answer {
            value,
            citations: resp.citations,
            search_results: resp.search_results,
            usage,
            model: resp.model,
        })
    }
}
