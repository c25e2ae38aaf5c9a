//! `GET /api/v1/sessions/{id}/events`: the session's progress as server-sent events. The request polls the session
//! row about every 500 ms and sends `progress` (the session) when it changed, a keep-alive comment every 15 s
//! otherwise, and `done` once the session has ended; it ends when the client goes away (request-scoped work).

use crate::identity::extract::CurrentUser;
use crate::sessions::dto::{self, SessionDto};
use crate::state::AppState;
use actix_web::web::{self, Bytes, Path};
use actix_web::HttpResponse;
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult};
use leadgen_db::models::processing_session::ProcessingSession;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(500);
const KEEP_ALIVE: Duration = Duration::from_secs(15);

struct Watch {
    state: web::Data<AppState>,
    owner: String,
    id: String,
    last: Option<String>,
    last_sent: Instant,
    first: bool,
    finished: bool,
}

async fn load(w: &Watch) -> ApiResult<Option<(SessionDto, bool)>> {
    let (uid, id, now) = (w.owner.clone(), w.id.clone(), w.state.clock.now());
    w.state
        .db
        .run(move |c| {
            let Some(s) = ProcessingSession::find_owned(c, &uid, &id)? else {
                return Ok(None);
            };
            Ok(Some((dto::build(c, &s, now)?, !s.is_active())))
        })
        .await
}

fn message(event: &str, data: &str) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

/// Live progress of a session (`text/event-stream`): `event: progress` with the session as `data` whenever it
/// changes, then one `event: done` with the final session, and the stream ends.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/events", operation_id = "session_events", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "Server-sent events: `progress` (data: a Session) when it changes, then `done` (data: the final Session)"),
        (status = 404, body = ErrorBody)))]
pub async fn events(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    let mut w = Watch {
        state,
        owner: me.user.id.clone(),
        id: id.into_inner(),
        last: None,
        last_sent: Instant::now(),
        first: true,
        finished: false,
    };
    // Someone else's session (or none) is a 404 before the stream starts.
    if load(&w).await?.is_none() {
        return Err(ApiError::not_found());
    }
    w.first = true;
    let stream = futures_util::stream::unfold(w, |mut w| async move {
        if w.finished {
            return None;
        }
        loop {
            if !w.first {
                tokio::time::sleep(POLL).await;
            }
            w.first = false;
            let (dto, ended) = match load(&w).await {
                Ok(Some(v)) => v,
                // Gone or unreadable: end the stream (the client may reconnect).
                _ => return None,
            };
            let json = serde_json::to_string(&dto).unwrap_or_default();
            let changed = w.last.as_deref() != Some(json.as_str());
            if ended {
                w.finished = true;
                let mut out = String::new();
                if changed {
                    out.push_str(&message("progress", &json));
                }
                out.push_str(&message("done", &json));
                return Some((Ok::<Bytes, actix_web::Error>(Bytes::from(out)), w));
            }
            if changed {
                w.last = Some(json.clone());
                w.last_sent = Instant::now();
                return Some((Ok(Bytes::from(message("progress", &json))), w));
            }
            if w.last_sent.elapsed() >= KEEP_ALIVE {
                w.last_sent = Instant::now();
                return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), w));
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        // Not compressed (the compression middleware would hold the events back) nor buffered by a proxy.
        .insert_header(("Content-Encoding", "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}
