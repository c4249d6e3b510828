//! The scrape manager's self-metrics: `argus_scrape_*`, the equivalents of
//! Prometheus' `prometheus_target_*` and `prometheus_sd_*`. One [`Metrics`]
//! per manager, shared by its pools and loops; the binary registers it with
//! [`crate::ScrapeManager::register_metrics`].

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type Lbl = Vec<(String, String)>;

fn job(j: &str) -> Lbl {
    vec![("scrape_job".to_string(), j.to_string())]
}

/// Counters and gauges of the scrape subsystem.
#[derive(Debug)]
pub(crate) struct Metrics {
    scrapes: Family<Lbl, Counter>,
    failed: Family<Lbl, Counter>,
    sample_limit: Counter,
    body_size_limit: Counter,
    label_limits: Counter,
    duplicates: Counter,
    out_of_order: Counter,
    out_of_bounds: Counter,
    pool_targets: Family<Lbl, Gauge>,
    pool_syncs: Family<Lbl, Counter>,
    pool_target_limit: Counter,
    pools: Counter,
    pools_failed: Counter,
    reloads: Counter,
    sync_seconds: Family<Lbl, Histogram>,
    sd_failures: Family<Lbl, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            scrapes: Family::default(),
            failed: Family::default(),
            sample_limit: Counter::default(),
            body_size_limit: Counter::default(),
            label_limits: Counter::default(),
            duplicates: Counter::default(),
            out_of_order: Counter::default(),
            out_of_bounds: Counter::default(),
            pool_targets: Family::default(),
            pool_syncs: Family::default(),
            pool_target_limit: Counter::default(),
            pools: Counter::default(),
            pools_failed: Counter::default(),
            reloads: Counter::default(),
            sync_seconds: Family::new_with_constructor(|| Histogram::new([0.001, 0.01, 0.1, 0.5, 1.0, 5.0, 10.0])),
            sd_failures: Family::default(),
        }
    }
}

impl Metrics {
    pub(crate) fn register(&self, reg: &mut Registry) {
        reg.register("argus_scrape_scrapes", "Scrapes made, by scrape job.", self.scrapes.clone());
        reg.register(
            "argus_scrape_scrapes_failed",
            "Scrapes that failed, by scrape job and reason (http_status, timeout, connect, read, body_size_limit, parse, sample_limit, label_limits, storage).",
            self.failed.clone(),
        );
        reg.register(
            "argus_scrape_exceeded_sample_limit",
            "Scrapes that hit sample_limit and were rejected (prometheus_target_scrapes_exceeded_sample_limit_total).",
            self.sample_limit.clone(),
        );
        reg.register(
            "argus_scrape_exceeded_body_size_limit",
            "Scrapes whose body reached body_size_limit (prometheus_target_scrapes_exceeded_body_size_limit_total).",
            self.body_size_limit.clone(),
        );
        reg.register(
            "argus_scrape_exceeded_label_limits",
            "Scrapes that hit a label limit (prometheus_target_scrape_pool_exceeded_label_limits_total).",
            self.label_limits.clone(),
        );
        reg.register(
            "argus_scrape_sample_duplicate_timestamp",
            "Samples rejected as a different value for a timestamp already stored.",
            self.duplicates.clone(),
        );
        reg.register(
            "argus_scrape_sample_out_of_order",
            "Samples rejected as out of order.",
            self.out_of_order.clone(),
        );
        reg.register(
            "argus_scrape_sample_out_of_bounds",
            "Samples rejected as older than storage accepts.",
            self.out_of_bounds.clone(),
        );
        reg.register("argus_scrape_pool_targets", "Active targets per scrape pool.", self.pool_targets.clone());
        reg.register("argus_scrape_pool_syncs", "Target syncs per scrape pool.", self.pool_syncs.clone());
        reg.register(
            "argus_scrape_pool_exceeded_target_limit",
            "Syncs where a pool had more targets than target_limit.",
            self.pool_target_limit.clone(),
        );
        reg.register("argus_scrape_pools", "Scrape pools created.", self.pools.clone());
        reg.register("argus_scrape_pools_failed", "Scrape pools that could not be created.", self.pools_failed.clone());
        reg.register("argus_scrape_pool_reloads", "Scrape pools restarted by a config change.", self.reloads.clone());
        reg.register(
            "argus_scrape_sync_length_seconds",
            "Time to sync a pool's targets after a discovery update.",
            self.sync_seconds.clone(),
        );
        reg.register(
            "argus_scrape_sd_refresh_failures",
            "Failed service discovery refreshes, by mechanism (file, http, dns).",
            self.sd_failures.clone(),
        );
    }

    /// Counts a finished scrape of `scrape_job`; `reason` is set when it failed.
    pub(crate) fn scrape(&self, scrape_job: &str, reason: Option<&str>, report: &crate::ScrapeReport) {
        self.scrapes.get_or_create(&job(scrape_job)).inc();
        if let Some(r) = reason {
            let mut l = job(scrape_job);
            l.push(("reason".to_string(), r.to_string()));
            self.failed.get_or_create(&l).inc();
            match r {
                "sample_limit" => {
                    self.sample_limit.inc();
                }
                "body_size_limit" => {
                    self.body_size_limit.inc();
                }
                "label_limits" => {
                    self.label_limits.inc();
                }
                _ => {}
            }
        }
        self.duplicates.inc_by(report.duplicates);
        self.out_of_order.inc_by(report.out_of_order);
        self.out_of_bounds.inc_by(report.out_of_bounds);
    }

    pub(crate) fn pool_synced(&self, scrape_job: &str, targets: usize, seconds: f64, over_limit: bool) {
        self.pool_targets.get_or_create(&job(scrape_job)).set(targets as i64);
        self.pool_syncs.get_or_create(&job(scrape_job)).inc();
        self.sync_seconds.get_or_create(&job(scrape_job)).observe(seconds);
        if over_limit {
            self.pool_target_limit.inc();
        }
    }

    pub(crate) fn pool_removed(&self, scrape_job: &str) {
        self.pool_targets.remove(&job(scrape_job));
    }

    pub(crate) fn pool_created(&self, ok: bool) {
        if ok {
            self.pools.inc()
        } else {
            self.pools_failed.inc()
        };
    }

    pub(crate) fn pool_reloaded(&self) {
        self.reloads.inc();
    }

    pub(crate) fn sd_failed(&self, mechanism: &str) {
        self.sd_failures.get_or_create(&vec![("mechanism".to_string(), mechanism.to_string())]).inc();
    }
}
