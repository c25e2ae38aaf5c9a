//! The session's job (`sessions.run`): runs the stages in order over their pending items. Safe to repeat: done
//! items are skipped and every paid call is in the effects ledger. A pause between batches is a snooze of the job
//! (`pause_until` on the session); a cancel ends the session `cancelled` at the next checkpoint, keeping what was
//! saved; a crash or restart continues from the last committed item.

use crate::jobs::{JobContext, JobHandler, Outcome};
use crate::providers::{ProviderAccess, POSTS_PRICE, PRICE_PER_CALL, PROFILES_PRICE, RUN_PRICE};
use crate::sessions::dto::counts_of;
use crate::sessions::form::{Prices, SessionOptions};
use crate::sessions::stages::{self, Run, Step};
use leadgen_core::ApiResult;
use leadgen_db::models::processing_session::{
    ProcessingSession, SessionLogEntry, CANCELLED, CANCELLING, DONE, FAILED, QUEUED, RUNNING,
    STAGES,
};
use leadgen_db::models::session_item::SessionItem;
use leadgen_db::{write_tx, DbConn};
use serde::Deserialize;

pub struct SessionRunner {
    pub access: ProviderAccess,
}

#[derive(Deserialize)]
struct Args {
    session_id: String,
}

/// The unit prices from the settings.
pub fn prices(access: &ProviderAccess, c: &mut DbConn) -> ApiResult<Prices> {
    Ok(Prices {
        apify_run: access.price(c, "apify", RUN_PRICE)?,
        apify_posts_per_1000: access.price(c, "apify", POSTS_PRICE)?,
        apify_profiles_per_1000: access.price(c, "apify", PROFILES_PRICE)?,
        perplexity_call: access.price(c, "perplexity", PRICE_PER_CALL)?,
        openai_call: access.price(c, "openai", PRICE_PER_CALL)?,
    })
}

/// What the session did, in words.
pub fn summary(c: &mut DbConn, s: &ProcessingSession, ending: &str) -> ApiResult<String> {
    let t = SessionItem::tally(c, &s.id)?;
    let n = counts_of(&t);
    use leadgen_core::text::count;
    let mut out = format!(
        "{ending}: {} found, {} added, {} updated, {} merged, {} (do-not-contact), {} by filters, {} found, {}.",
        count(n.profiles_found, "profile", "profiles"),
        count(n.leads_added, "lead", "leads"),
        n.leads_updated,
        n.merged,
        count(n.dropped_dnc, "dropped", "dropped"),
        count(n.dropped_filter, "left out", "left out"),
        count(n.contacts_found, "contact", "contacts"),
        count(n.drafts, "draft", "drafts")
    );
    if n.failed > 0 {
        let reasons = SessionItem::failure_reasons(c, &s.id)?;
        let why: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|(stage, e, k)| format!("{k} in {stage}: {e}"))
            .collect();
        out.push_str(&format!(
            " {} failed ({}); retry them with \"Retry failed\".",
            count(n.failed, "item", "items"),
            why.join("; ")
        ));
    }
    out.push_str(&format!(" Cost ${:.2}.", s.cost_usd()));
    Ok(out)
}

/// Ends an active session with its summary (and a log line), in its own transaction.
pub fn end_at(
    now: chrono::NaiveDateTime,
    c: &mut DbConn,
    id: &str,
    status: &str,
    error: Option<&str>,
) -> ApiResult<()> {
    write_tx(c, |c| end_in(now, c, id, status, error))
}

/// [`end_at`] inside the caller's transaction; nothing when the session has ended already.
pub fn end_in(
    now: chrono::NaiveDateTime,
    c: &mut DbConn,
    id: &str,
    status: &str,
    error: Option<&str>,
) -> ApiResult<()> {
    let s = ProcessingSession::get(c, id)?;
    let ending = match status {
        DONE => "Done",
        CANCELLED => "Cancelled (everything found so far is kept)",
        _ => "Failed",
    };
    let mut text = summary(c, &s, ending)?;
    if let Some(e) = error {
        text = format!("{text} Stopped because: {e}");
    }
    if ProcessingSession::finish(c, id, status, &text, error, now)? {
        let level = if status == FAILED { "error" } else { "info" };
        SessionLogEntry::add(c, id, level, None, &text, now)?;
    }
    Ok(())
}

fn end(
    ctx: &JobContext,
    c: &mut DbConn,
    id: &str,
    status: &str,
    error: Option<&str>,
) -> ApiResult<()> {
    end_at(ctx.now(), c, id, status, error)
}

