//! Writes of single leads: create, update with optimistic concurrency (`version`), soft delete; and `apply`, the
//! write every edit goes through.

use super::history::LeadEdit;
use super::page::owned_by;
use super::patch::LeadPatch;
use super::{as_json, public_json, Lead};
use crate::conn::DbConn;
use crate::models::dnc;
use crate::schema::leads;
use crate::{new_id, new_seq_id, now};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use serde_json::{json, Value};

pub struct NewLead {
    pub username: String,
    pub patch: LeadPatch,
}

impl Lead {
    /// The lead if it belongs to `owner_id` (or `None`: someone else's lead looks like no lead).
    pub fn find_owned(conn: &mut DbConn, owner_id: &str, id: &str) -> ApiResult<Option<Lead>> {
        Ok(leads::table
            .find(id)
            .filter(owned_by(owner_id))
            .select(Lead::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn create(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        mut new: LeadPatch,
    ) -> ApiResult<Lead> {
        new.normalise()?;
        new.check_product(conn, owner_id)?;
        let username = new.username.clone().ok_or_else(|| {
            ApiError::field("username", "required", "A lead needs an Instagram username")
        })?;
        let emails: Vec<String> = new.email.clone().flatten().into_iter().collect();
        if !dnc::DoNotContact::listed(conn, owner_id, std::slice::from_ref(&username), &emails)?
            .is_empty()
        {
            new.status = Some(dnc::STATUS.into());
        }
        let t = now();
        let id = new_seq_id();
        let owner_key = Lead::owner_key(conn, owner_id)?;
        let tags = serde_json::to_string(&new.tags.clone().unwrap_or_default())
            .map_err(ApiError::internal)?;
        let res = diesel::insert_into(leads::table)
            .values((
                leads::id.eq(&id),
                leads::owner_key.eq(owner_key),
                leads::owner_id.eq(owner_id),
                leads::username.eq(&username),
                leads::status.eq(new.status.clone().unwrap_or_else(|| "new".into())),
                leads::tags.eq(tags),
                leads::is_business.eq(new.is_business.unwrap_or(false)),
                leads::created_at.eq(t),
                leads::updated_at.eq(t),
                leads::version.eq(1i64),
            ))
            .execute(conn);
        match res {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {
                return Err(ApiError::conflict(
                    "username",
                    format!("@{username} is already in your workspace"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let mut rest = new;
        rest.username = None;
        rest.status = None;
        rest.tags = None;
        rest.is_business = None;
        if !rest.changed_fields().is_empty() {
            diesel::update(leads::table.find(&id))
                .set(&rest)
                .execute(conn)?;
        }
        let lead = leads::table
            .find(&id)
            .select(Lead::as_select())
            .first(conn)?;
        LeadEdit::record(conn, &lead, actor_id, &new_id(), "create", json!({}))?;
        Ok(lead)
    }

    /// Applies a patch if `expected_version` is still current. A stale version answers 409 with the current row.
    pub fn update(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        id: &str,
        expected_version: Option<i64>,
        mut patch: LeadPatch,
        batch_id: &str,
    ) -> ApiResult<Lead> {
        patch.normalise()?;
        patch.check_product(conn, owner_id)?;
        let before = Lead::find_owned(conn, owner_id, id)?
            .filter(|l| l.deleted_at.is_none())
            .ok_or_else(ApiError::not_found)?;
        if let Some(v) = expected_version {
            if v != before.version {
                return Err(conflict(&before));
            }
        }
        if patch.changed_fields().is_empty() {
            return Ok(before);
        }
        let n = Lead::apply(
            conn,
            std::slice::from_ref(&before.id),
            Some(before.version),
            &patch,
        )?;
        if n == 0 {
            let current = Lead::find_owned(conn, owner_id, id)?.ok_or_else(ApiError::not_found)?;
            return Err(conflict(&current));
        }
        let after = leads::table
            .find(id)
            .select(Lead::as_select())
            .first(conn)?;
        if patch.status.as_deref() == Some(dnc::STATUS) {
            dnc::DoNotContact::remember(
                conn,
                owner_id,
                &[(after.username.clone(), after.email.clone())],
                "Marked in the grid",
            )?;
        }
        let (old, new) = (as_json(&before), as_json(&after));
        let mut changes = serde_json::Map::new();
        for f in patch.changed_fields() {
            if old.get(f) != new.get(f) {
                changes.insert(f.to_owned(), json!([old.get(f), new.get(f)]));
            }
        }
        if !changes.is_empty() {
            LeadEdit::record(
                conn,
                &after,
                actor_id,
                batch_id,
                "update",
                Value::Object(changes),
            )?;
        }
        Ok(after)
    }

    /// Soft delete (or restore) one of the owner's leads; recorded in the history.
    pub fn set_deleted(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        id: &str,
        deleted: bool,
        batch_id: &str,
    ) -> ApiResult<Lead> {
        let t = now();
        let n = diesel::update(leads::table.find(id).filter(owned_by(owner_id)))
            .set((
                leads::deleted_at.eq(if deleted { Some(t) } else { None }),
                leads::version.eq(leads::version + 1),
                leads::updated_at.eq(t),
            ))
            .execute(conn)?;
        if n == 0 {
            return Err(ApiError::not_found());
        }
        let lead = leads::table
            .find(id)
            .select(Lead::as_select())
            .first(conn)?;
        LeadEdit::record(
            conn,
            &lead,
            actor_id,
            batch_id,
            if deleted { "delete" } else { "restore" },
            json!({}),
        )?;
        Ok(lead)
    }
}

fn conflict(current: &Lead) -> ApiError {
    ApiError::msg(
        ErrorCode::Conflict,
        "This lead was changed by someone else. Nothing was overwritten.",
    )
    .with_details(json!({ "current": public_json(current), "code": "lead_version_conflict" }))
}

impl Lead {
    /// Writes a normalised patch to the rows (only where the version is still `expected`, when given), bumping
    /// their version; the first change to "contacted" stamps contacted_at. No history (callers record it).
    pub(super) fn apply(
        conn: &mut DbConn,
        ids: &[String],
        expected: Option<i64>,
        patch: &LeadPatch,
    ) -> ApiResult<usize> {
        let t = now();
        let tags = match &patch.tags {
            Some(tags) => Some(serde_json::to_string(tags).map_err(ApiError::internal)?),
            None => None,
        };
        let n = diesel::update(
            leads::table.filter(leads::id.eq_any(ids)).filter(
                leads::version
                    .eq(expected.unwrap_or_default())
                    .or(expected.is_none().into_sql::<Bool>()),
            ),
        )
        .set((
            patch,
            tags.map(|text| leads::tags.eq(text)),
            leads::version.eq(leads::version + 1),
            leads::updated_at.eq(t),
        ))
        .execute(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => ApiError::conflict(
                "username",
                "Another lead in your workspace has this username",
            ),
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _,
            ) => ApiError::field("product_id", "unknown_product", "No such product"),
            other => other.into(),
        })?;
        if patch.status.as_deref() == Some("contacted") {
            diesel::update(
                leads::table
                    .filter(leads::id.eq_any(ids))
                    .filter(leads::contacted_at.is_null()),
            )
            .set(leads::contacted_at.eq(t))
            .execute(conn)?;
        }
        Ok(n)
    }
}
