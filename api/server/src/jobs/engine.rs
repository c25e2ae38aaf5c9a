//! The worker side of the job engine: per queue a loop that claims due jobs up to the queue's concurrency (and
//! per-owner limit) and runs each on a blocking thread; wake-ups from this process's enqueues and, on PostgreSQL,
//! LISTEN/NOTIFY on a dedicated connection, with polling as the fallback; a maintenance loop that heartbeats the
//! running jobs, rescues expired leases, enqueues periodic ticks and prunes finished jobs; graceful shutdown.

use crate::jobs::context::{JobContext, JobHandler, Outcome, RunFlags, Stop};
use crate::jobs::metrics::JobMetrics;
use chrono::NaiveDateTime;
use leadgen_core::clock::Clock;
use leadgen_core::config::{Backend, Settings};
use leadgen_core::{ApiError, ApiResult};
use leadgen_db::models::effect::Effect;
use leadgen_db::models::job::{self, Enqueued, Failed, Job, Lease, NewJob};
use leadgen_db::{write_tx, Db, DbConn};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// A queue this process works: at most `concurrency` of its jobs at once, and with `per_owner` at most that
/// many running jobs per owner across every process.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    pub name: String,
    pub concurrency: usize,
    pub per_owner: Option<i64>,
}

/// A job enqueued every `every` (ticks aligned to the epoch, so every process agrees on them). Each tick is
/// recorded in the effects ledger with the job, so however many processes run the scheduler, it runs once.
#[derive(Clone)]
pub struct Periodic {
    pub name: String,
    pub every: Duration,
    pub make: Arc<dyn Fn(NaiveDateTime) -> NewJob + Send + Sync>,
}

/// Engine options (from the settings).
#[derive(Debug, Clone)]
pub struct Options {
    pub lease: Duration,
    pub poll: Duration,
    pub prune_after: Duration,
    /// For LISTEN on PostgreSQL.
    pub database_url: String,
}

impl Options {
    pub fn from_settings(s: &Settings) -> Self {
        Options {
            lease: Duration::from_secs(u64::from(s.jobs_lease_secs)),
            poll: Duration::from_millis(u64::from(s.jobs_poll_ms)),
            prune_after: Duration::from_secs(u64::from(s.jobs_prune_after_hours) * 3600),
            database_url: s.database_url.clone(),
        }
    }
}

/// What a job of this process is, for heartbeats and shutdown.
struct Running {
    token: i64,
    queue: String,
    flags: Arc<RunFlags>,
}

struct Inner {
    db: Db,
    clock: Clock,
    worker_id: String,
    opts: Options,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    queues: Vec<QueueConfig>,
    periodic: Vec<Periodic>,
    running: Mutex<HashMap<String, Running>>,
    /// Told whenever a job of this process ends (shutdown waits on it).
    idle: Notify,
    stopping: watch::Sender<bool>,
    started: AtomicBool,
    metrics: JobMetrics,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// The job engine of one process. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

pub struct EngineBuilder {
    db: Db,
    clock: Clock,
    opts: Options,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    queues: Vec<QueueConfig>,
    periodic: Vec<Periodic>,
    metrics: JobMetrics,
}

impl EngineBuilder {
    pub fn handler(mut self, kind: &str, handler: impl JobHandler) -> Self {
        self.handlers.insert(kind.to_owned(), Arc::new(handler));
        self
    }

    pub fn queue(mut self, name: &str, concurrency: usize, per_owner: Option<i64>) -> Self {
        self.queues.retain(|q| q.name != name);
        self.queues.push(QueueConfig {
            name: name.to_owned(),
            concurrency: concurrency.max(1),
            per_owner,
        });
        self
    }

    pub fn periodic(
        mut self,
        name: &str,
        every: Duration,
        make: impl Fn(NaiveDateTime) -> NewJob + Send + Sync + 'static,
    ) -> Self {
        self.periodic.push(Periodic {
            name: name.to_owned(),
            every,
            make: Arc::new(make),
        });
        self
    }

