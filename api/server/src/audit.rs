//! The audit log: recording events with who, to whom, from where; and the admin listing.

use crate::extract::Params;
use crate::identity::dto::utc;
use crate::identity::extract::Admin;
use crate::security::ClientInfo;
use crate::state::AppState;
use actix_web::web::{self, Json};
use chrono::{DateTime, Utc};
use leadgen_core::ApiResult;
use leadgen_db::models::audit::{AuditEntry, AuditFilter, NewAudit};
use leadgen_db::models::user::User;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// Every action name the server records.
pub const ACTIONS: &[&str] = &[
    "login.success",
    "login.failure",
    "login.locked",
    "logout",
    "logout.everywhere",
    "session.revoked",
    "password.changed",
    "password.reset",
    "totp.enabled",
    "totp.failure",
    "totp.reset",
    "backup_code.used",
    "backup_codes.regenerated",
    "token.issued",
    "token.refreshed",
    "token.refresh_reuse",
    "api_token.created",
    "api_token.revoked",
    "user.created",
    "user.role_changed",
    "user.deactivated",
    "user.reactivated",
    "user.email_changed",
    "user.deleted",
    "user.sessions_revoked",
    "policy.changed",
    "keys.rotated",
    "leads.read_other",
    "provider.settings_changed",
    "provider.own_settings_changed",
    "provider.tested",
    "job.cancelled",
    "job.retried",
    "mailbox.connected",
    "mailbox.disconnected",
    "account.linked",
    "account.unlinked",
    "account.left",
    "account.member_added",
    "account.member_removed",
    "account.role_changed",
    "account.proxy_changed",
    "account.login",
    "account.signin",
    "account.oauth_refused",
    "account.session_logout",
    "challenge.opened",
    "challenge.resolved",
    "challenge.failed",
];

/// An event by a signed-in user (or the system when `actor` is None), from this client.
pub fn event(action: &'static str, actor: Option<&User>, client: &ClientInfo) -> NewAudit {
    debug_assert!(ACTIONS.contains(&action), "unknown audit action {action}");
    let e = NewAudit::new(action).client(client.ip.as_deref(), client.user_agent.as_deref());
    match actor {
        Some(u) => e.actor(&u.id, &u.username),
        None => e,
    }
}

/// Records outside a transaction (failures, where nothing else is written).
pub async fn record(state: &AppState, e: NewAudit) {
    if let Err(err) = state.db.run(move |c| AuditEntry::insert(c, &e)).await {
        tracing::error!(error = ?err, "could not write audit event");
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Success,
    Failure,
}

#[derive(Serialize, ToSchema)]
pub struct AuditItem {
    pub id: String,
    pub at: DateTime<Utc>,
    pub action: String,
    #[schema(value_type = AuditOutcome)]
    pub outcome: String,
    pub actor_id: Option<String>,
    pub actor_username: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub target_label: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Actor username or id.
    #[validate(length(max = 100))]
    #[param(max_length = 100)]
    pub actor: Option<String>,
    /// One of `GET /api/v1/admin/audit/actions`.
    #[validate(length(max = 64))]
    #[param(max_length = 64)]
    pub action: Option<String>,
    /// Target id or label (e.g. a username).
    #[validate(length(max = 100))]
    #[param(max_length = 100)]
    pub target: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    #[validate(range(min = 1, max = 100_000))]
    #[param(minimum = 1, maximum = 100_000)]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// List the audit log, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", operation_id = "list_audit_events", tag = "admin", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = leadgen_core::error::ErrorBody)))]
pub async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    Params(q): Params<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(50);
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        target: q.target,
        from: q.from.map(|t| t.naive_utc()),
        to: q.to.map(|t| t.naive_utc()),
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    let (rows, total) = state.db.run(move |c| AuditEntry::list(c, &filter)).await?;
    let items = rows
        .into_iter()
        .map(|r| AuditItem {
            id: r.id,
            at: utc(r.at),
            action: r.action,
            outcome: r.outcome,
            actor_id: r.actor_id,
            actor_username: r.actor_username,
            target_type: r.target_type,
            target_id: r.target_id,
            target_label: r.target_label,
            ip: r.ip,
            user_agent: r.user_agent,
            details: r.details.and_then(|d| serde_json::from_str(&d).ok()),
        })
        .collect();
    Ok(Json(AuditPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// The action names the audit log uses (for filters).
#[utoipa::path(get, path = "/api/v1/admin/audit/actions", operation_id = "list_audit_actions", tag = "admin",
    responses((status = 200, body = Vec<String>)))]
pub async fn actions(_admin: Admin) -> Json<Vec<&'static str>> {
    Json(ACTIONS.to_vec())
}
