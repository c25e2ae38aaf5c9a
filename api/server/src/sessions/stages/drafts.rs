//! Stage 5, drafts: one e-mail draft per qualifying lead (an e-mail, not on the do-not-contact list) from the
//! product's prompt, through the drafts capability (`drafts::generate`), which records its OpenAI call in the
//! effects ledger itself.

use super::{Run, Step};
use crate::drafts::generate::{draft_for_lead, DraftRequest, DraftResult};
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
    loop {
        if r.checkpoint(c)? {
            return Ok(Step::Stop);
        }
        let Some(item) = SessionItem::pending(c, r.sid(), STAGE, 1)?
            .into_iter()
            .next()
        else {
            return Ok(Step::Next);
        };
        let now = r.ctx.now();
        let lead = Lead::find_owned(c, r.owner(), &item.key)?.filter(|l| l.deleted_at.is_none());
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
        match draft_for_lead(r.access, r.ctx, c, &req) {
            Ok(DraftResult::Created { draft_id, cost_usd }) => {
                write_tx(c, |c| {
                    let u = ItemUpdate::done("drafted")
                        .result(serde_json::json!({ "draft_id": draft_id }));
                    SessionItem::update(c, &item.id, &u, now)?;
                    ProcessingSession::add_cost(c, r.sid(), micro_usd(cost_usd), now)
                })?;
            }
            Ok(DraftResult::Skipped(why)) => {
                write_tx(c, |c| {
                    SessionItem::update(c, &item.id, &ItemUpdate::skipped("not_drafted", why), now)
                })?;
            }
            Err(e)
                if e.details
                    .as_ref()
                    .is_some_and(|d| d.get("job_stop").is_some()) =>
            {
                return Err(e)
            }
            Err(e) => {
                let why = format!("{}: {}", e.code.as_str(), e.message);
                write_tx(c, |c| {
                    SessionItem::update(c, &item.id, &ItemUpdate::failed(&why), now)?;
                    r.log(
                        c,
                        "warn",
                        STAGE,
                        &format!("Draft for lead {} failed: {why}", item.key),
                    )
                })?;
            }
        }
    }
}
