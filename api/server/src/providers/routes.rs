//! `/api/v1/admin/providers` (global credentials, admins), `/api/v1/me/providers` (a user's own AI keys) and
//! `/api/v1/instance` (whether this server runs against the provider sandbox).

use super::{
    check_value, field, provider_label, seal, test_connection, TestOutcome, FIELDS, PROVIDERS,
    TESTABLE,
};
use crate::audit::event;
use crate::extract::Body;
use crate::identity::dto::utc;
use crate::identity::extract::{Admin, SignedIn};
use crate::security::ClientInfo;
use crate::state::AppState;
use actix_web::web::{self, Json, Path};
use chrono::{DateTime, Utc};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult};
use leadgen_db::models::audit::AuditEntry;
use leadgen_db::models::provider_setting::ProviderSetting;
use leadgen_db::models::user::User;
use leadgen_db::{write_tx, DbConn};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;
use validator::Validate;

/// One setting as the API shows it: plain values in full, secrets only as a hint.
#[derive(Serialize, ToSchema)]
pub struct ProviderFieldView {
    pub field: String,
    pub label: String,
    /// Kept encrypted; only `hint` is ever shown.
    pub secret: bool,
    /// Users may set their own value under `/api/v1/me/providers`.
    pub user_override: bool,
    pub set: bool,
    /// The value of a plain setting (models, ids, URLs); never set for a secret.
    pub value: Option<String>,
    /// A secret's last characters, e.g. `••••1234`.
    pub hint: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Username of who set it.
    pub updated_by: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProviderView {
    /// `openai`, `perplexity`, `apify`, `instagram`, `google`, `telegram` or `sidecar`.
    pub provider: String,
    pub label: String,
    /// Whether "test connection" makes a real call for this provider.
    pub testable: bool,
    pub fields: Vec<ProviderFieldView>,
}

#[derive(Serialize, ToSchema)]
pub struct ProviderSettings {
    /// The server runs against the provider sandbox: no real requests are made.
    pub sandbox: bool,
    pub providers: Vec<ProviderView>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ProviderSettingChange {
    pub provider: String,
    pub field: String,
    /// The new value; `null` clears the setting.
    pub value: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct UpdateProviderSettings {
    /// 1 to 50 changes, applied together or not at all.
    pub settings: Vec<ProviderSettingChange>,
}

#[derive(Serialize, ToSchema)]
pub struct ConnectionTest {
    pub provider: String,
    pub ok: bool,
    /// Why it failed: a provider error code (`provider_auth_failed`, …), `not_configured` or `not_supported`.
    pub code: Option<String>,
    /// What happened, in words.
    pub message: String,
    pub duration_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Instance {
    /// Every provider points at the built-in provider sandbox (`leadgen serve --sandbox`): no real requests are made.
    pub sandbox: bool,
}

fn views(
    c: &mut DbConn,
    user_id: Option<&str>,
    only_overrides: bool,
) -> ApiResult<Vec<ProviderView>> {
    let rows = ProviderSetting::list(c, user_id)?;
    let by_key: HashMap<(String, String), ProviderSetting> = rows
        .into_iter()
        .map(|r| ((r.provider.clone(), r.field.clone()), r))
        .collect();
    let mut names: HashMap<String, Option<String>> = HashMap::new();
    let mut out = Vec::new();
    for (provider, label) in PROVIDERS {
        let mut fields = Vec::new();
        for f in FIELDS
            .iter()
            .filter(|f| f.provider == *provider && (!only_overrides || f.user_override))
        {
            let row = by_key.get(&(f.provider.to_owned(), f.field.to_owned()));
            let updated_by = match row.and_then(|r| r.updated_by.clone()) {
                Some(id) => match names.get(&id) {
                    Some(n) => n.clone(),
                    None => {
                        let n = User::find(c, &id)?.map(|u| u.username);
                        names.insert(id, n.clone());
                        n
                    }
                },
                None => None,
            };
            fields.push(ProviderFieldView {
                field: f.field.into(),
                label: f.label.into(),
                secret: f.secret,
                user_override: f.user_override,
                set: row.is_some(),
                value: row.filter(|_| !f.secret).and_then(|r| r.value.clone()),
                hint: row.filter(|_| f.secret).and_then(|r| r.hint.clone()),
                updated_at: row.map(|r| utc(r.updated_at)),
                updated_by,
            });
        }
        if !fields.is_empty() {
            out.push(ProviderView {
                provider: (*provider).into(),
                label: (*label).into(),
                testable: TESTABLE.contains(provider),
                fields,
            });
        }
    }
    Ok(out)
}

/// Checks and encrypts every change (before anything is written), naming the failing entry.
fn prepare(
    state: &AppState,
    changes: Vec<ProviderSettingChange>,
    user_id: Option<&str>,
) -> ApiResult<
    Vec<(
        &'static super::Field,
        Option<leadgen_db::models::provider_setting::SettingValue>,
    )>,
> {
    if changes.is_empty() || changes.len() > 50 {
        return Err(ApiError::field(
            "settings",
            "length",
            "Send 1 to 50 changes.",
        ));
    }
    let mut out = Vec::with_capacity(changes.len());
    for (i, ch) in changes.into_iter().enumerate() {
        let Some(f) = field(&ch.provider, &ch.field) else {
            let path = if provider_label(&ch.provider).is_none() {
                format!("settings[{i}].provider")
            } else {
                format!("settings[{i}].field")
            };
            return Err(ApiError::field(
                &path,
                "unknown",
                "No such provider setting.",
            ));
        };
        if user_id.is_some() && !f.user_override {
            return Err(ApiError::field(
                &format!("settings[{i}].field"),
                "not_overridable",
                "Only the AI keys can be set per user.",
            ));
        }
        let value = match ch.value {
            None => None,
            Some(v) => {
                let v = check_value(f, &v, &format!("settings[{i}].value"))?;
                Some(seal(state, f, user_id, v)?)
            }
        };
        out.push((f, value));
    }
    Ok(out)
}

async fn save(
    state: &AppState,
    actor: User,
    client: ClientInfo,
    user_id: Option<String>,
    changes: Vec<ProviderSettingChange>,
) -> ApiResult<Vec<ProviderView>> {
    let prepared = prepare(state, changes, user_id.as_deref())?;
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let mut changed = Vec::new();
                for (f, value) in prepared {
                    changed.push(json!({"provider": f.provider, "field": f.field, "cleared": value.is_none()}));
                    ProviderSetting::set(c, user_id.as_deref(), f.provider, f.field, value, &actor.id)?;
                }
                let action = if user_id.is_some() {
                    "provider.own_settings_changed"
                } else {
                    "provider.settings_changed"
                };
                AuditEntry::insert(
                    c,
                    &event(action, Some(&actor), &client).details(json!({ "settings": changed })),
                )?;
                views(c, user_id.as_deref(), user_id.is_some())
            })
        })
        .await
}

