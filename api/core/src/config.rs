//! Layered settings: defaults → optional TOML file (`LEADGEN_CONFIG`, or `leadgen.toml` when present) → `LEADGEN_*`
//! environment (plus `DATABASE_URL`). `Settings::validate` runs at start and names the setting that is wrong.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub bind: String,
    /// `sqlite://path` or `postgres://…`.
    pub database_url: String,
    /// Where SQLite files and generated secrets live.
    pub data_dir: PathBuf,
    /// Folder holding the built SPA (`web/dist`).
    pub web_dir: PathBuf,
    /// Origins (scheme://host[:port]) allowed for CORS and cookie-authenticated writes, besides the server's own.
    pub allowed_origins: String,
    /// Serve cookies with `Secure` (set when the server sits behind TLS).
    pub secure_cookies: bool,
    /// Take the client IP from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    pub db_pool_size: u32,
    pub session_ttl_hours: u32,
    pub session_idle_minutes: u32,
    pub access_token_ttl_secs: u32,
    pub refresh_token_ttl_days: u32,
    pub pending_login_ttl_secs: u32,
    pub bcrypt_cost: u32,
    /// Requests per minute per IP on login, token and 2FA endpoints (burst of the same size).
    pub auth_rate_per_minute: u32,
    /// Requests per minute per signed-in user on every other API route.
    pub api_rate_per_minute: u32,
    pub lockout_threshold: u32,
    pub lockout_base_secs: u32,
    pub lockout_max_secs: u32,
    pub json_limit_bytes: usize,
    /// Bytes of uploaded import files one user may keep stored at once (files waiting to be imported or resumed).
    pub upload_quota_bytes: u64,
    pub totp_issuer: String,
    /// tracing filter, e.g. `info,leadgen=debug`.
    pub log: String,
    /// `json` or `pretty`.
    pub log_format: String,
    /// base64 of 64 random bytes: signs and encrypts the session cookie.
    #[serde(skip_serializing)]
    pub session_key: Option<SecretString>,
    /// base64 of ≥32 random bytes: signs JWT access tokens.
    #[serde(skip_serializing)]
    pub jwt_secret: Option<SecretString>,
    /// base64 of 32 random bytes: keys the hashes of low-entropy secrets (backup codes).
    #[serde(skip_serializing)]
    pub hash_key: Option<SecretString>,
    /// `id:base64,id:base64` AES-256 keys for data at rest.
    #[serde(skip_serializing)]
    pub data_keys: Option<SecretString>,
    /// Which key id new ciphertexts use (default: the first of `data_keys`).
    pub data_key_active: Option<String>,
    /// `serve` runs job workers too (off: only `leadgen worker` processes run jobs; PostgreSQL only).
    pub jobs_in_serve: bool,
    /// Jobs of the `default` queue run at once per process.
    pub jobs_concurrency: u32,
    /// How long a claimed job is leased; a running job's heartbeat extends it, and a job whose lease ran out is
    /// taken back and run again.
    pub jobs_lease_secs: u32,
    /// Finished jobs (completed, discarded, cancelled) are deleted after this many hours.
    pub jobs_prune_after_hours: u32,
    /// Milliseconds between looks for due jobs when no wake-up comes (the fallback to LISTEN/NOTIFY).
    pub jobs_poll_ms: u32,
    /// Registers the test-only job kinds (`test.noop`, `test.ledger`) for the crash script and the benchmark.
    /// Never on in production.
    pub jobs_test_kinds: bool,
    /// Rows an import reads, checks and writes together (a part); SQLite commits ten parts at once. Each commit
    /// is a checkpoint where a cancelled import stops. The browser tests lower it so that a test-sized file
    /// imports in many small commits (smooth progress, a window to cancel in); keep the default otherwise.
    pub import_chunk_rows: u32,
    /// `leadgen worker`: address of its `/health` and `/metrics`.
    pub worker_bind: String,
    /// Provider base URLs: the real hosts by default; the provider sandbox (`http://HOST:PORT/<prefix>`) in tests
    /// and demos. No trailing path beyond the prefix.
    pub instagram_www_base_url: String,
    pub instagram_api_base_url: String,
    pub instagram_graph_base_url: String,
    pub apify_base_url: String,
    pub perplexity_base_url: String,
    pub openai_base_url: String,
    pub google_accounts_base_url: String,
    pub google_oauth_base_url: String,
    pub gmail_base_url: String,
    /// The aiograpi-rest 2.x sidecar (no public default: it runs next to leadgen, e.g. `http://127.0.0.1:8000`).
    pub sidecar_base_url: Option<String>,
    pub telegram_base_url: String,
    /// Apify actors (`owner~name`) for the hashtag and the profile scraper.
    pub apify_hashtag_actor: String,
    pub apify_profile_actor: String,
    /// Connect timeout and per-attempt timeout of provider calls (long-running calls such as an Apify sync run
    /// add their own waiting time), and how many times a failed call is retried.
    pub provider_connect_timeout_secs: u32,
    pub provider_timeout_secs: u32,
    pub provider_max_retries: u32,
    /// Requests per second through each provider's client (also its burst); 0 = the built-in per-provider rates
    /// (Apify 20, OpenAI 10, Perplexity 5, …). Raise it for the sandbox, which answers at once.
    pub provider_rate_per_second: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/leadgen.db".into(),
            data_dir: PathBuf::from("data"),
            web_dir: PathBuf::from("web/dist"),
            allowed_origins: String::new(),
            secure_cookies: false,
            trust_proxy: false,
            db_pool_size: 10,
            session_ttl_hours: 12,
            session_idle_minutes: 120,
            access_token_ttl_secs: 900,
            refresh_token_ttl_days: 30,
            pending_login_ttl_secs: 600,
            bcrypt_cost: 12,
            auth_rate_per_minute: 10,
            api_rate_per_minute: 1200,
            lockout_threshold: 5,
            lockout_base_secs: 60,
            lockout_max_secs: 3600,
            json_limit_bytes: 256 * 1024,
            upload_quota_bytes: 5 * 1024 * 1024 * 1024,
            totp_issuer: "leadgen".into(),
            log: "info".into(),
            log_format: "json".into(),
            session_key: None,
            jwt_secret: None,
            hash_key: None,
            data_keys: None,
            data_key_active: None,
            jobs_in_serve: true,
            jobs_concurrency: 10,
            jobs_lease_secs: 60,
            jobs_prune_after_hours: 24 * 7,
            jobs_poll_ms: 1000,
            jobs_test_kinds: false,
            import_chunk_rows: 10_000,
            worker_bind: "127.0.0.1:8081".into(),
            instagram_www_base_url: "https://www.instagram.com".into(),
            instagram_api_base_url: "https://api.instagram.com".into(),
            instagram_graph_base_url: "https://graph.instagram.com".into(),
            apify_base_url: "https://api.apify.com".into(),
            perplexity_base_url: "https://api.perplexity.ai".into(),
            openai_base_url: "https://api.openai.com".into(),
            google_accounts_base_url: "https://accounts.google.com".into(),
            google_oauth_base_url: "https://oauth2.googleapis.com".into(),
            gmail_base_url: "https://gmail.googleapis.com".into(),
            sidecar_base_url: None,
            telegram_base_url: "https://api.telegram.org".into(),
            apify_hashtag_actor: "apify~instagram-hashtag-scraper".into(),
            apify_profile_actor: "apify~instagram-profile-scraper".into(),
            provider_connect_timeout_secs: 10,
            provider_timeout_secs: 60,
            provider_max_retries: 3,
            provider_rate_per_second: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

