//! Writing one e-mail draft for one lead: the product's system prompt rendered with the template engine, sent to
//! OpenAI with the lead and the enabled product variables as structured data and a strict `{subject, body}`
//! answer schema; the draft stored with the prompt version and the model; the lead set `email_drafted`.
//!
//! Three steps so that no database transaction is open during the paid call: [`prepare`] reads everything (and
//! decides to skip), [`call`] asks OpenAI, [`save`] writes the draft and the lead. A job runs them through
//! [`draft_for_lead`] (the effects ledger makes a repeated job skip the call); a regeneration from the review
//! queue runs them in the request.

use crate::jobs::{EffectRun, JobContext};
use crate::prompts::engine::{self, Names};
use crate::providers::ProviderAccess;
use leadgen_core::config::Settings;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::dnc::{self, DoNotContact};
use leadgen_db::models::draft::{Draft, NewDraft};
use leadgen_db::models::effect::Effect;
use leadgen_db::models::lead::{Lead, LeadPatch};
use leadgen_db::models::product::{Product, PromptVersion, SystemPrompt};
use leadgen_db::models::provider_setting::{NewProviderCall, ProviderCall};
use leadgen_db::{new_id, write_tx, DbConn};
use leadgen_providers::openai::{Message, OpenAi, StructuredRequest, Usage, DEFAULT_MODEL};
use leadgen_providers::ProviderError;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// The effects ledger's kind for a generated draft.
pub const EFFECT_KIND: &str = "openai.draft";

/// What one generation costs, per 1,000 tokens (gpt-4o-mini list prices): the prompt and the answer.
pub const PRICE_PROMPT_PER_1K_USD: f64 = 0.000_15;
pub const PRICE_COMPLETION_PER_1K_USD: f64 = 0.000_6;

/// The language drafts are written in when the product names none (a product variable `language`).
pub const DEFAULT_LANGUAGE: &str = "German";

/// Longest subject and body kept (the lead's `email_subject` / `email_body` limits).
const SUBJECT_MAX: usize = 500;
const BODY_MAX: usize = 50_000;

/// The prompt used when neither the product nor the owner has a system prompt.
pub const BUILTIN_PROMPT: &str = "You write short, personal outreach e-mails to Instagram creators and businesses \
on behalf of {{product_name}}. {{product_description}}\nRefer to something specific about the person (their bio, \
their category, the hashtag they were found with). Be friendly and concrete, no more than 150 words, no \
placeholders, and end with a simple question.";

pub struct DraftRequest<'a> {
    pub user_id: &'a str,
    pub lead_id: &'a str,
    pub product_id: &'a str,
    pub session_id: Option<&'a str>,
    pub instruction: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DraftResult {
    Created {
        draft_id: String,
        cost_usd: f64,
    },
    /// Nothing written, nothing paid; the reason: `lead_missing`, `do_not_contact`, `no_email`, `product_missing`.
    Skipped(&'static str),
}

/// Everything the call needs, read from the database.
pub struct Prepared {
    pub owner_id: String,
    pub lead_id: String,
    pub product_id: String,
    pub session_id: Option<String>,
    pub prompt_id: Option<String>,
    pub prompt_version: Option<i32>,
    pub model: String,
    pub language: String,
    pub instruction: Option<String>,
    key: SecretString,
    messages: Vec<Message>,
}

pub enum Prep {
    Ready(Box<Prepared>),
    Skip(&'static str),
}

/// What OpenAI wrote, and what it cost.
pub struct Generated {
    pub subject: String,
    pub body: String,
    pub usage: Usage,
    pub model: String,
}

impl Generated {
    pub fn cost_usd(&self) -> f64 {
        cost_usd(&self.usage)
    }
}

pub fn cost_usd(u: &Usage) -> f64 {
    u.prompt_tokens as f64 / 1000.0 * PRICE_PROMPT_PER_1K_USD
        + u.completion_tokens as f64 / 1000.0 * PRICE_COMPLETION_PER_1K_USD
}

#[derive(Deserialize)]
struct Answer {
    subject: String,
    body: String,
}

fn answer_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "subject": {"type": "string", "description": "The e-mail's subject line"},
            "body": {"type": "string", "description": "The e-mail's text, plain text with line breaks"},
        },
        "required": ["subject", "body"],
        "additionalProperties": false,
    })
}

/// `de` → German; a name stays as it is.
fn language_name(raw: &str) -> String {
    let v = raw.trim();
    let name = match v.to_ascii_lowercase().as_str() {
        "de" | "deutsch" | "german" => "German",
        "en" | "englisch" | "english" => "English",
        "fr" | "french" => "French",
        "es" | "spanish" => "Spanish",
        "it" | "italian" => "Italian",
        "nl" | "dutch" => "Dutch",
        "pt" | "portuguese" => "Portuguese",
        "pl" | "polish" => "Polish",
        _ => return v.to_owned(),
    };
    name.to_owned()
}

