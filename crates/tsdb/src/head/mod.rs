//! The head: the in-memory, writable part of the database.
//!
//! Recent samples live here in compressed XOR chunks, one open chunk per
//! series plus closed ones, until compaction cuts them into an immutable block
//! and [`Head::truncate`] drops them. Every committed batch is first written to
//! the WAL (see `wal_records`), so a restart rebuilds the head by replay.
//!
//! Shared state: the index (symbols, postings, series map) sits behind one
//! `RwLock`; each series has its own `Mutex`, so appends to different series
//! and reads do not serialise on the index once a series exists.

mod append;
pub(crate) mod index;
mod read;
mod series;
mod table;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use argus_model::Labels;
use argus_model::storage::SeriesRef;
use parking_lot::{Mutex, RwLock};

pub use append::HeadAppender;
pub use read::HeadQuerier;
pub(crate) use series::MemSeries;

use crate::stats::Stats;
use index::{Postings, Symbols};

/// How the head cuts chunks and what it accepts.
#[derive(Debug, Clone)]
pub struct HeadOptions {
    /// Chunk boundaries are aligned to multiples of this (ms); also the block range.
    pub chunk_range: i64,
    /// A chunk is closed after this many samples.
    pub samples_per_chunk: usize,
    /// Samples up to this much older (ms) than a series' newest are accepted
    /// out of order; 0 rejects them as Prometheus 2.42 does by default.
    pub out_of_order_window: i64,
    /// Refuse to create series beyond this count (0 = unlimited).
    pub max_series: usize,
}

impl Default for HeadOptions {
    fn default() -> Self {
        HeadOptions { chunk_range: 2 * 3600 * 1000, samples_per_chunk: 120, out_of_order_window: 0, max_series: 0 }
    }
}

#[derive(Default)]
pub(crate) struct HeadIndex {
    pub(crate) syms: Symbols,
    pub(crate) postings: Postings,
    pub(crate) series: table::SeriesTable<Arc<Mutex<MemSeries>>>,
    by_hash: HashMap<u64, SeriesRef>,
    collisions: HashMap<u64, Vec<SeriesRef>>,
}

impl HeadIndex {
    fn find(&self, hash: u64, labels: &Labels) -> Option<(SeriesRef, Arc<Mutex<MemSeries>>)> {
        let check = |r: SeriesRef| {
            let s = self.series.get(&r)?;
            let ok = index::pairs_equal(&self.syms, &s.lock().labels, labels);
            ok.then(|| (r, s.clone()))
        };
        if let Some(&r) = self.by_hash.get(&hash)
            && let Some(found) = check(r)
        {
            return Some(found);
        }
        self.collisions.get(&hash)?.iter().find_map(|&r| check(r))
    }

    fn insert(&mut self, sref: SeriesRef, hash: u64, labels: &Labels) -> Arc<Mutex<MemSeries>> {
        let mut pairs = Vec::with_capacity(labels.len() * 2);
        for l in labels {
            pairs.push(self.syms.intern(&l.name));
            pairs.push(self.syms.intern(&l.value));
        }
        self.postings.add(sref, &pairs);
        let s = Arc::new(Mutex::new(MemSeries::new(pairs.into_boxed_slice())));
        self.series.insert(sref, s.clone());
        if let std::collections::hash_map::Entry::Vacant(e) = self.by_hash.entry(hash) {
            e.insert(sref);
        } else {
            self.collisions.entry(hash).or_default().push(sref);
        }
        s
    }

    fn remove(&mut self, dead: Vec<(SeriesRef, Box<[u32]>)>) {
        let mut post = Vec::with_capacity(dead.len());
        for (sref, pairs) in dead {
            // Not kept per series (8 bytes each); recomputed for the rare removal.
            let hash = index::labels_of(&self.syms, &pairs).stable_hash();
            self.series.remove(&sref);
            if self.by_hash.get(&hash) == Some(&sref) {
                self.by_hash.remove(&hash);
                if let Some(c) = self.collisions.get_mut(&hash) {
                    if let Some(next) = c.pop() {
                        self.by_hash.insert(hash, next);
                    }
                    if c.is_empty() {
                        self.collisions.remove(&hash);
                    }
                }
            } else if let Some(c) = self.collisions.get_mut(&hash) {
                c.retain(|&r| r != sref);
                if c.is_empty() {
                    self.collisions.remove(&hash);
                }
            }
            post.push((sref, pairs));
        }
        self.postings.remove(&post);
    }
}

