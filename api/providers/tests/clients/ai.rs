//! Perplexity and OpenAI: structured answers, usage, citations kept or absent, refusals, `<think>` prefixes.

use crate::common::Sim;
use leadgen_providers::openai::{Completion, Message, OpenAi, StructuredRequest};
use leadgen_providers::perplexity::AnswerRequest;
use leadgen_providers::{ProviderErrorKind, ProviderResult};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
pub struct Email {
    pub subject: String,
    pub body: String,
}

fn email_schema() -> Value {
    json!({"type": "object", "additionalProperties": false, "required": ["subject", "body"],
           "properties": {"subject": {"type": "string"}, "body": {"type": "string"}}})
}

pub async fn ask_openai(client: &OpenAi) -> ProviderResult<Completion<Email>> {
    client
        .structured(&StructuredRequest {
            messages: vec![
                Message::system("You write short outreach e-mails in German."),
                Message::user("Lead: Anna Becker (@anna.bakery), a bakery in Berlin."),
            ],
            schema_name: "outreach_email".into(),
            schema: email_schema(),
            model: Some("gpt-4o-mini".into()),
            temperature: Some(0.7),
            max_completion_tokens: Some(600),
        })
        .await
}

#[tokio::test]
async fn openai_answers_follow_the_schema_and_carry_usage() {
    let sim = Sim::start();
    let c = ask_openai(&sim.openai()).await.unwrap();
    assert!(!c.value.subject.is_empty() && !c.value.body.is_empty(), "{c:?}");
    assert!(c.usage.prompt_tokens > 0 && c.usage.completion_tokens > 0);
    assert_eq!(c.usage.total_tokens, c.usage.prompt_tokens + c.usage.completion_tokens);
    let sent = sim.requests("openai", "chat_completions").await;
    let body: Value = serde_json::from_str(sent[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(body["response_format"]["json_schema"]["name"], "outreach_email");
    assert_eq!(sent[0]["headers"]["authorization"], "Bearer sk-test-secretkey123");
}

#[tokio::test]
async fn openai_think_prefix_is_stripped_and_refusal_is_typed() {
    let sim = Sim::start();
    sim.flags(json!({"openai_think_prefix": true})).await;
    let c = ask_openai(&sim.openai()).await.unwrap();
    assert!(!c.value.subject.is_empty());
    sim.flags(json!({"openai_think_prefix": false, "openai_refusal": true})).await;
    let e = ask_openai(&sim.openai()).await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::Refused);
    assert!(e.message.contains("can't assist"), "{}", e.message);
    assert!(e.usage.is_some_and(|u| u.completion_tokens > 0), "a refusal still costs tokens");
    assert_eq!(e.code().as_str(), "provider_refused");
    // Not retried: a refusal is an answer.
    assert_eq!(sim.count("openai", "chat_completions").await, 2);
}

#[tokio::test]
async fn openai_out_of_quota_is_not_retried_but_rate_limits_are() {
    let sim = Sim::start();
    sim.fault("openai", "chat_completions", "out_of_credits", 0, 0).await;
    let e = ask_openai(&sim.openai()).await.unwrap_err();
    assert_eq!((e.kind, e.status, e.attempts), (ProviderErrorKind::QuotaExceeded, Some(429), 1));
    assert_eq!(e.code().as_str(), "provider_quota_exceeded");
}

#[derive(Debug, Deserialize)]
struct Contact {
    #[serde(default)]
    email: Option<String>,
}

fn contact_request() -> AnswerRequest {
    AnswerRequest {
        messages: vec![Message::user("Find the public business e-mail of the Instagram user @anna.bakery.")],
        schema: json!({"type": "object", "properties": {"email": {"type": ["string", "null"]}, "source": {"type": "string"}},
                        "required": ["email"]}),
        model: Some("sonar".into()),
        search_recency_filter: Some("month".into()),
        search_domain_filter: vec![],
    }
}

#[tokio::test]
async fn perplexity_keeps_citations_and_tolerates_their_absence() {
    let sim = Sim::start();
    sim.flags(json!({"perplexity_citations": true, "perplexity_search_results": true})).await;
    let a = sim.perplexity().answer::<Contact>(&contact_request()).await.unwrap();
    assert!(a.usage.total_tokens > 0);
    assert!(!a.citations.is_empty(), "citations kept");
    assert_eq!(a.search_results.len(), a.citations.len());
    assert!(a.search_results.iter().all(|r| r.url.starts_with("http")));
    let _ = a.value.email;
    sim.flags(json!({"perplexity_citations": false, "perplexity_search_results": false, "perplexity_think_prefix": true}))
        .await;
    let a = sim.perplexity().answer::<Contact>(&contact_request()).await.unwrap();
    assert!(a.citations.is_empty() && a.search_results.is_empty());
    let sent = sim.requests("perplexity", "chat_completions").await;
    let body: Value = serde_json::from_str(sent[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert!(body["response_format"]["json_schema"]["schema"].is_object());
    assert_eq!(body["search_recency_filter"], "month");
}

#[tokio::test]
async fn perplexity_out_of_credits_is_typed_on_both_statuses() {
    let sim = Sim::start();
    for status in [401, 402] {
        sim.reset().await;
        sim.flags(json!({"perplexity_out_of_credits_status": status})).await;
        sim.fault("perplexity", "chat_completions", "out_of_credits", 0, 0).await;
        let e = sim.perplexity().answer::<Contact>(&contact_request()).await.unwrap_err();
        assert_eq!((e.kind, e.status, e.attempts), (ProviderErrorKind::QuotaExceeded, Some(status), 1));
    }
}
