//! The block run codec: one series' samples over a time range, encoded
//! column by column for an immutable block (layout in FORMAT.md).
//!
//! A run starts with a header (version, count, min and max time) that
//! [`run_header`] reads without decoding the columns, then the timestamp
//! column, then the value column.

mod ints;
mod values;

use crate::error::{Error, Result, invalid};
use crate::varint::{Cursor, put_uvarint, put_varint};
use argus_model::Sample;

/// The format version written as the first byte of every run. Readers also
/// read version 1 (no tail seeds in integer columns).
pub const RUN_VERSION: u8 = 2;

/// The most samples one run may hold; [`decode_run`] rejects larger counts so
/// that a corrupt header cannot make it allocate without bound.
pub const MAX_RUN_SAMPLES: usize = 1 << 20;

/// Timestamp mode: `t_i = mint + i * (maxt - mint) / (count - 1)`; nothing stored.
const TS_REGULAR: u8 = 0;
/// Timestamp mode: an integer column (see `ints.rs`); from version 2 on, its
/// timestamps never decrease.
const TS_COLUMN: u8 = 1;
/// Timestamp mode (version 2 on): an integer column in any order.
const TS_COLUMN_UNORDERED: u8 = 2;

/// What [`run_header`] reads from the front of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunHeader {
    /// Timestamp of the first sample (0 if the run is empty).
    pub min_t: i64,
    /// Timestamp of the last sample (0 if the run is empty); the largest one
    /// when, as the block writer guarantees, timestamps ascend.
    pub max_t: i64,
    /// Number of samples.
    pub count: usize,
}

/// Encodes one series' samples, which must be in ascending timestamp order for
/// good compression (any order round-trips).
///
/// Lossless: [`decode_run`] gives back every timestamp and every value's bits.
///
/// # Panics
///
/// If `samples.len() > MAX_RUN_SAMPLES`: callers cut runs far below that.
pub fn encode_run(samples: &[Sample]) -> Vec<u8> {
    encode_run_with(samples, RunCodec::Compact)
}

/// The entropy stage a run is written with; [`decode_run`] reads them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RunCodec {
    /// Adaptive range coder: smallest (0.448 B/sample on the benchmark data at
    /// 1440 samples per run), decodes at ~35 M samples/s (BENCH.md).
    #[default]
    Compact,
    /// zstd over varints: 10 % larger at 1440 samples per run (16 % at 480),
    /// decodes ~4x faster; for data that is read far more often than stored.
    FastDecode,
    /// Varints only, no entropy stage: fastest, ~2x larger.
    Plain,
}

/// [`encode_run`] with a chosen entropy stage. Same contract and panics.
pub fn encode_run_with(samples: &[Sample], codec: RunCodec) -> Vec<u8> {
    assert!(samples.len() <= MAX_RUN_SAMPLES, "run of {} samples exceeds MAX_RUN_SAMPLES", samples.len());
    let mut out = vec![RUN_VERSION];
    put_uvarint(&mut out, samples.len() as u64);
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return out;
    };
    put_varint(&mut out, first.t);
    put_uvarint(&mut out, last.t.wrapping_sub(first.t) as u64);
    let ts: Vec<i64> = samples.iter().map(|s| s.t).collect();
    let tail = recent_samples(&ts);
    if is_regular(&ts) {
        out.push(TS_REGULAR);
    } else {
        let ascending = ts.windows(2).all(|w| matches!(w, [a, b] if a <= b));
        out.push(if ascending { TS_COLUMN } else { TS_COLUMN_UNORDERED });
        ints::encode_ints(&mut out, &ts, codec, tail);
    }
    let vals: Vec<f64> = samples.iter().map(|s| s.v).collect();
    values::encode_values(&mut out, &vals, codec, tail);
    out
}

/// How far back from a run's last sample its columns stay readable without
/// entropy decoding: instant queries and the newest points of dashboards read
/// windows of 5 to 10 minutes there.
const RECENT_SPAN_MS: i64 = 15 * 60 * 1000;
/// At most this many samples are kept that way (1 s scrapes would otherwise
/// keep 900 per run).
const RECENT_MAX_SAMPLES: usize = 128;

/// The number of samples in the last [`RECENT_SPAN_MS`] of ascending `ts`,
/// at most [`RECENT_MAX_SAMPLES`].
fn recent_samples(ts: &[i64]) -> usize {
    let Some(&last) = ts.last() else { return 0 };
    let from = last.saturating_sub(RECENT_SPAN_MS);
    ts.iter().rev().take(RECENT_MAX_SAMPLES).take_while(|&&t| t > from).count()
}

