//! `/api/v1/sessions`: create (and start) a processing session, estimate its cost, list and read sessions, cancel,
//! resume, retry failed items, add related hashtags, read the log and the items. One heavy operation per user:
//! a second active session answers 409 `heavy_operation_running` naming the one that runs.

use crate::extract::{Body, Params, Shape};
use crate::identity::extract::CurrentUser;
use crate::jobs::Engine;
use crate::providers::ProviderAccess;
use crate::sessions::dto::{
    self, SessionDto, SessionItemPage, SessionLog, SessionPage, SessionStatus,
};
use crate::sessions::form::{self, Estimate, SessionForm};
use crate::sessions::{new_job, run};
use crate::state::AppState;
use actix_web::web::{self, Json, Path};
use actix_web::HttpResponse;
use chrono::NaiveDateTime;
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::job::Job;
use leadgen_db::models::lead::Lead;
use leadgen_db::models::processing_session::{
    heavy_running, NewSession, ProcessingSession, SessionLogEntry, CANCELLED, CANCELLING, DONE,
    FAILED, QUEUED, RUNNING,
};
use leadgen_db::models::product::Product;
use leadgen_db::models::session_item::SessionItem;
use leadgen_db::{write_tx, DbConn};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

fn access(state: &AppState) -> ProviderAccess {
    ProviderAccess {
        settings: state.settings.clone(),
        secrets: state.secrets.clone(),
    }
}

/// The product must be the user's, and so must the selected leads.
fn check_refs(c: &mut DbConn, owner: &str, f: &form::Checked) -> ApiResult<()> {
    if let Some(pid) = &f.product_id {
        if Product::find_owned(c, owner, pid)?.is_none() {
            return Err(ApiError::field(
                "product_id",
                "unknown_product",
                "No such product.",
            ));
        }
    }
    if let Some(ids) = &f.lead_ids {
        let owned = Lead::owned_ids(c, owner, ids)?;
        if owned.len() != ids.len() {
            return Err(ApiError::field(
                "lead_ids",
                "unknown_lead",
                format!(
                    "{} of the leads are not in your workspace.",
                    ids.len() - owned.len()
                ),
            ));
        }
    }
    Ok(())
}

fn owned(c: &mut DbConn, owner: &str, id: &str) -> ApiResult<ProcessingSession> {
    ProcessingSession::find_owned(c, owner, id)?.ok_or_else(ApiError::not_found)
}

/// One action of a writer on their session: in one write transaction, the session (404 when it is not theirs) and
/// `f`; answers the session as it is afterwards.
async fn act<F>(me: &CurrentUser, state: &AppState, id: String, f: F) -> ApiResult<Json<SessionDto>>
where
    F: FnOnce(&mut DbConn, &ProcessingSession, &Engine, NaiveDateTime) -> ApiResult<()>
        + Send
        + 'static,
{
    me.require_writer()?;
    let (uid, now, jobs) = (me.user.id.clone(), state.clock.now(), state.jobs.clone());
    let dto = state
        .db
        .run(move |c| {
            let s = write_tx(c, |c| {
                let s = owned(c, &uid, &id)?;
                f(c, &s, &jobs, now)?;
                ProcessingSession::get(c, &s.id)
            })?;
            dto::build(c, &s, now)
        })
        .await?;
    Ok(Json(dto))
}

/// Queues an ended session again with a new job (resume, retry failed, more hashtags).
fn requeue(
    c: &mut DbConn,
    jobs: &Engine,
    s: &ProcessingSession,
    why: &str,
    now: NaiveDateTime,
) -> ApiResult<()> {
    if let Some(other) = ProcessingSession::active_for(c, &s.owner_id)? {
        return Err(heavy_running(&other));
    }
    let job = jobs.enqueue(c, &new_job(&s.owner_id, &s.id))?;
    ProcessingSession::requeue(c, &s.id, &job.job().id, now)?;
    SessionLogEntry::add(c, &s.id, "info", None, why, now)
}

