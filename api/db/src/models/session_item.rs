//! The items of a processing session's stages: a hashtag to crawl, a username to enrich, a lead to search contacts
//! for, to deduplicate or to draft for. A stage that runs again skips its done items; failed ones wait for
//! "retry failed". `outcome` says what became of an item, and the session's counts are counted from it.

use crate::conn::DbConn;
use crate::schema::session_items;
use crate::sql::{lit, ts, MultiInsert};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::ApiResult;
use std::collections::HashMap;

pub const PENDING: &str = "pending";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";
pub const SKIPPED: &str = "skipped";
pub const STATUSES: &[&str] = &[PENDING, DONE, FAILED, SKIPPED];

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = session_items)]
pub struct SessionItem {
    pub id: String,
    pub session_id: String,
    pub stage: String,
    pub key: String,
    pub seq: i64,
    pub status: String,
    pub attempts: i32,
    pub error: Option<String>,
    pub outcome: Option<String>,
    pub lead_id: Option<String>,
    pub result: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Items per (stage, status, outcome).
#[derive(Debug, Clone, Default)]
pub struct Tally(pub HashMap<(String, String, Option<String>), i64>);

impl Tally {
    /// Items of a stage (any status when `status` is `None`, any outcome when `outcome` is `None`).
    pub fn count(&self, stage: &str, status: Option<&str>, outcome: Option<&str>) -> i64 {
        self.0
            .iter()
            .filter(|((s, st, o), _)| {
                s == stage
                    && status.is_none_or(|x| x == st)
                    && outcome.is_none_or(|x| o.as_deref() == Some(x))
            })
            .map(|(_, n)| *n)
            .sum()
    }
    /// Items of any stage with this status.
    pub fn with_status(&self, status: &str) -> i64 {
        self.0
            .iter()
            .filter(|((_, st, _), _)| st == status)
            .map(|(_, n)| *n)
            .sum()
    }
}

/// What to change on an item.
pub struct ItemUpdate<'a> {
    pub status: &'a str,
    pub outcome: Option<&'a str>,
    pub error: Option<&'a str>,
    pub lead_id: Option<&'a str>,
    pub result: Option<String>,
    /// Counts as one more attempt.
    pub attempted: bool,
}

impl<'a> ItemUpdate<'a> {
    pub fn done(outcome: &'a str) -> Self {
        ItemUpdate {
            status: DONE,
            outcome: Some(outcome),
            error: None,
            lead_id: None,
            result: None,
            attempted: true,
        }
    }
    pub fn skipped(outcome: &'a str, why: &'a str) -> Self {
        ItemUpdate {
            status: SKIPPED,
            outcome: Some(outcome),
            error: Some(why),
            lead_id: None,
            result: None,
            attempted: false,
        }
    }
    pub fn failed(error: &'a str) -> Self {
        ItemUpdate {
            status: FAILED,
            outcome: None,
            error: Some(error),
            lead_id: None,
            result: None,
            attempted: true,
        }
    }
    pub fn lead(mut self, lead_id: &'a str) -> Self {
        self.lead_id = Some(lead_id);
        self
    }
    pub fn result(mut self, result: serde_json::Value) -> Self {
        self.result = Some(result.to_string());
        self
    }
}

impl SessionItem {
    /// Adds pending items `(key, lead_id)` to a stage; keys it already has are left as they are.
    pub fn ensure(
        conn: &mut DbConn,
        session_id: &str,
        stage: &str,
        items: &[(String, Option<String>)],
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let start = SessionItem::max_seq(conn, session_id)? + 1;
        let (sid, st, at) = (lit(session_id), lit(stage), ts(now));
        let mut out = MultiInsert::new(
            "session_items",
            "id, session_id, stage, key, seq, status, attempts, lead_id, created_at, updated_at",
            200,
        )
        .ignore_duplicates();
        for (i, (key, lead)) in items.iter().enumerate() {
            let seq = (start + i as i64).to_string();
            let lead = crate::sql::opt(lead.as_deref());
            out.row(
                conn,
                &[
                    &lit(&crate::new_seq_id()),
                    &sid,
                    &st,
                    &lit(key),
                    &seq,
                    "'pending'",
                    "0",
                    &lead,
                    &at,
                    &at,
                ],
            )?;
        }
        out.flush(conn)
    }

    fn max_seq(conn: &mut DbConn, session_id: &str) -> ApiResult<i64> {
        use diesel::dsl::max;
        Ok(session_items::table
            .filter(session_items::session_id.eq(session_id))
            .select(max(session_items::seq))
            .first::<Option<i64>>(conn)?
            .unwrap_or(0))
    }

    /// The next `limit` pending items of a stage, in the order they were found.
    pub fn pending(
        conn: &mut DbConn,
        session_id: &str,
        stage: &str,
        limit: i64,
    ) -> ApiResult<Vec<SessionItem>> {
        Ok(session_items::table
            .filter(session_items::session_id.eq(session_id))
            .filter(session_items::stage.eq(stage))
            .filter(session_items::status.eq(PENDING))
            .order(session_items::seq.asc())
            .limit(limit)
            .select(SessionItem::as_select())
            .load(conn)?)
    }

    /// How many items of a stage have this outcome.
    pub fn count_outcome(
        conn: &mut DbConn,
        session_id: &str,
        stage: &str,
        outcome: &str,
    ) -> ApiResult<i64> {
        Ok(session_items::table
            .filter(session_items::session_id.eq(session_id))
            .filter(session_items::stage.eq(stage))
            .filter(session_items::outcome.eq(outcome))
            .count()
            .get_result(conn)?)
    }

