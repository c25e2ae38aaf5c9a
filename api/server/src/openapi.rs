//! The OpenAPI 3.1 document, generated from the handlers' annotations. `openapi.yaml` at the repository root is
//! this document; a test fails when they differ (`UPDATE_OPENAPI=1` rewrites it), and `scripts/check-contract`
//! validates it, fuzzes a running server against it and generates a client from it.
//!
//! A handler's annotation lists the answers particular to it (its success, 404 of a missing object, 409, a
//! specific 422). The answers every operation of a kind gives because of the extractors it goes through are added
//! here by [`Contract`], so that no operation forgets one: 401/403/429 for signed-in operations (`CurrentUser`,
//! `SignedIn`, `Admin`: no session or token, a viewer's or read token's write, a non-admin, CSRF, a pending password
//! change, the per-user rate), 429 for the public sign-in steps (per-IP rate), 400/413/415/422 for a JSON body
//! (`Body`, `Shape`), 422 (and actix-web's 431 for an over-long query string) for query parameters (`Params`), 404 for a path id or an `owner` to read as.

use crate::identity::{admin_routes as admin, auth_routes as auth, me_routes as me};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// Operations anyone may call: the sign-in steps (each carries its own single-purpose token in the body), the
/// token endpoints, the password policy, health, the instance description (whether it runs on the sandbox) and
/// the Google consent callback (a cross-site redirect without the session cookie; its single-use state says whose).
pub const PUBLIC_OPERATIONS: &[&str] = &[
    "login",
    "login_password",
    "login_totp",
    "login_totp_setup",
    "login_totp_confirm",
    "password_policy",
    "token",
    "refresh",
    "health_live",
    "health_ready",
    "get_instance",
    "google_oauth_callback",
    "instagram_oauth_callback",
    "start_instagram_signin",
];

