//! `/api/v1/admin/*`: user management and policy. Admins cannot remove, deactivate or demote themselves, and the
//! last active admin stays; these checks run inside the write transaction.

use crate::audit::event;
use crate::extract::{Body, Params};
use crate::identity::dto::*;
use crate::identity::extract::Admin;
use crate::identity::password;
use crate::security::ClientInfo;
use crate::state::AppState;
use actix_web::web::{self, Json, Path};
use actix_web::HttpResponse;
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::audit::AuditEntry;
use leadgen_db::models::login::LoginThrottle;
use leadgen_db::models::session::Session;
use leadgen_db::models::setting::Setting;
use leadgen_db::models::user::{Role, User, UserFilter};
use leadgen_db::{write_tx, DbConn};
use serde_json::json;

fn admin_view(c: &mut DbConn, u: &User) -> ApiResult<AdminUser> {
    let locked = LoginThrottle::locked_for(c, &u.username_key)?;
    Ok(AdminUser {
        user: Me::from(u),
        locked_until: locked.map(|secs| chrono::Utc::now() + chrono::Duration::seconds(secs)),
        session_count: Session::count_live_for_user(c, &u.id)?,
    })
}

fn self_protection(message: &str) -> ApiError {
    ApiError::msg(ErrorCode::SelfProtection, message)
}

/// Refuses changes that would leave no active admin.
fn keep_an_admin(c: &mut DbConn, target: &User) -> ApiResult<()> {
    if target.is_admin() && target.active && User::count_active_admins(c)? <= 1 {
        return Err(self_protection("This is the last active admin."));
    }
    Ok(())
}

/// List and search users.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(UserQuery),
    responses((status = 200, body = UserPage), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    _a: Admin,
    state: web::Data<AppState>,
    Params(q): Params<UserQuery>,
) -> ApiResult<Json<UserPage>> {
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(50);
    let filter = UserFilter {
        q: q.q,
        role: q.role,
        active: q.active,
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    let (items, total) = state
        .db
        .run(move |c| {
            let (users, total) = User::list(c, &filter)?;
            let items = users
                .iter()
                .map(|u| admin_view(c, u))
                .collect::<ApiResult<Vec<_>>>()?;
            Ok((items, total))
        })
        .await?;
    Ok(Json(UserPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// Create a user. Without a password, a temporary one is generated and returned once.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", request_body = CreateUser,
    responses((status = 201, body = CreatedUser), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<CreateUser>,
) -> ApiResult<HttpResponse> {
    let (pw, temporary) = match b.password {
        Some(p) => {
            let broken = leadgen_core::password::check(&p, &b.username);
            if !broken.is_empty() {
                return Err(leadgen_core::password::to_error("password", &broken));
            }
            (p, None)
        }
        None => {
            let t = password::temporary();
            (t.clone(), Some(t))
        }
    };
    let hash = password::hash(pw, state.settings.bcrypt_cost).await?;
    let must_change = temporary.is_some();
    let email = b
        .email
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let (username, role) = (b.username, b.role);
    let actor = admin.user.clone();
    let view = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let u = User::create(c, &username, email.as_deref(), &hash, role, must_change)?;
                AuditEntry::insert(
                    c,
                    &event("user.created", Some(&actor), &client)
                        .target("user", Some(&u.id), Some(&u.username))
                        .details(json!({ "role": role.as_str() })),
                )?;
                admin_view(c, &u)
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedUser {
        user: view,
        temporary_password: temporary,
    }))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/admin/users/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = AdminUser), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    _a: Admin,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<AdminUser>> {
    let id = id.into_inner();
    Ok(Json(
        state
            .db
            .run(move |c| {
                let u = User::get(c, &id)?;
                admin_view(c, &u)
            })
            .await?,
    ))
}

/// Change a user's role, active flag or email.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", params(("id" = String, Path)), request_body = UpdateUser,
    responses((status = 200, body = AdminUser), (status = 403, body = ErrorBody, description = "self_protection"), (status = 404, body = ErrorBody)))]
