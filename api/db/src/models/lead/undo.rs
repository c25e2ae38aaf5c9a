//! Undo and redo of the latest batch of edits (and of imports, through their spans).

use super::bulk::CHUNK;
use super::history::LeadEdit;
use super::patch::LeadPatch;
use super::{as_json, Lead};
use crate::conn::DbConn;
use crate::models::lead_span::LeadSpan;
use crate::now;
use crate::schema::{lead_edits, leads};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::ApiResult;
use serde::Serialize;
use serde_json::Value;

/// What undo or redo did.
#[derive(Debug, Clone, Serialize)]
pub struct UndoOutcome {
    pub batch_id: String,
    pub affected: usize,
    /// Leads changed by someone else since; left as they are.
    pub skipped: usize,
}

impl LeadEdit {
    pub(super) fn batch(
        conn: &mut DbConn,
        owner_id: &str,
        batch_id: &str,
        undone: bool,
    ) -> ApiResult<Vec<LeadEdit>> {
        let q = lead_edits::table
            .filter(lead_edits::owner_id.eq(owner_id))
            .filter(lead_edits::batch_id.eq(batch_id))
            .into_boxed();
        let q = if undone {
            q.filter(lead_edits::undone_at.is_not_null())
        } else {
            q.filter(lead_edits::undone_at.is_null())
        };
        Ok(q.select(LeadEdit::as_select()).load(conn)?)
    }

    /// Reverts the owner's latest batch of edits. `None` when there is nothing to undo.
    pub fn undo(conn: &mut DbConn, owner_id: &str) -> ApiResult<Option<UndoOutcome>> {
        let edit: Option<(NaiveDateTime, String, String)> = lead_edits::table
            .filter(lead_edits::owner_id.eq(owner_id))
            .filter(lead_edits::undone_at.is_null())
            .order((lead_edits::at.desc(), lead_edits::id.desc()))
            .select((lead_edits::at, lead_edits::id, lead_edits::batch_id))
            .first(conn)
            .optional()?;
        let Some((_, _, batch_id)) = edit
            .into_iter()
            .chain(LeadSpan::latest_live(conn, owner_id)?)
            .max()
        else {
            return Ok(None);
        };
        let edits = LeadEdit::batch(conn, owner_id, &batch_id, false)?;
        let mut outcome = LeadEdit::replay(conn, &edits, true)?;
        outcome.affected += LeadSpan::replay(conn, owner_id, &batch_id, true)?;
        let ids: Vec<&str> = edits.iter().map(|e| e.id.as_str()).collect();
        for chunk in ids.chunks(CHUNK) {
            diesel::update(lead_edits::table.filter(lead_edits::id.eq_any(chunk)))
                .set(lead_edits::undone_at.eq(now()))
                .execute(conn)?;
        }
        Ok(Some(UndoOutcome {
            batch_id,
            ..outcome
        }))
    }

    /// Re-applies the most recently undone batch, unless new edits were made since.
    pub fn redo(conn: &mut DbConn, owner_id: &str) -> ApiResult<Option<UndoOutcome>> {
        let last_live: Option<NaiveDateTime> = lead_edits::table
            .filter(lead_edits::owner_id.eq(owner_id))
            .filter(lead_edits::undone_at.is_null())
            .select(diesel::dsl::max(lead_edits::at))
            .first(conn)?;
        let last_live = last_live.max(LeadSpan::latest_live(conn, owner_id)?.map(|(at, _, _)| at));
        let edit: Option<(NaiveDateTime, String)> = lead_edits::table
            .filter(lead_edits::owner_id.eq(owner_id))
            .filter(lead_edits::undone_at.is_not_null())
            .order(lead_edits::undone_at.desc())
            .select((
                lead_edits::undone_at.assume_not_null(),
                lead_edits::batch_id,
            ))
            .first(conn)
            .optional()?;
        let Some((undone_at, batch_id)) = edit
            .into_iter()
            .chain(LeadSpan::latest_undone(conn, owner_id)?)
            .max()
        else {
            return Ok(None);
        };
        if last_live.is_some_and(|t| undone_at <= t) {
            return Ok(None);
        }
        let edits = LeadEdit::batch(conn, owner_id, &batch_id, true)?;
        let mut outcome = LeadEdit::replay(conn, &edits, false)?;
        outcome.affected += LeadSpan::replay(conn, owner_id, &batch_id, false)?;
        let ids: Vec<&str> = edits.iter().map(|e| e.id.as_str()).collect();
        for chunk in ids.chunks(CHUNK) {
            diesel::update(lead_edits::table.filter(lead_edits::id.eq_any(chunk)))
                .set(lead_edits::undone_at.eq(None::<NaiveDateTime>))
                .execute(conn)?;
        }
        Ok(Some(UndoOutcome {
            batch_id,
            ..outcome
        }))
    }

    /// Applies each edit backwards (undo) or forwards (redo), skipping leads changed by someone since.
    fn replay(conn: &mut DbConn, edits: &[LeadEdit], backwards: bool) -> ApiResult<UndoOutcome> {
        let (mut affected, mut skipped) = (0, 0);
        let t = now();
        for e in edits {
            let deleted = match (e.kind.as_str(), backwards) {
                ("delete", true) | ("restore", false) => Some(false),
                ("delete", false) | ("restore", true) | ("create", true) => Some(true),
                ("create", false) => Some(false),
                _ => None,
            };
            if let Some(deleted) = deleted {
                affected += diesel::update(leads::table.find(&e.lead_id))
                    .set((
                        leads::deleted_at.eq(if deleted { Some(t) } else { None }),
                        leads::version.eq(leads::version + 1),
                        leads::updated_at.eq(t),
                    ))
                    .execute(conn)?;
                continue;
            }
            let changes: serde_json::Map<String, Value> =
                serde_json::from_str(&e.changes).unwrap_or_default();
            let Some(current) = leads::table
                .find(&e.lead_id)
                .select(Lead::as_select())
                .first(conn)
                .optional()?
            else {
                continue;
            };
            let cur = as_json(&current);
            let (expect_idx, target_idx) = if backwards { (1, 0) } else { (0, 1) };
            let unchanged = changes
                .iter()
                .all(|(f, pair)| cur.get(f) == pair.get(expect_idx));
            if !unchanged {
                skipped += 1;
                continue;
            }
            let target: serde_json::Map<String, Value> = changes
                .iter()
                .map(|(f, pair)| {
                    (
                        f.clone(),
                        pair.get(target_idx).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect();
            let patch = LeadPatch::from_values(target)?;
            affected += Lead::apply(conn, std::slice::from_ref(&e.lead_id), None, &patch)?;
        }
        Ok(UndoOutcome {
            batch_id: String::new(),
            affected,
            skipped,
        })
    }
}
