//! The do-not-contact list: usernames and e-mail addresses an owner never wants to reach. Adding an entry marks
//! matching leads "do not contact" (undoably); new and imported leads that match start in that status; marking a
//! lead "do not contact" puts its username and e-mail on the list. Outreach steps check `blocks`.

use crate::conn::DbConn;
use crate::models::lead::{
    like_escape, normalise_username, valid_email, valid_username, Lead, LeadPatch, Selection,
};
use crate::schema::{do_not_contact, leads};
use crate::sql::{lit, opt, ts, MultiInsert};
use crate::{new_id, now};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::{ApiError, ApiResult};
use std::collections::HashSet;

pub const STATUS: &str = "do_not_contact";

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = do_not_contact)]
pub struct DoNotContact {
    pub id: String,
    pub owner_id: String,
    pub kind: String,
    pub value: String,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// The normalised value of an entry, or a 422 naming `value`.
pub fn normalise(kind: &str, value: &str) -> ApiResult<String> {
    match kind {
        "username" => {
            let u = normalise_username(value);
            if valid_username(&u) {
                Ok(u)
            } else {
                Err(ApiError::field(
                    "value",
                    "invalid_username",
                    "1-30 characters: letters, digits, '.' or '_'",
                ))
            }
        }
        "email" => {
            let e = value.trim().to_lowercase();
            if valid_email(&e) {
                Ok(e)
            } else {
                Err(ApiError::field(
                    "value",
                    "invalid_email",
                    "Not a valid email address",
                ))
            }
        }
        _ => Err(ApiError::field(
            "kind",
            "invalid_kind",
            "Either username or email",
        )),
    }
}

/// The reason of an entry added on the do-not-contact page without one.
pub const PAGE_REASON: &str = "Added on the do-not-contact page";

/// Marks the owner's live leads with these usernames or e-mails "do not contact" (one undoable batch). Their other
/// username or e-mail goes on the list first with `reason` (marking alone would record it as "Marked in the grid").
fn mark_matching(
    conn: &mut DbConn,
    owner_id: &str,
    usernames: &[String],
    emails: &[String],
    reason: &str,
    batch_id: &str,
) -> ApiResult<usize> {
    let mut found: Vec<(String, String, Option<String>)> = vec![];
    for (by_username, values) in [(true, usernames), (false, emails)] {
        for chunk in values.chunks(1000) {
            let q = leads::table
                .filter(crate::models::lead::owned_by(owner_id))
                .filter(leads::deleted_at.is_null())
                .filter(leads::status.ne(STATUS))
                .into_boxed();
            let q = if by_username {
                q.filter(leads::username.eq_any(chunk))
            } else {
                q.filter(leads::email.eq_any(chunk))
            };
            found.extend(
                q.select((leads::id, leads::username, leads::email))
                    .load::<(String, String, Option<String>)>(conn)?,
            );
        }
    }
    let mut seen = HashSet::new();
    found.retain(|(id, _, _)| seen.insert(id.clone()));
    if found.is_empty() {
        return Ok(0);
    }
    let pairs: Vec<(String, Option<String>)> = found
        .iter()
        .map(|(_, u, e)| (u.clone(), e.clone()))
        .collect();
    DoNotContact::remember(conn, owner_id, &pairs, reason)?;
    let patch = LeadPatch {
        status: Some(STATUS.into()),
        ..Default::default()
    };
    let sel = Selection {
        ids: Some(found.into_iter().map(|(id, _, _)| id).collect()),
        search: None,
        filter: None,
    };
    Lead::bulk_update(conn, owner_id, Some(owner_id), &sel, patch, batch_id)
}

/// What adding many entries at once did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AddedMany {
    pub added: usize,
    /// Already on the list (left as they were).
    pub already_listed: usize,
    pub leads_marked: usize,
}

