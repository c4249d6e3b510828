//! The storage seams: how subsystems write samples and read series.
//!
//! Writers (scrape loops, the push gateway's sampler, recording rules, backfill)
//! take an [`Appender`] from an [`Appendable`], append a batch, then
//! [`Appender::commit`] it as one transaction or [`Appender::rollback`] it.
//! Readers (the PromQL engine, the HTTP API, federation) open a [`Querier`]
//! over a time range from a [`Queryable`] and `select` series by matchers.
//!
//! The traits are object safe so the binary can wire `argus-tsdb` behind
//! `Arc<dyn Queryable>`; [`MemStorage`] is a simple in-memory implementation for
//! tests of the subsystems above storage.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::{Labels, Matcher, Sample};

/// An opaque, process-local handle for a series that an appender returned;
/// passing it back skips the label lookup. `0` means "unknown".
pub type SeriesRef = u64;

/// A storage's own pointer to one series, handed out by
/// [`Appender::last_handle`] and passed back to [`Appender::append_handle`]
/// by callers that keep it between batches (the scrape cache): appending
/// through it needs no lookup by [`SeriesRef`] at all. Opaque to callers.
pub type SeriesHandle = Arc<dyn std::any::Any + Send + Sync>;

/// Why storage refused a write or a read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The sample is older than the newest one of its series (Prometheus' wording).
    #[error("out of order sample")]
    OutOfOrderSample,
    /// A second, different value for a timestamp the series already has.
    #[error("duplicate sample for timestamp")]
    DuplicateSampleForTimestamp,
    /// The sample is older than what the head accepts (already in a block).
    #[error("out of bounds")]
    OutOfBounds,
    /// The series' label set is not acceptable (empty, bad name, duplicate name).
    #[error("invalid series {labels}: {reason}")]
    InvalidSeries {
        /// The offending label set.
        labels: String,
        /// Why it was refused.
        reason: String,
    },
    /// A configured limit was hit (e.g. max series in the head).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// Storage is closed, read-only or not ready; retrying later may help.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// An I/O or corruption failure; the message names the file.
    #[error("storage failure: {0}")]
    Internal(String),
}

/// Result of storage operations.
pub type StorageResult<T> = std::result::Result<T, StorageError>;

/// One series as read from storage: its labels and its samples in the
/// requested time range, sorted by timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The label set.
    pub labels: Labels,
    /// Samples with `mint <= t <= maxt`, ascending, no duplicate timestamps.
    pub samples: Vec<Sample>,
}

/// A lazily produced sequence of series, sorted by label set.
pub type SeriesSet = Box<dyn Iterator<Item = StorageResult<Series>> + Send>;

/// Reads one series' samples, appending them to a caller's buffer; may run
/// on any thread.
pub type SampleLoader = Box<dyn FnOnce(&mut Vec<Sample>) -> StorageResult<()> + Send>;

/// The samples of a series from [`Querier::select_deferred`]: already read,
/// or read when [`Samples::load_into`] is called.
pub enum Samples {
    /// Read at select time (what [`Querier::select`] returned).
    Ready(Vec<Sample>),
    /// Read on demand.
    Deferred(SampleLoader),
}

impl Samples {
    /// Appends the samples (what [`Querier::select`] would have returned for
    /// the series, possibly none) to `buf`.
    ///
    /// A caller that loads many series through one buffer avoids allocating
    /// and freeing a vector per series, and a caller that loads on its worker
    /// threads uses the samples while they are still in cache.
    pub fn load_into(self, buf: &mut Vec<Sample>) -> StorageResult<()> {
        match self {
            Samples::Ready(v) if buf.is_empty() => {
                *buf = v;
                Ok(())
            }
            Samples::Ready(v) => {
                buf.extend(v);
                Ok(())
            }
            Samples::Deferred(f) => f(buf),
        }
    }
}

impl std::fmt::Debug for Samples {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Samples::Ready(v) => f.debug_tuple("Ready").field(&v.len()).finish(),
            Samples::Deferred(_) => f.write_str("Deferred"),
        }
    }
}

/// Series of [`Querier::select_deferred`], sorted by label set.
pub type DeferredSet = Box<dyn Iterator<Item = StorageResult<(Labels, Samples)>> + Send>;

/// A [`SeriesSet`] as a [`DeferredSet`] whose samples are all read.
pub fn ready_set(set: SeriesSet) -> DeferredSet {
    Box::new(set.map(|r| r.map(|s| (s.labels, Samples::Ready(s.samples)))))
}

