//! [`Block`]: an opened block. The index and chunks files are mmapped; at
//! open the footer and every section checksum are verified, and the symbol
//! table, label index and series block table are decoded into memory (they
//! are small and needed by every lookup). Series entries and postings stay in
//! the mmap and are decoded on demand.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use argus_model::SmolStr;
use memmap2::Mmap;

use crate::error::{Error, Result, io_err};
use crate::format::*;
use crate::meta::BlockMeta;
use crate::varint::Dec;
use crate::{CHUNKS_FILE, INDEX_FILE, postings};

/// Dense series number within one block; IDs follow label-set order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesId(pub u32);

/// Where one run lives and what it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunMeta {
    /// Timestamp of the first sample (ms, inclusive).
    pub min_time: i64,
    /// Timestamp of the last sample (ms, inclusive).
    pub max_time: i64,
    /// Number of samples in the run.
    pub num_samples: u32,
    /// Byte offset of the run in the chunks file.
    pub offset: u64,
    /// Length of the run's bytes (without the trailing CRC).
    pub len: u32,
}

impl RunMeta {
    /// Whether the run has samples in the inclusive range `[mint, maxt]`.
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.min_time <= maxt && mint <= self.max_time
    }
}

/// Interned strings in sorted order: number order is string order.
#[derive(Debug, Default)]
pub(crate) struct Symbols {
    /// Symbol i as a label string, so label sets built from the index share
    /// long strings instead of allocating copies.
    shared: Vec<SmolStr>,
}

impl Symbols {
    pub(crate) fn len(&self) -> usize {
        self.shared.len()
    }

    pub(crate) fn get(&self, i: u32) -> Option<&str> {
        self.shared.get(i as usize).map(SmolStr::as_str)
    }

    /// Symbol `i` as a label string (a clone is at most a reference-count increment).
    pub(crate) fn label_str(&self, i: u32) -> Option<SmolStr> {
        self.shared.get(i as usize).cloned()
    }

    /// The symbol number of `s`, if present.
    pub(crate) fn find(&self, s: &str) -> Option<u32> {
        let (mut lo, mut hi) = (0u32, self.shared.len() as u32);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid)?.cmp(s) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

/// One label name and the range of its values in `Block::values`.
#[derive(Debug, Clone)]
pub(crate) struct NameEntry {
    pub(crate) sym: u32,
    pub(crate) values: Range<usize>,
}

/// One label value and where its postings list sits in the index file.
#[derive(Debug, Clone)]
pub(crate) struct ValueEntry {
    pub(crate) sym: u32,
    pub(crate) postings: Range<usize>,
}

/// An open, immutable block. `Send + Sync`; share it with `Arc`.
#[derive(Debug)]
pub struct Block {
    pub(crate) dir: PathBuf,
    pub(crate) index_path: PathBuf,
    pub(crate) chunks_path: PathBuf,
    pub(crate) meta: BlockMeta,
    pub(crate) index: Mmap,
    pub(crate) chunks: Mmap,
    pub(crate) footer: Footer,
    pub(crate) symbols: Symbols,
    pub(crate) names: Vec<NameEntry>,
    pub(crate) values: Vec<ValueEntry>,
    /// Per series block: (offset in the series section, chunks offset of its first run); one extra end entry.
    pub(crate) series_table: Vec<(u64, u64)>,
    pub(crate) size_bytes: u64,
}

fn mmap(path: &Path) -> Result<Mmap> {
    let f = File::open(path).map_err(io_err("open", path))?;
    // SAFETY: block files are immutable once renamed into place; argus never
    // writes to them again and deletes blocks only after readers drop them.
    unsafe { Mmap::map(&f) }.map_err(io_err("mmap", path))
}

impl Block {
    /// Opens the block in `dir`: reads meta.json, mmaps both files and checks
    /// headers, the footer, every section checksum and the structure of the
    /// in-memory tables. Never panics on bad data; a `.tmp` directory is
    /// rejected with [`Error::NotABlock`]. Blocking (reads the index once).
    pub fn open(dir: &Path) -> Result<Block> {
        if dir.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(crate::TMP_SUFFIX)) {
            return Err(Error::NotABlock { path: dir.to_path_buf(), reason: "unfinished .tmp directory".into() });
        }
        let meta = BlockMeta::read(dir)?;
        let index_path = dir.join(INDEX_FILE);
        let chunks_path = dir.join(CHUNKS_FILE);
        let index = mmap(&index_path)?;
        let chunks = mmap(&chunks_path)?;
        let corrupt =
            |path: &Path, offset: u64, what: String| Error::Corrupt { path: path.to_path_buf(), offset, what };

