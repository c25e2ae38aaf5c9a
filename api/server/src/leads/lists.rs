//! The do-not-contact list and the hashtag↔username pairs: handlers and their shapes.

use crate::extract::{Body, Params};
use crate::identity::dto::utc;
use crate::identity::extract::CurrentUser;
use crate::leads::dto::ReadAs;
use crate::leads::routes::read_owner;
use crate::security::ClientInfo;
use crate::state::AppState;
use actix_web::web::{self, Json, Path};
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult};
use leadgen_db::models::dnc::DoNotContact;
use leadgen_db::models::hashtag::{HashtagPair, HashtagSummary};
use leadgen_db::models::lead::Lead;
use leadgen_db::{new_id, write_tx};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Serialize, ToSchema)]
pub struct DncEntry {
    pub id: String,
    #[schema(value_type = DncKind)]
    pub kind: String,
    /// Normalised: usernames without `@` and lowercased, e-mails lowercased.
    pub value: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<DoNotContact> for DncEntry {
    fn from(d: DoNotContact) -> Self {
        DncEntry {
            id: d.id,
            kind: d.kind,
            value: d.value,
            reason: d.reason,
            created_at: utc(d.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DncPage {
    pub items: Vec<DncEntry>,
    pub total: i64,
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DncQuery {
    /// Part of a username or e-mail.
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub q: Option<String>,
    #[validate(range(min = 1, max = 500))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[validate(range(min = 0))]
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// What a do-not-contact entry holds.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DncKind {
    Username,
    Email,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DncInput {
    #[schema(value_type = DncKind)]
    pub kind: String,
    #[validate(length(min = 1, max = 254))]
    #[schema(min_length = 1, max_length = 254)]
    pub value: String,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DncAdded {
    pub entry: DncEntry,
    /// Leads of yours now marked "do not contact" (one undo step).
    pub leads_marked: usize,
}

/// Your do-not-contact list.
#[utoipa::path(get, path = "/api/v1/do-not-contact", tag = "leads", params(DncQuery),
    responses((status = 200, body = DncPage), (status = 422, body = ErrorBody)))]
pub async fn list_dnc(
    me: CurrentUser,
    state: web::Data<AppState>,
    Params(q): Params<DncQuery>,
) -> ApiResult<Json<DncPage>> {
    let uid = me.user.id.clone();
    let (rows, total) = state
        .db
        .run(move |c| {
            DoNotContact::list(
                c,
                &uid,
                q.q.as_deref(),
                q.limit.unwrap_or(100),
                q.offset.unwrap_or(0),
            )
        })
        .await?;
    Ok(Json(DncPage {
        items: rows.into_iter().map(DncEntry::from).collect(),
        total,
    }))
}

/// Put a username or e-mail on the list; your matching leads become "do not contact".
#[utoipa::path(post, path = "/api/v1/do-not-contact", tag = "leads", request_body = DncInput,
    responses((status = 201, body = DncAdded), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_dnc(
    me: CurrentUser,
    state: web::Data<AppState>,
    Body(b): Body<DncInput>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let uid = me.user.id.clone();
    let (entry, marked) = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                DoNotContact::add(c, &uid, &b.kind, &b.value, b.reason.as_deref(), &new_id())
            })
        })
        .await?;
    if marked > 0 {
        state.counts.invalidate(&me.user.id);
    }
    Ok(HttpResponse::Created().json(DncAdded {
        entry: entry.into(),
        leads_marked: marked,
    }))
}

/// Take an entry off the list (leads keep their status).
#[utoipa::path(delete, path = "/api/v1/do-not-contact/{id}", tag = "leads", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_dnc(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    if !state
        .db
        .run(move |c| DoNotContact::remove(c, &uid, &id))
        .await?
    {
        return Err(ApiError::not_found());
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Most entries one bulk add takes.
pub const DNC_BULK_MAX: usize = 10_000;

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DncBulkInput {
    /// Usernames (`@` optional) and e-mail addresses, one per item; a value with `@` inside is an e-mail.
    #[validate(length(min = 1, max = 10000))]
    pub values: Vec<String>,
    /// Where the list came from: `paste` or `file`; recorded as the entries' reason.
    #[schema(inline)]
    pub source: DncSource,
    /// The file's name (with `source: file`), named in the reason.
    #[validate(length(max = 200))]
    pub filename: Option<String>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DncSource {
    Paste,
    File,
}

#[derive(Serialize, ToSchema)]
pub struct DncInvalid {
    /// The item as given.
    pub value: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct DncBulkResult {
    pub added: usize,
    /// Already on the list (left as they were).
    pub already_listed: usize,
    /// Items that are neither a username nor an e-mail address (nothing was added for them).
    pub invalid: Vec<DncInvalid>,
    /// Leads of yours now marked "do not contact" (one undo step).
    pub leads_marked: usize,
}

/// An item of a pasted or imported list: an e-mail when it has `@` after its first character, else a username.
pub fn dnc_item(raw: &str) -> Result<(String, String), String> {
    let v = raw.trim();
    let kind = if v.chars().skip(1).any(|c| c == '@') {
        "email"
    } else {
        "username"
    };
    leadgen_db::models::dnc::normalise(kind, v)
        .map(|value| (kind.to_owned(), value))
        .map_err(|e| {
            e.details
                .as_ref()
                .and_then(|d| d["fields"]["value"][0]["message"].as_str())
                .unwrap_or("Not a username or e-mail address")
                .to_owned()
        })
}

/// Put many usernames and e-mails on the list at once (pasted, or read from a file on the page); your matching
/// leads become "do not contact" in one undo step. Empty items are ignored; invalid ones are listed, the rest added.
#[utoipa::path(post, path = "/api/v1/do-not-contact/bulk", tag = "leads", request_body = DncBulkInput,
    responses((status = 200, body = DncBulkResult), (status = 422, body = ErrorBody)))]
pub async fn add_dnc_bulk(
    me: CurrentUser,
    state: web::Data<AppState>,
    Body(b): Body<DncBulkInput>,
) -> ApiResult<Json<DncBulkResult>> {
    me.require_writer()?;
    let mut entries = vec![];
    let mut invalid = vec![];
    for raw in b.values.iter().filter(|v| !v.trim().is_empty()) {
        match dnc_item(raw) {
            Ok(e) => entries.push(e),
            Err(message) => invalid.push(DncInvalid {
                value: raw.clone(),
                message,
            }),
        }
    }
    let reason = match (b.source, b.filename.as_deref().map(str::trim)) {
        (DncSource::File, Some(f)) if !f.is_empty() => {
            format!("Imported from {f} on the do-not-contact page")
        }
        (DncSource::File, _) => "Imported from a file on the do-not-contact page".to_owned(),
        (DncSource::Paste, _) => "Pasted on the do-not-contact page".to_owned(),
    };
    let uid = me.user.id.clone();
    let done = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                DoNotContact::add_many(c, &uid, &entries, &reason, &new_id())
            })
        })
        .await?;
    if done.leads_marked > 0 {
        state.counts.invalidate(&me.user.id);
    }
    Ok(Json(DncBulkResult {
        added: done.added,
        already_listed: done.already_listed,
        invalid,
        leads_marked: done.leads_marked,
    }))
}

