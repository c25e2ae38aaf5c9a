//! Leads: the rows of the workspace grid, with their queries (filter tree, multi-column sort, keyset and offset
//! paging, capped counts), optimistic concurrency (`version`) and the edit history that powers undo.

use crate::conn::DbConn;
use crate::models::dnc;
use crate::models::lead_span::LeadSpan;
use crate::schema::{lead_edits, leads, users};
use crate::{new_id, new_seq_id, now};
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};
use leadgen_core::config::Backend;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

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
}

/// Absent → `None` (leave as is); `null` → `Some(None)` (clear); a value → `Some(Some(v))`.
fn some<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The editable fields of a lead; each is optional so one field or many can change at once.
#[derive(Debug, Clone, Default, Deserialize, AsChangeset, utoipa::ToSchema)]
#[diesel(table_name = leads)]
#[serde(deny_unknown_fields)]
pub struct LeadPatch {
    pub username: Option<String>,
    #[serde(default, deserialize_with = "some")]
    pub full_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub biography: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub followers: Option<Option<i64>>,
    #[serde(default, deserialize_with = "some")]
    pub following: Option<Option<i64>>,
    #[serde(default, deserialize_with = "some")]
    pub posts: Option<Option<i64>>,
    pub is_business: Option<bool>,
    #[serde(default, deserialize_with = "some")]
    pub business_category: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub source_hashtag: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub product_id: Option<Option<String>>,
    pub status: Option<String>,
    #[diesel(skip_update)]
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "some")]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub email_subject: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub email_body: Option<Option<String>>,
}

fn field_error(
    errors: &mut serde_json::Map<String, Value>,
    field: &str,
    code: &str,
    message: &str,
) {
    let list = errors.entry(field.to_owned()).or_insert_with(|| json!([]));
    if let Some(a) = list.as_array_mut() {
        a.push(json!({ "code": code, "message": message }));
    }
}

/// `@Some.User ` → `some.user`.
pub fn normalise_username(raw: &str) -> String {
    raw.trim().trim_start_matches('@').trim().to_lowercase()
}

/// A normalised Instagram username: 1-30 lowercase letters, digits, '.' or '_'.
pub fn valid_username(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 30
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
}

/// A lowercased e-mail address of a plausible shape.
pub fn valid_email(e: &str) -> bool {
    e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !e.chars().any(char::is_whitespace)
}

fn clean(v: &mut Option<Option<String>>) {
    if let Some(inner) = v {
        *inner = inner
            .take()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
    }
}

impl LeadPatch {
    /// Normalises values and checks every field; a 422 names each bad field and nothing is written.
    pub fn normalise(&mut self) -> ApiResult<()> {
        let mut errors = serde_json::Map::new();
        if let Some(u) = &mut self.username {
            *u = normalise_username(u);
            if !valid_username(u) {
                field_error(
                    &mut errors,
                    "username",
                    "invalid_username",
                    "1-30 characters: letters, digits, '.' or '_'",
                );
            }
        }
        for v in [
            &mut self.full_name,
            &mut self.biography,
            &mut self.business_category,
            &mut self.email,
            &mut self.phone,
            &mut self.website,
            &mut self.source_hashtag,
            &mut self.product_id,
            &mut self.notes,
            &mut self.email_subject,
            &mut self.email_body,
        ] {
            clean(v);
        }
        if let Some(Some(e)) = &mut self.email {
            *e = e.to_lowercase();
            if !valid_email(e) {
                field_error(
                    &mut errors,
                    "email",
                    "invalid_email",
                    "Not a valid email address",
                );
            }
        }
        if let Some(Some(w)) = &mut self.website {
            if !w.contains("://") {
                *w = format!("https://{w}");
            }
            if url_ok(w).is_none() {
                field_error(
                    &mut errors,
                    "website",
                    "invalid_url",
                    "Not a valid web address",
                );
            }
        }
        if let Some(Some(h)) = &mut self.source_hashtag {
            *h = h.trim_start_matches('#').to_lowercase();
        }
        for (name, v) in [
            ("followers", self.followers),
            ("following", self.following),
            ("posts", self.posts),
        ] {
            if let Some(Some(n)) = v {
                if n < 0 {
                    field_error(&mut errors, name, "negative", "Cannot be negative");
                }
            }
        }
        if let Some(s) = &self.status {
            if !STATUSES.contains(&s.as_str()) {
                field_error(
                    &mut errors,
                    "status",
                    "invalid_status",
                    &format!("One of {}", STATUSES.join(", ")),
                );
            }
        }
        if let Some(tags) = &mut self.tags {
            let mut clean: Vec<String> = tags
                .iter()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect();
            clean.sort();
            clean.dedup();
            if clean
                .iter()
                .any(|t| t.chars().count() > 40 || t.contains('"'))
                || clean.len() > 50
            {
                field_error(
                    &mut errors,
                    "tags",
                    "invalid_tags",
                    "At most 50 tags of up to 40 characters, without quotes",
                );
            }
            *tags = clean;
        }
        let long = [
            ("biography", &self.biography, 5000),
            ("notes", &self.notes, 20000),
            ("email_body", &self.email_body, 50000),
        ];
        for (name, v, max) in long {
            if let Some(Some(s)) = v {
                if s.chars().count() > max {
                    field_error(
                        &mut errors,
                        name,
                        "too_long",
                        &format!("At most {max} characters"),
                    );
                }
            }
        }
        for (name, v) in [
            ("full_name", &self.full_name),
            ("email_subject", &self.email_subject),
            ("phone", &self.phone),
            ("business_category", &self.business_category),
        ] {
            if let Some(Some(s)) = v {
                if s.chars().count() > 500 {
                    field_error(&mut errors, name, "too_long", "At most 500 characters");
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::ValidationFailed)
                .with_details(json!({ "fields": errors })))
        }
    }

    pub fn is_empty(&self) -> bool {
        serde_json::to_value(self.changed_fields())
            .map(|v| v.as_array().is_none_or(|a| a.is_empty()))
            .unwrap_or(true)
    }

    /// Names of the fields this patch sets.
    pub fn changed_fields(&self) -> Vec<&'static str> {
        let mut out = vec![];
        macro_rules! f {
            ($($name:ident),*) => { $( if self.$name.is_some() { out.push(stringify!($name)); } )* };
        }
        f!(
            username,
            full_name,
            biography,
            followers,
            following,
            posts,
            is_business,
            business_category,
            email,
            phone,
            website,
            source_hashtag,
            product_id,
            status,
            tags,
            notes,
            email_subject,
            email_body
        );
        out
    }
}

fn url_ok(s: &str) -> Option<()> {
    let (scheme, rest) = s.split_once("://")?;
    (matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains(char::is_whitespace))
        .then_some(())
}

impl Serialize for LeadPatch {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.changed_fields().serialize(s)
    }
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

// ---------------------------------------------------------------------------------------------------------------
// Filters

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    And,
    Or,
}

/// A filter tree: groups combine rules (or groups) with AND/OR.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Filter {
    Group {
        op: Op,
        rules: Vec<Filter>,
    },
    Rule {
        field: String,
        cmp: String,
        #[serde(default)]
        value: Value,
    },
}

type Cond =
    Box<dyn BoxableExpression<leads::table, crate::conn::MultiBackend, SqlType = Nullable<Bool>>>;

const NUM_FIELDS: &[&str] = &["followers", "following", "posts"];
const DATE_FIELDS: &[&str] = &["created_at", "updated_at", "enriched_at", "contacted_at"];

fn bad(field: &str, msg: impl Into<String>) -> ApiError {
    ApiError::field(
        "filter",
        "invalid_filter",
        format!("{field}: {}", msg.into()),
    )
}

fn text_col(
    name: &str,
) -> Option<
    Box<dyn BoxableExpression<leads::table, crate::conn::MultiBackend, SqlType = Nullable<Text>>>,