fn known_provider(provider: &str) -> ApiResult<&'static str> {
    PROVIDERS
        .iter()
        .find(|(p, _)| *p == provider)
        .map(|(p, _)| *p)
        .ok_or_else(ApiError::not_found)
}

fn test_view(provider: &str, t: TestOutcome) -> ConnectionTest {
    ConnectionTest {
        provider: provider.into(),
        ok: t.ok,
        code: t.code,
        message: t.message,
        duration_ms: t.duration_ms,
    }
}

/// Every provider's global settings (secrets as hints only).
#[utoipa::path(get, path = "/api/v1/admin/providers", operation_id = "list_provider_settings", tag = "providers",
    responses((status = 200, body = ProviderSettings), (status = 403, body = ErrorBody)))]
pub async fn list(_a: Admin, state: web::Data<AppState>) -> ApiResult<Json<ProviderSettings>> {
    let providers = state.db.run(|c| views(c, None, false)).await?;
    Ok(Json(ProviderSettings {
        sandbox: state.sandbox,
        providers,
    }))
}

/// Set or clear global provider settings (all or nothing; audited without the values).
#[utoipa::path(put, path = "/api/v1/admin/providers", operation_id = "update_provider_settings", tag = "providers", request_body = UpdateProviderSettings,
    responses((status = 200, body = ProviderSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<UpdateProviderSettings>,
) -> ApiResult<Json<ProviderSettings>> {
    let providers = save(&state, admin.user, client, None, b.settings).await?;
    Ok(Json(ProviderSettings {
        sandbox: state.sandbox,
        providers,
    }))
}

/// Test connection: the cheapest real call with the global credentials; recorded as a provider call and audited.
#[utoipa::path(post, path = "/api/v1/admin/providers/{provider}/test", operation_id = "test_provider", tag = "providers",
    params(("provider" = String, Path)),
    responses((status = 200, body = ConnectionTest), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    provider: Path<String>,
) -> ApiResult<Json<ConnectionTest>> {
    let provider = known_provider(&provider)?;
    let outcome = test_connection(&state, provider, None, admin.user.id.clone()).await?;
    let e = event("provider.tested", Some(&admin.user), &client)
        .details(json!({"provider": provider, "ok": outcome.ok, "code": outcome.code}));
    crate::audit::record(&state, e).await;
    Ok(Json(test_view(provider, outcome)))
}

/// Your own AI keys (override the global ones for your work).
#[utoipa::path(get, path = "/api/v1/me/providers", operation_id = "list_own_provider_settings", tag = "providers",
    responses((status = 200, body = ProviderSettings), (status = 401, body = ErrorBody)))]
