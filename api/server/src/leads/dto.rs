use crate::identity::dto::utc;
use chrono::{DateTime, Utc};
use leadgen_db::models::lead::{Lead, LeadEdit};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Serialize, ToSchema)]
pub struct LeadDto {
    pub id: String,
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
    #[schema(value_type = LeadStatus)]
    pub status: String,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub email_subject: Option<String>,
    pub email_body: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub enriched_at: Option<DateTime<Utc>>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Row version: send it back as `If-Match` when updating.
    pub version: i64,
    /// Where a contact search found the lead's contact data (the pipeline's stage 3).
    pub contact_sources: Vec<leadgen_db::models::lead::ContactSource>,
}

impl From<Lead> for LeadDto {
    fn from(l: Lead) -> Self {
        LeadDto {
            tags: serde_json::from_str(&l.tags).unwrap_or_default(),
            contact_sources: l.contact_source_list(),
            id: l.id,
            username: l.username,
            full_name: l.full_name,
            biography: l.biography,
            followers: l.followers,
            following: l.following,
            posts: l.posts,
            is_business: l.is_business,
            business_category: l.business_category,
            email: l.email,
            phone: l.phone,
            website: l.website,
            source_hashtag: l.source_hashtag,
            product_id: l.product_id,
            status: l.status,
            notes: l.notes,
            email_subject: l.email_subject,
            email_body: l.email_body,
            created_at: utc(l.created_at),
            updated_at: utc(l.updated_at),
            enriched_at: l.enriched_at.map(utc),
            contacted_at: l.contacted_at.map(utc),
            deleted_at: l.deleted_at.map(utc),
            version: l.version,
        }
    }
}

/// Where a lead stands (`leadgen_db::models::lead::STATUSES`; a test keeps the two alike).
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    Enriched,
    Qualified,
    EmailDrafted,
    Contacted,
    Replied,
    Bounced,
    NotInterested,
    DoNotContact,
}

impl LeadStatus {
    pub const ALL: &'static [LeadStatus] = &[
        LeadStatus::New,
        LeadStatus::Enriched,
        LeadStatus::Qualified,
        LeadStatus::EmailDrafted,
        LeadStatus::Contacted,
        LeadStatus::Replied,
        LeadStatus::Bounced,
        LeadStatus::NotInterested,
        LeadStatus::DoNotContact,
    ];
}