    /// Keeps only the named queues (`leadgen worker --queues`).
    pub fn only_queues(mut self, names: &[String]) -> Self {
        if !names.is_empty() {
            self.queues.retain(|q| names.contains(&q.name));
        }
        self
    }

    pub fn build(self) -> Engine {
        let worker_id = format!("{}:{}", std::process::id(), &leadgen_db::new_id()[..8]);
        Engine {
            inner: Arc::new(Inner {
                db: self.db,
                clock: self.clock,
                worker_id,
                opts: self.opts,
                handlers: self.handlers,
                queues: self.queues,
                periodic: self.periodic,
                running: Mutex::default(),
                idle: Notify::new(),
                stopping: watch::channel(false).0,
                started: AtomicBool::new(false),
                metrics: self.metrics,
                tasks: Mutex::default(),
            }),
        }
    }
}

impl Engine {
    pub fn builder(db: Db, clock: Clock, opts: Options, metrics: JobMetrics) -> EngineBuilder {
        EngineBuilder {
            db,
            clock,
            opts,
            handlers: HashMap::new(),
            queues: vec![],
            periodic: vec![],
            metrics,
        }
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn metrics(&self) -> &JobMetrics {
        &self.inner.metrics
    }

    pub fn queues(&self) -> &[QueueConfig] {
        &self.inner.queues
    }

    pub fn worker_id(&self) -> &str {
        &self.inner.worker_id
    }

    /// Enqueues a job inside the caller's transaction (see [`Job::enqueue`]), at the engine's time.
    pub fn enqueue(&self, conn: &mut DbConn, new: &NewJob) -> ApiResult<Enqueued> {
        Job::enqueue(conn, new, self.inner.clock.now())
    }

    /// Asks a job running in this process to stop at its next checkpoint, without a database write: on SQLite
    /// a long writer (an import) can hold the write lock longer than a request waits for it, and stops only
    /// once told. The caller cancels the job in the database too (other processes learn of it by heartbeat).
    /// True when the job runs here.
    pub fn stop_running(&self, id: &str) -> bool {
        match self.inner.running().get(id) {
            Some(r) => {
                r.flags.cancel.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// Starts the workers, the maintenance loop and (PostgreSQL) the listener. Call once, inside a tokio
    /// runtime.
    pub fn start(&self) {
        if self.inner.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut tasks = vec![];
        for q in self.inner.queues.clone() {
            let inner = self.inner.clone();
            tasks.push(tokio::spawn(queue_loop(inner, q)));
        }
        let inner = self.inner.clone();
        tasks.push(tokio::spawn(maintenance_loop(inner)));
        if self.inner.db.backend() == Backend::Postgres {
            let inner = self.inner.clone();
            tasks.push(tokio::spawn(listen(inner)));
        }
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(tasks);
        tracing::info!(worker = %self.inner.worker_id, queues = ?self.inner.queues.iter().map(|q| &q.name).collect::<Vec<_>>(), "job workers started");
    }

    /// Graceful shutdown: stop claiming; running jobs see `ShuttingDown` at their next checkpoint and go back
    /// to the queue (the attempt not counted); `grace` later on the engine's clock, the jobs still running are
    /// given back the same way (their late writes are refused by their token). Heartbeats go on meanwhile, and
    /// on PostgreSQL the queues of the given-back jobs are notified so another process picks them up at once.
    pub async fn shutdown(&self, grace: Duration) {
        let _ = self.inner.stopping.send(true);
        let ids: Vec<String> = {
            let running = self.inner.running();
            for r in running.values() {
                r.flags.shutting_down.store(true, Ordering::SeqCst);
            }
            running.keys().cloned().collect()
        };
        let deadline =
            self.inner.clock.now() + chrono::Duration::from_std(grace).unwrap_or_default();
        while !self.inner.running().is_empty() && self.inner.clock.now() < deadline {
            tokio::select! {
                _ = self.inner.idle.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
        let left: Vec<(String, i64, String)> = self
            .inner
            .running()
            .iter()
            .map(|(id, r)| {
                r.flags.lost.store(true, Ordering::SeqCst);
                (id.clone(), r.token, r.queue.clone())
            })
            .collect();
        if !left.is_empty() {
            let (db, clock) = (self.inner.db.clone(), self.inner.clock.clone());
            let n = left.len();
            let released = db
                .run(move |c| {
                    let mut queues = vec![];
                    for (id, token, queue) in &left {
                        if Job::release(c, id, *token, clock.now())? && !queues.contains(queue) {
                            queues.push(queue.clone());
                        }
                    }
                    for queue in &queues {
                        job::notify(c, queue)?;
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = released {
                tracing::warn!(error = ?e, "could not give back running jobs; the rescuer will");
            }
            tracing::warn!(
                jobs = n,
                "jobs did not reach a checkpoint in time and were given back"
            );
        }
        let tasks: Vec<_> = self
            .inner
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for t in tasks {
            t.abort();
        }
        tracing::info!(worker = %self.inner.worker_id, running_at_start = ids.len(), "job workers stopped");
    }

    /// Enqueues the current tick of every periodic job not enqueued yet (by any process); how many.
    pub fn enqueue_ticks(&self, conn: &mut DbConn) -> ApiResult<usize> {
        enqueue_ticks(&self.inner, conn)
    }

    /// One round of maintenance: heartbeats, rescue, periodic ticks (tests call it after moving the clock).
    pub async fn maintain(&self, prune: bool) -> ApiResult<()> {
        maintain(&self.inner, prune).await
    }
}

impl Inner {
    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lease_until(&self) -> NaiveDateTime {
        self.clock.now() + chrono::Duration::from_std(self.opts.lease).unwrap_or_default()
    }

    fn stopping(&self) -> bool {
        *self.stopping.borrow()
    }
}

/// Claims and runs one queue's jobs until the engine stops.
async fn queue_loop(inner: Arc<Inner>, q: QueueConfig) {
    let slots = Arc::new(tokio::sync::Semaphore::new(q.concurrency));
    let freed = Arc::new(Notify::new());
    let mut wakeups = job::wakeups();
    let mut stop = inner.stopping.subscribe();
    loop {
        if inner.stopping() {
            return;
        }
        let free = slots.available_permits();
        let mut more = false;
        if free > 0 {
            let (qn, worker, lease_until, now) = (
                q.name.clone(),
                inner.worker_id.clone(),
                inner.lease_until(),
                inner.clock.now(),
            );
            let per_owner = q.per_owner;
            let claimed = inner
                .db
                .run(move |c| Job::claim(c, &qn, &worker, free as i64, per_owner, lease_until, now))
                .await;
            match claimed {
                Ok(jobs) => {
                    more = jobs.len() == free;
                    for j in jobs {
                        if inner.stopping() {
                            give_back(&inner, j).await;
                            continue;
                        }
                        let Ok(permit) = slots.clone().try_acquire_owned() else {
                            give_back(&inner, j).await;
                            continue;
                        };
                        spawn_run(inner.clone(), q.clone(), j, permit, freed.clone());
                    }
                }
                Err(e) => {
                    tracing::warn!(queue = %q.name, error = ?e, "could not claim jobs");
                    tokio::time::sleep(inner.opts.poll).await;
                }
            }
        }
        if more && slots.available_permits() > 0 {
            continue;
        }
        // Wait for a wake-up for this queue, a free slot (when full or there may be more), the poll, or stop.
        let full = slots.available_permits() == 0 || more;
        tokio::select! {
            _ = async {
                loop {
                    match wakeups.recv().await {
                        Ok(name) if name == q.name => return,
                        Ok(_) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                            std::future::pending::<()>().await
                        }
                    }
                }
            }, if !full => {}
            _ = freed.notified() => {}
            _ = tokio::time::sleep(inner.opts.poll) => {}
            _ = stop.changed() => {}
        }
    }
}

/// A job claimed while stopping goes straight back.
async fn give_back(inner: &Arc<Inner>, j: Job) {
    let clock = inner.clock.clone();
    let r = inner
        .db
        .run(move |c| {
            if Job::release(c, &j.id, j.token, clock.now())? {
                job::notify(c, &j.queue)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = r {
        tracing::warn!(error = ?e, "could not give a job back; the rescuer will");
    }
}

fn spawn_run(
    inner: Arc<Inner>,
    q: QueueConfig,
    j: Job,
    permit: tokio::sync::OwnedSemaphorePermit,
    freed: Arc<Notify>,
) {
    tokio::task::spawn_blocking(move || {
        // The slot's thread works jobs one after the other: the end of one and the claim of the next are one
        // transaction, until the queue has nothing due (or the engine stops).
        let mut next = Some(j);
        while let Some(j) = next.take() {
            let flags = Arc::new(RunFlags::default());
            if j.cancel_requested {
                flags.cancel.store(true, Ordering::SeqCst);
            }
            let (id, queue) = (j.id.clone(), j.queue.clone());
            inner.running().insert(
                id.clone(),
                Running {
                    token: j.token,
                    queue: queue.clone(),
                    flags: flags.clone(),
                },
            );
            inner.metrics.running.with_label_values(&[&queue]).inc();
            // Registered before this look, so a shutdown either sees the job or is seen here.
            if inner.stopping() {
                release_now(&inner, &j);
            } else {
                next = execute(&inner, &q, j, flags);
            }
            inner.running().remove(&id);
            inner.metrics.running.with_label_values(&[&queue]).dec();
            inner.idle.notify_waiters();
        }
        drop(permit);
        freed.notify_one();
        inner.idle.notify_waiters();
    });
}

/// A job claimed while stopping goes straight back (on the job's own thread).
fn release_now(inner: &Inner, j: &Job) {
    let r = inner.db.get().and_then(|mut c| {
        if Job::release(&mut c, &j.id, j.token, inner.clock.now())? {
            job::notify(&mut c, &j.queue)?;
        }
        Ok(())
    });
    if let Err(e) = r {
        tracing::warn!(error = ?e, "could not give a job back; the rescuer will");
    }
}

/// Runs one claimed job and records how it ended; with the end, claims the queue's next due job for this
/// thread (unless the engine is stopping).
fn execute(inner: &Inner, q: &QueueConfig, j: Job, flags: Arc<RunFlags>) -> Option<Job> {
    let m = &inner.metrics;
    m.event(&j.queue, "claimed");
    if let Some(at) = j.attempted_at {
        let delay = (at - j.run_at).num_microseconds().unwrap_or(0).max(0) as f64 / 1e6;
        m.latency.with_label_values(&[&j.queue]).observe(delay);
    }
    let span = tracing::info_span!("job", job = %j.id, kind = %j.kind, attempt = j.attempt);
    let _entered = span.enter();
    let result = match inner.handlers.get(&j.kind) {
        Some(h) => {
            let ctx = JobContext::new(
                j.clone(),
                inner.db.clone(),
                inner.clock.clone(),
                inner.opts.lease,
                flags.clone(),
            );
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.run(&ctx))).unwrap_or_else(
                |_| {
                    Err(ApiError::internal(anyhow::anyhow!(
                        "the job's code panicked"
                    )))
                },
            )
        }
        None => Err(ApiError::internal(anyhow::anyhow!(
            "no handler for job kind {:?} in this process",
            j.kind
        ))),
    };
    let claim_next = (!inner.stopping()).then_some(q);
    let (event, next) = match end_and_claim(inner, &j, &flags, result, claim_next) {
        Ok(done) => done,
        Err(e) => {
            tracing::error!(error = ?e, "could not record the job's end; the rescuer will take it back");
            ("unrecorded", None)
        }
    };
    m.event(&j.queue, event);
    next
}

fn describe(e: &ApiError) -> String {
    match e.cause() {
        Some(cause) => format!("{}: {} ({cause:#})", e.code, e.message),
        None => format!("{}: {}", e.code, e.message),
    }
}

/// Records the end of a run and, with `claim_next`, claims the queue's next due job, in one transaction. SQLite
/// answers "busy" to a writer that waited out the busy timeout: the end is tried again a few times before the
/// rescuer is left to take the job back.
fn end_and_claim(
    inner: &Inner,
    j: &Job,
    flags: &RunFlags,
    result: ApiResult<Outcome>,
    claim_next: Option<&QueueConfig>,
) -> ApiResult<(&'static str, Option<Job>)> {
    let mut c = inner.db.get()?;
    let mut tries = 0;
    loop {
        let r = write_tx(&mut c, |c| {
            let event = record_end(inner, c, j, flags, &result)?;
            let next = match claim_next {
                Some(q) => Job::claim_in_tx(
                    c,
                    &q.name,
                    &inner.worker_id,
                    1,
                    q.per_owner,
                    inner.lease_until(),
                    inner.clock.now(),
                )?
                .pop(),
                None => None,
            };
            Ok((event, next))
        });
        match r {
            Err(e) if tries < 3 && e.is_busy() => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20 * tries));
            }
            r => return r,
        }
    }
}

fn record_end(
    inner: &Inner,
    c: &mut DbConn,
    j: &Job,
    flags: &RunFlags,
    result: &ApiResult<Outcome>,
) -> ApiResult<&'static str> {
    let now = inner.clock.now();
    let lost = |ok: bool, event: &'static str| {
        if ok {
            tracing::debug!(state = event, "job run ended");
            event
        } else {
            tracing::warn!("job's lease was lost: its result is not recorded");
            "lost"
        }
    };
    if flags.lost.load(Ordering::SeqCst) {
        return Ok(lost(false, ""));
    }
    Ok(match result {
        Ok(Outcome::Done) => lost(Job::complete(c, &j.id, j.token, now)?, "completed"),
        Ok(Outcome::Snooze(d)) => {
            let at = now + chrono::Duration::from_std(*d).unwrap_or_default();
            lost(Job::snooze(c, &j.id, j.token, at)?, "snoozed")
        }
        Ok(Outcome::Discard(why)) => match Job::fail(c, j, why, false, now)? {
            Failed::Lost => lost(false, ""),
            _ => lost(true, "discarded"),
        },
        Err(e) => match flags.reported().or_else(|| flags.stop()) {
            Some(Stop::Cancelled) => lost(Job::cancelled(c, &j.id, j.token, now)?, "cancelled"),
            Some(Stop::ShuttingDown) => {
                let released = Job::release(c, &j.id, j.token, now)?;
                if released {
                    job::notify(c, &j.queue)?;
                }
                lost(released, "released")
            }
            Some(Stop::LeaseLost) => lost(false, ""),
            None => {
                let error = describe(e);
                tracing::warn!(error = %error, "job attempt failed");
                match Job::fail(c, j, &error, true, now)? {
                    Failed::Retry { .. } => lost(true, "retried"),
                    Failed::Discarded => lost(true, "discarded"),
                    Failed::Lost => lost(false, ""),
                }
            }
        },
    })
}

/// Every second: heartbeats (every third of a lease), rescue, periodic ticks; pruning every minute. While the
/// engine stops, only the heartbeats, for as long as jobs still run.
async fn maintenance_loop(inner: Arc<Inner>) {
    let period = Duration::from_millis(1000).min(inner.opts.lease / 3);
    let mut tick = tokio::time::interval(period.max(Duration::from_millis(50)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rounds: u64 = 0;
    loop {
        tick.tick().await;
        let stopping = inner.stopping();
        if stopping && inner.running().is_empty() {
            return;
        }
        let done = if stopping {
            heartbeat(&inner).await
        } else {
            maintain(&inner, rounds.is_multiple_of(60)).await
        };
        if let Err(e) = done {
            tracing::warn!(error = ?e, "job maintenance failed");
        }
        rounds += 1;
    }
}

/// Extends the leases of this process's running jobs, and tells them when they were cancelled or lost.
async fn heartbeat(inner: &Arc<Inner>) -> ApiResult<()> {
    let beats: Vec<(String, i64, Arc<RunFlags>)> = inner
        .running()
        .iter()
        .map(|(id, r)| (id.clone(), r.token, r.flags.clone()))
        .collect();
    let me = inner.clone();
    inner.db.run(move |c| beat(&me, c, beats)).await
}

fn beat(inner: &Inner, c: &mut DbConn, beats: Vec<(String, i64, Arc<RunFlags>)>) -> ApiResult<()> {
    let until = inner.lease_until();
    for (id, token, flags) in beats {
        match Job::heartbeat(c, &id, token, until)? {
            Lease::Held { cancel } => {
                if cancel {
                    flags.cancel.store(true, Ordering::SeqCst);
                }
            }
            Lease::Lost => flags.lost.store(true, Ordering::SeqCst),
        }
    }
    Ok(())
}

async fn maintain(inner: &Arc<Inner>, prune: bool) -> ApiResult<()> {
    let beats: Vec<(String, i64, Arc<RunFlags>)> = inner
        .running()
        .iter()
        .map(|(id, r)| (id.clone(), r.token, r.flags.clone()))
        .collect();
    let me = inner.clone();
    inner
        .db
        .run(move |c| {
            beat(&me, c, beats)?;
            Job::rescue(c, me.clock.now())?;
            crate::sessions::settle_orphans(c, me.clock.now())?;
            enqueue_ticks(&me, c)?;
            if prune {
                let before = me.clock.now()
                    - chrono::Duration::from_std(me.opts.prune_after).unwrap_or_default();
                Job::prune(c, before)?;
            }
            Ok(())
        })
        .await
}

fn enqueue_ticks(inner: &Inner, conn: &mut DbConn) -> ApiResult<usize> {
    let now = inner.clock.now();
    let mut enqueued = 0;
    for p in &inner.periodic {
        let every = p.every.as_secs().max(1) as i64;
        let secs = now.and_utc().timestamp();
        let tick = chrono::DateTime::from_timestamp(secs - secs.rem_euclid(every), 0)
            .map(|t| t.naive_utc())
            .unwrap_or(now);
        let key = format!("periodic:{}:{}", p.name, tick.format("%Y-%m-%dT%H:%M:%SZ"));
        let new =
            (p.make)(tick).unique_key(format!("{}@{}", p.name, tick.format("%Y-%m-%dT%H:%M:%SZ")));
        let fresh = write_tx(conn, |c| {
            if !Effect::record(c, &key, None, "periodic_tick", None, now)? {
                return Ok(false);
            }
            Job::enqueue(c, &new, now)?;
            Ok(true)
        })?;
        if fresh {
            tracing::debug!(periodic = %p.name, %tick, "periodic tick enqueued");
            enqueued += 1;
        }
    }
    Ok(enqueued)
}

/// PostgreSQL: LISTEN on a connection of its own and turn notifications into this process's wake-ups. The
/// notifications are read without a round trip (libpq's non-blocking `PQconsumeInput`) every 5 ms, in a task
/// the runtime can drop at any time.
async fn listen(inner: Arc<Inner>) {
    use diesel::{Connection, RunQueryDsl};
    let mut stop = inner.stopping.subscribe();
    while !inner.stopping() {
        let url = inner.opts.database_url.clone();
        let conn = tokio::task::spawn_blocking(move || {
            let mut conn = diesel::PgConnection::establish(&url).map_err(|e| e.to_string())?;
            diesel::sql_query(format!("LISTEN {}", job::NOTIFY_CHANNEL))
                .execute(&mut conn)
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(conn)
        })
        .await;
        let mut conn = match conn {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "job listener cannot LISTEN; polling meanwhile");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(_) => return,
        };
        'read: loop {
            for n in conn.notifications_iter() {
                match n {
                    Ok(n) => job::wake(&n.payload),
                    Err(e) => {
                        tracing::warn!(error = %e, "job listener lost its connection");
                        break 'read;
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
