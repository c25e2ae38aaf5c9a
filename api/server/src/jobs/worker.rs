//! `leadgen worker`: job workers only, for scale-out on PostgreSQL. Serves `/health/live`, `/health/ready` and
//! `/metrics` on `LEADGEN_WORKER_BIND`; stops on SIGINT/SIGTERM, giving running jobs time to reach a checkpoint.

use crate::jobs::metrics::{JobCollector, JobMetrics};
use crate::ops::Health;
use actix_web::{web, App, HttpResponse, HttpServer};
use diesel::connection::SimpleConnection;
use leadgen_core::clock::Clock;
use leadgen_core::config::Settings;
use leadgen_core::ApiError;
use leadgen_db::Db;

pub fn run(
    settings: Settings,
    queues: Vec<String>,
    concurrency: Option<usize>,
) -> anyhow::Result<()> {
    crate::jobs::lock_sqlite(&settings)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let (url, backend, pool) = (
            settings.database_url.clone(),
            settings.backend()?,
            settings.db_pool_size,
        );
        let db = tokio::task::spawn_blocking(move || Db::connect(&url, backend, pool)).await??;
        let metrics = JobMetrics::new()?;
        let providers = crate::providers::ProviderAccess {
            settings: std::sync::Arc::new(settings.clone()),
            secrets: std::sync::Arc::new(leadgen_core::secrets::Secrets::resolve(&settings)?),
        };
        let engine = crate::jobs::build(crate::jobs::Registry {
            providers,
            settings: &settings,
            db: db.clone(),
            clock: Clock::system(),
            metrics: metrics.clone(),
            counts: std::sync::Arc::default(),
            only_queues: queues,
            concurrency,
        });
        if engine.queues().is_empty() {
            anyhow::bail!("no such queue; this process knows default and imports");
        }
        let registry = prometheus::Registry::new();
        registry.register(Box::new(JobCollector::new(metrics, db.clone())?))?;
        let prom = actix_web_prom::PrometheusMetricsBuilder::new("leadgen_worker")
            .endpoint("/metrics")
            .registry(registry)
            .build()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let data = web::Data::new(db);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(prom.clone())
                .route("/health/live", web::get().to(live))
                .route("/health/ready", web::get().to(ready))
        })
        .workers(1)
        .bind(&settings.worker_bind)?
        .run();
        engine.start();
        tracing::info!(bind = %settings.worker_bind, worker = %engine.worker_id(), "leadgen worker is running");
        server.await?;
        engine.shutdown(crate::jobs::SHUTDOWN_GRACE).await;
        Ok(())
    })
}

async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
        database: None,
    })
}

async fn ready(db: web::Data<Db>) -> HttpResponse {
    match db
        .run(|c| c.batch_execute("SELECT 1").map_err(ApiError::from))
        .await
    {
        Ok(()) => HttpResponse::Ok().json(Health {
            status: "ok".into(),
            database: None,
        }),
        Err(_) => HttpResponse::ServiceUnavailable().json(Health {
            status: "unavailable".into(),
            database: None,
        }),
    }
}
