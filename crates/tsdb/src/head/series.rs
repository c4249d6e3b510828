//! One series in the head: its interned labels and its chunks.
//!
//! Samples arrive in time order (out-of-order ones go to a small sorted side
//! buffer when a window is configured). The open chunk is closed after
//! `samples_per_chunk` samples or when a sample crosses a `chunk_range`
//! boundary, so no chunk ever spans two blocks.

use argus_chunkenc::XorChunk;
use argus_model::Sample;

/// One head chunk. Its time range comes from the encoded stream (first
/// and last timestamp) rather than two stored fields: one `Vec<Chunk>`
/// slot per series is then 56 bytes, a smaller malloc size class.
pub(crate) struct Chunk {
    pub(crate) data: XorChunk,
}

impl Chunk {
    pub(crate) fn mint(&self) -> i64 {
        self.data.first_t().unwrap_or(i64::MAX)
    }

    pub(crate) fn maxt(&self) -> i64 {
        if self.data.num_samples() == 0 { i64::MIN } else { self.data.last_t() }
    }
}

pub(crate) struct MemSeries {
    pub(crate) labels: Box<[u32]>,
    /// Closed chunks, oldest first; the last one may be the open chunk when `open` is true.
    pub(crate) chunks: Vec<Chunk>,
    open: bool,
    pub(crate) last_t: i64,
    pub(crate) last_v: u64,
    /// Accepted out-of-order samples, sorted, merged at read and compaction.
    /// Boxed and absent until needed: most series never get one, and the
    /// 16 bytes saved bring the series' allocation to the next smaller
    /// malloc size class.
    #[allow(clippy::box_collection)]
    ooo: Option<Box<Vec<Sample>>>,
    /// Whether the WAL already holds this series' labels.
    pub(crate) logged: bool,
    /// Set when the head dropped the series (truncation): handles kept by
    /// appenders' callers must not append to it any more.
    pub(crate) removed: bool,
    /// The open appender that keeps this series' pending state in its slot
    /// `slot` (0: none); see `append.rs`.
    pub(crate) owner: u32,
    pub(crate) slot: u32,
}

impl MemSeries {
    pub(crate) fn new(labels: Box<[u32]>) -> Self {
        MemSeries {
            labels,
            chunks: Vec::new(),
            open: false,
            last_t: i64::MIN,
            last_v: 0,
            ooo: None,
            logged: false,
            removed: false,
            owner: 0,
            slot: 0,
        }
    }

    /// The accepted out-of-order samples, sorted.
    pub(crate) fn ooo(&self) -> &[Sample] {
        self.ooo.as_deref().map_or(&[], |v| v.as_slice())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.ooo().is_empty()
    }