        check_header(&index, INDEX_MAGIC, INDEX_VERSION).map_err(|w| corrupt(&index_path, 0, w))?;
        check_header(&chunks, CHUNKS_MAGIC, CHUNKS_VERSION).map_err(|w| corrupt(&chunks_path, 0, w))?;
        let foot_off = index
            .len()
            .checked_sub(FOOTER_LEN)
            .filter(|&o| o >= HEADER_LEN)
            .ok_or_else(|| corrupt(&index_path, index.len() as u64, "file too short for a footer".into()))?;
        let footer = Footer::decode(index.get(foot_off..).unwrap_or_default())
            .map_err(|w| corrupt(&index_path, foot_off as u64, w.into()))?;
        if footer.chunks_len != chunks.len() as u64 {
            return Err(corrupt(
                &chunks_path,
                chunks.len() as u64,
                format!("file is {} bytes but the index expects {}", chunks.len(), footer.chunks_len),
            ));
        }
        if u64::from(footer.num_series) != meta.stats.num_series {
            return Err(corrupt(&index_path, foot_off as u64, "series count differs from meta.json".into()));
        }
        if footer.series_per_block == 0 || footer.series_per_block > MAX_SERIES_PER_BLOCK {
            return Err(corrupt(&index_path, foot_off as u64, "bad series-per-block count".into()));
        }
        for (i, s) in footer.sections.iter().enumerate() {
            let name = SECTION_NAMES.get(i).copied().unwrap_or("section");
            let bytes = section_bytes(&index, s, foot_off)
                .ok_or_else(|| corrupt(&index_path, s.offset, format!("{name} section runs past the end")))?;
            if crc32c::crc32c(bytes) != s.crc {
                return Err(corrupt(&index_path, s.offset, format!("{name} section checksum mismatch")));
            }
        }
        let mut b = Block {
            dir: dir.to_path_buf(),
            index_path,
            chunks_path,
            meta,
            index,
            chunks,
            footer,
            symbols: Symbols::default(),
            names: Vec::new(),
            values: Vec::new(),
            series_table: Vec::new(),
            size_bytes: 0,
        };
        b.symbols = b.load_symbols()?;
        b.load_label_index()?;
        b.load_series_table()?;
        b.size_bytes = crate::dir_size(dir).map_err(io_err("stat", dir))?;
        Ok(b)
    }

    pub(crate) fn corrupt(&self, offset: u64, what: impl Into<String>) -> Error {
        Error::Corrupt { path: self.index_path.clone(), offset, what: what.into() }
    }

