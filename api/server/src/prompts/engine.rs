//! The bridge between leads/products and the template engine: which names exist, and their values.

use leadgen_core::{ApiError, ErrorCode};
use leadgen_db::models::lead::Lead;
use leadgen_db::models::product::{Product, ProductVariable};
use leadgen_templates::{Context, Schema, Template, TemplateError};
use serde_json::json;

/// Lead fields a prompt may use.
pub const LEAD_VARIABLES: &[&str] = &[
    "username",
    "full_name",
    "biography",
    "followers",
    "following",
    "posts",
    "email",
    "phone",
    "website",
    "business_category",
    "source_hashtag",
    "status",
    "notes",
];
/// Product fields a prompt may use.
pub const PRODUCT_VARIABLES: &[&str] = &["product_name", "product_description"];

/// Names known for prompts of these products (the default prompt: all the owner's products).
pub struct Names {
    pub variables: Vec<String>,
    pub flags: Vec<String>,
}

impl Names {
    pub fn for_products(products: &[Product]) -> Names {
        let mut variables: Vec<String> = LEAD_VARIABLES
            .iter()
            .chain(PRODUCT_VARIABLES)
            .map(|s| s.to_string())
            .collect();
        let mut flags = vec![];
        for p in products {
            for v in p.vars() {
                if !variables.contains(&v.name) {
                    variables.push(v.name.clone());
                }
                let flag = format!("{}_enabled", v.name);
                if !flags.contains(&flag) {
                    flags.push(flag);
                }
            }
        }
        Names { variables, flags }
    }

    pub fn compile(&self, body: &str) -> Result<Template, Vec<TemplateError>> {
        let vars: Vec<&str> = self.variables.iter().map(String::as_str).collect();
        let flags: Vec<&str> = self.flags.iter().map(String::as_str).collect();
        Template::compile(
            body,
            &Schema {
                variables: &vars,
                flags: &flags,
            },
        )
    }
}

/// A 422 listing every template error with its line and column, under the field `body`.
pub fn invalid(errors: &[TemplateError]) -> ApiError {
    let list: Vec<_> = errors
        .iter()
        .map(
            |e| json!({ "code": e.code, "message": e.message, "line": e.line, "column": e.column }),
        )
        .collect();
    ApiError::msg(ErrorCode::ValidationFailed, "The template has errors.")
        .with_details(json!({ "fields": { "body": list } }))
}

/// Values for rendering: the lead's fields, the product's fields and variables, and the flags.
pub fn context(lead: Option<&Lead>, product: Option<&Product>) -> Context {
    let mut c = Context::new();
    if let Some(l) = lead {
        let num = |n: Option<i64>| n.map(|v| v.to_string()).unwrap_or_default();
        c.set_variable("username", l.username.clone());
        for (k, v) in [
            ("full_name", &l.full_name),
            ("biography", &l.biography),
            ("email", &l.email),
            ("phone", &l.phone),
            ("website", &l.website),
            ("business_category", &l.business_category),
            ("source_hashtag", &l.source_hashtag),
            ("notes", &l.notes),
        ] {
            c.set_variable(k, v.clone().unwrap_or_default());
        }
        c.set_variable("followers", num(l.followers));
        c.set_variable("following", num(l.following));
        c.set_variable("posts", num(l.posts));
        c.set_variable("status", l.status.clone());
    }
    if let Some(p) = product {
        c.set_variable("product_name", p.name.clone());
        c.set_variable(
            "product_description",
            p.description.clone().unwrap_or_default(),
        );
        for ProductVariable {
            name,
            value,
            enabled,
            ..
        } in p.vars()
        {
            c.set_flag(format!("{name}_enabled"), enabled);
            c.set_variable(name, value);
        }
    }
    c
}