/// Public operations limited per client IP (`LEADGEN_AUTH_RATE_PER_MINUTE`).
const AUTH_RATE_LIMITED: &[&str] = &[
    "login",
    "login_password",
    "login_totp",
    "login_totp_setup",
    "login_totp_confirm",
    "token",
    "refresh",
    "start_instagram_signin",
];

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A JWT access token from /api/v1/auth/token, or a personal API token (lg_pat_…)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "leadgen_session",
                "Browser session; writes also need the X-CSRF-Token header (value of the leadgen_csrf cookie)",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "leadgen API", description = "Instagram lead generation and outreach. Errors are `{\"error\":{\"code\",\"message\",\"details\"}}`.", license(name = "AGPL-3.0-only")),
    paths(
        crate::ops::live, crate::ops::ready,
        auth::login, auth::login_password, auth::login_totp, auth::login_totp_setup, auth::login_totp_confirm,
        auth::logout, auth::password_policy, auth::token, auth::refresh,
        me::get_me, me::update_me, me::change_password, me::two_factor_status, me::two_factor_setup, me::two_factor_confirm,
        me::regenerate_backup_codes, me::list_sessions, me::revoke_session, me::logout_everywhere,
        me::list_tokens, me::create_token, me::revoke_token,
        admin::list_users, admin::create_user, admin::get_user, admin::update_user, admin::delete_user,
        admin::reset_password, admin::reset_2fa, admin::revoke_sessions, admin::get_policy, admin::put_policy,
        crate::audit::list, crate::audit::actions,
        crate::leads::routes::list, crate::leads::routes::create, crate::leads::routes::get, crate::leads::routes::update,
        crate::leads::routes::delete, crate::leads::routes::restore, crate::leads::routes::history,
        crate::leads::routes::bulk_update, crate::leads::routes::bulk_delete, crate::leads::routes::undo, crate::leads::routes::redo,
        crate::leads::routes::export, crate::leads::routes::list_views, crate::leads::routes::create_view,
        crate::leads::routes::update_view, crate::leads::routes::delete_view,
        crate::leads::lists::list_dnc, crate::leads::lists::add_dnc, crate::leads::lists::remove_dnc,
        crate::leads::lists::add_dnc_bulk, crate::leads::lists::export_dnc,
        crate::leads::lists::lead_hashtags, crate::leads::lists::list_hashtags, crate::leads::lists::record_pairs,
        crate::leads::import::upload, crate::leads::import::preview, crate::leads::import::run, crate::leads::import::status,
        crate::leads::import::cancel,
        crate::leads::dashboard::dashboard,
        crate::prompts::routes::list_products, crate::prompts::routes::create_product, crate::prompts::routes::get_product,
        crate::prompts::routes::update_product, crate::prompts::routes::delete_product, crate::prompts::routes::list_prompts,
        crate::prompts::routes::create_prompt, crate::prompts::routes::get_prompt, crate::prompts::routes::update_prompt,
        crate::prompts::routes::delete_prompt, crate::prompts::routes::versions, crate::prompts::routes::preview,
        crate::prompts::routes::variables,
        crate::providers::routes::list, crate::providers::routes::update, crate::providers::routes::test,
        crate::providers::routes::list_own, crate::providers::routes::update_own, crate::providers::routes::test_own,
        crate::providers::routes::instance,
        crate::jobs::routes::list_jobs, crate::jobs::routes::cancel_job, crate::jobs::routes::retry_job,
        crate::jobs::routes::list_my_jobs, crate::jobs::routes::cancel_my_job,
        crate::providers::mailboxes::list, crate::providers::mailboxes::connect, crate::providers::mailboxes::disconnect,
        crate::providers::mailboxes::callback, crate::providers::usage::usage,
        crate::accounts::routes::list, crate::accounts::routes::get, crate::accounts::routes::update,
        crate::accounts::routes::unlink, crate::accounts::routes::list_members, crate::accounts::routes::add_member,
        crate::accounts::routes::update_member, crate::accounts::routes::remove_member,
        crate::accounts::routes::test_session, crate::accounts::routes::admin_list,
        crate::accounts::routes::admin_logout_session,
        crate::accounts::oauth::start, crate::accounts::oauth::signin_start, crate::accounts::oauth::callback,
        crate::accounts::credentials::link,
        crate::challenges::list, crate::challenges::answer,
        crate::drafts::routes::list, crate::drafts::routes::facets, crate::drafts::routes::get, crate::drafts::routes::update,
        crate::drafts::routes::approve, crate::drafts::routes::reject, crate::drafts::routes::regenerate,
        crate::sessions::routes::estimate, crate::sessions::routes::create, crate::sessions::routes::list,
        crate::sessions::routes::get, crate::sessions::routes::cancel, crate::sessions::routes::resume,
        crate::sessions::routes::retry_failed, crate::sessions::routes::add_related, crate::sessions::routes::log,
        crate::sessions::routes::items, crate::sessions::events::events,
    ),
    components(schemas(leadgen_core::error::ErrorBody, leadgen_core::error::ErrorInfo, leadgen_core::ErrorCode)),
    modifiers(&Security, &Contract),
    security(("session" = []), ("bearer" = [])),
    tags(
        (name = "auth", description = "Sign-in steps, logout, tokens for scripts"),
        (name = "me", description = "Your own account"),
        (name = "admin", description = "User management, policy, the audit log and background jobs (admins)"),
        (name = "leads", description = "The leads workspace"),
        (name = "prompts", description = "Products and system prompts (the template language)"),
        (name = "providers", description = "Provider credentials (admins), your own AI keys, test connection, sandbox mode"),
        (name = "accounts", description = "Instagram accounts: official and credential links, members, the session vault, the challenge inbox"),
        (name = "drafts", description = "E-mail drafts and their review"),
        (name = "sessions", description = "Processing sessions: the lead pipeline from hashtags to e-mail drafts, with live progress"),
        (name = "operations", description = "Health"),
    )
)]
pub struct ApiDoc;

