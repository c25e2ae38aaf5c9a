//! `test.drafts`: a job kind for tests only (registered with `LEADGEN_JOBS_TEST_KINDS=true`) that writes drafts for
//! a list of leads through [`draft_for_lead`], as the processing sessions' e-mail stage does, and reports each
//! result as the job's progress.

use crate::drafts::generate::{draft_for_lead, DraftRequest, DraftResult};
use crate::jobs::{JobContext, JobHandler, Outcome};
use crate::providers::ProviderAccess;
use leadgen_core::ApiResult;
use serde::Deserialize;
use serde_json::json;

pub const KIND: &str = "test.drafts";

#[derive(Deserialize)]
struct Args {
    user_id: String,
    product_id: String,
    lead_ids: Vec<String>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    instruction: Option<String>,
}

pub struct TestDrafts {
    pub access: ProviderAccess,
}

impl JobHandler for TestDrafts {
    fn run(&self, ctx: &JobContext) -> ApiResult<Outcome> {
        let a: Args = ctx.args()?;
        let mut c = ctx.conn()?;
        let mut results = vec![];
        for lead_id in &a.lead_ids {
            ctx.checkpoint()?;
            let r = draft_for_lead(
                &self.access,
                ctx,
                &mut c,
                &DraftRequest {
                    user_id: &a.user_id,
                    lead_id,
                    product_id: &a.product_id,
                    session_id: a.session_id.as_deref(),
                    instruction: a.instruction.as_deref(),
                },
            )?;
            results.push(match r {
                DraftResult::Created { draft_id, cost_usd } => {
                    json!({"lead_id": lead_id, "draft_id": draft_id, "cost_usd": cost_usd})
                }
                DraftResult::Skipped(why) => json!({"lead_id": lead_id, "skipped": why}),
            });
        }
        ctx.progress(&mut c, &json!({ "results": results }))?;
        Ok(Outcome::Done)
    }
}
