//! Test harness: the real application on a random port with a fresh database — a SQLite temp file, or a new
//! PostgreSQL database when `LEADGEN_TEST_BACKEND=postgres` — and an HTTP client that behaves like a browser or a
//! script. Shared by the HTTP suite and the benchmarks.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use leadgen_core::config::Settings;
use leadgen_core::crypto::random_key_b64;
use leadgen_server::app::Application;
use leadgen_server::state::AppState;
use reqwest::{Method, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, Once};

pub use reqwest;
pub use serde_json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("LEADGEN_TEST_BACKEND").as_deref() {
        Ok("postgres") | Ok("pg") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

fn pg_base() -> String {
    std::env::var("LEADGEN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

static TELEMETRY: Once = Once::new();

pub struct TestApp {
    pub addr: String,
    pub port: u16,
    pub state: AppState,
    pub settings: Settings,
    pub dir: tempfile::TempDir,
}

fn secret(s: String) -> Option<SecretString> {
    Some(SecretString::from(s))
}

/// Settings for a fresh app: a new database, fixed secrets, cheap bcrypt, quiet logs.
pub fn test_settings(dir: &std::path::Path) -> Settings {
    let database_url = match backend() {
        Backend::Sqlite => format!("sqlite://{}", dir.join("test.db").display()),
        Backend::Postgres => {
            let name = format!("lg_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin = diesel::PgConnection::establish(&format!("{}/postgres", pg_base()))
                .unwrap_or_else(|e| panic!("PostgreSQL at {} is not reachable: {e}", pg_base()));
            admin
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .expect("create test database");
            format!("{}/{name}", pg_base())
        }
    };
    Settings {
        bind: "127.0.0.1:0".into(),
        database_url,
        data_dir: dir.to_path_buf(),
        web_dir: dir.join("no-web"),
        bcrypt_cost: 4,
        db_pool_size: 8,
        // Tests sign in many times from 127.0.0.1; the rate-limit test sets the production value.
        auth_rate_per_minute: 1000,
        log: std::env::var("TEST_LOG").unwrap_or_else(|_| "error".into()),
        log_format: "pretty".into(),
        session_key: secret(base64_of(64)),
        jwt_secret: secret(random_key_b64()),
        hash_key: secret(random_key_b64()),
        data_keys: secret(format!("k1:{}", random_key_b64())),
        data_key_active: Some("k1".into()),
        ..Settings::default()
    }
}

fn base64_of(n: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(leadgen_core::crypto::random_bytes(n))
}

/// Every log line the process writes from now on, at TRACE and in the server's JSON format.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs a global subscriber that keeps every log line (TRACE, everything) for the test to read. Call it before
/// the first app starts; it needs a process of its own, which `cargo nextest` gives every test.
pub fn capture_logs() -> LogCapture {
    let capture = LogCapture::default();
    let installed = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_current_span(true)
        .with_span_list(true)
        .flatten_event(true)
        .with_writer(capture.clone())
        .try_init();
    assert!(
        installed.is_ok(),
        "a log subscriber is installed already: run this test in a process of its own (cargo nextest)"
    );
    TELEMETRY.call_once(|| {});
    capture
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(dir.path());
    tweak(&mut settings);
    start(settings, dir).await
}

/// Starts an app on existing settings (e.g. a second process on the same database).
pub async fn start(settings: Settings, dir: tempfile::TempDir) -> TestApp {
    TELEMETRY.call_once(|| leadgen_server::app::init_telemetry(&settings));
    let app = Application::build(settings.clone())
        .await
        .expect("app builds");
    let port = app.port();
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        addr: format!("http://127.0.0.1:{port}"),
        port,
        state,
        settings,
        dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    /// A fresh browser: its own cookie jar, CSRF token remembered after sign-in.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.addr)
    }

    /// A client without cookies (scripts).
    pub fn script(&self) -> Browser {
        Browser::new(&self.addr)
    }

    /// Signs in as the first-boot admin: admin/admin → new password → 2FA setup → ok.
    pub async fn first_admin(&self) -> Account {
        let b = self.browser();
        let mut acc = Account::new(b, "admin", "admin");
        acc.complete_first_login(ADMIN_PASSWORD).await;
        acc
    }

    /// Creates a user through the admin API and signs them in fully (password change, 2FA setup).
    pub async fn user(&self, admin: &Account, username: &str, role: &str) -> Account {
        let res = admin
            .b
            .post(
                "/api/v1/admin/users",
                &json!({ "username": username, "role": role }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "create {username}");
        let body: Value = res.json().await.expect("json");
        let temp = body["temporary_password"]
            .as_str()
            .expect("temporary password")
            .to_owned();
        let mut acc = Account::new(self.browser(), username, &temp);
        acc.complete_first_login(&format!("{username} strong pass phrase 9"))
            .await;
        acc
    }

    /// Every text and binary value stored in every table, as text (binary columns lossily decoded and also hex).
    pub fn dump_database(&self) -> String {
        use diesel::prelude::*;
        use diesel::sql_types::Text;
        #[derive(QueryableByName)]
        struct Name {
            #[diesel(sql_type = Text)]
            name: String,
        }
        #[derive(QueryableByName)]
        struct Cell {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Binary>)]
            v: Option<Vec<u8>>,
        }
        let mut conn = self.state.db.get().expect("conn");
        let (tables_sql, cols_sql): (&str, fn(&str) -> String) = match backend() {
            Backend::Sqlite => (
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                |t| format!("SELECT name FROM pragma_table_info('{t}')"),
            ),
            Backend::Postgres => (
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
                |t| format!("SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{t}'"),
            ),
        };
        let tables: Vec<Name> = diesel::sql_query(tables_sql)
            .load(&mut *conn)
            .expect("tables");
        let mut out = String::new();
        for t in tables {
            let cols: Vec<Name> = diesel::sql_query(cols_sql(&t.name))
                .load(&mut *conn)
                .expect("columns");
            for c in cols {
                let cast = match backend() {
                    Backend::Sqlite => format!("SELECT CAST(\"{}\" AS BLOB) AS v FROM \"{}\"", c.name, t.name),
                    Backend::Postgres => format!(
                        "SELECT CASE WHEN pg_typeof(\"{c}\")::text = 'bytea' THEN \"{c}\"::text::bytea ELSE convert_to(\"{c}\"::text, 'UTF8') END AS v FROM \"{t}\"",
                        c = c.name,
                        t = t.name
                    ),
                };
                let cells: Vec<Cell> = diesel::sql_query(&cast)
                    .load(&mut *conn)
                    .unwrap_or_else(|e| panic!("{cast}: {e}"));
                for cell in cells.into_iter().filter_map(|c| c.v) {
                    out.push_str(&String::from_utf8_lossy(&cell));
                    out.push('\n');
                    out.push_str(&hex(&cell));
                    out.push('\n');
                }
            }
        }
        out
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub const ADMIN_PASSWORD: &str = "admin green lantern 2026";

/// An HTTP client with a cookie jar that sends the CSRF header on writes once it knows the token.
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
    pub csrf: Arc<Mutex<Option<String>>>,
    pub bearer: Arc<Mutex<Option<String>>>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        Browser {
            base: base.to_owned(),
            http,
            csrf: Arc::new(Mutex::new(None)),
            bearer: Arc::new(Mutex::new(None)),
        }
    }

    pub fn with_bearer(&self, token: &str) -> Browser {
        let b = Browser::new(&self.base);
        *b.bearer.lock().expect("lock") = Some(token.to_owned());
        b
    }

    /// The CSRF token this browser sends (empty before sign-in).
    pub fn csrf_token(&self) -> String {
        self.csrf.lock().expect("lock").clone().unwrap_or_default()
    }

    pub fn set_csrf(&self, token: Option<String>) {
        *self.csrf.lock().expect("lock") = token;
    }

    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path));
        if method != Method::GET {
            if let Some(t) = self.csrf.lock().expect("lock").clone() {
                req = req.header("x-csrf-token", t);
            }
        }
        if let Some(t) = self.bearer.lock().expect("lock").clone() {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(body)).await
    }
    pub async fn post_empty(&self, path: &str) -> Response {
        self.request(Method::POST, path, None).await
    }
    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.request(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Response {
        self.request(Method::DELETE, path, None).await
    }
}

