//! Jobs: the durable queue on the app's own database (the design of River, Oban and good_job).
//!
//! A job is enqueued inside the caller's transaction, so it exists exactly when the write that caused it does.
//! Workers claim due jobs (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite inside an immediate transaction); each
//! claim leases the job until `locked_until` and bumps its fencing `token`. Every later write of the run
//! (heartbeat, progress, completion, failure, snooze, release) names the token and is refused when it is not the
//! current one: a worker that lost its lease cannot overwrite what the job's new owner does. The rescuer takes
//! back jobs whose lease ran out (their worker died), the pruner deletes finished jobs after a while.
//!
//! Every function takes the time from its caller (`now`), who reads it from the engine's [`Clock`].
//!
//! [`Clock`]: leadgen_core::clock::Clock

use crate::conn::{write_tx, DbConn};
use crate::schema::jobs;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use serde::Serialize;
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;

pub const AVAILABLE: &str = "available";
pub const SCHEDULED: &str = "scheduled";
pub const RUNNING: &str = "running";
pub const RETRYABLE: &str = "retryable";
pub const COMPLETED: &str = "completed";
pub const DISCARDED: &str = "discarded";
pub const CANCELLED: &str = "cancelled";

/// Every state, in the order a job goes through them.
pub const STATES: [&str; 7] = [
    AVAILABLE, SCHEDULED, RUNNING, RETRYABLE, COMPLETED, DISCARDED, CANCELLED,
];
/// States a worker claims from (once `run_at` has come).
pub const DUE: [&str; 3] = [AVAILABLE, SCHEDULED, RETRYABLE];
/// States in which a unique key is held.
pub const ACTIVE: [&str; 4] = [AVAILABLE, SCHEDULED, RUNNING, RETRYABLE];
/// States a job ends in (the pruner deletes these).
pub const FINISHED: [&str; 3] = [COMPLETED, DISCARDED, CANCELLED];

/// Attempts a job gets unless it asks for another number.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 20;
/// The PostgreSQL channel enqueues notify (payload: the queue).
pub const NOTIFY_CHANNEL: &str = "leadgen_jobs";

#[derive(Queryable, QueryableByName, Selectable, Clone, Debug, Serialize, PartialEq)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub queue: String,
    /// JSON: ids to re-read, never copies of state.
    pub args: String,
    pub owner_id: Option<String>,
    /// Lower runs first.
    pub priority: i32,
    pub state: String,
    pub run_at: NaiveDateTime,
    /// Attempts started (the running one included).
    pub attempt: i32,
    pub max_attempts: i32,
    /// The fencing token: grows with every claim.
    pub token: i64,
    pub locked_until: Option<NaiveDateTime>,
    pub locked_by: Option<String>,
    pub unique_key: Option<String>,
    /// JSON the job reports while it runs.
    pub progress: Option<String>,
    pub last_error: Option<String>,
    pub cancel_requested: bool,
    pub created_at: NaiveDateTime,
    pub attempted_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
}

/// A job to enqueue: `NewJob::new(kind, args)` plus what differs from the defaults.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub queue: String,
    pub args: Value,
    pub owner_id: Option<String>,
    pub priority: i32,
    /// `None`: now.
    pub run_at: Option<NaiveDateTime>,
    pub max_attempts: i32,
    /// At most one job of this kind with this key is active (available, scheduled, running, retryable).
    pub unique_key: Option<String>,
}

impl NewJob {
    pub fn new(kind: &str, args: Value) -> Self {
        NewJob {
            kind: kind.to_owned(),
            queue: "default".into(),
            args,
            owner_id: None,
            priority: 0,
            run_at: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            unique_key: None,
        }
    }
    pub fn queue(mut self, queue: &str) -> Self {
        self.queue = queue.to_owned();
        self
    }
    pub fn owner(mut self, owner_id: &str) -> Self {
        self.owner_id = Some(owner_id.to_owned());
        self
    }
    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }
    pub fn run_at(mut self, at: NaiveDateTime) -> Self {
        self.run_at = Some(at);
        self
    }
    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }
}

/// What an enqueue did.
#[derive(Debug, Clone)]
pub enum Enqueued {
    Inserted(Job),
    /// An active job of the same kind already holds the unique key: that one.
    Duplicate(Job),
}

impl Enqueued {
    pub fn job(&self) -> &Job {
        match self {
            Enqueued::Inserted(j) | Enqueued::Duplicate(j) => j,
        }
    }
    pub fn inserted(&self) -> bool {
        matches!(self, Enqueued::Inserted(_))
    }
}

