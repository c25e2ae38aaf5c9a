//! What the identity routes take and give. Field names here are the API contract (`openapi.yaml`).

use chrono::{DateTime, NaiveDateTime, Utc};
use leadgen_db::models::auth_tokens::ApiToken;
use leadgen_db::models::session::Session;
use leadgen_db::models::user::{Role, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

static USERNAME: std::sync::LazyLock<regex_lite::Regex> = std::sync::LazyLock::new(|| {
    regex_lite::Regex::new(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$").unwrap_or_else(|_| unreachable!())
});

pub fn validate_username(name: &str) -> Result<(), validator::ValidationError> {
    if USERNAME.is_match(name) {
        Ok(())
    } else {
        let mut e = validator::ValidationError::new("invalid_username");
        e.message = Some(
            "2-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"
                .into(),
        );
        Err(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoginStatus {
    Ok,
    TotpRequired,
    TotpSetupRequired,
    PasswordChangeRequired,
}

/// The user as they see themselves.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub role: Role,
    pub active: bool,
    pub two_factor_enabled: bool,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<&User> for Me {
    fn from(u: &User) -> Self {
        Me {
            id: u.id.clone(),
            username: u.username.clone(),
            email: u.email.clone(),
            role: u.role(),
            active: u.active,
            two_factor_enabled: u.totp_enabled,
            must_change_password: u.must_change_password,
            created_at: utc(u.created_at),
            last_login_at: u.last_login_at.map(utc),
        }
    }
}

/// One answer of the multi-step login.
#[derive(Serialize, ToSchema)]
pub struct LoginStep {
    pub status: LoginStatus,
    /// Carries the pending step (single purpose, short-lived). Present unless `status` is `ok`.
    pub pending_token: Option<String>,
    pub pending_expires_at: Option<DateTime<Utc>>,
    /// Present when `status` is `ok`.
    pub user: Option<Me>,
    /// Send it back as `X-CSRF-Token` on cookie-authenticated writes (also in the `leadgen_csrf` cookie).
    pub csrf_token: Option<String>,
    /// Only right after 2FA setup: shown once.
    pub backup_codes: Option<Vec<String>>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct PendingPasswordRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub pending_token: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024)]
    pub new_password: String,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct PendingTotpRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub pending_token: String,
    /// The 6-digit code from the authenticator app.
    #[validate(length(min = 6, max = 8))]
    #[schema(min_length = 6, max_length = 8)]
    pub code: Option<String>,
    /// One of the backup codes instead of a TOTP code.
    #[validate(length(min = 6, max = 32))]
    #[schema(min_length = 6, max_length = 32)]
    pub backup_code: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct PendingTokenRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub pending_token: String,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct PendingConfirmRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub pending_token: String,
    #[validate(length(min = 6, max = 8))]
    #[schema(min_length = 6, max_length = 8)]
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct TotpSetup {
    /// Base32 secret for manual entry.
    pub secret: String,
    pub otpauth_uri: String,
    /// `data:image/svg+xml;base64,…`
    pub qr_data_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub max_bytes: usize,
    pub rules: Vec<leadgen_core::password::Rule>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct TokenRequest {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
    #[validate(length(min = 6, max = 8))]
    #[schema(min_length = 6, max_length = 8)]
    pub totp_code: Option<String>,
    #[validate(length(min = 6, max = 32))]
    #[schema(min_length = 6, max_length = 32)]
    pub backup_code: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u32,
    pub refresh_token: String,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct UpdateMe {
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254)]
    pub email: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ChangePassword {
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024)]
    pub new_password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub backup_codes_remaining: i64,
    pub required_by_policy: bool,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct CodeRequest {
    #[validate(length(min = 6, max = 8))]
    #[schema(min_length = 6, max_length = 8)]
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct BackupCodes {
    pub backup_codes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session this request came with.
    pub current: bool,
}

impl SessionInfo {
    pub fn of(s: &Session, current: Option<&str>) -> Self {
        SessionInfo {
            id: s.id.clone(),
            created_at: utc(s.created_at),
            last_seen_at: utc(s.last_seen_at),
            expires_at: utc(s.expires_at),
            ip: s.ip.clone(),
            user_agent: s.user_agent.clone(),
            current: current == Some(s.id.as_str()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    Read,
    ReadWrite,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::ReadWrite => "read_write",
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ApiTokenInfo {
    pub id: String,
    pub name: String,
    pub scope: TokenScope,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<&ApiToken> for ApiTokenInfo {
    fn from(t: &ApiToken) -> Self {
        ApiTokenInfo {
            id: t.id.clone(),
            name: t.name.clone(),
            scope: if t.can_write() {
                TokenScope::ReadWrite
            } else {
                TokenScope::Read
            },
            prefix: t.prefix.clone(),
            created_at: utc(t.created_at),
            expires_at: t.expires_at.map(utc),
            last_used_at: t.last_used_at.map(utc),
        }
    }
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct CreateApiToken {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub scope: TokenScope,
    /// Days until the token expires; none for no expiry.
    #[validate(range(min = 1, max = 3650))]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiToken {
    pub token: ApiTokenInfo,
    /// The token itself, shown this once. Send it as `Authorization: Bearer <secret>`.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct AdminUser {
    #[serde(flatten)]
    pub user: Me,
    pub locked_until: Option<DateTime<Utc>>,
    pub session_count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<AdminUser>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Deserialize, Validate, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Search in username and email.
    #[validate(length(max = 100))]
    #[param(max_length = 100)]
    pub q: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    #[validate(range(min = 1, max = 100_000))]
    #[param(minimum = 1, maximum = 100_000)]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct CreateUser {
    #[validate(custom(function = "validate_username"))]
    pub username: String,
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254)]
    pub email: Option<String>,
    pub role: Role,
    /// Leave out to have a temporary password generated (the user must change it at first sign-in).
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024)]
    pub password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    pub user: AdminUser,
    /// Shown once, when the server generated the password.
    pub temporary_password: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct UpdateUser {
    pub role: Option<Role>,
    pub active: Option<bool>,
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254)]
    pub email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TemporaryPassword {
    pub temporary_password: String,
}

#[derive(Serialize, Deserialize, Validate, ToSchema)]
pub struct Policy {
    /// Every user must set up TOTP 2FA at their next sign-in.
    pub require_2fa: bool,
}
