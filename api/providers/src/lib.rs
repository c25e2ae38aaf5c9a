//! Clients for everything leadgen does with the outside world. Every call goes through one transport
//! ([`http::Http`]): connect and total timeouts, bounded retries with jittered exponential backoff on 429, 5xx,
//! timeouts and Apify's 408 (honouring `Retry-After`), a rate limiter per provider, one error type
//! ([`ProviderError`]) mapped to the app's stable codes, and traces with every credential redacted.
//!
//! The clients know nothing of the database: credentials come in as arguments, results go out as plain structs.

pub mod apify;
pub mod error;
pub mod google;
pub mod http;
pub mod instagram;
pub mod openai;
pub mod perplexity;
pub mod sidecar;
pub mod telegram;
mod text;

pub use error::{ProviderError, ProviderErrorKind};
pub use http::{Http, HttpPolicy};

use serde::Serialize;
use std::fmt;

pub type ProviderResult<T> = Result<T, ProviderError>;

/// The outside services leadgen talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Instagram,
    Apify,
    Perplexity,
    OpenAi,
    Google,
    Gmail,
    Sidecar,
    Telegram,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Instagram => "instagram",
            Provider::Apify => "apify",
            Provider::Perplexity => "perplexity",
            Provider::OpenAi => "openai",
            Provider::Google => "google",
            Provider::Gmail => "gmail",
            Provider::Sidecar => "sidecar",
            Provider::Telegram => "telegram",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Joins a base URL (`https://host[/prefix]`) and an absolute path (`/v1/…`).
pub(crate) fn join(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}