pub async fn list_own(
    SignedIn(me): SignedIn,
    state: web::Data<AppState>,
) -> ApiResult<Json<ProviderSettings>> {
    let uid = me.user.id.clone();
    let providers = state.db.run(move |c| views(c, Some(&uid), true)).await?;
    Ok(Json(ProviderSettings {
        sandbox: state.sandbox,
        providers,
    }))
}

/// Set or clear your own AI keys.
#[utoipa::path(put, path = "/api/v1/me/providers", operation_id = "update_own_provider_settings", tag = "providers", request_body = UpdateProviderSettings,
    responses((status = 200, body = ProviderSettings), (status = 422, body = ErrorBody)))]
pub async fn update_own(
    SignedIn(me): SignedIn,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<UpdateProviderSettings>,
) -> ApiResult<Json<ProviderSettings>> {
    let uid = me.user.id.clone();
    let providers = save(&state, me.user, client, Some(uid), b.settings).await?;
    Ok(Json(ProviderSettings {
        sandbox: state.sandbox,
        providers,
    }))
}

/// Test connection with the key you would use (your own, else the global one).
#[utoipa::path(post, path = "/api/v1/me/providers/{provider}/test", operation_id = "test_own_provider", tag = "providers",
    params(("provider" = String, Path)),
    responses((status = 200, body = ConnectionTest), (status = 404, body = ErrorBody)))]
pub async fn test_own(
    SignedIn(me): SignedIn,
    state: web::Data<AppState>,
    provider: Path<String>,
) -> ApiResult<Json<ConnectionTest>> {
    let provider = known_provider(&provider)?;
    if !FIELDS
        .iter()
        .any(|f| f.provider == provider && f.user_override)
    {
        return Err(ApiError::not_found());
    }
    let uid = me.user.id.clone();
    let outcome = test_connection(&state, provider, Some(uid.clone()), uid).await?;
    Ok(Json(test_view(provider, outcome)))
}

/// What kind of server this is (no sign-in needed): whether it runs against the provider sandbox.
#[utoipa::path(get, path = "/api/v1/instance", operation_id = "get_instance", tag = "providers", security(()),
    responses((status = 200, body = Instance)))]
pub async fn instance(state: web::Data<AppState>) -> Json<Instance> {
    Json(Instance {
        sandbox: state.sandbox,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/instance", web::get().to(instance))
        .route("/admin/providers", web::get().to(list))
        .route("/admin/providers", web::put().to(update))
        .route("/admin/providers/{provider}/test", web::post().to(test))
        .route("/me/providers", web::get().to(list_own))
        .route("/me/providers", web::put().to(update_own))
        .route("/me/providers/{provider}/test", web::post().to(test_own));
}
