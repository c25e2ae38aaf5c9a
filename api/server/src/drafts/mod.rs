//! E-mail drafts and their review: `generate` writes one draft for one lead with OpenAI (called by the processing
//! sessions' e-mail stage, and by a regeneration from the review queue); `routes` is the review queue's API.

pub mod dto;
pub mod generate;
pub mod routes;
pub mod test_job;

use actix_web::web;

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes as r;
    cfg.service(
        web::scope("/drafts")
            .route("", web::get().to(r::list))
            .route("/facets", web::get().to(r::facets))
            .route("/approve", web::post().to(r::approve))
            .route("/reject", web::post().to(r::reject))
            .route("/{id}", web::get().to(r::get))
            .route("/{id}", web::patch().to(r::update))
            .route("/{id}/regenerate", web::post().to(r::regenerate)),
    );
}
