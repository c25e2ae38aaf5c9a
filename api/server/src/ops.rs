//! Operations: liveness, readiness, Prometheus metrics (HTTP by route and status from actix-web-prom, plus the
//! database pool's state).

use crate::state::AppState;
use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use diesel::connection::SimpleConnection;
use leadgen_core::ApiError;
use leadgen_db::conn::Pool;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, Opts, Registry};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: String,
    pub database: Option<String>,
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "operations", responses((status = 200, body = Health)))]
pub async fn live() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        database: None,
    })
}

/// The process can serve requests: the database answers.
#[utoipa::path(get, path = "/health/ready", tag = "operations", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let backend = match state.db.backend() {
        leadgen_core::config::Backend::Sqlite => "sqlite",
        leadgen_core::config::Backend::Postgres => "postgres",
    };
    match state
        .db
        .run(|c| c.batch_execute("SELECT 1").map_err(ApiError::from))
        .await
    {
        Ok(()) => HttpResponse::Ok().json(Health {
            status: "ok".into(),
            database: Some(backend.into()),
        }),
        Err(e) => {
            tracing::warn!(error = ?e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(Health {
                status: "unavailable".into(),
                database: Some(backend.into()),
            })
        }
    }
}

/// Reports the pool's connections at scrape time.
struct PoolCollector {
    pool: Pool,
    connections: IntGauge,
    idle: IntGauge,
    max: IntGauge,
    descs: Vec<Desc>,
}

impl PoolCollector {
    fn new(pool: Pool) -> prometheus::Result<Self> {
        let connections = IntGauge::with_opts(Opts::new(
            "leadgen_db_pool_connections",
            "Open database connections",
        ))?;
        let idle = IntGauge::with_opts(Opts::new(
            "leadgen_db_pool_idle",
            "Idle database connections",
        ))?;
        let max = IntGauge::with_opts(Opts::new(
            "leadgen_db_pool_max",
            "Largest size of the database pool",
        ))?;
        let descs = [&connections, &idle, &max]
            .iter()
            .flat_map(|g| g.desc().into_iter().cloned())
            .collect();
        Ok(PoolCollector {
            pool,
            connections,
            idle,
            max,
            descs,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }
    fn collect(&self) -> Vec<MetricFamily> {
        let st = self.pool.state();
        self.connections.set(i64::from(st.connections));
        self.idle.set(i64::from(st.idle_connections));
        self.max.set(i64::from(self.pool.max_size()));
        [
            self.connections.collect(),
            self.idle.collect(),
            self.max.collect(),
        ]
        .concat()
    }
}

/// The metrics middleware, serving `/metrics`.
pub fn metrics(
    pool: Pool,
    jobs: crate::jobs::metrics::JobCollector,
) -> anyhow::Result<actix_web_prom::PrometheusMetrics> {
    let registry = Registry::new();
    registry.register(Box::new(PoolCollector::new(pool)?))?;
    registry.register(Box::new(jobs))?;
    actix_web_prom::PrometheusMetricsBuilder::new("leadgen")
        .endpoint("/metrics")
        .registry(registry)
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| anyhow::anyhow!("{e}"))
}
