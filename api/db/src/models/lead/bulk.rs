//! Bulk selection (explicit ids, or a search and filter) and the bulk edits and deletes that use it.

use super::filter::Filter;
use super::history::LeadEdit;
use super::page::{owned_by, PageRequest};
use super::patch::LeadPatch;
use super::sort::Sort;
use super::{as_json, Lead};
use crate::conn::DbConn;
use crate::models::dnc;
use crate::now;
use crate::schema::leads;
use diesel::prelude::*;
use leadgen_core::{ApiError, ApiResult};
use serde_json::{json, Value};

/// Which leads a bulk action touches: explicit ids, or everything matching a search and filter.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub ids: Option<Vec<String>>,
    pub search: Option<String>,
    pub filter: Option<Filter>,
}

/// At most this many leads per bulk action.
pub const BULK_MAX: usize = 1_000_000;
pub(super) const CHUNK: usize = 2000;

impl Lead {
    /// The owner's live lead ids a selection names (someone else's ids are silently not there).
    pub fn select_ids(
        conn: &mut DbConn,
        owner_id: &str,
        sel: &Selection,
    ) -> ApiResult<Vec<String>> {
        let ids = match &sel.ids {
            Some(ids) => {
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(CHUNK) {
                    out.extend(
                        leads::table
                            .filter(owned_by(owner_id))
                            .filter(leads::deleted_at.is_null())
                            .filter(leads::id.eq_any(chunk))
                            .select(leads::id)
                            .load::<String>(conn)?,
                    );
                }
                out
            }
            None => {
                let req = PageRequest {
                    owner_id: owner_id.to_owned(),
                    search: sel.search.clone(),
                    filter: sel.filter.clone(),
                    sort: Sort::parse(None)?,
                    limit: 0,
                    cursor: None,
                    offset: None,
                    include_deleted: false,
                };
                Lead::base(&req, conn.backend())?
                    .select(leads::id)
                    .limit(BULK_MAX as i64 + 1)
                    .load::<String>(conn)?
            }
        };
        if ids.len() > BULK_MAX {
            return Err(ApiError::field(
                "filter",
                "too_many",
                format!("At most {BULK_MAX} leads at once"),
            ));
        }
        Ok(ids)
    }

    /// One patch applied to every selected lead, with one history batch. Returns how many changed.
    pub fn bulk_update(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        sel: &Selection,
        mut patch: LeadPatch,
        batch_id: &str,
    ) -> ApiResult<usize> {
        patch.normalise()?;
        if patch.username.is_some() {
            return Err(ApiError::field(
                "username",
                "not_bulk",
                "Usernames are unique; change them one at a time",
            ));
        }
        if patch.changed_fields().is_empty() {
            return Ok(0);
        }
        patch.check_product(conn, owner_id)?;
        let ids = Lead::select_ids(conn, owner_id, sel)?;
        let new_values = patch.values();
        let mut affected = 0;
        for chunk in ids.chunks(CHUNK) {
            let before: Vec<Lead> = leads::table
                .filter(leads::id.eq_any(chunk))
                .select(Lead::as_select())
                .load(conn)?;
            affected += Lead::apply(conn, chunk, None, &patch)?;
            if patch.status.as_deref() == Some(dnc::STATUS) {
                let marked: Vec<(String, Option<String>)> = before
                    .iter()
                    .map(|l| (l.username.clone(), l.email.clone()))
                    .collect();
                dnc::DoNotContact::remember(conn, owner_id, &marked, "Marked in the grid")?;
            }
            let mut edits = Vec::with_capacity(before.len());
            for b in &before {
                let old = as_json(b);
                let mut changes = serde_json::Map::new();
                for (f, new) in &new_values {
                    if old.get(f) != Some(new) {
                        changes.insert(f.clone(), json!([old.get(f), new]));
                    }
                }
                if !changes.is_empty() {
                    edits.push((b.id.clone(), Value::Object(changes)));
                }
            }
            LeadEdit::record_many(conn, owner_id, actor_id, batch_id, "update", &edits)?;
        }
        Ok(affected)
    }

    /// Soft-deletes every selected lead, as one undoable batch.
    pub fn bulk_delete(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        sel: &Selection,
        batch_id: &str,
    ) -> ApiResult<usize> {
        let ids = Lead::select_ids(conn, owner_id, sel)?;
        let t = now();
        let mut affected = 0;
        for chunk in ids.chunks(CHUNK) {
            affected += diesel::update(leads::table.filter(leads::id.eq_any(chunk)))
                .set((
                    leads::deleted_at.eq(Some(t)),
                    leads::version.eq(leads::version + 1),
                    leads::updated_at.eq(t),
                ))
                .execute(conn)?;
            let edits: Vec<(String, Value)> =
                chunk.iter().map(|id| (id.clone(), json!({}))).collect();
            LeadEdit::record_many(conn, owner_id, actor_id, batch_id, "delete", &edits)?;
        }
        Ok(affected)
    }
}