/// What a heartbeat found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Still ours, extended; `cancel`: someone asked the job to stop.
    Held { cancel: bool },
    /// Another claim (or the rescuer) took the job: stop without writing anything.
    Lost,
}

/// Where a failed attempt sent the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failed {
    /// Will run again at `run_at`.
    Retry { run_at: NaiveDateTime },
    /// Out of attempts (or not worth retrying).
    Discarded,
    /// The token was stale: nothing written.
    Lost,
}

/// What the rescuer did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rescued {
    pub retryable: usize,
    pub discarded: usize,
    pub cancelled: usize,
}

/// Which jobs a listing shows.
#[derive(Debug, Default, Clone)]
pub struct JobFilter {
    pub owner_id: Option<String>,
    pub queue: Option<String>,
    pub states: Vec<String>,
    pub kind: Option<String>,
    pub limit: i64,
    /// Jobs to skip (paging).
    pub offset: i64,
}

/// The jobs a filter selects, as a boxed query (for the listing and its count).
fn filtered<'a>(f: &JobFilter) -> jobs::BoxedQuery<'a, <DbConn as diesel::Connection>::Backend> {
    let mut q = jobs::table.into_boxed();
    if let Some(o) = &f.owner_id {
        q = q.filter(jobs::owner_id.eq(o.clone()));
    }
    if let Some(queue) = &f.queue {
        q = q.filter(jobs::queue.eq(queue.clone()));
    }
    if let Some(kind) = &f.kind {
        q = q.filter(jobs::kind.eq(kind.clone()));
    }
    if !f.states.is_empty() {
        q = q.filter(jobs::state.eq_any(f.states.clone()));
    }
    q
}

/// Runs `$body` with `$c` bound to the backend's own connection (for statements whose SQL differs).
macro_rules! per_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            DbConn::Sqlite($c) => $body,
            DbConn::Postgresql($c) => $body,
        }
    };
}

/// In-process wake-ups: an enqueue tells this process's workers (SQLite has no LISTEN/NOTIFY; on PostgreSQL it
/// saves the round trip through the server). Sent before the caller's commit: a worker that wakes early finds
/// nothing, or on SQLite waits for the writer's lock and then sees the job.
fn wake_sender() -> &'static tokio::sync::broadcast::Sender<String> {
    static WAKE: OnceLock<tokio::sync::broadcast::Sender<String>> = OnceLock::new();
    WAKE.get_or_init(|| tokio::sync::broadcast::channel(1024).0)
}

/// Wake-ups of this process: the queue of every job enqueued here.
pub fn wakeups() -> tokio::sync::broadcast::Receiver<String> {
    wake_sender().subscribe()
}

/// Wakes this process's workers of `queue`.
pub fn wake(queue: &str) {
    let _ = wake_sender().send(queue.to_owned());
}

/// Wakes the workers of `queue`: this process's at once, and on PostgreSQL every process's (a NOTIFY, delivered
/// when the caller's transaction commits and dropped when it rolls back).
pub fn notify(conn: &mut DbConn, queue: &str) -> ApiResult<()> {
    if let DbConn::Postgresql(c) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(NOTIFY_CHANNEL)
            .bind::<Text, _>(queue)
            .execute(c)?;
    }
    wake(queue);
    Ok(())
}

/// Delay before attempt `attempt + 1` after attempt `attempt` failed: 15 s doubling per attempt, at most an hour,
/// with ±20 % jitter so jobs that failed together do not come back together.
pub fn backoff(attempt: i32) -> Duration {
    use rand::Rng;
    let base = 15.0 * 2f64.powi((attempt - 1).clamp(0, 20));
    let base = base.min(3600.0);
    let jitter = rand::thread_rng().gen_range(0.8..=1.2);
    Duration::from_secs_f64(base * jitter)
}

fn plus(at: NaiveDateTime, d: Duration) -> NaiveDateTime {
    at + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// A job's error as stored: the first 2,000 characters.
fn clip(error: &str) -> String {
    error.chars().take(2000).collect()
}

impl Job {
    pub fn args_json(&self) -> Value {
        serde_json::from_str(&self.args).unwrap_or(Value::Null)
    }

    pub fn progress_json(&self) -> Option<Value> {
        self.progress
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
    }
}

/// A job's row found by id.
type ById<'a> = diesel::dsl::Find<jobs::table, &'a str>;
/// ... still held with a token.
type Held<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<ById<'a>, diesel::dsl::Eq<jobs::token, i64>>,
    diesel::dsl::Eq<jobs::state, &'static str>,
>;

/// The row of a job still held with `token`.
fn held(id: &str, token: i64) -> Held<'_> {
    jobs::table
        .find(id)
        .filter(jobs::token.eq(token))
        .filter(jobs::state.eq(RUNNING))
}

