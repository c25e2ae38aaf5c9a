//! The one transport every client uses: rate limiter → attempt (connect + total timeout) → classify → retry with
//! jittered exponential backoff or the provider's `Retry-After`, all inside one deadline per call. Every attempt
//! is traced with the URL's credentials redacted.

use crate::error::{ProviderError, ProviderErrorKind};
use crate::Provider;
use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use leadgen_core::config::Settings;
use rand::Rng;
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER,
};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// Timeouts, retries and rate of one provider's calls.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    /// TCP (+TLS) connect timeout.
    pub connect_timeout: Duration,
    /// Total time of one attempt, from connecting until the body is read.
    pub attempt_timeout: Duration,
    /// Total time of one call including every retry and wait; nothing waits past it.
    pub deadline: Duration,
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// First backoff; doubles per retry, up to `backoff_max`, with jitter (half fixed, half random).
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// A `Retry-After` longer than this is not waited for: the call fails at once as rate limited, with the wait.
    pub max_retry_after: Duration,
    /// Sustained requests per second through this client (and its clones), and the burst above it.
    pub rate_per_second: u32,
    pub burst: u32,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(60),
            deadline: Duration::from_secs(180),
            max_retries: 3,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            rate_per_second: 10,
            burst: 10,
        }
    }
}

impl HttpPolicy {
    /// The policy for `provider` with the timeouts and retries of the settings.
    pub fn for_provider(provider: Provider, settings: &Settings) -> Self {
        let (rate_per_second, burst) = match settings.provider_rate_per_second {
            0 => Self::built_in_rate(provider),
            rate => (rate, rate),
        };
        let attempt_timeout = Duration::from_secs(settings.provider_timeout_secs.into());
        HttpPolicy {
            connect_timeout: Duration::from_secs(settings.provider_connect_timeout_secs.into()),
            attempt_timeout,
            deadline: attempt_timeout * 3,
            max_retries: settings.provider_max_retries,
            rate_per_second,
            burst,
            ..HttpPolicy::default()
        }
    }

    /// The built-in rate (per second) and burst of `provider`'s calls, used unless
    /// `LEADGEN_PROVIDER_RATE_PER_SECOND` sets one for all.
    pub fn built_in_rate(provider: Provider) -> (u32, u32) {
        match provider {
            // Instagram's Conversations API allows about 2 calls/s per account; stay polite overall.
            Provider::Instagram => (5, 10),
            Provider::Apify => (20, 20),
            Provider::Perplexity => (5, 5),
            Provider::OpenAi => (10, 10),
            Provider::Google | Provider::Gmail => (10, 10),
            Provider::Sidecar => (2, 4),
            Provider::Telegram => (25, 25),
        }
    }

    /// The wait before retry number `retry` (1-based): `d/2 + rand(0..=d/2)` with `d = min(base·2^(retry-1), max)`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let d = exp.min(self.backoff_max);
        let half = d / 2;
        half + half.mul_f64(rand::thread_rng().gen_range(0.0..=1.0))
    }
}

/// How a provider's non-2xx answer reads: what kind of failure, a message without secrets, and the wait it asked for.
#[derive(Debug, Clone)]
pub struct Classified {
    pub kind: ProviderErrorKind,
    pub message: String,
    pub retry_after: Option<Duration>,
}

/// A non-2xx answer handed to a provider's classifier.
pub struct Failure<'a> {
    pub status: StatusCode,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl Failure<'_> {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(self.body).ok()
    }
    /// The `Retry-After` header: seconds (decimals allowed) or an HTTP date.
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(self.headers)
    }
    /// The string at `pointer` of the JSON error body, or "" (no body, not JSON, no such field).
    pub fn str_at(&self, pointer: &str) -> String {
        self.json()
            .and_then(|b| {
                b.pointer(pointer)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    }
    /// The message at `pointer` of the JSON error body, else the body as text.
    pub fn message_at(&self, pointer: &str) -> String {
        Some(self.str_at(pointer))
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| self.text())
    }
    /// The body as text, cut short (for messages).
    pub fn text(&self) -> String {
        let t = String::from_utf8_lossy(self.body);
        t.chars().take(300).collect()
    }
    /// The classification every provider starts from: by status only.
    pub fn by_status(&self, message: impl Into<String>) -> Classified {
        let kind = match self.status.as_u16() {
            401 | 403 => ProviderErrorKind::Auth,
            402 => ProviderErrorKind::QuotaExceeded,
            404 | 410 => ProviderErrorKind::NotFound,
            408 => ProviderErrorKind::Transient,
            429 => ProviderErrorKind::RateLimited,
            s if s >= 500 => ProviderErrorKind::Transient,
            _ => ProviderErrorKind::BadRequest,
        };
        Classified {
            kind,
            message: message.into(),
            retry_after: self.retry_after(),
        }
    }
}