/// The product's language: its enabled variable `language`, else German.
pub fn language_of(product: &Product) -> String {
    product
        .vars()
        .into_iter()
        .find(|v| v.name == "language" && v.enabled && !v.value.trim().is_empty())
        .map(|v| language_name(&v.value))
        .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned())
}

/// The system prompt for a product: its own most recently changed prompt, else the owner's default prompt (no
/// product), else none (the built-in one is used).
fn prompt_for(
    conn: &mut DbConn,
    owner_id: &str,
    product_id: &str,
) -> ApiResult<Option<SystemPrompt>> {
    let all = SystemPrompt::list(conn, owner_id)?;
    let latest = |own: Option<&str>| {
        all.iter()
            .filter(|p| p.product_id.as_deref() == own)
            .max_by_key(|p| p.updated_at)
            .cloned()
    };
    Ok(latest(Some(product_id)).or_else(|| latest(None)))
}

/// The lead and the product as the structured data the model gets beside the prompt.
fn structured_data(lead: &Lead, product: &Product) -> Value {
    let mut vars = Map::new();
    for v in product.vars() {
        if v.enabled {
            vars.insert(v.name, json!(v.value));
        }
    }
    json!({
        "lead": {
            "username": lead.username,
            "full_name": lead.full_name,
            "biography": lead.biography,
            "followers": lead.followers,
            "business_category": lead.business_category,
            "website": lead.website,
            "source_hashtag": lead.source_hashtag,
        },
        "product": {
            "product_name": product.name,
            "product_description": product.description,
            "variables": Value::Object(vars),
        },
    })
}

/// Reads the lead, the product, the prompt and the credentials; skips leads that may not be written to.
pub fn prepare(
    access: &ProviderAccess,
    conn: &mut DbConn,
    req: &DraftRequest<'_>,
) -> ApiResult<Prep> {
    let Some(lead) =
        Lead::find_owned(conn, req.user_id, req.lead_id)?.filter(|l| l.deleted_at.is_none())
    else {
        return Ok(Prep::Skip("lead_missing"));
    };
    if lead.status == dnc::STATUS
        || DoNotContact::blocks(conn, req.user_id, &lead.username, lead.email.as_deref())?
    {
        return Ok(Prep::Skip("do_not_contact"));
    }
    if lead.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
        return Ok(Prep::Skip("no_email"));
    }
    let Some(product) = Product::find_owned(conn, req.user_id, req.product_id)? else {
        return Ok(Prep::Skip("product_missing"));
    };
    let prompt = prompt_for(conn, req.user_id, &product.id)?;
    let (body, names) = match &prompt {
        Some(p) => {
            let body = PromptVersion::get(conn, &p.id, p.current_version)?.body;
            let products = match &p.product_id {
                Some(_) => vec![product.clone()],
                None => Product::list(conn, req.user_id)?,
            };
            (body, Names::for_products(&products))
        }
        None => (
            BUILTIN_PROMPT.to_owned(),
            Names::for_products(std::slice::from_ref(&product)),
        ),
    };
    let template = names.compile(&body).map_err(|e| engine::invalid(&e))?;
    let system = template.render(&engine::context(Some(&lead), Some(&product)));
    let language = language_of(&product);
    let key = access
        .effective(conn, Some(req.user_id), "openai", "api_key")?
        .ok_or_else(|| {
            ApiError::msg(
                ErrorCode::Unavailable,
                "No OpenAI API key is set: an admin sets one under Settings → Providers, or set your own under \
                 Settings → Connections.",
            )
            .with_details(json!({"provider": "openai", "field": "api_key"}))
        })?;
    let model = access
        .effective(conn, Some(req.user_id), "openai", "model")?
        .unwrap_or_else(|| DEFAULT_MODEL.to_owned());
    let instruction = req
        .instruction
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_owned);
    let mut user = format!(
        "Write one personal outreach e-mail to this lead. Answer with the subject and the body.\nLanguage: {language}\n\
         Lead and product (JSON):\n{}\n",
        serde_json::to_string_pretty(&structured_data(&lead, &product)).map_err(ApiError::internal)?
    );
    if let Some(i) = &instruction {
        user.push_str(&format!("Instruction: {i}\n"));
    }
    Ok(Prep::Ready(Box::new(Prepared {
        owner_id: req.user_id.to_owned(),
        lead_id: lead.id,
        product_id: product.id,
        session_id: req.session_id.map(str::to_owned),
        prompt_id: prompt.as_ref().map(|p| p.id.clone()),
        prompt_version: prompt.as_ref().map(|p| p.current_version),
        model,
        language,
        instruction,
        key: SecretString::from(key),
        messages: vec![Message::system(system), Message::user(user)],
    })))
}

