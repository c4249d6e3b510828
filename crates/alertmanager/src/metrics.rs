//! Self-metrics of the alert manager (`argus_*` names, Alertmanager's
//! meanings): notifications sent and failed and their latency per integration,
//! alerts by state, silences by state, and the notification log's size.
//! Gauges are refreshed when state changes and by the maintenance task.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

fn latency_histogram() -> Histogram {
    Histogram::new([1.0, 5.0, 10.0, 15.0, 20.0])
}

/// The alert manager's metrics.
#[derive(Debug)]
pub(crate) struct Metrics {
    pub notifications: Family<Labels, Counter>,
    pub notifications_failed: Family<Labels, Counter>,
    pub notification_latency: Family<Labels, Histogram, fn() -> Histogram>,
    pub alerts: Family<Labels, Gauge>,
    pub alerts_received: Family<Labels, Counter>,
    pub alerts_invalid: Counter,
    pub silences: Family<Labels, Gauge>,
    pub nflog_entries: Gauge,
    pub nflog_queries: Counter,
    pub nflog_snapshot_size: Gauge,
    pub nflog_gc: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            notifications: Family::default(),
            notifications_failed: Family::default(),
            notification_latency: Family::new_with_constructor(latency_histogram),
            alerts: Family::default(),
            alerts_received: Family::default(),
            alerts_invalid: Counter::default(),
            silences: Family::default(),
            nflog_entries: Gauge::default(),
            nflog_queries: Counter::default(),
            nflog_snapshot_size: Gauge::default(),
            nflog_gc: Counter::default(),
        }
    }
}

pub(crate) fn integration(name: &str) -> Labels {
    vec![("integration".to_string(), name.to_string())]
}

pub(crate) fn state(s: &str) -> Labels {
    vec![("state".to_string(), s.to_string())]
}

impl Metrics {
    pub(crate) fn register(&self, reg: &mut Registry) {
        reg.register("argus_notifications", "The total number of attempted notifications", self.notifications.clone());
        reg.register(
            "argus_notifications_failed",
            "The total number of failed notifications",
            self.notifications_failed.clone(),
        );
        reg.register(
            "argus_notification_latency_seconds",
            "The latency of notifications in seconds",
            self.notification_latency.clone(),
        );
        reg.register("argus_alertmanager_alerts", "How many alerts by state", self.alerts.clone());
        reg.register(
            "argus_alertmanager_alerts_received",
            "The total number of received alerts by status",
            self.alerts_received.clone(),
        );
        reg.register(
            "argus_alertmanager_alerts_invalid",
            "The total number of received alerts that were invalid",
            self.alerts_invalid.clone(),
        );
        reg.register("argus_silences", "How many silences by state", self.silences.clone());
        reg.register("argus_nflog_entries", "Number of notification log entries", self.nflog_entries.clone());
        reg.register("argus_nflog_queries", "Number of notification log queries", self.nflog_queries.clone());
        reg.register(
            "argus_nflog_snapshot_size_bytes",
            "Size of the last notification log snapshot in bytes",
            self.nflog_snapshot_size.clone(),
        );
        reg.register(
            "argus_nflog_gc_removed_entries",
            "Notification log entries removed by garbage collection",
            self.nflog_gc.clone(),
        );
    }
}