/// What a new session would cost at most (Apify runs, Perplexity and OpenAI calls at the settings' unit prices).
#[utoipa::path(post, path = "/api/v1/sessions/estimate", operation_id = "estimate_session", tag = "sessions",
    request_body = SessionForm, responses((status = 200, body = Estimate)))]
pub async fn estimate(
    me: CurrentUser,
    state: web::Data<AppState>,
    Shape(form): Shape<SessionForm>,
) -> ApiResult<Json<Estimate>> {
    let checked = form.check()?;
    let (uid, access) = (me.user.id.clone(), access(&state));
    let est = state
        .db
        .run(move |c| {
            check_refs(c, &uid, &checked)?;
            let prices = run::prices(&access, c)?;
            Ok(form::estimate(&checked, &prices))
        })
        .await?;
    Ok(Json(est))
}

/// Create a processing session and start it (as a background job).
#[utoipa::path(post, path = "/api/v1/sessions", operation_id = "create_session", tag = "sessions",
    request_body = SessionForm,
    responses((status = 201, body = SessionDto),
        (status = 409, body = ErrorBody, description = "Another session of yours is queued or running (`heavy_operation_running`; `details.session_id` and `details.name` name it)")))]
pub async fn create(
    me: CurrentUser,
    state: web::Data<AppState>,
    Shape(form): Shape<SessionForm>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let checked = form.check()?;
    let (uid, jobs, now) = (me.user.id.clone(), state.jobs.clone(), state.clock.now());
    let dto = state
        .db
        .run(move |c| {
            check_refs(c, &uid, &checked)?;
            let options = serde_json::to_value(&checked.options).map_err(ApiError::internal)?;
            // The check for a running session, the insert and the job are one write transaction.
            let created = write_tx(c, |c| {
                let s = ProcessingSession::create(
                    c,
                    &NewSession {
                        owner_id: &uid,
                        name: &checked.name,
                        hashtags: &checked.hashtags,
                        stages: &checked.stages,
                        product_id: checked.product_id.as_deref(),
                        options: &options,
                        lead_ids: checked.lead_ids.as_deref(),
                    },
                    now,
                )?;
                let job = jobs.enqueue(c, &new_job(&uid, &s.id))?;
                ProcessingSession::set_job(c, &s.id, &job.job().id)?;
                SessionLogEntry::add(c, &s.id, "info", None, "Session created", now)?;
                ProcessingSession::get(c, &s.id)
            });
            let s = match created {
                // Lost a race with another create: name the session that won.
                Err(e) if e.code == ErrorCode::HeavyOperationRunning && e.details.is_none() => {
                    return Err(match ProcessingSession::active_for(c, &uid)? {
                        Some(other) => heavy_running(&other),
                        None => e,
                    })
                }
                other => other?,
            };
            dto::build(c, &s, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(dto))
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub status: Option<SessionStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    #[validate(range(min = 0, max = 1_000_000))]
    #[param(minimum = 0, maximum = 1_000_000)]
    pub offset: Option<i64>,
}

fn status_str(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Queued => QUEUED,
        SessionStatus::Running => RUNNING,
        SessionStatus::Cancelling => CANCELLING,
        SessionStatus::Cancelled => CANCELLED,
        SessionStatus::Done => DONE,
        SessionStatus::Failed => FAILED,
    }
}

/// Your sessions, newest first.
#[utoipa::path(get, path = "/api/v1/sessions", operation_id = "list_processing_sessions", tag = "sessions", params(ListQuery),
    responses((status = 200, body = SessionPage)))]
pub async fn list(
    me: CurrentUser,
    state: web::Data<AppState>,
    Params(q): Params<ListQuery>,
) -> ApiResult<Json<SessionPage>> {
    let (uid, now) = (me.user.id.clone(), state.clock.now());
    let page = state
        .db
        .run(move |c| {
            let (rows, total) = ProcessingSession::list(
                c,
                &uid,
                q.status.map(status_str),
                q.limit.unwrap_or(50),
                q.offset.unwrap_or(0),
            )?;
            let items = rows
                .iter()
                .map(|s| dto::build(c, s, now))
                .collect::<ApiResult<Vec<_>>>()?;
            Ok(SessionPage { items, total })
        })
        .await?;
    Ok(Json(page))
}

