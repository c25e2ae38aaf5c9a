//! CSV import: the upload is streamed to the data directory; the header is mapped to lead fields (guessed from
//! the names, editable); a preview validates the first rows cell by cell; the run writes batches in the
//! background, each committed with its progress, so an interrupted import resumes where it stopped.

use crate::extract::{Body, Params};
use crate::identity::dto::utc;
use crate::identity::extract::CurrentUser;
use crate::state::AppState;
use actix_web::web::{self, Json, Path};
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use futures_util::StreamExt;
use leadgen_core::config::Backend;
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult, ErrorCode};
use leadgen_db::models::import::{BatchOutcome, Dedupe, DedupeKey, Import, Known, RowError};
use leadgen_db::models::lead::{Lead, LeadPatch};
use leadgen_db::{new_id, write_tx};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// Lead fields a CSV column can map to.
pub const IMPORT_FIELDS: &[&str] = &[
    "username",
    "full_name",
    "biography",
    "followers",
    "following",
    "posts",
    "is_business",
    "business_category",
    "email",
    "phone",
    "website",
    "source_hashtag",
    "status",
    "tags",
    "notes",
    "email_subject",
    "email_body",
];
const PREVIEW_ROWS: usize = 20;
/// Rows read and checked together, then written while the reader checks the next ones (a thread of its own, at
/// most two chunks ahead).
const CHUNK: usize = 10_000;
/// Rows committed together with the import's progress; an interrupted import resumes after the last commit.
/// Each commit writes every index page its rows touched, so larger commits write the big random-order indexes
/// (username, email, followers) fewer times: the database alone stores 1M rows on SQLite in 32.6 s with 25,000
/// rows a commit, 26.4 s with 50,000 and 24.4 s with 100,000 (`scripts/bench-import-floor`). Rows reach the
/// database chunk by chunk, so memory holds a few chunks, not a commit.
const COMMIT_ROWS: usize = 100_000;
/// Uploads larger than this are refused.
pub const MAX_UPLOAD_BYTES: u64 = 2 * 1024 * 1024 * 1024;

fn file_of(state: &AppState, id: &str) -> PathBuf {
    state
        .settings
        .data_dir
        .join("imports")
        .join(format!("{id}.csv"))
}

/// The field a header names, by common spellings (English and German).
pub fn guess(header: &str) -> Option<&'static str> {
    let h: String = header
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    let table: &[(&str, &[&str])] = &[
        (
            "username",
            &[
                "username",
                "user",
                "instagram",
                "instagramusername",
                "handle",
                "ighandle",
                "account",
                "benutzername",
                "ownerusername",
                "profile",
            ],
        ),
        (
            "full_name",
            &[
                "fullname",
                "name",
                "displayname",
                "vollername",
                "ownerfullname",
            ],
        ),
        (
            "biography",
            &["biography", "bio", "description", "beschreibung"],
        ),
        (
            "followers",
            &[
                "followers",
                "follower",
                "followerscount",
                "followercount",
                "abonnenten",
            ],
        ),
        (
            "following",
            &[
                "following",
                "follows",
                "followscount",
                "followingcount",
                "abonniert",
            ],
        ),
        (
            "posts",
            &["posts", "postscount", "mediacount", "beitraege", "beiträge"],
        ),
        (
            "is_business",
            &[
                "isbusiness",
                "business",
                "isbusinessaccount",
                "businessaccount",
            ],
        ),
        (
            "business_category",
            &[
                "businesscategory",
                "category",
                "businesscategoryname",
                "kategorie",
            ],
        ),
        (
            "email",
            &[
                "email",
                "emailaddress",
                "mail",
                "publicemail",
                "businessemail",
                "emailadresse",
            ],
        ),
        (
            "phone",
            &[
                "phone",
                "phonenumber",
                "telefon",
                "businessphonenumber",
                "contactphonenumber",
            ],
        ),
        (
            "website",
            &["website", "url", "externalurl", "link", "webseite"],
        ),
        ("source_hashtag", &["sourcehashtag", "hashtag", "source"]),
        ("status", &["status"]),
        ("tags", &["tags", "labels"]),
        ("notes", &["notes", "notizen", "note", "comment"]),
        ("email_subject", &["emailsubject", "subject", "betreff"]),
        ("email_body", &["emailbody", "body", "message", "nachricht"]),
    ];
    table
        .iter()
        .find(|(_, names)| names.contains(&h.as_str()))
        .map(|(f, _)| *f)
}