    pub(crate) fn min_time(&self) -> Option<i64> {
        let c = self.chunks.first().map(Chunk::mint);
        let o = self.ooo().first().map(|s| s.t);
        match (c, o) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Appends an in-order sample (the caller checked ordering). Returns true
    /// when a new chunk was started.
    pub(crate) fn append(&mut self, t: i64, v: f64, chunk_range: i64, per_chunk: usize) -> bool {
        let mut cut = !self.open;
        if let Some(c) = self.chunks.last().filter(|_| self.open)
            && (c.data.num_samples() as usize >= per_chunk || boundary(c.mint(), chunk_range) <= t)
        {
            cut = true;
        }
        if cut {
            if let Some(c) = self.chunks.last_mut().filter(|_| self.open) {
                c.data.shrink_to_fit();
            }
            // Grow by one: a Vec's default growth would reserve four chunk
            // slots (~290 bytes) per series, most of the head's memory.
            self.chunks.reserve_exact(1);
            self.chunks.push(Chunk { data: XorChunk::with_capacity(32) });
            self.open = true;
        }
        if let Some(c) = self.chunks.last_mut() {
            // A chunk holds at most u16::MAX samples; we cut far earlier.
            let _ = c.data.append(t, v);
        }
        self.last_t = t;
        self.last_v = v.to_bits();
        cut
    }

    /// Inserts an out-of-order sample into the side buffer; false if a
    /// different value already exists at `t`.
    pub(crate) fn insert_ooo(&mut self, s: Sample) -> bool {
        let ooo = self.ooo.get_or_insert_with(Box::default);
        match ooo.binary_search_by_key(&s.t, |x| x.t) {
            Ok(i) => ooo[i].v.to_bits() == s.v.to_bits(),
            Err(i) => {
                ooo.insert(i, s);
                true
            }
        }
    }

    /// Samples with `mint <= t <= maxt`, ascending, in-order and out-of-order merged.
    pub(crate) fn samples(&self, mint: i64, maxt: i64) -> Vec<Sample> {
        let mut out = Vec::new();
        for c in self.chunks.iter().filter(|c| c.maxt() >= mint && c.mint() <= maxt) {
            out.extend(c.data.iter().filter(|&(t, _)| t >= mint && t <= maxt).map(|(t, v)| Sample::new(t, v)));
        }
        let ooo: Vec<Sample> = self.ooo().iter().filter(|s| s.t >= mint && s.t <= maxt).copied().collect();
        if !ooo.is_empty() {
            out.extend(ooo);
            out.sort_by_key(|s| s.t);
            out.dedup_by_key(|s| s.t);
        }
        out
    }

    /// Whether any sample lies in `[mint, maxt]`.
    pub(crate) fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.chunks.iter().any(|c| c.maxt() >= mint && c.mint() <= maxt)
            || self.ooo().iter().any(|s| s.t >= mint && s.t <= maxt)
    }

    /// Drops chunks and out-of-order samples entirely before `mint`.
    pub(crate) fn truncate_before(&mut self, mint: i64) {
        let keep_from = self.chunks.iter().position(|c| c.maxt() >= mint).unwrap_or(self.chunks.len());
        if keep_from == self.chunks.len() {
            self.open = false;
        }
        self.chunks.drain(..keep_from);
        if let Some(ooo) = &mut self.ooo {
            ooo.retain(|s| s.t >= mint);
            if ooo.is_empty() {
                self.ooo = None;
            }
        }
    }

    /// Approximate heap bytes held by this series' chunks.
    pub(crate) fn chunk_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.data.heap_bytes()).sum::<usize>()
            + self.chunks.capacity() * std::mem::size_of::<Chunk>()
    }
}

/// The first multiple of `range` strictly greater than `t`.
pub(crate) fn boundary(t: i64, range: i64) -> i64 {
    t.div_euclid(range) * range + range
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The head holds one `Arc<Mutex<MemSeries>>` per series: 16 bytes of
    /// counts plus this, which must stay within glibc's 112-byte size class
    /// (104 requested bytes).
    #[test]
    fn series_stays_small() {
        assert!(std::mem::size_of::<parking_lot::Mutex<MemSeries>>() <= 88);
        // A one-chunk Vec<Chunk> then takes glibc's 64-byte class.
        assert!(std::mem::size_of::<Chunk>() <= 56);
    }

    /// A chunk's time range is read back from its stream.
    #[test]
    fn chunk_range_comes_from_the_stream() {
        let mut s = MemSeries::new(Box::new([]));
        for t in [-30_000i64, -15_000, 0, 15_000] {
            s.append(t, 1.0, 2 * 3600 * 1000, 120);
        }
        assert_eq!(s.chunks.len(), 2, "cut at the 0 boundary");
        assert_eq!((s.chunks[0].mint(), s.chunks[0].maxt()), (-30_000, -15_000));
        assert_eq!((s.chunks[1].mint(), s.chunks[1].maxt()), (0, 15_000));
        assert_eq!(s.min_time(), Some(-30_000));
        assert!(s.overlaps(-20_000, -20_000) && !s.overlaps(-14_000, -1));
        s.truncate_before(-1);
        assert_eq!(s.min_time(), Some(0));
    }
}
