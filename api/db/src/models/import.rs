//! CSV imports: the upload's bookkeeping (progress, counts, bad rows), and writing one batch of validated rows
//! with the chosen duplicate handling. Each batch commits together with its progress, so an interrupted import
//! resumes after the last committed row and never applies a row twice.

use crate::conn::DbConn;
use crate::models::dnc::{self, DoNotContact};
use crate::models::lead::{Lead, LeadPatch, NewLeadRow};
use crate::models::lead_span::LeadSpan;
use crate::schema::{import_chunks, imports, leads};
use crate::{new_seq_id, now};
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = imports)]
pub struct Import {
    pub id: String,
    pub owner_id: String,
    pub filename: String,
    pub status: String,
    pub size_bytes: i64,
    pub total_rows: i64,
    pub processed: i64,
    pub inserted: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
    pub options: Option<String>,
    pub errors: String,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    /// When the uploaded file was removed; until then it counts against the owner's upload quota.
    pub file_removed_at: Option<NaiveDateTime>,
    /// The rows skipped and why (JSON list of `RowError`, up to `MAX_REPORTED_ERRORS`).
    pub skips: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dedupe {
    /// Keep the existing lead, ignore the row.
    Skip,
    /// Fill the existing lead with the row's non-empty values.
    Update,
    /// Add the row as another lead (only with key `email`; usernames stay unique).
    KeepBoth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DedupeKey {
    Username,
    Email,
}

/// A row that could not be imported.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowError {
    /// 1-based data row (the header is row 0).
    pub row: i64,
    pub field: Option<String>,
    pub message: String,
}

pub const RUNNING: &str = "running";
pub const CANCELLED: &str = "cancelled";
/// States an import can be cancelled from (it has not ended).
pub const CANCELLABLE: [&str; 3] = ["uploaded", RUNNING, "interrupted"];

/// Bad rows kept in the report (the count goes on beyond it).
pub const MAX_REPORTED_ERRORS: usize = 1000;

#[derive(Debug, Default, Clone)]
pub struct BatchOutcome {
    pub inserted: i64,
    pub updated: i64,
    pub skipped: i64,
    pub errors: Vec<RowError>,
    /// The skipped rows and why.
    pub skips: Vec<RowError>,
}

impl Import {
    pub fn create(
        conn: &mut DbConn,
        id: &str,
        owner_id: &str,
        filename: &str,
        size: i64,
        total_rows: i64,
    ) -> ApiResult<Import> {
        diesel::insert_into(imports::table)
            .values((
                imports::id.eq(id),
                imports::owner_id.eq(owner_id),
                imports::filename.eq(filename),
                imports::status.eq("uploaded"),
                imports::size_bytes.eq(size),
                imports::total_rows.eq(total_rows),
                imports::created_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(imports::table
            .find(id)
            .select(Import::as_select())
            .first(conn)?)
    }

    pub fn find_owned(conn: &mut DbConn, owner_id: &str, id: &str) -> ApiResult<Option<Import>> {
        Ok(imports::table
            .find(id)
            .filter(imports::owner_id.eq(owner_id))
            .select(Import::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn get(conn: &mut DbConn, id: &str) -> ApiResult<Import> {
        Ok(imports::table
            .find(id)
            .select(Import::as_select())
            .first(conn)?)
    }

    /// Claims the import for running (from uploaded or interrupted); false when it already runs or ended.
    pub fn start(conn: &mut DbConn, id: &str, options: &Value) -> ApiResult<bool> {
        let n = diesel::update(
            imports::table
                .find(id)
                .filter(imports::status.eq_any(["uploaded", "interrupted"])),
        )
        .set((
            imports::status.eq("running"),
            imports::options.eq(options.to_string()),
            imports::started_at.eq(now()),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Records written parts of the file: the rows each covers (`(first, last)`, inclusive; bad rows included)
    /// and what became of them. Call inside the transaction that wrote them.
    /// `failed_rows` counts rows; `out.errors` may name several cells of one row.
    pub fn advance(
        conn: &mut DbConn,
        id: &str,
        ranges: &[(i64, i64)],
        out: &BatchOutcome,
        failed_rows: i64,
    ) -> ApiResult<()> {
        for &(first_row, last_row) in ranges {
            diesel::insert_into(import_chunks::table)
                .values((
                    import_chunks::import_id.eq(id),
                    import_chunks::first_row.eq(first_row),
                    import_chunks::last_row.eq(last_row),
                ))
                .execute(conn)?;
        }
        // Counters as increments, first: on PostgreSQL two writers advance the same import, and this update
        // holds the row until commit, so the report below is read after the other writer's is in.
        // Only while the import runs: a cancelled import's part in flight is refused, and its transaction (with
        // the part's leads) rolls back.
        let rows: i64 = ranges.iter().map(|(first, last)| last - first + 1).sum();
        let n = diesel::update(imports::table.find(id).filter(imports::status.eq(RUNNING)))
            .set((
                imports::processed.eq(imports::processed + rows),
                imports::inserted.eq(imports::inserted + out.inserted),
                imports::updated.eq(imports::updated + out.updated),
                imports::skipped.eq(imports::skipped + out.skipped),
                imports::failed.eq(imports::failed + failed_rows),
            ))
            .execute(conn)?;
        if n == 0 {
            return Err(ApiError::msg(
                ErrorCode::Conflict,
                "The import is not running any more (it was cancelled).",
            ));
        }
        if out.errors.is_empty() && out.skips.is_empty() {
            return Ok(());
        }
        let current = Import::get(conn, id)?;
        // Appends to a report list, up to MAX_REPORTED_ERRORS; None when it is unchanged.
        let extend = |stored: &str, more: &[RowError]| -> Option<String> {
            let mut list: Vec<RowError> = serde_json::from_str(stored).unwrap_or_default();
            if more.is_empty() || list.len() >= MAX_REPORTED_ERRORS {
                return None;
            }
            list.extend(more.iter().take(MAX_REPORTED_ERRORS - list.len()).cloned());
            list.sort_by_key(|e| e.row);
            Some(serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()))
        };
        if let Some(errors) = extend(&current.errors, &out.errors) {
            diesel::update(imports::table.find(id))
                .set(imports::errors.eq(errors))
                .execute(conn)?;
        }
        if let Some(skips) = extend(&current.skips, &out.skips) {
            diesel::update(imports::table.find(id))
                .set(imports::skips.eq(skips))
                .execute(conn)?;
        }
        Ok(())
    }

    /// The file rows already written (ascending ranges, inclusive), to be skipped when the import runs again.
    pub fn written_rows(conn: &mut DbConn, import: &Import) -> ApiResult<Vec<(i64, i64)>> {
        let ranges: Vec<(i64, i64)> = import_chunks::table
            .filter(import_chunks::import_id.eq(&import.id))
            .order(import_chunks::first_row)
            .select((import_chunks::first_row, import_chunks::last_row))
            .load(conn)?;
        // An import interrupted before parts were recorded wrote a prefix of the file.
        if ranges.is_empty() && import.processed > 0 {
            return Ok(vec![(1, import.processed)]);
        }
        Ok(ranges)
    }

    /// Ends a running import (`done` or `failed`; one cancelled meanwhile stays cancelled); its file is no
    /// longer needed, and the caller removes it.
    pub fn finish(conn: &mut DbConn, id: &str, status: &str) -> ApiResult<()> {
        let t = now();
        diesel::update(imports::table.find(id).filter(imports::status.eq(RUNNING)))
            .set((
                imports::status.eq(status),
                imports::finished_at.eq(t),
                imports::file_removed_at.eq(t),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Cancels an import that has not ended (uploaded, running or interrupted): it shows `cancelled` at once,
    /// its running job's next part is refused, and the rows already written stay. True when it was cancelled;
    /// false when it had ended. Call in the transaction that cancels its job; the caller removes the file.
    pub fn cancel(conn: &mut DbConn, id: &str) -> ApiResult<bool> {
        let t = now();
        let n = diesel::update(
            imports::table
                .find(id)
                .filter(imports::status.eq_any(CANCELLABLE)),
        )
        .set((
            imports::status.eq(CANCELLED),
            imports::finished_at.eq(t),
            imports::file_removed_at.eq(t),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// The imports with these ids (any owner: for describing jobs already scoped by their own query).
    pub fn find_many(conn: &mut DbConn, ids: &[String]) -> ApiResult<Vec<Import>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        Ok(imports::table
            .filter(imports::id.eq_any(ids))
            .select(Import::as_select())
            .load(conn)?)
    }

    pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Option<Import>> {
        Ok(imports::table
            .find(id)
            .select(Import::as_select())
            .first(conn)
            .optional()?)
    }

    /// Bytes of uploaded files the owner keeps stored: not removed yet, and not abandoned (uploaded before
    /// `abandoned_before` and not running: the next sweep removes those).
    pub fn stored_bytes(
        conn: &mut DbConn,
        owner_id: &str,
        abandoned_before: NaiveDateTime,
    ) -> ApiResult<i64> {
        let sizes: Vec<i64> = imports::table
            .filter(imports::owner_id.eq(owner_id))
            .filter(imports::file_removed_at.is_null())
            .filter(
                imports::status
                    .eq("running")
                    .or(imports::created_at.ge(abandoned_before)),
            )
            .select(imports::size_bytes)
            .load(conn)?;
        Ok(sizes.iter().sum())
    }

    /// Imports whose file is still stored though not needed any more: uploaded (or interrupted) before `before`
    /// and not running. (A running import keeps its file until it ends.)
    pub fn abandoned_files(conn: &mut DbConn, before: NaiveDateTime) -> ApiResult<Vec<String>> {
        Ok(imports::table
            .filter(imports::file_removed_at.is_null())
            .filter(imports::status.ne("running"))
            .filter(imports::created_at.lt(before))
            .select(imports::id)
            .load(conn)?)
    }

    /// Records that the import's file was removed.
    pub fn file_removed(conn: &mut DbConn, id: &str) -> ApiResult<()> {
        diesel::update(
            imports::table
                .find(id)
                .filter(imports::file_removed_at.is_null()),
        )
        .set(imports::file_removed_at.eq(now()))
        .execute(conn)?;
        Ok(())
    }

    /// At start: imports left running without a job (started before imports ran as jobs) can be resumed
    /// with another run request. Imports with a job resume by themselves.
    pub fn mark_interrupted(conn: &mut DbConn) -> ApiResult<usize> {
        Ok(diesel::sql_query(
            "UPDATE imports SET status = 'interrupted' WHERE status = 'running' AND NOT EXISTS \
             (SELECT 1 FROM jobs WHERE jobs.kind = 'leads.import' AND jobs.unique_key = 'import:' || imports.id \
             AND jobs.state IN ('available', 'scheduled', 'running', 'retryable'))",
        )
        .execute(conn)?)
    }
}

fn flat(v: &Option<Option<String>>) -> Option<&str> {
    v.as_ref().and_then(|x| x.as_deref())
}

/// Values looked up per query on PostgreSQL when matching a batch against existing leads.
const LOOKUP_CHUNK: usize = 5000;

/// `(value, lead id)` of the owner's leads whose username (or email) is one of `values`; for an email several
/// leads may answer. SQLite looks each value up alone, with one prepared statement that always probes the index:
/// a long IN list is planned from the table's statistics, and with statistics taken while the workspace was small
/// SQLite scans every lead of the table for each batch instead (quadratic in the file's size). PostgreSQL takes
/// the values 5,000 at a time (one round trip each, each planned for its values; imports refresh its statistics
/// as the workspace grows).
fn find_existing(
    conn: &mut DbConn,
    owner_key: i64,
    key: DedupeKey,
    values: &[String],
) -> ApiResult<Vec<(String, String)>> {
    let mut found = vec![];
    match conn {
        DbConn::Sqlite(c) => {
            for v in values {
                let id = match key {
                    DedupeKey::Username => leads::table
                        .filter(leads::owner_key.eq(owner_key))
                        .filter(leads::username.eq(v))
                        .select(leads::id)
                        .first::<String>(c),
                    DedupeKey::Email => leads::table
                        .filter(leads::owner_key.eq(owner_key))
                        .filter(leads::email.eq(v))
                        .select(leads::id)
                        .first::<String>(c),
                }
                .optional()?;
                found.extend(id.map(|id| (v.clone(), id)));
            }
        }
        DbConn::Postgresql(c) => {
            // Each lookup is planned for its own values: after five runs of a prepared statement PostgreSQL may
            // keep a generic plan, and one made while the workspace was empty (a sequential scan) would survive
            // its growth, scanning every lead of the owner for each chunk of a first import.
            c.batch_execute("SET plan_cache_mode = force_custom_plan")?;
            let looked = find_existing_pg(c, owner_key, key, values);
            let reset = c.batch_execute("RESET plan_cache_mode");
            found = looked?;
            reset?;
        }
    }
    Ok(found)
}

fn find_existing_pg(
    c: &mut diesel::PgConnection,
    owner_key: i64,
    key: DedupeKey,
    values: &[String],
) -> ApiResult<Vec<(String, String)>> {
    let mut found = vec![];
    for chunk in values.chunks(LOOKUP_CHUNK) {
        found.extend(match key {
            DedupeKey::Username => leads::table
                .filter(leads::owner_key.eq(owner_key))
                .filter(leads::username.eq_any(chunk))
                .select((leads::username, leads::id))
                .load::<(String, String)>(c)?,
            DedupeKey::Email => leads::table
                .filter(leads::owner_key.eq(owner_key))
                .filter(leads::email.eq_any(chunk))
                .select((leads::email.assume_not_null(), leads::id))
                .load::<(String, String)>(c)?,
        });
    }
    Ok(found)
}

/// Which of a chunk's usernames (and, with key email, e-mails) the owner's committed leads already have, found by
/// the import's reader before the writer takes the chunk, so the writer does not spend its time on lookups.
#[derive(Debug, Default)]
pub struct Known {
    pub usernames: HashMap<String, String>,
    pub emails: HashMap<String, String>,
    /// Values an earlier chunk of the same import also has, not committed when the reader looked: the writer
    /// looks these up itself (it sees its own uncommitted rows).
    pub unsure_usernames: Vec<String>,
    pub unsure_emails: Vec<String>,
}

impl Known {
    /// Looks the rows up (outside the writer's transaction: committed leads only). `pending` tells whether an
    /// earlier, uncommitted chunk has the value.
    pub fn look_up(
        conn: &mut DbConn,
        owner_key: i64,
        key: DedupeKey,
        rows: &[(i64, LeadPatch)],
        pending: impl Fn(&str) -> bool,
    ) -> ApiResult<Known> {
        let mut known = Known::default();
        let usernames: Vec<String> = rows
            .iter()
            .filter_map(|(_, p)| p.username.clone())
            .collect();
        known.usernames = find_existing(conn, owner_key, DedupeKey::Username, &usernames)?
            .into_iter()
            .collect();
        known.unsure_usernames = usernames
            .into_iter()
            .filter(|u| !known.usernames.contains_key(u) && pending(u))
            .collect();
        if key == DedupeKey::Email {
            let emails: Vec<String> = rows
                .iter()
                .filter_map(|(_, p)| flat(&p.email).map(str::to_owned))
                .collect();
            for (email, id) in find_existing(conn, owner_key, DedupeKey::Email, &emails)? {
                known.emails.entry(email).or_insert(id);
            }
            known.unsure_emails = emails
                .into_iter()
                .filter(|e| !known.emails.contains_key(e) && pending(e))
                .collect();
        }
        Ok(known)
    }
}

impl Lead {
    /// Writes validated rows `(row number, patch with username)` for one owner. Call inside a transaction.
    /// New leads are recorded in the history as spans of their numbers (`LeadSpan`), updated ones lead by lead.
    /// `known`: what the reader already looked up (`None`: look everything up here). A username another writer
    /// added since the reader looked makes the insert fail with a conflict; run the chunk again without `known`.
    pub fn import_batch(
        conn: &mut DbConn,
        owner_id: &str,
        rows: &[(i64, LeadPatch)],
        dedupe: Dedupe,
        key: DedupeKey,
        batch_id: &str,
        known: Option<Known>,
    ) -> ApiResult<BatchOutcome> {
        let mut out = BatchOutcome::default();
        let started = std::time::Instant::now();
        let owner_key = Lead::owner_key(conn, owner_id)?;
        let usernames: Vec<String> = rows
            .iter()
            .filter_map(|(_, p)| p.username.clone())
            .collect();
        let emails: Vec<String> = rows
            .iter()
            .filter_map(|(_, p)| flat(&p.email).map(str::to_owned))
            .collect();
        // Without the reader's lookups, everything is looked up here, in this transaction.
        let known = match known {
            Some(k) => k,
            None => Known::look_up(conn, owner_key, key, rows, |_| false)?,
        };
        let mut by_username = known.usernames;
        by_username.extend(find_existing(
            conn,
            owner_key,
            DedupeKey::Username,
            &known.unsure_usernames,
        )?);
        let mut by_email = known.emails;
        for (email, id) in find_existing(conn, owner_key, DedupeKey::Email, &known.unsure_emails)? {
            by_email.entry(email).or_insert(id);
        }
        let listed = DoNotContact::listed(conn, owner_id, &usernames, &emails)?;
        // New leads are collected and written together at the end; a later row of this batch that updates one
        // of them is merged into it here.
        let mut fresh: Vec<(String, String, Cow<LeadPatch>)> = Vec::with_capacity(rows.len());
        let mut fresh_at: HashMap<String, usize> = HashMap::new();
        let mut seen_emails: HashSet<String> = HashSet::new();
        for (row, patch) in rows {
            let row = *row;
            let mut patch = Cow::Borrowed(patch);
            let on_list = |kind: &str, v: Option<&str>| {
                v.is_some_and(|v| listed.contains(&(kind.to_owned(), v.to_owned())))
            };
            if on_list("username", patch.username.as_deref())
                || on_list("email", flat(&patch.email))
            {
                patch.to_mut().status = Some(dnc::STATUS.into());
            }
            let Some(username) = patch.username.clone() else {
                out.errors.push(RowError {
                    row,
                    field: Some("username".into()),
                    message: "No username".into(),
                });
                continue;
            };
            let existing = match key {
                DedupeKey::Username => by_username.get(&username).cloned(),
                DedupeKey::Email => flat(&patch.email).and_then(|e| by_email.get(e).cloned()),
            };
            let existing = match (existing, dedupe) {
                (Some(_), Dedupe::KeepBoth) => None,
                (e, _) => e,
            };
            if let Some(id) = existing {
                match dedupe {
                    Dedupe::Skip | Dedupe::KeepBoth => {
                        out.skipped += 1;
                        out.skips.push(skip_reason(
                            row,
                            key,
                            &username,
                            fresh_at.contains_key(&id),
                        ));
                    }
                    Dedupe::Update => {
                        let mut fill = patch.into_owned();
                        fill.username = None;
                        drop_empty(&mut fill);
                        let result = match fresh_at.get(&id) {
                            Some(&i) => {
                                let mut values = fresh[i].2.values();
                                values.extend(fill.values());
                                LeadPatch::from_values(values)
                                    .map(|merged| fresh[i].2 = Cow::Owned(merged))
                            }
                            None => Lead::update(
                                conn,
                                owner_id,
                                Some(owner_id),
                                &id,
                                None,
                                fill,
                                batch_id,
                            )
                            .map(drop),
                        };
                        match result {
                            Ok(_) => out.updated += 1,
                            Err(e) => out.errors.push(RowError {
                                row,
                                field: None,
                                message: e.message,
                            }),
                        }
                    }
                }
                continue;
            }
            if by_username.contains_key(&username) {
                // key=email with keep_both or a new email: the username is still taken.
                match dedupe {
                    Dedupe::Skip | Dedupe::Update if key == DedupeKey::Email => {
                        out.skipped += 1;
                        out.skips.push(RowError {
                            row,
                            field: Some("username".into()),
                            message: format!(
                                "@{username} is already in your workspace with another e-mail"
                            ),
                        });
                    }
                    _ => out.errors.push(RowError {
                        row,
                        field: Some("username".into()),
                        message: format!("@{username} is already in your workspace"),
                    }),
                }
                continue;
            }
            let id = new_seq_id();
            by_username.insert(username.clone(), id.clone());
            if let Some(e) = flat(&patch.email) {
                if seen_emails.insert(e.to_owned()) {
                    by_email.entry(e.to_owned()).or_insert_with(|| id.clone());
                }
            }
            fresh_at.insert(id.clone(), fresh.len());
            fresh.push((id, username, patch));
            out.inserted += 1;
        }
        let looked_up = started.elapsed();
        let seqs = Lead::next_seqs(conn, fresh.len())?;
        insert_new(conn, owner_id, owner_key, &fresh, &seqs)?;
        let inserted = started.elapsed();
        LeadSpan::record(conn, owner_id, owner_key, Some(owner_id), batch_id, &seqs)?;
        tracing::debug!(
            lookups_ms = looked_up.as_millis() as u64,
            leads_ms = (inserted - looked_up).as_millis() as u64,
            "import chunk written"
        );
        Ok(out)
    }
}

/// Writes new leads `(id, username, values)` numbered `seqs`.
fn insert_new(
    conn: &mut DbConn,
    owner_id: &str,
    owner_key: i64,
    rows: &[(String, String, Cow<LeadPatch>)],
    seqs: &[i64],
) -> ApiResult<()> {
    let at = now();
    let tags: Vec<String> = rows
        .iter()
        .map(|(_, _, p)| {
            serde_json::to_string(&p.tags.clone().unwrap_or_default())
                .unwrap_or_else(|_| "[]".into())
        })
        .collect();
    let rows: Vec<NewLeadRow> = rows
        .iter()
        .zip(&tags)
        .zip(seqs)
        .map(|(((id, username, p), tags), &seq)| NewLeadRow {
            id,
            seq,
            owner_key,
            owner_id,
            username,
            full_name: flat(&p.full_name),
            biography: flat(&p.biography),
            followers: p.followers.flatten(),
            following: p.following.flatten(),
            posts: p.posts.flatten(),
            is_business: p.is_business.unwrap_or(false),
            business_category: flat(&p.business_category),
            email: flat(&p.email),
            phone: flat(&p.phone),
            website: flat(&p.website),
            source_hashtag: flat(&p.source_hashtag),
            status: p.status.as_deref().unwrap_or("new"),
            tags,
            notes: flat(&p.notes),
            email_subject: flat(&p.email_subject),
            email_body: flat(&p.email_body),
            created_at: at,
            updated_at: at,
            version: 1,
        })
        .collect();
    Lead::insert_rows(conn, &rows)
}

/// An import's update only fills: empty cells leave the existing value alone.
fn drop_empty(p: &mut LeadPatch) {
    for v in [
        &mut p.full_name,
        &mut p.biography,
        &mut p.business_category,
        &mut p.email,
        &mut p.phone,
        &mut p.website,
        &mut p.source_hashtag,
        &mut p.product_id,
        &mut p.notes,
        &mut p.email_subject,
        &mut p.email_body,
    ] {
        if matches!(v, Some(None)) {
            *v = None;
        }
    }
    for v in [&mut p.followers, &mut p.following, &mut p.posts] {
        if matches!(v, Some(None)) {
            *v = None;
        }
    }
    if p.tags.as_ref().is_some_and(|t| t.is_empty()) {
        p.tags = None;
    }
}

impl Import {
    /// How many of these usernames are leads of the owner already (what an import would find; its preview).
    pub fn count_existing_usernames(
        conn: &mut DbConn,
        owner_id: &str,
        usernames: &[String],
    ) -> ApiResult<i64> {
        let owner_key = Lead::owner_key(conn, owner_id)?;
        Ok(find_existing(conn, owner_key, DedupeKey::Username, usernames)?.len() as i64)
    }
}

/// Why a row was skipped: it repeats an earlier row of the file, or matches a lead you have.
fn skip_reason(row: i64, key: DedupeKey, username: &str, earlier_row: bool) -> RowError {
    let (field, what) = match key {
        DedupeKey::Username => ("username", format!("@{username}")),
        DedupeKey::Email => ("email", format!("The e-mail of @{username}")),
    };
    RowError {
        row,
        field: Some(field.into()),
        message: if earlier_row {
            format!("{what} repeats an earlier row of the file")
        } else {
            format!("{what} is already a lead (kept as it was)")
        },
    }
}
