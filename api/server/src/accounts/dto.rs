//! What the accounts API shows. Never a secret: the vault view says which secrets exist and how healthy the links
//! are, not what they are.

use crate::identity::dto::utc;
use chrono::{DateTime, NaiveDateTime, Utc};
use leadgen_db::models::account_member::{AccountMember, MemberRow};
use leadgen_db::models::challenge::Challenge;
use leadgen_db::models::ig_account::{AdminRow, IgAccount};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// Instagram Login (messaging, insights).
    Official,
    /// A credential session on the sidecar (automation).
    Session,
}

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Owner,
    Admin,
    Viewer,
}

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum IgSessionStatus {
    /// No credential link.
    None,
    /// A login waits for a code in the challenge inbox.
    Pending,
    Valid,
    /// Instagram wants a new login (or it failed for good).
    Invalid,
    /// An administrator ended the session.
    LoggedOut,
}

/// The session vault view of an account: how it is linked and how healthy each link is.
#[derive(Serialize, ToSchema)]
pub struct Vault {
    /// `official`, `session`, or both.
    #[schema(value_type = Vec<LinkKind>)]
    pub link_kinds: Vec<&'static str>,
    /// When the official token expires (refreshed automatically well before).
    pub token_expires_at: Option<DateTime<Utc>>,
    pub token_obtained_at: Option<DateTime<Utc>>,
    /// The official link stopped working (expired or revoked token): connect the account again. `notice` says why.
    pub needs_reconnect: bool,
    pub notice: Option<String>,
    #[schema(value_type = IgSessionStatus)]
    pub session_status: String,
    /// Seconds since the current session logged in.
    pub session_age_secs: Option<i64>,
    pub session_started_at: Option<DateTime<Utc>>,
    pub session_checked_at: Option<DateTime<Utc>>,
    /// The device settings of the first login are kept and reused by every later login.
    pub device_pinned: bool,
    /// A TOTP seed is stored: two-factor prompts are answered without you.
    pub totp_seed_stored: bool,
    /// The proxy the sidecar uses for this account (a password in it is never shown).
    pub proxy: Option<String>,
    pub last_challenge_at: Option<DateTime<Utc>>,
    /// The last error with its stable code.
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    /// The professional-account id of the official link.
    pub ig_user_id: Option<String>,
    pub username: String,
    pub full_name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub biography: Option<String>,
    pub followers_count: Option<i64>,
    pub follows_count: Option<i64>,
    pub media_count: Option<i64>,
    pub account_type: Option<String>,
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Your role on this account.
    #[schema(value_type = MemberRole)]
    pub role: String,
    /// Your primary account (pages open on it).
    pub is_primary: bool,
    pub vault: Vault,
    pub created_at: DateTime<Utc>,
}

fn age(from: Option<NaiveDateTime>, now: NaiveDateTime) -> Option<i64> {
    from.map(|t| (now - t).num_seconds().max(0))
}

pub fn vault(a: &IgAccount, now: NaiveDateTime) -> Vault {
    let live = a.session_enc.is_some();
    Vault {
        link_kinds: a.link_kinds(),
        token_expires_at: a.token_expires_at.map(utc),
        token_obtained_at: a.token_obtained_at.map(utc),
        needs_reconnect: a.needs_reconnect,
        notice: a.notice.clone(),
        session_status: a.session_status.clone(),
        session_age_secs: if live {
            age(a.session_started_at, now)
        } else {
            None
        },
        session_started_at: a.session_started_at.filter(|_| live).map(utc),
        session_checked_at: a.session_checked_at.map(utc),
        device_pinned: a.device_enc.is_some(),
        totp_seed_stored: a.totp_seed_enc.is_some(),
        proxy: a.proxy_display.clone(),
        last_challenge_at: a.last_challenge_at.map(utc),
        last_error_code: a.last_error_code.clone(),
        last_error: a.last_error.clone(),
        last_error_at: a.last_error_at.map(utc),
    }
}