fn err(setting: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: format!("LEADGEN_{}", setting.to_uppercase()),
        message: message.into(),
    }
}

impl Settings {
    /// Reads defaults, the optional file and the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        match std::env::var_os("LEADGEN_CONFIG") {
            Some(path) => {
                let path = PathBuf::from(path);
                if !path.exists() {
                    return Err(ConfigError {
                        setting: "LEADGEN_CONFIG".into(),
                        message: format!("file {} does not exist", path.display()),
                    });
                }
                fig = fig.merge(Toml::file(path));
            }
            None => fig = fig.merge(Toml::file("leadgen.toml")),
        }
        fig = fig
            .merge(Env::raw().only(&["DATABASE_URL"]))
            // LEADGEN_CONFIG names the file; LEADGEN_TEST_* and LEADGEN_BIN belong to the test harness.
            .merge(
                Env::prefixed("LEADGEN_")
                    .ignore(&["CONFIG", "BIN"])
                    .filter(|k| !k.as_str().to_ascii_lowercase().starts_with("test_")),
            );
        let settings: Settings = fig.extract().map_err(|e| {
            let setting = e.path.first().cloned().unwrap_or_else(|| "config".into());
            ConfigError {
                setting: format!("LEADGEN_{}", setting.to_uppercase()),
                message: e.kind.to_string(),
            }
        })?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.bind
            .parse::<SocketAddr>()
            .map_err(|_| err("bind", "must be host:port, e.g. 127.0.0.1:8080"))?;
        self.backend()?;
        for origin in self.allowed_origin_list() {
            let ok = url::Url::parse(&origin)
                .map(|u| u.origin().ascii_serialization() == origin)
                .unwrap_or(false);
            if !ok {
                return Err(err(
                    "allowed_origins",
                    format!("{origin:?} is not an origin like https://app.example.com"),
                ));
            }
        }
        self.worker_bind
            .parse::<SocketAddr>()
            .map_err(|_| err("worker_bind", "must be host:port, e.g. 127.0.0.1:8081"))?;
        for (name, value) in self.provider_base_urls() {
            if let Some(value) = value {
                if !is_base_url(value) {
                    return Err(err(
                        name,
                        format!("{value:?} is not an http(s) base URL like https://api.example.com[/prefix]"),
                    ));
                }
            }
        }
        for (name, actor) in [
            ("apify_hashtag_actor", &self.apify_hashtag_actor),
            ("apify_profile_actor", &self.apify_profile_actor),
        ] {
            let ok = actor.split_once('~').is_some_and(|(owner, name)| {
                !owner.is_empty()
                    && !name.is_empty()
                    && actor
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '~' | '-' | '_' | '.'))
            });
            if !ok {
                return Err(err(name, "must be an Apify actor id like owner~name"));
            }
        }
        let ranges: [(&str, u64, u64, u64); 22] = [
            ("jobs_concurrency", self.jobs_concurrency.into(), 1, 1000),
            (
                "import_chunk_rows",
                self.import_chunk_rows.into(),
                100,
                1_000_000,
            ),
            ("jobs_lease_secs", self.jobs_lease_secs.into(), 1, 86_400),
            (
                "jobs_prune_after_hours",
                self.jobs_prune_after_hours.into(),
                1,
                24 * 365,
            ),
            ("jobs_poll_ms", self.jobs_poll_ms.into(), 10, 600_000),
            ("db_pool_size", self.db_pool_size.into(), 1, 200),
            (
                "session_ttl_hours",
                self.session_ttl_hours.into(),
                1,
                24 * 90,
            ),
            (
                "session_idle_minutes",
                self.session_idle_minutes.into(),
                1,
                60 * 24 * 90,
            ),
            (
                "access_token_ttl_secs",
                self.access_token_ttl_secs.into(),
                30,
                86_400,
            ),
            (
                "refresh_token_ttl_days",
                self.refresh_token_ttl_days.into(),
                1,
                365,
            ),
            (
                "pending_login_ttl_secs",
                self.pending_login_ttl_secs.into(),
                30,
                3600,
            ),
            ("bcrypt_cost", self.bcrypt_cost.into(), 4, 31),
            (
                "auth_rate_per_minute",
                self.auth_rate_per_minute.into(),
                1,
                1_000_000,
            ),
            (
                "api_rate_per_minute",
                self.api_rate_per_minute.into(),
                1,
                10_000_000,
            ),
            ("lockout_threshold", self.lockout_threshold.into(), 1, 1000),
            (
                "lockout_base_secs",
                self.lockout_base_secs.into(),
                1,
                86_400,
            ),
            (
                "provider_connect_timeout_secs",
                self.provider_connect_timeout_secs.into(),
                1,
                300,
            ),
            (
                "provider_timeout_secs",
                self.provider_timeout_secs.into(),
                1,
                3600,
            ),
            (
                "provider_max_retries",
                self.provider_max_retries.into(),
                0,
                10,
            ),
            (
                "provider_rate_per_second",
                self.provider_rate_per_second.into(),
                0,
                100_000,
            ),
            (
                "json_limit_bytes",
                self.json_limit_bytes as u64,
                1024,
                64 * 1024 * 1024,
            ),
            ("upload_quota_bytes", self.upload_quota_bytes, 1, 1 << 50),
        ];
        for (name, value, min, max) in ranges {
            if value < min || value > max {
                return Err(err(
                    name,
                    format!("must be between {min} and {max}, got {value}"),
                ));
            }
        }
        if self.lockout_max_secs < self.lockout_base_secs {
            return Err(err(
                "lockout_max_secs",
                "must be at least LEADGEN_LOCKOUT_BASE_SECS",
            ));
        }
        if !matches!(self.log_format.as_str(), "json" | "pretty") {
            return Err(err("log_format", "must be json or pretty"));
        }
        if self.totp_issuer.trim().is_empty() || self.totp_issuer.contains(':') {
            return Err(err("totp_issuer", "must be non-empty and contain no ':'"));
        }
        Ok(())
    }

    pub fn backend(&self) -> Result<Backend, ConfigError> {
        let url = self.database_url.as_str();
        if url.starts_with("sqlite://") || url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(ConfigError {
                setting: "DATABASE_URL".into(),
                message: "must start with sqlite:// or postgres://".into(),
            })
        }
    }

    /// Every provider base URL setting with its name (`None`: not configured).
    pub fn provider_base_urls(&self) -> [(&'static str, Option<&str>); 11] {
        [
            (
                "instagram_www_base_url",
                Some(self.instagram_www_base_url.as_str()),
            ),
            (
                "instagram_api_base_url",
                Some(self.instagram_api_base_url.as_str()),
            ),
            (
                "instagram_graph_base_url",
                Some(self.instagram_graph_base_url.as_str()),
            ),
            ("apify_base_url", Some(self.apify_base_url.as_str())),
            (
                "perplexity_base_url",
                Some(self.perplexity_base_url.as_str()),
            ),
            ("openai_base_url", Some(self.openai_base_url.as_str())),
            (
                "google_accounts_base_url",
                Some(self.google_accounts_base_url.as_str()),
            ),
            (
                "google_oauth_base_url",
                Some(self.google_oauth_base_url.as_str()),
            ),
            ("gmail_base_url", Some(self.gmail_base_url.as_str())),
            ("sidecar_base_url", self.sidecar_base_url.as_deref()),
            ("telegram_base_url", Some(self.telegram_base_url.as_str())),
        ]
    }

    pub fn allowed_origin_list(&self) -> Vec<String> {
        self.allowed_origins
            .split(',')
            .map(|s| s.trim().trim_end_matches('/').to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// An absolute http(s) URL without query or fragment (a path prefix is allowed).
fn is_base_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.query().is_none()
            && u.fragment().is_none()
    })
}

