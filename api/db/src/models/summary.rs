//! The dashboard's figures: the owner's leads by status, what needs attention, the latest imports. Every query
//! names the owner.

use crate::conn::DbConn;
use crate::models::import::Import;
use crate::models::lead::Lead;
use crate::schema::{imports, leads};
use diesel::dsl::count_star;
use diesel::prelude::*;
use leadgen_core::ApiResult;

/// Imports shown on the dashboard.
pub const RECENT_IMPORTS: i64 = 5;

#[derive(Debug, Default, Clone)]
pub struct LeadSummary {
    /// Live leads (not deleted).
    pub total: i64,
    /// (status, leads), most first.
    pub by_status: Vec<(String, i64)>,
    /// Leads that answered (status `replied`): waiting for your reply.
    pub replied: i64,
    /// Leads whose e-mail bounced: the address needs fixing.
    pub bounced: i64,
    /// New leads with no e-mail address yet.
    pub new_without_email: i64,
    /// Imports that failed or were interrupted (resume or look at them).
    pub unfinished_imports: i64,
    pub recent_imports: Vec<Import>,
}

impl LeadSummary {
    pub fn for_owner(conn: &mut DbConn, owner_id: &str) -> ApiResult<LeadSummary> {
        let owner_key = Lead::owner_key(conn, owner_id)?;
        let live = || {
            leads::table
                .filter(leads::owner_key.eq(owner_key))
                .filter(leads::deleted_at.is_null())
        };
        let mut by_status: Vec<(String, i64)> = live()
            .group_by(leads::status)
            .select((leads::status, count_star()))
            .load(conn)?;
        by_status.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let of = |s: &str| {
            by_status
                .iter()
                .find(|(k, _)| k == s)
                .map_or(0, |(_, n)| *n)
        };
        let new_without_email = live()
            .filter(leads::status.eq("new"))
            .filter(leads::email.is_null())
            .count()
            .get_result(conn)?;
        let unfinished_imports = imports::table
            .filter(imports::owner_id.eq(owner_id))
            .filter(imports::status.eq_any(["failed", "interrupted"]))
            .count()
            .get_result(conn)?;
        let recent_imports = imports::table
            .filter(imports::owner_id.eq(owner_id))
            .filter(imports::status.ne("uploaded"))
            .order((imports::created_at.desc(), imports::id.desc()))
            .limit(RECENT_IMPORTS)
            .select(Import::as_select())
            .load(conn)?;
        Ok(LeadSummary {
            total: by_status.iter().map(|(_, n)| n).sum(),
            replied: of("replied"),
            bounced: of("bounced"),
            new_without_email,
            unfinished_imports,
            by_status,
            recent_imports,
        })
    }
}
