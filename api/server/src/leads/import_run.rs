//! Running an import in the background. A reader thread reads the file, checks each row and looks the rows up
//! (on a connection of its own, against committed leads) in chunks; writer threads write the chunks: one on
//! SQLite (one writer at a time, and large transactions make its indexes cheaper to keep up), two on PostgreSQL
//! (a core each). On PostgreSQL one more connection merges the search index's pending entries as they come.
//! Every written chunk is recorded with the file rows it covers, in the transaction that wrote it, so an
//! interrupted import resumes with the rows not yet written, and writes none twice.

use crate::leads::import::{map_row, reader};
use diesel::connection::SimpleConnection;
use leadgen_core::config::Backend;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::import::{BatchOutcome, Dedupe, DedupeKey, Import, Known, RowError};
use leadgen_db::models::lead::{Lead, LeadPatch};
use leadgen_db::models::seed::{analyze_leads, merge_search_index};
use leadgen_db::{write_tx, Db, DbConn};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};

// Rows read, checked and looked up together, then written while the reader works on the next ones: a chunk,
// `Job::chunk_rows` (the setting `import_chunk_rows`, 10,000 by default).

/// SQLite: chunks committed together (100,000 rows by default). Each commit writes every index page its rows
/// touched, so larger commits write the big random-order indexes (username, email, followers) fewer times: the
/// database alone stores 1M rows in 32.6 s with 25,000 rows a commit, 26.4 s with 50,000 and 24.4 s with 100,000.
/// PostgreSQL commits each chunk: its commits write only the log, and a chunk's writer is then free to wait for
/// another's (see `Writers`).
const SQLITE_COMMIT_CHUNKS: usize = 10;
/// PostgreSQL: writers at once (one core each; two measured 1.6–1.7 times one on 2 cores). Imports keyed by
/// e-mail use one: e-mail addresses are not unique in the table, so two writers could not notice that they
/// both add the same address.
const POSTGRES_WRITERS: usize = 2;

/// One import run.
pub struct Job<'a> {
    pub db: &'a Db,
    pub counts: &'a crate::leads::counts::CountCache,
    pub owner: &'a str,
    pub id: &'a str,
    pub path: &'a std::path::Path,
    pub delimiter: u8,
    pub mapping: &'a [Option<String>],
    pub dedupe: Dedupe,
    pub key: DedupeKey,
    /// Rows per chunk (`import_chunk_rows`).
    pub chunk_rows: usize,
    /// Called before each commit: an `Err` (the job was cancelled, or its process is stopping) ends the run
    /// with what is committed kept.
    pub checkpoint: &'a (dyn Fn() -> ApiResult<()> + Sync),
}

/// Rows read from the file, checked and looked up, for a writer.
struct Chunk {
    /// Its place in this run (0, 1, …).
    no: usize,
    rows: Vec<(i64, LeadPatch)>,
    errors: Vec<RowError>,
    /// The file rows it covers (bad rows included).
    first_row: i64,
    last_row: i64,
    known: Known,
}

impl Chunk {
    /// An earlier chunk, not committed when the reader looked, has some of these usernames or e-mails: this one
    /// must be written after it (so a later row fills an earlier one, as in the file).
    fn follows_earlier(&self) -> bool {
        !self.known.unsure_usernames.is_empty() || !self.known.unsure_emails.is_empty()
    }
}

/// What the reader and the writers share: which chunks are being written by whom, which are committed.
#[derive(Default)]
struct Writers {
    state: Mutex<WritersState>,
    changed: Condvar,
}

#[derive(Default)]
struct WritersState {
    /// Chunks taken by a writer and not committed yet: chunk → writer.
    open: BTreeMap<usize, usize>,
    committed: HashSet<usize>,
    /// A writer failed: everyone stops.
    stopped: bool,
    /// Rows committed by all writers, and the count at which the next commit refreshes PostgreSQL's statistics.
    rows: i64,
    analyse_at: i64,
}

