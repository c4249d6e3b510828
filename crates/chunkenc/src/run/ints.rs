//! The integer column of a block run: a sequence of `i64` (timestamps or
//! decimal mantissas) stored as seeds plus a stream of differences of order
//! 0, 1 or 2, divided by their common divisor, then entropy coded.
//!
//! The encoder tries every order and both coders and keeps the smallest
//! output, so the choice is measured, never guessed.

use super::RunCodec;
use crate::error::{Error, Result, invalid, truncated};
use crate::rangecoder::{Decoder, Encoder, IntModel};
use crate::varint::{Cursor, put_uvarint, put_varint, unzigzag, zigzag};
use std::cell::RefCell;

/// Coder byte: every stream value is zero; no bytes follow.
const CODER_ZERO: u8 = 0;
/// Coder byte: uvarint length, then zigzag LEB128 varints.
const CODER_VARINT: u8 = 1;
/// Coder byte: uvarint length, then the adaptive range coded stream.
const CODER_RANGE: u8 = 2;
/// Coder byte: uvarint length of the varints, uvarint length L, then a zstd
/// frame of L bytes holding the varints.
const CODER_ZSTD: u8 = 3;
/// Coder byte (version 2 on): uvarint T, then the first values of the stream
/// coded by an inner coder byte (only [`CODER_VARINT`] or [`CODER_ZSTD`]) with
/// its content, then uvarint byte length L and the last T values as plain
/// zigzag varints, so a recent window reads without entropy decoding.
const CODER_SPLIT: u8 = 4;
/// zstd level for [`RunCodec::FastDecode`]; decode speed does not depend on it.
const ZSTD_LEVEL: i32 = 3;

/// Differences of `order` (wrapping, so any `i64` input is invertible).
fn diff(xs: &[i64], order: u8) -> (Vec<i64>, Vec<i64>) {
    let mut cur = xs.to_vec();
    let mut seeds = Vec::new();
    for _ in 0..order {
        let Some(&first) = cur.first() else { break };
        seeds.push(first);
        cur = cur
            .windows(2)
            .map(|w| match w {
                [a, b] => b.wrapping_sub(*a),
                _ => 0,
            })
            .collect();
    }
    (seeds, cur)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

thread_local! {
    // zstd contexts are ~100 KiB-plus allocations; creating one per column
    // made short runs decode 10x slower, so each thread keeps one of each.
    static ZSTD_C: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static ZSTD_D: RefCell<Option<(zstd::bulk::Decompressor<'static>, Vec<u8>)>> = const { RefCell::new(None) };
}

fn zstd_compress(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    ZSTD_C.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(std::io::Error::other)?;
        if slot.is_none() {
            *slot = Some(zstd::bulk::Compressor::new(ZSTD_LEVEL)?);
        }
        match slot.as_mut() {
            Some(c) => c.compress(raw),
            None => zstd::bulk::compress(raw, ZSTD_LEVEL),
        }
    })
}

/// Decompresses `frame` (at most `capacity` bytes) into a per-thread buffer
/// and hands it to `f`: one buffer per thread instead of one allocation per column.
fn with_zstd_decompressed<R>(
    frame: &[u8],
    capacity: usize,
    f: impl FnOnce(&[u8]) -> Result<R>,
) -> std::io::Result<Result<R>> {
    ZSTD_D.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(std::io::Error::other)?;
        let (d, buf) = match &mut *slot {
            Some(pair) => pair,
            none => none.insert((zstd::bulk::Decompressor::new()?, Vec::new())),
        };
        buf.clear();
        buf.reserve(capacity);
        d.decompress_to_buffer(frame, buf)?;
        Ok(f(buf))
    })
}

