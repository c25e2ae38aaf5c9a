//! `/api/v1/accounts`: list, get, update (primary, proxy), unlink (owner) or leave (member), members, test session;
//! `/api/v1/admin/accounts`: every account with its owner and health, and a forced session logout.

use super::credentials::{self, check_proxy, Env};
use super::dto::*;
use super::{member_account, require_manager, seal};
use crate::audit::event;
use crate::extract::Body;
use crate::identity::extract::{Admin, CurrentUser};
use crate::security::ClientInfo;
use crate::state::AppState;
use actix_web::web::{self, Json, Path};
use actix_web::HttpResponse;
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::account_member::{
    AccountMember, ROLES, ROLE_ADMIN, ROLE_OWNER, ROLE_VIEWER,
};
use leadgen_db::models::ig_account::IgAccount;
use leadgen_db::models::user::User;
use leadgen_db::write_tx;
use serde_json::json;

fn last_owner() -> ApiError {
    ApiError::msg(
        ErrorCode::LastOwner,
        "An account keeps exactly one owner: hand it over to another member first (or unlink the account).",
    )
}

/// Your Instagram accounts (primary first), each with your role and its vault view.
#[utoipa::path(get, path = "/api/v1/accounts", operation_id = "list_accounts", tag = "accounts",
    responses((status = 200, body = AccountList)))]
pub async fn list(me: CurrentUser, state: web::Data<AppState>) -> ApiResult<Json<AccountList>> {
    let uid = me.user.id.clone();
    let st = state.get_ref().clone();
    let (rows, official, session) = state
        .db
        .run(move |c| {
            let rows = AccountMember::accounts_of(c, &uid)?;
            let official = super::instagram_app(&st.secrets, c, String::new())?.is_some();
            let session = super::sidecar(&st.secrets, &st.settings, c)?.is_some();
            Ok((rows, official, session))
        })
        .await?;
    let now = state.clock.now();
    Ok(Json(AccountList {
        items: rows
            .into_iter()
            .map(|(a, m)| account_view(a, &m, now))
            .collect(),
        can_link_official: official,
        can_link_session: session,
    }))
}

/// One of your accounts (404 if you are not a member).
#[utoipa::path(get, path = "/api/v1/accounts/{id}", operation_id = "get_account", tag = "accounts",
    params(("id" = String, Path)), responses((status = 200, body = AccountView)))]
pub async fn get(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<AccountView>> {
    let (a, m) = member_account(&state, &me.user.id, &id).await?;
    Ok(Json(account_view(a, &m, state.clock.now())))
}

/// Make an account your primary one (any member), or set its proxy (owners and admins).
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", operation_id = "update_account", tag = "accounts",
    params(("id" = String, Path)), request_body = AccountPatch, responses((status = 200, body = AccountView)))]
pub async fn update(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
    Body(b): Body<AccountPatch>,
) -> ApiResult<Json<AccountView>> {
    let (a, m) = member_account(&state, &me.user.id, &id).await?;
    if b.primary == Some(false) {
        return Err(ApiError::field(
            "primary",
            "invalid",
            "Make another account primary instead.",
        ));
    }
    let proxy = match b.proxy.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(p) => Some(Some(check_proxy(p, "proxy")?)),
    };
    if proxy.is_some() {
        me.require_writer()?;
        require_manager(&m)?;
    }
    let sealed = match &proxy {
        Some(Some((p, shown))) => Some(Some((
            seal(&state.secrets.keyring, &a.id, "proxy_enc", p)?,
            shown.clone(),
        ))),
        Some(None) => Some(None),
        None => None,
    };
    let now = state.clock.now();
    let (uid, aid, primary) = (me.user.id.clone(), a.id.clone(), b.primary == Some(true));
    let changed_proxy = sealed.is_some();
    let (a, m) = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                if primary {
                    AccountMember::set_primary(c, &aid, &uid)?;
                }
                if let Some(p) = &sealed {
                    IgAccount::set_proxy(
                        c,
                        &aid,
                        p.as_ref().map(|(e, s)| (e.as_slice(), s.as_str())),
                        now,
                    )?;
                }
                AccountMember::account_of(c, &aid, &uid)?.ok_or_else(ApiError::not_found)
            })
        })
        .await?;
    if changed_proxy {
        crate::audit::record(
            &state,
            event("account.proxy_changed", Some(&me.user), &client)
                .target("ig_account", Some(&a.id), Some(&a.username))
                .details(json!({"proxy": a.proxy_display})),
        )
        .await;
    }
    Ok(Json(account_view(a, &m, now)))
}

/// Unlink: the owner removes the account with every secret it holds (tokens, password, TOTP seed, session,
/// device, proxy) for everyone; any other member leaves it.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}", operation_id = "unlink_account", tag = "accounts",
    params(("id" = String, Path)), responses((status = 204, description = "Removed (owner) or left (member)")))]