/// What the caller will do with selected data; storage may use it to read less.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SelectHints {
    /// First timestamp (ms) the caller needs, inclusive.
    pub start: i64,
    /// Last timestamp (ms) the caller needs, inclusive.
    pub end: i64,
    /// Query step in ms (0 for instant queries).
    pub step: i64,
    /// Range of the surrounding range selector in ms, if any.
    pub range: i64,
    /// The PromQL function the selector feeds, if any (e.g. `rate`).
    pub func: Option<String>,
    /// Only labels are needed, not samples (e.g. `/api/v1/series`).
    pub labels_only: bool,
}

/// Read access to series over the fixed range `[mint, maxt]` (ms, inclusive).
pub trait Querier: Send + Sync {
    /// Series matching all `matchers`, sorted by label set; each carries its
    /// samples within the querier's range intersected with `[hints.start, hints.end]`.
    fn select(&self, matchers: &[Matcher], hints: &SelectHints) -> StorageResult<SeriesSet>;
    /// [`Querier::select`], except that a series' samples may be read only
    /// when the caller loads them (then possibly none: a series without
    /// samples in range may be listed). The default reads them at once.
    fn select_deferred(&self, matchers: &[Matcher], hints: &SelectHints) -> StorageResult<DeferredSet> {
        Ok(ready_set(self.select(matchers, hints)?))
    }
    /// Sorted label names of series in range that match all `matchers`
    /// (all series when `matchers` is empty).
    fn label_names(&self, matchers: &[Matcher]) -> StorageResult<Vec<String>>;
    /// Sorted values of label `name` on series in range that match `matchers`.
    fn label_values(&self, name: &str, matchers: &[Matcher]) -> StorageResult<Vec<String>>;
}

/// Something a [`Querier`] can be opened on.
pub trait Queryable: Send + Sync {
    /// A querier over `[mint, maxt]` (ms, inclusive). Cheap; does not block on writers.
    fn querier(&self, mint: i64, maxt: i64) -> StorageResult<Box<dyn Querier>>;
}

/// A write transaction: appended samples become visible to queriers, and
/// durable per the WAL policy, only after [`Appender::commit`].
pub trait Appender: Send {
    /// Adds a sample to the batch. `sref` is a handle returned earlier for the
    /// same labels, or 0. Returns the series' handle. Per-sample errors
    /// (out of order, duplicate, out of bounds) reject only this sample.
    fn append(&mut self, sref: SeriesRef, labels: &Labels, t: i64, v: f64) -> StorageResult<SeriesRef>;
    /// Adds a sample to the series a nonzero handle `sref` names, without its
    /// labels, for callers that keep handles between batches (the scrape
    /// loop's series cache keeps no label copies this way). `Ok(None)` means
    /// this appender cannot append by handle alone or does not know `sref`:
    /// call [`Appender::append`] with the labels instead. Errors are those of
    /// `append`. The default answers `Ok(None)`.
    fn append_ref(&mut self, sref: SeriesRef, t: i64, v: f64) -> StorageResult<Option<SeriesRef>> {
        let _ = (sref, t, v);
        Ok(None)
    }
    /// Like [`Appender::append_ref`], through a handle [`Appender::last_handle`]
    /// gave for `sref` (in this or an earlier batch of the same storage).
    /// `Ok(None)`: the handle is no longer good (the storage dropped the
    /// series); append with the labels instead. The default ignores the
    /// handle and calls `append_ref`.
    fn append_handle(
        &mut self,
        sref: SeriesRef,
        handle: &SeriesHandle,
        t: i64,
        v: f64,
    ) -> StorageResult<Option<SeriesRef>> {
        let _ = handle;
        self.append_ref(sref, t, v)
    }
    /// The handle of the series the last successful append of this batch
    /// went to, for [`Appender::append_handle`]; `None` (the default) when
    /// the storage has no handles.
    fn last_handle(&self) -> Option<SeriesHandle> {
        None
    }
    /// Makes the batch durable and visible.
    fn commit(self: Box<Self>) -> StorageResult<()>;
    /// Discards the batch.
    fn rollback(self: Box<Self>);
}

/// Something that hands out [`Appender`]s.
pub trait Appendable: Send + Sync {
    /// A new, empty write transaction.
    fn appender(&self) -> Box<dyn Appender>;
}

/// An in-memory storage for tests: no compression, no WAL, Prometheus'
/// append-order rules (out-of-order and duplicate samples are rejected).
#[derive(Debug, Clone, Default)]
pub struct MemStorage {
    inner: Arc<RwLock<BTreeMap<Labels, Vec<Sample>>>>,
}

