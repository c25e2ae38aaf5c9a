//! Leads workspace benchmark against the real server binary (a separate process, so its peak memory is its own):
//! seeds N realistic leads (default 1,000,000) with `leadgen admin seed-leads`, then prints
//! - p50/p95 of one grid page (100 rows) over HTTP for six queries (the cold first request shown apart; the
//!   warm ones start 1.5 s later, after that request's background count and jump anchors),
//! - bulk update of 10,000 selected leads,
//! - streamed CSV export of every lead,
//! - CSV import of that export (or its first IMPORT_ROWS rows, or the file IMPORT_FILE) into an empty workspace
//!   (rows/s),
//! - the server's peak resident memory (VmHWM).
//!
//! Run it with `scripts/bench-leads` (SQLite) or `LEADGEN_TEST_BACKEND=postgres scripts/bench-leads`.

use leadgen_api_tests::*;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
    env: Vec<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn start(bin: &str, dir: &std::path::Path) -> Server {
    let settings = test_settings(dir);
    let port = free_port();
    let expose = |s: &Option<secrecy::SecretString>| {
        secrecy::ExposeSecret::expose_secret(s.as_ref().expect("secret")).to_owned()
    };
    let env = vec![
        ("DATABASE_URL".to_owned(), settings.database_url.clone()),
        ("LEADGEN_BIND".into(), format!("127.0.0.1:{port}")),
        ("LEADGEN_DATA_DIR".into(), dir.display().to_string()),
        (
            "LEADGEN_WEB_DIR".into(),
            dir.join("no-web").display().to_string(),
        ),
        ("LEADGEN_BCRYPT_COST".into(), "4".into()),
        ("LEADGEN_AUTH_RATE_PER_MINUTE".into(), "100000".into()),
        ("LEADGEN_API_RATE_PER_MINUTE".into(), "10000000".into()),
        (
            "LEADGEN_LOG".into(),
            std::env::var("BENCH_LOG").unwrap_or_else(|_| "error".into()),
        ),
        ("LEADGEN_SESSION_KEY".into(), expose(&settings.session_key)),
        ("LEADGEN_JWT_SECRET".into(), expose(&settings.jwt_secret)),
        ("LEADGEN_HASH_KEY".into(), expose(&settings.hash_key)),
        ("LEADGEN_DATA_KEYS".into(), expose(&settings.data_keys)),
    ];
    let child = Command::new(bin)
        .arg("serve")
        .env_clear()
        .envs(env.iter().cloned())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(if std::env::var("BENCH_LOG").is_ok() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("start the server (build it: cargo build --release -p leadgen-server)");
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        env,
    }
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// CPU seconds the process has used (user + system), from /proc.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces): utime and stime are the
    // 12th and 13th, in clock ticks (100 a second on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
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
    let count: usize = std::env::var("SEED_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let bin = std::env::var("LEADGEN_BIN").unwrap_or_else(|_| {
        let target = std::env::var("CARGO_TARGET_DIR")
            .unwrap_or_else(|_| format!("{}/../../target", env!("CARGO_MANIFEST_DIR")));
        format!("{target}/release/leadgen")
    });
    let dir = tempfile::tempdir().expect("dir");
    let server = start(&bin, dir.path());
    let pid = server.child.id();
    wait_ready(&server.base).await;
    let mut admin = Account::new(Browser::new(&server.base), "admin", "admin");
    admin.complete_first_login(ADMIN_PASSWORD).await;
    let backend_name = match backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    println!("leads benchmark on {backend_name}, {count} leads");

    let t = Instant::now();
    let out = Command::new(&bin)
        .args([
            "admin",
            "seed-leads",
            "--username",
            "admin",
            "--count",
            &count.to_string(),
        ])
        .env_clear()
        .envs(server.env.iter().cloned())
        .output()
        .expect("seed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("seed: {count} leads in {:.1} s", t.elapsed().as_secs_f64());
    let b = &admin.b;

    // The middle of the workspace (page 5,000 of 100 rows at 1,000,000 leads).
    let jump = (count as i64 / 2 / 100 - 1).max(0) * 100;
    let jump_label = format!("page {} by jump (offset)", jump / 100 + 1);
    // IMPORT_ONLY=1: seed, export and the two imports only (no pages, no bulk update).
    let import_only = std::env::var("IMPORT_ONLY").is_ok_and(|v| v == "1");
    let mut queries: Vec<(&str, String)> = vec![
        ("default sort (newest first)", "limit=100".into()),
        ("sort by full name (German order)", "limit=100&sort=full_name".into()),
        ("sort by followers desc", "limit=100&sort=followers:desc".into()),
        ("followers 10k-100k + has email", format!("limit=100&filter={}", enc(&json!({"op": "and", "rules": [{"field": "followers", "cmp": "between", "value": [10000, 100000]}, {"field": "has_email", "cmp": "eq", "value": true}]}).to_string()))),
        ("text search, word in ~1% of bios", "limit=100&search=sauerteig".into()),
        ("date preset: last 7 days", format!("limit=100&filter={}", enc(&json!({"field": "created_at", "cmp": "preset", "value": "last_7_days"}).to_string()))),
        (jump_label.as_str(), format!("limit=100&offset={jump}")),
    ];
    if import_only {
        queries.clear();
    }
    println!(
        "{:<36} {:>10} {:>9} {:>9} {:>9}",
        "grid page (100 rows)", "cold ms", "p50 ms", "p95 ms", "rows"
    );
    for (label, q) in &queries {
        let url = format!("/api/v1/leads?{q}");
        let t = Instant::now();
        let res = b.get(&url).await;
        assert_eq!(res.status(), 200, "{label}");
        let cold = t.elapsed().as_secs_f64() * 1000.0;
        let body: serde_json::Value = res.json().await.expect("json");
        // The first request of a query starts its background work (exact count, jump anchors), as when the grid
        // opens; the warm figures are what scrolling and re-sorting then see.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let mut lat = vec![];
        for _ in 0..40 {
            let t = Instant::now();
            let res = b.get(&url).await;
            assert_eq!(res.status(), 200);
            let _ = res.bytes().await;
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        lat.sort_by(|a, b| a.partial_cmp(b).expect("number"));
        println!(
            "{label:<36} {cold:>10.1} {:>9.1} {:>9.1} {:>9}",
            pct(&lat, 0.5),
            pct(&lat, 0.95),
            body["items"].as_array().map(|a| a.len()).unwrap_or(0)
        );
    }

    // Bulk update of 10,000 selected leads.
    let mut ids = vec![];
    if import_only {
        ids.resize(10_000, String::new());
    }
    let mut cursor: Option<String> = None;
    while ids.len() < 10_000 {
        let url = match &cursor {
            Some(c) => format!("/api/v1/leads?limit=500&cursor={c}"),
            None => "/api/v1/leads?limit=500".into(),
        };
        let page: serde_json::Value = b.get(&url).await.json().await.expect("json");
        ids.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|l| l["id"].as_str().expect("id").to_owned()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    ids.truncate(10_000);
    if !import_only {
        let t = Instant::now();
        let res = b
            .post(
                "/api/v1/leads/bulk",
                &json!({"ids": ids, "patch": {"status": "qualified", "tags": ["bench"]}}),
            )
            .await;
        assert_eq!(res.status(), 200);
        println!(
            "bulk update of 10,000 selected leads: {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }

    // Streamed export of everything.
    let t = Instant::now();
    let res = b.get("/api/v1/leads/export").await;
    let csv = res.bytes().await.expect("csv");
    let rows = csv.iter().filter(|c| **c == b'\n').count();
    println!(
        "export: {} MB streamed in {:.1} s ({} lines)",
        csv.len() / 1_000_000,
        t.elapsed().as_secs_f64(),
        rows
    );

    println!(
        "server peak memory before the import (seed, pages, bulk update, export): {:.0} MB",
        peak_rss_mb(pid)
    );

    // Import that CSV (or its first IMPORT_ROWS rows) into an empty workspace. IMPORT_FILE=path imports that file
    // instead, after writing this export there when it does not exist yet (a fixed file for repeated runs).
    let csv = match std::env::var("IMPORT_FILE").ok() {
        Some(path) if std::path::Path::new(&path).exists() => {
            std::fs::read(&path).expect("read IMPORT_FILE")
        }
        Some(path) => {
            std::fs::write(&path, &csv).expect("write IMPORT_FILE");
            csv.to_vec()
        }
        None => csv.to_vec(),
    };
    let csv = match std::env::var("IMPORT_ROWS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
    {
        Some(n) => {
            let end = csv
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == b'\n')
                .nth(n)
                .map(|(i, _)| i + 1)
                .unwrap_or(csv.len());
            csv[..end].to_vec()
        }
        None => csv,
    };
    if !import_only {
        import_as_new_user(&server, b, csv.clone(), "import into an empty workspace").await;
        println!("server peak memory (VmHWM): {:.0} MB", peak_rss_mb(pid));
    }
    drop(server);

    // The same file into a brand-new database (a new server, a new user): the first import of a new install, with
    // a leads table that starts empty and has never been analysed.
    let fresh_dir = tempfile::tempdir().expect("dir");
    let fresh = start(&bin, fresh_dir.path());
    wait_ready(&fresh.base).await;
    let mut fresh_admin = Account::new(Browser::new(&fresh.base), "admin", "admin");
    fresh_admin.complete_first_login(ADMIN_PASSWORD).await;
    import_as_new_user(
        &fresh,
        &fresh_admin.b,
        csv,
        "import into a brand-new database",
    )
    .await;
    println!(
        "server peak memory (VmHWM, brand-new database): {:.0} MB",
        peak_rss_mb(fresh.child.id())
    );
}

async fn wait_ready(base: &str) {
    let probe = reqwest::Client::new();
    for _ in 0..200 {
        if probe
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates the user "importer" (by `admin`), uploads `csv` as that user, runs the import (skip duplicates by
/// username) and prints its rate under `label`.
async fn import_as_new_user(server: &Server, admin: &Browser, csv: Vec<u8>, label: &str) {
    let b = admin;
    let pid = server.child.id();
    let res = b
        .post(
            "/api/v1/admin/users",
            &json!({"username": "importer", "role": "user", "password": "importer pass phrase 1"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    b.put("/api/v1/admin/policy", &json!({"require_2fa": false}))
        .await;
    let imp = Browser::new(&server.base);
    let step: serde_json::Value = imp
        .post(
            "/api/v1/auth/login",
            &json!({"username": "importer", "password": "importer pass phrase 1"}),
        )
        .await
        .json()
        .await
        .expect("json");
    imp.set_csrf(step["csrf_token"].as_str().map(str::to_owned));
    let t = Instant::now();
    let csrf = imp.csrf_token();
    let preview: serde_json::Value = imp
        .http
        .post(format!("{}/api/v1/imports", server.base))
        .header("x-csrf-token", csrf)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let upload_s = t.elapsed().as_secs_f64();
    let id = preview["id"].as_str().expect("id").to_owned();
    let mapping: Vec<serde_json::Value> = preview["mapping"].as_array().expect("mapping").clone();
    let t = Instant::now();
    let cpu = cpu_secs(pid);
    let res = imp
        .post(
            &format!("/api/v1/imports/{id}/run"),
            &json!({"mapping": mapping, "dedupe": "skip", "key": "username"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let status = loop {
        let s: serde_json::Value = imp
            .get(&format!("/api/v1/imports/{id}"))
            .await
            .json()
            .await
            .expect("json");
        if s["status"] != "running" {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_secs(pid) - cpu;
    let inserted = status["inserted"].as_i64().unwrap_or(0);
    println!(
        "{label}: upload+analyse {:.1} s; {} rows inserted in {:.1} s = {:.0} rows/s (status {}, failed {}); server CPU {:.1} s",
        upload_s, inserted, secs, inserted as f64 / secs, status["status"], status["failed"], cpu
    );
}
