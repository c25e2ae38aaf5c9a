//! `GET /api/v1/admin/providers/usage`: what every user spent at every provider since a time, counted from the
//! record of provider calls.

use super::provider_label;
use crate::extract::Params;
use crate::identity::dto::utc;
use crate::identity::extract::Admin;
use crate::state::AppState;
use actix_web::web::{self, Json};
use chrono::{DateTime, Utc};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult};
use leadgen_db::models::provider_setting::ProviderCall;
use leadgen_db::models::user::User;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// The window when `since` is not given.
pub const DEFAULT_DAYS: i64 = 30;

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// Count calls from this time on (default: the last 30 days).
    pub since: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct UnitCount {
    /// What is counted: `tokens`, `runs`, `emails`, `messages`.
    pub unit: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct UsageItem {
    /// Null for calls made without a user (background work of the system).
    pub user_id: Option<String>,
    /// Null when the user was deleted or for calls made without a user.
    pub username: Option<String>,
    pub provider: String,
    pub provider_label: String,
    pub calls: i64,
    /// Calls that ended with an error.
    pub errors: i64,
    /// What the calls cost, per unit (empty when nothing countable was used).
    pub units: Vec<UnitCount>,
    /// The time the calls took, added up.
    pub duration_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ProviderUsage {
    pub since: DateTime<Utc>,
    /// One entry per user and provider, by provider then username.
    pub items: Vec<UsageItem>,
}

/// Provider usage per user and provider: calls, errors, units (tokens, runs, e-mails) and total duration.
#[utoipa::path(get, path = "/api/v1/admin/providers/usage", operation_id = "get_provider_usage", tag = "providers",
    params(UsageQuery),
    responses((status = 200, body = ProviderUsage), (status = 403, body = ErrorBody)))]
pub async fn usage(
    _a: Admin,
    state: web::Data<AppState>,
    Params(q): Params<UsageQuery>,
) -> ApiResult<Json<ProviderUsage>> {
    let now = state.clock.now();
    let since = match q.since {
        Some(s) if s.naive_utc() > now => {
            return Err(ApiError::field(
                "since",
                "future",
                "Pick a time in the past.",
            ))
        }
        Some(s) => s.naive_utc(),
        None => now - chrono::Duration::days(DEFAULT_DAYS),
    };
    let (rows, names) = state
        .db
        .run(move |c| {
            let rows = ProviderCall::usage(c, since)?;
            let mut names: HashMap<String, Option<String>> = HashMap::new();
            for id in rows.iter().filter_map(|r| r.user_id.as_deref()) {
                if !names.contains_key(id) {
                    names.insert(id.to_owned(), User::find(c, id)?.map(|u| u.username));
                }
            }
            Ok((rows, names))
        })
        .await?;
    // The database counts per unit; one entry per user and provider carries every unit.
    let mut merged: BTreeMap<(String, Option<String>), UsageItem> = BTreeMap::new();
    for r in rows {
        let username = r
            .user_id
            .as_ref()
            .and_then(|id| names.get(id).cloned().flatten());
        let key = (r.provider.clone(), r.user_id.clone());
        let item = merged.entry(key).or_insert_with(|| UsageItem {
            user_id: r.user_id.clone(),
            username,
            provider_label: match r.provider.as_str() {
                "gmail" => "Gmail",
                p => provider_label(p).unwrap_or(p),
            }
            .to_owned(),
            provider: r.provider.clone(),
            calls: 0,
            errors: 0,
            units: Vec::new(),
            duration_ms: 0,
        });
        item.calls += r.calls;
        item.errors += r.errors;
        item.duration_ms += r.duration_ms;
        if let Some(unit) = r.unit {
            if r.units != 0 {
                item.units.push(UnitCount {
                    unit,
                    count: r.units,
                });
            }
        }
    }
    let mut items: Vec<UsageItem> = merged.into_values().collect();
    items.sort_by(|a, b| {
        (a.provider.as_str(), a.username.as_deref().unwrap_or("~"))
            .cmp(&(b.provider.as_str(), b.username.as_deref().unwrap_or("~")))
    });
    Ok(Json(ProviderUsage {
        since: utc(since),
        items,
    }))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/providers/usage", web::get().to(usage));
}
