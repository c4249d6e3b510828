//! WAL replay into the head at start-up.
//!
//! Series records recreate series under their old refs; samples records are
//! applied with the head's ordering rules. Undecodable records and samples for
//! undeclared refs are counted and skipped: replay never stops start-up for
//! damaged data (the WAL crate has already cut a torn tail).

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::error::Result;
use crate::head::Head;
use crate::wal_records::{self, Record};

pub(crate) fn replay_wal(head: &Head, wal_dir: &Path) -> Result<()> {
    let mut reader = argus_wal::Reader::with_checkpoint(wal_dir)?;
    let mut last_log = Instant::now();
    let (mut records, mut samples) = (0u64, 0u64);
    while let Some(rec) = reader.next_record()? {
        records += 1;
        match wal_records::decode(rec) {
            Ok(Record::Series(series)) => {
                for (r, labels) in series {
                    head.create_with_ref(r, &labels);
                }
            }
            Ok(Record::Samples(ss)) => {
                for (r, s) in ss {
                    match head.series_by_ref(r) {
                        Some(series) => {
                            let mut g = series.lock();
                            g.logged = true;
                            if head.apply(&mut g, s.t, s.v) {
                                samples += 1;
                            }
                        }
                        None => {
                            head.stats.wal_unknown_refs.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            Err(e) => {
                head.stats.wal_corrupt_records.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(err = %e, "skipping undecodable WAL record");
            }
        }
        if last_log.elapsed().as_secs() >= 5 {
            let (done, total) = reader.progress();
            tracing::info!(segment = done, total_segments = total, records, samples, "WAL replay in progress");
            last_log = Instant::now();
        }
    }
    // Every replayed series is in the WAL already.
    for s in head.index.read().series.values() {
        s.lock().logged = true;
    }
    tracing::info!(records, samples, "WAL records replayed");
    Ok(())
}
