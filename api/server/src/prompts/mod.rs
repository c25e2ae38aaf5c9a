//! Products and system prompts: the prompt template language (`leadgen-templates`), validated on save against
//! the lead fields and the product's variables, versioned, and rendered by the preview on a real lead.

pub mod dto;
pub mod engine;
pub mod routes;

use actix_web::web;

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes as r;
    cfg.service(
        web::scope("/products")
            .route("", web::get().to(r::list_products))
            .route("", web::post().to(r::create_product))
            .route("/{id}", web::get().to(r::get_product))
            .route("/{id}", web::put().to(r::update_product))
            .route("/{id}", web::delete().to(r::delete_product)),
    )
    .service(
        web::scope("/prompts")
            .route("", web::get().to(r::list_prompts))
            .route("", web::post().to(r::create_prompt))
            .route("/preview", web::post().to(r::preview))
            .route("/variables", web::get().to(r::variables))
            .route("/{id}", web::get().to(r::get_prompt))
            .route("/{id}", web::put().to(r::update_prompt))
            .route("/{id}", web::delete().to(r::delete_prompt))
            .route("/{id}/versions", web::get().to(r::versions)),
    );
}
