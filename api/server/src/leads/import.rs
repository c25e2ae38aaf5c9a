//! CSV import: the upload is streamed to the data directory; the header is mapped to lead fields (guessed from
//! the names, editable); a preview validates the first rows cell by cell; the run writes the rows in the
//! background (`import_run`), each part committed with its progress, so an interrupted import resumes where it
//! stopped.

use crate::extract::{Body, Params};
use crate::identity::dto::utc;
use crate::identity::extract::CurrentUser;
use crate::leads::csv_cells;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::web::{self, Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use leadgen_core::error::ErrorBody;
use leadgen_core::{text, ApiError, ApiResult, ErrorCode};
use leadgen_db::models::import::{Dedupe, DedupeKey, Import, RowError, CANCELLABLE, CANCELLED};
use leadgen_db::models::job::RUNNING;
use leadgen_db::models::lead::LeadPatch;
use leadgen_db::{new_id, DbConn};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
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
/// Uploads larger than this are refused.
pub const MAX_UPLOAD_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// An uploaded file not imported (or resumed) within this many hours of its upload is removed.
pub const KEEP_UPLOADS_HOURS: u64 = 24;

fn uploads_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("imports")
}

fn file_of(state: &AppState, id: &str) -> PathBuf {
    file_in(&state.settings.data_dir, id)
}

/// Where an upload is kept under the data directory.
pub fn file_in(data_dir: &std::path::Path, id: &str) -> PathBuf {
    uploads_dir(data_dir).join(format!("{id}.csv"))
}

pub(crate) fn remove_upload(path: &std::path::Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "could not remove an uploaded file")
        }
    }
}

/// Removes uploaded files nothing needs any more: those of imports not run (or resumed) within
/// `KEEP_UPLOADS_HOURS` of their upload, and files no import keeps (an upload cut off, a removal that failed)
/// older than that, as of `now`. Runs as the periodic job `leads.sweep_uploads` (`sweep_job`); answers how many
/// files went.
pub fn sweep_uploads(
    conn: &mut DbConn,
    data_dir: &std::path::Path,
    now: chrono::NaiveDateTime,
) -> ApiResult<usize> {
    let dir = uploads_dir(data_dir);
    let cutoff = upload_cutoff(now);
    let mut removed = 0;
    for id in Import::abandoned_files(conn, cutoff)? {
        remove_upload(&dir.join(format!("{id}.csv")));
        Import::file_removed(conn, &id)?;
        removed += 1;
    }
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(removed);
    };
    let old = std::time::UNIX_EPOCH
        + std::time::Duration::from_micros(
            u64::try_from(cutoff.and_utc().timestamp_micros()).unwrap_or(0),
        );
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < old);
        if !stale {
            continue;
        }
        let name = entry.file_name();
        let id = name.to_string_lossy();
        let id = id.split('.').next().unwrap_or_default();
        let kept = Import::find(conn, id)?.is_some_and(|i| i.file_removed_at.is_none());
        if !kept {
            remove_upload(&entry.path());
            removed += 1;
        }
    }
    Ok(removed)
}

/// Uploads made before this (and not running) are not needed any more.
pub fn upload_cutoff(now: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    now - chrono::Duration::hours(KEEP_UPLOADS_HOURS as i64)
}

/// `41 bytes`, `1.5 MB`, `5.0 GB`.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

fn over_quota(quota: u64, stored: u64) -> ApiError {
    ApiError::msg(
        ErrorCode::PayloadTooLarge,
        format!(
            "Uploads waiting to be imported may take {} per user; yours take {} and this file does not fit. \
             Run or finish those imports first (a file is removed when its import ends, or a day after its upload).",
            human_bytes(quota),
            human_bytes(stored)
        ),
    )
    .with_details(json!({ "quota_bytes": quota, "stored_bytes": stored }))
}

fn not_text(place: &str) -> ApiError {
    ApiError::field(
        "file",
        "encoding",
        format!(
            "{place} is not UTF-8 text. Save the file as UTF-8 (or UTF-16 with a byte-order mark) and upload it again."
        ),
    )
}

