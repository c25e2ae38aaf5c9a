//! Identity: users, sign-in (password, TOTP, backup codes), sessions, tokens, admin user management.

pub mod admin_routes;
pub mod auth_routes;
pub mod dto;
pub mod extract;
pub mod flow;
pub mod jwt;
pub mod me_routes;
pub mod password;
pub mod totp;

use actix_web::web;

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use admin_routes as admin;
    use auth_routes as auth;
    use me_routes as me;
    cfg.service(
        web::scope("/auth")
            .route("/login", web::post().to(auth::login))
            .route("/login/password", web::post().to(auth::login_password))
            .route("/login/totp", web::post().to(auth::login_totp))
            .route("/login/totp-setup", web::post().to(auth::login_totp_setup))
            .route(
                "/login/totp-setup/confirm",
                web::post().to(auth::login_totp_confirm),
            )
            .route("/logout", web::post().to(auth::logout))
            .route("/password-policy", web::get().to(auth::password_policy))
            .route("/token", web::post().to(auth::token))
            .route("/refresh", web::post().to(auth::refresh)),
    )
    .service(
        web::scope("/me")
            .route("", web::get().to(me::get_me))
            .route("", web::patch().to(me::update_me))
            .route("/password", web::post().to(me::change_password))
            .route("/2fa", web::get().to(me::two_factor_status))
            .route("/2fa/setup", web::post().to(me::two_factor_setup))
            .route("/2fa/setup/confirm", web::post().to(me::two_factor_confirm))
            .route(
                "/2fa/backup-codes",
                web::post().to(me::regenerate_backup_codes),
            )
            .route("/sessions", web::get().to(me::list_sessions))
            .route("/sessions/{id}", web::delete().to(me::revoke_session))
            .route("/logout-everywhere", web::post().to(me::logout_everywhere))
            .route("/tokens", web::get().to(me::list_tokens))
            .route("/tokens", web::post().to(me::create_token))
            .route("/tokens/{id}", web::delete().to(me::revoke_token)),
    )
    .service(
        web::scope("/admin")
            .route("/users", web::get().to(admin::list_users))
            .route("/users", web::post().to(admin::create_user))
            .route("/users/{id}", web::get().to(admin::get_user))
            .route("/users/{id}", web::patch().to(admin::update_user))
            .route("/users/{id}", web::delete().to(admin::delete_user))
            .route(
                "/users/{id}/reset-password",
                web::post().to(admin::reset_password),
            )
            .route("/users/{id}/reset-2fa", web::post().to(admin::reset_2fa))
            .route(
                "/users/{id}/revoke-sessions",
                web::post().to(admin::revoke_sessions),
            )
            .route("/policy", web::get().to(admin::get_policy))
            .route("/policy", web::put().to(admin::put_policy))
            .route("/audit", web::get().to(crate::audit::list))
            .route("/audit/actions", web::get().to(crate::audit::actions)),
    );
}
