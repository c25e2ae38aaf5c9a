//! The audit log of security-relevant events.

use crate::schema::audit_log;
use crate::{new_id, now, DbConn};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::ApiResult;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: String,
    pub at: NaiveDateTime,
    pub action: String,
    pub outcome: String,
    pub actor_id: Option<String>,
    pub actor_username: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub target_label: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: Option<String>,
}

/// One event to record. Build it with the helpers, then `insert`.
#[derive(Debug, Default, Clone)]
pub struct NewAudit {
    pub action: &'static str,
    pub outcome: &'static str,
    pub actor_id: Option<String>,
    pub actor_username: Option<String>,
    pub target_type: Option<&'static str>,
    pub target_id: Option<String>,
    pub target_label: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: Option<serde_json::Value>,
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub limit: i64,
    pub offset: i64,
}

impl AuditEntry {
    pub fn insert(conn: &mut DbConn, e: &NewAudit) -> ApiResult<()> {
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::id.eq(new_id()),
                audit_log::at.eq(now()),
                audit_log::action.eq(e.action),
                audit_log::outcome.eq(e.outcome),
                audit_log::actor_id.eq(e.actor_id.as_deref()),
                audit_log::actor_username.eq(e.actor_username.as_deref()),
                audit_log::target_type.eq(e.target_type),
                audit_log::target_id.eq(e.target_id.as_deref()),
                audit_log::target_label.eq(e.target_label.as_deref()),
                audit_log::ip.eq(e.ip.as_deref()),
                audit_log::user_agent.eq(e.user_agent.as_deref()),
                audit_log::details.eq(e.details.as_ref().map(|d| d.to_string())),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn list(conn: &mut DbConn, f: &AuditFilter) -> ApiResult<(Vec<AuditEntry>, i64)> {
        let build = || {
            let mut q = audit_log::table.into_boxed();
            if let Some(actor) = f.actor.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                let key = actor.to_lowercase();
                q = q.filter(
                    audit_log::actor_username
                        .eq(key.clone())
                        .or(audit_log::actor_id.eq(actor.to_owned())),
                );
            }
            if let Some(action) = f.action.as_deref().filter(|s| !s.is_empty()) {
                q = q.filter(audit_log::action.eq(action.to_owned()));
            }
            if let Some(target) = f.target.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                q = q.filter(
                    audit_log::target_id
                        .eq(target.to_owned())
                        .or(audit_log::target_label.eq(target.to_lowercase())),
                );
            }
            if let Some(from) = f.from {
                q = q.filter(audit_log::at.ge(from));
            }
            if let Some(to) = f.to {
                q = q.filter(audit_log::at.le(to));
            }
            q
        };
        let total = build().count().get_result(conn)?;
        let items = build()
            .order((audit_log::at.desc(), audit_log::id.desc()))
            .limit(f.limit)
            .offset(f.offset)
            .select(AuditEntry::as_select())
            .load(conn)?;
        Ok((items, total))
    }
}

/// Builder for events.
impl NewAudit {
    pub fn new(action: &'static str) -> Self {
        NewAudit {
            action,
            outcome: "success",
            ..NewAudit::default()
        }
    }
    pub fn failed(mut self) -> Self {
        self.outcome = "failure";
        self
    }
    pub fn client(mut self, ip: Option<&str>, user_agent: Option<&str>) -> Self {
        self.ip = ip.map(str::to_owned);
        self.user_agent = user_agent.map(str::to_owned);
        self
    }
    pub fn actor(mut self, id: &str, username: &str) -> Self {
        self.actor_id = Some(id.to_owned());
        self.actor_username = Some(username.to_lowercase());
        self
    }
    pub fn target(mut self, kind: &'static str, id: Option<&str>, label: Option<&str>) -> Self {
        self.target_type = Some(kind);
        self.target_id = id.map(str::to_owned);
        self.target_label = label.map(str::to_lowercase);
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}