/// Whether `ts` is an arithmetic progression that the regular mode rebuilds.
fn is_regular(ts: &[i64]) -> bool {
    let (Some(&first), Some(&last)) = (ts.first(), ts.last()) else {
        return true;
    };
    if ts.len() < 2 {
        return true;
    }
    let span = i128::from(last) - i128::from(first);
    let steps = ts.len() as i128 - 1;
    if span % steps != 0 {
        return false;
    }
    let step = span / steps;
    ts.iter().enumerate().all(|(i, &t)| i128::from(t) == i128::from(first) + step * i as i128)
}

/// Reads the header of a run without decoding its columns.
pub fn run_header(bytes: &[u8]) -> Result<RunHeader> {
    Ok(read_header(&mut Cursor::new(bytes))?.0)
}

/// The header and the run's format version.
fn read_header(c: &mut Cursor<'_>) -> Result<(RunHeader, u8)> {
    let version = c.u8("run version")?;
    if !(1..=RUN_VERSION).contains(&version) {
        return Err(Error::UnknownVersion(version));
    }
    let count = c.uvarint("run count")?;
    if count > MAX_RUN_SAMPLES as u64 {
        return Err(invalid("run count", count));
    }
    if count == 0 {
        return Ok((RunHeader { min_t: 0, max_t: 0, count: 0 }, version));
    }
    let min_t = c.varint("run min time")?;
    let span = c.uvarint("run time span")?;
    Ok((RunHeader { min_t, max_t: min_t.wrapping_add(span as i64), count: count as usize }, version))
}

/// Decodes a run written by [`encode_run`].
///
/// Corrupt or truncated input returns an error (never panics); a flipped bit
/// inside an entropy-coded stream may instead decode to wrong samples, which the
/// block's checksum is there to catch.
pub fn decode_run(bytes: &[u8]) -> Result<Vec<Sample>> {
    let mut out = Vec::new();
    decode_run_into(bytes, &mut out)?;
    Ok(out)
}

/// [`decode_run`] appending to `out`, so a reader can reuse one buffer across
/// runs. On error `out` is left as it was.
pub fn decode_run_into(bytes: &[u8], out: &mut Vec<Sample>) -> Result<()> {
    let mut c = Cursor::new(bytes);
    let (h, version) = read_header(&mut c)?;
    if h.count == 0 {
        return if c.rest().is_empty() { Ok(()) } else { Err(Error::Inconsistent { what: "run length" }) };
    }
    let ts = match c.u8("timestamp mode")? {
        TS_REGULAR => regular(h)?,
        TS_COLUMN => ints_checked(&mut c, h, version)?,
        TS_COLUMN_UNORDERED if version >= 2 => ints_checked(&mut c, h, version)?,
        x => return Err(invalid("timestamp mode", u64::from(x))),
    };
    let vals = values::decode_values(&mut c, h.count, version)?;
    if !c.rest().is_empty() {
        return Err(Error::Inconsistent { what: "run length" });
    }
    out.reserve(h.count);
    out.extend(ts.into_iter().zip(vals).map(|(t, v)| Sample { t, v }));
    Ok(())
}

/// Appends to `out` only the samples of a run with `lo <= t <= hi` (inclusive),
/// in run order, doing as little of the decoding as the window allows: a
/// regular timestamp column is never materialised, values after the window
/// are not decoded, and values before it are decoded but not converted.
///
/// Gives exactly the samples of [`decode_run`] filtered to the window, for runs
/// whose timestamps ascend (what the block writer guarantees); runs in any
/// other order are decoded whole and filtered. Errors as [`decode_run`], except
/// that bytes after the last decoded column are not checked. On error `out` is
/// left as it was.
pub fn decode_run_range_into(bytes: &[u8], lo: i64, hi: i64, out: &mut Vec<Sample>) -> Result<()> {
    let mut c = Cursor::new(bytes);
    let (h, version) = read_header(&mut c)?;
    if h.count == 0 || lo > hi {
        return Ok(());
    }
    let ts = match c.u8("timestamp mode")? {
        TS_REGULAR => {
            let step = regular_step(h)?;
            if step <= 0 && h.count > 1 {
                return decode_filtered(bytes, lo, hi, out);
            }
            Timestamps::Regular { step }
        }
        TS_COLUMN => match column_tail(&mut c, h, version, lo)? {
            Some((base, t)) => Timestamps::Column { base, t },
            None => return decode_filtered(bytes, lo, hi, out),
        },
        TS_COLUMN_UNORDERED if version >= 2 => return decode_filtered(bytes, lo, hi, out),
        x => return Err(invalid("timestamp mode", u64::from(x))),
    };
    let (first, end) = match &ts {
        Timestamps::Regular { step } => regular_window(h, *step, lo, hi),
        Timestamps::Column { base, t } => {
            (base + t.partition_point(|&x| x < lo), base + t.partition_point(|&x| x <= hi))
        }
    };
    if first >= end {
        return Ok(());
    }
    let vals = values::decode_values_window(&mut c, h.count, first, end, version)?;
    if vals.len() != end - first {
        return Err(Error::Inconsistent { what: "run window" });
    }
    out.reserve(end - first);
    match ts {
        Timestamps::Regular { step } => out.extend(
            vals.iter()
                .zip(first..end)
                .map(|(&v, i)| Sample { t: h.min_t.wrapping_add(step.wrapping_mul(i as i64)), v }),
        ),
        Timestamps::Column { base, t } => {
            let t = t.get(first - base..end - base).ok_or(Error::Inconsistent { what: "run window" })?;
            out.extend(t.iter().zip(vals).map(|(&t, v)| Sample { t, v }));
        }
    }
    Ok(())
}