fn range_code(zz: &[u64]) -> Vec<u8> {
    // The payload starts with the largest bit length, which the model needs.
    let max_len = zz.iter().map(|u| 64 - u.leading_zeros()).max().unwrap_or(0);
    let mut enc = Encoder::new();
    let mut m = IntModel::new(max_len);
    for &u in zz {
        enc.put(&mut m, u);
    }
    let mut payload = vec![max_len as u8];
    payload.extend(enc.finish());
    payload
}

/// Encodes the stream with the smaller of plain varints and the codec's
/// entropy stage. With [`RunCodec::FastDecode`], the last `tail` values stay
/// plain varints after the zstd frame when that costs less than doubling the
/// column (so recent windows decode without zstd).
fn put_stream(out: &mut Vec<u8>, zz: &[u64], codec: RunCodec, tail: usize) {
    if zz.iter().all(|&u| u == 0) {
        out.push(CODER_ZERO);
        return;
    }
    let mut var = Vec::with_capacity(zz.len());
    for &u in zz {
        put_uvarint(&mut var, u);
    }
    match codec {
        RunCodec::Compact => {
            let rc = range_code(zz);
            if rc.len() < var.len() {
                out.push(CODER_RANGE);
                put_uvarint(out, rc.len() as u64);
                out.extend_from_slice(&rc);
                return;
            }
        }
        RunCodec::FastDecode => {
            let tail = if tail > 0 && zz.len() > 2 * tail { tail } else { 0 };
            let head_len = zz.len() - tail;
            let head = zz.get(..head_len).unwrap_or(&[]);
            let mut head_var = Vec::with_capacity(head.len());
            for &u in head {
                put_uvarint(&mut head_var, u);
            }
            // Compression into memory cannot fail short of allocation failure;
            // on any error the plain varints are kept.
            if let Ok(z) = zstd_compress(&head_var)
                && z.len() + 2 < head_var.len()
            {
                let tail_var = var.get(head_var.len()..).unwrap_or(&[]);
                if tail > 0 {
                    out.push(CODER_SPLIT);
                    put_uvarint(out, tail as u64);
                }
                out.push(CODER_ZSTD);
                put_uvarint(out, head_var.len() as u64);
                put_uvarint(out, z.len() as u64);
                out.extend_from_slice(&z);
                if tail > 0 {
                    put_uvarint(out, tail_var.len() as u64);
                    out.extend_from_slice(tail_var);
                }
                return;
            }
        }
        RunCodec::Plain => {}
    }
    out.push(CODER_VARINT);
    put_uvarint(out, var.len() as u64);
    out.extend_from_slice(&var);
}

/// One candidate order, prepared but not yet entropy coded.
struct Candidate {
    order: u8,
    seeds: Vec<i64>,
    divisor: u64,
    zz: Vec<u64>,
    /// Sum of the stream's bit lengths: a cheap proxy for its coded size.
    estimate: u64,
}

fn prepare(xs: &[i64], order: u8) -> Candidate {
    let (seeds, stream) = diff(xs, order);
    let mut g = stream.iter().fold(0u64, |g, x| gcd(g, x.unsigned_abs()));
    if g == 0 || g > i64::MAX as u64 {
        g = 1;
    }
    let zz: Vec<u64> = stream.iter().map(|&x| zigzag(x / g as i64)).collect();
    let estimate = zz.iter().map(|&u| u64::from(65 - u.leading_zeros())).sum();
    Candidate { order, seeds, divisor: g, zz, estimate }
}

/// Encodes one candidate: order byte, seeds, divisor, tail seeds, stream.
fn encode_candidate(c: &Candidate, xs: &[i64], codec: RunCodec, tail: usize) -> Vec<u8> {
    let mut out = vec![c.order];
    for s in &c.seeds {
        put_varint(&mut out, *s);
    }
    put_uvarint(&mut out, c.divisor);
    for t in tail_seeds(xs, c.seeds.len()) {
        put_varint(&mut out, t);
    }
    put_stream(&mut out, &c.zz, codec, tail);
    out
}

