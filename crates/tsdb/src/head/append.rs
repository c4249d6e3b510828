//! Write transactions on the head.
//!
//! `append` validates a sample against its series (and against earlier
//! samples of the same batch) and buffers it; `commit` writes one WAL batch
//! (series records for series not yet logged, then one samples record) and
//! only then applies the samples, so nothing visible is missing from the WAL.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use argus_model::storage::{Appender, SeriesHandle, SeriesRef, StorageError, StorageResult};
use argus_model::{Labels, Sample};
use parking_lot::Mutex;

use super::{Head, MemSeries};
use crate::wal_records;

/// Appenders of foreign-owned series (see [`HeadAppender`]) find their slot
/// by series address; a fast hasher, the keys are ours.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Ids of open appenders, for [`MemSeries::owner`]; 0 means "none".
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// One series this batch appended to.
struct Slot {
    series: Arc<Mutex<MemSeries>>,
    /// The ref the series was first appended under in this batch (its WAL
    /// series record uses it).
    sref: SeriesRef,
    /// This appender set the series' owner tag (and clears it when done).
    owned: bool,
    /// The series was not in the WAL yet when first appended to.
    unlogged: bool,
    /// Newest pending (t, value bits) in this batch.
    pending: Option<(i64, u64)>,
}

/// A batch of samples for the head; see the module doc.
///
/// Each series the batch touches gets a slot holding the series and the
/// batch's newest pending sample for it (to reject a second value for one
/// timestamp within the batch). To find its slot again without a map
/// lookup, the appender tags the series with its id and the slot index
/// (`MemSeries::owner`, `slot`) and clears the tag when it is dropped. A
/// series tagged by another open appender is never re-tagged: this appender
/// then keeps its slot in a map by series address, so two appenders on one
/// series never read or overwrite each other's pending state.
pub struct HeadAppender {
    head: Arc<Head>,
    id: u32,
    samples: Vec<(SeriesRef, i64, f64)>,
    /// The slot of each sample.
    sample_slots: Vec<u32>,
    slots: Vec<Slot>,
    /// Slots of series another open appender has tagged, by series address.
    foreign: HashMap<usize, u32>,
    /// The slot of the last successful append, for [`Appender::last_handle`].
    last_slot: Option<u32>,
}

impl HeadAppender {
    pub(crate) fn new(head: Arc<Head>) -> Self {
        let mut id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        if id == 0 {
            id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        }
        HeadAppender {
            head,
            id,
            samples: Vec::new(),
            sample_slots: Vec::new(),
            slots: Vec::new(),
            foreign: HashMap::default(),
            last_slot: None,
        }
    }

    /// Number of buffered samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    fn check(&self, s: &MemSeries, pending: Option<(i64, u64)>, t: i64, v: f64) -> StorageResult<bool> {
        let (last_t, last_v) = match pending {
            Some((pt, pv)) if pt >= s.last_t => (pt, pv),
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

    /// The slot of `series` in this batch, created if needed; the caller
    /// holds the series' lock `g`.
    fn slot_of(&mut self, g: &mut MemSeries, series: &Arc<Mutex<MemSeries>>, sref: SeriesRef) -> usize {
        if g.owner == self.id
            && let Some(slot) = self.slots.get(g.slot as usize)
            && Arc::ptr_eq(&slot.series, series)
        {
            return g.slot as usize;
        }
        let i = self.slots.len();
        let unlogged = !g.logged;
        let new = |owned| Slot { series: series.clone(), sref, owned, unlogged, pending: None };
        if g.owner == 0 {
            g.owner = self.id;
            g.slot = i as u32;
            self.slots.push(new(true));
            return i;
        }
        let key = Arc::as_ptr(series) as usize;
        if let Some(&j) = self.foreign.get(&key) {
            return j as usize;
        }
        self.slots.push(new(false));
        self.foreign.insert(key, i as u32);
        i
    }

    /// Validates and buffers a sample for a resolved series. `Ok(false)`:
    /// the head dropped the series meanwhile (nothing buffered).
    fn push(&mut self, sref: SeriesRef, series: &Arc<Mutex<MemSeries>>, t: i64, v: f64) -> StorageResult<bool> {
        let mut g = series.lock();
        if g.removed {
            return Ok(false);
        }
        let i = self.slot_of(&mut g, series, sref);
        let pending = self.slots.get(i).and_then(|s| s.pending);
        let ooo = self.check(&g, pending, t, v)?;
        drop(g);
        if !ooo && let Some(slot) = self.slots.get_mut(i) {
            match slot.pending {
                Some((pt, _)) if t < pt => {}
                _ => slot.pending = Some((t, v.to_bits())),
            }
        }
        self.samples.push((sref, t, v));
        self.sample_slots.push(i as u32);
        self.last_slot = Some(i as u32);
        Ok(true)
    }
}

impl Appender for HeadAppender {
    fn append(&mut self, sref: SeriesRef, labels: &Labels, t: i64, v: f64) -> StorageResult<SeriesRef> {
        self.check_bounds(t)?;
        if sref != 0
            && let Some(series) = self.head.series_by_ref(sref)
            && self.push(sref, &series, t, v)?
        {
            return Ok(sref);
        }
        valid_labels(labels)?;
        let (sref, series) = self.head.get_or_create(labels)?;
        if self.push(sref, &series, t, v)? {
            return Ok(sref);
        }
        Err(StorageError::Internal("series removed while appending".into()))
    }