pub type Classifier = fn(&Failure<'_>) -> Classified;

/// Parses `Retry-After` (delta-seconds, tolerated as a decimal, or an HTTP date).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

enum Body {
    None,
    /// Serialised once when the request is described; every attempt sends the same bytes.
    Json(bytes::Bytes),
    Form(Vec<(String, String)>),
}

/// One request, described before it is sent (so it can be sent again on retry).
pub struct Request {
    operation: &'static str,
    method: Method,
    url: String,
    query: Vec<(String, String)>,
    body: Body,
    headers: Vec<(HeaderName, String)>,
    /// Values that must never appear in a trace or an error message.
    secrets: Vec<String>,
    retry_408: bool,
    attempt_timeout: Option<Duration>,
    deadline: Option<Duration>,
    /// Why the request cannot be sent (a body that would not serialise): the call fails without an attempt.
    invalid: Option<String>,
}

impl Request {
    pub fn new(method: Method, operation: &'static str, url: String) -> Self {
        Request {
            operation,
            method,
            url,
            query: Vec::new(),
            body: Body::None,
            headers: Vec::new(),
            secrets: Vec::new(),
            retry_408: true,
            attempt_timeout: None,
            deadline: None,
            invalid: None,
        }
    }
    pub fn get(operation: &'static str, url: String) -> Self {
        Request::new(Method::GET, operation, url)
    }
    pub fn post(operation: &'static str, url: String) -> Self {
        Request::new(Method::POST, operation, url)
    }
    pub fn operation(&self) -> &'static str {
        self.operation
    }
    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }
    /// A query parameter holding a credential (redacted in traces).
    pub fn query_secret(mut self, key: &str, value: &SecretString) -> Self {
        self.secrets.push(value.expose_secret().to_owned());
        self.query
            .push((key.to_owned(), value.expose_secret().to_owned()));
        self
    }
    /// A JSON body (a `Value` or any `Serialize`, borrowed or owned), written out now.
    pub fn json(mut self, body: impl serde::Serialize) -> Self {
        match serde_json::to_vec(&body) {
            Ok(bytes) => self.body = Body::Json(bytes.into()),
            Err(e) => {
                self.invalid = Some(format!("the request body cannot be written as JSON: {e}"))
            }
        }
        self
    }
    pub fn form(mut self, fields: Vec<(String, String)>) -> Self {
        self.body = Body::Form(fields);
        self
    }
    pub fn bearer(mut self, token: &SecretString) -> Self {
        self.secrets.push(token.expose_secret().to_owned());
        self.headers
            .push((AUTHORIZATION, format!("Bearer {}", token.expose_secret())));
        self
    }
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    /// A header holding a credential (e.g. the sidecar's `X-Session-ID`).
    pub fn header_secret(mut self, name: HeaderName, value: &SecretString) -> Self {
        self.secrets.push(value.expose_secret().to_owned());
        self.headers.push((name, value.expose_secret().to_owned()));
        self
    }
    /// Marks a value sent some other way (a form field, a path segment) as secret.
    pub fn secret(mut self, value: &str) -> Self {
        self.secrets.push(value.to_owned());
        self
    }
    /// A 408 is an answer to act on (Apify's sync run), not a failure to retry.
    pub fn no_retry_on_408(mut self) -> Self {
        self.retry_408 = false;
        self
    }
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Replaces every secret value in `text` by `[redacted]`.
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            // Short values would blank out ordinary words; credentials are longer than this.
            if s.len() >= 4 {
                out = out.replace(s.as_str(), "[redacted]");
                let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
                if encoded != *s {
                    out = out.replace(encoded.as_str(), "[redacted]");
                }
            }
        }
        out
    }

    /// The URL as traced: secrets scrubbed, credential-looking query parameters redacted whatever their value.
    fn shown_url(&self) -> String {
        let mut shown = self.scrub(&self.url);
        let mut sep = '?';
        for (k, v) in &self.query {
            let v = if is_secret_key(k) {
                "[redacted]".to_owned()
            } else {
                self.scrub(v)
            };
            shown.push(sep);
            shown.push_str(k);
            shown.push('=');
            shown.push_str(&v);
            sep = '&';
        }
        shown
    }
}

/// Query and form keys that carry credentials.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "key",
        "session",
        "code",
        "authorization",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// A 2xx answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
    pub attempts: u32,
}

/// The shared transport of one provider: a connection pool, its policy, its rate limiter and its classifier.
/// Cheap to clone; clones share the limiter.
#[derive(Clone)]
pub struct Http {
    inner: Arc<Inner>,
}

struct Inner {
    provider: Provider,
    client: reqwest::Client,
    policy: HttpPolicy,
    limiter: DefaultDirectRateLimiter,
    classify: Classifier,
}