impl Job {
    /// Enqueues a job on `conn`: call it inside the transaction of the write that causes the job, and the two
    /// commit together or not at all. With a unique key already held by an active job of the kind, nothing is
    /// inserted and that job is answered.
    pub fn enqueue(conn: &mut DbConn, new: &NewJob, now: NaiveDateTime) -> ApiResult<Enqueued> {
        let run_at = new.run_at.unwrap_or(now);
        let state = if run_at > now { SCHEDULED } else { AVAILABLE };
        let args = new.args.to_string();
        for _ in 0..3 {
            let id = crate::new_seq_id();
            let values = (
                jobs::id.eq(&id),
                jobs::kind.eq(&new.kind),
                jobs::queue.eq(&new.queue),
                jobs::args.eq(&args),
                jobs::owner_id.eq(new.owner_id.as_deref()),
                jobs::priority.eq(new.priority),
                jobs::state.eq(state),
                jobs::run_at.eq(run_at),
                jobs::max_attempts.eq(new.max_attempts.max(1)),
                jobs::unique_key.eq(new.unique_key.as_deref()),
                jobs::created_at.eq(now),
            );
            let inserted = per_backend!(conn, c => diesel::insert_into(jobs::table)
                .values(values)
                .on_conflict_do_nothing()
                .execute(c)?);
            if inserted == 1 {
                notify(conn, &new.queue)?;
                tracing::debug!(job = %id, kind = %new.kind, queue = %new.queue, state, "job enqueued");
                return Ok(Enqueued::Inserted(Job::get(conn, &id)?));
            }
            let existing = jobs::table
                .filter(jobs::kind.eq(&new.kind))
                .filter(jobs::unique_key.eq(new.unique_key.as_deref().unwrap_or_default()))
                .filter(jobs::state.eq_any(ACTIVE))
                .select(Job::as_select())
                .first(conn)
                .optional()?;
            // None: the holder finished in between; try again.
            if let Some(job) = existing {
                return Ok(Enqueued::Duplicate(job));
            }
        }
        Err(ApiError::msg(
            ErrorCode::Conflict,
            "The job's unique key keeps changing hands; try again.",
        ))
    }

    pub fn get(conn: &mut DbConn, id: &str) -> ApiResult<Job> {
        Ok(jobs::table.find(id).select(Job::as_select()).first(conn)?)
    }

    pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Option<Job>> {
        Ok(jobs::table
            .find(id)
            .select(Job::as_select())
            .first(conn)
            .optional()?)
    }

    /// The job if `owner_id` owns it.
    pub fn find_owned(conn: &mut DbConn, owner_id: &str, id: &str) -> ApiResult<Option<Job>> {
        Ok(jobs::table
            .find(id)
            .filter(jobs::owner_id.eq(owner_id))
            .select(Job::as_select())
            .first(conn)
            .optional()?)
    }

    /// The newest active or finished job of `kind` with `unique_key`.
    pub fn find_by_key(conn: &mut DbConn, kind: &str, unique_key: &str) -> ApiResult<Option<Job>> {
        Ok(jobs::table
            .filter(jobs::kind.eq(kind))
            .filter(jobs::unique_key.eq(unique_key))
            .order((jobs::created_at.desc(), jobs::id.desc()))
            .select(Job::as_select())
            .first(conn)
            .optional()?)
    }

    /// Jobs by the filter: running ones first, then newest first.
    pub fn list(conn: &mut DbConn, f: &JobFilter) -> ApiResult<Vec<Job>> {
        let limit = if f.limit > 0 { f.limit.min(500) } else { 100 };
        let offset = f.offset.max(0);
        Ok(filtered(f)
            .select(Job::as_select())
            .order((
                jobs::state.eq(RUNNING).desc(),
                jobs::created_at.desc(),
                jobs::id.desc(),
            ))
            .limit(limit)
            .offset(offset)
            .load(conn)?)
    }

    /// How many jobs the filter selects (its limit and offset aside).
    pub fn count(conn: &mut DbConn, f: &JobFilter) -> ApiResult<i64> {
        Ok(filtered(f).count().get_result(conn)?)
    }

