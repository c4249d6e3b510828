//! Counters the owner exports as `argus_wal_*` metrics.
//!
//! They are atomics behind an `Arc` so a metrics scrape can read them without taking
//! the lock the owner holds around the [`crate::Wal`].

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Live WAL counters; read with [`WalStats::snapshot`].
#[derive(Debug, Default)]
pub struct WalStats {
    pub(crate) bytes_written: AtomicU64,
    pub(crate) records_written: AtomicU64,
    pub(crate) batches_written: AtomicU64,
    pub(crate) fsyncs: AtomicU64,
    pub(crate) fsync_nanos: AtomicU64,
    pub(crate) segments_created: AtomicU64,
    pub(crate) corruptions_repaired: AtomicU64,
    pub(crate) bytes_dropped: AtomicU64,
    pub(crate) size_bytes: AtomicU64,
}

/// A point-in-time copy of [`WalStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WalStatsSnapshot {
    /// Bytes appended to segments, frame headers included (counter).
    pub bytes_written: u64,
    /// Records appended (counter).
    pub records_written: u64,
    /// Batches (calls to `log` with at least one record) appended (counter).
    pub batches_written: u64,
    /// Segment fsyncs performed (counter).
    pub fsyncs: u64,
    /// Total time spent in segment fsyncs, in seconds (counter).
    pub fsync_duration_seconds: f64,
    /// Segments created, including the first one (counter).
    pub segments_created: u64,
    /// Corruptions found and repaired when opening (counter).
    pub corruptions_repaired: u64,
    /// Bytes dropped by those repairs (counter).
    pub bytes_dropped: u64,
    /// Current size of the segments in the WAL directory, checkpoints excluded (gauge).
    pub size_bytes: u64,
}

impl WalStats {
    /// Copies the counters.
    pub fn snapshot(&self) -> WalStatsSnapshot {
        WalStatsSnapshot {
            bytes_written: self.bytes_written.load(Relaxed),
            records_written: self.records_written.load(Relaxed),
            batches_written: self.batches_written.load(Relaxed),
            fsyncs: self.fsyncs.load(Relaxed),
            fsync_duration_seconds: Duration::from_nanos(self.fsync_nanos.load(Relaxed)).as_secs_f64(),
            segments_created: self.segments_created.load(Relaxed),
            corruptions_repaired: self.corruptions_repaired.load(Relaxed),
            bytes_dropped: self.bytes_dropped.load(Relaxed),
            size_bytes: self.size_bytes.load(Relaxed),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, v: u64) {
        counter.fetch_add(v, Relaxed);
    }

    pub(crate) fn sub_size(&self, v: u64) {
        // Saturating: sizes of deleted files are re-measured and may differ from our sum.
        let _ = self.size_bytes.fetch_update(Relaxed, Relaxed, |cur| Some(cur.saturating_sub(v)));
    }
}
