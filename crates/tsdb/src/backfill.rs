//! Backfill: OpenMetrics text with timestamps into new blocks, with
//! promtool's contract (`# EOF` required, a timestamp on every sample,
//! line-numbered errors), writing no block at all when the input is bad.
//!
//! Samples are gathered per series into XOR chunks (about 1.4 bytes per
//! sample in memory), then written as blocks aligned to the maximum block
//! duration. argus writes blocks of up to 24 h by default where promtool
//! writes 2 h: long runs are what make blocks small.

use std::collections::HashMap;
use std::path::Path;

use argus_block::{BlockMeta, Compaction};
use argus_chunkenc::XorChunk;
use argus_model::exposition::{BackfillError, BackfillReader, check_backfill};
use argus_model::{Labels, Sample};

use crate::compact::write_block;
use crate::error::{Error, Result};

/// Options of [`create_blocks_from_openmetrics`].
#[derive(Debug, Clone)]
pub struct BackfillOptions {
    /// Blocks cover at most this span (ms) and are aligned to multiples of it.
    pub max_block_duration: i64,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        BackfillOptions { max_block_duration: 24 * 3_600_000 }
    }
}

/// What a backfill wrote.
#[derive(Debug, Clone, Default)]
pub struct BackfillReport {
    /// The blocks written, oldest first.
    pub blocks: Vec<BlockMeta>,
    /// Samples imported.
    pub samples: u64,
    /// Distinct series imported.
    pub series: u64,
}

/// Samples per in-memory XOR chunk while gathering.
const GATHER_CHUNK: u16 = 1024;

struct Gathered {
    chunks: Vec<XorChunk>,
}

impl Gathered {
    fn push(&mut self, t: i64, v: f64) {
        if self.chunks.last().is_none_or(|c| c.num_samples() >= GATHER_CHUNK) {
            if let Some(c) = self.chunks.last_mut() {
                c.shrink_to_fit();
            }
            self.chunks.push(XorChunk::new());
        }
        if let Some(c) = self.chunks.last_mut() {
            // Cannot fail: the chunk holds fewer than GATHER_CHUNK samples.
            let _ = c.append(t, v);
        }
    }

    fn samples(&self, mint: i64, maxt: i64) -> Vec<Sample> {
        self.chunks
            .iter()
            .flat_map(|c| c.iter())
            .filter(|&(t, _)| t >= mint && t <= maxt)
            .map(|(t, v)| Sample::new(t, v))
            .collect()
    }
}

fn backfill_error(input: &[u8], e: BackfillError) -> Error {
    // promtool reports parse errors anywhere in the file before ordering
    // errors; re-check the whole input to pick the same error it would.
    let e = match e {
        BackfillError::OutOfOrder { .. } | BackfillError::Duplicate { .. } => check_backfill(input).err().unwrap_or(e),
        e => e,
    };
    Error::Backfill(e.to_string())
}

/// Imports `input` (OpenMetrics with timestamps) into new blocks under
/// `out_dir`. `progress` is called now and then with the samples read so far.
/// On bad input returns an error naming the line and writes nothing.
pub fn create_blocks_from_openmetrics(
    input: &[u8],
    out_dir: &Path,
    opts: &BackfillOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<BackfillReport> {
    let mut series: HashMap<Labels, Gathered> = HashMap::new();
    let (mut mint, mut maxt) = (i64::MAX, i64::MIN);
    let mut n: u64 = 0;
    for item in BackfillReader::new(input) {
        let s = item.map_err(|e| backfill_error(input, e))?;
        let g = series.entry(s.labels).or_insert_with(|| Gathered { chunks: Vec::new() });
        g.push(s.sample.t, s.sample.v);
        mint = mint.min(s.sample.t);
        maxt = maxt.max(s.sample.t);
        n += 1;
        if n.is_multiple_of(1_000_000) {
            progress(n);
        }
    }
    progress(n);
    let mut report = BackfillReport { samples: n, series: series.len() as u64, ..Default::default() };
    if n == 0 {
        return Ok(report);
    }
    std::fs::create_dir_all(out_dir).map_err(Error::io("create output directory", out_dir))?;
    let mut sorted: Vec<(Labels, Gathered)> = series.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let d = opts.max_block_duration.max(1);
    let mut start = mint.div_euclid(d) * d;
    while start <= maxt {
        let end = start.saturating_add(d - 1);
        let lo = start.max(mint);
        let hi = end.min(maxt);
        let iter = sorted.iter().map(|(l, g)| Ok((l.clone(), g.samples(lo, hi))));
        if let Some(meta) = write_block(out_dir, lo, hi, iter, Compaction::default())? {
            tracing::info!(ulid = %meta.ulid, mint = lo, maxt = hi, samples = meta.stats.num_samples, "wrote backfill block");
            report.blocks.push(meta);
        }
        start = start.saturating_add(d);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str) -> Result<(BackfillReport, tempfile::TempDir)> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp", "/tmp"))?;
        let r = create_blocks_from_openmetrics(input.as_bytes(), dir.path(), &BackfillOptions::default(), &mut |_| {})?;
        Ok((r, dir))
    }

    #[test]
    fn imports_and_reads_back() {
        let input =
            "# TYPE x counter\nx_total{a=\"1\"} 1 1000\nx_total{a=\"1\"} 2 1015\nx_total{a=\"2\"} 5 1000\n# EOF\n";
        let (r, dir) = run(input).unwrap();
        assert_eq!((r.samples, r.series, r.blocks.len()), (3, 2, 1));
        let db = crate::Db::open(dir.path(), crate::DbOptions { retention_time: 0, ..Default::default() }).unwrap();
        use argus_model::storage::{Queryable, SelectHints};
        let q = db.querier(0, i64::MAX).unwrap();
        let h = SelectHints { start: 0, end: i64::MAX, ..Default::default() };
        let got: Vec<_> = q.select(&[argus_model::Matcher::equal("a", "1")], &h).unwrap().map(|s| s.unwrap()).collect();
        assert_eq!(got[0].samples, vec![Sample::new(1_000_000, 1.0), Sample::new(1_015_000, 2.0)]);
    }

    #[test]
    fn errors_name_the_line_and_write_nothing() {
        let cases = [("x 1 1\nx 2\n# EOF\n", "line 2"), ("x 1 1\nx 2 2\n", "EOF"), ("x 1 5\nx 2 2\n# EOF\n", "line 2")];
        for (input, want) in cases {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("out");
            let e = create_blocks_from_openmetrics(input.as_bytes(), &out, &BackfillOptions::default(), &mut |_| {})
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{input:?}: {e}");
            assert!(!out.exists(), "no output on error");
        }
    }

    #[test]
    fn splits_at_block_boundaries() {
        let h = 3600;
        let input = format!("x 1 {}\nx 2 {}\nx 3 {}\n# EOF\n", h, 3 * h, 30 * h);
        let dir = tempfile::tempdir().unwrap();
        let o = BackfillOptions { max_block_duration: 2 * 3_600_000 };
        let r = create_blocks_from_openmetrics(input.as_bytes(), dir.path(), &o, &mut |_| {}).unwrap();
        assert_eq!(r.blocks.len(), 3);
        assert!(r.blocks.iter().all(|b| b.max_time - b.min_time < 2 * 3_600_000));
    }
}
