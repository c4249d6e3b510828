//! Self-metrics of rule evaluation, named like Prometheus' `prometheus_rule_*`
//! with the `argus_` prefix, labelled by `rule_group` (`file;name`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// The `rule_group` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GroupLabel {
    /// `file;name`.
    pub rule_group: String,
}

/// Counters and gauges shared by all groups of a manager.
#[derive(Default, Debug)]
pub struct GroupMetrics {
    pub(crate) evals: Family<GroupLabel, Counter>,
    pub(crate) failures: Family<GroupLabel, Counter>,
    pub(crate) iterations: Family<GroupLabel, Counter>,
    pub(crate) missed: Family<GroupLabel, Counter>,
    pub(crate) last_duration: Family<GroupLabel, Gauge<f64, AtomicU64>>,
}

fn l(key: &str) -> GroupLabel {
    GroupLabel { rule_group: key.to_string() }
}

impl GroupMetrics {
    pub(crate) fn eval(&self, key: &str) {
        self.evals.get_or_create(&l(key)).inc();
    }
    pub(crate) fn failure(&self, key: &str) {
        self.failures.get_or_create(&l(key)).inc();
    }
    pub(crate) fn iteration(&self, key: &str) {
        self.iterations.get_or_create(&l(key)).inc();
    }
    pub(crate) fn missed(&self, key: &str, n: u64) {
        self.missed.get_or_create(&l(key)).inc_by(n);
    }
    pub(crate) fn last_duration(&self, key: &str, secs: f64) {
        self.last_duration.get_or_create(&l(key)).set(secs);
    }

    /// Registers the metrics (names without `_total`; the client adds it).
    pub fn register(&self, reg: &mut Registry) {
        reg.register("argus_rule_evaluations", "The total number of rule evaluations.", self.evals.clone());
        reg.register(
            "argus_rule_evaluation_failures",
            "The total number of rule evaluation failures.",
            self.failures.clone(),
        );
        reg.register(
            "argus_rule_group_iterations",
            "The total number of scheduled rule group evaluations, whether executed or missed.",
            self.iterations.clone(),
        );
        reg.register(
            "argus_rule_group_iterations_missed",
            "The total number of rule group evaluations missed due to slow rule group evaluation.",
            self.missed.clone(),
        );
        reg.register(
            "argus_rule_group_last_duration_seconds",
            "The duration of the last rule group evaluation.",
            self.last_duration.clone(),
        );
    }
}
