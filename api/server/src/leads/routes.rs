use crate::extract::{Body, Params, Shape};
use crate::identity::extract::{CurrentUser, OwnSettings};
use crate::leads::csv_cells;
use crate::leads::dto::*;
use crate::security::ClientInfo;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::web::{self, Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::lead::{Filter, Lead, LeadEdit, LeadPatch, PageRequest, Sort, COUNT_CAP};
use leadgen_db::models::user::User;
use leadgen_db::models::view::SavedView;
use leadgen_db::{new_id, write_tx};

/// Whose leads a read shows: your own, or (admins only) another user's, read-only; `record` puts the read in the
/// audit log. Anyone else asking for another owner gets 403; an unknown owner 404. An empty `owner=` is the
/// parameter left out: your own.
pub(crate) async fn read_owner(
    state: &AppState,
    me: &CurrentUser,
    client: &ClientInfo,
    owner: Option<String>,
    record: bool,
) -> ApiResult<String> {
    let Some(owner) = owner.filter(|o| !o.trim().is_empty() && *o != me.user.id) else {
        return Ok(me.user.id.clone());
    };
    if !me.user.is_admin() {
        return Err(ApiError::msg(
            ErrorCode::Forbidden,
            "Only admins may read another user's leads.",
        ));
    }
    let o = owner.clone();
    let target = state
        .db
        .run(move |c| User::find(c, &o))
        .await?
        .ok_or_else(ApiError::not_found)?;
    if record {
        crate::audit::record(
            state,
            crate::audit::event("leads.read_other", Some(&me.user), client).target(
                "user",
                Some(&target.id),
                Some(&target.username),
            ),
        )
        .await;
    }
    Ok(owner)
}

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

/// The exact total of the query when a far jump lands within `ANCHOR_STEP` rows of its end (and past its
/// middle): read from the end instead, which skips no more than an anchor would (Ctrl+End on a million leads then
/// costs what the first page does, with or without anchors).
fn near_the_end(
    state: &web::Data<AppState>,
    owner: &str,
    key: &str,
    req: &PageRequest,
) -> Option<i64> {
    use crate::leads::counts::ANCHOR_STEP;
    let offset = req
        .offset
        .filter(|o| *o >= ANCHOR_STEP && req.cursor.is_none())?;
    match state.counts.get(owner, key)? {
        // Past the end of the cached total (leads added by another process since it was counted): as usual.
        (total, false) if offset > total / 2 && offset < total && total - offset <= ANCHOR_STEP => {
            Some(total)
        }
        _ => None,
    }
}

/// A far jump starts from the nearest cached anchor (a keyset cursor) and skips fewer than `ANCHOR_STEP` rows;
/// without anchors for this query yet, it skips from the start and the anchors are built in the background.
fn anchored(
    state: &web::Data<AppState>,
    owner: &str,
    key: &str,
    mut req: PageRequest,
) -> PageRequest {
    use crate::leads::counts::ANCHOR_STEP;
    let Some(offset) = req
        .offset
        .filter(|o| *o >= ANCHOR_STEP && req.cursor.is_none())
    else {
        return req;
    };
    let key = format!("{key}|{}", req.sort.order_sql());
    if let Some((cursor, rest)) = state.counts.anchor(owner, &key, offset) {
        req.cursor = Some(cursor);
        req.offset = Some(rest);
        return req;
    }
    let claim = format!("anchors|{key}");
    if state.counts.begin_count(owner, &claim) {
        let (state, owner, plain) = (state.clone(), owner.to_owned(), req.clone());
        let gen = state.counts.generation(&owner);
        tokio::spawn(async move {
            match state
                .db
                .run(move |c| Lead::anchors(c, &plain, ANCHOR_STEP))
                .await
            {
                Ok(list) => state.counts.put_anchors(&owner, &key, list, gen),
                Err(e) => tracing::warn!(error = ?e, "building jump anchors failed"),
            }
            state.counts.end_count(&owner, &claim);
        });
    }
    req
}

/// List leads: search, filter tree, multi-column sort, keyset (`cursor`) or jump (`offset`) paging.
#[utoipa::path(get, path = "/api/v1/leads", tag = "leads", params(LeadQuery),
    responses((status = 200, body = LeadPage), (status = 422, body = ErrorBody)))]