/// Your whole do-not-contact list as CSV (`kind,value,reason,created_at`).
#[utoipa::path(get, path = "/api/v1/do-not-contact/export", tag = "leads",
    responses((status = 200, description = "The list as CSV", content_type = "text/csv", body = String)))]
pub async fn export_dnc(me: CurrentUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let uid = me.user.id.clone();
    let rows = state.db.run(move |c| DoNotContact::all(c, &uid)).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let write =
        |w: &mut csv::Writer<Vec<u8>>, r: [&str; 4]| w.write_record(r).map_err(ApiError::internal);
    write(&mut w, ["kind", "value", "reason", "created_at"])?;
    for d in &rows {
        let at = utc(d.created_at).to_rfc3339();
        write(
            &mut w,
            [&d.kind, &d.value, d.reason.as_deref().unwrap_or(""), &at],
        )?;
    }
    let body = w.into_inner().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"do-not-contact-{}.csv\"",
                Utc::now().date_naive()
            ),
        ))
        .body(body))
}

#[derive(Serialize, ToSchema)]
pub struct LeadHashtag {
    pub hashtag: String,
    pub found_at: DateTime<Utc>,
}

/// The hashtags that found this lead (oldest first).
#[utoipa::path(get, path = "/api/v1/leads/{id}/hashtags", tag = "leads", params(("id" = String, Path), ReadAs),
    responses((status = 200, body = Vec<LeadHashtag>), (status = 404, body = ErrorBody)))]