> {
    Some(match name {
        "username" => Box::new(leads::username.nullable()),
        "full_name" => Box::new(leads::full_name),
        "biography" => Box::new(leads::biography),
        "email" => Box::new(leads::email),
        "phone" => Box::new(leads::phone),
        "website" => Box::new(leads::website),
        "source_hashtag" => Box::new(leads::source_hashtag),
        "business_category" => Box::new(leads::business_category),
        "notes" => Box::new(leads::notes),
        _ => return None,
    })
}

/// Escapes LIKE wildcards (`%`, `_`) and the escape character (a backslash) itself.
pub fn like_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if matches!(c, '\\' | '%' | '_') {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Date presets, in UTC: `today`, `last_7_days`, `last_30_days`, `this_month`.
pub fn preset_range(preset: &str, now: NaiveDateTime) -> Option<(NaiveDateTime, NaiveDateTime)> {
    use chrono::{Datelike, Duration};
    let today = now.date().and_hms_opt(0, 0, 0)?;
    let end = today + Duration::days(1);
    Some(match preset {
        "today" => (today, end),
        "yesterday" => (today - Duration::days(1), today),
        "last_7_days" => (today - Duration::days(6), end),
        "last_30_days" => (today - Duration::days(29), end),
        "this_month" => (now.date().with_day(1)?.and_hms_opt(0, 0, 0)?, end),
        _ => return None,
    })
}

fn parse_time(field: &str, v: &Value) -> ApiResult<NaiveDateTime> {
    let s = v
        .as_str()
        .ok_or_else(|| bad(field, "dates are RFC 3339 strings"))?;
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.naive_utc())
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| bad(field, format!("{s:?} is not a date")))
}

impl Filter {
    pub fn to_cond(&self, depth: usize) -> ApiResult<Cond> {
        if depth > 8 {
            return Err(bad("filter", "groups nest at most 8 deep"));
        }
        match self {
            Filter::Group { op, rules } => {
                let mut it = rules.iter();
                let Some(first) = it.next() else {
                    return Ok(Box::new(sql::<Bool>("1=1").nullable()));
                };
                let mut acc = first.to_cond(depth + 1)?;
                for r in it {
                    let next = r.to_cond(depth + 1)?;
                    acc = match op {
                        Op::And => Box::new(acc.and(next)),
                        Op::Or => Box::new(acc.or(next)),
                    };
                }
                Ok(acc)
            }
            Filter::Rule { field, cmp, value } => rule(field, cmp, value),
        }
    }
}

fn rule(field: &str, cmp: &str, value: &Value) -> ApiResult<Cond> {
    let f = field;
    if let Some(col) = text_col(f) {
        let s = || {
            value
                .as_str()
                .map(|s| s.trim().to_lowercase())
                .ok_or_else(|| bad(f, "needs a text value"))
        };
        return Ok(match cmp {
            "contains" => Box::new(
                lower(col)
                    .like(format!("%{}%", like_escape(&s()?)))
                    .escape('\\'),
            ),
            "not_contains" => {
                let again = text_col(f).ok_or_else(|| bad(f, "unknown field"))?;
                Box::new(
                    lower(col)
                        .not_like(format!("%{}%", like_escape(&s()?)))
                        .escape('\\')
                        .or(again.is_null().nullable()),
                )
            }
            "equals" => Box::new(lower(col).eq(s()?)),
            "starts_with" => Box::new(
                lower(col)
                    .like(format!("{}%", like_escape(&s()?)))
                    .escape('\\'),
            ),
            "is_empty" => Box::new(col.is_null().nullable()),
            "not_empty" => Box::new(col.is_not_null().nullable()),
            other => return Err(bad(f, format!("unknown comparison {other:?} for text"))),
        });
    }
    if NUM_FIELDS.contains(&f) {
        let col: Box<
            dyn BoxableExpression<
                leads::table,
                crate::conn::MultiBackend,
                SqlType = Nullable<diesel::sql_types::BigInt>,
            >,
        > = match f {
            "followers" => Box::new(leads::followers),
            "following" => Box::new(leads::following),
            _ => Box::new(leads::posts),
        };
        let n = |v: &Value| v.as_i64().ok_or_else(|| bad(f, "needs a whole number"));
        return Ok(match cmp {
            "eq" => Box::new(col.eq(n(value)?)),
            "gte" => Box::new(col.ge(n(value)?)),
            "lte" => Box::new(col.le(n(value)?)),
            "between" => {
                let a = value
                    .get(0)
                    .ok_or_else(|| bad(f, "between needs [min, max]"))?;
                let b = value
                    .get(1)
                    .ok_or_else(|| bad(f, "between needs [min, max]"))?;
                Box::new(col.between(n(a)?, n(b)?))
            }
            "is_empty" => Box::new(col.is_null().nullable()),
            other => return Err(bad(f, format!("unknown comparison {other:?} for numbers"))),
        });
    }
    if DATE_FIELDS.contains(&f) {
        let col: Box<
            dyn BoxableExpression<
                leads::table,
                crate::conn::MultiBackend,
                SqlType = Nullable<diesel::sql_types::Timestamp>,
            >,
        > = match f {
            "created_at" => Box::new(leads::created_at.nullable()),
            "updated_at" => Box::new(leads::updated_at.nullable()),
            "enriched_at" => Box::new(leads::enriched_at),
            _ => Box::new(leads::contacted_at),
        };
        let (from, to) = match cmp {
            "preset" => {
                let p = value
                    .as_str()
                    .ok_or_else(|| bad(f, "preset needs a name"))?;
                preset_range(p, now()).ok_or_else(|| bad(f, format!("unknown preset {p:?} (today, yesterday, last_7_days, last_30_days, this_month)")))?
            }
            "between" => {
                let a = parse_time(f, value.get(0).unwrap_or(&Value::Null))?;
                let b = parse_time(f, value.get(1).unwrap_or(&Value::Null))?;
                (a, b)
            }
            "is_empty" => return Ok(Box::new(col.is_null().nullable())),
            other => return Err(bad(f, format!("unknown comparison {other:?} for dates"))),
        };
        return Ok(Box::new(col.ge(from).and(lt_ts(f, to))));
    }
    match (f, cmp) {
        ("status", "in") => {
            let list: Vec<String> = serde_json::from_value(value.clone())
                .map_err(|_| bad(f, "needs a list of statuses"))?;
            if let Some(x) = list.iter().find(|s| !STATUSES.contains(&s.as_str())) {
                return Err(bad(f, format!("unknown status {x:?}")));
            }
            Ok(Box::new(leads::status.eq_any(list).nullable()))
        }
        ("status", "not_in") => {
            let list: Vec<String> = serde_json::from_value(value.clone())
                .map_err(|_| bad(f, "needs a list of statuses"))?;
            Ok(Box::new(leads::status.ne_all(list).nullable()))
        }
        ("tags", "has_any") | ("tags", "has_all") => {
            let list: Vec<String> = serde_json::from_value(value.clone())
                .map_err(|_| bad(f, "needs a list of tags"))?;
            let mut it = list.iter().map(|t| {
                leads::tags
                    .like(format!("%\"{}\"%", like_escape(t)))
                    .escape('\\')
            });
            let Some(first) = it.next() else {
                return Err(bad(f, "needs at least one tag"));
            };
            let mut acc: Cond = Box::new(first.nullable());
            for next in it {
                acc = if cmp == "has_any" {
                    Box::new(acc.or(next.nullable()))
                } else {
                    Box::new(acc.and(next.nullable()))
                };
            }
            Ok(acc)
        }
        ("product_id", "eq") => match value {
            Value::Null => Ok(Box::new(leads::product_id.is_null().nullable())),
            Value::String(s) => Ok(Box::new(leads::product_id.eq(s.clone()))),
            _ => Err(bad(f, "needs a product id or null")),
        },
        ("has_email", "eq") => match value.as_bool() {
            Some(true) => Ok(Box::new(leads::email.is_not_null().nullable())),
            Some(false) => Ok(Box::new(leads::email.is_null().nullable())),
            None => Err(bad(f, "needs true or false")),
        },
        ("is_business", "eq") => {
            let b = value
                .as_bool()
                .ok_or_else(|| bad(f, "needs true or false"))?;
            Ok(Box::new(leads::is_business.eq(b).nullable()))
        }
        _ => Err(bad(f, format!("unknown field or comparison ({f} {cmp})"))),
    }
}

