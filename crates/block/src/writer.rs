//! [`BlockWriter`]: streams runs to `<ULID>.tmp/chunks`, keeps the index
//! structures (interned symbols, series entries with provisional symbol
//! numbers, postings) in memory, and on `finish` writes the index and
//! meta.json, fsyncs, and renames the directory into place.
//!
//! Series must arrive sorted by label set, so that series IDs follow label
//! order without a sort here; symbols are only known in full at the end, so
//! series entries are kept with provisional symbol numbers and rewritten once.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use argus_model::Labels;

use crate::error::{Error, Result, io_err};
use crate::format::*;
use crate::meta::{BlockMeta, BlockStats, Compaction, META_VERSION};
use crate::ulid::Ulid;
use crate::varint::{Dec, put_uvarint, put_varint};
use crate::{CHUNKS_FILE, INDEX_FILE, META_FILE, postings};

/// One encoded run handed to [`BlockWriter::add_series`].
#[derive(Debug, Clone, Copy)]
pub struct RunRef<'a> {
    /// Timestamp of the first sample (ms, inclusive).
    pub min_time: i64,
    /// Timestamp of the last sample (ms, inclusive).
    pub max_time: i64,
    /// Number of samples encoded in `bytes`.
    pub num_samples: u32,
    /// The codec's output; stored and returned verbatim.
    pub bytes: &'a [u8],
}

/// Tuning and provenance for a new block.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Series entries compressed together in the index (default 128): larger
    /// compresses better, smaller makes a single-series lookup cheaper.
    /// Clamped to 1..=65536.
    pub series_per_block: u32,
    /// zstd level for index sections (default 3).
    pub zstd_level: i32,
    /// Compaction level, sources and parents to record in meta.json. An empty
    /// `sources` is replaced by the new block's own ULID.
    pub compaction: Compaction,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions { series_per_block: 128, zstd_level: 3, compaction: Compaction::default() }
    }
}

/// Writes one block. Not thread-safe; one writer per block.
///
/// Contract: call [`BlockWriter::add_series`] with label sets in strictly
/// increasing order (as `Labels`' `Ord`), then [`BlockWriter::finish`].
/// Dropping an unfinished writer removes its `.tmp` directory (best effort).
#[derive(Debug)]
pub struct BlockWriter {
    ulid: Ulid,
    parent: PathBuf,
    tmp_dir: PathBuf,
    min_time: i64,
    max_time: i64,
    opts: WriterOptions,
    chunks: BufWriter<File>,
    chunks_len: u64,
    /// Provisional symbol number per string (first-seen order); each string is held once.
    sym_ids: HashMap<Box<str>, u32>,
    /// Series entries with provisional symbol numbers.
    entries: Vec<u8>,
    /// Chunks-file offset of the first run of each group of `series_per_block` series.
    block_chunk_offs: Vec<u64>,
    /// Postings keyed by provisional (name, value) symbol numbers.
    postings: HashMap<(u32, u32), Vec<u32>>,
    prev: Option<Labels>,
    stats: BlockStats,
    finished: bool,
}

impl BlockWriter {
    /// Creates `<parent_dir>/<ULID>.tmp/` and its chunks file. `min_time` and
    /// `max_time` are the block's inclusive time range as recorded in meta.json.
    pub fn new(parent_dir: &Path, min_time: i64, max_time: i64, opts: WriterOptions) -> Result<Self> {
        let ulid = Ulid::new();
        let tmp_dir = parent_dir.join(format!("{ulid}{}", crate::TMP_SUFFIX));
        std::fs::create_dir_all(&tmp_dir).map_err(io_err("create", &tmp_dir))?;
        let chunks_path = tmp_dir.join(CHUNKS_FILE);
        let f = File::create(&chunks_path).map_err(io_err("create", &chunks_path))?;
        let mut chunks = BufWriter::with_capacity(1 << 20, f);
        chunks.write_all(&header(CHUNKS_MAGIC, CHUNKS_VERSION)).map_err(io_err("write", &chunks_path))?;
        let mut opts = opts;
        opts.series_per_block = opts.series_per_block.clamp(1, MAX_SERIES_PER_BLOCK);
        Ok(BlockWriter {
            ulid,
            parent: parent_dir.to_path_buf(),
            tmp_dir,
            min_time,
            max_time,
            opts,
            chunks,
            chunks_len: HEADER_LEN as u64,
            sym_ids: HashMap::new(),
            entries: Vec::new(),
            block_chunk_offs: Vec::new(),
            postings: HashMap::new(),
            prev: None,
            stats: BlockStats::default(),
            finished: false,
        })
    }