/// Text as stored: control characters other than line breaks and tabs dropped, at most `max` characters.
fn tidy(s: &str, max: usize) -> String {
    s.trim()
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .take(max)
        .collect()
}

/// The OpenAI client of the job workers: one per process (and base URL), so that drafts written by many jobs share
/// its connection pool and its rate limiter; each call brings its user's key.
pub fn shared_client(settings: &Settings) -> Result<OpenAi, ProviderError> {
    static CLIENTS: OnceLock<Mutex<HashMap<String, OpenAi>>> = OnceLock::new();
    let mut clients = CLIENTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(c) = clients.get(&settings.openai_base_url) {
        return Ok(c.clone());
    }
    let c = OpenAi::from_settings(SecretString::from(String::new()), settings)?;
    clients.insert(settings.openai_base_url.clone(), c.clone());
    Ok(c)
}

/// The paid call with `client` (and the prepared key), and how long it took.
pub async fn call(
    client: Result<OpenAi, ProviderError>,
    p: &Prepared,
) -> (Result<Generated, ProviderError>, i64) {
    let started = Instant::now();
    let result = async {
        let client = client?.with_key(p.key.clone());
        let r = StructuredRequest {
            messages: p.messages.clone(),
            schema_name: "email_draft".into(),
            schema: answer_schema(),
            model: Some(p.model.clone()),
            temperature: None,
            max_completion_tokens: Some(1200),
        };
        let answer = client.structured::<Answer>(&r).await?;
        Ok(Generated {
            subject: tidy(&answer.value.subject, SUBJECT_MAX),
            body: tidy(&answer.value.body, BODY_MAX),
            usage: answer.usage,
            model: if answer.model.is_empty() {
                p.model.clone()
            } else {
                answer.model
            },
        })
    }
    .await;
    let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    (result, ms)
}

/// What the usage record says of a call: its status (`ok` or the error code) and the tokens it cost.
pub fn call_outcome(result: &Result<Generated, ProviderError>) -> (String, Option<Usage>) {
    match result {
        Ok(g) => ("ok".to_owned(), Some(g.usage)),
        Err(e) => (e.code().as_str().to_owned(), e.usage),
    }
}

/// Records the call in `provider_calls` (the usage page): its status and the tokens it cost.
pub fn record_call(
    conn: &mut DbConn,
    owner_id: &str,
    (status, usage): &(String, Option<Usage>),
    duration_ms: i64,
) -> ApiResult<()> {
    ProviderCall::record(
        conn,
        &NewProviderCall {
            provider: "openai",
            operation: "chat_completions",
            user_id: Some(owner_id),
            status,
            duration_ms,
            units: usage.map_or(0, |u| i64::try_from(u.total_tokens).unwrap_or(i64::MAX)),
            unit: Some("tokens"),
        },
    )
}

/// Writes the draft and the lead (its `email_subject`/`email_body`, and the status `email_drafted` unless the
/// lead is further along); the effect's result, `{"draft_id", "cost_usd"}`. Call inside a transaction.
pub fn save(conn: &mut DbConn, p: &Prepared, g: &Generated) -> ApiResult<Value> {
    let cost = g.cost_usd();
    let draft = Draft::save(
        conn,
        &NewDraft {
            owner_id: &p.owner_id,
            lead_id: &p.lead_id,
            product_id: &p.product_id,
            session_id: p.session_id.as_deref(),
            prompt_id: p.prompt_id.as_deref(),
            prompt_version: p.prompt_version,
            model: &g.model,
            language: &p.language,
            subject: &g.subject,
            body: &g.body,
            instruction: p.instruction.as_deref(),
            prompt_tokens: i64::try_from(g.usage.prompt_tokens).unwrap_or(i64::MAX),
            completion_tokens: i64::try_from(g.usage.completion_tokens).unwrap_or(i64::MAX),
            cost_usd: cost,
        },
    )?;
    copy_to_lead(conn, &p.owner_id, &p.lead_id, &g.subject, &g.body)?;
    Ok(json!({"draft_id": draft.id, "cost_usd": cost}))
}

/// Statuses a lead leaves for `email_drafted` when a draft is written (later ones are kept).
const BEFORE_DRAFTED: &[&str] = &["new", "enriched", "qualified", "email_drafted"];

/// The lead shows its current draft in `email_subject` / `email_body` (the grid's and drawer's columns).
pub fn copy_to_lead(
    conn: &mut DbConn,
    owner_id: &str,
    lead_id: &str,
    subject: &str,
    body: &str,
) -> ApiResult<()> {
    let Some(lead) = Lead::find_owned(conn, owner_id, lead_id)? else {
        return Ok(());
    };
    let patch = LeadPatch {
        status: BEFORE_DRAFTED
            .contains(&lead.status.as_str())
            .then(|| "email_drafted".to_owned()),
        email_subject: Some(Some(subject.to_owned())).filter(|_| !subject.is_empty()),
        email_body: Some(Some(body.to_owned())).filter(|_| !body.is_empty()),
        ..LeadPatch::default()
    };
    Lead::update(conn, owner_id, None, lead_id, None, patch, &new_id())?;
    Ok(())
}