fn lt_ts(
    field: &str,
    to: NaiveDateTime,
) -> Box<dyn BoxableExpression<leads::table, crate::conn::MultiBackend, SqlType = Nullable<Bool>>> {
    match field {
        "created_at" => Box::new(leads::created_at.lt(to).nullable()),
        "updated_at" => Box::new(leads::updated_at.lt(to).nullable()),
        "enriched_at" => Box::new(leads::enriched_at.lt(to)),
        _ => Box::new(leads::contacted_at.lt(to)),
    }
}

diesel::define_sql_function!(fn lower(x: Nullable<Text>) -> Nullable<Text>);

// ---------------------------------------------------------------------------------------------------------------
// Sorting and paging

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Username,
    FullName,
    Followers,
    Following,
    Posts,
    Status,
    Email,
    CreatedAt,
    UpdatedAt,
    ContactedAt,
}

impl SortKey {
    pub fn parse(s: &str) -> Option<SortKey> {
        Some(match s {
            "username" => SortKey::Username,
            "full_name" => SortKey::FullName,
            "followers" => SortKey::Followers,
            "following" => SortKey::Following,
            "posts" => SortKey::Posts,
            "status" => SortKey::Status,
            "email" => SortKey::Email,
            "created_at" => SortKey::CreatedAt,
            "updated_at" => SortKey::UpdatedAt,
            "contacted_at" => SortKey::ContactedAt,
            _ => return None,
        })
    }
    /// The SQL expression sorted on: NULLs folded to a sentinel so both backends order them alike and keyset
    /// comparisons stay simple (numbers: -1, text: '', times: the epoch).
    fn sql(self) -> &'static str {
        match self {
            SortKey::Username => "username",
            SortKey::FullName => "COALESCE(full_name, '')",
            SortKey::Followers => "COALESCE(followers, -1)",
            SortKey::Following => "COALESCE(following, -1)",
            SortKey::Posts => "COALESCE(posts, -1)",
            SortKey::Status => "status",
            SortKey::Email => "COALESCE(email, '')",
            SortKey::CreatedAt => "created_at",
            SortKey::UpdatedAt => "updated_at",
            SortKey::ContactedAt => "COALESCE(contacted_at, '1970-01-01 00:00:00')",
        }
    }
    fn value_of(self, l: &Lead) -> Value {
        match self {
            SortKey::Username => json!(l.username),
            SortKey::FullName => json!(l.full_name.clone().unwrap_or_default()),
            SortKey::Followers => json!(l.followers.unwrap_or(-1)),
            SortKey::Following => json!(l.following.unwrap_or(-1)),
            SortKey::Posts => json!(l.posts.unwrap_or(-1)),
            SortKey::Status => json!(l.status),
            SortKey::Email => json!(l.email.clone().unwrap_or_default()),
            SortKey::CreatedAt => json!(fmt_ts(l.created_at)),
            SortKey::UpdatedAt => json!(fmt_ts(l.updated_at)),
            SortKey::ContactedAt => json!(fmt_ts(l.contacted_at.unwrap_or_default())),
        }
    }
    fn is_number(self) -> bool {
        matches!(
            self,
            SortKey::Followers | SortKey::Following | SortKey::Posts
        )
    }
    fn is_time(self) -> bool {
        matches!(
            self,
            SortKey::CreatedAt | SortKey::UpdatedAt | SortKey::ContactedAt
        )
    }
}

fn fmt_ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

#[derive(Debug, Clone)]
pub struct Sort {
    pub keys: Vec<(SortKey, bool)>,
}

impl Sort {
    /// `followers:desc,created_at` → keys; default newest first. The id is always the last tie-breaker.
    pub fn parse(spec: Option<&str>) -> ApiResult<Sort> {
        let mut keys = vec![];
        for part in spec
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (name, dir) = part.split_once(':').unwrap_or((part, "asc"));
            let key = SortKey::parse(name).ok_or_else(|| {
                ApiError::field("sort", "invalid_sort", format!("cannot sort by {name:?}"))
            })?;
            let desc = match dir {
                "asc" => false,
                "desc" => true,
                _ => {
                    return Err(ApiError::field(
                        "sort",
                        "invalid_sort",
                        format!("direction {dir:?} is not asc or desc"),
                    ))
                }
            };
            if keys.iter().any(|(k, _)| *k == key) {
                return Err(ApiError::field(
                    "sort",
                    "invalid_sort",
                    format!("{name} appears twice"),
                ));
            }
            keys.push((key, desc));
        }
        if keys.len() > 4 {
            return Err(ApiError::field(
                "sort",
                "invalid_sort",
                "at most 4 sort columns",
            ));
        }
        if keys.is_empty() {
            keys.push((SortKey::CreatedAt, true));
        }
        Ok(Sort { keys })
    }

    pub fn order_sql(&self) -> String {
        let last_desc = self.keys.last().map(|(_, d)| *d).unwrap_or(false);
        let mut parts: Vec<String> = self
            .keys
            .iter()
            .map(|(k, d)| format!("{} {}", k.sql(), if *d { "DESC" } else { "ASC" }))
            .collect();
        parts.push(format!("seq {}", if last_desc { "DESC" } else { "ASC" }));
        parts.join(", ")
    }

    /// The cursor naming the row after which the next page starts.
    pub fn cursor_of(&self, l: &Lead) -> String {
        use base64::Engine;
        let mut vals: Vec<Value> = self.keys.iter().map(|(k, _)| k.value_of(l)).collect();
        vals.push(json!(l.seq));
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Value::Array(vals).to_string())
    }
}

/// One page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub owner_id: String,
    pub search: Option<String>,
    pub filter: Option<Filter>,
    pub sort: Sort,
    pub limit: i64,
    pub cursor: Option<String>,
    pub offset: Option<i64>,
    pub include_deleted: bool,
}

/// Counting inside a page request stops here; beyond it the page answers an estimate and the exact count is
/// computed in the background.
pub const COUNT_CAP: i64 = 20_000;

type Query<'a> = leads::BoxedQuery<'a, crate::conn::MultiBackend>;

/// The words of a search, lower-cased; none when it holds no letters or digits.
fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// SQLite: a search as an FTS5 query, each word a quoted prefix term, all required.
fn fts5_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How a page finds a search's rows on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SearchPlan {
    /// Read each hit's row (by rowid) and sort them: cheap while the hits are few.
    ReadHits,
    /// Walk the sort's index and keep the entries whose rowid is a hit: the rows are read only for the page.
    WalkSortIndex,
}

