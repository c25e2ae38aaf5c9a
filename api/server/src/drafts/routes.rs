use crate::drafts::dto::*;
use crate::drafts::generate::{self, DraftRequest, Prep};
use crate::extract::{Body, Params};
use crate::identity::extract::CurrentUser;
use crate::providers::ProviderAccess;
use crate::state::AppState;
use actix_web::web::{self, Json, Path};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::draft::{Draft, DraftFilter, APPROVED, REJECTED};
use leadgen_db::models::effect::Effect;
use leadgen_db::{new_id, write_tx};
use leadgen_providers::openai::OpenAi;
use secrecy::SecretString;
use serde_json::json;

fn clean(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Your drafts, newest first; drafts of leads on your do-not-contact list (or deleted) never appear.
#[utoipa::path(get, path = "/api/v1/drafts", operation_id = "list_drafts", tag = "drafts", params(DraftQuery),
    responses((status = 200, body = DraftPage)))]
pub async fn list(
    me: CurrentUser,
    state: web::Data<AppState>,
    Params(q): Params<DraftQuery>,
) -> ApiResult<Json<DraftPage>> {
    let uid = me.user.id.clone();
    let filter = DraftFilter {
        session_id: clean(q.session_id),
        product_id: clean(q.product_id),
        prompt_version: q.prompt_version,
        status: clean(q.status),
    };
    let (limit, offset) = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    let (rows, total) = state
        .db
        .run(move |c| Draft::list(c, &uid, &filter, limit, offset))
        .await?;
    Ok(Json(DraftPage {
        items: rows.into_iter().map(DraftDto::from).collect(),
        total,
    }))
}

/// The sessions, products, prompt versions and statuses your drafts have (the review queue's filter choices).
#[utoipa::path(get, path = "/api/v1/drafts/facets", operation_id = "draft_facets", tag = "drafts",
    responses((status = 200, body = DraftFacetsDto)))]
pub async fn facets(
    me: CurrentUser,
    state: web::Data<AppState>,
) -> ApiResult<Json<DraftFacetsDto>> {
    let uid = me.user.id.clone();
    let f = state.db.run(move |c| Draft::facets(c, &uid)).await?;
    Ok(Json(f.into()))
}

/// One draft.
#[utoipa::path(get, path = "/api/v1/drafts/{id}", operation_id = "get_draft", tag = "drafts", params(("id" = String, Path)),
    responses((status = 200, body = DraftDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<DraftDto>> {
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let row = state
        .db
        .run(move |c| Draft::find_visible(c, &uid, &id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(row.into()))
}

/// Edit a draft's subject and/or body (its status stays); the lead's e-mail subject and body follow.
#[utoipa::path(patch, path = "/api/v1/drafts/{id}", operation_id = "update_draft", tag = "drafts", params(("id" = String, Path)),
    request_body = DraftPatch, responses((status = 200, body = DraftDto), (status = 404, body = ErrorBody)))]
pub async fn update(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Body(b): Body<DraftPatch>,
) -> ApiResult<Json<DraftDto>> {
    me.require_writer()?;
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let row = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let subject = b.subject.as_deref().map(str::trim);
                let body = b.body.as_deref().map(|s| s.trim_end());
                let d =
                    Draft::edit(c, &uid, &id, subject, body)?.ok_or_else(ApiError::not_found)?;
                generate::copy_to_lead(c, &uid, &d.lead_id, &d.subject, &d.body)?;
                Draft::find_visible(c, &uid, &id)?.ok_or_else(ApiError::not_found)
            })
        })
        .await?;
    Ok(Json(row.into()))
}

async fn review(
    me: CurrentUser,
    state: &AppState,
    ids: Vec<String>,
    status: &'static str,
) -> ApiResult<Json<ReviewOutcome>> {
    me.require_writer()?;
    let uid = me.user.id.clone();
    let updated = state
        .db
        .run(move |c| write_tx(c, |c| Draft::review_many(c, &uid, &ids, status)))
        .await?;
    Ok(Json(ReviewOutcome { updated }))
}