impl DoNotContact {
    /// Adds many normalised `(kind, value)` entries with one reason (pasted or imported on the page); entries
    /// already listed are kept as they were. Matching leads are marked in one undoable batch.
    pub fn add_many(
        conn: &mut DbConn,
        owner_id: &str,
        entries: &[(String, String)],
        reason: &str,
        batch_id: &str,
    ) -> ApiResult<AddedMany> {
        let mut unique: Vec<&(String, String)> = vec![];
        let mut seen = HashSet::new();
        for e in entries {
            if seen.insert(e) {
                unique.push(e);
            }
        }
        let of = |k: &str| -> Vec<String> {
            unique
                .iter()
                .filter(|(kind, _)| kind == k)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let listed = DoNotContact::listed(conn, owner_id, &of("username"), &of("email"))?;
        let fresh: Vec<&(String, String)> =
            unique.into_iter().filter(|e| !listed.contains(e)).collect();
        let (owner, at, why) = (lit(owner_id), ts(now()), opt(Some(reason)));
        let mut out = MultiInsert::new(
            "do_not_contact",
            "id, owner_id, kind, value, reason, created_at",
            250,
        )
        .ignore_duplicates();
        for (kind, value) in &fresh {
            out.row(
                conn,
                &[&lit(&new_id()), &owner, &lit(kind), &lit(value), &why, &at],
            )?;
        }
        out.flush(conn)?;
        let pick = |k: &str| -> Vec<String> {
            fresh
                .iter()
                .filter(|(kind, _)| kind == k)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let leads_marked = mark_matching(
            conn,
            owner_id,
            &pick("username"),
            &pick("email"),
            reason,
            batch_id,
        )?;
        Ok(AddedMany {
            added: fresh.len(),
            already_listed: listed.len(),
            leads_marked,
        })
    }

    /// Every entry of the owner, by kind and value (the export).
    pub fn all(conn: &mut DbConn, owner_id: &str) -> ApiResult<Vec<DoNotContact>> {
        Ok(do_not_contact::table
            .filter(do_not_contact::owner_id.eq(owner_id))
            .order((do_not_contact::kind.desc(), do_not_contact::value.asc()))
            .select(DoNotContact::as_select())
            .load(conn)?)
    }

    /// A page of the owner's entries, newest first, optionally those containing `q`.
    pub fn list(
        conn: &mut DbConn,
        owner_id: &str,
        q: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> ApiResult<(Vec<DoNotContact>, i64)> {
        let base = || {
            let mut b = do_not_contact::table
                .filter(do_not_contact::owner_id.eq(owner_id.to_owned()))
                .into_boxed();
            if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
                let pattern = format!("%{}%", like_escape(&q.to_lowercase()));
                b = b.filter(do_not_contact::value.like(pattern).escape('\\'));
            }
            b
        };
        let total = base().count().get_result(conn)?;
        let rows = base()
            .order((do_not_contact::created_at.desc(), do_not_contact::id.desc()))
            .limit(limit)
            .offset(offset)
            .select(DoNotContact::as_select())
            .load(conn)?;
        Ok((rows, total))
    }

    /// Adds an entry and marks the owner's matching live leads (one undoable batch). Returns the entry and how
    /// many leads were marked; a value already on the list answers 409.
    pub fn add(
        conn: &mut DbConn,
        owner_id: &str,
        kind: &str,
        value: &str,
        reason: Option<&str>,
        batch_id: &str,
    ) -> ApiResult<(DoNotContact, usize)> {
        let value = normalise(kind, value)?;
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or(PAGE_REASON);
        let id = new_id();
        diesel::insert_into(do_not_contact::table)
            .values((
                do_not_contact::id.eq(&id),
                do_not_contact::owner_id.eq(owner_id),
                do_not_contact::kind.eq(kind),
                do_not_contact::value.eq(&value),
                do_not_contact::reason.eq(reason),
                do_not_contact::created_at.eq(now()),
            ))
            .execute(conn)
            .map_err(|e| match e {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                ) => ApiError::conflict("value", "This is already on your do-not-contact list."),
                other => other.into(),
            })?;
        let (usernames, emails) = if kind == "username" {
            (vec![value.clone()], vec![])
        } else {
            (vec![], vec![value.clone()])
        };
        let marked = mark_matching(
            conn,
            owner_id,
            &usernames,
            &emails,
            &format!("{reason} (with {value})"),
            batch_id,
        )?;
        let entry = do_not_contact::table
            .find(&id)
            .select(DoNotContact::as_select())
            .first(conn)?;
        Ok((entry, marked))
    }

    /// Removes an entry (leads keep their status). False when the owner has no such entry.
    pub fn remove(conn: &mut DbConn, owner_id: &str, id: &str) -> ApiResult<bool> {
        Ok(diesel::delete(
            do_not_contact::table
                .filter(do_not_contact::id.eq(id))
                .filter(do_not_contact::owner_id.eq(owner_id)),
        )
        .execute(conn)?
            > 0)
    }

    /// Puts usernames and e-mails of leads just marked "do not contact" on the list (known values are kept).
    pub fn remember(
        conn: &mut DbConn,
        owner_id: &str,
        leads: &[(String, Option<String>)],
        reason: &str,
    ) -> ApiResult<()> {
        let (owner, at, why) = (lit(owner_id), ts(now()), opt(Some(reason)));
        let mut out = MultiInsert::new(
            "do_not_contact",
            "id, owner_id, kind, value, reason, created_at",
            250,
        )
        .ignore_duplicates();
        for (username, email) in leads {
            let username_lit = lit(username);
            out.row(
                conn,
                &[
                    &lit(&new_id()),
                    &owner,
                    "'username'",
                    &username_lit,
                    &why,
                    &at,
                ],
            )?;
            if let Some(e) = email {
                out.row(
                    conn,
                    &[&lit(&new_id()), &owner, "'email'", &lit(e), &why, &at],
                )?;
            }
        }
        out.flush(conn)
    }

    /// Of these usernames and e-mails, the ones on the owner's list (for imports and outreach).
    pub fn listed(
        conn: &mut DbConn,
        owner_id: &str,
        usernames: &[String],
        emails: &[String],
    ) -> ApiResult<HashSet<(String, String)>> {
        let mut out = HashSet::new();
        for (kind, values) in [("username", usernames), ("email", emails)] {
            for chunk in values.chunks(2000) {
                let found: Vec<String> = do_not_contact::table
                    .filter(do_not_contact::owner_id.eq(owner_id))
                    .filter(do_not_contact::kind.eq(kind))
                    .filter(do_not_contact::value.eq_any(chunk))
                    .select(do_not_contact::value)
                    .load(conn)?;
                out.extend(found.into_iter().map(|v| (kind.to_owned(), v)));
            }
        }
        Ok(out)
    }

    /// Whether outreach to this username or e-mail is forbidden.
    pub fn blocks(
        conn: &mut DbConn,
        owner_id: &str,
        username: &str,
        email: Option<&str>,
    ) -> ApiResult<bool> {
        let emails: Vec<String> = email.map(|e| vec![e.to_lowercase()]).unwrap_or_default();
        Ok(
            !DoNotContact::listed(conn, owner_id, &[normalise_username(username)], &emails)?
                .is_empty(),
        )
    }
}
