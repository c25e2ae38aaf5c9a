//! Stage 3, contacts: for the session's leads still without an e-mail, a Perplexity search with a JSON-schema
//! answer (e-mail, phone, website). What it finds fills the empty fields; the pages it read are kept on the lead
//! as its contact sources.

use super::{describe, is_fatal, Run, Step, CALLS_IN_FLIGHT};
use futures_util::{stream, StreamExt};
use leadgen_core::ApiResult;
use leadgen_db::models::effect::Effect;
use leadgen_db::models::lead::{valid_email, ContactSource, Lead, LeadPatch};
use leadgen_db::models::processing_session::{micro_usd, ProcessingSession};
use leadgen_db::models::session_item::{ItemUpdate, SessionItem};
use leadgen_db::{write_tx, DbConn};
use leadgen_providers::openai::Message;
use leadgen_providers::perplexity::{AnswerRequest, Perplexity};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use std::time::Instant;

pub const STAGE: &str = "contacts";

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Answer {
    email: Option<String>,
    phone: Option<String>,
    website: Option<String>,
}

fn schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "email": {"type": ["string", "null"], "description": "public contact e-mail address"},
            "phone": {"type": ["string", "null"], "description": "public contact phone number"},
            "website": {"type": ["string", "null"], "description": "the account's own website"},
        },
        "required": ["email", "phone", "website"],
        "additionalProperties": false,
    })
}

fn prompt(l: &Lead) -> String {
    let mut p = format!(
        "Find the public business contact details of this Instagram account.\nInstagram username: @{}\n",
        l.username
    );
    if let Some(n) = &l.full_name {
        p.push_str(&format!("Full name: {n}\n"));
    }
    if let Some(b) = &l.biography {
        p.push_str(&format!("Bio: {}\n", b.replace('\n', " ")));
    }
    if let Some(w) = &l.website {
        p.push_str(&format!("Link in bio: {w}\n"));
    }
    p.push_str("Answer with the e-mail address, phone number and website you find on public pages (the imprint or contact page of the website first); null for what you cannot find.");
    p
}

/// The leads this stage searches for: the session's leads still without an e-mail.
fn ensure_items(r: &Run<'_>, c: &mut DbConn) -> ApiResult<()> {
    let leads: Vec<String> =
        SessionItem::with_outcomes(c, r.sid(), super::enrich::STAGE, &["added", "updated"])?
            .into_iter()
            .filter_map(|i| i.lead_id)
            .collect();
    let todo = Lead::without_email(c, r.owner(), &leads)?;
    let items: Vec<(String, Option<String>)> =
        todo.into_iter().map(|id| (id.clone(), Some(id))).collect();
    write_tx(c, |c| {
        SessionItem::ensure(c, r.sid(), STAGE, &items, r.ctx.now())
    })?;
    SessionItem::refresh_statistics(c)
}

