//! Job engine benchmark on the backend under test (`LEADGEN_TEST_BACKEND`), a fresh database each run. Prints
//! - throughput: JOBS (default 100,000) no-op jobs (`test.noop`) worked by the engine of an app built with
//!   `serve`'s settings (the default queue's 10 at a time), from the commit that makes them due to the last one
//!   completed; on PostgreSQL again with two extra `leadgen worker` processes beside it;
//! - the floor in the same run: the engine's own claim and completion statements (`Job::claim` of 10, then
//!   `Job::complete` of each) issued in a loop on one connection, and the enqueue statement (`Job::enqueue`, one
//!   job a statement) the same way;
//! - pick-up latency: PICKUPS (default 200) jobs enqueued one at a time into idle workers, from the enqueue to
//!   the claim that starts the job (both times on the app's clock), p50 / p95 / max.
//!
//! Goals (issue 16): ≥ 2,000 jobs/s on PostgreSQL, ≥ 1,000 on SQLite, at least half the floor, p95 pick-up
//! below 100 ms.
//!
//!   cargo build --release -p leadgen-server     # the `leadgen worker` processes (PostgreSQL)
//!   cargo bench -p leadgen-api-tests --bench jobs
//!   LEADGEN_TEST_BACKEND=postgres cargo bench -p leadgen-api-tests --bench jobs
//!   JOBS=2000 PICKUPS=50 cargo bench -p leadgen-api-tests --bench jobs   # a quick look
//!
//! LEADGEN_BIN names the binary for the extra workers (default: target/release/leadgen, else target/debug).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use leadgen_api_tests::*;
use leadgen_db::models::job::{self, Job, NewJob};
use leadgen_db::DbConn;
use leadgen_server::jobs::testing::NOOP;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The secrets of `settings` as the environment a `leadgen worker` reads them from.
fn secret_env(settings: &leadgen_core::config::Settings) -> Vec<(&'static str, String)> {
    use secrecy::ExposeSecret;
    let mut env = Vec::new();
    for (name, value) in [
        ("LEADGEN_SESSION_KEY", &settings.session_key),
        ("LEADGEN_JWT_SECRET", &settings.jwt_secret),
        ("LEADGEN_HASH_KEY", &settings.hash_key),
        ("LEADGEN_DATA_KEYS", &settings.data_keys),
    ] {
        if let Some(v) = value {
            env.push((name, v.expose_secret().to_owned()));
        }
    }
    if let Some(active) = &settings.data_key_active {
        env.push(("LEADGEN_DATA_KEY_ACTIVE", active.clone()));
    }
    env
}

/// Completed no-op jobs.
fn completed(c: &mut DbConn) -> i64 {
    use leadgen_db::schema::jobs;
    jobs::table
        .filter(jobs::kind.eq(NOOP))
        .filter(jobs::state.eq(job::COMPLETED))
        .count()
        .get_result(c)
        .expect("count")
}

/// Inserts `n` due no-op jobs of queue `queue` in one statement and one transaction (on PostgreSQL with the
/// NOTIFY an enqueue sends, so other processes wake up), then wakes this process's workers. The time of the
/// commit.
fn insert_due(c: &mut DbConn, n: usize, queue: &str) -> Instant {
    let sql = match c {
        DbConn::Sqlite(_) => format!(
            "BEGIN IMMEDIATE; \
             WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
             INSERT INTO jobs (id, kind, queue, args, priority, state, run_at, attempt, max_attempts, token, \
             cancel_requested, created_at) \
             SELECT printf('%016x-%s', i, lower(hex(randomblob(8)))), '{NOOP}', '{queue}', '{{}}', 0, 'available', \
             strftime('%Y-%m-%d %H:%M:%f', 'now'), 0, 20, 0, 0, strftime('%Y-%m-%d %H:%M:%f', 'now') FROM s; \
             COMMIT;"
        ),
        DbConn::Postgresql(_) => format!(
            "BEGIN; \
             INSERT INTO jobs (id, kind, queue, args, priority, state, run_at, attempt, max_attempts, token, \
             cancel_requested, created_at) \
             SELECT lpad(to_hex(i), 16, '0') || '-' || gen_random_uuid()::text, '{NOOP}', '{queue}', '{{}}', 0, \
             'available', now() AT TIME ZONE 'utc', 0, 20, 0, false, now() AT TIME ZONE 'utc' \
             FROM generate_series(1, {n}) i; \
             SELECT pg_notify('{}', '{queue}'); \
             COMMIT;",
            job::NOTIFY_CHANNEL
        ),
    };
    c.batch_execute(&sql).expect("insert jobs");
    let at = Instant::now();
    job::wake(queue);
    at
}

