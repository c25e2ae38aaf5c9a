//! `GET /api/v1/dashboard`: the first page's figures about your work (your own leads and imports only).

use crate::identity::dto::utc;
use crate::identity::extract::CurrentUser;
use crate::state::AppState;
use actix_web::web::{self, Json};
use chrono::{DateTime, Utc};
use leadgen_core::ApiResult;
use leadgen_db::models::draft::Draft;
use leadgen_db::models::import::Import;
use leadgen_db::models::summary::LeadSummary;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Dashboard {
    /// Your leads (deleted ones not counted).
    pub total_leads: i64,
    /// Leads per status, most first (statuses with no leads left out).
    pub by_status: Vec<StatusCount>,
    pub attention: Attention,
    /// Your latest imports that ran (newest first, up to 5).
    pub recent_imports: Vec<ImportBrief>,
}

#[derive(Serialize, ToSchema)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

/// What needs you: each a count, 0 when all is well.
#[derive(Serialize, ToSchema)]
pub struct Attention {
    /// Leads that replied: answer them.
    pub replied: i64,
    /// Leads whose e-mail bounced: fix the address.
    pub bounced: i64,
    /// New leads without an e-mail address.
    pub new_without_email: i64,
    /// Imports that failed or were interrupted.
    pub unfinished_imports: i64,
    /// E-mail drafts waiting for your review.
    pub drafts_to_review: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ImportBrief {
    pub id: String,
    pub filename: String,
    /// uploaded, running, done, failed, interrupted
    pub status: String,
    pub total_rows: i64,
    pub inserted: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Import> for ImportBrief {
    fn from(i: Import) -> Self {
        ImportBrief {
            id: i.id,
            filename: i.filename,
            status: i.status,
            total_rows: i.total_rows,
            inserted: i.inserted,
            updated: i.updated,
            skipped: i.skipped,
            failed: i.failed,
            created_at: utc(i.created_at),
            finished_at: i.finished_at.map(utc),
        }
    }
}

/// Your leads by status, what needs attention and your latest imports.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "leads",
    responses((status = 200, body = Dashboard)))]
pub async fn dashboard(me: CurrentUser, state: web::Data<AppState>) -> ApiResult<Json<Dashboard>> {
    let uid = me.user.id.clone();
    let s = state
        .db
        .run(move |c| {
            Ok((
                LeadSummary::for_owner(c, &uid)?,
                Draft::count_pending(c, &uid)?,
            ))
        })
        .await?;
    let (s, drafts_to_review) = s;
    Ok(Json(Dashboard {
        total_leads: s.total,
        by_status: s
            .by_status
            .into_iter()
            .map(|(status, count)| StatusCount { status, count })
            .collect(),
        attention: Attention {
            replied: s.replied,
            bounced: s.bounced,
            new_without_email: s.new_without_email,
            unfinished_imports: s.unfinished_imports,
            drafts_to_review,
        },
        recent_imports: s
            .recent_imports
            .into_iter()
            .map(ImportBrief::from)
            .collect(),
    }))
}
