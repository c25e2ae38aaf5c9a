//! The upload sweep as a periodic job of the engine: every hour (one tick per hour however many processes run
//! the scheduler), the uploaded files no import needs any more are removed (`import::sweep_uploads`). It runs
//! on the `imports` queue, where the files are read, so a process that runs imports also sweeps their files.

use crate::jobs::{JobContext, JobHandler, Outcome};
use leadgen_core::ApiResult;
use leadgen_db::models::job::NewJob;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

pub const KIND: &str = "leads.sweep_uploads";
/// The periodic schedule's name (its ticks' unique keys are `sweep_uploads@<tick>`).
pub const SCHEDULE: &str = "sweep_uploads";
pub const EVERY: Duration = Duration::from_secs(3600);

/// The job of one tick.
pub fn new_job() -> NewJob {
    NewJob::new(KIND, json!({}))
        .queue(crate::jobs::IMPORTS_QUEUE)
        .max_attempts(3)
}

pub struct SweepUploads {
    pub data_dir: PathBuf,
}

impl JobHandler for SweepUploads {
    fn run(&self, ctx: &JobContext) -> ApiResult<Outcome> {
        let mut conn = ctx.conn()?;
        let removed = crate::leads::import::sweep_uploads(&mut conn, &self.data_dir, ctx.now())?;
        if removed > 0 {
            tracing::info!(removed, "removed uploaded files no import needs");
        }
        Ok(Outcome::Done)
    }
}
