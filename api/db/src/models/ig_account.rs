//! Instagram accounts: the profile, how the account is linked (an official token, a credential session, or both)
//! and the health of each link. Secrets arrive here already encrypted: the caller binds each to
//! [`IgAccount::slot`] of its column. Who may see an account is decided by `account_member`; the queries that
//! start from a user go through it.

use crate::schema::{account_members, ig_accounts, users};
use crate::{new_id, DbConn};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::crypto::Slot;
use leadgen_core::ApiResult;

pub const SESSION_NONE: &str = "none";
/// A login waits for a 2FA code or a challenge (see `challenge`).
pub const SESSION_PENDING: &str = "pending";
pub const SESSION_VALID: &str = "valid";
/// The sidecar said login required (or the login failed for good).
pub const SESSION_INVALID: &str = "invalid";
/// An admin ended the session (the device settings stay pinned).
pub const SESSION_LOGGED_OUT: &str = "logged_out";

/// The encrypted columns (each bound to its own slot).
pub const SECRET_COLUMNS: &[&str] = &[
    "token_enc",
    "password_enc",
    "totp_seed_enc",
    "session_enc",
    "device_enc",
    "proxy_enc",
];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ig_accounts)]
pub struct IgAccount {
    pub id: String,
    pub ig_user_id: Option<String>,
    pub ig_pk: Option<String>,
    pub username: String,
    pub username_key: String,
    pub full_name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub biography: Option<String>,
    pub followers_count: Option<i64>,
    pub follows_count: Option<i64>,
    pub media_count: Option<i64>,
    pub account_type: Option<String>,
    pub last_synced_at: Option<NaiveDateTime>,
    pub token_enc: Option<Vec<u8>>,
    pub token_scopes: Option<String>,
    pub token_obtained_at: Option<NaiveDateTime>,
    pub token_expires_at: Option<NaiveDateTime>,
    pub needs_reconnect: bool,
    pub notice: Option<String>,
    pub password_enc: Option<Vec<u8>>,
    pub totp_seed_enc: Option<Vec<u8>>,
    pub session_enc: Option<Vec<u8>>,
    pub device_enc: Option<Vec<u8>>,
    pub proxy_enc: Option<Vec<u8>>,
    pub proxy_display: Option<String>,
    pub session_status: String,
    pub session_started_at: Option<NaiveDateTime>,
    pub session_checked_at: Option<NaiveDateTime>,
    pub last_challenge_at: Option<NaiveDateTime>,
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The profile as Instagram (or the sidecar) reported it.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub username: String,
    pub full_name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub biography: Option<String>,
    pub followers_count: Option<i64>,
    pub follows_count: Option<i64>,
    pub media_count: Option<i64>,
    pub account_type: Option<String>,
}

/// An official token, sealed for the row.
pub struct OfficialToken<'a> {
    pub token_enc: &'a [u8],
    pub scopes: &'a str,
    pub obtained_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// An account with one user's membership, and (for admins) its owner's name.
#[derive(Debug, Clone)]
pub struct AdminRow {
    pub account: IgAccount,
    pub owner_id: Option<String>,
    pub owner_username: Option<String>,
    pub members: i64,
}

impl IgAccount {
    /// The associated data a secret of this row's `column` is encrypted under.
    pub fn slot<'a>(id: &'a str, column: &'a str) -> Slot<'a> {
        Slot {
            table: "ig_accounts",
            column,
            row_id: id,
        }
    }

    pub fn username_key(username: &str) -> String {
        username.trim().trim_start_matches('@').to_lowercase()
    }

    /// `official`, `session` (a credential link, pending ones too), or both.
    pub fn link_kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if self.token_enc.is_some() {
            kinds.push("official");
        }
        if self.password_enc.is_some() || self.session_enc.is_some() {
            kinds.push("session");
        }
        kinds
    }

    pub fn new_id() -> String {
        new_id()
    }
}