impl Writers {
    fn lock(&self) -> std::sync::MutexGuard<'_, WritersState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until no other writer holds an uncommitted chunk before `no`; false when the run stopped.
    fn wait_for_earlier(&self, no: usize, writer: usize) -> bool {
        let mut s = self.lock();
        while !s.stopped && s.open.range(..no).any(|(_, w)| *w != writer) {
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        !s.stopped
    }

    fn committed(&self, chunks: &[usize]) {
        let mut s = self.lock();
        for no in chunks {
            s.open.remove(no);
            s.committed.insert(*no);
        }
        drop(s);
        self.changed.notify_all();
    }

    /// A writer's result; its failure stops the reader and the other writers.
    fn stop_on_error<T>(&self, result: ApiResult<T>) -> ApiResult<T> {
        if result.is_err() {
            self.lock().stopped = true;
            self.changed.notify_all();
        }
        result
    }
}

/// The usernames (and e-mails) of chunks handed to the writers and not yet committed: a later chunk's row with one
/// of them is left for its writer to look up.
#[derive(Default)]
struct InFlight {
    chunks: VecDeque<(usize, Vec<String>)>,
    values: HashMap<String, usize>,
}

impl InFlight {
    fn add(&mut self, chunk: usize, values: Vec<String>) {
        for v in &values {
            *self.values.entry(v.clone()).or_default() += 1;
        }
        self.chunks.push_back((chunk, values));
    }

