//! Job kinds for tests, the crash script and the benchmark; registered only with `LEADGEN_JOBS_TEST_KINDS=true`
//! (off by default, so production processes never run them).

use crate::jobs::context::{EffectRun, JobContext, Outcome};
use crate::jobs::engine::EngineBuilder;
use leadgen_core::{ApiError, ApiResult};
use leadgen_db::models::audit::{AuditEntry, NewAudit};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

pub const NOOP: &str = "test.noop";
pub const LEDGER: &str = "test.ledger";
pub const FLAKY: &str = "test.flaky";
pub const SNOOZE: &str = "test.snooze";
pub const STEPS: &str = "test.steps";
pub const GATE: &str = "test.gate";

pub fn register(b: EngineBuilder) -> EngineBuilder {
    b.handler(NOOP, |_: &JobContext| Ok(Outcome::Done))
        .handler(LEDGER, ledger)
        .handler(FLAKY, flaky)
        .handler(SNOOZE, snooze)
        .handler(STEPS, steps)
        .handler(GATE, gated)
}

#[derive(Deserialize)]
struct LedgerArgs {
    n: i64,
    #[serde(default)]
    sleep_ms: u64,
}

/// Records effect `test.ledger:<n>` once: its state change is an audit row (a table without a unique key, so
/// an effect made twice would show as two rows).
fn ledger(ctx: &JobContext) -> ApiResult<Outcome> {
    let a: LedgerArgs = ctx.args()?;
    if a.sleep_ms > 0 {
        std::thread::sleep(Duration::from_millis(a.sleep_ms));
    }
    let mut c = ctx.conn()?;
    ctx.effect(&mut c, &format!("test.ledger:{}", a.n), LEDGER, |c| {
        AuditEntry::insert(
            c,
            &NewAudit::new("test.ledger").details(json!({ "n": a.n })),
        )?;
        Ok(json!({ "n": a.n }))
    })?;
    Ok(Outcome::Done)
}

#[derive(Deserialize)]
struct FlakyArgs {
    /// Attempts that fail before one succeeds.
    fail_times: i32,
}

fn flaky(ctx: &JobContext) -> ApiResult<Outcome> {
    let a: FlakyArgs = ctx.args()?;
    if ctx.job.attempt <= a.fail_times {
        return Err(ApiError::internal(anyhow::anyhow!(
            "planned failure {} of {}",
            ctx.job.attempt,
            a.fail_times
        )));
    }
    Ok(Outcome::Done)
}

#[derive(Deserialize)]
struct SnoozeArgs {
    secs: u64,
}

/// Snoozes once (remembered in the ledger), then completes.
fn snooze(ctx: &JobContext) -> ApiResult<Outcome> {
    let a: SnoozeArgs = ctx.args()?;
    let mut c = ctx.conn()?;
    let key = format!("test.snooze:{}", ctx.job.id);
    match ctx.effect(&mut c, &key, SNOOZE, |_| Ok(json!({})))? {
        EffectRun::Done(_) => Ok(Outcome::Snooze(Duration::from_secs(a.secs))),
        EffectRun::AlreadyDone(_) => Ok(Outcome::Done),
    }
}

#[derive(Deserialize)]
struct StepsArgs {
    steps: u64,
    #[serde(default = "default_step_ms")]
    step_ms: u64,
}

fn default_step_ms() -> u64 {
    20
}

/// `steps` steps of `step_ms`, each reported as progress; stops at a checkpoint when cancelled.
fn steps(ctx: &JobContext) -> ApiResult<Outcome> {
    let a: StepsArgs = ctx.args()?;
    let mut c = ctx.conn()?;
    for step in 0..a.steps {
        ctx.checkpoint()?;
        ctx.progress(&mut c, &json!({ "done": step, "total": a.steps }))?;
        std::thread::sleep(Duration::from_millis(a.step_ms));
    }
    ctx.progress(&mut c, &json!({ "done": a.steps, "total": a.steps }))?;
    Ok(Outcome::Done)
}

/// A gate a `test.gate` job of this process waits at: the test sees when the job has started, and decides when
/// it goes on (to a checkpoint, then done). Gates are found by name, so a test names its own.
#[derive(Default)]
pub struct Gate {
    started: Mutex<u32>,
    open: Mutex<bool>,
    changed: Condvar,
    runs: tokio::sync::Notify,
}

impl Gate {
    /// Runs of the gate's jobs that have reached it so far.
    pub fn started(&self) -> u32 {
        *self.started.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `n` runs have reached the gate.
    pub async fn wait_started(&self, n: u32) {
        loop {
            let runs = self.runs.notified();
            tokio::pin!(runs);
            runs.as_mut().enable();
            if self.started() >= n {
                return;
            }
            runs.await;
        }
    }

    /// Lets the jobs waiting at the gate (and every later one) go on.
    pub fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.changed.notify_all();
    }

    fn pass(&self) {
        *self.started.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.runs.notify_waiters();
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = self.changed.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The gate named `name` (created at first use).
pub fn gate(name: &str) -> Arc<Gate> {
    static GATES: OnceLock<Mutex<HashMap<String, Arc<Gate>>>> = OnceLock::new();
    GATES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(name.to_owned())
        .or_default()
        .clone()
}

#[derive(Deserialize)]
struct GateArgs {
    gate: String,
}

/// Waits at its gate without a checkpoint (a long step), then reaches a checkpoint and is done.
fn gated(ctx: &JobContext) -> ApiResult<Outcome> {
    let a: GateArgs = ctx.args()?;
    gate(&a.gate).pass();
    ctx.checkpoint()?;
    Ok(Outcome::Done)
}
