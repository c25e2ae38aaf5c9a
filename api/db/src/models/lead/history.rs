//! The edit history of leads (`lead_edits`): one entry per change, grouped in batches that undo reverts.

use super::Lead;
use crate::conn::DbConn;
use crate::models::lead_span::LeadSpan;
use crate::schema::lead_edits;
use crate::{new_seq_id, now};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::ApiResult;
use serde::Serialize;
use serde_json::Value;

#[derive(Queryable, Selectable, Clone, Debug, Serialize)]
#[diesel(table_name = lead_edits)]
pub struct LeadEdit {
    pub id: String,
    pub lead_id: String,
    pub owner_id: String,
    pub actor_id: Option<String>,
    pub batch_id: String,
    pub kind: String,
    pub changes: String,
    pub at: NaiveDateTime,
    pub undone_at: Option<NaiveDateTime>,
}

/// One history entry as written in bulk.
#[derive(Insertable)]
#[diesel(table_name = lead_edits, treat_none_as_default_value = false)]
pub struct NewEditRow<'a> {
    pub id: &'a str,
    pub lead_id: &'a str,
    pub owner_id: &'a str,
    pub actor_id: Option<&'a str>,
    pub batch_id: &'a str,
    pub kind: &'a str,
    pub changes: &'a str,
    pub at: NaiveDateTime,
}

impl LeadEdit {
    pub fn record(
        conn: &mut DbConn,
        lead: &Lead,
        actor_id: Option<&str>,
        batch_id: &str,
        kind: &str,
        changes: Value,
    ) -> ApiResult<()> {
        diesel::insert_into(lead_edits::table)
            .values((
                lead_edits::id.eq(new_seq_id()),
                lead_edits::lead_id.eq(&lead.id),
                lead_edits::owner_id.eq(&lead.owner_id),
                lead_edits::actor_id.eq(actor_id),
                lead_edits::batch_id.eq(batch_id),
                lead_edits::kind.eq(kind),
                lead_edits::changes.eq(changes.to_string()),
                lead_edits::at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The lead's last 200 history entries, newest first (an import's entry comes from its span).
    pub fn history(conn: &mut DbConn, lead: &Lead) -> ApiResult<Vec<LeadEdit>> {
        let mut edits: Vec<LeadEdit> = lead_edits::table
            .filter(lead_edits::lead_id.eq(&lead.id))
            .order((lead_edits::at.desc(), lead_edits::id.desc()))
            .limit(200)
            .select(LeadEdit::as_select())
            .load(conn)?;
        if let Some(created) = LeadSpan::entry_for(conn, &lead.id, lead.owner_key, lead.seq)? {
            edits.push(created);
            edits.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
            edits.truncate(200);
        }
        Ok(edits)
    }
}

impl LeadEdit {
    /// Many history rows at once (`bulk_insert!`: 500-row statements on SQLite, one COPY on PostgreSQL).
    pub fn record_many(
        conn: &mut DbConn,
        owner_id: &str,
        actor_id: Option<&str>,
        batch_id: &str,
        kind: &str,
        edits: &[(String, Value)],
    ) -> ApiResult<()> {
        let at = now();
        let ids: Vec<(String, String)> = edits
            .iter()
            .map(|(_, changes)| (new_seq_id(), changes.to_string()))
            .collect();
        let rows: Vec<NewEditRow> = edits
            .iter()
            .zip(&ids)
            .map(|((lead_id, _), (id, changes))| NewEditRow {
                id,
                lead_id,
                owner_id,
                actor_id,
                batch_id,
                kind,
                changes,
                at,
            })
            .collect();
        crate::bulk_insert!(conn, lead_edits::table, &rows)
    }
}
