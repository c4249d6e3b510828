//! Compaction: cutting the head into blocks, merging blocks, retention, and
//! the WAL checkpoint that follows a head truncation.
//!
//! Manager/task split: [`run`] decides what is due (head span over 1.5 chunk
//! ranges, mergeable block groups, blocks past retention); `write_block` and
//! `merge_blocks` do the work. Blocks become visible only after their
//! directory is complete (the block writer renames `.tmp` into place), and
//! parents are deleted only after the merged block is loaded, so a crash at any
//! point leaves either the parents or the child, never neither. Overlapping
//! blocks (from a crash between those steps, or from backfill) are merged
//! like any others: samples with equal timestamps collapse to one.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use argus_block::{Block, BlockMeta, BlockWriter, Compaction, RunRef, WriterOptions};
use argus_model::{Labels, Sample};

use crate::db::{BlockRef, Db};
use crate::error::{Error, Result};
use crate::querier::merge_samples;
use crate::wal_records::{self, Record};

/// Samples per encoded run: long runs compress better; shorter ones cost
/// less to decode for narrow queries. See BENCHMARKS.md for the measurement.
pub const RUN_MAX_SAMPLES: usize = 2048;

/// The run codec blocks are written with. A profile of instant queries over
/// backfilled blocks spent 76 % of the time in the range coder (Compact);
/// zstd (FastDecode) made them 2–3 × faster for 10 % more bytes (0.50 instead
/// of 0.455 bytes/sample on the benchmark data, still under the 0.6 target).
/// Readers decode either, so old blocks stay readable.
pub const RUN_CODEC: argus_chunkenc::RunCodec = argus_chunkenc::RunCodec::FastDecode;

pub(crate) fn run(db: &Db) -> Result<()> {
    cut_head(db)?;
    merge_due_blocks(db)?;
    apply_retention(db)?;
    Ok(())
}

/// Writes a block of `series` (sorted by labels) covering `[mint, maxt]`
/// into `parent`. Returns `None` when there was nothing to write.
pub(crate) fn write_block(
    parent: &Path,
    mint: i64,
    maxt: i64,
    series: impl Iterator<Item = Result<(Labels, Vec<Sample>)>>,
    compaction: Compaction,
) -> Result<Option<BlockMeta>> {
    let mut w = BlockWriter::new(parent, mint, maxt, WriterOptions { compaction, ..WriterOptions::default() })?;
    let mut any = false;
    let mut encoded: Vec<(i64, i64, u32, Vec<u8>)> = Vec::new();
    for item in series {
        let (labels, samples) = item?;
        let samples: Vec<Sample> = samples.into_iter().filter(|s| s.t >= mint && s.t <= maxt).collect();
        if samples.is_empty() {
            continue;
        }
        encoded.clear();
        for part in samples.chunks(RUN_MAX_SAMPLES) {
            let (Some(first), Some(last)) = (part.first(), part.last()) else {
                continue;
            };
            encoded.push((first.t, last.t, part.len() as u32, argus_chunkenc::encode_run_with(part, RUN_CODEC)));
        }
        let runs: Vec<RunRef<'_>> = encoded
            .iter()
            .map(|(a, b, n, bytes)| RunRef { min_time: *a, max_time: *b, num_samples: *n, bytes })
            .collect();
        w.add_series(&labels, &runs)?;
        any = true;
    }
    if !any {
        drop(w);
        return Ok(None);
    }
    Ok(Some(w.finish()?))
}

fn load(db: &Db, meta: &BlockMeta) -> Result<BlockRef> {
    Ok(Arc::new(Block::open(&db.dir().join(meta.ulid.to_string()))?))
}

fn publish(db: &Db, add: Vec<BlockRef>, remove: &[argus_block::Ulid]) {
    let mut blocks = db.blocks.write();
    blocks.retain(|b| !remove.contains(&b.meta().ulid));
    blocks.extend(add);
    blocks.sort_by_key(|b| (b.meta().min_time, b.meta().max_time));
    db.stats.blocks_loaded.store(blocks.len() as u64, Ordering::Relaxed);
    db.stats.blocks_bytes.store(blocks.iter().map(|b| b.size_bytes()).sum(), Ordering::Relaxed);
}