/// A file that starts with a UTF-16 byte-order mark (Excel's "Unicode text") is rewritten as UTF-8, streaming;
/// answers the file's size afterwards. Other files are left as they are (`read_head` checks they are UTF-8).
fn decode_utf16(path: &std::path::Path, size: u64) -> ApiResult<u64> {
    use std::io::{BufRead, Read};
    let mut input = std::io::BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(path).map_err(ApiError::internal)?,
    );
    let big_endian = match input.fill_buf().map_err(ApiError::internal)? {
        [0xFF, 0xFE, ..] => false,
        [0xFE, 0xFF, ..] => true,
        _ => return Ok(size),
    };
    input.consume(2);
    let invalid = || {
        ApiError::field(
            "file",
            "encoding",
            "The file starts like UTF-16 (a byte-order mark) but is not valid UTF-16. Save it as UTF-8 (or UTF-16 with a byte-order mark) and upload it again.",
        )
    };
    let tmp = path.with_extension("csv.utf8");
    let mut out = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&tmp).map_err(ApiError::internal)?,
    );
    let result = (|| {
        let mut buf = vec![0u8; 1 << 20];
        let mut odd: Option<u8> = None;
        let mut units: Vec<u16> = Vec::with_capacity(buf.len() / 2 + 1);
        let mut text = String::with_capacity(buf.len() * 2);
        loop {
            let n = input.read(&mut buf).map_err(ApiError::internal)?;
            if n == 0 {
                // A byte or a surrogate left over has no partner.
                return if odd.is_none() && units.is_empty() {
                    Ok(())
                } else {
                    Err(invalid())
                };
            }
            let mut bytes: Vec<u8> = odd
                .take()
                .into_iter()
                .chain(buf[..n].iter().copied())
                .collect();
            if bytes.len() % 2 == 1 {
                odd = bytes.pop();
            }
            units.extend(bytes.chunks_exact(2).map(|p| {
                if big_endian {
                    u16::from_be_bytes([p[0], p[1]])
                } else {
                    u16::from_le_bytes([p[0], p[1]])
                }
            }));
            // A high surrogate at the end waits for its partner in the next read.
            let tail = match units.last() {
                Some(u) if (0xD800..0xDC00).contains(u) => units.pop(),
                _ => None,
            };
            text.clear();
            for c in char::decode_utf16(units.drain(..)) {
                text.push(c.map_err(|_| invalid())?);
            }
            out.write_all(text.as_bytes()).map_err(ApiError::internal)?;
            units.extend(tail);
        }
    })();
    let result = result.and_then(|()| out.flush().map_err(ApiError::internal));
    drop(out);
    if let Err(e) = result {
        remove_upload(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(ApiError::internal)?;
    Ok(std::fs::metadata(path).map_err(ApiError::internal)?.len())
}

/// The field a header names, by common spellings (English and German). Compared lowercased, umlauts spelt out
/// (`ä` → `ae`, `ß` → `ss`) and with everything but letters and digits dropped: "Vollständiger Name" and
/// "vollstaendiger_name" are both `vollstaendigername`.
pub fn guess(header: &str) -> Option<&'static str> {
    let mut h = String::new();
    for c in header.to_lowercase().chars() {
        match c {
            'ä' => h.push_str("ae"),
            'ö' => h.push_str("oe"),
            'ü' => h.push_str("ue"),
            'ß' => h.push_str("ss"),
            c if c.is_alphanumeric() => h.push(c),
            _ => {}
        }
    }
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
                "nutzername",
                "benutzer",
                "instagramname",
                "instagramhandle",
                "instagramkonto",
                "konto",
                "profilname",
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
                "vollstaendigername",
                "anzeigename",
                "klarname",
                "vorundnachname",
                "kontaktname",
                "ownerfullname",
            ],
        ),
        (
            "biography",
            &[
                "biography",
                "bio",
                "description",
                "beschreibung",
                "biografie",
                "biographie",
                "profiltext",
            ],
        ),
        (
            "followers",
            &[
                "followers",
                "follower",
                "followerscount",
                "followercount",
                "abonnenten",
                "followeranzahl",
                "anzahlfollower",
                "abonnentenzahl",
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
                "gefolgt",
                "folgt",
            ],
        ),
        (
            "posts",
            &[
                "posts",
                "postscount",
                "mediacount",
                "beitraege",
                "anzahlbeitraege",
            ],
        ),
        (
            "is_business",
            &[
                "isbusiness",
                "business",
                "isbusinessaccount",
                "businessaccount",
                "unternehmenskonto",
                "geschaeftskonto",
                "firmenkonto",
            ],
        ),
        (
            "business_category",
            &[
                "businesscategory",
                "category",
                "businesscategoryname",
                "kategorie",
                "branche",
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
                "mailadresse",
            ],
        ),
        (
            "phone",
            &[
                "phone",
                "phonenumber",
                "telefon",
                "telefonnummer",
                "tel",
                "handy",
                "handynummer",
                "mobil",
                "mobilnummer",
                "businessphonenumber",
                "contactphonenumber",
            ],
        ),
        (
            "website",
            &[
                "website",
                "url",
                "externalurl",
                "link",
                "webseite",
                "homepage",
                "internetseite",
            ],
        ),
        (
            "source_hashtag",
            &[
                "sourcehashtag",
                "hashtag",
                "source",
                "quellhashtag",
                "quelle",
            ],
        ),
        ("status", &["status"]),
        (
            "tags",
            &[
                "tags",
                "labels",
                "schlagwoerter",
                "stichwoerter",
                "etiketten",
            ],
        ),
        (
            "notes",
            &[
                "notes",
                "notizen",
                "notiz",
                "note",
                "comment",
                "bemerkung",
                "bemerkungen",
                "anmerkungen",
                "kommentar",
            ],
        ),
        ("email_subject", &["emailsubject", "subject", "betreff"]),
        ("email_body", &["emailbody", "body", "message", "nachricht"]),
    ];
    table
        .iter()
        .find(|(_, names)| names.contains(&h.as_str()))
        .map(|(f, _)| *f)
}

