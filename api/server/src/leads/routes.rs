use crate::extract::{Params, Shape};
use crate::identity::extract::CurrentUser;
use crate::leads::dto::*;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::web::{self, Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult};
use leadgen_db::models::lead::{Filter, Lead, LeadEdit, LeadPatch, PageRequest, Sort};
use leadgen_db::{new_id, write_tx};

fn with_etag(lead: Lead) -> HttpResponse {
    let etag = format!("\"{}\"", lead.version);
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .json(LeadDto::from(lead))
}

/// `If-Match: "7"` (or `W/"7"`, or `7`) → 7.
fn if_match(req: &HttpRequest) -> ApiResult<Option<i64>> {
    let Some(v) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .unwrap_or_default()
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"');
    s.parse::<i64>().map(Some).map_err(|_| {
        ApiError::field(
            "If-Match",
            "invalid",
            "Send the lead's version, e.g. If-Match: \"3\"",
        )
    })
}

/// List leads: search, filter tree, multi-column sort, keyset (`cursor`) or jump (`offset`) paging.
#[utoipa::path(get, path = "/api/v1/leads", tag = "leads", params(LeadQuery),
    responses((status = 200, body = LeadPage), (status = 422, body = ErrorBody)))]
pub async fn list(
    me: CurrentUser,
    state: web::Data<AppState>,
    Params(q): Params<LeadQuery>,
) -> ApiResult<Json<LeadPage>> {
    let filter = match q.filter.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(text) => Some(serde_json::from_str::<Filter>(text).map_err(|e| {
            ApiError::field(
                "filter",
                "invalid_filter",
                format!("Not a filter tree: {e}"),
            )
        })?),
        None => None,
    };
    let req = PageRequest {
        owner_id: me.user.id.clone(),
        search: q.search,
        filter,
        sort: Sort::parse(q.sort.as_deref())?,
        limit: q.limit.unwrap_or(100),
        cursor: q.cursor,
        offset: q.offset,
        include_deleted: q.include_deleted.unwrap_or(false),
    };
    let page = state.db.run(move |c| Lead::page(c, &req)).await?;
    Ok(Json(LeadPage {
        items: page.rows.into_iter().map(LeadDto::from).collect(),
        next_cursor: page.next_cursor,
        total: page.total,
        total_is_estimate: page.total_is_estimate,
    }))
}

/// Add a lead. `username` is required (normalised: lower case, no `@`); it is unique in your workspace.
#[utoipa::path(post, path = "/api/v1/leads", tag = "leads", request_body = LeadPatch,
    responses((status = 201, body = LeadDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    me: CurrentUser,
    state: web::Data<AppState>,
    Shape(patch): Shape<LeadPatch>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let uid = me.user.id.clone();
    let lead = state
        .db
        .run(move |c| write_tx(c, |c| Lead::create(c, &uid, Some(&uid), patch)))
        .await?;
    let etag = format!("\"{}\"", lead.version);
    Ok(HttpResponse::Created()
        .insert_header((header::ETAG, etag))
        .json(LeadDto::from(lead)))
}

/// One lead (with its version in `ETag`).
#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "leads", params(("id" = String, Path)),
    responses((status = 200, body = LeadDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let lead = state
        .db
        .run(move |c| Lead::find_owned(c, &uid, &id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(with_etag(lead))
}

/// Change one field or many. With `If-Match: "<version>"` a stale write answers 409 with the current row in
/// `error.details.current`, and nothing is overwritten.
#[utoipa::path(patch, path = "/api/v1/leads/{id}", tag = "leads", params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = LeadPatch,
    responses((status = 200, body = LeadDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Shape(patch): Shape<LeadPatch>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let version = if_match(&req)?;
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let batch = new_id();
    let lead = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                Lead::update(c, &uid, Some(&uid), &id, version, patch, &batch)
            })
        })
        .await?;
    Ok(with_etag(lead))
}

/// Soft-delete a lead (restore brings it back).
#[utoipa::path(delete, path = "/api/v1/leads/{id}", tag = "leads", params(("id" = String, Path)),
    responses((status = 200, body = LeadDto), (status = 404, body = ErrorBody)))]
pub async fn delete(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let batch = new_id();
    let lead = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                Lead::set_deleted(c, &uid, Some(&uid), &id, true, &batch)
            })
        })
        .await?;
    Ok(with_etag(lead))
}

/// Bring back a soft-deleted lead.
#[utoipa::path(post, path = "/api/v1/leads/{id}/restore", tag = "leads", params(("id" = String, Path)),
    responses((status = 200, body = LeadDto), (status = 404, body = ErrorBody)))]
pub async fn restore(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let batch = new_id();
    let lead = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                Lead::set_deleted(c, &uid, Some(&uid), &id, false, &batch)
            })
        })
        .await?;
    Ok(with_etag(lead))
}

/// The lead's edit history, newest first.
#[utoipa::path(get, path = "/api/v1/leads/{id}/history", tag = "leads", params(("id" = String, Path)),
    responses((status = 200, body = Vec<LeadEditDto>), (status = 404, body = ErrorBody)))]
pub async fn history(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<Vec<LeadEditDto>>> {
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let edits = state
        .db
        .run(move |c| {
            Lead::find_owned(c, &uid, &id)?.ok_or_else(ApiError::not_found)?;
            LeadEdit::history(c, &id)
        })
        .await?;
    Ok(Json(edits.into_iter().map(LeadEditDto::from).collect()))
}