/// Status and parsed body in one go.
pub async fn status_json(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// A user with their browser, password, TOTP secret and remaining backup codes.
pub struct Account {
    pub b: Browser,
    pub username: String,
    pub password: String,
    pub totp_secret: Option<String>,
    pub backup_codes: Vec<String>,
    pub last_step: Arc<Mutex<i64>>,
    pub id: String,
}

pub fn totp_at(secret_b32: &str, step: i64) -> String {
    let secret = totp_rs::Secret::Encoded(secret_b32.to_owned())
        .to_bytes()
        .expect("base32 secret");
    let totp = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        None,
        String::new(),
    );
    totp.generate(u64::try_from(step).unwrap_or(0) * 30)
}

pub fn current_step() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs()
            / 30,
    )
    .unwrap_or(0)
}

impl Account {
    pub fn new(b: Browser, username: &str, password: &str) -> Self {
        Account {
            b,
            username: username.to_owned(),
            password: password.to_owned(),
            totp_secret: None,
            backup_codes: vec![],
            last_step: Arc::new(Mutex::new(0)),
            id: String::new(),
        }
    }

    /// A valid code whose step was not used yet (waits for the next step when it must).
    pub async fn fresh_code(&self) -> String {
        let secret = self.totp_secret.clone().expect("2FA is set up");
        loop {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs() as i64;
            let now = secs / 30;
            // The server accepts the previous step until the current one ends: use it only with 5 s to spare.
            let earliest = if 30 - secs % 30 >= 5 { now - 1 } else { now };
            let next = {
                let mut last = self.last_step.lock().expect("lock");
                let candidate = (*last + 1).max(earliest);
                if candidate <= now + 1 {
                    *last = candidate;
                    Some(candidate)
                } else {
                    None
                }
            };
            match next {
                Some(step) => return totp_at(&secret, step),
                None => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
            }
        }
    }

