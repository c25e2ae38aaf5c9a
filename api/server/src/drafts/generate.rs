//! One draft for one lead (stage 5 of a processing session, and bulk generation from the grid).
//!
//! Stub: the drafts capability replaces this file with the real generation (OpenAI through the effects ledger).

use leadgen_core::ApiResult;

pub struct DraftRequest<'a> {
    pub user_id: &'a str,
    pub lead_id: &'a str,
    pub product_id: &'a str,
    pub session_id: Option<&'a str>,
    pub instruction: Option<&'a str>,
}

pub enum DraftResult {
    Created { draft_id: String, cost_usd: f64 },
    Skipped(&'static str),
}

/// One draft for one lead: OpenAI through the effects ledger; safe to repeat. Sets the lead `email_drafted`.
pub fn draft_for_lead(
    _access: &crate::providers::ProviderAccess,
    _ctx: &crate::jobs::JobContext,
    _conn: &mut leadgen_db::DbConn,
    _req: &DraftRequest<'_>,
) -> ApiResult<DraftResult> {
    Ok(DraftResult::Skipped("drafts are not built yet"))
}