#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Settings::default().validate().unwrap();
    }

    #[test]
    fn errors_name_the_setting() {
        let s = Settings {
            bcrypt_cost: 3,
            ..Settings::default()
        };
        assert_eq!(s.validate().unwrap_err().setting, "LEADGEN_BCRYPT_COST");
        let s = Settings {
            database_url: "mysql://x".into(),
            ..Settings::default()
        };
        assert_eq!(s.validate().unwrap_err().setting, "DATABASE_URL");
        let s = Settings {
            allowed_origins: "https://a.example/path".into(),
            ..Settings::default()
        };
        assert_eq!(s.validate().unwrap_err().setting, "LEADGEN_ALLOWED_ORIGINS");
        let s = Settings {
            openai_base_url: "api.openai.com".into(),
            ..Settings::default()
        };
        assert_eq!(s.validate().unwrap_err().setting, "LEADGEN_OPENAI_BASE_URL");
        let s = Settings {
            sidecar_base_url: Some("ftp://sidecar".into()),
            ..Settings::default()
        };
        assert_eq!(
            s.validate().unwrap_err().setting,
            "LEADGEN_SIDECAR_BASE_URL"
        );
        let s = Settings {
            apify_profile_actor: "instagram-profile-scraper".into(),
            ..Settings::default()
        };
        assert_eq!(
            s.validate().unwrap_err().setting,
            "LEADGEN_APIFY_PROFILE_ACTOR"
        );
        let s = Settings {
            provider_rate_per_second: 100_001,
            ..Settings::default()
        };
        assert_eq!(
            s.validate().unwrap_err().setting,
            "LEADGEN_PROVIDER_RATE_PER_SECOND"
        );
    }

    #[test]
    fn provider_base_urls_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("LEADGEN_APIFY_BASE_URL", "http://127.0.0.1:9/apify");
            jail.set_env("LEADGEN_SIDECAR_BASE_URL", "http://127.0.0.1:9/sidecar");
            let s = Settings::load().unwrap();
            assert_eq!(s.apify_base_url, "http://127.0.0.1:9/apify");
            assert_eq!(
                s.sidecar_base_url.as_deref(),
                Some("http://127.0.0.1:9/sidecar")
            );
            assert_eq!(s.openai_base_url, "https://api.openai.com");
            Ok(())
        });
    }

    #[test]
    fn env_overrides_and_type_errors_name_the_setting() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("LEADGEN_BCRYPT_COST", "5");
            jail.set_env("DATABASE_URL", "postgres://x@localhost/db");
            let s = Settings::load().unwrap();
            assert_eq!(s.bcrypt_cost, 5);
            assert_eq!(s.backend().unwrap(), Backend::Postgres);
            jail.set_env("LEADGEN_TEST_BACKEND", "postgres");
            jail.set_env("LEADGEN_BIN", "/x");
            assert!(
                Settings::load().is_ok(),
                "harness variables are not settings"
            );
            jail.set_env("LEADGEN_BCRYT_COST", "5");
            assert_eq!(
                Settings::load().unwrap_err().setting,
                "LEADGEN_BCRYT_COST",
                "a typo is named"
            );
            jail.set_env("LEADGEN_BCRYT_COST", "");
            jail.set_env("LEADGEN_BCRYPT_COST", "lots");
            let e = Settings::load().unwrap_err();
            assert_eq!(e.setting, "LEADGEN_BCRYPT_COST");
            Ok(())
        });
    }

    #[test]
    fn file_layer_sits_between_defaults_and_env() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("leadgen.toml", "bind = \"0.0.0.0:9000\"\nbcrypt_cost = 6\n")?;
            jail.set_env("LEADGEN_BCRYPT_COST", "7");
            let s = Settings::load().unwrap();
            assert_eq!(s.bind, "0.0.0.0:9000");
            assert_eq!(s.bcrypt_cost, 7);
            jail.create_file("bad.toml", "no_such_setting = 1\n")?;
            jail.set_env("LEADGEN_CONFIG", "bad.toml");
            assert!(Settings::load().is_err());
            Ok(())
        });
    }
}