impl MemStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds samples to a series directly (test setup), keeping them sorted;
    /// a sample at an existing timestamp replaces it.
    pub fn add(&self, labels: Labels, samples: &[Sample]) {
        let mut g = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let s = g.entry(labels).or_default();
        for smp in samples {
            match s.binary_search_by_key(&smp.t, |x| x.t) {
                Ok(i) => s[i] = *smp,
                Err(i) => s.insert(i, *smp),
            }
        }
    }

    /// Removes every series.
    pub fn clear(&self) {
        self.inner.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

fn series_matches(ls: &Labels, ms: &[Matcher]) -> bool {
    ms.iter().all(|m| m.matches(ls.get(&m.name).unwrap_or("")))
}

struct MemQuerier {
    data: Vec<Series>,
}

impl Querier for MemQuerier {
    fn select(&self, matchers: &[Matcher], hints: &SelectHints) -> StorageResult<SeriesSet> {
        let (lo, hi) = (hints.start, hints.end);
        let out: Vec<StorageResult<Series>> = self
            .data
            .iter()
            .filter(|s| series_matches(&s.labels, matchers))
            .map(|s| {
                let samples = if hints.labels_only {
                    Vec::new()
                } else {
                    s.samples.iter().filter(|x| x.t >= lo && x.t <= hi).copied().collect()
                };
                Ok(Series { labels: s.labels.clone(), samples })
            })
            .collect();
        Ok(Box::new(out.into_iter()))
    }

    fn label_names(&self, matchers: &[Matcher]) -> StorageResult<Vec<String>> {
        let mut names: Vec<String> = self
            .data
            .iter()
            .filter(|s| series_matches(&s.labels, matchers))
            .flat_map(|s| s.labels.iter().map(|l| l.name.to_string()))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> StorageResult<Vec<String>> {
        let mut vals: Vec<String> = self
            .data
            .iter()
            .filter(|s| series_matches(&s.labels, matchers))
            .filter_map(|s| s.labels.get(name).map(str::to_string))
            .collect();
        vals.sort();
        vals.dedup();
        Ok(vals)
    }
}

impl Queryable for MemStorage {
    fn querier(&self, mint: i64, maxt: i64) -> StorageResult<Box<dyn Querier>> {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let data = g
            .iter()
            .filter_map(|(ls, ss)| {
                let samples: Vec<Sample> = ss.iter().filter(|x| x.t >= mint && x.t <= maxt).copied().collect();
                (!samples.is_empty()).then(|| Series { labels: ls.clone(), samples })
            })
            .collect();
        Ok(Box::new(MemQuerier { data }))
    }
}

struct MemAppender {
    store: MemStorage,
    batch: Vec<(Labels, Sample)>,
}

impl Appender for MemAppender {
    fn append(&mut self, _sref: SeriesRef, labels: &Labels, t: i64, v: f64) -> StorageResult<SeriesRef> {
        if labels.is_empty() {
            return Err(StorageError::InvalidSeries { labels: labels.to_string(), reason: "empty label set".into() });
        }
        let g = self.store.inner.read().unwrap_or_else(|e| e.into_inner());
        let last = self
            .batch
            .iter()
            .rev()
            .find(|(l, _)| l == labels)
            .map(|(_, s)| *s)
            .or_else(|| g.get(labels).and_then(|s| s.last().copied()));
        if let Some(last) = last {
            if t < last.t {
                return Err(StorageError::OutOfOrderSample);
            }
            if t == last.t && v.to_bits() != last.v.to_bits() {
                return Err(StorageError::DuplicateSampleForTimestamp);
            }
        }
        drop(g);
        self.batch.push((labels.clone(), Sample::new(t, v)));
        Ok(0)
    }

    fn commit(self: Box<Self>) -> StorageResult<()> {
        for (ls, s) in self.batch {
            self.store.add(ls, &[s]);
        }
        Ok(())
    }

    fn rollback(self: Box<Self>) {}
}

impl Appendable for MemStorage {
    fn appender(&self) -> Box<dyn Appender> {
        Box::new(MemAppender { store: self.clone(), batch: Vec::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MatchOp;

    #[test]
    fn mem_storage_round_trip_and_order_rules() {
        let st = MemStorage::new();
        let ls = Labels::from_pairs([("__name__", "x"), ("job", "a")]);
        let mut app = st.appender();
        app.append(0, &ls, 10, 1.0).unwrap();
        app.append(0, &ls, 20, 2.0).unwrap();
        assert_eq!(app.append(0, &ls, 15, 3.0), Err(StorageError::OutOfOrderSample));
        assert_eq!(app.append(0, &ls, 20, 3.0), Err(StorageError::DuplicateSampleForTimestamp));
        app.commit().unwrap();
        let q = st.querier(0, 100).unwrap();
        let m = [Matcher::new(MatchOp::Re, "job", "a|b").unwrap()];
        let h = SelectHints { start: 15, end: 100, ..Default::default() };
        let got: Vec<Series> = q.select(&m, &h).unwrap().map(|s| s.unwrap()).collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].samples, vec![Sample::new(20, 2.0)]);
        assert_eq!(q.label_values("job", &[]).unwrap(), vec!["a"]);
    }
}