#[cfg(test)]
mod guess_tests {
    use super::guess;

    #[test]
    fn common_german_headers_are_guessed() {
        for (header, field) in [
            ("Vollständiger Name", "full_name"),
            ("vollstaendiger_name", "full_name"),
            ("Benutzername", "username"),
            ("Abonnenten", "followers"),
            ("Beiträge", "posts"),
            ("E-Mail-Adresse", "email"),
            ("Telefonnummer", "phone"),
            ("Webseite", "website"),
            ("Geschäftskonto", "is_business"),
            ("Branche", "business_category"),
            ("Notizen", "notes"),
        ] {
            assert_eq!(guess(header), Some(field), "{header}");
        }
        assert_eq!(guess("Lieblingsfarbe"), None);
    }
}

fn sniff_delimiter(first_line: &str) -> u8 {
    let count = |c: char| first_line.matches(c).count();
    [(',', count(',')), (';', count(';')), ('\t', count('\t'))]
        .iter()
        .max_by_key(|(_, n)| *n)
        .map(|(c, _)| *c as u8)
        .unwrap_or(b',')
}

pub(crate) fn reader(
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
        // Spaces around a cell go; a `'` the export put before a formula-like value goes too (`csv_cells`).
        let cell = csv_cells::restore(text::trim(record.get(i).unwrap_or("")));
        if cell.is_empty() {
            continue;
        }
        if let Some(c) = text::forbidden_control(cell) {
            errors.push((field.clone(), text::control_message(c)));
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
    /// What running with this mapping would do, counted over the whole file by username (null while no column
    /// is mapped to username).
    pub check: Option<ImportCheck>,
}

/// The whole file checked before the run: how many rows will fail, repeat, or match a lead you have.
#[derive(Serialize, ToSchema, Default, Debug)]
pub struct ImportCheck {
    /// Rows that will fail (a bad cell, no username).
    pub bad_rows: i64,
    /// The first bad rows and why (up to 100; one entry per bad cell).
    pub bad: Vec<RowError>,
    /// Good rows whose username repeats an earlier row of the file (skipped, or filling the earlier row with
    /// `dedupe: update`).
    pub duplicates_in_file: i64,
    /// Good rows (first of their username in the file) that match one of your leads (skipped, or filling it with
    /// `dedupe: update`).
    pub existing: i64,
    /// Good rows that add a new lead.
    pub new_rows: i64,
}

/// Bad rows named in the check.
const CHECK_LISTED: usize = 100;

/// Reads the whole file through the mapping: the check without the lookup of existing leads (`existing` is 0,
/// `new_rows` counts every good first row), and those rows' usernames to look up.
fn check_file(
    path: &std::path::Path,
    delimiter: u8,
    mapping: &[Option<String>],
) -> ApiResult<(ImportCheck, Vec<String>)> {
    let mut rdr = reader(path, delimiter)?;
    let mut check = ImportCheck::default();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut firsts = vec![];
    let mut record = csv::StringRecord::new();
    let mut row = 0i64;
    while rdr.read_record(&mut record).unwrap_or(false) {
        row += 1;
        match map_row(&record, mapping) {
            Ok(patch) => {
                let Some(u) = patch.username else { continue };
                if seen.contains(&u) {
                    check.duplicates_in_file += 1;
                } else {
                    seen.insert(u.clone());
                    firsts.push(u);
                }
            }
            Err(cells) => {
                check.bad_rows += 1;
                for (field, message) in cells {
                    if check.bad.len() < CHECK_LISTED {
                        check.bad.push(RowError {
                            row,
                            field: Some(field),
                            message,
                        });
                    }
                }
            }
        }
    }
    check.new_rows = firsts.len() as i64;
    Ok((check, firsts))
}

/// The check of a file with a mapping, existing leads looked up; None without a username column.
async fn check_import(
    state: &AppState,
    owner: &str,
    path: PathBuf,
    delimiter: u8,
    mapping: Vec<Option<String>>,
) -> ApiResult<Option<ImportCheck>> {
    if !mapping.iter().flatten().any(|f| f == "username") {
        return Ok(None);
    }
    let (mut check, firsts) =
        tokio::task::spawn_blocking(move || check_file(&path, delimiter, &mapping))
            .await
            .map_err(ApiError::internal)??;
    let uid = owner.to_owned();
    let existing = state
        .db
        .run(move |c| Import::count_existing_usernames(c, &uid, &firsts))
        .await?;
    check.existing = existing;
    check.new_rows -= existing;
    Ok(Some(check))
}

/// Where an import stands; `interrupted`: cut off by a restart (run it again to resume); `cancelled`: stopped
/// by its owner (or an admin) — the rows written before the cancel stay.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    Uploaded,
    Running,
    Done,
    Failed,
    Interrupted,
    Cancelled,
}