enum Timestamps {
    Regular {
        step: i64,
    },
    /// Timestamps `base..count` of a column.
    Column {
        base: usize,
        t: Vec<i64>,
    },
}

/// Decodes the part of a timestamp column that a window starting at `lo`
/// needs: from version 2 on, only the tail from a little before where `lo`
/// falls if the samples were evenly spaced (the whole column when that guess
/// starts too late); before, the whole column. `None` when the timestamps do
/// ascend, which only a version 1 column can do (the caller then filters a
/// full decode). Leaves the cursor after the column.
fn column_tail(c: &mut Cursor<'_>, h: RunHeader, version: u8, lo: i64) -> Result<Option<(usize, Vec<i64>)>> {
    let ascending = |t: &[i64]| t.windows(2).all(|w| matches!(w, [a, b] if a <= b));
    let n = h.count;
    let span = i128::from(h.max_t) - i128::from(h.min_t);
    if version >= 2 && n > 2 && span > 0 && i128::from(lo) > i128::from(h.min_t) {
        let frac = ((i128::from(lo) - i128::from(h.min_t)) * (n as i128 - 1) / span).clamp(0, n as i128 - 1) as usize;
        // Scrape jitter moves samples a little; gaps move them a lot, which the check below catches.
        let guess = frac.saturating_sub(n / 16 + 2);
        if guess > 0 && n - guess < guess {
            let start = c.pos();
            let t = ints::decode_ints_suffix(c, n, guess, version)?;
            if t.last() != Some(&h.max_t) {
                return Err(Error::Inconsistent { what: "run timestamps" });
            }
            if t.first().is_some_and(|&f| f < lo) {
                return Ok(Some((guess, t)));
            }
            c.set_pos(start);
        }
    }
    let t = ints_checked(c, h, version)?;
    Ok((version >= 2 || ascending(&t)).then_some((0, t)))
}

/// The slow path of [`decode_run_range_into`]: decode everything, filter.
fn decode_filtered(bytes: &[u8], lo: i64, hi: i64, out: &mut Vec<Sample>) -> Result<()> {
    let all = decode_run(bytes)?;
    out.extend(all.into_iter().filter(|s| s.t >= lo && s.t <= hi));
    Ok(())
}

/// The step of a regular column (wrapping: exact modulo 2^64, which is enough
/// because every timestamp lies between `min_t` and `max_t`).
fn regular_step(h: RunHeader) -> Result<i64> {
    let span = i128::from(h.max_t) - i128::from(h.min_t);
    let steps = (h.count as i128 - 1).max(1);
    if span % steps != 0 || (h.count == 1 && span != 0) {
        return Err(Error::Inconsistent { what: "run regular timestamps" });
    }
    Ok((span / steps) as i64)
}

/// The index range `[first, end)` of a regular column (step > 0, or a single
/// sample) that falls in `[lo, hi]`.
fn regular_window(h: RunHeader, step: i64, lo: i64, hi: i64) -> (usize, usize) {
    if h.count == 1 || step <= 0 {
        let inside = h.min_t >= lo && h.min_t <= hi;
        return (0, usize::from(inside));
    }
    let (min_t, step, n) = (i128::from(h.min_t), i128::from(step), h.count as i128);
    // first: the smallest i with min_t + i*step >= lo; end: one past the largest with <= hi.
    let first = (i128::from(lo) - min_t + step - 1).div_euclid(step).clamp(0, n);
    let end = ((i128::from(hi) - min_t).div_euclid(step) + 1).clamp(0, n);
    (first as usize, end.max(first) as usize)
}

/// Rebuilds a regular timestamp column; the encoder only chooses this mode when
/// the span divides evenly, so a remainder means corrupt input.
fn regular(h: RunHeader) -> Result<Vec<i64>> {
    let step = regular_step(h)?;
    Ok((0..h.count).map(|i| h.min_t.wrapping_add(step.wrapping_mul(i as i64))).collect())
}

fn ints_checked(c: &mut Cursor<'_>, h: RunHeader, version: u8) -> Result<Vec<i64>> {
    let ts = ints::decode_ints(c, h.count, version)?;
    if ts.first() != Some(&h.min_t) || ts.last() != Some(&h.max_t) {
        return Err(Error::Inconsistent { what: "run timestamps" });
    }
    Ok(ts)
}