/// The ledger key of a job's draft for a lead: per session, or per job outside a session (a later job for the same
/// lead writes a new draft; a repeat of the same job does not).
pub fn effect_key(session_id: Option<&str>, job_id: &str, lead_id: &str) -> String {
    match session_id {
        Some(s) => format!("openai:draft:{s}:{lead_id}"),
        None => format!("openai:draft:selection:{job_id}:{lead_id}"),
    }
}

fn recorded(v: Option<Value>) -> ApiResult<DraftResult> {
    let v = v.unwrap_or(Value::Null);
    let draft_id = v.get("draft_id").and_then(Value::as_str).ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("a draft effect without its draft id"))
    })?;
    Ok(DraftResult::Created {
        draft_id: draft_id.to_owned(),
        cost_usd: v.get("cost_usd").and_then(Value::as_f64).unwrap_or(0.0),
    })
}

/// A job's draft before its call: done already (recorded in the ledger, or skipped), or the call to make.
pub enum JobDraft {
    Done(DraftResult),
    Call {
        key: String,
        prepared: Box<Prepared>,
    },
}

/// The first half of [`draft_for_lead`]: the ledger's answer for a repeat, or what the call needs.
pub fn prepare_for_job(
    access: &ProviderAccess,
    ctx: &JobContext,
    conn: &mut DbConn,
    req: &DraftRequest<'_>,
) -> ApiResult<JobDraft> {
    let key = effect_key(req.session_id, &ctx.job.id, req.lead_id);
    if let Some(done) = Effect::find(conn, &key)? {
        return recorded(done.result_json()).map(JobDraft::Done);
    }
    Ok(match prepare(access, conn, req)? {
        Prep::Skip(why) => JobDraft::Done(DraftResult::Skipped(why)),
        Prep::Ready(prepared) => JobDraft::Call { key, prepared },
    })
}

/// The second half of [`draft_for_lead`], inside the caller's write transaction: records the call and, when it
/// succeeded, saves the draft under its ledger key; `also` writes more with it (the caller's bookkeeping of the new
/// draft). Answers the draft and whether `also` ran (not when an earlier run had saved it: then the caller does its
/// own write).
pub fn save_for_job(
    ctx: &JobContext,
    conn: &mut DbConn,
    key: &str,
    p: &Prepared,
    (result, ms): (Result<Generated, ProviderError>, i64),
    also: impl FnOnce(&mut DbConn, &DraftResult) -> ApiResult<()>,
) -> ApiResult<(DraftResult, bool)> {
    let outcome = call_outcome(&result);
    let g = match result {
        Ok(g) => g,
        Err(e) => {
            record_call(conn, &p.owner_id, &outcome, ms)?;
            return Err(e.into());
        }
    };
    // The usage record goes in the draft's transaction.
    match ctx.effect_in(conn, key, EFFECT_KIND, |c| {
        record_call(c, &p.owner_id, &outcome, ms)?;
        let v = save(c, p, &g)?;
        also(c, &recorded(Some(v.clone()))?)?;
        Ok(v)
    })? {
        EffectRun::Done(v) => Ok((recorded(Some(v))?, true)),
        EffectRun::AlreadyDone(v) => {
            record_call(conn, &p.owner_id, &outcome, ms)?;
            Ok((recorded(v)?, false))
        }
    }
}

/// One draft for one lead: OpenAI through the effects ledger; safe to repeat. Sets the lead `email_drafted`.
///
/// A repeat after the draft was saved makes no call and answers what the first run did (the same draft id and
/// cost). Only the call in flight when a process dies can be paid twice. Call it outside a transaction (`conn` is
/// used for short reads and one write transaction; the paid call waits on no lock).
pub fn draft_for_lead(
    access: &ProviderAccess,
    ctx: &JobContext,
    conn: &mut DbConn,
    req: &DraftRequest<'_>,
) -> ApiResult<DraftResult> {
    let (key, p) = match prepare_for_job(access, ctx, conn, req)? {
        JobDraft::Done(d) => return Ok(d),
        JobDraft::Call { key, prepared } => (key, prepared),
    };
    ctx.checkpoint()?;
    let called = ctx.block_on(call(shared_client(&access.settings), &p));
    write_tx(conn, |c| {
        save_for_job(ctx, c, &key, &p, called, |_, _| Ok(()))
    })
    .map(|(d, _)| d)
}