/// While the head spans more than 1.5 chunk ranges, writes its oldest whole
/// range as a block and truncates the head and the WAL behind it.
fn cut_head(db: &Db) -> Result<()> {
    let range = db.opts.head.chunk_range;
    loop {
        let (hmin, hmax) = (db.head.min_time(), db.head.max_time());
        if hmin == i64::MAX || hmax == i64::MIN || hmax - hmin <= range / 2 * 3 {
            return Ok(());
        }
        let mint = hmin.div_euclid(range) * range;
        let maxt = mint + range - 1;
        let series = db.head.series_in_range(mint, maxt);
        if let Some(meta) = write_block(db.dir(), mint, maxt, series.map(Ok), Compaction::default())? {
            let b = load(db, &meta)?;
            publish(db, vec![b], &[]);
            let (n, samples) = (meta.stats.num_series, meta.stats.num_samples);
            tracing::info!(ulid = %meta.ulid, mint, maxt, series = n, samples, "wrote block from head");
        }
        db.stats.compactions.fetch_add(1, Ordering::Relaxed);
        db.head.truncate(maxt + 1);
        db.stats.head_truncations.fetch_add(1, Ordering::Relaxed);
        checkpoint_wal(db, maxt + 1)?;
    }
}

/// Replaces the WAL's closed segments with a checkpoint holding only the
/// series still in the head and samples at or after `mint`.
fn checkpoint_wal(db: &Db, mint: i64) -> Result<()> {
    let Some(wal) = &db.head.wal else {
        return Ok(());
    };
    let (dir, last_closed, first) = {
        let mut w = wal.lock();
        let cur = w.cut_segment()?;
        let segs = w.segments()?;
        (w.dir().to_path_buf(), cur.saturating_sub(1), segs.first().copied().unwrap_or(cur))
    };
    if first > last_closed {
        return Ok(());
    }
    let live = |r: u64| db.head.series_by_ref(r).is_some();
    let mut out: Vec<Vec<u8>> = Vec::new();
    // The previous checkpoint, then closed segments only: the open segment
    // is being written and stays as it is.
    let mut readers = Vec::new();
    let mut from = first;
    if let Some(cp) = argus_wal::Checkpoint::latest(&dir)? {
        readers.push(argus_wal::Reader::new(&cp.path, 0)?);
        from = from.max(cp.index + 1);
    }
    readers.push(argus_wal::Reader::range(&dir, from, last_closed)?);
    for mut reader in readers {
        while let Some(rec) = reader.next_record()? {
            if let Some(b) = filter_record(rec, mint, &live) {
                out.push(b);
            }
        }
    }
    argus_wal::Checkpoint::write(&dir, last_closed, out.iter())?;
    wal.lock().truncate_before(last_closed + 1)?;
    argus_wal::Checkpoint::delete_before(&dir, last_closed)?;
    tracing::info!(checkpoint = last_closed, "WAL checkpoint written");
    Ok(())
}

/// Keeps from one WAL record what a checkpoint at `mint` needs: series
/// still live, samples at or after `mint`. `None` when nothing is left.
fn filter_record(rec: &[u8], mint: i64, live: &dyn Fn(u64) -> bool) -> Option<Vec<u8>> {
    let mut b = Vec::new();
    match wal_records::decode(rec).ok()? {
        Record::Series(series) => {
            let keep: Vec<(u64, &Labels)> = series.iter().filter(|(r, _)| live(*r)).map(|(r, l)| (*r, l)).collect();
            if keep.is_empty() {
                return None;
            }
            wal_records::encode_series(&mut b, &keep);
        }
        Record::Samples(ss) => {
            let keep: Vec<(u64, i64, f64)> =
                ss.iter().filter(|(r, s)| s.t >= mint && live(*r)).map(|(r, s)| (*r, s.t, s.v)).collect();
            if keep.is_empty() {
                return None;
            }
            wal_records::encode_samples(&mut b, &keep);
        }
    }
    Some(b)
}

/// The compaction ranges: the chunk range times 3, 9, 27, ... up to `max`.
fn ranges(base: i64, max: i64) -> Vec<i64> {
    let mut out = vec![base];
    let mut r = base * 3;
    while r <= max {
        out.push(r);
        r *= 3;
    }
    out
}

