//! Stage 4, dedupe: the session's leads against the user's other leads and the do-not-contact list. A profile
//! that was already a lead (same username) counts as merged; a new lead with the e-mail of an older one is merged
//! into it (the new one is deleted, undoably); leads on the do-not-contact list are marked so; with "must have
//! contact data", new leads still without an e-mail or phone are left out. What happened is counted and logged.

use super::{Run, Step};
use leadgen_core::ApiResult;
use leadgen_db::models::dnc::{self, DoNotContact};
use leadgen_db::models::lead::{Lead, LeadPatch};
use leadgen_db::models::session_item::{ItemUpdate, SessionItem, DONE, SKIPPED};
use leadgen_db::{write_tx, DbConn};
use std::collections::HashMap;

pub const STAGE: &str = "dedupe";

/// At most this many merges and drops are named one by one in the log.
const NAMED_IN_LOG: usize = 20;

pub fn run(r: &Run<'_>, c: &mut DbConn) -> ApiResult<Step> {
    let enriched: HashMap<String, String> =
        SessionItem::with_outcomes(c, r.sid(), super::enrich::STAGE, &["added", "updated"])?
            .into_iter()
            .filter_map(|i| Some((i.lead_id?, i.outcome?)))
            .collect();
    let mut items: Vec<(String, Option<String>)> = enriched
        .keys()
        .map(|id| (id.clone(), Some(id.clone())))
        .collect();
    items.sort();
    write_tx(c, |c| {
        SessionItem::ensure(c, r.sid(), STAGE, &items, r.ctx.now())
    })?;
    SessionItem::refresh_statistics(c)?;
    let require_contact = r.options.filters.require_contact && r.session.has_stage("contacts");
    let mut named = 0usize;
    loop {
        if r.checkpoint(c)? {
            return Ok(Step::Stop);
        }
        let batch = SessionItem::pending(c, r.sid(), STAGE, 200)?;
        if batch.is_empty() {
            return Ok(Step::Next);
        }
        write_tx(c, |c| {
            let now = r.ctx.now();
            for item in &batch {
                let lead =
                    Lead::find_owned(c, r.owner(), &item.key)?.filter(|l| l.deleted_at.is_none());
                let Some(lead) = lead else {
                    SessionItem::update(
                        c,
                        &item.id,
                        &ItemUpdate::skipped("deleted", "the lead was deleted"),
                        now,
                    )?;
                    continue;
                };
                let added = enriched.get(&lead.id).map(String::as_str) == Some("added");
                let batch_id = leadgen_db::new_id();
                let (status, outcome, note): (&str, &str, Option<String>) =
                    if DoNotContact::blocks(c, r.owner(), &lead.username, lead.email.as_deref())? {
                        if lead.status != dnc::STATUS {
                            let patch = LeadPatch {
                                status: Some(dnc::STATUS.into()),
                                ..Default::default()
                            };
                            Lead::update(
                                c,
                                r.owner(),
                                Some(r.owner()),
                                &lead.id,
                                None,
                                patch,
                                &batch_id,
                            )?;
                        }
                        (
                            DONE,
                            "dropped_dnc",
                            Some(format!("@{} is on the do-not-contact list", lead.username)),
                        )
                    } else if !added {
                        (
                            DONE,
                            "merged",
                            Some(format!(
                                "@{} was already in the workspace: updated",
                                lead.username
                            )),
                        )
                    } else if let Some(other) = match lead.email.as_deref() {
                        Some(e) => Lead::first_with_email(c, r.owner(), e, &lead.id)?,
                        None => None,
                    } {
                        Lead::set_deleted(
                            c,
                            r.owner(),
                            Some(r.owner()),
                            &lead.id,
                            true,
                            &batch_id,
                        )?;
                        (
                            DONE,
                            "merged",
                            Some(format!(
                            "@{} has the e-mail of @{}: merged into it (the new lead was deleted)",
                            lead.username, other.username
                        )),
                        )
                    } else if require_contact && lead.email.is_none() && lead.phone.is_none() {
                        Lead::set_deleted(
                            c,
                            r.owner(),
                            Some(r.owner()),
                            &lead.id,
                            true,
                            &batch_id,
                        )?;
                        (
                            SKIPPED,
                            "dropped_filter",
                            Some(format!("@{}: no contact data found", lead.username)),
                        )
                    } else {
                        (DONE, "kept", None)
                    };
                let u = ItemUpdate {
                    status,
                    outcome: Some(outcome),
                    error: note.as_deref(),
                    lead_id: None,
                    result: None,
                    attempted: true,
                };
                SessionItem::update(c, &item.id, &u, now)?;
                if let Some(n) = note.filter(|_| outcome != "merged" || added) {
                    if named < NAMED_IN_LOG {
                        named += 1;
                        r.log(c, "info", STAGE, &n)?;
                    }
                }
            }
            Ok(())
        })?;
    }
}