/// The tail seeds of run version 2, which let a reader rebuild the column
/// from its end: for a column with differences (`nseeds >= 1`) and a non-empty
/// stream, `x_{n-1} - x_0`, then for order 2 `(x_{n-1} - x_{n-2}) - (x_1 - x_0)`
/// (differences from the head seeds, so they stay small).
fn tail_seeds(xs: &[i64], nseeds: usize) -> Vec<i64> {
    let n = xs.len();
    if nseeds == 0 || n <= nseeds {
        return Vec::new();
    }
    let at = |i: usize| xs.get(i).copied().unwrap_or(0);
    let mut out = vec![at(n - 1).wrapping_sub(at(0))];
    if nseeds == 2 {
        let last_step = at(n - 1).wrapping_sub(at(n - 2));
        out.push(last_step.wrapping_sub(at(1).wrapping_sub(at(0))));
    }
    out
}

/// Appends the smallest encoding of `xs` over orders 0, 1 and 2. Orders whose
/// estimate is more than 1.5 times the best one are not coded at all (the
/// estimate favours order 2 on noisy counters, so the margin must be wide).
/// Writes the current run version's layout (with tail seeds); `tail` is how
/// many of the last values a reader should find without entropy decoding.
pub(crate) fn encode_ints(out: &mut Vec<u8>, xs: &[i64], codec: RunCodec, tail: usize) {
    let cands: Vec<Candidate> = (0..=2u8).map(|o| prepare(xs, o)).collect();
    let best_est = cands.iter().map(|c| c.estimate).min().unwrap_or(0);
    let best = cands
        .iter()
        .filter(|c| c.estimate <= best_est + best_est / 2)
        .map(|c| encode_candidate(c, xs, codec, tail))
        .min_by_key(Vec::len)
        .unwrap_or_default();
    out.extend_from_slice(&best);
}

/// Decodes `n` integers written by [`encode_ints`] in a run of `version`.
pub(crate) fn decode_ints(c: &mut Cursor<'_>, n: usize, version: u8) -> Result<Vec<i64>> {
    decode_ints_prefix(c, n, n, version)
}

/// What precedes an integer column's stream.
struct ColumnHead {
    nseeds: usize,
    /// x_0, then (order 2) x_1 - x_0.
    seeds: [i64; 2],
    divisor: i64,
    /// Version 2 only: x_{n-1}, then (order 2) x_{n-1} - x_{n-2}.
    tail: Option<[i64; 2]>,
}

fn read_head(c: &mut Cursor<'_>, n: usize, version: u8) -> Result<ColumnHead> {
    let order = c.u8("int column order")?;
    if order > 2 {
        return Err(invalid("int column order", u64::from(order)));
    }
    let nseeds = usize::from(order).min(n);
    let mut seeds = [0i64; 2];
    for s in seeds.iter_mut().take(nseeds) {
        *s = c.varint("int column seed")?;
    }
    let g = c.uvarint("int column divisor")?;
    if g == 0 || g > i64::MAX as u64 {
        return Err(invalid("int column divisor", g));
    }
    let tail = if version >= 2 && nseeds >= 1 && n > nseeds {
        let last = seeds[0].wrapping_add(c.varint("int column tail seed")?);
        let step = if nseeds == 2 { seeds[1].wrapping_add(c.varint("int column tail seed")?) } else { 0 };
        Some([last, step])
    } else {
        None
    };
    Ok(ColumnHead { nseeds, seeds, divisor: g as i64, tail })
}

/// A column's stream as plain zigzag varints: the first `head_count` values
/// in `head`, the rest in `tail`. `head` is empty when the caller needed only
/// values of the tail (its zstd frame is then not decompressed).
struct Stream<'a> {
    zero: bool,
    head: &'a [u8],
    head_count: usize,
    tail: &'a [u8],
}

