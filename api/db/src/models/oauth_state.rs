//! OAuth consents in flight (Gmail, the Instagram link and the Instagram sign-in): the state sent to the provider
//! (only its SHA-256 is kept), whom it is for (none for a sign-in), the browser it is bound to (the SHA-256 of a
//! cookie), and the 10-minute expiry. A state is claimed once.

use crate::schema::oauth_states;
use crate::{new_id, DbConn};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_states)]
pub struct OAuthState {
    pub id: String,
    pub state_hash: String,
    /// Whose consent it is; none for a sign-in.
    pub user_id: Option<String>,
    /// What the consent is for, e.g. `gmail`.
    pub purpose: String,
    pub redirect_uri: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    /// SHA-256 of the cookie of the browser that started the consent (Instagram link and sign-in).
    pub binding_hash: Option<String>,
}

/// A new bound state.
pub struct NewOAuthState<'a> {
    pub state_hash: &'a str,
    pub user_id: Option<&'a str>,
    pub purpose: &'a str,
    pub redirect_uri: &'a str,
    pub binding_hash: &'a str,
    pub now: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Why a state could not be claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRefusal {
    Unknown,
    Expired,
    Used,
}

impl OAuthState {
    /// The user whose consent it is (empty for a sign-in state).
    pub fn owner(&self) -> &str {
        self.user_id.as_deref().unwrap_or_default()
    }

    pub fn create(
        conn: &mut DbConn,
        state_hash: &str,
        user_id: &str,
        purpose: &str,
        redirect_uri: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> ApiResult<()> {
        // States nobody came back for are useless once expired: drop them as new ones are made.
        diesel::delete(
            oauth_states::table
                .filter(oauth_states::expires_at.lt(now - chrono::Duration::days(1))),
        )
        .execute(conn)?;
        diesel::insert_into(oauth_states::table)
            .values((
                oauth_states::id.eq(new_id()),
                oauth_states::state_hash.eq(state_hash),
                oauth_states::user_id.eq(user_id),
                oauth_states::purpose.eq(purpose),
                oauth_states::redirect_uri.eq(redirect_uri),
                oauth_states::created_at.eq(now),
                oauth_states::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// A state for one of the Instagram consents: optionally a user's, always bound to a browser.
    pub fn create_bound(conn: &mut DbConn, s: &NewOAuthState<'_>) -> ApiResult<()> {
        diesel::delete(
            oauth_states::table
                .filter(oauth_states::expires_at.lt(s.now - chrono::Duration::days(1))),
        )
        .execute(conn)?;
        diesel::insert_into(oauth_states::table)
            .values((
                oauth_states::id.eq(new_id()),
                oauth_states::state_hash.eq(s.state_hash),
                oauth_states::user_id.eq(s.user_id),
                oauth_states::purpose.eq(s.purpose),
                oauth_states::redirect_uri.eq(s.redirect_uri),
                oauth_states::created_at.eq(s.now),
                oauth_states::expires_at.eq(s.expires_at),
                oauth_states::binding_hash.eq(s.binding_hash),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// What a state (claimed or not) was for.
    pub fn purpose_of(conn: &mut DbConn, state_hash: &str) -> ApiResult<Option<String>> {
        Ok(oauth_states::table
            .filter(oauth_states::state_hash.eq(state_hash))
            .select(oauth_states::purpose)
            .first(conn)
            .optional()?)
    }

    /// [`OAuthState::claim`] for a state of any of `purposes` (one callback serves several).
    pub fn claim_any(
        conn: &mut DbConn,
        state_hash: &str,
        purposes: &[&str],
        now: NaiveDateTime,
    ) -> ApiResult<Result<OAuthState, StateRefusal>> {
        let purpose: Option<String> = oauth_states::table
            .filter(oauth_states::state_hash.eq(state_hash))
            .filter(oauth_states::purpose.eq_any(purposes))
            .select(oauth_states::purpose)
            .first(conn)
            .optional()?;
        match purpose {
            Some(p) => OAuthState::claim(conn, state_hash, &p, now),
            None => Ok(Err(StateRefusal::Unknown)),
        }
    }

    /// Claims a state for `purpose` exactly once: the one UPDATE that sets `used_at` wins; any later (or
    /// concurrent) claim, an expired state and an unknown one are refused with the reason.
    pub fn claim(
        conn: &mut DbConn,
        state_hash: &str,
        purpose: &str,
        now: NaiveDateTime,
    ) -> ApiResult<Result<OAuthState, StateRefusal>> {
        let n = diesel::update(
            oauth_states::table
                .filter(oauth_states::state_hash.eq(state_hash))
                .filter(oauth_states::purpose.eq(purpose))
                .filter(oauth_states::used_at.is_null())
                .filter(oauth_states::expires_at.gt(now)),
        )
        .set(oauth_states::used_at.eq(now))
        .execute(conn)?;
        let row: Option<OAuthState> = oauth_states::table
            .filter(oauth_states::state_hash.eq(state_hash))
            .filter(oauth_states::purpose.eq(purpose))
            .select(OAuthState::as_select())
            .first(conn)
            .optional()?;
        Ok(match (n, row) {
            (1, Some(row)) => Ok(row),
            (_, None) => Err(StateRefusal::Unknown),
            (_, Some(row)) if row.used_at.is_some() => Err(StateRefusal::Used),
            (_, Some(_)) => Err(StateRefusal::Expired),
        })
    }
}