fn sniff_delimiter(first_line: &str) -> u8 {
    let count = |c: char| first_line.matches(c).count();
    [(',', count(',')), (';', count(';')), ('\t', count('\t'))]
        .iter()
        .max_by_key(|(_, n)| *n)
        .map(|(c, _)| *c as u8)
        .unwrap_or(b',')
}

fn reader(
    path: &std::path::Path,
    delimiter: u8,
) -> ApiResult<csv::Reader<std::io::BufReader<std::fs::File>>> {
    let file = std::fs::File::open(path).map_err(ApiError::internal)?;
    let mut buf = std::io::BufReader::with_capacity(1 << 20, file);
    // Skip a UTF-8 byte-order mark.
    {
        use std::io::BufRead;
        let head = buf.fill_buf().map_err(ApiError::internal)?;
        if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            buf.seek_relative(3).map_err(ApiError::internal)?;
        }
    }
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(buf))
}

/// `12.5k` → 12500, `1,2 Mio` → 1200000, `1.234` → 1234 (Instagram-style counts).
pub fn parse_count(s: &str) -> Option<i64> {
    let t = s.trim().to_lowercase().replace(' ', "");
    let (num, mult) = if let Some(n) = t.strip_suffix("mio") {
        (n.to_owned(), 1_000_000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n.to_owned(), 1_000_000.0)
    } else if let Some(n) = t.strip_suffix('k') {
        (n.to_owned(), 1_000.0)
    } else {
        (t.clone(), 1.0)
    };
    if mult > 1.0 {
        let f: f64 = num.replace(',', ".").parse().ok()?;
        return (f >= 0.0).then(|| (f * mult).round() as i64);
    }
    num.replace([',', '.', '\''], "").parse().ok()
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "ja" | "x" => Some(true),
        "false" | "no" | "n" | "0" | "nein" | "" => Some(false),
        _ => None,
    }
}

