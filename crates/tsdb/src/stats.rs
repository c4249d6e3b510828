//! Counters and gauges of the storage engine, exported by the binary as
//! `argus_tsdb_*` metrics. Plain atomics so the hot paths pay one relaxed add.

use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! stats {
    ($(#[doc = $doc:literal] $name:ident),* $(,)?) => {
        /// Storage counters (monotonic) and gauges (current values).
        #[derive(Debug, Default)]
        pub struct Stats {
            $(#[doc = $doc] pub $name: AtomicU64,)*
        }

        impl Stats {
            /// Every field as `(name, help, value)`, for exporting.
            pub fn snapshot(&self) -> Vec<(&'static str, &'static str, u64)> {
                vec![$((stringify!($name), $doc.trim(), self.$name.load(Ordering::Relaxed)),)*]
            }
        }
    };
}

stats! {
    /// Gauge: series in the head.
    head_series,
    /// Counter: series created in the head.
    series_created,
    /// Counter: series removed from the head by garbage collection.
    series_removed,
    /// Counter: series refused because the head's series limit was reached.
    series_limit_rejected,
    /// Counter: samples appended (committed).
    samples_appended,
    /// Counter: samples rejected as out of order.
    out_of_order_samples,
    /// Counter: samples rejected as a different value for an existing timestamp.
    duplicate_samples,
    /// Counter: samples rejected as older than the head accepts.
    out_of_bounds_samples,
    /// Counter: out-of-order samples accepted inside the configured window.
    out_of_order_accepted,
    /// Counter: head chunks created.
    head_chunks_created,
    /// Counter: commits that failed to write the WAL.
    wal_write_failures,
    /// Counter: WAL records that could not be decoded during replay.
    wal_corrupt_records,
    /// Counter: replayed samples for series the WAL never declared.
    wal_unknown_refs,
    /// Counter: WAL replays whose segments needed repair.
    wal_repairs,
    /// Counter: successful compactions (head cut or block merge).
    compactions,
    /// Counter: failed compactions.
    compactions_failed,
    /// Gauge: loaded blocks.
    blocks_loaded,
    /// Counter: blocks found corrupt and skipped.
    blocks_corrupt,
    /// Counter: blocks deleted by time retention.
    retention_time_deletions,
    /// Counter: blocks deleted by size retention.
    retention_size_deletions,
    /// Gauge: bytes of all loaded blocks.
    blocks_bytes,
    /// Counter: head truncations.
    head_truncations,
}
