//! Serves the built SPA: files from `web/dist`, content-hashed assets cached for a year, and `index.html` for
//! every other path so deep links work. Unknown `/api/…` paths stay JSON 404s.

use crate::state::AppState;
use actix_files::NamedFile;
use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{web, HttpRequest, HttpResponse};
use leadgen_core::ApiError;
use std::path::{Component, Path, PathBuf};

fn safe_join(root: &Path, tail: &str) -> Option<PathBuf> {
    let rel = Path::new(tail);
    if rel.components().all(|c| matches!(c, Component::Normal(_))) {
        Some(root.join(rel))
    } else {
        None
    }
}

pub async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    let path = req.path().trim_start_matches('/');
    if path.starts_with("api/") || path == "api" {
        return Err(ApiError::not_found().into());
    }
    let root = &state.settings.web_dir;
    if let Some(file) = safe_join(root, path).filter(|p| !path.is_empty() && p.is_file()) {
        let immutable = path.starts_with("assets/");
        let mut res = NamedFile::open_async(file)
            .await?
            .use_etag(!immutable)
            .into_response(&req);
        let cache = if immutable {
            CacheControl(vec![
                CacheDirective::Public,
                CacheDirective::MaxAge(31_536_000),
                CacheDirective::Extension("immutable".into(), None),
            ])
        } else {
            CacheControl(vec![CacheDirective::NoCache])
        };
        res.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            cache
                .to_string()
                .parse()
                .map_err(actix_web::error::ErrorInternalServerError)?,
        );
        return Ok(res);
    }
    let index = root.join("index.html");
    if index.is_file() {
        let mut res = NamedFile::open_async(index)
            .await?
            .use_etag(true)
            .into_response(&req);
        res.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            actix_web::http::header::HeaderValue::from_static("no-cache"),
        );
        return Ok(res);
    }
    let looked_in = std::path::absolute(root).unwrap_or_else(|_| root.clone());
    Ok(HttpResponse::ServiceUnavailable().content_type("text/plain; charset=utf-8").body(format!(
        "The web app is not built: there is no index.html in {} (the directory LEADGEN_WEB_DIR names; default web/dist, relative to where leadgen was started). Build it with `npm --prefix web ci && npm --prefix web run build` (the README's run command does this), or set LEADGEN_WEB_DIR to the directory holding the built app. The API is at /api/v1 and its docs at /api/docs/.",
        looked_in.display()
    )))
}
