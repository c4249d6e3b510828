//! The value column of a block run.
//!
//! Preferred form: every value is `m / 10^s` for one scale `s` per run and an
//! integer mantissa `m` with `|m| < 2^53`, checked by recomputing the float at
//! encode time, so decoding is exact by construction. Values that fail the
//! check (NaNs including the stale marker, ±Inf, -0.0, 17-digit values,
//! subnormals) are stored as raw bits in an escape list. When that is not
//! smaller, the whole column falls back to a Gorilla XOR bit stream.

use super::RunCodec;
use super::ints::{decode_ints_prefix, decode_ints_suffix, encode_ints};
use crate::bits::{BitReader, write_bit, write_bits};
use crate::error::{Error, Result, invalid};
use crate::varint::{Cursor, put_uvarint};

/// Value mode byte: decimal mantissas with escapes.
const MODE_DECIMAL: u8 = 0;
/// Value mode byte: Gorilla XOR bit stream of the raw bits.
const MODE_XOR: u8 = 1;
/// Largest scale tried; 10^18 is exact in an `f64`.
const MAX_SCALE: u8 = 18;
/// Mantissas must be exact in an `f64`.
const MANT_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53

const POW10: [f64; 19] =
    [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18];

#[inline]
fn pow10(s: u8) -> f64 {
    POW10.get(usize::from(s)).copied().unwrap_or(1.0)
}

/// The mantissa of `v` at scale `s`, if `m / 10^s` gives back `v` bit for bit.
#[inline]
fn mantissa(v: f64, s: u8) -> Option<i64> {
    let p = pow10(s);
    let m = (v * p).round();
    if m.abs() < MANT_LIMIT && (m / p).to_bits() == v.to_bits() { Some(m as i64) } else { None }
}

/// Whether `v` can take part in the decimal form at all.
#[inline]
fn decimal_candidate(v: f64) -> bool {
    v.is_finite() && v.to_bits() != (-0.0f64).to_bits()
}

/// Picks the run's scale: the smallest that represents every value that any
/// scale up to [`MAX_SCALE`] represents (values needing more are escaped).
fn choose_scale(vals: &[f64]) -> u8 {
    let mut s = 0u8;
    for &v in vals {
        if !decimal_candidate(v) || mantissa(v, s).is_some() {
            continue;
        }
        if let Some(need) = (s + 1..=MAX_SCALE).find(|&k| mantissa(v, k).is_some()) {
            s = need;
        }
    }
    s
}

fn encode_decimal(vals: &[f64], codec: RunCodec, tail: usize) -> (Vec<u8>, usize) {
    let s = choose_scale(vals);
    let mut mants = Vec::with_capacity(vals.len());
    let mut escapes = Vec::new();
    let mut prev = 0i64;
    for (i, &v) in vals.iter().enumerate() {
        match mantissa(v, s).filter(|_| decimal_candidate(v)) {
            Some(m) => prev = m,
            None => escapes.push((i, v.to_bits())),
        }
        // An escaped slot repeats the previous mantissa so it costs a zero delta.
        mants.push(prev);
    }
    let mut out = vec![MODE_DECIMAL, s];
    put_uvarint(&mut out, escapes.len() as u64);
    let mut last = 0usize;
    for &(i, bits) in &escapes {
        put_uvarint(&mut out, (i - last) as u64);
        out.extend_from_slice(&bits.to_le_bytes());
        last = i;
    }
    encode_ints(&mut out, &mants, codec, tail);
    (out, escapes.len())
}

fn encode_xor(vals: &[f64]) -> Vec<u8> {
    let mut out = vec![MODE_XOR];
    let mut free = 0u8;
    let mut prev = 0u64;
    let (mut lead, mut trail) = (u32::MAX, 0u32);
    for &v in vals {
        let b = v.to_bits();
        let x = b ^ prev;
        prev = b;
        if x == 0 {
            write_bit(&mut out, &mut free, false);
            continue;
        }
        write_bit(&mut out, &mut free, true);
        let (l, t) = (x.leading_zeros().min(63), x.trailing_zeros());
        if lead != u32::MAX && l >= lead && t >= trail {
            write_bit(&mut out, &mut free, false);
            write_bits(&mut out, &mut free, x >> trail, 64 - lead - trail);
        } else {
            (lead, trail) = (l, t);
            write_bit(&mut out, &mut free, true);
            write_bits(&mut out, &mut free, u64::from(l), 6);
            write_bits(&mut out, &mut free, u64::from(64 - l - t - 1), 6);
            write_bits(&mut out, &mut free, x >> t, 64 - l - t);
        }
    }
    out
}

/// Appends the smaller of the decimal and XOR encodings of `vals`.
pub(crate) fn encode_values(out: &mut Vec<u8>, vals: &[f64], codec: RunCodec, tail: usize) {
    let (dec, nesc) = encode_decimal(vals, codec, tail);
    if nesc == 0 {
        out.extend_from_slice(&dec);
        return;
    }
    let xor = encode_xor(vals);
    out.extend_from_slice(if xor.len() < dec.len() { &xor } else { &dec });
}

