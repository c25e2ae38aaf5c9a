//! What the lead pipeline (processing sessions) reads and writes on leads beyond the editable fields: lookups by
//! username and e-mail, the enrichment time, and the contact-search sources.

use super::page::owned_by;
use super::Lead;
use crate::conn::DbConn;
use crate::schema::leads;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};

/// A page a contact search found a lead's contact data on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactSource {
    pub url: String,
    pub title: Option<String>,
}

impl Lead {
    /// The owner's lead with this (normalised) username, deleted or not.
    pub fn find_by_username(
        conn: &mut DbConn,
        owner_id: &str,
        username: &str,
    ) -> ApiResult<Option<Lead>> {
        Ok(leads::table
            .filter(owned_by(owner_id))
            .filter(leads::username.eq(username))
            .select(Lead::as_select())
            .first(conn)
            .optional()?)
    }

    /// The owner's oldest live lead with this e-mail other than `except_id`.
    pub fn first_with_email(
        conn: &mut DbConn,
        owner_id: &str,
        email: &str,
        except_id: &str,
    ) -> ApiResult<Option<Lead>> {
        // No ORDER BY in SQL: with one, SQLite walks the owner's leads in created order (an index that sorts)
        // instead of looking the e-mail up (an index that finds), a scan per call and quadratic over a session's
        // dedupe. The same e-mail is on a few leads at most: the oldest is picked here.
        let found: Vec<Lead> = leads::table
            .filter(owned_by(owner_id))
            .filter(leads::email.eq(email))
            .filter(leads::id.ne(except_id))
            .filter(leads::deleted_at.is_null())
            .select(Lead::as_select())
            .load(conn)?;
        Ok(found
            .into_iter()
            .min_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id))))
    }

    /// Stamps the enrichment time.
    pub fn mark_enriched(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> ApiResult<()> {
        diesel::update(leads::table.find(id))
            .set(leads::enriched_at.eq(at))
            .execute(conn)?;
        Ok(())
    }

    /// Keeps where a contact search found the lead's contact data.
    pub fn set_contact_sources(
        conn: &mut DbConn,
        id: &str,
        sources: &[ContactSource],
    ) -> ApiResult<()> {
        let text = serde_json::to_string(sources).map_err(ApiError::internal)?;
        diesel::update(leads::table.find(id))
            .set(leads::contact_sources.eq(Some(text)))
            .execute(conn)?;
        Ok(())
    }

    /// The contact-search sources (empty when none).
    pub fn contact_source_list(&self) -> Vec<ContactSource> {
        self.contact_sources
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }
}

impl Lead {
    /// Of these leads of the owner, the live ones without an e-mail (in the given order).
    pub fn without_email(
        conn: &mut DbConn,
        owner_id: &str,
        ids: &[String],
    ) -> ApiResult<Vec<String>> {
        let mut found = std::collections::HashSet::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<String> = leads::table
                .filter(owned_by(owner_id))
                .filter(leads::id.eq_any(chunk))
                .filter(leads::deleted_at.is_null())
                .filter(leads::email.is_null())
                .select(leads::id)
                .load(conn)?;
            found.extend(rows);
        }
        Ok(ids.iter().filter(|i| found.contains(*i)).cloned().collect())
    }

    /// Of these ids, the owner's (in the given order).
    pub fn owned_ids(conn: &mut DbConn, owner_id: &str, ids: &[String]) -> ApiResult<Vec<String>> {
        let mut found = std::collections::HashSet::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<String> = leads::table
                .filter(owned_by(owner_id))
                .filter(leads::id.eq_any(chunk))
                .select(leads::id)
                .load(conn)?;
            found.extend(rows);
        }
        Ok(ids.iter().filter(|i| found.contains(*i)).cloned().collect())
    }
}
