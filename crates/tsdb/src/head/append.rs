//! Write transactions on the head.
//!
//! `append` validates a sample against its series (and against earlier
//! samples of the same batch) and buffers it; `commit` writes one WAL batch
//! (series records for series not yet logged, then one samples record) and
//! only then applies the samples, so nothing visible is missing from the WAL.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use argus_model::storage::{Appender, SeriesRef, StorageError, StorageResult};
use argus_model::{Labels, Sample};
use parking_lot::Mutex;

use super::{Head, MemSeries};
use crate::wal_records;

/// The batch's maps are probed several times per sample (a scrape appends
/// every sample of a target in one batch), so they use a fast hasher
/// instead of SipHash; series refs are ours, not attacker-chosen.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A batch of samples for the head; see the module doc.
pub struct HeadAppender {
    head: Arc<Head>,
    samples: Vec<(SeriesRef, i64, f64)>,
    series: HashMap<SeriesRef, Arc<Mutex<MemSeries>>>,
    /// Newest pending (t, value bits) per series in this batch.
    pending_last: HashMap<SeriesRef, (i64, u64)>,
}

impl HeadAppender {
    pub(crate) fn new(head: Arc<Head>) -> Self {
        HeadAppender { head, samples: Vec::new(), series: HashMap::default(), pending_last: HashMap::default() }
    }

    /// Number of buffered samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    fn check(&self, s: &MemSeries, sref: SeriesRef, t: i64, v: f64) -> StorageResult<bool> {
        let (last_t, last_v) = match self.pending_last.get(&sref) {
            Some(&(pt, pv)) if pt >= s.last_t => (pt, pv),
            _ => (s.last_t, s.last_v),
        };
        if t > last_t || last_t == i64::MIN {
            return Ok(false);
        }
        if t == last_t {
            if v.to_bits() == last_v {
                return Ok(false); // an exact duplicate is accepted and ignored
            }
            self.head.stats.duplicate_samples.fetch_add(1, Ordering::Relaxed);
            return Err(StorageError::DuplicateSampleForTimestamp);
        }
        let w = self.head.opts.out_of_order_window;
        if w > 0 && t >= last_t - w {
            return Ok(true);
        }
        self.head.stats.out_of_order_samples.fetch_add(1, Ordering::Relaxed);
        Err(StorageError::OutOfOrderSample)
    }
}

fn valid_labels(labels: &Labels) -> StorageResult<()> {
    let bad =
        |reason: &str| Err(StorageError::InvalidSeries { labels: labels.to_string(), reason: reason.to_string() });
    if labels.is_empty() {
        return bad("empty label set");
    }
    if labels.iter().any(|l| l.name.is_empty()) {
        return bad("empty label name");
    }
    if labels.as_slice().windows(2).any(|w| w[0].name >= w[1].name) {
        return bad("labels not sorted or duplicated");
    }
    Ok(())
}

impl HeadAppender {
    fn check_bounds(&self, t: i64) -> StorageResult<()> {
        if t < self.head.min_valid_time.load(Ordering::Relaxed) {
            self.head.stats.out_of_bounds_samples.fetch_add(1, Ordering::Relaxed);
            return Err(StorageError::OutOfBounds);
        }
        Ok(())
    }

    /// Validates and buffers a sample for a resolved series. `known`: the
    /// series is already in `self.series` (no map insert needed).
    fn push(
        &mut self,
        sref: SeriesRef,
        series: Arc<Mutex<MemSeries>>,
        known: bool,
        t: i64,
        v: f64,
    ) -> StorageResult<()> {
        let ooo = {
            let g = series.lock();
            self.check(&g, sref, t, v)?
        };
        if !ooo {
            let e = self.pending_last.entry(sref).or_insert((t, v.to_bits()));
            if t >= e.0 {
                *e = (t, v.to_bits());
            }
        }
        if !known {
            self.series.insert(sref, series);
        }
        self.samples.push((sref, t, v));
        Ok(())
    }
}

