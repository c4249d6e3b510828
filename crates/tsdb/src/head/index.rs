//! The head's inverted index: interned symbols, label-set lookup by hash, and
//! postings lists from (label name, label value) to series references.
//!
//! Label strings are stored once in [`Symbols`] and series keep `u32` symbol
//! pairs, which is most of the head's memory saving over one `String` pair per
//! label per series. Postings are sorted `Vec<SeriesRef>`: refs are handed out
//! in increasing order, so appending keeps them sorted.

use std::collections::HashMap;

use argus_model::storage::SeriesRef;
use argus_model::{Label, Labels, MatchOp, Matcher, SmolStr};

/// Interned strings; symbol ids are dense `u32`s that are never reused.
#[derive(Default)]
pub(crate) struct Symbols {
    by_str: HashMap<SmolStr, u32>,
    strs: Vec<SmolStr>,
}

impl Symbols {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.by_str.get(s) {
            return id;
        }
        let id = self.strs.len() as u32;
        let a = SmolStr::new(s);
        self.strs.push(a.clone());
        self.by_str.insert(a, id);
        id
    }

    pub(crate) fn lookup(&self, s: &str) -> Option<u32> {
        self.by_str.get(s).copied()
    }

    pub(crate) fn get(&self, id: u32) -> &str {
        self.strs.get(id as usize).map(SmolStr::as_str).unwrap_or("")
    }

    /// Symbol `id` as a label string (a clone shares long strings).
    pub(crate) fn shared(&self, id: u32) -> SmolStr {
        self.strs.get(id as usize).cloned().unwrap_or_default()
    }

    pub(crate) fn len(&self) -> usize {
        self.strs.len()
    }
}

/// One postings list: sorted series refs, four bytes each while every ref
/// fits in 32 bits (always, unless a head lives through four billion series
/// creations), eight bytes from the first ref that does not.
pub(crate) enum RefList {
    Narrow(Vec<u32>),
    Wide(Vec<SeriesRef>),
}

impl Default for RefList {
    fn default() -> Self {
        RefList::Narrow(Vec::new())
    }
}

