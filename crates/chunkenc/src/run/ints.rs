//! The integer column of a block run: a sequence of `i64` (timestamps or
//! decimal mantissas) stored as seeds plus a stream of differences of order
//! 0, 1 or 2, divided by their common divisor, then entropy coded.
//!
//! The encoder tries every order and both coders and keeps the smallest
//! output, so the choice is measured, never guessed.

use super::RunCodec;
use crate::error::{Result, invalid, truncated};
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

/// Encodes one candidate: order byte, seeds, divisor, stream.
fn encode_candidate(c: &Candidate, codec: RunCodec) -> Vec<u8> {
    let mut out = vec![c.order];
    for s in &c.seeds {
        put_varint(&mut out, *s);
    }
    put_uvarint(&mut out, c.divisor);
    put_stream(&mut out, &c.zz, codec);
    out
}

/// Appends the smallest encoding of `xs` over orders 0, 1 and 2. Orders whose
/// estimate is more than 1.5 times the best one are not coded at all (the
/// estimate favours order 2 on noisy counters, so the margin must be wide).
pub(crate) fn encode_ints(out: &mut Vec<u8>, xs: &[i64], codec: RunCodec) {
    let cands: Vec<Candidate> = (0..=2u8).map(|o| prepare(xs, o)).collect();
    let best_est = cands.iter().map(|c| c.estimate).min().unwrap_or(0);
    let best = cands
        .iter()
        .filter(|c| c.estimate <= best_est + best_est / 2)
        .map(|c| encode_candidate(c, codec))
        .min_by_key(Vec::len)
        .unwrap_or_default();
    out.extend_from_slice(&best);
}

/// Decodes `n` integers written by [`encode_ints`].
pub(crate) fn decode_ints(c: &mut Cursor<'_>, n: usize) -> Result<Vec<i64>> {
    decode_ints_prefix(c, n, n)
}

/// Decodes the first `take.min(n)` of the `n` integers written by
/// [`encode_ints`], leaving the cursor after the whole column.
pub(crate) fn decode_ints_prefix(c: &mut Cursor<'_>, n: usize, take: usize) -> Result<Vec<i64>> {
    let take = take.min(n);
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
    let g = g as i64;
    // Only the stream values that the first `take` outputs depend on.
    let len = take.saturating_sub(nseeds);
    let mut out = Vec::with_capacity(len + nseeds);
    out.extend_from_slice(seeds.get(..nseeds).unwrap_or(&[]));
    // `out` first receives the highest-order differences, then is integrated in place.
    match c.u8("int column coder")? {
        CODER_ZERO => out.resize(nseeds + len, 0),
        CODER_VARINT => {
            let nbytes = c.uvarint("int column length")?;
            let bytes = c.bytes(usize::try_from(nbytes).map_err(|_| truncated("int column"))?, "int column")?;
            read_varints(bytes, len, g, &mut out)?;
        }
        CODER_ZSTD => {
            let raw_len = c.uvarint("int column raw length")?;
            // Ten bytes per value at most: a larger claim is corrupt, and
            // refusing it bounds the allocation.
            if raw_len > (n - nseeds) as u64 * 10 {
                return Err(invalid("int column raw length", raw_len));
            }
            let nbytes = c.uvarint("int column length")?;
            let bytes = c.bytes(usize::try_from(nbytes).map_err(|_| truncated("int column"))?, "int column")?;
            with_zstd_decompressed(bytes, raw_len as usize, |raw| {
                if raw.len() as u64 != raw_len {
                    return Err(invalid("int column raw length", raw_len));
                }
                read_varints(raw, len, g, &mut out)
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
            for _ in 0..len {
                out.push(unzigzag(d.get(&mut m)?).wrapping_mul(g));
            }
        }
        x => return Err(invalid("int column coder", u64::from(x))),
    }
    integrate(&mut out, nseeds);
    out.truncate(take);
    Ok(out)
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
        assert_eq!(decode_ints(&mut c, xs.len()).unwrap(), xs);
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
