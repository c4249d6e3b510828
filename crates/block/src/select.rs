//! Matcher evaluation over postings, with Prometheus semantics
//! (`PostingsForMatchers` in `tsdb/querier.go`): a matcher that does not
//! match `""` selects the union of the postings of the values it matches and
//! is intersected; a matcher that matches `""` also selects series without
//! the label, so the values it rejects are subtracted instead. Only
//! subtracting matchers start from all series.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use argus_model::{MatchOp, Matcher};

use crate::error::Result;
use crate::postings::{intersect, intersects, subtract};
use crate::reader::{Block, NameEntry, SeriesId, ValueEntry};

/// Above this many selected series, `label_names` tests postings instead of reading series.
const SERIES_SCAN_LIMIT: usize = 1024;

impl Block {
    fn name_entry(&self, name: &str) -> Option<&NameEntry> {
        let sym = self.symbols.find(name)?;
        let i = self.names.binary_search_by(|n| n.sym.cmp(&sym)).ok()?;
        self.names.get(i)
    }

    fn values_of(&self, n: &NameEntry) -> &[ValueEntry] {
        self.values.get(n.values.clone()).unwrap_or_default()
    }

    /// Union of the postings of the values of `m.name` for which `keep(value)` holds.
    fn union_where(&self, m: &Matcher, keep: impl Fn(&str) -> bool) -> Result<Vec<u32>> {
        let Some(n) = self.name_entry(&m.name) else {
            return Ok(Vec::new());
        };
        // `l="x"` selecting, or `l!="x"` subtracting, needs one list: find it by binary search.
        let single = match m.op {
            MatchOp::Equal => keep(&m.value),
            MatchOp::NotEqual => !m.value.is_empty() && keep(&m.value),
            _ => false,
        };
        if single {
            let Some(sym) = self.symbols.find(&m.value) else {
                return Ok(Vec::new());
            };
            let vals = self.values_of(n);
            let mut out = Vec::new();
            if let Some(v) = vals.binary_search_by(|v| v.sym.cmp(&sym)).ok().and_then(|i| vals.get(i)) {
                self.postings_of(v, &mut out)?;
            }
            return Ok(out);
        }
        // Several lists: OR them into a bitmap over all series, which is
        // linear in the output instead of sorting the concatenation.
        let vals: Vec<&ValueEntry> =
            self.values_of(n).iter().filter(|v| keep(self.symbols.get(v.sym).unwrap_or_default())).collect();
        let mut out = Vec::new();
        if let [v] = vals.as_slice() {
            self.postings_of(v, &mut out)?;
            return Ok(out);
        }
        let mut bits = vec![0u64; (self.num_series() as usize).div_ceil(64)];
        let mut list = Vec::new();
        for v in vals {
            list.clear();
            self.postings_of(v, &mut list)?;
            for &id in &list {
                if let Some(w) = bits.get_mut((id / 64) as usize) {
                    *w |= 1 << (id % 64);
                }
            }
        }
        for (i, &w) in bits.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                out.push(i as u32 * 64 + w.trailing_zeros());
                w &= w - 1;
            }
        }
        Ok(out)
    }

    /// Series IDs (ascending = label order) whose label sets satisfy all
    /// `matchers`. No matchers selects every series. Errors only on corrupt postings.
    pub fn select(&self, matchers: &[Matcher]) -> Result<Vec<SeriesId>> {
        Ok(self.select_raw(matchers)?.into_iter().map(SeriesId).collect())
    }

    pub(crate) fn select_raw(&self, matchers: &[Matcher]) -> Result<Vec<u32>> {
        let mut positive: Option<Vec<u32>> = None;
        let mut negative: Vec<Vec<u32>> = Vec::new();
        for m in matchers {
            if m.matches_empty() {
                negative.push(self.union_where(m, |v| !m.matches(v))?);
            } else {
                let set = self.union_where(m, |v| m.matches(v))?;
                positive = Some(match positive {
                    None => set,
                    Some(p) => intersect(&p, &set),
                });
            }
            if positive.as_ref().is_some_and(|p| p.is_empty()) {
                return Ok(Vec::new());
            }
        }
        let mut out = positive.unwrap_or_else(|| (0..self.num_series()).collect());
        for n in &negative {
            out = subtract(&out, n);
        }
        Ok(out)
    }

    /// Sorted label names present on series selected by `matchers` (all names when empty).
    pub fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>> {
        if matchers.is_empty() {
            return Ok(self.names.iter().filter_map(|n| self.symbols.get(n.sym)).map(str::to_string).collect());
        }
        let sel = self.select_raw(matchers)?;
        // A small selection is cheapest to read series by series; a large one
        // is cheaper to test against each name's postings, stopping at the
        // first value that hits.
        if sel.len() > SERIES_SCAN_LIMIT {
            let mut out = Vec::new();
            let mut list = Vec::new();
            for n in &self.names {
                for v in self.values_of(n) {
                    list.clear();
                    self.postings_of(v, &mut list)?;
                    if intersects(&list, &sel) {
                        out.push(self.symbols.get(n.sym).unwrap_or_default().to_string());
                        break;
                    }
                }
            }
            return Ok(out);
        }
        let mut names = BTreeSet::new();
        let ids: Vec<SeriesId> = sel.into_iter().map(SeriesId).collect();
        for item in self.series_of(&ids) {
            let (_, ls, _) = item?;
            for l in ls.iter() {
                if !names.contains(l.name.as_str()) {
                    names.insert(l.name.clone());
                }
            }
            if names.len() == self.names.len() {
                break;
            }
        }
        Ok(names.into_iter().map(String::from).collect())
    }

    /// Sorted values of label `name` on series selected by `matchers` (all
    /// values when empty). Checks each value's postings against the selection.
    pub fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>> {
        let Some(n) = self.name_entry(name) else {
            return Ok(Vec::new());
        };
        let sel = if matchers.is_empty() { None } else { Some(self.select_raw(matchers)?) };
        let mut out = Vec::new();
        let mut list = Vec::new();
        for v in self.values_of(n) {
            if let Some(sel) = &sel {
                list.clear();
                self.postings_of(v, &mut list)?;
                if !intersects(&list, sel) {
                    continue;
                }
            }
            out.push(self.symbols.get(v.sym).unwrap_or_default().to_string());
        }
        Ok(out)
    }
}