    fn append_ref(&mut self, sref: SeriesRef, t: i64, v: f64) -> StorageResult<Option<SeriesRef>> {
        if sref == 0 {
            return Ok(None);
        }
        self.check_bounds(t)?;
        let Some(series) = self.head.series_by_ref(sref) else { return Ok(None) };
        Ok(self.push(sref, &series, t, v)?.then_some(sref))
    }

    fn append_handle(
        &mut self,
        sref: SeriesRef,
        handle: &SeriesHandle,
        t: i64,
        v: f64,
    ) -> StorageResult<Option<SeriesRef>> {
        let Ok(series) = Arc::downcast::<Mutex<MemSeries>>(handle.clone()) else {
            return self.append_ref(sref, t, v);
        };
        if sref == 0 {
            return Ok(None);
        }
        self.check_bounds(t)?;
        Ok(self.push(sref, &series, t, v)?.then_some(sref))
    }

    fn last_handle(&self) -> Option<SeriesHandle> {
        let slot = self.slots.get(self.last_slot? as usize)?;
        Some(slot.series.clone() as SeriesHandle)
    }

    fn commit(self: Box<Self>) -> StorageResult<()> {
        let this = &*self;
        if this.samples.is_empty() {
            return Ok(());
        }
        let head = &this.head;
        if let Some(wal) = &head.wal {
            let mut wal = wal.lock();
            let mut series_rec = Vec::new();
            let mut new: Vec<(SeriesRef, Box<[u32]>)> = Vec::new();
            for slot in this.slots.iter().filter(|s| s.unlogged) {
                let mut g = slot.series.lock();
                if !g.logged {
                    new.push((slot.sref, g.labels.clone()));
                    g.logged = true;
                }
            }
            if !new.is_empty() {
                let idx = head.index.read();
                let new: Vec<(SeriesRef, Labels)> =
                    new.iter().map(|(r, pairs)| (*r, super::index::labels_of(&idx.syms, pairs))).collect();
                let refs: Vec<(SeriesRef, &Labels)> = new.iter().map(|(r, l)| (*r, l)).collect();
                wal_records::encode_series(&mut series_rec, &refs);
            }
            let mut samples_rec = Vec::with_capacity(this.samples.len() * 12 + 17);
            wal_records::encode_samples(&mut samples_rec, &this.samples);
            let res =
                if series_rec.is_empty() { wal.log(&[&samples_rec]) } else { wal.log(&[&series_rec, &samples_rec]) };
            if let Err(e) = res {
                head.stats.wal_write_failures.fetch_add(1, Ordering::Relaxed);
                // The series records may not have reached the log: log them again next time.
                for s in this.slots.iter().filter(|s| s.unlogged) {
                    s.series.lock().logged = false;
                }
                return Err(StorageError::Internal(format!("cannot write WAL: {e}")));
            }
        }
        let mut applied = 0u64;
        for (&(_, t, v), &i) in this.samples.iter().zip(&this.sample_slots) {
            if let Some(slot) = this.slots.get(i as usize)
                && head.apply(&mut slot.series.lock(), t, v)
            {
                applied += 1;
            }
        }
        head.stats.samples_appended.fetch_add(applied, Ordering::Relaxed);
        Ok(())
    }

    fn rollback(self: Box<Self>) {}
}

impl Drop for HeadAppender {
    /// Clears this appender's owner tags, committed or not.
    fn drop(&mut self) {
        for slot in self.slots.iter().filter(|s| s.owned) {
            let mut g = slot.series.lock();
            if g.owner == self.id {
                g.owner = 0;
            }
        }
    }
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