pub fn account_view(a: IgAccount, m: &AccountMember, now: NaiveDateTime) -> AccountView {
    AccountView {
        vault: vault(&a, now),
        role: m.role.clone(),
        is_primary: m.is_primary,
        created_at: utc(a.created_at),
        last_synced_at: a.last_synced_at.map(utc),
        id: a.id,
        ig_user_id: a.ig_user_id,
        username: a.username,
        full_name: a.full_name,
        profile_picture_url: a.profile_picture_url,
        biography: a.biography,
        followers_count: a.followers_count,
        follows_count: a.follows_count,
        media_count: a.media_count,
        account_type: a.account_type,
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccountList {
    pub items: Vec<AccountView>,
    /// Whether an administrator set the Instagram app (official links) and the sidecar (credential links).
    pub can_link_official: bool,
    pub can_link_session: bool,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct AccountPatch {
    /// `true` makes this your primary account.
    pub primary: Option<bool>,
    /// The proxy for the sidecar (`http://`, `https://`, `socks5://`, optionally with `user:password@`); an empty
    /// string removes it. Owners and admins only.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub proxy: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub username: String,
    #[schema(value_type = MemberRole)]
    pub role: String,
    pub added_at: DateTime<Utc>,
}

impl From<MemberRow> for MemberView {
    fn from(r: MemberRow) -> Self {
        MemberView {
            user_id: r.member.user_id,
            username: r.username,
            role: r.member.role,
            added_at: utc(r.member.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    pub items: Vec<MemberView>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct NewMember {
    /// The leadgen username to add.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub username: String,
    /// `admin` or `viewer` (there is one owner; hand ownership over with PATCH).
    #[schema(value_type = MemberRole)]
    pub role: String,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct MemberPatch {
    /// `owner` hands the account over (only its owner may; the old owner becomes an admin), `admin` or `viewer`.
    #[schema(value_type = MemberRole)]
    pub role: String,
}

/// What "test session" found.
#[derive(Serialize, ToSchema)]
pub struct SessionTest {
    pub ok: bool,
    /// The stable code when it failed (e.g. `instagram_login_required`, `provider_token_expired`, `no_link`).
    pub code: Option<String>,
    pub message: String,
    pub account: AccountView,
}

#[derive(Serialize, ToSchema)]
pub struct Consent {
    /// Send the browser here: Instagram's consent page.
    pub authorize_url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct CredentialLink {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub username: String,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub password: String,
    /// The account's TOTP seed (base32): two-factor prompts are then answered without you.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub totp_seed: Option<String>,
    /// A proxy for this account (see `AccountPatch.proxy`).
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub proxy: Option<String>,
}

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeKind {
    /// The two-factor code (authenticator app or SMS).
    TwoFactor,
    /// A security check: the code Instagram sent by e-mail or SMS.
    Challenge,
}

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeStatus {
    Open,
    Resolved,
    Failed,
}

#[derive(Serialize, ToSchema)]
pub struct ChallengeView {
    pub id: String,
    pub account_id: String,
    pub username: String,
    #[schema(value_type = ChallengeKind)]
    pub kind: String,
    /// What Instagram asked for, in words.
    pub prompt: String,
    #[schema(value_type = ChallengeStatus)]
    pub status: String,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

pub fn challenge_view(c: Challenge, username: &str) -> ChallengeView {
    ChallengeView {
        id: c.id,
        account_id: c.account_id,
        username: username.to_owned(),
        kind: c.kind,
        prompt: c.prompt,
        status: c.status,
        error: c.error,
        created_at: utc(c.created_at),
        resolved_at: c.resolved_at.map(utc),
    }
}

/// A credential link or a challenge answer: the account, and the challenge when Instagram asked for one.
#[derive(Serialize, ToSchema)]
pub struct LinkOutcome {
    pub account: AccountView,
    /// Open when Instagram asked for a code: answer it in the challenge inbox.
    pub challenge: Option<ChallengeView>,
}

#[derive(Serialize, ToSchema)]
pub struct AdminAccount {
    pub id: String,
    pub username: String,
    pub owner_id: Option<String>,
    pub owner_username: Option<String>,
    pub members: i64,
    pub vault: Vault,
}

pub fn admin_view(r: AdminRow, now: NaiveDateTime) -> AdminAccount {
    AdminAccount {
        vault: vault(&r.account, now),
        id: r.account.id,
        username: r.account.username,
        owner_id: r.owner_id,
        owner_username: r.owner_username,
        members: r.members,
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdminAccountList {
    pub items: Vec<AdminAccount>,
}
