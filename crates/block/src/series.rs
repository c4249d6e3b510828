//! Reading series entries: decompressing a series block, parsing entries
//! (label symbol references and run metas), and iterating series in ID order
//! so that each series block is decompressed once per pass.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use argus_model::{Label, Labels};

use crate::error::{Error, Result};
use crate::format::{CODEC_RAW, CODEC_ZSTD, RUN_CRC_LEN, SEC_SERIES};
use crate::reader::{Block, RunMeta, SeriesId, decompress};
use crate::varint::Dec;

impl Block {
    /// Decompresses series block `b`; returns its raw entries.
    fn series_block(&self, b: usize) -> Result<Vec<u8>> {
        let sec = self.footer.sections[SEC_SERIES];
        let (start, end) = match (self.series_table.get(b), self.series_table.get(b + 1)) {
            (Some(s), Some(e)) => (s.0, e.0),
            _ => return Err(self.corrupt(sec.offset, format!("no series block {b}"))),
        };
        let off = sec.offset + start;
        let bytes = self
            .index
            .get(off as usize..(sec.offset + end) as usize)
            .ok_or_else(|| self.corrupt(off, "series block runs past the end"))?;
        let mut d = Dec::new(bytes);
        let codec = d.byte().ok_or_else(|| self.corrupt(off, "empty series block"))?;
        let raw_len = d.uvarint().ok_or_else(|| self.corrupt(off, "truncated series block header"))?;
        let payload = bytes.get(d.pos()..).unwrap_or_default();
        match codec {
            CODEC_RAW if payload.len() as u64 == raw_len => Ok(payload.to_vec()),
            CODEC_ZSTD => decompress(payload, raw_len).map_err(|w| self.corrupt(off, format!("series block: {w}"))),
            _ => Err(self.corrupt(off, "series block has a bad codec or length")),
        }
    }

    /// File offset of series block `b` (for error messages).
    fn block_offset(&self, b: usize) -> u64 {
        self.footer.sections[SEC_SERIES].offset + self.series_table.get(b).map(|e| e.0).unwrap_or_default()
    }

    /// Parses one series entry from `d` (whose byte 0 is at file offset
    /// `base`); `chunk_off` tracks the next run's chunks offset. With
    /// `out = None` only advances.
    fn parse_entry(
        &self,
        d: &mut Dec<'_>,
        base: u64,
        chunk_off: &mut u64,
        mut out: Option<(&mut Vec<Label>, &mut Vec<RunMeta>)>,
    ) -> Result<()> {
        let at = base + d.pos() as u64;
        let err = |what: &str| self.corrupt(at, format!("series entry {what}"));
        let short = || err("runs past the end");
        let nl = d.uvarint().ok_or_else(short)?;
        if let Some((ls, _)) = out.as_mut() {
            // Bounded by the entry's size: each label takes at least two bytes.
            ls.reserve_exact((nl as usize).min(d.remaining() / 2));
        }
        // The symbol table is checked to be strictly sorted when the block
        // opens, so names ascend exactly when their symbol numbers do.
        let mut prev_name: Option<u32> = None;
        for _ in 0..nl {
            let n = d.u32v().ok_or_else(short)?;
            let v = d.u32v().ok_or_else(short)?;
            if let Some((ls, _)) = out.as_mut() {
                let (Some(name), Some(value)) = (self.symbols.label_str(n), self.symbols.label_str(v)) else {
                    return Err(err("has a symbol reference out of range"));
                };
                if prev_name.is_some_and(|p| p >= n) || value.is_empty() {
                    return Err(err("has unsorted or empty labels"));
                }
                prev_name = Some(n);
                ls.push(Label { name, value });
            }
        }
        let nr = d.uvarint().ok_or_else(short)?;
        if let Some((_, rs)) = out.as_mut() {
            // Each run takes at least four bytes.
            rs.reserve_exact((nr as usize).min(d.remaining() / 4));
        }
        let mut prev_t = self.footer.min_time;
        for _ in 0..nr {
            let min_time = prev_t.wrapping_add(d.varint().ok_or_else(short)?);
            let max_time = min_time.wrapping_add(d.uvarint().ok_or_else(short)? as i64);
            let num_samples = d.u32v().ok_or_else(short)?;
            let len = d.u32v().ok_or_else(short)?;
            let offset = *chunk_off;
            *chunk_off = offset
                .checked_add(u64::from(len) + RUN_CRC_LEN)
                .filter(|&e| e <= self.footer.chunks_len)
                .ok_or_else(|| err("has a run beyond the chunks file"))?;
            if max_time < min_time {
                return Err(err("has a run ending before it starts"));
            }
            if let Some((_, rs)) = out.as_mut() {
                rs.push(RunMeta { min_time, max_time, num_samples, offset, len });
            }
            prev_t = max_time;
        }
        Ok(())
    }