impl Stream<'_> {
    /// Appends stream values `from..from + count` (times `g`) to `out`.
    fn read(&self, from: usize, count: usize, g: i64, out: &mut Vec<i64>) -> Result<()> {
        if self.zero {
            out.resize(out.len() + count, 0);
            return Ok(());
        }
        let tail_count = count.saturating_sub(self.head_count.saturating_sub(from));
        if from < self.head_count {
            let at = varint_start(self.head, self.head_count, from)?;
            read_varints(self.head.get(at..).unwrap_or(&[]), count - tail_count, g, out)?;
        }
        if tail_count > 0 {
            let total = count_varints(self.tail);
            let skip = from.saturating_sub(self.head_count);
            let at = varint_start(self.tail, total, skip)?;
            read_varints(self.tail.get(at..).unwrap_or(&[]), tail_count, g, out)?;
        }
        Ok(())
    }
}

/// The plain varints after a split stream's head (none when `tail_count` is 0).
fn read_tail<'a>(c: &mut Cursor<'a>, tail_count: usize) -> Result<&'a [u8]> {
    if tail_count == 0 {
        return Ok(&[]);
    }
    let nbytes = c.uvarint("int column tail length")?;
    c.bytes(usize::try_from(nbytes).map_err(|_| truncated("int column tail"))?, "int column tail")
}

