//! Sorting: sort keys, their SQL, and the keyset cursors that page through them.

use super::filter::Cond;
use super::Lead;
use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use leadgen_core::{ApiError, ApiResult};
use serde_json::{json, Value};

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
    /// Names and e-mails sort in the German collation (`crate::collation`); the cursor comparisons use the same
    /// expression, so they compare in it too. Usernames (a-z, 0-9, '.', '_') and statuses (fixed codes) keep byte
    /// order, which is alphabetical for them, and the (owner, username) index that serves the username sort.
    pub(super) fn sql(self) -> &'static str {
        match self {
            SortKey::Username => "username",
            SortKey::FullName => "COALESCE(full_name, '') COLLATE leadgen_text",
            SortKey::Followers => "COALESCE(followers, -1)",
            SortKey::Following => "COALESCE(following, -1)",
            SortKey::Posts => "COALESCE(posts, -1)",
            SortKey::Status => "status",
            SortKey::Email => "COALESCE(email, '') COLLATE leadgen_text",
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

impl Lead {
    /// Keyset condition: rows strictly after the cursor in sort order.
    pub(super) fn after(sort: &Sort, cursor: &str) -> ApiResult<Cond> {
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
