//! Leads: the workspace grid's rows. List with server-side filter/sort/paging, get, create, update with
//! `If-Match`, soft delete and restore, edit history.

pub mod dto;
pub mod routes;

use actix_web::web;

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes as r;
    cfg.service(
        web::scope("/leads")
            .route("", web::get().to(r::list))
            .route("", web::post().to(r::create))
            .route("/{id}", web::get().to(r::get))
            .route("/{id}", web::patch().to(r::update))
            .route("/{id}", web::delete().to(r::delete))
            .route("/{id}/restore", web::post().to(r::restore))
            .route("/{id}/history", web::get().to(r::history)),
    );
}
