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
                vec![$((stringify!($name), $doc.trim().trim_end_matches('.'), self.$name.load(Ordering::Relaxed)),)*]
            }
        }
    };
}

stats! {
    /// series in the head.
    head_series,
    /// series created in the head.
    series_created,
    /// series removed from the head by garbage collection.
    series_removed,
    /// series refused because the head's series limit was reached.
    series_limit_rejected,
    /// samples appended (committed).
    samples_appended,
    /// samples rejected as out of order.
    out_of_order_samples,
    /// samples rejected as a different value for an existing timestamp.
    duplicate_samples,
    /// samples rejected as older than the head accepts.
    out_of_bounds_samples,
    /// out-of-order samples accepted inside the configured window.
    out_of_order_accepted,
    /// head chunks created.
    head_chunks_created,
    /// commits that failed to write the WAL.
    wal_write_failures,
    /// WAL records that could not be decoded during replay.
    wal_corrupt_records,
    /// replayed samples for series the WAL never declared.
    wal_unknown_refs,
    /// WAL replays whose segments needed repair.
    wal_repairs,
    /// successful compactions (head cut or block merge).
    compactions,
    /// failed compactions.
    compactions_failed,
    /// loaded blocks.
    blocks_loaded,
    /// blocks found corrupt and skipped.
    blocks_corrupt,
    /// blocks deleted by time retention.
    retention_time_deletions,
    /// blocks deleted by size retention.
    retention_size_deletions,
    /// bytes of all loaded blocks.
    blocks_bytes,
    /// head truncations.
    head_truncations,
}
