//! Auth overhead benchmark: 32 concurrent clients against the real app (release build) on SQLite, or PostgreSQL
//! with LEADGEN_TEST_BACKEND=postgres. Prints login throughput (bcrypt at the production cost of 12) and the
//! latency of an authenticated GET (session cookie, and personal API token) next to an unauthenticated
//! `/health/live` in the same run, so the auth overhead reads as a ratio.
//!
//!     cargo bench -p leadgen-api-tests --bench auth
//!     BENCH_SECS=10 LEADGEN_TEST_BACKEND=postgres cargo bench -p leadgen-api-tests --bench auth

use leadgen_api_tests::*;
use serde_json::json;
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;

struct Stats {
    label: &'static str,
    count: usize,
    secs: f64,
    lat: Vec<Duration>,
}

impl Stats {
    fn pct(&self, p: f64) -> f64 {
        if self.lat.is_empty() {
            return 0.0;
        }
        let i = ((self.lat.len() as f64 - 1.0) * p).round() as usize;
        self.lat[i].as_secs_f64() * 1000.0
    }
    fn print(&self, base_p50: Option<f64>) {
        let ratio = base_p50
            .map(|b| format!("{:>6.2}x", self.pct(0.50) / b))
            .unwrap_or_else(|| "  base".into());
        println!(
            "{:<34} {:>9.0} req/s   p50 {:>7.2} ms   p95 {:>7.2} ms   p99 {:>7.2} ms   p50 vs /health/live {}",
            self.label,
            self.count as f64 / self.secs,
            self.pct(0.50),
            self.pct(0.95),
            self.pct(0.99),
            ratio
        );
    }
}

/// Runs `CLIENTS` loops for `secs`, each calling `make(i)` and timing it.
async fn load<F, Fut>(label: &'static str, secs: f64, make: F) -> Stats
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut tasks = vec![];
    for i in 0..CLIENTS {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = vec![];
            let mut failures = 0usize;
            while Instant::now() < deadline {
                let t = Instant::now();
                if make(i).await {
                    lat.push(t.elapsed());
                } else {
                    failures += 1;
                }
            }
            (lat, failures)
        }));
    }
    let mut lat = vec![];
    for t in tasks {
        let (l, failures) = t.await.expect("client task");
        assert_eq!(failures, 0, "{label}: requests failed");
        lat.extend(l);
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort();
    Stats {
        label,
        count: lat.len(),
        secs,
        lat,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let secs: f64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let app = spawn_app_with(|s| {
        s.bcrypt_cost = 12;
        s.auth_rate_per_minute = 1_000_000;
        s.api_rate_per_minute = 10_000_000;
        s.db_pool_size = 16;
        s.log = "error".into();
    })
    .await;
    let admin = app.first_admin().await;
    admin
        .b
        .put("/api/v1/admin/policy", &json!({"require_2fa": false}))
        .await;
    let password = "bench user pass phrase";
    for i in 0..CLIENTS {
        let res = admin
            .b
            .post(
                "/api/v1/admin/users",
                &json!({"username": format!("bench{i}"), "role": "user", "password": password}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    // One signed-in browser and one API token per client.
    let mut browsers = vec![];
    let mut tokens = vec![];
    for i in 0..CLIENTS {
        let b = app.browser();
        let res = b
            .post(
                "/api/v1/auth/login",
                &json!({"username": format!("bench{i}"), "password": password}),
            )
            .await;
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["status"], "ok");
        b.set_csrf(body["csrf_token"].as_str().map(str::to_owned));
        let res = b
            .post(
                "/api/v1/me/tokens",
                &json!({"name": "bench", "scope": "read"}),
            )
            .await;
        let t: serde_json::Value = res.json().await.expect("json");
        tokens.push(
            app.script()
                .with_bearer(t["secret"].as_str().expect("secret")),
        );
        browsers.push(b);
    }
    let backend = match backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    println!("leadgen auth benchmark: {CLIENTS} concurrent clients, {secs} s per scenario, {backend}, bcrypt cost 12");

    let anon = app.script();
    let health = load("GET /health/live (no auth)", secs, move |_| {
        let c = anon.clone();
        async move { c.get("/health/live").await.status() == 200 }
    })
    .await;
    let browsers = std::sync::Arc::new(browsers);
    let bs = browsers.clone();
    let session = load("GET /api/v1/me (session cookie)", secs, move |i| {
        let c = bs[i].clone();
        async move { c.get("/api/v1/me").await.status() == 200 }
    })
    .await;
    let tokens = std::sync::Arc::new(tokens);
    let pat = load("GET /api/v1/me (API token)", secs, move |i| {
        let c = tokens[i].clone();
        async move { c.get("/api/v1/me").await.status() == 200 }
    })
    .await;
    let base = app.addr.clone();
    let login = load("POST /api/v1/auth/login (bcrypt 12)", secs.max(5.0), move |i| {
        let c = Browser::new(&base);
        async move {
            let res = c.post("/api/v1/auth/login", &json!({"username": format!("bench{i}"), "password": "bench user pass phrase"})).await;
            res.status() == 200
        }
    })
    .await;

    let base_p50 = health.pct(0.50);
    health.print(None);
    session.print(Some(base_p50));
    pat.print(Some(base_p50));
    login.print(Some(base_p50));
    println!(
        "login throughput: {:.1} logins/s",
        login.count as f64 / login.secs
    );
}
