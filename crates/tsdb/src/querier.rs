//! Reading across the head and blocks: one [`Querier`] that merges series
//! with equal label sets from every source, in label order, decoding samples
//! lazily as the caller iterates.

use std::sync::Arc;

use argus_block::RunMeta;
use argus_model::storage::{
    DeferredSet, Querier, SampleLoader, Samples, SelectHints, Series, SeriesSet, StorageError, StorageResult,
};
use argus_model::{Labels, Matcher, Sample};
use parking_lot::Mutex;

use crate::db::BlockRef;
use crate::head::{Head, HeadQuerier, MemSeries};

pub(crate) struct DbQuerier {
    /// The head, when its time range overlaps the querier's (Prometheus
    /// leaves the head out otherwise, so label lookups do not see it).
    head: Option<HeadQuerier>,
    blocks: Vec<BlockRef>,
    mint: i64,
    maxt: i64,
}

enum Source {
    Head(Arc<Mutex<MemSeries>>),
    Block(BlockRef, Vec<RunMeta>),
}

fn storage_err(e: impl std::fmt::Display) -> StorageError {
    StorageError::Internal(e.to_string())
}

impl DbQuerier {
    pub(crate) fn new(head: Arc<Head>, blocks: Vec<BlockRef>, mint: i64, maxt: i64) -> Self {
        let overlaps = head.min_time() <= maxt && head.max_time() >= mint;
        DbQuerier { head: overlaps.then(|| HeadQuerier::new(head, mint, maxt)), blocks, mint, maxt }
    }

    /// The series matching `matchers` with data in `[lo, hi]`, in label
    /// order, each with its sources (head and/or blocks). Each source lists
    /// its series sorted by labels; merging sorted lists is much cheaper
    /// than re-sorting all label sets.
    fn sorted_sources(&self, matchers: &[Matcher], lo: i64, hi: i64) -> StorageResult<MergeByLabels> {
        let mut lists: Vec<Vec<(Labels, Source)>> = Vec::with_capacity(self.blocks.len() + 1);
        if let Some(head) = &self.head {
            lists.push(head.matching(matchers).into_iter().map(|(l, s)| (l, Source::Head(s))).collect());
        }
        for b in &self.blocks {
            let ids = b.select(matchers).map_err(storage_err)?;
            let mut list = Vec::with_capacity(ids.len());
            for item in b.series_of(&ids) {
                let (_, labels, runs) = item.map_err(storage_err)?;
                let runs: Vec<RunMeta> = runs.into_iter().filter(|r| r.max_time >= lo && r.min_time <= hi).collect();
                if !runs.is_empty() {
                    list.push((labels, Source::Block(b.clone(), runs)));
                }
            }
            lists.push(list);
        }
        lists.retain(|l| !l.is_empty());
        Ok(MergeByLabels::new(lists))
    }
}

/// Appends the samples of one source within `[lo, hi]` to `out`.
fn read_source_into(src: &Source, lo: i64, hi: i64, out: &mut Vec<Sample>) -> StorageResult<()> {
    match src {
        Source::Head(s) => {
            out.extend(s.lock().samples(lo, hi));
            Ok(())
        }
        Source::Block(b, runs) => {
            for r in runs {
                let bytes = b.run_bytes(r).map_err(storage_err)?;
                // Only the part of the run inside the window is decoded: an
                // instant query's 5 minutes out of a 2,048-sample run.
                argus_chunkenc::decode_run_range_into(bytes, lo, hi, out)
                    .map_err(|e| storage_err(format!("block {}: {e}", b.meta().ulid)))?;
            }
            Ok(())
        }
    }
}

/// Appends one series' samples within `[lo, hi]` from all its sources to
/// `out`, merged (sorted, one per timestamp). On error `out` may hold part
/// of them.
fn read_sources_into(srcs: &[Source], lo: i64, hi: i64, out: &mut Vec<Sample>) -> StorageResult<()> {
    if let [only] = srcs {
        return read_source_into(only, lo, hi, out);
    }
    let mut parts = Vec::with_capacity(srcs.len());
    for s in srcs {
        let mut part = Vec::new();
        read_source_into(s, lo, hi, &mut part)?;
        parts.push(part);
    }
    out.extend(merge_samples(parts));
    Ok(())
}

/// Series decoded together (in parallel) before the caller sees the first of them.
const DECODE_BATCH_SERIES: usize = 512;

/// Series below which decoding stays on the calling thread: a thread costs
/// tens of microseconds, a series' window a few.
const PARALLEL_MIN_SERIES: usize = 256;