    /// The ULID the block will have.
    pub fn ulid(&self) -> Ulid {
        self.ulid
    }

    fn bad(&self, labels: &Labels, reason: impl Into<String>) -> Error {
        Error::BadInput { path: self.tmp_dir.clone(), labels: labels.to_string(), reason: reason.into() }
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.sym_ids.get(s) {
            return id;
        }
        let id = self.sym_ids.len() as u32;
        self.sym_ids.insert(s.into(), id);
        id
    }

    /// Appends a series and streams its runs to the chunks file.
    ///
    /// Errors: labels not strictly greater than the previous series', an empty
    /// label set, a run with `min_time > max_time`, more than `u32::MAX`
    /// series, or an I/O error. Runs should be in time order; the block stores
    /// them in the order given.
    pub fn add_series(&mut self, labels: &Labels, runs: &[RunRef<'_>]) -> Result<()> {
        if labels.is_empty() {
            return Err(self.bad(labels, "empty label set"));
        }
        if self.prev.as_ref().is_some_and(|p| p >= labels) {
            return Err(self.bad(labels, "series not added in strictly increasing label order"));
        }
        if let Some(r) = runs.iter().find(|r| r.min_time > r.max_time) {
            return Err(self.bad(labels, format!("run min time {} after max time {}", r.min_time, r.max_time)));
        }
        if runs.iter().any(|r| u32::try_from(r.bytes.len()).is_err()) {
            return Err(self.bad(labels, "run longer than 4 GiB"));
        }
        let id = u32::try_from(self.stats.num_series).map_err(|_| self.bad(labels, "more than 2^32 series"))?;
        if id.is_multiple_of(self.opts.series_per_block) {
            self.block_chunk_offs.push(self.chunks_len);
        }
        put_uvarint(&mut self.entries, labels.len() as u64);
        for l in labels.iter() {
            let n = self.intern(&l.name);
            let v = self.intern(&l.value);
            put_uvarint(&mut self.entries, u64::from(n));
            put_uvarint(&mut self.entries, u64::from(v));
            self.postings.entry((n, v)).or_default().push(id);
        }
        put_uvarint(&mut self.entries, runs.len() as u64);
        let path = self.tmp_dir.join(CHUNKS_FILE);
        let mut prev_t = self.min_time;
        for r in runs {
            put_varint(&mut self.entries, r.min_time.wrapping_sub(prev_t));
            put_uvarint(&mut self.entries, r.max_time.wrapping_sub(r.min_time) as u64);
            put_uvarint(&mut self.entries, u64::from(r.num_samples));
            put_uvarint(&mut self.entries, r.bytes.len() as u64);
            prev_t = r.max_time;
            self.chunks.write_all(r.bytes).map_err(io_err("write", &path))?;
            self.chunks.write_all(&crc32c::crc32c(r.bytes).to_le_bytes()).map_err(io_err("write", &path))?;
            self.chunks_len += r.bytes.len() as u64 + RUN_CRC_LEN;
            self.stats.num_samples += u64::from(r.num_samples);
        }
        self.stats.num_runs += runs.len() as u64;
        self.stats.num_series += 1;
        self.prev = Some(labels.clone());
        Ok(())
    }

    /// Writes the index and meta.json, fsyncs every file and the directory,
    /// renames `<ULID>.tmp` to `<ULID>` and fsyncs the parent. Blocking.
    pub fn finish(mut self) -> Result<BlockMeta> {
        let chunks_path = self.tmp_dir.join(CHUNKS_FILE);
        self.chunks.flush().map_err(io_err("write", &chunks_path))?;
        self.chunks.get_ref().sync_all().map_err(io_err("fsync", &chunks_path))?;

        let index = self.build_index()?;
        let index_path = self.tmp_dir.join(INDEX_FILE);
        write_synced(&index_path, &index)?;

        let mut compaction = self.opts.compaction.clone();
        if compaction.sources.is_empty() {
            compaction.sources.push(self.ulid);
        }
        let meta = BlockMeta {
            ulid: self.ulid,
            min_time: self.min_time,
            max_time: self.max_time,
            stats: self.stats.clone(),
            compaction,
            version: META_VERSION,
        };
        let meta_path = self.tmp_dir.join(META_FILE);
        let json =
            serde_json::to_vec_pretty(&meta).map_err(|source| Error::Meta { path: meta_path.clone(), source })?;
        write_synced(&meta_path, &json)?;
        sync_dir(&self.tmp_dir)?;
        let final_dir = self.parent.join(self.ulid.to_string());
        std::fs::rename(&self.tmp_dir, &final_dir).map_err(io_err("rename", &self.tmp_dir))?;
        sync_dir(&self.parent)?;
        self.finished = true;
        Ok(meta)
    }

    /// Builds the whole index file in memory (it is small: tens of bytes per series).
    fn build_index(&mut self) -> Result<Vec<u8>> {
        // Final symbol numbers follow string order, so comparing numbers compares strings.
        let mut order: Vec<(&str, u32)> = self.sym_ids.iter().map(|(s, &id)| (&**s, id)).collect();
        order.sort_unstable();
        let mut remap = vec![0u32; order.len()];
        for (fin, &(_, tmp)) in order.iter().enumerate() {
            remap[tmp as usize] = fin as u32;
        }

        let mut sym_raw = Vec::new();
        put_uvarint(&mut sym_raw, order.len() as u64);
        let mut prev: &[u8] = &[];
        for &(s, _) in &order {
            let s = s.as_bytes();
            let shared = s.iter().zip(prev).take_while(|(a, b)| a == b).count();
            put_uvarint(&mut sym_raw, shared as u64);
            put_uvarint(&mut sym_raw, (s.len() - shared) as u64);
            sym_raw.extend_from_slice(&s[shared..]);
            prev = s;
        }

        let (series_raw, table_raw) = self.build_series(&remap)?;

        let mut keys: Vec<(u32, u32, u32, u32)> =
            self.postings.keys().map(|&(n, v)| (remap[n as usize], remap[v as usize], n, v)).collect();
        keys.sort_unstable();
        let mut post_raw = Vec::new();
        let mut li_raw = Vec::new();
        let mut names: Vec<(u32, Vec<(u32, u64)>)> = Vec::new();
        for &(fname, fval, n, v) in &keys {
            let start = post_raw.len();
            postings::encode(&self.postings[&(n, v)], &mut post_raw);
            let len = (post_raw.len() - start) as u64;
            match names.last_mut() {
                Some((nm, vals)) if *nm == fname => vals.push((fval, len)),
                _ => names.push((fname, vec![(fval, len)])),
            }
        }
        put_uvarint(&mut li_raw, names.len() as u64);
        for (name, vals) in &names {
            put_uvarint(&mut li_raw, u64::from(*name));
            put_uvarint(&mut li_raw, vals.len() as u64);
            let mut prev = 0u32;
            for &(v, len) in vals {
                put_uvarint(&mut li_raw, u64::from(v - prev));
                put_uvarint(&mut li_raw, len);
                prev = v;
            }
        }

        let lvl = self.opts.zstd_level;
        let path = self.tmp_dir.join(INDEX_FILE);
        let mut out = header(INDEX_MAGIC, INDEX_VERSION).to_vec();
        let mut footer = Footer {
            num_series: self.stats.num_series as u32,
            series_per_block: self.opts.series_per_block,
            chunks_len: self.chunks_len,
            min_time: self.min_time,
            ..Footer::default()
        };
        let secs: [(usize, Vec<u8>, bool); NUM_SECTIONS] = [
            (SEC_SYMBOLS, sym_raw, true),
            (SEC_SERIES, series_raw, false),
            (SEC_SERIES_TABLE, table_raw, false),
            (SEC_POSTINGS, post_raw, false),
            (SEC_LABEL_INDEX, li_raw, true),
        ];
        for (i, raw, compress) in secs {
            let (codec, stored) = if compress {
                let z = zstd::bulk::compress(&raw, lvl).map_err(io_err("compress", &path))?;
                (CODEC_ZSTD, z)
            } else {
                (CODEC_RAW, raw.clone())
            };
            footer.sections[i] = SectionRef {
                offset: out.len() as u64,
                len: stored.len() as u64,
                raw_len: raw.len() as u64,
                crc: crc32c::crc32c(&stored),
                codec,
            };
            out.extend_from_slice(&stored);
        }
        out.extend_from_slice(&footer.encode());
        Ok(out)
    }

    /// Rewrites series entries with final symbol numbers, compressing each
    /// group of `series_per_block` entries; returns the series section and the
    /// series block table.
    fn build_series(&self, remap: &[u32]) -> Result<(Vec<u8>, Vec<u8>)> {
        let path = self.tmp_dir.join(INDEX_FILE);
        let spb = self.opts.series_per_block as u64;
        let mut d = Dec::new(&self.entries);
        let mut series = Vec::new();
        let mut table = Vec::new();
        let mut group = Vec::new();
        // The entries were written by this writer, so a failed decode is a bug.
        let bug = || Error::Io {
            op: "re-encode series entries for",
            path: path.clone(),
            source: std::io::Error::other("internal encoding error"),
        };
        for (b, &chunk_off) in self.block_chunk_offs.iter().enumerate() {
            group.clear();
            let n = spb.min(self.stats.num_series - b as u64 * spb);
            for _ in 0..n {
                let nl = d.uvarint().ok_or_else(bug)?;
                put_uvarint(&mut group, nl);
                for _ in 0..nl * 2 {
                    let s = d.uvarint().ok_or_else(bug)?;
                    let fin = remap.get(s as usize).ok_or_else(bug)?;
                    put_uvarint(&mut group, u64::from(*fin));
                }
                let nr = d.uvarint().ok_or_else(bug)?;
                put_uvarint(&mut group, nr);
                for _ in 0..nr * 4 {
                    put_uvarint(&mut group, d.uvarint().ok_or_else(bug)?);
                }
            }
            table.extend_from_slice(&(series.len() as u64).to_le_bytes());
            table.extend_from_slice(&chunk_off.to_le_bytes());
            let z = zstd::bulk::compress(&group, self.opts.zstd_level).map_err(io_err("compress", &path))?;
            if z.len() + 4 < group.len() {
                series.push(CODEC_ZSTD);
                put_uvarint(&mut series, group.len() as u64);
                series.extend_from_slice(&z);
            } else {
                series.push(CODEC_RAW);
                put_uvarint(&mut series, group.len() as u64);
                series.extend_from_slice(&group);
            }
        }
        table.extend_from_slice(&(series.len() as u64).to_le_bytes());
        table.extend_from_slice(&self.chunks_len.to_le_bytes());
        Ok((series, table))
    }
}

impl Drop for BlockWriter {
    fn drop(&mut self) {
        if !self.finished {
            // Best effort: a leftover .tmp is never opened as a block and is
            // removed at startup by `remove_tmp_dirs`, so a failure here is harmless.
            let _ = std::fs::remove_dir_all(&self.tmp_dir);
        }
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(io_err("create", path))?;
    f.write_all(bytes).map_err(io_err("write", path))?;
    f.sync_all().map_err(io_err("fsync", path))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(io_err("fsync", dir))
}
