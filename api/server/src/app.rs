//! Builds the application: state, first boot, middleware, routes; binds the listener (port 0 in tests).

use crate::openapi::ApiDoc;
use crate::security::{self, RateLimits};
use crate::state::AppState;
use crate::{accounts, challenges, identity, leads, ops, prompts, providers, spa, telemetry};
use actix_identity::IdentityMiddleware;
use actix_session::config::PersistentSession;
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use leadgen_core::config::Settings;
use leadgen_core::secrets::Secrets;
use leadgen_core::ApiError;
use leadgen_db::models::login::LoginChallenge;
use leadgen_db::models::user::{Role, User};
use leadgen_db::{Db, DbConn};
use std::net::TcpListener;
use std::sync::Arc;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

pub const SESSION_COOKIE: &str = "leadgen_session";

/// First boot: with no users at all, create `admin` / `admin`, who must change the password at first sign-in.
pub fn bootstrap(conn: &mut DbConn, bcrypt_cost: u32) -> anyhow::Result<()> {
    if User::count(conn)? > 0 {
        return Ok(());
    }
    let hash = identity::password::hash_blocking("admin", bcrypt_cost)?;
    match User::create(conn, "admin", None, &hash, Role::Admin, true) {
        Ok(_) => tracing::warn!(
            "first boot: created user 'admin' with password 'admin'; sign in and change it now"
        ),
        Err(e) if e.code == leadgen_core::ErrorCode::Conflict => {}
        Err(e) => return Err(anyhow::anyhow!("{e:?}")),
    }
    Ok(())
}

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Connects, migrates, bootstraps and binds `settings.bind` (use port 0 for a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Application::build_with(settings, false).await
    }

    /// `sandbox`: the provider base URLs point at the built-in provider sandbox (`leadgen serve --sandbox`).
    pub async fn build_with(settings: Settings, sandbox: bool) -> anyhow::Result<Application> {
        settings.validate()?;
        let secrets = Secrets::resolve(&settings)?;
        let backend = settings.backend()?;
        // Before anything touches the jobs: a second process on a SQLite database stops here.
        let runs_jobs = settings.jobs_in_serve;
        if runs_jobs {
            crate::jobs::lock_sqlite(&settings)?;
        }
        let (url, pool_size, cost) = (
            settings.database_url.clone(),
            settings.db_pool_size,
            settings.bcrypt_cost,
        );
        let (db, dummy_hash) =
            tokio::task::spawn_blocking(move || -> anyhow::Result<(Db, String)> {
                let db = Db::connect(&url, backend, pool_size)?;
                let mut conn = db.get().map_err(|e| anyhow::anyhow!("{e:?}"))?;
                bootstrap(&mut conn, cost)?;
                // Imports started before they ran as jobs, cut off by a restart, wait for a run request.
                let interrupted = leadgen_db::models::import::Import::mark_interrupted(&mut conn)
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                if interrupted > 0 {
                    tracing::warn!(
                        interrupted,
                        "imports were cut off by a restart; run them again to resume"
                    );
                }
                // One process owns SQLite: the jobs that were running were cut off with their process; they
                // go back to the queue now instead of after their lease.
                if runs_jobs && backend == leadgen_core::config::Backend::Sqlite {
                    let now = leadgen_db::now();
                    let far = now + chrono::Duration::days(36_500);
                    leadgen_db::models::job::Job::rescue_expired_before(&mut conn, far, now)
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                }
                let dummy = identity::password::hash_blocking(
                    &leadgen_core::crypto::random_token("", 16),
                    cost,
                )?;
                Ok((db, dummy))
            })
            .await??;
        let clock = leadgen_core::clock::Clock::system();
        let counts: Arc<crate::leads::counts::CountCache> = Arc::default();
        let job_metrics = crate::jobs::metrics::JobMetrics::new()?;
        let secrets = Arc::new(secrets);
        let settings = Arc::new(settings);
        let jobs = crate::jobs::build(crate::jobs::Registry {
            providers: crate::providers::ProviderAccess {
                settings: settings.clone(),
                secrets: secrets.clone(),
            },
            settings: &settings,
            db: db.clone(),
            clock: clock.clone(),
            metrics: job_metrics,
            counts: counts.clone(),
            only_queues: vec![],
            concurrency: None,
        });
        let state = AppState {
            limits: Arc::new(RateLimits::new(&settings)),
            settings,
            db,
            secrets,
            dummy_hash: Arc::new(dummy_hash),
            sandbox,
            counts,
            clock,
            jobs,
        };
        let listener = TcpListener::bind(&state.settings.bind)?;
        let port = listener.local_addr()?.port();
        let server = run(listener, state.clone())?;
        spawn_housekeeping(state.clone());
        if state.settings.jobs_in_serve {
            state.jobs.start();
        }
        Ok(Application {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Every 10 minutes: drop idle rate-limiter keys and expired login challenges.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            state.limits.shrink();
            if let Err(e) = state.db.run(LoginChallenge::delete_expired).await {
                tracing::warn!(error = ?e, "housekeeping failed");
            }
        }
    });
}

