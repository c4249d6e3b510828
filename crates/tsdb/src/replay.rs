//! WAL replay into the head at start-up.
//!
//! Series records recreate series under their old refs; samples records are
//! applied with the head's ordering rules. Undecodable records and samples for
//! undeclared refs are counted and skipped: replay never stops start-up for
//! damaged data (the WAL crate has already cut a torn tail).

use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::head::Head;
use crate::wal_records::{self, Record};

pub(crate) struct Replayer<'a> {
    head: &'a Head,
    records: u64,
    samples: u64,
    last_log: Instant,
}

impl<'a> Replayer<'a> {
    pub(crate) fn new(head: &'a Head) -> Self {
        Replayer { head, records: 0, samples: 0, last_log: Instant::now() }
    }

    pub(crate) fn record(&mut self, rec: &[u8]) {
        let head = self.head;
        self.records += 1;
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
                            if head.apply(&mut series.lock(), s.t, s.v) {
                                self.samples += 1;
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
        if self.last_log.elapsed().as_secs() >= 5 {
            tracing::info!(records = self.records, samples = self.samples, "WAL replay in progress");
            self.last_log = Instant::now();
        }
    }

    pub(crate) fn finish(self) {
        // Every replayed series is in the WAL (or its checkpoint) already.
        for s in self.head.index.read().series.values() {
            s.lock().logged = true;
        }
        tracing::info!(records = self.records, samples = self.samples, "WAL records replayed");
    }
}