/// Reads the coder bytes and hands the stream to `f` as plain varints, leaving
/// the cursor after the column; `need_from` is the first stream value the
/// caller will read. The range coder has no varint form: it is decoded here
/// into `out`, forward, `range_take` values, and `f` is not called (`Ok(false)`).
fn with_stream(
    c: &mut Cursor<'_>,
    n: usize,
    h: &ColumnHead,
    need_from: usize,
    range_take: usize,
    out: &mut Vec<i64>,
    f: impl FnOnce(&Stream<'_>, &mut Vec<i64>) -> Result<()>,
) -> Result<bool> {
    let slen = n - h.nseeds;
    let mut coder = c.u8("int column coder")?;
    let mut tail_count = 0usize;
    if coder == CODER_SPLIT {
        let t = c.uvarint("int column tail count")?;
        if t > slen as u64 {
            return Err(invalid("int column tail count", t));
        }
        tail_count = t as usize;
        coder = c.u8("int column coder")?;
        if coder != CODER_VARINT && coder != CODER_ZSTD {
            return Err(invalid("int column inner coder", u64::from(coder)));
        }
    }
    let head_count = slen - tail_count;
    match coder {
        CODER_ZERO => f(&Stream { zero: true, head: &[], head_count: slen, tail: &[] }, out)?,
        CODER_VARINT => {
            let nbytes = c.uvarint("int column length")?;
            let head = c.bytes(usize::try_from(nbytes).map_err(|_| truncated("int column"))?, "int column")?;
            let tail = read_tail(c, tail_count)?;
            f(&Stream { zero: false, head, head_count, tail }, out)?;
        }
        CODER_ZSTD => {
            let raw_len = c.uvarint("int column raw length")?;
            // Ten bytes per value at most: a larger claim is corrupt, and
            // refusing it bounds the allocation.
            if raw_len > head_count as u64 * 10 {
                return Err(invalid("int column raw length", raw_len));
            }
            let nbytes = c.uvarint("int column length")?;
            let bytes = c.bytes(usize::try_from(nbytes).map_err(|_| truncated("int column"))?, "int column")?;
            let tail = read_tail(c, tail_count)?;
            if need_from >= head_count {
                f(&Stream { zero: false, head: &[], head_count, tail }, out)?;
                return Ok(true);
            }
            with_zstd_decompressed(bytes, raw_len as usize, |raw| {
                if raw.len() as u64 != raw_len {
                    return Err(invalid("int column raw length", raw_len));
                }
                f(&Stream { zero: false, head: raw, head_count, tail }, out)
            })
            .map_err(|_| invalid("int column zstd frame", nbytes))??;
        }
        CODER_RANGE => {
            let nbytes = c.uvarint("int column length")?;
            let bytes = c.bytes(usize::try_from(nbytes).map_err(|_| truncated("int column"))?, "int column")?;
            let (max_len, bytes) = bytes.split_first().ok_or(truncated("range coded stream"))?;
            if *max_len > 64 {
                return Err(invalid("range coded max bit length", u64::from(*max_len)));
            }
            let mut d = Decoder::new(bytes);
            let mut m = IntModel::new(u32::from(*max_len));
            for _ in 0..range_take {
                out.push(unzigzag(d.get(&mut m)?).wrapping_mul(h.divisor));
            }
            return Ok(false);
        }
        x => return Err(invalid("int column coder", u64::from(x))),
    }
    Ok(true)
}

/// Decodes the first `take.min(n)` of the `n` integers written by
/// [`encode_ints`], leaving the cursor after the whole column. When the whole
/// column of a version 2 run is decoded, its end is checked against the tail seeds.
pub(crate) fn decode_ints_prefix(c: &mut Cursor<'_>, n: usize, take: usize, version: u8) -> Result<Vec<i64>> {
    let take = take.min(n);
    let h = read_head(c, n, version)?;
    let nseeds = h.nseeds;
    // Only the stream values that the first `take` outputs depend on.
    let len = take.saturating_sub(nseeds);
    let mut out = Vec::with_capacity(len + nseeds);
    out.extend_from_slice(h.seeds.get(..nseeds).unwrap_or(&[]));
    // `out` first receives the highest-order differences, then is integrated in place.
    with_stream(c, n, &h, 0, len, &mut out, |stream, out| stream.read(0, len, h.divisor, out))?;
    integrate(&mut out, nseeds);
    if let (Some([last, step]), true) = (h.tail, take == n) {
        let got_step = match out.as_slice() {
            [.., a, b] => b.wrapping_sub(*a),
            _ => 0,
        };
        if out.last() != Some(&last) || (nseeds == 2 && got_step != step) {
            return Err(Error::Inconsistent { what: "int column tail seeds" });
        }
    }
    out.truncate(take);
    Ok(out)
}

/// Decodes integers `from..n` of the `n` written by [`encode_ints`], leaving
/// the cursor after the whole column. A version 2 column is rebuilt from its
/// tail seeds backwards, so only the stream values from `from` on are read;
/// other columns are decoded from the front.
pub(crate) fn decode_ints_suffix(c: &mut Cursor<'_>, n: usize, from: usize, version: u8) -> Result<Vec<i64>> {
    let from = from.min(n);
    let start = c.pos();
    let h = read_head(c, n, version)?;
    let Some(tail) = h.tail else {
        c.set_pos(start);
        let mut all = decode_ints_prefix(c, n, n, version)?;
        all.drain(..from);
        return Ok(all);
    };
    let nseeds = h.nseeds;
    // Stream values from..L, where L = n - nseeds; order >= 1 here.
    let slen = n - nseeds;
    let skip = from.min(slen);
    let mut diffs = Vec::with_capacity(slen - skip);
    let ok =
        with_stream(c, n, &h, skip, 0, &mut diffs, |stream, diffs| stream.read(skip, slen - skip, h.divisor, diffs))?;
    if !ok {
        // Range coded: forward is the only way.
        c.set_pos(start);
        let mut all = decode_ints_prefix(c, n, n, version)?;
        all.drain(..from);
        return Ok(all);
    }
    Ok(rebuild_from_tail(diffs, nseeds, tail, n, from))
}

/// Rebuilds `x_from..x_{n-1}` from the tail seeds and the stream values
/// `diffs` = stream[from.min(L)..L] (order 1: first differences d_j = x_{j+1} - x_j;
/// order 2: second differences f_j = e_{j+1} - e_j of the first differences e),
/// in place: each order is one backward pass over the same vector.
fn rebuild_from_tail(mut v: Vec<i64>, nseeds: usize, [last, last_step]: [i64; 2], n: usize, from: usize) -> Vec<i64> {
    if from >= n {
        v.clear();
        return v;
    }
    let need = n - from;
    if nseeds == 2 {
        // f_from..f_{n-3}, then e_{n-2} = last_step: e_j = e_{j+1} - f_j.
        v.resize(need.saturating_sub(2), 0);
        if need >= 2 {
            v.push(last_step);
        }
        integrate_back(&mut v);
    } else {
        v.resize(need - 1, 0);
    }
    // e_from..e_{n-2}, then x_{n-1} = last: x_i = x_{i+1} - e_i.
    v.push(last);
    integrate_back(&mut v);
    v
}

/// `v[j] = v[j + 1] - v[j]` from the back: undoes one order of differences
/// given the last value.
fn integrate_back(v: &mut [i64]) {
    let mut acc = match v.last() {
        Some(&x) => x,
        None => return,
    };
    for x in v.iter_mut().rev().skip(1) {
        acc = acc.wrapping_sub(*x);
        *x = acc;
    }
}

/// The byte offset in `bytes` (exactly `count` LEB128 varints) where varint
/// number `index` starts: counted from the front for the first half, from
/// the back for the second (every byte below 0x80 ends a varint).
fn varint_start(bytes: &[u8], count: usize, index: usize) -> Result<usize> {
    if index == 0 {
        return Ok(0);
    }
    if index > count {
        return Err(truncated("int column varint stream"));
    }
    if bytes.last().is_some_and(|&b| b >= 0x80) {
        return Err(Error::Inconsistent { what: "int column varint stream" });
    }
    let ends = |b: &&u8| **b < 0x80;
    let found = if index <= count / 2 {
        // The end of varint `index - 1` is the index-th end from the front.
        bytes.iter().enumerate().filter(|(_, b)| ends(b)).nth(index - 1).map(|(i, _)| i + 1)
    } else {
        // ... and the (count - index + 1)-th end from the back.
        bytes.iter().enumerate().rev().filter(|(_, b)| ends(b)).nth(count - index).map(|(i, _)| i + 1)
    };
    found.ok_or(truncated("int column varint stream"))
}

/// How many varints `bytes` holds (counting the bytes that end one).
fn count_varints(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b < 0x80).count()
}

