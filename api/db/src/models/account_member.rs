//! Who works on an Instagram account and with which role: `owner` (exactly one), `admin`, `viewer`; and each
//! user's primary account. Every account query that starts from a user goes through a membership, so an account
//! the user is not a member of is never found.

use super::ig_account::IgAccount;
use crate::schema::{account_members, ig_accounts, users};
use crate::{new_id, DbConn};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::ApiResult;

pub const ROLE_OWNER: &str = "owner";
pub const ROLE_ADMIN: &str = "admin";
pub const ROLE_VIEWER: &str = "viewer";
pub const ROLES: [&str; 3] = [ROLE_OWNER, ROLE_ADMIN, ROLE_VIEWER];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = account_members)]
pub struct AccountMember {
    pub id: String,
    pub account_id: String,
    pub user_id: String,
    pub role: String,
    pub is_primary: bool,
    pub created_at: NaiveDateTime,
}

/// A member with their username (the members list).
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub member: AccountMember,
    pub username: String,
}

impl AccountMember {
    /// Owners and admins manage the account (members, proxy, session); viewers read.
    pub fn can_manage(&self) -> bool {
        self.role == ROLE_OWNER || self.role == ROLE_ADMIN
    }

    pub fn is_owner(&self) -> bool {
        self.role == ROLE_OWNER
    }
}

impl AccountMember {
    /// The user's membership of the account (none: the account does not exist for this user).
    pub fn find(
        conn: &mut DbConn,
        account_id: &str,
        user_id: &str,
    ) -> ApiResult<Option<AccountMember>> {
        Ok(account_members::table
            .filter(account_members::account_id.eq(account_id))
            .filter(account_members::user_id.eq(user_id))
            .select(AccountMember::as_select())
            .first(conn)
            .optional()?)
    }

    /// The account with the user's membership, when the user is a member.
    pub fn account_of(
        conn: &mut DbConn,
        account_id: &str,
        user_id: &str,
    ) -> ApiResult<Option<(IgAccount, AccountMember)>> {
        Ok(ig_accounts::table
            .inner_join(account_members::table)
            .filter(ig_accounts::id.eq(account_id))
            .filter(account_members::user_id.eq(user_id))
            .select((IgAccount::as_select(), AccountMember::as_select()))
            .first(conn)
            .optional()?)
    }

    /// The user's accounts with their membership, primary first, then by username.
    pub fn accounts_of(
        conn: &mut DbConn,
        user_id: &str,
    ) -> ApiResult<Vec<(IgAccount, AccountMember)>> {
        Ok(ig_accounts::table
            .inner_join(account_members::table)
            .filter(account_members::user_id.eq(user_id))
            .select((IgAccount::as_select(), AccountMember::as_select()))
            .order((
                account_members::is_primary.desc(),
                ig_accounts::username_key,
                ig_accounts::id,
            ))
            .load(conn)?)
    }

    /// The members of an account, owner first.
    pub fn list(conn: &mut DbConn, account_id: &str) -> ApiResult<Vec<MemberRow>> {
        let rows: Vec<(AccountMember, String)> = account_members::table
            .inner_join(users::table)
            .filter(account_members::account_id.eq(account_id))
            .select((AccountMember::as_select(), users::username))
            .order((account_members::created_at, account_members::id))
            .load(conn)?;
        let mut rows: Vec<MemberRow> = rows
            .into_iter()
            .map(|(member, username)| MemberRow { member, username })
            .collect();
        rows.sort_by_key(|r| !r.member.is_owner());
        Ok(rows)
    }

    pub fn owner(conn: &mut DbConn, account_id: &str) -> ApiResult<Option<AccountMember>> {
        Ok(account_members::table
            .filter(account_members::account_id.eq(account_id))
            .filter(account_members::role.eq(ROLE_OWNER))
            .select(AccountMember::as_select())
            .first(conn)
            .optional()?)
    }

    /// Adds a member; the user's first account becomes their primary one.
    pub fn add(
        conn: &mut DbConn,
        account_id: &str,
        user_id: &str,
        role: &str,
        now: NaiveDateTime,
    ) -> ApiResult<AccountMember> {
        let has_primary = account_members::table
            .filter(account_members::user_id.eq(user_id))
            .filter(account_members::is_primary.eq(true))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        let id = new_id();
        diesel::insert_into(account_members::table)
            .values((
                account_members::id.eq(&id),
                account_members::account_id.eq(account_id),
                account_members::user_id.eq(user_id),
                account_members::role.eq(role),
                account_members::is_primary.eq(!has_primary),
                account_members::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(account_members::table
            .find(&id)
            .select(AccountMember::as_select())
            .first(conn)?)
    }

    pub fn set_role(
        conn: &mut DbConn,
        account_id: &str,
        user_id: &str,
        role: &str,
    ) -> ApiResult<()> {
        diesel::update(
            account_members::table
                .filter(account_members::account_id.eq(account_id))
                .filter(account_members::user_id.eq(user_id)),
        )
        .set(account_members::role.eq(role))
        .execute(conn)?;
        Ok(())
    }

    /// Removes a membership; if it was the user's primary account, their oldest other account takes its place.
    pub fn remove(conn: &mut DbConn, account_id: &str, user_id: &str) -> ApiResult<bool> {
        let n = diesel::delete(
            account_members::table
                .filter(account_members::account_id.eq(account_id))
                .filter(account_members::user_id.eq(user_id)),
        )
        .execute(conn)?;
        AccountMember::ensure_primary(conn, user_id)?;
        Ok(n > 0)
    }

    /// Makes the account the user's primary one (the user must be a member).
    pub fn set_primary(conn: &mut DbConn, account_id: &str, user_id: &str) -> ApiResult<()> {
        diesel::update(
            account_members::table
                .filter(account_members::user_id.eq(user_id))
                .filter(account_members::is_primary.eq(true)),
        )
        .set(account_members::is_primary.eq(false))
        .execute(conn)?;
        diesel::update(
            account_members::table
                .filter(account_members::account_id.eq(account_id))
                .filter(account_members::user_id.eq(user_id)),
        )
        .set(account_members::is_primary.eq(true))
        .execute(conn)?;
        Ok(())
    }

    /// A user with accounts but no primary one gets their oldest membership as primary.
    pub fn ensure_primary(conn: &mut DbConn, user_id: &str) -> ApiResult<()> {
        let mine: Vec<AccountMember> = account_members::table
            .filter(account_members::user_id.eq(user_id))
            .select(AccountMember::as_select())
            .order((account_members::created_at, account_members::id))
            .load(conn)?;
        if mine.iter().any(|m| m.is_primary) {
            return Ok(());
        }
        if let Some(first) = mine.first() {
            AccountMember::set_primary(conn, &first.account_id, user_id)?;
        }
        Ok(())
    }

    /// The users of the accounts (for fixing primaries after an account is deleted).
    pub fn user_ids(conn: &mut DbConn, account_id: &str) -> ApiResult<Vec<String>> {
        Ok(account_members::table
            .filter(account_members::account_id.eq(account_id))
            .select(account_members::user_id)
            .load(conn)?)
    }
}