    /// The raw (decompressed) bytes of section `i`.
    fn section_raw(&self, i: usize) -> Result<std::borrow::Cow<'_, [u8]>> {
        let s = self.footer.sections.get(i).copied().unwrap_or_default();
        let name = SECTION_NAMES.get(i).copied().unwrap_or("section");
        let foot_off = self.index.len().saturating_sub(FOOTER_LEN);
        let bytes = section_bytes(&self.index, &s, foot_off)
            .ok_or_else(|| self.corrupt(s.offset, format!("{name} section runs past the end")))?;
        match s.codec {
            CODEC_RAW => Ok(std::borrow::Cow::Borrowed(bytes)),
            CODEC_ZSTD => {
                let raw =
                    decompress(bytes, s.raw_len).map_err(|w| self.corrupt(s.offset, format!("{name} section: {w}")))?;
                Ok(std::borrow::Cow::Owned(raw))
            }
            c => Err(self.corrupt(s.offset, format!("{name} section has unknown codec {c}"))),
        }
    }

    fn load_symbols(&self) -> Result<Symbols> {
        let raw = self.section_raw(SEC_SYMBOLS)?;
        let off = self.footer.sections[SEC_SYMBOLS].offset;
        let err = |what: &str| self.corrupt(off, format!("symbol table: {what}"));
        let mut d = Dec::new(&raw);
        let n = d.uvarint().ok_or_else(|| err("truncated"))?;
        if n > raw.len() as u64 {
            return Err(err("symbol count exceeds section size"));
        }
        let mut out: Vec<SmolStr> = Vec::with_capacity(n as usize);
        let mut cur: Vec<u8> = Vec::new();
        for _ in 0..n {
            let shared = d.uvarint().ok_or_else(|| err("truncated"))? as usize;
            let suffix_len = d.uvarint().ok_or_else(|| err("truncated"))? as usize;
            let suffix = d.bytes(suffix_len).ok_or_else(|| err("symbol runs past the end"))?;
            let prev = out.last().map(|p| p.as_str().as_bytes()).unwrap_or_default();
            let Some(prefix) = prev.get(..shared) else {
                return Err(err("shared prefix longer than the previous symbol"));
            };
            cur.clear();
            cur.extend_from_slice(prefix);
            cur.extend_from_slice(suffix);
            let Ok(sym) = std::str::from_utf8(&cur) else {
                return Err(err("symbol is not UTF-8"));
            };
            if !out.is_empty() && prev >= cur.as_slice() {
                return Err(err("symbols not sorted"));
            }
            out.push(SmolStr::new(sym));
        }
        if !d.is_empty() {
            return Err(err("trailing bytes"));
        }
        Ok(Symbols { shared: out })
    }

    fn load_label_index(&mut self) -> Result<()> {
        let raw = self.section_raw(SEC_LABEL_INDEX)?;
        let off = self.footer.sections[SEC_LABEL_INDEX].offset;
        let post = self.footer.sections[SEC_POSTINGS];
        let err = |what: &str| self.corrupt(off, format!("label index: {what}"));
        let nsyms = self.symbols.len() as u64;
        let mut d = Dec::new(&raw);
        let n = d.uvarint().ok_or_else(|| err("truncated"))?;
        if n > nsyms {
            return Err(err("more names than symbols"));
        }
        let mut names = Vec::with_capacity(n as usize);
        let mut values = Vec::new();
        let mut pos = post.offset;
        let post_end = post.offset + post.len;
        for _ in 0..n {
            let name = d.uvarint().ok_or_else(|| err("truncated"))?;
            if name >= nsyms || names.last().is_some_and(|p: &NameEntry| u64::from(p.sym) >= name) {
                return Err(err("name symbol out of range or out of order"));
            }
            let nv = d.uvarint().ok_or_else(|| err("truncated"))?;
            if nv == 0 || nv > nsyms {
                return Err(err("bad value count"));
            }
            let first = values.len();
            let mut sym = 0u64;
            for i in 0..nv {
                let delta = d.uvarint().ok_or_else(|| err("truncated"))?;
                if i > 0 && delta == 0 {
                    return Err(err("values not sorted"));
                }
                sym = sym.checked_add(delta).filter(|&s| s < nsyms).ok_or_else(|| err("value symbol out of range"))?;
                let len = d.uvarint().ok_or_else(|| err("truncated"))?;
                let end = pos
                    .checked_add(len)
                    .filter(|&e| e <= post_end)
                    .ok_or_else(|| err("postings beyond their section"))?;
                values.push(ValueEntry { sym: sym as u32, postings: pos as usize..end as usize });
                pos = end;
            }
            names.push(NameEntry { sym: name as u32, values: first..values.len() });
        }
        if !d.is_empty() || pos != post_end {
            return Err(err("does not cover the postings section exactly"));
        }
        drop(raw);
        self.names = names;
        self.values = values;
        Ok(())
    }

    fn load_series_table(&mut self) -> Result<()> {
        let s = self.footer.sections[SEC_SERIES_TABLE];
        let series_len = self.footer.sections[SEC_SERIES].len;
        let bytes = self.section_raw(SEC_SERIES_TABLE)?;
        let nblocks = self.footer.num_series.div_ceil(self.footer.series_per_block) as usize;
        if bytes.len() != (nblocks + 1) * 16 {
            return Err(self.corrupt(s.offset, "series block table has the wrong size"));
        }
        let mut d = Dec::new(&bytes);
        let mut table = Vec::with_capacity(nblocks + 1);
        let mut prev = (0u64, HEADER_LEN as u64);
        for i in 0..=nblocks {
            let e = (d.u64_le().unwrap_or(u64::MAX), d.u64_le().unwrap_or(u64::MAX));
            if e.0 < prev.0 || e.1 < prev.1 || e.0 > series_len || e.1 > self.footer.chunks_len {
                return Err(self.corrupt(s.offset + i as u64 * 16, "series block table entry out of order or range"));
            }
            table.push(e);
            prev = e;
        }
        if prev != (series_len, self.footer.chunks_len) || table.first().is_some_and(|f| f.0 != 0) {
            return Err(self.corrupt(s.offset, "series block table does not cover the series section"));
        }
        drop(bytes);
        self.series_table = table;
        Ok(())
    }

    /// The block's meta.json.
    pub fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    /// The block directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of series.
    pub fn num_series(&self) -> u32 {
        self.footer.num_series
    }

    /// Total bytes of the block's files, measured at open.
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    /// Size of the index file in bytes.
    pub fn index_bytes(&self) -> u64 {
        self.index.len() as u64
    }

    /// Index sections as `(name, stored bytes, uncompressed bytes)`, in
    /// file order; for `argus tsdb analyze` and the format benchmark.
    pub fn index_sections(&self) -> Vec<(&'static str, u64, u64)> {
        SECTION_NAMES.iter().zip(&self.footer.sections).map(|(n, s)| (*n, s.len, s.raw_len)).collect()
    }

    /// Size of the chunks file in bytes.
    pub fn chunks_bytes(&self) -> u64 {
        self.chunks.len() as u64
    }

    /// The bytes of one run, borrowed from the mmap. Checks bounds and the
    /// run's CRC32C; a mismatch is [`Error::Corrupt`] naming the chunks file.
    pub fn run_bytes(&self, run: &RunMeta) -> Result<&[u8]> {
        let err = |what: &str| Error::Corrupt { path: self.chunks_path.clone(), offset: run.offset, what: what.into() };
        let start = usize::try_from(run.offset).map_err(|_| err("run offset out of range"))?;
        let end = start.checked_add(run.len as usize).ok_or_else(|| err("run offset out of range"))?;
        let bytes = self.chunks.get(start..end).ok_or_else(|| err("run runs past the end of the file"))?;
        let crc = self.chunks.get(end..end + 4).ok_or_else(|| err("run checksum runs past the end of the file"))?;
        if crc32c::crc32c(bytes).to_le_bytes() != crc {
            return Err(err("run checksum mismatch"));
        }
        Ok(bytes)
    }

    /// The postings list of one label value.
    pub(crate) fn postings_of(&self, v: &ValueEntry, out: &mut Vec<u32>) -> Result<()> {
        let bytes = self
            .index
            .get(v.postings.clone())
            .ok_or_else(|| self.corrupt(v.postings.start as u64, "postings list runs past the end"))?;
        postings::decode(bytes, self.footer.num_series, out).map_err(|w| self.corrupt(v.postings.start as u64, w))
    }
}