/// Head cardinality, see [`Head::cardinality`].
#[derive(Debug, Clone, Default)]
pub struct Cardinality {
    /// Distinct label name/value pairs.
    pub label_pairs: u64,
    /// Series per metric name, largest first.
    pub series_by_metric_name: Vec<(String, u64)>,
    /// Distinct values per label name, largest first.
    pub values_by_label_name: Vec<(String, u64)>,
    /// Series per `name=value` pair, largest first.
    pub series_by_label_pair: Vec<(String, u64)>,
}

/// The in-memory head block. Cheap to share: hold it in an `Arc`.
pub struct Head {
    pub(crate) opts: HeadOptions,
    pub(crate) index: RwLock<HeadIndex>,
    pub(crate) wal: Option<Mutex<argus_wal::Wal>>,
    /// Samples older than this are out of bounds (already cut into a block).
    pub(crate) min_valid_time: AtomicI64,
    pub(crate) min_time: AtomicI64,
    pub(crate) max_time: AtomicI64,
    next_ref: AtomicU64,
    pub(crate) stats: Arc<Stats>,
}

impl Head {
    /// A new, empty head; `wal` (if any) receives every committed batch.
    pub fn new(opts: HeadOptions, wal: Option<argus_wal::Wal>, stats: Arc<Stats>) -> Self {
        Head {
            opts,
            index: RwLock::new(HeadIndex::default()),
            wal: wal.map(Mutex::new),
            min_valid_time: AtomicI64::new(i64::MIN),
            min_time: AtomicI64::new(i64::MAX),
            max_time: AtomicI64::new(i64::MIN),
            next_ref: AtomicU64::new(1),
            stats,
        }
    }

    /// The same head, now logging commits to `wal` (attached after replay).
    pub(crate) fn with_wal(mut self, wal: argus_wal::Wal) -> Self {
        self.wal = Some(Mutex::new(wal));
        self
    }

    /// Finds or creates the series for `labels`. Returns its ref, the series,
    /// and whether it was created by this call.
    pub(crate) fn get_or_create(
        &self,
        labels: &Labels,
    ) -> argus_model::storage::StorageResult<(SeriesRef, Arc<Mutex<MemSeries>>)> {
        let hash = labels.stable_hash();
        if let Some(found) = self.index.read().find(hash, labels) {
            return Ok(found);
        }
        let mut idx = self.index.write();
        if let Some(found) = idx.find(hash, labels) {
            return Ok(found);
        }
        if self.opts.max_series > 0 && idx.series.len() >= self.opts.max_series {
            self.stats.series_limit_rejected.fetch_add(1, Ordering::Relaxed);
            return Err(argus_model::storage::StorageError::LimitExceeded(format!(
                "head already holds the maximum of {} series",
                self.opts.max_series
            )));
        }
        let sref = self.next_ref.fetch_add(1, Ordering::Relaxed);
        let s = idx.insert(sref, hash, labels);
        self.stats.series_created.fetch_add(1, Ordering::Relaxed);
        self.stats.head_series.store(idx.series.len() as u64, Ordering::Relaxed);
        Ok((sref, s))
    }

    /// Creates a series with a known ref (WAL replay). Returns false if the ref exists.
    pub(crate) fn create_with_ref(&self, sref: SeriesRef, labels: &Labels) -> bool {
        let mut idx = self.index.write();
        if idx.series.contains_key(&sref) {
            return false;
        }
        let hash = labels.stable_hash();
        if let Some((existing, _)) = idx.find(hash, labels) {
            // The same labels under two refs (a series recreated after GC):
            // alias the old ref to the live series so replayed samples land.
            let s = idx.series.get(&existing).cloned();
            if let Some(s) = s {
                idx.series.insert(sref, s);
            }
        } else {
            idx.insert(sref, hash, labels);
        }
        let next = self.next_ref.load(Ordering::Relaxed).max(sref + 1);
        self.next_ref.store(next, Ordering::Relaxed);
        self.stats.head_series.store(idx.series.len() as u64, Ordering::Relaxed);
        true
    }

    pub(crate) fn series_by_ref(&self, sref: SeriesRef) -> Option<Arc<Mutex<MemSeries>>> {
        self.index.read().series.get(&sref).cloned()
    }

    /// A new write transaction on the head.
    pub fn appender(self: &Arc<Self>) -> HeadAppender {
        HeadAppender::new(self.clone())
    }

    /// Oldest sample time in the head, or `i64::MAX` when empty.
    pub fn min_time(&self) -> i64 {
        self.min_time.load(Ordering::Relaxed).max(self.min_valid_time.load(Ordering::Relaxed))
    }

    /// Newest sample time in the head, or `i64::MIN` when empty.
    pub fn max_time(&self) -> i64 {
        self.max_time.load(Ordering::Relaxed)
    }

    /// Number of series in the head.
    pub fn num_series(&self) -> usize {
        self.index.read().series.len()
    }