impl SessionRunner {
    fn run_session(&self, ctx: &JobContext, id: &str) -> ApiResult<Outcome> {
        let mut conn = ctx.conn()?;
        let c = &mut *conn;
        let Some(s) = ProcessingSession::find(c, id)? else {
            return Ok(Outcome::Discard("the session is gone".into()));
        };
        match s.status.as_str() {
            CANCELLING => {
                end(ctx, c, id, CANCELLED, None)?;
                return Ok(Outcome::Done);
            }
            QUEUED => {
                let now = ctx.now();
                write_tx(c, |c| {
                    ProcessingSession::start(c, id, now)?;
                    SessionLogEntry::add(c, id, "info", None, "Session started", now)
                })?;
            }
            RUNNING => {}
            _ => return Ok(Outcome::Done),
        }
        let now = ctx.now();
        if let Some(until) = s.pause_until {
            if until > now {
                let wait = (until - now).to_std().unwrap_or_default();
                return Ok(Outcome::Snooze(wait));
            }
            write_tx(c, |c| ProcessingSession::set_pause(c, id, None, None, now))?;
        }
        let prices = prices(&self.access, c)?;
        let mut current = s.current_stage.clone();
        // Hashtags added while the session ran (related hashtags) give earlier stages new items: go round again.
        for _round in 0..3 {
            for stage in STAGES {
                let s = ProcessingSession::get(c, id)?;
                if !s.has_stage(stage) {
                    continue;
                }
                if s.status == CANCELLING {
                    end(ctx, c, id, CANCELLED, None)?;
                    return Ok(Outcome::Done);
                }
                if current.as_deref() != Some(*stage) {
                    let forward = current
                        .as_deref()
                        .and_then(|cs| STAGES.iter().position(|x| *x == cs))
                        .is_none_or(|i| STAGES.iter().position(|x| x == stage) > Some(i));
                    let now = ctx.now();
                    write_tx(c, |c| {
                        ProcessingSession::set_stage(c, id, Some(stage), now)?;
                        if forward {
                            SessionLogEntry::add(
                                c,
                                id,
                                "info",
                                Some(stage),
                                &format!("Stage {stage} started"),
                                now,
                            )?;
                        }
                        Ok(())
                    })?;
                    current = Some(stage.to_string());
                }
                let r = Run {
                    ctx,
                    access: &self.access,
                    options: SessionOptions::from_json(&s.options_json()),
                    session: s,
                    prices,
                };
                let step = match *stage {
                    "crawl" => stages::crawl::run(&r, c)?,
                    "enrich" => stages::enrich::run(&r, c)?,
                    "contacts" => stages::contacts::run(&r, c)?,
                    "dedupe" => stages::dedupe::run(&r, c)?,
                    _ => stages::drafts::run(&r, c)?,
                };
                match step {
                    Step::Next => {}
                    Step::Pause(d) => {
                        // A cancel that came while the batch ran ends the session now, not after the pause.
                        if ProcessingSession::get(c, id)?.status == CANCELLING {
                            end(ctx, c, id, CANCELLED, None)?;
                            return Ok(Outcome::Done);
                        }
                        return Ok(Outcome::Snooze(d));
                    }
                    Step::Stop => {
                        end(ctx, c, id, CANCELLED, None)?;
                        return Ok(Outcome::Done);
                    }
                    Step::Fail(why) => {
                        end(ctx, c, id, FAILED, Some(&why))?;
                        return Ok(Outcome::Done);
                    }
                }
            }
            if SessionItem::tally(c, id)?.with_status(leadgen_db::models::session_item::PENDING)
                == 0
            {
                break;
            }
        }
        let s = ProcessingSession::get(c, id)?;
        let status = if s.status == CANCELLING {
            CANCELLED
        } else {
            DONE
        };
        end(ctx, c, id, status, None)?;
        Ok(Outcome::Done)
    }
}

impl JobHandler for SessionRunner {
    fn run(&self, ctx: &JobContext) -> ApiResult<Outcome> {
        let a: Args = ctx.args()?;
        match self.run_session(ctx, &a.session_id) {
            Ok(o) => Ok(o),
            Err(e) => {
                let stop = e
                    .details
                    .as_ref()
                    .and_then(|d| d.get("job_stop"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                match stop.as_deref() {
                    // Cancelled through the job (admin or the session's cancel): the session ends cancelled.
                    Some("Cancelled") => {
                        let mut c = ctx.conn()?;
                        end(ctx, &mut c, &a.session_id, CANCELLED, None)?;
                    }
                    // Shutting down or lease lost: the next run continues.
                    Some(_) => {}
                    None => {
                        let mut c = ctx.conn()?;
                        let last = ctx.job.attempt >= ctx.job.max_attempts;
                        let msg = format!("{}: {}", e.code.as_str(), e.message);
                        tracing::warn!(session = %a.session_id, error = ?e, last, "session run failed");
                        if last {
                            end(ctx, &mut c, &a.session_id, FAILED, Some(&msg))?;
                        } else {
                            SessionLogEntry::add(
                                &mut c,
                                &a.session_id,
                                "warn",
                                None,
                                &format!("The run stopped ({msg}); it is tried again shortly."),
                                ctx.now(),
                            )?;
                        }
                    }
                }
                Err(e)
            }
        }
    }
}