    /// Forgets the committed chunks.
    fn forget(&mut self, committed: &HashSet<usize>) {
        let values = &mut self.values;
        self.chunks.retain(|(no, chunk_values)| {
            if !committed.contains(no) {
                return true;
            }
            for v in chunk_values {
                if let Some(n) = values.get_mut(v) {
                    *n -= 1;
                    if *n == 0 {
                        values.remove(v);
                    }
                }
            }
            false
        });
    }
}

/// Runs the import: rows already written (an interrupted run) are skipped.
pub fn run(conn: &mut DbConn, job: &Job) -> ApiResult<()> {
    let import = Import::get(conn, job.id)?;
    let written = Import::written_rows(conn, &import)?;
    let count = match conn.backend() {
        Backend::Postgres if job.key == DedupeKey::Username => POSTGRES_WRITERS,
        _ => 1,
    };
    // Every connection first: nothing starts unless all are there.
    let mut merger = match conn.backend() {
        Backend::Postgres => Some(job.db.get()?),
        Backend::Sqlite => None,
    };
    let mut more = (1..count)
        .map(|_| job.db.get())
        .collect::<ApiResult<Vec<_>>>()?;
    for c in &mut more {
        bulk_mode(c, true)?;
    }
    let writers = Writers::default();
    let merging = AtomicBool::new(true);
    let rows = std::thread::scope(|scope| {
        let (to_writers, chunks) = mpsc::sync_channel(count);
        // The writers share the receiving end; when the last one is done with it, a reader still sending stops.
        let chunks = Arc::new(Mutex::new(chunks));
        let (writers, written, merging) = (&writers, &written, &merging);
        scope.spawn(move || {
            if let Err(e) = read_chunks(job, written, writers, &to_writers) {
                let _ = to_writers.send(Err(e));
            }
        });
        if let Some(m) = merger.as_mut() {
            scope.spawn(move || merge_while(m, merging));
        }
        let others: Vec<_> = more
            .iter_mut()
            .enumerate()
            .map(|(i, c)| {
                let chunks = chunks.clone();
                scope.spawn(move || {
                    writers.stop_on_error(write_chunks(c, job, i + 1, &chunks, writers))
                })
            })
            .collect();
        let mut rows = writers.stop_on_error(write_chunks(conn, job, 0, &chunks, writers));
        drop(chunks);
        for other in others {
            let other = other.join().unwrap_or_else(|_| {
                Err(ApiError::internal(anyhow::anyhow!(
                    "an import writer panicked"
                )))
            });
            rows = match (rows, other) {
                (Ok(a), Ok(b)) => Ok(a + b),
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
        }
        merging.store(false, Ordering::Relaxed);
        rows
    });
    for c in &mut more {
        bulk_mode(c, false)?;
    }
    // A large import changes the table's statistics; refresh them for the planner.
    if rows? > 10_000 {
        analyze_leads(conn)?;
    }
    merge_search_index(conn)
}

fn bulk_mode(conn: &mut DbConn, on: bool) -> ApiResult<()> {
    Ok(leadgen_db::conn::bulk_mode(conn, on)?)
}

/// Reads the file, skipping rows already `written`, checks and looks up the rows and sends them in chunks of
/// consecutive rows; ends when the file ends or the writers stop.
fn read_chunks(
    job: &Job,
    written: &[(i64, i64)],
    writers: &Writers,
    to_writers: &mpsc::SyncSender<ApiResult<Chunk>>,
) -> ApiResult<()> {
    let mut rdr = reader(job.path, job.delimiter)?;
    let mut conn = job.db.get()?;
    let owner_key = Lead::owner_key(&mut conn, job.owner)?;
    let is_written = |row: i64| written.iter().any(|(a, b)| (*a..=*b).contains(&row));
    let mut in_flight = InFlight::default();
    let mut record = csv::StringRecord::new();
    let mut row: i64 = 0;
    let mut at_end = false;
    for no in 0.. {
        let mut rows = Vec::with_capacity(job.chunk_rows);
        let mut errors = vec![];
        let (mut first_row, mut last_row) = (0, 0);
        while !at_end && (first_row == 0 || last_row - first_row + 1 < job.chunk_rows as i64) {
            let read = rdr.read_record(&mut record);
            if !matches!(read, Ok(false)) {
                row += 1;
                if is_written(row) {
                    if first_row > 0 {
                        // A chunk covers consecutive rows: it ends before rows written earlier.
                        break;
                    }
                    continue;
                }
                if first_row == 0 {
                    first_row = row;
                }
                last_row = row;
            }
            match read {
                Ok(true) => match map_row(&record, job.mapping) {
                    Ok(p) => rows.push((row, p)),
                    Err(cells) => {
                        errors.extend(cells.into_iter().map(|(field, message)| RowError {
                            row,
                            field: Some(field),
                            message,
                        }))
                    }
                },
                Ok(false) => at_end = true,
                Err(e) => errors.push(RowError {
                    row,
                    field: None,
                    message: format!("Not readable as CSV: {e}"),
                }),
            }
        }
        if first_row == 0 {
            return Ok(());
        }
        // Whatever the writers committed before this point is visible to the lookups below.
        let committed = {
            let s = writers.lock();
            if s.stopped {
                return Ok(());
            }
            s.committed.clone()
        };
        in_flight.forget(&committed);
        let known = Known::look_up(&mut conn, owner_key, job.key, &rows, |v| {
            in_flight.values.contains_key(v)
        })?;
        in_flight.add(
            no,
            rows.iter()
                .flat_map(|(_, p)| {
                    let email = (job.key == DedupeKey::Email)
                        .then(|| p.email.clone().flatten())
                        .flatten();
                    p.username.clone().into_iter().chain(email)
                })
                .collect(),
        );
        let chunk = Chunk {
            no,
            rows,
            errors,
            first_row,
            last_row,
            known,
        };
        if to_writers.send(Ok(chunk)).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// The next chunk for writer `writer`, marked as its own before any other writer can take a later one.
fn take(
    chunks: &Mutex<mpsc::Receiver<ApiResult<Chunk>>>,
    writers: &Writers,
    writer: usize,
) -> ApiResult<Option<Chunk>> {
    let chunks = chunks.lock().unwrap_or_else(|e| e.into_inner());
    if writers.lock().stopped {
        return Ok(None);
    }
    match chunks.recv() {
        Ok(Ok(chunk)) => {
            writers.lock().open.insert(chunk.no, writer);
            Ok(Some(chunk))
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Ok(None),
    }
}

/// Writer `writer`: takes chunks and writes them, a transaction per chunk on PostgreSQL and per
/// `SQLITE_COMMIT_CHUNKS` chunks on SQLite, each recorded with its rows and progress; the number of rows written.
fn write_chunks(
    conn: &mut DbConn,
    job: &Job,
    writer: usize,
    chunks: &Mutex<mpsc::Receiver<ApiResult<Chunk>>>,
    writers: &Writers,
) -> ApiResult<i64> {
    let per_commit = match conn.backend() {
        Backend::Sqlite => SQLITE_COMMIT_CHUNKS * job.chunk_rows,
        Backend::Postgres => job.chunk_rows,
    };
    let mut written: i64 = 0;
    // Waits for the first chunk of a commit outside the transaction.
    while let Some(first) = take(chunks, writers, writer)? {
        let started = std::time::Instant::now();
        let mut next = Some(first);
        let mut nos = vec![];
        let mut ranges = vec![];
        let mut rows = 0;
        (job.checkpoint)()?;
        write_tx(conn, |c| {
            let mut out = BatchOutcome::default();
            let mut failed_rows = 0;
            while let Some(mut chunk) = next.take() {
                if chunk.follows_earlier() && !writers.wait_for_earlier(chunk.no, writer) {
                    return Err(ApiError::msg(ErrorCode::Conflict, "The import stopped."));
                }
                nos.push(chunk.no);
                ranges.push((chunk.first_row, chunk.last_row));
                rows += (chunk.last_row - chunk.first_row + 1) as usize;
                let bad_rows: HashSet<i64> = chunk.errors.iter().map(|e| e.row).collect();
                let mut o = write_chunk(c, job, &mut chunk)?;
                failed_rows += (bad_rows.len() + o.errors.len()) as i64;
                out.inserted += o.inserted;
                out.updated += o.updated;
                out.skipped += o.skipped;
                out.skips.append(&mut o.skips);
                out.errors.append(&mut chunk.errors);
                out.errors.append(&mut o.errors);
                if rows < per_commit {
                    next = take(chunks, writers, writer)?;
                }
            }
            Import::advance(c, job.id, &ranges, &out, failed_rows)
        })?;
        writers.committed(&nos);
        job.counts.invalidate(job.owner);
        tracing::debug!(import = %job.id, writer, rows, ms = started.elapsed().as_millis() as u64, "import rows committed");
        written += rows as i64;
        let analyse = {
            // The statistics are refreshed after the import's first commit (whichever writer makes it) and each
            // time the import's rows double.
            let mut s = writers.lock();
            s.rows += rows as i64;
            let due = s.rows >= s.analyse_at;
            if due {
                s.analyse_at = s.rows * 2;
            }
            due
        };
        if analyse && conn.backend() == Backend::Postgres {
            // PostgreSQL plans duplicate lookups from its statistics. A workspace that was empty (or small) when
            // last analysed looks like a few rows, and the planner then walks all of the owner's leads for every
            // lookup instead of probing the (owner, username) index: quadratic in the file's size. Autovacuum
            // analyses too late for that (a minute on, at a tenth of the table changed), so the import does it
            // itself: after its first commit, then each time its rows double (~8 times for 1M rows, ~0.1 s each).
            analyze_leads(conn)?;
        }
    }
    Ok(written)
}

/// Writes one chunk in its own savepoint. When a username turns out to be taken since the reader looked (a lead
/// added meanwhile, or by another writer of this import), the chunk is rolled back and written again with every
/// lookup made here; the insert that found the username taken waited for the transaction that added it, so
/// the new lookups see it.
fn write_chunk(conn: &mut DbConn, job: &Job, chunk: &mut Chunk) -> ApiResult<BatchOutcome> {
    let batch_id = format!("import:{}", job.id);
    let write = |c: &mut DbConn, known: Option<Known>| {
        // Each chunk's new leads join the search index before a later chunk may update them.
        Lead::bulk_load(c, |c| {
            Lead::import_batch(
                c,
                job.owner,
                &chunk.rows,
                job.dedupe,
                job.key,
                &batch_id,
                known,
            )
        })
    };
    let mut known = Some(std::mem::take(&mut chunk.known));
    for attempt in 1.. {
        conn.batch_execute("SAVEPOINT import_chunk")?;
        match write(conn, known.take()) {
            Err(e) if e.code == ErrorCode::Conflict && attempt < 3 => {
                conn.batch_execute("ROLLBACK TO SAVEPOINT import_chunk")?;
                tracing::debug!(import = %job.id, "a username was taken meanwhile: chunk written again");
            }
            written => {
                let out = written?;
                conn.batch_execute("RELEASE SAVEPOINT import_chunk")?;
                return Ok(out);
            }
        }
    }
    unreachable!("the loop returns by its third attempt")
}

/// PostgreSQL, while an import writes: merges the search index's pending entries every quarter second. The
/// importing connections let the pending list grow (`bulk_mode`); without this they would merge it themselves
/// every 256 MB, in the middle of a chunk, on a writer's core (1M rows with one writer: 16,000–19,000 rows/s
/// without, 19,600–21,300 with, `scripts/bench-leads`).
fn merge_while(conn: &mut DbConn, writing: &AtomicBool) {
    while writing.load(Ordering::Relaxed) {
        if let Err(e) = merge_search_index(conn) {
            tracing::warn!(error = ?e, "could not merge the search index's pending entries");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}
