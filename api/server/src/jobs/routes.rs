//! `/api/v1/admin/jobs` (admins: every queue and job; retry or cancel one) and `/api/v1/me/jobs` (a user's own
//! background work; cancel one). A job is shown by what it does — a label per kind, its progress, what it works
//! on — never by its arguments. Cancelling a job cancels what it works on too (an import job's import).

use crate::audit::event;
use crate::extract::Params;
use crate::identity::dto::utc;
use crate::identity::extract::{Admin, CurrentUser};
use crate::leads::import_job;
use crate::security::ClientInfo;
use crate::state::AppState;
use actix_web::web::{self, Json, Path};
use chrono::{DateTime, NaiveDateTime, Utc};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::audit::AuditEntry;
use leadgen_db::models::import::Import;
use leadgen_db::models::job::{self, Job, JobFilter};
use leadgen_db::models::user::User;
use leadgen_db::{write_tx, DbConn};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/jobs", web::get().to(list_jobs))
        .route("/admin/jobs/{id}/cancel", web::post().to(cancel_job))
        .route("/admin/jobs/{id}/retry", web::post().to(retry_job))
        .route("/me/jobs", web::get().to(list_my_jobs))
        .route("/me/jobs/{id}/cancel", web::post().to(cancel_my_job));
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker.
    Available,
    /// Waiting for its `run_at`.
    Scheduled,
    Running,
    /// An attempt failed; it runs again at `run_at`.
    Retryable,
    Completed,
    /// Gave up: out of attempts, or not worth retrying (`last_error` says why).
    Discarded,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Available => job::AVAILABLE,
            JobState::Scheduled => job::SCHEDULED,
            JobState::Running => job::RUNNING,
            JobState::Retryable => job::RETRYABLE,
            JobState::Completed => job::COMPLETED,
            JobState::Discarded => job::DISCARDED,
            JobState::Cancelled => job::CANCELLED,
        }
    }
}

/// How far a job has come.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct JobProgress {
    pub done: i64,
    /// Unknown for some kinds.
    pub total: Option<i64>,
}