pub async fn list(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    Params(q): Params<LeadQuery>,
) -> ApiResult<Json<LeadPage>> {
    let filter = parse_filter(q.filter.as_deref())?;
    // A new query (not a later page of it) is what gets recorded when an admin reads someone else's leads.
    let first_page = q.cursor.is_none() && q.offset.unwrap_or(0) == 0;
    let owner = read_owner(&state, &me, &client, q.owner.clone(), first_page).await?;
    let req = PageRequest {
        owner_id: owner.clone(),
        search: q.search,
        filter,
        sort: Sort::parse(q.sort.as_deref())?,
        limit: q.limit.unwrap_or(100),
        cursor: q.cursor,
        offset: q.offset,
        include_deleted: q.include_deleted.unwrap_or(false),
    };
    let key = format!("{:?}|{:?}|{}", req.search, q.filter, req.include_deleted);
    let end_total = near_the_end(&state, &owner, &key, &req);
    let req = match end_total {
        Some(_) => req,
        None => anchored(&state, &owner, &key, req),
    };
    let cached = state.counts.get(&owner, &key);
    let unfiltered_key = format!("{:?}|{:?}|{}", None::<String>, None::<String>, false);
    let cached_all = state
        .counts
        .get(&owner, &unfiltered_key)
        .filter(|(_, est)| !est)
        .map(|(n, _)| n);
    let gen = state.counts.generation(&owner);
    let r = req.clone();
    let (rows, next_cursor, total, estimate) = state
        .db
        .run(move |c| {
            let (rows, next) = match end_total {
                Some(total) => Lead::rows_from_end(c, &r, total)?,
                None => Lead::rows(c, &r)?,
            };
            let (total, estimate) = match cached {
                Some(hit) => hit,
                None => {
                    let n = Lead::count_capped(c, &r)?;
                    if n <= COUNT_CAP {
                        (n, false)
                    } else {
                        (cached_all.unwrap_or(n), true)
                    }
                }
            };
            Ok((rows, next, total, estimate))
        })
        .await?;
    if cached.is_none() {
        if estimate {
            state.counts.put_estimate(&owner, &key, total, gen);
        } else {
            state.counts.put(&owner, &key, total, gen);
        }
    }
    if estimate && state.counts.begin_count(&owner, &key) {
        let (state2, req2) = (state.clone(), req.clone());
        tokio::spawn(async move {
            match state2.db.run(move |c| Lead::count_exact(c, &req2)).await {
                Ok(n) => state2.counts.put(&owner, &key, n, gen),
                Err(e) => tracing::warn!(error = ?e, "background count failed"),
            }
            state2.counts.end_count(&owner, &key);
        });
    }
    Ok(Json(LeadPage {
        items: rows.into_iter().map(LeadDto::from).collect(),
        next_cursor,
        total,
        total_is_estimate: estimate,
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
    state.counts.invalidate(&me.user.id);
    let etag = format!("\"{}\"", lead.version);
    Ok(HttpResponse::Created()
        .insert_header((header::ETAG, etag))
        .json(LeadDto::from(lead)))
}

/// One lead (with its version in `ETag`).
#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "leads", params(("id" = String, Path), ReadAs),
    responses((status = 200, body = LeadDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
    Params(r): Params<ReadAs>,
) -> ApiResult<HttpResponse> {
    let uid = read_owner(&state, &me, &client, r.owner, true).await?;
    let id = id.into_inner();
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
    state.counts.invalidate(&me.user.id);
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
    state.counts.invalidate(&me.user.id);
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
    state.counts.invalidate(&me.user.id);
    Ok(with_etag(lead))
}

/// The lead's edit history, newest first.
#[utoipa::path(get, path = "/api/v1/leads/{id}/history", tag = "leads", params(("id" = String, Path), ReadAs),
    responses((status = 200, body = Vec<LeadEditDto>), (status = 404, body = ErrorBody)))]
pub async fn history(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
    Params(r): Params<ReadAs>,
) -> ApiResult<Json<Vec<LeadEditDto>>> {
    let uid = read_owner(&state, &me, &client, r.owner, false).await?;
    let id = id.into_inner();
    let edits = state
        .db
        .run(move |c| {
            let lead = Lead::find_owned(c, &uid, &id)?.ok_or_else(ApiError::not_found)?;
            LeadEdit::history(c, &lead)
        })
        .await?;
    Ok(Json(edits.into_iter().map(LeadEditDto::from).collect()))
}

fn parse_filter(text: Option<&str>) -> ApiResult<Option<Filter>> {
    if let Some(t) = text {
        crate::extract::check_json_param("filter", t)?;
    }
    match text.filter(|s| !s.trim().is_empty()) {
        Some(t) => serde_json::from_str::<Filter>(t).map(Some).map_err(|e| {
            ApiError::field(
                "filter",
                "invalid_filter",
                format!("Not a filter tree: {e}"),
            )
        }),
        None => Ok(None),
    }
}

/// Apply one change to a selection of leads (ids, or everything matching a search/filter). One undo step.
#[utoipa::path(post, path = "/api/v1/leads/bulk", tag = "leads", request_body = BulkUpdate,
    responses((status = 200, body = BulkResult), (status = 422, body = ErrorBody)))]
