//! E-mail drafts: what OpenAI wrote for one lead and one product, waiting for review. One current draft per owner,
//! lead and product (writing again replaces subject and body and sends it back to review). Drafts of leads that are
//! deleted or on the do-not-contact list are never shown, counted or changed by review.

use crate::conn::DbConn;
use crate::schema::{drafts, leads, products};
use crate::{new_id, now};
use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max, sql};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use leadgen_core::ApiResult;

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const REJECTED: &str = "rejected";
/// Set by sending (a later issue); review leaves sent drafts alone.
pub const SENT: &str = "sent";
pub const STATUSES: &[&str] = &[PENDING, APPROVED, REJECTED, SENT];

/// Ids one approve/reject request may name.
pub const REVIEW_MAX: usize = 1000;

#[derive(Queryable, Selectable, Clone, Debug, PartialEq)]
#[diesel(table_name = drafts)]
pub struct Draft {
    pub id: String,
    pub owner_id: String,
    pub lead_id: String,
    pub product_id: String,
    pub session_id: Option<String>,
    pub prompt_id: Option<String>,
    pub prompt_version: Option<i32>,
    pub model: String,
    pub language: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub instruction: Option<String>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_usd: f64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A draft with what the review queue shows of its lead and product.
#[derive(Queryable, Clone, Debug)]
pub struct DraftRow {
    pub draft: Draft,
    pub username: String,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub product_name: String,
}

/// A draft as generation writes it.
pub struct NewDraft<'a> {
    pub owner_id: &'a str,
    pub lead_id: &'a str,
    pub product_id: &'a str,
    pub session_id: Option<&'a str>,
    pub prompt_id: Option<&'a str>,
    pub prompt_version: Option<i32>,
    pub model: &'a str,
    pub language: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub instruction: Option<&'a str>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_usd: f64,
}

/// The review queue's filters (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct DraftFilter {
    pub session_id: Option<String>,
    pub product_id: Option<String>,
    pub prompt_version: Option<i32>,
    pub status: Option<String>,
}

/// What the filters of the review queue can choose from: values with at least one visible draft.
#[derive(Debug, Clone, Default)]
pub struct DraftFacets {
    /// (session id, drafts, when its latest draft was written)
    pub sessions: Vec<(String, i64, NaiveDateTime)>,
    /// (product id, product name, drafts)
    pub products: Vec<(String, String, i64)>,
    /// (prompt version, drafts); drafts of the built-in prompt have none and are not listed.
    pub prompt_versions: Vec<(i32, i64)>,
    /// (status, drafts)
    pub statuses: Vec<(String, i64)>,
}

/// The draft's lead is live and may be contacted: not deleted, not marked "do not contact", and neither its
/// username nor its e-mail on the owner's do-not-contact list. (Joined with `leads`.)
fn visible() -> diesel::expression::SqlLiteral<Bool> {
    sql::<Bool>(
        "leads.deleted_at IS NULL AND leads.status <> 'do_not_contact' AND NOT EXISTS (\
         SELECT 1 FROM do_not_contact dnc WHERE dnc.owner_id = drafts.owner_id AND (\
         (dnc.kind = 'username' AND dnc.value = leads.username) OR \
         (dnc.kind = 'email' AND dnc.value = lower(leads.email))))",
    )
}

/// The columns of a `DraftRow` (a macro: the tuple's type is long to name).
macro_rules! row_columns {
    () => {
        (
            Draft::as_select(),
            leads::username,
            leads::full_name,
            leads::email,
            products::name,
        )
    };
}

