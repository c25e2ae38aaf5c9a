//! Leads: the rows of the workspace grid, with their queries (filter tree, multi-column sort, keyset and offset
//! paging, capped counts), optimistic concurrency (`version`) and the edit history that powers undo.
//!
//! One file per part: `patch` (the editable fields and their validation), `filter` (the filter tree), `search`
//! (full-text search), `sort` (sort keys and keyset cursors), `page` (paging and counting), `write` (single-row
//! writes), `bulk_load` (bulk writes for imports), `history` (the edit history), `bulk` (bulk selection and edits),
//! `undo` (undo and redo).

mod bulk;
mod bulk_load;
mod filter;
mod history;
mod page;
mod patch;
mod pipeline;
mod search;
mod sort;
mod undo;
mod write;

pub use bulk::{Selection, BULK_MAX};
pub use bulk_load::NewLeadRow;
pub use filter::{like_escape, preset_range, Filter, Op};
pub use history::{LeadEdit, NewEditRow};
pub use page::{owned_by, PageRequest, COUNT_CAP};
pub use patch::{normalise_username, valid_email, valid_username, LeadPatch};
pub use pipeline::ContactSource;
pub use sort::{Sort, SortKey};
pub use undo::UndoOutcome;
pub use write::NewLead;

use crate::schema::leads;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

pub const STATUSES: &[&str] = &[
    "new",
    "enriched",
    "qualified",
    "email_drafted",
    "contacted",
    "replied",
    "bounced",
    "not_interested",
    "do_not_contact",
];

#[derive(Queryable, Selectable, Identifiable, Clone, Debug, Serialize)]
#[diesel(table_name = leads)]
pub struct Lead {
    pub id: String,
    pub owner_id: String,
    pub username: String,
    pub full_name: Option<String>,
    pub biography: Option<String>,
    pub followers: Option<i64>,
    pub following: Option<i64>,
    pub posts: Option<i64>,
    pub is_business: bool,
    pub business_category: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub source_hashtag: Option<String>,
    pub product_id: Option<String>,
    pub status: String,
    pub tags: String,
    pub notes: Option<String>,
    pub email_subject: Option<String>,
    pub email_body: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub enriched_at: Option<NaiveDateTime>,
    pub contacted_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub version: i64,
    /// The grid's tie-break (see `Sort`); internal, not part of the API's lead.
    #[serde(skip)]
    pub seq: i64,
    /// The owner's `users.seq`; internal.
    #[serde(skip)]
    pub owner_key: i64,
    /// JSON text `[{"url","title"}]` (contact-search citations); the API parses it.
    #[serde(skip)]
    pub contact_sources: Option<String>,
}

/// One lead as the JSON object the history compares.
pub fn as_json(l: &Lead) -> Value {
    let mut v = serde_json::to_value(l).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "tags".into(),
            serde_json::from_str(&l.tags).unwrap_or(json!([])),
        );
    }
    v
}

/// The lead as the API shows it (`LeadDto`): UTC timestamps with `Z`, no owner.
pub fn public_json(l: &Lead) -> Value {
    let mut v = as_json(l);
    if let Some(o) = v.as_object_mut() {
        o.remove("owner_id");
        let ts = |t: NaiveDateTime| {
            json!(t
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        };
        o.insert("created_at".into(), ts(l.created_at));
        o.insert("updated_at".into(), ts(l.updated_at));
        for (k, t) in [
            ("enriched_at", l.enriched_at),
            ("contacted_at", l.contacted_at),
            ("deleted_at", l.deleted_at),
        ] {
            o.insert(k.into(), t.map(ts).unwrap_or(Value::Null));
        }
    }
    v
}
