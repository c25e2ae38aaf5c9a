//! The filter tree: groups of rules combined with AND/OR, turned into one SQL condition.

use super::STATUSES;
use crate::now;
use crate::schema::leads;
use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};
use leadgen_core::config::Backend;
use leadgen_core::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

pub(super) type Cond =
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

/// A filter holds at most this many rules (and groups), and its lists at most this many values in all. Every rule
/// binds at most two parameters, so a filter stays far below the bind limits of both databases (SQLite 32,766,
/// PostgreSQL 65,535); a list of tags is bound as one JSON parameter.
pub const FILTER_MAX_RULES: usize = 2_000;
pub const FILTER_MAX_VALUES: usize = 2_000;

impl Filter {
    /// The filter as one SQL condition. Groups of many rules become balanced trees of AND/OR (a chain nested one
    /// level per rule overflows SQLite's parser stack at ~85 rules); filters above the caps answer 422.
    pub fn to_cond(&self, backend: Backend) -> ApiResult<Cond> {
        let (mut rules, mut values) = (0, 0);
        self.size(&mut rules, &mut values);
        if rules > FILTER_MAX_RULES || values > FILTER_MAX_VALUES {
            return Err(ApiError::field(
                "filter",
                "filter_too_large",
                format!(
                    "A filter holds at most {FILTER_MAX_RULES} rules and {FILTER_MAX_VALUES} list values \
                     (this one: {rules} rules, {values} values)"
                ),
            ));
        }
        self.cond(backend, 0)
    }

    /// Counts the rules (and groups) and the values of lists.
    fn size(&self, rules: &mut usize, values: &mut usize) {
        *rules += 1;
        match self {
            Filter::Group { rules: inner, .. } => {
                for r in inner {
                    r.size(rules, values);
                }
            }
            Filter::Rule { value, .. } => *values += value.as_array().map_or(0, Vec::len),
        }
    }

    fn cond(&self, backend: Backend, depth: usize) -> ApiResult<Cond> {
        if depth > 8 {
            return Err(bad("filter", "groups nest at most 8 deep"));
        }
        match self {
            Filter::Group { op, rules } => {
                if rules.is_empty() {
                    return Ok(Box::new(sql::<Bool>("1=1").nullable()));
                }
                let conds = rules
                    .iter()
                    .map(|r| r.cond(backend, depth + 1))
                    .collect::<ApiResult<Vec<_>>>()?;
                Ok(balanced(conds, *op))
            }
            Filter::Rule { field, cmp, value } => rule(backend, field, cmp, value),
        }
    }
}

/// `conds` (at least one) joined by `op` as a balanced tree: nested about log2(n) levels deep, not n.
fn balanced(mut conds: Vec<Cond>, op: Op) -> Cond {
    if conds.len() <= 1 {
        return conds
            .pop()
            .unwrap_or_else(|| Box::new(sql::<Bool>("1=1").nullable()));
    }
    let right = conds.split_off(conds.len() / 2);
    let (left, right) = (balanced(conds, op), balanced(right, op));
    match op {
        Op::And => Box::new(left.and(right)),
        Op::Or => Box::new(left.or(right)),
    }
}

/// Leads whose tags hold any (or all) of `tags`, the list bound as one JSON parameter whatever its length.
fn tags_cond(backend: Backend, tags: &[String], all: bool) -> ApiResult<Cond> {
    let list = serde_json::to_string(tags).map_err(ApiError::internal)?;
    let (head, tail) = match (backend, all) {
        (Backend::Sqlite, false) => (
            "EXISTS (SELECT 1 FROM json_each(leads.tags) AS t WHERE t.value IN (SELECT value FROM json_each(",
            ")))",
        ),
        (Backend::Sqlite, true) => (
            "NOT EXISTS (SELECT 1 FROM json_each(",
            ") AS w WHERE w.value NOT IN (SELECT value FROM json_each(leads.tags)))",
        ),
        (Backend::Postgres, false) => (
            "(leads.tags::jsonb ?| ARRAY(SELECT jsonb_array_elements_text(CAST(",
            " AS jsonb))))",
        ),
        (Backend::Postgres, true) => (
            "(leads.tags::jsonb ?& ARRAY(SELECT jsonb_array_elements_text(CAST(",
            " AS jsonb))))",
        ),
    };
    Ok(Box::new(
        sql::<Bool>(head).bind::<Text, _>(list).sql(tail).nullable(),
    ))
}

fn rule(backend: Backend, field: &str, cmp: &str, value: &Value) -> ApiResult<Cond> {
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
            let mut list: Vec<String> = serde_json::from_value(value.clone())
                .map_err(|_| bad(f, "needs a list of statuses"))?;
            list.sort();
            list.dedup();
            if let Some(x) = list.iter().find(|s| !STATUSES.contains(&s.as_str())) {
                return Err(bad(f, format!("unknown status {x:?}")));
            }
            Ok(Box::new(leads::status.eq_any(list).nullable()))
        }
        ("status", "not_in") => {
            let mut list: Vec<String> = serde_json::from_value(value.clone())
                .map_err(|_| bad(f, "needs a list of statuses"))?;
            list.sort();
            list.dedup();
            Ok(Box::new(leads::status.ne_all(list).nullable()))
        }
        ("tags", "has_any") | ("tags", "has_all") => {
            let mut list: Vec<String> = serde_json::from_value(value.clone())
                .map_err(|_| bad(f, "needs a list of tags"))?;
            if list.is_empty() {
                return Err(bad(f, "needs at least one tag"));
            }
            list.sort();
            list.dedup();
            tags_cond(backend, &list, cmp == "has_all")
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