impl Draft {
    /// Writes the owner's draft for this lead and product: a new one, or the current one replaced (subject, body,
    /// prompt, model, usage; back to pending). Call inside the transaction that records the generation's effect.
    pub fn save(conn: &mut DbConn, new: &NewDraft<'_>) -> ApiResult<Draft> {
        let t = now();
        let existing: Option<String> = drafts::table
            .filter(drafts::owner_id.eq(new.owner_id))
            .filter(drafts::lead_id.eq(new.lead_id))
            .filter(drafts::product_id.eq(new.product_id))
            .select(drafts::id)
            .first(conn)
            .optional()?;
        let id = match existing {
            Some(id) => {
                diesel::update(drafts::table.find(&id))
                    .set((
                        drafts::session_id.eq(new.session_id),
                        drafts::prompt_id.eq(new.prompt_id),
                        drafts::prompt_version.eq(new.prompt_version),
                        drafts::model.eq(new.model),
                        drafts::language.eq(new.language),
                        drafts::subject.eq(new.subject),
                        drafts::body.eq(new.body),
                        drafts::status.eq(PENDING),
                        drafts::instruction.eq(new.instruction),
                        drafts::prompt_tokens.eq(new.prompt_tokens),
                        drafts::completion_tokens.eq(new.completion_tokens),
                        drafts::cost_usd.eq(new.cost_usd),
                        drafts::updated_at.eq(t),
                    ))
                    .execute(conn)?;
                id
            }
            None => {
                let id = new_id();
                diesel::insert_into(drafts::table)
                    .values((
                        drafts::id.eq(&id),
                        drafts::owner_id.eq(new.owner_id),
                        drafts::lead_id.eq(new.lead_id),
                        drafts::product_id.eq(new.product_id),
                        drafts::session_id.eq(new.session_id),
                        drafts::prompt_id.eq(new.prompt_id),
                        drafts::prompt_version.eq(new.prompt_version),
                        drafts::model.eq(new.model),
                        drafts::language.eq(new.language),
                        drafts::subject.eq(new.subject),
                        drafts::body.eq(new.body),
                        drafts::status.eq(PENDING),
                        drafts::instruction.eq(new.instruction),
                        drafts::prompt_tokens.eq(new.prompt_tokens),
                        drafts::completion_tokens.eq(new.completion_tokens),
                        drafts::cost_usd.eq(new.cost_usd),
                        drafts::created_at.eq(t),
                        drafts::updated_at.eq(t),
                    ))
                    .execute(conn)?;
                id
            }
        };
        Ok(drafts::table
            .find(&id)
            .select(Draft::as_select())
            .first(conn)?)
    }

    /// A page of the owner's visible drafts (newest first) and how many there are.
    pub fn list(
        conn: &mut DbConn,
        owner_id: &str,
        f: &DraftFilter,
        limit: i64,
        offset: i64,
    ) -> ApiResult<(Vec<DraftRow>, i64)> {
        let base = || {
            let mut q = drafts::table
                .inner_join(leads::table.on(leads::id.eq(drafts::lead_id)))
                .inner_join(products::table.on(products::id.eq(drafts::product_id)))
                .filter(drafts::owner_id.eq(owner_id.to_owned()))
                .filter(visible())
                .into_boxed();
            if let Some(s) = &f.session_id {
                q = q.filter(drafts::session_id.eq(s.clone()));
            }
            if let Some(p) = &f.product_id {
                q = q.filter(drafts::product_id.eq(p.clone()));
            }
            if let Some(v) = f.prompt_version {
                q = q.filter(drafts::prompt_version.eq(v));
            }
            if let Some(s) = &f.status {
                q = q.filter(drafts::status.eq(s.clone()));
            }
            q
        };
        let total: i64 = base().count().get_result(conn)?;
        let rows = base()
            .order((drafts::created_at.desc(), drafts::id.desc()))
            .limit(limit)
            .offset(offset)
            .select(row_columns!())
            .load::<DraftRow>(conn)?;
        Ok((rows, total))
    }

    /// One of the owner's visible drafts (someone else's, or a do-not-contact lead's, is none).
    pub fn find_visible(
        conn: &mut DbConn,
        owner_id: &str,
        id: &str,
    ) -> ApiResult<Option<DraftRow>> {
        Ok(drafts::table
            .inner_join(leads::table.on(leads::id.eq(drafts::lead_id)))
            .inner_join(products::table.on(products::id.eq(drafts::product_id)))
            .filter(drafts::id.eq(id))
            .filter(drafts::owner_id.eq(owner_id))
            .filter(visible())
            .select(row_columns!())
            .first::<DraftRow>(conn)
            .optional()?)
    }

    /// The owner's draft for this lead and product, if there is one (visible or not).
    pub fn find_for(
        conn: &mut DbConn,
        owner_id: &str,
        lead_id: &str,
        product_id: &str,
    ) -> ApiResult<Option<Draft>> {
        Ok(drafts::table
            .filter(drafts::owner_id.eq(owner_id))
            .filter(drafts::lead_id.eq(lead_id))
            .filter(drafts::product_id.eq(product_id))
            .select(Draft::as_select())
            .first(conn)
            .optional()?)
    }