pub fn run(r: &Run<'_>, c: &mut DbConn) -> ApiResult<Step> {
    ensure_items(r, c)?;
    if SessionItem::pending(c, r.sid(), STAGE, 1)?.is_empty() {
        return Ok(Step::Next);
    }
    let Some(key) = r
        .access
        .effective(c, Some(r.owner()), "perplexity", "api_key")?
    else {
        write_tx(c, |c| {
            let n = SessionItem::skip_pending(
                c,
                r.sid(),
                STAGE,
                "no_key",
                "no Perplexity API key is set",
                r.ctx.now(),
            )?;
            r.log(
                c,
                "warn",
                STAGE,
                &format!(
                    "No Perplexity API key is set: the contact search was skipped for {n} leads."
                ),
            )
        })?;
        return Ok(Step::Next);
    };
    let model = r.access.effective(c, None, "perplexity", "model")?;
    let client = match Perplexity::from_settings(SecretString::from(key), &r.access.settings) {
        Ok(p) => p,
        Err(e) => return Ok(Step::Fail(e.message)),
    };
    loop {
        if r.checkpoint(c)? {
            return Ok(Step::Stop);
        }
        let items = SessionItem::pending(c, r.sid(), STAGE, CALLS_IN_FLIGHT as i64)?;
        if items.is_empty() {
            return Ok(Step::Next);
        }
        // Sort out the group's items that need no call; ask Perplexity for the others at once, then save each
        // answer through the ledger under its own key.
        let mut asks = Vec::with_capacity(items.len());
        for item in items {
            let lead =
                Lead::find_owned(c, r.owner(), &item.key)?.filter(|l| l.deleted_at.is_none());
            let Some(lead) = lead else {
                write_tx(c, |c| {
                    SessionItem::update(
                        c,
                        &item.id,
                        &ItemUpdate::skipped("deleted", "the lead was deleted"),
                        r.ctx.now(),
                    )
                })?;
                continue;
            };
            if lead.email.is_some() {
                write_tx(c, |c| {
                    SessionItem::update(
                        c,
                        &item.id,
                        &ItemUpdate::skipped("has_email", "the lead has an e-mail"),
                        r.ctx.now(),
                    )
                })?;
                continue;
            }
            let effect_key = format!("perplexity:{}:{}", r.sid(), lead.id);
            if Effect::find(c, &effect_key)?.is_some() {
                write_tx(c, |c| {
                    SessionItem::update(c, &item.id, &ItemUpdate::done("searched"), r.ctx.now())
                })?;
                continue;
            }
            let req = AnswerRequest {
                messages: vec![
                    Message::system("You find public business contact details of Instagram accounts. Answer in JSON."),
                    Message::user(prompt(&lead)),
                ],
                schema: schema(),
                model: model.clone(),
                search_recency_filter: None,
                search_domain_filter: vec![],
            };
            asks.push((item, lead, effect_key, req));
        }
        let answers = r.ctx.block_on(
            stream::iter(asks.iter().map(|(_, _, _, req)| async {
                let started = Instant::now();
                (client.answer::<Answer>(req).await, started)
            }))
            .buffered(CALLS_IN_FLIGHT)
            .collect::<Vec<_>>(),
        );
        // The group's results in one transaction (one commit per group): a crash loses them all, and repeats
        // only these calls, whose results were never saved.
        let fatal = write_tx(c, |c| {
            let mut fatal = None;
            for ((item, lead, effect_key, _), (res, started)) in asks.iter().zip(answers) {
                let tokens = res
                    .as_ref()
                    .map(|a| i64::try_from(a.usage.total_tokens).unwrap_or(0))
                    .unwrap_or(0);
                r.record_call(
                    c,
                    "perplexity",
                    "chat_completions",
                    started,
                    &res,
                    (tokens, Some("tokens")),
                )?;
                match res {
                    Ok(answer) => save_answer(r, c, item, lead, effect_key, answer)?,
                    Err(e) if is_fatal(&e) => {
                        fatal.get_or_insert(e);
                    }
                    Err(e) => {
                        let why = describe(&e);
                        SessionItem::update(c, &item.id, &ItemUpdate::failed(&why), r.ctx.now())?;
                        r.log(
                            c,
                            "warn",
                            STAGE,
                            &format!("Contact search for @{} failed: {why}", lead.username),
                        )?;
                    }
                }
            }
            Ok(fatal)
        })?;
        if let Some(e) = fatal {
            return Ok(Step::Fail(format!(
                "Perplexity refused the contact search: {}",
                describe(&e)
            )));
        }
    }
}

/// Fills the lead's empty contact fields from one answer, marks its item done and adds the call's cost, under
/// `effect_key` in the ledger, inside the caller's write transaction.
fn save_answer(
    r: &Run<'_>,
    c: &mut DbConn,
    item: &SessionItem,
    lead: &Lead,
    effect_key: &str,
    answer: leadgen_providers::perplexity::Answer<Answer>,
) -> ApiResult<()> {
    let a = answer.value;
    let email = a
        .email
        .map(|e| e.trim().to_lowercase())
        .filter(|e| valid_email(e));
    let phone = a
        .phone
        .map(|p| p.trim().chars().take(500).collect::<String>())
        .filter(|p| p.chars().filter(char::is_ascii_digit).count() >= 6);
    let website = a
        .website
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty());
    let mut sources: Vec<ContactSource> = answer
        .search_results
        .iter()
        .map(|s| ContactSource {
            url: s.url.clone(),
            title: s.title.clone(),
        })
        .collect();
    if sources.is_empty() {
        sources = answer
            .citations
            .iter()
            .map(|u| ContactSource {
                url: u.clone(),
                title: None,
            })
            .collect();
    }
    sources.truncate(20);
    let found = email.is_some() || phone.is_some();
    let cost = micro_usd(r.prices.perplexity_call);
    let now = r.ctx.now();
    r.ctx
        .effect_in(c, effect_key, "sessions.perplexity_contacts", |c| {
            let current = Lead::find_owned(c, r.owner(), &lead.id)?;
            if let Some(l) = current.filter(|l| l.deleted_at.is_none()) {
                let patch = LeadPatch {
                    email: (l.email.is_none() && email.is_some()).then(|| email.clone()),
                    phone: (l.phone.is_none() && phone.is_some()).then(|| phone.clone()),
                    website: (l.website.is_none() && website.is_some()).then(|| website.clone()),
                    ..Default::default()
                };
                let mut probe = patch.clone();
                let patch = if probe.normalise().is_ok() {
                    patch
                } else {
                    LeadPatch {
                        email: patch.email,
                        phone: patch.phone,
                        ..Default::default()
                    }
                };
                if !patch.changed_fields().is_empty() {
                    let batch = leadgen_db::new_id();
                    Lead::update(c, r.owner(), Some(r.owner()), &l.id, None, patch, &batch)?;
                }
                if !sources.is_empty() {
                    Lead::set_contact_sources(c, &l.id, &sources)?;
                }
            }
            let outcome = if found { "found" } else { "not_found" };
            SessionItem::update(c, &item.id, &ItemUpdate::done(outcome), now)?;
            ProcessingSession::add_cost(c, r.sid(), cost, now)?;
            Ok(json!({ "found": found, "sources": sources.len() }))
        })?;
    Ok(())
}