/// What a job works on, for a link to it.
#[derive(Serialize, ToSchema)]
pub struct JobSubject {
    /// `import`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

#[derive(Serialize, ToSchema)]
pub struct JobItem {
    pub id: String,
    /// The job's kind, e.g. `leads.import`.
    pub kind: String,
    /// What it does, for people: e.g. "Import of leads.csv".
    pub label: String,
    pub queue: String,
    pub owner_id: Option<String>,
    pub owner_username: Option<String>,
    #[schema(value_type = JobState)]
    pub state: String,
    /// Attempts started (the running one included).
    pub attempt: i32,
    pub max_attempts: i32,
    pub progress: Option<JobProgress>,
    /// The last failed attempt's error. Admins only: a user's own listing leaves it out (causes are for the
    /// operators; the import page reports an import's bad rows).
    pub last_error: Option<String>,
    /// Someone asked the running job to stop; it stops at its next checkpoint.
    pub cancel_requested: bool,
    pub subject: Option<JobSubject>,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub attempted_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Jobs of a queue per state.
#[derive(Serialize, ToSchema, Default)]
pub struct QueueCounts {
    pub queue: String,
    pub available: i64,
    pub scheduled: i64,
    pub running: i64,
    pub retryable: i64,
    pub completed: i64,
    pub discarded: i64,
    pub cancelled: i64,
}

impl QueueCounts {
    fn add(&mut self, state: &str, n: i64) {
        let slot = match state {
            job::AVAILABLE => &mut self.available,
            job::SCHEDULED => &mut self.scheduled,
            job::RUNNING => &mut self.running,
            job::RETRYABLE => &mut self.retryable,
            job::COMPLETED => &mut self.completed,
            job::DISCARDED => &mut self.discarded,
            job::CANCELLED => &mut self.cancelled,
            _ => return,
        };
        *slot += n;
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdminJobPage {
    /// Every queue this process knows or that holds jobs, with its counts (finished jobs are pruned after
    /// `LEADGEN_JOBS_PRUNE_AFTER_HOURS`).
    pub queues: Vec<QueueCounts>,
    /// Running jobs first, then newest first.
    pub items: Vec<JobItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Serialize, ToSchema)]
pub struct JobPage {
    /// Running jobs first, then newest first.
    pub items: Vec<JobItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    #[validate(length(min = 1, max = 64))]
    #[param(min_length = 1, max_length = 64)]
    pub queue: Option<String>,
    pub state: Option<JobState>,
    /// A job kind, e.g. `leads.import`.
    #[validate(length(min = 1, max = 64))]
    #[param(min_length = 1, max_length = 64)]
    pub kind: Option<String>,
    #[validate(range(min = 1, max = 100_000))]
    #[param(minimum = 1, maximum = 100_000)]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyJobQuery {
    pub state: Option<JobState>,
    #[validate(range(min = 1, max = 100_000))]
    #[param(minimum = 1, maximum = 100_000)]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

fn page_of(page: Option<i64>, per_page: Option<i64>) -> (i64, i64) {
    (page.unwrap_or(1), per_page.unwrap_or(50))
}

/// The jobs as people see them: a label per kind, progress, owner, what they work on. `admin`: with the last
/// error.
fn describe(c: &mut DbConn, jobs: Vec<Job>, admin: bool) -> ApiResult<Vec<JobItem>> {
    let import_ids: Vec<String> = jobs
        .iter()
        .filter(|j| j.kind == import_job::KIND)
        .filter_map(import_job::import_of)
        .collect();
    let imports: HashMap<String, Import> = Import::find_many(c, &import_ids)?
        .into_iter()
        .map(|i| (i.id.clone(), i))
        .collect();
    let mut owners: HashMap<String, Option<String>> = HashMap::new();
    for o in jobs.iter().filter_map(|j| j.owner_id.as_ref()) {
        if !owners.contains_key(o) {
            owners.insert(o.clone(), User::find(c, o)?.map(|u| u.username));
        }
    }
    Ok(jobs
        .into_iter()
        .map(|j| {
            let import = (j.kind == import_job::KIND)
                .then(|| import_job::import_of(&j))
                .flatten()
                .and_then(|id| imports.get(&id));
            let (label, progress, subject) = match import {
                Some(i) => (
                    format!("Import of {}", i.filename),
                    Some(JobProgress {
                        done: i.processed,
                        total: Some(i.total_rows),
                    }),
                    Some(JobSubject {
                        kind: "import".into(),
                        id: i.id.clone(),
                    }),
                ),
                None => (label_of(&j.kind), progress_of(&j), None),
            };
            JobItem {
                owner_username: j
                    .owner_id
                    .as_ref()
                    .and_then(|o| owners.get(o).cloned().flatten()),
                label,
                progress,
                subject,
                last_error: if admin { j.last_error } else { None },
                id: j.id,
                kind: j.kind,
                queue: j.queue,
                owner_id: j.owner_id,
                state: j.state,
                attempt: j.attempt,
                max_attempts: j.max_attempts,
                cancel_requested: j.cancel_requested,
                run_at: utc(j.run_at),
                created_at: utc(j.created_at),
                attempted_at: j.attempted_at.map(utc),
                finished_at: j.finished_at.map(utc),
            }
        })
        .collect())
}

/// The label of a kind without a subject of its own.
fn label_of(kind: &str) -> String {
    match kind {
        import_job::KIND => "Import (its upload is gone)".into(),
        crate::sessions::KIND => "Processing session (lead pipeline)".into(),
        k if k.starts_with("test.") => format!("Test job ({k})"),
        k => k.to_owned(),
    }
}

/// A job's own progress report, when it has the `{done, total}` shape.
fn progress_of(j: &Job) -> Option<JobProgress> {
    let p = j.progress_json()?;
    Some(JobProgress {
        done: p.get("done")?.as_i64()?,
        total: p.get("total").and_then(|t| t.as_i64()),
    })
}

/// `Conflict` when the job has ended: there is nothing to cancel.
fn ended(j: &Job) -> ApiResult<()> {
    if job::FINISHED.contains(&j.state.as_str()) {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            format!("The job has already ended ({}).", j.state),
        ));
    }
    Ok(())
}

/// Cancels a job and what it works on, inside the caller's transaction: a waiting job ends at once, a running
/// one stops at its next checkpoint. `Conflict` when it has already ended.
fn cancel_in(c: &mut DbConn, j: &Job, now: NaiveDateTime) -> ApiResult<Job> {
    ended(j)?;
    if j.kind == import_job::KIND {
        if let Some(import) = import_job::import_of(j) {
            // Cancels the job too.
            import_job::cancel(c, &import, now)?;
        }
    }
    if j.kind == crate::sessions::KIND {
        if let Some(session) = crate::sessions::session_of(j) {
            crate::sessions::cancel_for_job(c, &session, j.state == job::RUNNING, now)?;
        }
    }
    Job::cancel(c, &j.id, now)?.ok_or_else(ApiError::not_found)
}

/// A job whose subject has ended would only be discarded again: an import job runs again only while its
/// import runs (an interrupted import is resumed by its owner's run request; an ended one is uploaded again).
fn check_retry(c: &mut DbConn, j: &Job) -> ApiResult<()> {
    if j.kind != import_job::KIND {
        return Ok(());
    }
    let Some(import) = import_job::import_of(j)
        .map(|id| Import::find(c, &id))
        .transpose()?
    else {
        return Ok(());
    };
    match import {
        Some(i) if i.status != leadgen_db::models::import::RUNNING => Err(ApiError::msg(
            ErrorCode::Conflict,
            format!(
                "The job's import is {}: there is nothing to run again.",
                i.status
            ),
        )),
        _ => Ok(()),
    }
}

/// After a cancel has committed: an import's file is not needed any more (a running job keeps reading what it
/// opened until its next checkpoint).
fn after_cancel(state: &AppState, j: &Job) {
    if j.kind == import_job::KIND {
        if let Some(import) = import_job::import_of(j) {
            crate::leads::import::remove_upload(&crate::leads::import::file_in(
                &state.settings.data_dir,
                &import,
            ));
        }
    }
}

/// Queues with their counts per state, and a page of jobs (running first), filtered by queue, state and kind.
#[utoipa::path(get, path = "/api/v1/admin/jobs", operation_id = "list_jobs", tag = "admin", params(JobQuery),
    responses((status = 200, body = AdminJobPage), (status = 403, body = ErrorBody)))]
