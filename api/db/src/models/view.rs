//! Saved views of the leads grid: filters, sort, columns (order, width, visibility), frozen columns — the grid
//! reopens as it was left.

use crate::conn::DbConn;
use crate::schema::saved_views;
use crate::{new_id, now};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::{ApiError, ApiResult};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = saved_views)]
pub struct SavedView {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    pub state: String,
    pub is_default: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn taken(e: diesel::result::Error) -> ApiError {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => ApiError::conflict("name", "You already have a view with this name."),
        other => other.into(),
    }
}

impl SavedView {
    pub fn list(conn: &mut DbConn, owner_id: &str) -> ApiResult<Vec<SavedView>> {
        Ok(saved_views::table
            .filter(saved_views::owner_id.eq(owner_id))
            .order(saved_views::name.asc())
            .select(SavedView::as_select())
            .load(conn)?)
    }

    /// Creates or replaces (by id) a view; making it the default clears the owner's other default.
    pub fn save(
        conn: &mut DbConn,
        owner_id: &str,
        id: Option<&str>,
        name: &str,
        state: &str,
        is_default: bool,
    ) -> ApiResult<SavedView> {
        let t = now();
        if is_default {
            diesel::update(saved_views::table.filter(saved_views::owner_id.eq(owner_id)))
                .set(saved_views::is_default.eq(false))
                .execute(conn)?;
        }
        let id = match id {
            Some(id) => {
                let n = diesel::update(
                    saved_views::table
                        .find(id)
                        .filter(saved_views::owner_id.eq(owner_id)),
                )
                .set((
                    saved_views::name.eq(name),
                    saved_views::state.eq(state),
                    saved_views::is_default.eq(is_default),
                    saved_views::updated_at.eq(t),
                ))
                .execute(conn)
                .map_err(taken)?;
                if n == 0 {
                    return Err(ApiError::not_found());
                }
                id.to_owned()
            }
            None => {
                let id = new_id();
                diesel::insert_into(saved_views::table)
                    .values((
                        saved_views::id.eq(&id),
                        saved_views::owner_id.eq(owner_id),
                        saved_views::name.eq(name),
                        saved_views::state.eq(state),
                        saved_views::is_default.eq(is_default),
                        saved_views::created_at.eq(t),
                        saved_views::updated_at.eq(t),
                    ))
                    .execute(conn)
                    .map_err(taken)?;
                id
            }
        };
        Ok(saved_views::table
            .find(&id)
            .select(SavedView::as_select())
            .first(conn)?)
    }

    pub fn delete(conn: &mut DbConn, owner_id: &str, id: &str) -> ApiResult<()> {
        let n = diesel::delete(
            saved_views::table
                .find(id)
                .filter(saved_views::owner_id.eq(owner_id)),
        )
        .execute(conn)?;
        if n == 0 {
            return Err(ApiError::not_found());
        }
        Ok(())
    }
}