pub async fn bulk_update(
    me: CurrentUser,
    state: web::Data<AppState>,
    Shape(b): Shape<BulkUpdate>,
) -> ApiResult<Json<BulkResult>> {
    me.require_writer()?;
    let sel = SelectionInput::from(b.selection).into_selection()?;
    let uid = me.user.id.clone();
    let batch = new_id();
    let batch_id = batch.clone();
    let affected = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                Lead::bulk_update(c, &uid, Some(&uid), &sel, b.patch, &batch)
            })
        })
        .await?;
    state.counts.invalidate(&me.user.id);
    Ok(Json(BulkResult { affected, batch_id }))
}

/// Soft-delete a selection of leads. One undo step.
#[utoipa::path(post, path = "/api/v1/leads/bulk-delete", tag = "leads", request_body = SelectionInput,
    responses((status = 200, body = BulkResult), (status = 422, body = ErrorBody)))]
pub async fn bulk_delete(
    me: CurrentUser,
    state: web::Data<AppState>,
    Body(b): Body<SelectionInput>,
) -> ApiResult<Json<BulkResult>> {
    me.require_writer()?;
    let sel = b.into_selection()?;
    let uid = me.user.id.clone();
    let batch = new_id();
    let batch_id = batch.clone();
    let affected = state
        .db
        .run(move |c| write_tx(c, |c| Lead::bulk_delete(c, &uid, Some(&uid), &sel, &batch)))
        .await?;
    state.counts.invalidate(&me.user.id);
    Ok(Json(BulkResult { affected, batch_id }))
}

fn nothing(what: &str) -> ApiError {
    ApiError::msg(
        leadgen_core::ErrorCode::Conflict,
        format!("Nothing to {what}."),
    )
    .with_details(serde_json::json!({ "code": format!("nothing_to_{what}") }))
}

/// Undo your latest edit batch (a cell, a paste, a bulk edit or delete). Leads changed by someone else since are
/// left alone and counted as skipped.
#[utoipa::path(post, path = "/api/v1/leads/undo", tag = "leads", responses((status = 200, body = UndoResult), (status = 409, body = ErrorBody)))]
pub async fn undo(me: CurrentUser, state: web::Data<AppState>) -> ApiResult<Json<UndoResult>> {
    me.require_writer()?;
    let uid = me.user.id.clone();
    let out = state
        .db
        .run(move |c| write_tx(c, |c| LeadEdit::undo(c, &uid)))
        .await?
        .ok_or_else(|| nothing("undo"))?;
    state.counts.invalidate(&me.user.id);
    Ok(Json(UndoResult {
        batch_id: out.batch_id,
        affected: out.affected,
        skipped: out.skipped,
    }))
}

/// Redo the batch undone last (until a new edit is made).
#[utoipa::path(post, path = "/api/v1/leads/redo", tag = "leads", responses((status = 200, body = UndoResult), (status = 409, body = ErrorBody)))]
pub async fn redo(me: CurrentUser, state: web::Data<AppState>) -> ApiResult<Json<UndoResult>> {
    me.require_writer()?;
    let uid = me.user.id.clone();
    let out = state
        .db
        .run(move |c| write_tx(c, |c| LeadEdit::redo(c, &uid)))
        .await?
        .ok_or_else(|| nothing("redo"))?;
    state.counts.invalidate(&me.user.id);
    Ok(Json(UndoResult {
        batch_id: out.batch_id,
        affected: out.affected,
        skipped: out.skipped,
    }))
}

/// Your saved grid views.
#[utoipa::path(get, path = "/api/v1/views", tag = "leads", responses((status = 200, body = Vec<ViewDto>)))]
pub async fn list_views(
    me: CurrentUser,
    state: web::Data<AppState>,
) -> ApiResult<Json<Vec<ViewDto>>> {
    let uid = me.user.id.clone();
    Ok(Json(
        state
            .db
            .run(move |c| SavedView::list(c, &uid))
            .await?
            .into_iter()
            .map(ViewDto::from)
            .collect(),
    ))
}

fn view_state(v: &serde_json::Value) -> ApiResult<String> {
    let text = v.to_string();
    if !v.is_object() || text.len() > 64 * 1024 {
        return Err(ApiError::field(
            "state",
            "invalid",
            "An object of at most 64 KB",
        ));
    }
    Ok(text)
}

/// Save the grid's current state as a view.
///
/// Views are your own settings: viewers keep theirs too, and read-scoped tokens may change them.
#[utoipa::path(post, path = "/api/v1/views", tag = "leads", request_body = ViewInput,
    responses((status = 201, body = ViewDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_view(
    OwnSettings(me): OwnSettings,
    state: web::Data<AppState>,
    Body(b): Body<ViewInput>,
) -> ApiResult<HttpResponse> {
    let text = view_state(&b.state)?;
    let uid = me.user.id.clone();
    let v = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                SavedView::save(c, &uid, None, b.name.trim(), &text, b.is_default)
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(ViewDto::from(v)))
}

/// Replace a view.
#[utoipa::path(put, path = "/api/v1/views/{id}", tag = "leads", params(("id" = String, Path)), request_body = ViewInput,
    responses((status = 200, body = ViewDto), (status = 404, body = ErrorBody)))]
