//! What a job's code sees: its row, its arguments, the database, and the checkpoint that tells it to stop
//! (cancelled, the process shutting down, or its lease lost); progress and the effects ledger, both accepted
//! only while the job still holds its lease.

use chrono::NaiveDateTime;
use leadgen_core::clock::Clock;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::conn::PooledConn;
use leadgen_db::models::effect::Effect;
use leadgen_db::models::job::{Job, Lease};
use leadgen_db::{write_tx, Db, DbConn};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What a job's run ended with (an `Err` fails the attempt: retried with backoff, or discarded when out of
/// attempts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Run again after this long, without using an attempt.
    Snooze(Duration),
    /// Give up for good (not worth retrying): the job is discarded with this error.
    Discard(String),
}

/// Why a checkpoint told the job to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Someone cancelled the job: it ends `cancelled`.
    Cancelled,
    /// The process is shutting down: the job goes back to the queue without using an attempt.
    ShuttingDown,
    /// Another worker holds the job now (this one's lease ran out): nothing more may be written.
    LeaseLost,
}

/// A job's code: registered per kind. Runs on a blocking thread; long runs call `ctx.checkpoint()?` between
/// steps and make each step idempotent (re-read state, record side effects with `ctx.effect`).
pub trait JobHandler: Send + Sync + 'static {
    fn run(&self, ctx: &JobContext) -> ApiResult<Outcome>;
}

impl<F> JobHandler for F
where
    F: Fn(&JobContext) -> ApiResult<Outcome> + Send + Sync + 'static,
{
    fn run(&self, ctx: &JobContext) -> ApiResult<Outcome> {
        self(ctx)
    }
}

/// A running job's flags, shared between its thread and the engine (heartbeats, cancel, shutdown).
#[derive(Debug, Default)]
pub struct RunFlags {
    pub cancel: AtomicBool,
    pub shutting_down: AtomicBool,
    pub lost: AtomicBool,
    /// The stop a checkpoint reported (0: none; 1 + `Stop` as u8).
    stopped: AtomicU8,
}

impl RunFlags {
    pub fn stop(&self) -> Option<Stop> {
        if self.lost.load(Ordering::SeqCst) {
            Some(Stop::LeaseLost)
        } else if self.cancel.load(Ordering::SeqCst) {
            Some(Stop::Cancelled)
        } else if self.shutting_down.load(Ordering::SeqCst) {
            Some(Stop::ShuttingDown)
        } else {
            None
        }
    }

    pub fn reported(&self) -> Option<Stop> {
        match self.stopped.load(Ordering::SeqCst) {
            1 => Some(Stop::Cancelled),
            2 => Some(Stop::ShuttingDown),
            3 => Some(Stop::LeaseLost),
            _ => None,
        }
    }

    fn report(&self, stop: Stop) {
        let v = match stop {
            Stop::Cancelled => 1,
            Stop::ShuttingDown => 2,
            Stop::LeaseLost => 3,
        };
        self.stopped.store(v, Ordering::SeqCst);
    }
}

/// What an effect recorded through [`JobContext::effect`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum EffectRun {
    /// Done now; its result.
    Done(Value),
    /// Done before (an earlier attempt); the result recorded then.
    AlreadyDone(Option<Value>),
}

pub struct JobContext {
    pub job: Job,
    db: Db,
    clock: Clock,
    lease: Duration,
    flags: Arc<RunFlags>,
}

impl JobContext {
    pub fn new(job: Job, db: Db, clock: Clock, lease: Duration, flags: Arc<RunFlags>) -> Self {
        JobContext {
            job,
            db,
            clock,
            lease,
            flags,
        }
    }

    /// The job's arguments as `T`; arguments that do not fit are not worth retrying (the error says so).
    pub fn args<T: DeserializeOwned>(&self) -> ApiResult<T> {
        serde_json::from_str(&self.job.args).map_err(|e| {
            ApiError::msg(
                ErrorCode::BadRequest,
                format!("the job's arguments do not fit its kind: {e}"),
            )
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn conn(&self) -> ApiResult<PooledConn> {
        self.db.get()
    }

    pub fn now(&self) -> NaiveDateTime {
        self.clock.now()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Cheap (no database round trip; the engine's heartbeats keep the flags current): `Err` when the job must
    /// stop — cancelled, shutting down, or lease lost. Return the error (`?`); the engine ends the job as
    /// the stop asks.
    pub fn checkpoint(&self) -> ApiResult<()> {
        match self.flags.stop() {
            None => Ok(()),
            Some(stop) => {
                self.flags.report(stop);
                Err(
                    ApiError::msg(ErrorCode::Conflict, format!("job stopped: {stop:?}"))
                        .with_details(serde_json::json!({ "job_stop": format!("{stop:?}") })),
                )
            }
        }
    }

    /// Runs a future (a provider client's call) to its end on this blocking thread, on the engine's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        tokio::runtime::Handle::current().block_on(f)
    }

    /// True once someone asked the job to stop (without ending it: use `checkpoint` for that).
    pub fn is_cancelled(&self) -> bool {
        self.flags.cancel.load(Ordering::SeqCst)
    }

    /// Extends the lease now (long steps between checkpoints; the engine also does it every third of a lease).
    pub fn heartbeat(&self) -> ApiResult<()> {
        let until = self.clock.now() + chrono::Duration::from_std(self.lease).unwrap_or_default();
        let mut c = self.conn()?;
        match Job::heartbeat(&mut c, &self.job.id, self.job.token, until)? {
            Lease::Held { cancel } => {
                if cancel {
                    self.flags.cancel.store(true, Ordering::SeqCst);
                }
            }
            Lease::Lost => self.flags.lost.store(true, Ordering::SeqCst),
        }
        self.checkpoint()
    }

    /// Records progress (any JSON) for the job's viewers; refused (`Err`, stop) once the lease is lost.
    pub fn progress(&self, conn: &mut DbConn, progress: &Value) -> ApiResult<()> {
        if !Job::progress(conn, &self.job.id, self.job.token, progress)? {
            self.flags.lost.store(true, Ordering::SeqCst);
        }
        self.checkpoint()
    }

    /// In one transaction: checks the job still holds its lease, and unless `key` is in the effects ledger,
    /// runs `f` (the effect's state change) and records `key` with its result. A retried job thus never
    /// repeats what an earlier attempt committed.
    pub fn effect<F>(&self, conn: &mut DbConn, key: &str, kind: &str, f: F) -> ApiResult<EffectRun>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<Value>,
    {
        write_tx(conn, |c| self.effect_in(c, key, kind, f))
    }

    /// [`JobContext::effect`] inside the caller's write transaction, so that several effects commit together
    /// (one commit for a group of results): they are all recorded, or none is.
    pub fn effect_in<F>(&self, c: &mut DbConn, key: &str, kind: &str, f: F) -> ApiResult<EffectRun>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<Value>,
    {
        if !Job::hold(c, &self.job.id, self.job.token)? {
            self.flags.lost.store(true, Ordering::SeqCst);
            self.flags.report(Stop::LeaseLost);
            return Err(ApiError::msg(ErrorCode::Conflict, "job stopped: LeaseLost"));
        }
        if let Some(done) = Effect::find(c, key)? {
            return Ok(EffectRun::AlreadyDone(done.result_json()));
        }
        let result = f(c)?;
        Effect::record(
            c,
            key,
            Some(&self.job.id),
            kind,
            Some(&result),
            self.clock.now(),
        )?;
        Ok(EffectRun::Done(result))
    }
}
