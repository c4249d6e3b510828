//! Reading across the head and blocks: one [`Querier`] that merges series
//! with equal label sets from every source, in label order, decoding samples
//! lazily as the caller iterates.

use std::sync::Arc;

use argus_block::RunMeta;
use argus_model::storage::{Querier, SelectHints, Series, SeriesSet, StorageError, StorageResult};
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
}

/// Decodes the samples of one source within `[lo, hi]`.
fn read_source(src: &Source, lo: i64, hi: i64) -> StorageResult<Vec<Sample>> {
    match src {
        Source::Head(s) => Ok(s.lock().samples(lo, hi)),
        Source::Block(b, runs) => {
            let mut out = Vec::new();
            for r in runs {
                let bytes = b.run_bytes(r).map_err(storage_err)?;
                let samples = argus_chunkenc::decode_run(bytes)
                    .map_err(|e| storage_err(format!("block {}: {e}", b.meta().ulid)))?;
                out.extend(samples.into_iter().filter(|s| s.t >= lo && s.t <= hi));
            }
            Ok(out)
        }
    }
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
        // Each source yields its series sorted by labels; merging sorted
        // lists is much cheaper than re-sorting all label sets.
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
        let labels_only = hints.labels_only;
        Ok(Box::new(MergeByLabels::new(lists).filter_map(move |(labels, srcs)| {
            if labels_only {
                return Some(Ok(Series { labels, samples: Vec::new() }));
            }
            let parts: StorageResult<Vec<Vec<Sample>>> = srcs.iter().map(|s| read_source(s, lo, hi)).collect();
            match parts {
                Err(e) => Some(Err(e)),
                Ok(parts) => {
                    let samples = merge_samples(parts);
                    (!samples.is_empty()).then_some(Ok(Series { labels, samples }))
                }
            }
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
        let min = self.heads.iter().filter_map(|h| h.as_ref().map(|(l, _)| l)).min()?.clone();
        let mut srcs = Vec::with_capacity(1);
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
