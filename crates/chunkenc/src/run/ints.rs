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
/// entropy stage.
fn put_stream(out: &mut Vec<u8>, zz: &[u64], codec: RunCodec) {
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
            // Compression into memory cannot fail short of allocation failure;
            // on any error the plain varints are kept.
            if let Ok(z) = zstd_compress(&var)
                && z.len() + 2 < var.len()
            {
                out.push(CODER_ZSTD);
                put_uvarint(out, var.len() as u64);
                put_uvarint(out, z.len() as u64);
                out.extend_from_slice(&z);
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
fn encode_candidate(c: &Candidate, xs: &[i64], codec: RunCodec) -> Vec<u8> {
    let mut out = vec![c.order];
    for s in &c.seeds {
        put_varint(&mut out, *s);
    }
    put_uvarint(&mut out, c.divisor);
    for t in tail_seeds(xs, c.seeds.len()) {
        put_varint(&mut out, t);
    }
    put_stream(&mut out, &c.zz, codec);
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
/// Writes the current run version's layout (with tail seeds).
pub(crate) fn encode_ints(out: &mut Vec<u8>, xs: &[i64], codec: RunCodec) {
    let cands: Vec<Candidate> = (0..=2u8).map(|o| prepare(xs, o)).collect();
    let best_est = cands.iter().map(|c| c.estimate).min().unwrap_or(0);
    let best = cands
        .iter()
        .filter(|c| c.estimate <= best_est + best_est / 2)
        .map(|c| encode_candidate(c, xs, codec))
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

/// Reads the coder byte and hands the stream to `f` as plain zigzag varints
/// (or `None` for the zero coder), leaving the cursor after the column. The
/// range coder has no varint form; it is decoded here into `out` forward and
/// `f` is not called (`Ok(false)`).
fn with_stream(
    c: &mut Cursor<'_>,
    n: usize,
    h: &ColumnHead,
    range_take: usize,
    out: &mut Vec<i64>,
    f: impl FnOnce(Option<&[u8]>, &mut Vec<i64>) -> Result<()>,
) -> Result<bool> {
    match c.u8("int column coder")? {
        CODER_ZERO => f(None, out)?,
        CODER_VARINT => {
            let nbytes = c.uvarint("int column length")?;
            let bytes = c.bytes(usize::try_from(nbytes).map_err(|_| truncated("int column"))?, "int column")?;
            f(Some(bytes), out)?;
        }
        CODER_ZSTD => {
            let raw_len = c.uvarint("int column raw length")?;
            // Ten bytes per value at most: a larger claim is corrupt, and
            // refusing it bounds the allocation.
            if raw_len > (n - h.nseeds) as u64 * 10 {
                return Err(invalid("int column raw length", raw_len));
            }
            let nbytes = c.uvarint("int column length")?;
            let bytes = c.bytes(usize::try_from(nbytes).map_err(|_| truncated("int column"))?, "int column")?;
            with_zstd_decompressed(bytes, raw_len as usize, |raw| {
                if raw.len() as u64 != raw_len {
                    return Err(invalid("int column raw length", raw_len));
                }
                f(Some(raw), out)
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
    with_stream(c, n, &h, len, &mut out, |stream, out| match stream {
        None => {
            out.resize(nseeds + len, 0);
            Ok(())
        }
        Some(bytes) => read_varints(bytes, len, h.divisor, out),
    })?;
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
    let ok = with_stream(c, n, &h, 0, &mut diffs, |stream, diffs| match stream {
        None => {
            diffs.resize(slen - skip, 0);
            Ok(())
        }
        Some(bytes) => {
            let at = varint_start_from_end(bytes, slen, skip)?;
            read_varints(bytes.get(at..).unwrap_or(&[]), slen - skip, h.divisor, diffs)
        }
    })?;
    if !ok {
        // Range coded: forward is the only way.
        c.set_pos(start);
        let mut all = decode_ints_prefix(c, n, n, version)?;
        all.drain(..from);
        return Ok(all);
    }
    Ok(rebuild_from_tail(&diffs, nseeds, tail, n, from))
}

/// Rebuilds `x_from..x_{n-1}` from the tail seeds and the stream values
/// `diffs` = stream[from.min(L)..L] (order 1: first differences d_j = x_{j+1} - x_j;
/// order 2: second differences f_j = e_{j+1} - e_j of the first differences e).
fn rebuild_from_tail(diffs: &[i64], nseeds: usize, [last, last_step]: [i64; 2], n: usize, from: usize) -> Vec<i64> {
    if from >= n {
        return Vec::new();
    }
    // First differences e_j for j in from..n-1, built backwards.
    let firsts: Vec<i64> = if nseeds == 2 {
        let m = (n - 1).saturating_sub(from);
        let mut e = vec![0i64; m];
        let mut acc = last_step;
        for j in (0..m).rev() {
            if let Some(slot) = e.get_mut(j) {
                *slot = acc;
            }
            // e_{j-1} = e_j - f_{j-1}; f index relative to `from` is j - 1.
            if j > 0 {
                acc = acc.wrapping_sub(diffs.get(j - 1).copied().unwrap_or(0));
            }
        }
        e
    } else {
        diffs.to_vec()
    };
    let mut out = vec![0i64; n - from];
    let mut acc = last;
    for i in (0..n - from).rev() {
        if let Some(slot) = out.get_mut(i) {
            *slot = acc;
        }
        if i > 0 {
            acc = acc.wrapping_sub(firsts.get(i - 1).copied().unwrap_or(0));
        }
    }
    out
}

/// The byte offset in `bytes` (exactly `count` LEB128 varints) where varint
/// number `index` starts, found by counting varint ends from the back: every
/// byte below 0x80 ends one.
fn varint_start_from_end(bytes: &[u8], count: usize, index: usize) -> Result<usize> {
    if index == 0 {
        return Ok(0);
    }
    if bytes.last().is_some_and(|&b| b >= 0x80) {
        return Err(Error::Inconsistent { what: "int column varint stream" });
    }
    // The end of varint `index - 1` is the (count - index + 1)-th end from the back.
    let mut want = count - index + 1;
    for (i, &b) in bytes.iter().enumerate().rev() {
        if b < 0x80 {
            want -= 1;
            if want == 0 {
                return Ok(i + 1);
            }
        }
    }
    Err(truncated("int column varint stream"))
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
        encode_ints(&mut out, xs, RunCodec::Compact);
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