pub async fn unlink(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let (a, m) = member_account(&state, &me.user.id, &id).await?;
    let (uid, aid, owner) = (me.user.id.clone(), a.id.clone(), m.is_owner());
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                if owner {
                    let users = AccountMember::user_ids(c, &aid)?;
                    IgAccount::delete(c, &aid)?;
                    for u in users {
                        AccountMember::ensure_primary(c, &u)?;
                    }
                } else {
                    AccountMember::remove(c, &aid, &uid)?;
                }
                Ok(())
            })
        })
        .await?;
    let action = if owner {
        "account.unlinked"
    } else {
        "account.left"
    };
    crate::audit::record(
        &state,
        event(action, Some(&me.user), &client)
            .target("ig_account", Some(&a.id), Some(&a.username))
            .details(json!({"link_kinds": a.link_kinds()})),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}

/// Who works on the account (every member may read it).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/members", operation_id = "list_account_members", tag = "accounts",
    params(("id" = String, Path)), responses((status = 200, body = MemberList)))]
pub async fn list_members(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<MemberList>> {
    let (a, _) = member_account(&state, &me.user.id, &id).await?;
    let rows = state.db.run(move |c| AccountMember::list(c, &a.id)).await?;
    Ok(Json(MemberList {
        items: rows.into_iter().map(MemberView::from).collect(),
    }))
}

fn check_role(role: &str, allowed: &[&str]) -> ApiResult<()> {
    if allowed.contains(&role) {
        Ok(())
    } else {
        Err(ApiError::field(
            "role",
            "invalid",
            format!("One of: {}.", allowed.join(", ")),
        ))
    }
}

/// Add a leadgen user to the account as `admin` or `viewer` (owners and admins).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/members", operation_id = "add_account_member", tag = "accounts",
    params(("id" = String, Path)), request_body = NewMember,
    responses((status = 201, body = MemberView), (status = 409, body = ErrorBody, description = "Already a member (`conflict`)")))]
pub async fn add_member(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
    Body(b): Body<NewMember>,
) -> ApiResult<HttpResponse> {
    let (a, m) = member_account(&state, &me.user.id, &id).await?;
    me.require_writer()?;
    require_manager(&m)?;
    check_role(&b.role, &[ROLE_ADMIN, ROLE_VIEWER])?;
    let (aid, name, role) = (a.id.clone(), b.username.clone(), b.role.clone());
    let now = state.clock.now();
    let added = state
        .db
        .run(move |c| {
            let Some(user) = User::find_by_username(c, &User::key_of(&name))? else {
                return Err(ApiError::field(
                    "username",
                    "unknown",
                    "No leadgen user has this username.",
                ));
            };
            if AccountMember::find(c, &aid, &user.id)?.is_some() {
                return Err(ApiError::conflict(
                    "username",
                    "This user is a member already.",
                ));
            }
            let member = AccountMember::add(c, &aid, &user.id, &role, now)?;
            Ok((member, user.username))
        })
        .await?;
    let (member, username) = added;
    crate::audit::record(
        &state,
        event("account.member_added", Some(&me.user), &client)
            .target("ig_account", Some(&a.id), Some(&a.username))
            .details(json!({"user_id": member.user_id, "username": username, "role": member.role})),
    )
    .await;
    Ok(HttpResponse::Created().json(MemberView {
        user_id: member.user_id,
        username,
        role: member.role,
        added_at: crate::identity::dto::utc(member.created_at),
    }))
}

/// Change a member's role (owners and admins; only the owner hands ownership over, and the owner cannot be
/// demoted: 409 `last_owner`).
#[utoipa::path(patch, path = "/api/v1/accounts/{id}/members/{user_id}", operation_id = "update_account_member", tag = "accounts",
    params(("id" = String, Path), ("user_id" = String, Path)), request_body = MemberPatch,
    responses((status = 200, body = MemberList), (status = 409, body = ErrorBody, description = "The owner would be demoted (`last_owner`)")))]