/// The answers shared by operations of a kind (see the module comment), `security: []` on public operations and
/// the `servers` entry.
struct Contract;

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

impl Modify for Contract {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        doc.servers = Some(vec![ServerBuilder::new()
            .url("/")
            .description(Some(
                "The server this document is served from (`/api/openapi.json`)",
            ))
            .build()]);
        let retry_after = HeaderBuilder::new()
            .schema(
                utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Integer),
            )
            .description(Some("Seconds to wait before trying again"))
            .build();
        let rate_limited = {
            let mut r =
                error_response("Too many requests (`rate_limited`); wait `Retry-After` seconds");
            r.headers.insert("Retry-After".into(), retry_after);
            r
        };
        for item in doc.paths.paths.values_mut() {
            for op in operations(item) {
                let id = op.operation_id.clone().unwrap_or_default();
                let public = PUBLIC_OPERATIONS.contains(&id.as_str());
                let params = op.parameters.as_deref().unwrap_or_default();
                let has_query = params
                    .iter()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header));
                let has_path = params
                    .iter()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Path));
                // Admins read another user's leads with `owner=<user id>`; an unknown user is not found.
                let reads_as_owner = params.iter().any(|p| p.name == "owner");
                let json_body = op
                    .request_body
                    .as_ref()
                    .is_some_and(|b| b.content.contains_key("application/json"));
                let mut add: Vec<(&str, utoipa::openapi::Response)> = vec![];
                if public {
                    op.security = Some(vec![]);
                    if AUTH_RATE_LIMITED.contains(&id.as_str()) {
                        add.push(("429", rate_limited.clone()));
                    }
                } else {
                    add.push((
                        "401",
                        error_response(
                            "Not signed in, or the session or token has ended (`unauthenticated`)",
                        ),
                    ));
                    add.push(("403", error_response(
                        "Not allowed (`forbidden`: a viewer writing or a non-admin on an admin route; \
                         `token_scope_insufficient`: a read token writing; `csrf_failed`: a cookie write without \
                         `X-CSRF-Token`; `password_change_required`)",
                    )));
                    add.push(("429", rate_limited.clone()));
                }
                if json_body {
                    add.push((
                        "400",
                        error_response("The body is not valid JSON (`bad_request`)"),
                    ));
                    add.push(("413", error_response(
                        "The body is larger than `LEADGEN_JSON_LIMIT_BYTES` (`payload_too_large`)",
                    )));
                    add.push((
                        "415",
                        error_response(
                            "The body is not sent as `application/json` (`unsupported_media_type`)",
                        ),
                    ));
                }
                if has_query {
                    // actix-web refuses a request line and headers beyond its limit before any handler runs (a very
                    // long `filter` in the query string), without a body.
                    add.push((
                        "431",
                        ResponseBuilder::new()
                            .description("The request line and headers are too large (a very long query string)")
                            .build(),
                    ));
                    if !json_body {
                        // The same limit, met while actix-web still reads the head (a long query string next to
                        // large cookies or headers), is a 400 without a body.
                        add.push((
                            "400",
                            ResponseBuilder::new()
                                .description("The request head could not be read (a very long query string with large headers)")
                                .build(),
                        ));
                    }
                }
                if json_body || has_query {
                    add.push((
                        "422",
                        error_response(
                            "A field is not valid; `details.fields` names it (`validation_failed`)",
                        ),
                    ));
                }
                if has_path || reads_as_owner {
                    add.push((
                        "404",
                        error_response(
                            "No such object in your workspace, or no such `owner` (`not_found`)",
                        ),
                    ));
                }
                for (status, response) in add {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert(RefOr::T(response));
                }
            }
        }
    }
}

pub fn yaml() -> anyhow::Result<String> {
    Ok(ApiDoc::openapi().to_yaml()?)
}
