//! Reading from the head: matcher evaluation over postings, then sample
//! decoding per series, outside the index lock.

use std::sync::Arc;

use argus_model::storage::{Querier, SelectHints, Series, SeriesSet, StorageResult};
use argus_model::{Labels, Matcher};
use parking_lot::Mutex;

use super::index::{self, labels_of};
use super::{Head, MemSeries};

/// A querier over the head for `[mint, maxt]`.
pub struct HeadQuerier {
    head: Arc<Head>,
    mint: i64,
    maxt: i64,
}

impl HeadQuerier {
    /// A querier over `[mint, maxt]` (ms, inclusive).
    pub fn new(head: Arc<Head>, mint: i64, maxt: i64) -> Self {
        HeadQuerier { head, mint, maxt }
    }

    /// Matching series with their labels, sorted by labels, that have data in range.
    pub(crate) fn matching(&self, matchers: &[Matcher]) -> Vec<(Labels, Arc<Mutex<MemSeries>>)> {
        let idx = self.head.index.read();
        let refs = index::select_refs(&idx.postings, &idx.syms, matchers, || {
            let mut all: Vec<u64> = idx.series.keys().collect();
            all.sort_unstable();
            all
        });
        let mut out: Vec<(Labels, Arc<Mutex<MemSeries>>)> = Vec::with_capacity(refs.len());
        for r in refs {
            if let Some(s) = idx.series.get(&r) {
                let g = s.lock();
                if g.overlaps(self.mint, self.maxt) {
                    out.push((labels_of(&idx.syms, &g.labels), s.clone()));
                }
            }
        }
        drop(idx);
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }
}

impl Querier for HeadQuerier {
    fn select(&self, matchers: &[Matcher], hints: &SelectHints) -> StorageResult<SeriesSet> {
        let lo = self.mint.max(hints.start);
        let hi = self.maxt.min(hints.end);
        let labels_only = hints.labels_only;
        let items = self.matching(matchers);
        Ok(Box::new(items.into_iter().filter_map(move |(labels, s)| {
            let samples = if labels_only { Vec::new() } else { s.lock().samples(lo, hi) };
            (labels_only || !samples.is_empty()).then_some(Ok(Series { labels, samples }))
        })))
    }

    fn label_names(&self, matchers: &[Matcher]) -> StorageResult<Vec<String>> {
        let mut names: Vec<String> = if matchers.is_empty() {
            let idx = self.head.index.read();
            idx.postings.names().map(|n| idx.syms.get(n).to_string()).collect()
        } else {
            self.matching(matchers)
                .into_iter()
                .flat_map(|(ls, _)| ls.into_vec().into_iter().map(|l| l.name.to_string()))
                .collect()
        };
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> StorageResult<Vec<String>> {
        let mut vals: Vec<String> = if matchers.is_empty() {
            let idx = self.head.index.read();
            match idx.syms.lookup(name) {
                Some(n) => idx.postings.values(n).map(|v| idx.syms.get(v).to_string()).collect(),
                None => Vec::new(),
            }
        } else {
            self.matching(matchers).into_iter().filter_map(|(ls, _)| ls.get(name).map(str::to_string)).collect()
        };
        vals.sort();
        vals.dedup();
        Ok(vals)
    }
}