    /// Jobs per queue and state: `(queue, state, count)`.
    pub fn counts(conn: &mut DbConn) -> ApiResult<Vec<(String, String, i64)>> {
        Ok(jobs::table
            .group_by((jobs::queue, jobs::state))
            .select((jobs::queue, jobs::state, diesel::dsl::count_star()))
            .order((jobs::queue, jobs::state))
            .load(conn)?)
    }

    /// Claims up to `limit` due jobs of `queue` for worker `worker`, leased until `lease_until`; each claim bumps
    /// the job's token and attempt. With `per_owner`, an owner never has more than that many running jobs in
    /// the queue (jobs without an owner are not limited).
    pub fn claim(
        conn: &mut DbConn,
        queue: &str,
        worker: &str,
        limit: i64,
        per_owner: Option<i64>,
        lease_until: NaiveDateTime,
        now: NaiveDateTime,
    ) -> ApiResult<Vec<Job>> {
        if limit <= 0 {
            return Ok(vec![]);
        }
        write_tx(conn, |c| {
            Job::claim_in_tx(c, queue, worker, limit, per_owner, lease_until, now)
        })
    }

    /// [`Job::claim`] inside the caller's write transaction (a worker ends its job and claims the next one in
    /// one transaction).
    pub fn claim_in_tx(
        c: &mut DbConn,
        queue: &str,
        worker: &str,
        limit: i64,
        per_owner: Option<i64>,
        lease_until: NaiveDateTime,
        now: NaiveDateTime,
    ) -> ApiResult<Vec<Job>> {
        if limit <= 0 {
            return Ok(vec![]);
        }
        let Some(n) = per_owner else {
            return claim_some(c, queue, worker, limit, "", lease_until, now);
        };
        if let DbConn::Postgresql(pg) = c {
            // Claims of an owner-limited queue take turns, so two processes cannot both see an owner below the
            // limit.
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind::<Text, _>(format!("leadgen_jobs:{queue}"))
                .execute(pg)?;
        }
        // One at a time, so the count sees the jobs claimed just before.
        let rule = format!(
            " AND (j.owner_id IS NULL OR (SELECT count(*) FROM jobs r WHERE r.queue = j.queue \
             AND r.owner_id = j.owner_id AND r.state = 'running') < {n})"
        );
        let mut claimed = vec![];
        while (claimed.len() as i64) < limit {
            let one = claim_some(c, queue, worker, 1, &rule, lease_until, now)?;
            if one.is_empty() {
                break;
            }
            claimed.extend(one);
        }
        Ok(claimed)
    }

    /// Extends the lease of a job still held with `token`, and tells whether it was asked to stop.
    pub fn heartbeat(
        conn: &mut DbConn,
        id: &str,
        token: i64,
        lease_until: NaiveDateTime,
    ) -> ApiResult<Lease> {
        let cancel: Option<bool> = per_backend!(conn, c => diesel::update(held(id, token))
            .set(jobs::locked_until.eq(lease_until))
            .returning(jobs::cancel_requested)
            .get_result(c)
            .optional()?);
        Ok(match cancel {
            Some(cancel) => Lease::Held { cancel },
            None => Lease::Lost,
        })
    }

    /// Inside a transaction: true when the job is still held with `token` (on PostgreSQL the row stays locked
    /// until the transaction ends, so no claim or rescue can take it meanwhile).
    pub fn hold(conn: &mut DbConn, id: &str, token: i64) -> ApiResult<bool> {
        let n = diesel::update(held(id, token))
            .set(jobs::token.eq(token))
            .execute(conn)?;
        Ok(n == 1)
    }

    /// Records progress (JSON) of a job still held with `token`.
    pub fn progress(conn: &mut DbConn, id: &str, token: i64, progress: &Value) -> ApiResult<bool> {
        let n = diesel::update(held(id, token))
            .set(jobs::progress.eq(progress.to_string()))
            .execute(conn)?;
        Ok(n == 1)
    }