/// Decodes every series' samples in `[lo, hi]`, in order, splitting the work
/// over the machine's cores when there is enough of it. Series without
/// samples in the window are `None`.
fn read_all(items: Vec<(Labels, Vec<Source>)>, lo: i64, hi: i64) -> Vec<Option<StorageResult<Series>>> {
    let read = |(labels, srcs): (Labels, Vec<Source>)| -> Option<StorageResult<Series>> {
        let mut samples = Vec::new();
        match read_sources_into(&srcs, lo, hi, &mut samples) {
            Err(e) => Some(Err(e)),
            Ok(()) => (!samples.is_empty()).then_some(Ok(Series { labels, samples })),
        }
    };
    let threads = decode_threads().min(items.len() / PARALLEL_MIN_SERIES).max(1);
    if threads == 1 {
        return items.into_iter().map(read).collect();
    }
    // Contiguous shares keep the output in label order; the calling thread
    // takes the first share.
    let per = items.len().div_ceil(threads);
    let mut shares: Vec<Vec<(Labels, Vec<Source>)>> = Vec::with_capacity(threads);
    let mut rest = items;
    while rest.len() > per {
        let tail = rest.split_off(per);
        shares.push(std::mem::replace(&mut rest, tail));
    }
    shares.push(rest);
    let mut shares = shares.into_iter();
    let first = shares.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            shares.map(|share| scope.spawn(move || share.into_iter().map(read).collect::<Vec<_>>())).collect();
        let mut out: Vec<_> = first.into_iter().map(read).collect();
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                Err(_) => out.push(Some(Err(StorageError::Internal("series decoding thread panicked".into())))),
            }
        }
        out
    })
}

/// Cores used for decoding one select (the process' available parallelism,
/// at most 8).
fn decode_threads() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()).min(8))
}

/// Merges several sources' samples: sorted by time, one sample per timestamp.
pub(crate) fn merge_samples(mut parts: Vec<Vec<Sample>>) -> Vec<Sample> {
    if parts.len() == 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut all: Vec<Sample> = parts.into_iter().flatten().collect();
    all.sort_by_key(|s| s.t);
    all.dedup_by_key(|s| s.t);
    all
}

impl Querier for DbQuerier {
    fn select(&self, matchers: &[Matcher], hints: &SelectHints) -> StorageResult<SeriesSet> {
        let lo = self.mint.max(hints.start);
        let hi = self.maxt.min(hints.end);
        let mut items = self.sorted_sources(matchers, lo, hi)?;
        if hints.labels_only {
            return Ok(Box::new(items.map(|(labels, _)| Ok(Series { labels, samples: Vec::new() }))));
        }
        // Decoded batch by batch as the caller iterates: a range function
        // slides over each series and drops it, so a query over 6 hours of
        // 13,000 series holds one batch of samples (12 MB there) instead of 300 MB.
        let batches = std::iter::from_fn(move || {
            let batch: Vec<(Labels, Vec<Source>)> = items.by_ref().take(DECODE_BATCH_SERIES).collect();
            (!batch.is_empty()).then(|| read_all(batch, lo, hi))
        });
        Ok(Box::new(batches.flatten().flatten()))
    }

    fn select_deferred(&self, matchers: &[Matcher], hints: &SelectHints) -> StorageResult<DeferredSet> {
        let lo = self.mint.max(hints.start);
        let hi = self.maxt.min(hints.end);
        let items = self.sorted_sources(matchers, lo, hi)?;
        if hints.labels_only {
            return Ok(Box::new(items.map(|(labels, _)| Ok((labels, Samples::Ready(Vec::new()))))));
        }
        // Nothing is decoded here: the caller loads each series where it
        // uses it (a range function on its worker threads, into one buffer).
        Ok(Box::new(items.map(move |(labels, srcs)| {
            let load: SampleLoader = Box::new(move |buf| read_sources_into(&srcs, lo, hi, buf));
            Ok((labels, Samples::Deferred(load)))
        })))
    }

    fn label_names(&self, matchers: &[Matcher]) -> StorageResult<Vec<String>> {
        let mut names = match &self.head {
            Some(h) => h.label_names(matchers)?,
            None => Vec::new(),
        };
        for b in &self.blocks {
            names.extend(b.label_names(matchers).map_err(storage_err)?);
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> StorageResult<Vec<String>> {
        let mut vals = match &self.head {
            Some(h) => h.label_values(name, matchers)?,
            None => Vec::new(),
        };
        for b in &self.blocks {
            vals.extend(b.label_values(name, matchers).map_err(storage_err)?);
        }
        vals.sort();
        vals.dedup();
        Ok(vals)
    }
}

/// Merges lists sorted by label set into one sorted stream, grouping the
/// sources of equal label sets.
struct MergeByLabels {
    iters: Vec<std::vec::IntoIter<(Labels, Source)>>,
    heads: Vec<Option<(Labels, Source)>>,
}

impl MergeByLabels {
    fn new(lists: Vec<Vec<(Labels, Source)>>) -> Self {
        let mut iters: Vec<_> = lists.into_iter().map(|l| l.into_iter()).collect();
        let heads = iters.iter_mut().map(|it| it.next()).collect();
        MergeByLabels { iters, heads }
    }
}

impl Iterator for MergeByLabels {
    type Item = (Labels, Vec<Source>);

    fn next(&mut self) -> Option<Self::Item> {
        // The smallest head's labels are moved out, not cloned: a label set
        // is a dozen strings, and most series have a single source.
        let (at, _) = self
            .heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|(l, _)| (i, l)))
            .min_by(|a, b| a.1.cmp(b.1))?;
        let it = self.iters.get_mut(at)?;
        let (min, first) = std::mem::replace(self.heads.get_mut(at)?, it.next())?;
        let mut srcs = vec![first];
        for (head, it) in self.heads.iter_mut().zip(self.iters.iter_mut()) {
            while head.as_ref().is_some_and(|(l, _)| *l == min) {
                if let Some((_, s)) = std::mem::replace(head, it.next()) {
                    srcs.push(s);
                }
            }
        }
        Some((min, srcs))
    }
}