/// One session with its progress.
#[utoipa::path(get, path = "/api/v1/sessions/{id}", operation_id = "get_session", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, body = SessionDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<SessionDto>> {
    let (uid, id, now) = (me.user.id.clone(), id.into_inner(), state.clock.now());
    Ok(Json(
        state
            .db
            .run(move |c| {
                let s = owned(c, &uid, &id)?;
                dto::build(c, &s, now)
            })
            .await?,
    ))
}

fn ended(s: &ProcessingSession) -> ApiError {
    ApiError::msg(
        ErrorCode::Conflict,
        format!("The session has already ended ({}).", s.status),
    )
}

/// Cancel a session: a waiting one ends at once, a running one stops at its next checkpoint. Everything found so
/// far is kept.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/cancel", operation_id = "cancel_session", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, body = SessionDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The session has already ended")))]
pub async fn cancel(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<SessionDto>> {
    act(&me, &state, id.into_inner(), move |c, s, jobs, now| {
        match s.status.as_str() {
            CANCELLING => {}
            QUEUED | RUNNING => {
                let job = match &s.job_id {
                    Some(j) => Job::find(c, j)?,
                    None => None,
                };
                let job_running = job
                    .as_ref()
                    .is_some_and(|j| j.state == leadgen_db::models::job::RUNNING);
                if let Some(j) = &job {
                    Job::cancel(c, &j.id, now)?;
                }
                // A session at work stops at its next checkpoint; one waiting (to start, or out its
                // pause) has committed everything and ends at once.
                if job_running && ProcessingSession::mark_cancelling(c, &s.id, now)? {
                    SessionLogEntry::add(
                        c,
                        &s.id,
                        "info",
                        None,
                        "Cancel requested: stopping at the next checkpoint",
                        now,
                    )?;
                    if let Some(j) = &job {
                        jobs.stop_running(&j.id);
                    }
                } else {
                    run::end_in(now, c, &s.id, CANCELLED, None)?;
                }
            }
            _ => return Err(ended(s)),
        }
        Ok(())
    })
    .await
}

/// Resume a cancelled or failed session from where it stopped (done items are not repeated, nor paid for again).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/resume", operation_id = "resume_session", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, body = SessionDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The session is not cancelled or failed (`conflict`), or another session runs (`heavy_operation_running`)")))]
pub async fn resume(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<SessionDto>> {
    act(&me, &state, id.into_inner(), move |c, s, jobs, now| {
        if s.status != CANCELLED && s.status != FAILED {
            return Err(ApiError::msg(
                ErrorCode::Conflict,
                format!(
                    "Only a cancelled or failed session can be resumed; this one is {}.",
                    s.status
                ),
            ));
        }
        requeue(c, jobs, s, "Resumed", now)?;
        Ok(())
    })
    .await
}

/// Run the failed items of an ended session again (the rest is kept as it is).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/retry-failed", operation_id = "retry_failed_session", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, body = SessionDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The session is still running, has no failed items (`conflict`), or another session runs (`heavy_operation_running`)")))]
pub async fn retry_failed(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<SessionDto>> {
    act(&me, &state, id.into_inner(), move |c, s, jobs, now| {
        if s.is_active() {
            return Err(ApiError::msg(
                ErrorCode::Conflict,
                "The session is still running: retry its failed items once it has ended.",
            ));
        }
        let n = SessionItem::reset_failed(c, &s.id, now)?;
        if n == 0 {
            return Err(ApiError::msg(
                ErrorCode::Conflict,
                "The session has no failed items.",
            ));
        }
        requeue(c, jobs, s, &format!("Retrying {n} failed items"), now)?;
        Ok(())
    })
    .await
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelatedInput {
    /// Related hashtags to crawl too (1-50).
    pub hashtags: Vec<String>,
}

/// Add ticked related hashtags to the crawl (an ended session runs again for them).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/related-hashtags", operation_id = "add_related_hashtags", tag = "sessions", params(("id" = String, Path)),
    request_body = RelatedInput,
    responses((status = 200, body = SessionDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The session is a drafts-only run, or another session runs (`heavy_operation_running`)")))]
pub async fn add_related(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Body(b): Body<RelatedInput>,
) -> ApiResult<Json<SessionDto>> {
    me.require_writer()?;
    if b.hashtags.is_empty() {
        return Err(ApiError::field(
            "hashtags",
            "required",
            "Pick at least one hashtag.",
        ));
    }
    let tags = form::check_hashtags("hashtags", &b.hashtags, form::MAX_HASHTAGS)?;
    act(&me, &state, id.into_inner(), move |c, s, jobs, now| {
        if !s.has_stage("crawl") {
            return Err(ApiError::msg(
                ErrorCode::Conflict,
                "This session does not crawl hashtags.",
            ));
        }
        let mut all = s.hashtag_list();
        let mut related = s.related();
        let mut added = vec![];
        for t in tags {
            related.remove(&t);
            if !all.contains(&t) {
                all.push(t.clone());
                added.push(t);
            }
        }
        if all.len() > 200 {
            return Err(ApiError::field(
                "hashtags",
                "too_many",
                "A session crawls at most 200 hashtags.",
            ));
        }
        ProcessingSession::set_hashtags(c, &s.id, &all, &related, now)?;
        if !added.is_empty() {
            let msg = format!(
                "Added {}",
                added
                    .iter()
                    .map(|t| format!("#{t}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if s.status == DONE || s.status == CANCELLED || s.status == FAILED {
                requeue(c, jobs, s, &msg, now)?;
            } else {
                SessionLogEntry::add(c, &s.id, "info", Some("crawl"), &msg, now)?;
            }
        }
        Ok(())
    })
    .await
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    #[validate(range(min = 1, max = 1000))]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// The session's log (the newest `limit` lines, oldest first).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/log", operation_id = "session_log", tag = "sessions", params(("id" = String, Path), LogQuery),
    responses((status = 200, body = SessionLog), (status = 404, body = ErrorBody)))]
pub async fn log(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Params(q): Params<LogQuery>,
) -> ApiResult<Json<SessionLog>> {
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let items = state
        .db
        .run(move |c| {
            let s = owned(c, &uid, &id)?;
            SessionLogEntry::recent(c, &s.id, q.limit.unwrap_or(200))
        })
        .await?;
    Ok(Json(SessionLog {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    pub status: Option<dto::ItemStatus>,
    pub stage: Option<dto::Stage>,
    #[validate(range(min = 1, max = 500))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[validate(range(min = 0, max = 10_000_000))]
    #[param(minimum = 0, maximum = 10_000_000)]
    pub offset: Option<i64>,
}

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The session's items (a hashtag, a username, a lead per stage), e.g. the failed ones with their errors.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/items", operation_id = "session_items", tag = "sessions", params(("id" = String, Path), ItemQuery),
    responses((status = 200, body = SessionItemPage), (status = 404, body = ErrorBody)))]
pub async fn items(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Params(q): Params<ItemQuery>,
) -> ApiResult<Json<SessionItemPage>> {
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let status = q.status.as_ref().map(enum_str);
    let stage = q.stage.as_ref().map(enum_str);
    let page = state
        .db
        .run(move |c| {
            let s = owned(c, &uid, &id)?;
            let (rows, total) = SessionItem::list(
                c,
                &s.id,
                status.as_deref(),
                stage.as_deref(),
                q.limit.unwrap_or(100),
                q.offset.unwrap_or(0),
            )?;
            Ok(SessionItemPage {
                items: rows.into_iter().map(Into::into).collect(),
                total,
            })
        })
        .await?;
    Ok(Json(page))
}