    /// Number of chunks in the head.
    pub fn num_chunks(&self) -> usize {
        let all: Vec<Arc<Mutex<MemSeries>>> = self.index.read().series.values().cloned().collect();
        all.iter().map(|s| s.lock().chunks.len()).sum()
    }

    /// Heap bytes held by all series' chunks (for memory accounting).
    pub fn chunk_bytes(&self) -> usize {
        let all: Vec<Arc<Mutex<MemSeries>>> = self.index.read().series.values().cloned().collect();
        all.iter().map(|s| s.lock().chunk_bytes()).sum()
    }

    /// Cardinality statistics for `/api/v1/status/tsdb`: the `limit` largest
    /// entries of series per metric name, values per label name, and series
    /// per label pair, plus the number of label pairs.
    pub fn cardinality(&self, limit: usize) -> Cardinality {
        let idx = self.index.read();
        let top = |mut v: Vec<(String, u64)>| {
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(limit);
            v
        };
        let mut by_name = Vec::new();
        let mut values_per_label = Vec::new();
        let mut per_pair = Vec::new();
        let mut pairs = 0u64;
        for n in idx.postings.names() {
            let name = idx.syms.get(n);
            let values: Vec<u32> = idx.postings.values(n).collect();
            pairs += values.len() as u64;
            values_per_label.push((name.to_string(), values.len() as u64));
            for v in values {
                let count = idx.postings.count(n, v) as u64;
                if name == argus_model::METRIC_NAME {
                    by_name.push((idx.syms.get(v).to_string(), count));
                }
                per_pair.push((format!("{}={}", name, idx.syms.get(v)), count));
            }
        }
        Cardinality {
            label_pairs: pairs,
            series_by_metric_name: top(by_name),
            values_by_label_name: top(values_per_label),
            series_by_label_pair: top(per_pair),
        }
    }

    /// Number of interned label strings.
    pub fn num_symbols(&self) -> usize {
        self.index.read().syms.len()
    }

    pub(crate) fn note_time(&self, t: i64) {
        self.min_time.fetch_min(t, Ordering::Relaxed);
        self.max_time.fetch_max(t, Ordering::Relaxed);
    }

    /// Drops all data older than `mint` (it is in a block now), raises the
    /// out-of-bounds limit to `mint`, and garbage-collects series that have no
    /// samples left. Returns the number of series removed.
    pub fn truncate(&self, mint: i64) -> usize {
        self.min_valid_time.fetch_max(mint, Ordering::Relaxed);
        let all: Vec<(SeriesRef, Arc<Mutex<MemSeries>>)> =
            self.index.read().series.iter().map(|(r, s)| (r, s.clone())).collect();
        let mut dead = Vec::new();
        let mut new_min = i64::MAX;
        for (sref, s) in all {
            let mut g = s.lock();
            g.truncate_before(mint);
            if g.is_empty() {
                g.removed = true;
                dead.push((sref, g.labels.clone()));
            } else if let Some(t) = g.min_time() {
                new_min = new_min.min(t);
            }
        }
        let n = dead.len();
        if n > 0 {
            let mut idx = self.index.write();
            idx.remove(dead);
            self.stats.head_series.store(idx.series.len() as u64, Ordering::Relaxed);
        }
        self.stats.series_removed.fetch_add(n as u64, Ordering::Relaxed);
        self.min_time.store(new_min, Ordering::Relaxed);
        if new_min == i64::MAX {
            self.max_time.store(i64::MIN, Ordering::Relaxed);
        }
        n
    }

    /// All series with samples in `[mint, maxt]`, sorted by label set, each
    /// with its samples decoded lazily as the iterator advances (used to cut
    /// the head into a block and for snapshots: at a million series the
    /// decoded samples of a whole block range would not fit in memory).
    pub fn series_in_range(
        &self,
        mint: i64,
        maxt: i64,
    ) -> impl Iterator<Item = (Labels, Vec<argus_model::Sample>)> + use<> {
        let mut items: Vec<(Labels, Arc<Mutex<MemSeries>>)> = {
            let idx = self.index.read();
            let mut seen = std::collections::HashSet::new();
            idx.series
                .values()
                .filter(|s| seen.insert(Arc::as_ptr(s) as usize))
                .filter_map(|s| {
                    let g = s.lock();
                    g.overlaps(mint, maxt).then(|| (index::labels_of(&idx.syms, &g.labels), s.clone()))
                })
                .collect()
        };
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items.into_iter().filter_map(move |(ls, s)| {
            let samples = s.lock().samples(mint, maxt);
            (!samples.is_empty()).then_some((ls, samples))
        })
    }
}
