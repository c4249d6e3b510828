//! `argus_remote_storage_*`: Prometheus 2.42's `prometheus_remote_storage_*`
//! metrics under argus' prefix, labelled by `remote_name` and `url` as in
//! Prometheus. One [`Metrics`] per [`crate::WriteManager`], shared by its
//! queues; a queue removed on reload removes its label sets.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

type Lbl = Vec<(String, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// The remote-write metric families.
#[derive(Debug)]
pub(crate) struct Metrics {
    pub(crate) samples_in: Family<Lbl, Counter>,
    pub(crate) samples_pending: Family<Lbl, Gauge>,
    pub(crate) samples_total: Family<Lbl, Counter>,
    pub(crate) samples_failed: Family<Lbl, Counter>,
    pub(crate) samples_retried: Family<Lbl, Counter>,
    pub(crate) samples_dropped: Family<Lbl, Counter>,
    pub(crate) highest_sent: Family<Lbl, FloatGauge>,
    pub(crate) shards: Family<Lbl, Gauge>,
    pub(crate) shards_max: Family<Lbl, Gauge>,
    pub(crate) shards_min: Family<Lbl, Gauge>,
    pub(crate) shard_capacity: Family<Lbl, Gauge>,
    pub(crate) sent_batch_duration: Family<Lbl, Histogram>,
    pub(crate) bytes_total: Family<Lbl, Counter>,
    pub(crate) metadata_total: Family<Lbl, Counter>,
    pub(crate) metadata_failed: Family<Lbl, Counter>,
    pub(crate) highest_in: FloatGauge,
    highest_in_ms: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            samples_in: Family::default(),
            samples_pending: Family::default(),
            samples_total: Family::default(),
            samples_failed: Family::default(),
            samples_retried: Family::default(),
            samples_dropped: Family::default(),
            highest_sent: Family::default(),
            shards: Family::default(),
            shards_max: Family::default(),
            shards_min: Family::default(),
            shard_capacity: Family::default(),
            // Prometheus' buckets: prometheus.DefBuckets times 2..100.
            sent_batch_duration: Family::new_with_constructor(|| {
                Histogram::new([
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 60.0, 120.0, 300.0,
                ])
            }),
            bytes_total: Family::default(),
            metadata_total: Family::default(),
            metadata_failed: Family::default(),
            highest_in: FloatGauge::default(),
            highest_in_ms: AtomicI64::new(i64::MIN),
        }
    }
}

impl Metrics {
    pub(crate) fn register(&self, reg: &mut Registry) {
        let r = reg.sub_registry_with_prefix("argus_remote_storage");
        r.register("samples_in", "Samples read from the WAL by the remote-write watchers.", self.samples_in.clone());
        r.register("samples_pending", "Samples waiting in the shards to be sent.", self.samples_pending.clone());
        r.register("samples", "Samples sent to remote storage (each attempt counts).", self.samples_total.clone());
        r.register(
            "samples_failed",
            "Samples that failed to send with a non-recoverable error and were dropped.",
            self.samples_failed.clone(),
        );
        r.register(
            "samples_retried",
            "Samples that failed to send with a recoverable error and were retried.",
            self.samples_retried.clone(),
        );
        r.register(
            "samples_dropped",
            "Samples read from the WAL and dropped before sending: write_relabel_configs or an unknown series reference.",
            self.samples_dropped.clone(),
        );
        r.register(
            "queue_highest_sent_timestamp_seconds",
            "Timestamp of the newest sample successfully sent by this queue, in seconds since the epoch.",
            self.highest_sent.clone(),
        );
        r.register("shards", "Shards used to send samples in parallel.", self.shards.clone());
        r.register("shards_max", "The max_shards of the queue.", self.shards_max.clone());
        r.register("shards_min", "The min_shards of the queue.", self.shards_min.clone());
        r.register("shard_capacity", "The capacity of each shard.", self.shard_capacity.clone());
        r.register(
            "sent_batch_duration_seconds",
            "Duration of sample batch send calls to the remote storage.",
            self.sent_batch_duration.clone(),
        );
        r.register(
            "bytes",
            "Compressed bytes of sample requests sent (each attempt counts).",
            self.bytes_total.clone(),
        );
        r.register("metadata", "Metric metadata entries sent.", self.metadata_total.clone());
        r.register("metadata_failed", "Metric metadata entries that failed to send.", self.metadata_failed.clone());
        r.register(
            "highest_timestamp_in_seconds",
            "Newest sample timestamp the remote-write watchers read from the WAL, in seconds since the epoch.",
            self.highest_in.clone(),
        );
    }

    /// Raises `highest_timestamp_in_seconds` to `t_ms` if it is newer.
    pub(crate) fn observe_highest_in(&self, t_ms: i64) {
        if self.highest_in_ms.fetch_max(t_ms, Ordering::Relaxed) < t_ms {
            self.highest_in.set(t_ms as f64 / 1000.0);
        }
    }

    /// Removes every label set of one queue (on reload or stop).
    pub(crate) fn remove(&self, l: &Lbl) {
        self.samples_in.remove(l);
        self.samples_pending.remove(l);
        self.samples_total.remove(l);
        self.samples_failed.remove(l);
        self.samples_retried.remove(l);
        self.samples_dropped.remove(l);
        self.highest_sent.remove(l);
        self.shards.remove(l);
        self.shards_max.remove(l);
        self.shards_min.remove(l);
        self.shard_capacity.remove(l);
        self.sent_batch_duration.remove(l);
        self.bytes_total.remove(l);
        self.metadata_total.remove(l);
        self.metadata_failed.remove(l);
    }
}

/// The label set of one queue.
pub(crate) fn queue_labels(remote_name: &str, url: &str) -> Lbl {
    vec![("remote_name".to_string(), remote_name.to_string()), ("url".to_string(), url.to_string())]
}
