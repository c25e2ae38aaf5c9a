use crate::extract::{Body, Params};
use crate::identity::extract::CurrentUser;
use crate::prompts::dto::*;
use crate::prompts::engine::{self, Names};
use crate::state::AppState;
use actix_web::web::{self, Json, Path};
use actix_web::HttpResponse;
use leadgen_core::error::ErrorBody;
use leadgen_core::{ApiError, ApiResult};
use leadgen_db::models::lead::Lead;
use leadgen_db::models::product::{Product, PromptVersion, SystemPrompt};
use leadgen_db::{write_tx, DbConn};
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

fn clean(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The products whose variables a prompt may use: its own product, or all of the owner's for the default prompt.
fn names_for(c: &mut DbConn, owner: &str, product_id: Option<&str>) -> ApiResult<Names> {
    let products = match product_id {
        Some(pid) => vec![Product::find_owned(c, owner, pid)?
            .ok_or_else(|| ApiError::field("product_id", "unknown_product", "No such product"))?],
        None => Product::list(c, owner)?,
    };
    Ok(Names::for_products(&products))
}

/// Your products.
#[utoipa::path(get, path = "/api/v1/products", tag = "prompts", responses((status = 200, body = Vec<ProductDto>)))]
pub async fn list_products(
    me: CurrentUser,
    state: web::Data<AppState>,
) -> ApiResult<Json<Vec<ProductDto>>> {
    let uid = me.user.id.clone();
    Ok(Json(
        state
            .db
            .run(move |c| Product::list(c, &uid))
            .await?
            .into_iter()
            .map(ProductDto::from)
            .collect(),
    ))
}

/// Add a product with its variables.
#[utoipa::path(post, path = "/api/v1/products", tag = "prompts", request_body = ProductInput,
    responses((status = 201, body = ProductDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_product(
    me: CurrentUser,
    state: web::Data<AppState>,
    Body(b): Body<ProductInput>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let uid = me.user.id.clone();
    let p = state
        .db
        .run(move |c| {
            Product::create(
                c,
                &uid,
                b.name.trim(),
                clean(b.description).as_deref(),
                &b.variables,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(ProductDto::from(p)))
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "prompts", params(("id" = String, Path)),
    responses((status = 200, body = ProductDto), (status = 404, body = ErrorBody)))]
pub async fn get_product(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<ProductDto>> {
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let p = state
        .db
        .run(move |c| Product::find_owned(c, &uid, &id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(p.into()))
}

/// Replace a product's name, description and variables.
#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "prompts", params(("id" = String, Path)), request_body = ProductInput,
    responses((status = 200, body = ProductDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "You have a product of this name (`conflict`, `details.field`)"), (status = 422, body = ErrorBody)))]
pub async fn update_product(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Body(b): Body<ProductInput>,
) -> ApiResult<Json<ProductDto>> {
    me.require_writer()?;
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let p = state
        .db
        .run(move |c| {
            Product::update(
                c,
                &uid,
                &id,
                b.name.trim(),
                clean(b.description).as_deref(),
                &b.variables,
            )
        })
        .await?;
    Ok(Json(p.into()))
}

/// Delete a product (its prompts go with it; leads keep their data and lose the link).
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "prompts", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_product(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    state.db.run(move |c| Product::delete(c, &uid, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Your system prompts (current versions).
#[utoipa::path(get, path = "/api/v1/prompts", tag = "prompts", responses((status = 200, body = Vec<PromptDto>)))]
pub async fn list_prompts(
    me: CurrentUser,
    state: web::Data<AppState>,
) -> ApiResult<Json<Vec<PromptDto>>> {
    let uid = me.user.id.clone();
    let items = state
        .db
        .run(move |c| {
            SystemPrompt::list(c, &uid)?
                .into_iter()
                .map(|p| {
                    let body = PromptVersion::get(c, &p.id, p.current_version)?.body;
                    Ok(PromptDto::of(p, body))
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(Json(items))
}

/// Add a prompt; the template is checked first (422 lists each error with line and column).
#[utoipa::path(post, path = "/api/v1/prompts", tag = "prompts", request_body = PromptInput,
    responses((status = 201, body = PromptDto), (status = 422, body = ErrorBody)))]
pub async fn create_prompt(
    me: CurrentUser,
    state: web::Data<AppState>,
    Body(b): Body<PromptInput>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let uid = me.user.id.clone();
    let p = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let pid = clean(b.product_id);
                names_for(c, &uid, pid.as_deref())?
                    .compile(&b.body)
                    .map_err(|e| engine::invalid(&e))?;
                let p = SystemPrompt::create(c, &uid, pid.as_deref(), b.name.trim(), &b.body)?;
                Ok(PromptDto::of(p, b.body))
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(p))
}

/// One prompt at its current version.
#[utoipa::path(get, path = "/api/v1/prompts/{id}", tag = "prompts", params(("id" = String, Path)),
    responses((status = 200, body = PromptDto), (status = 404, body = ErrorBody)))]
pub async fn get_prompt(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<PromptDto>> {
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let p = state
        .db
        .run(move |c| {
            let p = SystemPrompt::find_owned(c, &uid, &id)?.ok_or_else(ApiError::not_found)?;
            let body = PromptVersion::get(c, &p.id, p.current_version)?.body;
            Ok(PromptDto::of(p, body))
        })
        .await?;
    Ok(Json(p))
}

/// Save a prompt. A changed body becomes a new version; earlier versions are kept.
#[utoipa::path(put, path = "/api/v1/prompts/{id}", tag = "prompts", params(("id" = String, Path)), request_body = PromptInput,
    responses((status = 200, body = PromptDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_prompt(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
    Body(b): Body<PromptInput>,
) -> ApiResult<Json<PromptDto>> {
    me.require_writer()?;
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let p = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                SystemPrompt::find_owned(c, &uid, &id)?.ok_or_else(ApiError::not_found)?;
                let pid = clean(b.product_id);
                names_for(c, &uid, pid.as_deref())?
                    .compile(&b.body)
                    .map_err(|e| engine::invalid(&e))?;
                let p = SystemPrompt::update(c, &uid, &id, pid.as_deref(), b.name.trim(), &b.body)?;
                Ok(PromptDto::of(p, b.body))
            })
        })
        .await?;
    Ok(Json(p))
}

/// Delete a prompt and its versions.
#[utoipa::path(delete, path = "/api/v1/prompts/{id}", tag = "prompts", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_prompt(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<HttpResponse> {
    me.require_writer()?;
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    state
        .db
        .run(move |c| SystemPrompt::delete(c, &uid, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every version of a prompt, newest first.
#[utoipa::path(get, path = "/api/v1/prompts/{id}/versions", operation_id = "list_prompt_versions", tag = "prompts", params(("id" = String, Path)),
    responses((status = 200, body = Vec<PromptVersionDto>), (status = 404, body = ErrorBody)))]
pub async fn versions(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: Path<String>,
) -> ApiResult<Json<Vec<PromptVersionDto>>> {
    let (uid, id) = (me.user.id.clone(), id.into_inner());
    let list = state
        .db
        .run(move |c| {
            SystemPrompt::find_owned(c, &uid, &id)?.ok_or_else(ApiError::not_found)?;
            PromptVersion::list(c, &id)
        })
        .await?;
    Ok(Json(list.into_iter().map(PromptVersionDto::from).collect()))
}

/// Render a template on one of your leads with a product's variables, as the server will when writing emails.
#[utoipa::path(post, path = "/api/v1/prompts/preview", operation_id = "preview_prompt", tag = "prompts", request_body = PreviewRequest,
    responses((status = 200, body = PreviewResponse), (status = 404, body = ErrorBody)))]
pub async fn preview(
    me: CurrentUser,
    state: web::Data<AppState>,
    Body(b): Body<PreviewRequest>,
) -> ApiResult<Json<PreviewResponse>> {
    let uid = me.user.id.clone();
    let res = state
        .db
        .run(move |c| {
            let pid = clean(b.product_id);
            let product = match &pid {
                Some(p) => Some(Product::find_owned(c, &uid, p)?.ok_or_else(|| {
                    ApiError::field("product_id", "unknown_product", "No such product")
                })?),
                None => None,
            };
            let lead =
                match clean(b.lead_id) {
                    Some(l) => Some(Lead::find_owned(c, &uid, &l)?.ok_or_else(|| {
                        ApiError::field("lead_id", "unknown_lead", "No such lead")
                    })?),
                    None => None,
                };
            let names = names_for(c, &uid, pid.as_deref())?;
            Ok(match names.compile(&b.body) {
                Ok(t) => PreviewResponse {
                    rendered: t.render(&engine::context(lead.as_ref(), product.as_ref())),
                    errors: vec![],
                },
                Err(errors) => PreviewResponse {
                    rendered: String::new(),
                    errors,
                },
            })
        })
        .await?;
    Ok(Json(res))
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NamesQuery {
    /// The product; none for the default prompt (all your products' variables).
    #[validate(length(max = 64))]
    #[param(max_length = 64)]
    pub product_id: Option<String>,
}

/// The variables and flags a prompt may use (for the editor's insert menu).
#[utoipa::path(get, path = "/api/v1/prompts/variables", operation_id = "prompt_variables", tag = "prompts", params(NamesQuery),
    responses((status = 200, body = TemplateNames)))]
pub async fn variables(
    me: CurrentUser,
    state: web::Data<AppState>,
    Params(q): Params<NamesQuery>,
) -> ApiResult<Json<TemplateNames>> {
    let uid = me.user.id.clone();
    let names = state
        .db
        .run(move |c| names_for(c, &uid, clean(q.product_id).as_deref()))
        .await?;
    Ok(Json(TemplateNames {
        variables: names.variables,
        flags: names.flags,
    }))
}