/// The 409 of a stale `If-Match` (documentation of `ErrorBody` with its details for this case).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LeadConflict {
    error: LeadConflictInfo,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LeadConflictInfo {
    #[schema(example = "conflict")]
    code: leadgen_core::ErrorCode,
    message: String,
    details: LeadConflictDetails,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LeadConflictDetails {
    /// The lead as it is now (absent when the conflict is a taken username).
    current: Option<LeadDto>,
    /// `lead_version_conflict` for a stale version.
    code: Option<String>,
    /// The field that collides (a taken username).
    field: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LeadPage {
    pub items: Vec<LeadDto>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    pub total: i64,
    /// True when counting exactly would make this page slow. `total` is then the size of the whole workspace
    /// when known (an upper bound), else 20,001 (a lower bound); the exact count is computed in the background,
    /// so ask again shortly (the same query answers it once ready).
    pub total_is_estimate: bool,
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeadQuery {
    /// Words searched in username, full name, biography and email (prefix match, all words required).
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub search: Option<String>,
    /// A JSON filter tree: `{"op":"and","rules":[{"field":"followers","cmp":"gte","value":1000}, …]}`. Fields:
    /// text (`username`, `full_name`, `biography`, `email`, `phone`, `website`, `source_hashtag`,
    /// `business_category`, `notes`: contains, not_contains, equals, starts_with, is_empty, not_empty); numbers
    /// (`followers`, `following`, `posts`: eq, gte, lte, between [min,max], is_empty); dates (`created_at`,
    /// `updated_at`, `enriched_at`, `contacted_at`: preset today|yesterday|last_7_days|last_30_days|this_month,
    /// between [from,to], is_empty); `status` in/not_in [..]; `tags` has_any/has_all [..]; `product_id` eq;
    /// `has_email` eq bool; `is_business` eq bool. Groups nest with `op` and/or. At most 2,000 rules and 2,000
    /// list values in all (more: 422 `filter_too_large`).
    #[validate(length(max = 65536))]
    #[param(max_length = 65536)]
    pub filter: Option<String>,
    /// Comma-separated `column[:asc|desc]`, up to 4 (username, full_name, followers, following, posts, status,
    /// email, created_at, updated_at, contacted_at). Default `created_at:desc`.
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub sort: Option<String>,
    #[validate(range(min = 1, max = 500))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// From `next_cursor` of the previous page (keyset paging: stable while rows are added).
    #[validate(length(max = 2000))]
    #[param(max_length = 2000)]
    pub cursor: Option<String>,
    /// Jump to a row position instead of a cursor (for the grid's scrollbar).
    #[validate(range(min = 0, max = 100_000_000))]
    #[param(minimum = 0, maximum = 100_000_000)]
    pub offset: Option<i64>,
    /// Include soft-deleted leads.
    pub include_deleted: Option<bool>,
    /// Admins: another user's id, to read their leads (read-only; recorded in the audit log).
    #[validate(length(max = 64))]
    #[param(max_length = 64)]
    pub owner: Option<String>,
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadAs {
    /// Admins: the owner's user id, to read another user's lead (recorded in the audit log).
    #[validate(length(max = 64))]
    #[param(max_length = 64)]
    pub owner: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LeadEditDto {
    pub id: String,
    pub batch_id: String,
    #[schema(value_type = LeadEditKind)]
    pub kind: String,
    pub actor_id: Option<String>,
    /// `{field: [old, new]}`
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    pub at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
}

impl From<LeadEdit> for LeadEditDto {
    fn from(e: LeadEdit) -> Self {
        LeadEditDto {
            id: e.id,
            batch_id: e.batch_id,
            kind: e.kind,
            actor_id: e.actor_id,
            changes: serde_json::from_str(&e.changes).unwrap_or_default(),
            at: utc(e.at),
            undone_at: e.undone_at.map(utc),
        }
    }
}

/// What a history entry records.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeadEditKind {
    Create,
    Update,
    Delete,
    Restore,
    Undo,
}

/// Which leads a bulk action touches: `ids`, or everything matching `search` and `filter` (or `all`).
#[derive(Deserialize, Validate, ToSchema)]
pub struct SelectionInput {
    #[validate(length(max = 100_000))]
    #[schema(max_items = 100_000)]
    pub ids: Option<Vec<String>>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub search: Option<String>,
    /// A filter tree, as for `GET /api/v1/leads` (here as an object, not a string).
    #[schema(value_type = Option<Object>)]
    pub filter: Option<leadgen_db::models::lead::Filter>,
    /// Every lead in your workspace.
    #[serde(default)]
    pub all: bool,
}

impl SelectionInput {
    pub fn into_selection(
        self,
    ) -> Result<leadgen_db::models::lead::Selection, leadgen_core::ApiError> {
        if self.ids.is_none() && self.search.is_none() && self.filter.is_none() && !self.all {
            return Err(leadgen_core::ApiError::field(
                "ids",
                "required",
                "Name the leads: ids, a search, a filter, or all",
            ));
        }
        Ok(leadgen_db::models::lead::Selection {
            ids: self.ids,
            search: self.search,
            filter: self.filter,
        })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct BulkUpdate {
    #[serde(flatten)]
    pub selection: SelectionInputFlat,
    pub patch: leadgen_db::models::lead::LeadPatch,
}

/// The selection fields inside a bulk update body.
#[derive(Deserialize, ToSchema)]
pub struct SelectionInputFlat {
    pub ids: Option<Vec<String>>,
    pub search: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub filter: Option<leadgen_db::models::lead::Filter>,
    #[serde(default)]
    pub all: bool,
}

impl From<SelectionInputFlat> for SelectionInput {
    fn from(s: SelectionInputFlat) -> Self {
        SelectionInput {
            ids: s.ids,
            search: s.search,
            filter: s.filter,
            all: s.all,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    pub affected: usize,
    /// The history batch; `POST /api/v1/leads/undo` reverts it.
    pub batch_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct UndoResult {
    pub batch_id: String,
    pub affected: usize,
    /// Leads changed by someone else since the edit; left as they are.
    pub skipped: usize,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ViewInput {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The grid's state: filters, sort, columns (order, width, visibility), frozen columns.
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
    #[serde(default)]
    pub is_default: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ViewDto {
    pub id: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
    pub is_default: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<leadgen_db::models::view::SavedView> for ViewDto {
    fn from(v: leadgen_db::models::view::SavedView) -> Self {
        ViewDto {
            id: v.id,
            name: v.name,
            state: serde_json::from_str(&v.state).unwrap_or_default(),
            is_default: v.is_default,
            updated_at: utc(v.updated_at),
        }
    }
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub search: Option<String>,
    /// A filter tree as JSON (see `GET /api/v1/leads`).
    #[validate(length(max = 65536))]
    #[param(max_length = 65536)]
    pub filter: Option<String>,
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub sort: Option<String>,
    /// Comma-separated columns in order (the grid's visible ones), or `all` (the default): every column.
    #[validate(length(max = 1000))]
    #[param(max_length = 1000)]
    pub columns: Option<String>,
    /// Admins: another user's id, to export their leads (recorded in the audit log).
    #[validate(length(max = 64))]
    #[param(max_length = 64)]
    pub owner: Option<String>,
    /// `csv` (the default: UTF-8, `,`) or `excel`: UTF-8 with a byte-order mark, `;` between cells and CRLF line
    /// ends, which Excel (German locale) opens with umlauts and columns intact.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// A name for the file (the saved view's): `leads-<view>-<YYYY-MM-DD>.csv` in `Content-Disposition`.
    #[validate(length(max = 100))]
    #[param(max_length = 100)]
    pub view: Option<String>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    #[default]
    Csv,
    Excel,
}

/// The export's file name: `leads[-view]-<date>.csv`, ASCII only (umlauts spelt out, anything else a dash).
pub fn export_file_name(view: Option<&str>, date: chrono::NaiveDate) -> String {
    let mut slug = String::new();
    for c in view.unwrap_or("").trim().chars() {
        match c {
            'ä' | 'Ä' => slug.push_str("ae"),
            'ö' | 'Ö' => slug.push_str("oe"),
            'ü' | 'Ü' => slug.push_str("ue"),
            'ß' => slug.push_str("ss"),
            c if c.is_ascii_alphanumeric() => slug.push(c.to_ascii_lowercase()),
            _ if !slug.ends_with('-') && !slug.is_empty() => slug.push('-'),
            _ => {}
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        format!("leads-{date}.csv")
    } else {
        format!("leads-{slug}-{date}.csv")
    }
}

/// Columns a CSV export may hold, in their default order.
pub const EXPORT_COLUMNS: &[&str] = &[
    "username",
    "full_name",
    "biography",
    "followers",
    "following",
    "posts",
    "is_business",
    "business_category",
    "email",
    "phone",
    "website",
    "source_hashtag",
    "product_id",
    "status",
    "tags",
    "notes",
    "email_subject",
    "email_body",
    "created_at",
    "updated_at",
    "enriched_at",
    "contacted_at",
];
