use crate::schema::{backup_codes, users};
use crate::{new_id, now, DbConn};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    User,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
            Role::Viewer => "viewer",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "user" => Some(Role::User),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
    /// Viewers only read; admins and users may write their own data.
    pub fn can_write(self) -> bool {
        !matches!(self, Role::Viewer)
    }
}

#[derive(Queryable, Selectable, Identifiable, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub username: String,
    pub username_key: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub role: String,
    pub active: bool,
    pub must_change_password: bool,
    pub totp_enabled: bool,
    pub totp_secret_enc: Option<Vec<u8>>,
    pub totp_pending_secret_enc: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub token_version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub password_changed_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: String,
    pub username: &'a str,
    pub username_key: String,
    pub email: Option<&'a str>,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub active: bool,
    pub must_change_password: bool,
    pub totp_enabled: bool,
    pub token_version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub password_changed_at: NaiveDateTime,
}

#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub q: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub limit: i64,
    pub offset: i64,
}

/// Local methods.
impl User {
    /// The case-insensitive key usernames are unique by.
    pub fn key_of(username: &str) -> String {
        username.trim().to_lowercase()
    }
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Viewer)
    }
    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }
}

/// Database methods.
impl User {
    pub fn create(
        conn: &mut DbConn,
        username: &str,
        email: Option<&str>,
        password_hash: &str,
        role: Role,
        must_change_password: bool,
    ) -> ApiResult<User> {
        let t = now();
        let id = new_id();
        let row = NewUser {
            id: id.clone(),
            username: username.trim(),
            username_key: User::key_of(username),
            email,
            password_hash,
            role: role.as_str(),
            active: true,
            must_change_password,
            totp_enabled: false,
            token_version: 1,
            created_at: t,
            updated_at: t,
            password_changed_at: t,
        };
        match diesel::insert_into(users::table).values(&row).execute(conn) {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {
                return Err(ApiError::conflict("username", "This username is taken."));
            }
            Err(e) => return Err(e.into()),
        }
        User::get(conn, &id)
    }

    pub fn get(conn: &mut DbConn, id: &str) -> ApiResult<User> {
        Ok(users::table
            .find(id)
            .select(User::as_select())
            .first(conn)?)
    }

    pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Option<User>> {
        Ok(users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn find_by_username(conn: &mut DbConn, username: &str) -> ApiResult<Option<User>> {
        Ok(users::table
            .filter(users::username_key.eq(User::key_of(username)))
            .select(User::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn count(conn: &mut DbConn) -> ApiResult<i64> {
        Ok(users::table.count().get_result(conn)?)
    }

    pub fn count_active_admins(conn: &mut DbConn) -> ApiResult<i64> {
        Ok(users::table
            .filter(users::role.eq("admin"))
            .filter(users::active.eq(true))
            .count()
            .get_result(conn)?)
    }

    pub fn list(conn: &mut DbConn, f: &UserFilter) -> ApiResult<(Vec<User>, i64)> {
        let build = || {
            let mut q = users::table.into_boxed();
            if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                // LIKE wildcards in the search text match themselves.
                let escaped: String = text
                    .to_lowercase()
                    .chars()
                    .flat_map(|c| match c {
                        '\\' | '%' | '_' => vec!['\\', c],
                        other => vec![other],
                    })
                    .collect();
                let pattern = format!("%{escaped}%");
                q = q.filter(
                    users::username_key
                        .like(pattern.clone())
                        .escape('\\')
                        .or(users::email.like(pattern).escape('\\')),
                );
            }
            if let Some(role) = f.role {
                q = q.filter(users::role.eq(role.as_str()));
            }
            if let Some(active) = f.active {
                q = q.filter(users::active.eq(active));
            }
            q
        };
        let total = build().count().get_result(conn)?;
        let items = build()
            .order(users::username_key.asc())
            .limit(f.limit)
            .offset(f.offset)
            .select(User::as_select())
            .load(conn)?;
        Ok((items, total))
    }

    pub fn set_role(conn: &mut DbConn, id: &str, role: Role) -> ApiResult<()> {
        diesel::update(users::table.find(id))
            .set((users::role.eq(role.as_str()), users::updated_at.eq(now())))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_email(conn: &mut DbConn, id: &str, email: Option<&str>) -> ApiResult<()> {
        diesel::update(users::table.find(id))
            .set((users::email.eq(email), users::updated_at.eq(now())))
            .execute(conn)?;
        Ok(())
    }

    /// Activating or deactivating; deactivation also invalidates every session and token.
    pub fn set_active(conn: &mut DbConn, id: &str, active: bool) -> ApiResult<()> {
        diesel::update(users::table.find(id))
            .set((users::active.eq(active), users::updated_at.eq(now())))
            .execute(conn)?;
        if !active {
            User::revoke_everything(conn, id)?;
        }
        Ok(())
    }

    pub fn delete(conn: &mut DbConn, id: &str) -> ApiResult<()> {
        diesel::delete(users::table.find(id)).execute(conn)?;
        Ok(())
    }

    /// Stores a new password hash and invalidates every earlier session and token. Returns the new token version.
    pub fn set_password(
        conn: &mut DbConn,
        id: &str,
        hash: &str,
        must_change: bool,
    ) -> ApiResult<i64> {
        let t = now();
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::must_change_password.eq(must_change),
                users::password_changed_at.eq(t),
                users::updated_at.eq(t),
            ))
            .execute(conn)?;
        User::revoke_everything(conn, id)
    }

    /// "Log out everywhere": bumps the token version (kills JWTs) and revokes sessions, refresh and API tokens.
    pub fn revoke_everything(conn: &mut DbConn, id: &str) -> ApiResult<i64> {
        use crate::schema::{api_tokens, refresh_tokens, sessions};
        let t = now();
        diesel::update(users::table.find(id))
            .set(users::token_version.eq(users::token_version + 1))
            .execute(conn)?;
        diesel::update(
            sessions::table
                .filter(sessions::user_id.eq(id))
                .filter(sessions::revoked_at.is_null()),
        )
        .set(sessions::revoked_at.eq(t))
        .execute(conn)?;
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(t))
        .execute(conn)?;
        diesel::update(
            api_tokens::table
                .filter(api_tokens::user_id.eq(id))
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(t))
        .execute(conn)?;
        Ok(users::table
            .find(id)
            .select(users::token_version)
            .first(conn)?)
    }

    pub fn touch_login(conn: &mut DbConn, id: &str) -> ApiResult<()> {
        diesel::update(users::table.find(id))
            .set(users::last_login_at.eq(now()))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_pending_totp(conn: &mut DbConn, id: &str, secret_enc: &[u8]) -> ApiResult<()> {
        diesel::update(users::table.find(id))
            .set(users::totp_pending_secret_enc.eq(secret_enc))
            .execute(conn)?;
        Ok(())
    }

    /// Moves the pending secret in place and records the confirming code's step.
    pub fn enable_totp(conn: &mut DbConn, id: &str, secret_enc: &[u8], step: i64) -> ApiResult<()> {
        diesel::update(users::table.find(id))
            .set((
                users::totp_secret_enc.eq(secret_enc),
                users::totp_pending_secret_enc.eq(None::<Vec<u8>>),
                users::totp_enabled.eq(true),
                users::totp_last_step.eq(step),
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn reset_totp(conn: &mut DbConn, id: &str) -> ApiResult<()> {
        diesel::update(users::table.find(id))
            .set((
                users::totp_secret_enc.eq(None::<Vec<u8>>),
                users::totp_pending_secret_enc.eq(None::<Vec<u8>>),
                users::totp_enabled.eq(false),
                users::totp_last_step.eq(None::<i64>),
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        diesel::delete(backup_codes::table.filter(backup_codes::user_id.eq(id))).execute(conn)?;
        Ok(())
    }

    /// Claims a TOTP time step: succeeds only when it is later than every step used before (compare-and-set, so
    /// a code can never be accepted twice, even by concurrent requests).
    pub fn claim_totp_step(conn: &mut DbConn, id: &str, step: i64) -> ApiResult<bool> {
        let n = diesel::update(
            users::table.find(id).filter(
                users::totp_last_step
                    .is_null()
                    .or(users::totp_last_step.lt(step)),
            ),
        )
        .set(users::totp_last_step.eq(step))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Every stored ciphertext of the users table, for key rotation: (row id, column, blob).
    pub fn encrypted_columns(conn: &mut DbConn) -> ApiResult<Vec<(String, &'static str, Vec<u8>)>> {
        type Row = (String, Option<Vec<u8>>, Option<Vec<u8>>);
        let rows: Vec<Row> = users::table
            .select((
                users::id,
                users::totp_secret_enc,
                users::totp_pending_secret_enc,
            ))
            .load(conn)?;
        let mut out = Vec::new();
        for (id, a, b) in rows {
            if let Some(a) = a {
                out.push((id.clone(), "totp_secret_enc", a));
            }
            if let Some(b) = b {
                out.push((id, "totp_pending_secret_enc", b));
            }
        }
        Ok(out)
    }

    pub fn store_ciphertext(
        conn: &mut DbConn,
        id: &str,
        column: &str,
        blob: &[u8],
    ) -> ApiResult<()> {
        let q = diesel::update(users::table.find(id));
        match column {
            "totp_secret_enc" => q.set(users::totp_secret_enc.eq(blob)).execute(conn)?,
            "totp_pending_secret_enc" => q
                .set(users::totp_pending_secret_enc.eq(blob))
                .execute(conn)?,
            other => {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "unknown encrypted column {other}"
                )))
            }
        };
        Ok(())
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = backup_codes)]
pub struct BackupCode {
    pub id: String,
    pub user_id: String,
    pub code_hash: String,
    pub created_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

impl BackupCode {
    /// Replaces a user's backup codes with these hashes.
    pub fn replace_all(conn: &mut DbConn, user_id: &str, hashes: &[String]) -> ApiResult<()> {
        diesel::delete(backup_codes::table.filter(backup_codes::user_id.eq(user_id)))
            .execute(conn)?;
        let t = now();
        for h in hashes {
            diesel::insert_into(backup_codes::table)
                .values((
                    backup_codes::id.eq(new_id()),
                    backup_codes::user_id.eq(user_id),
                    backup_codes::code_hash.eq(h.as_str()),
                    backup_codes::created_at.eq(t),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Uses a code once: a single conditional update, so concurrent uses of one code succeed exactly once.
    pub fn consume(conn: &mut DbConn, user_id: &str, hash: &str) -> ApiResult<bool> {
        let n = diesel::update(
            backup_codes::table
                .filter(backup_codes::user_id.eq(user_id))
                .filter(backup_codes::code_hash.eq(hash))
                .filter(backup_codes::used_at.is_null()),
        )
        .set(backup_codes::used_at.eq(now()))
        .execute(conn)?;
        Ok(n == 1)
    }

    pub fn remaining(conn: &mut DbConn, user_id: &str) -> ApiResult<i64> {
        Ok(backup_codes::table
            .filter(backup_codes::user_id.eq(user_id))
            .filter(backup_codes::used_at.is_null())
            .count()
            .get_result(conn)?)
    }
}