pub async fn update_user(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
    Body(b): Body<UpdateUser>,
) -> ApiResult<Json<AdminUser>> {
    let id = id.into_inner();
    let actor = admin.user.clone();
    let view = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let target = User::get(c, &id)?;
                let is_self = target.id == actor.id;
                let label = target.username.clone();
                if let Some(role) = b.role.filter(|r| *r != target.role()) {
                    if role != Role::Admin {
                        if is_self {
                            return Err(self_protection("You can't demote yourself."));
                        }
                        keep_an_admin(c, &target)?;
                    }
                    User::set_role(c, &id, role)?;
                    AuditEntry::insert(
                        c,
                        &event("user.role_changed", Some(&actor), &client)
                            .target("user", Some(&id), Some(&label))
                            .details(json!({ "from": target.role, "to": role.as_str() })),
                    )?;
                }
                if let Some(active) = b.active.filter(|a| *a != target.active) {
                    if !active {
                        if is_self {
                            return Err(self_protection("You can't deactivate yourself."));
                        }
                        let current = User::get(c, &id)?;
                        keep_an_admin(c, &current)?;
                    }
                    User::set_active(c, &id, active)?;
                    let action = if active {
                        "user.reactivated"
                    } else {
                        "user.deactivated"
                    };
                    AuditEntry::insert(
                        c,
                        &event(action, Some(&actor), &client).target(
                            "user",
                            Some(&id),
                            Some(&label),
                        ),
                    )?;
                }
                if let Some(email) = b.email {
                    let email = Some(email.trim().to_owned()).filter(|s| !s.is_empty());
                    User::set_email(c, &id, email.as_deref())?;
                    AuditEntry::insert(
                        c,
                        &event("user.email_changed", Some(&actor), &client).target(
                            "user",
                            Some(&id),
                            Some(&label),
                        ),
                    )?;
                }
                let u = User::get(c, &id)?;
                admin_view(c, &u)
            })
        })
        .await?;
    Ok(Json(view))
}

/// Delete a user and everything that is theirs.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody, description = "self_protection"), (status = 404, body = ErrorBody)))]
pub async fn delete_user(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let actor = admin.user.clone();
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let target = User::get(c, &id)?;
                if target.id == actor.id {
                    return Err(self_protection("You can't delete yourself."));
                }
                keep_an_admin(c, &target)?;
                User::delete(c, &id)?;
                AuditEntry::insert(
                    c,
                    &event("user.deleted", Some(&actor), &client).target(
                        "user",
                        Some(&id),
                        Some(&target.username),
                    ),
                )
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Give a user a temporary password (shown once); they must change it at sign-in. Signs them out everywhere.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/reset-password", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = TemporaryPassword), (status = 404, body = ErrorBody)))]
pub async fn reset_password(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
) -> ApiResult<Json<TemporaryPassword>> {
    let id = id.into_inner();
    let temporary = password::temporary();
    let hash = password::hash(temporary.clone(), state.settings.bcrypt_cost).await?;
    let actor = admin.user.clone();
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let target = User::get(c, &id)?;
                User::set_password(c, &id, &hash, true)?;
                LoginThrottle::clear(c, &target.username_key)?;
                AuditEntry::insert(
                    c,
                    &event("password.reset", Some(&actor), &client).target(
                        "user",
                        Some(&id),
                        Some(&target.username),
                    ),
                )
            })
        })
        .await?;
    Ok(Json(TemporaryPassword {
        temporary_password: temporary,
    }))
}

/// Turn off a user's 2FA (they set it up again at next sign-in when the policy requires it).
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/reset-2fa", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn reset_2fa(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let actor = admin.user.clone();
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let target = User::get(c, &id)?;
                User::reset_totp(c, &id)?;
                AuditEntry::insert(
                    c,
                    &event("totp.reset", Some(&actor), &client).target(
                        "user",
                        Some(&id),
                        Some(&target.username),
                    ),
                )
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sign a user out of every session and token.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/revoke-sessions", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_sessions(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let actor = admin.user.clone();
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let target = User::get(c, &id)?;
                User::revoke_everything(c, &id)?;
                AuditEntry::insert(
                    c,
                    &event("user.sessions_revoked", Some(&actor), &client).target(
                        "user",
                        Some(&id),
                        Some(&target.username),
                    ),
                )
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The security policy.
#[utoipa::path(get, path = "/api/v1/admin/policy", tag = "admin", responses((status = 200, body = Policy)))]
pub async fn get_policy(_a: Admin, state: web::Data<AppState>) -> ApiResult<Json<Policy>> {
    let require_2fa = state
        .db
        .run(|c| Setting::get_bool(c, Setting::REQUIRE_2FA, true))
        .await?;
    Ok(Json(Policy { require_2fa }))
}

/// Change the security policy.
#[utoipa::path(put, path = "/api/v1/admin/policy", tag = "admin", request_body = Policy, responses((status = 200, body = Policy)))]
pub async fn put_policy(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    Body(b): Body<Policy>,
) -> ApiResult<Json<Policy>> {
    let actor = admin.user.clone();
    let require_2fa = b.require_2fa;
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                Setting::set(
                    c,
                    Setting::REQUIRE_2FA,
                    &json!(require_2fa),
                    Some(&actor.id),
                )?;
                AuditEntry::insert(
                    c,
                    &event("policy.changed", Some(&actor), &client)
                        .details(json!({ "require_2fa": require_2fa })),
                )
            })
        })
        .await?;
    Ok(Json(Policy { require_2fa }))
}
