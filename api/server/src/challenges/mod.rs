//! The challenge inbox: `GET /api/v1/challenges` lists the open items of the signed-in user (what Instagram
//! asked during a credential login); `POST /api/v1/challenges/{id}` answers one with the code, and the login
//! continues on the sidecar with the same credentials and device.

use crate::accounts::credentials::{self, Env, Login};
use crate::accounts::dto::{account_view, challenge_view, ChallengeView, LinkOutcome};
use crate::audit::event;
use crate::extract::Body;
use crate::identity::extract::CurrentUser;
use crate::security::ClientInfo;
use crate::state::AppState;
use actix_web::web::{self, Json, Path};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::account_member::AccountMember;
use leadgen_db::models::challenge::{
    Challenge, KIND_CHALLENGE, KIND_TWO_FACTOR, STATUS_FAILED, STATUS_OPEN, STATUS_RESOLVED,
};
use leadgen_db::models::ig_account::IgAccount;
use leadgen_providers::ProviderErrorKind;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Serialize, ToSchema)]
pub struct ChallengeList {
    pub items: Vec<ChallengeView>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ChallengeAnswer {
    /// The code Instagram sent or the authenticator app shows.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20)]
    pub code: String,
}

/// Your open challenge items (newest first), with what Instagram asked for.
#[utoipa::path(get, path = "/api/v1/challenges", operation_id = "list_challenges", tag = "accounts",
    responses((status = 200, body = ChallengeList)))]
pub async fn list(me: CurrentUser, state: web::Data<AppState>) -> ApiResult<Json<ChallengeList>> {
    let uid = me.user.id.clone();
    let rows = state
        .db
        .run(move |c| {
            let mut out = Vec::new();
            for ch in Challenge::list_open(c, &uid)? {
                let name = IgAccount::find(c, &ch.account_id)?
                    .map(|a| a.username)
                    .unwrap_or_default();
                out.push(challenge_view(ch, &name));
            }
            Ok(out)
        })
        .await?;
    Ok(Json(ChallengeList { items: rows }))
}

fn wrong_code() -> ApiError {
    ApiError::field(
        "code",
        "wrong_code",
        "Instagram did not accept this code. Try again.",
    )
}

/// Answer a challenge item with its code: the login continues. On success the item is `resolved` and the account's
/// session is valid; a wrong code is 422 on `code` (the item stays open); when Instagram asks for something else
/// next, that is a new open item in `challenge`.
#[utoipa::path(post, path = "/api/v1/challenges/{id}", operation_id = "answer_challenge", tag = "accounts",
    params(("id" = String, Path)), request_body = ChallengeAnswer,
    responses((status = 200, body = LinkOutcome),
        (status = 409, body = ErrorBody, description = "The item is not open any more, or no sidecar is set (`conflict`)")))]
pub async fn answer(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
    Body(b): Body<ChallengeAnswer>,
) -> ApiResult<Json<LinkOutcome>> {
    let code = b.code.trim().replace(' ', "");
    let (uid, cid) = (me.user.id.clone(), id.into_inner());
    let found = state
        .db
        .run(move |c| {
            let Some(ch) = Challenge::find_owned(c, &uid, &cid)? else {
                return Ok(None);
            };
            Ok(AccountMember::account_of(c, &ch.account_id, &uid)?.map(|(a, _)| (ch, a)))
        })
        .await?;
    let (ch, account) = found.ok_or_else(ApiError::not_found)?;
    if ch.status != STATUS_OPEN {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "This item is answered already.",
        ));
    }
    if code.is_empty() || code.len() > 8 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::field(
            "code",
            "invalid",
            "Enter the code: digits only.",
        ));
    }
    let env = Env::of(&state);
    let Some(sidecar) = env.sidecar().await? else {
        return Err(crate::accounts::sidecar_not_configured());
    };
    let now = state.clock.now();
    let attempt = if ch.kind == KIND_CHALLENGE {
        let passed = sidecar
            .resolve_challenge(
                None,
                &json!({"username": account.username, "security_code": code}),
            )
            .await
            .map_err(ApiError::from)?;
        if !passed {
            audit_attempt(&state, &me, &client, &ch, &account, false).await;
            return Err(wrong_code());
        }
        credentials::login(&env, &sidecar, &account, None).await?
    } else {
        credentials::login(&env, &sidecar, &account, Some(&code)).await?
    };
    let next = match attempt {
        Ok(Login::Session(sid)) => {
            credentials::store_session(&env, &sidecar, &account, sid, now).await?;
            close(&state, &ch.id, STATUS_RESOLVED, None).await?;
            audit_attempt(&state, &me, &client, &ch, &account, true).await;
            None
        }
        Ok(Login::Asked(kind)) if kind == ch.kind && kind == KIND_TWO_FACTOR => {
            audit_attempt(&state, &me, &client, &ch, &account, false).await;
            return Err(wrong_code());
        }
        Ok(Login::Asked(kind)) => {
            // Past this step, Instagram asks for another: a new item.
            close(&state, &ch.id, STATUS_RESOLVED, None).await?;
            audit_attempt(&state, &me, &client, &ch, &account, true).await;
            let opened =
                credentials::open_challenge(&env, &account.id, &me.user.id, kind, now).await?;
            crate::audit::record(
                &state,
                event("challenge.opened", Some(&me.user), &client)
                    .target("ig_account", Some(&account.id), Some(&account.username))
                    .details(json!({"kind": kind, "challenge_id": opened.id})),
            )
            .await;
            Some(opened)
        }
        Err(e) => {
            credentials::record_failure(&env, &account.id, &e, now).await?;
            if matches!(
                e.kind,
                ProviderErrorKind::Auth | ProviderErrorKind::LoginRequired
            ) {
                close(
                    &state,
                    &ch.id,
                    STATUS_FAILED,
                    Some("Instagram refused the login"),
                )
                .await?;
                audit_attempt(&state, &me, &client, &ch, &account, false).await;
            }
            return Err(ApiError::from(e));
        }
    };
    let (uid, aid, chid) = (me.user.id.clone(), account.id.clone(), ch.id.clone());
    let (account, member, shown) = state
        .db
        .run(move |c| {
            let (a, m) =
                AccountMember::account_of(c, &aid, &uid)?.ok_or_else(ApiError::not_found)?;
            let shown = match next {
                Some(n) => n,
                None => Challenge::get(c, &chid)?,
            };
            Ok((a, m, shown))
        })
        .await?;
    let name = account.username.clone();
    Ok(Json(LinkOutcome {
        account: account_view(account, &member, now),
        challenge: Some(challenge_view(shown, &name)),
    }))
}

async fn close(
    state: &AppState,
    id: &str,
    status: &'static str,
    error: Option<&'static str>,
) -> ApiResult<()> {
    let (id, now) = (id.to_owned(), state.clock.now());
    state
        .db
        .run(move |c| Challenge::close(c, &id, status, error, now))
        .await?;
    Ok(())
}

async fn audit_attempt(
    state: &AppState,
    me: &CurrentUser,
    client: &ClientInfo,
    ch: &Challenge,
    account: &IgAccount,
    ok: bool,
) {
    let e = event(
        if ok {
            "challenge.resolved"
        } else {
            "challenge.failed"
        },
        Some(&me.user),
        client,
    )
    .target("ig_account", Some(&account.id), Some(&account.username))
    .details(json!({"challenge_id": ch.id, "kind": ch.kind}));
    crate::audit::record(state, if ok { e } else { e.failed() }).await;
}

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/challenges", web::get().to(list))
        .route("/challenges/{id}", web::post().to(answer));
}
