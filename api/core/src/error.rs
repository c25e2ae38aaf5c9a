//! The one error type. Every failure a client can see has a stable snake_case code; the cause is logged,
//! never serialised. Response shape: `{"error":{"code","message","details"}}`.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt;

/// Stable error codes. Adding one is an API change; renaming one is a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthenticated,
    InvalidCredentials,
    InvalidTotpCode,
    LoginStepExpired,
    Forbidden,
    CsrfFailed,
    PasswordChangeRequired,
    TotpSetupRequired,
    TokenScopeInsufficient,
    SelfProtection,
    NotFound,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    AccountLocked,
    RateLimited,
    Internal,
    Unavailable,
    ProviderAuthFailed,
    ProviderTokenExpired,
    ProviderQuotaExceeded,
    ProviderRateLimited,
    ProviderBadRequest,
    ProviderNotFound,
    ProviderUnavailable,
    ProviderInvalidResponse,
    ProviderRefused,
    ProviderRunFailed,
    ProviderHistoryTooOld,
    InstagramChallengeRequired,
    InstagramTwoFactorRequired,
    InstagramLoginRequired,
    InstagramActionBlocked,
    InstagramPleaseWait,
    LastOwner,
    HeavyOperationRunning,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::BadRequest,
        ErrorCode::Unauthenticated,
        ErrorCode::InvalidCredentials,
        ErrorCode::InvalidTotpCode,
        ErrorCode::LoginStepExpired,
        ErrorCode::Forbidden,
        ErrorCode::CsrfFailed,
        ErrorCode::PasswordChangeRequired,
        ErrorCode::TotpSetupRequired,
        ErrorCode::TokenScopeInsufficient,
        ErrorCode::SelfProtection,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::ValidationFailed,
        ErrorCode::AccountLocked,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
        ErrorCode::ProviderAuthFailed,
        ErrorCode::ProviderTokenExpired,
        ErrorCode::ProviderQuotaExceeded,
        ErrorCode::ProviderRateLimited,
        ErrorCode::ProviderBadRequest,
        ErrorCode::ProviderNotFound,
        ErrorCode::ProviderUnavailable,
        ErrorCode::ProviderInvalidResponse,
        ErrorCode::ProviderRefused,
        ErrorCode::ProviderRunFailed,
        ErrorCode::ProviderHistoryTooOld,
        ErrorCode::InstagramChallengeRequired,
        ErrorCode::InstagramTwoFactorRequired,
        ErrorCode::InstagramLoginRequired,
        ErrorCode::InstagramActionBlocked,
        ErrorCode::InstagramPleaseWait,
        ErrorCode::LastOwner,
        ErrorCode::HeavyOperationRunning,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::InvalidTotpCode => "invalid_totp_code",
            ErrorCode::LoginStepExpired => "login_step_expired",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::CsrfFailed => "csrf_failed",
            ErrorCode::PasswordChangeRequired => "password_change_required",
            ErrorCode::TotpSetupRequired => "totp_setup_required",
            ErrorCode::TokenScopeInsufficient => "token_scope_insufficient",
            ErrorCode::SelfProtection => "self_protection",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::AccountLocked => "account_locked",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::ProviderAuthFailed => "provider_auth_failed",
            ErrorCode::ProviderTokenExpired => "provider_token_expired",
            ErrorCode::ProviderQuotaExceeded => "provider_quota_exceeded",
            ErrorCode::ProviderRateLimited => "provider_rate_limited",
            ErrorCode::ProviderBadRequest => "provider_bad_request",
            ErrorCode::ProviderNotFound => "provider_not_found",
            ErrorCode::ProviderUnavailable => "provider_unavailable",
            ErrorCode::ProviderInvalidResponse => "provider_invalid_response",
            ErrorCode::ProviderRefused => "provider_refused",
            ErrorCode::ProviderRunFailed => "provider_run_failed",
            ErrorCode::ProviderHistoryTooOld => "provider_history_too_old",
            ErrorCode::InstagramChallengeRequired => "instagram_challenge_required",
            ErrorCode::InstagramTwoFactorRequired => "instagram_two_factor_required",
            ErrorCode::InstagramLoginRequired => "instagram_login_required",
            ErrorCode::InstagramActionBlocked => "instagram_action_blocked",
            ErrorCode::InstagramPleaseWait => "instagram_please_wait",
            ErrorCode::LastOwner => "last_owner",
            ErrorCode::HeavyOperationRunning => "heavy_operation_running",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated
            | ErrorCode::InvalidCredentials
            | ErrorCode::InvalidTotpCode
            | ErrorCode::LoginStepExpired => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden
            | ErrorCode::CsrfFailed
            | ErrorCode::PasswordChangeRequired
            | ErrorCode::TotpSetupRequired
            | ErrorCode::TokenScopeInsufficient
            | ErrorCode::SelfProtection => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::AccountLocked => StatusCode::LOCKED,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ProviderAuthFailed => StatusCode::BAD_GATEWAY,
            ErrorCode::ProviderTokenExpired => StatusCode::BAD_GATEWAY,
            ErrorCode::ProviderQuotaExceeded => StatusCode::BAD_GATEWAY,
            ErrorCode::ProviderRateLimited => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ProviderBadRequest => StatusCode::BAD_GATEWAY,
            ErrorCode::ProviderNotFound => StatusCode::NOT_FOUND,
            ErrorCode::ProviderUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ProviderInvalidResponse => StatusCode::BAD_GATEWAY,
            ErrorCode::ProviderRefused => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ProviderRunFailed => StatusCode::BAD_GATEWAY,
            ErrorCode::ProviderHistoryTooOld => StatusCode::GONE,
            ErrorCode::InstagramChallengeRequired => StatusCode::CONFLICT,
            ErrorCode::InstagramTwoFactorRequired => StatusCode::CONFLICT,
            ErrorCode::InstagramLoginRequired => StatusCode::CONFLICT,
            ErrorCode::InstagramActionBlocked => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::InstagramPleaseWait => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::LastOwner => StatusCode::CONFLICT,
            ErrorCode::HeavyOperationRunning => StatusCode::CONFLICT,
        }
    }

    fn default_message(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "The request could not be read.",
            ErrorCode::Unauthenticated => "Sign in first.",
            ErrorCode::InvalidCredentials => "Wrong username or password.",
            ErrorCode::InvalidTotpCode => "That code is not valid.",
            ErrorCode::LoginStepExpired => "This sign-in step has expired. Start again.",
            ErrorCode::Forbidden => "You are not allowed to do this.",
            ErrorCode::CsrfFailed => "Missing or wrong CSRF token.",
            ErrorCode::PasswordChangeRequired => "Change your password first.",
            ErrorCode::TotpSetupRequired => "Set up two-factor authentication first.",
            ErrorCode::TokenScopeInsufficient => "This token may only read.",
            ErrorCode::SelfProtection => "You cannot do this to your own account.",
            ErrorCode::NotFound => "Not found.",
            ErrorCode::Conflict => "This conflicts with existing data.",
            ErrorCode::PayloadTooLarge => "The request body is too large.",
            ErrorCode::UnsupportedMediaType => {
                "The request body's content type is not accepted here."
            }
            ErrorCode::ValidationFailed => "Some fields are not valid.",
            ErrorCode::AccountLocked => "Too many failed attempts. Try again later.",
            ErrorCode::RateLimited => "Too many requests. Try again later.",
            ErrorCode::Internal => "Something went wrong on our side.",
            ErrorCode::Unavailable => "The service is not available right now.",
            ErrorCode::ProviderAuthFailed => "The provider rejected the credentials.",
            ErrorCode::ProviderTokenExpired => {
                "The provider says the access has expired; connect again."
            }
            ErrorCode::ProviderQuotaExceeded => "The provider account is out of quota or credits.",
            ErrorCode::ProviderRateLimited => "The provider is limiting requests. Try again later.",
            ErrorCode::ProviderBadRequest => "The provider refused the request as invalid.",
            ErrorCode::ProviderNotFound => "The provider does not know this object.",
            ErrorCode::ProviderUnavailable => "The provider is not reachable right now.",
            ErrorCode::ProviderInvalidResponse => {
                "The provider answered with something we could not read."
            }
            ErrorCode::ProviderRefused => "The AI model refused to answer this request.",
            ErrorCode::ProviderRunFailed => "The provider's job did not finish successfully.",
            ErrorCode::ProviderHistoryTooOld => {
                "The mailbox history is too old to continue from; a full resync is needed."
            }
            ErrorCode::InstagramChallengeRequired => {
                "Instagram asks to confirm this login (challenge)."
            }
            ErrorCode::InstagramTwoFactorRequired => "Instagram asks for the two-factor code.",
            ErrorCode::InstagramLoginRequired => "The Instagram session has ended; log in again.",
            ErrorCode::InstagramActionBlocked => {
                "Instagram blocked this action for now (feedback required)."
            }
            ErrorCode::InstagramPleaseWait => {
                "Instagram asks to wait a few minutes before trying again."
            }
            ErrorCode::LastOwner => "An account keeps exactly one owner.",
            ErrorCode::HeavyOperationRunning => {
                "Another heavy operation of yours is running; wait for it or cancel it."
            }
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<Value>,
    pub retry_after_secs: Option<u64>,
    cause: Option<anyhow::Error>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            message: code.default_message().to_owned(),
            details: None,
            retry_after_secs: None,
            cause: None,
        }
    }
    pub fn msg(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            message: message.into(),
            ..ApiError::new(code)
        }
    }
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        let secs = secs.max(1);
        self.retry_after_secs = Some(secs);
        let mut details = self.details.take().unwrap_or_else(|| json!({}));
        if let Some(obj) = details.as_object_mut() {
            obj.insert("retry_after_secs".into(), json!(secs));
        }
        self.details = Some(details);
        self
    }
    pub fn with_cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
    }
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        ApiError::new(ErrorCode::Internal).with_cause(cause)
    }
    pub fn not_found() -> Self {
        ApiError::new(ErrorCode::NotFound)
    }
    pub fn forbidden() -> Self {
        ApiError::new(ErrorCode::Forbidden)
    }
    /// A 422 naming one field.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::ValidationFailed).with_details(
            json!({ "fields": { field: [ { "code": code, "message": message.into() } ] } }),
        )
    }
    /// A 409 naming the field that collides.
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        ApiError::msg(ErrorCode::Conflict, message).with_details(json!({ "field": field }))
    }
    pub fn cause(&self) -> Option<&anyhow::Error> {
        self.cause.as_ref()
    }

    /// SQLite's "database is locked" (a writer waited out the busy timeout): worth trying again.
    pub fn is_busy(&self) -> bool {
        self.cause.as_ref().is_some_and(|c| {
            let s = c.to_string();
            s.contains("database is locked") || s.contains("database is busy")
        })
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(c) = &self.cause {
            write!(f, " (cause: {c:#})")?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for ApiError {}

/// The body every error response carries; documented in the OpenAPI file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorInfo {
    #[schema(example = "validation_failed")]
    pub code: ErrorCode,
    pub message: String,
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.code.status();
        if status.is_server_error() {
            tracing::error!(code = %self.code, cause = ?self.cause, "request failed");
        } else if let Some(cause) = &self.cause {
            tracing::debug!(code = %self.code, cause = %cause, "request rejected");
        }
        let mut res = HttpResponse::build(status);
        if let Some(secs) = self.retry_after_secs {
            res.insert_header(("Retry-After", secs.to_string()));
        }
        res.json(ErrorBody {
            error: ErrorInfo {
                code: self.code,
                message: self.message.clone(),
                details: self.details.clone(),
            },
        })
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::not_found(),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::new(ErrorCode::Conflict).with_cause(e)
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields = serde_json::Map::new();
        for (field, errs) in errors.field_errors() {
            let list: Vec<Value> = errs
                .iter()
                .map(|e| {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| match e.code.as_ref() {
                            "length" => "Has the wrong length.".to_owned(),
                            "email" => "Is not a valid email address.".to_owned(),
                            "range" => "Is out of range.".to_owned(),
                            other => format!("Is not valid ({other})."),
                        });
                    json!({ "code": e.code, "message": message })
                })
                .collect();
            fields.insert(field.to_string(), Value::Array(list));
        }
        ApiError::new(ErrorCode::ValidationFailed).with_details(json!({ "fields": fields }))
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<ApiError>() {
            Ok(api) => api,
            Err(other) => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_match_serde() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
            assert!(seen.insert(s), "duplicate {s}");
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(Value::String(s.to_owned()))
            );
        }
    }

    #[test]
    fn retry_after_is_in_details_and_header() {
        let e = ApiError::new(ErrorCode::RateLimited).with_retry_after(7);
        let res = e.error_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            res.headers()
                .get("Retry-After")
                .and_then(|v| v.to_str().ok()),
            Some("7")
        );
        assert_eq!(e.details, Some(json!({"retry_after_secs": 7})));
    }

    #[test]
    fn cause_is_never_in_the_body() {
        let e = ApiError::internal(anyhow::anyhow!("password=hunter2"));
        let body = serde_json::to_string(&ErrorBody {
            error: ErrorInfo {
                code: e.code,
                message: e.message.clone(),
                details: e.details.clone(),
            },
        })
        .unwrap_or_default();
        assert!(!body.contains("hunter2"));
    }
}