pub async fn update_view(
    OwnSettings(me): OwnSettings,
    state: web::Data<AppState>,
    id: Path<String>,
    Body(b): Body<ViewInput>,
) -> ApiResult<Json<ViewDto>> {
    let text = view_state(&b.state)?;
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let v = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                SavedView::save(c, &uid, Some(&id), b.name.trim(), &text, b.is_default)
            })
        })
        .await?;
    Ok(Json(v.into()))
}

/// Delete a view.
#[utoipa::path(delete, path = "/api/v1/views/{id}", tag = "leads", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_view(
    OwnSettings(me): OwnSettings,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    state
        .db
        .run(move |c| SavedView::delete(c, &uid, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn csv_value(l: &Lead, col: &str) -> String {
    let ts = |t: Option<chrono::NaiveDateTime>| {
        t.map(|t| crate::identity::dto::utc(t).to_rfc3339())
            .unwrap_or_default()
    };
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    match col {
        "username" => l.username.clone(),
        "full_name" => s(&l.full_name),
        "biography" => s(&l.biography),
        "followers" => n(l.followers),
        "following" => n(l.following),
        "posts" => n(l.posts),
        "is_business" => l.is_business.to_string(),
        "business_category" => s(&l.business_category),
        "email" => s(&l.email),
        "phone" => s(&l.phone),
        "website" => s(&l.website),
        "source_hashtag" => s(&l.source_hashtag),
        "product_id" => s(&l.product_id),
        "status" => l.status.clone(),
        "tags" => serde_json::from_str::<Vec<String>>(&l.tags)
            .unwrap_or_default()
            .join(", "),
        "notes" => s(&l.notes),
        "email_subject" => s(&l.email_subject),
        "email_body" => s(&l.email_body),
        "created_at" => ts(Some(l.created_at)),
        "updated_at" => ts(Some(l.updated_at)),
        "enriched_at" => ts(l.enriched_at),
        "contacted_at" => ts(l.contacted_at),
        _ => String::new(),
    }
}

/// Export the current filter/sort/columns as CSV, streamed (no size limit, constant memory).
///
/// Cells a spreadsheet would evaluate as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) are
/// written with a `'` in front; importing the file takes it off again.
#[utoipa::path(get, path = "/api/v1/leads/export", tag = "leads", params(ExportQuery),
    responses((status = 200, description = "text/csv", content_type = "text/csv"), (status = 422, body = ErrorBody)))]
pub async fn export(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    Params(q): Params<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let owner = read_owner(&state, &me, &client, q.owner.clone(), true).await?;
    let columns: Vec<String> = match q.columns.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(list) => {
            let cols: Vec<String> = list
                .split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect();
            if let Some(bad) = cols.iter().find(|c| !EXPORT_COLUMNS.contains(&c.as_str())) {
                return Err(ApiError::field(
                    "columns",
                    "unknown_column",
                    format!("No column {bad:?}"),
                ));
            }
            cols
        }
        None => EXPORT_COLUMNS.iter().map(|c| c.to_string()).collect(),
    };
    let mut req = PageRequest {
        owner_id: owner,
        search: q.search,
        filter: parse_filter(q.filter.as_deref())?,
        sort: Sort::parse(q.sort.as_deref())?,
        limit: 5000,
        cursor: None,
        offset: None,
        include_deleted: false,
    };
    // Validate the filter before the response starts.
    let check = req.clone();
    state
        .db
        .run(move |c| Lead::rows(c, &PageRequest { limit: 1, ..check }).map(|_| ()))
        .await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<actix_web::web::Bytes, std::io::Error>>(4);
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || {
        let send = |buf: Vec<u8>| {
            tx.blocking_send(Ok(actix_web::web::Bytes::from(buf)))
                .is_ok()
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        if w.write_record(&columns).is_err() {
            return;
        }
        let Ok(mut conn) = db.get() else { return };
        loop {
            let (rows, next) = match Lead::rows(&mut conn, &req) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = ?e, "export failed");
                    let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
                    return;
                }
            };
            for l in &rows {
                let cells = columns
                    .iter()
                    .map(|c| csv_cells::neutralise(&csv_value(l, c)).into_owned());
                if w.write_record(cells).is_err() {
                    return;
                }
            }
            let buf = match w.into_inner() {
                Ok(b) => b,
                Err(_) => return,
            };
            if !send(buf) {
                return; // the client went away
            }
            w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new());
            match next {
                Some(c) => req.cursor = Some(c),
                None => return,
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"leads.csv\"",
        ))
        .streaming(stream))
}
