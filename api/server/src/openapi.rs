//! The OpenAPI 3.1 document, generated from the handlers' annotations. `openapi.yaml` at the repository root is
//! this document; a test fails when they differ (`UPDATE_OPENAPI=1` rewrites it).

use crate::identity::{admin_routes as admin, auth_routes as auth, me_routes as me};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
        crate::leads::lists::lead_hashtags, crate::leads::lists::list_hashtags, crate::leads::lists::record_pairs,
        crate::leads::import::upload, crate::leads::import::preview, crate::leads::import::run, crate::leads::import::status,
        crate::prompts::routes::list_products, crate::prompts::routes::create_product, crate::prompts::routes::get_product,
        crate::prompts::routes::update_product, crate::prompts::routes::delete_product, crate::prompts::routes::list_prompts,
        crate::prompts::routes::create_prompt, crate::prompts::routes::get_prompt, crate::prompts::routes::update_prompt,
        crate::prompts::routes::delete_prompt, crate::prompts::routes::versions, crate::prompts::routes::preview,
        crate::prompts::routes::variables,
        crate::providers::routes::list, crate::providers::routes::update, crate::providers::routes::test,
        crate::providers::routes::list_own, crate::providers::routes::update_own, crate::providers::routes::test_own,
        crate::providers::routes::instance,
    ),
    components(schemas(leadgen_core::error::ErrorBody, leadgen_core::error::ErrorInfo, leadgen_core::ErrorCode)),
    modifiers(&Security),
    security(("session" = []), ("bearer" = [])),
    tags(
        (name = "auth", description = "Sign-in steps, logout, tokens for scripts"),
        (name = "me", description = "Your own account"),
        (name = "admin", description = "User management, policy and the audit log (admins)"),
        (name = "leads", description = "The leads workspace"),
        (name = "prompts", description = "Products and system prompts (the template language)"),
        (name = "providers", description = "Provider credentials (admins), your own AI keys, test connection, sandbox mode"),
        (name = "operations", description = "Health"),
    )
)]
pub struct ApiDoc;

pub fn yaml() -> anyhow::Result<String> {
    Ok(ApiDoc::openapi().to_yaml()?)
}
