//! Processing sessions: runs of the lead pipeline (crawl → enrich → contacts → dedupe → drafts) with the form's
//! choices, cost so far and the pause before the next batch; and their log. What each stage did to each item lives
//! in `session_item`; the counts are counted from there. At most one session per owner is active (queued, running
//! or cancelling): checked in the inserting transaction and by a partial unique index.

use crate::conn::DbConn;
use crate::new_id;
use crate::schema::{processing_sessions, products, session_log};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use serde_json::{json, Value};

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const CANCELLING: &str = "cancelling";
pub const CANCELLED: &str = "cancelled";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";
/// A session in one of these holds the owner's one heavy operation.
pub const ACTIVE: &[&str] = &[QUEUED, RUNNING, CANCELLING];
pub const STATUSES: &[&str] = &[QUEUED, RUNNING, CANCELLING, CANCELLED, DONE, FAILED];

/// The stages, in the order they run.
pub const STAGES: &[&str] = &["crawl", "enrich", "contacts", "dedupe", "drafts"];

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = processing_sessions)]
pub struct ProcessingSession {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    pub status: String,
    /// JSON text: the hashtags to crawl (normalised).
    pub hashtags: String,
    /// JSON text: the stages to run.
    pub stages: String,
    pub product_id: Option<String>,
    /// JSON text: posts per hashtag, max new leads, filters, pacing, discover_related.
    pub options: String,
    /// JSON text: the leads of a drafts-only run.
    pub lead_ids: Option<String>,
    pub current_stage: Option<String>,
    /// JSON text: counters that are not counted from the items (none yet; kept for additions).
    pub counts: String,
    pub cost_micro_usd: i64,
    /// Profile batches started so far: numbers each batch's effect key.
    pub batches: i64,
    pub pause_until: Option<NaiveDateTime>,
    pub pause_seconds: Option<i64>,
    /// JSON text `{"tag": posts}`: hashtags seen on crawled posts that were not crawled.
    pub related_hashtags: String,
    pub summary: Option<String>,
    pub last_error: Option<String>,
    pub job_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// A session to create.
pub struct NewSession<'a> {
    pub owner_id: &'a str,
    pub name: &'a str,
    pub hashtags: &'a [String],
    pub stages: &'a [String],
    pub product_id: Option<&'a str>,
    pub options: &'a Value,
    pub lead_ids: Option<&'a [String]>,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = session_log)]
pub struct SessionLogEntry {
    pub id: String,
    pub session_id: String,
    pub at: NaiveDateTime,
    pub level: String,
    pub stage: Option<String>,
    pub message: String,
}

fn strings(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// The 409 a second heavy operation gets, naming the one that runs.
pub fn heavy_running(s: &ProcessingSession) -> ApiError {
    ApiError::msg(
        ErrorCode::HeavyOperationRunning,
        format!(
            "The session \"{}\" is {}: one heavy operation at a time. Wait for it or cancel it.",
            s.name, s.status
        ),
    )
    .with_details(json!({ "session_id": s.id, "name": s.name, "status": s.status }))
}

// Local methods.
impl ProcessingSession {
    pub fn hashtag_list(&self) -> Vec<String> {
        strings(&self.hashtags)
    }
    pub fn stage_list(&self) -> Vec<String> {
        strings(&self.stages)
    }
    pub fn has_stage(&self, stage: &str) -> bool {
        self.stage_list().iter().any(|s| s == stage)
    }
    pub fn options_json(&self) -> Value {
        serde_json::from_str(&self.options).unwrap_or_else(|_| json!({}))
    }
    pub fn lead_id_list(&self) -> Option<Vec<String>> {
        self.lead_ids.as_deref().map(strings)
    }
    /// `{"tag": posts}`.
    pub fn related(&self) -> serde_json::Map<String, Value> {
        serde_json::from_str(&self.related_hashtags).unwrap_or_default()
    }
    pub fn is_active(&self) -> bool {
        ACTIVE.contains(&self.status.as_str())
    }
    pub fn cost_usd(&self) -> f64 {
        self.cost_micro_usd as f64 / 1_000_000.0
    }
}

/// Dollars as whole micro-dollars (the stored unit).
pub fn micro_usd(usd: f64) -> i64 {
    if usd.is_finite() && usd > 0.0 {
        (usd * 1_000_000.0).round() as i64
    } else {
        0
    }
}

// Database methods.
impl ProcessingSession {
    /// The owner's active session, if any.
    pub fn active_for(conn: &mut DbConn, owner_id: &str) -> ApiResult<Option<ProcessingSession>> {
        Ok(processing_sessions::table
            .filter(processing_sessions::owner_id.eq(owner_id))
            .filter(processing_sessions::status.eq_any(ACTIVE))
            .select(ProcessingSession::as_select())
            .first(conn)
            .optional()?)
    }

    /// Inserts a queued session. Call inside the write transaction that enqueues its job: a second active
    /// session of the owner answers 409 `heavy_operation_running` naming it.
    pub fn create(
        conn: &mut DbConn,
        new: &NewSession<'_>,
        now: NaiveDateTime,
    ) -> ApiResult<ProcessingSession> {
        if let Some(running) = ProcessingSession::active_for(conn, new.owner_id)? {
            return Err(heavy_running(&running));
        }
        let id = new_id();
        let res = diesel::insert_into(processing_sessions::table)
            .values((
                processing_sessions::id.eq(&id),
                processing_sessions::owner_id.eq(new.owner_id),
                processing_sessions::name.eq(new.name),
                processing_sessions::status.eq(QUEUED),
                processing_sessions::hashtags.eq(list_text(new.hashtags)),
                processing_sessions::stages.eq(list_text(new.stages)),
                processing_sessions::product_id.eq(new.product_id),
                processing_sessions::options.eq(new.options.to_string()),
                processing_sessions::lead_ids.eq(new.lead_ids.map(list_text)),
                processing_sessions::counts.eq("{}"),
                processing_sessions::cost_micro_usd.eq(0i64),
                processing_sessions::batches.eq(0i64),
                processing_sessions::related_hashtags.eq("{}"),
                processing_sessions::created_at.eq(now),
                processing_sessions::updated_at.eq(now),
            ))
            .execute(conn);
        match res {
            Ok(_) => {}
            // Another create won the race (PostgreSQL: this transaction is over; the caller names the winner).
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {
                return Err(ApiError::msg(
                    ErrorCode::HeavyOperationRunning,
                    "Another session of yours was just started: one heavy operation at a time.",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        ProcessingSession::get(conn, &id)
    }

    pub fn get(conn: &mut DbConn, id: &str) -> ApiResult<ProcessingSession> {
        Ok(processing_sessions::table
            .find(id)
            .select(ProcessingSession::as_select())
            .first(conn)?)
    }

    pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Option<ProcessingSession>> {
        Ok(processing_sessions::table
            .find(id)
            .select(ProcessingSession::as_select())
            .first(conn)
            .optional()?)
    }

    /// Every session not ended yet (queued, running, cancelling) that has a job: a handful at most (one heavy
    /// operation per user).
    pub fn active_with_job(conn: &mut DbConn) -> ApiResult<Vec<ProcessingSession>> {
        Ok(processing_sessions::table
            .filter(processing_sessions::status.eq_any(ACTIVE))
            .filter(processing_sessions::job_id.is_not_null())
            .select(ProcessingSession::as_select())
            .load(conn)?)
    }

    /// The session if it is the owner's (someone else's session looks like none).
    pub fn find_owned(
        conn: &mut DbConn,
        owner_id: &str,
        id: &str,
    ) -> ApiResult<Option<ProcessingSession>> {
        Ok(processing_sessions::table
            .find(id)
            .filter(processing_sessions::owner_id.eq(owner_id))
            .select(ProcessingSession::as_select())
            .first(conn)
            .optional()?)
    }

    /// The owner's sessions, newest first, and how many there are.
    pub fn list(
        conn: &mut DbConn,
        owner_id: &str,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> ApiResult<(Vec<ProcessingSession>, i64)> {
        let filtered = || {
            let q = processing_sessions::table
                .filter(processing_sessions::owner_id.eq(owner_id))
                .into_boxed();
            match status {
                Some(s) => q.filter(processing_sessions::status.eq(s.to_owned())),
                None => q,
            }
        };
        let total = filtered().count().get_result(conn)?;
        let items = filtered()
            .order((
                processing_sessions::created_at.desc(),
                processing_sessions::id.desc(),
            ))
            .limit(limit)
            .offset(offset)
            .select(ProcessingSession::as_select())
            .load(conn)?;
        Ok((items, total))
    }

    /// The product's name, for the API.
    pub fn product_name(&self, conn: &mut DbConn) -> ApiResult<Option<String>> {
        let Some(pid) = &self.product_id else {
            return Ok(None);
        };
        Ok(products::table
            .find(pid)
            .select(products::name)
            .first(conn)
            .optional()?)
    }

    /// Moves the session from one of `from` to `to`; false when it was in none of them.
    pub fn transition(
        conn: &mut DbConn,
        id: &str,
        from: &[&str],
        to: &str,
        now: NaiveDateTime,
    ) -> ApiResult<bool> {
        let finished = matches!(to, CANCELLED | DONE | FAILED).then_some(now);
        let n = diesel::update(
            processing_sessions::table
                .find(id)
                .filter(processing_sessions::status.eq_any(from)),
        )
        .set((
            processing_sessions::status.eq(to),
            processing_sessions::finished_at.eq(finished),
            processing_sessions::updated_at.eq(now),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Marks a queued session running (its first run).
    pub fn start(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> ApiResult<bool> {
        let n = diesel::update(
            processing_sessions::table
                .find(id)
                .filter(processing_sessions::status.eq(QUEUED)),
        )
        .set((
            processing_sessions::status.eq(RUNNING),
            processing_sessions::started_at.eq(now),
            processing_sessions::updated_at.eq(now),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Ends the session (from running or cancelling) with a summary.
    pub fn finish(
        conn: &mut DbConn,
        id: &str,
        status: &str,
        summary: &str,
        last_error: Option<&str>,
        now: NaiveDateTime,
    ) -> ApiResult<bool> {
        let n = diesel::update(
            processing_sessions::table
                .find(id)
                .filter(processing_sessions::status.eq_any(ACTIVE)),
        )
        .set((
            processing_sessions::status.eq(status),
            processing_sessions::summary.eq(summary),
            processing_sessions::last_error.eq(last_error),
            processing_sessions::current_stage.eq(None::<String>),
            processing_sessions::pause_until.eq(None::<NaiveDateTime>),
            processing_sessions::pause_seconds.eq(None::<i64>),
            processing_sessions::finished_at.eq(now),
            processing_sessions::updated_at.eq(now),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Queues an ended session again (resume, retry failed items, more hashtags) with its new job.
    pub fn requeue(conn: &mut DbConn, id: &str, job_id: &str, now: NaiveDateTime) -> ApiResult<()> {
        diesel::update(processing_sessions::table.find(id))
            .set((
                processing_sessions::status.eq(QUEUED),
                processing_sessions::job_id.eq(job_id),
                processing_sessions::summary.eq(None::<String>),
                processing_sessions::last_error.eq(None::<String>),
                processing_sessions::finished_at.eq(None::<NaiveDateTime>),
                processing_sessions::pause_until.eq(None::<NaiveDateTime>),
                processing_sessions::pause_seconds.eq(None::<i64>),
                processing_sessions::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_job(conn: &mut DbConn, id: &str, job_id: &str) -> ApiResult<()> {
        diesel::update(processing_sessions::table.find(id))
            .set(processing_sessions::job_id.eq(job_id))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_stage(
        conn: &mut DbConn,
        id: &str,
        stage: Option<&str>,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(processing_sessions::table.find(id))
            .set((
                processing_sessions::current_stage.eq(stage),
                processing_sessions::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The pause before the next batch (`None`: no pause).
    pub fn set_pause(
        conn: &mut DbConn,
        id: &str,
        until: Option<NaiveDateTime>,
        seconds: Option<i64>,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(processing_sessions::table.find(id))
            .set((
                processing_sessions::pause_until.eq(until),
                processing_sessions::pause_seconds.eq(seconds),
                processing_sessions::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The pause before the next batch, only while the session runs (false: it was asked to stop meanwhile). One
    /// conditional update, so a cancel and a pause cannot both think they came first.
    pub fn pause_if_running(
        conn: &mut DbConn,
        id: &str,
        until: NaiveDateTime,
        seconds: i64,
        now: NaiveDateTime,
    ) -> ApiResult<bool> {
        let n = diesel::update(
            processing_sessions::table
                .find(id)
                .filter(processing_sessions::status.eq(RUNNING)),
        )
        .set((
            processing_sessions::pause_until.eq(until),
            processing_sessions::pause_seconds.eq(seconds),
            processing_sessions::updated_at.eq(now),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Asks a session that is at work (not waiting out a pause) to stop; false when it is not at work.
    pub fn mark_cancelling(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> ApiResult<bool> {
        let n = diesel::update(
            processing_sessions::table
                .find(id)
                .filter(processing_sessions::status.eq_any([QUEUED, RUNNING]))
                .filter(
                    processing_sessions::pause_until
                        .is_null()
                        .or(processing_sessions::pause_until.le(now)),
                ),
        )
        .set((
            processing_sessions::status.eq(CANCELLING),
            processing_sessions::updated_at.eq(now),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Adds to the cost so far (inside the effect's transaction).
    pub fn add_cost(
        conn: &mut DbConn,
        id: &str,
        micro_usd: i64,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(processing_sessions::table.find(id))
            .set((
                processing_sessions::cost_micro_usd
                    .eq(processing_sessions::cost_micro_usd + micro_usd),
                processing_sessions::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Counts one more profile batch (its number keys its effect).
    pub fn next_batch(conn: &mut DbConn, id: &str) -> ApiResult<()> {
        diesel::update(processing_sessions::table.find(id))
            .set(processing_sessions::batches.eq(processing_sessions::batches + 1))
            .execute(conn)?;
        Ok(())
    }

    /// Replaces the hashtags and the related-hashtag tally.
    pub fn set_hashtags(
        conn: &mut DbConn,
        id: &str,
        hashtags: &[String],
        related: &serde_json::Map<String, Value>,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        diesel::update(processing_sessions::table.find(id))
            .set((
                processing_sessions::hashtags
                    .eq(serde_json::to_string(hashtags).map_err(ApiError::internal)?),
                processing_sessions::related_hashtags
                    .eq(Value::Object(related.clone()).to_string()),
                processing_sessions::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> ApiResult<()> {
        diesel::update(processing_sessions::table.find(id))
            .set(processing_sessions::updated_at.eq(now))
            .execute(conn)?;
        Ok(())
    }
}

// The log.
impl SessionLogEntry {
    pub fn add(
        conn: &mut DbConn,
        session_id: &str,
        level: &str,
        stage: Option<&str>,
        message: &str,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        let message: String = message.chars().take(2000).collect();
        diesel::insert_into(session_log::table)
            .values((
                session_log::id.eq(crate::new_seq_id()),
                session_log::session_id.eq(session_id),
                session_log::at.eq(now),
                session_log::level.eq(level),
                session_log::stage.eq(stage),
                session_log::message.eq(message),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The newest `limit` entries, oldest first.
    pub fn recent(
        conn: &mut DbConn,
        session_id: &str,
        limit: i64,
    ) -> ApiResult<Vec<SessionLogEntry>> {
        let mut rows: Vec<SessionLogEntry> = session_log::table
            .filter(session_log::session_id.eq(session_id))
            .order((session_log::at.desc(), session_log::id.desc()))
            .limit(limit)
            .select(SessionLogEntry::as_select())
            .load(conn)?;
        rows.reverse();
        Ok(rows)
    }
}

/// JSON text of a list of strings.
fn list_text(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}
