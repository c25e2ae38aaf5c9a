//! Stage 5, drafts: one e-mail draft per qualifying lead (an e-mail, not on the do-not-contact list) from the
//! product's prompt, through the drafts capability (`drafts::generate`), which records its OpenAI call in the
//! effects ledger itself.

use super::{Run, Step, CALLS_IN_FLIGHT};
use crate::drafts::generate::{
    call, prepare_for_job, record_call, save_for_job, shared_client, DraftRequest, DraftResult,
    JobDraft,
};
use futures_util::{stream, StreamExt};
use leadgen_core::ApiResult;
use leadgen_db::models::dnc::{self, DoNotContact};
use leadgen_db::models::lead::Lead;
use leadgen_db::models::processing_session::{micro_usd, ProcessingSession};
use leadgen_db::models::session_item::{ItemUpdate, SessionItem};
use leadgen_db::{write_tx, DbConn};

pub const STAGE: &str = "drafts";

/// The leads to draft for: the selection of a drafts-only run, else the session's leads that dedupe kept (or
/// that enrich made, without a dedupe stage).
fn ensure_items(r: &Run<'_>, c: &mut DbConn) -> ApiResult<()> {
    let ids: Vec<String> = match r.session.lead_id_list() {
        Some(ids) => ids,
        None if r.session.has_stage("dedupe") => {
            SessionItem::with_outcomes(c, r.sid(), super::dedupe::STAGE, &["kept"])?
                .into_iter()
                .filter_map(|i| i.lead_id)
                .collect()
        }
        None => {
            SessionItem::with_outcomes(c, r.sid(), super::enrich::STAGE, &["added", "updated"])?
                .into_iter()
                .filter_map(|i| i.lead_id)
                .collect()
        }
    };
    let items: Vec<(String, Option<String>)> =
        ids.into_iter().map(|id| (id.clone(), Some(id))).collect();
    write_tx(c, |c| {
        SessionItem::ensure(c, r.sid(), STAGE, &items, r.ctx.now())
    })?;
    SessionItem::refresh_statistics(c)
}

pub fn run(r: &Run<'_>, c: &mut DbConn) -> ApiResult<Step> {
    ensure_items(r, c)?;
    let Some(product_id) = r.session.product_id.clone() else {
        write_tx(c, |c| {
            SessionItem::skip_pending(
                c,
                r.sid(),
                STAGE,
                "no_product",
                "no product is set",
                r.ctx.now(),
            )
        })?;
        return Ok(Step::Next);
    };
    let client = shared_client(&r.access.settings);
    loop {
        if r.checkpoint(c)? {
            return Ok(Step::Stop);
        }
        let items = SessionItem::pending(c, r.sid(), STAGE, CALLS_IN_FLIGHT as i64)?;
        if items.is_empty() {
            return Ok(Step::Next);
        }
        // Sort out the group's items that need no call; ask OpenAI for the others at once, then save each draft
        // through the ledger under its own key, with its item in the same transaction.
        let mut calls = Vec::with_capacity(items.len());
        for item in items {
            let now = r.ctx.now();
            let lead =
                Lead::find_owned(c, r.owner(), &item.key)?.filter(|l| l.deleted_at.is_none());
            let skip = match &lead {
                None => Some(("deleted", "the lead was deleted")),
                Some(l) if l.status == dnc::STATUS => {
                    Some(("dropped_dnc", "on the do-not-contact list"))
                }
                Some(l) if l.email.is_none() => Some(("no_email", "the lead has no e-mail")),
                Some(l) if DoNotContact::blocks(c, r.owner(), &l.username, l.email.as_deref())? => {
                    Some(("dropped_dnc", "on the do-not-contact list"))
                }
                Some(_) => None,
            };
            if let Some((outcome, why)) = skip {
                write_tx(c, |c| {
                    SessionItem::update(c, &item.id, &ItemUpdate::skipped(outcome, why), now)
                })?;
                continue;
            }
            let req = DraftRequest {
                user_id: r.owner(),
                lead_id: &item.key,
                product_id: &product_id,
                session_id: Some(r.sid()),
                instruction: None,
            };
            match prepare_for_job(r.access, r.ctx, c, &req) {
                Ok(JobDraft::Done(d)) => settle(r, c, &item, Ok(d))?,
                Ok(JobDraft::Call { key, prepared }) => calls.push((item, key, prepared)),
                Err(e) => settle(r, c, &item, Err(e))?,
            }
        }
        r.ctx.checkpoint()?;
        let answers = r.ctx.block_on(
            stream::iter(calls.iter().map(|(_, _, p)| call(client.clone(), p)))
                .buffered(CALLS_IN_FLIGHT)
                .collect::<Vec<_>>(),
        );
        // The group's results in one transaction (one commit per group): a crash loses them all, and repeats
        // only these calls, whose results were never saved.
        write_tx(c, |c| {
            for ((item, key, p), answer) in calls.iter().zip(answers) {
                let now = r.ctx.now();
                if let (Err(e), ms) = &answer {
                    // The call failed (after the client's retries): recorded, and the item fails.
                    record_call(c, r.owner(), &(e.code().as_str().to_owned(), e.usage), *ms)?;
                    settle_in(r, c, item, Err(e.clone().into()))?;
                    continue;
                }
                // A database error here rolls the group back (the job runs again).
                let saved = save_for_job(r.ctx, c, key, p, answer, |c, d| {
                    SessionItem::update(c, &item.id, &drafted(d), now)?;
                    ProcessingSession::add_cost(c, r.sid(), micro_usd(cost_of(d)), now)
                })?;
                if let (d, false) = saved {
                    settle_in(r, c, item, Ok(d))?;
                }
            }
            Ok(())
        })?;
    }
}

fn cost_of(d: &DraftResult) -> f64 {
    match d {
        DraftResult::Created { cost_usd, .. } => *cost_usd,
        DraftResult::Skipped(_) => 0.0,
    }
}

fn drafted(d: &DraftResult) -> ItemUpdate<'_> {
    match d {
        DraftResult::Created { draft_id, .. } => {
            ItemUpdate::done("drafted").result(serde_json::json!({ "draft_id": draft_id }))
        }
        DraftResult::Skipped(why) => ItemUpdate::skipped("not_drafted", why),
    }
}

/// Records an item's end that its draft's transaction did not: a draft saved before, a skip, or a failure (a job
/// stop is passed on).
fn settle(
    r: &Run<'_>,
    c: &mut DbConn,
    item: &SessionItem,
    result: ApiResult<DraftResult>,
) -> ApiResult<()> {
    write_tx(c, |c| settle_in(r, c, item, result))
}

/// [`settle`] inside the caller's write transaction.
fn settle_in(
    r: &Run<'_>,
    c: &mut DbConn,
    item: &SessionItem,
    result: ApiResult<DraftResult>,
) -> ApiResult<()> {
    let now = r.ctx.now();
    match result {
        Ok(d) => {
            SessionItem::update(c, &item.id, &drafted(&d), now)?;
            ProcessingSession::add_cost(c, r.sid(), micro_usd(cost_of(&d)), now)
        }
        Err(e)
            if e.details
                .as_ref()
                .is_some_and(|d| d.get("job_stop").is_some()) =>
        {
            Err(e)
        }
        Err(e) => {
            let why = format!("{}: {}", e.code.as_str(), e.message);
            SessionItem::update(c, &item.id, &ItemUpdate::failed(&why), now)?;
            r.log(
                c,
                "warn",
                STAGE,
                &format!("Draft for lead {} failed: {why}", item.key),
            )
        }
    }
}
