use crate::identity::dto::utc;
use chrono::{DateTime, Utc};
use leadgen_db::models::product::{Product, ProductVariable, PromptVersion, SystemPrompt};
use leadgen_templates::TemplateError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

static VAR_NAME: std::sync::LazyLock<regex_lite::Regex> = std::sync::LazyLock::new(|| {
    regex_lite::Regex::new(r"^[a-z][a-z0-9_]{0,39}$").unwrap_or_else(|_| unreachable!())
});

fn validate_variables(vars: &[ProductVariable]) -> Result<(), ValidationError> {
    let mut seen = std::collections::HashSet::new();
    for v in vars {
        let reserved = crate::prompts::engine::LEAD_VARIABLES.contains(&v.name.as_str())
            || crate::prompts::engine::PRODUCT_VARIABLES.contains(&v.name.as_str());
        if !VAR_NAME.is_match(&v.name)
            || v.name.ends_with("_enabled")
            || reserved
            || !seen.insert(v.name.clone())
        {
            let mut e = ValidationError::new("invalid_variable");
            e.message = Some(format!("{:?}: names are lower-case letters, digits and _, unique, not a lead field, not ending in _enabled", v.name).into());
            return Err(e);
        }
        if v.value.chars().count() > 5000 || v.label.chars().count() > 200 {
            let mut e = ValidationError::new("too_long");
            e.message = Some(
                format!(
                    "{:?}: value at most 5000 characters, label at most 200",
                    v.name
                )
                .into(),
            );
            return Err(e);
        }
    }
    if vars.len() > 50 {
        return Err(ValidationError::new("too_many"));
    }
    Ok(())
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ProductInput {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[serde(default)]
    #[validate(custom(function = "validate_variables"))]
    pub variables: Vec<ProductVariable>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductDto {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub variables: Vec<ProductVariable>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Product> for ProductDto {
    fn from(p: Product) -> Self {
        ProductDto {
            variables: p.vars(),
            id: p.id,
            name: p.name,
            description: p.description,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct PromptInput {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The product this prompt is for; none for the default prompt.
    pub product_id: Option<String>,
    /// The template: `{{variable}}` and `[IF name_enabled] … [ELSE] … [/IF]`.
    #[validate(length(min = 1, max = 50000))]
    #[schema(min_length = 1, max_length = 50000)]
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct PromptDto {
    pub id: String,
    pub name: String,
    pub product_id: Option<String>,
    pub version: i32,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PromptDto {
    pub fn of(p: SystemPrompt, body: String) -> Self {
        PromptDto {
            id: p.id,
            name: p.name,
            product_id: p.product_id,
            version: p.current_version,
            body,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PromptVersionDto {
    pub version: i32,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<PromptVersion> for PromptVersionDto {
    fn from(v: PromptVersion) -> Self {
        PromptVersionDto {
            version: v.version,
            body: v.body,
            created_at: utc(v.created_at),
        }
    }
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct PreviewRequest {
    #[validate(length(max = 50000))]
    #[schema(max_length = 50000)]
    pub body: String,
    pub product_id: Option<String>,
    /// The lead whose fields fill the template; none renders lead fields empty.
    pub lead_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewResponse {
    /// The rendered text; empty when there are errors.
    pub rendered: String,
    pub errors: Vec<TemplateError>,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateNames {
    /// Variables a prompt for this product may use as `{{name}}`.
    pub variables: Vec<String>,
    /// Flags for `[IF flag]` blocks.
    pub flags: Vec<String>,
}