impl Http {
    pub fn new(
        provider: Provider,
        policy: HttpPolicy,
        classify: Classifier,
    ) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .user_agent(concat!("leadgen/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                ProviderError::new(
                    provider,
                    "client",
                    ProviderErrorKind::Transient,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        let rate = NonZeroU32::new(policy.rate_per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(policy.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::direct(Quota::per_second(rate).allow_burst(burst));
        Ok(Http {
            inner: Arc::new(Inner {
                provider,
                client,
                policy,
                limiter,
                classify,
            }),
        })
    }

    pub fn provider(&self) -> Provider {
        self.inner.provider
    }

    pub fn policy(&self) -> &HttpPolicy {
        &self.inner.policy
    }

    /// An error of this provider made by a client (not from an HTTP answer).
    pub fn error(
        &self,
        operation: &'static str,
        kind: ProviderErrorKind,
        message: impl Into<String>,
    ) -> ProviderError {
        ProviderError::new(self.inner.provider, operation, kind, message)
    }

    /// Sends and parses a JSON answer.
    pub async fn json<T: DeserializeOwned>(&self, req: Request) -> Result<T, ProviderError> {
        let op = req.operation;
        let reply = self.send(req).await?;
        self.parse(op, &reply)
    }

    /// Parses a 2xx body, or an `InvalidResponse` error naming what did not fit.
    pub fn parse<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        reply: &Reply,
    ) -> Result<T, ProviderError> {
        serde_json::from_slice(&reply.body).map_err(|e| {
            let mut err = self.error(
                operation,
                ProviderErrorKind::InvalidResponse,
                format!("unexpected answer: {e}"),
            );
            err.status = Some(reply.status.as_u16());
            err.attempts = reply.attempts;
            err
        })
    }

    /// Sends with rate limiting, timeouts and retries. A non-2xx final answer is a classified error.
    pub async fn send(&self, req: Request) -> Result<Reply, ProviderError> {
        let span = tracing::info_span!(
            "provider_call",
            provider = self.inner.provider.as_str(),
            operation = req.operation,
            method = %req.method,
            url = %req.shown_url(),
        );
        self.send_inner(req).instrument(span).await
    }

    async fn send_inner(&self, req: Request) -> Result<Reply, ProviderError> {
        if let Some(why) = &req.invalid {
            return Err(self.error(req.operation, ProviderErrorKind::BadRequest, why.clone()));
        }
        let policy = &self.inner.policy;
        let started = Instant::now();
        let deadline = started + req.deadline.unwrap_or(policy.deadline);
        let mut attempts = 0u32;
        loop {
            if let Err(wait) = self.acquire(deadline).await {
                let mut err = self.error(
                    req.operation,
                    ProviderErrorKind::RateLimited,
                    "the local rate limit for this provider leaves no room before the deadline",
                );
                err.retry_after = Some(wait);
                err.attempts = attempts;
                return Err(err);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let timeout = req
                .attempt_timeout
                .unwrap_or(policy.attempt_timeout)
                .min(remaining);
            attempts += 1;
            let t0 = Instant::now();
            let outcome = self.attempt(&req, timeout).await;
            let elapsed_ms = t0.elapsed().as_millis() as u64;
            let (mut err, retryable) = match outcome {
                Ok((status, headers, body)) if status.is_success() => {
                    tracing::debug!(
                        status = status.as_u16(),
                        attempt = attempts,
                        elapsed_ms,
                        "provider answered"
                    );
                    return Ok(Reply {
                        status,
                        headers,
                        body,
                        attempts,
                    });
                }
                Ok((status, headers, body)) => {
                    let c = (self.inner.classify)(&Failure {
                        status,
                        headers: &headers,
                        body: &body,
                    });
                    let retryable = c.kind.is_retryable()
                        && (req.retry_408 || status != StatusCode::REQUEST_TIMEOUT);
                    let mut err = self.error(req.operation, c.kind, req.scrub(&c.message));
                    err.status = Some(status.as_u16());
                    err.retry_after = c.retry_after;
                    tracing::debug!(status = status.as_u16(), attempt = attempts, elapsed_ms, kind = %c.kind, "provider refused");
                    (err, retryable)
                }
                Err(message) => {
                    let err = self.error(
                        req.operation,
                        ProviderErrorKind::Transient,
                        req.scrub(&message),
                    );
                    tracing::debug!(attempt = attempts, elapsed_ms, error = %err.message, "provider not reached");
                    (err, true)
                }
            };
            err.attempts = attempts;
            if !retryable || attempts > policy.max_retries {
                tracing::info!(attempts, kind = %err.kind, status = ?err.status, "provider call failed");
                return Err(err);
            }
            let wait = match err.retry_after {
                Some(asked) if asked > policy.max_retry_after => {
                    tracing::info!(
                        attempts,
                        retry_after_ms = asked.as_millis() as u64,
                        "provider asks for a longer wait than allowed"
                    );
                    return Err(err);
                }
                // Honour the wait, plus up to 5 % so that callers told the same wait do not return together.
                Some(asked) => asked + asked.mul_f64(rand::thread_rng().gen_range(0.0..0.05)),
                None => policy.backoff(attempts),
            };
            if Instant::now() + wait >= deadline {
                tracing::info!(
                    attempts,
                    wait_ms = wait.as_millis() as u64,
                    "no time left for another attempt"
                );
                return Err(err);
            }
            tracing::warn!(
                attempt = attempts,
                kind = %err.kind,
                status = ?err.status,
                wait_ms = wait.as_millis() as u64,
                "provider call failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits for the rate limiter, or answers how long it would have to wait past the deadline.
    async fn acquire(&self, deadline: Instant) -> Result<(), Duration> {
        let limiter = &self.inner.limiter;
        loop {
            match limiter.check() {
                Ok(()) => return Ok(()),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(limiter.clock().now());
                    if Instant::now() + wait > deadline {
                        return Err(wait);
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One attempt: the status, headers and whole body, or why there is none (without the URL).
    async fn attempt(
        &self,
        req: &Request,
        timeout: Duration,
    ) -> Result<(StatusCode, HeaderMap, bytes::Bytes), String> {
        let mut rb = self.inner.client.request(req.method.clone(), &req.url);
        if !req.query.is_empty() {
            rb = rb.query(&req.query);
        }
        for (name, value) in &req.headers {
            let mut v = HeaderValue::from_str(value)
                .map_err(|_| "a header value is not valid".to_owned())?;
            if name == AUTHORIZATION || req.secrets.iter().any(|s| s == value) {
                v.set_sensitive(true);
            }
            rb = rb.header(name.clone(), v);
        }
        rb = match &req.body {
            Body::None => rb,
            Body::Json(b) => rb
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(b.clone()),
            Body::Form(f) => rb.form(f),
        };
        let run = async {
            let mut resp = rb.send().await.map_err(describe)?;
            let status = resp.status();
            let headers = std::mem::take(resp.headers_mut());
            let body = resp.bytes().await.map_err(describe)?;
            Ok((status, headers, body))
        };
        // One timer for the whole attempt: connecting, sending, the answer and its body to the last byte.
        match tokio::time::timeout(timeout, run).await {
            Ok(r) => r,
            Err(_) => Err(format!("timed out after {} ms", timeout.as_millis())),
        }
    }
}

/// A transport error in words, without the URL (which may carry a credential).
fn describe(e: reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    let e = e.without_url();
    let mut msg = format!("{what}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg.chars().take(400).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_decimals_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("1.5"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        h.insert(RETRY_AFTER, HeaderValue::from_str(&at).unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(28) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p = HttpPolicy {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(300),
            ..HttpPolicy::default()
        };
        for _ in 0..50 {
            let b1 = p.backoff(1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100));
            let b2 = p.backoff(2);
            assert!(b2 >= Duration::from_millis(100) && b2 <= Duration::from_millis(200));
            let b9 = p.backoff(9);
            assert!(b9 >= Duration::from_millis(150) && b9 <= Duration::from_millis(300));
        }
    }

    #[test]
    fn the_rate_setting_overrides_every_providers_built_in_rate() {
        let built_in = Settings::default();
        let p = HttpPolicy::for_provider(Provider::Perplexity, &built_in);
        assert_eq!((p.rate_per_second, p.burst), (5, 5));
        let p = HttpPolicy::for_provider(Provider::OpenAi, &built_in);
        assert_eq!((p.rate_per_second, p.burst), (10, 10));
        let fast = Settings {
            provider_rate_per_second: 5000,
            ..Settings::default()
        };
        for provider in [Provider::Perplexity, Provider::OpenAi, Provider::Apify] {
            let p = HttpPolicy::for_provider(provider, &fast);
            assert_eq!((p.rate_per_second, p.burst), (5000, 5000), "{provider:?}");
        }
    }

    #[test]
    fn shown_url_hides_credentials() {
        let token = SecretString::from("IGQVJtoken-123");
        let req = Request::get(
            "refresh",
            "https://api.telegram.org/bot12345:AAbbcc/sendMessage".into(),
        )
        .secret("12345:AAbbcc")
        .query_secret("access_token", &token)
        .query("client_secret", "whatever-it-is")
        .query("fields", "id,username");
        let shown = req.shown_url();
        assert_eq!(
            shown,
            "https://api.telegram.org/bot[redacted]/sendMessage?access_token=[redacted]&client_secret=[redacted]&fields=id,username"
        );
    }
}