    /// Changes subject and/or body of a visible draft (its status stays). `None` when there is no such draft.
    pub fn edit(
        conn: &mut DbConn,
        owner_id: &str,
        id: &str,
        subject: Option<&str>,
        body: Option<&str>,
    ) -> ApiResult<Option<Draft>> {
        if Draft::find_visible(conn, owner_id, id)?.is_none() {
            return Ok(None);
        }
        let t = now();
        if let Some(s) = subject {
            diesel::update(drafts::table.find(id))
                .set((drafts::subject.eq(s), drafts::updated_at.eq(t)))
                .execute(conn)?;
        }
        if let Some(b) = body {
            diesel::update(drafts::table.find(id))
                .set((drafts::body.eq(b), drafts::updated_at.eq(t)))
                .execute(conn)?;
        }
        Ok(Some(
            drafts::table
                .find(id)
                .select(Draft::as_select())
                .first(conn)?,
        ))
    }

    /// Sets `status` on those of `ids` that are the owner's visible, unsent drafts not already in it; how many
    /// changed.
    pub fn review_many(
        conn: &mut DbConn,
        owner_id: &str,
        ids: &[String],
        status: &str,
    ) -> ApiResult<usize> {
        let mut changed = 0;
        for chunk in ids.chunks(500) {
            let chosen: Vec<String> = drafts::table
                .inner_join(leads::table.on(leads::id.eq(drafts::lead_id)))
                .filter(drafts::id.eq_any(chunk))
                .filter(drafts::owner_id.eq(owner_id))
                .filter(drafts::status.ne(SENT))
                .filter(drafts::status.ne(status))
                .filter(visible())
                .select(drafts::id)
                .load(conn)?;
            if chosen.is_empty() {
                continue;
            }
            changed += diesel::update(drafts::table.filter(drafts::id.eq_any(&chosen)))
                .set((drafts::status.eq(status), drafts::updated_at.eq(now())))
                .execute(conn)?;
        }
        Ok(changed)
    }

    /// The owner's visible drafts waiting for review (the dashboard's count).
    pub fn count_pending(conn: &mut DbConn, owner_id: &str) -> ApiResult<i64> {
        Ok(drafts::table
            .inner_join(leads::table.on(leads::id.eq(drafts::lead_id)))
            .filter(drafts::owner_id.eq(owner_id))
            .filter(drafts::status.eq(PENDING))
            .filter(visible())
            .count()
            .get_result(conn)?)
    }

    /// The values the review queue's filters offer, each with its count of visible drafts.
    pub fn facets(conn: &mut DbConn, owner_id: &str) -> ApiResult<DraftFacets> {
        let joined = || {
            drafts::table
                .inner_join(leads::table.on(leads::id.eq(drafts::lead_id)))
                .filter(drafts::owner_id.eq(owner_id.to_owned()))
                .filter(visible())
        };
        let sessions: Vec<(Option<String>, i64, Option<NaiveDateTime>)> = joined()
            .filter(drafts::session_id.is_not_null())
            .group_by(drafts::session_id)
            .select((drafts::session_id, count_star(), max(drafts::created_at)))
            .load(conn)?;
        let mut sessions: Vec<(String, i64, NaiveDateTime)> = sessions
            .into_iter()
            .filter_map(|(s, n, at)| Some((s?, n, at?)))
            .collect();
        sessions.sort_by_key(|s| std::cmp::Reverse(s.2));
        let by_product: Vec<(String, i64)> = joined()
            .group_by(drafts::product_id)
            .select((drafts::product_id, count_star()))
            .load(conn)?;
        let mut products_out = Vec::with_capacity(by_product.len());
        for (pid, n) in by_product {
            let name: String = products::table
                .find(&pid)
                .select(products::name)
                .first(conn)?;
            products_out.push((pid, name, n));
        }
        products_out.sort_by(|a, b| a.1.cmp(&b.1));
        let versions: Vec<(Option<i32>, i64)> = joined()
            .filter(drafts::prompt_version.is_not_null())
            .group_by(drafts::prompt_version)
            .select((drafts::prompt_version, count_star()))
            .load(conn)?;
        let mut prompt_versions: Vec<(i32, i64)> = versions
            .into_iter()
            .filter_map(|(v, n)| Some((v?, n)))
            .collect();
        prompt_versions.sort();
        let mut statuses: Vec<(String, i64)> = joined()
            .group_by(drafts::status)
            .select((drafts::status, count_star()))
            .load(conn)?;
        statuses.sort_by_key(|(s, _)| STATUSES.iter().position(|x| x == s));
        Ok(DraftFacets {
            sessions,
            products: products_out,
            prompt_versions,
            statuses,
        })
    }
}