async fn fallback(req: HttpRequest, state: web::Data<AppState>) -> actix_web::Result<HttpResponse> {
    if req.method() == actix_web::http::Method::GET || req.method() == actix_web::http::Method::HEAD
    {
        spa::serve(req, state).await
    } else {
        Err(ApiError::not_found().into())
    }
}

fn run(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let metrics = ops::metrics(
        state.db.pool().clone(),
        crate::jobs::metrics::JobCollector::new(state.jobs.metrics().clone(), state.db.clone())?,
    )?;
    let key = Key::try_from(state.secrets.session_key.as_slice())
        .map_err(|e| anyhow::anyhow!("session key: {e}"))?;
    let openapi = ApiDoc::openapi();
    let data = web::Data::new(state.clone());
    let s = state.settings.clone();
    let server = HttpServer::new(move || {
        let session = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name(SESSION_COOKIE.into())
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Strict)
            .cookie_secure(s.secure_cookies)
            .session_lifecycle(PersistentSession::default().session_ttl(
                actix_web::cookie::time::Duration::hours(i64::from(s.session_ttl_hours)),
            ))
            .build();
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(s.json_limit_bytes))
            .wrap(from_fn(crate::extract::refuse_control_in_path))
            .wrap(IdentityMiddleware::default())
            .wrap(session)
            .wrap(security::cors(&s))
            .wrap(Compress::default())
            .wrap(security::headers())
            .wrap(from_fn(telemetry::request_id_header))
            .wrap(metrics.clone())
            .wrap(TracingLogger::default())
            .wrap(from_fn(security::hide_callback_query))
            .route("/health/live", web::get().to(ops::live))
            .route("/health/ready", web::get().to(ops::ready))
            .configure(accounts::oauth::callback_route)
            .route(
                "/api/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("Location", "/api/docs/"))
                        .finish()
                }),
            )
            // A plain tail segment: the metrics middleware cannot label a regex segment (`{_:.*}`) and warned
            // about it on every docs request.
            .service(SwaggerUi::new("/api/docs/{tail}*").url("/api/openapi.json", openapi.clone()))
            .service(
                web::scope("/api/v1")
                    .configure(providers::routes::routes)
                    // Before identity's `/admin` and `/me` scopes, like the providers' routes.
                    .configure(crate::jobs::routes::routes)
                    .configure(providers::mailboxes::routes)
                    .configure(providers::usage::routes)
                    // Before identity's `/auth` and `/admin` scopes.
                    .configure(accounts::routes)
                    .configure(challenges::routes)
                    .configure(identity::routes)
                    .configure(leads::routes)
                    .configure(prompts::routes)
                    .configure(crate::drafts::routes)
                    .configure(crate::sessions::routes),
            )
            .default_service(web::route().to(fallback))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// Sets up logging from the settings (once per process).
pub fn init_telemetry(settings: &Settings) {
    telemetry::init(&settings.log, &settings.log_format);
}
