//! The stages of a processing session, each a function over the session's pending items of that stage. Every paid
//! call follows one pattern: look for its effect key in the ledger, make the call outside any transaction
//! (`ctx.block_on`), then record the result and the state it changes with `ctx.effect` — so a crash repeats at most
//! the one call in flight. A call that still fails after the client's retries marks its items failed; the session
//! goes on.

pub mod contacts;
pub mod crawl;
pub mod dedupe;
pub mod drafts;
pub mod enrich;

use crate::jobs::JobContext;
use crate::providers::ProviderAccess;
use crate::sessions::form::{Prices, SessionOptions};
use leadgen_core::ApiResult;
use leadgen_db::models::processing_session::{ProcessingSession, SessionLogEntry};
use leadgen_db::models::provider_setting::{NewProviderCall, ProviderCall};
use leadgen_db::DbConn;
use leadgen_providers::{ProviderError, ProviderErrorKind};
use std::time::{Duration, Instant};

/// Provider calls a stage (contacts, drafts) has in flight at once: it takes this many pending items, makes their
/// calls together (each still under the client's rate limit), saves each result under its own ledger key, then
/// checkpoints. A kill repeats at most this many calls (those in flight, whose results were not saved).
pub const CALLS_IN_FLIGHT: usize = 16;

/// What a stage asks of the runner.
#[derive(Debug)]
pub enum Step {
    /// The stage has nothing left to do: on to the next.
    Next,
    /// Come back after this pause (between batches).
    Pause(Duration),
    /// The session was asked to stop (cancel).
    Stop,
    /// The session cannot go on (no credentials, credits used up): it fails with this reason.
    Fail(String),
}

/// What every stage works with.
pub struct Run<'a> {
    pub ctx: &'a JobContext,
    pub access: &'a ProviderAccess,
    pub session: ProcessingSession,
    pub options: SessionOptions,
    pub prices: Prices,
}

impl Run<'_> {
    pub fn sid(&self) -> &str {
        &self.session.id
    }
    pub fn owner(&self) -> &str {
        &self.session.owner_id
    }

    /// Adds a line to the session's log.
    pub fn log(&self, c: &mut DbConn, level: &str, stage: &str, message: &str) -> ApiResult<()> {
        SessionLogEntry::add(c, self.sid(), level, Some(stage), message, self.ctx.now())
    }

    /// Stops at the job's checkpoint, or when the session was asked to stop (cancel seen in the database).
    pub fn checkpoint(&self, c: &mut DbConn) -> ApiResult<bool> {
        self.ctx.checkpoint()?;
        let s = ProcessingSession::get(c, self.sid())?;
        Ok(s.status == leadgen_db::models::processing_session::CANCELLING)
    }

    /// Records a provider call in the usage record (not inside the effect: the call happened either way), with
    /// its usage `(units, unit)` when it succeeded.
    pub fn record_call<T>(
        &self,
        c: &mut DbConn,
        provider: &str,
        operation: &str,
        started: Instant,
        res: &Result<T, ProviderError>,
        (units, unit): (i64, Option<&str>),
    ) -> ApiResult<()> {
        let status = match res {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.code().as_str().to_owned(),
        };
        ProviderCall::record(
            c,
            &NewProviderCall {
                provider,
                operation,
                user_id: Some(self.owner()),
                status: &status,
                duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
                units: if res.is_ok() { units } else { 0 },
                unit,
            },
        )
    }
}

/// A failure no retry of the session fixes: the credentials or the credit.
pub fn is_fatal(e: &ProviderError) -> bool {
    matches!(
        e.kind,
        ProviderErrorKind::Auth
            | ProviderErrorKind::TokenExpired
            | ProviderErrorKind::QuotaExceeded
    )
}

/// A provider failure in words for an item (no secrets: the clients' messages carry none).
pub fn describe(e: &ProviderError) -> String {
    let mut m = format!("{}: {}", e.code().as_str(), e.message);
    if let Some(s) = e.status {
        m.push_str(&format!(" (HTTP {s}"));
        if e.attempts > 1 {
            m.push_str(&format!(", {} attempts", e.attempts));
        }
        m.push(')');
    }
    m.chars().take(500).collect()
}
