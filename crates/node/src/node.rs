//! [`NodeCollector`]: runs the enabled collectors one after another, times
//! each, and gathers their metrics with `node_scrape_collector_*`.
//!
//! Shared state: the cpu collector's counter cache and one failure counter per
//! collector; both are behind `&self`, so one `NodeCollector` can serve the
//! in-process sampler and `/node/metrics` at once.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use argus_model::exposition::{MetricFamily, MetricType};

use crate::collectors::Context;
use crate::error::Result;
use crate::metric::{Family, Gatherer, Metric, labels};
use crate::options::{CollectorKind, NodeOptions};
use crate::render;

/// The host collectors, configured once and collected on demand.
#[derive(Debug)]
pub struct NodeCollector {
    ctx: Context,
    collectors: Vec<CollectorKind>,
    failures: Vec<AtomicU64>,
}

impl NodeCollector {
    /// Resolves the options: compiles the filter regexes and, as node_exporter
    /// does at start, reads the isolated CPU list and checks the udev directory.
    ///
    /// Fails only on a regex that does not compile; missing procfs or sysfs
    /// files are reported at collection time, per collector.
    pub fn new(options: NodeOptions) -> Result<NodeCollector> {
        let ctx = Context::new(&options)?;
        let mut collectors = options.collectors;
        collectors.sort();
        collectors.dedup();
        // The textfile collector runs last, so that a textfile redefining a
        // built-in family loses the clash rather than the built-in metric.
        collectors.sort_by_key(|k| *k == CollectorKind::Textfile);
        let failures = collectors.iter().map(|_| AtomicU64::new(0)).collect();
        Ok(NodeCollector { ctx, collectors, failures })
    }

    /// The enabled collectors, in the order they run.
    pub fn collectors(&self) -> &[CollectorKind] {
        &self.collectors
    }

    /// How many collections each collector has failed since start.
    pub fn failure_counts(&self) -> Vec<(CollectorKind, u64)> {
        self.collectors.iter().zip(&self.failures).map(|(k, n)| (*k, n.load(Ordering::Relaxed))).collect()
    }

    /// Runs every enabled collector and returns the families sorted by name,
    /// for appending to storage. Blocking (file reads and `statfs`); never
    /// panics. Empty label values are dropped, as Prometheus drops them.
    pub fn collect(&self) -> Vec<MetricFamily> {
        render::to_model(self.gather())
    }

    /// Runs every enabled collector and renders the text format 0.0.4 as
    /// node_exporter 1.5 serves it on `/metrics`. Blocking; never panics.
    pub fn render_text(&self) -> String {
        render::render_text(&self.gather())
    }

    fn gather(&self) -> Vec<Family> {
        let mut gatherer = Gatherer::default();
        let mut scrape = Vec::with_capacity(self.collectors.len() * 2);
        let mut out = Vec::new();
        for (kind, failures) in self.collectors.iter().zip(&self.failures) {
            out.clear();
            let start = Instant::now();
            let result = catch_unwind(AssertUnwindSafe(|| self.ctx.run(*kind, &mut out)));
            let elapsed = start.elapsed().as_secs_f64();
            let ok = match result {
                Ok(Ok(())) => true,
                Ok(Err(err)) => {
                    tracing::error!(collector = kind.name(), duration_seconds = elapsed, err = %err, "collector failed");
                    false
                }
                Err(_) => {
                    tracing::error!(collector = kind.name(), "collector panicked; this is a bug in argus");
                    false
                }
            };
            if ok {
                for m in out.drain(..) {
                    let name = m.name.clone();
                    if let Err(reason) = gatherer.add(m) {
                        tracing::warn!(collector = kind.name(), metric = %name, reason, "dropping inconsistent metric");
                    }
                }
            } else {
                failures.fetch_add(1, Ordering::Relaxed);
            }
            let l = || labels([("collector", kind.name().to_string())]);
            let help = "node_exporter: Duration of a collector scrape.";
            scrape.push(Metric::new("node_scrape_collector_duration_seconds", help, MetricType::Gauge, l(), elapsed));
            let help = "node_exporter: Whether a collector succeeded.";
            let v = if ok { 1.0 } else { 0.0 };
            scrape.push(Metric::new("node_scrape_collector_success", help, MetricType::Gauge, l(), v));
        }
        for m in scrape {
            if let Err(reason) = gatherer.add(m) {
                tracing::warn!(reason, "dropping inconsistent metric");
            }
        }
        gatherer.finish()
    }
}
