//! A user's linked Gmail mailboxes (the OAuth states of consents in flight are in `oauth_state`). Refresh tokens arrive here already
//! encrypted: the caller binds them to [`Mailbox::slot`]. Every query names the owner, so one user never reaches
//! another's mailbox.

use crate::schema::mailboxes;
use crate::{new_id, DbConn};

pub use super::oauth_state::{OAuthState, StateRefusal};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::crypto::Slot;
use leadgen_core::ApiResult;

pub const STATUS_CONNECTED: &str = "connected";
pub const STATUS_NEEDS_RECONNECT: &str = "needs_reconnect";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mailboxes)]
pub struct Mailbox {
    pub id: String,
    pub user_id: String,
    pub address: String,
    pub address_key: String,
    /// `connected` or `needs_reconnect`.
    pub status: String,
    pub refresh_token_enc: Vec<u8>,
    /// The scopes Google granted, space-separated.
    pub scopes: String,
    pub connected_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// A mailbox as connected by a consent, its refresh token already sealed for `id`.
pub struct ConnectedMailbox<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub address: &'a str,
    pub refresh_token_enc: &'a [u8],
    pub scopes: &'a str,
    pub at: NaiveDateTime,
}

impl Mailbox {
    /// The associated data a refresh token of this row is encrypted under.
    pub fn slot(id: &str) -> Slot<'_> {
        Slot {
            table: "mailboxes",
            column: "refresh_token_enc",
            row_id: id,
        }
    }

    pub fn address_key(address: &str) -> String {
        address.trim().to_lowercase()
    }

    /// One user's mailboxes, oldest connection first.
    pub fn list(conn: &mut DbConn, user_id: &str) -> ApiResult<Vec<Mailbox>> {
        Ok(mailboxes::table
            .filter(mailboxes::user_id.eq(user_id))
            .select(Mailbox::as_select())
            .order((mailboxes::connected_at, mailboxes::id))
            .load(conn)?)
    }

    /// The user's mailbox with this id (another user's id finds nothing).
    pub fn find_owned(conn: &mut DbConn, user_id: &str, id: &str) -> ApiResult<Option<Mailbox>> {
        Ok(mailboxes::table
            .filter(mailboxes::id.eq(id))
            .filter(mailboxes::user_id.eq(user_id))
            .select(Mailbox::as_select())
            .first(conn)
            .optional()?)
    }

    /// The id of the user's mailbox with this address, if it is linked already (its token is replaced in place,
    /// so a reconnect keeps the row and what refers to it).
    pub fn id_for_address(
        conn: &mut DbConn,
        user_id: &str,
        address: &str,
    ) -> ApiResult<Option<String>> {
        Ok(mailboxes::table
            .filter(mailboxes::user_id.eq(user_id))
            .filter(mailboxes::address_key.eq(Mailbox::address_key(address)))
            .select(mailboxes::id)
            .first(conn)
            .optional()?)
    }

    pub fn new_id() -> String {
        new_id()
    }

    /// Stores a consent: a new row, or the same address's row with the new token and status `connected`.
    pub fn upsert(conn: &mut DbConn, m: &ConnectedMailbox<'_>) -> ApiResult<Mailbox> {
        let n = diesel::update(
            mailboxes::table
                .filter(mailboxes::id.eq(m.id))
                .filter(mailboxes::user_id.eq(m.user_id)),
        )
        .set((
            mailboxes::address.eq(m.address),
            mailboxes::status.eq(STATUS_CONNECTED),
            mailboxes::refresh_token_enc.eq(m.refresh_token_enc),
            mailboxes::scopes.eq(m.scopes),
            mailboxes::connected_at.eq(m.at),
            mailboxes::updated_at.eq(m.at),
        ))
        .execute(conn)?;
        if n == 0 {
            diesel::insert_into(mailboxes::table)
                .values((
                    mailboxes::id.eq(m.id),
                    mailboxes::user_id.eq(m.user_id),
                    mailboxes::address.eq(m.address),
                    mailboxes::address_key.eq(Mailbox::address_key(m.address)),
                    mailboxes::status.eq(STATUS_CONNECTED),
                    mailboxes::refresh_token_enc.eq(m.refresh_token_enc),
                    mailboxes::scopes.eq(m.scopes),
                    mailboxes::connected_at.eq(m.at),
                    mailboxes::updated_at.eq(m.at),
                ))
                .execute(conn)?;
        }
        Ok(mailboxes::table
            .find(m.id)
            .select(Mailbox::as_select())
            .first(conn)?)
    }

    /// Marks a mailbox whose refresh token Google refused.
    pub fn set_status(
        conn: &mut DbConn,
        id: &str,
        status: &str,
        at: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(mailboxes::table.find(id))
            .set((mailboxes::status.eq(status), mailboxes::updated_at.eq(at)))
            .execute(conn)?;
        Ok(())
    }

    /// Records that the mailbox was used (a send, a sync).
    pub fn touch(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> ApiResult<()> {
        diesel::update(mailboxes::table.find(id))
            .set(mailboxes::last_used_at.eq(at))
            .execute(conn)?;
        Ok(())
    }

    /// Disconnects (deletes) the user's mailbox; false when the user has no mailbox with this id.
    pub fn delete_owned(conn: &mut DbConn, user_id: &str, id: &str) -> ApiResult<bool> {
        let n = diesel::delete(
            mailboxes::table
                .filter(mailboxes::id.eq(id))
                .filter(mailboxes::user_id.eq(user_id)),
        )
        .execute(conn)?;
        Ok(n > 0)
    }

    /// Every refresh token ciphertext (for key rotation).
    pub fn encrypted(conn: &mut DbConn) -> ApiResult<Vec<(String, Vec<u8>)>> {
        Ok(mailboxes::table
            .select((mailboxes::id, mailboxes::refresh_token_enc))
            .load(conn)?)
    }

    pub fn replace_ciphertext(conn: &mut DbConn, id: &str, enc: &[u8]) -> ApiResult<()> {
        diesel::update(mailboxes::table.find(id))
            .set(mailboxes::refresh_token_enc.eq(enc))
            .execute(conn)?;
        Ok(())
    }
}
