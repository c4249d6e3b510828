//! Per-operation caches of derived label sets.
//!
//! Within one step-wise evaluation the input series' label sets are shared
//! `Arc`s that stay alive for the whole evaluation, so their addresses are
//! stable and unique; keying by address lets an operation derive a series'
//! output labels (name dropped, `le` removed, ...) once instead of once per step.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use argus_model::Labels;

/// A hasher for keys that are already well mixed (label-set hashes) or
/// addresses; a multiply spreads the latter's low zero bits.
#[derive(Default, Clone, Copy)]
pub(crate) struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// A map keyed by hashes or addresses.
pub(crate) type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;
/// A set of hashes or addresses.
pub(crate) type IntSet<K> = HashSet<K, BuildHasherDefault<IntHasher>>;

/// Derived labels keyed by the address of the input label set.
#[derive(Default)]
pub(crate) struct LabelCache<T: Clone> {
    map: IntMap<usize, T>,
}

impl<T: Clone> LabelCache<T> {
    pub(crate) fn new() -> Self {
        LabelCache { map: IntMap::default() }
    }

    /// The value derived from `ls`, computing it with `f` the first time.
    /// `ls` must be kept alive by the caller for as long as the cache lives.
    pub(crate) fn get(&mut self, ls: &Arc<Labels>, f: impl FnOnce(&Arc<Labels>) -> T) -> T {
        self.map.entry(Arc::as_ptr(ls) as usize).or_insert_with(|| f(ls)).clone()
    }
}

/// A cache for the common "drop the metric name" derivation.
pub(crate) type NameDropper = LabelCache<Arc<Labels>>;

impl LabelCache<Arc<Labels>> {
    pub(crate) fn drop_name(&mut self, ls: &Arc<Labels>) -> Arc<Labels> {
        self.get(ls, super::drop_name)
    }
}