/// Picks one group of blocks to merge: overlapping blocks first, then, for
/// each range from the largest, two or more blocks inside one aligned window
/// that is complete (later data exists past the window's end).
pub(crate) fn plan(metas: &[BlockMeta], base: i64, max: i64) -> Option<Vec<BlockMeta>> {
    let mut sorted: Vec<&BlockMeta> = metas.iter().collect();
    sorted.sort_by_key(|m| (m.min_time, m.max_time));
    // Overlaps: any block starting before the previous one ended.
    let mut group: Vec<BlockMeta> = Vec::new();
    let mut end = i64::MIN;
    for m in &sorted {
        if !group.is_empty() && m.min_time <= end {
            group.push((*m).clone());
            end = end.max(m.max_time);
            continue;
        }
        if group.len() > 1 {
            return Some(group);
        }
        group = vec![(*m).clone()];
        end = m.max_time;
    }
    if group.len() > 1 {
        return Some(group);
    }
    let newest = sorted.iter().map(|m| m.max_time).max()?;
    for &r in ranges(base, max).iter().skip(1).rev() {
        let mut i = 0;
        while i < sorted.len() {
            let w0 = sorted[i].min_time.div_euclid(r) * r;
            let w1 = w0 + r - 1;
            let members: Vec<BlockMeta> =
                sorted[i..].iter().take_while(|m| m.max_time <= w1).map(|m| (*m).clone()).collect();
            let n = members.len().max(1);
            if members.len() > 1 && (newest > w1 || members.iter().map(|m| m.max_time).max() == Some(w1)) {
                return Some(members);
            }
            i += n;
        }
    }
    None
}

fn merge_due_blocks(db: &Db) -> Result<()> {
    loop {
        let metas = db.blocks();
        let Some(group) = plan(&metas, db.opts.head.chunk_range, db.opts.effective_max_block()) else {
            return Ok(());
        };
        merge_blocks(db, &group)?;
    }
}

/// Merges the blocks of `group` into one block and swaps it in.
fn merge_blocks(db: &Db, group: &[BlockMeta]) -> Result<()> {
    let ids: Vec<argus_block::Ulid> = group.iter().map(|m| m.ulid).collect();
    let parents: Vec<BlockRef> = db.block_list().into_iter().filter(|b| ids.contains(&b.meta().ulid)).collect();
    let mint = group.iter().map(|m| m.min_time).min().unwrap_or(0);
    let maxt = group.iter().map(|m| m.max_time).max().unwrap_or(0);
    let compaction = Compaction {
        level: group.iter().map(|m| m.compaction.level).max().unwrap_or(1) + 1,
        sources: {
            let mut s: Vec<argus_block::Ulid> = group.iter().flat_map(|m| m.compaction.sources.clone()).collect();
            s.sort();
            s.dedup();
            s
        },
        parents: group.iter().map(|m| m.desc()).collect(),
    };
    let merged = MergedSeries::new(&parents)?;
    let meta = write_block(db.dir(), mint, maxt, merged, compaction)?;
    let add = match &meta {
        Some(m) => vec![load(db, m)?],
        None => Vec::new(),
    };
    publish(db, add, &ids);
    for p in &parents {
        delete_block_dir(p.dir())?;
    }
    db.stats.compactions.fetch_add(1, Ordering::Relaxed);
    tracing::info!(parents = ids.len(), mint, maxt, "merged blocks");
    Ok(())
}

fn delete_block_dir(dir: &Path) -> Result<()> {
    // Rename first so a crash mid-delete never leaves a half block that looks whole.
    let doomed = dir.with_extension("tmp-for-deletion");
    std::fs::rename(dir, &doomed).map_err(Error::io("rename block for deletion", dir))?;
    std::fs::remove_dir_all(&doomed).map_err(Error::io("delete block", &doomed))
}

/// Streams the union of several blocks' series in label order, merging the
/// samples of equal label sets.
type SeriesRuns = (Labels, Vec<argus_block::RunMeta>);

struct MergedSeries {
    iters: Vec<std::iter::Peekable<std::vec::IntoIter<SeriesRuns>>>,
    blocks: Vec<BlockRef>,
}