    /// Items of a stage with one of these outcomes (all statuses), in order.
    pub fn with_outcomes(
        conn: &mut DbConn,
        session_id: &str,
        stage: &str,
        outcomes: &[&str],
    ) -> ApiResult<Vec<SessionItem>> {
        Ok(session_items::table
            .filter(session_items::session_id.eq(session_id))
            .filter(session_items::stage.eq(stage))
            .filter(session_items::outcome.eq_any(outcomes))
            .order(session_items::seq.asc())
            .select(SessionItem::as_select())
            .load(conn)?)
    }

    pub fn find_key(
        conn: &mut DbConn,
        session_id: &str,
        stage: &str,
        key: &str,
    ) -> ApiResult<Option<SessionItem>> {
        Ok(session_items::table
            .filter(session_items::session_id.eq(session_id))
            .filter(session_items::stage.eq(stage))
            .filter(session_items::key.eq(key))
            .select(SessionItem::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn update(
        conn: &mut DbConn,
        id: &str,
        u: &ItemUpdate<'_>,
        now: NaiveDateTime,
    ) -> ApiResult<()> {
        let error: Option<String> = u.error.map(|e| e.chars().take(1000).collect());
        diesel::update(session_items::table.find(id))
            .set((
                session_items::status.eq(u.status),
                session_items::outcome.eq(u.outcome),
                session_items::error.eq(error),
                session_items::attempts.eq(session_items::attempts + i32::from(u.attempted)),
                session_items::updated_at.eq(now),
            ))
            .execute(conn)?;
        if let Some(lead) = u.lead_id {
            diesel::update(session_items::table.find(id))
                .set(session_items::lead_id.eq(lead))
                .execute(conn)?;
        }
        if let Some(r) = &u.result {
            diesel::update(session_items::table.find(id))
                .set(session_items::result.eq(r))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Every pending item of a stage becomes skipped (e.g. the maximum of new leads was reached).
    pub fn skip_pending(
        conn: &mut DbConn,
        session_id: &str,
        stage: &str,
        outcome: &str,
        why: &str,
        now: NaiveDateTime,
    ) -> ApiResult<usize> {
        Ok(diesel::update(
            session_items::table
                .filter(session_items::session_id.eq(session_id))
                .filter(session_items::stage.eq(stage))
                .filter(session_items::status.eq(PENDING)),
        )
        .set((
            session_items::status.eq(SKIPPED),
            session_items::outcome.eq(outcome),
            session_items::error.eq(why),
            session_items::updated_at.eq(now),
        ))
        .execute(conn)?)
    }

    /// Failed items go back to pending ("retry failed"); how many.
    pub fn reset_failed(
        conn: &mut DbConn,
        session_id: &str,
        now: NaiveDateTime,
    ) -> ApiResult<usize> {
        Ok(diesel::update(
            session_items::table
                .filter(session_items::session_id.eq(session_id))
                .filter(session_items::status.eq(FAILED)),
        )
        .set((
            session_items::status.eq(PENDING),
            session_items::updated_at.eq(now),
        ))
        .execute(conn)?)
    }

    /// PostgreSQL: refreshes the planner's statistics of the tables a session grows quickly (its items, the leads,
    /// the hashtag pairs); without it, tables that grew from empty in seconds are read by full scans. Nothing on
    /// SQLite.
    pub fn refresh_statistics(conn: &mut DbConn) -> ApiResult<()> {
        use diesel::connection::SimpleConnection;
        if let DbConn::Postgresql(c) = conn {
            c.batch_execute("ANALYZE session_items, leads, hashtag_pairs, lead_edits")?;
        }
        Ok(())
    }

    /// Items per (stage, status, outcome).
    pub fn tally(conn: &mut DbConn, session_id: &str) -> ApiResult<Tally> {
        use diesel::dsl::count_star;
        let rows: Vec<(String, String, Option<String>, i64)> = session_items::table
            .filter(session_items::session_id.eq(session_id))
            .group_by((
                session_items::stage,
                session_items::status,
                session_items::outcome,
            ))
            .select((
                session_items::stage,
                session_items::status,
                session_items::outcome,
                count_star(),
            ))
            .load(conn)?;
        Ok(Tally(
            rows.into_iter()
                .map(|(s, st, o, n)| ((s, st, o), n))
                .collect(),
        ))
    }

    /// The most common errors of failed items: `(error, how many)`, most first.
    pub fn failure_reasons(
        conn: &mut DbConn,
        session_id: &str,
    ) -> ApiResult<Vec<(String, String, i64)>> {
        use diesel::dsl::count_star;
        let rows: Vec<(String, Option<String>, i64)> = session_items::table
            .filter(session_items::session_id.eq(session_id))
            .filter(session_items::status.eq(FAILED))
            .group_by((session_items::stage, session_items::error))
            .select((session_items::stage, session_items::error, count_star()))
            .load(conn)?;
        let mut out: Vec<(String, String, i64)> = rows
            .into_iter()
            .map(|(s, e, n)| (s, e.unwrap_or_default(), n))
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.2));
        Ok(out)
    }

    /// A page of items (filters optional), in order, and how many match.
    pub fn list(
        conn: &mut DbConn,
        session_id: &str,
        status: Option<&str>,
        stage: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> ApiResult<(Vec<SessionItem>, i64)> {
        let filtered = || {
            let mut q = session_items::table
                .filter(session_items::session_id.eq(session_id))
                .into_boxed();
            if let Some(s) = status {
                q = q.filter(session_items::status.eq(s.to_owned()));
            }
            if let Some(s) = stage {
                q = q.filter(session_items::stage.eq(s.to_owned()));
            }
            q
        };
        let total = filtered().count().get_result(conn)?;
        let items = filtered()
            .order(session_items::seq.asc())
            .limit(limit)
            .offset(offset)
            .select(SessionItem::as_select())
            .load(conn)?;
        Ok((items, total))
    }
}