fn section_bytes<'a>(index: &'a [u8], s: &SectionRef, foot_off: usize) -> Option<&'a [u8]> {
    let start = usize::try_from(s.offset).ok()?;
    let end = start.checked_add(usize::try_from(s.len).ok()?)?;
    if start < HEADER_LEN || end > foot_off {
        return None;
    }
    index.get(start..end)
}

/// Upper bound for one decompressed buffer, so a corrupt length cannot make us allocate terabytes.
const MAX_RAW_LEN: u64 = 1 << 32;

pub(crate) fn decompress(bytes: &[u8], raw_len: u64) -> std::result::Result<Vec<u8>, String> {
    if raw_len > MAX_RAW_LEN {
        return Err(format!("implausible decompressed size {raw_len}"));
    }
    // The frame header records the content size; checking it first means a
    // corrupt length cannot make us allocate a huge buffer.
    match zstd::zstd_safe::get_frame_content_size(bytes) {
        Ok(Some(n)) if n == raw_len => {}
        _ => return Err(format!("zstd frame does not hold {raw_len} bytes")),
    }
    thread_local! {
        // Creating a zstd context costs more than decompressing one series block.
        static DCTX: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { std::cell::RefCell::new(None) };
    }
    let out = DCTX
        .with(|c| {
            let mut c = c.try_borrow_mut().map_err(|_| std::io::Error::other("decompressor busy"))?;
            if c.is_none() {
                *c = Some(zstd::bulk::Decompressor::new()?);
            }
            match c.as_mut() {
                Some(d) => d.decompress(bytes, raw_len as usize),
                None => Err(std::io::Error::other("no decompressor")),
            }
        })
        .map_err(|e| format!("cannot decompress: {e}"))?;
    if out.len() as u64 != raw_len {
        return Err(format!("decompressed to {} bytes, expected {raw_len}", out.len()));
    }
    Ok(out)
}