impl MergedSeries {
    fn new(blocks: &[BlockRef]) -> Result<Self> {
        let mut iters = Vec::new();
        for b in blocks {
            // Series metadata only (labels + run offsets); samples are read lazily.
            let v: Vec<SeriesRuns> =
                b.series_iter().map(|r| r.map(|(_, l, runs)| (l, runs))).collect::<std::result::Result<_, _>>()?;
            iters.push(v.into_iter().peekable());
        }
        Ok(MergedSeries { iters, blocks: blocks.to_vec() })
    }
}

impl Iterator for MergedSeries {
    type Item = Result<(Labels, Vec<Sample>)>;

    fn next(&mut self) -> Option<Self::Item> {
        let min = self.iters.iter_mut().filter_map(|it| it.peek().map(|(l, _)| l.clone())).min()?;
        let mut parts = Vec::new();
        for (i, it) in self.iters.iter_mut().enumerate() {
            if it.peek().is_some_and(|(l, _)| *l == min) {
                let Some((_, runs)) = it.next() else { continue };
                let Some(b) = self.blocks.get(i) else {
                    continue;
                };
                let mut samples = Vec::new();
                for r in &runs {
                    let decoded = b
                        .run_bytes(r)
                        .map_err(Error::from)
                        .and_then(|bytes| argus_chunkenc::decode_run(bytes).map_err(Error::from));
                    match decoded {
                        Ok(s) => samples.extend(s),
                        Err(e) => return Some(Err(e)),
                    }
                }
                parts.push(samples);
            }
        }
        Some(Ok((min, merge_samples(parts))))
    }
}

/// Deletes blocks past time retention, then the oldest blocks while the
/// total size exceeds size retention.
fn apply_retention(db: &Db) -> Result<()> {
    let blocks = db.block_list();
    let Some(newest) = blocks.iter().map(|b| b.meta().max_time).max() else {
        return Ok(());
    };
    let mut doomed: Vec<(BlockRef, bool)> = Vec::new();
    if db.opts.retention_time > 0 {
        let cutoff = newest.max(db.head.max_time()) - db.opts.retention_time;
        for b in &blocks {
            if b.meta().max_time < cutoff {
                doomed.push((b.clone(), true));
            }
        }
    }
    if db.opts.retention_size > 0 {
        let wal = db.wal_size_bytes();
        let mut total: u64 = blocks.iter().map(|b| b.size_bytes()).sum::<u64>() + wal;
        for b in &blocks {
            if total <= db.opts.retention_size {
                break;
            }
            total = total.saturating_sub(b.size_bytes());
            if !doomed.iter().any(|(d, _)| d.meta().ulid == b.meta().ulid) {
                doomed.push((b.clone(), false));
            }
        }
    }
    if doomed.is_empty() {
        return Ok(());
    }
    let ids: Vec<argus_block::Ulid> = doomed.iter().map(|(b, _)| b.meta().ulid).collect();
    publish(db, Vec::new(), &ids);
    for (b, by_time) in doomed {
        delete_block_dir(b.dir())?;
        let c = if by_time { &db.stats.retention_time_deletions } else { &db.stats.retention_size_deletions };
        c.fetch_add(1, Ordering::Relaxed);
        tracing::info!(ulid = %b.meta().ulid, by_time, "deleted block by retention");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(a: i64, b: i64) -> BlockMeta {
        BlockMeta {
            ulid: argus_block::Ulid::new(),
            min_time: a,
            max_time: b,
            stats: Default::default(),
            compaction: Compaction::default(),
            version: argus_block::META_VERSION,
        }
    }

    const H: i64 = 3_600_000;

    #[test]
    fn plan_merges_a_complete_window_only() {
        let r = 2 * H;
        // Three 2h blocks fill the first 6h window; a fourth starts the next.
        let ms = vec![meta(0, r - 1), meta(r, 2 * r - 1), meta(2 * r, 3 * r - 1), meta(3 * r, 4 * r - 1)];
        let g = plan(&ms, r, 100 * H).unwrap();
        assert_eq!(g.len(), 3);
        // Two blocks of an incomplete window at the newest edge wait.
        assert!(plan(&ms[..2], r, 100 * H).is_none());
    }

    #[test]
    fn plan_merges_overlaps_first() {
        let ms = vec![meta(0, 100), meta(50, 150), meta(1000, 2000)];
        assert_eq!(plan(&ms, 2 * H, 100 * H).unwrap().len(), 2);
    }
}