pub async fn lead_hashtags(
    me: CurrentUser,
    state: web::Data<AppState>,
    client: ClientInfo,
    id: Path<String>,
    Params(r): Params<ReadAs>,
) -> ApiResult<Json<Vec<LeadHashtag>>> {
    let uid = read_owner(&state, &me, &client, r.owner, false).await?;
    let id = id.into_inner();
    let pairs = state
        .db
        .run(move |c| {
            let lead = Lead::find_owned(c, &uid, &id)?.ok_or_else(ApiError::not_found)?;
            HashtagPair::for_username(c, &uid, &lead.username)
        })
        .await?;
    Ok(Json(
        pairs
            .into_iter()
            .map(|(hashtag, at)| LeadHashtag {
                hashtag,
                found_at: utc(at),
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct HashtagDto {
    pub hashtag: String,
    /// Distinct usernames this hashtag found.
    pub usernames: i64,
    pub last_found_at: Option<DateTime<Utc>>,
}

impl From<HashtagSummary> for HashtagDto {
    fn from(h: HashtagSummary) -> Self {
        HashtagDto {
            hashtag: h.hashtag,
            usernames: h.usernames,
            last_found_at: h.last_found_at.map(utc),
        }
    }
}

/// Your hashtags with how many usernames each found.
#[utoipa::path(get, path = "/api/v1/hashtags", tag = "leads", responses((status = 200, body = Vec<HashtagDto>)))]
pub async fn list_hashtags(
    me: CurrentUser,
    state: web::Data<AppState>,
) -> ApiResult<Json<Vec<HashtagDto>>> {
    let uid = me.user.id.clone();
    let rows = state.db.run(move |c| HashtagPair::summary(c, &uid)).await?;
    Ok(Json(rows.into_iter().map(HashtagDto::from).collect()))
}

#[derive(Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairInput {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub hashtag: String,
    #[validate(length(min = 1, max = 31))]
    #[schema(min_length = 1, max_length = 31)]
    pub username: String,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairsInput {
    #[validate(length(min = 1, max = 10000), nested)]
    #[schema(min_items = 1, max_items = 10000)]
    pub pairs: Vec<PairInput>,
}

#[derive(Serialize, ToSchema)]
pub struct PairsRecorded {
    pub recorded: usize,
}

/// Record which hashtag found which usernames (for discovery tools; known pairs keep their first date).
#[utoipa::path(post, path = "/api/v1/hashtags/pairs", tag = "leads", request_body = PairsInput,
    responses((status = 200, body = PairsRecorded), (status = 422, body = ErrorBody)))]
pub async fn record_pairs(
    me: CurrentUser,
    state: web::Data<AppState>,
    Body(b): Body<PairsInput>,
) -> ApiResult<Json<PairsRecorded>> {
    me.require_writer()?;
    let mut pairs = Vec::with_capacity(b.pairs.len());
    for (i, p) in b.pairs.into_iter().enumerate() {
        let u = leadgen_db::models::lead::normalise_username(&p.username);
        if !leadgen_db::models::lead::valid_username(&u) {
            return Err(ApiError::field(
                &format!("pairs[{i}].username"),
                "invalid_username",
                "1-30 characters: letters, digits, '.' or '_'",
            ));
        }
        pairs.push((p.hashtag, u));
    }
    let uid = me.user.id.clone();
    let recorded = state
        .db
        .run(move |c| write_tx(c, |c| HashtagPair::record(c, &uid, &pairs)))
        .await?;
    Ok(Json(PairsRecorded { recorded }))
}