fn read_varints(bytes: &[u8], len: usize, g: i64, out: &mut Vec<i64>) -> Result<()> {
    out.reserve(len);
    Cursor::new(bytes).uvarints(len, "int column varint", |u| out.push(unzigzag(u).wrapping_mul(g)))
}

/// Undoes [`diff`] in place on `v` = the `nseeds` seeds (x_0, then for
/// order 2 the first difference) followed by the highest-order stream:
/// prefix-sums once per order.
fn integrate(v: &mut [i64], nseeds: usize) {
    for start in (1..=nseeds).rev() {
        let mut acc = v.get(start - 1).copied().unwrap_or(0);
        for x in v.iter_mut().skip(start) {
            acc = acc.wrapping_add(*x);
            *x = acc;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(xs: &[i64]) -> usize {
        let mut out = Vec::new();
        encode_ints(&mut out, xs, RunCodec::Compact, 0);
        let mut c = Cursor::new(&out);
        assert_eq!(decode_ints(&mut c, xs.len(), crate::RUN_VERSION).unwrap(), xs);
        assert_eq!(c.pos(), out.len());
        out.len()
    }

    #[test]
    fn round_trips() {
        check(&[]);
        check(&[7]);
        check(&[7, -3]);
        check(&[i64::MIN, i64::MAX, 0, i64::MIN, -1]);
        assert!(check(&(0..1000).map(|i| 5 + i * 3000).collect::<Vec<_>>()) < 16);
        assert!(check(&[42; 1000]) < 10);
    }
}
