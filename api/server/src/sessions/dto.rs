//! The session as the API shows it: its choices, per-stage progress and counts (counted from its items), cost so
//! far, the current pause and an ETA.

use crate::identity::dto::utc;
use crate::sessions::form::{SessionOptions, SessionPacing};
use chrono::{DateTime, NaiveDateTime, Utc};
use leadgen_core::ApiResult;
use leadgen_db::models::processing_session::{ProcessingSession, SessionLogEntry, STAGES};
use leadgen_db::models::session_item::{self, SessionItem, Tally};
use leadgen_db::DbConn;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Queued,
    Running,
    /// Asked to stop; stops at the next checkpoint.
    Cancelling,
    Cancelled,
    Done,
    Failed,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Crawl,
    Enrich,
    Contacts,
    Dedupe,
    Drafts,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    Pending,
    Running,
    Done,
    Skipped,
    Failed,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Pending,
    Done,
    Failed,
    Skipped,
}

#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct StageProgress {
    #[schema(value_type = Stage)]
    pub stage: String,
    #[schema(value_type = StageStatus)]
    pub status: String,
    /// Items finished (done or skipped).
    pub done: i64,
    pub total: i64,
    pub failed: i64,
}

#[derive(Debug, Serialize, ToSchema, PartialEq, Default)]
pub struct SessionCounts {
    /// Profiles found by the crawl (usernames to enrich).
    pub profiles_found: i64,
    pub leads_added: i64,
    /// Profiles already in the workspace, updated.
    pub leads_updated: i64,
    /// Leads that turned out to be in the workspace already (same username, or same e-mail as another lead).
    pub merged: i64,
    /// On the do-not-contact list: not added, or marked do-not-contact.
    pub dropped_dnc: i64,
    /// Left out by the filters.
    pub dropped_filter: i64,
    /// Leads whose contact search found an e-mail or phone.
    pub contacts_found: i64,
    pub drafts: i64,
    /// Items whose calls failed after every retry (retry them with `retry-failed`).
    pub failed: i64,
}

#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct SessionPause {
    pub until: DateTime<Utc>,
    /// The whole pause, in seconds.
    pub seconds: i64,
    /// Seconds still to wait.
    pub remaining_seconds: i64,
}

#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct RelatedHashtag {
    pub tag: String,
    /// Crawled posts that carried it.
    pub posts: i64,
}

#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct SessionDto {
    pub id: String,
    pub name: String,
    #[schema(value_type = SessionStatus)]
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub hashtags: Vec<String>,
    #[schema(value_type = Vec<Stage>)]
    pub stages: Vec<String>,
    pub product_id: Option<String>,
    pub product_name: Option<String>,
    pub options: SessionOptions,
    /// The leads of a drafts-only run.
    pub lead_count: Option<i64>,
    #[schema(value_type = Option<Stage>)]
    pub current_stage: Option<String>,
    pub stage_progress: Vec<StageProgress>,
    pub counts: SessionCounts,
    pub cost_usd: f64,
    /// The wait before the next batch ("waiting 47 s before the next batch").
    pub pause: Option<SessionPause>,
    pub eta_seconds: Option<i64>,
    /// Hashtags seen on crawled posts that were not crawled, most frequent first (with `discover_related`).
    pub related_hashtags: Vec<RelatedHashtag>,
    /// What the session did, in words, once it has ended.
    pub summary: Option<String>,
    pub last_error: Option<String>,
}

/// Rough seconds per item of a stage with the sandbox's or providers' usual speed (for the ETA).
fn seconds_per_item(stage: &str, pacing: &SessionPacing) -> f64 {
    match stage {
        "crawl" => 30.0,
        "enrich" => {
            let pause = (pacing.pause_min_seconds + pacing.pause_max_seconds) as f64 / 2.0;
            0.5 + pause / pacing.batch_size.max(1) as f64
        }
        "contacts" => 3.0,
        "dedupe" => 0.01,
        _ => 4.0,
    }
}

pub fn counts_of(t: &Tally) -> SessionCounts {
    SessionCounts {
        profiles_found: t.count("enrich", None, None),
        leads_added: t.count("enrich", None, Some("added")),
        leads_updated: t.count("enrich", None, Some("updated")),
        merged: t.count("dedupe", None, Some("merged")),
        dropped_dnc: t.count("enrich", None, Some("dropped_dnc"))
            + t.count("dedupe", None, Some("dropped_dnc")),
        dropped_filter: t.count("enrich", None, Some("dropped_filter"))
            + t.count("dedupe", None, Some("dropped_filter")),
        contacts_found: t.count("contacts", None, Some("found")),
        drafts: t.count("drafts", None, Some("drafted")),
        failed: t.with_status(session_item::FAILED),
    }
}

