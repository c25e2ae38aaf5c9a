//! What every handler can reach: settings, database, secrets and the rate limiters.

use crate::security::RateLimits;
use leadgen_core::config::Settings;
use leadgen_core::secrets::Secrets;
use leadgen_db::Db;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub secrets: Arc<Secrets>,
    pub limits: Arc<RateLimits>,
    /// A bcrypt hash of a random string at the configured cost: verified against when the user is unknown, so an
    /// unknown username costs the same time as a wrong password.
    pub dummy_hash: Arc<String>,
    /// Cached lead totals per owner and query (see `leads::counts`).
    pub counts: Arc<crate::leads::counts::CountCache>,
    /// Every provider points at the built-in provider sandbox (`leadgen serve --sandbox`).
    pub sandbox: bool,
    /// The time jobs and schedules go by (tests move it).
    pub clock: leadgen_core::clock::Clock,
    /// The job engine: enqueue through it; its workers run here unless `jobs_in_serve` is off.
    pub jobs: crate::jobs::Engine,
}
