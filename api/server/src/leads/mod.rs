//! Leads: the workspace grid's rows. List with server-side filter/sort/paging, get, create, update with
//! `If-Match`, soft delete and restore, edit history.

pub mod counts;
pub mod csv_cells;
pub mod dashboard;
pub mod dto;
pub mod import;
pub mod import_job;
pub mod import_run;
pub mod lists;
pub mod routes;
pub mod sweep_job;

use actix_web::web;

/// Request bodies of bulk actions (100,000 ids fit).
pub const BULK_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes as r;
    cfg.route("/dashboard", web::get().to(dashboard::dashboard));
    cfg.service(
        web::scope("/leads")
            .route("", web::get().to(r::list))
            .route("", web::post().to(r::create))
            // Selections of many ids need bodies larger than the default JSON limit.
            .service(
                web::resource("/bulk")
                    .app_data(web::PayloadConfig::new(BULK_BODY_LIMIT))
                    .route(web::post().to(r::bulk_update)),
            )
            .service(
                web::resource("/bulk-delete")
                    .app_data(web::PayloadConfig::new(BULK_BODY_LIMIT))
                    .route(web::post().to(r::bulk_delete)),
            )
            .route("/undo", web::post().to(r::undo))
            .route("/redo", web::post().to(r::redo))
            .route("/export", web::get().to(r::export))
            .route("/{id}", web::get().to(r::get))
            .route("/{id}", web::patch().to(r::update))
            .route("/{id}", web::delete().to(r::delete))
            .route("/{id}/restore", web::post().to(r::restore))
            .route("/{id}/history", web::get().to(r::history))
            .route("/{id}/hashtags", web::get().to(lists::lead_hashtags)),
    )
    .service(
        web::scope("/do-not-contact")
            .route("", web::get().to(lists::list_dnc))
            .route("", web::post().to(lists::add_dnc))
            .service(
                web::resource("/bulk")
                    .app_data(web::PayloadConfig::new(BULK_BODY_LIMIT))
                    .route(web::post().to(lists::add_dnc_bulk)),
            )
            .route("/export", web::get().to(lists::export_dnc))
            .route("/{id}", web::delete().to(lists::remove_dnc)),
    )
    .service(
        web::scope("/hashtags")
            .route("", web::get().to(lists::list_hashtags))
            .route("/pairs", web::post().to(lists::record_pairs)),
    )
    .service(
        web::scope("/imports")
            .route("", web::post().to(import::upload))
            .route("/{id}", web::get().to(import::status))
            .route("/{id}/preview", web::post().to(import::preview))
            .route("/{id}/run", web::post().to(import::run))
            .route("/{id}/cancel", web::post().to(import::cancel)),
    )
    .service(
        web::scope("/views")
            .route("", web::get().to(r::list_views))
            .route("", web::post().to(r::create_view))
            .route("/{id}", web::put().to(r::update_view))
            .route("/{id}", web::delete().to(r::delete_view)),
    );
}
