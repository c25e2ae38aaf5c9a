//! The CSV import as a job of the engine (queue `imports`, one per user at a time): enqueued in the transaction
//! that marks the import running, so a crash or restart resumes it by itself (the rescuer hands its job to the
//! next worker, which writes only the rows not yet written). Each committed part checks the job's checkpoint, so
//! a cancelled job stops between parts.

use crate::jobs::{JobContext, JobHandler, Outcome};
use crate::leads::counts::CountCache;
use crate::leads::import::read_head;
use leadgen_core::ApiResult;
use leadgen_db::models::import::{Dedupe, DedupeKey, Import};
use leadgen_db::models::job::NewJob;
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

pub const KIND: &str = "leads.import";
/// Attempts before the import is given up as failed.
const MAX_ATTEMPTS: i32 = 5;

/// The job for import `id` of `owner` (its options are on the import row).
pub fn new_job(owner: &str, id: &str) -> NewJob {
    NewJob::new(KIND, json!({ "import_id": id }))
        .queue(crate::jobs::IMPORTS_QUEUE)
        .owner(owner)
        .unique_key(format!("import:{id}"))
        .max_attempts(MAX_ATTEMPTS)
}

pub struct ImportJob {
    pub data_dir: PathBuf,
    pub counts: Arc<CountCache>,
}

#[derive(Deserialize)]
struct Args {
    import_id: String,
}

#[derive(Deserialize)]
struct Options {
    mapping: Vec<Option<String>>,
    dedupe: Dedupe,
    key: DedupeKey,
}

impl JobHandler for ImportJob {
    fn run(&self, ctx: &JobContext) -> ApiResult<Outcome> {
        let a: Args = ctx.args()?;
        let mut conn = ctx.conn()?;
        let import = Import::get(&mut conn, &a.import_id)?;
        if import.status != "running" {
            return Ok(Outcome::Discard(format!("the import is {}", import.status)));
        }
        let Some(opts) = import
            .options
            .as_deref()
            .and_then(|o| serde_json::from_str::<Options>(o).ok())
        else {
            Import::finish(&mut conn, &import.id, "failed")?;
            return Ok(Outcome::Discard("the import has no options".into()));
        };
        let path = crate::leads::import::file_in(&self.data_dir, &import.id);
        let (delimiter, _, _, _) = read_head(&path)?;
        let checkpoint = || ctx.checkpoint();
        let job = crate::leads::import_run::Job {
            db: ctx.db(),
            counts: &self.counts,
            owner: &import.owner_id,
            id: &import.id,
            path: &path,
            delimiter,
            mapping: &opts.mapping,
            dedupe: opts.dedupe,
            key: opts.key,
            checkpoint: &checkpoint,
        };
        leadgen_db::conn::bulk_mode(&mut conn, true)?;
        let result = crate::leads::import_run::run(&mut conn, &job);
        leadgen_db::conn::bulk_mode(&mut conn, false)?;
        match result {
            Ok(()) => {
                Import::finish(&mut conn, &import.id, "done")?;
                // The file is not needed any more.
                crate::leads::import::remove_upload(&path);
                Ok(Outcome::Done)
            }
            Err(e) => {
                let stopping = ctx.checkpoint().is_err();
                if !stopping && ctx.job.attempt >= ctx.job.max_attempts {
                    tracing::error!(import = %import.id, error = ?e, "import failed");
                    Import::finish(&mut conn, &import.id, "failed")?;
                    crate::leads::import::remove_upload(&path);
                } else if ctx.is_cancelled() {
                    Import::finish(&mut conn, &import.id, "failed")?;
                    crate::leads::import::remove_upload(&path);
                }
                Err(e)
            }
        }
    }
}