pub async fn list_jobs(
    _a: Admin,
    state: web::Data<AppState>,
    Params(q): Params<JobQuery>,
) -> ApiResult<Json<AdminJobPage>> {
    let (page, per_page) = page_of(q.page, q.per_page);
    let filter = JobFilter {
        owner_id: None,
        queue: q.queue,
        states: q
            .state
            .map(|s| vec![s.as_str().to_owned()])
            .unwrap_or_default(),
        kind: q.kind,
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    let known: Vec<String> = state.jobs.queues().iter().map(|q| q.name.clone()).collect();
    let (queues, items, total) = state
        .db
        .run(move |c| {
            let mut queues: BTreeMap<String, QueueCounts> = known
                .into_iter()
                .map(|name| {
                    let counts = QueueCounts {
                        queue: name.clone(),
                        ..QueueCounts::default()
                    };
                    (name, counts)
                })
                .collect();
            for (queue, st, n) in Job::counts(c)? {
                queues
                    .entry(queue.clone())
                    .or_insert_with(|| QueueCounts {
                        queue,
                        ..QueueCounts::default()
                    })
                    .add(&st, n);
            }
            let total = Job::count(c, &filter)?;
            let jobs = Job::list(c, &filter)?;
            Ok((
                queues.into_values().collect(),
                describe(c, jobs, true)?,
                total,
            ))
        })
        .await?;
    Ok(Json(AdminJobPage {
        queues,
        items,
        total,
        page,
        per_page,
    }))
}

/// Cancel a job: one waiting to run is cancelled at once, a running one stops at its next checkpoint. What it
/// works on is cancelled with it (an import job's import shows `cancelled`, keeping the rows already written).
#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/cancel", operation_id = "cancel_job", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = JobItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The job has already ended (completed, discarded or cancelled)")))]
pub async fn cancel_job(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
) -> ApiResult<Json<JobItem>> {
    let j = cancel(&state, id.into_inner(), None, Some((admin.user, client))).await?;
    one(&state, j, true).await
}

/// Cancels job `id` (of `owner` when given: another's is unknown) and what it works on, recording the audit
/// event of an admin's cancel in the same transaction. A job running in this process is told first, without a
/// database write (see `Engine::stop_running`), so a long writer makes way for the cancel's transaction.
async fn cancel(
    state: &AppState,
    id: String,
    owner: Option<String>,
    audit: Option<(User, ClientInfo)>,
) -> ApiResult<Job> {
    let find = move |c: &mut DbConn| match &owner {
        Some(o) => Job::find_owned(c, o, &id),
        None => Job::find(c, &id),
    };
    let found = {
        let find = find.clone();
        state.db.run(move |c| find(c)).await?
    }
    .ok_or_else(ApiError::not_found)?;
    ended(&found)?;
    let told = found.state == job::RUNNING && state.jobs.stop_running(&found.id);
    let now = state.clock.now();
    let j = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let j = find(c)?.ok_or_else(ApiError::not_found)?;
                // Told to stop here, it may have stopped (and cancelled what it works on) already.
                let after = if told && j.state == job::CANCELLED {
                    j.clone()
                } else {
                    cancel_in(c, &j, now)?
                };
                if let Some((actor, client)) = &audit {
                    AuditEntry::insert(
                        c,
                        &event("job.cancelled", Some(actor), client)
                            .target("job", Some(&j.id), Some(&j.kind))
                            .details(json!({ "queue": j.queue, "state": j.state, "owner_id": j.owner_id })),
                    )?;
                }
                Ok(after)
            })
        })
        .await?;
    after_cancel(state, &j);
    Ok(j)
}