/// One CSV row through the mapping: a validated patch, or every bad cell named.
pub fn map_row(
    record: &csv::StringRecord,
    mapping: &[Option<String>],
) -> Result<LeadPatch, Vec<(String, String)>> {
    let mut values = Map::new();
    let mut errors = vec![];
    for (i, field) in mapping.iter().enumerate() {
        let Some(field) = field else { continue };
        let cell = record.get(i).unwrap_or("").trim();
        if cell.is_empty() {
            continue;
        }
        let v = match field.as_str() {
            "followers" | "following" | "posts" => match parse_count(cell) {
                Some(n) => json!(n),
                None => {
                    errors.push((field.clone(), format!("{cell:?} is not a number")));
                    continue;
                }
            },
            "is_business" => match parse_bool(cell) {
                Some(b) => json!(b),
                None => {
                    errors.push((field.clone(), format!("{cell:?} is not yes/no")));
                    continue;
                }
            },
            "tags" => json!(cell
                .split([',', ';', '|'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()),
            "status" => json!(cell.to_lowercase().replace([' ', '-'], "_")),
            _ => json!(cell),
        };
        values.insert(field.clone(), v);
    }
    if !values.contains_key("username") && errors.iter().all(|(f, _)| f != "username") {
        errors.push(("username".into(), "No username in this row".into()));
    }
    // Check the cells that did parse too, so every bad cell of the row is named at once.
    let mut patch =
        LeadPatch::from_values(values).map_err(|e| vec![("row".to_owned(), e.message)])?;
    if let Err(e) = patch.normalise() {
        let before = errors.len();
        if let Some(fields) = e.details.as_ref().and_then(|d| d["fields"].as_object()) {
            for (f, list) in fields {
                for item in list.as_array().into_iter().flatten() {
                    errors.push((
                        f.clone(),
                        item["message"].as_str().unwrap_or("not valid").to_owned(),
                    ));
                }
            }
        }
        if errors.len() == before {
            errors.push(("row".into(), e.message.clone()));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(patch)
}

#[derive(Serialize, ToSchema)]
pub struct PreviewRow {
    /// 1-based data row.
    pub row: i64,
    pub values: Vec<String>,
    /// field → message, for the cells that would be refused.
    pub errors: BTreeMap<String, String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportPreview {
    pub id: String,
    pub filename: String,
    pub headers: Vec<String>,
    /// Per column: the lead field it maps to, or null to ignore it.
    pub mapping: Vec<Option<String>>,
    /// Lead fields a column can map to.
    pub fields: Vec<String>,
    pub total_rows: i64,
    pub preview: Vec<PreviewRow>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportStatus {
    pub id: String,
    pub filename: String,
    /// uploaded, running, done, failed, interrupted (resume it with run)
    pub status: String,
    pub total_rows: i64,
    pub processed: i64,
    pub inserted: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
    /// The first bad rows (up to 1000).
    pub errors: Vec<RowError>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Import> for ImportStatus {
    fn from(i: Import) -> Self {
        ImportStatus {
            errors: serde_json::from_str(&i.errors).unwrap_or_default(),
            id: i.id,
            filename: i.filename,
            status: i.status,
            total_rows: i.total_rows,
            processed: i.processed,
            inserted: i.inserted,
            updated: i.updated,
            skipped: i.skipped,
            failed: i.failed,
            created_at: utc(i.created_at),
            finished_at: i.finished_at.map(utc),
        }
    }
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    #[validate(length(min = 1, max = 200))]
    pub filename: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct MappingInput {
    /// Per column: a lead field or null.
    #[validate(length(max = 200))]
    pub mapping: Vec<Option<String>>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct RunInput {
    #[validate(length(max = 200))]
    pub mapping: Vec<Option<String>>,
    pub dedupe: Dedupe,
    pub key: DedupeKey,
}

fn check_mapping(mapping: &[Option<String>], columns: usize) -> ApiResult<()> {
    if mapping.len() != columns {
        return Err(ApiError::field(
            "mapping",
            "wrong_length",
            format!("Give one entry per column ({columns})"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for f in mapping.iter().flatten() {
        if !IMPORT_FIELDS.contains(&f.as_str()) {
            return Err(ApiError::field(
                "mapping",
                "unknown_field",
                format!("No lead field {f:?}"),
            ));
        }
        if !seen.insert(f) {
            return Err(ApiError::field(
                "mapping",
                "duplicate_field",
                format!("{f} is mapped twice"),
            ));
        }
    }
    if !seen.contains(&"username".to_owned()) {
        return Err(ApiError::field(
            "mapping",
            "username_required",
            "Map a column to username",
        ));
    }
    Ok(())
}

/// Header, delimiter and the first rows of an uploaded file.
fn read_head(path: &std::path::Path) -> ApiResult<(u8, Vec<String>, Vec<csv::StringRecord>, i64)> {
    let first_line = {
        use std::io::BufRead;
        let f = std::fs::File::open(path).map_err(ApiError::internal)?;
        let mut line = String::new();
        std::io::BufReader::new(f)
            .read_line(&mut line)
            .map_err(ApiError::internal)?;
        line
    };
    let delimiter = sniff_delimiter(&first_line);
    let mut rdr = reader(path, delimiter)?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| {
            ApiError::field(
                "file",
                "invalid_csv",
                format!("Cannot read the header: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if headers.iter().all(|h| h.is_empty()) {
        return Err(ApiError::field(
            "file",
            "empty",
            "The file has no header row",
        ));
    }
    let mut head = vec![];
    let mut total = 0i64;
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {
                total += 1;
                if head.len() < PREVIEW_ROWS {
                    head.push(record.clone());
                }
            }
            Ok(false) => break,
            Err(e) => {
                return Err(ApiError::field(
                    "file",
                    "invalid_csv",
                    format!("Row {}: {e}", total + 1),
                ))
            }
        }
    }
    Ok((delimiter, headers, head, total))
}

fn preview_rows(head: &[csv::StringRecord], mapping: &[Option<String>]) -> Vec<PreviewRow> {
    head.iter()
        .enumerate()
        .map(|(i, r)| PreviewRow {
            row: i as i64 + 1,
            values: r.iter().map(str::to_owned).collect(),
            errors: map_row(r, mapping)
                .err()
                .unwrap_or_default()
                .into_iter()
                .collect(),
        })
        .collect()
}

/// Upload a CSV (the request body, `text/csv`). Answers the guessed column mapping and a validated preview.
#[utoipa::path(post, path = "/api/v1/imports", tag = "leads", params(UploadQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportPreview), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    me: CurrentUser,
    state: web::Data<AppState>,
    Params(q): Params<UploadQuery>,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let id = new_id();
    let path = file_of(&state, &id);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(ApiError::internal)?;
    }
    let mut file = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&path).map_err(ApiError::internal)?,
    );
    let mut size: u64 = 0;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(ErrorCode::BadRequest).with_cause(anyhow::anyhow!(e.to_string()))
        })?;
        size += chunk.len() as u64;
        if size > MAX_UPLOAD_BYTES {
            drop(file);
            let _ = std::fs::remove_file(&path);
            return Err(ApiError::new(ErrorCode::PayloadTooLarge));
        }
        file.write_all(&chunk).map_err(ApiError::internal)?;
    }
    file.flush().map_err(ApiError::internal)?;
    drop(file);
    if size == 0 {
        let _ = std::fs::remove_file(&path);
        return Err(ApiError::field("file", "empty", "The file is empty"));
    }
    let p = path.clone();
    let head = tokio::task::spawn_blocking(move || read_head(&p))
        .await
        .map_err(ApiError::internal)?;
    let (_, headers, head, total) = match head {
        Ok(h) => h,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
    };
    let mut used = std::collections::HashSet::new();
    let mapping: Vec<Option<String>> = headers
        .iter()
        .map(|h| guess(h).filter(|f| used.insert(*f)).map(str::to_owned))
        .collect();
    let filename = q.filename.unwrap_or_else(|| "leads.csv".into());
    let (uid, iid, fname) = (me.user.id.clone(), id.clone(), filename.clone());
    state
        .db
        .run(move |c| Import::create(c, &iid, &uid, &fname, size as i64, total))
        .await?;
    Ok(HttpResponse::Created().json(ImportPreview {
        preview: preview_rows(&head, &mapping),
        id,
        filename,
        headers,
        mapping,
        fields: IMPORT_FIELDS.iter().map(|s| s.to_string()).collect(),
        total_rows: total,
    }))
}

async fn owned(state: &AppState, me: &CurrentUser, id: String) -> ApiResult<Import> {
    let uid = me.user.id.clone();
    state
        .db
        .run(move |c| Import::find_owned(c, &uid, &id))
        .await?
        .ok_or_else(ApiError::not_found)
}

/// The preview again, with another mapping.
#[utoipa::path(post, path = "/api/v1/imports/{id}/preview", tag = "leads", params(("id" = String, Path)), request_body = MappingInput,
    responses((status = 200, body = ImportPreview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Body(b): Body<MappingInput>,
) -> ApiResult<Json<ImportPreview>> {
    let imp = owned(&state, &me, id.into_inner()).await?;
    let path = file_of(&state, &imp.id);
    let (_, headers, head, total) = tokio::task::spawn_blocking(move || read_head(&path))
        .await
        .map_err(ApiError::internal)??;
    check_mapping(&b.mapping, headers.len()).or_else(|e| {
        if e.details
            .as_ref()
            .and_then(|d| d["fields"]["mapping"][0]["code"].as_str())
            == Some("username_required")
        {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    Ok(Json(ImportPreview {
        preview: preview_rows(&head, &b.mapping),
        id: imp.id,
        filename: imp.filename,
        headers,
        mapping: b.mapping,
        fields: IMPORT_FIELDS.iter().map(|s| s.to_string()).collect(),
        total_rows: total,
    }))
}

/// Start (or resume) the import in the background; poll `GET /api/v1/imports/{id}` for progress.
#[utoipa::path(post, path = "/api/v1/imports/{id}/run", tag = "leads", params(("id" = String, Path)), request_body = RunInput,
    responses((status = 202, body = ImportStatus), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn run(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Body(b): Body<RunInput>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let imp = owned(&state, &me, id.into_inner()).await?;
    let path = file_of(&state, &imp.id);
    let p = path.clone();
    let (delimiter, headers, _, _) = tokio::task::spawn_blocking(move || read_head(&p))
        .await
        .map_err(ApiError::internal)??;
    check_mapping(&b.mapping, headers.len())?;
    if b.dedupe == Dedupe::KeepBoth && b.key == DedupeKey::Username {
        return Err(ApiError::field(
            "dedupe",
            "keep_both_needs_email",
            "Usernames are unique: keep both works with key email",
        ));
    }
    let options = json!({ "mapping": b.mapping, "dedupe": b.dedupe, "key": b.key });
    let iid = imp.id.clone();
    if !state
        .db
        .run(move |c| Import::start(c, &iid, &options))
        .await?
    {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "This import is running or finished.",
        ));
    }
    let (db, owner, iid, counts) = (
        state.db.clone(),
        me.user.id.clone(),
        imp.id.clone(),
        state.counts.clone(),
    );
    tokio::task::spawn_blocking(move || {
        let result = db.get().and_then(|mut conn| {
            leadgen_db::conn::bulk_mode(&mut conn, true)?;
            let job = Job {
                db: &db,
                counts: &counts,
                owner: &owner,
                id: &iid,
                path: &path,
                delimiter,
                mapping: &b.mapping,
                dedupe: b.dedupe,
                key: b.key,
            };
            let result = process(&mut conn, &job);
            leadgen_db::conn::bulk_mode(&mut conn, false)?;
            result
        });
        let status = match result {
            Ok(()) => "done",
            Err(e) => {
                tracing::error!(import = %iid, error = ?e, "import failed");
                "failed"
            }
        };
        if let Ok(mut c) = db.get() {
            if let Err(e) = Import::finish(&mut c, &iid, status) {
                tracing::error!(import = %iid, error = ?e, "could not record the import's end");
            }
        }
    });
    let iid = imp.id.clone();
    let now = state.db.run(move |c| Import::get(c, &iid)).await?;
    Ok(HttpResponse::Accepted().json(ImportStatus::from(now)))
}

/// One import run.
struct Job<'a> {
    db: &'a leadgen_db::Db,
    counts: &'a crate::leads::counts::CountCache,
    owner: &'a str,
    id: &'a str,
    path: &'a std::path::Path,
    delimiter: u8,
    mapping: &'a [Option<String>],
    dedupe: Dedupe,
    key: DedupeKey,
}

/// Rows read from the file, checked and looked up, for the writer.
struct Chunk {
    rows: Vec<(i64, LeadPatch)>,
    errors: Vec<RowError>,
    /// Rows read (good and bad).
    read: usize,
    /// The file's last row in this chunk.
    last_row: i64,
    known: Known,
}

/// The usernames (and e-mails) of chunks handed to the writer and not yet committed: a later chunk's row with
/// one of them is left for the writer to look up.
#[derive(Default)]
struct InFlight {
    chunks: std::collections::VecDeque<(usize, Vec<String>)>,
    values: std::collections::HashMap<String, usize>,
}

impl InFlight {
    fn add(&mut self, chunk: usize, values: Vec<String>) {
        for v in &values {
            *self.values.entry(v.clone()).or_default() += 1;
        }
        self.chunks.push_back((chunk, values));
    }

    /// Forgets the chunks numbered below `committed`.
    fn committed(&mut self, committed: usize) {
        while self.chunks.front().is_some_and(|(n, _)| *n < committed) {
            if let Some((_, values)) = self.chunks.pop_front() {
                for v in values {
                    if let std::collections::hash_map::Entry::Occupied(mut e) = self.values.entry(v)
                    {
                        *e.get_mut() -= 1;
                        if *e.get() == 0 {
                            e.remove();
                        }
                    }
                }
            }
        }
    }
}

/// Reads the file from the first row not yet processed (`already`), checks the rows and looks them up (on a
/// connection of its own, against committed leads), and sends them in chunks; stops when the file ends or the
/// writer stops listening. `committed`: how many chunks the writer has committed.
fn read_chunks(
    job: &Job,
    already: i64,
    committed: &AtomicUsize,
    to_writer: std::sync::mpsc::SyncSender<ApiResult<Chunk>>,
) {
    let send_err = |e: ApiError| {
        let _ = to_writer.send(Err(e));
    };
    let (mut rdr, mut conn) = match (reader(job.path, job.delimiter), job.db.get()) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(e), _) | (_, Err(e)) => return send_err(e),
    };
    let owner_key = match Lead::owner_key(&mut conn, job.owner) {
        Ok(k) => k,
        Err(e) => return send_err(e),
    };
    let mut in_flight = InFlight::default();
    let mut record = csv::StringRecord::new();
    let mut row: i64 = 0;
    for no in 0.. {
        let mut rows = Vec::with_capacity(CHUNK);
        let mut errors = vec![];
        let mut read = 0;
        while read < CHUNK {
            match rdr.read_record(&mut record) {
                Ok(true) => {
                    row += 1;
                    if row <= already {
                        continue;
                    }
                    read += 1;
                    match map_row(&record, job.mapping) {
                        Ok(p) => rows.push((row, p)),
                        Err(cells) => {
                            for (field, message) in cells {
                                errors.push(RowError {
                                    row,
                                    field: Some(field),
                                    message,
                                });
                            }
                        }
                    }
                }
                Ok(false) => break,
                Err(e) => {
                    row += 1;
                    read += 1;
                    errors.push(RowError {
                        row,
                        field: None,
                        message: format!("Not readable as CSV: {e}"),
                    });
                }
            }
        }
        if read == 0 {
            return;
        }
        // Everything in the chunks committed before this point is visible to the lookups below.
        in_flight.committed(committed.load(Ordering::Acquire));
        let known = match Known::look_up(&mut conn, owner_key, job.key, &rows, |v| {
            in_flight.values.contains_key(v)
        }) {
            Ok(k) => k,
            Err(e) => return send_err(e),
        };
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
            rows,
            errors,
            read,
            last_row: row,
            known,
        };
        if to_writer.send(Ok(chunk)).is_err() {
            return;
        }
    }
}

/// Writes one chunk in its own savepoint. When a username turns out to be taken since the reader looked (a lead
/// added meanwhile), the chunk is rolled back and written again with every lookup made here.
fn write_chunk(
    conn: &mut leadgen_db::DbConn,
    job: &Job,
    chunk: &mut Chunk,
) -> ApiResult<BatchOutcome> {
    let batch_id = format!("import:{}", job.id);
    let write = |c: &mut leadgen_db::DbConn, known: Option<Known>| {
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
    conn.batch_execute("SAVEPOINT import_chunk")?;
    let out = match write(conn, Some(std::mem::take(&mut chunk.known))) {
        Err(e) if e.code == ErrorCode::Conflict => {
            conn.batch_execute("ROLLBACK TO SAVEPOINT import_chunk")?;
            tracing::debug!(import = %job.id, "a username was taken meanwhile: chunk written again");
            write(conn, None)?
        }
        written => written?,
    };
    conn.batch_execute("RELEASE SAVEPOINT import_chunk")?;
    Ok(out)
}

/// Reads the file from the first row not yet processed and writes it: a reader thread checks and looks up the
/// rows while this one writes them, committing every `COMMIT_ROWS` rows together with the progress. On
/// PostgreSQL a third thread merges the search index's pending entries as they come (see `merge_search_index`).
fn process(conn: &mut leadgen_db::DbConn, job: &Job) -> ApiResult<()> {
    let already = Import::get(conn, job.id)?.processed;
    let committed = AtomicUsize::new(0);
    let writing = AtomicBool::new(true);
    let written = std::thread::scope(|scope| {
        let (to_writer, chunks) = std::sync::mpsc::sync_channel(1);
        let committed = &committed;
        scope.spawn(move || read_chunks(job, already, committed, to_writer));
        if conn.backend() == Backend::Postgres {
            let mut merger = job.db.get()?;
            let writing = &writing;
            scope.spawn(move || merge_search_index(&mut merger, writing));
        }
        let written = write_chunks(conn, job, already, chunks, committed);
        writing.store(false, Ordering::Relaxed);
        written
    })?;
    // A large import changes the table's statistics; refresh them for the planner.
    if written > 10_000 {
        leadgen_db::models::seed::analyze_leads(conn)?;
    }
    leadgen_db::models::seed::merge_search_index(conn)
}

/// PostgreSQL, while an import writes: merges the search index's pending entries every quarter second. The
/// importing connection lets the pending list grow (`bulk_mode`); without this it would merge it itself every
/// 256 MB, in the middle of a batch, on the writer's core (1M rows: 16,000–19,000 rows/s without, 19,600–21,300
/// with, `scripts/bench-leads`).
fn merge_search_index(conn: &mut leadgen_db::DbConn, writing: &AtomicBool) {
    while writing.load(Ordering::Relaxed) {
        if let Err(e) = leadgen_db::models::seed::merge_search_index(conn) {
            tracing::warn!(error = ?e, "could not merge the search index's pending entries");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// Takes the reader's chunks and writes them, `COMMIT_ROWS` rows a transaction; the number of rows written.
fn write_chunks(
    conn: &mut leadgen_db::DbConn,
    job: &Job,
    already: i64,
    chunks: std::sync::mpsc::Receiver<ApiResult<Chunk>>,
    committed: &AtomicUsize,
) -> ApiResult<i64> {
    let mut written: i64 = 0;
    let mut chunks_done = 0;
    // Waits for the first chunk of a commit outside the transaction.
    while let Ok(first) = chunks.recv() {
        let started = std::time::Instant::now();
        let mut next = Some(first?);
        let mut in_commit = 0;
        let mut in_commit_chunks = 0;
        let mut last_row = already;
        write_tx(conn, |c| {
            let mut out = BatchOutcome::default();
            let mut failed_rows = 0;
            while let Some(mut chunk) = next.take() {
                in_commit += chunk.read;
                in_commit_chunks += 1;
                last_row = chunk.last_row;
                let bad_rows: std::collections::HashSet<i64> =
                    chunk.errors.iter().map(|e| e.row).collect();
                let mut o = write_chunk(c, job, &mut chunk)?;
                failed_rows += (bad_rows.len() + o.errors.len()) as i64;
                out.inserted += o.inserted;
                out.updated += o.updated;
                out.skipped += o.skipped;
                out.errors.extend(chunk.errors);
                out.errors.append(&mut o.errors);
                if in_commit < COMMIT_ROWS {
                    next = chunks.recv().ok().transpose()?;
                }
            }
            out.errors.sort_by_key(|e| e.row);
            Import::advance(c, job.id, last_row, &out, failed_rows)
        })?;
        chunks_done += in_commit_chunks;
        committed.store(chunks_done, Ordering::Release);
        job.counts.invalidate(job.owner);
        tracing::debug!(import = %job.id, rows = last_row, ms = started.elapsed().as_millis() as u64, "import batch committed");
        if written == 0 && in_commit >= COMMIT_ROWS && conn.backend() == Backend::Postgres {
            // PostgreSQL plans the next batches' duplicate lookups from its statistics. A workspace that was
            // empty (or small) when last analysed looks like a few rows, and the planner then walks all of the
            // owner's leads for every lookup instead of probing the (owner, username) index: quadratic in the
            // file's size.
            leadgen_db::models::seed::analyze_leads(conn)?;
        }
        written += in_commit as i64;
    }
    Ok(written)
}

/// An import's progress and report.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "leads", params(("id" = String, Path)),
    responses((status = 200, body = ImportStatus), (status = 404, body = ErrorBody)))]
pub async fn status(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<ImportStatus>> {
    Ok(Json(owned(&state, &me, id.into_inner()).await?.into()))
}