/// Decodes `n` values written by [`encode_values`]; the XOR form consumes the
/// rest of the input.
pub(crate) fn decode_values(c: &mut Cursor<'_>, n: usize, version: u8) -> Result<Vec<f64>> {
    decode_values_window(c, n, 0, n, version)
}

/// Decodes values `first..end` (clamped to `n`) of the `n` values written by
/// [`encode_values`]; values after `end` are not decoded at all. The decimal
/// form leaves the cursor after the column.
pub(crate) fn decode_values_window(
    c: &mut Cursor<'_>,
    n: usize,
    first: usize,
    end: usize,
    version: u8,
) -> Result<Vec<f64>> {
    let end = end.min(n);
    let first = first.min(end);
    match c.u8("value column mode")? {
        MODE_DECIMAL => decode_decimal(c, n, first, end, version),
        MODE_XOR => {
            let mut v = decode_xor(c.rest(), end)?;
            v.drain(..first);
            Ok(v)
        }
        x => Err(invalid("value column mode", u64::from(x))),
    }
}

fn decode_decimal(c: &mut Cursor<'_>, n: usize, first: usize, end: usize, version: u8) -> Result<Vec<f64>> {
    let s = c.u8("value scale")?;
    if s > MAX_SCALE {
        return Err(invalid("value scale", u64::from(s)));
    }
    let nesc = c.uvarint("value escape count")?;
    if nesc > n as u64 {
        return Err(invalid("value escape count", nesc));
    }
    let mut escapes = Vec::with_capacity(nesc as usize);
    let mut pos = 0u64;
    for _ in 0..nesc {
        pos = pos.saturating_add(c.uvarint("value escape position")?);
        escapes.push((pos, c.u64_le("value escape bits")?));
    }
    // Mantissas are differences: a window needs every one before it, or (from
    // version 2 on) every one after it; the shorter side is decoded and only
    // the window is converted.
    let (mut mants, base) = if version >= 2 && n - first < end {
        (decode_ints_suffix(c, n, first, version)?, first)
    } else {
        (decode_ints_prefix(c, n, end, version)?, 0)
    };
    let p = pow10(s);
    mants.truncate(end - base);
    mants.drain(..(first - base).min(mants.len()));
    // Converted in place: the mantissas' vector becomes the values' vector.
    let mut vals: Vec<f64> = mants.into_iter().map(|m| m as f64 / p).collect();
    for (i, bits) in escapes {
        if i >= n as u64 {
            return Err(Error::Inconsistent { what: "value escape position" });
        }
        // Escapes outside the window belong to values not converted.
        let slot = usize::try_from(i).ok().and_then(|i| i.checked_sub(first)).and_then(|i| vals.get_mut(i));
        if let Some(slot) = slot {
            *slot = f64::from_bits(bits);
        }
    }
    Ok(vals)
}

fn decode_xor(bytes: &[u8], n: usize) -> Result<Vec<f64>> {
    let mut r = BitReader::new(bytes);
    let mut vals = Vec::with_capacity(n);
    let (mut prev, mut lead, mut trail) = (0u64, 0u32, 0u32);
    for _ in 0..n {
        if r.read_bit()? {
            if r.read_bit()? {
                lead = r.read_bits(6)? as u32;
                let sig = r.read_bits(6)? as u32 + 1;
                if lead + sig > 64 {
                    return Err(invalid("xor value window", u64::from(sig)));
                }
                trail = 64 - lead - sig;
            }
            let x = r.read_bits(64 - lead - trail)?;
            prev ^= x.checked_shl(trail).unwrap_or(0);
        }
        vals.push(f64::from_bits(prev));
    }
    Ok(vals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(vals: &[f64]) -> usize {
        let mut out = Vec::new();
        encode_values(&mut out, vals, RunCodec::Compact, 0);
        let got = decode_values(&mut Cursor::new(&out), vals.len(), super::super::RUN_VERSION).unwrap();
        let g: Vec<u64> = got.iter().map(|v| v.to_bits()).collect();
        let w: Vec<u64> = vals.iter().map(|v| v.to_bits()).collect();
        assert_eq!(g, w);
        out.len()
    }

    #[test]
    fn special_values_round_trip() {
        let stale = f64::from_bits(argus_model::STALE_NAN_BITS);
        check(&[]);
        check(&[stale]);
        check(&[0.1 + 0.2, -0.0, 0.0, f64::NAN, f64::NEG_INFINITY, 5e-324, f64::MAX, 1e300, 0.35]);
        check(&[1.5, 2.25, stale, 3.125, f64::from_bits(0x7ff8_dead_beef_0001)]);
        check(&[123456789.123456, 1e-18, 9007199254740993.0]);
    }

    #[test]
    fn decimals_are_compact() {
        let v: Vec<f64> = (0..1000).map(|i| format!("{:.3}", 0.35 + (i % 7) as f64 * 0.025).parse().unwrap()).collect();
        assert!(check(&v) < 450);
    }
}