pub async fn update_member(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    path: Path<(String, String)>,
    Body(b): Body<MemberPatch>,
) -> ApiResult<Json<MemberList>> {
    let (id, target) = path.into_inner();
    let (a, m) = member_account(&state, &me.user.id, &id).await?;
    me.require_writer()?;
    require_manager(&m)?;
    check_role(&b.role, &ROLES)?;
    let (aid, tid) = (a.id.clone(), target.clone());
    let other = state
        .db
        .run(move |c| AccountMember::find(c, &aid, &tid))
        .await?
        .ok_or_else(ApiError::not_found)?;
    if other.role == b.role {
        let aid = a.id.clone();
        let rows = state.db.run(move |c| AccountMember::list(c, &aid)).await?;
        return Ok(Json(MemberList {
            items: rows.into_iter().map(MemberView::from).collect(),
        }));
    }
    if other.is_owner() {
        return Err(last_owner());
    }
    if b.role == ROLE_OWNER && !m.is_owner() {
        return Err(ApiError::msg(
            ErrorCode::Forbidden,
            "Only the owner can hand the account over.",
        ));
    }
    let (aid, tid, me_id, role) = (
        a.id.clone(),
        target.clone(),
        me.user.id.clone(),
        b.role.clone(),
    );
    let rows = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                if role == ROLE_OWNER {
                    AccountMember::set_role(c, &aid, &me_id, ROLE_ADMIN)?;
                }
                AccountMember::set_role(c, &aid, &tid, &role)?;
                AccountMember::list(c, &aid)
            })
        })
        .await?;
    crate::audit::record(
        &state,
        event("account.role_changed", Some(&me.user), &client)
            .target("ig_account", Some(&a.id), Some(&a.username))
            .details(json!({"user_id": target, "from": other.role, "to": b.role})),
    )
    .await;
    Ok(Json(MemberList {
        items: rows.into_iter().map(MemberView::from).collect(),
    }))
}

/// Remove a member (owners and admins; anyone may remove themselves). The owner cannot be removed: 409
/// `last_owner`.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/members/{user_id}", operation_id = "remove_account_member", tag = "accounts",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 409, body = ErrorBody, description = "The only owner (`last_owner`)")))]
pub async fn remove_member(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, target) = path.into_inner();
    let (a, m) = member_account(&state, &me.user.id, &id).await?;
    if target != me.user.id {
        me.require_writer()?;
        require_manager(&m)?;
    }
    let (aid, tid) = (a.id.clone(), target.clone());
    let other = state
        .db
        .run(move |c| AccountMember::find(c, &aid, &tid))
        .await?
        .ok_or_else(ApiError::not_found)?;
    if other.is_owner() {
        return Err(last_owner());
    }
    let (aid, tid) = (a.id.clone(), target.clone());
    state
        .db
        .run(move |c| write_tx(c, |c| AccountMember::remove(c, &aid, &tid)))
        .await?;
    crate::audit::record(
        &state,
        event("account.member_removed", Some(&me.user), &client)
            .target("ig_account", Some(&a.id), Some(&a.username))
            .details(json!({"user_id": target, "role": other.role})),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}

/// Check the account's session on the sidecar (and its official token) now; records the outcome (owners and
/// admins).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/test-session", operation_id = "test_account_session", tag = "accounts",
    params(("id" = String, Path)), responses((status = 200, body = SessionTest)))]
pub async fn test_session(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<SessionTest>> {
    let (a, m) = member_account(&state, &me.user.id, &id).await?;
    me.require_writer()?;
    require_manager(&m)?;
    let now = state.clock.now();
    let check = credentials::check(&Env::of(&state), &a, now).await?;
    let (a, m) = member_account(&state, &me.user.id, &id).await?;
    Ok(Json(SessionTest {
        ok: check.ok,
        code: check.code,
        message: check.message,
        account: account_view(a, &m, now),
    }))
}

/// Every Instagram account of every user: owner, link kinds, health and last error (never a secret).
#[utoipa::path(get, path = "/api/v1/admin/accounts", operation_id = "admin_list_accounts", tag = "admin",
    responses((status = 200, body = AdminAccountList)))]
pub async fn admin_list(
    _admin: Admin,
    state: web::Data<AppState>,
) -> ApiResult<Json<AdminAccountList>> {
    let rows = state.db.run(IgAccount::list_all).await?;
    let now = state.clock.now();
    Ok(Json(AdminAccountList {
        items: rows.into_iter().map(|r| admin_view(r, now)).collect(),
    }))
}

/// End an account's credential session (audited). The device stays pinned; the owner logs in again.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/logout-session", operation_id = "admin_logout_account_session", tag = "admin",
    params(("id" = String, Path)), responses((status = 200, body = AdminAccount)))]
pub async fn admin_logout_session(
    Admin(admin): Admin,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    let id = id.into_inner();
    let now = state.clock.now();
    let aid = id.clone();
    let row = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                if IgAccount::find(c, &aid)?.is_none() {
                    return Err(ApiError::not_found());
                }
                IgAccount::clear_session(c, &aid, now)?;
                IgAccount::list_all(c)?
                    .into_iter()
                    .find(|r| r.account.id == aid)
                    .ok_or_else(ApiError::not_found)
            })
        })
        .await?;
    crate::audit::record(
        &state,
        event("account.session_logout", Some(&admin.user), &client)
            .target(
                "ig_account",
                Some(&row.account.id),
                Some(&row.account.username),
            )
            .details(json!({"owner_id": row.owner_id})),
    )
    .await;
    Ok(Json(admin_view(row, now)))
}