/// Run a job again now (one that ended, or is waiting for a retry), with one more attempt if it had used them
/// all. A running job answers 409: cancel it first.
#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/retry", operation_id = "retry_job", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = JobItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The job is running, or another active job holds its unique key")))]
pub async fn retry_job(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
) -> ApiResult<Json<JobItem>> {
    let (id, now, actor) = (id.into_inner(), state.clock.now(), admin.user.clone());
    let j = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let before = Job::find(c, &id)?.ok_or_else(ApiError::not_found)?;
                check_retry(c, &before)?;
                let after = Job::retry(c, &id, now)?.ok_or_else(ApiError::not_found)?;
                if after.state != job::AVAILABLE {
                    return Err(ApiError::msg(
                        ErrorCode::Conflict,
                        "The job changed meanwhile; look again.",
                    ));
                }
                AuditEntry::insert(
                    c,
                    &event("job.retried", Some(&actor), &client)
                        .target("job", Some(&before.id), Some(&before.kind))
                        .details(json!({ "queue": before.queue, "state": before.state, "owner_id": before.owner_id })),
                )?;
                Ok(after)
            })
        })
        .await?;
    one(&state, j, true).await
}

/// Your own background work (imports and other jobs you started), running first, then newest first.
#[utoipa::path(get, path = "/api/v1/me/jobs", operation_id = "list_my_jobs", tag = "me", params(MyJobQuery),
    responses((status = 200, body = JobPage)))]
pub async fn list_my_jobs(
    me: CurrentUser,
    state: web::Data<AppState>,
    Params(q): Params<MyJobQuery>,
) -> ApiResult<Json<JobPage>> {
    let (page, per_page) = page_of(q.page, q.per_page);
    let filter = JobFilter {
        owner_id: Some(me.user.id.clone()),
        queue: None,
        states: q
            .state
            .map(|s| vec![s.as_str().to_owned()])
            .unwrap_or_default(),
        kind: None,
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    let (items, total) = state
        .db
        .run(move |c| {
            let total = Job::count(c, &filter)?;
            let jobs = Job::list(c, &filter)?;
            Ok((describe(c, jobs, false)?, total))
        })
        .await?;
    Ok(Json(JobPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// Cancel one of your own jobs (another user's answers 404); what it works on is cancelled with it.
#[utoipa::path(post, path = "/api/v1/me/jobs/{id}/cancel", operation_id = "cancel_my_job", tag = "me", params(("id" = String, Path)),
    responses((status = 200, body = JobItem), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The job has already ended (completed, discarded or cancelled)")))]
pub async fn cancel_my_job(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<JobItem>> {
    me.require_writer()?;
    let j = cancel(&state, id.into_inner(), Some(me.user.id.clone()), None).await?;
    one(&state, j, false).await
}

async fn one(state: &AppState, j: Job, admin: bool) -> ApiResult<Json<JobItem>> {
    let mut items = state.db.run(move |c| describe(c, vec![j], admin)).await?;
    items.pop().map(Json).ok_or_else(ApiError::not_found)
}
