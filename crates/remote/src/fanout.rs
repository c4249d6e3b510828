//! [`Fanout`]: local storage merged with remote-read storages, as
//! Prometheus' fanout storage. Series with the same label set are merged
//! into one; where both have a sample at the same timestamp the local one
//! wins (then the remotes in config order).
//!
//! A remote that fails does not fail the query: its series are left out and
//! the failure is logged (Prometheus returns such errors as warnings, which
//! this seam cannot carry). A local failure fails the query.

use std::collections::BTreeMap;
use std::sync::Arc;

use argus_model::storage::{DeferredSet, Querier, Queryable, SelectHints, Series, SeriesSet, StorageResult, ready_set};
use argus_model::{Labels, Matcher, Sample};

/// Local storage first, then remotes.
pub struct Fanout {
    primary: Arc<dyn Queryable>,
    secondaries: Vec<Arc<dyn Queryable>>,
}

impl Fanout {
    /// Merges `primary` (local) with `secondaries` (remote reads).
    pub fn new(primary: Arc<dyn Queryable>, secondaries: Vec<Arc<dyn Queryable>>) -> Fanout {
        Fanout { primary, secondaries }
    }
}

impl Queryable for Fanout {
    fn querier(&self, mint: i64, maxt: i64) -> StorageResult<Box<dyn Querier>> {
        let primary = self.primary.querier(mint, maxt)?;
        let mut secondaries = Vec::new();
        for s in &self.secondaries {
            match s.querier(mint, maxt) {
                Ok(q) => secondaries.push(q),
                Err(e) => tracing::warn!(err = %e, "remote read querier failed; leaving it out"),
            }
        }
        Ok(Box::new(FanoutQuerier { primary, secondaries }))
    }
}

struct FanoutQuerier {
    primary: Box<dyn Querier>,
    secondaries: Vec<Box<dyn Querier>>,
}

fn merge_into(map: &mut BTreeMap<Labels, Vec<Sample>>, s: Series) {
    match map.get_mut(&s.labels) {
        None => {
            map.insert(s.labels, s.samples);
        }
        Some(have) => {
            // `have` came from a higher-priority source: keep its timestamps.
            let mut merged = Vec::with_capacity(have.len() + s.samples.len());
            let (mut a, mut b) = (have.iter().peekable(), s.samples.iter().peekable());
            loop {
                match (a.peek(), b.peek()) {
                    (Some(x), Some(y)) if x.t < y.t => merged.extend(a.next()),
                    (Some(x), Some(y)) if x.t > y.t => merged.extend(b.next()),
                    (Some(_), Some(_)) => {
                        merged.extend(a.next());
                        b.next();
                    }
                    (Some(_), None) => merged.extend(a.next()),
                    (None, Some(_)) => merged.extend(b.next()),
                    (None, None) => break,
                }
            }
            *have = merged;
        }
    }
}

impl Querier for FanoutQuerier {
    fn select(&self, matchers: &[Matcher], hints: &SelectHints) -> StorageResult<SeriesSet> {
        if self.secondaries.is_empty() {
            return self.primary.select(matchers, hints);
        }
        let mut map: BTreeMap<Labels, Vec<Sample>> = BTreeMap::new();
        for s in self.primary.select(matchers, hints)? {
            merge_into(&mut map, s?);
        }
        for q in &self.secondaries {
            let set = match q.select(matchers, hints) {
                Ok(set) => set,
                Err(e) => {
                    tracing::warn!(err = %e, "remote read failed; answering from local storage");
                    continue;
                }
            };
            for s in set {
                match s {
                    Ok(s) => merge_into(&mut map, s),
                    Err(e) => {
                        tracing::warn!(err = %e, "remote read failed; answering from local storage");
                        break;
                    }
                }
            }
        }
        Ok(Box::new(map.into_iter().map(|(labels, samples)| Ok(Series { labels, samples }))))
    }

    fn select_deferred(&self, matchers: &[Matcher], hints: &SelectHints) -> StorageResult<DeferredSet> {
        if self.secondaries.is_empty() {
            return self.primary.select_deferred(matchers, hints);
        }
        // Merging needs every source's samples at once.
        Ok(ready_set(self.select(matchers, hints)?))
    }

    fn label_names(&self, matchers: &[Matcher]) -> StorageResult<Vec<String>> {
        let mut out = self.primary.label_names(matchers)?;
        for q in &self.secondaries {
            out.extend(q.label_names(matchers).unwrap_or_default());
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> StorageResult<Vec<String>> {
        let mut out = self.primary.label_values(name, matchers)?;
        for q in &self.secondaries {
            out.extend(q.label_values(name, matchers).unwrap_or_default());
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argus_model::storage::MemStorage;
    use argus_model::{MatchOp, Sample};

    #[test]
    fn merges_series_and_local_wins() {
        let local = MemStorage::new();
        let remote = MemStorage::new();
        let a = Labels::from_pairs([("__name__", "x"), ("i", "a")]);
        let b = Labels::from_pairs([("__name__", "x"), ("i", "b")]);
        local.add(a.clone(), &[Sample::new(20, 1.0), Sample::new(30, 1.0)]);
        remote.add(a.clone(), &[Sample::new(10, 9.0), Sample::new(20, 9.0), Sample::new(40, 9.0)]);
        remote.add(b.clone(), &[Sample::new(10, 2.0)]);
        let f = Fanout::new(Arc::new(local), vec![Arc::new(remote)]);
        let q = f.querier(0, 100).unwrap();
        let m = [Matcher::new(MatchOp::Equal, "__name__", "x").unwrap()];
        let got: Vec<Series> = q
            .select(&m, &SelectHints { start: 0, end: 100, ..Default::default() })
            .unwrap()
            .map(|s| s.unwrap())
            .collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].labels, a);
        let pts: Vec<(i64, f64)> = got[0].samples.iter().map(|s| (s.t, s.v)).collect();
        assert_eq!(pts, [(10, 9.0), (20, 1.0), (30, 1.0), (40, 9.0)]);
        assert_eq!(got[1].labels, b);
        assert_eq!(q.label_values("i", &[]).unwrap(), ["a", "b"]);
    }
}