    pub fn remember(&mut self, step_body: &Value) {
        self.b
            .set_csrf(step_body["csrf_token"].as_str().map(str::to_owned));
        if let Some(id) = step_body["user"]["id"].as_str() {
            self.id = id.to_owned();
        }
    }

    /// Password → (password change) → (2FA setup) → ok, asserting each step's status.
    pub async fn complete_first_login(&mut self, new_password: &str) {
        let (s, mut step) = status_json(
            self.b
                .post(
                    "/api/v1/auth/login",
                    &json!({ "username": self.username, "password": self.password }),
                )
                .await,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{step}");
        if step["status"] == "password_change_required" {
            let (s, next) = status_json(
                self.b.post("/api/v1/auth/login/password", &json!({ "pending_token": step["pending_token"], "new_password": new_password })).await,
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{next}");
            self.password = new_password.to_owned();
            step = next;
        }
        if step["status"] == "totp_setup_required" {
            let token = step["pending_token"].clone();
            let (s, setup) = status_json(
                self.b
                    .post(
                        "/api/v1/auth/login/totp-setup",
                        &json!({ "pending_token": token }),
                    )
                    .await,
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{setup}");
            self.totp_secret = Some(setup["secret"].as_str().expect("secret").to_owned());
            let code = self.fresh_code().await;
            let (s, next) = status_json(
                self.b
                    .post(
                        "/api/v1/auth/login/totp-setup/confirm",
                        &json!({ "pending_token": token, "code": code }),
                    )
                    .await,
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{next}");
            self.backup_codes = next["backup_codes"]
                .as_array()
                .expect("codes")
                .iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect();
            step = next;
        }
        assert_eq!(step["status"], "ok", "{step}");
        self.remember(&step);
    }

    /// A new browser session for this account with password + TOTP.
    pub async fn sign_in_again(&self) -> Browser {
        let b = Browser::new(&self.b.base);
        let (s, step) = status_json(
            b.post(
                "/api/v1/auth/login",
                &json!({ "username": self.username, "password": self.password }),
            )
            .await,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{step}");
        let step = if step["status"] == "totp_required" {
            let code = self.fresh_code().await;
            let (s, next) = status_json(
                b.post(
                    "/api/v1/auth/login/totp",
                    &json!({ "pending_token": step["pending_token"], "code": code }),
                )
                .await,
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{next}");
            next
        } else {
            step
        };
        assert_eq!(step["status"], "ok", "{step}");
        b.set_csrf(step["csrf_token"].as_str().map(str::to_owned));
        b
    }

    /// A JWT + refresh token pair from the token endpoint.
    pub async fn token_pair(&self) -> Value {
        let code = self.fresh_code().await;
        let (s, body) = status_json(
            Browser::new(&self.b.base)
                .post("/api/v1/auth/token", &json!({ "username": self.username, "password": self.password, "totp_code": code }))
                .await,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        body
    }
}
