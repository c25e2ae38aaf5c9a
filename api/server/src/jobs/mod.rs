//! Jobs: the engine's worker side (`engine`), what a job's code sees (`context`), its metrics, the admin and
//! my-jobs routes (`routes`), the job kinds this process knows, and the guard that keeps a second process off a
//! SQLite database's jobs.

pub mod context;
pub mod engine;
pub mod metrics;
pub mod routes;
pub mod testing;
pub mod worker;

pub use context::{EffectRun, JobContext, JobHandler, Outcome, Stop};
pub use engine::{Engine, Options};

use leadgen_core::clock::Clock;
use leadgen_core::config::{Backend, Settings};
use leadgen_db::Db;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// The queues and their limits. `imports`: one import per user at a time, two per process.
pub const DEFAULT_QUEUE: &str = "default";
pub const IMPORTS_QUEUE: &str = "imports";

/// How long running jobs get to reach a checkpoint when the process stops.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// What to build the engine for.
pub struct Registry<'a> {
    pub settings: &'a Settings,
    pub db: Db,
    pub clock: Clock,
    pub metrics: metrics::JobMetrics,
    pub counts: std::sync::Arc<crate::leads::counts::CountCache>,
    /// Settings and key ring for the handlers that call providers.
    pub providers: crate::providers::ProviderAccess,
    /// `leadgen worker --queues` (empty: all).
    pub only_queues: Vec<String>,
    /// `leadgen worker --concurrency` (the default queue's).
    pub concurrency: Option<usize>,
}

/// The engine with every job kind of the app registered.
pub fn build(r: Registry) -> Engine {
    let s = r.settings;
    let mut b = Engine::builder(r.db, r.clock, Options::from_settings(s), r.metrics)
        .queue(
            DEFAULT_QUEUE,
            r.concurrency.unwrap_or(s.jobs_concurrency as usize),
            None,
        )
        .queue(IMPORTS_QUEUE, 2, Some(1))
        .handler(
            crate::leads::import_job::KIND,
            crate::leads::import_job::ImportJob {
                data_dir: s.data_dir.clone(),
                chunk_rows: s.import_chunk_rows as usize,
                counts: r.counts,
            },
        )
        .handler(
            crate::sessions::KIND,
            crate::sessions::run::SessionRunner {
                access: r.providers.clone(),
            },
        )
        .handler(
            crate::leads::sweep_job::KIND,
            crate::leads::sweep_job::SweepUploads {
                data_dir: s.data_dir.clone(),
            },
        )
        .periodic(
            crate::leads::sweep_job::SCHEDULE,
            crate::leads::sweep_job::EVERY,
            |_tick| crate::leads::sweep_job::new_job(),
        )
        .handler(
            crate::accounts::jobs::REFRESH_KIND,
            crate::accounts::jobs::RefreshTokens {
                access: r.providers.clone(),
            },
        )
        .periodic(
            crate::accounts::jobs::REFRESH_SCHEDULE,
            crate::accounts::jobs::REFRESH_EVERY,
            |_tick| crate::accounts::jobs::refresh_job(),
        )
        .handler(
            crate::accounts::jobs::CHECK_KIND,
            crate::accounts::jobs::CheckSessions {
                access: r.providers.clone(),
            },
        )
        .periodic(
            crate::accounts::jobs::CHECK_SCHEDULE,
            crate::accounts::jobs::CHECK_EVERY,
            |_tick| crate::accounts::jobs::check_job(),
        );
    if s.jobs_test_kinds {
        b = testing::register(b).handler(
            crate::drafts::test_job::KIND,
            crate::drafts::test_job::TestDrafts {
                access: r.providers.clone(),
            },
        );
    }
    b.only_queues(&r.only_queues).build()
}

/// SQLite: one process runs the jobs of a database. The lock (an exclusive `flock` on `<database>.jobs.lock`,
/// released by the kernel when the process dies) is taken once per process; other apps of the same process
/// (tests) share it.
pub fn lock_sqlite(settings: &Settings) -> anyhow::Result<()> {
    if settings.backend()? != Backend::Sqlite {
        return Ok(());
    }
    static HELD: OnceLock<Mutex<HashMap<PathBuf, std::fs::File>>> = OnceLock::new();
    let db = PathBuf::from(leadgen_db::conn::sqlite_path(&settings.database_url));
    let path = PathBuf::from(format!("{}.jobs.lock", db.display()));
    let mut held = HELD
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if held.contains_key(&path) {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {
            held.insert(path, file);
            Ok(())
        }
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another leadgen process already runs on the SQLite database {} (it holds {}). SQLite allows one \
             process: stop the other one first, or use PostgreSQL to run several `serve` and `worker` processes",
            db.display(),
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}
