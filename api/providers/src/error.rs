//! The one error type of every provider client. `kind` tells apart what a caller does next (reconnect, top up,
//! wait, fix the input, give up); `code()` maps it to the stable code of the app's error type.

use crate::Provider;
use leadgen_core::{ApiError, ErrorCode};
use serde_json::json;
use std::fmt;
use std::time::Duration;

/// What went wrong, in the terms a caller acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderErrorKind {
    /// The key, token or password is wrong or was revoked.
    Auth,
    /// The token has expired (Instagram code 190 expired, Google `invalid_grant`): the user connects again.
    TokenExpired,
    /// Out of credits or quota (Apify 402, OpenAI `insufficient_quota`, Gmail daily limit). Not retried.
    QuotaExceeded,
    /// 429 or the provider's throttling answer; `retry_after` says how long to wait when the provider said so.
    RateLimited,
    /// The provider refused the request as malformed (other 4xx).
    BadRequest,
    NotFound,
    /// 5xx, timeouts, connection failures, Apify's 408: retried, and this kind when the retries ran out.
    Transient,
    /// A 2xx whose body is not what the provider documents (malformed JSON, missing fields, schema mismatch).
    InvalidResponse,
    /// The model refused to answer (OpenAI `message.refusal`).
    Refused,
    /// An Apify actor run ended FAILED, ABORTED or TIMED-OUT.
    RunFailed,
    /// Gmail: the `startHistoryId` is too old (404 on history.list): do a full sync instead.
    HistoryTooOld,
    /// Sidecar: Instagram wants a checkpoint/challenge completed.
    ChallengeRequired,
    /// Sidecar: log in again with the two-factor code.
    TwoFactorRequired,
    /// Sidecar: the session is gone (`LoginRequired`, unknown session id): relogin.
    LoginRequired,
    /// Sidecar: `FeedbackRequired` / action blocked: back off for hours.
    ActionBlocked,
    /// Sidecar: "Please wait a few minutes": cool down.
    PleaseWait,
}

impl ProviderErrorKind {
    pub const ALL: &'static [ProviderErrorKind] = &[
        ProviderErrorKind::Auth,
        ProviderErrorKind::TokenExpired,
        ProviderErrorKind::QuotaExceeded,
        ProviderErrorKind::RateLimited,
        ProviderErrorKind::BadRequest,
        ProviderErrorKind::NotFound,
        ProviderErrorKind::Transient,
        ProviderErrorKind::InvalidResponse,
        ProviderErrorKind::Refused,
        ProviderErrorKind::RunFailed,
        ProviderErrorKind::HistoryTooOld,
        ProviderErrorKind::ChallengeRequired,
        ProviderErrorKind::TwoFactorRequired,
        ProviderErrorKind::LoginRequired,
        ProviderErrorKind::ActionBlocked,
        ProviderErrorKind::PleaseWait,
    ];

    /// The stable code of the app's error type.
    pub fn code(self) -> ErrorCode {
        match self {
            ProviderErrorKind::Auth => ErrorCode::ProviderAuthFailed,
            ProviderErrorKind::TokenExpired => ErrorCode::ProviderTokenExpired,
            ProviderErrorKind::QuotaExceeded => ErrorCode::ProviderQuotaExceeded,
            ProviderErrorKind::RateLimited => ErrorCode::ProviderRateLimited,
            ProviderErrorKind::BadRequest => ErrorCode::ProviderBadRequest,
            ProviderErrorKind::NotFound => ErrorCode::ProviderNotFound,
            ProviderErrorKind::Transient => ErrorCode::ProviderUnavailable,
            ProviderErrorKind::InvalidResponse => ErrorCode::ProviderInvalidResponse,
            ProviderErrorKind::Refused => ErrorCode::ProviderRefused,
            ProviderErrorKind::RunFailed => ErrorCode::ProviderRunFailed,
            ProviderErrorKind::HistoryTooOld => ErrorCode::ProviderHistoryTooOld,
            ProviderErrorKind::ChallengeRequired => ErrorCode::InstagramChallengeRequired,
            ProviderErrorKind::TwoFactorRequired => ErrorCode::InstagramTwoFactorRequired,
            ProviderErrorKind::LoginRequired => ErrorCode::InstagramLoginRequired,
            ProviderErrorKind::ActionBlocked => ErrorCode::InstagramActionBlocked,
            ProviderErrorKind::PleaseWait => ErrorCode::InstagramPleaseWait,
        }
    }

    /// Whether the shared layer tries again (within its retry budget and deadline).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ProviderErrorKind::RateLimited | ProviderErrorKind::Transient
        )
    }
}

impl fmt::Display for ProviderErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code().as_str())
    }
}

/// A failed provider call. `message` never holds a secret (the transport scrubs every credential it sent).
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "{provider} {operation} failed: {kind} (status {status:?}, {attempts} attempt(s)): {message}"
)]
pub struct ProviderError {
    pub provider: Provider,
    pub operation: &'static str,
    pub kind: ProviderErrorKind,
    /// The provider's HTTP status, when it answered.
    pub status: Option<u16>,
    pub message: String,
    /// How long the provider asked us to wait (Retry-After or its body equivalent).
    pub retry_after: Option<Duration>,
    /// How many HTTP attempts were made (1 = no retry).
    pub attempts: u32,
    /// Tokens a model call cost even though it failed (a refusal, an answer off the schema).
    pub usage: Option<crate::openai::Usage>,
}

impl ProviderError {
    pub fn new(
        provider: Provider,
        operation: &'static str,
        kind: ProviderErrorKind,
        message: impl Into<String>,
    ) -> Self {
        ProviderError {
            provider,
            operation,
            kind,
            status: None,
            message: message.into(),
            retry_after: None,
            attempts: 0,
            usage: None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.kind.code()
    }
}

impl From<ProviderError> for ApiError {
    fn from(e: ProviderError) -> Self {
        let code = e.code();
        let mut details = json!({ "provider": e.provider.as_str(), "operation": e.operation });
        if let (Some(status), Some(obj)) = (e.status, details.as_object_mut()) {
            obj.insert("provider_status".into(), json!(status));
        }
        let retry = e.retry_after;
        let mut api = ApiError::new(code).with_details(details);
        if let Some(wait) = retry {
            api = api.with_retry_after(wait.as_secs_f64().ceil() as u64);
        }
        api.with_cause(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_kind_has_its_own_stable_code() {
        let codes: HashSet<&str> = ProviderErrorKind::ALL
            .iter()
            .map(|k| k.code().as_str())
            .collect();
        assert_eq!(codes.len(), ProviderErrorKind::ALL.len());
        for code in ErrorCode::ALL {
            let s = code.as_str();
            if s.starts_with("provider_") || s.starts_with("instagram_") {
                assert!(
                    codes.contains(s),
                    "{s} is not reachable from a provider error"
                );
            }
        }
    }

    #[test]
    fn api_error_carries_the_code_and_the_wait_but_not_the_message() {
        let mut e = ProviderError::new(
            Provider::OpenAi,
            "chat_completions",
            ProviderErrorKind::RateLimited,
            "slow down",
        );
        e.retry_after = Some(Duration::from_millis(1500));
        e.status = Some(429);
        let api = ApiError::from(e);
        assert_eq!(api.code, ErrorCode::ProviderRateLimited);
        assert_eq!(api.retry_after_secs, Some(2));
        assert_eq!(
            api.details,
            Some(
                json!({"provider":"openai","operation":"chat_completions","provider_status":429,"retry_after_secs":2})
            )
        );
        assert!(!api.message.contains("slow down"));
    }
}
