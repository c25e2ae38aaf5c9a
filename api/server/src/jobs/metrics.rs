//! Prometheus metrics of the job engine, per queue: jobs per state in the table (read at scrape time), and this
//! process's claims, outcomes, running jobs and the delay from a job's `run_at` to its start.

use leadgen_db::models::job::Job;
use leadgen_db::Db;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts};

#[derive(Clone)]
pub struct JobMetrics {
    /// Outcomes: claimed, completed, retried, discarded, cancelled, snoozed, released, lost.
    pub events: IntCounterVec,
    pub running: IntGaugeVec,
    pub latency: HistogramVec,
}

impl JobMetrics {
    pub fn new() -> prometheus::Result<Self> {
        Ok(JobMetrics {
            events: IntCounterVec::new(
                Opts::new(
                    "leadgen_jobs_events_total",
                    "Jobs this process claimed and how their runs ended, per queue",
                ),
                &["queue", "event"],
            )?,
            running: IntGaugeVec::new(
                Opts::new("leadgen_jobs_running", "Jobs running in this process"),
                &["queue"],
            )?,
            latency: HistogramVec::new(
                HistogramOpts::new(
                    "leadgen_jobs_start_delay_seconds",
                    "From a job's run_at to its start",
                )
                .buckets(vec![
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                ]),
                &["queue"],
            )?,
        })
    }

    pub fn event(&self, queue: &str, event: &str) {
        self.events.with_label_values(&[queue, event]).inc();
    }
}

/// Everything the engine reports, for the `/metrics` registry: the counters above and the jobs per state in the
/// table (one GROUP BY at scrape time).
pub struct JobCollector {
    metrics: JobMetrics,
    db: Db,
    states: IntGaugeVec,
    descs: Vec<Desc>,
}

impl JobCollector {
    pub fn new(metrics: JobMetrics, db: Db) -> prometheus::Result<Self> {
        let states = IntGaugeVec::new(
            Opts::new("leadgen_jobs", "Jobs in the table per queue and state"),
            &["queue", "state"],
        )?;
        let descs = metrics
            .events
            .desc()
            .into_iter()
            .chain(metrics.running.desc())
            .chain(metrics.latency.desc())
            .chain(states.desc())
            .cloned()
            .collect();
        Ok(JobCollector {
            metrics,
            db,
            states,
            descs,
        })
    }
}

impl Collector for JobCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.states.reset();
        match self.db.get().and_then(|mut c| Job::counts(&mut c)) {
            Ok(counts) => {
                for (queue, state, n) in counts {
                    self.states.with_label_values(&[&queue, &state]).set(n);
                }
            }
            Err(e) => tracing::warn!(error = ?e, "could not count jobs for /metrics"),
        }
        [
            self.metrics.events.collect(),
            self.metrics.running.collect(),
            self.metrics.latency.collect(),
            self.states.collect(),
        ]
        .concat()
    }
}