impl RefList {
    pub(crate) fn len(&self) -> usize {
        match self {
            RefList::Narrow(v) => v.len(),
            RefList::Wide(v) => v.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn last(&self) -> Option<SeriesRef> {
        match self {
            RefList::Narrow(v) => v.last().map(|&r| r as SeriesRef),
            RefList::Wide(v) => v.last().copied(),
        }
    }

    /// Adds `r`, keeping the list sorted and free of duplicates.
    pub(crate) fn insert(&mut self, r: SeriesRef) {
        if let RefList::Narrow(v) = self
            && r > u32::MAX as SeriesRef
        {
            *self = RefList::Wide(v.iter().map(|&x| x as SeriesRef).collect());
        }
        let in_order = self.last().is_none_or(|last| last < r);
        match self {
            RefList::Narrow(v) => sorted_insert(v, r as u32, in_order),
            RefList::Wide(v) => sorted_insert(v, r, in_order),
        }
    }

    pub(crate) fn remove(&mut self, r: SeriesRef) {
        match self {
            RefList::Narrow(v) => {
                if let Ok(small) = u32::try_from(r)
                    && let Ok(i) = v.binary_search(&small)
                {
                    v.remove(i);
                }
            }
            RefList::Wide(v) => {
                if let Ok(i) = v.binary_search(&r) {
                    v.remove(i);
                }
            }
        }
    }

    /// Appends the refs to `out`.
    pub(crate) fn extend_into(&self, out: &mut Vec<SeriesRef>) {
        match self {
            RefList::Narrow(v) => out.extend(v.iter().map(|&r| r as SeriesRef)),
            RefList::Wide(v) => out.extend_from_slice(v),
        }
    }

    pub(crate) fn to_vec(&self) -> Vec<SeriesRef> {
        let mut out = Vec::with_capacity(self.len());
        self.extend_into(&mut out);
        out
    }
}

fn sorted_insert<T: Ord + Copy>(v: &mut Vec<T>, x: T, in_order: bool) {
    if in_order {
        v.push(x);
    } else if let Err(i) = v.binary_search(&x) {
        v.insert(i, x);
    }
}

/// Label names and values of all head series, keyed for matcher evaluation.
#[derive(Default)]
pub(crate) struct Postings {
    /// name symbol → value symbol → sorted series refs.
    map: HashMap<u32, HashMap<u32, RefList>>,
}

impl Postings {
    pub(crate) fn add(&mut self, sref: SeriesRef, syms: &[u32]) {
        for pair in syms.chunks_exact(2) {
            // Refs grow monotonically, but WAL replay may add them out of order.
            self.map.entry(pair[0]).or_default().entry(pair[1]).or_default().insert(sref);
        }
    }

    /// Removes the given series from every list that holds them.
    pub(crate) fn remove(&mut self, dead: &[(SeriesRef, Box<[u32]>)]) {
        for (sref, syms) in dead {
            for pair in syms.chunks_exact(2) {
                let Some(values) = self.map.get_mut(&pair[0]) else {
                    continue;
                };
                if let Some(list) = values.get_mut(&pair[1]) {
                    list.remove(*sref);
                    if list.is_empty() {
                        values.remove(&pair[1]);
                    }
                }
                if values.is_empty() {
                    self.map.remove(&pair[0]);
                }
            }
        }
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = u32> + '_ {
        self.map.keys().copied()
    }

    pub(crate) fn values(&self, name: u32) -> impl Iterator<Item = u32> + '_ {
        self.map.get(&name).into_iter().flat_map(|v| v.keys().copied())
    }

    /// Number of series with label `name` = `value`.
    pub(crate) fn count(&self, name: u32, value: u32) -> usize {
        self.map.get(&name).and_then(|v| v.get(&value)).map_or(0, RefList::len)
    }

    /// Sorted refs of the series with label `name` = `value`.
    pub(crate) fn get(&self, name: u32, value: u32) -> Vec<SeriesRef> {
        self.map.get(&name).and_then(|v| v.get(&value)).map(RefList::to_vec).unwrap_or_default()
    }

    /// Sorted refs of series that have label `name` with a value accepted by `keep`.
    pub(crate) fn union_where(&self, syms: &Symbols, name: u32, mut keep: impl FnMut(&str) -> bool) -> Vec<SeriesRef> {
        let mut out: Vec<SeriesRef> = Vec::new();
        if let Some(values) = self.map.get(&name) {
            let mut lists: Vec<&RefList> = Vec::new();
            for (v, list) in values {
                if keep(syms.get(*v)) {
                    lists.push(list);
                }
            }
            if lists.len() == 1 {
                return lists[0].to_vec();
            }
            out.reserve(lists.iter().map(|l| l.len()).sum());
            for l in lists {
                l.extend_into(&mut out);
            }
            out.sort_unstable();
            out.dedup();
        }
        out
    }
}

/// Sorted refs selected by `matchers` (Prometheus semantics: a matcher that
/// accepts `""` also selects series without the label). `all` is every live ref, sorted.
pub(crate) fn select_refs(
    p: &Postings,
    syms: &Symbols,
    matchers: &[Matcher],
    all: impl FnOnce() -> Vec<SeriesRef>,
) -> Vec<SeriesRef> {
    let mut acc: Option<Vec<SeriesRef>> = None;
    let mut subtract: Vec<Vec<SeriesRef>> = Vec::new();
    // Cheap, selective matchers first.
    let mut ms: Vec<&Matcher> = matchers.iter().collect();
    ms.sort_by_key(|m| match (m.op, m.matches_empty()) {
        (MatchOp::Equal, false) => 0,
        (_, false) => 1,
        _ => 2,
    });
    for m in ms {
        let Some(name) = syms.lookup(&m.name) else {
            // No series has this label: every series has value "".
            if m.matches_empty() {
                continue;
            }
            return Vec::new();
        };
        if m.matches_empty() {
            // Series lacking the label match; remove those whose value does not.
            subtract.push(p.union_where(syms, name, |v| !m.matches(v)));
            continue;
        }
        let set = if m.op == MatchOp::Equal {
            syms.lookup(&m.value).map(|v| p.get(name, v)).unwrap_or_default()
        } else {
            p.union_where(syms, name, |v| m.matches(v))
        };
        acc = Some(match acc {
            None => set,
            Some(a) => intersect(&a, &set),
        });
        if acc.as_ref().is_some_and(|a| a.is_empty()) {
            return Vec::new();
        }
    }
    let mut refs = match acc {
        Some(a) => a,
        None => all(),
    };
    for s in subtract {
        refs = difference(&refs, &s);
    }
    refs
}

pub(crate) fn intersect(a: &[SeriesRef], b: &[SeriesRef]) -> Vec<SeriesRef> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

pub(crate) fn difference(a: &[SeriesRef], b: &[SeriesRef]) -> Vec<SeriesRef> {
    let mut j = 0;
    let mut out = Vec::with_capacity(a.len());
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if j < b.len() && b[j] == x {
            continue;
        }
        out.push(x);
    }
    out
}

/// Turns symbol pairs back into a [`Labels`].
pub(crate) fn labels_of(syms: &Symbols, pairs: &[u32]) -> Labels {
    Labels::from_sorted(
        pairs.chunks_exact(2).map(|p| Label { name: syms.shared(p[0]), value: syms.shared(p[1]) }).collect(),
    )
}

/// Whether the symbol pairs spell exactly `labels`.
pub(crate) fn pairs_equal(syms: &Symbols, pairs: &[u32], labels: &Labels) -> bool {
    pairs.len() == labels.len() * 2
        && pairs.chunks_exact(2).zip(labels.iter()).all(|(p, l)| syms.get(p[0]) == l.name && syms.get(p[1]) == l.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lists keep 32-bit refs until a wider one arrives, stay sorted and
    /// deduplicated either way, and removal finds refs of both widths.
    #[test]
    fn ref_lists_widen_when_needed() {
        let mut l = RefList::default();
        for r in [5, 1, 9, 5, 3] {
            l.insert(r);
        }
        assert!(matches!(l, RefList::Narrow(_)));
        assert_eq!(l.to_vec(), vec![1, 3, 5, 9]);
        let big = u32::MAX as SeriesRef + 7;
        l.insert(big);
        l.insert(2);
        assert!(matches!(l, RefList::Wide(_)));
        assert_eq!(l.to_vec(), vec![1, 2, 3, 5, 9, big]);
        l.remove(big);
        l.remove(3);
        assert_eq!(l.to_vec(), vec![1, 2, 5, 9]);
        let mut n = RefList::default();
        n.insert(4);
        n.remove(big);
        assert_eq!(n.to_vec(), vec![4]);
    }

    #[test]
    fn set_ops() {
        assert_eq!(intersect(&[1, 2, 3, 5], &[2, 5, 7]), vec![2, 5]);
        assert_eq!(difference(&[1, 2, 3, 5], &[2, 5, 7]), vec![1, 3]);
    }
}
