//! Products (what outreach offers) and system prompts (versioned templates, per product or the default).

use crate::conn::DbConn;
use crate::schema::{products, system_prompt_versions, system_prompts};
use crate::{new_id, now};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use leadgen_core::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};

/// A product variable: a value a prompt may use as `{{name}}`, switched on and off by the `name_enabled` flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductVariable {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub value: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    pub description: Option<String>,
    pub variables: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Product {
    pub fn vars(&self) -> Vec<ProductVariable> {
        serde_json::from_str(&self.variables).unwrap_or_default()
    }
}

fn unique_name(e: diesel::result::Error) -> ApiError {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => ApiError::conflict("name", "You already have one with this name."),
        other => other.into(),
    }
}

impl Product {
    pub fn create(
        conn: &mut DbConn,
        owner_id: &str,
        name: &str,
        description: Option<&str>,
        vars: &[ProductVariable],
    ) -> ApiResult<Product> {
        let id = new_id();
        let t = now();
        let vars = serde_json::to_string(vars).map_err(ApiError::internal)?;
        diesel::insert_into(products::table)
            .values((
                products::id.eq(&id),
                products::owner_id.eq(owner_id),
                products::name.eq(name),
                products::description.eq(description),
                products::variables.eq(vars),
                products::created_at.eq(t),
                products::updated_at.eq(t),
            ))
            .execute(conn)
            .map_err(unique_name)?;
        Ok(products::table
            .find(&id)
            .select(Product::as_select())
            .first(conn)?)
    }

    pub fn find_owned(conn: &mut DbConn, owner_id: &str, id: &str) -> ApiResult<Option<Product>> {
        Ok(products::table
            .find(id)
            .filter(products::owner_id.eq(owner_id))
            .select(Product::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn list(conn: &mut DbConn, owner_id: &str) -> ApiResult<Vec<Product>> {
        Ok(products::table
            .filter(products::owner_id.eq(owner_id))
            .order(products::name.asc())
            .select(Product::as_select())
            .load(conn)?)
    }

    pub fn update(
        conn: &mut DbConn,
        owner_id: &str,
        id: &str,
        name: &str,
        description: Option<&str>,
        vars: &[ProductVariable],
    ) -> ApiResult<Product> {
        let vars = serde_json::to_string(vars).map_err(ApiError::internal)?;
        let n = diesel::update(
            products::table
                .find(id)
                .filter(products::owner_id.eq(owner_id)),
        )
        .set((
            products::name.eq(name),
            products::description.eq(description),
            products::variables.eq(vars),
            products::updated_at.eq(now()),
        ))
        .execute(conn)
        .map_err(unique_name)?;
        if n == 0 {
            return Err(ApiError::not_found());
        }
        Ok(products::table
            .find(id)
            .select(Product::as_select())
            .first(conn)?)
    }

    pub fn delete(conn: &mut DbConn, owner_id: &str, id: &str) -> ApiResult<()> {
        let n = diesel::delete(
            products::table
                .find(id)
                .filter(products::owner_id.eq(owner_id)),
        )
        .execute(conn)?;
        if n == 0 {
            return Err(ApiError::not_found());
        }
        Ok(())
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = system_prompts)]
pub struct SystemPrompt {
    pub id: String,
    pub owner_id: String,
    pub product_id: Option<String>,
    pub name: String,
    pub current_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = system_prompt_versions)]
pub struct PromptVersion {
    pub id: String,
    pub prompt_id: String,
    pub version: i32,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub created_by: Option<String>,
}

impl SystemPrompt {
    pub fn create(
        conn: &mut DbConn,
        owner_id: &str,
        product_id: Option<&str>,
        name: &str,
        body: &str,
    ) -> ApiResult<SystemPrompt> {
        let id = new_id();
        let t = now();
        diesel::insert_into(system_prompts::table)
            .values((
                system_prompts::id.eq(&id),
                system_prompts::owner_id.eq(owner_id),
                system_prompts::product_id.eq(product_id),
                system_prompts::name.eq(name),
                system_prompts::current_version.eq(1),
                system_prompts::created_at.eq(t),
                system_prompts::updated_at.eq(t),
            ))
            .execute(conn)?;
        PromptVersion::insert(conn, &id, 1, body, owner_id)?;
        Ok(system_prompts::table
            .find(&id)
            .select(SystemPrompt::as_select())
            .first(conn)?)
    }

    pub fn find_owned(
        conn: &mut DbConn,
        owner_id: &str,
        id: &str,
    ) -> ApiResult<Option<SystemPrompt>> {
        Ok(system_prompts::table
            .find(id)
            .filter(system_prompts::owner_id.eq(owner_id))
            .select(SystemPrompt::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn list(conn: &mut DbConn, owner_id: &str) -> ApiResult<Vec<SystemPrompt>> {
        Ok(system_prompts::table
            .filter(system_prompts::owner_id.eq(owner_id))
            .order(system_prompts::name.asc())
            .select(SystemPrompt::as_select())
            .load(conn)?)
    }

    /// Saves name/product, and the body as a new version when it changed. Returns the prompt.
    pub fn update(
        conn: &mut DbConn,
        owner_id: &str,
        id: &str,
        product_id: Option<&str>,
        name: &str,
        body: &str,
    ) -> ApiResult<SystemPrompt> {
        let p = SystemPrompt::find_owned(conn, owner_id, id)?.ok_or_else(ApiError::not_found)?;
        let current = PromptVersion::get(conn, id, p.current_version)?;
        let mut version = p.current_version;
        if current.body != body {
            version += 1;
            PromptVersion::insert(conn, id, version, body, owner_id)?;
        }
        diesel::update(system_prompts::table.find(id))
            .set((
                system_prompts::product_id.eq(product_id),
                system_prompts::name.eq(name),
                system_prompts::current_version.eq(version),
                system_prompts::updated_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(system_prompts::table
            .find(id)
            .select(SystemPrompt::as_select())
            .first(conn)?)
    }

    pub fn delete(conn: &mut DbConn, owner_id: &str, id: &str) -> ApiResult<()> {
        let n = diesel::delete(
            system_prompts::table
                .find(id)
                .filter(system_prompts::owner_id.eq(owner_id)),
        )
        .execute(conn)?;
        if n == 0 {
            return Err(ApiError::not_found());
        }
        Ok(())
    }
}

impl PromptVersion {
    fn insert(
        conn: &mut DbConn,
        prompt_id: &str,
        version: i32,
        body: &str,
        by: &str,
    ) -> ApiResult<()> {
        diesel::insert_into(system_prompt_versions::table)
            .values((
                system_prompt_versions::id.eq(new_id()),
                system_prompt_versions::prompt_id.eq(prompt_id),
                system_prompt_versions::version.eq(version),
                system_prompt_versions::body.eq(body),
                system_prompt_versions::created_at.eq(now()),
                system_prompt_versions::created_by.eq(by),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn get(conn: &mut DbConn, prompt_id: &str, version: i32) -> ApiResult<PromptVersion> {
        Ok(system_prompt_versions::table
            .filter(system_prompt_versions::prompt_id.eq(prompt_id))
            .filter(system_prompt_versions::version.eq(version))
            .select(PromptVersion::as_select())
            .first(conn)?)
    }

    pub fn list(conn: &mut DbConn, prompt_id: &str) -> ApiResult<Vec<PromptVersion>> {
        Ok(system_prompt_versions::table
            .filter(system_prompt_versions::prompt_id.eq(prompt_id))
            .order(system_prompt_versions::version.desc())
            .select(PromptVersion::as_select())
            .load(conn)?)
    }
}