fn search_cond(backend: Backend, q: &str, plan: SearchPlan) -> Option<Cond> {
    let words = search_words(q);
    if words.is_empty() {
        return None;
    }
    Some(match backend {
        Backend::Sqlite => {
            // The unary `+` keeps SQLite from looking rows up by the hits' rowids, so it walks the sort index.
            let rowid = match plan {
                SearchPlan::ReadHits => "leads.rowid",
                SearchPlan::WalkSortIndex => "+leads.rowid",
            };
            Box::new(
                sql::<Bool>(&format!(
                    "{rowid} IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH "
                ))
                .bind::<Text, _>(fts5_query(&words))
                .sql(")")
                .nullable(),
            )
        }
        Backend::Postgres => {
            let expr = words
                .iter()
                .map(|w| format!("{w}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            Box::new(
                // `search` is a stored tsvector column (PostgreSQL only; see the migrations).
                sql::<Bool>("leads.search @@ to_tsquery('simple', ")
                    .bind::<Text, _>(expr)
                    .sql(")")
                    .nullable(),
            )
        }
    })
}

/// SQLite, from this many search hits on, a page sorted by one indexed column walks that index (see
/// `Lead::search_plan`).
const WALK_SORT_INDEX_HITS: i64 = 2_000;

/// Leads of `owner_id`, by the owner's compact key (`users.seq`, the head of every lead index) looked up in a
/// subquery that both databases evaluate once: callers keep naming owners by their id.
pub fn owned_by(owner_id: &str) -> Cond {
    Box::new(
        leads::owner_key.nullable().eq(users::table
            .filter(users::id.eq(owner_id.to_owned()))
            .select(users::seq)
            .single_value()),
    )
}

impl Lead {
    /// The owner key new leads of `owner_id` are written with.
    pub fn owner_key(conn: &mut DbConn, owner_id: &str) -> ApiResult<i64> {
        Ok(users::table.find(owner_id).select(users::seq).first(conn)?)
    }

    fn base<'a>(req: &PageRequest, backend: Backend) -> ApiResult<Query<'a>> {
        Lead::base_with(req, backend, SearchPlan::ReadHits)
    }

    fn base_with<'a>(
        req: &PageRequest,
        backend: Backend,
        plan: SearchPlan,
    ) -> ApiResult<Query<'a>> {
        let mut q = leads::table.filter(owned_by(&req.owner_id)).into_boxed();
        if !req.include_deleted {
            q = q.filter(leads::deleted_at.is_null());
        }
        if let Some(c) = req
            .search
            .as_deref()
            .and_then(|s| search_cond(backend, s, plan))
        {
            q = q.filter(c);
        }
        if let Some(f) = &req.filter {
            q = q.filter(f.to_cond(0)?);
        }
        Ok(q)
    }

    /// Keyset condition: rows strictly after the cursor in sort order.
    fn after(sort: &Sort, cursor: &str) -> ApiResult<Cond> {
        use base64::Engine;
        let invalid = || {
            ApiError::field(
                "cursor",
                "invalid_cursor",
                "This cursor is not valid for this sort.",
            )
        };
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| invalid())?;
        let vals: Vec<Value> = serde_json::from_slice(&raw).map_err(|_| invalid())?;
        if vals.len() != sort.keys.len() + 1 {
            return Err(invalid());
        }
        let last_desc = sort.keys.last().map(|(_, d)| *d).unwrap_or(false);
        let mut cols: Vec<(String, bool, Value, bool, bool)> = sort
            .keys
            .iter()
            .zip(&vals)
            .map(|((k, d), v)| {
                (
                    k.sql().to_owned(),
                    *d,
                    v.clone(),
                    k.is_number(),
                    k.is_time(),
                )
            })
            .collect();
        cols.push((
            "seq".into(),
            last_desc,
            vals[sort.keys.len()].clone(),
            true,
            false,
        ));
        // All columns in one direction: a row-value comparison, which both databases turn into one index range.
        if cols.iter().all(|c| c.1 == last_desc) {
            let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
            let mut values = Vec::with_capacity(cols.len());
            for (_, _, v, num, time) in &cols {
                values.push(literal(v, *num, *time).ok_or_else(invalid)?);
            }
            let op = if last_desc { "<" } else { ">" };
            let text = format!("({}) {op} ({})", names.join(", "), values.join(", "));
            return Ok(Box::new(sql::<Bool>(&text).nullable()));
        }
        // (a > x) OR (a = x AND b > y) OR …
        let mut disjuncts: Vec<Cond> = vec![];
        for i in 0..cols.len() {
            let mut conj: Option<Cond> = None;
            for (j, (col, desc, v, num, time)) in cols.iter().take(i + 1).enumerate() {
                let op = if j < i {
                    "="
                } else if *desc {
                    "<"
                } else {
                    ">"
                };
                let c = bind_cmp(col, op, v, *num, *time).ok_or_else(invalid)?;
                conj = Some(match conj {
                    None => c,
                    Some(prev) => Box::new(prev.and(c)),
                });
            }
            if let Some(c) = conj {
                disjuncts.push(c);
            }
        }
        let mut it = disjuncts.into_iter();
        let first = it.next().ok_or_else(invalid)?;
        Ok(it.fold(first, |acc, c| Box::new(acc.or(c))))
    }

    /// How a page finds its search hits on SQLite. Reading every hit's row to sort them costs about 6 µs a hit
    /// (a word in 1 % of 1M bios: ~60 ms a page); walking the sort's index costs about 0.5 µs an entry, and a page
    /// needs (owner's leads ÷ hits) × page size of them (the same word: ~8 ms, a word in one bio: ~230 ms). So a
    /// search with many hits (counted in the search index alone, ~1 ms) walks the index, when the page is sorted
    /// by one column with an index of live leads and filtered by nothing else (a filter can reject most entries the
    /// walk reaches).
    fn search_plan(conn: &mut DbConn, req: &PageRequest) -> ApiResult<SearchPlan> {
        let indexed = matches!(
            req.sort.keys.as_slice(),
            [(
                SortKey::CreatedAt | SortKey::UpdatedAt | SortKey::Followers,
                _
            )]
        );
        let words = req.search.as_deref().map(search_words).unwrap_or_default();
        let DbConn::Sqlite(c) = conn else {
            return Ok(SearchPlan::ReadHits);
        };
        if words.is_empty() || !indexed || req.filter.is_some() || req.include_deleted {
            return Ok(SearchPlan::ReadHits);
        }
        #[derive(QueryableByName)]
        struct Hits {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let hits = diesel::sql_query(
            "SELECT count(*) AS n FROM (SELECT 1 FROM leads_fts WHERE leads_fts MATCH ? LIMIT ?)",
        )
        .bind::<Text, _>(fts5_query(&words))
        .bind::<diesel::sql_types::BigInt, _>(WALK_SORT_INDEX_HITS)
        .get_result::<Hits>(c)?
        .n;
        Ok(if hits >= WALK_SORT_INDEX_HITS {
            SearchPlan::WalkSortIndex
        } else {
            SearchPlan::ReadHits
        })
    }

    /// The rows of a page and the cursor after them, without counting.
    pub fn rows(conn: &mut DbConn, req: &PageRequest) -> ApiResult<(Vec<Lead>, Option<String>)> {
        let plan = Lead::search_plan(conn, req)?;
        let mut q = Lead::base_with(req, conn.backend(), plan)?;
        if let Some(c) = &req.cursor {
            q = q.filter(Lead::after(&req.sort, c)?);
        }
        if let Some(off) = req.offset.filter(|o| *o > 0) {
            // A jump (from the start, or from a cursor): skip over the sort index alone (index-only, no table
            // rows read for the skipped part), then read the page's rows by id.
            let ids: Vec<String> = q
                .offset(off)
                .order(sql::<Bool>(&req.sort.order_sql()))
                .limit(req.limit)
                .select(leads::id)
                .load(conn)?;
            let mut by_id: HashMap<String, Lead> = leads::table
                .filter(leads::id.eq_any(&ids))
                .select(Lead::as_select())
                .load::<Lead>(conn)?
                .into_iter()
                .map(|l| (l.id.clone(), l))
                .collect();
            let rows: Vec<Lead> = ids.iter().filter_map(|id| by_id.remove(id)).collect();
            let next_cursor = (rows.len() as i64 == req.limit)
                .then(|| rows.last().map(|l| req.sort.cursor_of(l)))
                .flatten();
            return Ok((rows, next_cursor));
        }
        let rows: Vec<Lead> = q
            .order(sql::<Bool>(&req.sort.order_sql()))
            .limit(req.limit)
            .select(Lead::as_select())
            .load(conn)?;
        let next_cursor = if rows.len() as i64 == req.limit {
            rows.last().map(|l| req.sort.cursor_of(l))
        } else {
            None
        };
        Ok((rows, next_cursor))
    }

    /// A jump into the second half of a result whose exact `total` is known: the same page read from the other
    /// end (the sort reversed, skipping `total - offset - limit` rows), so the last pages cost what the first do.
    pub fn rows_from_end(
        conn: &mut DbConn,
        req: &PageRequest,
        total: i64,
    ) -> ApiResult<(Vec<Lead>, Option<String>)> {
        let offset = req.offset.unwrap_or(0);
        let limit = req.limit.min(total - offset).max(0);
        if limit == 0 {
            return Ok((vec![], None));
        }
        let mut reversed = req.clone();
        reversed.sort = Sort {
            keys: req.sort.keys.iter().map(|&(k, desc)| (k, !desc)).collect(),
        };
        reversed.offset = Some(total - offset - limit);
        reversed.limit = limit;
        reversed.cursor = None;
        let mut rows = Lead::rows(conn, &reversed)?.0;
        rows.reverse();
        let next_cursor = (rows.len() as i64 == req.limit)
            .then(|| rows.last().map(|l| req.sort.cursor_of(l)))
            .flatten();
        Ok((rows, next_cursor))
    }

    /// Cursors after every `step`-th row of a query, in sort order: the n-th cursor is followed by row
    /// `(n + 1) * step` (0-based). A jump to a far offset then starts from the nearest cursor and skips less than
    /// `step` rows. Each cursor costs one walk of `step` index entries.
    pub fn anchors(conn: &mut DbConn, req: &PageRequest, step: i64) -> ApiResult<Vec<String>> {
        let mut out = vec![];
        let mut probe = req.clone();
        probe.limit = 1;
        probe.offset = Some(step - 1);
        probe.cursor = None;
        while let Some(row) = Lead::rows(conn, &probe)?.0.first() {
            let cursor = req.sort.cursor_of(row);
            probe.cursor = Some(cursor.clone());
            out.push(cursor);
        }
        Ok(out)
    }

    /// Counts matching rows, but stops after `COUNT_CAP + 1` so the work stays bounded.
    pub fn count_capped(conn: &mut DbConn, req: &PageRequest) -> ApiResult<i64> {
        let ones: Vec<i32> = Lead::base(req, conn.backend())?
            .select(sql::<diesel::sql_types::Integer>("1"))
            .limit(COUNT_CAP + 1)
            .load(conn)?;
        Ok(ones.len() as i64)
    }

    /// The exact count (may be slow on large workspaces; callers cache it).
    pub fn count_exact(conn: &mut DbConn, req: &PageRequest) -> ApiResult<i64> {
        let whole_workspace = req.search.is_none() && req.filter.is_none() && !req.include_deleted;
        if let (true, DbConn::Sqlite(c)) = (whole_workspace, &mut *conn) {
            // SQLite's planner reads the whole table for this count (its statistics say every row of the
            // workspace matches); the live-leads index holds the same rows in a fraction of the pages
            // (1,000,000 leads: 0.1 s instead of 0.25 s warm, 0.5 s instead of 0.6–0.8 s from disk).
            #[derive(QueryableByName)]
            struct Counted {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let counted: Counted = diesel::sql_query(
                "SELECT count(*) AS n FROM leads INDEXED BY leads_live_created \
                 WHERE owner_key = (SELECT seq FROM users WHERE id = ?) AND deleted_at IS NULL",
            )
            .bind::<Text, _>(&req.owner_id)
            .get_result(c)?;
            return Ok(counted.n);
        }
        Ok(Lead::base(req, conn.backend())?.count().get_result(conn)?)
    }
}

impl Lead {
    /// Runs a bulk load of new leads (inside a write transaction). On SQLite the rows it inserts are added to the
    /// search index in one statement at the end instead of one trigger call per row, which makes large imports
    /// several times faster; PostgreSQL maintains its index itself.
    pub fn bulk_load<T>(
        conn: &mut DbConn,
        load: impl FnOnce(&mut DbConn) -> ApiResult<T>,
    ) -> ApiResult<T> {
        if conn.backend() != Backend::Sqlite {
            return load(conn);
        }
        let last: i64 = leads::table
            .select(sql::<diesel::sql_types::BigInt>("COALESCE(MAX(rowid), 0)"))
            .first(conn)?;
        conn.batch_execute("INSERT INTO leads_fts_deferred (on_hold) VALUES (1)")?;
        let out = load(conn)?;
        conn.batch_execute(&format!(
            "INSERT INTO leads_fts (rowid, username, full_name, biography, email) \
             SELECT rowid, username, full_name, biography, email FROM leads WHERE rowid > {last}; \
             DELETE FROM leads_fts_deferred;"
        ))?;
        Ok(out)
    }
}

/// The columns of `NewLeadRow`, in `lead_stage`'s order.
const STAGE_COLUMNS: &str = "id, seq, owner_key, owner_id, username, full_name, biography, followers, following, posts, is_business, business_category, email, phone, website, source_hashtag, status, tags, notes, email_subject, email_body, created_at, updated_at, version";

impl Lead {
    /// Numbers for `n` new leads written in bulk (ascending; call inside the write transaction that uses them).
    /// SQLite: the ones after the largest, consecutive (one writer at a time). PostgreSQL: drawn from the column's
    /// sequence, so concurrent writers never collide; consecutive unless another writer drew in between.
    pub fn next_seqs(conn: &mut DbConn, n: usize) -> ApiResult<Vec<i64>> {
        if n == 0 {
            return Ok(vec![]);
        }
        match conn {
            DbConn::Sqlite(c) => {
                let last: i64 = leads::table
                    .select(sql::<diesel::sql_types::BigInt>("COALESCE(MAX(seq), 0)"))
                    .first(c)?;
                Ok((last + 1..=last + n as i64).collect())
            }
            DbConn::Postgresql(c) => {
                #[derive(QueryableByName)]
                struct Drawn {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    seq: i64,
                }
                let mut seqs: Vec<i64> = diesel::sql_query(
                    "SELECT nextval(pg_get_serial_sequence('leads', 'seq')) AS seq FROM generate_series(1, $1)",
                )
                .bind::<diesel::sql_types::BigInt, _>(n as i64)
                .load::<Drawn>(c)?
                .into_iter()
                .map(|d| d.seq)
                .collect();
                seqs.sort_unstable();
                Ok(seqs)
            }
        }
    }

    /// Writes new leads in bulk (call inside a write transaction). PostgreSQL takes them in one binary COPY.
    /// SQLite fills the connection's staging table with one cached prepared statement per row and moves them with
    /// one INSERT … SELECT: inserting into `leads` row by row would open a statement journal per row (its insert
    /// trigger makes every insert a multi-write statement) and copy each touched index page into it, several times
    /// slower than the indexes themselves.
    /// (The staging rows stay one statement each: 500-row statements, as `bulk_insert!` uses, were slower here
    /// and raised a 1M-row import's peak memory; one INSERT … SELECT over a JSON array of the rows (`json_each`)
    /// took a third more CPU.)
    pub fn insert_rows(conn: &mut DbConn, rows: &[NewLeadRow]) -> ApiResult<()> {
        match conn {
            DbConn::Postgresql(_) => crate::bulk_insert!(conn, leads::table, rows),
            DbConn::Sqlite(c) => {
                use crate::schema::lead_stage;
                c.batch_execute(&format!(
                    "CREATE TEMP TABLE IF NOT EXISTS lead_stage AS SELECT {STAGE_COLUMNS} FROM main.leads WHERE 0"
                ))?;
                for r in rows {
                    diesel::insert_into(lead_stage::table)
                        .values(r)
                        .execute(c)?;
                }
                c.batch_execute(&format!(
                    "INSERT INTO main.leads ({STAGE_COLUMNS}) SELECT {STAGE_COLUMNS} FROM temp.lead_stage ORDER BY rowid; \
                     DELETE FROM temp.lead_stage;"
                ))?;
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Single rows and history

pub struct NewLead {
    pub username: String,
    pub patch: LeadPatch,
}

/// One new lead as written in bulk (imports): every column given, `None` meaning NULL.
#[derive(Insertable)]
#[diesel(table_name = leads, table_name = crate::schema::lead_stage, treat_none_as_default_value = false)]
pub struct NewLeadRow<'a> {
    pub id: &'a str,
    /// From `Lead::next_seqs`.
    pub seq: i64,
    pub owner_key: i64,
    pub owner_id: &'a str,
    pub username: &'a str,
    pub full_name: Option<&'a str>,
    pub biography: Option<&'a str>,
    pub followers: Option<i64>,
    pub following: Option<i64>,
    pub posts: Option<i64>,
    pub is_business: bool,
    pub business_category: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub website: Option<&'a str>,
    pub source_hashtag: Option<&'a str>,
    pub status: &'a str,
    pub tags: &'a str,
    pub notes: Option<&'a str>,
    pub email_subject: Option<&'a str>,
    pub email_body: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

impl Lead {
    /// The lead if it belongs to `owner_id` (or `None`: someone else's lead looks like no lead).
    pub fn find_owned(conn: &mut DbConn, owner_id: &str, id: &str) -> ApiResult<Option<Lead>> {
        Ok(leads::table
            .find(id)
            .filter(owned_by(owner_id))
            .select(Lead::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn create(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        mut new: LeadPatch,
    ) -> ApiResult<Lead> {
        new.normalise()?;
        let username = new.username.clone().ok_or_else(|| {
            ApiError::field("username", "required", "A lead needs an Instagram username")
        })?;
        let emails: Vec<String> = new.email.clone().flatten().into_iter().collect();
        if !dnc::DoNotContact::listed(conn, owner_id, std::slice::from_ref(&username), &emails)?
            .is_empty()
        {
            new.status = Some(dnc::STATUS.into());
        }
        let t = now();
        let id = new_seq_id();
        let owner_key = Lead::owner_key(conn, owner_id)?;
        let tags = serde_json::to_string(&new.tags.clone().unwrap_or_default())
            .map_err(ApiError::internal)?;
        let res = diesel::insert_into(leads::table)
            .values((
                leads::id.eq(&id),
                leads::owner_key.eq(owner_key),
                leads::owner_id.eq(owner_id),
                leads::username.eq(&username),
                leads::status.eq(new.status.clone().unwrap_or_else(|| "new".into())),
                leads::tags.eq(tags),
                leads::is_business.eq(new.is_business.unwrap_or(false)),
                leads::created_at.eq(t),
                leads::updated_at.eq(t),
                leads::version.eq(1i64),
            ))
            .execute(conn);
        match res {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {
                return Err(ApiError::conflict(
                    "username",
                    format!("@{username} is already in your workspace"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let mut rest = new;
        rest.username = None;
        rest.status = None;
        rest.tags = None;
        rest.is_business = None;
        if !rest.changed_fields().is_empty() {
            diesel::update(leads::table.find(&id))
                .set(&rest)
                .execute(conn)?;
        }
        let lead = leads::table
            .find(&id)
            .select(Lead::as_select())
            .first(conn)?;
        LeadEdit::record(conn, &lead, actor_id, &new_id(), "create", json!({}))?;
        Ok(lead)
    }

    /// Applies a patch if `expected_version` is still current. A stale version answers 409 with the current row.
    pub fn update(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        id: &str,
        expected_version: Option<i64>,
        mut patch: LeadPatch,
        batch_id: &str,
    ) -> ApiResult<Lead> {
        patch.normalise()?;
        let before = Lead::find_owned(conn, owner_id, id)?
            .filter(|l| l.deleted_at.is_none())
            .ok_or_else(ApiError::not_found)?;
        if let Some(v) = expected_version {
            if v != before.version {
                return Err(conflict(&before));
            }
        }
        if patch.changed_fields().is_empty() {
            return Ok(before);
        }
        let n = Lead::apply(
            conn,
            std::slice::from_ref(&before.id),
            Some(before.version),
            &patch,
        )?;
        if n == 0 {
            let current = Lead::find_owned(conn, owner_id, id)?.ok_or_else(ApiError::not_found)?;
            return Err(conflict(&current));
        }
        let after = leads::table
            .find(id)
            .select(Lead::as_select())
            .first(conn)?;
        if patch.status.as_deref() == Some(dnc::STATUS) {
            dnc::DoNotContact::remember(
                conn,
                owner_id,
                &[(after.username.clone(), after.email.clone())],
                "Marked in the grid",
            )?;
        }
        let (old, new) = (as_json(&before), as_json(&after));
        let mut changes = serde_json::Map::new();
        for f in patch.changed_fields() {
            if old.get(f) != new.get(f) {
                changes.insert(f.to_owned(), json!([old.get(f), new.get(f)]));
            }
        }
        if !changes.is_empty() {
            LeadEdit::record(
                conn,
                &after,
                actor_id,
                batch_id,
                "update",
                Value::Object(changes),
            )?;
        }
        Ok(after)
    }

    /// Soft delete (or restore) one of the owner's leads; recorded in the history.
    pub fn set_deleted(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        id: &str,
        deleted: bool,
        batch_id: &str,
    ) -> ApiResult<Lead> {
        let t = now();
        let n = diesel::update(leads::table.find(id).filter(owned_by(owner_id)))
            .set((
                leads::deleted_at.eq(if deleted { Some(t) } else { None }),
                leads::version.eq(leads::version + 1),
                leads::updated_at.eq(t),
            ))
            .execute(conn)?;
        if n == 0 {
            return Err(ApiError::not_found());
        }
        let lead = leads::table
            .find(id)
            .select(Lead::as_select())
            .first(conn)?;
        LeadEdit::record(
            conn,
            &lead,
            actor_id,
            batch_id,
            if deleted { "delete" } else { "restore" },
            json!({}),
        )?;
        Ok(lead)
    }
}

fn conflict(current: &Lead) -> ApiError {
    ApiError::msg(
        ErrorCode::Conflict,
        "This lead was changed by someone else. Nothing was overwritten.",
    )
    .with_details(json!({ "current": public_json(current), "code": "lead_version_conflict" }))
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

#[derive(Queryable, Selectable, Clone, Debug, Serialize)]
#[diesel(table_name = lead_edits)]
pub struct LeadEdit {
    pub id: String,
    pub lead_id: String,
    pub owner_id: String,
    pub actor_id: Option<String>,
    pub batch_id: String,
    pub kind: String,
    pub changes: String,
    pub at: NaiveDateTime,
    pub undone_at: Option<NaiveDateTime>,
}

/// One history entry as written in bulk.
#[derive(Insertable)]
#[diesel(table_name = lead_edits, treat_none_as_default_value = false)]
pub struct NewEditRow<'a> {
    pub id: &'a str,
    pub lead_id: &'a str,
    pub owner_id: &'a str,
    pub actor_id: Option<&'a str>,
    pub batch_id: &'a str,
    pub kind: &'a str,
    pub changes: &'a str,
    pub at: NaiveDateTime,
}

impl LeadEdit {
    pub fn record(
        conn: &mut DbConn,
        lead: &Lead,
        actor_id: Option<&str>,
        batch_id: &str,
        kind: &str,
        changes: Value,
    ) -> ApiResult<()> {
        diesel::insert_into(lead_edits::table)
            .values((
                lead_edits::id.eq(new_seq_id()),
                lead_edits::lead_id.eq(&lead.id),
                lead_edits::owner_id.eq(&lead.owner_id),
                lead_edits::actor_id.eq(actor_id),
                lead_edits::batch_id.eq(batch_id),
                lead_edits::kind.eq(kind),
                lead_edits::changes.eq(changes.to_string()),
                lead_edits::at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The lead's last 200 history entries, newest first (an import's entry comes from its span).
    pub fn history(conn: &mut DbConn, lead: &Lead) -> ApiResult<Vec<LeadEdit>> {
        let mut edits: Vec<LeadEdit> = lead_edits::table
            .filter(lead_edits::lead_id.eq(&lead.id))
            .order((lead_edits::at.desc(), lead_edits::id.desc()))
            .limit(200)
            .select(LeadEdit::as_select())
            .load(conn)?;
        if let Some(created) = LeadSpan::entry_for(conn, &lead.id, lead.owner_key, lead.seq)? {
            edits.push(created);
            edits.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
            edits.truncate(200);
        }
        Ok(edits)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Bulk edits and undo/redo

/// Which leads a bulk action touches: explicit ids, or everything matching a search and filter.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub ids: Option<Vec<String>>,
    pub search: Option<String>,
    pub filter: Option<Filter>,
}

/// At most this many leads per bulk action.
pub const BULK_MAX: usize = 1_000_000;
const CHUNK: usize = 2000;

impl LeadPatch {
    /// The new value of every field this patch sets, as the history stores it.
    pub fn values(&self) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        macro_rules! put {
            ($($name:ident),*) => { $( if let Some(v) = &self.$name { m.insert(stringify!($name).into(), json!(v)); } )* };
        }
        put!(
            username,
            full_name,
            biography,
            followers,
            following,
            posts,
            is_business,
            business_category,
            email,
            phone,
            website,
            source_hashtag,
            product_id,
            status,
            tags,
            notes,
            email_subject,
            email_body
        );
        m
    }

    /// A patch from `{field: value}` (values as the history stores them).
    pub fn from_values(values: serde_json::Map<String, Value>) -> ApiResult<LeadPatch> {
        serde_json::from_value(Value::Object(values)).map_err(ApiError::internal)
    }
}

impl Lead {
    /// Writes a normalised patch to the rows (only where the version is still `expected`, when given), bumping
    /// their version; the first change to "contacted" stamps contacted_at. No history (callers record it).
    fn apply(
        conn: &mut DbConn,
        ids: &[String],
        expected: Option<i64>,
        patch: &LeadPatch,
    ) -> ApiResult<usize> {
        let t = now();
        let tags = match &patch.tags {
            Some(tags) => Some(serde_json::to_string(tags).map_err(ApiError::internal)?),
            None => None,
        };
        let n = diesel::update(
            leads::table.filter(leads::id.eq_any(ids)).filter(
                leads::version
                    .eq(expected.unwrap_or_default())
                    .or(expected.is_none().into_sql::<Bool>()),
            ),
        )
        .set((
            patch,
            tags.map(|text| leads::tags.eq(text)),
            leads::version.eq(leads::version + 1),
            leads::updated_at.eq(t),
        ))
        .execute(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => ApiError::conflict(
                "username",
                "Another lead in your workspace has this username",
            ),
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _,
            ) => ApiError::field("product_id", "unknown_product", "No such product"),
            other => other.into(),
        })?;
        if patch.status.as_deref() == Some("contacted") {
            diesel::update(
                leads::table
                    .filter(leads::id.eq_any(ids))
                    .filter(leads::contacted_at.is_null()),
            )
            .set(leads::contacted_at.eq(t))
            .execute(conn)?;
        }
        Ok(n)
    }

    /// The owner's live lead ids a selection names (someone else's ids are silently not there).
    pub fn select_ids(
        conn: &mut DbConn,
        owner_id: &str,
        sel: &Selection,
    ) -> ApiResult<Vec<String>> {
        let ids = match &sel.ids {
            Some(ids) => {
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(CHUNK) {
                    out.extend(
                        leads::table
                            .filter(owned_by(owner_id))
                            .filter(leads::deleted_at.is_null())
                            .filter(leads::id.eq_any(chunk))
                            .select(leads::id)
                            .load::<String>(conn)?,
                    );
                }
                out
            }
            None => {
                let req = PageRequest {
                    owner_id: owner_id.to_owned(),
                    search: sel.search.clone(),
                    filter: sel.filter.clone(),
                    sort: Sort::parse(None)?,
                    limit: 0,
                    cursor: None,
                    offset: None,
                    include_deleted: false,
                };
                Lead::base(&req, conn.backend())?
                    .select(leads::id)
                    .limit(BULK_MAX as i64 + 1)
                    .load::<String>(conn)?
            }
        };
        if ids.len() > BULK_MAX {
            return Err(ApiError::field(
                "filter",
                "too_many",
                format!("At most {BULK_MAX} leads at once"),
            ));
        }
        Ok(ids)
    }

    /// One patch applied to every selected lead, with one history batch. Returns how many changed.
    pub fn bulk_update(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        sel: &Selection,
        mut patch: LeadPatch,
        batch_id: &str,
    ) -> ApiResult<usize> {
        patch.normalise()?;
        if patch.username.is_some() {
            return Err(ApiError::field(
                "username",
                "not_bulk",
                "Usernames are unique; change them one at a time",
            ));
        }
        if patch.changed_fields().is_empty() {
            return Ok(0);
        }
        let ids = Lead::select_ids(conn, owner_id, sel)?;
        let new_values = patch.values();
        let mut affected = 0;
        for chunk in ids.chunks(CHUNK) {
            let before: Vec<Lead> = leads::table
                .filter(leads::id.eq_any(chunk))
                .select(Lead::as_select())
                .load(conn)?;
            affected += Lead::apply(conn, chunk, None, &patch)?;
            if patch.status.as_deref() == Some(dnc::STATUS) {
                let marked: Vec<(String, Option<String>)> = before
                    .iter()
                    .map(|l| (l.username.clone(), l.email.clone()))
                    .collect();
                dnc::DoNotContact::remember(conn, owner_id, &marked, "Marked in the grid")?;
            }
            let mut edits = Vec::with_capacity(before.len());
            for b in &before {
                let old = as_json(b);
                let mut changes = serde_json::Map::new();
                for (f, new) in &new_values {
                    if old.get(f) != Some(new) {
                        changes.insert(f.clone(), json!([old.get(f), new]));
                    }
                }
                if !changes.is_empty() {
                    edits.push((b.id.clone(), Value::Object(changes)));
                }
            }
            LeadEdit::record_many(conn, owner_id, actor_id, batch_id, "update", &edits)?;
        }
        Ok(affected)
    }

    /// Soft-deletes every selected lead, as one undoable batch.
    pub fn bulk_delete(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        sel: &Selection,
        batch_id: &str,
    ) -> ApiResult<usize> {
        let ids = Lead::select_ids(conn, owner_id, sel)?;
        let t = now();
        let mut affected = 0;
        for chunk in ids.chunks(CHUNK) {
            affected += diesel::update(leads::table.filter(leads::id.eq_any(chunk)))
                .set((
                    leads::deleted_at.eq(Some(t)),
                    leads::version.eq(leads::version + 1),
                    leads::updated_at.eq(t),
                ))
                .execute(conn)?;
            let edits: Vec<(String, Value)> =
                chunk.iter().map(|id| (id.clone(), json!({}))).collect();
            LeadEdit::record_many(conn, owner_id, actor_id, batch_id, "delete", &edits)?;
        }
        Ok(affected)
    }
}

/// What undo or redo did.
#[derive(Debug, Clone, Serialize)]
pub struct UndoOutcome {
    pub batch_id: String,
    pub affected: usize,
    /// Leads changed by someone else since; left as they are.
    pub skipped: usize,
}

impl LeadEdit {
    /// Many history rows at once (`bulk_insert!`: 500-row statements on SQLite, one COPY on PostgreSQL).
    pub fn record_many(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        batch_id: &str,
        kind: &str,
        edits: &[(String, Value)],
    ) -> ApiResult<()> {
        let at = now();
        let ids: Vec<(String, String)> = edits
            .iter()
            .map(|(_, changes)| (new_seq_id(), changes.to_string()))
            .collect();
        let rows: Vec<NewEditRow> = edits
            .iter()
            .zip(&ids)
            .map(|((lead_id, _), (id, changes))| NewEditRow {
                id,
                lead_id,
                owner_id,
                actor_id,
                batch_id,
                kind,
                changes,
                at,
            })
            .collect();
        crate::bulk_insert!(conn, lead_edits::table, &rows)
    }

    fn batch(
        conn: &mut DbConn,
        owner_id: &str,
        batch_id: &str,
        undone: bool,
    ) -> ApiResult<Vec<LeadEdit>> {
        let q = lead_edits::table
            .filter(lead_edits::owner_id.eq(owner_id))
            .filter(lead_edits::batch_id.eq(batch_id))
            .into_boxed();
        let q = if undone {
            q.filter(lead_edits::undone_at.is_not_null())
        } else {
            q.filter(lead_edits::undone_at.is_null())
        };
        Ok(q.select(LeadEdit::as_select()).load(conn)?)
    }

    /// Reverts the owner's latest batch of edits. `None` when there is nothing to undo.
    pub fn undo(conn: &mut DbConn, owner_id: &str) -> ApiResult<Option<UndoOutcome>> {
        let edit: Option<(NaiveDateTime, String, String)> = lead_edits::table
            .filter(lead_edits::owner_id.eq(owner_id))
            .filter(lead_edits::undone_at.is_null())
            .order((lead_edits::at.desc(), lead_edits::id.desc()))
            .select((lead_edits::at, lead_edits::id, lead_edits::batch_id))
            .first(conn)
            .optional()?;
        let Some((_, _, batch_id)) = edit
            .into_iter()
            .chain(LeadSpan::latest_live(conn, owner_id)?)
            .max()
        else {
            return Ok(None);
        };
        let edits = LeadEdit::batch(conn, owner_id, &batch_id, false)?;
        let mut outcome = LeadEdit::replay(conn, &edits, true)?;
        outcome.affected += LeadSpan::replay(conn, owner_id, &batch_id, true)?;
        let ids: Vec<&str> = edits.iter().map(|e| e.id.as_str()).collect();
        for chunk in ids.chunks(CHUNK) {
            diesel::update(lead_edits::table.filter(lead_edits::id.eq_any(chunk)))
                .set(lead_edits::undone_at.eq(now()))
                .execute(conn)?;
        }
        Ok(Some(UndoOutcome {
            batch_id,
            ..outcome
        }))
    }

    /// Re-applies the most recently undone batch, unless new edits were made since.
    pub fn redo(conn: &mut DbConn, owner_id: &str) -> ApiResult<Option<UndoOutcome>> {
        let last_live: Option<NaiveDateTime> = lead_edits::table
            .filter(lead_edits::owner_id.eq(owner_id))
            .filter(lead_edits::undone_at.is_null())
            .select(diesel::dsl::max(lead_edits::at))
            .first(conn)?;
        let last_live = last_live.max(LeadSpan::latest_live(conn, owner_id)?.map(|(at, _, _)| at));
        let edit: Option<(NaiveDateTime, String)> = lead_edits::table
            .filter(lead_edits::owner_id.eq(owner_id))
            .filter(lead_edits::undone_at.is_not_null())
            .order(lead_edits::undone_at.desc())
            .select((
                lead_edits::undone_at.assume_not_null(),
                lead_edits::batch_id,
            ))
            .first(conn)
            .optional()?;
        let Some((undone_at, batch_id)) = edit
            .into_iter()
            .chain(LeadSpan::latest_undone(conn, owner_id)?)
            .max()
        else {
            return Ok(None);
        };
        if last_live.is_some_and(|t| undone_at <= t) {
            return Ok(None);
        }
        let edits = LeadEdit::batch(conn, owner_id, &batch_id, true)?;
        let mut outcome = LeadEdit::replay(conn, &edits, false)?;
        outcome.affected += LeadSpan::replay(conn, owner_id, &batch_id, false)?;
        let ids: Vec<&str> = edits.iter().map(|e| e.id.as_str()).collect();
        for chunk in ids.chunks(CHUNK) {
            diesel::update(lead_edits::table.filter(lead_edits::id.eq_any(chunk)))
                .set(lead_edits::undone_at.eq(None::<NaiveDateTime>))
                .execute(conn)?;
        }
        Ok(Some(UndoOutcome {
            batch_id,
            ..outcome
        }))
    }

    /// Applies each edit backwards (undo) or forwards (redo), skipping leads changed by someone since.
    fn replay(conn: &mut DbConn, edits: &[LeadEdit], backwards: bool) -> ApiResult<UndoOutcome> {
        let (mut affected, mut skipped) = (0, 0);
        let t = now();
        for e in edits {
            let deleted = match (e.kind.as_str(), backwards) {
                ("delete", true) | ("restore", false) => Some(false),
                ("delete", false) | ("restore", true) | ("create", true) => Some(true),
                ("create", false) => Some(false),
                _ => None,
            };
            if let Some(deleted) = deleted {
                affected += diesel::update(leads::table.find(&e.lead_id))
                    .set((
                        leads::deleted_at.eq(if deleted { Some(t) } else { None }),
                        leads::version.eq(leads::version + 1),
                        leads::updated_at.eq(t),
                    ))
                    .execute(conn)?;
                continue;
            }
            let changes: serde_json::Map<String, Value> =
                serde_json::from_str(&e.changes).unwrap_or_default();
            let Some(current) = leads::table
                .find(&e.lead_id)
                .select(Lead::as_select())
                .first(conn)
                .optional()?
            else {
                continue;
            };
            let cur = as_json(&current);
            let (expect_idx, target_idx) = if backwards { (1, 0) } else { (0, 1) };
            let unchanged = changes
                .iter()
                .all(|(f, pair)| cur.get(f) == pair.get(expect_idx));
            if !unchanged {
                skipped += 1;
                continue;
            }
            let target: serde_json::Map<String, Value> = changes
                .iter()
                .map(|(f, pair)| {
                    (
                        f.clone(),
                        pair.get(target_idx).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect();
            let patch = LeadPatch::from_values(target)?;
            affected += Lead::apply(conn, std::slice::from_ref(&e.lead_id), None, &patch)?;
        }
        Ok(UndoOutcome {
            batch_id: String::new(),
            affected,
            skipped,
        })
    }
}

/// A cursor value as an SQL literal: numbers and timestamps re-formatted after parsing, text quoted with doubled
/// single quotes (standard SQL, the same on both backends).
fn literal(v: &Value, num: bool, time: bool) -> Option<String> {
    if num {
        return v.as_i64().map(|n| n.to_string());
    }
    let s = v.as_str()?;
    if time {
        let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok()?;
        // The text form diesel stores on SQLite (`%F %T%.f`), so comparisons there stay exact.
        return Some(format!("'{}'", t.format("%Y-%m-%d %H:%M:%S%.f")));
    }
    if s.contains('\0') {
        return None;
    }
    Some(format!("'{}'", s.replace('\'', "''")))
}

fn bind_cmp(col: &str, op: &str, v: &Value, num: bool, time: bool) -> Option<Cond> {
    let lhs = format!("{col} {op} ");
    Some(if num {
        Box::new(
            sql::<Bool>(&lhs)
                .bind::<diesel::sql_types::BigInt, _>(v.as_i64()?)
                .nullable(),
        )
    } else if time {
        let t = NaiveDateTime::parse_from_str(v.as_str()?, "%Y-%m-%d %H:%M:%S%.f").ok()?;
        Box::new(
            sql::<Bool>(&lhs)
                .bind::<diesel::sql_types::Timestamp, _>(t)
                .nullable(),
        )
    } else {
        Box::new(
            sql::<Bool>(&lhs)
                .bind::<Text, _>(v.as_str()?.to_owned())
                .nullable(),
        )
    })
}
