//! The editable fields of a lead (`LeadPatch`) and their validation.

use super::STATUSES;
use crate::conn::DbConn;
use crate::models::product::Product;
use crate::schema::leads;
use diesel::prelude::*;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

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
    /// 1-30 letters, digits, '.' or '_' (a leading `@` and surrounding spaces are dropped, letters lowercased).
    #[schema(pattern = r"^@?[A-Za-z0-9._]{1,30}$")]
    pub username: Option<String>,
    #[serde(default, deserialize_with = "some")]
    #[schema(max_length = 500)]
    pub full_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(max_length = 5000)]
    pub biography: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(minimum = 0)]
    pub followers: Option<Option<i64>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(minimum = 0)]
    pub following: Option<Option<i64>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(minimum = 0)]
    pub posts: Option<Option<i64>>,
    pub is_business: Option<bool>,
    #[serde(default, deserialize_with = "some")]
    #[schema(max_length = 500)]
    pub business_category: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(max_length = 254, pattern = r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(max_length = 500)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub source_hashtag: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    pub product_id: Option<Option<String>>,
    pub status: Option<String>,
    /// Up to 50 tags of up to 40 characters, without `"`.
    #[diesel(skip_update)]
    #[schema(max_items = 50)]
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(max_length = 20000)]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(max_length = 500)]
    pub email_subject: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(max_length = 50000)]
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
            .map(|s| leadgen_core::text::trim(&s).to_owned())
            .filter(|s| !s.is_empty());
    }
}

/// Calls `$m!(field, …)` with every field a patch can set, in the order the history lists them.
macro_rules! each_patch_field {
    ($m:ident) => {
        $m!(
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
        )
    };
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

    /// A product the patch links must be one of the owner's: someone else's product and an unknown id answer
    /// alike (a 422 naming `product_id`), so the answer tells nothing about other workspaces.
    pub fn check_product(&self, conn: &mut DbConn, owner_id: &str) -> ApiResult<()> {
        let Some(Some(id)) = &self.product_id else {
            return Ok(());
        };
        if Product::find_owned(conn, owner_id, id)?.is_none() {
            return Err(ApiError::field(
                "product_id",
                "not_found",
                "No such product in your workspace",
            ));
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.changed_fields().is_empty()
    }

    /// Names of the fields this patch sets.
    pub fn changed_fields(&self) -> Vec<&'static str> {
        let mut out = vec![];
        macro_rules! f {
            ($($name:ident),*) => { $( if self.$name.is_some() { out.push(stringify!($name)); } )* };
        }
        each_patch_field!(f);
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

impl LeadPatch {
    /// The new value of every field this patch sets, as the history stores it.
    pub fn values(&self) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        macro_rules! put {
            ($($name:ident),*) => { $( if let Some(v) = &self.$name { m.insert(stringify!($name).into(), json!(v)); } )* };
        }
        each_patch_field!(put);
        m
    }

    /// A patch from `{field: value}` (values as the history stores them).
    pub fn from_values(values: serde_json::Map<String, Value>) -> ApiResult<LeadPatch> {
        serde_json::from_value(Value::Object(values)).map_err(ApiError::internal)
    }
}