#[derive(Serialize, ToSchema)]
pub struct ImportStatus {
    pub id: String,
    pub filename: String,
    #[schema(value_type = ImportState)]
    pub status: String,
    pub total_rows: i64,
    pub processed: i64,
    pub inserted: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
    /// Bad rows, in row order (up to 1000).
    pub errors: Vec<RowError>,
    /// Skipped rows and why, in row order (up to 1000).
    pub skipped_rows: Vec<RowError>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Import> for ImportStatus {
    fn from(i: Import) -> Self {
        ImportStatus {
            errors: serde_json::from_str(&i.errors).unwrap_or_default(),
            skipped_rows: serde_json::from_str(&i.skips).unwrap_or_default(),
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
    /// The file's name, shown in the import list.
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub filename: Option<String>,
}

/// The CSV file's bytes, as the whole request body.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct CsvFile(Vec<u8>);

/// Content types the upload takes the body as: the file itself, never a multipart form.
const UPLOAD_CONTENT_TYPES: &[&str] = &["text/csv", "application/octet-stream"];

fn check_upload_content_type(req: &HttpRequest) -> ApiResult<()> {
    let essence = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .map(|ct| ct.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if UPLOAD_CONTENT_TYPES.contains(&essence.as_str()) {
        Ok(())
    } else {
        Err(ApiError::msg(
            ErrorCode::UnsupportedMediaType,
            "Send the CSV file itself as the body, with Content-Type text/csv or application/octet-stream.",
        ))
    }
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct MappingInput {
    /// Per column: a lead field or null.
    #[validate(length(max = 200))]
    #[schema(max_items = 200)]
    pub mapping: Vec<Option<String>>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct RunInput {
    #[validate(length(max = 200))]
    #[schema(max_items = 200)]
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

/// A CSV error while reading `place`: the file is not UTF-8 text, or not readable as CSV.
fn csv_error(place: &str, e: &csv::Error) -> ApiError {
    if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
        not_text(place)
    } else {
        ApiError::field("file", "invalid_csv", format!("{place}: {e}"))
    }
}

/// Header, delimiter and the first rows of an uploaded file (checked to be UTF-8 CSV to its end).
pub(crate) fn read_head(
    path: &std::path::Path,
) -> ApiResult<(u8, Vec<String>, Vec<csv::StringRecord>, i64)> {
    let first_line = {
        use std::io::BufRead;
        let f = std::fs::File::open(path).map_err(ApiError::internal)?;
        let mut line = vec![];
        std::io::BufReader::new(f)
            .read_until(b'\n', &mut line)
            .map_err(ApiError::internal)?;
        // NUL bytes in the header are UTF-16 without its byte-order mark (or not text at all).
        if line.contains(&0) {
            return Err(not_text("The header row"));
        }
        String::from_utf8(line).map_err(|_| not_text("The header row"))?
    };
    let delimiter = sniff_delimiter(&first_line);
    let mut rdr = reader(path, delimiter)?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_error("The header row", &e))?
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
            Err(e) => return Err(csv_error(&format!("Row {}", total + 1), &e)),
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

/// Upload a CSV (the request body, `text/csv` or `application/octet-stream`; not a multipart form). Answers the
/// guessed column mapping and a validated preview.
#[utoipa::path(post, path = "/api/v1/imports", operation_id = "upload_import", tag = "leads", params(UploadQuery),
    request_body(description = "The CSV file (UTF-8; comma, semicolon or tab separated; a header row)",
        content((CsvFile = "text/csv"), (CsvFile = "application/octet-stream"))),
    responses((status = 201, body = ImportPreview),
        (status = 413, body = ErrorBody, description = "The file is larger than 2 GiB, or your files waiting to be imported would pass the upload quota (`payload_too_large`)"),
        (status = 415, body = ErrorBody, description = "The body is not sent as `text/csv` or `application/octet-stream` (`unsupported_media_type`)"),
        (status = 422, body = ErrorBody, description = "The file is empty, not UTF-8 (or UTF-16 with a byte-order mark) text, or not a CSV with a header row (`validation_failed`)")))]
pub async fn upload(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    Params(q): Params<UploadQuery>,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    check_upload_content_type(&req)?;
    // Files not needed any more (removed by the next sweep) do not count.
    let (uid, cutoff) = (me.user.id.clone(), upload_cutoff(state.clock.now()));
    let stored = state
        .db
        .run(move |c| Import::stored_bytes(c, &uid, cutoff))
        .await?;
    let stored = u64::try_from(stored).unwrap_or(0);
    let quota = state.settings.upload_quota_bytes;
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
        let refused = match chunk {
            Err(e) => Some(
                ApiError::new(ErrorCode::BadRequest).with_cause(anyhow::anyhow!(e.to_string())),
            ),
            Ok(chunk) => {
                size += chunk.len() as u64;
                if size > MAX_UPLOAD_BYTES {
                    Some(ApiError::new(ErrorCode::PayloadTooLarge))
                } else if stored + size > quota {
                    Some(over_quota(quota, stored))
                } else {
                    file.write_all(&chunk).err().map(ApiError::internal)
                }
            }
        };
        if let Some(e) = refused {
            drop(file);
            remove_upload(&path);
            return Err(e);
        }
    }
    file.flush().map_err(ApiError::internal)?;
    drop(file);
    if size == 0 {
        remove_upload(&path);
        return Err(ApiError::field("file", "empty", "The file is empty"));
    }
    let p = path.clone();
    let head = tokio::task::spawn_blocking(move || {
        let size = decode_utf16(&p, size)?;
        if stored + size > quota {
            return Err(over_quota(quota, stored));
        }
        read_head(&p).map(|head| (size, head))
    })
    .await
    .map_err(ApiError::internal)?;
    let (size, (delimiter, headers, head, total)) = match head {
        Ok(h) => h,
        Err(e) => {
            remove_upload(&path);
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
    let check = check_import(&state, &me.user.id, path, delimiter, mapping.clone()).await?;
    Ok(HttpResponse::Created().json(ImportPreview {
        check,
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

/// An import whose file is still stored (for a preview or a run).
async fn with_file(state: &AppState, me: &CurrentUser, id: String) -> ApiResult<Import> {
    let imp = owned(state, me, id).await?;
    if imp.file_removed_at.is_none() {
        return Ok(imp);
    }
    Err(ApiError::msg(
        ErrorCode::Conflict,
        match imp.status.as_str() {
            "done" | "failed" | "cancelled" => "This import has ended and its file was removed.",
            _ => "This upload was not imported within a day, so its file was removed: upload it again.",
        },
    ))
}

/// The preview again, with another mapping.
#[utoipa::path(post, path = "/api/v1/imports/{id}/preview", operation_id = "preview_import", tag = "leads", params(("id" = String, Path)), request_body = MappingInput,
    responses((status = 200, body = ImportPreview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Body(b): Body<MappingInput>,
) -> ApiResult<Json<ImportPreview>> {
    let imp = with_file(&state, &me, id.into_inner()).await?;
    let path = file_of(&state, &imp.id);
    let p = path.clone();
    let (delimiter, headers, head, total) = tokio::task::spawn_blocking(move || read_head(&p))
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
    let check = check_import(&state, &me.user.id, path, delimiter, b.mapping.clone()).await?;
    Ok(Json(ImportPreview {
        check,
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
#[utoipa::path(post, path = "/api/v1/imports/{id}/run", operation_id = "run_import", tag = "leads", params(("id" = String, Path)), request_body = RunInput,
    responses((status = 202, body = ImportStatus), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn run(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Body(b): Body<RunInput>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let imp = with_file(&state, &me, id.into_inner()).await?;
    let path = file_of(&state, &imp.id);
    let (_, headers, _, _) = tokio::task::spawn_blocking(move || read_head(&path))
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
    let (iid, owner, jobs) = (imp.id.clone(), me.user.id.clone(), state.jobs.clone());
    // The import is marked running and its job enqueued together: a crash or restart resumes it by itself.
    let started = state
        .db
        .run(move |c| {
            leadgen_db::write_tx(c, |c| {
                if !Import::start(c, &iid, &options)? {
                    return Ok(false);
                }
                jobs.enqueue(c, &crate::leads::import_job::new_job(&owner, &iid))?;
                Ok(true)
            })
        })
        .await?;
    if !started {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "This import is running or finished.",
        ));
    }
    let iid = imp.id.clone();
    let now = state.db.run(move |c| Import::get(c, &iid)).await?;
    Ok(HttpResponse::Accepted().json(ImportStatus::from(now)))
}

/// Cancel an import that has not ended (uploaded, running or interrupted). It shows `cancelled` at once; a
/// running import stops at its next commit and keeps the rows already written. Its file is removed.
#[utoipa::path(post, path = "/api/v1/imports/{id}/cancel", operation_id = "cancel_import", tag = "leads", params(("id" = String, Path)),
    responses((status = 200, body = ImportStatus), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The import has already ended (done, failed or cancelled)")))]
pub async fn cancel(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<ImportStatus>> {
    me.require_writer()?;
    let imp = owned(&state, &me, id.into_inner()).await?;
    let ended = || {
        ApiError::msg(
            ErrorCode::Conflict,
            format!("This import has already ended ({}).", imp.status),
        )
    };
    if !CANCELLABLE.contains(&imp.status.as_str()) {
        return Err(ended());
    }
    // Its job, running here, is told first (no database write): on SQLite the import holds the write lock
    // for its parts, and makes way for the cancel only once told.
    let iid = imp.id.clone();
    let job = state
        .db
        .run(move |c| crate::leads::import_job::job_of(c, &iid))
        .await?;
    let told = job.is_some_and(|j| j.state == RUNNING && state.jobs.stop_running(&j.id));
    let (iid, now) = (imp.id.clone(), state.clock.now());
    let imp = state
        .db
        .run(move |c| {
            leadgen_db::write_tx(c, |c| {
                if crate::leads::import_job::cancel(c, &iid, now)? {
                    return Import::get(c, &iid);
                }
                // Told to stop, the job may have cancelled its import already.
                let now = Import::get(c, &iid)?;
                match told && now.status == CANCELLED {
                    true => Ok(now),
                    false => Err(ApiError::msg(
                        ErrorCode::Conflict,
                        format!("This import has already ended ({}).", now.status),
                    )),
                }
            })
        })
        .await?;
    // A running job may still read the file: it keeps reading what it opened, and stops at its next commit.
    remove_upload(&file_of(&state, &imp.id));
    Ok(Json(imp.into()))
}

/// An import's progress and report.
#[utoipa::path(get, path = "/api/v1/imports/{id}", operation_id = "get_import", tag = "leads", params(("id" = String, Path)),
    responses((status = 200, body = ImportStatus), (status = 404, body = ErrorBody)))]
pub async fn status(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<ImportStatus>> {
    Ok(Json(owned(&state, &me, id.into_inner()).await?.into()))
}