/// Approve drafts (up to 1000): they wait for sending.
#[utoipa::path(post, path = "/api/v1/drafts/approve", operation_id = "approve_drafts", tag = "drafts",
    request_body = DraftIds, responses((status = 200, body = ReviewOutcome)))]
pub async fn approve(
    me: CurrentUser,
    state: web::Data<AppState>,
    Body(b): Body<DraftIds>,
) -> ApiResult<Json<ReviewOutcome>> {
    review(me, &state, b.ids, APPROVED).await
}

/// Reject drafts (up to 1000).
#[utoipa::path(post, path = "/api/v1/drafts/reject", operation_id = "reject_drafts", tag = "drafts",
    request_body = DraftIds, responses((status = 200, body = ReviewOutcome)))]
pub async fn reject(
    me: CurrentUser,
    state: web::Data<AppState>,
    Body(b): Body<DraftIds>,
) -> ApiResult<Json<ReviewOutcome>> {
    review(me, &state, b.ids, REJECTED).await
}

/// Write a draft again (one OpenAI call, made while the request waits), optionally with an instruction; the
/// same draft gets the new subject and body and goes back to pending.
#[utoipa::path(post, path = "/api/v1/drafts/{id}/regenerate", operation_id = "regenerate_draft", tag = "drafts",
    params(("id" = String, Path)), request_body = RegenerateRequest,
    responses((status = 200, body = DraftDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The lead can no longer be written to (`conflict`, `details.reason`: `no_email`, `do_not_contact`…)"),
        (status = 502, body = ErrorBody, description = "OpenAI failed (`provider_…`)"),
        (status = 503, body = ErrorBody, description = "No OpenAI key is set (`unavailable`), or OpenAI is unreachable or limiting")))]
pub async fn regenerate(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Body(b): Body<RegenerateRequest>,
) -> ApiResult<Json<DraftDto>> {
    me.require_writer()?;
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let access = ProviderAccess {
        settings: state.settings.clone(),
        secrets: state.secrets.clone(),
    };
    let (u, i) = (uid.clone(), id.clone());
    let prep = state
        .db
        .run(move |c| {
            let row = Draft::find_visible(c, &u, &i)?.ok_or_else(ApiError::not_found)?;
            let d = row.draft;
            generate::prepare(
                &access,
                c,
                &DraftRequest {
                    user_id: &u,
                    lead_id: &d.lead_id,
                    product_id: &d.product_id,
                    session_id: d.session_id.as_deref(),
                    instruction: b.instruction.as_deref(),
                },
            )
        })
        .await?;
    let p = match prep {
        Prep::Ready(p) => p,
        Prep::Skip(reason) => return Err(ApiError::msg(
            ErrorCode::Conflict,
            "This lead can no longer get an e-mail (no address, or on the do-not-contact list).",
        )
        .with_details(json!({ "reason": reason }))),
    };
    // A client of its own: a regeneration is one call at a person's pace (the job workers share theirs).
    let client = OpenAi::from_settings(SecretString::from(String::new()), &state.settings);
    let (result, ms) = generate::call(client, &p).await;
    let (owner, outcome) = (p.owner_id.clone(), generate::call_outcome(&result));
    let g = match result {
        Ok(g) => g,
        Err(e) => {
            state
                .db
                .run(move |c| generate::record_call(c, &owner, &outcome, ms))
                .await?;
            return Err(e.into());
        }
    };
    let now = state.clock.now();
    let row = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                generate::record_call(c, &owner, &outcome, ms)?;
                let done = generate::save(c, &p, &g)?;
                let key = format!("openai:draft:regenerate:{id}:{}", new_id());
                Effect::record(c, &key, None, generate::EFFECT_KIND, Some(&done), now)?;
                Draft::find_visible(c, &uid, &id)?.ok_or_else(ApiError::not_found)
            })
        })
        .await?;
    Ok(Json(row.into()))
}