/// Waits until `target` no-op jobs are completed; seconds since `from`.
async fn until_completed(app: &TestApp, target: i64, from: Instant) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(3600);
    loop {
        let done = app.state.db.run(|c| Ok(completed(c))).await.expect("count");
        if done >= target {
            return from.elapsed().as_secs_f64();
        }
        assert!(
            Instant::now() < deadline,
            "only {done} of {target} done in an hour"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn leadgen_bin() -> String {
    if let Ok(bin) = std::env::var("LEADGEN_BIN") {
        return bin;
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| format!("{}/../../target", env!("CARGO_MANIFEST_DIR")));
    let release = format!("{target}/release/leadgen");
    if std::path::Path::new(&release).exists() {
        release
    } else {
        format!("{target}/debug/leadgen")
    }
}

/// Two `leadgen worker` processes on the app's database, their `/health/ready` answering.
async fn extra_workers(app: &TestApp) -> Workers {
    let bin = leadgen_bin();
    let mut children = vec![];
    let mut ports = vec![];
    for _ in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let child = Command::new(&bin)
            .arg("worker")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &app.settings.database_url)
            .env("LEADGEN_WORKER_BIND", format!("127.0.0.1:{port}"))
            .env("LEADGEN_JOBS_TEST_KINDS", "true")
            // The app's key ring: workers decrypt provider credentials with it.
            .envs(secret_env(&app.settings))
            .env("LEADGEN_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {bin} worker (cargo build -p leadgen-server): {e}"));
        children.push(child);
        ports.push(port);
    }
    let workers = Workers(children);
    let http = reqwest::Client::new();
    for port in ports {
        let url = format!("http://127.0.0.1:{port}/health/ready");
        let mut ready = false;
        for _ in 0..600 {
            if http
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "a leadgen worker did not get ready at {url}");
    }
    workers
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let n = env_num("JOBS", 100_000);
    let pickups = env_num("PICKUPS", 200).max(1);
    let backend_name = match backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    println!("job engine benchmark on {backend_name}: {n} no-op jobs, {pickups} pick-ups");

    // The floor first, on a database of its own with no workers: the engine's statements, one connection.
    let floor = spawn_app_with(|s| {
        s.jobs_in_serve = false;
        s.db_pool_size = 2;
    })
    .await;
    let (enqueue_rate, claim_rate) = floor
        .state
        .db
        .run(move |c| {
            let now = leadgen_db::now();
            let t = Instant::now();
            for _ in 0..n {
                Job::enqueue(c, &NewJob::new(NOOP, serde_json::json!({})), now)?;
            }
            let enqueue = n as f64 / t.elapsed().as_secs_f64();
            let t = Instant::now();
            let mut done = 0;
            loop {
                let now = leadgen_db::now();
                let lease = now + chrono::Duration::seconds(60);
                let claimed = Job::claim(c, "default", "floor", 10, None, lease, now)?;
                if claimed.is_empty() {
                    break;
                }
                for j in claimed {
                    assert!(Job::complete(c, &j.id, j.token, now)?);
                    done += 1;
                }
            }
            assert_eq!(done, n);
            Ok((enqueue, n as f64 / t.elapsed().as_secs_f64()))
        })
        .await
        .expect("floor");
    drop_database(&floor);
    println!(
        "floor (one connection): enqueue {enqueue_rate:.0} jobs/s; claim 10 + complete each {claim_rate:.0} jobs/s"
    );

    // The engine with serve's settings (jobs, pool, poll), idle until the jobs are committed.
    let app = spawn_app_with(|s| {
        let serve = leadgen_core::config::Settings::default();
        s.jobs_test_kinds = true;
        s.db_pool_size = serve.db_pool_size;
        s.jobs_poll_ms = serve.jobs_poll_ms;
        s.jobs_concurrency = serve.jobs_concurrency;
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let from = app
        .state
        .db
        .run(move |c| Ok(insert_due(c, n, "default")))
        .await
        .expect("insert");
    let secs = until_completed(&app, n as i64, from).await;
    let rate = n as f64 / secs;
    println!(
        "serve's workers: {n} jobs in {secs:.2} s = {rate:.0} jobs/s ({:.0} % of the floor's claim + complete)",
        100.0 * rate / claim_rate
    );

    if backend() == Backend::Postgres {
        let workers = extra_workers(&app).await;
        let from = app
            .state
            .db
            .run(move |c| Ok(insert_due(c, n, "default")))
            .await
            .expect("insert");
        let secs = until_completed(&app, 2 * n as i64, from).await;
        let rate = n as f64 / secs;
        println!(
            "serve's workers + 2 leadgen worker processes: {n} jobs in {secs:.2} s = {rate:.0} jobs/s ({:.0} % of the floor)",
            100.0 * rate / claim_rate
        );
        drop(workers);
    }

    // Pick-up latency: one job at a time into idle workers.
    let mut latencies = Vec::with_capacity(pickups);
    for i in 0..pickups {
        // Idle: the workers wait for a wake-up (a job's NOTIFY or this process's signal), not a poll.
        tokio::time::sleep(Duration::from_millis(20 + (i % 7) as u64 * 3)).await;
        let jobs = app.state.jobs.clone();
        let id = app
            .state
            .db
            .run(move |c| {
                Ok(jobs
                    .enqueue(c, &NewJob::new(NOOP, serde_json::json!({ "pickup": i })))?
                    .job()
                    .id
                    .clone())
            })
            .await
            .expect("enqueue");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let wanted = id.clone();
            let j = app
                .state
                .db
                .run(move |c| Job::get(c, &wanted))
                .await
                .expect("job");
            if let Some(at) = j.attempted_at {
                latencies.push((at - j.created_at).num_microseconds().unwrap_or(0) as f64 / 1000.0);
                break;
            }
            assert!(Instant::now() < deadline, "job {id} was not picked up");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "pick-up latency over {pickups} jobs: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        pct(&latencies, 0.5),
        pct(&latencies, 0.95),
        latencies[latencies.len() - 1]
    );
    app.state.jobs.shutdown(Duration::from_secs(5)).await;
    drop_database(&app);
}

/// PostgreSQL: drops the benchmark's own scratch database (SQLite's lives in the app's temp dir).
fn drop_database(app: &TestApp) {
    if backend() != Backend::Postgres {
        return;
    }
    let url = &app.settings.database_url;
    let Some((base, name)) = url.rsplit_once('/') else {
        return;
    };
    if let Ok(mut admin) = diesel::PgConnection::establish(&format!("{base}/postgres")) {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
    }
}
