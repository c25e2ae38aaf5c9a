//! Processing sessions: the lead pipeline (crawl → enrich → contacts → dedupe → drafts) as one background job
//! per session, its routes, its live progress (server-sent events) and its form.

pub mod dto;
pub mod events;
pub mod form;
pub mod routes;
pub mod run;
pub mod stages;

use actix_web::web;
use leadgen_db::models::job::NewJob;
use serde_json::json;

/// The job kind that runs a session.
pub const KIND: &str = "sessions.run";
/// Failed attempts (errors of the run itself, not of provider calls, which fail items) before the session fails.
const MAX_ATTEMPTS: i32 = 10;

/// The job that runs session `id` of `owner`.
pub fn new_job(owner: &str, id: &str) -> NewJob {
    NewJob::new(KIND, json!({ "session_id": id }))
        .owner(owner)
        .unique_key(format!("session:{id}"))
        .max_attempts(MAX_ATTEMPTS)
}

/// The session a job runs.
pub fn session_of(j: &leadgen_db::models::job::Job) -> Option<String> {
    j.args_json()
        .get("session_id")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// The session of a job cancelled from the jobs pages (inside that transaction): a session at work stops at its
/// next checkpoint, one waiting ends `cancelled` at once.
pub fn cancel_for_job(
    c: &mut leadgen_db::DbConn,
    session_id: &str,
    job_running: bool,
    now: chrono::NaiveDateTime,
) -> leadgen_core::ApiResult<()> {
    use leadgen_db::models::processing_session::{ProcessingSession, CANCELLED};
    let Some(s) = ProcessingSession::find(c, session_id)? else {
        return Ok(());
    };
    if !s.is_active() {
        return Ok(());
    }
    if job_running && ProcessingSession::mark_cancelling(c, &s.id, now)? {
        return Ok(());
    }
    run::end_in(now, c, &s.id, CANCELLED, None)
}

/// Ends the sessions whose job ended without them: the rescuer cancels a job whose process died after a cancel
/// was asked for (the session stayed `cancelling`) and discards one out of attempts (the session stayed at
/// work). A cancelled job ends its session `cancelled`, a discarded one `failed`; how many were ended. Runs after
/// each rescue.
pub fn settle_orphans(
    c: &mut leadgen_db::DbConn,
    now: chrono::NaiveDateTime,
) -> leadgen_core::ApiResult<usize> {
    use leadgen_db::models::job::{self, Job};
    use leadgen_db::models::processing_session::{ProcessingSession, CANCELLED, FAILED};
    let mut ended = 0;
    for s in ProcessingSession::active_with_job(c)? {
        let Some(job_id) = &s.job_id else { continue };
        let state = Job::find(c, job_id)?.map(|j| j.state);
        let (status, error) = match state.as_deref() {
            Some(job::CANCELLED) => (CANCELLED, None),
            Some(job::DISCARDED) | None => (
                FAILED,
                Some("The session's background job ended without finishing it (its worker stopped answering)."),
            ),
            _ => continue,
        };
        leadgen_db::write_tx(c, |c| {
            // Still active in this transaction (the job may have ended it meanwhile).
            match ProcessingSession::find(c, &s.id)? {
                Some(now_s) if now_s.is_active() => run::end_in(now, c, &s.id, status, error),
                _ => Ok(()),
            }
        })?;
        ended += 1;
    }
    Ok(ended)
}

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes as r;
    cfg.service(
        web::scope("/sessions")
            .route("", web::get().to(r::list))
            .route("", web::post().to(r::create))
            .route("/estimate", web::post().to(r::estimate))
            .route("/{id}", web::get().to(r::get))
            .route("/{id}/cancel", web::post().to(r::cancel))
            .route("/{id}/resume", web::post().to(r::resume))
            .route("/{id}/retry-failed", web::post().to(r::retry_failed))
            .route("/{id}/related-hashtags", web::post().to(r::add_related))
            .route("/{id}/log", web::get().to(r::log))
            .route("/{id}/items", web::get().to(r::items))
            .route("/{id}/events", web::get().to(events::events)),
    );
}
