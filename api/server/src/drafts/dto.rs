use crate::identity::dto::utc;
use chrono::{DateTime, Utc};
use leadgen_db::models::draft::{DraftFacets, DraftRow, REVIEW_MAX, STATUSES};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

/// An e-mail draft with its lead and product.
#[derive(Serialize, ToSchema)]
pub struct DraftDto {
    pub id: String,
    pub lead_id: String,
    pub username: String,
    pub full_name: Option<String>,
    pub email: Option<String>,
    /// The processing session that wrote it; none for drafts written outside a session.
    pub session_id: Option<String>,
    pub product_id: String,
    pub product_name: String,
    /// The system prompt rendered and its version; none when the built-in prompt was used.
    pub prompt_id: Option<String>,
    pub prompt_version: Option<i32>,
    pub model: String,
    /// The language it was written in (the product's `language` variable, German by default).
    pub language: String,
    pub subject: String,
    pub body: String,
    /// pending (waiting for review), approved (waits for sending), rejected, sent
    pub status: String,
    /// The wish the last regeneration was asked with.
    pub instruction: Option<String>,
    /// Tokens and cost of the last generation.
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_usd: f64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<DraftRow> for DraftDto {
    fn from(r: DraftRow) -> Self {
        let d = r.draft;
        DraftDto {
            id: d.id,
            lead_id: d.lead_id,
            username: r.username,
            full_name: r.full_name,
            email: r.email,
            session_id: d.session_id,
            product_id: d.product_id,
            product_name: r.product_name,
            prompt_id: d.prompt_id,
            prompt_version: d.prompt_version,
            model: d.model,
            language: d.language,
            subject: d.subject,
            body: d.body,
            status: d.status,
            instruction: d.instruction,
            prompt_tokens: d.prompt_tokens,
            completion_tokens: d.completion_tokens,
            cost_usd: d.cost_usd,
            created_at: utc(d.created_at),
            updated_at: utc(d.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DraftPage {
    pub items: Vec<DraftDto>,
    /// All drafts that match the filters.
    pub total: i64,
}

fn valid_status(s: &str) -> Result<(), ValidationError> {
    if STATUSES.contains(&s) {
        Ok(())
    } else {
        let mut e = ValidationError::new("invalid_status");
        e.message = Some(format!("One of {}.", STATUSES.join(", ")).into());
        Err(e)
    }
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DraftQuery {
    /// Drafts written by this processing session.
    #[validate(length(max = 64))]
    #[param(max_length = 64)]
    pub session_id: Option<String>,
    #[validate(length(max = 64))]
    #[param(max_length = 64)]
    pub product_id: Option<String>,
    /// Drafts written from this version of the system prompt.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub prompt_version: Option<i32>,
    /// pending, approved, rejected or sent
    #[validate(custom(function = "valid_status"))]
    pub status: Option<String>,
    /// 1–500 (default 50).
    #[validate(range(min = 1, max = 500))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[validate(range(min = 0))]
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// Subject and/or body; each, when given, must not be empty.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftPatch {
    #[validate(custom(function = "not_blank"), length(max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub subject: Option<String>,
    #[validate(custom(function = "not_blank"), length(max = 50000))]
    #[schema(min_length = 1, max_length = 50000)]
    pub body: Option<String>,
}

fn not_blank(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() {
        let mut e = ValidationError::new("required");
        e.message = Some("Must not be empty.".into());
        Err(e)
    } else {
        Ok(())
    }
}

fn ids_ok(ids: &[String]) -> Result<(), ValidationError> {
    if ids.is_empty() || ids.len() > REVIEW_MAX {
        let mut e = ValidationError::new("length");
        e.message = Some(format!("Name 1 to {REVIEW_MAX} drafts.").into());
        return Err(e);
    }
    if ids.iter().any(|i| i.is_empty() || i.len() > 64) {
        let mut e = ValidationError::new("invalid_id");
        e.message = Some("Each id is 1-64 characters.".into());
        return Err(e);
    }
    Ok(())
}

/// Drafts to approve or reject (yours; others are left out).
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftIds {
    #[validate(custom(function = "ids_ok"))]
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewOutcome {
    /// Drafts whose status changed (ids not yours, already in that status, or sent are not counted).
    pub updated: usize,
}

#[derive(Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RegenerateRequest {
    /// What to do differently ("shorter", "mention the discount"); sent to the model with the prompt.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub instruction: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionFacet {
    pub session_id: String,
    pub drafts: i64,
    /// When its latest draft was written.
    pub latest_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductFacet {
    pub product_id: String,
    pub product_name: String,
    pub drafts: i64,
}

/// What the review queue's filters can choose from (values with at least one draft shown).
#[derive(Serialize, ToSchema)]
pub struct DraftFacetsDto {
    /// Newest first.
    pub sessions: Vec<SessionFacet>,
    pub products: Vec<ProductFacet>,
    pub prompt_versions: Vec<VersionFacet>,
    pub statuses: Vec<StatusFacet>,
}

#[derive(Serialize, ToSchema)]
pub struct VersionFacet {
    pub prompt_version: i32,
    pub drafts: i64,
}

#[derive(Serialize, ToSchema)]
pub struct StatusFacet {
    pub status: String,
    pub drafts: i64,
}

impl From<DraftFacets> for DraftFacetsDto {
    fn from(f: DraftFacets) -> Self {
        DraftFacetsDto {
            sessions: f
                .sessions
                .into_iter()
                .map(|(session_id, drafts, at)| SessionFacet {
                    session_id,
                    drafts,
                    latest_at: utc(at),
                })
                .collect(),
            products: f
                .products
                .into_iter()
                .map(|(product_id, product_name, drafts)| ProductFacet {
                    product_id,
                    product_name,
                    drafts,
                })
                .collect(),
            prompt_versions: f
                .prompt_versions
                .into_iter()
                .map(|(prompt_version, drafts)| VersionFacet {
                    prompt_version,
                    drafts,
                })
                .collect(),
            statuses: f
                .statuses
                .into_iter()
                .map(|(status, drafts)| StatusFacet { status, drafts })
                .collect(),
        }
    }
}