    /// The label set and run list of series `id`. Decompresses the series
    /// block holding it (up to `series_per_block` entries, tens of
    /// microseconds); for several series use [`Block::series_of`].
    pub fn series(&self, id: SeriesId) -> Result<(Labels, Vec<RunMeta>)> {
        let mut c = Cursor::default();
        let (ls, rs) = self.read_at(&mut c, id)?;
        Ok((ls, rs))
    }

    /// Iterates all series in ID (= label) order, decompressing each series
    /// block once. Items are `(id, labels, runs)`; after an error the
    /// iterator stops. For compaction and merging.
    pub fn series_iter(&self) -> SeriesIter<'_> {
        SeriesIter { block: self, ids: Ids::All(0), cursor: Cursor::default(), failed: false }
    }

    /// Iterates the given series (typically the output of [`Block::select`]).
    /// IDs in ascending order cost one decompression per series block; out
    /// of order IDs work but may decompress a block again.
    pub fn series_of<'a>(&'a self, ids: &'a [SeriesId]) -> SeriesIter<'a> {
        SeriesIter { block: self, ids: Ids::List(ids.iter()), cursor: Cursor::default(), failed: false }
    }

    /// Reads series `id` from the cursor's block, moving the cursor.
    fn read_at(&self, c: &mut Cursor, id: SeriesId) -> Result<(Labels, Vec<RunMeta>)> {
        if id.0 >= self.footer.num_series {
            return Err(Error::NoSuchSeries { path: self.dir.clone(), id: id.0, num_series: self.footer.num_series });
        }
        let spb = self.footer.series_per_block;
        let blk = (id.0 / spb) as usize;
        if c.block != Some(blk) || c.next > id.0 {
            c.raw = self.series_block(blk)?;
            c.block = Some(blk);
            c.pos = 0;
            c.next = blk as u32 * spb;
            c.chunk_off = self.series_table.get(blk).map(|e| e.1).unwrap_or_default();
        }
        let base = self.block_offset(blk);
        let mut d = Dec::new(c.raw.get(c.pos..).unwrap_or_default());
        let base = base + c.pos as u64;
        let res = (|| {
            while c.next < id.0 {
                self.parse_entry(&mut d, base, &mut c.chunk_off, None)?;
                c.next += 1;
            }
            let (mut ls, mut rs) = (Vec::new(), Vec::new());
            self.parse_entry(&mut d, base, &mut c.chunk_off, Some((&mut ls, &mut rs)))?;
            c.next += 1;
            Ok((Labels::from_sorted(ls), rs))
        })();
        c.pos += d.pos();
        if res.is_err() {
            c.block = None;
        }
        res
    }
}

/// Position inside one decompressed series block.
#[derive(Debug, Default)]
struct Cursor {
    block: Option<usize>,
    raw: Vec<u8>,
    /// Byte position of the entry of series `next`.
    pos: usize,
    next: u32,
    chunk_off: u64,
}

#[derive(Debug)]
enum Ids<'a> {
    All(u32),
    List(std::slice::Iter<'a, SeriesId>),
}

/// Iterator over series of a block; see [`Block::series_iter`] and [`Block::series_of`].
#[derive(Debug)]
pub struct SeriesIter<'a> {
    block: &'a Block,
    ids: Ids<'a>,
    cursor: Cursor,
    failed: bool,
}

impl Iterator for SeriesIter<'_> {
    type Item = Result<(SeriesId, Labels, Vec<RunMeta>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let id = match &mut self.ids {
            Ids::All(n) if *n < self.block.footer.num_series => {
                *n += 1;
                SeriesId(*n - 1)
            }
            Ids::All(_) => return None,
            Ids::List(it) => *it.next()?,
        };
        match self.block.read_at(&mut self.cursor, id) {
            Ok((ls, rs)) => Some(Ok((id, ls, rs))),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
