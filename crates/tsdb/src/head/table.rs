//! The head's series by ref: a paged array instead of a hash map.
//!
//! Refs are handed out in sequence from 1, so a table indexed by ref costs
//! one pointer per slot (8 bytes per series) where a `HashMap<u64, Arc<_>>`
//! costs 16 bytes per bucket at a load of 44–88 % (18–36 bytes per series),
//! and a lookup is two loads instead of a hash and a probe. Pages with no
//! live series are freed, so refs of series dropped long ago cost one null
//! page pointer per 1,024. Refs beyond [`MAX_PAGED`] (a foreign WAL, or a
//! head that lived through two billion series creations) go to a hash map.

use std::collections::HashMap;

use argus_model::storage::SeriesRef;

const PAGE_BITS: u32 = 10;
const PAGE: usize = 1 << PAGE_BITS;
/// Refs below this are paged; the page directory is at most 16 MiB then.
const MAX_PAGED: SeriesRef = 1 << 31;

struct Page<V> {
    live: u32,
    slots: [Option<V>; PAGE],
}

pub(crate) struct SeriesTable<V> {
    pages: Vec<Option<Box<Page<V>>>>,
    overflow: HashMap<SeriesRef, V>,
    len: usize,
}

impl<V> Default for SeriesTable<V> {
    fn default() -> Self {
        SeriesTable { pages: Vec::new(), overflow: HashMap::new(), len: 0 }
    }
}

fn split(r: SeriesRef) -> (usize, usize) {
    ((r >> PAGE_BITS) as usize, (r as usize) & (PAGE - 1))
}

impl<V> SeriesTable<V> {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, r: &SeriesRef) -> Option<&V> {
        if *r >= MAX_PAGED {
            return self.overflow.get(r);
        }
        let (p, i) = split(*r);
        self.pages.get(p)?.as_ref()?.slots[i].as_ref()
    }

    pub(crate) fn contains_key(&self, r: &SeriesRef) -> bool {
        self.get(r).is_some()
    }

    /// Sets the value at `r`, returning the one it replaces.
    pub(crate) fn insert(&mut self, r: SeriesRef, v: V) -> Option<V> {
        let old = if r >= MAX_PAGED {
            self.overflow.insert(r, v)
        } else {
            let (p, i) = split(r);
            if self.pages.len() <= p {
                self.pages.resize_with(p + 1, || None);
            }
            let page =
                self.pages[p].get_or_insert_with(|| Box::new(Page { live: 0, slots: std::array::from_fn(|_| None) }));
            let old = page.slots[i].replace(v);
            if old.is_none() {
                page.live += 1;
            }
            old
        };
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    pub(crate) fn remove(&mut self, r: &SeriesRef) -> Option<V> {
        let old = if *r >= MAX_PAGED {
            self.overflow.remove(r)
        } else {
            let (p, i) = split(*r);
            let page = self.pages.get_mut(p)?.as_mut()?;
            let old = page.slots[i].take();
            if old.is_some() {
                page.live -= 1;
                if page.live == 0 {
                    self.pages[p] = None;
                }
            }
            old
        };
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    /// Live entries: paged ones in ascending ref order, then the overflow.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (SeriesRef, &V)> + '_ {
        let paged =
            self.pages.iter().enumerate().filter_map(|(p, page)| Some((p, page.as_ref()?))).flat_map(|(p, page)| {
                page.slots
                    .iter()
                    .enumerate()
                    .filter_map(move |(i, s)| s.as_ref().map(|v| (((p << PAGE_BITS) | i) as SeriesRef, v)))
            });
        paged.chain(self.overflow.iter().map(|(r, v)| (*r, v)))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = SeriesRef> + '_ {
        self.iter().map(|(r, _)| r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Insert, replace, remove and iterate across pages and the overflow map;
    /// a page whose last entry goes is freed.
    #[test]
    fn paged_table_behaves_like_a_map() {
        let mut t = SeriesTable::default();
        let refs = [1, 2, 1023, 1024, 5000, MAX_PAGED - 1, MAX_PAGED, MAX_PAGED + 9];
        let mut model = std::collections::BTreeMap::new();
        for (n, &r) in refs.iter().enumerate() {
            assert_eq!(t.insert(r, n), None);
            model.insert(r, n);
        }
        assert_eq!(t.insert(2, 99), Some(1));
        model.insert(2, 99);
        assert_eq!(t.len(), model.len());
        assert_eq!(t.get(&0), None);
        assert_eq!(t.get(&3), None);
        assert_eq!(t.get(&u64::MAX), None);
        for (r, v) in &model {
            assert_eq!(t.get(r), Some(v));
        }
        let mut seen: Vec<(SeriesRef, usize)> = t.iter().map(|(r, v)| (r, *v)).collect();
        seen.sort();
        assert_eq!(seen, model.iter().map(|(r, v)| (*r, *v)).collect::<Vec<_>>());
        assert_eq!(t.remove(&5000), Some(4));
        assert!(t.pages[5000 >> PAGE_BITS].is_none(), "empty page freed");
        assert_eq!(t.remove(&5000), None);
        assert_eq!(t.remove(&MAX_PAGED), Some(6));
        assert_eq!(t.remove(&77), None);
        assert_eq!(t.len(), model.len() - 2);
        assert!(!t.contains_key(&5000));
        assert!(t.contains_key(&1023));
    }
}
