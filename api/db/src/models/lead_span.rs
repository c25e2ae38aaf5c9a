//! History of leads created in bulk (imports): one row per run of consecutive lead numbers (`leads.seq`) of one
//! owner instead of one history row per lead. Undo and redo treat a span like the per-lead "create" rows it
//! stands for (undo hides the leads, redo shows them again), and a lead's history shows the span it falls in.

use crate::conn::DbConn;
use crate::models::lead::LeadEdit;
use crate::schema::{lead_spans, leads};
use crate::{new_seq_id, now};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::ApiResult;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = lead_spans)]
pub struct LeadSpan {
    pub id: String,
    pub owner_id: String,
    pub owner_key: i64,
    pub actor_id: Option<String>,
    pub batch_id: String,
    pub kind: String,
    pub first_seq: i64,
    pub last_seq: i64,
    pub at: NaiveDateTime,
    pub undone_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = lead_spans, treat_none_as_default_value = false)]
struct NewSpan<'a> {
    id: String,
    owner_id: &'a str,
    owner_key: i64,
    actor_id: Option<&'a str>,
    batch_id: &'a str,
    kind: &'a str,
    first_seq: i64,
    last_seq: i64,
    at: NaiveDateTime,
}

/// Consecutive runs in ascending numbers: `[1, 2, 3, 7, 8]` → `[(1, 3), (7, 8)]`.
pub fn runs(sorted: &[i64]) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = vec![];
    for &n in sorted {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == n => *last = n,
            _ => out.push((n, n)),
        }
    }
    out
}

impl LeadSpan {
    /// Records that `batch_id` created the owner's leads numbered `seqs` (ascending). Call in the batch's
    /// transaction.
    pub fn record(
        conn: &mut DbConn,
        owner_id: &str,
        owner_key: i64,
        actor_id: Option<&str>,
        batch_id: &str,
        seqs: &[i64],
    ) -> ApiResult<()> {
        let at = now();
        // Usually one run per batch: a row each is enough.
        for (first_seq, last_seq) in runs(seqs) {
            diesel::insert_into(lead_spans::table)
                .values(NewSpan {
                    id: new_seq_id(),
                    owner_id,
                    owner_key,
                    actor_id,
                    batch_id,
                    kind: "create",
                    first_seq,
                    last_seq,
                    at,
                })
                .execute(conn)?;
        }
        Ok(())
    }

    /// The span a lead was created in, as the history entry it stands for.
    pub fn entry_for(
        conn: &mut DbConn,
        lead_id: &str,
        owner_key: i64,
        seq: i64,
    ) -> ApiResult<Option<LeadEdit>> {
        let span = lead_spans::table
            .filter(lead_spans::owner_key.eq(owner_key))
            .filter(lead_spans::first_seq.le(seq))
            .filter(lead_spans::last_seq.ge(seq))
            .select(LeadSpan::as_select())
            .first(conn)
            .optional()?;
        Ok(span.map(|s| LeadEdit {
            id: s.id,
            lead_id: lead_id.to_owned(),
            owner_id: s.owner_id,
            actor_id: s.actor_id,
            batch_id: s.batch_id,
            kind: s.kind,
            changes: "{}".into(),
            at: s.at,
            undone_at: s.undone_at,
        }))
    }

    /// The owner's newest span still in effect: `(at, id, batch)`.
    pub fn latest_live(
        conn: &mut DbConn,
        owner_id: &str,
    ) -> ApiResult<Option<(NaiveDateTime, String, String)>> {
        Ok(lead_spans::table
            .filter(lead_spans::owner_id.eq(owner_id))
            .filter(lead_spans::undone_at.is_null())
            .order((lead_spans::at.desc(), lead_spans::id.desc()))
            .select((lead_spans::at, lead_spans::id, lead_spans::batch_id))
            .first(conn)
            .optional()?)
    }

    /// The owner's most recently undone span: `(undone_at, batch)`.
    pub fn latest_undone(
        conn: &mut DbConn,
        owner_id: &str,
    ) -> ApiResult<Option<(NaiveDateTime, String)>> {
        Ok(lead_spans::table
            .filter(lead_spans::owner_id.eq(owner_id))
            .filter(lead_spans::undone_at.is_not_null())
            .order(lead_spans::undone_at.desc())
            .select((
                lead_spans::undone_at.assume_not_null(),
                lead_spans::batch_id,
            ))
            .first(conn)
            .optional()?)
    }

    /// Hides (undo) or shows again (redo) the leads of the batch's spans and marks the spans; the number of
    /// leads changed.
    pub fn replay(
        conn: &mut DbConn,
        owner_id: &str,
        batch_id: &str,
        backwards: bool,
    ) -> ApiResult<usize> {
        let spans = lead_spans::table
            .filter(lead_spans::owner_id.eq(owner_id))
            .filter(lead_spans::batch_id.eq(batch_id))
            .into_boxed();
        let spans: Vec<LeadSpan> = if backwards {
            spans.filter(lead_spans::undone_at.is_null())
        } else {
            spans.filter(lead_spans::undone_at.is_not_null())
        }
        .select(LeadSpan::as_select())
        .load(conn)?;
        let t = now();
        let mut affected = 0;
        for s in &spans {
            let range = leads::table
                .filter(leads::owner_key.eq(s.owner_key))
                .filter(leads::seq.between(s.first_seq, s.last_seq));
            affected += if backwards {
                diesel::update(range.filter(leads::deleted_at.is_null()))
                    .set((
                        leads::deleted_at.eq(Some(t)),
                        leads::version.eq(leads::version + 1),
                        leads::updated_at.eq(t),
                    ))
                    .execute(conn)?
            } else {
                diesel::update(range.filter(leads::deleted_at.is_not_null()))
                    .set((
                        leads::deleted_at.eq(None::<NaiveDateTime>),
                        leads::version.eq(leads::version + 1),
                        leads::updated_at.eq(t),
                    ))
                    .execute(conn)?
            };
            diesel::update(lead_spans::table.find(&s.id))
                .set(lead_spans::undone_at.eq(if backwards { Some(t) } else { None }))
                .execute(conn)?;
        }
        Ok(affected)
    }
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn runs_of_consecutive_numbers() {
        assert_eq!(runs(&[]), vec![]);
        assert_eq!(runs(&[5]), vec![(5, 5)]);
        assert_eq!(runs(&[1, 2, 3, 7, 8, 10]), vec![(1, 3), (7, 8), (10, 10)]);
    }
}