    /// The run held with `token` succeeded.
    pub fn complete(
        conn: &mut DbConn,
        id: &str,
        token: i64,
        now: NaiveDateTime,
    ) -> ApiResult<bool> {
        let n = diesel::update(held(id, token))
            .set((
                jobs::state.eq(COMPLETED),
                jobs::finished_at.eq(now),
                jobs::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        trace_change(id, COMPLETED, n);
        Ok(n == 1)
    }

    /// The run failed: the job is retried after a backoff, or discarded when it is out of attempts (or `retry`
    /// is false).
    pub fn fail(
        conn: &mut DbConn,
        job: &Job,
        error: &str,
        retry: bool,
        now: NaiveDateTime,
    ) -> ApiResult<Failed> {
        let error = clip(error);
        if !retry || job.attempt >= job.max_attempts {
            let n = diesel::update(held(&job.id, job.token))
                .set((
                    jobs::state.eq(DISCARDED),
                    jobs::last_error.eq(&error),
                    jobs::finished_at.eq(now),
                    jobs::locked_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
            trace_change(&job.id, DISCARDED, n);
            return Ok(if n == 1 {
                Failed::Discarded
            } else {
                Failed::Lost
            });
        }
        let run_at = plus(now, backoff(job.attempt));
        let n = diesel::update(held(&job.id, job.token))
            .set((
                jobs::state.eq(RETRYABLE),
                jobs::last_error.eq(&error),
                jobs::run_at.eq(run_at),
                jobs::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        trace_change(&job.id, RETRYABLE, n);
        Ok(if n == 1 {
            Failed::Retry { run_at }
        } else {
            Failed::Lost
        })
    }

    /// The job asks to run again at `run_at` without using an attempt.
    pub fn snooze(
        conn: &mut DbConn,
        id: &str,
        token: i64,
        run_at: NaiveDateTime,
    ) -> ApiResult<bool> {
        let n = diesel::update(held(id, token))
            .set((
                jobs::state.eq(SCHEDULED),
                jobs::run_at.eq(run_at),
                jobs::attempt.eq(jobs::attempt - 1),
                jobs::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        trace_change(id, SCHEDULED, n);
        Ok(n == 1)
    }

    /// Gives a running job back (a worker shutting down): available at once, the attempt not counted.
    pub fn release(conn: &mut DbConn, id: &str, token: i64, now: NaiveDateTime) -> ApiResult<bool> {
        let n = diesel::update(held(id, token))
            .set((
                jobs::state.eq(AVAILABLE),
                jobs::run_at.eq(now),
                jobs::attempt.eq(jobs::attempt - 1),
                jobs::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        trace_change(id, AVAILABLE, n);
        Ok(n == 1)
    }

    /// A running job that was asked to stop has stopped.
    pub fn cancelled(
        conn: &mut DbConn,
        id: &str,
        token: i64,
        now: NaiveDateTime,
    ) -> ApiResult<bool> {
        let n = diesel::update(held(id, token))
            .set((
                jobs::state.eq(CANCELLED),
                jobs::finished_at.eq(now),
                jobs::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        trace_change(id, CANCELLED, n);
        Ok(n == 1)
    }

    /// Cancels a job: one waiting to run is cancelled at once; a running one is asked to stop and stops at its
    /// next checkpoint. The job as it is afterwards; `None` when it does not exist.
    pub fn cancel(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> ApiResult<Option<Job>> {
        let n = diesel::update(jobs::table.find(id).filter(jobs::state.eq_any(DUE)))
            .set((jobs::state.eq(CANCELLED), jobs::finished_at.eq(now)))
            .execute(conn)?;
        trace_change(id, CANCELLED, n);
        if n == 0 {
            diesel::update(jobs::table.find(id).filter(jobs::state.eq(RUNNING)))
                .set(jobs::cancel_requested.eq(true))
                .execute(conn)?;
        }
        Job::find(conn, id)
    }

    /// Runs a finished (or waiting) job again now, with one more attempt if it had used them all. A running job
    /// is left alone (`Conflict`); another active job holding its unique key answers `Conflict` too.
    pub fn retry(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> ApiResult<Option<Job>> {
        let Some(job) = Job::find(conn, id)? else {
            return Ok(None);
        };
        if job.state == RUNNING {
            return Err(ApiError::msg(
                ErrorCode::Conflict,
                "The job is running; cancel it first.",
            ));
        }
        let n = diesel::update(
            jobs::table
                .find(id)
                .filter(jobs::token.eq(job.token))
                .filter(jobs::state.eq(&job.state)),
        )
        .set((
            jobs::state.eq(AVAILABLE),
            jobs::run_at.eq(now),
            jobs::max_attempts.eq(job.max_attempts.max(job.attempt + 1)),
            jobs::cancel_requested.eq(false),
            jobs::finished_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
        trace_change(id, AVAILABLE, n);
        if n == 1 {
            wake(&job.queue);
        }
        Job::find(conn, id)
    }

    /// Takes back running jobs whose lease ran out before `now` (their worker died or hangs): retryable at once,
    /// discarded when out of attempts, cancelled when asked to stop.
    pub fn rescue(conn: &mut DbConn, now: NaiveDateTime) -> ApiResult<Rescued> {
        Job::rescue_expired_before(conn, now, now)
    }

    /// [`Job::rescue`] of the leases that end before `before` (at start on SQLite, every running job's: the
    /// only process that could run them is gone).
    pub fn rescue_expired_before(
        conn: &mut DbConn,
        before: NaiveDateTime,
        now: NaiveDateTime,
    ) -> ApiResult<Rescued> {
        let expired = || {
            jobs::table
                .filter(jobs::state.eq(RUNNING))
                .filter(jobs::locked_until.lt(before))
        };
        let lost = "The worker running this job stopped answering (its lease expired).";
        let rescued = write_tx(conn, |c| {
            let cancelled = diesel::update(expired().filter(jobs::cancel_requested.eq(true)))
                .set((
                    jobs::state.eq(CANCELLED),
                    jobs::finished_at.eq(now),
                    jobs::locked_until.eq(None::<NaiveDateTime>),
                ))
                .execute(c)?;
            let discarded = diesel::update(expired().filter(jobs::attempt.ge(jobs::max_attempts)))
                .set((
                    jobs::state.eq(DISCARDED),
                    jobs::last_error.eq(lost),
                    jobs::finished_at.eq(now),
                    jobs::locked_until.eq(None::<NaiveDateTime>),
                ))
                .execute(c)?;
            let retryable = diesel::update(expired())
                .set((
                    jobs::state.eq(RETRYABLE),
                    jobs::last_error.eq(lost),
                    jobs::run_at.eq(now),
                    jobs::locked_until.eq(None::<NaiveDateTime>),
                ))
                .execute(c)?;
            Ok(Rescued {
                retryable,
                discarded,
                cancelled,
            })
        })?;
        if rescued != Rescued::default() {
            tracing::warn!(
                retryable = rescued.retryable,
                discarded = rescued.discarded,
                cancelled = rescued.cancelled,
                "jobs whose lease expired were taken back"
            );
        }
        Ok(rescued)
    }

    /// Deletes finished jobs that finished before `before`; how many.
    pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> ApiResult<usize> {
        let n = diesel::delete(
            jobs::table
                .filter(jobs::state.eq_any(FINISHED))
                .filter(jobs::finished_at.lt(before)),
        )
        .execute(conn)?;
        if n > 0 {
            tracing::info!(pruned = n, "finished jobs pruned");
        }
        Ok(n)
    }
}

fn trace_change(id: &str, state: &str, rows: usize) {
    if rows == 1 {
        tracing::debug!(job = %id, state, "job state changed");
    }
}

/// One claim statement: up to `limit` due jobs of the queue (with an extra SQL rule on candidates `j`).
fn claim_some(
    conn: &mut DbConn,
    queue: &str,
    worker: &str,
    limit: i64,
    rule: &str,
    lease_until: NaiveDateTime,
    now: NaiveDateTime,
) -> ApiResult<Vec<Job>> {
    let due = "j.state IN ('available', 'scheduled', 'retryable')";
    let jobs: Vec<Job> = match conn {
        DbConn::Postgresql(c) => diesel::sql_query(format!(
            "WITH picked AS (SELECT j.id FROM jobs j WHERE j.queue = $1 AND {due} AND j.run_at <= $2{rule} \
             ORDER BY j.priority, j.run_at, j.id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE jobs SET state = 'running', attempt = jobs.attempt + 1, token = jobs.token + 1, \
             locked_until = $4, locked_by = $5, attempted_at = $2 \
             FROM picked WHERE jobs.id = picked.id RETURNING jobs.*"
        ))
        .bind::<Text, _>(queue)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .bind::<Timestamp, _>(lease_until)
        .bind::<Text, _>(worker)
        .load(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(format!(
            "UPDATE jobs SET state = 'running', attempt = attempt + 1, token = token + 1, \
             locked_until = ?, locked_by = ?, attempted_at = ? \
             WHERE id IN (SELECT j.id FROM jobs j WHERE j.queue = ? AND {due} AND j.run_at <= ?{rule} \
             ORDER BY j.priority, j.run_at, j.id LIMIT ?) RETURNING *"
        ))
        .bind::<Timestamp, _>(lease_until)
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(queue)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(c)?,
    };
    for j in &jobs {
        tracing::debug!(job = %j.id, kind = %j.kind, attempt = j.attempt, token = j.token, worker, "job claimed");
    }
    Ok(jobs)
}