impl Appender for HeadAppender {
    fn append(&mut self, sref: SeriesRef, labels: &Labels, t: i64, v: f64) -> StorageResult<SeriesRef> {
        self.check_bounds(t)?;
        let known = self.series.get(&sref).cloned();
        let is_known = known.is_some();
        let (sref, series) = match known.or_else(|| self.head.series_by_ref(sref)) {
            Some(s) if sref != 0 => (sref, s),
            _ => {
                valid_labels(labels)?;
                self.head.get_or_create(labels)?
            }
        };
        self.push(sref, series, is_known, t, v)?;
        Ok(sref)
    }

    fn append_ref(&mut self, sref: SeriesRef, t: i64, v: f64) -> StorageResult<Option<SeriesRef>> {
        if sref == 0 {
            return Ok(None);
        }
        self.check_bounds(t)?;
        let (series, known) = match self.series.get(&sref) {
            Some(s) => (s.clone(), true),
            None => match self.head.series_by_ref(sref) {
                Some(s) => (s, false),
                None => return Ok(None),
            },
        };
        self.push(sref, series, known, t, v)?;
        Ok(Some(sref))
    }

    fn commit(self: Box<Self>) -> StorageResult<()> {
        let this = *self;
        if this.samples.is_empty() {
            return Ok(());
        }
        let head = &this.head;
        if let Some(wal) = &head.wal {
            let mut wal = wal.lock();
            let mut series_rec = Vec::new();
            {
                let idx = head.index.read();
                let mut new: Vec<(SeriesRef, Labels)> = Vec::new();
                for (r, s) in &this.series {
                    let mut g = s.lock();
                    if !g.logged {
                        new.push((*r, super::index::labels_of(&idx.syms, &g.labels)));
                        g.logged = true;
                    }
                }
                if !new.is_empty() {
                    let refs: Vec<(SeriesRef, &Labels)> = new.iter().map(|(r, l)| (*r, l)).collect();
                    wal_records::encode_series(&mut series_rec, &refs);
                }
            }
            let mut samples_rec = Vec::with_capacity(this.samples.len() * 12 + 17);
            wal_records::encode_samples(&mut samples_rec, &this.samples);
            let res =
                if series_rec.is_empty() { wal.log(&[&samples_rec]) } else { wal.log(&[&series_rec, &samples_rec]) };
            if let Err(e) = res {
                head.stats.wal_write_failures.fetch_add(1, Ordering::Relaxed);
                // The series records may not have reached the log: log them again next time.
                for s in this.series.values() {
                    s.lock().logged = false;
                }
                return Err(StorageError::Internal(format!("cannot write WAL: {e}")));
            }
        }
        let mut applied = 0u64;
        for &(r, t, v) in &this.samples {
            if let Some(s) = this.series.get(&r)
                && head.apply(&mut s.lock(), t, v)
            {
                applied += 1;
            }
        }
        head.stats.samples_appended.fetch_add(applied, Ordering::Relaxed);
        Ok(())
    }

    fn rollback(self: Box<Self>) {}
}

impl Head {
    /// Applies one validated sample to a series (commit and WAL replay).
    /// Returns false when it had to be dropped (ordering changed meanwhile).
    pub(crate) fn apply(&self, s: &mut MemSeries, t: i64, v: f64) -> bool {
        if t < self.min_valid_time.load(Ordering::Relaxed) {
            return false;
        }
        if t > s.last_t || s.last_t == i64::MIN {
            if s.append(t, v, self.opts.chunk_range, self.opts.samples_per_chunk) {
                self.stats.head_chunks_created.fetch_add(1, Ordering::Relaxed);
            }
        } else if t == s.last_t {
            // An identical duplicate is accepted by `append` and dropped here.
            return false;
        } else if self.opts.out_of_order_window > 0 && t >= s.last_t - self.opts.out_of_order_window {
            if !s.insert_ooo(Sample::new(t, v)) {
                return false;
            }
            self.stats.out_of_order_accepted.fetch_add(1, Ordering::Relaxed);
        } else {
            return false;
        }
        self.note_time(t);
        true
    }
}