pub fn build(c: &mut DbConn, s: &ProcessingSession, now: NaiveDateTime) -> ApiResult<SessionDto> {
    let tally = SessionItem::tally(c, &s.id)?;
    let options = SessionOptions::from_json(&s.options_json());
    let stages = s.stage_list();
    let current = s.current_stage.clone();
    let current_idx = current
        .as_deref()
        .and_then(|cs| STAGES.iter().position(|x| *x == cs));
    let ended = !s.is_active();
    let mut eta = 0f64;
    let stage_progress: Vec<StageProgress> = stages
        .iter()
        .map(|st| {
            let total = tally.count(st, None, None);
            let failed = tally.count(st, Some(session_item::FAILED), None);
            let pending = tally.count(st, Some(session_item::PENDING), None);
            let done = total - failed - pending;
            let idx = STAGES.iter().position(|x| x == st);
            // Behind the current stage, or the session has ended: the stage has run as far as it got.
            let passed = ended || (current_idx.is_some() && idx < current_idx);
            let status = if current.as_deref() == Some(st.as_str()) && !ended {
                "running"
            } else if passed && total > 0 && pending == 0 {
                if failed > 0 && done == 0 {
                    "failed"
                } else {
                    "done"
                }
            } else if passed && total == 0 && (s.status == "done" || !ended) {
                "skipped"
            } else {
                "pending"
            };
            if !ended {
                eta += pending as f64 * seconds_per_item(st, &options.pacing);
            }
            StageProgress {
                stage: st.clone(),
                status: status.into(),
                done,
                total,
                failed,
            }
        })
        .collect();
    let pause = match (s.pause_until, s.pause_seconds) {
        (Some(until), Some(seconds)) if until > now && !ended => Some(SessionPause {
            until: utc(until),
            seconds,
            remaining_seconds: (until - now).num_seconds().max(0),
        }),
        _ => None,
    };
    let mut related: Vec<RelatedHashtag> = s
        .related()
        .into_iter()
        .map(|(tag, n)| RelatedHashtag {
            tag,
            posts: n.as_i64().unwrap_or(0),
        })
        .collect();
    related.sort_by(|a, b| b.posts.cmp(&a.posts).then(a.tag.cmp(&b.tag)));
    related.truncate(50);
    Ok(SessionDto {
        id: s.id.clone(),
        name: s.name.clone(),
        status: s.status.clone(),
        created_at: utc(s.created_at),
        started_at: s.started_at.map(utc),
        finished_at: s.finished_at.map(utc),
        hashtags: s.hashtag_list(),
        stages,
        product_id: s.product_id.clone(),
        product_name: s.product_name(c)?,
        options,
        lead_count: s.lead_id_list().map(|l| l.len() as i64),
        current_stage: current,
        stage_progress,
        counts: counts_of(&tally),
        cost_usd: s.cost_usd(),
        eta_seconds: (!ended)
            .then(|| eta as i64 + pause.as_ref().map(|p| p.remaining_seconds).unwrap_or(0)),
        pause,
        related_hashtags: related,
        summary: s.summary.clone(),
        last_error: s.last_error.clone(),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionPage {
    /// Newest first.
    pub items: Vec<SessionDto>,
    pub total: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionLogItem {
    pub at: DateTime<Utc>,
    #[schema(value_type = LogLevel)]
    pub level: String,
    #[schema(value_type = Option<Stage>)]
    pub stage: Option<String>,
    pub message: String,
}

impl From<SessionLogEntry> for SessionLogItem {
    fn from(e: SessionLogEntry) -> Self {
        SessionLogItem {
            at: utc(e.at),
            level: e.level,
            stage: e.stage,
            message: e.message,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionLog {
    /// Oldest first.
    pub items: Vec<SessionLogItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionItemDto {
    pub id: String,
    #[schema(value_type = Stage)]
    pub stage: String,
    /// The hashtag, username or lead id the item is about.
    pub key: String,
    #[schema(value_type = ItemStatus)]
    pub status: String,
    /// What became of it: added, updated, merged, dropped_dnc, dropped_filter, not_found, limit, found, drafted, …
    pub outcome: Option<String>,
    pub lead_id: Option<String>,
    pub error: Option<String>,
    pub attempts: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<SessionItem> for SessionItemDto {
    fn from(i: SessionItem) -> Self {
        SessionItemDto {
            id: i.id,
            stage: i.stage,
            key: i.key,
            status: i.status,
            outcome: i.outcome,
            lead_id: i.lead_id,
            error: i.error,
            attempts: i.attempts,
            updated_at: utc(i.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionItemPage {
    pub items: Vec<SessionItemDto>,
    pub total: i64,
}