impl IgAccount {
    pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Option<IgAccount>> {
        Ok(ig_accounts::table
            .find(id)
            .select(IgAccount::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn get(conn: &mut DbConn, id: &str) -> ApiResult<IgAccount> {
        Ok(ig_accounts::table
            .find(id)
            .select(IgAccount::as_select())
            .first(conn)?)
    }

    pub fn find_by_ig_user_id(conn: &mut DbConn, ig_user_id: &str) -> ApiResult<Option<IgAccount>> {
        Ok(ig_accounts::table
            .filter(ig_accounts::ig_user_id.eq(ig_user_id))
            .select(IgAccount::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn find_by_pk(conn: &mut DbConn, pk: &str) -> ApiResult<Option<IgAccount>> {
        Ok(ig_accounts::table
            .filter(ig_accounts::ig_pk.eq(pk))
            .select(IgAccount::as_select())
            .first(conn)
            .optional()?)
    }

    /// Accounts with this username (older first; a renamed account may leave a stale one).
    pub fn find_by_username(conn: &mut DbConn, username: &str) -> ApiResult<Vec<IgAccount>> {
        Ok(ig_accounts::table
            .filter(ig_accounts::username_key.eq(IgAccount::username_key(username)))
            .select(IgAccount::as_select())
            .order(ig_accounts::created_at)
            .load(conn)?)
    }

    /// A new account row (no link yet: the caller adds the token or the credentials next).
    pub fn create(
        conn: &mut DbConn,
        id: &str,
        username: &str,
        now: NaiveDateTime,
    ) -> ApiResult<IgAccount> {
        diesel::insert_into(ig_accounts::table)
            .values((
                ig_accounts::id.eq(id),
                ig_accounts::username.eq(username.trim().trim_start_matches('@')),
                ig_accounts::username_key.eq(IgAccount::username_key(username)),
                ig_accounts::needs_reconnect.eq(false),
                ig_accounts::session_status.eq(SESSION_NONE),
                ig_accounts::created_at.eq(now),
                ig_accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        IgAccount::get(conn, id)
    }

    pub fn set_profile(
        conn: &mut DbConn,
        id: &str,
        p: &ProfileUpdate,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set((
                ig_accounts::username.eq(&p.username),
                ig_accounts::username_key.eq(IgAccount::username_key(&p.username)),
                ig_accounts::full_name.eq(&p.full_name),
                ig_accounts::profile_picture_url.eq(&p.profile_picture_url),
                ig_accounts::biography.eq(&p.biography),
                ig_accounts::followers_count.eq(p.followers_count),
                ig_accounts::follows_count.eq(p.follows_count),
                ig_accounts::media_count.eq(p.media_count),
                ig_accounts::account_type.eq(&p.account_type),
                ig_accounts::last_synced_at.eq(now),
                ig_accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_ig_user_id(conn: &mut DbConn, id: &str, ig_user_id: &str) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set(ig_accounts::ig_user_id.eq(ig_user_id))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_pk(conn: &mut DbConn, id: &str, pk: &str) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set(ig_accounts::ig_pk.eq(pk))
            .execute(conn)?;
        Ok(())
    }

    /// A new (or refreshed) official token: clears "reconnect needed".
    pub fn set_token(conn: &mut DbConn, id: &str, t: &OfficialToken<'_>) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set((
                ig_accounts::token_enc.eq(t.token_enc),
                ig_accounts::token_scopes.eq(t.scopes),
                ig_accounts::token_obtained_at.eq(t.obtained_at),
                ig_accounts::token_expires_at.eq(t.expires_at),
                ig_accounts::needs_reconnect.eq(false),
                ig_accounts::notice.eq(None::<String>),
                ig_accounts::updated_at.eq(t.obtained_at),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The official link stopped working: the user has to connect again. Never silent: the notice says why.
    pub fn mark_reconnect(
        conn: &mut DbConn,
        id: &str,
        notice: &str,
        code: &str,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set((
                ig_accounts::needs_reconnect.eq(true),
                ig_accounts::notice.eq(notice),
                ig_accounts::last_error_code.eq(code),
                ig_accounts::last_error.eq(notice),
                ig_accounts::last_error_at.eq(now),
                ig_accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The credentials of a credential link (password and TOTP seed sealed; `None` seed removes one).
    pub fn set_credentials(
        conn: &mut DbConn,
        id: &str,
        password_enc: &[u8],
        totp_seed_enc: Option<&[u8]>,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set((
                ig_accounts::password_enc.eq(password_enc),
                ig_accounts::totp_seed_enc.eq(totp_seed_enc),
                ig_accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The proxy (sealed) and what may be shown of it; `None` removes it.
    pub fn set_proxy(
        conn: &mut DbConn,
        id: &str,
        proxy: Option<(&[u8], &str)>,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set((
                ig_accounts::proxy_enc.eq(proxy.map(|p| p.0)),
                ig_accounts::proxy_display.eq(proxy.map(|p| p.1)),
                ig_accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// A live session: its id and the device settings, both sealed.
    pub fn set_session(
        conn: &mut DbConn,
        id: &str,
        session_enc: &[u8],
        device_enc: Option<&[u8]>,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set((
                ig_accounts::session_enc.eq(session_enc),
                ig_accounts::session_status.eq(SESSION_VALID),
                ig_accounts::session_started_at.eq(now),
                ig_accounts::session_checked_at.eq(now),
                ig_accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        if let Some(device) = device_enc {
            diesel::update(ig_accounts::table.find(id))
                .set(ig_accounts::device_enc.eq(device))
                .execute(conn)?;
        }
        Ok(())
    }

    pub fn set_session_status(
        conn: &mut DbConn,
        id: &str,
        status: &str,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set((
                ig_accounts::session_status.eq(status),
                ig_accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// A health check (or test) found the session alive.
    pub fn session_checked(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set((
                ig_accounts::session_status.eq(SESSION_VALID),
                ig_accounts::session_checked_at.eq(now),
                ig_accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// A failure of the session: its code and words; `status` when it changes the session's state.
    pub fn session_failed(
        conn: &mut DbConn,
        id: &str,
        status: Option<&str>,
        code: &str,
        message: &str,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set((
                ig_accounts::session_checked_at.eq(now),
                ig_accounts::last_error_code.eq(code),
                ig_accounts::last_error.eq(message),
                ig_accounts::last_error_at.eq(now),
                ig_accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        if let Some(s) = status {
            IgAccount::set_session_status(conn, id, s, now)?;
        }
        Ok(())
    }

    pub fn challenge_seen(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set((
                ig_accounts::last_challenge_at.eq(now),
                ig_accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Ends the credential session (the session id goes; the pinned device stays for the next login).
    pub fn clear_session(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> ApiResult<()> {
        diesel::update(ig_accounts::table.find(id))
            .set((
                ig_accounts::session_enc.eq(None::<Vec<u8>>),
                ig_accounts::session_status.eq(SESSION_LOGGED_OUT),
                ig_accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Removes the account with every secret it holds (members and challenges go with it).
    pub fn delete(conn: &mut DbConn, id: &str) -> ApiResult<bool> {
        Ok(diesel::delete(ig_accounts::table.find(id)).execute(conn)? > 0)
    }

    /// Accounts whose official token should be refreshed now: obtained at least `min_age` ago and expiring
    /// before `refresh_before` (expired ones included: the job marks them).
    pub fn tokens_due(
        conn: &mut DbConn,
        obtained_before: NaiveDateTime,
        refresh_before: NaiveDateTime,
    ) -> ApiResult<Vec<IgAccount>> {
        Ok(ig_accounts::table
            .filter(ig_accounts::token_enc.is_not_null())
            .filter(ig_accounts::needs_reconnect.eq(false))
            .filter(ig_accounts::token_obtained_at.le(obtained_before))
            .filter(ig_accounts::token_expires_at.le(refresh_before))
            .select(IgAccount::as_select())
            .order(ig_accounts::token_expires_at)
            .load(conn)?)
    }

    /// Accounts with a credential session to check.
    pub fn with_sessions(conn: &mut DbConn) -> ApiResult<Vec<IgAccount>> {
        Ok(ig_accounts::table
            .filter(ig_accounts::session_enc.is_not_null())
            .filter(ig_accounts::session_status.eq(SESSION_VALID))
            .select(IgAccount::as_select())
            .order(ig_accounts::id)
            .load(conn)?)
    }

    /// Every account with its owner and member count (admins).
    pub fn list_all(conn: &mut DbConn) -> ApiResult<Vec<AdminRow>> {
        let rows: Vec<IgAccount> = ig_accounts::table
            .select(IgAccount::as_select())
            .order((ig_accounts::username_key, ig_accounts::id))
            .load(conn)?;
        let owners: Vec<(String, String, String)> = account_members::table
            .inner_join(users::table)
            .filter(account_members::role.eq(super::account_member::ROLE_OWNER))
            .select((account_members::account_id, users::id, users::username))
            .load(conn)?;
        let counts: Vec<(String, i64)> = account_members::table
            .group_by(account_members::account_id)
            .select((account_members::account_id, diesel::dsl::count_star()))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|account| {
                let owner = owners.iter().find(|o| o.0 == account.id);
                let members = counts.iter().find(|c| c.0 == account.id).map_or(0, |c| c.1);
                AdminRow {
                    owner_id: owner.map(|o| o.1.clone()),
                    owner_username: owner.map(|o| o.2.clone()),
                    members,
                    account,
                }
            })
            .collect())
    }

    /// Every secret ciphertext (for key rotation): (id, column, blob).
    pub fn encrypted(conn: &mut DbConn) -> ApiResult<Vec<(String, &'static str, Vec<u8>)>> {
        let rows: Vec<IgAccount> = ig_accounts::table
            .select(IgAccount::as_select())
            .load(conn)?;
        let mut out = Vec::new();
        for a in rows {
            let cols: [(&'static str, &Option<Vec<u8>>); 6] = [
                ("token_enc", &a.token_enc),
                ("password_enc", &a.password_enc),
                ("totp_seed_enc", &a.totp_seed_enc),
                ("session_enc", &a.session_enc),
                ("device_enc", &a.device_enc),
                ("proxy_enc", &a.proxy_enc),
            ];
            for (col, blob) in cols {
                if let Some(b) = blob {
                    out.push((a.id.clone(), col, b.clone()));
                }
            }
        }
        Ok(out)
    }

    pub fn replace_ciphertext(
        conn: &mut DbConn,
        id: &str,
        column: &str,
        enc: &[u8],
    ) -> ApiResult<()> {
        let q = diesel::update(ig_accounts::table.find(id));
        match column {
            "token_enc" => q.set(ig_accounts::token_enc.eq(enc)).execute(conn)?,
            "password_enc" => q.set(ig_accounts::password_enc.eq(enc)).execute(conn)?,
            "totp_seed_enc" => q.set(ig_accounts::totp_seed_enc.eq(enc)).execute(conn)?,
            "session_enc" => q.set(ig_accounts::session_enc.eq(enc)).execute(conn)?,
            "device_enc" => q.set(ig_accounts::device_enc.eq(enc)).execute(conn)?,
            "proxy_enc" => q.set(ig_accounts::proxy_enc.eq(enc)).execute(conn)?,
            _ => 0,
        };
        Ok(())
    }
}
