//! The CSV import as a job of the engine (queue `imports`, one per user at a time): enqueued in the transaction
//! that marks the import running, so a crash or restart resumes it by itself (the rescuer hands its job to the
//! next worker, which writes only the rows not yet written). Each committed part checks the job's checkpoint, so
//! a cancelled job stops between parts.

use crate::jobs::{JobContext, JobHandler, Outcome};
use crate::leads::counts::CountCache;
use crate::leads::import::read_head;
use chrono::NaiveDateTime;
use leadgen_core::ApiResult;
use leadgen_db::models::import::{Dedupe, DedupeKey, Import};
use leadgen_db::models::job::{Job, NewJob, ACTIVE};
use leadgen_db::DbConn;
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
        .unique_key(unique_key(id))
        .max_attempts(MAX_ATTEMPTS)
}

pub struct ImportJob {
    pub data_dir: PathBuf,
    /// Rows per part (`import_chunk_rows`).
    pub chunk_rows: usize,
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
            chunk_rows: self.chunk_rows,
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
                // A cancel since the last heartbeat (the import's own cancel refuses its next part): learn of it
                // now, so the job ends cancelled instead of being retried.
                if ctx.checkpoint().is_ok() {
                    let _ = ctx.heartbeat();
                }
                let stopping = ctx.checkpoint().is_err();
                if ctx.is_cancelled() {
                    // The import itself was cancelled with its job (`cancel`): the rows written stay.
                    Import::cancel(&mut conn, &import.id)?;
                    crate::leads::import::remove_upload(&path);
                } else if !stopping && ctx.job.attempt >= ctx.job.max_attempts {
                    tracing::error!(import = %import.id, error = ?e, "import failed");
                    Import::finish(&mut conn, &import.id, "failed")?;
                    crate::leads::import::remove_upload(&path);
                }
                Err(e)
            }
        }
    }
}

/// Cancels import `import_id` with its job, in the caller's transaction: the import shows `cancelled` at once
/// (the rows already written stay); its job, when waiting, is cancelled; when running, its next part is refused
/// and it stops at that checkpoint. False when the import had already ended. The caller removes the file.
pub fn cancel(conn: &mut DbConn, import_id: &str, now: NaiveDateTime) -> ApiResult<bool> {
    if !Import::cancel(conn, import_id)? {
        return Ok(false);
    }
    if let Some(j) = job_of(conn, import_id)? {
        if ACTIVE.contains(&j.state.as_str()) {
            Job::cancel(conn, &j.id, now)?;
        }
    }
    Ok(true)
}

/// The newest job of import `import_id`.
pub fn job_of(conn: &mut DbConn, import_id: &str) -> ApiResult<Option<Job>> {
    Job::find_by_key(conn, KIND, &unique_key(import_id))
}

/// The import a job of this kind works on.
pub fn import_of(job: &Job) -> Option<String> {
    serde_json::from_str::<Args>(&job.args)
        .ok()
        .map(|a| a.import_id)
}

fn unique_key(import_id: &str) -> String {
    format!("import:{import_id}")
}
